// The login screen (#/connexion) and a minimal administration (#/administration):
// accounts (list, create, disable), organisations (list, create), the audit log (latest
// lines, and the whole as CSV). Every request goes through api.ts, which carries the
// session's CSRF token on changes.

import { isAdmin, refreshAccount } from '../account';
import { api, type AccountInfo, type AuditEntry, type Organisation } from '../api';
import { esc } from '../format';
import { t } from '../i18n';
import { headRow, scrollTable } from '../tables';
import { byId, type Context, type View } from './view';

const a = t.account;

export const loginView: View = {
  name: 'connexion',
  async render(ctx: Context) {
    ctx.alternative(null, a.title);
    const me = await refreshAccount();
    if (!ctx.live()) return;
    if (me.viewer.kind === 'local') {
      ctx.el.innerHTML = `<h2>${esc(a.title)}</h2><p>${esc(a.local)}</p>`;
      return;
    }
    ctx.el.innerHTML = `<h2>${esc(a.title)}</h2>
      ${me.viewer.kind === 'account' ? `<p>${esc(a.signedIn(me.viewer.login))}</p>` : ''}
      <form id="login-form" class="stack">
        <label for="login-name">${esc(a.login)}</label>
        <input id="login-name" name="username" autocomplete="username" required>
        <label for="login-password">${esc(a.password)}</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required>
        <button type="submit" id="login-submit">${esc(a.submit)}</button>
        <p id="login-status" role="status" aria-live="polite"></p>
      </form>`;
    const form = byId<HTMLFormElement>(ctx, 'login-form');
    form.onsubmit = async (e) => {
      e.preventDefault();
      const status = byId(ctx, 'login-status');
      status.className = '';
      status.textContent = '';
      try {
        const m = await api.auth.login(byId<HTMLInputElement>(ctx, 'login-name').value, byId<HTMLInputElement>(ctx, 'login-password').value);
        await refreshAccount();
        status.textContent = m.viewer.kind === 'account' ? a.signedIn(m.viewer.login) : '';
        location.hash = isAdmin(m) ? '#/administration' : '#/carte';
      } catch (err) {
        byId<HTMLInputElement>(ctx, 'login-password').value = '';
        status.className = 'error';
        status.textContent = (err as Error).message;
      }
    };
  },
};

const when = (s: number) => new Date(s * 1000).toISOString().replace('T', ' ').slice(0, 19);

function accountsTable(accounts: AccountInfo[]): string {
  const head = headRow([{ text: a.login }, { text: a.role }, { text: a.organisation }, { text: a.state }, { text: a.created }, { text: '' }]);
  const rows = accounts
    .map(
      (x) => `<tr data-login="${esc(x.login)}"><th scope="row">${esc(x.login)}</th><td>${esc(a.roles[x.role] ?? x.role)}</td>
      <td>${esc(x.org ?? '')}</td><td>${esc(x.disabled ? a.disabled : a.active)}</td><td>${esc(when(x.created_at))}</td>
      <td><button type="button" class="toggle" data-login="${esc(x.login)}" data-disabled="${x.disabled}"
        aria-label="${esc(`${x.disabled ? a.enable : a.disable} ${x.login}`)}">${esc(x.disabled ? a.enable : a.disable)}</button></td></tr>`,
    )
    .join('');
  return scrollTable('admin-accounts', a.accounts, head, rows);
}

function organisationsTable(orgs: Organisation[]): string {
  const rows = orgs.map((o) => `<tr><th scope="row">${esc(o.id)}</th><td>${esc(o.name)}</td></tr>`).join('');
  return scrollTable('admin-organisations', a.organisations, headRow([{ text: a.orgId }, { text: a.orgName }]), rows);
}

function auditTable(lines: AuditEntry[]): string {
  const rows = lines
    .map(
      (l) => `<tr><th scope="row">${esc(when(l.at))}</th><td>${esc(l.who)}</td><td>${esc(l.action)}</td>
      <td>${esc(l.target)}</td><td>${esc(l.from)}</td><td>${esc(l.detail)}</td></tr>`,
    )
    .join('');
  return scrollTable('admin-audit', a.audit, headRow(a.auditColumns.map((text) => ({ text }))), rows);
}

