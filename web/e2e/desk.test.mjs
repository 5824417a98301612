// End-to-end: the engineering-requests desk in real Chromium, one browser context per
// person. A commune submits a request (territory picked from the search, a small real
// PDF), an agent of the desk routes it to the suggested partner, the partner's referent
// accepts and answers, the commune reads the answer and the whole history on its case
// page (opened from the link of its e-mail). Each step's e-mails reach an SMTP sink
// (aiosmtpd writing a Maildir) for exactly the recipients echelle-desk's `notifications`
// names. Refusals seen in the page: a form without a territory, an executable named
// `.pdf`; a partner the case was not routed to neither lists it nor opens it. Then a
// visitor without an account uses the public form, confirms through its e-mail's link
// and writes a message on its request.
//
// Needs PyPI's aiosmtpd (python3 -m aiosmtpd).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkView, echelle, openPage, panelShot, people, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');
const PASSWORD = 'mot de passe de test e2e';
const TITLE = 'Restauration du beffroi';
const ANSWER = 'Le CAUE propose une visite le 12 : apportez les relevés de la façade.';
/** Who is who: login, organisation, address the desk writes to. */
const PEOPLE = {
  commune: { login: 'arras', org: 'mairie-arras', email: 'mairie@arras.example.fr' },
  agent: { login: 'agent62', org: 'ing62', email: 'guichet@ing62.example.fr' },
  referent: { login: 'lea', org: 'caue62', email: 'lea@caue62.example.fr' },
  other: { login: 'aud-etudes', org: 'aud', email: 'etudes@aud.example.fr' },
};

let server;
let base;
let browser;
let tmp;
let sink;
let maildir;
let crowd;

/** A port nobody listens on (the kernel's pick, released at once). */
const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

/** Resolves once something accepts connections on `port` (10 s at most). */
async function listening(port) {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((ok) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => {
        c.end();
        ok(true);
      });
      c.on('error', () => ok(false));
    });
    if (up) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`the SMTP sink does not listen on ${port}`);
}

/** The sink's e-mails (aiosmtpd's Mailbox handler writes a Maildir), decoded by Python's
 *  mailbox and email modules (RFC 2047 subjects, base64 bodies): [{ to, subject, body }]. */
