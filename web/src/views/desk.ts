// The engineering-requests desk (#/guichet): a commune or an EPCI asks a partner's help,
// the desk's agents route the request, a partner's referent accepts and answers.
//
//   #/guichet                    the requests one takes part in, the desk's indicators and
//                                one's address for its e-mails; a visitor: the indicators
//                                and the public form
//   #/guichet/nouvelle           the request form (public, with an e-mail, for a visitor)
//   #/guichet/demandes/12        a request (desk-case.ts)
//   #/guichet/suivi/<secret>     a public requester's request, from its e-mail's link
//
// The desk's e-mails link to /guichet/… by path; main.ts turns such a path into the fragment.

import { refreshAccount } from '../account';
import { api, type CaseLine, type DeskCell, type DeskIndicators, type Me } from '../api';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import { headRow, scrollTable } from '../tables';
import { deskDay, showCase } from './desk-case';
import { requestForm, wireRequestForm } from './desk-form';
import { byId, type Context, type View } from './view';

const d = t.desk;

/** Whether the desk knows the viewer (an account, or the local user, who is an agent). */
const known = (m: Me) => m.viewer.kind !== 'public';

function linesTable(lines: CaseLine[]): string {
  if (!lines.length) return `<p id="desk-none">${esc(d.none)}</p>`;
  const marks = (l: CaseLine) =>
    [l.urgent ? `<span class="badge desk-urgent">${esc(d.urgent)}</span>` : '', l.overdue ? `<span class="badge desk-overdue">${esc(d.overdue)}</span>` : '']
      .filter(Boolean)
      .join(' ');
  const rows = lines
    .map(
      (l) => `<tr data-case="${l.id}" data-status="${esc(l.status)}"><td class="num">${l.id}</td>
        <th scope="row"><a href="#/guichet/demandes/${l.id}">${esc(l.title)}</a></th>
        <td>${esc(d.themes[l.theme] ?? l.theme)}</td><td>${esc(l.territory)}</td><td>${esc(l.status_label)}</td>
        <td>${esc(deskDay(l.submitted_at))}</td><td>${marks(l)}</td></tr>`,
    )
    .join('');
  const head = headRow([{ text: d.number, cls: 'num' }, ...[d.requestTitle, d.theme, d.territory, d.status, d.submitted, d.marks].map((text) => ({ text }))]);
  return scrollTable('desk-cases', d.mineCaption, head, rows);
}

/** A margin of the indicators; a hidden cell says « secret » rather than a number. */
function cellsTable(id: string, caption: string, cells: DeskCell[]): string {
  const value = (c: DeskCell, v: number | null | undefined, decimals: number) => (c.secret ? esc(d.secret) : fmt(v ?? null, decimals));
  const rows = cells
    .map(
      (c) => `<tr data-key="${esc(c.key)}"${c.secret ? ' class="secret"' : ''}><th scope="row">${esc(d.themes[c.key] ?? c.label)}</th>
        <td class="num">${value(c, c.requests, 0)}</td><td class="num">${value(c, c.median_days_to_answer, 1)}</td></tr>`,
    )
    .join('');
  return scrollTable(id, caption, headRow([{ text: d.cell }, { text: d.requests, cls: 'num' }, { text: d.median, cls: 'num' }]), rows);
}

function indicators(i: DeskIndicators): string {
  const median = i.median_days_to_answer === null || i.median_days_to_answer === undefined ? d.noMedian : d.days(fmt(i.median_days_to_answer, 1));
  const total = i.secret ? d.totalSecret : d.total(fmt(i.requests ?? null, 0), median);
  return `<p id="desk-total">${esc(total)}</p>
    ${cellsTable('desk-by-theme', d.byTheme, i.by_theme)}
    ${cellsTable('desk-by-epci', d.byEpci, i.by_epci)}
    ${cellsTable('desk-by-status', d.byStatus, i.by_status)}
    <p class="source">${esc(i.rule)}</p><p class="source">${esc(t.export.sourceLine(i.source))}</p>`;
}

function contactForm(): string {
  return `<form id="desk-contact-form" class="stack" novalidate><h3>${esc(d.contactTitle)}</h3>
    <label for="desk-contact">${esc(d.contactField)}</label><input id="desk-contact" type="email" autocomplete="email" required>
    <button type="submit" id="desk-contact-submit">${esc(d.contactSubmit)}</button>
    <p id="desk-contact-status" role="status" aria-live="polite"></p></form>`;
}

function wireContact(ctx: Context) {
  byId<HTMLFormElement>(ctx, 'desk-contact-form').onsubmit = async (e) => {
    e.preventDefault();
    const status = byId(ctx, 'desk-contact-status');
    try {
      const c = await api.desk.setContact(byId<HTMLInputElement>(ctx, 'desk-contact').value);
      status.className = '';
      status.textContent = d.contactSaved(c.email);
    } catch (err) {
      status.className = 'error';
      status.textContent = t.error((err as Error).message);
    }
  };
}

