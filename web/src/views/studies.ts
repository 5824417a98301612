// Shared studies (#/etudes): partners keep territories, indicators, the map as they left
// it, tables with their sources and notes; a study is private to its organisation, shared
// with organisations or public, versioned, commented, and opened from its link.
//
//   #/etudes      the studies the viewer may see, and the new study form (signed in)
//   #/etudes/3    a study (study.ts): its link, contents, versions, comments, edit form
//
// The server names a study's link `/etudes/3`; main.ts turns such a path into the fragment.

import { refreshAccount } from '../account';
import { api, type Indicator, type Me, type StudyLine, type StudyTable } from '../api';
import { esc } from '../format';
import { t } from '../i18n';
import { headRow, lastTable, scrollTable } from '../tables';
import { emptyStudy, studyFields, wireStudyFields } from './study-form';
import { currentMap, levelBadge, mapWords, showStudy, studyDay } from './study';
import { byId, type Context, type View } from './view';

const s = t.studies;
/** Rows of a saved table at most (as the server). */
const MAX_ROWS = 5000;

/** Whether the viewer may create a study (an account, or the local user). */
const signedIn = (m: Me) => m.viewer.kind !== 'public';

function listTable(lines: StudyLine[]): string {
  if (!lines.length) return `<p id="studies-none">${esc(s.none)}</p>`;
  const rows = lines
    .map(
      (l) => `<tr data-study="${l.id}" data-visibility="${esc(l.visibility)}"><td class="num">${l.id}</td>
        <th scope="row"><a href="#/etudes/${l.id}">${esc(l.title)}</a></th>
        <td class="num">${l.version}</td><td>${esc(studyDay(l.updated_at))}</td><td>${esc(l.created_by)}</td><td>${levelBadge(l.visibility)}</td></tr>`,
    )
    .join('');
  const head = headRow([
    { text: s.number, cls: 'num' },
    { text: s.studyTitle },
    { text: s.version, cls: 'num' },
    { text: s.savedAt },
    { text: s.author },
    { text: s.visibility },
  ]);
  return scrollTable('studies-list', s.listCaption, head, rows);
}

/** The table of the last view with an export menu, as a study keeps it (its source line with it). */
function keptTable(): StudyTable | null {
  const tb = lastTable();
  if (!tb || !tb.rows.length) return null;
  return { title: tb.title, source: tb.source, columns: tb.header, rows: tb.rows };
}

function newForm(ctx: Context, indicators: Indicator[]): string {
  const map = currentMap(ctx.map);
  const table = keptTable();
  const mapBox = map
    ? `<label class="check"><input type="checkbox" id="study-save-map" checked> ${esc(s.saveMap)}</label>
       <p id="study-map-what" class="hint">${esc(s.mapIs(mapWords(map)))}</p>`
    : `<label class="check"><input type="checkbox" id="study-save-map" disabled> ${esc(s.saveMap)}</label>
       <p id="study-map-what" class="hint">${esc(s.mapNone)}</p>`;
  const tableBox = !table
    ? ''
    : table.rows.length > MAX_ROWS
      ? `<p id="study-table-what" class="hint">${esc(s.tableTooLong(table.rows.length, MAX_ROWS))}</p>`
      : `<label class="check"><input type="checkbox" id="study-keep-table" checked> ${esc(s.keepTable(table.title, table.rows.length))}</label>`;
  return `<form id="study-new-form" class="stack study-form" novalidate aria-labelledby="study-new-title">
    <h3 id="study-new-title">${esc(s.newTitle)}</h3>
    ${studyFields(emptyStudy, indicators, mapBox + tableBox)}
    <button type="submit" id="study-submit">${esc(s.create)}</button></form>`;
}

function wireNewForm(ctx: Context) {
  const fields = wireStudyFields(ctx, emptyStudy);
  const button = byId<HTMLButtonElement>(ctx, 'study-submit');
  byId<HTMLFormElement>(ctx, 'study-new-form').onsubmit = async (e) => {
    e.preventDefault();
    const got = fields.read();
    if (typeof got === 'string') return fields.fail(got);
    const saveMap = byId<HTMLInputElement>(ctx, 'study-save-map');
    const map = saveMap?.checked ? currentMap(ctx.map) : null;
    const keep = byId<HTMLInputElement>(ctx, 'study-keep-table')?.checked ? keptTable() : null;
    fields.say(s.sending);
    button.disabled = true;
    try {
      const v = await api.studies.create({
        study: { title: got.title, notes: got.notes, territories: got.territories, indicators: got.indicators, map: map ?? {}, tables: keep ? [keep] : [] },
        ...got.body,
      });
      if (ctx.live()) location.hash = `#/etudes/${v.id}`;
    } catch (err) {
      if (ctx.live()) fields.fail((err as Error).message);
    } finally {
      button.disabled = false;
    }
  };
}

async function home(ctx: Context, me: Me) {
  const [lines, indicators] = await Promise.all([api.studies.list(), signedIn(me) ? api.indicators() : Promise.resolve([])]);
  if (!ctx.live()) return;
  ctx.el.innerHTML = `<h2>${esc(s.title)}</h2><p>${esc(s.intro)}</p>
    <section id="studies-mine" aria-labelledby="studies-mine-title"><h3 id="studies-mine-title">${esc(s.mine)}</h3>${listTable(lines)}</section>
    ${signedIn(me) ? newForm(ctx, indicators.filter((i) => i.available)) : `<p id="studies-sign-in-hint">${esc(s.signInHint)}</p>`}`;
  if (signedIn(me)) wireNewForm(ctx);
  document.body.dataset.studies = 'home';
}

export const studiesView: View = {
  name: 'etudes',
  async render(ctx) {
    delete document.body.dataset.studies;
    ctx.map.events = {};
    ctx.alternative(null, s.title);
    ctx.map.select([]);
    const me = await refreshAccount();
    if (!ctx.live()) return;
    try {
      const id = ctx.route.arg;
      if (/^\d+$/.test(id)) return await showStudy(ctx, Number(id));
      await home(ctx, me);
    } catch (e) {
      if (!ctx.live()) return;
      ctx.el.innerHTML = `<p><a href="#/etudes" id="study-back">${esc(s.back)}</a></p><h2>${esc(s.title)}</h2>
        <p class="error" id="view-error" role="alert">${esc(t.error((e as Error).message))}</p>`;
      document.body.dataset.studies = 'error';
    }
  },
  leave(ctx) {
    ctx.map.select([]);
  },
};
