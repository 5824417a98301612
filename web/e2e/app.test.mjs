// End-to-end: the built web application served by `echelle serve --web web/dist` on an
// ephemeral loopback port, over a copy of the test store, driven in Debian's Chromium.
// Every assertion reads what is on screen and checks it against the JSON API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ckmeans } from 'simple-statistics';
import { checkView, openPage, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(web, '..');
// Screenshots and a copy of some downloaded files, kept as CI artefacts (ECHELLE_E2E_ARTEFACTS to put them elsewhere).
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');

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
const shot = (name, p = page) => p.screenshot({ path: join(shots, `${name}.png`) });
/** Clicks what starts a download; the file's suggested name and bytes (a copy is kept with the screenshots). */
const downloaded = async (selector, keep) => {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  const bytes = readFileSync(await d.path());
  if (keep) writeFileSync(join(shots, keep), bytes);
  return { name: d.suggestedFilename(), bytes, text: () => bytes.toString('utf8') };
};
/** The fields of one CSV line (RFC 4180 quoting, no line breaks inside fields). */
const csvFields = (line, sep) => {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === sep) out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
};
/** Parses an SVG document in the page; its root name, the parser's error if any, and its texts. */
const parseSvg = (text) =>
  page.evaluate((t) => {
    const doc = new DOMParser().parseFromString(t, 'image/svg+xml');
    const error = doc.querySelector('parsererror');
    return {
      root: doc.documentElement.localName,
      error: error ? error.textContent : null,
      texts: [...doc.querySelectorAll('text')].map((x) => x.textContent),
      paths: doc.querySelectorAll('#shapes path').length,
      titles: [...doc.querySelectorAll('#shapes path title')].map((x) => x.textContent),
    };
  }, text);
const mapIdle = () =>
  page.waitForFunction(() => {
    const m = window.echelle?.map;
    return m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
  });

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('app'));
  ({ server, base } = await startServer(store));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the map opens on France by département; the overseas départements are a jump away', async () => {
  await page.goto(`${base}/#/carte`);
  await page.waitForSelector('body[data-ready="true"]');
  await mapIdle();
  assert.equal(await page.inputValue('#within'), 'fr');
  assert.equal(await page.inputValue('#layer'), 'dep');
  const deps = await api('/api/values?indicator=density&layer=dep&within=fr');
  await page.waitForFunction(() => window.echelle.state.shown === 'dep');
  const items = await page.$$eval('#legend li', (l) => l.map((x) => x.textContent));
  const total = items.map((t) => Number(t.match(/\((\d+) /)[1])).reduce((a, b) => a + b, 0);
  assert.equal(total, deps.values.length, items.join('\n'));
  assert.ok(deps.values.length >= 101 && deps.values.filter((v) => v.value !== null).length >= 90, 'densities of the départements');
  const [lng, lat] = await page.evaluate(() => [window.echelle.map.getCenter().lng, window.echelle.map.getCenter().lat]);
  assert.ok(Math.abs(lng - 2.2) < 3 && Math.abs(lat - 46.5) < 3, `centred on France (${lng}, ${lat})`);
  const drawn = await page.evaluate(() => new Set(window.echelle.map.queryRenderedFeatures({ layers: ['dep-fill'] }).map((f) => window.echelle.keyOf('dep', f))).size);
  assert.ok(drawn > 80, `${drawn} départements drawn`);
  await shot('00-map-france');
  // La Réunion, by the jump control: the map moves there and draws it.
  await page.click('#jump-dep-974');
  await page.waitForFunction(() => Math.abs(window.echelle.map.getCenter().lng - 55.5) < 1);
  await mapIdle();
  const reunion = await page.evaluate(() => window.echelle.map.queryRenderedFeatures({ layers: ['dep-fill'] }).map((f) => window.echelle.keyOf('dep', f)));
  assert.ok(reunion.includes('dep:974'), reunion.join(' '));
  await shot('00-map-reunion');
  await page.click('#jump-metropole');
  await mapIdle();
});

