// One request of the desk, as its reader sees it (#/guichet/demandes/12, and the public
// requester's #/guichet/suivi/<secret>): its status and deadline, the territory's figures
// attached when it was submitted, its attachments, its history as a timeline, its thread
// of messages, and a form for each step the server says the reader may take now (`may`)
// — no more, so that a button never offers what the server would refuse. After a step
// the case is read again: the page shows what the server holds, not a local guess.

import { isAdmin, viewer } from '../account';
import { api, type CaseView, type DeskEvent, type DeskFigures, type DeskStatus, type DeskStep, type Suggestion } from '../api';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import { headRow, scrollTable } from '../tables';
import { byId, type Context } from './view';

const d = t.desk;
/** Portrait figures shown with a case: the key ones first (the portrait link has them all). */
const FIGURES = 8;

/** Where a case is read and changed: the signed-in endpoints, or a public requester's link. */
export interface CaseSource {
  load: () => Promise<CaseView>;
  step: (s: DeskStep) => Promise<CaseView>;
  /** The download address of attachment `n`; none for a public requester (no session to prove who reads). */
  attachment?: (n: number) => string;
  /** Referents for the routing form (agents). */
  suggestions?: () => Promise<Suggestion[]>;
}

/** A moment of a case, in the reader's time zone: date and time, or the date alone. */
export const deskDate = (s: number) => new Date(s * 1000).toLocaleString(t.locale, { dateStyle: 'short', timeStyle: 'short' });
export const deskDay = (s: number) => new Date(s * 1000).toLocaleDateString(t.locale);

/** The status in French, with whom it names (routed to, taken by, refused because). */
export function statusText(s: DeskStatus): string {
  const label = d.statuses[s.status] ?? s.status;
  if ('to' in s) return `${label} (${d.routedTo(s.to)})`;
  if ('by' in s) return `${label} (${d.by(s.by)})`;
  if ('reason' in s) return `${label} (${d.reason(s.reason)})`;
  return label;
}

function due(days: number | null | undefined): string {
  if (days === null || days === undefined) return d.over;
  return days >= 0 ? d.dueIn(fmt(days, 1)) : d.late(fmt(-days, 1));
}

/** The territory when the request was submitted: name, references and a few portrait figures with units and sources. */
function figures(f: DeskFigures | null): string {
  if (!f?.territory) return `<p>${esc(d.noFigures)}</p>`;
  const name = f.territory.name ?? f.territory.key;
  const refs = f.references.map((r) => `<li>${esc(r.name ?? r.key)} <small>${esc(r.key)} — ${esc(r.layer)}</small></li>`).join('');
  const p = f.portrait;
  let table = '';
  if (p) {
    const shown = [...p.indicators].sort((a, b) => Number(b.key) - Number(a.key)).slice(0, FIGURES);
    const rows = shown
      .map(
        (i) => `<tr data-indicator="${esc(i.id)}"><th scope="row">${esc(i.label)}${i.synthetic ? ` <em class="synthetic">${esc(t.legend.synthetic)}</em>` : ''}</th>
        <td class="num">${fmt(i.values[0] ?? null, i.decimals)}</td><td>${esc(i.unit)}</td>
        <td class="src">${esc(i.source ?? t.missing)} (${esc(i.vintage ?? t.missing)})</td></tr>`,
      )
      .join('');
    table = scrollTable('desk-figures-table', d.figuresCaption(name), headRow([d.indicator, d.value, d.unit, d.source].map((text) => ({ text }))), rows);
  }
  return `<p id="desk-territory-line"><strong>${esc(name)}</strong> <small>${esc(f.territory.key)} — ${esc(f.territory.layer)}</small>
      — <a href="#/portrait/${esc(f.territory.key)}">${esc(d.portraitLink)}</a></p>
    ${refs ? `<p>${esc(d.references)} :</p><ul id="desk-references">${refs}</ul>` : ''}
    ${table}
    <p class="source">${esc(d.figuresAt(deskDate(f.at)))}</p>`;
}

function attachments(v: CaseView, url: CaseSource['attachment']): string {
  if (!v.attachments.length) return `<p>${esc(d.noAttachments)}</p>`;
  const item = (a: CaseView['attachments'][number]) => {
    const label = `${esc(a.name)} <small>(${esc(d.size(fmt(a.size / 1024, 1)))})</small>`;
    return `<li>${url ? `<a href="${esc(url(a.n))}" download="${esc(a.name)}">${label}</a>` : label}</li>`;
  };
  return `<ul id="desk-attachments-list">${v.attachments.map(item).join('')}</ul>`;
}

/** What a step says beyond its name (routing's organisations, a refusal's reason). */
function stepDetail(e: DeskEvent): string {
  const s = e.step;
  if (s.step === 'route') return d.routedTo(s.to);
  if (s.step === 'refuse') return d.reason(s.reason);
  return '';
}

