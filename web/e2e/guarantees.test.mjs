// End-to-end: the "Garanties d'emprunt" view on a copy of the test store with the
// SYNTHETIC register of the Bassin minier (`echelle guarantees synth`, seeded). The check
// before a vote gives the same answer in the page, through the API and through the CLI,
// with the articles cited; the exposure table is the API's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
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
let store;

before(async () => {
  mkdirSync(shots, { recursive: true });
  ({ tmp, store } = copyTestStore('guarantees'));
  const synth = spawnSync(binary, ['--store', store, 'guarantees', 'synth', '--seed', '16'], { encoding: 'utf8' });
  assert.equal(synth.status, 0, synth.stdout + synth.stderr);
  ({ server, base } = await startServer(store));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('the check before a vote gives the same answer in the page, the API and the CLI, articles cited', async () => {
  await page.goto(`${base}/#/garanties`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('body[data-guarantees="ready"]');

  // The exposure table: one row per EPCI of the Bassin minier, as the API answers.
  const r = await fetch(`${base}/api/guarantees/exposure?layer=epci&within=per:bassin-minier`);
  const list = await r.json();
  assert.ok(list.length > 0);
  assert.equal(await page.locator('#guarantees-exposure tbody tr').count(), list.length);
  assert.ok((await page.textContent('#guarantees-source')).includes('SYNTHÉTIQUE'));

  // A proposal typed in the form.
  const proposal = {
    guarantor: 'com:62119', beneficiary: 'Projet', siren: '900000001', category: 'other', amount: 2000000,
    start: '2026-07-01', years: 15, frequency: 'yearly', rate: 3.5, profile: 'constant_annuity', share: 50.01,
    state_aided: false, housing_plan: false, tense_zone_housing: false, loan: null,
  };
  await page.fill('#g-guarantor', proposal.guarantor);
  await page.fill('#g-siren', proposal.siren);
  await page.fill('#g-amount', String(proposal.amount));
  await page.fill('#g-start', proposal.start);
  await page.fill('#g-years', String(proposal.years));
  await page.fill('#g-rate', String(proposal.rate));
  await page.fill('#g-share', String(proposal.share));
  await page.click('#g-submit');
  await page.waitForSelector('#guarantees-verdict');

  const fromApi = await (
    await fetch(`${base}/api/guarantees/check`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proposal) })
  ).json();
  const file = join(tmp, 'proposal.json');
  writeFileSync(file, JSON.stringify(proposal));
  const cli = spawnSync(binary, ['--store', store, 'guarantees', 'check', '--proposal', file, '--format', 'json'], { encoding: 'utf8' });
  assert.equal(cli.status, 0, cli.stderr);
  assert.deepEqual(JSON.parse(cli.stdout), fromApi);

  // 50.01 % of one loan: the share ceiling breaks, on screen as in the answer.
  assert.equal(fromApi.vote.holds, false);
  assert.equal(await page.getAttribute('#guarantees-verdict', 'data-holds'), String(fromApi.vote.holds));
  for (const o of fromApi.vote.outcomes) {
    const row = page.locator(`#guarantees-check tr[data-rule="${o.rule}"]`);
    assert.equal((await row.locator('.article').textContent()).trim(), o.article);
    assert.ok(o.article.includes('CGCT art. L2252-1'), o.article);
    assert.equal(await row.getAttribute('class'), o.holds ? 'holds' : 'breaks');
  }
  assert.ok((await page.textContent('#guarantees-verdict')).includes(fromApi.first_break.label));
  await page.screenshot({ path: join(shots, 'guarantees-check.png') });
  await checkView(page, { view: 'garanties', overlays: ['guarantees-legend'], shots });
});