test('a région in the address opens on its communes', async () => {
  await page.goto(`${base}/#/carte?dans=reg:53`);
  await page.waitForFunction(() => window.echelle.state.shown === 'com' && document.querySelector('#within')?.value === 'reg:53');
  await mapIdle();
  const [lng, lat] = await page.evaluate(() => [window.echelle.map.getCenter().lng, window.echelle.map.getCenter().lat]);
  assert.ok(lng < -1 && lat > 47 && lat < 49.5, `centred on Bretagne (${lng}, ${lat})`);
});

for (const [query, key, name] of [
  ['Quimper', 'com:29232', 'Quimper'],
  ['Le Tampon', 'com:97422', 'Le Tampon'],
]) {
  test(`search "${query}" opens its portrait with a map and a density`, async () => {
    await page.fill('#search', query);
    await page.waitForSelector(`#search-results a[href="#/portrait/${key}"]`);
    await page.click(`#search-results a[href="#/portrait/${key}"]`);
    await page.waitForSelector('#portrait-title');
    assert.match(await page.textContent('#portrait-title'), new RegExp(name));
    const p = await api(`/api/portrait/${key}`);
    const density = p.indicators.find((i) => i.id === 'density');
    assert.ok(density.values[0] > 0, `${key} has a density`);
    const cell = await page.textContent('#portrait-table tr[data-indicator="density"] td.num');
    assert.equal(cell, fr(density.values[0], density.decimals));
    // The map frames the commune, outlined.
    await mapIdle();
    const outlined = await page.evaluate((k) => {
      const m = window.echelle.map;
      return m.queryRenderedFeatures({ layers: ['com-sel-line'] }).some((f) => window.echelle.keyOf('com', f) === k);
    }, key);
    assert.ok(outlined, `${key} drawn and outlined on the map`);
    await shot(`00-portrait-${key.replace(':', '-')}`);
  });
}

test('the map shows an indicator with its legend, unit, source, vintage and n/d', async () => {
  await page.goto(`${base}/#/carte?dans=reg:32`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(() => window.echelle.state.shown === 'com' && document.querySelector('#within')?.value === 'reg:32');
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
  // Jenks breaks are exact on every value (Ckmeans.1d.dp, not a sample): each class starts at the
  // first value of its optimal cluster, as simple-statistics computes it here from the API's values.
  const all = (await api('/api/values?indicator=share_65_plus&layer=com&within=reg:32')).values.map((v) => v.value).filter((v) => v !== null);
  assert.ok(all.length > 2000, `${all.length} values, more than the old sample`);
  const starts = ckmeans([...all].sort((a, b) => a - b), 4).slice(1).map((c) => c[0]);
  const jenks = await page.$$eval('#legend li', (l) => l.map((x) => x.textContent));
  for (let i = 0; i < 3; i++) assert.ok(jenks[i + 1].startsWith(`${fr(starts[i], share.decimals)} – `), `${jenks[i + 1]} starts at ${starts[i]}`);
  // The histogram of the values names the same thresholds.
  const alt = await page.getAttribute('#values-histogram svg', 'aria-label');
  assert.ok(alt.includes(starts.map((x) => fr(x, share.decimals)).join(' ; ')), alt);
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

test('the hover label follows the pointer, names the commune with its value, and goes on leave', async () => {
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [2.6405, 50.5303], zoom: 11 }));
  await mapIdle();
  const values = await api('/api/values?indicator=share_65_plus&layer=com&within=reg:32');
  const byKey = new Map(values.values.map((v) => [v.key, v]));
  const box = await page.locator('#map canvas').boundingBox();
  const seen = new Set();
  for (const [dx, dy] of [[0, 0], [130, 90], [-180, -120]]) {
    const x = box.width / 2 + dx;
    const y = box.height / 2 + dy;
    await page.mouse.move(box.x + x, box.y + y, { steps: 4 });
    const key = await page.evaluate(([x, y]) => window.echelle.keyOf('com', window.echelle.map.queryRenderedFeatures([x, y], { layers: ['com-fill'] })[0] ?? {}), [x, y]);
    assert.ok(key, `a commune under (${x}, ${y})`);
    const row = byKey.get(key);
    const expected = `${row.name} — ${row.value === null ? 'n/d' : `${fr(row.value, values.indicator.decimals)} %`}`;
    await page.waitForFunction((t) => document.querySelector('#hover').textContent === t && !document.querySelector('#hover').hidden, expected);
    const label = await page.locator('#hover').boundingBox();
    // Next to the pointer (right-below, or left/above near the edges), not parked in a corner.
    assert.ok(Math.abs(label.x - (box.x + x)) < label.width + 30 && Math.abs(label.y - (box.y + y)) < label.height + 30, JSON.stringify({ label, x, y }));
    seen.add(key);
  }
  assert.equal(seen.size, 3, 'three different communes');
  await shot('07-hover-label');
  // Leaving the map hides the label.
  await page.mouse.move(5, 5);
  await page.waitForFunction(() => document.querySelector('#hover').hidden);
});