function mails() {
  if (!existsSync(maildir)) return [];
  const py = `
import email.header, json, mailbox, sys
out = []
for m in mailbox.Maildir(sys.argv[1], factory=None, create=False):
    subject = str(email.header.make_header(email.header.decode_header(m['Subject'] or '')))
    payload = m.get_payload(decode=True) or b''
    out.append({'to': m['X-RcptTo'] or m['To'] or '', 'subject': subject,
                'body': payload.decode(m.get_content_charset() or 'utf-8', 'replace')})
print(json.dumps(out))`;
  const r = spawnSync('python3', ['-c', py, maildir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

/** Polls the sink (20 s at most) until `done(mails)` holds; returns the e-mails. */
async function mailsUntil(done, what) {
  let got = [];
  for (let i = 0; i < 80; i++) {
    got = mails();
    if (done(got)) return got;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error(`${what}: after 20 s the sink holds ${got.length} e-mail(s):\n${got.map((m) => `${m.to} — ${m.subject}`).join('\n')}`);
}

/** A minimal but well-formed one-page PDF (header, objects, cross-reference table, trailer). */
function tinyPdf() {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Opens the case page `hash` and waits for it drawn. */
async function openCase(page, hash) {
  await page.goto(`${base}/${hash}`);
  await page.waitForSelector('body[data-desk="case"], body[data-desk="error"]');
}

/** A screenshot of the whole panel, among the run's artefacts. */
const shot = (page, name) => panelShot(page, join(shots, name));

/** Waits for the case on screen to reach `status` (the page reads the case again after a step). */
const statusIs = (page, status) => page.waitForSelector(`body[data-desk="case"] #desk-status[data-status="${status}"]`);

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('desk'));
  const names = { 'mairie-arras': 'Mairie d’Arras', ing62: 'Ingénierie 62', caue62: 'CAUE du Pas-de-Calais', aud: 'Agence d’urbanisme' };
  for (const [id, name] of Object.entries(names)) echelle(store, ['org', 'add', id, '--name', name]);
  for (const p of Object.values(PEOPLE)) {
    echelle(store, ['account', 'add', p.login, '--role', 'analyst', '--org', p.org], `${PASSWORD}\n`);
    echelle(store, ['desk', 'contact', p.login, p.email]);
  }
  echelle(store, ['desk', 'org', 'ing62']);
  echelle(store, ['desk', 'referent', 'caue62', '--theme', 'heritage', '--territory', 'dep:62']);

  const port = await freePort();
  maildir = join(tmp, 'maildir');
  sink = spawn('python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await listening(port);
  const serve = ['--smtp', `smtp://127.0.0.1:${port}`, '--mail-from', 'guichet@example.fr'];
  // The binary may be rebuilt while the suite runs: one more try if the server does not start.
  ({ server, base } = await startServer(store, serve).catch(() => startServer(store, serve)));
  ({ browser } = await openPage());
  crowd = people(browser, base, PASSWORD);
});

after(async () => {
  await crowd?.close();
  await browser?.close();
  server?.kill('SIGTERM');
  sink?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

let id;

test('a commune submits a request, an agent routes it, a partner accepts and answers, the commune sees the answer', async () => {
  // The commune: the desk's home, then the form.
  const commune = await crowd.signedIn(PEOPLE.commune.login);
  await commune.goto(`${base}/#/guichet`);
  await commune.waitForSelector('body[data-desk="home"]');
  assert.equal(await commune.locator('#desk-none').count(), 1, 'no request yet');
  await commune.waitForSelector('#desk-total');
  await commune.click('#desk-new');
  await commune.waitForSelector('body[data-desk="form"]');
  await commune.fill('#desk-title', TITLE);
  await commune.selectOption('#desk-theme', 'heritage');
  await commune.fill('#desk-description', 'Le beffroi se fissure : quel diagnostic, quelles aides ?');
  await commune.selectOption('#desk-urgency', 'urgent');

  // A territory typed but not picked from the list is no territory: refused, nothing sent.
  await commune.fill('#desk-territory-search', 'Arras');
  await commune.waitForSelector('#desk-territory-results button[data-add="com:62041"]');
  await commune.click('#desk-submit');
  await commune.waitForSelector('#desk-form-status.error');
  assert.match(await commune.textContent('#desk-form-status'), /territoire : choisissez/);
  await commune.click('#desk-territory-results button[data-add="com:62041"]');
  assert.equal(await commune.textContent('#desk-territory-name'), 'Arras (com:62041)');

  // More attachments than the server takes: said before sending.
  const six = Array.from({ length: 6 }, (_, i) => ({ name: `piece-${i + 1}.pdf`, mimeType: 'application/pdf', buffer: tinyPdf() }));
  await commune.setInputFiles('#desk-files', six);
  await commune.click('#desk-submit');
  await commune.waitForFunction(() => /5 pièces jointes au plus/.test(document.querySelector('#desk-form-status')?.textContent ?? ''));

  // An executable named .pdf: the server looks at its bytes and refuses it; the form stays filled.
  await commune.setInputFiles('#desk-files', {
    name: 'plan.pdf',
    mimeType: 'application/pdf',
    buffer: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(510, 0x90)]),
  });
  await commune.click('#desk-submit');
  await commune.waitForFunction(() => /exécutable/.test(document.querySelector('#desk-form-status')?.textContent ?? ''));
  assert.match(await commune.textContent('#desk-form-status'), /plan\.pdf.*ne correspond pas à son nom/);
  assert.equal(await commune.inputValue('#desk-title'), TITLE, 'the form keeps what was typed');
  assert.equal(await commune.inputValue('#desk-territory'), 'com:62041');
  await shot(commune, 'desk-form-refused.png');

  // A real PDF: stored, and the page goes to the new case.
  const pdf = tinyPdf();
  await commune.setInputFiles('#desk-files', { name: 'releves-facade.pdf', mimeType: 'application/pdf', buffer: pdf });
  await commune.click('#desk-submit');
  await commune.waitForURL(/#\/guichet\/demandes\/\d+$/);
  id = Number(commune.url().match(/demandes\/(\d+)$/)[1]);
  await statusIs(commune, 'received');
  assert.match(await commune.textContent('#desk-case-title'), new RegExp(`n° ${id} — ${TITLE}`));
  assert.match(await commune.textContent('#desk-due'), /sous 3,0 jour/, 'an urgent request: half the five days, rounded up');
  assert.match(await commune.textContent('#desk-territory-line'), /Arras/);
  assert.ok((await commune.locator('#desk-references li').count()) > 0, 'the references at submission');
  assert.ok((await commune.locator('#desk-figures-table tbody tr').count()) > 0, 'portrait figures at submission');
  assert.deepEqual(await commune.locator('#desk-actions button').allTextContents(), ['Envoyer le message']);
  const download = await commune.evaluate(async (href) => {
    const r = await fetch(href);
    return { status: r.status, type: r.headers.get('content-type'), head: new TextDecoder().decode((await r.arrayBuffer()).slice(0, 5)) };
  }, await commune.getAttribute('#desk-attachments-list a', 'href'));
  assert.deepEqual(download, { status: 200, type: 'application/pdf', head: '%PDF-' });

  // The agent: the request in its list, the suggested partner ticked, routed.
  const agent = await crowd.signedIn(PEOPLE.agent.login);
  await agent.goto(`${base}/#/guichet`);
  await agent.waitForSelector(`#desk-cases tr[data-case="${id}"] .desk-urgent`);
  await agent.waitForSelector('#desk-by-theme');
  assert.match(await agent.textContent('#desk-total'), /^1 demande/, 'the agents see every count');
  assert.equal(await agent.textContent('#desk-by-theme tr[data-key="heritage"] td'), '1');
  await shot(agent, 'desk-home-agent.png');
  await agent.click(`#desk-cases tr[data-case="${id}"] a`);
  await statusIs(agent, 'received');
  const suggested = agent.locator('input[name="desk-route-org"][value="caue62"]');
  assert.equal(await suggested.isChecked(), true, 'caue62 is suggested and ticked');
  assert.match(await agent.textContent('#desk-route-orgs'), /caue62 — suggérée : patrimoine ; dep:62/);
  assert.equal(await agent.locator('input[name="desk-route-org"]').count(), 1, 'aud is not suggested');
  await agent.click('#desk-route');
  await statusIs(agent, 'routed');
  assert.match(await agent.textContent('#desk-status'), /orientée vers caue62/);
  assert.equal(await agent.textContent('#desk-step-status'), 'Étape enregistrée.');

  // The partner's referent: accepts, then answers.
  const referent = await crowd.signedIn(PEOPLE.referent.login);
  await referent.goto(`${base}/#/guichet`);
  await referent.waitForSelector(`#desk-cases tr[data-case="${id}"]`);
  await referent.click(`#desk-cases tr[data-case="${id}"] a`);
  await statusIs(referent, 'routed');
  await referent.click('#desk-accept');
  await statusIs(referent, 'accepted');
  await referent.fill('#desk-answer-text', ANSWER);
  await referent.click('#desk-answer');
  await statusIs(referent, 'answered');

  // A partner the case was not routed to: not in its list, "not found" on its page.
  const other = await crowd.signedIn(PEOPLE.other.login);
  await other.goto(`${base}/#/guichet`);
  await other.waitForSelector('body[data-desk="home"]');
  assert.equal(await other.locator(`#desk-cases tr[data-case="${id}"]`).count(), 0);
  assert.equal(await other.locator('#desk-none').count(), 1);
  await openCase(other, `#/guichet/demandes/${id}`);
  assert.match(await other.textContent('#view-error'), /cette demande n'existe pas/);
  assert.equal(await other.locator('#desk-case-title').count(), 0);

  // One e-mail per step and recipient, as `notifications` says: the status to the requester
  // at every step, to the agents on arrival and answer, to the referents on routing.
  const expected = [
    ['reçue', PEOPLE.commune.email],
    ['reçue', PEOPLE.agent.email],
    ['orientée', PEOPLE.commune.email],
    ['orientée', PEOPLE.referent.email],
    ['acceptée', PEOPLE.commune.email],
    ['répondue', PEOPLE.commune.email],
    ['répondue', PEOPLE.agent.email],
  ].map(([status, to]) => `${to} | [echelle] Demande n° ${id} ${status} : ${TITLE}`);
  const ours = (all) => all.filter((m) => m.subject.includes(`n° ${id} `)).map((m) => `${m.to} | ${m.subject}`).sort();
  const got = await mailsUntil((all) => ours(all).length >= expected.length, 'the steps’ e-mails');
  assert.deepEqual(ours(got), [...expected].sort());
  assert.ok(!got.some((m) => m.to.includes(PEOPLE.other.email)), 'nothing to a partner not routed to');
  const routed = got.find((m) => m.to.includes(PEOPLE.referent.email));
  assert.match(routed.body, /orientée vers : caue62/);
  const answered = got.find((m) => m.to.includes(PEOPLE.commune.email) && m.subject.includes('répondue'));
  const link = answered.body.match(/Suivre la demande : https?:\/\/[^/\s]+(\/guichet\/demandes\/\d+)/);
  assert.ok(link, `a link to the case in: ${answered.body}`);

  // The commune follows its e-mail's link (a path the server answers with the application).
  await openCase(commune, link[1].slice(1));
  await statusIs(commune, 'answered');
  assert.ok(commune.url().endsWith(`/#/guichet/demandes/${id}`), commune.url());
  assert.equal(await commune.textContent('#desk-thread-list .answer .text'), ANSWER);
  assert.deepEqual(
    await commune.locator('#desk-history-list li').evaluateAll((lis) => lis.map((li) => li.dataset.step)),
    ['submit', 'route', 'accept', 'answer'],
  );
  const history = await commune.textContent('#desk-history-list');
  for (const s of ['Dépôt de la demande', 'par arras', 'Orientation', 'par agent62', 'orientée vers caue62', 'Acceptation', 'Réponse', 'par lea', 'état : répondue'])
    assert.ok(history.includes(s), `${s} in the history: ${history}`);
  assert.deepEqual((await commune.locator('#desk-actions button').allTextContents()).sort(), ['Clore la demande', 'Envoyer le message']);
  await shot(commune, 'desk-case.png');
  await checkView(commune, { view: 'guichet', shots });

  // The commune's list shows the answered request; its address for the desk's e-mails is its own to change.
  await commune.goto(`${base}/#/guichet`);
  await commune.waitForSelector(`#desk-cases tr[data-case="${id}"][data-status="answered"]`);
  await commune.fill('#desk-contact', 'pas une adresse');
  await commune.click('#desk-contact-submit');
  await commune.waitForSelector('#desk-contact-status.error');
  assert.match(await commune.textContent('#desk-contact-status'), /adresse électronique « pas une adresse » invalide/);
  await commune.fill('#desk-contact', PEOPLE.commune.email.toUpperCase());
  await commune.click('#desk-contact-submit');
  await commune.waitForFunction(() => /Adresse enregistrée/.test(document.querySelector('#desk-contact-status')?.textContent ?? ''));
  assert.equal(await commune.textContent('#desk-contact-status'), `Adresse enregistrée : ${PEOPLE.commune.email}.`);
});

test('a visitor without an account submits by the public form, confirms by its e-mail’s link and writes a message', async () => {
  const visitor = await crowd.newPage();
  await visitor.goto(`${base}/#/guichet`);
  await visitor.waitForSelector('body[data-desk="home"]');
  assert.equal(await visitor.locator('#desk-cases').count(), 0, 'no list for a visitor');
  await visitor.waitForSelector('#desk-total');
  await shot(visitor, 'desk-home-public.png');
  // One request from one commune: a visitor reads no count of it.
  assert.match(await visitor.textContent('#desk-total'), /secrets/);
  assert.equal(await visitor.textContent('#desk-by-theme tr[data-key="heritage"] td'), 'secret');
  await visitor.fill('#desk-title', 'Vélo-route le long de la Scarpe');
  await visitor.selectOption('#desk-theme', 'mobility');
  await visitor.fill('#desk-territory-search', 'Arras');
  await visitor.click('#desk-territory-results button[data-add="com:62041"]');
  await visitor.fill('#desk-description', 'Quel tracé, quels financements ?');
  await visitor.fill('#desk-email', 'adjoint@arras.example.fr');
  await visitor.click('#desk-submit');
  await visitor.waitForSelector('#desk-receipt');
  assert.match(await visitor.textContent('#desk-receipt'), /confirmez-la avec le lien/);

  const [check] = await mailsUntil((all) => all.some((m) => m.to.includes('adjoint@arras.example.fr')), 'the check e-mail').then((all) =>
    all.filter((m) => m.to.includes('adjoint@arras.example.fr')),
  );
  assert.match(check.subject, /Confirmez votre demande/);
  const link = check.body.match(/https?:\/\/[^/\s]+(\/guichet\/suivi\/[^\s]+)/);
  assert.ok(link, check.body);
  await openCase(visitor, link[1].slice(1));
  await statusIs(visitor, 'received');
  assert.match(await visitor.textContent('#desk-note'), /confirmée/);
  assert.equal(await visitor.locator('#desk-message-text').count(), 1);
  await visitor.fill('#desk-message-text', 'Le conseil délibère le 30.');
  await visitor.click('#desk-message');
  await visitor.waitForSelector('#desk-thread-list .message .text');
  assert.equal(await visitor.textContent('#desk-thread-list .message .text'), 'Le conseil délibère le 30.');
  await shot(visitor, 'desk-follow.png');

  // Confirmed, the request reaches the agents; the message goes to everyone taking part.
  await mailsUntil(
    (all) =>
      all.some((m) => m.to.includes(PEOPLE.agent.email) && m.subject.includes('Vélo-route') && m.subject.includes('reçue')) &&
      all.some((m) => m.to.includes(PEOPLE.agent.email) && m.subject.includes('nouveau message')),
    'the public request’s e-mails',
  );
});
