import { defineConfig } from 'vite';

// The built application is served by `echelle serve --web web/dist`; in development,
// `npx vite` proxies the API to a running `echelle serve` on 127.0.0.1:8080.
export default defineConfig({
  build: { outDir: 'dist', chunkSizeWarningLimit: 1500 },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080', '/tiles': 'http://127.0.0.1:8080', '/ogc': 'http://127.0.0.1:8080' },
  },
});