test('switching layer draws EPCI shapes from their own tiles, with EPCI in the legend', async () => {
  const ids = await api('/api/feature-ids?layer=epci');
  const values = await api('/api/values?indicator=share_65_plus&layer=epci&within=reg:32');
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [2.75, 50.2], zoom: 7.5 }));
  await page.selectOption('#layer', 'epci');
  await page.waitForFunction(() => window.echelle.state.shown === 'epci' && document.querySelector('#legend li')?.textContent.includes('EPCI'));
  await mapIdle();
  const items = await page.$$eval('#legend li', (l) => l.map((x) => x.textContent));
  const total = items.map((t) => Number(t.match(/\((\d+) EPCI\)/)[1])).reduce((a, b) => a + b, 0);
  assert.equal(total, values.values.length, items.join('\n'));
  // What is drawn are EPCI polygons (keys epci:…, ids from /api/feature-ids?layer=epci), and no commune layer.
  const drawn = await page.evaluate(() => {
    const m = window.echelle.map;
    const f = m.queryRenderedFeatures({ layers: ['epci-fill'] });
    return { keys: [...new Set(f.map((x) => window.echelle.keyOf('epci', x)))], ids: f.map((x) => [window.echelle.keyOf('epci', x), x.id]), com: m.getLayoutProperty('com-fill', 'visibility') };
  });
  assert.equal(drawn.com, 'none');
  assert.ok(drawn.keys.length > 10, `${drawn.keys.length} EPCI drawn`);
  assert.ok(drawn.keys.every((k) => k.startsWith('epci:')));
  for (const [k, id] of drawn.ids) assert.equal(ids.ids[k], id, k);
  // The values table lists EPCI.
  await page.waitForFunction(() => document.querySelector('#map-values a')?.getAttribute('href').startsWith('#/portrait/epci:'));
  await shot('08-map-epci');
  // The SVG export draws the EPCI shapes too.
  const svg = await parseSvg((await downloaded('#export-svg', 'map-epci.svg')).text());
  assert.equal(svg.error, null);
  const names = new Set(values.values.filter((v) => drawn.keys.includes(v.key)).map((v) => v.name));
  assert.ok(svg.titles.length >= names.size * 0.8, `${svg.titles.length} shapes for ${names.size} EPCI drawn`);
  assert.ok(svg.titles.every((n) => values.values.some((v) => v.name === n)), 'only EPCI');
  // A click on an EPCI opens its portrait.
  const point = await page.evaluate(() => {
    const m = window.echelle.map;
    const c = m.project([3.06, 50.63]);
    return [c.x, c.y, window.echelle.keyOf('epci', m.queryRenderedFeatures([c.x, c.y], { layers: ['epci-fill'] })[0] ?? {})];
  });
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + point[0], box.y + point[1]);
  await page.waitForSelector('#portrait-title');
  assert.equal(new URL(page.url()).hash, `#/portrait/${point[2]}`);
  assert.match(await page.textContent('#portrait-title'), /EPCI/);
  await page.evaluate(() => (location.hash = '#/carte'));
  await page.selectOption('#layer', 'com');
  await page.waitForFunction(() => window.echelle.state.shown === 'com' && document.querySelector('#legend li')?.textContent.includes('commune'));
  await mapIdle();
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
  // Both end with the source line.
  assert.match(csvFields(lines[lines.length - 1], ';')[0], /^Source : /);
  assert.match(csvFields(ptext.trim().split('\r\n').pop(), ',')[0], /^Source : /);
});

