// End-to-end: the built web application served by `echelle serve --web web/dist` on an
// ephemeral loopback port, over a copy of the test store, driven in Debian's Chromium.
// Every assertion reads what is on screen and checks it against the JSON API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const shots = join(web, 'e2e', 'screenshots');
const binary = join(process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target'), 'release', 'echelle');
const testStore = process.env.ECHELLE_TEST_STORE ?? join(root, '.cache', 'test-store');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

let server;
let base;
let browser;
let page;
let tmp;

const fr = (v, d) => new Intl.NumberFormat('fr-FR', { minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
const api = async (path) => {
  const r = await fetch(base + path);
  assert.equal(r.status, 200, path);
  return r.json();
};
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
const mapIdle = () =>
  page.waitForFunction(() => {
    const m = window.echelle?.map;
    return m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
  });

before(async () => {
  mkdirSync(shots, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'echelle-e2e-'));
  const store = join(tmp, 'store');
  cpSync(testStore, store, { recursive: true, filter: (p) => !p.endsWith('-shm') && !p.endsWith('-wal') });
  server = spawn(binary, ['--store', store, 'serve', '--addr', '127.0.0.1:0', '--web', join(web, 'dist')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  base = await new Promise((ok, fail) => {
    let out = '';
    server.stdout.on('data', (b) => {
      out += b;
      const m = out.match(/observatory at (http:\/\/[^/\s]+)\//);
      if (m) ok(m[1]);
    });
    server.on('exit', (code) => fail(new Error(`echelle serve exited (${code}): ${out}`)));
  });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true, locale: 'fr-FR' });
  page = await context.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the map shows an indicator with its legend, unit, source, vintage and n/d', async () => {
  await page.goto(`${base}/#/carte`);
  await page.waitForSelector('body[data-ready="true"]');
  await mapIdle();
  const density = (await api('/api/indicators')).find((i) => i.id === 'density');
  await page.waitForSelector('#legend-title');
  assert.equal(await page.textContent('#legend-title'), density.label);
  assert.equal(await page.textContent('#legend-unit'), density.unit);
  assert.ok((await page.textContent('#legend-source')).includes(density.source));
  assert.ok((await page.textContent('#legend-vintage')).includes(density.vintage));
  const items = await page.$$eval('#legend li', (l) => l.map((x) => x.textContent));
  assert.equal(items.length, 6, '5 quantile classes and n/d');
  assert.match(items[5], /^n\/d/);
  // The map itself is drawn: the canvas is not one flat colour.
  const colours = await page.evaluate(() => {
    const c = window.echelle.map.getCanvas();
    const g = document.createElement('canvas');
    g.width = c.width;
    g.height = c.height;
    const x = g.getContext('2d');
    x.drawImage(c, 0, 0);
    const d = x.getImageData(0, 0, g.width, g.height).data;
    const seen = new Set();
    for (let i = 0; i < d.length; i += 4 * 97) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
    return seen.size;
  });
  assert.ok(colours > 5, `map drawn (${colours} colours)`);
  await shot('01-map-density');
});

test('switching indicator and class breaks changes the legend, not the geometry', async () => {
  const share = (await api('/api/indicators')).find((i) => i.id === 'share_65_plus');
  const tiles = [];
  page.on('request', (r) => r.url().includes('/tiles/') && tiles.push(r.url()));
  await page.selectOption('#indicator', 'share_65_plus');
  await page.waitForFunction((label) => document.querySelector('#legend-title')?.textContent === label, share.label);
  assert.equal(await page.textContent('#legend-unit'), '%');
  await page.selectOption('#method', 'jenks');
  await page.selectOption('#classes', '4');
  await page.waitForFunction(() => document.querySelectorAll('#legend li').length === 5);
  await page.selectOption('#method', 'manual');
  await page.fill('#manual', '15 ; 20 ; 25');
  await page.press('#manual', 'Enter');
  await page.locator('#manual').blur();
  await page.waitForFunction(() => document.querySelector('#legend li')?.textContent.includes('15'));
  const items = await page.$$eval('#legend li', (l) => l.map((x) => x.textContent));
  assert.equal(items.length, 5, '4 manual classes and n/d');
  assert.match(items[1], /^15,0 – 20,0/);
  // Counts in the legend add up to the communes mapped.
  const values = await api('/api/values?indicator=share_65_plus&layer=com&within=reg:32');
  const total = items.map((t) => Number(t.match(/\((\d+) communes?\)/)[1])).reduce((a, b) => a + b, 0);
  assert.equal(total, values.values.length);
  await mapIdle();
  assert.deepEqual(tiles, [], 'no tile downloaded again');
  await shot('02-map-share-65-manual');
  await page.selectOption('#method', 'quantile');
});

test('clicking a commune opens its portrait with a permanent link', async () => {
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [2.6405, 50.5303], zoom: 12 }));
  await mapIdle();
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('#portrait-title');
  assert.match(await page.textContent('#portrait-title'), /Béthune/);
  assert.equal(new URL(page.url()).hash, '#/portrait/com:62119');
  const p = await api('/api/portrait/com:62119');
  const pop = p.indicators.find((i) => i.id === 'population');
  const cells = await page.$$eval('#portrait-table tr[data-indicator="population"] td.num', (c) => c.map((x) => x.textContent));
  assert.deepEqual(cells, pop.values.map((v) => fr(v, pop.decimals)));
  const headers = await page.$$eval('#portrait-table thead th.num', (c) => c.map((x) => x.textContent));
  assert.deepEqual(headers, p.columns.map((c) => c.name));
  await shot('03-portrait-bethune');
  // The permanent link opens the same portrait in a fresh page.
  const link = await page.getAttribute('#permalink', 'href');
  const other = await page.context().newPage();
  await other.goto(link);
  await other.waitForSelector('#portrait-title');
  assert.match(await other.textContent('#portrait-title'), /Béthune/);
  await other.close();
});

