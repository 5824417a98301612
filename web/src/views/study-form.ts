// The fields of a shared study, for the new study (#/etudes) and for a study's edit form
// (#/etudes/3): title, notes, territories picked among the referential search's matches
// (chips, each removable; what is typed is never sent, only the keys of matches),
// indicators ticked among those the viewer sees, and who may see it. The server checks
// everything again and is the judge: its refusal shows above the button.

import { viewer } from '../account';
import type { Found, Indicator, StudyBody, Visibility } from '../api';
import { esc } from '../format';
import { t } from '../i18n';
import { territorySearch } from '../search';
import { byId, type Context } from './view';

const s = t.studies;

/** A territory of the form: its key, and a name once known (a key read from a study has none). */
export interface Place {
  key: string;
  name: string;
}

/** What the form starts with (a study read, or nothing). */
export interface Filled {
  title: string;
  notes: string;
  territories: Place[];
  indicators: string[];
  visibility: Visibility | null;
}

export const emptyStudy: Filled = { title: '', notes: '', territories: [], indicators: [], visibility: null };

/** The viewer's organisation (private and shared studies belong to one). */
export function ownOrg(): string | null {
  const v = viewer?.viewer;
  return v && v.kind === 'account' ? (v.org ?? null) : null;
}

const option = (value: string, text: string, selected: boolean) =>
  `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(text)}</option>`;

/** The fields' HTML (inside a form the caller draws); `extra` goes before the status line. */
export function studyFields(f: Filled, indicators: Indicator[], extra = ''): string {
  const level = f.visibility?.kind ?? (ownOrg() ? 'private' : 'public');
  const shared = f.visibility?.kind === 'shared' ? f.visibility.with.join(', ') : '';
  const levels = ownOrg() || f.visibility?.kind !== undefined
    ? [option('private', s.visibilityPrivate, level === 'private'), option('shared', s.visibilityShared, level === 'shared'), option('public', s.visibilityPublic, level === 'public')]
    : [option('public', s.visibilityPublic, true)];
  const boxes = indicators
    .map(
      (i) => `<li><label><input type="checkbox" name="study-indicator" value="${esc(i.id)}"${f.indicators.includes(i.id) ? ' checked' : ''}>
        ${esc(i.label)} <small>(${esc(i.unit)})${i.synthetic ? ` — ${esc(t.legend.syntheticShort)}` : ''}</small></label></li>`,
    )
    .join('');
  return `<label for="study-title">${esc(s.titleField)}</label>
    <input id="study-title" required maxlength="200" autocomplete="off" value="${esc(f.title)}">
    <label for="study-notes">${esc(s.notesField)}</label>
    <textarea id="study-notes" rows="5">${esc(f.notes)}</textarea>
    <div class="search">
      <label for="study-territory-search">${esc(s.territoriesField)}</label>
      <input id="study-territory-search" type="search" placeholder="${esc(s.territoriesPlaceholder)}" autocomplete="off">
      <div id="study-territory-results" class="results"></div>
    </div>
    <p id="study-territories-label">${esc(s.territoriesChosen)} :</p>
    <ul id="study-territories" class="chips" aria-labelledby="study-territories-label"></ul>
    <fieldset id="study-indicators" class="study-indicators"><legend>${esc(s.indicatorsField)}</legend><ul>${boxes}</ul></fieldset>
    <label for="study-visibility">${esc(s.visibility)}</label>
    <select id="study-visibility">${levels.join('')}</select>
    <label id="study-share" for="study-share-with"${level === 'shared' ? '' : ' hidden'}>${esc(s.shareWith)}</label>
    <input id="study-share-with" placeholder="${esc(s.shareWithPlaceholder)}" value="${esc(shared)}"${level === 'shared' ? '' : ' hidden'}>
    ${extra}
    <p id="study-form-status" role="status" aria-live="polite"></p>`;
}

/** The form's state once wired: what it holds now, as the body's fields. */
export interface StudyFields {
  /** The study's fields and its visibility, or the reason nothing can be sent. */
  read: () => { body: Pick<StudyBody, 'visibility' | 'share_with'>; title: string; notes: string; territories: string[]; indicators: string[] } | string;
  fail: (message: string) => void;
  say: (message: string) => void;
}

/** Wires the fields drawn by `studyFields` (territory chips, the share field). */
export function wireStudyFields(ctx: Context, f: Filled): StudyFields {
  const places: Place[] = [...f.territories];
  const chips = byId(ctx, 'study-territories');
  const drawChips = () => {
    chips.innerHTML = places.length
      ? places
          .map(
            (p) => `<li class="chip" data-key="${esc(p.key)}">${esc(p.name)} <small>${esc(p.key)}</small>
              <button type="button" class="remove" data-remove="${esc(p.key)}" aria-label="${esc(s.remove(p.name))}">×</button></li>`,
          )
          .join('')
      : `<li id="study-no-territory">${esc(s.noTerritory)}</li>`;
  };
  chips.onclick = (e) => {
    const key = (e.target as HTMLElement).closest('button')?.dataset.remove;
    const at = places.findIndex((p) => p.key === key);
    if (at < 0) return;
    places.splice(at, 1);
    drawChips();
    byId(ctx, 'study-territory-search').focus();
  };
  territorySearch(byId<HTMLInputElement>(ctx, 'study-territory-search'), byId(ctx, 'study-territory-results'), (found: Found) => {
    if (!places.some((p) => p.key === found.key)) places.push({ key: found.key, name: found.name });
    drawChips();
  });
  drawChips();
  const visibility = byId<HTMLSelectElement>(ctx, 'study-visibility');
  visibility.onchange = () => {
    const shared = visibility.value === 'shared';
    byId(ctx, 'study-share').hidden = !shared;
    byId(ctx, 'study-share-with').hidden = !shared;
  };
  const status = byId(ctx, 'study-form-status');
  const fail = (message: string) => {
    status.className = 'error';
    status.setAttribute('role', 'alert');
    status.textContent = t.error(message);
  };
  const say = (message: string) => {
    status.className = '';
    status.setAttribute('role', 'status');
    status.textContent = message;
  };
  const read: StudyFields['read'] = () => {
    const title = byId<HTMLInputElement>(ctx, 'study-title').value.trim();
    if (!title) return s.titleMissing;
    const level = visibility.value;
    const orgs = byId<HTMLInputElement>(ctx, 'study-share-with')
      .value.split(',')
      .map((o) => o.trim())
      .filter(Boolean);
    if (level === 'shared' && !orgs.length) return s.shareNone;
    const indicators = [...ctx.el.querySelectorAll<HTMLInputElement>('input[name="study-indicator"]:checked')].map((c) => c.value);
    return {
      title,
      notes: byId<HTMLTextAreaElement>(ctx, 'study-notes').value,
      territories: places.map((p) => p.key),
      indicators,
      body: { visibility: level, share_with: level === 'shared' ? [...new Set(orgs)] : [] },
    };
  };
  return { read, fail, say };
}