test('exports the values table as CSV, XLSX and Parquet', async () => {
  await page.evaluate(() => (location.hash = '#/carte'));
  await page.waitForSelector('#map-values');
  const values = await api('/api/values?indicator=share_65_plus&layer=com&within=reg:32');
  const sheet = await downloaded('#export-csv-sheet');
  const text = sheet.text();
  assert.equal(text.charCodeAt(0), 0xfeff, 'UTF-8 BOM');
  const lines = text.slice(1).trim().split('\r\n');
  assert.equal(lines[0], 'code;territoire;valeur (%);unité;source;millésime;synthétique');
  assert.equal(lines.length, values.values.length + 2, 'header, one line per commune, source line');
  const first = values.values.filter((v) => v.value !== null).sort((a, b) => b.value - a.value)[0];
  assert.deepEqual(csvFields(lines[1], ';').slice(0, 4), [first.key, first.name, String(first.value).replace('.', ','), '%'], lines[1]);
  assert.deepEqual(csvFields(lines[lines.length - 1], ';'), [`Source : ${values.indicator.source} (millésime ${values.indicator.vintage})`]);
  const xlsx = await downloaded('#export-xlsx');
  assert.equal(xlsx.bytes.subarray(0, 2).toString('latin1'), 'PK', 'XLSX is a zip');
  assert.match(xlsx.name, /\.xlsx$/);
  assert.ok(xlsx.bytes.includes(Buffer.from('xl/worksheets/')), 'has a worksheet');
  const parquet = await downloaded('#export-parquet');
  assert.equal(parquet.bytes.subarray(0, 4).toString('latin1'), 'PAR1');
  assert.equal(parquet.bytes.subarray(-4).toString('latin1'), 'PAR1');
  assert.match(parquet.name, /\.parquet$/);
  assert.ok(await page.isHidden('#export-status'), 'no export error shown');
});

test('exports the layer with its values as GeoJSON and GeoPackage', async () => {
  const values = await api('/api/values?indicator=share_65_plus&layer=com&within=reg:32');
  const href = await page.getAttribute('#export-geojson', 'href');
  assert.match(href, /layer=com&within=reg%3A32&indicators=share_65_plus&format=geojson/);
  const gj = JSON.parse((await downloaded('#export-geojson')).text());
  assert.equal(gj.type, 'FeatureCollection');
  const withShapes = await api('/api/feature-ids?layer=com');
  assert.equal(gj.features.length, values.values.filter((v) => v.key in withShapes.ids).length);
  const one = gj.features.find((f) => f.properties.code === '62119');
  assert.equal(one.properties.name, 'Béthune');
  assert.equal(one.properties.share_65_plus, values.values.find((v) => v.key === 'com:62119').value);
  const gpkg = await downloaded('#export-gpkg', 'layer.gpkg');
  assert.equal(gpkg.bytes.subarray(0, 16).toString('latin1'), 'SQLite format 3\0', 'GeoPackage is SQLite');
  assert.match(gpkg.name, /\.gpkg$/);
  // GDAL reads it: as many features as the GeoJSON, the indicator as a field, WGS 84 (CI installs gdal-bin).
  const info = spawnSync('ogrinfo', ['-so', '-al', join(shots, 'layer.gpkg')], { encoding: 'utf8' });
  assert.equal(info.status, 0, info.stderr || String(info.error));
  assert.match(info.stdout, new RegExp(`Feature Count: ${gj.features.length}\\b`));
  assert.match(info.stdout, /share_65_plus: Real/);
  assert.match(info.stdout, /WGS 84/);
});

test('exports the map as PNG with legend and source line', async () => {
  const [png] = await Promise.all([page.waitForEvent('download'), page.click('#export-png')]);
  const bytes = readFileSync(await png.path());
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  assert.ok(bytes.length > 20_000, `${bytes.length} bytes`);
  assert.match(png.suggestedFilename(), /^carte-share_65_plus\.png$/);
});

