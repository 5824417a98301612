// End-to-end: shared studies in real Chromium, one browser context per person. An analyst
// of the CCI opens the values map, then creates a study from the « Études » page (title,
// notes, territories picked from the search as removable chips, two indicators, shared
// with dep62, the current map and its table kept) and reads its link. An analyst of
// dep62 opens the link: title, notes, territories, indicator values, the kept table with
// its source, version 1 by the CCI's analyst, no edit form; comments; downloads the report
// through the page's link and the ZIP holds every table as CSV ending with its « Source : »
// line, each named with its source in SOURCES.txt; reopens the saved map. The CCI's
// analyst adds a territory: version 2 with its change line; a save over a version read
// before someone else's save is refused with the server's message. An analyst of another
// organisation and a visitor read « cette étude n'existe pas » from the same link, and
// their lists do not show it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkView, echelle, openPage, panelShot, people, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');
const PASSWORD = 'mot de passe de test e2e';
const TITLE = 'Attractivité de l’Artois';
const NOTES = 'Première lecture : population et superficie d’Arras face au département.\nÀ compléter avec les mobilités.';
const COMMENT = 'Vu pour le département : ajoutons Lens.';
/** One analyst in each organisation. */
const PEOPLE = {
  cci: { login: 'cci-etudes', org: 'cci' },
  dep: { login: 'dep62-etudes', org: 'dep62' },
  aud: { login: 'aud-etudes', org: 'aud' },
};
/** The values map the CCI's analyst leaves before creating the study. */
const MAP = '#/carte?indicateur=population&echelon=dep&dans=reg:32';

let server;
let base;
let browser;
let tmp;
let id;
let link;
let crowd;

/** Opens `url` (the study's link) and waits for the study or the error drawn. */
async function openStudy(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-studies="study"], body[data-studies="error"]');
}

/** Opens the list of studies. */
async function openList(page) {
  await page.goto(`${base}/#/etudes`);
  await page.waitForSelector('body[data-studies="home"]');
}

/** A screenshot of the whole panel, among the run's artefacts. */
const shot = (page, name) => panelShot(page, join(shots, name));

/** Picks the search match `key` after typing `text` in the study form's territory search. */
async function pick(page, text, key) {
  await page.fill('#study-territory-search', text);
  await page.click(`#study-territory-results button[data-add="${key}"]`);
  await page.waitForSelector(`#study-territories li[data-key="${key}"]`);
}

const chips = (page) => page.locator('#study-territories li[data-key]').evaluateAll((lis) => lis.map((li) => li.dataset.key));

/** The entries of a ZIP and the text of some of them (Python's zipfile). */
function unzip(file) {
  const py = `
import json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
out = {'names': z.namelist(), 'texts': {}}
for n in z.namelist():
    if n.endswith('.csv') or n.endswith('.txt') or n.endswith('.json'):
        out['texts'][n] = z.read(n).decode('utf-8-sig')
print(json.dumps(out))`;
  const r = spawnSync('python3', ['-c', py, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** The last non-empty line of a CSV, unquoted (a field holding the separator is quoted). */
function lastLine(csv) {
  const line = csv.trimEnd().split(/\r?\n/).pop();
  return line.startsWith('"') && line.endsWith('"') ? line.slice(1, -1).replace(/""/g, '"') : line;
}

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('studies'));
  const names = { cci: 'CCI Artois', dep62: 'Département du Pas-de-Calais', aud: 'Agence d’urbanisme' };
  for (const [org, name] of Object.entries(names)) echelle(store, ['org', 'add', org, '--name', name]);
  for (const p of Object.values(PEOPLE)) echelle(store, ['account', 'add', p.login, '--role', 'analyst', '--org', p.org], `${PASSWORD}\n`);
  // The binary may be rebuilt while the suite runs: one more try if the server does not start.
  ({ server, base } = await startServer(store).catch(() => startServer(store)));
  ({ browser } = await openPage());
  crowd = people(browser, base, PASSWORD);
});