/** The indicators, drawn once they arrive (public: the page does not wait for them). */
async function drawIndicators(ctx: Context) {
  const box = byId(ctx, 'desk-indicators-box');
  try {
    const i = await api.desk.indicators();
    if (ctx.live()) box.innerHTML = indicators(i);
  } catch (e) {
    if (ctx.live()) box.innerHTML = `<p class="error" role="alert">${esc(t.error((e as Error).message))}</p>`;
  }
}

const indicatorsSection = `<section id="desk-indicators" aria-labelledby="desk-indicators-title">
  <h3 id="desk-indicators-title">${esc(d.indicatorsTitle)}</h3><div id="desk-indicators-box"><p>${esc(t.map.loading)}</p></div></section>`;

/** The public form, for a visitor: once sent, its receipt replaces it. */
function wirePublicForm(ctx: Context) {
  wireRequestForm(ctx, true, (r) => {
    const message = 'message' in r ? r.message : '';
    byId(ctx, 'desk-form').outerHTML = `<p id="desk-receipt" role="status">${esc(message)}</p>`;
  });
}

async function home(ctx: Context, me: Me) {
  if (!known(me)) {
    ctx.el.innerHTML = `<h2>${esc(d.title)}</h2><p>${esc(d.intro)}</p><p id="desk-sign-in-hint">${esc(d.signInHint)}</p>
      ${requestForm(true)}${indicatorsSection}`;
    wirePublicForm(ctx);
    await drawIndicators(ctx);
    document.body.dataset.desk = 'home';
    return;
  }
  const lines = await api.desk.list();
  if (!ctx.live()) return;
  ctx.el.innerHTML = `<h2>${esc(d.title)}</h2><p>${esc(d.intro)}</p>
    <p><a class="button" href="#/guichet/nouvelle" id="desk-new">${esc(d.newRequest)}</a></p>
    <section id="desk-mine" aria-labelledby="desk-mine-title"><h3 id="desk-mine-title">${esc(d.mine)}</h3>${linesTable(lines)}</section>
    ${indicatorsSection}${contactForm()}`;
  wireContact(ctx);
  await drawIndicators(ctx);
  document.body.dataset.desk = 'home';
}

function newRequest(ctx: Context, me: Me) {
  const publicForm = !known(me);
  ctx.el.innerHTML = `<p><a href="#/guichet" id="desk-back">${esc(d.back)}</a></p><h2>${esc(d.title)}</h2>
    ${publicForm ? `<p id="desk-sign-in-hint">${esc(d.signInHint)}</p>` : ''}${requestForm(publicForm)}`;
  if (publicForm) wirePublicForm(ctx);
  else
    wireRequestForm(ctx, false, (r) => {
      if ('id' in r) location.hash = `#/guichet/demandes/${r.id}`;
    });
  document.body.dataset.desk = 'form';
}

/** A public requester's page: opening it confirms the request (the e-mail is checked),
 *  later reads go through the same secret. */
function follow(ctx: Context, secret: string) {
  let confirmed = false;
  return showCase(
    ctx,
    {
      load: () => {
        if (confirmed) return api.desk.follow.get(secret);
        confirmed = true;
        return api.desk.follow.confirm(secret);
      },
      step: (s) => api.desk.follow.step(secret, s),
    },
    d.confirmed,
  );
}

function signedInCase(ctx: Context, id: number) {
  return showCase(ctx, {
    load: () => api.desk.get(id),
    step: (s) => api.desk.step(id, s),
    attachment: (n) => api.desk.attachmentUrl(id, n),
    suggestions: () => api.desk.suggestions(id),
  });
}

export const deskView: View = {
  name: 'guichet',
  async render(ctx) {
    delete document.body.dataset.desk;
    ctx.map.events = {};
    ctx.alternative(null, d.title);
    const [page, arg = ''] = ctx.route.arg.split(/\/(.*)/s);
    const me = await refreshAccount();
    if (!ctx.live()) return;
    try {
      if (page === 'demandes' && /^\d+$/.test(arg)) return await signedInCase(ctx, Number(arg));
      if (page === 'suivi' && arg) return await follow(ctx, arg);
      if (page === 'nouvelle') return newRequest(ctx, me);
      await home(ctx, me);
    } catch (e) {
      if (!ctx.live()) return;
      ctx.el.innerHTML = `<h2>${esc(d.title)}</h2><p class="error" id="view-error" role="alert">${esc(t.error((e as Error).message))}</p>`;
      document.body.dataset.desk = 'error';
    }
  },
};