test('exports the map as SVG with its shapes, legend and source line', async () => {
  const legend = await page.$$eval('#legend li', (l) => l.map((x) => x.textContent));
  const svg = await downloaded('#export-svg', 'map.svg');
  assert.match(svg.name, /^carte-share_65_plus-com\.svg$/);
  const doc = await parseSvg(svg.text());
  assert.equal(doc.error, null, 'well-formed SVG');
  assert.equal(doc.root, 'svg');
  for (const label of legend) assert.ok(doc.texts.includes(label), `legend entry ${label}`);
  const ind = (await api('/api/indicators')).find((i) => i.id === 'share_65_plus');
  assert.ok(doc.texts.includes(`${ind.label} (${ind.unit})`), 'title with unit');
  assert.ok(doc.texts.some((x) => x.startsWith('Source : ') && x.includes(ind.source) && x.includes(ind.vintage)), doc.texts.join('\n'));
  // The communes in view: Béthune (the map is on it) and its neighbours, no more than the visible ones.
  assert.ok(doc.titles.includes('Béthune'));
  const visible = await page.evaluate(() => new Set(window.echelle.map.queryRenderedFeatures({ layers: ['com-fill'] }).map((f) => window.echelle.keyOf('com', f))).size);
  assert.ok(doc.paths >= visible * 0.8 && doc.paths < 400, `${doc.paths} paths, ${visible} communes rendered`);
});