after(async () => {
  await crowd?.close();
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('an analyst creates a study shared with one organisation from the current map, and reads its link', async () => {
  const cci = await crowd.signedIn(PEOPLE.cci.login);
  await cci.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  // The map the study will keep: population by département in Hauts-de-France, its table below.
  await cci.goto(`${base}/${MAP}`);
  await cci.waitForSelector('#map-values tbody tr');
  await cci.click('#nav-etudes');
  await cci.waitForSelector('body[data-studies="home"]');
  assert.equal(await cci.locator('#studies-none').count(), 1, 'no study yet');
  assert.ok(await cci.isChecked('#study-save-map'));
  const mapWhat = await cci.textContent('#study-map-what');
  for (const part of ['Carte', '#/carte?', 'indicateur=population', 'echelon=dep', 'dans=reg:32'])
    assert.ok(mapWhat.includes(part), `${part} in « ${mapWhat} »`);
  assert.ok(await cci.isChecked('#study-keep-table'));
  assert.match(await cci.textContent('label:has(#study-keep-table)'), /Population municipale — Départements — .*\(5 lignes\)/);

  // Without a title, refused before sending.
  await cci.click('#study-submit');
  await cci.waitForSelector('#study-form-status.error');
  assert.match(await cci.textContent('#study-form-status'), /Titre de l’étude : vide/);

  await cci.fill('#study-title', TITLE);
  await cci.fill('#study-notes', NOTES);
  await pick(cci, 'Arras', 'com:62041');
  await pick(cci, 'Calais', 'com:62193');
  await pick(cci, 'Pas-de-Calais', 'dep:62');
  assert.deepEqual(await chips(cci), ['com:62041', 'com:62193', 'dep:62']);
  // A chip removed by its button.
  assert.equal(await cci.getAttribute('#study-territories button[data-remove="com:62193"]', 'aria-label'), 'Retirer Calais');
  await cci.click('#study-territories button[data-remove="com:62193"]');
  assert.deepEqual(await chips(cci), ['com:62041', 'dep:62']);
  await cci.check('input[name="study-indicator"][value="population"]');
  await cci.check('input[name="study-indicator"][value="area"]');
  await cci.selectOption('#study-visibility', 'shared');
  // Shared with nobody: said before sending.
  await cci.click('#study-submit');
  await cci.waitForFunction(() => /nommez au moins une organisation/.test(document.querySelector('#study-form-status')?.textContent ?? ''));
  await cci.fill('#study-share-with', 'dep62');
  await shot(cci, 'studies-new.png');
  await cci.click('#study-submit');

  await cci.waitForURL(/#\/etudes\/\d+$/);
  id = Number(cci.url().match(/etudes\/(\d+)$/)[1]);
  await cci.waitForSelector('body[data-studies="study"]');
  link = await cci.inputValue('#study-link');
  assert.equal(link, `${base}/#/etudes/${id}`);
  await cci.click('#study-copy');
  await cci.waitForFunction(() => (document.querySelector('#study-copy-status')?.textContent ?? '') !== '');
  assert.equal(await cci.textContent('#study-copy-status'), 'Lien copié.');
  assert.equal(await cci.evaluate(() => navigator.clipboard.readText()), link);

  assert.equal(await cci.textContent('#study-title-text'), TITLE);
  assert.match(await cci.textContent('#study-heading .badge'), /partagée/);
  assert.match(await cci.textContent('#study-visibility-line'), /partagée avec dep62 \(organisation propriétaire : cci\)/);
  assert.match(await cci.textContent('#study-facts'), new RegExp(`Version 1, enregistrée le .* — créée par ${PEOPLE.cci.login}`));
  assert.ok(await cci.locator('#study-edit-form').count(), 'the owner organisation may change it');
  assert.equal(await cci.getAttribute('#study-report', 'href'), `/api/studies/${id}/report`);
  await shot(cci, 'studies-study-owner.png');
  await checkView(cci, { view: 'etudes', shots });

  // Its list shows it.
  await openList(cci);
  await cci.waitForSelector(`#studies-list tr[data-study="${id}"][data-visibility="shared"]`);
  const row = await cci.textContent(`#studies-list tr[data-study="${id}"]`);
  for (const part of [TITLE, PEOPLE.cci.login, 'partagée']) assert.ok(row.includes(part), `${part} in the list's row: ${row}`);
  await shot(cci, 'studies-list.png');
  await checkView(cci, { view: 'etudes', shots });
});

test('a member of the organisation it is shared with opens it from its link, comments, and downloads its report', async () => {
  assert.ok(id, 'the study was created');
  const dep = await crowd.signedIn(PEOPLE.dep.login);
  await openStudy(dep, link);
  assert.equal(await dep.textContent('#study-title-text'), TITLE);
  assert.equal(await dep.textContent('#study-notes-text'), NOTES);
  assert.deepEqual(
    await dep.locator('#study-territory-list li').evaluateAll((lis) => lis.map((li) => `${li.dataset.key} ${li.querySelector('a').textContent}`)),
    ['com:62041 Arras', 'dep:62 Pas-de-Calais'],
  );
  assert.equal(await dep.getAttribute('#study-territory-list li[data-key="com:62041"] a', 'href'), '#/portrait/com:62041');
  assert.deepEqual(
    await dep.locator('#study-indicator-list li').evaluateAll((lis) => lis.map((li) => li.dataset.indicator)),
    ['population', 'area'],
  );
  // The indicators' values for the study's territories (the portrait's references left out).
  assert.deepEqual(
    await dep.locator('#study-figures-table thead th').allTextContents(),
    ['Indicateur', 'Unité', 'Arras', 'Pas-de-Calais'],
  );
  assert.deepEqual(
    await dep.locator('#study-figures-table tbody tr[data-indicator]').evaluateAll((trs) => trs.map((tr) => tr.dataset.indicator)),
    ['population', 'area'],
  );
  assert.match(await dep.textContent('#study-figures-table tr[data-indicator="population"]'), /42\s875/);
  // The kept table with its source.
  assert.equal(await dep.locator('#study-tables article.study-table').count(), 1);
  assert.equal(await dep.locator('#study-table-0 tbody tr').count(), 5);
  const tableTitle = await dep.textContent('#study-table-0-caption');
  assert.match(tableTitle, /^Population municipale — Départements/);
  const tableSource = await dep.textContent('#study-table-0-source');
  assert.match(tableSource, /^Source : .+/);
  // Version 1 by the CCI's analyst; no edit form for a partner.
  assert.match(await dep.textContent('#study-versions li[data-version="1"]'), new RegExp(`Version 1 — ${PEOPLE.cci.login}`));
  assert.equal(await dep.locator('#study-versions > li').count(), 1);
  assert.equal(await dep.locator('#study-edit-form').count(), 0, 'no edit form for a member of another organisation');
  assert.match(await dep.textContent('#study-read-only'), /organisation propriétaire/);

  // A comment.
  assert.equal(await dep.locator('#study-no-comment').count(), 1);
  await dep.fill('#study-comment-text', COMMENT);
  await dep.click('#study-comment-submit');
  await dep.waitForSelector('#study-comment-list .message');
  assert.equal(await dep.textContent('#study-comment-list .message .text'), COMMENT);
  assert.match(await dep.textContent('#study-comment-list .message .who'), new RegExp(PEOPLE.dep.login));
  await shot(dep, 'studies-study-partner.png');
  await checkView(dep, { view: 'etudes', shots });

  // The report, through the page's link.
  const [download] = await Promise.all([dep.waitForEvent('download'), dep.click('#study-report')]);
  const zip = join(tmp, 'rapport.zip');
  await download.saveAs(zip);
  cpSync(zip, join(shots, 'studies-report.zip'));
  assert.match(download.suggestedFilename(), /\.zip$/);
  const { names, texts } = unzip(zip);
  for (const n of ['rapport.pdf', 'SOURCES.txt', 'etude.json']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
  assert.ok(names.some((n) => /^territoires-.+\.gpkg$/.test(n)), `a GeoPackage in ${names.join(', ')}`);
  assert.ok(readFileSync(zip).length > 0);
  const csvs = names.filter((n) => n.startsWith('tableaux/') && n.endsWith('.csv'));
  assert.equal(csvs.length, 2, `the indicators' table and the kept table: ${names.join(', ')}`);
  const sources = texts['SOURCES.txt'];
  for (const csv of csvs) {
    assert.ok(names.includes(csv.replace(/\.csv$/, '.xlsx')), `${csv} has its XLSX`);
    const source = lastLine(texts[csv]);
    assert.match(source, /^Source : \S/, `${csv} ends with its source line`);
    // SOURCES.txt names the table (its file, its title) with the same source under it.
    const stem = csv.replace(/\.csv$/, '');
    const at = sources.indexOf(`${stem} : `);
    assert.ok(at >= 0, `${stem} in SOURCES.txt:\n${sources}`);
    const [named, under] = sources.slice(at).split('\n');
    assert.ok(under.trim() === source, `${stem}'s source in SOURCES.txt (« ${under.trim()} ») is its CSV's (« ${source} »)`);
    assert.ok(named.length > `${stem} : `.length, `${stem} has its title in SOURCES.txt`);
  }
  assert.ok(sources.includes(`: ${tableTitle}`), `the kept table « ${tableTitle} » in SOURCES.txt`);
  assert.ok(sources.includes(tableSource), `its source « ${tableSource} » in SOURCES.txt`);
  assert.ok(sources.includes('Indicateurs des territoires de l\'étude'), 'the indicators’ table in SOURCES.txt');
  const saved = JSON.parse(texts['etude.json']);
  assert.equal(saved.title, TITLE);
  assert.deepEqual(saved.territories, ['com:62041', 'dep:62']);
  assert.ok(saved.map.route.startsWith(`${MAP}&`), `the map's address (normalised by the view): ${saved.map.route}`);

  // The map reopened as it was saved.
  await dep.click('#study-open-map');
  await dep.waitForURL((u) => u.hash.startsWith('#/carte'));
  await dep.waitForSelector('#map-values tbody tr');
  assert.equal(await dep.inputValue('#indicator'), 'population');
  assert.equal(await dep.inputValue('#layer'), 'dep');
  assert.equal(await dep.inputValue('#within'), 'reg:32');
  const zoom = await dep.evaluate(() => window.echelle.map.getZoom());
  assert.ok(Math.abs(zoom - saved.map.zoom) < 0.05, `zoom ${zoom}, saved ${saved.map.zoom}`);

  // The link by path (as the server names it) opens the same study.
  await openStudy(dep, `${base}/etudes/${id}`);
  assert.equal(await dep.textContent('#study-title-text'), TITLE);
  assert.ok(dep.url().endsWith(`/#/etudes/${id}`), dep.url());
  // And the partner's list shows it.
  await openList(dep);
  await dep.waitForSelector(`#studies-list tr[data-study="${id}"]`);
});

test('the owner organisation adds a territory: version 2 with its change; a stale save is refused', async () => {
  assert.ok(id, 'the study was created');
  const cci = await crowd.signedIn(PEOPLE.cci.login);
  await openStudy(cci, link);
  // A second tab of the same analyst, reading version 1 too.
  const stale = await cci.context().newPage();
  await openStudy(stale, link);

  assert.deepEqual(await chips(cci), ['com:62041', 'dep:62']);
  await pick(cci, 'Lens', 'com:62498');
  await cci.click('#study-save');
  await cci.waitForSelector('#study-versions li[data-version="2"]');
  assert.equal(await cci.textContent('#study-form-status'), 'Version 2 enregistrée.');
  const v2 = await cci.textContent('#study-versions li[data-version="2"]');
  assert.match(v2, new RegExp(`Version 2 — ${PEOPLE.cci.login}`));
  assert.match(v2, /territoires : \+ com:62498/);
  assert.match(await cci.textContent('#study-facts'), /^Version 2/);
  assert.ok(await cci.locator('#study-territory-list li[data-key="com:62498"]').count());
  assert.match(await cci.textContent('#study-comment-list'), new RegExp(COMMENT), 'the partner’s comment');
  await shot(cci, 'studies-study-v2.png');

  // The other tab still holds version 1: its save is refused with the server's message.
  await stale.fill('#study-notes', `${NOTES}\nNote d’un onglet resté ouvert.`);
  await stale.click('#study-save');
  await stale.waitForSelector('#study-form-status[data-conflict="true"]');
  assert.match(
    await stale.textContent('#study-form-status'),
    /Enregistrement refusé : la version 2 a été enregistrée depuis la version 1 que vous modifiez : rechargez l'étude/,
  );
  assert.match(await stale.inputValue('#study-notes'), /onglet resté ouvert/, 'the form keeps what was typed');
  await shot(stale, 'studies-conflict.png');
  await stale.click('#study-reload');
  await stale.waitForSelector('#study-versions li[data-version="2"]');
  assert.equal(await stale.locator('#study-versions li[data-version="3"]').count(), 0, 'nothing saved by the stale tab');
});

test('another organisation and a visitor read « not found » from the same link, and their lists do not show it', async () => {
  assert.ok(id, 'the study was created');
  const aud = await crowd.signedIn(PEOPLE.aud.login);
  const visitor = await crowd.newPage();
  for (const [who, page] of [['aud', aud], ['visitor', visitor]]) {
    await openStudy(page, link);
    assert.match(await page.textContent('#view-error'), /cette étude n'existe pas/, who);
    assert.equal(await page.locator('#study-title-text').count(), 0, who);
    assert.equal(await page.locator('#study-report').count(), 0, who);
    await openList(page);
    assert.equal(await page.locator(`#studies-list tr[data-study="${id}"]`).count(), 0, who);
    assert.equal(await page.locator('#studies-none').count(), 1, who);
    // The report's address answers « not found » too.
    const report = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, body: await r.text() };
    }, `/api/studies/${id}/report`);
    assert.equal(report.status, 404, who);
    assert.match(report.body, /cette étude n'existe pas/, who);
  }
  assert.equal(await visitor.locator('#studies-sign-in-hint').count(), 1, 'a visitor is asked to sign in');
  assert.equal(await visitor.locator('#study-new-form').count(), 0, 'no form for a visitor');
  await shot(aud, 'studies-list-other.png');
  await openStudy(aud, link);
  await shot(aud, 'studies-not-found.png');
});
