// One shared study, as its reader sees it (#/etudes/3, its link): the link to copy, who
// may see it, the notes, territories (links to their portraits), indicators and their
// values for the territories, the tables kept with their sources, the map to reopen, the
// report to download, every version with what changed, the comments — and the edit form
// when the server says the reader may change it (`may_change`), the comment form when
// they may comment. A save sends the version read: if someone saved since, the server
// refuses (409) and its message says so; the form keeps what was typed.

import { ApiError, api, type Evaluated, type Indicator, type SharedStudy, type StudyMap, type StudyTable, type StudyView, type Table, type Visibility } from '../api';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import type { MainMap } from '../map';
import { cameraAfterDraw, format, lastMapScreen } from '../router';
import { headRow, indicatorTable, scrollTable } from '../tables';
import { type Place, studyFields, wireStudyFields } from './study-form';
import { byId, type Context } from './view';

const s = t.studies;
/** Rows of a saved table shown on the page (the report has them all). */
const SHOWN_ROWS = 50;

/** A moment of a study, in the reader's time zone. */
export const studyDate = (sec: number) => new Date(sec * 1000).toLocaleString(t.locale, { dateStyle: 'short', timeStyle: 'short' });
export const studyDay = (sec: number) => new Date(sec * 1000).toLocaleDateString(t.locale);

/** The badge of a study's visibility, every level named (a public study too). */
export const levelBadge = (level: string) => `<span class="badge visibility-${esc(level)}">${esc(s.levels[level] ?? level)}</span>`;

/** Who may see it, in words. */
export function visibilityLabel(v: Visibility): string {
  if (v.kind === 'shared') return `${s.sharedWith(v.with)} ${s.ownedBy(v.owner)}`;
  if (v.kind === 'private') return s.privateTo(v.owner);
  return s.levels.public;
}

/** The names of the screens a study may reopen. */
const SCREENS: Record<string, string> = {
  carte: t.nav.map,
  portrait: t.portrait.title,
  comparer: t.nav.compare,
  perimetre: t.nav.perimeter,
  mobilites: t.nav.flows,
  acces: t.nav.access,
  garanties: t.nav.guarantees,
  'tiers-lieux': t.nav.siting,
  commerce: t.nav.retail,
};

/** What a saved map reopens, in words: the screen's name and its address. */
export const mapWords = (m: StudyMap) => `${SCREENS[m.view] ?? m.view} — ${m.route}`;

/** The map as it is now: the last map screen reached (with its settings) and the camera. */
export function currentMap(map: MainMap): StudyMap | null {
  const r = lastMapScreen();
  if (!r) return null;
  const c = map.map.getCenter();
  return {
    route: format(r),
    view: r.view,
    arg: r.arg,
    params: Object.fromEntries(r.params),
    center: [Number(c.lng.toFixed(5)), Number(c.lat.toFixed(5))],
    zoom: Number(map.map.getZoom().toFixed(2)),
  };
}

/** A saved map, if the study holds one (the server keeps it as any JSON). */
function savedMap(study: SharedStudy): StudyMap | null {
  const m = study.map as Partial<StudyMap> | undefined;
  return m && typeof m.route === 'string' && m.route.startsWith('#/') ? (m as StudyMap) : null;
}

/** The study's indicators for its territories: one portrait of the first against the
 *  others, its columns narrowed to the study's territories (the references left out). */
async function figures(study: SharedStudy): Promise<Table | null> {
  const keys = study.territories ?? [];
  if (!keys.length || !(study.indicators ?? []).length) return null;
  const p = await api.portrait(keys[0], keys.slice(1), study.indicators);
  const at = keys.map((k) => p.columns.findIndex((c) => c.key.split('!')[0] === k));
  const kept = at.filter((i) => i >= 0);
  return {
    columns: kept.map((i) => p.columns[i]),
    indicators: p.indicators.map((i): Evaluated => ({ ...i, values: kept.map((c) => i.values[c] ?? null), coverage: kept.map((c) => i.coverage[c] ?? [0, 0]) })),
  };
}

