// The values map (#/carte): an indicator at a layer within a territory, classed by
// quantiles, equal intervals, Jenks natural breaks (exact) or manual thresholds; the
// histogram of the values with the class breaks; the table of the values (the map's text
// alternative) and its exports; the map's exports (PNG, SVG, the layer as GeoJSON or
// GeoPackage). A click on a territory opens its portrait.

import { exportUrls } from '../api';
import { histogram } from '../charts';
import * as choropleth from '../choropleth';
import type { Method } from '../classify';
import { CLASS_COUNTS, colors, FRANCE, MAP_LAYERS, TABLE_ROWS } from '../config';
import { download, mapPng, mapSvg, type ExportTable, type SvgShape } from '../export';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import { eachPoint, type MainMap, shapesOf } from '../map';
import { go, setParams } from '../router';
import { exportMenu, headRow, scrollTable, wireExports } from '../tables';
import { byId, type Context, type View } from './view';

/** Address parameters of the view and the settings they hold. */
const PARAMS = { indicateur: 'indicator', echelon: 'layer', dans: 'within', methode: 'method', classes: 'classes', seuils: 'manual' } as const;

let table: ExportTable | null = null;
let unsubscribe: (() => void) | null = null;
/** The territory the camera was last framed on: it moves when the territory changes, not the indicator. */
let framed = FRANCE;

const option = (value: string, text: string, selected: boolean) =>
  `<option value="${esc(value)}"${selected ? ' selected' : ''}>${esc(text)}</option>`;

const group = (label: string, options: string[]) => (options.length ? `<optgroup label="${esc(label)}">${options.join('')}</optgroup>` : '');

/** The territories « Territoire affiché » offers: France, the régions, the départements, the perimeters. */
function withinOptions(): string {
  const s = choropleth.state.settings;
  const g = t.map.withinGroups;
  const { regions, departements, perimeters } = choropleth.state;
  return [
    option(FRANCE, t.map.withinFrance, s.within === FRANCE),
    group(g.regions, regions.map((r) => option(r.key, r.name, r.key === s.within))),
    group(g.departements, departements.map((d) => option(d.key, d.name, d.key === s.within))),
    group(g.perimeters, perimeters.map((p) => option(p.key, `${p.name} (${p.communes})`, p.key === s.within))),
  ].join('');
}

/** « Territoire affiché » set to the territory shown; one the list does not offer (an EPCI, a
 *  commune named in the address) gets an option of its own, so that the select never reads blank. */
function showWithin(ctx: Context) {
  const select = byId<HTMLSelectElement>(ctx, 'within');
  const within = choropleth.state.settings.within;
  select.querySelector('#within-other')?.remove();
  if (![...select.options].some((o) => o.value === within)) {
    const other = document.createElement('optgroup');
    other.id = 'within-other';
    other.label = t.map.withinGroups.other;
    other.append(new Option(choropleth.withinName(), within));
    select.append(other);
  }
  select.value = within;
}

function controlsHtml(): string {
  const s = choropleth.state.settings;
  const m = t.map;
  return `<form id="controls" class="controls" aria-label="${esc(m.settings)}">
    <label>${esc(m.indicator)} <select id="indicator">${choropleth.state.indicators
      .map((i) => option(i.id, `${i.label} (${i.unit})${i.synthetic ? ` — ${t.legend.syntheticShort}` : ''}`, i.id === s.indicator))
      .join('')}</select></label>
    <div class="row">
      <label>${esc(m.layer)} <select id="layer">${MAP_LAYERS.map((l) => option(l, m.layers[l], l === s.layer)).join('')}</select></label>
      <label>${esc(m.within)} <select id="within">${withinOptions()}</select></label>
    </div>
    <div class="row">
      <label>${esc(m.method)} <select id="method">${(Object.keys(m.methods) as Method[])
        .map((k) => option(k, m.methods[k], k === s.method))
        .join('')}</select></label>
      <label>${esc(m.classes)} <select id="classes">${CLASS_COUNTS.map((k) => option(String(k), String(k), k === s.classes)).join('')}</select></label>
    </div>
    <label id="manual-box"${s.method === 'manual' ? '' : ' hidden'}>${esc(m.manualBreaks)} <input id="manual" value="${esc(s.manual)}" placeholder="${esc(m.manualHint)}"></label>
    <p id="map-error" class="error" role="alert" hidden></p>
  </form>`;
}

