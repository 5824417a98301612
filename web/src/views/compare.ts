// Comparison (#/comparer/<a>,<b>…): two to four territories side by side, or one
// perimeter against the rest of the région ("per:x!outside"), as a table with its
// exports (the text alternative of the maps) and two to four small synchronised maps
// over the main one, each outlining its territory, coloured by the indicator of the
// values map.

import { api } from '../api';
import type { Table } from '../api/types';
import * as choropleth from '../choropleth';
import { MISSING_COLOR } from '../classify';
import { MAP_LAYERS, REGION } from '../config';
import type { ExportTable } from '../export';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import { boundsOf, shapesOf } from '../map';
import { go } from '../router';
import { territorySearch } from '../search';
import { SyncedMaps, type SyncedSpec } from '../synced';
import { exportMenu, indicatorExport, indicatorTable, wireExports } from '../tables';
import { byId, type Context, type View } from './view';

let keys: string[] = [];
let table: ExportTable | null = null;
let synced: SyncedMaps | null = null;

function closeSynced() {
  synced?.destroy();
  synced = null;
  const box = document.getElementById('synced') as HTMLElement;
  box.hidden = true;
  box.innerHTML = '';
}

/** The communes of a comparison column: "per:x!outside" is the région without the perimeter. */
async function membersOf(key: string): Promise<string[]> {
  if (key.endsWith('!outside')) {
    const [inside, region] = await Promise.all([api.members(key.split('!')[0]), api.members(REGION)]);
    const skip = new Set(inside.map((m) => m.key));
    return region.map((m) => m.key).filter((k) => !skip.has(k));
  }
  if (key.startsWith('com:')) return [key];
  return (await api.members(key)).map((m) => m.key);
}

/** The shape outlined on a comparison map: the territory itself, or the perimeter the "outside" column surrounds. */
async function outlineOf(ctx: Context, key: string): Promise<{ layer: string; key: string; id: number } | null> {
  const base = key.split('!')[0];
  const layer = base.split(':')[0];
  const id = MAP_LAYERS.includes(layer) ? await ctx.map.featureId(layer, base).catch(() => undefined) : undefined;
  return id === undefined ? null : { layer, key: base, id };
}

/** Two to four small synchronised maps over the main one, one per compared territory. */
async function showSynced(ctx: Context, c: Table) {
  closeSynced();
  const ind = choropleth.state.indicators.find((i) => i.id === choropleth.state.settings.indicator);
  const ids = ctx.map.idsBy.com;
  if (!ids || !ind) return;
  const [values, shapes, members, outlines] = await Promise.all([
    api.values(ind.id, 'com', REGION),
    shapesOf('com', REGION),
    Promise.all(c.columns.map((col) => membersOf(col.key))),
    Promise.all(c.columns.map((col) => outlineOf(ctx, col.key))),
  ]);
  if (!ctx.live()) return;
  const k = choropleth.classify(values.values);
  // The camera frames every compared territory.
  const all = new Set(members.flat());
  const box = boundsOf(shapes.features.filter((f) => all.has(f.properties.key)));
  const row = c.indicators.find((i) => i.id === ind.id);
  const specs: SyncedSpec[] = c.columns.map((col, i) => ({
    key: col.key,
    name: col.name,
    members: members[i],
    caption: row ? `${ind.label} : ${fmt(row.values[i], row.decimals)} ${ind.unit}` : t.legend.communes(members[i].length),
    outline: outlines[i],
  }));
  const holder = document.getElementById('synced') as HTMLElement;
  holder.hidden = false;
  const grid = document.createElement('div');
  grid.className = 'synced-grid';
  const head = document.createElement('p');
  head.className = 'synced-head';
  head.id = 'synced-head';
  head.textContent = `${t.compare.maps} — ${t.compare.mapsOf(`${ind.label} (${ind.unit})`)}`;
  const legend = document.createElement('div');
  if (k) {
    const labels = choropleth.classLabels(k, ind.decimals);
    legend.innerHTML = choropleth.swatches(
      [...k.colors.map((color, i) => ({ color, label: labels[i] })), { color: MISSING_COLOR, label: t.legend.missing }],
      'synced-legend',
    );
    (legend.firstElementChild as HTMLElement).id = 'synced-legend';
  }
  holder.append(head, grid, legend);
  synced = new SyncedMaps(grid, specs, ids, k?.colorOf ?? new Map(), Number.isFinite(box[0]) ? box : ids.bounds);
  (window as unknown as { echelle: { synced: unknown } }).echelle.synced = synced;
}

