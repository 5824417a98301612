// The observatory in the browser: choropleth map of Hauts-de-France at any layer
// (communes, EPCI, arrondissements, départements, régions), territory portraits,
// comparisons with synchronised maps, a perimeter editor, exports of every table
// (CSV, XLSX, Parquet), of the layer (GeoJSON, GeoPackage), of the map (PNG, SVG) and of
// the portrait (printable page, PDF).
//
//   #/carte                 map and the table of the mapped values
//   #/portrait/<key>        a territory against its references (permanent link)
//   #/comparer/<a>,<b>      two to four territories, or one perimeter against its outside
//   #/perimetre             perimeter editor (click communes on the map)
//
// Geometry comes once per layer, as vector tiles (/tiles/{layer}/…, source-layer named
// after the layer) whose integer feature ids /api/feature-ids?layer= maps to keys; an
// indicator's values are joined on the client with feature-state, so changing indicator
// downloads no geometry again.

import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import {
  api,
  type Evaluated,
  exportUrls,
  type FeatureIds,
  fetchFile,
  type Indicator,
  type ShapeCollection,
  type Table,
  type Values,
  type ValueRow,
} from './api';
import { breaks, classOf, MISSING_COLOR, type Method, palette } from './classify';
import { download, type ExportTable, type LegendEntry, mapPng, mapSvg, type SvgShape, toCsv } from './export';
import { hideAccess, renderAccess } from './access';
import { territorySearch } from './search';
import { hideFlows, renderFlows } from './flows';
import { t } from './i18n';
import { type Bounds, SyncedMaps, type SyncedSpec } from './synced';

const REGION = 'reg:32';
/** Layers the map can draw (each has its own tiles). */
const MAP_LAYERS = ['com', 'epci', 'arr', 'dep', 'reg', 'per'];
/** Fill colour of a shape that has no row in the values shown. */
const NO_ROW = '#f7f7f7';

const state = {
  indicators: [] as Indicator[],
  indicator: '',
  layer: 'com',
  /** The layer whose shapes are on screen (may lag `layer` while its tiles are set up). */
  shown: '',
  within: REGION,
  method: 'quantile' as Method,
  classes: 5,
  manual: '',
  values: null as Values | null,
  byKey: new Map<string, ValueRow>(),
  colors: new Map<string, string>(),
  thresholds: [] as number[],
  /** Commune feature ids (the selection and the synced maps use the commune tiles). */
  ids: null as FeatureIds | null,
  idsBy: {} as Record<string, FeatureIds>,
  selected: new Set<string>(),
  table: null as ExportTable | null,
  legend: [] as LegendEntry[],
};

