// End-to-end: statistical secrecy of a partner's table of businesses, in real Chromium.
// A chamber's count of establishments and jobs per commune of the Pas-de-Calais (SYNTHETIC:
// the i-th commune by code has i % 6 establishments and 7 jobs each, plus one) is imported
// with its rule (« moins de 3 entreprises », column ETABLISSEMENTS), with two indicators
// over it. A commune with 2 establishments reads « secret » in its portrait (not a number,
// not « n/d ») beside its département's figure, with the rule under the indicator; in a
// comparison beside a public commune and one with no establishment. The values map of the
// Pas-de-Calais names it in « Territoire affiché », gives the rule in its legend, classes no
// secret commune and leaves no class empty (its values are tied), shows « secret »
// in its hover label, its table and its export. A perimeter differing from the
// département (or from an EPCI) by such a commune alone is refused (409) with the
// server's message, through the API and in the perimeter editor, and is never saved.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { echelle, openPage, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');

const DATASET = 'cci_etablissements';
const RULE = /moins de 3 entreprises non diffusé \(colonne ETABLISSEMENTS\)/;
/** The indicators declared over the table: a sum and a ratio, both key (in every portrait). */
const CATALOG = `[[indicator]]
id = 'emplois_cci'
label = 'Emplois des établissements'
unit = 'emplois'
dataset = '${DATASET}'
aggregate = 'sum'
value = 'EMPLOIS'
key = true

[[indicator]]
id = 'emplois_par_etablissement'
label = 'Emplois par établissement'
unit = 'emplois par établissement'
dataset = '${DATASET}'
aggregate = 'ratio'
numerator = 'EMPLOIS'
denominator = 'ETABLISSEMENTS'
scale = 1
decimals = 1
key = true
`;
const INDICATORS = ['emplois_cci', 'emplois_par_etablissement'];
/** A perimeter of the Lens-Liévin EPCI (Pas-de-Calais) for the editor's refusal. */
const EPCI = 'epci:246200364';
/** A perimeter of the test store inside the Pas-de-Calais, small enough for the map's whole table. */
const SMALL = 'per:scot-lens-lievin-henin-carvin';

let server;
let base;
let browser;
let page;
let tmp;
/** Establishments of each commune of the Pas-de-Calais, by key (com:62…). */
const businesses = new Map();
/** Communes with 2 establishments, 3, and none. */
let two;
let three;
let none;

const fr = (v, d) => new Intl.NumberFormat('fr-FR', { minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
const api = async (path) => {
  const r = await fetch(base + path);
  assert.equal(r.status, 200, path);
  return r.json();
};
const shot = (name) => page.screenshot({ path: join(shots, `secrecy-${name}.png`) });
const mapIdle = () =>
  page.waitForFunction(() => {
    const m = window.echelle?.map;
    return m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
  });
/** What an indicator table's cell must read for value `v` (secret or not) with `d` decimals. */
const cellText = (v, secret, d) => (secret ? 'secret' : v === null ? 'n/d' : fr(v, d));
/** The text of a CSV download started by a click on `selector`. */
const downloaded = async (selector) => {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  return readFileSync(await d.path(), 'utf8');
};

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('secrecy'));
  // The communes of the Pas-de-Calais, from the CLI (the server is not started yet).
  const pop = JSON.parse(echelle(store, ['eval', 'population', '--layer', 'com', '--within', 'dep:62', '--format', 'json']));
  const codes = pop.values.map((v) => v.territory).sort();
  assert.ok(codes.length > 800 && codes.every((k) => /^com:62\d{3}$/.test(k)), `${codes.length} communes of the Pas-de-Calais`);
  const lines = ['CODGEO;ETABLISSEMENTS;EMPLOIS'];
  codes.forEach((key, i) => {
    businesses.set(key, i % 6);
    lines.push(`${key.slice(4)};${i % 6};${(i % 6) * 7 + 1}`);
  });
  [two, three, none] = [2, 3, 0].map((n) => codes.find((k) => businesses.get(k) === n));
  const csv = join(tmp, 'cci-etablissements.csv');
  writeFileSync(csv, lines.join('\n') + '\n');
  const report = echelle(store, ['import', csv, '--id', DATASET, '--source', 'CCI Hauts-de-France', '--vintage', '2025',
    '--secrecy', 'businesses', '--secrecy-count', 'ETABLISSEMENTS', '--quiet']);
  assert.match(report, /secret statistique déclaré : moins de 3 entreprises/, report);
  const catalog = join(tmp, 'cci.toml');
  writeFileSync(catalog, CATALOG);
  echelle(store, ['indicator', 'add', catalog]);
  ({ server, base } = await startServer(store));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the API withholds exactly the communes with 1 or 2 establishments', async () => {
  const indicators = await api('/api/indicators');
  for (const id of INDICATORS) {
    const ind = indicators.find((i) => i.id === id);
    assert.ok(ind?.available, id);
    assert.match(ind.secrecy ?? '', RULE, `${id}'s rule`);
  }
  const v = await api('/api/values?indicator=emplois_cci&layer=com&within=dep:62');
  assert.equal(v.values.length, businesses.size);
  for (const r of v.values) {
    const n = businesses.get(r.key);
    const secret = n === 1 || n === 2;
    assert.equal(!!r.secret, secret, `${r.key} (${n} establishments) secret`);
    assert.equal(r.value, secret ? null : n * 7 + 1, r.key);
  }
});