test('the portrait prints without map or controls, its table whole, and exports as PDF', async () => {
  await page.goto(`${base}/#/portrait/epci:200093201`);
  await page.waitForSelector('#portrait-table');
  await page.emulateMedia({ media: 'print' });
  for (const hidden of ['#mapwrap', 'header', '#table-exports', '#against-form', '#portrait-print'])
    assert.equal(await page.$eval(hidden, (e) => getComputedStyle(e).display), 'none', hidden);
  const fit = await page.evaluate(() => {
    const t = document.querySelector('#portrait-table');
    return { table: t.getBoundingClientRect().right, page: document.documentElement.clientWidth, rows: t.querySelectorAll('tr[data-indicator]').length };
  });
  assert.ok(fit.table <= fit.page, JSON.stringify(fit));
  await shot('09-portrait-print');
  const pdf = await page.pdf({ format: 'A4', printBackground: true });
  writeFileSync(join(shots, 'portrait-print.pdf'), pdf);
  assert.equal(pdf.subarray(0, 4).toString('latin1'), '%PDF');
  await page.emulateMedia({ media: 'screen' });
  assert.equal(await page.$eval('#mapwrap', (e) => getComputedStyle(e).display), 'block');
  // The server's PDF of the same portrait.
  const p = await api('/api/portrait/epci:200093201');
  assert.equal(await page.getAttribute('#portrait-pdf', 'href'), '/api/portrait/epci%3A200093201/pdf');
  const file = await downloaded('#portrait-pdf', 'portrait.pdf');
  assert.equal(file.bytes.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.ok(file.bytes.subarray(-1024).toString('latin1').includes('%%EOF'));
  assert.ok(p.indicators.length > 0);
});

test('on a narrow screen the portrait table fits its panel', async () => {
  const narrow = await page.context().newPage();
  await narrow.setViewportSize({ width: 700, height: 900 });
  await narrow.goto(`${base}/#/portrait/epci:200093201`);
  await narrow.waitForSelector('#portrait-table');
  const fit = await narrow.evaluate(() => {
    const wrap = document.querySelector('.tablewrap');
    const right = wrap.getBoundingClientRect().right;
    const cells = [...document.querySelectorAll('#portrait-table td.num, #portrait-table th.num')];
    return {
      scroll: wrap.scrollWidth - wrap.clientWidth,
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      outside: cells.filter((c) => c.getBoundingClientRect().right > right + 0.5).map((c) => c.textContent),
      cells: cells.length,
    };
  });
  assert.ok(fit.cells > 10);
  assert.deepEqual(fit.outside, [], 'every value inside the panel');
  assert.equal(fit.scroll, 0, 'no horizontal scrolling in the table');
  assert.equal(fit.page, 0, 'no horizontal scrolling of the page');
  await shot('10-portrait-narrow', narrow);
  await narrow.close();
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
  // The comparison table exports like the others.
  const csv = (await downloaded('#export-csv-sheet')).text().slice(1).trim().split('\r\n');
  assert.deepEqual(csvFields(csv[0], ';').slice(2, 4), c.columns.map((x) => `${x.name} (${x.key})`));
  assert.deepEqual(csvFields(csv.find((l) => l.startsWith(`${pop.label};`)), ';').slice(2, 4), pop.values.map((v) => String(v).replace('.', ',')));
  const xlsx = await downloaded('#export-xlsx');
  assert.equal(xlsx.bytes.subarray(0, 2).toString('latin1'), 'PK');
  // One small map per EPCI, captioned with its name, moving together.
  await page.waitForFunction(() => document.querySelectorAll('#synced figure').length === 2);
  const captions = await page.$$eval('#synced figcaption strong', (c) => c.map((x) => x.textContent));
  assert.deepEqual(captions, c.columns.map((x) => x.name));
  const syncedIdle = () =>
    page.waitForFunction(() => window.echelle.synced?.maps.every((m) => m.loaded() && m.areTilesLoaded() && !m.isMoving()));
  await syncedIdle();
  await page.evaluate(() => window.echelle.synced.maps[0].jumpTo({ center: [2.9, 50.5], zoom: 9 }));
  const cams = () => page.evaluate(() => window.echelle.synced.maps.map((m) => [m.getCenter().lng, m.getCenter().lat, m.getZoom()]));
  let cam = await cams();
  assert.deepEqual(cam[1].map((x) => x.toFixed(6)), cam[0].map((x) => x.toFixed(6)));
  assert.equal(cam[1][2], 9);
  // Dragging the second map with the mouse moves the first one.
  const b = await page.locator('#synced-map-1 canvas').boundingBox();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2 - 120, b.y + b.height / 2 + 40, { steps: 8 });
  await page.mouse.up();
  await syncedIdle();
  cam = await cams();
  assert.ok(cam[0][0] > 2.9 + 0.05, `the first map followed east (${cam[0][0]})`);
  assert.deepEqual(cam[0].map((x) => x.toFixed(6)), cam[1].map((x) => x.toFixed(6)));
  // Each map outlines its own EPCI: its communes are "in", the other EPCI's are not.
  const members = await api('/api/territory/epci:200093201/members');
  const inside = await page.evaluate((key) => {
    const m = window.echelle.synced.maps;
    const id = window.echelle.state.ids.ids[key];
    return m.map((x) => x.getFeatureState({ source: 'com', sourceLayer: 'com', id }).in === true);
  }, members[0].key);
  assert.deepEqual(inside, [true, false]);
  // ...and draws the EPCI's own outline from the EPCI tiles.
  const outlined = (layer = 'epci') =>
    page.evaluate((l) => window.echelle.synced.maps.map((m) => [...new Set(m.queryRenderedFeatures({ layers: ['outline'] }).map((f) => window.echelle.keyOf(l, f)))]), layer);
  await page.evaluate(() => window.echelle.synced.maps[0].jumpTo({ center: [2.95, 50.55], zoom: 8.5 }));
  await syncedIdle();
  assert.deepEqual(await outlined(), [['epci:200093201'], ['epci:246200364']]);
  await shot('04-compare-epci');
  await page.selectOption('#compare-perimeter', 'per:aml');
  await page.waitForFunction(() => document.querySelectorAll('#compare-table thead th.num').length === 2);
  assert.match(await page.textContent('#compare-table thead'), /Hauts-de-France hors/);
  // Inside versus outside: both values in the table and on the two maps.
  const io = await api('/api/compare?territories=per:aml');
  await page.waitForFunction(() => document.querySelectorAll('#synced figure').length === 2 && document.querySelector('#synced figcaption strong')?.textContent.startsWith('Aire'));
  const ioCaptions = await page.$$eval('#synced figcaption strong', (c) => c.map((x) => x.textContent));
  assert.deepEqual(ioCaptions, io.columns.map((x) => x.name));
  const ioPop = io.indicators.find((i) => i.id === 'population');
  const ioCells = await page.$$eval('#compare-table tr[data-indicator="population"] td.num', (h) => h.map((x) => x.textContent));
  assert.deepEqual(ioCells, ioPop.values.map((v) => fr(v, ioPop.decimals)));
  await syncedIdle();
  assert.deepEqual(await outlined('per'), [['per:aml'], ['per:aml']], 'the perimeter outlined on both maps');
  await shot('11-inside-outside-aml');
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
  await page.click('#perimeter-portrait');
  await page.waitForSelector('#portrait-title');
  assert.match(await page.textContent('#portrait-title'), /Essai Lens et Béthune/);
  const p = await api('/api/portrait/per:essai-lens-et-bethune');
  const pop = p.indicators.find((i) => i.id === 'population');
  const first = await page.textContent('#portrait-table tr[data-indicator="population"] td.num');
  assert.equal(first, fr(pop.values[0], pop.decimals));
  await shot('06-perimeter-portrait');
  // Offered at once as a territory of the values map.
  await page.evaluate(() => (location.hash = '#/carte'));
  await page.waitForSelector('#within option[value="per:essai-lens-et-bethune"]', { state: 'attached' });
});

