// What every end-to-end test file needs: `echelle serve` on a private store, ready,
// and a page in Debian's Chromium (headless, no sandbox, no background networking).

import { spawn } from 'node:child_process';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
export const binary = join(process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target'), 'release', 'echelle');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** Serves the built application from `store` on an ephemeral port; resolves once /ready answers 200
 *  (the server answers 503 until its indicator values are at hand). */
export async function startServer(store, extra = []) {
  const server = spawn(binary, ['--store', store, 'serve', '--addr', '127.0.0.1:0', '--web', join(web, 'dist'), ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((ok, fail) => {
    let out = '';
    server.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/observatory at (http:\/\/[^/\s]+)\//);
      if (m) ok(m[1]);
    });
    server.on('exit', (code) => fail(new Error(`echelle serve exited (${code}): ${out}`)));
  });
  for (let i = 0; ; i++) {
    const r = await fetch(`${base}/ready`).catch(() => null);
    if (r?.ok) break;
    if (i >= 600) throw new Error(`${base}/ready still ${r?.status} after 2 minutes`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
  return { server, base };
}

/** A French-locale page of 1400 × 900 that accepts downloads; page errors are printed. */
export async function openPage() {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true, locale: 'fr-FR' });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return { browser, page };
}
