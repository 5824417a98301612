// End-to-end: the « Tiers-lieux » view on a copy of the test store with the CGET 2019
// third places served as the `tiers-lieux` point set. The page shows the API's answer
// (sites, demand served, optimum, bound, gap, distance kind), the existing third places
// alone against existing + new, the coverage curve point by point, and an impossible
// request gets the library's French message (HTTP 400).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');
const shared = process.env.ECHELLE_SHARED ?? [resolve(root, '..', 'shared'), resolve(root, '..', '..', 'shared')].find((d) => existsSync(d)) ?? resolve(root, '..', 'shared');
const thirdPlaces = join(shared, 'data', 'tiers-lieux-cget-2019.csv');

let server;
let base;
let browser;
let page;
let tmp;

before(async () => {
  assert.ok(existsSync(thirdPlaces), `no ${thirdPlaces} (set ECHELLE_SHARED)`);
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('siting'));
  ({ server, base } = await startServer(store, ['--facilities', `tiers-lieux=${thirdPlaces}`]));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const request = { within: ['per:mel'], model: 'mclp', p: 0, distance_km: 5, demand: 'population', candidates: 'communes', existing: true, detour: 1.3 };

test('the page shows the API answer: sites, demand served, optimum, gap, existing alone vs existing + new', async () => {
  // How many third places are already open in the MEL: the API says it when p is below.
  const post = (body) => fetch(`${base}/api/siting/study`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const probe = await post({ ...request, p: 1 });
  assert.equal(probe.status, 400);
  const open = Number((await probe.json()).error.match(/mais (\d+) sont déjà ouverts/)[1]);
  assert.ok(open > 0, 'the MEL has existing third places');
  const tooMany = await post({ ...request, p: 10_000 });
  assert.equal(tooMany.status, 400);
  assert.match((await tooMany.json()).error, /sites demandés pour \d+ candidats/);

  const p = open + 5;
  const r = await post({ ...request, p });
  assert.equal(r.status, 200);
  const a = await r.json();
  assert.equal(a.existing, open);
  assert.equal(a.study.sites.length, p);
  assert.equal(a.study.sites.filter((s) => s.existing).length, open);
  assert.match(a.study.distance_kind, /1,3/);
  assert.ok(a.study.existing_alone.covered <= a.study.covered);
  const served = a.study.sites.reduce((x, s) => x + s.served, 0);
  assert.ok(Math.abs(served - a.study.covered) < 1e-6 * a.study.demand);

  await page.goto(`${base}/#/tiers-lieux?territoire=per:mel&modele=mclp&p=${p}&distance=5&demande=population&candidats=communes&existants=1`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('body[data-siting="ready"]');
  assert.equal(await page.locator('#siting-sites tbody tr').count(), p);
  assert.equal(await page.locator('#siting-sites tbody tr.existing').count(), open);
  const summary = await page.textContent('#siting-summary');
  assert.ok(summary.includes('Tiers-lieux existants seuls') && summary.includes('Existants et nouveaux'));
  const source = await page.textContent('#siting-source');
  for (const word of ['couverture maximale', `p = ${p}`, 'Écart', '× 1,3']) assert.ok(source.includes(word), `${word} in ${source}`);
  await page.screenshot({ path: join(shots, 'siting.png') });

  // The sites as a GIS layer: a GeoPackage whose every row states the study.
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#export-sites-gpkg')]);
  assert.match(d.suggestedFilename(), /^tiers-lieux-per-mel-p\d+\.gpkg$/);
  const file = join(tmp, d.suggestedFilename());
  await d.saveAs(file);
  const head = readFileSync(file).subarray(0, 16).toString('latin1');
  assert.equal(head, 'SQLite format 3\0');
  const geojson = await fetch(`${base}/api/siting/export?format=geojson`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...request, p }) });
  assert.equal(geojson.status, 200);
  const fc = await geojson.json();
  assert.equal(fc.features.length, p);
  assert.equal(fc.features.filter((f) => f.properties.existant === 'oui').length, open);
  assert.ok(fc.features.every((f) => f.properties.ecart === a.study.gap && f.properties.borne === a.study.bound));
  const shp = await fetch(`${base}/api/siting/export?format=shp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...request, p }) });
  assert.equal(shp.status, 400);
  assert.match((await shp.json()).error, /csv, xlsx, geojson ou gpkg/);
});

test('an impossible request shows the French message of the library', async () => {
  await page.goto(`${base}/#/tiers-lieux?territoire=per:mel&modele=mclp&p=1&distance=5&existants=1`);
  await page.waitForSelector('body[data-siting="error"]');
  assert.match(await page.textContent('#siting-status'), /Erreur : p = 1 sites demandés mais \d+ sont déjà ouverts/);
});

test('the coverage curve: one optimum per p from 1 to 30, progress shown', async () => {
  await page.goto(`${base}/#/tiers-lieux?territoire=per:mel&modele=mclp&p=3&distance=5&existants=0`);
  await page.waitForSelector('body[data-siting="ready"]');
  await page.click('#s-curve');
  await page.waitForSelector('body[data-curve="ready"]', { timeout: 300_000 });
  assert.equal(await page.getAttribute('#siting-curve', 'data-points'), '30');
  assert.match(await page.textContent('#siting-curve-status'), /30 optimums calculés/);
});