test('in the perimeter editor, a click on the EPCI layer selects all the communes of that EPCI', async () => {
  await api('/api/feature-ids?layer=epci');
  await page.evaluate(() => (location.hash = '#/perimetre'));
  await page.waitForSelector('#perimeter-count');
  await page.click('#perimeter-clear');
  await page.selectOption('#perimeter-layer', 'epci');
  await page.waitForFunction(() => window.echelle.state.shown === 'epci');
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [2.8, 50.43], zoom: 10 }));
  await mapIdle();
  const [x, y, key] = await page.evaluate(() => {
    const m = window.echelle.map;
    const c = m.project([2.8, 50.43]);
    return [c.x, c.y, window.echelle.keyOf('epci', m.queryRenderedFeatures([c.x, c.y], { layers: ['epci-fill'] })[0] ?? {})];
  });
  assert.match(key, /^epci:/);
  const members = await api(`/api/territory/${key}/members`);
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.click(box.x + x, box.y + y);
  await page.waitForFunction((n) => document.querySelector('#perimeter-count').textContent.startsWith(`${n} `), members.length);
  await mapIdle();
  await shot('12-perimeter-by-epci');
  // A second click takes them out again.
  await page.mouse.click(box.x + x, box.y + y);
  await page.waitForFunction(() => document.querySelector('#perimeter-count').textContent.startsWith('0 '));
  await page.selectOption('#perimeter-layer', 'com');
});

test('a perimeter saved while the perimeter layer is on the map is drawn there at once', async () => {
  await page.evaluate(() => (location.hash = '#/carte'));
  await page.selectOption('#layer', 'per');
  await page.waitForFunction(() => window.echelle.state.shown === 'per' && document.querySelector('#legend li')?.textContent.includes('périmètre'));
  assert.equal(await page.evaluate(() => 'per:essai-mel-bis' in window.echelle.state.idsBy.per.ids), false);
  await page.evaluate(() => (location.hash = '#/perimetre'));
  await page.waitForSelector('#perimeter-territory');
  await page.fill('#perimeter-territory', 'epci:200093201');
  await page.click('#perimeter-add button');
  await page.waitForFunction(() => /^[1-9]/.test(document.querySelector('#perimeter-count').textContent));
  await page.fill('#perimeter-name', 'Essai MEL bis');
  await page.click('#perimeter-save');
  await page.waitForSelector('#perimeter-portrait');
  await page.evaluate(() => (location.hash = '#/carte'));
  const values = await api('/api/values?indicator=share_65_plus&layer=per&within=reg:32');
  assert.ok(values.values.some((v) => v.key === 'per:essai-mel-bis'));
  await page.waitForFunction(
    (n) => [...document.querySelectorAll('#legend li')].map((l) => Number(l.textContent.match(/\((\d+) périmètres?\)/)?.[1] ?? 0)).reduce((a, b) => a + b, 0) === n,
    values.values.length,
  );
  // Over Lille, the new perimeter is among the shapes drawn, with its class colour.
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [3.06, 50.63], zoom: 10 }));
  await mapIdle();
  const drawn = await page.evaluate(() => {
    const m = window.echelle.map;
    return m.queryRenderedFeatures({ layers: ['per-fill'] }).map((f) => [window.echelle.keyOf('per', f), f.state.color]);
  });
  const mine = drawn.find(([k]) => k === 'per:essai-mel-bis');
  assert.ok(mine, JSON.stringify(drawn.map(([k]) => k)));
  assert.match(mine[1], /^#[0-9a-f]{6}$/);
  await shot('13-perimeter-layer');
  await page.selectOption('#layer', 'com');
});