test('the portrait of a commune with 2 establishments reads « secret », its département a number, and the rule', async () => {
  const p = await api(`/api/portrait/${two}`);
  const dep = p.columns.findIndex((c) => c.key === 'dep:62');
  assert.equal(dep, 1, p.columns.map((c) => c.key).join(' '));
  await page.goto(`${base}/#/portrait/${two}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#portrait-table tr[data-indicator="emplois_cci"]');
  for (const id of INDICATORS) {
    const ind = p.indicators.find((i) => i.id === id);
    assert.deepEqual(ind.secret, [true, false, false, false], `${id}: only the commune is secret`);
    assert.ok(ind.values[dep] > 0, `${id}: the département has a figure`);
    const row = `#portrait-table tr[data-indicator="${id}"]`;
    const cells = await page.$$eval(`${row} td.num`, (c) => c.map((x) => ({ text: x.textContent, secret: x.classList.contains('secret'), title: x.title })));
    assert.deepEqual(cells.map((c) => c.text), ind.values.map((v, c) => cellText(v, ind.secret[c], ind.decimals)), id);
    assert.equal(cells[0].text, 'secret', `${id}: the commune's cell`);
    assert.ok(cells[0].secret && /secret statistique/.test(cells[0].title), `${id}: marked secret`);
    assert.match(cells[dep].text, /^\d[\d\s\u202f]*(,\d+)?$/, `${id}: the département's cell is a number`);
    assert.ok(!cells[dep].secret);
    // The rule, under the indicator's row.
    const rule = await page.textContent(`${row} + tr.srcrow span.secrecy`);
    assert.match(rule, /^Secret statistique : moins de 3 entreprises/, id);
    assert.match(rule, RULE, id);
  }
  // An indicator of an unprotected table says no rule.
  assert.equal(await page.locator('#portrait-table tr[data-indicator="population"] + tr.srcrow span.secrecy').count(), 0);
  await shot('portrait');
  // The portrait's export says « secret » too, never a number or an empty cell.
  const csv = (await downloaded('#export-csv-sheet')).slice(1).trim().split('\r\n');
  const jobs = p.indicators.find((i) => i.id === 'emplois_cci');
  const line = csv.find((l) => l.startsWith(`${jobs.label};`));
  assert.ok(line?.startsWith(`${jobs.label};${jobs.unit};secret;${jobs.values[dep]};`), line);
});

test('a comparison tells a secret figure from a missing one', async () => {
  const keys = [two, three, none];
  const c = await api(`/api/compare?territories=${keys.join(',')}`);
  await page.goto(`${base}/#/comparer/${keys.join(',')}`);
  await page.waitForSelector('#compare-table tr[data-indicator="emplois_cci"]');
  const cells = (id) => page.$$eval(`#compare-table tr[data-indicator="${id}"] td.num`, (c) => c.map((x) => x.textContent));
  const jobs = c.indicators.find((i) => i.id === 'emplois_cci');
  assert.deepEqual(jobs.secret, [true, false, false]);
  // Zero establishments reveal no one: shown.
  assert.deepEqual(await cells('emplois_cci'), ['secret', fr(3 * 7 + 1, 0), fr(1, 0)]);
  // The ratio: secret for the commune of 2, n/d (no establishment to divide by) for the commune of none.
  const ratio = c.indicators.find((i) => i.id === 'emplois_par_etablissement');
  assert.deepEqual(await cells('emplois_par_etablissement'), ['secret', fr(22 / 3, ratio.decimals), 'n/d']);
  assert.equal(await page.locator('#compare-table tr[data-indicator="emplois_cci"] + tr.srcrow span.secrecy').count(), 1);
});

