// End-to-end: the "Mobilités" view on a copy of the test store with a small SYNTHETIC
// FD_MOBPRO imported (`echelle synth mobpro --rows 20000 --seed 7 --import`, seeded, a
// second or two), served by the release binary and driven in Debian's Chromium. What is
// on screen is checked against the JSON API.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary, checkView, openPage, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
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
const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`) });
const mapIdle = () =>
  page.waitForFunction(() => {
    const m = window.echelle?.map;
    return m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
  });
/** Flow lines MapLibre has rendered (distinct features). */
const renderedLines = () =>
  page.evaluate(() => new Set(window.echelle.map.queryRenderedFeatures({ layers: ['flow-lines'] }).map((f) => f.id)).size);

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('flows'));
  const synth = spawnSync(
    binary,
    ['--store', store, 'synth', 'mobpro', '--rows', '20000', '--seed', '7', '--out', join(tmp, 'FD_MOBPRO_synth.csv'), '--import'],
    { encoding: 'utf8' },
  );
  assert.equal(synth.status, 0, synth.stdout + synth.stderr);
  // Household incomes for the vulnerability table (SYNTHETIC Filosofi, seeded).
  const incomes = spawnSync(
    binary,
    ['--store', store, 'synth', 'filosofi', '--seed', '7', '--out', join(tmp, 'FILO_synth.csv'), '--import'],
    { encoding: 'utf8' },
  );
  assert.equal(incomes.status, 0, incomes.stdout + incomes.stderr);
  ({ server, base } = await startServer(store));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the mobility view draws flow lines, filters them by a threshold and answers the MEL question', async () => {
  await page.goto(`${base}/#/mobilites`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('body[data-flows="ready"]');
  await page.waitForSelector('#flows-mel-sentence');

  // Lines: as many as the API gives at the default threshold, drawn on the map.
  const min = Number(await page.inputValue('#flows-min'));
  const all = await api(`/api/flows/lines?layer=epci&within=reg:32&min=${min}`);
  assert.ok(all.lines.length > 10, `${all.lines.length} lines`);
  assert.equal(await page.getAttribute('#flows-count', 'data-lines'), String(all.lines.length));
  assert.match(await page.textContent('#flows-count'), new RegExp(`^${all.lines.length} flux tracés ; ${all.hidden.below_min} sous le seuil`));
  await mapIdle();
  const drawn = await renderedLines();
  assert.ok(drawn > 0, 'flow lines are rendered');
  await shot('flows-lines');

  // A higher threshold: fewer lines, on screen and on the map.
  const higher = all.lines[Math.floor(all.lines.length / 3)].workers + 1;
  const fewer = await api(`/api/flows/lines?layer=epci&within=reg:32&min=${higher}`);
  assert.ok(fewer.lines.length < all.lines.length);
  await page.fill('#flows-min', String(higher));
  await page.dispatchEvent('#flows-min', 'change');
  await page.waitForFunction((n) => document.querySelector('#flows-count')?.dataset.lines === String(n), fewer.lines.length);
  assert.ok(fewer.lines.every((l) => l.workers >= higher));
  await mapIdle();
  const drawnFewer = await renderedLines();
  assert.ok(drawnFewer > 0 && drawnFewer < drawn, `${drawnFewer} lines rendered after ${drawn}`);
  await shot('flows-threshold');

  // Hovering a territory's point gives its outgoing, incoming and internal workers, as the API.
  const t = fewer.territories.find((x) => x.key === 'epci:200093201');
  const box = await page.locator('#map').boundingBox();
  const at = await page.evaluate((p) => window.echelle.map.project(p), t.position);
  await page.mouse.move(box.x + at.x, box.y + at.y);
  await page.waitForFunction(() => document.querySelector('#hover')?.dataset.key === 'epci:200093201' && !document.querySelector('#hover').hidden);
  const hover = await page.textContent('#hover');
  for (const v of [t.outgoing, t.incoming, t.working_inside]) assert.ok(hover.includes(fr(v, 0)), `${fr(v, 0)} in ${hover}`);
  await shot('flows-hover');

  // The MEL question: the same numbers as the API, with the source and the SYNTHÉTIQUE label.
  const mel = await api('/api/flows/into/per:mel?from=per:bassin-minier');
  assert.equal(mel.provenance.synthetic, true);
  const sentence = await page.textContent('#flows-mel-sentence');
  assert.equal(sentence, `${fr(mel.share, 1)} % des actifs qui viennent travailler dans ${mel.target_name} résident dans ${mel.from_name}.`);
  const counts = await page.textContent('#flows-mel-counts');
  assert.ok(counts.includes(fr(mel.from_commuters, 0)) && counts.includes(fr(mel.commuters_in, 0)), counts);
  const melSource = await page.textContent('#flows-mel .source');
  assert.ok(melSource.includes('SYNTHÉTIQUE') && melSource.includes(mel.provenance.dataset) && melSource.includes('actifs occupés'), melSource);
  assert.ok((await page.textContent('#flows-source')).includes('SYNTHÉTIQUE'));
});