test('the address holds the view and its settings: a shared link opens the same screen, back and forward work', async () => {
  const share = (await api('/api/indicators')).find((i) => i.id === 'share_65_plus');
  const density = (await api('/api/indicators')).find((i) => i.id === 'density');
  const p = await page.context().newPage();
  await p.goto(`${base}/#/carte?indicateur=share_65_plus&echelon=epci&methode=jenks&classes=4`);
  await p.waitForSelector('body[data-ready="true"]');
  await p.waitForFunction((label) => document.querySelector('#legend-title')?.textContent === label && window.echelle.state.shown === 'epci', share.label);
  assert.equal(await p.$$eval('#legend li', (l) => l.length), 5, '4 Jenks classes and n/d');
  assert.equal(await p.inputValue('#indicator'), 'share_65_plus');
  assert.equal(await p.inputValue('#layer'), 'epci');
  assert.equal(await p.inputValue('#method'), 'jenks');
  // A change of indicator is a new address; back returns to the previous indicator, forward again.
  await p.selectOption('#indicator', 'density');
  await p.waitForFunction((label) => document.querySelector('#legend-title')?.textContent === label, density.label);
  const hash = new URL(p.url()).hash;
  assert.match(hash, /indicateur=density/);
  assert.match(hash, /echelon=epci/);
  await p.goBack();
  await p.waitForFunction((label) => document.querySelector('#legend-title')?.textContent === label, share.label);
  assert.equal(await p.inputValue('#indicator'), 'share_65_plus');
  await p.goForward();
  await p.waitForFunction((label) => document.querySelector('#legend-title')?.textContent === label, density.label);
  // Another view and back.
  await p.click('#map-values a');
  await p.waitForSelector('#portrait-title');
  await p.goBack();
  await p.waitForSelector('#map-values');
  assert.equal(await p.inputValue('#indicator'), 'density');
  // The same address in a fresh page: the same screen.
  const copy = await page.context().newPage();
  await copy.goto(p.url());
  await copy.waitForFunction((label) => document.querySelector('#legend-title')?.textContent === label && window.echelle.state.shown === 'epci', density.label);
  assert.equal(await copy.inputValue('#method'), 'jenks');
  await copy.close();
  await p.close();
});

test('every view passes axe-core, shows its own controls only and fits its tables, at 1440 × 900 and 1024 × 768', async () => {
  await page.goto(`${base}/#/carte`);
  await page.waitForSelector('#map-values');
  await page.waitForSelector('#values-histogram svg');
  await mapIdle();
  await checkView(page, { view: 'carte', overlays: ['map-exports'], shots, settle: mapIdle });
  await page.goto(`${base}/#/portrait/epci:200093201`);
  await page.waitForSelector('#portrait-table');
  await page.waitForSelector('#portrait-charts figure svg');
  await page.waitForSelector('#members a');
  assert.ok(await page.isHidden('#map-exports'), 'no map export outside the values map');
  assert.equal(await page.$('#indicator'), null, 'no indicator form outside the values map');
  await checkView(page, { view: 'portrait', shots, settle: mapIdle });
  await page.goto(`${base}/#/comparer/epci:200093201,epci:246200364`);
  await page.waitForSelector('#compare-table');
  await page.waitForFunction(() => window.echelle.synced?.maps.length === 2 && window.echelle.synced.maps.every((m) => m.loaded()));
  await checkView(page, { view: 'comparer', shots });
  await page.goto(`${base}/#/perimetre`);
  await page.waitForSelector('#perimeter-count');
  await mapIdle();
  await checkView(page, { view: 'perimetre', shots, settle: mapIdle });
});
