// End-to-end: the values map (#/carte) opened from its address on a département, its
// quantile legend when many territories share a value, and its histogram's count axis, in
// real Chromium over a copy of the test store. « Territoire affiché » names the département
// of the address (it offered only France, the régions and the perimeters, and read blank);
// the histogram's counts are whole numbers, each labelled once; a quantile class never shows
// empty: with ties (a third of the Pas-de-Calais' communes have no flat, every commune
// counts 1 commune) the breaks are deduplicated, each class shown holds territories, and
// the counts, n/d included, add up to the territories mapped.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openPage, startServer, copyTestStore } from './harness.mjs';

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
const shot = (name) => page.screenshot({ path: join(shots, `map-${name}.png`) });

/** Opens the values map at `hash` and waits until it shows `indicator` at `layer` within `within`, legend and table drawn. */
async function openMap(hash, { indicator, layer, within, label }) {
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForFunction(
    ([indicator, layer, within, label]) => {
      const s = window.echelle.state;
      return (
        s.shown === layer &&
        s.settings.indicator === indicator &&
        s.settings.within === within &&
        document.querySelector('#legend-title')?.textContent === label &&
        document.querySelector('#map-values tbody tr') &&
        document.querySelector('#indicator')?.value === indicator
      );
    },
    [indicator, layer, within, label],
  );
}

/** The legend's entries: their text and the count each holds. */
const legend = async () =>
  (await page.$$eval('#legend li', (l) => l.map((x) => x.textContent))).map((text) => ({ text, count: Number(text.match(/\((\d+) [^()]+\)$/)?.[1]) }));

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('map'));
  ({ server, base } = await startServer(store));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('« Territoire affiché » names the département of the address', async () => {
  const indicators = await api('/api/indicators');
  const density = indicators.find((i) => i.id === 'density');
  for (const [hash, layer, within] of [
    ['#/carte?dans=dep:29', 'com', 'dep:29'],
    ['#/carte?echelon=dep&dans=dep:29', 'dep', 'dep:29'],
    ['#/carte?indicateur=density&echelon=com&dans=dep:62', 'com', 'dep:62'],
  ]) {
    const { name } = await api(`/api/territory/${within}`);
    await openMap(hash, { indicator: 'density', layer, within, label: density.label });
    assert.equal(await page.inputValue('#within'), within, `${hash}: the select holds ${within}`);
    // The histogram's count axis: whole numbers, each once (one département read « 1, 1, 1, 0, 0, 0 »).
    const counts = (await page.$$eval('#values-histogram [data-mark="y-axis tick label"] text', (l) => l.map((x) => x.textContent))).filter(Boolean);
    assert.ok(counts.length >= 2, `${hash}: count ticks ${counts}`);
    assert.equal(new Set(counts).size, counts.length, `${hash}: count ticks ${counts}`);
    assert.ok(counts.every((c) => /^\d[\d\s\u202f]*$/.test(c)), `${hash}: count ticks ${counts}`);
    const shown = await page.$eval('#within', (s) => s.selectedOptions[0]?.textContent ?? '');
    assert.equal(shown, name, `${hash}: the select reads the département's name`);
    // The map's description (its text alternative) names it too, not its key.
    const described = await page.getAttribute('#map canvas', 'aria-label');
    assert.ok(described.includes(name) && !described.includes(within), described);
    await shot(`within-${within.replace(':', '-')}`);
  }
  // A territory the list does not offer (an EPCI named in the address) still shows there, not a blank.
  const epci = 'epci:246200364';
  await openMap(`#/carte?indicateur=density&echelon=com&dans=${epci}`, { indicator: 'density', layer: 'com', within: epci, label: density.label });
  assert.equal(await page.inputValue('#within'), epci);
  assert.ok(await page.$eval('#within', (s) => s.selectedOptions[0]?.textContent), 'the EPCI option has a text');
  // Every département with communes is offered, and picking one in the select shows it.
  const deps = (await api('/api/territories?layer=dep')).filter((d) => d.communes > 0);
  const offered = await page.$$eval('#within option', (o) => o.map((x) => x.value));
  for (const d of deps) assert.ok(offered.includes(d.key), `${d.key} offered`);
  await page.selectOption('#within', 'dep:59');
  await page.waitForFunction(() => window.echelle.state.settings.within === 'dep:59' && location.hash.includes('dans=dep:59'));
  assert.equal(await page.$eval('#within', (s) => s.selectedOptions[0].textContent), 'Nord');
  assert.equal(await page.locator('#within-other').count(), 0, 'the EPCI offered no longer');
});

test('the quantile legend shows no empty class when many communes share a value', async () => {
  const indicators = await api('/api/indicators');
  const flats = indicators.find((i) => i.id === 'flats_share');
  const v = await api('/api/values?indicator=flats_share&layer=com&within=dep:62');
  const nums = v.values.map((r) => r.value).filter((x) => x !== null);
  const missing = v.values.length - nums.length;
  const zeros = nums.filter((x) => x === 0).length;
  assert.ok(zeros > nums.length / 5, `${zeros} of ${nums.length} communes without flats: more than a fifth, the first quantile's share`);
  await openMap('#/carte?indicateur=flats_share&echelon=com&dans=dep:62&methode=quantile&classes=5', {
    indicator: 'flats_share',
    layer: 'com',
    within: 'dep:62',
    label: flats.label,
  });
  const items = await legend();
  const classes = items.slice(0, -1);
  assert.match(items.at(-1).text, /^n\/d/, 'the n/d class stays, last');
  assert.equal(items.at(-1).count, missing);
  for (const c of classes) assert.ok(c.count > 0, `an empty class: ${c.text}\n${items.map((i) => i.text).join('\n')}`);
  assert.ok(classes.length < 5, `the tied breaks merged: ${classes.length} classes`);
  assert.equal(items.reduce((a, c) => a + c.count, 0), v.values.length, items.map((i) => i.text).join('\n'));
  // The first class starts at the shared value and holds every commune that has it.
  assert.ok(classes[0].text.startsWith(`${fr(0, flats.decimals)} – `), classes[0].text);
  assert.ok(classes[0].count >= zeros, classes[0].text);
  // The classes are ordered and do not overlap: each starts where the one before ended.
  for (let i = 1; i < classes.length; i++) {
    const prevEnd = classes[i - 1].text.split(' – ')[1].split(' (')[0];
    assert.equal(classes[i].text.split(' – ')[0], prevEnd, `${classes[i - 1].text} then ${classes[i].text}`);
  }
  // The histogram names the same thresholds.
  const alt = await page.getAttribute('#values-histogram svg', 'aria-label');
  assert.ok(alt.includes(classes.slice(1).map((c) => c.text.split(' – ')[0]).join(' ; ')), alt);
  await shot('quantile-ties');

  // Every commune counts 1 commune: one class holding them all, then n/d.
  const communes = indicators.find((i) => i.id === 'communes');
  await page.selectOption('#indicator', 'communes');
  await page.waitForFunction((label) => document.querySelector('#legend-title')?.textContent === label, communes.label);
  const one = await legend();
  assert.equal(one.length, 2, one.map((i) => i.text).join('\n'));
  assert.equal(one[0].count, v.values.length, one[0].text);
  assert.match(one[1].text, /^n\/d/);
});