test('the flow table shows secret cells as "s" and exports every flow with its source', async () => {
  await page.waitForSelector('#flows-table tbody tr');
  const m = await api('/api/flows/matrix?layer=epci&within=reg:32');
  const offDiagonal = m.cells.filter((c) => c.origin !== c.dest);
  const rows = await page.$$eval('#flows-table tbody tr', (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  assert.equal(rows.length, Math.min(300, offDiagonal.length));
  const top = offDiagonal.filter((c) => !c.secret).sort((a, b) => b.workers - a.workers)[0];
  assert.equal(rows[0][0], m.zones[top.origin].name);
  assert.equal(rows[0][2].replace(' *', ''), fr(top.workers, 0));
  // No count is shown as 0 for a secret cell: every secret cell reads "s".
  const secretRows = rows.filter((r) => r[2] === 's').length;
  assert.equal(secretRows, offDiagonal.slice(0).sort((a, b) => (b.workers ?? -1) - (a.workers ?? -1)).slice(0, 300).filter((c) => c.secret).length);
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
  const text = readFileSync(await d.path(), 'utf8');
  const lines = text.trim().split('\r\n');
  assert.equal(lines.length, offDiagonal.length + 2);
  assert.ok(lines[0].startsWith('code origine,origine (résidence),code destination'), lines[0]);
  // The source line, one quoted field (it holds commas).
  const source = lines.at(-1).replace(/^"|"$/g, '');
  assert.ok(source.startsWith('Source : ') && source.includes('SYNTHÉTIQUE') && source.includes(m.provenance.dataset), source);
});

test('a higher secrecy threshold shows more cells as "s", as the API, and draws no secret line', async () => {
  const m = await api('/api/flows/matrix?layer=epci&within=reg:32');
  const shown = m.cells.filter((c) => c.origin !== c.dest && !c.secret).map((c) => c.workers).sort((a, b) => a - b);
  const threshold = Math.round(shown[Math.floor(shown.length * 0.9)]);
  const strict = await api(`/api/flows/matrix?layer=epci&within=reg:32&secret_below=${threshold}`);
  const off = strict.cells.filter((c) => c.origin !== c.dest);
  assert.ok(off.filter((c) => c.secret).length > 0);
  assert.ok(off.filter((c) => c.secret).every((c) => c.workers === null));
  await page.fill('#flows-secret', String(threshold));
  await page.dispatchEvent('#flows-secret', 'change');
  await page.waitForFunction((v) => document.querySelector('#flows-table-box')?.dataset.secret === String(v), threshold);
  const rows = await page.$$eval('#flows-table tbody tr', (trs) => trs.map((tr) => tr.cells[2].textContent));
  const top = off.map((c) => c.workers ?? -1).sort((a, b) => b - a).slice(0, 300);
  assert.equal(rows.filter((x) => x === 's').length, top.filter((w) => w === -1).length);
  assert.ok(rows.filter((x) => x === 's').length > 0, 'secret cells are on screen');
  assert.ok(!rows.includes('0'), 'no secret cell reads 0');
  const min = Number(await page.inputValue('#flows-min'));
  const lines = await api(`/api/flows/lines?layer=epci&within=reg:32&min=${min}&secret_below=${threshold}`);
  await page.waitForFunction((n) => document.querySelector('#flows-count')?.dataset.lines === String(n), lines.lines.length);
  assert.ok((await page.textContent('#flows-count')).includes(`${lines.hidden.secret} secrets`));
  assert.ok(lines.lines.every((l) => l.workers >= threshold));
  await shot('flows-secret');
  await page.fill('#flows-secret', '11');
  await page.dispatchEvent('#flows-secret', 'change');
  await page.waitForFunction(() => document.querySelector('#flows-table-box')?.dataset.secret === '11');
});

test('a territory of the mobility view shows its balance and distances, as the API', async () => {
  await page.selectOption('#flows-territory-select', 'epci:200093201');
  await page.waitForSelector('#flows-summary');
  const s = await api('/api/flows/summary/epci:200093201?partners=epci&top=5');
  const cells = await page.$$eval('#flows-summary tr', (trs) => trs.map((tr) => tr.querySelector('td').textContent));
  assert.equal(cells[0], fr(s.residents_in_work, 0));
  assert.equal(cells[2], fr(s.outgoing, 0));
  assert.equal(cells[3], fr(s.incoming, 0));
  assert.equal(cells[5], `${fr(s.self_containment, 1)} %`);
  await page.waitForSelector('#flows-distances');
  const d = await api('/api/flows/distances/epci:200093201');
  assert.ok((await page.textContent('#flows-distances')).includes(`${fr(d.co2_t_per_year, 0)} tCO2e/an`));
  await page.waitForSelector('#flows-telework');
  const tw = await api('/api/flows/telework/epci:200093201?days=2&take_up=0.5');
  const teleText = await page.textContent('#flows-telework');
  assert.ok(teleText.includes(`${fr(tw.km_avoided_per_year, 0)} km/an`) && teleText.includes(`${fr(tw.co2_avoided_t_per_year, 0)} tCO2e/an`), teleText);
  assert.ok(tw.vulnerable_pct_before !== null && teleText.includes(`${fr(tw.vulnerable_pct_before, 1)} %`), teleText);
  await page.waitForSelector('#flows-vulnerability');
  const vu = await api('/api/flows/vulnerability/epci:200093201');
  const vulnText = await page.textContent('#flows-vulnerability');
  assert.ok(vulnText.includes(`${fr(vu.vulnerable_pct, 1)} %`) && vulnText.includes(`${fr(vu.spending_per_household, 0)} €/an`), vulnText);
  assert.ok((await page.textContent('#flows-territory')).includes(vu.incomes.dataset));
  await shot('flows-territory');
  // The main partners charted: one bar per partner whose count is not secret.
  const charted = await page.$$eval('#flows-partners-chart svg [data-mark="bar"] rect', (r) => r.length);
  assert.equal(charted, [...s.top_destinations, ...s.top_origins].filter((p) => !p.secret && p.workers !== null).length);
  // The territory is in the address: the link opens the same balance.
  assert.match(new URL(page.url()).hash, /territoire=epci:200093201/);
});

test('the mobility view passes axe-core, shows its own controls only and fits its tables, at 1440 × 900 and 1024 × 768', async () => {
  assert.ok(await page.isHidden('#legend'), 'the indicator legend is not shown over the flows');
  assert.equal(await page.$('#indicator'), null, 'no indicator form over the flows');
  await checkView(page, { view: 'mobilites', shots, settle: mapIdle });
  // Back and forward: the territory chosen before comes back.
  await page.selectOption('#flows-territory-select', '');
  await page.goBack();
  await page.waitForFunction(() => document.querySelector('#flows-territory-name')?.textContent.includes('epci:200093201'));
});