/** Settings named in the address (the others stay as they are). */
function fromAddress(params: URLSearchParams): Partial<choropleth.Settings> {
  const patch: Record<string, string | number> = {};
  for (const [param, key] of Object.entries(PARAMS)) {
    const v = params.get(param);
    if (v !== null) patch[key] = key === 'classes' ? Number(v) : v;
  }
  // A territory named without a layer opens on its communes (at its own layer it would be
  // one shape); France keeps its départements.
  if (typeof patch.within === 'string' && patch.within !== FRANCE && patch.layer === undefined) patch.layer = 'com';
  return patch as Partial<choropleth.Settings>;
}

function toAddress(): Record<string, string> {
  const s = choropleth.state.settings;
  return { indicateur: s.indicator, echelon: s.layer, dans: s.within, methode: s.method, classes: String(s.classes), seuils: s.method === 'manual' ? s.manual : '' };
}

async function change(ctx: Context, patch: Partial<choropleth.Settings>, push = true) {
  await choropleth.set(patch);
  // The user may have left the view meanwhile.
  if (!byId(ctx, 'layer')) return;
  setParams(toAddress(), !push);
  const s = choropleth.state.settings;
  // The controls say what is shown (a layer without shapes is not taken).
  byId<HTMLSelectElement>(ctx, 'layer').value = s.layer;
  showWithin(ctx);
  byId<HTMLInputElement>(ctx, 'manual').value = s.manual;
  byId(ctx, 'manual-box').hidden = s.method !== 'manual';
  if (s.within !== framed) {
    framed = s.within;
    await ctx.map.fitTerritory(s.within);
  }
}

/** The table, the histogram and the messages, after each painting of the map. */
function refresh(ctx: Context) {
  const err = byId(ctx, 'map-error');
  err.hidden = !choropleth.state.error;
  err.textContent = choropleth.state.error;
  const v = choropleth.state.values;
  const box = byId(ctx, 'values-box');
  if (!v) {
    box.innerHTML = `<p>${esc(t.map.loading)}</p>`;
    return;
  }
  const ind = v.indicator;
  const s = choropleth.state.settings;
  const c = t.export.columns;
  const rows = [...v.values].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
  const layerName = t.map.layers[s.layer] ?? s.layer;
  table = {
    name: `${ind.id}-${s.layer}-${s.within.replace(':', '-')}`,
    title: `${ind.label} — ${layerName} — ${choropleth.withinName()}`,
    source: choropleth.provenance(ind),
    header: [c.key, c.name, `${c.value} (${ind.unit})`, c.unit, c.source, c.vintage, c.synthetic],
    rows: rows.map((r) => [r.key, r.name, r.secret ? t.secret : r.value, ind.unit, ind.source, ind.vintage, ind.synthetic ? t.export.yes : t.export.no]),
  };
  const caption = `${t.map.valuesTable} — ${ind.label} (${ind.unit})`;
  box.innerHTML = `<h2>${esc(caption)}</h2>
    <p class="source">${esc(choropleth.provenance(ind))}</p>
    <div id="histogram-box"></div>
    ${scrollTable(
      'map-values',
      caption,
      headRow([{ text: t.map.territoryColumn }, { text: t.map.valueColumn(ind.unit), cls: 'num' }]),
      rows
        .slice(0, TABLE_ROWS)
        .map((r) => `<tr><th scope="row"><a href="#/portrait/${esc(r.key)}">${esc(r.name)}</a></th><td class="num">${r.secret ? esc(t.secret) : fmt(r.value, ind.decimals)}</td></tr>`)
        .join(''),
    )}`;
  const k = choropleth.state.classes;
  if (k && k.nums.length > 0)
    byId(ctx, 'histogram-box').append(
      histogram(k.nums, k.th, k.colors, { label: ind.label, unit: ind.unit, decimals: ind.decimals, width: Math.max(280, box.clientWidth - 8) }),
    );
  ctx.alternative('map-values', t.map.describe(ind.label, layerName, choropleth.withinName()));
  for (const format of ['geojson', 'gpkg'])
    (document.getElementById(`export-${format}`) as HTMLAnchorElement).href = exportUrls.layer(s.layer, s.within, [s.indicator], format);
}

function sourceLines(): string[] {
  const ind = choropleth.state.values!.indicator;
  return [
    t.export.sourceLine(`${ind.source ?? t.missing} — ${t.legend.vintage.toLowerCase()} ${ind.vintage ?? t.missing}`) + (ind.synthetic ? ` — ${t.legend.synthetic}` : ''),
    t.map.shapesNote,
  ];
}