/** The territories with names (from the figures when read, else their keys). */
function places(study: SharedStudy, table: Table | null): Place[] {
  return (study.territories ?? []).map((key) => ({ key, name: table?.columns.find((c) => c.key.split('!')[0] === key)?.name ?? key }));
}

function savedTable(tb: StudyTable, n: number): string {
  const head = headRow(tb.columns.map((text) => ({ text })));
  const cell = (v: string | number | null) => (typeof v === 'number' ? `<td class="num">${esc(fmt(v, Number.isInteger(v) ? 0 : 2))}</td>` : `<td>${esc(v ?? t.missing)}</td>`);
  const rows = tb.rows
    .slice(0, SHOWN_ROWS)
    .map((r) => `<tr>${r.map(cell).join('')}</tr>`)
    .join('');
  const more = tb.rows.length > SHOWN_ROWS ? `<p class="hint">${esc(s.moreRows(tb.rows.length - SHOWN_ROWS))}</p>` : '';
  return `<article class="study-table" data-table="${n}">
    ${scrollTable(`study-table-${n}`, tb.title, head, rows)}${more}
    <p class="source" id="study-table-${n}-source">${esc(s.tableSource(tb.source))}</p></article>`;
}

function versions(v: StudyView): string {
  const items = [...v.versions]
    .reverse()
    .map(
      (x) => `<li data-version="${x.version}"><strong>${esc(s.versionLine(x.version, x.author, studyDate(x.at)))}</strong>
        <ul class="changes">${x.changes.map((c) => `<li>${esc(c)}</li>`).join('')}</ul></li>`,
    )
    .join('');
  return `<ol id="study-versions" class="timeline">${items}</ol>`;
}

function comments(v: StudyView): string {
  const list = v.comments.length
    ? `<div id="study-comment-list">${v.comments
        .map(
          (c) => `<article class="message" data-comment="${c.id}"><p class="who"><strong>${esc(c.who)}</strong> — <time>${esc(studyDate(c.at))}</time></p>
            <p class="text">${esc(c.text)}</p></article>`,
        )
        .join('')}</div>`
    : `<p id="study-no-comment">${esc(s.noComments)}</p>`;
  const form = v.may_comment
    ? `<form id="study-comment-form" class="stack"><label for="study-comment-text">${esc(s.commentField)}</label>
        <textarea id="study-comment-text" rows="3"></textarea><button type="submit" id="study-comment-submit">${esc(s.commentSubmit)}</button>
        <p id="study-comment-status" role="status" aria-live="polite"></p></form>`
    : `<p id="study-comment-hint">${esc(s.commentSignIn)}</p>`;
  return list + form;
}

function editForm(v: StudyView, indicators: Indicator[], table: Table | null): string {
  if (!v.may_change) return `<p id="study-read-only">${esc(s.readOnly)}</p>`;
  const f = { title: v.study.title, notes: v.study.notes ?? '', territories: places(v.study, table), indicators: v.study.indicators ?? [], visibility: v.visibility };
  const extra = `<label class="check"><input type="checkbox" id="study-replace-map"> ${esc(s.replaceMap)}</label>`;
  return `<section id="study-edit" aria-labelledby="study-edit-title"><form id="study-edit-form" class="stack study-form" novalidate aria-labelledby="study-edit-title">
    <h3 id="study-edit-title">${esc(s.editTitle)}</h3><p class="hint">${esc(s.editHint)}</p>
    ${studyFields(f, indicators, extra)}
    <button type="submit" id="study-save">${esc(s.save)}</button></form></section>`;
}

