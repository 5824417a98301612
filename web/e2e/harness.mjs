// What every end-to-end test file needs: `echelle serve` on a private store, ready,
// and a page in Debian's Chromium (headless, no sandbox, no background networking);
// a small SYNTHETIC road network for the views that use one.

import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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

/** Great-circle metres between two [lon, lat]. */
function metres(a, b) {
  const rad = Math.PI / 180;
  const [p1, p2] = [a[1] * rad, b[1] * rad];
  const h = Math.sin((p2 - p1) / 2) ** 2 + Math.cos(p1) * Math.cos(p2) * Math.sin(((b[0] - a[0]) * rad) / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}

/** Writes a SYNTHETIC street grid (n × n nodes every `step` degrees from [lon0, lat0], two-way
 *  streets at `kmh`) as the nodes.csv and edges.csv of `echelle network import`, and imports it
 *  into `store` under `name`, marked --synthetic. For tests only: it is no real road network. */
export function importGridNetwork(store, dir, { name, lon0, lat0, n, step, kmh }) {
  const at = (i, j) => [lon0 + step * i, lat0 + step * j];
  const nodes = ['node_id,lon,lat'];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) nodes.push(`${i * n + j},${at(i, j)[0].toFixed(6)},${at(i, j)[1].toFixed(6)}`);
  const edges = ['from,to,time_ms,length_dm'];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      for (const [di, dj] of [[1, 0], [0, 1]]) {
        const [i2, j2] = [i + di, j + dj];
        if (i2 >= n || j2 >= n) continue;
        const m = metres(at(i, j), at(i2, j2));
        const [time, length] = [Math.round((m / (kmh / 3.6)) * 1000), Math.round(m * 10)];
        edges.push(`${i * n + j},${i2 * n + j2},${time},${length}`, `${i2 * n + j2},${i * n + j},${time},${length}`);
      }
  const [nodesCsv, edgesCsv] = [join(dir, `${name}-nodes.csv`), join(dir, `${name}-edges.csv`)];
  writeFileSync(nodesCsv, nodes.join('\n') + '\n');
  writeFileSync(edgesCsv, edges.join('\n') + '\n');
  const r = spawnSync(binary, ['--store', store, 'network', 'import', '--nodes', nodesCsv, '--edges', edgesCsv, '--name', name, '--synthetic'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`echelle network import exited ${r.status}: ${r.stderr}`);
}