/** The shapes of the layer shown that touch the view, projected to screen pixels (sub-pixel vertices dropped). */
async function visibleShapes(main: MainMap): Promise<SvgShape[]> {
  const map = main.map;
  const fc = await shapesOf(main.shown, choropleth.state.settings.within);
  const b = map.getBounds();
  const colorOf = choropleth.state.classes?.colorOf ?? new Map<string, string>();
  const out: SvgShape[] = [];
  for (const f of fc.features) {
    let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
    eachPoint(f, (lon, lat) => {
      w = Math.min(w, lon);
      e = Math.max(e, lon);
      s = Math.min(s, lat);
      n = Math.max(n, lat);
    });
    if (e < b.getWest() || w > b.getEast() || n < b.getSouth() || s > b.getNorth()) continue;
    const polys = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates];
    const polygons = polys.map((poly) =>
      poly.map((ring) => {
        const px: [number, number][] = [];
        for (const c of ring) {
          const p = map.project(c);
          const last = px[px.length - 1];
          if (!last || Math.abs(p.x - last[0]) + Math.abs(p.y - last[1]) >= 0.5) px.push([p.x, p.y]);
        }
        return px;
      }),
    );
    out.push({ polygons, color: colorOf.get(f.properties.key) ?? colors.noRow, name: f.properties.name });
  }
  return out;
}

function wireMapExports(main: MainMap) {
  const status = document.getElementById('map-export-status') as HTMLElement;
  (document.getElementById('export-svg') as HTMLButtonElement).onclick = async () => {
    const ind = choropleth.state.values?.indicator;
    if (!ind) return;
    status.hidden = true;
    try {
      const canvas = main.map.getCanvas();
      const svg = mapSvg(canvas.clientWidth, canvas.clientHeight, await visibleShapes(main), `${ind.label} (${ind.unit})`, choropleth.state.legend, sourceLines());
      download(`carte-${ind.id}-${main.shown}.svg`, svg, 'image/svg+xml;charset=utf-8');
    } catch (e) {
      status.hidden = false;
      status.textContent = t.export.failed((e as Error).message);
    }
  };
  (document.getElementById('export-png') as HTMLButtonElement).onclick = async () => {
    const ind = choropleth.state.values?.indicator;
    if (!ind) return;
    const blob = await mapPng(main.map.getCanvas(), `${ind.label} (${ind.unit})`, choropleth.state.legend, sourceLines());
    download(`carte-${ind.id}.png`, blob);
  };
}

/** The hover label of the choropleth: the territory's name and value. */
export function valueLabel(key: string, name: string | undefined): string {
  const row = choropleth.state.byKey.get(key);
  const ind = choropleth.state.values?.indicator;
  const shown = row?.secret ? t.secret : row && ind && row.value !== null ? `${fmt(row.value, ind.decimals)} ${ind.unit}` : t.missing;
  return `${name ?? row?.name ?? key} — ${shown}`;
}

export const valuesView: View = {
  name: 'carte',
  overlays: ['map-exports'],
  async render(ctx) {
    ctx.el.innerHTML = `${controlsHtml()}
      <p class="hint">${esc(t.map.hint)}</p>${exportMenu()}
      <section id="values-box"></section>`;
    const on = (id: string, patch: (v: string) => Partial<choropleth.Settings>) => {
      byId<HTMLInputElement>(ctx, id).onchange = (e) => void change(ctx, patch((e.target as HTMLInputElement).value));
    };
    on('indicator', (v) => ({ indicator: v }));
    on('layer', (v) => ({ layer: v }));
    on('within', (v) => ({ within: v }));
    on('method', (v) => ({ method: v as Method }));
    on('classes', (v) => ({ classes: Number(v) }));
    on('manual', (v) => ({ manual: v }));
    byId<HTMLFormElement>(ctx, 'controls').onsubmit = (e) => e.preventDefault();
    wireExports(ctx.el, () => table);
    wireMapExports(ctx.map);
    ctx.map.events = { click: (key) => go({ view: 'portrait', arg: key }), hover: valueLabel };
    ctx.map.select([]);
    unsubscribe = choropleth.onPaint(() => refresh(ctx));
    refresh(ctx);
    const patch = fromAddress(ctx.route.params);
    if (Object.keys(patch).length) await change(ctx, patch, false);
    setParams(toAddress(), true);
    // The address may have named settings the controls did not show yet.
    const s = choropleth.state.settings;
    for (const [id, v] of [['indicator', s.indicator], ['layer', s.layer], ['method', s.method], ['classes', String(s.classes)]])
      byId<HTMLSelectElement>(ctx, id).value = v;
    showWithin(ctx);
  },
  leave() {
    unsubscribe?.();
    unsubscribe = null;
  },
};