test('exports the portrait table as CSV for spreadsheets and plain', async () => {
  const [sheet] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv-sheet')]);
  const text = readFileSync(await sheet.path(), 'utf8');
  assert.equal(text.charCodeAt(0), 0xfeff, 'UTF-8 BOM');
  const lines = text.slice(1).trim().split('\r\n');
  assert.match(lines[0], /^indicateur;unité;Béthune \(com:62119\);/);
  const p = await api('/api/portrait/com:62119');
  const pop = p.indicators.find((i) => i.id === 'population');
  assert.ok(lines.some((l) => l.startsWith(`${pop.label};${pop.unit};${pop.values[0]};`)), lines.join('\n'));
  const [plain] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const ptext = readFileSync(await plain.path(), 'utf8');
  assert.notEqual(ptext.charCodeAt(0), 0xfeff);
  assert.match(ptext.split('\r\n')[0], /^indicateur,unité,Béthune \(com:62119\),/);
});

test('exports the map as PNG with legend and source line', async () => {
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const bytes = readFileSync(await png.path());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.ok(bytes.length > 20_000, `${bytes.length} bytes`);
  assert.match(png.suggestedFilename(), /^carte-share_65_plus\.png$/);
});

test('compares two EPCI side by side', async () => {
  await page.goto(`${base}/#/comparer`);
  await page.waitForSelector('#compare-search');
  for (const code of ['200093201', '246200364']) {
    await page.fill('#compare-search', code);
    await page.click(`#compare-results button[data-add="epci:${code}"]`);
    await page.waitForSelector(`#compare-chips button[data-remove="epci:${code}"]`);
  }
  await page.click('#compare-run');
  await page.waitForSelector('#compare-table');
  const c = await api('/api/compare?territories=epci:200093201,epci:246200364');
  const headers = await page.$$eval('#compare-table thead th.num', (h) => h.map((x) => x.textContent));
  assert.deepEqual(headers, c.columns.map((x) => x.name));
  const pop = c.indicators.find((i) => i.id === 'population');
  const cells = await page.$$eval('#compare-table tr[data-indicator="population"] td.num', (h) => h.map((x) => x.textContent));
  assert.deepEqual(cells, pop.values.map((v) => fr(v, pop.decimals)));
  await shot('04-compare-epci');
  await page.selectOption('#compare-perimeter', 'per:aml');
  await page.waitForFunction(() => document.querySelectorAll('#compare-table thead th.num').length === 2);
  assert.match(await page.textContent('#compare-table thead'), /Hauts-de-France hors/);
});

test('draws and saves a perimeter, usable at once', async () => {
  await page.goto(`${base}/#/perimetre`);
  await page.waitForSelector('#perimeter-territory');
  await mapIdle();
  const lens = await api('/api/territory/epci:246200364/members');
  await page.fill('#perimeter-territory', 'epci:246200364');
  await page.click('#perimeter-add button');
  await page.waitForFunction((n) => document.querySelector('#perimeter-count').textContent.startsWith(`${n} `), lens.length);
  // Béthune, clicked on the map, is added to the selection.
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [2.6405, 50.5303], zoom: 12 }));
  await mapIdle();
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForFunction((n) => document.querySelector('#perimeter-count').textContent.startsWith(`${n} `), lens.length + 1);
  await page.fill('#perimeter-name', 'Essai Lens et Béthune');
  assert.equal(await page.inputValue('#perimeter-id'), 'essai-lens-et-bethune');
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [2.75, 50.45], zoom: 9.5 }));
  await mapIdle();
  await shot('05-perimeter-editor');
  await page.click('#perimeter-save');
  await page.waitForSelector('#perimeter-portrait');
  assert.match(await page.textContent('#perimeter-status'), new RegExp(`per:essai-lens-et-bethune enregistré : ${lens.length + 1} communes`));
  const t = await api('/api/territory/per:essai-lens-et-bethune');
  assert.equal(t.communes, lens.length + 1);
  assert.ok(await page.$('#within option[value="per:essai-lens-et-bethune"]'), 'offered on the map');
  await page.click('#perimeter-portrait');
  await page.waitForSelector('#portrait-title');
  assert.match(await page.textContent('#portrait-title'), /Essai Lens et Béthune/);
  const p = await api('/api/portrait/per:essai-lens-et-bethune');
  const pop = p.indicators.find((i) => i.id === 'population');
  const first = await page.textContent('#portrait-table tr[data-indicator="population"] td.num');
  assert.equal(first, fr(pop.values[0], pop.decimals));
  await shot('06-perimeter-portrait');
});