const el = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function esc(s: string | null | undefined): string {
  return (s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmt(v: number | null, decimals = 0): string {
  if (v === null || !Number.isFinite(v)) return t.missing;
  return new Intl.NumberFormat(t.locale, { minimumFractionDigits: decimals, maximumFractionDigits: decimals }).format(v);
}

function provenance(i: Indicator): string {
  return `${i.source ?? t.missing} (${t.legend.vintage.toLowerCase()} ${i.vintage ?? t.missing})`;
}

// ------------------------------------------------------------------ layout

el('app').innerHTML = `
<header>
  <h1>${esc(t.appTitle)}</h1>
  <nav>
    <a href="#/carte" id="nav-map">${esc(t.nav.map)}</a>
    <a href="#/comparer" id="nav-compare">${esc(t.nav.compare)}</a>
    <a href="#/perimetre" id="nav-perimeter">${esc(t.nav.perimeter)}</a>
    <a href="#/mobilites" id="nav-flows">${esc(t.nav.flows)}</a>
    <a href="#/acces" id="nav-access">${esc(t.nav.access)}</a>
  </nav>
  <div class="search">
    <input id="search" type="search" placeholder="${esc(t.portrait.searchPlaceholder)}" aria-label="${esc(t.portrait.search)}" autocomplete="off">
    <div id="search-results" class="results"></div>
  </div>
</header>
<main>
  <aside>
    <section id="controls">
      <label>${esc(t.map.indicator)} <select id="indicator"></select></label>
      <div class="row">
        <label>${esc(t.map.layer)} <select id="layer">${MAP_LAYERS.map((l) => `<option value="${l}">${esc(t.map.layers[l])}</option>`).join('')}</select></label>
        <label>${esc(t.map.within)} <select id="within"></select></label>
      </div>
      <div class="row">
        <label>${esc(t.map.method)} <select id="method">
          ${(Object.keys(t.map.methods) as Method[]).map((m) => `<option value="${m}">${esc(t.map.methods[m])}</option>`).join('')}
        </select></label>
        <label>${esc(t.map.classes)} <select id="classes">${[3, 4, 5, 6, 7].map((k) => `<option${k === 5 ? ' selected' : ''}>${k}</option>`).join('')}</select></label>
      </div>
      <label id="manual-box" hidden>${esc(t.map.manualBreaks)} <input id="manual" placeholder="${esc(t.map.manualHint)}"></label>
      <p id="map-error" class="error" hidden></p>
    </section>
    <section id="view"></section>
  </aside>
  <section id="mapwrap">
    <div id="map"></div>
    <div id="legend" aria-live="polite"></div>
    <div id="hover" hidden></div>
    <div id="map-exports" class="floating exports">
      <span>${esc(t.export.map)}</span>
      <button id="export-png">${esc(t.export.png)}</button>
      <button id="export-svg">${esc(t.export.svg)}</button>
      <span>${esc(t.export.layer)}</span>
      <a id="export-geojson" class="button" download>${esc(t.export.geojson)}</a>
      <a id="export-gpkg" class="button" download>${esc(t.export.gpkg)}</a>
      <span id="map-export-status" class="error" hidden></span>
    </div>
    <div id="synced" hidden></div>
  </section>
</main>`;

// ------------------------------------------------------------------ map

const map = new maplibregl.Map({
  container: 'map',
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }],
  },
  center: [2.75, 49.95],
  zoom: 7,
  maxZoom: 14,
  attributionControl: false,
  canvasContextAttributes: { preserveDrawingBuffer: true },
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
(window as unknown as { echelle: unknown }).echelle = { map, state };

const mapReady = new Promise<void>((resolve) => map.on('load', () => resolve()));

async function setupMap() {
  state.ids = await api.featureIds('com');
  state.idsBy.com = state.ids;
  await mapReady;
  // The selection (perimeter editor, portrait) is drawn on the commune tiles above every layer.
  map.addSource('com', {
    type: 'vector',
    tiles: [`${location.origin}/tiles/com/{z}/{x}/{y}.mvt`],
    maxzoom: 12,
    bounds: state.ids.bounds,
  });
  const base = { source: 'com', 'source-layer': 'com' } as const;
  map.addLayer({
    id: 'com-sel',
    type: 'fill',
    ...base,
    paint: {
      'fill-color': '#1f4fbf',
      'fill-opacity': ['case', ['boolean', ['feature-state', 'sel'], false], 0.25, 0] as never,
    },
  });
  map.addLayer({
    id: 'com-sel-line',
    type: 'line',
    ...base,
    paint: {
      'line-color': '#1f4fbf',
      'line-width': ['case', ['boolean', ['feature-state', 'sel'], false], 2.5, 0] as never,
    },
  });
  await ensureLayer('com');
  showLayer('com');
  const [w, s, e, n] = state.ids.bounds;
  map.fitBounds(
    [
      [w, s],
      [e, n],
    ],
    { padding: 20, animate: false },
  );
  map.on('mouseout', hideHover);
}

/** Sets up the tiles and style layers of `layer` once (hidden); throws when the server has no shapes for it. */
async function ensureLayer(layer: string): Promise<FeatureIds> {
  const known = state.idsBy[layer];
  if (known && map.getLayer(`${layer}-fill`)) return known;
  const ids = known ?? (await api.featureIds(layer));
  state.idsBy[layer] = ids;
  if (map.getLayer(`${layer}-fill`)) return ids;
  if (!map.getSource(layer))
    map.addSource(layer, {
      type: 'vector',
      tiles: [`${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt`],
      maxzoom: 12,
      bounds: ids.bounds,
    });
  const base = { source: layer, 'source-layer': layer } as const;
  const hidden = { visibility: 'none' } as const;
  map.addLayer(
    {
      id: `${layer}-fill`,
      type: 'fill',
      ...base,
      layout: hidden,
      paint: { 'fill-color': ['coalesce', ['feature-state', 'color'], NO_ROW] as never },
    },
    'com-sel',
  );
  const width = layer === 'com' ? [0.1, 0.6] : [0.6, 1.6];
  map.addLayer(
    {
      id: `${layer}-line`,
      type: 'line',
      ...base,
      layout: hidden,
      paint: {
        'line-color': layer === 'com' ? '#777' : '#444',
        'line-width': ['interpolate', ['linear'], ['zoom'], 6, width[0], 10, width[1]] as never,
      },
    },
    'com-sel',
  );
  map.on('click', `${layer}-fill`, (ev) => {
    const key = ev.features?.[0]?.properties?.key as string | undefined;
    if (!key) return;
    if (route().name === 'perimetre') toggleTerritory(key);
    else if (!['mobilites', 'acces'].includes(route().name)) location.hash = `#/portrait/${key}`;
  });
  map.on('mousemove', `${layer}-fill`, (ev) => {
    const f = ev.features?.[0];
    if (!f || layer !== state.shown || ['mobilites', 'acces'].includes(route().name)) return;
    showHover(f.properties?.key as string, f.properties?.name as string | undefined, ev.point);
  });
  map.on('mouseleave', `${layer}-fill`, hideHover);
  return ids;
}

/** A perimeter just saved is drawn on the perimeter layer at once: new feature ids, tiles fetched again. */
async function refreshPerimeterLayer() {
  if (!state.idsBy.per) return;
  state.idsBy.per = await api.featureIds('per');
  const source = map.getSource('per') as maplibregl.VectorTileSource | undefined;
  source?.setTiles([`${location.origin}/tiles/per/{z}/{x}/{y}.mvt?v=${Date.now()}`]);
  if (state.layer === 'per') loadValues();
}

function showLayer(layer: string) {
  for (const l of MAP_LAYERS) {
    if (!map.getLayer(`${l}-fill`)) continue;
    const v = l === layer ? 'visible' : 'none';
    map.setLayoutProperty(`${l}-fill`, 'visibility', v);
    map.setLayoutProperty(`${l}-line`, 'visibility', v);
  }
  state.shown = layer;
}

/** The label under the pointer: name and value of the territory, next to the pointer, kept inside the map. */
function showHover(key: string, name: string | undefined, point: { x: number; y: number }) {
  const hover = el('hover');
  const row = state.byKey.get(key);
  const ind = state.values?.indicator;
  hover.textContent = `${name ?? row?.name ?? key} — ${row && ind && row.value !== null ? `${fmt(row.value, ind.decimals)} ${ind.unit}` : t.missing}`;
  hover.hidden = false;
  const wrap = el('mapwrap');
  const gap = 14;
  let x = point.x + gap;
  let y = point.y + gap;
  if (x + hover.offsetWidth > wrap.clientWidth - 4) x = Math.max(4, point.x - gap - hover.offsetWidth);
  if (y + hover.offsetHeight > wrap.clientHeight - 4) y = Math.max(4, point.y - gap - hover.offsetHeight);
  hover.style.left = `${x}px`;
  hover.style.top = `${y}px`;
  map.getCanvas().style.cursor = 'pointer';
}

function hideHover() {
  el('hover').hidden = true;
  map.getCanvas().style.cursor = '';
}

function idOf(key: string, layer = 'com'): number | undefined {
  return state.idsBy[layer]?.ids[key];
}

/** Class thresholds and colours of a set of values with the chosen method (null: bad manual breaks). */
function classify(values: ValueRow[]) {
  const nums = values.map((v) => v.value).filter((v): v is number => v !== null);
  const th = breaks(state.method, nums, state.classes, state.manual);
  if (th === null) return null;
  const colors = palette(th.length + 1);
  const colorOf = new Map<string, string>();
  const counts = new Array(colors.length).fill(0);
  let missing = 0;
  for (const v of values) {
    if (v.value === null) {
      missing++;
      colorOf.set(v.key, MISSING_COLOR);
    } else {
      const c = classOf(v.value, th);
      counts[c]++;
      colorOf.set(v.key, colors[c]);
    }
  }
  return { th, colors, colorOf, counts, missing, nums };
}

function paint() {
  const layer = state.layer;
  if (!state.values || !state.idsBy[layer] || !map.getSource(layer)) return;
  const k = classify(state.values.values);
  const err = el('map-error');
  if (k === null) {
    err.hidden = false;
    err.textContent = t.map.badManual;
    return;
  }
  err.hidden = true;
  state.thresholds = k.th;
  state.colors = k.colorOf;
  map.removeFeatureState({ source: layer, sourceLayer: layer });
  for (const [key, color] of k.colorOf) {
    const id = idOf(key, layer);
    if (id !== undefined) map.setFeatureState({ source: layer, sourceLayer: layer, id }, { color });
  }
  showLayer(layer);
  for (const key of state.selected) setSel(key, true);
  renderLegend(k.colors, k.counts, k.missing, k.nums);
  updateLayerLinks();
}

function renderLegend(colors: string[], counts: number[], missing: number, nums: number[]) {
  const ind = state.values!.indicator;
  const th = state.thresholds;
  const min = nums.length ? Math.min(...nums) : null;
  const max = nums.length ? Math.max(...nums) : null;
  const d = ind.decimals;
  const entries: LegendEntry[] = colors.map((color, i) => {
    const lo = i === 0 ? min : th[i - 1];
    const hi = i === colors.length - 1 ? max : th[i];
    return { color, label: `${fmt(lo, d)} – ${fmt(hi, d)} (${t.legend.count(counts[i], state.layer)})` };
  });
  entries.push({ color: MISSING_COLOR, label: `${t.legend.missing} (${t.legend.count(missing, state.layer)})` });
  state.legend = entries;
  el('legend').innerHTML = `
    <h2 id="legend-title">${esc(ind.label)}</h2>
    <p class="unit">${esc(t.legend.unit)} : <span id="legend-unit">${esc(ind.unit)}</span></p>
    ${ind.synthetic ? `<p class="synthetic" id="legend-synthetic">${esc(t.legend.synthetic)}</p>` : ''}
    <ul>${entries.map((e) => `<li><span class="swatch" style="background:${e.color}"></span>${esc(e.label)}</li>`).join('')}</ul>
    <p class="source" id="legend-source">${esc(t.legend.source)} : ${esc(ind.source ?? t.missing)}</p>
    <p class="source" id="legend-vintage">${esc(t.legend.vintage)} : ${esc(ind.vintage ?? t.missing)}</p>
    <p class="source">${esc(t.map.shapesNote)}</p>`;
}

let loadSeq = 0;

async function loadValues() {
  if (!state.indicator) return;
  const seq = ++loadSeq;
  el('legend').innerHTML = `<p>${esc(t.map.loading)}</p>`;
  try {
    const v = await api.values(state.indicator, state.layer, state.within);
    if (seq !== loadSeq) return;
    state.values = v;
    state.byKey = new Map(v.values.map((r) => [r.key, r]));
    paint();
    if (route().name === 'carte') renderValuesView();
  } catch (e) {
    el('legend').innerHTML = `<p class="error">${esc(t.error((e as Error).message))}</p>`;
  }
}

// ------------------------------------------------------------------ controls

async function setupControls() {
  state.indicators = (await api.indicators()).filter((i) => i.available);
  const sel = el<HTMLSelectElement>('indicator');
  sel.innerHTML = state.indicators
    .map((i) => `<option value="${esc(i.id)}">${esc(i.label)} (${esc(i.unit)})${i.synthetic ? ` — ${esc(t.legend.syntheticShort)}` : ''}</option>`)
    .join('');
  state.indicator = state.indicators.find((i) => i.id === 'density')?.id ?? state.indicators[0]?.id ?? '';
  sel.value = state.indicator;
  sel.onchange = () => {
    state.indicator = sel.value;
    loadValues();
  };
  await refreshPerimeters();
  const layer = el<HTMLSelectElement>('layer');
  layer.onchange = async () => {
    const previous = state.layer;
    const err = el('map-error');
    try {
      await mapReady;
      await ensureLayer(layer.value);
      err.hidden = true;
    } catch (e) {
      err.hidden = false;
      err.textContent = t.map.noShapes(t.map.layers[layer.value] ?? layer.value, (e as Error).message);
      layer.value = previous;
      return;
    }
    state.layer = layer.value;
    loadValues();
  };
  const within = el<HTMLSelectElement>('within');
  within.onchange = () => {
    state.within = within.value;
    loadValues();
  };
  const method = el<HTMLSelectElement>('method');
  method.onchange = () => {
    state.method = method.value as Method;
    el('manual-box').hidden = state.method !== 'manual';
    if (state.method === 'manual' && !state.manual && state.thresholds.length) {
      const d = state.values?.indicator.decimals ?? 0;
      state.manual = state.thresholds.map((x) => x.toFixed(d)).join(' ; ');
      el<HTMLInputElement>('manual').value = state.manual;
    }
    paint();
  };
  const classes = el<HTMLSelectElement>('classes');
  classes.onchange = () => {
    state.classes = Number(classes.value);
    paint();
  };
  const manual = el<HTMLInputElement>('manual');
  manual.onchange = () => {
    state.manual = manual.value;
    paint();
  };
}

async function refreshPerimeters() {
  const pers = await api.territories('per');
  const within = el<HTMLSelectElement>('within');
  within.innerHTML =
    `<option value="${REGION}">${esc(t.map.withinRegion)}</option>` +
    pers.map((p) => `<option value="${esc(p.key)}">${esc(p.name)} (${p.communes})</option>`).join('');
  within.value = state.within;
  return pers;
}

// ------------------------------------------------------------------ search

function setupSearch() {
  const input = el<HTMLInputElement>('search');
  const box = el('search-results');
  let seq = 0;
  input.oninput = async () => {
    const text = input.value.trim();
    const n = ++seq;
    if (text.length < 2) {
      box.innerHTML = '';
      return;
    }
    const found = await api.search(text).catch(() => []);
    if (n !== seq) return;
    box.innerHTML = found
      .map((f) => `<a href="#/portrait/${esc(f.key)}" class="found">${esc(f.name)} <small>${esc(f.key)}</small></a>`)
      .join('');
  };
  box.onclick = () => {
    box.innerHTML = '';
    input.value = '';
  };
}

// ------------------------------------------------------------------ tables

function tableHtml(table: Table, id: string): string {
  const cols = table.columns;
  const row = (i: Evaluated) => {
    const nums = i.values.filter((v): v is number => v !== null);
    const max = Math.max(...nums.map(Math.abs), 0);
    const cells = i.values
      .map((v, c) => {
        const [covered, units] = i.coverage[c] ?? [0, 0];
        const bar = v !== null && max > 0 ? `<span class="bar" style="width:${Math.round((Math.abs(v) / max) * 100)}%"></span>` : '';
        return `<td class="num" title="${esc(t.portrait.coverage(covered, units))}">${fmt(v, i.decimals)}${bar}</td>`;
      })
      .join('');
    return `<tr data-indicator="${esc(i.id)}"><th scope="row">${esc(i.label)}${i.synthetic ? ` <em class="synthetic">${esc(t.legend.synthetic)}</em>` : ''}</th>
      <td>${esc(i.unit)}</td>${cells}</tr>
      <tr class="srcrow"><td colspan="${cols.length + 2}" class="src">${esc(t.legend.source)} : ${esc(i.source ?? t.missing)} — <span class="vintage">${esc(t.legend.vintage.toLowerCase())} ${esc(i.vintage ?? t.missing)}</span></td></tr>`;
  };
  return `<div class="tablewrap"><table id="${id}" class="values">
    <thead><tr><th>${esc(t.portrait.indicator)}</th><th>${esc(t.portrait.unit)}</th>
      ${cols.map((c) => `<th class="num"><a href="#/portrait/${esc(c.key.split('!')[0])}">${esc(c.name)}</a></th>`).join('')}
</tr></thead>
    <tbody>${table.indicators.map(row).join('')}</tbody></table></div>`;
}

function exportTableOf(name: string, title: string, table: Table): ExportTable {
  const c = t.export.columns;
  return {
    name,
    title,
    source: t.export.tableSource,
    header: [c.indicator, c.unit, ...table.columns.map((x) => `${x.name} (${x.key})`), c.source, c.vintage, c.synthetic],
    rows: table.indicators.map((i) => [
      i.label,
      i.unit,
      ...i.values,
      i.source,
      i.vintage,
      i.synthetic ? t.export.yes : t.export.no,
    ]),
  };
}

/** The export menu of the table on screen (one table per view). */
function exportButtons(): string {
  return `<div class="exports" id="table-exports"><span>${esc(t.export.table)}</span>
    <button id="export-csv-sheet">${esc(t.export.csvSheet)}</button>
    <button id="export-csv">${esc(t.export.csvPlain)}</button>
    <button id="export-xlsx" data-format="xlsx">${esc(t.export.xlsx)}</button>
    <button id="export-parquet" data-format="parquet">${esc(t.export.parquet)}</button>
    <span id="export-status" class="error" hidden></span></div>`;
}

function wireExports() {
  const csv = (spreadsheet: boolean) => () => {
    const tb = state.table;
    if (!tb) return;
    download(`${tb.name}${spreadsheet ? '-tableur' : ''}.csv`, toCsv(tb, spreadsheet, t.missing, t.export.sourceLine(tb.source)));
  };
  el('export-csv-sheet').onclick = csv(true);
  el('export-csv').onclick = csv(false);
  const status = el('export-status');
  const server = (format: string, ext: string) => async () => {
    const tb = state.table;
    if (!tb) return;
    status.hidden = true;
    try {
      const { blob, filename } = await fetchFile(exportUrls.table(format), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ title: tb.title, source: tb.source, columns: tb.header, rows: tb.rows }),
      });
      download(filename ?? `${tb.name}.${ext}`, blob);
    } catch (e) {
      status.hidden = false;
      status.textContent = t.export.failed((e as Error).message);
    }
  };
  el('export-xlsx').onclick = server('xlsx', 'xlsx');
  el('export-parquet').onclick = server('parquet', 'parquet');
}

