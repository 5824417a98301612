// The observatory in the browser: choropleth map of the communes of Hauts-de-France,
// territory portraits, comparisons, a perimeter editor, CSV and PNG exports.
//
//   #/carte                 map and the table of the mapped values
//   #/portrait/<key>        a territory against its references (permanent link)
//   #/comparer/<a>,<b>      two to four territories, or one perimeter against its outside
//   #/perimetre             perimeter editor (click communes on the map)
//
// Geometry comes once, as vector tiles whose integer feature ids are the communes'
// indices (/api/feature-ids maps keys to ids); an indicator's values are joined on the
// client with feature-state, so changing indicator downloads no geometry again.

import maplibregl from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import { api, type Evaluated, type FeatureIds, type Indicator, type Table, type Values } from './api';
import { breaks, classOf, MISSING_COLOR, type Method, palette } from './classify';
import { download, type ExportTable, type LegendEntry, mapPng, toCsv } from './export';
import { t } from './i18n';

const REGION = 'reg:32';

const state = {
  indicators: [] as Indicator[],
  indicator: '',
  within: REGION,
  method: 'quantile' as Method,
  classes: 5,
  manual: '',
  values: null as Values | null,
  thresholds: [] as number[],
  ids: null as FeatureIds | null,
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
      <label>${esc(t.map.within)} <select id="within"></select></label>
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
    <button id="export-png" class="floating">${esc(t.export.png)}</button>
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
  state.ids = await api.featureIds();
  await mapReady;
  map.addSource('com', {
    type: 'vector',
    tiles: [`${location.origin}/tiles/com/{z}/{x}/{y}.mvt`],
    maxzoom: 12,
    bounds: state.ids.bounds,
  });
  const base = { source: 'com', 'source-layer': 'com' } as const;
  map.addLayer({
    id: 'com-fill',
    type: 'fill',
    ...base,
    paint: { 'fill-color': ['coalesce', ['feature-state', 'color'], '#f7f7f7'] as never },
  });
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
  map.addLayer({
    id: 'com-line',
    type: 'line',
    ...base,
    paint: { 'line-color': '#777', 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 0.1, 10, 0.6] as never },
  });
  const [w, s, e, n] = state.ids.bounds;
  map.fitBounds(
    [
      [w, s],
      [e, n],
    ],
    { padding: 20, animate: false },
  );
  map.on('click', 'com-fill', (ev) => {
    const f = ev.features?.[0];
    const key = f?.properties?.key as string | undefined;
    if (!key) return;
    if (route().name === 'perimetre') toggleSelected(key);
    else location.hash = `#/portrait/${key}`;
  });
  map.on('mousemove', 'com-fill', (ev) => {
    const f = ev.features?.[0];
    const hover = el('hover');
    if (!f) return;
    const key = f.properties?.key as string;
    const row = state.values?.values.find((v) => v.key === key);
    const ind = state.values?.indicator;
    hover.hidden = false;
    hover.textContent = `${f.properties?.name} — ${row && ind ? `${fmt(row.value, ind.decimals)} ${ind.unit}` : t.missing}`;
    map.getCanvas().style.cursor = 'pointer';
  });
  map.on('mouseleave', 'com-fill', () => {
    el('hover').hidden = true;
    map.getCanvas().style.cursor = '';
  });
}

function idOf(key: string): number | undefined {
  return state.ids?.ids[key];
}

function paint() {
  if (!state.values || !state.ids || !map.getSource('com')) return;
  const values = state.values.values;
  const nums = values.map((v) => v.value).filter((v): v is number => v !== null);
  const th = breaks(state.method, nums, state.classes, state.manual);
  const err = el('map-error');
  if (th === null) {
    err.hidden = false;
    err.textContent = t.map.badManual;
    return;
  }
  err.hidden = true;
  state.thresholds = th;
  const colors = palette(th.length + 1);
  map.removeFeatureState({ source: 'com', sourceLayer: 'com' });
  const counts = new Array(colors.length).fill(0);
  let missing = 0;
  for (const v of values) {
    const id = idOf(v.key);
    let color = MISSING_COLOR;
    if (v.value === null) missing++;
    else {
      const c = classOf(v.value, th);
      counts[c]++;
      color = colors[c];
    }
    if (id !== undefined) map.setFeatureState({ source: 'com', sourceLayer: 'com', id }, { color });
  }
  for (const key of state.selected) {
    const id = idOf(key);
    if (id !== undefined) map.setFeatureState({ source: 'com', sourceLayer: 'com', id }, { sel: true });
  }
  renderLegend(colors, counts, missing, nums);
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
    return { color, label: `${fmt(lo, d)} – ${fmt(hi, d)} (${t.legend.communes(counts[i])})` };
  });
  entries.push({ color: MISSING_COLOR, label: `${t.legend.missing} (${t.legend.communes(missing)})` });
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