test('the values map of the Pas-de-Calais gives the rule and never shows a secret commune as a number', async () => {
  const v = await api('/api/values?indicator=emplois_cci&layer=com&within=dep:62');
  const ind = v.indicator;
  const byKey = new Map(v.values.map((r) => [r.key, r]));
  const secrets = v.values.filter((r) => r.secret);
  assert.ok(secrets.length > 250, `${secrets.length} secret communes`);
  await page.goto(`${base}/#/carte?indicateur=emplois_cci&echelon=com&dans=dep:62`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(
    (label) =>
      document.querySelector('#legend-title')?.textContent === label &&
      window.echelle.state.shown === 'com' &&
      document.querySelector('#map-values tbody tr') &&
      document.querySelector('#indicator')?.value === 'emplois_cci',
    ind.label,
  );
  assert.equal(await page.inputValue('#indicator'), 'emplois_cci');
  assert.equal(await page.inputValue('#layer'), 'com');
  // « Territoire affiché » names the address's département (it used to read blank).
  assert.equal(await page.evaluate(() => window.echelle.state.settings.within), 'dep:62');
  assert.equal(await page.inputValue('#within'), 'dep:62');
  assert.equal(await page.$eval('#within', (s) => s.selectedOptions[0]?.textContent), 'Pas-de-Calais');
  // The legend: the rule, and every secret commune among the « n/d », none in a class.
  assert.equal(await page.textContent('#legend-secrecy'), `Secret statistique : ${ind.secrecy}`);
  assert.match(await page.textContent('#legend-secrecy'), RULE);
  const items = await page.$$eval('#legend li', (l) => l.map((x) => x.textContent));
  const counts = items.map((t) => Number(t.match(/\((\d+) communes?\)$/)[1]));
  assert.equal(counts.reduce((a, b) => a + b, 0), v.values.length, items.join('\n'));
  assert.match(items.at(-1), /^n\/d/);
  assert.equal(counts.at(-1), secrets.length, 'the n/d class holds the secret communes, and only them');
  // Four values shared by hundreds of communes: tied quantile breaks merged, no class left empty.
  assert.ok(counts.slice(0, -1).every((n) => n > 0), items.join('\n'));

  // The table on screen: its first rows by value; none of them a secret commune shown as a number.
  const rows = await page.$$eval('#map-values tbody tr', (trs) => trs.map((tr) => [tr.querySelector('a').getAttribute('href').replace('#/portrait/', ''), tr.querySelector('td').textContent]));
  assert.equal(rows.length, Math.min(300, v.values.length));
  for (const [key, text] of rows) assert.equal(text, cellText(byKey.get(key).value, byKey.get(key).secret, ind.decimals), key);
  // Its export holds every row: « secret » for each secret commune, a number for no secret one.
  const csv = (await downloaded('#export-csv-sheet')).slice(1).trim().split('\r\n');
  assert.equal(csv[0], 'code;territoire;valeur (emplois);unité;source;millésime;synthétique');
  const exported = new Map(csv.slice(1, -1).map((l) => l.split(';')).map(([key, , value]) => [key, value]));
  assert.equal(exported.size, v.values.length);
  for (const r of v.values) assert.equal(exported.get(r.key), r.secret ? 'secret' : String(r.value), r.key);

  // The map: a secret commune is painted as missing, and its hover label says « secret ».
  await page.evaluate(() => window.echelle.map.jumpTo({ center: [2.78, 50.42], zoom: 10.5 }));
  await mapIdle();
  const secretKeys = secrets.map((r) => r.key);
  const spot = await page.evaluate((secretKeys) => {
    const m = window.echelle.map;
    const keyAt = (x, y) => window.echelle.keyOf('com', m.queryRenderedFeatures([x, y], { layers: ['com-fill'] })[0] ?? {});
    const secret = new Set(secretKeys);
    const c = m.getCanvas();
    const r = c.getBoundingClientRect();
    // A point well inside a secret commune (the same commune 8 px around it), not under the legend.
    for (let y = r.height * 0.3; y < r.height * 0.7; y += 10)
      for (let x = r.width * 0.3; x < r.width * 0.7; x += 10) {
        const key = keyAt(x, y);
        if (
          key &&
          secret.has(key) &&
          document.elementFromPoint(r.left + x, r.top + y) === c &&
          [[8, 0], [-8, 0], [0, 8], [0, -8]].every(([dx, dy]) => keyAt(x + dx, y + dy) === key)
        ) {
          const f = m.queryRenderedFeatures([x, y], { layers: ['com-fill'] })[0];
          return { x, y, key, color: f.state.color };
        }
      }
    return null;
  }, secretKeys);
  assert.ok(spot, 'a secret commune drawn in the middle of the map');
  assert.equal(spot.color, '#d0d0d0', `${spot.key} painted as missing`);
  const box = await page.locator('#map canvas').boundingBox();
  await page.mouse.move(box.x + spot.x - 20, box.y + spot.y - 20);
  await page.mouse.move(box.x + spot.x, box.y + spot.y, { steps: 4 });
  const label = `${byKey.get(spot.key).name} — secret`;
  await page.waitForFunction((t) => document.querySelector('#hover').textContent === t && !document.querySelector('#hover').hidden, label);
  await shot('map-hover');
  await page.mouse.move(5, 5);

  // A territory small enough for the whole table: its secret communes read « secret », at the end.
  const members = await api(`/api/territory/${SMALL}/members`);
  assert.ok(members.length < 300 && members.every((m) => businesses.has(m.key)), `${SMALL}: in the Pas-de-Calais, under 300 communes`);
  await page.selectOption('#within', SMALL);
  await page.waitForFunction((n) => document.querySelectorAll('#map-values tbody tr').length === n, members.length);
  const small = await page.$$eval('#map-values tbody tr', (trs) => trs.map((tr) => [tr.querySelector('a').getAttribute('href').replace('#/portrait/', ''), tr.querySelector('td').textContent]));
  const shown = small.filter(([key]) => byKey.get(key).secret);
  assert.ok(shown.length > 0, 'secret communes in the table');
  for (const [key, text] of small) assert.equal(text, cellText(byKey.get(key).value, byKey.get(key).secret, ind.decimals), key);
  assert.ok(small.slice(-shown.length).every(([, text]) => text === 'secret'), 'the secret communes last');
  await page.locator('#map-values tbody tr td', { hasText: 'secret' }).first().scrollIntoViewIfNeeded();
  await shot('map-table');
});

test('a perimeter that differs from a territory by a commune of 2 establishments is refused and never saved', async () => {
  const post = (body) =>
    fetch(`${base}/api/perimeters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
  const name = (await api(`/api/territory/${two}`)).name;
  const refused = await post({ id: 'pdc-sans', name: 'Pas-de-Calais moins une', include: ['dep:62'], exclude: [two] });
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.match(refused.body.error, /^secret statistique : le périmètre « pdc-sans » ne diffère de « Pas-de-Calais » \(dep:62\) que par 1 commune/);
  assert.ok(refused.body.error.includes(`(${name})`), refused.body.error);
  assert.ok(refused.body.error.includes(`« ${DATASET} »`), refused.body.error);
  assert.equal((await fetch(`${base}/api/territory/per:pdc-sans`)).status, 404, 'the refused perimeter is not saved');
  // Without a commune of 3 establishments instead: published.
  const saved = await post({ id: 'pdc-sans-publiable', name: 'Pas-de-Calais moins une publiable', include: ['dep:62'], exclude: [three] });
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  assert.equal(saved.body.communes, businesses.size - 1);

  // The perimeter editor: an EPCI and one secret commune outside it, refused with the server's message.
  const epci = await api(`/api/territory/${EPCI}`);
  const inEpci = new Set((await api(`/api/territory/${EPCI}/members`)).map((m) => m.key));
  const outside = [...businesses.keys()].find((k) => businesses.get(k) === 2 && !inEpci.has(k));
  const outsideName = (await api(`/api/territory/${outside}`)).name;
  await page.goto(`${base}/#/perimetre`);
  await page.waitForSelector('#perimeter-territory');
  for (const [key, n] of [[EPCI, inEpci.size], [outside, inEpci.size + 1]]) {
    await page.fill('#perimeter-territory', key);
    await page.click('#perimeter-add button');
    await page.waitForFunction((n) => document.querySelector('#perimeter-count').textContent.startsWith(`${n} `), n);
  }
  await page.fill('#perimeter-name', 'Lens-Liévin et une commune');
  assert.equal(await page.inputValue('#perimeter-id'), 'lens-lievin-et-une-commune');
  await page.click('#perimeter-save');
  await page.waitForSelector('#perimeter-status .error');
  const message = await page.textContent('#perimeter-status');
  assert.ok(
    message.startsWith(`Erreur : secret statistique : le périmètre « lens-lievin-et-une-commune » ne diffère de « ${epci.name} » (${EPCI}) que par 1 commune (${outsideName})`),
    message,
  );
  assert.match(message, RULE);
  assert.match(message, /Ajoutez ou retirez des communes\.$/);
  assert.equal(await page.locator('#perimeter-portrait').count(), 0, 'no link to a portrait');
  assert.ok((await page.textContent('#perimeter-count')).startsWith(`${inEpci.size + 1} `), 'the selection is kept');
  await shot('perimeter-refused');
  assert.equal((await fetch(`${base}/api/territory/per:lens-lievin-et-une-commune`)).status, 404, 'not saved');
});