/** The history, oldest first: each step, who took it, when, and the status after it. The
 *  first line is the submission, which the server records as a message (the description). */
function history(v: CaseView): string {
  const items = v.case.history
    .map((e, i) => {
      const kind = i === 0 ? 'submit' : e.step.step;
      const detail = stepDetail(e);
      return `<li data-step="${esc(kind)}"><time>${esc(deskDate(e.at))}</time> — <strong>${esc(d.steps[kind] ?? kind)}</strong>
        ${esc(d.by(e.who))}${detail ? ` — ${esc(detail)}` : ''} <span class="after">(${esc(d.statusAfter(e.status))})</span></li>`;
    })
    .join('');
  return `<ol id="desk-history-list" class="timeline">${items}</ol>`;
}

/** The messages and answers after the submission, as a thread. */
function thread(v: CaseView): string {
  const said = v.case.history.slice(1).filter((e) => e.step.step === 'message' || e.step.step === 'answer');
  if (!said.length) return `<p>${esc(d.noMessages)}</p>`;
  const item = (e: DeskEvent) => {
    const text = 'text' in e.step ? e.step.text : '';
    return `<article class="message ${esc(e.step.step)}" data-step="${esc(e.step.step)}">
      <p class="who"><strong>${esc(d.steps[e.step.step])}</strong> ${esc(d.by(e.who))} — <time>${esc(deskDate(e.at))}</time></p>
      <p class="text">${esc(text)}</p></article>`;
  };
  return `<div id="desk-thread-list">${said.map(item).join('')}</div>`;
}

/** A textarea and its button: the form of a step that carries a text. */
const textForm = (id: string, label: string, submit: string) =>
  `<form id="desk-${id}-form" class="stack"><label for="desk-${id}-text">${esc(label)}</label>
    <textarea id="desk-${id}-text" rows="4"></textarea><button type="submit" id="desk-${id}">${esc(submit)}</button></form>`;

/** The routing form: the suggested referents ticked, the others the administrator may see, and a free list. */
function routeForm(suggested: Suggestion[], others: string[]): string {
  const box = (org: string, checked: boolean, why: string) =>
    `<label class="block"><input type="checkbox" name="desk-route-org" value="${esc(org)}"${checked ? ' checked' : ''}> ${esc(org)}${why ? ` <small>— ${esc(why)}</small>` : ''}</label>`;
  const boxes = [
    ...suggested.map((s) => box(s.org, true, d.suggested(s.because.join(' ; ')))),
    ...others.filter((o) => !suggested.some((s) => s.org === o)).map((o) => box(o, false, '')),
  ].join('');
  return `<form id="desk-route-form" class="stack"><fieldset id="desk-route-orgs"><legend>${esc(d.routeLegend)}</legend>${boxes}</fieldset>
    <label for="desk-route-other">${esc(d.otherOrgs)}</label><input id="desk-route-other" autocomplete="off">
    <button type="submit" id="desk-route">${esc(d.routeSubmit)}</button></form>`;
}

/** The forms of the steps in `may`, in the order of a case's life. */
async function actions(v: CaseView, src: CaseSource): Promise<string> {
  const may = new Set(v.may);
  const parts: string[] = [];
  if (may.has('route')) {
    const suggested = src.suggestions ? await src.suggestions().catch(() => []) : [];
    const others = isAdmin(viewer) ? (await api.admin.organisations().catch(() => [])).map((o) => o.id) : [];
    parts.push(routeForm(suggested, others));
  }
  const button = (id: string, label: string) => `<p><button type="button" id="desk-${id}">${esc(label)}</button></p>`;
  if (may.has('accept')) parts.push(button('accept', d.accept));
  if (may.has('start')) parts.push(button('start', d.start));
  if (may.has('answer')) parts.push(textForm('answer', d.answerField, d.answerSubmit));
  if (may.has('close')) parts.push(button('close', d.close));
  if (may.has('refuse')) parts.push(textForm('refuse', d.refuseField, d.refuseSubmit));
  if (may.has('message')) parts.push(textForm('message', d.messageField, d.messageSubmit));
  return parts.length ? parts.join('') : `<p>${esc(d.noAction)}</p>`;
}