export const compareView: View = {
  name: 'comparer',
  async render(ctx) {
    const arg = ctx.route.arg;
    if (arg) keys = arg.split(',').filter(Boolean);
    ctx.map.events = {};
    closeSynced();
    const pers = await api.territories('per');
    if (!ctx.live()) return;
    const draw = () => {
      ctx.el.innerHTML = `
        <h2>${esc(t.compare.title)}</h2><p>${esc(t.compare.intro)}</p>
        <div class="chips" id="compare-chips">${keys
          .map((k) => `<span class="chip">${esc(k)} <button type="button" data-remove="${esc(k)}" aria-label="${esc(`${t.compare.remove} ${k}`)}" title="${esc(t.compare.remove)}">×</button></span>`)
          .join('')}</div>
        <div class="search"><label>${esc(t.compare.search)} <input id="compare-search" type="search" placeholder="${esc(t.portrait.searchPlaceholder)}" autocomplete="off"></label><div id="compare-results" class="results"></div></div>
        <p><button type="button" id="compare-run">${esc(t.compare.run)}</button></p>
        <label class="block">${esc(t.compare.insideOutside)} <select id="compare-perimeter"><option value="">${esc(t.compare.choose)}</option>
          ${pers
            .map((p) => `<option value="${esc(p.key)}"${keys.length === 1 && keys[0] === p.key ? ' selected' : ''}>${esc(p.name)}</option>`)
            .join('')}</select></label>
        <div id="compare-out"></div>`;
      byId(ctx, 'compare-chips').onclick = (e) => {
        const k = (e.target as HTMLElement).dataset.remove;
        if (!k) return;
        keys = keys.filter((x) => x !== k);
        draw();
      };
      territorySearch(byId<HTMLInputElement>(ctx, 'compare-search'), byId(ctx, 'compare-results'), ({ key }) => {
        if (!keys.includes(key) && keys.length < 4) {
          keys.push(key);
          draw();
        }
      });
      byId(ctx, 'compare-run').onclick = () => go({ view: 'comparer', arg: keys.join(',') });
      byId<HTMLSelectElement>(ctx, 'compare-perimeter').onchange = (e) => {
        const v = (e.target as HTMLSelectElement).value;
        if (v) go({ view: 'comparer', arg: v });
      };
    };
    draw();
    const out = byId(ctx, 'compare-out');
    const single = keys.length === 1 && keys[0].startsWith('per:');
    if (!arg || (keys.length < 2 && !single)) {
      if (arg) out.innerHTML = `<p class="error" role="alert">${esc(t.compare.needTwo)}</p>`;
      ctx.alternative(null, t.compare.title);
      return;
    }
    try {
      const c = await api.compare(keys);
      if (!ctx.live()) return;
      const names = c.columns.map((x) => x.name).join(', ');
      table = indicatorExport(`comparaison-${keys.join('-').replace(/[:!]/g, '-')}`, `${t.compare.title} — ${names}`, c);
      out.innerHTML = exportMenu() + indicatorTable(c, 'compare-table', `${t.compare.tableCaption} — ${names}`);
      wireExports(out, () => table);
      ctx.alternative('compare-table', t.compare.describe(names));
      await showSynced(ctx, c);
    } catch (e) {
      if (ctx.live()) out.innerHTML = `<p class="error" id="view-error" role="alert">${esc(t.error((e as Error).message))}</p>`;
    }
  },
  leave() {
    closeSynced();
  },
};