async function drawAdmin(ctx: Context) {
  const me = await refreshAccount();
  if (!ctx.live()) return;
  if (!isAdmin(me)) {
    ctx.el.innerHTML = `<h2>${esc(a.adminTitle)}</h2><p class="error" role="alert">${esc(a.forbidden)}</p>`;
    return;
  }
  const [accounts, orgs, audit] = await Promise.all([api.admin.accounts(), api.admin.organisations(), api.admin.audit(200)]);
  if (!ctx.live()) return;
  const orgOptions = [`<option value="">${esc(a.none)}</option>`, ...orgs.map((o) => `<option value="${esc(o.id)}">${esc(o.id)}</option>`)].join('');
  ctx.el.innerHTML = `<h2>${esc(a.adminTitle)}</h2>
    ${accountsTable(accounts)}
    <form id="new-account" class="stack">
      <h3>${esc(a.newAccount)}</h3>
      <label for="new-login">${esc(a.login)}</label><input id="new-login" required autocomplete="off">
      <label for="new-role">${esc(a.role)}</label>
      <select id="new-role"><option value="analyst">${esc(a.roles.analyst)}</option><option value="admin">${esc(a.roles.admin)}</option></select>
      <label for="new-org">${esc(a.organisation)}</label><select id="new-org">${orgOptions}</select>
      <label for="new-password">${esc(a.password)}</label><input id="new-password" type="password" autocomplete="new-password" required minlength="12">
      <button type="submit" id="new-account-submit">${esc(a.create)}</button>
      <p id="new-account-status" role="status" aria-live="polite"></p>
    </form>
    ${organisationsTable(orgs)}
    <form id="new-organisation" class="stack">
      <h3>${esc(a.newOrganisation)}</h3>
      <label for="new-org-id">${esc(a.orgId)}</label><input id="new-org-id" required autocomplete="off">
      <label for="new-org-name">${esc(a.orgName)}</label><input id="new-org-name" required autocomplete="off">
      <button type="submit" id="new-organisation-submit">${esc(a.create)}</button>
      <p id="new-organisation-status" role="status" aria-live="polite"></p>
    </form>
    <p><a class="button" id="audit-csv" href="${api.admin.auditCsvUrl}" download>${esc(a.auditCsv)}</a></p>
    ${auditTable(audit)}`;
  const failed = (id: string) => (err: unknown) => {
    const s = byId(ctx, id);
    s.className = 'error';
    s.textContent = (err as Error).message;
  };
  byId<HTMLFormElement>(ctx, 'new-account').onsubmit = (e) => {
    e.preventDefault();
    const login = byId<HTMLInputElement>(ctx, 'new-login').value.trim();
    const org = byId<HTMLSelectElement>(ctx, 'new-org').value;
    const role = byId<HTMLSelectElement>(ctx, 'new-role').value as 'admin' | 'analyst';
    api.admin
      .addAccount({ login, role, org: org || null, password: byId<HTMLInputElement>(ctx, 'new-password').value })
      .then(async () => {
        await drawAdmin(ctx);
        byId(ctx, 'new-account-status').textContent = a.createdAccount(login);
      }, failed('new-account-status'));
  };
  byId<HTMLFormElement>(ctx, 'new-organisation').onsubmit = (e) => {
    e.preventDefault();
    const id = byId<HTMLInputElement>(ctx, 'new-org-id').value.trim();
    api.admin
      .addOrganisation({ id, name: byId<HTMLInputElement>(ctx, 'new-org-name').value })
      .then(async () => {
        await drawAdmin(ctx);
        byId(ctx, 'new-organisation-status').textContent = a.createdOrganisation(id);
      }, failed('new-organisation-status'));
  };
  for (const b of ctx.el.querySelectorAll<HTMLButtonElement>('button.toggle')) {
    b.onclick = () => void api.admin.setDisabled(b.dataset.login!, b.dataset.disabled !== 'true').then(() => drawAdmin(ctx), failed('new-account-status'));
  }
  document.body.dataset.admin = 'ready';
}

export const adminView: View = {
  name: 'administration',
  async render(ctx: Context) {
    ctx.alternative(null, a.adminTitle);
    delete document.body.dataset.admin;
    await drawAdmin(ctx);
  },
};
