// The request form of the engineering-requests desk: signed in (POST /api/desk/requests)
// or, without an account, with the requester's e-mail (POST /api/desk/public). The
// territory is picked among the referential search's matches — what is typed is never
// sent, only the key of a match — and the attachments are counted and weighed before
// sending to spare a long upload; the server checks everything again (their content
// too) and is the judge: its refusal shows above the button, the form stays filled.

import { api, type CaseView, type Found, type PublicReceipt } from '../api';
import { esc } from '../format';
import { t } from '../i18n';
import { territorySearch } from '../search';
import { byId, type Context } from './view';

const d = t.desk;
/** As the server: five attachments of 10 MiB at most. */
const MAX_FILES = 5;
const MAX_BYTES = 10 * 1024 * 1024;
/** The types the server accepts (by name, then by content). */
const ACCEPT = '.pdf,.png,.jpg,.jpeg,.docx,.xlsx,.odt,.ods,.txt,.csv';

const options = (labels: Record<string, string>) =>
  Object.entries(labels)
    .map(([k, v]) => `<option value="${esc(k)}">${esc(v)}</option>`)
    .join('');

/** The form's HTML; `publicForm` adds the e-mail field the check link goes to. */
export function requestForm(publicForm: boolean): string {
  return `<form id="desk-form" class="stack desk-form" novalidate>
    <h3>${esc(publicForm ? d.publicFormTitle : d.formTitle)}</h3>
    <label for="desk-title">${esc(d.titleField)}</label>
    <input id="desk-title" required maxlength="200" autocomplete="off">
    <label for="desk-theme">${esc(d.themeField)}</label>
    <select id="desk-theme">${options(d.themes)}</select>
    <div class="search">
      <label for="desk-territory-search">${esc(d.territoryField)}</label>
      <input id="desk-territory-search" type="search" placeholder="${esc(d.territoryPlaceholder)}" autocomplete="off">
      <div id="desk-territory-results" class="results"></div>
    </div>
    <p id="desk-territory-chosen" hidden>${esc(d.territoryChosen)} <strong id="desk-territory-name"></strong></p>
    <input type="hidden" id="desk-territory">
    <label for="desk-description">${esc(d.description)}</label>
    <textarea id="desk-description" rows="6" required></textarea>
    <label for="desk-urgency">${esc(d.urgency)}</label>
    <select id="desk-urgency">${options(d.urgencies)}</select>
    <label for="desk-files">${esc(d.attachments)}</label>
    <input id="desk-files" type="file" multiple accept="${ACCEPT}">
    ${publicForm ? `<label for="desk-email">${esc(d.email)}</label><input id="desk-email" type="email" required autocomplete="email">` : ''}
    <p id="desk-form-status" role="status" aria-live="polite"></p>
    <button type="submit" id="desk-submit">${esc(d.submit)}</button>
  </form>`;
}

/** What the browser can tell before sending: a field the server would refuse anyway. */
function precheck(ctx: Context, files: File[]): string | null {
  const value = (id: string) => byId<HTMLInputElement>(ctx, id).value.trim();
  if (!value('desk-title')) return `${d.titleField} : vide`;
  if (!value('desk-territory')) return d.territoryMissing;
  if (!value('desk-description')) return `${d.description} : vide`;
  if (files.length > MAX_FILES) return d.tooMany(MAX_FILES);
  const big = files.find((f) => f.size > MAX_BYTES);
  return big ? d.tooLarge(big.name) : null;
}

/** The multipart body, with the server's field names. */
function body(ctx: Context, files: File[], publicForm: boolean): FormData {
  const value = (id: string) => byId<HTMLInputElement>(ctx, id).value;
  const form = new FormData();
  form.set('title', value('desk-title'));
  form.set('theme', value('desk-theme'));
  form.set('territory', value('desk-territory'));
  form.set('description', value('desk-description'));
  form.set('urgency', value('desk-urgency'));
  if (publicForm) form.set('email', value('desk-email'));
  for (const f of files) form.append('attachment', f, f.name);
  return form;
}

/** Wires the form drawn by `requestForm`: `sent` gets the stored case (signed in) or the
 *  receipt (public form) once the server took the request. */
export function wireRequestForm(ctx: Context, publicForm: boolean, sent: (r: CaseView | PublicReceipt) => void) {
  const territory = byId<HTMLInputElement>(ctx, 'desk-territory');
  territorySearch(byId<HTMLInputElement>(ctx, 'desk-territory-search'), byId(ctx, 'desk-territory-results'), (f: Found) => {
    territory.value = f.key;
    byId(ctx, 'desk-territory-name').textContent = `${f.name} (${f.key})`;
    byId(ctx, 'desk-territory-chosen').hidden = false;
  });
  const status = byId(ctx, 'desk-form-status');
  const button = byId<HTMLButtonElement>(ctx, 'desk-submit');
  const fail = (message: string) => {
    status.className = 'error';
    status.setAttribute('role', 'alert');
    status.textContent = t.error(message);
  };
  byId<HTMLFormElement>(ctx, 'desk-form').onsubmit = async (e) => {
    e.preventDefault();
    const files = [...(byId<HTMLInputElement>(ctx, 'desk-files').files ?? [])];
    const wrong = precheck(ctx, files);
    if (wrong) return fail(wrong);
    status.className = '';
    status.textContent = d.sending;
    button.disabled = true;
    try {
      const form = body(ctx, files, publicForm);
      const r = publicForm ? await api.desk.submitPublic(form) : await api.desk.submit(form);
      if (ctx.live()) sent(r);
    } catch (err) {
      if (ctx.live()) fail((err as Error).message);
    } finally {
      button.disabled = false;
    }
  };
}