/** The layer export links follow the map: layer, territory shown, indicator. */
function updateLayerLinks() {
  for (const format of ['geojson', 'gpkg']) {
    const a = el<HTMLAnchorElement>(`export-${format}`);
    a.href = exportUrls.layer(state.layer, state.within, [state.indicator], format);
  }
}

// ------------------------------------------------------------------ views

type Route = { name: 'carte' | 'portrait' | 'comparer' | 'perimetre' | 'mobilites' | 'acces'; arg: string; query: URLSearchParams };

function route(): Route {
  const h = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [path, qs] = h.split('?');
  const [name, ...rest] = path.split('/');
  const known = ['carte', 'portrait', 'comparer', 'perimetre', 'mobilites', 'acces'];
  return { name: (known.includes(name) ? name : 'carte') as Route['name'], arg: rest.join('/'), query: new URLSearchParams(qs ?? '') };
}

function renderValuesView() {
  const v = state.values;
  const view = el('view');
  if (!v) {
    view.innerHTML = `<p>${esc(t.map.loading)}</p>`;
    return;
  }
  const c = t.export.columns;
  const rows = [...v.values].sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
  state.table = {
    name: `${v.indicator.id}-${state.layer}-${state.within.replace(':', '-')}`,
    title: `${v.indicator.label} — ${t.map.layers[state.layer]} — ${el<HTMLSelectElement>('within').selectedOptions[0]?.textContent ?? state.within}`,
    source: provenance(v.indicator),
    header: [c.key, c.name, `${c.value} (${v.indicator.unit})`, c.unit, c.source, c.vintage, c.synthetic],
    rows: rows.map((r) => [r.key, r.name, r.value, v.indicator.unit, v.indicator.source, v.indicator.vintage, v.indicator.synthetic ? t.export.yes : t.export.no]),
  };
  view.innerHTML = `<p class="hint">${esc(t.map.hint)}</p>${exportButtons()}
    <h2>${esc(t.map.valuesTable)} — ${esc(v.indicator.label)} (${esc(v.indicator.unit)})</h2>
    <p class="source">${esc(provenance(v.indicator))}</p>
    <table class="values" id="map-values"><tbody>${rows
      .slice(0, 300)
      .map((r) => `<tr><th scope="row"><a href="#/portrait/${esc(r.key)}">${esc(r.name)}</a></th><td class="num">${fmt(r.value, v.indicator.decimals)}</td></tr>`)
      .join('')}</tbody></table>`;
  wireExports();
}

