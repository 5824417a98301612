// End-to-end: the "Commerce" view and the retail section of the portrait on a copy of the
// test store with the SYNTHETIC inventory of the aire urbaine centrale (`echelle retail
// synth`, seeded). The tables are the API's answers, the map draws one circle per shop,
// and every figure names its source, its date and that it is synthetic.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
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

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('retail'));
  const synth = spawnSync(binary, ['--store', store, 'retail', 'synth', '--seed', '15'], { encoding: 'utf8' });
  assert.equal(synth.status, 0, synth.stdout + synth.stderr);
  ({ server, base } = await startServer(store));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const number = (s) => Number(s.replace(/\s|\u202f|\u00a0/g, '').replace(',', '.'));

test('the commerce view: the API figures, the map of shops, inside against outside, source, date, synthetic', async () => {
  await page.goto(`${base}/#/commerce?territoire=per:mel&date=2026-01-01&depuis=2016-01-01`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('body[data-retail="ready"]');
  const inv = await (await fetch(`${base}/api/retail/inventory?territory=per:mel&date=2026-01-01`)).json();
  assert.ok(inv.shops > 50, `${inv.shops} shops`);
  // The territory, then its outside (the rest of the région), then its references.
  const rows = page.locator('#retail-references tbody tr');
  assert.equal(await rows.count(), 1 + inv.references.length);
  assert.equal(await rows.nth(1).getAttribute('data-key'), 'per:mel!outside');
  // The inventory covers the aire urbaine centrale: France reaches beyond it, the MEL does not.
  assert.equal(inv.coverage, 'per:aire-urbaine-centrale');
  assert.equal(await page.locator('#retail-references tr[data-key="fr"]').getAttribute('class'), 'partial');
  assert.equal(await rows.nth(0).getAttribute('class'), null);
  const first = await rows.nth(0).locator('td').allTextContents();
  assert.equal(number(first[1]), inv.shops);
  assert.equal(number(first[2]), inv.area);
  assert.equal(number(first[3]), inv.density);
  const outside = await rows.nth(1).locator('td').allTextContents();
  assert.equal(number(outside[3]), inv.references[0].density);
  // Categories and bands, as the API has them.
  for (const f of inv.by_category) {
    const cells = await page.locator(`#retail-figures tr.category[data-key="${f.key}"] td`).allTextContents();
    assert.deepEqual(cells.map(number), [f.shops, f.area]);
  }
  // Change and projects.
  const ch = await (await fetch(`${base}/api/retail/change?territory=per:mel&from=2016-01-01&to=2026-01-01`)).json();
  const net = await page.locator('#retail-change tr[data-key="net"] td').allTextContents();
  assert.deepEqual(net.map(number), [ch.net_shops, ch.net_area]);
  const pr = await (await fetch(`${base}/api/retail/projects?territory=per:mel&date=2026-01-01`)).json();
  assert.equal(await page.locator('#retail-projects tbody tr').count(), pr.projects.length);
  // Source, date and SYNTHÉTIQUE, above the tables and in the legend of the map.
  const source = await page.textContent('#retail-source');
  assert.ok(source.includes('SYNTHÉTIQUE') && source.includes('2026-01-01') && source.includes(inv.provenance.source), source);
  assert.ok((await page.textContent('#retail-box .source')).includes('SYNTHÉTIQUE'));
  assert.ok((await page.textContent('#retail-legend')).includes('SYNTHÉTIQUE'));
  // One circle per shop of the API's list.
  const shops = await (await fetch(`${base}/api/retail/shops?territory=per:mel&date=2026-01-01`)).json();
  const drawn = await page.evaluate(() => {
    const m = window.echelle.map;
    return { visible: m.getLayoutProperty('retail-circles', 'visibility'), n: m.getSource('retail-shops').serialize().data.features.length };
  });
  assert.deepEqual(drawn, { visible: 'visible', n: shops.shops.length });
  // The shops as a GeoJSON file, from the link of the view.
  const href = await page.getAttribute('#retail-geojson', 'href');
  const geo = await (await fetch(`${base}${href}`)).json();
  assert.equal(geo.features.length, shops.shops.length);
  assert.ok(geo.source.includes('SYNTHÉTIQUE'));
  await page.screenshot({ path: join(shots, 'retail-view.png') });
  await checkView(page, { view: 'commerce', overlays: ['retail-legend'], shots });
});

test('the portrait shows its retail section with source, date and synthetic', async () => {
  await page.goto(`${base}/#/portrait/epci:200093201`);
  await page.waitForSelector('#portrait-retail:not([hidden])');
  const inv = await (await fetch(`${base}/api/retail/inventory?territory=epci:200093201`)).json();
  const line = await page.textContent('#portrait-retail-line');
  assert.ok(line.includes(inv.date), line);
  assert.equal(await page.locator('#portrait-retail-references tbody tr').count(), 1 + inv.references.length);
  const text = await page.textContent('#portrait-retail');
  assert.ok(text.includes('SYNTHÉTIQUE') && text.includes(inv.provenance.source), text);
  await page.locator('#portrait-retail').screenshot({ path: join(shots, 'retail-portrait.png') });
});