/** The step each form or button sends; null (with the reason shown) when it lacks what the step needs. */
function wireActions(ctx: Context, src: CaseSource, redraw: (message: string) => Promise<void>) {
  const status = () => byId(ctx, 'desk-step-status');
  const fail = (message: string) => {
    const s = status();
    s.className = 'error';
    s.setAttribute('role', 'alert');
    s.textContent = t.error(message);
  };
  const take = async (step: DeskStep) => {
    try {
      await src.step(step);
      if (ctx.live()) await redraw(d.done);
    } catch (err) {
      if (ctx.live()) fail((err as Error).message);
    }
  };
  const text = (id: string) => byId<HTMLTextAreaElement>(ctx, `desk-${id}-text`).value;
  const on = (id: string, handler: () => void) => {
    const el = byId(ctx, `desk-${id}`);
    if (!el) return;
    const form = el.closest('form');
    if (form) {
      form.onsubmit = (e) => {
        e.preventDefault();
        handler();
      };
    } else el.onclick = handler;
  };
  on('route', () => {
    const ticked = [...ctx.el.querySelectorAll<HTMLInputElement>('input[name="desk-route-org"]:checked')].map((c) => c.value);
    const typed = byId<HTMLInputElement>(ctx, 'desk-route-other').value.split(',').map((s) => s.trim());
    const to = [...new Set([...ticked, ...typed].filter(Boolean))];
    if (!to.length) return fail(d.routeNone);
    void take({ step: 'route', to });
  });
  on('accept', () => void take({ step: 'accept' }));
  on('start', () => void take({ step: 'start' }));
  on('close', () => void take({ step: 'close' }));
  on('answer', () => void take({ step: 'answer', text: text('answer') }));
  on('refuse', () => void take({ step: 'refuse', reason: text('refuse') }));
  on('message', () => void take({ step: 'message', text: text('message') }));
}

/** Draws the case `v` into the panel, with its step forms. */
async function draw(ctx: Context, v: CaseView, src: CaseSource, note: string, message: string) {
  const c = v.case;
  const acts = await actions(v, src);
  if (!ctx.live()) return;
  ctx.el.innerHTML = `<p><a href="#/guichet" id="desk-back">${esc(d.back)}</a></p>
    ${note ? `<p id="desk-note" role="status">${esc(note)}</p>` : ''}
    <h2 id="desk-case-title">${esc(d.caseTitle(v.id, c.title))}</h2>
    <p id="desk-status" data-status="${esc(c.status.status)}"><strong>${esc(d.statusLine(statusText(c.status)))}</strong></p>
    <p id="desk-due">${esc(due(v.due_in_days))}</p>
    <p id="desk-role">${esc(d.yourRole(d.roles[v.role] ?? v.role))}</p>
    <dl class="desk-facts">
      <dt>${esc(d.theme)}</dt><dd id="desk-theme-value">${esc(d.themes[c.theme] ?? c.theme)}</dd>
      <dt>${esc(d.territory)}</dt><dd>${esc(v.figures?.territory?.name ?? c.territory)} <small>${esc(c.territory)}</small></dd>
      <dt>${esc(d.urgencyLabel)}</dt><dd>${esc(d.urgencies[c.urgency] ?? c.urgency)}</dd>
      <dt>${esc(d.requester)}</dt><dd>${esc(c.requester)}</dd>
    </dl>
    <h3>${esc(d.descriptionTitle)}</h3><p id="desk-description-text" class="text">${esc(c.description)}</p>
    <section id="desk-actions" aria-labelledby="desk-actions-title"><h3 id="desk-actions-title">${esc(d.actionsTitle)}</h3>
      <p id="desk-step-status" role="status" aria-live="polite">${esc(message)}</p>${acts}</section>
    <section id="desk-thread" aria-labelledby="desk-thread-title"><h3 id="desk-thread-title">${esc(d.threadTitle)}</h3>${thread(v)}</section>
    <section id="desk-history" aria-labelledby="desk-history-title"><h3 id="desk-history-title">${esc(d.historyTitle)}</h3>${history(v)}</section>
    <section id="desk-attachments" aria-labelledby="desk-attachments-title"><h3 id="desk-attachments-title">${esc(d.attachmentsTitle)}</h3>${attachments(v, src.attachment)}</section>
    <section id="desk-figures" aria-labelledby="desk-figures-title"><h3 id="desk-figures-title">${esc(d.figuresTitle)}</h3>${figures(v.figures)}</section>`;
  ctx.alternative(v.figures?.portrait ? 'desk-figures-table' : null, d.caseTitle(v.id, c.title));
  wireActions(ctx, src, async (msg) => {
    delete document.body.dataset.desk;
    const fresh = await src.load();
    if (ctx.live()) await draw(ctx, fresh, src, '', msg);
  });
  document.body.dataset.desk = 'case';
}

/** Reads the case from `src` and draws it; `note` is said above it (a confirmation). */
export async function showCase(ctx: Context, src: CaseSource, note = '') {
  ctx.el.innerHTML = `<p>${esc(t.map.loading)}</p>`;
  try {
    const v = await src.load();
    if (!ctx.live()) return;
    await draw(ctx, v, src, note, '');
  } catch (e) {
    if (!ctx.live()) return;
    ctx.el.innerHTML = `<p><a href="#/guichet" id="desk-back">${esc(d.back)}</a></p>
      <p class="error" id="view-error" role="alert">${esc(t.error((e as Error).message))}</p>`;
    document.body.dataset.desk = 'error';
  }
}