async function renderPortrait(key: string, query: URLSearchParams) {
  const view = el('view');
  const against = (query.get('contre') ?? '').split(',').filter(Boolean);
  view.innerHTML = `<p>${esc(t.map.loading)}</p>`;
  try {
    const p = await api.portrait(key, against);
    const terr = p.territory!;
    state.table = exportTableOf(`portrait-${terr.key.replace(':', '-')}`, `${t.portrait.title} — ${terr.name}`, p);
    const link = `${location.origin}${location.pathname}#/portrait/${terr.key}${against.length ? `?contre=${against.join(',')}` : ''}`;
    view.innerHTML = `
      <h2 id="portrait-title">${esc(t.portrait.title)} — ${esc(terr.name)} <small>${esc(terr.layer_label)} ${esc(terr.key)}</small></h2>
      <p class="portrait-links"><a id="permalink" href="${esc(link)}">${esc(t.portrait.permalink)}</a>
        <button type="button" id="portrait-print" class="noprint">${esc(t.portrait.print)}</button>
        <a id="portrait-pdf" class="button noprint" href="${esc(exportUrls.portraitPdf(terr.key, against))}" download>${esc(t.portrait.pdf)}</a></p>
      <p class="print-only">${esc(link)}</p>
      <form id="against-form" class="row"><label>${esc(t.portrait.against)} <input id="against" value="${esc(against.join(','))}" placeholder="${esc(t.portrait.againstPlaceholder)}"></label>
        <button>${esc(t.portrait.apply)}</button></form>
      ${exportButtons()}
      ${tableHtml(p, 'portrait-table')}
      <div id="members"></div>`;
    wireExports();
    el('portrait-print').onclick = () => window.print();
    el('against-form').onsubmit = (e) => {
      e.preventDefault();
      const a = el<HTMLInputElement>('against').value.trim();
      location.hash = `#/portrait/${terr.key}${a ? `?contre=${a}` : ''}`;
    };
    highlight(terr.layer === 'com' ? [terr.key] : []);
    if (terr.layer !== 'com' && terr.layer !== 'fr' && terr.layer !== 'iris') {
      const members = await api.members(terr.key);
      el('members').innerHTML = `<h3>${esc(t.portrait.members)} (${members.length})</h3><p class="members">${members
        .slice(0, 500)
        .map((m) => `<a href="#/portrait/${esc(m.key)}">${esc(m.name)}</a>`)
        .join(', ')}${members.length > 500 ? ' …' : ''}</p>`;
      highlight(members.map((m) => m.key));
    }
  } catch (e) {
    view.innerHTML = `<p class="error" id="view-error">${esc(t.error((e as Error).message))}</p>`;
  }
}