/** Draws the study `v` into the panel; `message` is said in the edit form's status. */
async function draw(ctx: Context, v: StudyView, message = '') {
  const study = v.study;
  const [table, indicators] = await Promise.all([
    figures(study).then(
      (x) => ({ table: x, error: '' }),
      (e: Error) => ({ table: null, error: e.message }),
    ),
    api.indicators().catch((): Indicator[] => []),
  ]);
  if (!ctx.live()) return;
  const link = `${location.origin}/#/etudes/${v.id}`;
  const names = places(study, table.table);
  const byId_ = new Map(indicators.map((i) => [i.id, i]));
  const map = savedMap(study);
  const figuresHtml = table.table
    ? indicatorTable(table.table, 'study-figures-table', s.figuresCaption)
    : `<p id="study-figures-none">${esc(table.error ? s.figuresFailed(table.error) : s.figuresNone)}</p>`;
  ctx.el.innerHTML = `<p><a href="#/etudes" id="study-back">${esc(s.back)}</a></p>
    <h2 id="study-heading"><span id="study-title-text">${esc(study.title)}</span> ${levelBadge(v.visibility.kind)}</h2>
    <div class="study-link"><label for="study-link">${esc(s.link)}</label>
      <input id="study-link" readonly value="${esc(link)}">
      <button type="button" id="study-copy">${esc(s.copy)}</button> <span id="study-copy-status" role="status" aria-live="polite"></span></div>
    <p id="study-facts">${esc(s.facts(v.version, studyDate(v.updated_at), v.created_by))}</p>
    <p id="study-visibility-line">${esc(s.visibilityLine(visibilityLabel(v.visibility)))}</p>
    <p><a class="button" id="study-report" href="${esc(api.studies.reportUrl(v.id))}" download>${esc(s.report)}</a></p>
    <p class="hint">${esc(s.reportHint)}</p>
    <section id="study-notes-box" aria-labelledby="study-notes-title"><h3 id="study-notes-title">${esc(s.notesTitle)}</h3>
      <p id="study-notes-text" class="text">${esc(study.notes || s.noNotes)}</p></section>
    <section id="study-territories-box" aria-labelledby="study-territories-title"><h3 id="study-territories-title">${esc(s.territoriesTitle)}</h3>
      ${names.length ? `<ul id="study-territory-list">${names.map((p) => `<li data-key="${esc(p.key)}"><a href="#/portrait/${esc(p.key)}">${esc(p.name)}</a> <small>${esc(p.key)}</small></li>`).join('')}</ul>` : `<p>${esc(s.noTerritory)}</p>`}</section>
    <section id="study-indicators-box" aria-labelledby="study-indicators-title"><h3 id="study-indicators-title">${esc(s.indicatorsTitle)}</h3>
      ${(study.indicators ?? []).length ? `<ul id="study-indicator-list">${(study.indicators ?? []).map((id) => `<li data-indicator="${esc(id)}">${esc(byId_.get(id)?.label ?? id)}${byId_.get(id) ? ` <small>(${esc(byId_.get(id)!.unit)})</small>` : ''}</li>`).join('')}</ul>` : `<p>${esc(s.noIndicators)}</p>`}</section>
    <section id="study-figures" aria-labelledby="study-figures-title"><h3 id="study-figures-title">${esc(s.figuresTitle)}</h3>${figuresHtml}</section>
    <section id="study-tables" aria-labelledby="study-tables-title"><h3 id="study-tables-title">${esc(s.tablesTitle)}</h3>
      ${(study.tables ?? []).length ? (study.tables ?? []).map(savedTable).join('') : `<p>${esc(s.noTables)}</p>`}</section>
    <section id="study-map" aria-labelledby="study-map-title"><h3 id="study-map-title">${esc(s.mapTitle)}</h3>
      ${map ? `<p id="study-map-what">${esc(mapWords(map))}</p><button type="button" id="study-open-map">${esc(s.openMap)}</button>` : `<p>${esc(s.noMap)}</p>`}</section>
    <section id="study-versions-box" aria-labelledby="study-versions-title"><h3 id="study-versions-title">${esc(s.versionsTitle)}</h3>${versions(v)}</section>
    <section id="study-comments" aria-labelledby="study-comments-title"><h3 id="study-comments-title">${esc(s.commentsTitle)}</h3>${comments(v)}</section>
    ${editForm(v, indicators.filter((i) => i.available || (study.indicators ?? []).includes(i.id)), table.table)}`;
  ctx.alternative(table.table ? 'study-figures-table' : null, s.describe(study.title));
  // The study's communes outlined on the map (the portraits frame the other territories).
  ctx.map.select(names.filter((p) => p.key.startsWith('com:')).map((p) => p.key));
  wire(ctx, v, names, message);
  document.body.dataset.studies = 'study';
}