async function loadValues() {
  if (!state.indicator) return;
  el('legend').innerHTML = `<p>${esc(t.map.loading)}</p>`;
  try {
    const within = state.within;
    const v = await api.values(state.indicator, 'com', within);
    if (within !== state.within) return;
    state.values = v;
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
      <td>${esc(i.unit)}</td>${cells}<td class="src">${esc(i.source)}</td><td class="src">${esc(i.vintage)}</td></tr>`;
  };
  return `<div class="tablewrap"><table id="${id}" class="values">
    <thead><tr><th>${esc(t.portrait.indicator)}</th><th>${esc(t.portrait.unit)}</th>
      ${cols.map((c) => `<th class="num"><a href="#/portrait/${esc(c.key.split('!')[0])}">${esc(c.name)}</a></th>`).join('')}
      <th>${esc(t.portrait.source)}</th><th>${esc(t.portrait.vintage)}</th></tr></thead>
    <tbody>${table.indicators.map(row).join('')}</tbody></table></div>`;
}

function exportTableOf(name: string, table: Table): ExportTable {
  const c = t.export.columns;
  return {
    name,
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

function exportButtons(): string {
  return `<div class="exports">
    <button id="export-csv-sheet">${esc(t.export.csvSheet)}</button>
    <button id="export-csv">${esc(t.export.csvPlain)}</button></div>`;
}

function wireExports() {
  const go = (spreadsheet: boolean) => () => {
    if (!state.table) return;
    download(`${state.table.name}${spreadsheet ? '-tableur' : ''}.csv`, toCsv(state.table, spreadsheet, t.missing));
  };
  el('export-csv-sheet').onclick = go(true);
  el('export-csv').onclick = go(false);
}

// ------------------------------------------------------------------ views

type Route = { name: 'carte' | 'portrait' | 'comparer' | 'perimetre'; arg: string; query: URLSearchParams };

function route(): Route {
  const h = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const [path, qs] = h.split('?');
  const [name, ...rest] = path.split('/');
  const known = ['carte', 'portrait', 'comparer', 'perimetre'];
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
    name: `${v.indicator.id}-${state.within.replace(':', '-')}`,
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
    state.table = exportTableOf(`portrait-${terr.key.replace(':', '-')}`, p);
    const link = `${location.origin}${location.pathname}#/portrait/${terr.key}${against.length ? `?contre=${against.join(',')}` : ''}`;
    view.innerHTML = `
      <h2 id="portrait-title">${esc(t.portrait.title)} — ${esc(terr.name)} <small>${esc(terr.layer_label)} ${esc(terr.key)}</small></h2>
      <p><a id="permalink" href="${esc(link)}">${esc(t.portrait.permalink)}</a></p>
      <form id="against-form" class="row"><label>${esc(t.portrait.against)} <input id="against" value="${esc(against.join(','))}" placeholder="${esc(t.portrait.againstPlaceholder)}"></label>
        <button>${esc(t.portrait.apply)}</button></form>
      ${exportButtons()}
      ${tableHtml(p, 'portrait-table')}
      <div id="members"></div>`;
    wireExports();
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
    <button id="compare-run">${esc(t.compare.run)}</button>
    <label>${esc(t.compare.insideOutside)} <select id="compare-perimeter"><option value="">${esc(t.compare.choose)}</option>
      ${pers.map((p) => `<option value="${esc(p.key)}">${esc(p.name)}</option>`).join('')}</select></label>
    <div id="compare-out"></div>`;
  el('compare-chips').onclick = (e) => {
    const k = (e.target as HTMLElement).dataset.remove;
    if (k) {
      compareKeys = compareKeys.filter((x) => x !== k);
      renderCompare('');
    }
  };
  const input = el<HTMLInputElement>('compare-search');
  const results = el('compare-results');
  input.oninput = async () => {
    const found = input.value.trim().length >= 2 ? await api.search(input.value.trim()).catch(() => []) : [];
    results.innerHTML = found
      .map((f) => `<button class="found" data-add="${esc(f.key)}">${esc(f.name)} <small>${esc(f.key)}</small></button>`)
      .join('');
  };
  results.onclick = (e) => {
    const k = (e.target as HTMLElement).closest('button')?.dataset.add;
    if (k && !compareKeys.includes(k) && compareKeys.length < 4) {
      compareKeys.push(k);
      renderCompare('');
    }
  };
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
    state.table = exportTableOf(`comparaison-${compareKeys.join('-').replace(/:/g, '-')}`, c);
    out.innerHTML = exportButtons() + tableHtml(c, 'compare-table');
    wireExports();
  } catch (e) {
    out.innerHTML = `<p class="error" id="view-error">${esc(t.error((e as Error).message))}</p>`;
  }
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
  ]) {
    el(nav).classList.toggle('active', r.name === name);
  }
  if (r.name === 'portrait' && r.arg) renderPortrait(r.arg, r.query);
  else if (r.name === 'comparer') renderCompare(r.arg);
  else if (r.name === 'perimetre') renderPerimeterEditor();
  else {
    highlight([]);
    renderValuesView();
  }
}

el('export-png').onclick = async () => {
  const ind = state.values?.indicator;
  if (!ind) return;
  const blob = await mapPng(map.getCanvas(), `${ind.label} (${ind.unit})`, state.legend, [
    t.export.sourceLine(`${ind.source ?? t.missing} — ${t.legend.vintage.toLowerCase()} ${ind.vintage ?? t.missing}`) +
      (ind.synthetic ? ` — ${t.legend.synthetic}` : ''),
    t.map.shapesNote,
  ]);
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
