// The account zone of the header: « Se connecter », or the signed-in account with its
// role, the administration link for administrators and « Se déconnecter ». Nothing in
// the embedded single-user mode (a server on loopback without accounts).

import { api, type Me } from './api';
import { esc } from './format';
import { t } from './i18n';

let zone: HTMLElement | null = null;

/** The viewer as last read (null before the first read). */
export let viewer: Me | null = null;

/** Whether the viewer may administer (an administrator, or the local user). */
export const isAdmin = (m: Me | null) =>
  !!m && (m.viewer.kind === 'local' || (m.viewer.kind === 'account' && m.viewer.role === 'admin'));

/** Reads who the page acts as and draws the header's zone. */
export async function refreshAccount(): Promise<Me> {
  viewer = await api.auth.me();
  draw(viewer);
  return viewer;
}

function draw(m: Me) {
  if (!zone) return;
  const v = m.viewer;
  if (v.kind === 'account') {
    zone.innerHTML = `<span id="account-who">${esc(t.account.who(v.login, t.account.roles[v.role] ?? v.role))}</span>
      ${v.role === 'admin' ? `<a href="#/administration" id="nav-administration">${esc(t.account.admin)}</a>` : ''}
      <button type="button" id="sign-out">${esc(t.account.signOut)}</button>`;
    zone.querySelector<HTMLButtonElement>('#sign-out')!.onclick = async () => {
      await api.auth.logout();
      await refreshAccount();
      location.hash = '#/connexion';
    };
  } else if (v.kind === 'public' && m.accounts) {
    zone.innerHTML = `<a href="#/connexion" id="sign-in">${esc(t.account.signIn)}</a>`;
  } else {
    zone.innerHTML = '';
  }
}

/** Draws the zone into `el`, once the viewer is known. */
export async function accountZone(el: HTMLElement) {
  zone = el;
  await refreshAccount();
}