/** Outlines territories on the map (portrait), reusing the selection layer. */
function highlight(keys: string[]) {
  if (!map.getSource('com') || route().name === 'perimetre') return;
  for (const k of state.selected) setSel(k, false);
  state.selected = new Set(keys);
  for (const k of keys) setSel(k, true);
}

function setSel(key: string, on: boolean) {
  const id = idOf(key);
  if (id !== undefined && map.getSource('com')) map.setFeatureState({ source: 'com', sourceLayer: 'com', id }, { sel: on });
}

let compareKeys: string[] = [];

async function renderCompare(arg: string) {
  compareKeys = arg ? arg.split(',').filter(Boolean) : compareKeys;
  const pers = await api.territories('per');
  const view = el('view');
  view.innerHTML = `
    <h2>${esc(t.compare.title)}</h2><p>${esc(t.compare.intro)}</p>
    <div class="chips" id="compare-chips">${compareKeys
      .map((k) => `<span class="chip">${esc(k)} <button data-remove="${esc(k)}" title="${esc(t.compare.remove)}">×</button></span>`)
      .join('')}</div>
    <div class="search"><input id="compare-search" placeholder="${esc(t.portrait.searchPlaceholder)}" autocomplete="off"><div id="compare-results" class="results"></div></div>
    <p><button id="compare-run">${esc(t.compare.run)}</button></p>
    <label class="block">${esc(t.compare.insideOutside)} <select id="compare-perimeter"><option value="">${esc(t.compare.choose)}</option>
      ${pers
        .map((p) => `<option value="${esc(p.key)}"${compareKeys.length === 1 && compareKeys[0] === p.key ? ' selected' : ''}>${esc(p.name)}</option>`)
        .join('')}</select></label>
    <div id="compare-out"></div>`;
  el('compare-chips').onclick = (e) => {
    const k = (e.target as HTMLElement).dataset.remove;
    if (k) {
      compareKeys = compareKeys.filter((x) => x !== k);
      renderCompare('');
    }
  };
  territorySearch(el<HTMLInputElement>('compare-search'), el('compare-results'), esc, ({ key }) => {
    if (!compareKeys.includes(key) && compareKeys.length < 4) {
      compareKeys.push(key);
      renderCompare('');
    }
  });
  el('compare-run').onclick = () => {
    location.hash = `#/comparer/${compareKeys.join(',')}`;
  };
  el<HTMLSelectElement>('compare-perimeter').onchange = (e) => {
    const v = (e.target as HTMLSelectElement).value;
    if (v) location.hash = `#/comparer/${v}`;
  };
  const out = el('compare-out');
  const single = compareKeys.length === 1 && compareKeys[0].startsWith('per:');
  if (!arg || (compareKeys.length < 2 && !single)) {
    if (arg) out.innerHTML = `<p class="error">${esc(t.compare.needTwo)}</p>`;
    return;
  }
  try {
    const c = await api.compare(compareKeys);
    state.table = exportTableOf(
      `comparaison-${compareKeys.join('-').replace(/[:!]/g, '-')}`,
      `${t.compare.title} — ${c.columns.map((x) => x.name).join(', ')}`,
      c,
    );
    out.innerHTML = exportButtons() + tableHtml(c, 'compare-table');
    wireExports();
    await showSynced(c);
  } catch (e) {
    out.innerHTML = `<p class="error" id="view-error">${esc(t.error((e as Error).message))}</p>`;
  }
}

