// What every end-to-end test file needs: `echelle serve` on a private store, ready,
// and a page in Debian's Chromium (headless, no sandbox, no background networking);
// a small SYNTHETIC road network for the views that use one.

import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
export const binary = join(process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target'), 'release', 'echelle');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const testStore = process.env.ECHELLE_TEST_STORE ?? join(root, '.cache', 'test-store');

/** A private copy of the test store (scripts/setup's), in a new temporary folder: `{ tmp, store }`. */
export function copyTestStore(name) {
  const tmp = mkdtempSync(join(tmpdir(), `echelle-e2e-${name}-`));
  const store = join(tmp, 'store');
  cpSync(testStore, store, { recursive: true, filter: (p) => !p.endsWith('-shm') && !p.endsWith('-wal') });
  return { tmp, store };
}

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

/** Runs the CLI on `store` (standard input `input`); fails the test on a non-zero exit. */
export function echelle(store, args, input = '') {
  const r = spawnSync(binary, ['--store', store, ...args], { encoding: 'utf8', input });
  if (r.status !== 0) throw new Error(`echelle ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Several people on one server at once, each page in a browser context of its own (its own
 *  session cookie): `newPage()` for a visitor, `signedIn(login)` through the login screen;
 *  `close()` closes every context. */
export function people(browser, base, password) {
  const contexts = [];
  async function newPage() {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true, locale: 'fr-FR' });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (e) => console.error('page error:', e.message));
    return page;
  }
  async function signedIn(login) {
    const page = await newPage();
    await page.goto(`${base}/#/connexion`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#login-name', login);
    await page.fill('#login-password', password);
    await page.click('#login-submit');
    await page.waitForSelector('#account-who');
    return page;
  }
  const close = async () => {
    for (const c of contexts) await c.close().catch(() => {});
  };
  return { newPage, signedIn, close };
}

/** A screenshot of a view's whole panel into `path` (the page grows to the panel's
 *  height, then comes back to 1400 × 900). */
export async function panelShot(page, path) {
  const height = await page.evaluate(() => document.querySelector('#view').scrollHeight + document.querySelector('header').offsetHeight + 40);
  await page.setViewportSize({ width: 1400, height: Math.max(900, height) });
  await page.screenshot({ path });
  await page.setViewportSize({ width: 1400, height: 900 });
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

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');

/** The two screens every view is checked and photographed at. */
export const SCREENS = [
  { width: 1440, height: 900 },
  { width: 1024, height: 768 },
];

/** Words of the interface that would say a label was left in English. */
const ENGLISH = /\b(the|and|with|Zoom in|Zoom out|Reset bearing|Search|Export|Loading|Error|Show|Hide|Close|Map)\b/;

/** axe-core (WCAG 2.x A/AA rules and best practices) run on the page: the serious and critical violations. */
export async function axeViolations(page) {
  // Evaluated through the DevTools protocol: the page's Content-Security-Policy refuses
  // inline scripts (as it should), and the test must not weaken it to inject axe.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(readFileSync(axePath, 'utf8'));
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** What a view shows: the form controls outside the header, the panel and the map's zoom buttons
 *  (those must be the view's own overlays), every control's accessible name, and how each table
 *  of the panel fits it (inside the panel, or scrolling inside its own container). */
export function screenOf(page, overlays) {
  return page.evaluate((overlays) => {
    const visible = (e) => {
      const r = e.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden';
    };
    const controls = [...document.querySelectorAll('button, input, select, textarea')].filter(visible);
    const allowed = (e) =>
      e.closest('header, #view, .maplibregl-ctrl') || e.id === 'map-alt' || e.id === 'skip' || overlays.some((id) => e.closest(`#${id}`));
    const name = (e) =>
      (e.getAttribute('aria-label') ||
        [...(e.labels ?? [])].map((l) => l.textContent).join(' ') ||
        e.getAttribute('title') ||
        (e.tagName === 'BUTTON' ? e.textContent : '') ||
        '').trim();
    const panel = document.querySelector('#panel');
    const p = panel.getBoundingClientRect();
    const tables = [...panel.querySelectorAll('table')].filter(visible).map((t) => {
      const wrap = t.closest('.tablewrap');
      const box = (wrap ?? t).getBoundingClientRect();
      return {
        id: t.id || t.querySelector('caption')?.textContent || '?',
        inside: box.left >= p.left - 1 && box.right <= p.right + 1,
        fits: t.getBoundingClientRect().right <= p.right + 1,
        scrolls: !!wrap && ['auto', 'scroll'].includes(getComputedStyle(wrap).overflowX) && wrap.tabIndex === 0,
        headers: t.querySelectorAll('th[scope]').length,
      };
    });
    return {
      foreign: controls.filter((e) => !allowed(e)).map((e) => e.id || e.outerHTML.slice(0, 80)),
      unnamed: controls.filter((e) => !name(e)).map((e) => e.id || e.outerHTML.slice(0, 80)),
      names: controls.map(name),
      tables,
      panelOverflow: panel.scrollWidth - panel.clientWidth,
      view: document.querySelector('#view')?.dataset.view,
    };
  }, overlays);
}

/** Checks the view on screen at both screen sizes: no serious or critical axe violation, only
 *  its own controls, every control named in French, every table with headers and whole inside
 *  its panel (or scrolling in its container); a screenshot of each size into `shots`. */
export async function checkView(page, { view, overlays = [], shots, settle }) {
  for (const s of SCREENS) {
    await page.setViewportSize(s);
    await page.waitForTimeout(300);
    if (settle) await settle();
    const screen = await screenOf(page, overlays);
    const size = `${s.width}x${s.height}`;
    if (screen.view !== view) throw new Error(`${size}: view ${screen.view} on screen, not ${view}`);
    if (screen.foreign.length) throw new Error(`${view} ${size}: controls of another view visible: ${screen.foreign.join(', ')}`);
    if (screen.unnamed.length) throw new Error(`${view} ${size}: controls without a label: ${screen.unnamed.join(', ')}`);
    const english = screen.names.filter((n) => ENGLISH.test(n));
    if (english.length) throw new Error(`${view} ${size}: labels not in French: ${english.join(' | ')}`);
    if (screen.tables.length === 0 && ['carte', 'portrait', 'comparer', 'mobilites', 'acces'].includes(view))
      throw new Error(`${view} ${size}: no table (the map's text alternative)`);
    for (const t of screen.tables) {
      if (!t.inside) throw new Error(`${view} ${size}: table ${t.id} goes out of its panel`);
      if (!t.fits && !t.scrolls) throw new Error(`${view} ${size}: table ${t.id} is cut (wider than the panel, no scroll container)`);
      if (t.headers === 0) throw new Error(`${view} ${size}: table ${t.id} has no header cell with a scope`);
    }
    if (screen.panelOverflow > 1) throw new Error(`${view} ${size}: the panel overflows by ${screen.panelOverflow} px`);
    const violations = await axeViolations(page);
    if (violations.length) throw new Error(`${view} ${size}: axe-core:\n${violations.join('\n')}`);
    await page.screenshot({ path: join(shots, `view-${view}-${size}.png`) });
  }
  await page.setViewportSize({ width: 1400, height: 900 });
}
