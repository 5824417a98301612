// End-to-end: the « Accès aux services » view on a copy of the test store, the server
// started with the real France services file of 2021 (ANCT) as facility set
// (`serve --facilities france-services=…`), driven in Debian's Chromium. What is on
// screen (legend in minutes, method label, diagnostics table) is checked against the
// JSON API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, startServer } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');
const testStore = process.env.ECHELLE_TEST_STORE ?? join(root, '.cache', 'test-store');
const shared = process.env.ECHELLE_SHARED ? resolve(process.env.ECHELLE_SHARED) : resolve(root, '..', 'shared');
const facilities = join(shared, 'data', 'france-services-2021.geojson');

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

before(async () => {
  assert.ok(existsSync(facilities), `no ${facilities}`);
  mkdirSync(shots, { recursive: true });
  tmp = mkdtempSync(join(tmpdir(), 'echelle-e2e-access-'));
  const store = join(tmp, 'store');
  cpSync(testStore, store, { recursive: true, filter: (p) => !p.endsWith('-shm') && !p.endsWith('-wal') });
  ({ server, base } = await startServer(store, ['--facilities', `france-services=${facilities}`]));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the access view maps minutes per commune, states the method and tabulates the diagnostics as the API', async () => {
  await page.goto(`${base}/#/acces`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('body[data-access="ready"]', { timeout: 120_000 });

  // The legend in minutes and the method, on the map and above the table.
  const legend = await page.textContent('#access-legend');
  assert.match(legend, /0 – 5 min/);
  assert.match(legend, /> 30 min/);
  const label = "À VOL D'OISEAU × 1,3 à 40 km/h";
  assert.ok((await page.textContent('#access-map-method')).includes(label), await page.textContent('#access-map-method'));
  assert.ok((await page.textContent('#access-table-method')).includes(label));
  assert.match(await page.textContent('#access-source'), /france-services-2021\.geojson, millésime 2021/);

  // The facilities and the communes are on the map.
  await page.waitForFunction(() => window.echelle.map.queryRenderedFeatures({ layers: ['access-fill'] }).length > 0);
  const fills = await page.evaluate(() => window.echelle.map.queryRenderedFeatures({ layers: ['access-fill'] }).length);
  assert.ok(fills > 0);

  // The diagnostics of Pas-de-Calais (first row) equal the API's.
  const d = await api('/api/access/diagnose/dep:62?facilities=france-services&layer=epci&thresholds=7,20&detour=1.3&speed=40');
  const row = page.locator('#access-table tr[data-key="dep:62"]');
  assert.equal(await row.locator('td.mean').textContent(), fr(d.rows[0].mean_min, 1));
  assert.equal(await row.locator('td.median').textContent(), fr(d.rows[0].median_min, 1));
  const beyond = await row.locator('td.beyond').allTextContents();
  assert.deepEqual(beyond, d.rows[0].beyond.map((b) => `${fr(b.share * 100, 1)} %`));
  assert.equal(await page.locator('#access-table tbody tr').count(), d.rows.length);
  await page.screenshot({ path: join(shots, 'access-dep62.png') });

  // Another speed: the label and the figures follow.
  await page.fill('#access-speed', '60');
  await page.dispatchEvent('#access-speed', 'change');
  await page.waitForFunction(() => document.querySelector('#access-table-method')?.textContent?.includes('60 km/h'));
  await page.waitForSelector('body[data-access="ready"]');
  const d60 = await api('/api/access/diagnose/dep:62?facilities=france-services&layer=epci&detour=1.3&speed=60');
  assert.equal(await row.locator('td.mean').textContent(), fr(d60.rows[0].mean_min, 1));
  assert.ok(d60.rows[0].mean_min < d.rows[0].mean_min);
});