let synced: SyncedMaps | null = null;

function closeSynced() {
  synced?.destroy();
  synced = null;
  el('synced').hidden = true;
  el('synced').innerHTML = '';
  for (const id of ['legend', 'map-exports']) el(id).hidden = false;
}

/** The region's commune shapes, fetched once (bounding boxes of the compared territories, SVG export). */
const shapeCache = new Map<string, Promise<ShapeCollection>>();
function shapesOf(layer: string, within: string): Promise<ShapeCollection> {
  const k = `${layer}|${within}`;
  let p = shapeCache.get(k);
  if (!p) {
    p = api.shapes(layer, within);
    p.catch(() => shapeCache.delete(k));
    shapeCache.set(k, p);
  }
  return p;
}

function eachPoint(f: ShapeCollection['features'][number], fn: (lon: number, lat: number) => void) {
  const polys = f.geometry.type === 'MultiPolygon' ? f.geometry.coordinates : [f.geometry.coordinates];
  for (const poly of polys) for (const ring of poly) for (const [lon, lat] of ring) fn(lon, lat);
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
function outlineOf(key: string): { layer: string; key: string } | null {
  const base = key.split('!')[0];
  const layer = base.split(':')[0];
  return MAP_LAYERS.includes(layer) ? { layer, key: base } : null;
}

/** Two to four small synchronised maps over the main one, one per compared territory. */
async function showSynced(c: Table) {
  closeSynced();
  const ind = state.indicators.find((i) => i.id === state.indicator);
  if (!state.ids || !ind) return;
  const [values, shapes, members] = await Promise.all([
    api.values(state.indicator, 'com', REGION),
    shapesOf('com', REGION),
    Promise.all(c.columns.map((col) => membersOf(col.key))),
  ]);
  if (route().name !== 'comparer') return;
  const k = classify(values.values);
  const colors = k?.colorOf ?? new Map<string, string>();
  // The camera frames every compared territory.
  const all = new Set(members.flat());
  const box: Bounds = [Infinity, Infinity, -Infinity, -Infinity];
  for (const f of shapes.features)
    if (all.has(f.properties.key))
      eachPoint(f, (lon, lat) => {
        box[0] = Math.min(box[0], lon);
        box[1] = Math.min(box[1], lat);
        box[2] = Math.max(box[2], lon);
        box[3] = Math.max(box[3], lat);
      });
  const bounds: Bounds = Number.isFinite(box[0]) ? box : state.ids.bounds;
  const row = c.indicators.find((i) => i.id === ind.id);
  const specs: SyncedSpec[] = c.columns.map((col, i) => ({
    key: col.key,
    name: col.name,
    members: members[i],
    caption: row ? `${ind.label} : ${fmt(row.values[i], row.decimals)} ${ind.unit}` : t.legend.communes(members[i].length),
    outline: outlineOf(col.key),
  }));
  const box2 = el('synced');
  box2.hidden = false;
  for (const id of ['legend', 'map-exports']) el(id).hidden = true;
  const wrap = document.createElement('div');
  wrap.className = 'synced-grid';
  const head = document.createElement('p');
  head.className = 'synced-head';
  head.id = 'synced-head';
  head.textContent = `${t.compare.maps} — ${t.compare.mapsOf(`${ind.label} (${ind.unit})`)}`;
  const legend = document.createElement('ul');
  legend.className = 'synced-legend';
  legend.id = 'synced-legend';
  if (k) {
    const entries = k.colors.map((color, i) => {
      const lo = i === 0 ? Math.min(...k.nums) : k.th[i - 1];
      const hi = i === k.colors.length - 1 ? Math.max(...k.nums) : k.th[i];
      return { color, label: `${fmt(lo, ind.decimals)} – ${fmt(hi, ind.decimals)}` };
    });
    entries.push({ color: MISSING_COLOR, label: t.legend.missing });
    legend.innerHTML = entries.map((e) => `<li><span class="swatch" style="background:${e.color}"></span>${esc(e.label)}</li>`).join('');
  }
  box2.append(head, wrap, legend);
  synced = new SyncedMaps(wrap, specs, state.ids, colors, bounds);
  (window as unknown as { echelle: { synced: unknown } }).echelle.synced = synced;
}

function slug(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function toggleSelected(key: string) {
  const on = !state.selected.has(key);
  if (on) state.selected.add(key);
  else state.selected.delete(key);
  setSel(key, on);
  renderSelection();
}

/** Perimeter editor: a click on a commune toggles it; on an EPCI (or any layer), toggles all its communes. */
async function toggleTerritory(key: string) {
  if (key.startsWith('com:')) return toggleSelected(key);
  const members = (await api.members(key)).map((m) => m.key);
  const on = !members.every((k) => state.selected.has(k));
  for (const k of members) {
    if (on) state.selected.add(k);
    else state.selected.delete(k);
    setSel(k, on);
  }
  renderSelection();
}

function renderSelection() {
  const count = el('perimeter-count');
  if (count) count.textContent = t.perimeter.selected(state.selected.size);
}

function renderPerimeterEditor() {
  for (const k of state.selected) setSel(k, false);
  state.selected = new Set();
  const view = el('view');
  view.innerHTML = `
    <h2>${esc(t.perimeter.title)}</h2><p>${esc(t.perimeter.intro)}</p>
    <p id="perimeter-count"></p>
    <form id="perimeter-add" class="row"><label>${esc(t.perimeter.addTerritory)} <input id="perimeter-territory" placeholder="${esc(t.perimeter.addTerritoryPlaceholder)}"></label><button>${esc(t.compare.add)}</button></form>
    <form id="perimeter-form">
      <label>${esc(t.perimeter.name)} <input id="perimeter-name" required></label>
      <label>${esc(t.perimeter.id)} <input id="perimeter-id" pattern="[a-z0-9-]+" required></label>
      <button id="perimeter-save">${esc(t.perimeter.save)}</button>
      <button type="button" id="perimeter-clear">${esc(t.perimeter.clear)}</button>
    </form>
    <p id="perimeter-status"></p>`;
  renderSelection();
  const name = el<HTMLInputElement>('perimeter-name');
  const id = el<HTMLInputElement>('perimeter-id');
  name.oninput = () => {
    id.value = slug(name.value);
  };
  el('perimeter-clear').onclick = () => {
    for (const k of state.selected) setSel(k, false);
    state.selected.clear();
    renderSelection();
  };
  el('perimeter-add').onsubmit = async (e) => {
    e.preventDefault();
    const status = el('perimeter-status');
    try {
      const members = await api.members(el<HTMLInputElement>('perimeter-territory').value.trim());
      for (const m of members) {
        state.selected.add(m.key);
        setSel(m.key, true);
      }
      renderSelection();
      status.textContent = '';
    } catch (err) {
      status.innerHTML = `<span class="error">${esc(t.error((err as Error).message))}</span>`;
    }
  };
  el('perimeter-form').onsubmit = async (e) => {
    e.preventDefault();
    const status = el('perimeter-status');
    if (state.selected.size === 0 || !name.value.trim()) {
      status.innerHTML = `<span class="error">${esc(t.perimeter.empty)}</span>`;
      return;
    }
    try {
      const r = await api.savePerimeter({ id: id.value, name: name.value.trim(), include: [...state.selected] });
      status.innerHTML = `${esc(t.perimeter.saved(r.key, r.communes, r.population))} <a id="perimeter-portrait" href="#/portrait/${esc(r.key)}">${esc(t.perimeter.openPortrait)}</a>`;
      await refreshPerimeters();
      await refreshPerimeterLayer();
    } catch (err) {
      status.innerHTML = `<span class="error">${esc(t.error((err as Error).message))}</span>`;
    }
  };
}

function onRoute() {
  const r = route();
  for (const [name, nav] of [
    ['carte', 'nav-map'],
    ['comparer', 'nav-compare'],
    ['perimetre', 'nav-perimeter'],
    ['mobilites', 'nav-flows'],
    ['acces', 'nav-access'],
  ]) {
    el(nav).classList.toggle('active', r.name === name);
  }
  if (r.name !== 'comparer') closeSynced();
  if (r.name !== 'mobilites') hideFlows(map);
  if (r.name !== 'acces') hideAccess(map);
  hideHover();
  if (r.name === 'portrait' && r.arg) renderPortrait(r.arg, r.query);
  else if (r.name === 'comparer') renderCompare(r.arg);
  else if (r.name === 'perimetre') renderPerimeterEditor();
  else if (r.name === 'mobilites')
    renderFlows({
      map,
      view: el('view'),
      esc,
      fmt,
      exportButtons,
      setTable: (table) => {
        state.table = table;
        wireExports();
      },
    });
  else if (r.name === 'acces')
    renderAccess({
      map,
      view: el('view'),
      esc,
      fmt,
      exportButtons,
      setTable: (table) => {
        state.table = table;
        wireExports();
      },
    });
  else {
    highlight([]);
    renderValuesView();
  }
}

function mapSourceLines(ind: Indicator): string[] {
  return [
    t.export.sourceLine(`${ind.source ?? t.missing} — ${t.legend.vintage.toLowerCase()} ${ind.vintage ?? t.missing}`) +
      (ind.synthetic ? ` — ${t.legend.synthetic}` : ''),
    t.map.shapesNote,
  ];
}

/** The shapes of the layer shown that touch the view, projected to screen pixels (sub-pixel vertices dropped). */
async function visibleShapes(): Promise<SvgShape[]> {
  const fc = await shapesOf(state.shown, state.within);
  const b = map.getBounds();
  const out: SvgShape[] = [];
  for (const f of fc.features) {
    let w = Infinity;
    let s = Infinity;
    let e = -Infinity;
    let n = -Infinity;
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
    out.push({ polygons, color: state.colors.get(f.properties.key) ?? NO_ROW, name: f.properties.name });
  }
  return out;
}

el('export-svg').onclick = async () => {
  const ind = state.values?.indicator;
  if (!ind) return;
  const status = el('map-export-status');
  status.hidden = true;
  try {
    const canvas = map.getCanvas();
    const svg = mapSvg(canvas.clientWidth, canvas.clientHeight, await visibleShapes(), `${ind.label} (${ind.unit})`, state.legend, mapSourceLines(ind));
    download(`carte-${ind.id}-${state.shown}.svg`, svg, 'image/svg+xml;charset=utf-8');
  } catch (e) {
    status.hidden = false;
    status.textContent = t.export.failed((e as Error).message);
  }
};

el('export-png').onclick = async () => {
  const ind = state.values?.indicator;
  if (!ind) return;
  const blob = await mapPng(map.getCanvas(), `${ind.label} (${ind.unit})`, state.legend, mapSourceLines(ind));
  download(`carte-${ind.id}.png`, blob);
};

async function start() {
  document.title = t.appTitle;
  setupSearch();
  window.addEventListener('hashchange', onRoute);
  await Promise.all([setupMap(), setupControls()]);
  await loadValues();
  onRoute();
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  el('view').innerHTML = `<p class="error">${esc(t.error((e as Error).message))}</p>`;
});