function wire(ctx: Context, v: StudyView, names: Place[], message: string) {
  const reload = async (msg: string) => {
    delete document.body.dataset.studies;
    const fresh = await api.studies.get(v.id);
    if (ctx.live()) await draw(ctx, fresh, msg);
  };
  byId<HTMLButtonElement>(ctx, 'study-copy').onclick = async () => {
    const status = byId(ctx, 'study-copy-status');
    const input = byId<HTMLInputElement>(ctx, 'study-link');
    try {
      await navigator.clipboard.writeText(input.value);
      status.textContent = s.copied;
    } catch {
      input.select();
      status.textContent = s.copyFailed;
    }
  };
  const open = byId<HTMLButtonElement>(ctx, 'study-open-map');
  const map = savedMap(v.study);
  if (open && map) {
    open.onclick = () => {
      if (map.center && typeof map.zoom === 'number') cameraAfterDraw({ center: map.center, zoom: map.zoom });
      location.hash = map.route;
    };
  }
  const commentForm = byId<HTMLFormElement>(ctx, 'study-comment-form');
  if (commentForm)
    commentForm.onsubmit = async (e) => {
      e.preventDefault();
      const status = byId(ctx, 'study-comment-status');
      try {
        await api.studies.comment(v.id, byId<HTMLTextAreaElement>(ctx, 'study-comment-text').value);
        if (ctx.live()) await reload('');
      } catch (err) {
        if (!ctx.live()) return;
        status.className = 'error';
        status.setAttribute('role', 'alert');
        status.textContent = t.error((err as Error).message);
      }
    };
  const edit = byId<HTMLFormElement>(ctx, 'study-edit-form');
  if (!edit) return;
  const fields = wireStudyFields(ctx, { title: v.study.title, notes: v.study.notes ?? '', territories: names, indicators: v.study.indicators ?? [], visibility: v.visibility });
  if (message) fields.say(message);
  const button = byId<HTMLButtonElement>(ctx, 'study-save');
  edit.onsubmit = async (e) => {
    e.preventDefault();
    const got = fields.read();
    if (typeof got === 'string') return fields.fail(got);
    const replace = byId<HTMLInputElement>(ctx, 'study-replace-map').checked;
    const map = replace ? currentMap(ctx.map) : null;
    fields.say(s.sending);
    button.disabled = true;
    try {
      const saved = await api.studies.save(v.id, {
        version: v.version,
        study: { ...v.study, title: got.title, notes: got.notes, territories: got.territories, indicators: got.indicators, ...(map ? { map } : {}) },
        ...got.body,
      });
      if (!ctx.live()) return;
      await draw(ctx, saved, saved.version === v.version ? s.unchanged : s.saved(saved.version));
      byId(ctx, 'study-form-status')?.scrollIntoView({ block: 'nearest' });
    } catch (err) {
      if (!ctx.live()) return;
      button.disabled = false;
      const m = (err as Error).message;
      if (err instanceof ApiError && err.status === 409) {
        fields.fail(s.conflict(m));
        const status = byId(ctx, 'study-form-status');
        status.insertAdjacentHTML('beforeend', ` <button type="button" id="study-reload">${esc(s.reload)}</button>`);
        byId<HTMLButtonElement>(ctx, 'study-reload').onclick = () => void reload('');
        status.dataset.conflict = 'true';
      } else fields.fail(m);
    }
  };
}

/** Reads study `id` and draws it (the server's « not found » for whoever may not see it). */
export async function showStudy(ctx: Context, id: number) {
  ctx.el.innerHTML = `<p>${esc(t.map.loading)}</p>`;
  const v = await api.studies.get(id);
  if (!ctx.live()) return;
  await draw(ctx, v);
}
