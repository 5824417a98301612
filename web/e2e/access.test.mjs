// End-to-end: the « Accès aux services » view on a copy of the test store, the server
// started with the real France services file of 2021 (ANCT) as facility set
// (`serve --facilities france-services=…`) and a small SYNTHETIC street grid around
// Lens imported as road network, driven in Debian's Chromium. What is on screen (legend
// in minutes, method label, minutes on the map, diagnostics table, messages) is checked
// against the JSON API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkView, importGridNetwork, openPage, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');
const shared = process.env.ECHELLE_SHARED ? resolve(process.env.ECHELLE_SHARED) : resolve(root, '..', 'shared');
const facilities = join(shared, 'data', 'france-services-2021.geojson');

let server;
let base;
let browser;
let page;
let tmp;
const NETWORK = 'grille-e2e';

const fr = (v, d) => new Intl.NumberFormat('fr-FR', { minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
const api = async (path) => {
  const r = await fetch(base + path);
  assert.equal(r.status, 200, path);
  return r.json();
};

before(async () => {
  assert.ok(existsSync(facilities), `no ${facilities}`);
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('access'));
  // 21 × 21 nodes every 0.01° (about 0.7 × 1.1 km) from 2.73° E, 50.33° N: a part of the
  // Pas-de-Calais, so that some communes of dep:62 snap to it and most do not.
  importGridNetwork(store, tmp, { name: NETWORK, lon0: 2.73, lat0: 50.33, n: 21, step: 0.01, kmh: 50 });
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
  // Every commune of the territory with a contour gets a time in straight line.
  const times = await api('/api/access/times?facilities=france-services&layer=com&within=dep:62&detour=1.3&speed=40');
  assert.equal(times.communes.filter((c) => c.minutes === null).length, 0);
  assert.equal(await page.textContent('#access-status'), `${times.communes.length} communes calculées`);
  await page.screenshot({ path: join(shots, 'access-dep62.png') });

  // Another speed: the label and the figures follow.
  await page.fill('#access-speed', '60');
  await page.dispatchEvent('#access-speed', 'change');
  await page.waitForFunction(() => document.querySelector('#access-table-method')?.textContent?.includes('60 km/h'));
  await page.waitForSelector('body[data-access="ready"]');
  const d60 = await api('/api/access/diagnose/dep:62?facilities=france-services&layer=epci&detour=1.3&speed=60');
  assert.equal(await row.locator('td.mean').textContent(), fr(d60.rows[0].mean_min, 1));
  assert.ok(d60.rows[0].mean_min < d.rows[0].mean_min);
  // The speed is in the address: the link reopens the same computation.
  assert.match(new URL(page.url()).hash, /vitesse=60/);
});

test('the access view passes axe-core, shows its own controls only and keeps its table inside its panel, at 1440 × 900 and 1024 × 768', async () => {
  await freshView();
  assert.ok(await page.isHidden('#legend'), 'the indicator legend is not shown over the access times');
  assert.equal(await page.$('#indicator'), null, 'no indicator form over the access view');
  // Every column of the diagnostics table is reachable: the table scrolls inside its container, within the panel.
  await checkView(page, { view: 'acces', shots });
  const last = await page.evaluate(() => {
    const wrap = document.querySelector('#access-table').closest('.tablewrap');
    wrap.scrollLeft = wrap.scrollWidth;
    const cell = document.querySelector('#access-table tbody tr td.left-out').getBoundingClientRect();
    const panel = document.querySelector('#panel').getBoundingClientRect();
    return { right: cell.right, panel: panel.right };
  });
  assert.ok(last.right <= last.panel + 1, JSON.stringify(last));
});

/** Back to the view's defaults (dep:62, straight line × 1,3 at 40 km/h), drawn. */
async function freshView() {
  await page.goto(`${base}/#/acces`);
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('body[data-access="ready"]', { timeout: 120_000 });
}

/** The commune minutes (and off-network flags) of the map's source, by key, once it holds
 *  `count` communes (and, if given, `offKey` is flagged off the network). */
async function mapValues(count, offKey = null) {
  await page.waitForFunction(
    ([n, k]) => {
      const fs = window.echelle.map.querySourceFeatures('access-communes');
      return new Set(fs.map((f) => f.properties.key)).size === n && (!k || fs.some((f) => f.properties.key === k && f.properties.off === true));
    },
    [count, offKey],
    { timeout: 60_000 },
  );
  return page.evaluate(() => {
    const seen = {};
    for (const f of window.echelle.map.querySourceFeatures('access-communes')) seen[f.properties.key] = [f.properties.minutes ?? null, f.properties.off];
    return seen;
  });
}

/** Changes a control of the view and waits for the drawing it asks. */
async function change(selector, value) {
  await page.evaluate(() => (document.body.dataset.access = 'stale'));
  await page.selectOption(selector, value);
  await page.waitForFunction(() => ['ready', 'empty', 'error'].includes(document.body.dataset.access), null, { timeout: 120_000 });
}

test('on the stored SYNTHETIC road network the map and the table are the API\'s, communes off the network shown apart', async () => {
  await freshView();
  const sets = await api('/api/access/facilities');
  assert.deepEqual(sets.networks.map((n) => [n.name, n.synthetic]), [[NETWORK, true]]);
  const option = await page.textContent(`#access-network option[value="${NETWORK}"]`);
  assert.match(option, /RÉSEAU ROUTIER « grille-e2e » — SYNTHÉTIQUE/);

  await change('#access-network', NETWORK);
  assert.equal(await page.getAttribute('body', 'data-access'), 'ready');
  for (const id of ['#access-map-method', '#access-table-method']) {
    const label = await page.textContent(id);
    assert.match(label, /RÉSEAU ROUTIER « grille-e2e » — SYNTHÉTIQUE/, id);
    assert.doesNotMatch(label, /VOL D'OISEAU/, id);
  }
  assert.ok(await page.isDisabled('#access-speed'));
  assert.match(await page.textContent('#access-source'), /road network 'grille-e2e' \(as given profile, SYNTHETIC network\)/);

  // The minutes of every commune on the map are the API's; the communes beyond the snap
  // distance carry no time and are flagged off the network.
  const times = await api(`/api/access/times?facilities=france-services&layer=com&within=dep:62&network=${NETWORK}`);
  assert.equal(times.method_detail.kind, 'road');
  assert.equal(times.method_detail.synthetic, true);
  const want = new Map(times.communes.map((c) => [`com:${c.code}`, c]));
  const off = times.communes.filter((c) => c.excluded !== null);
  const timed = times.communes.filter((c) => c.minutes !== null);
  assert.ok(off.length > 100 && timed.length > 10, `${off.length} off the network, ${timed.length} timed`);
  const onMap = await mapValues(times.communes.length, `com:${off[0].code}`);
  assert.equal(Object.keys(onMap).length, times.communes.length);
  for (const [key, [minutes, isOff]] of Object.entries(onMap)) {
    const c = want.get(key);
    assert.ok(c, key);
    assert.equal(minutes, c.minutes, key);
    assert.equal(isOff, c.excluded !== null, key);
  }
  const snap = fr(times.method_detail.max_snap_m, 0);
  assert.ok((await page.textContent('#access-legend .off-network')).includes(`à plus de ${snap} m du réseau routier`));
  const status = await page.textContent('#access-status');
  assert.ok(status.includes(`${timed.length} communes calculées`), status);
  assert.ok(status.includes(`${off.length} à plus de ${snap} m du réseau routier`), status);

  // The diagnostics table is the API's on the same network, the off-network communes counted as left out.
  const d = await api(`/api/access/diagnose/dep:62?facilities=france-services&layer=epci&thresholds=7,20&network=${NETWORK}`);
  assert.equal(d.rows[0].communes, times.communes.length - off.length);
  assert.equal(d.rows[0].communes_left_out, off.length + times.communes_left_out);
  assert.equal(await page.locator('#access-table tbody tr').count(), d.rows.length);
  for (const r of d.rows) {
    const row = page.locator(`#access-table tr[data-key="${r.territory}"]`);
    assert.equal(await row.locator('td.mean').textContent(), r.mean_min === null ? 'n/d' : fr(r.mean_min, 1), r.territory);
    assert.equal(await row.locator('td.left-out').textContent(), String(r.communes_left_out), r.territory);
  }
  await page.screenshot({ path: join(shots, 'access-network.png') });

  // Back to the straight line: the label follows.
  await change('#access-network', '');
  assert.match(await page.textContent('#access-table-method'), /À VOL D'OISEAU × 1,3 à 40 km\/h/);
  assert.ok(!(await page.isDisabled('#access-speed')));
});

test('any territory: another département, a saved perimeter, an EPCI found by search; no contour gives a message', async () => {
  await freshView();
  // Every département of the referential is offered, with the saved perimeters.
  const deps = await api('/api/territories?layer=dep');
  const pers = await api('/api/territories?layer=per');
  const offered = await page.$$eval('#access-within option', (os) => os.map((o) => o.value));
  assert.deepEqual(offered, [...deps, ...pers].map((x) => x.key));
  assert.equal(await page.inputValue('#access-within'), 'dep:62');

  const check = async (key) => {
    const d = await api(`/api/access/diagnose/${key}?facilities=france-services&layer=epci&thresholds=7,20&detour=1.3&speed=40`);
    assert.equal(await page.locator('#access-table tbody tr').count(), d.rows.length, key);
    const row = page.locator(`#access-table tr[data-key="${key}"]`);
    assert.equal(await row.locator('td.mean').textContent(), fr(d.rows[0].mean_min, 1), key);
    assert.equal(await row.locator('td.median').textContent(), fr(d.rows[0].median_min, 1), key);
    const times = await api(`/api/access/times?facilities=france-services&layer=com&within=${key}&detour=1.3&speed=40`);
    const onMap = await mapValues(times.communes.length);
    for (const c of times.communes) assert.equal(onMap[`com:${c.code}`]?.[0], c.minutes, c.code);
  };

  // The Somme.
  await change('#access-within', 'dep:80');
  assert.equal(await page.getAttribute('body', 'data-access'), 'ready');
  await check('dep:80');

  // A saved perimeter.
  await change('#access-within', pers[0].key);
  assert.equal(await page.getAttribute('body', 'data-access'), 'ready');
  await check(pers[0].key);

  // An EPCI, through the search box.
  const [found] = await api(`/api/search?q=${encodeURIComponent("CU d'Arras")}&limit=8`);
  assert.equal(found.layer, 'epci');
  await page.fill('#access-search', "CU d'Arras");
  await page.evaluate(() => (document.body.dataset.access = 'stale'));
  await page.click(`#access-results button[data-add="${found.key}"]`);
  await page.waitForSelector('body[data-access="ready"]', { timeout: 120_000 });
  assert.equal(await page.inputValue('#access-within'), found.key);
  await check(found.key);

  // The Finistère, far from the first contours: every commune has a time.
  await change('#access-within', 'dep:29');
  assert.equal(await page.getAttribute('body', 'data-access'), 'ready');
  await check('dep:29');

  // Saint-Pierre-et-Miquelon: no commune contour (an overseas collectivity); the screen says so instead of an empty map.
  const times = await api('/api/access/times?facilities=france-services&layer=com&within=dep:975&detour=1.3&speed=40');
  assert.equal(times.communes.length, 0);
  await change('#access-within', 'dep:975');
  assert.equal(await page.getAttribute('body', 'data-access'), 'empty');
  const message = await page.textContent('#access-status');
  assert.equal(times.communes_left_out, 2);
  assert.ok(message.includes('Saint-Pierre-et-Miquelon : aucune de ses 2 communes n’a de contour dans ce paquet'), message);
  assert.match(message, /collectivités d’outre-mer/);
  assert.equal(await page.textContent('#access-map-empty'), message);
  await page.screenshot({ path: join(shots, 'access-dep975.png') });

  // Nouvelle-Calédonie: many communes, none with a contour.
  const t13 = await api('/api/access/times?facilities=france-services&layer=com&within=dep:988&detour=1.3&speed=40');
  assert.ok(t13.communes.length === 0 && t13.communes_left_out > 1);
  await change('#access-within', 'dep:988');
  assert.equal(await page.getAttribute('body', 'data-access'), 'empty');
  assert.ok((await page.textContent('#access-status')).includes(`aucune de ses ${t13.communes_left_out} communes n’a de contour`));
  assert.equal(await page.locator('#access-table tr[data-key="dep:988"] td.population').textContent(), '0');
});
