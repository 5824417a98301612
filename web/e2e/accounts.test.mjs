// End-to-end: logging in and out on a server with accounts (a copy of the test store, an
// organisation and an administrator created by the CLI, the password on standard input).
// A wrong password is refused in the page; the session cookie is Secure, HttpOnly and
// SameSite=Strict; the administration creates an account (the page sends the CSRF
// token: the same request without it is refused); signing out ends the session.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binary, checkView, openPage, startServer, copyTestStore } from './harness.mjs';

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shots = process.env.ECHELLE_E2E_ARTEFACTS ? resolve(process.env.ECHELLE_E2E_ARTEFACTS) : join(web, 'e2e', 'screenshots');
const PASSWORD = 'mot de passe de test e2e';

let server;
let base;
let browser;
let page;
let tmp;

const echelle = (store, args, input = '') => {
  const r = spawnSync(binary, ['--store', store, ...args], { encoding: 'utf8', input });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
};

before(async () => {
  mkdirSync(shots, { recursive: true });
  let store;
  ({ tmp, store } = copyTestStore('accounts'));
  echelle(store, ['org', 'add', 'cci-hdf', '--name', 'CCI Hauts-de-France']);
  echelle(store, ['account', 'add', 'root', '--role', 'admin'], `${PASSWORD}\n`);
  ({ server, base } = await startServer(store));
  ({ browser, page } = await openPage());
});

after(async () => {
  await browser?.close();
  server?.kill('SIGTERM');
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

test('logging in and out, and the administration creating an account with the CSRF token', async () => {
  await page.goto(`${base}/#/connexion`);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#sign-in');
  assert.equal(await page.textContent('#sign-in'), 'Se connecter');

  await page.fill('#login-name', 'root');
  await page.fill('#login-password', 'pas le bon mot de passe');
  await page.click('#login-submit');
  await page.waitForSelector('#login-status.error');
  assert.match(await page.textContent('#login-status'), /incorrect/);

  // After a failure the server checks the next password of that login only after a wait
  // (1 s by default; 429 with the wait in the message before): the page says so, the user waits.
  for (let attempt = 0; ; attempt++) {
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#account-who, #login-status.error');
    if (await page.locator('#account-who').count()) break;
    const wait = (await page.textContent('#login-status')).match(/réessayez dans (\d+) s/);
    assert.ok(wait && attempt < 3, `login refused: ${await page.textContent('#login-status')}`);
    await page.evaluate(() => document.querySelector('#login-status').classList.remove('error'));
    await page.waitForTimeout(Number(wait[1]) * 1000 + 100);
  }
  assert.equal(await page.textContent('#account-who'), 'root (administrateur)');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'echelle_session');
  assert.ok(cookie, 'a session cookie');
  assert.deepEqual([cookie.httpOnly, cookie.secure, cookie.sameSite, cookie.path], [true, true, 'Strict', '/']);

  await page.waitForSelector('body[data-admin="ready"]');
  assert.equal(await page.locator('#admin-accounts tbody tr').count(), 1);
  assert.ok((await page.textContent('#admin-audit')).includes('login'), 'the login is in the audit log');
  await checkView(page, { view: 'administration', shots });

  await page.fill('#new-login', 'ana');
  await page.selectOption('#new-role', 'analyst');
  await page.selectOption('#new-org', 'cci-hdf');
  await page.fill('#new-password', 'analyste du littoral');
  await page.click('#new-account-submit');
  await page.waitForSelector('#admin-accounts tr[data-login="ana"]');
  assert.match(await page.textContent('#new-account-status'), /ana/);

  // The same kind of change, from the page but without the token, is refused.
  const without = await page.evaluate(async () => {
    const r = await fetch('/api/admin/organisations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'sans-jeton', name: 'x' }),
    });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(without.status, 403);
  assert.match(without.body.error, /CSRF/);

  await page.click('#sign-out');
  await page.waitForSelector('#sign-in');
  const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
  assert.equal(me.viewer.kind, 'public');
  const denied = await page.evaluate(async () => (await fetch('/api/admin/accounts')).status);
  assert.equal(denied, 403);
  await page.goto(`${base}/#/administration`);
  await page.waitForSelector('#view p.error');
  await page.screenshot({ path: join(shots, 'view-administration-signed-out.png') });
});
