// The "Mobilités" view (#/mobilites): home–work flows between territories drawn as lines
// whose width follows the number of workers (flows under a threshold left out), in/out
// totals of a territory on hover and click, its balance (self-containment, dependence,
// main destinations and origins) and commuting distances, the flow table with
// statistical secrecy (a secret cell is shown "s", never 0) and its exports, and the
// MEL inflows question of METHODS.md §1. Every figure names its dataset, vintage, unit,
// and says SYNTHÉTIQUE when the flows were generated.

import type maplibregl from 'maplibre-gl';
import type { ExportTable } from './export';
import { t } from './i18n';

interface Provenance {
  dataset: string;
  title: string;
  source: string;
  vintage: string;
  synthetic: boolean;
  detailed: boolean;
}

interface Line {
  origin: string;
  origin_name: string;
  dest: string;
  dest_name: string;
  workers: number;
  from: [number, number];
  to: [number, number];
}

interface TerritoryTotals {
  key: string;
  name: string;
  position: [number, number] | null;
  residents_in_work: number | null;
  jobs_held: number | null;
  working_inside: number | null;
  outgoing: number | null;
  incoming: number | null;
  net_balance: number | null;
}

export interface Lines {
  layer: string;
  min: number;
  lines: Line[];
  hidden: { below_min: number; secret: number; without_position: number; over_limit: number };
  territories: TerritoryTotals[];
  total: number;
  secrecy: { threshold: number; fragile_below: number };
  unit: string;
  provenance: Provenance;
}

interface Cell {
  origin: number;
  dest: number;
  origin_key: string;
  dest_key: string;
  workers: number | null;
  secret: boolean;
  fragile: boolean;
}

interface Matrix {
  zones: { key: string; name: string; kind: string }[];
  cells: Cell[];
  total: number;
  secret_cells: number;
  secrecy: { threshold: number };
  unit: string;
  provenance: Provenance;
}

interface Inflows {
  target: string;
  target_name: string;
  from: string;
  from_name: string;
  commuters_in: number | null;
  from_commuters: number | null;
  share: number | null;
  secret: boolean;
  unit: string;
  provenance: Provenance;
}

interface Partner {
  key: string;
  name: string;
  workers: number | null;
  share: number | null;
  secret: boolean;
}

interface Summary {
  territory: string;
  name: string;
  residents_in_work: number | null;
  working_inside: number | null;
  outgoing: number | null;
  incoming: number | null;
  jobs_held: number | null;
  net_balance: number | null;
  self_containment: number | null;
  dependence: number | null;
  job_self_sufficiency: number | null;
  top_destinations: Partner[];
  top_origins: Partner[];
  partner_layer: string;
  unit: string;
  provenance: Provenance;
}

interface Distances {
  method: string;
  params: { detour: number; intra_km: number; working_days: number; occupancy: number; rail_share: number };
  workers: number;
  workers_without_distance: number;
  mean_km: number | null;
  km_per_day: number;
  co2_t_per_year: number | null;
  by_mode: { mode: string; workers: number; km_per_day: number; co2_t_per_year: number | null }[];
  provenance: Provenance;
}

interface Telework {
  params: { days: number; take_up: number; rebound: boolean };
  commuters: number;
  teleworkers: number;
  km_avoided_per_year: number;
  co2_avoided_t_per_year: number | null;
  money_saved_eur_per_year: number;
  vulnerable_pct_before: number | null;
  vulnerable_pct_after: number | null;
  method: string;
  flows: Provenance;
  incomes: { dataset: string; source: string; vintage: string; synthetic: boolean } | null;
}

interface Vulnerability {
  households: number;
  car_commuters: number;
  spending_per_household: number | null;
  effort_pct: number | null;
  vulnerable_pct: number | null;
  vulnerable_households: number;
  precarious_pct: number | null;
  params: { consumption: number; price: number; threshold: number };
  method: string;
  flows: Provenance;
  incomes: { dataset: string; source: string; vintage: string; synthetic: boolean };
}

/** What the view needs from the application around it. */
export interface FlowsHost {
  map: maplibregl.Map;
  view: HTMLElement;
  esc: (s: string | null | undefined) => string;
  fmt: (v: number | null, decimals?: number) => string;
  /** Sets the table the export menu exports and wires the menu. */
  setTable: (table: ExportTable) => void;
  exportButtons: () => string;
}

const LAYERS = ['epci', 'arr', 'dep', 'com'];
const WITHIN = 'reg:32';
const MEL = 'per:mel';
const BASSIN = 'per:bassin-minier';
const SOURCE = 'flows';
const LINE_LAYER = 'flow-lines';
const POINT_LAYER = 'flow-points';
/** A pale veil over the choropleth, under the lines, so that they read. */
const VEIL_LAYER = 'flow-veil';

const q = encodeURIComponent;

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`);
  return body as T;
}

export const flowsApi = {
  lines: (layer: string, within: string, min: number, secret: number) =>
    get<Lines>(`/api/flows/lines?layer=${q(layer)}&within=${q(within)}&min=${q(String(min))}&secret_below=${q(String(secret))}`),
  matrix: (layer: string, within: string, secret: number) =>
    get<Matrix>(`/api/flows/matrix?layer=${q(layer)}&within=${q(within)}&secret_below=${q(String(secret))}`),
  into: (target: string, from: string, secret: number) =>
    get<Inflows>(`/api/flows/into/${q(target)}?from=${q(from)}&secret_below=${q(String(secret))}`),
  summary: (key: string, partners: string, secret: number) =>
    get<Summary>(`/api/flows/summary/${q(key)}?partners=${q(partners)}&top=5&secret_below=${q(String(secret))}`),
  distances: (key: string) => get<Distances>(`/api/flows/distances/${q(key)}`),
  telework: (key: string) => get<Telework>(`/api/flows/telework/${q(key)}?days=2&take_up=0.5`),
  vulnerability: (key: string) => get<Vulnerability>(`/api/flows/vulnerability/${q(key)}`),
};

/** Secret below 11 workers by default: METHODS.md §3's household rule applied to people counts. */
const view = { layer: 'epci', min: 200, secret: 11, selected: '' };

/** "Source : INSEE — title; millésime 2021 (dataset x) — SYNTHÉTIQUE". */
function sourceLine(h: FlowsHost, p: Provenance, unit: string): string {
  return `${h.esc(t.export.sourceLine(`${p.source} — ${p.title}, ${t.flows.vintage} ${p.vintage} (${t.flows.dataset} ${p.dataset})`))} — ${t.flows.unit} : ${h.esc(unit)}${
    p.synthetic ? ` — <strong class="synthetic">${h.esc(t.flows.synthetic)}</strong>` : ''
  }`;
}

function plainSource(p: Provenance, unit: string): string {
  return `${p.source} — ${p.title}, ${t.flows.vintage} ${p.vintage} (${t.flows.dataset} ${p.dataset}) — ${t.flows.unit} : ${unit}${p.synthetic ? ` — ${t.flows.synthetic}` : ''}`;
}

/** A count, or "s" when secret. */
function count(h: FlowsHost, v: number | null, secret = v === null): string {
  return secret ? t.flows.secret : h.fmt(v, 0);
}

export function hideFlows(map: maplibregl.Map) {
  for (const id of [VEIL_LAYER, LINE_LAYER, POINT_LAYER]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
}

function drawLines(h: FlowsHost, data: Lines) {
  const { map } = h;
  const max = Math.max(1, ...data.lines.map((l) => l.workers));
  const lo = Math.max(data.min, 1);
  const fc = {
    type: 'FeatureCollection' as const,
    features: data.lines.map((l, i) => ({
      type: 'Feature' as const,
      id: i,
      properties: { workers: l.workers, origin: l.origin, dest: l.dest, origin_name: l.origin_name, dest_name: l.dest_name },
      geometry: { type: 'LineString' as const, coordinates: [l.from, l.to] },
    })),
  };
  const points = {
    type: 'FeatureCollection' as const,
    features: data.territories
      .filter((x) => x.position)
      .map((x, i) => ({
        type: 'Feature' as const,
        id: i,
        properties: { key: x.key, name: x.name },
        geometry: { type: 'Point' as const, coordinates: x.position as [number, number] },
      })),
  };
  const width: maplibregl.ExpressionSpecification =
    max > lo ? ['interpolate', ['linear'], ['get', 'workers'], lo, 1, max, 14] : ['literal', 3];
  const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
  if (src) {
    src.setData(fc);
    (map.getSource(`${SOURCE}-points`) as maplibregl.GeoJSONSource).setData(points);
    map.setPaintProperty(LINE_LAYER, 'line-width', width);
  } else {
    map.addSource(SOURCE, { type: 'geojson', data: fc });
    map.addSource(`${SOURCE}-points`, { type: 'geojson', data: points });
    map.addLayer({ id: VEIL_LAYER, type: 'background', paint: { 'background-color': '#ffffff', 'background-opacity': 0.65 } });
    map.addLayer({
      id: LINE_LAYER,
      type: 'line',
      source: SOURCE,
      layout: { 'line-cap': 'round' },
      paint: { 'line-color': '#b2182b', 'line-opacity': 0.75, 'line-width': width },
    });
    map.addLayer({
      id: POINT_LAYER,
      type: 'circle',
      source: `${SOURCE}-points`,
      paint: { 'circle-radius': 5, 'circle-color': '#2166ac', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
    });
    wireMap(h);
  }
  for (const id of [VEIL_LAYER, LINE_LAYER, POINT_LAYER]) {
    // Above whatever layer was added since (the choropleth of another échelon).
    map.moveLayer(id);
    map.setLayoutProperty(id, 'visibility', 'visible');
  }
}

let current: Lines | null = null;
let host: FlowsHost | null = null;

function totalsHtml(h: FlowsHost, x: TerritoryTotals): string {
  const f = t.flows;
  return `<strong>${h.esc(x.name)}</strong> (${h.esc(x.key)})<br>
    ${h.esc(f.outgoing)} : ${count(h, x.outgoing)} · ${h.esc(f.incoming)} : ${count(h, x.incoming)} · ${h.esc(f.inside)} : ${count(h, x.working_inside)}`;
}

/** Puts the tooltip by the cursor, on its left near the map's right edge. */
function place(tip: HTMLElement, p: { x: number; y: number }) {
  const width = (tip.parentElement?.clientWidth ?? 0) - p.x;
  tip.style.left = width < tip.offsetWidth + 24 ? `${p.x - tip.offsetWidth - 12}px` : `${p.x + 12}px`;
  tip.style.top = `${p.y + 12}px`;
}

function wireMap(h: FlowsHost) {
  const { map } = h;
  const tip = document.getElementById('hover') as HTMLElement;
  map.on('mousemove', POINT_LAYER, (e) => {
    const key = e.features?.[0]?.properties?.key;
    const x = current?.territories.find((y) => y.key === key);
    if (!x || !host) return;
    tip.hidden = false;
    tip.dataset.key = x.key;
    tip.innerHTML = totalsHtml(host, x);
    place(tip, e.point);
  });
  map.on('mousemove', LINE_LAYER, (e) => {
    const p = e.features?.[0]?.properties;
    // A territory's point under the cursor wins over the lines that end there.
    if (!p || !host || map.queryRenderedFeatures(e.point, { layers: [POINT_LAYER] }).length) return;
    tip.hidden = false;
    tip.innerHTML = `${host.esc(p.origin_name)} → ${host.esc(p.dest_name)} : ${host.fmt(p.workers, 0)} ${host.esc(t.flows.workers)}`;
    place(tip, e.point);
  });
  for (const id of [POINT_LAYER, LINE_LAYER]) map.on('mouseleave', id, () => (tip.hidden = true));
  map.on('click', POINT_LAYER, (e) => {
    const key = e.features?.[0]?.properties?.key;
    if (key && host) void selectTerritory(host, key);
  });
}

async function loadLines(h: FlowsHost) {
  const status = document.getElementById('flows-count') as HTMLElement;
  try {
    const data = await flowsApi.lines(view.layer, WITHIN, view.min, view.secret);
    current = data;
    drawLines(h, data);
    const hid = data.hidden;
    status.textContent = t.flows.shown(data.lines.length, hid.below_min, hid.secret, hid.without_position + hid.over_limit);
    status.dataset.lines = String(data.lines.length);
    (document.getElementById('flows-source') as HTMLElement).innerHTML = sourceLine(h, data.provenance, data.unit);
    const sel = document.getElementById('flows-territory-select') as HTMLSelectElement;
    sel.innerHTML = `<option value="">—</option>${[...data.territories]
      .sort((a, b) => a.name.localeCompare(b.name, 'fr'))
      .map((x) => `<option value="${h.esc(x.key)}">${h.esc(x.name)}</option>`)
      .join('')}`;
    if (view.selected) sel.value = view.selected;
    document.body.dataset.flows = 'ready';
  } catch (e) {
    status.textContent = t.error((e as Error).message);
    status.classList.add('error');
  }
}

async function loadTable(h: FlowsHost) {
  const out = document.getElementById('flows-table-box') as HTMLElement;
  try {
    const m = await flowsApi.matrix(view.layer, WITHIN, view.secret);
    const c = t.flows.columns;
    const cells = m.cells
      .filter((x) => x.origin !== x.dest)
      .sort((a, b) => (b.workers ?? -1) - (a.workers ?? -1) || a.origin - b.origin || a.dest - b.dest);
    const name = (i: number) => m.zones[i].name;
    const source = plainSource(m.provenance, m.unit);
    h.setTable({
      name: `flux-${view.layer}-${WITHIN.replace(':', '-')}`,
      title: `${t.flows.tableTitle} — ${t.map.layers[view.layer]}`,
      source,
      header: [c.originKey, c.origin, c.destKey, c.dest, `${c.workers} (${m.unit})`, c.secret, c.fragile, c.synthetic],
      rows: cells.map((x) => [
        x.origin_key,
        name(x.origin),
        x.dest_key,
        name(x.dest),
        x.secret ? t.flows.secret : x.workers,
        x.secret ? t.export.yes : t.export.no,
        x.fragile ? t.export.yes : t.export.no,
        m.provenance.synthetic ? t.export.yes : t.export.no,
      ]),
    });
    out.innerHTML = `<h3>${h.esc(t.flows.tableTitle)}</h3>
      <p class="hint">${h.esc(t.flows.secrecyNote(m.secrecy.threshold, m.secret_cells))}</p>
      <div class="tablewrap"><table class="values" id="flows-table"><thead><tr><th>${h.esc(c.origin)}</th><th>${h.esc(c.dest)}</th><th>${h.esc(c.workers)}</th></tr></thead>
      <tbody>${cells
        .slice(0, 300)
        .map(
          (x) =>
            `<tr${x.secret ? ' class="secret"' : ''}><td>${h.esc(name(x.origin))}</td><td>${h.esc(name(x.dest))}</td><td class="num">${count(h, x.workers, x.secret)}${x.fragile && !x.secret ? ' *' : ''}</td></tr>`,
        )
        .join('')}</tbody></table></div>
      <p class="hint">${h.esc(t.flows.tableNote(Math.min(300, cells.length), cells.length))}</p>
      <p class="source">${sourceLine(h, m.provenance, m.unit)}</p>`;
    out.dataset.secret = String(m.secrecy.threshold);
  } catch (e) {
    out.innerHTML = `<p class="error">${h.esc(t.error((e as Error).message))}</p>`;
  }
}

async function loadMel(h: FlowsHost) {
  const box = document.getElementById('flows-mel') as HTMLElement;
  try {
    const x = await flowsApi.into(MEL, BASSIN, view.secret);
    const f = t.flows;
    box.innerHTML = `<p id="flows-mel-sentence"><strong>${h.esc(
      x.share === null ? f.melSecret(x.target_name, x.from_name) : f.melSentence(h.fmt(x.share, 1), x.target_name, x.from_name),
    )}</strong></p>
      <p id="flows-mel-counts">${h.esc(f.melCounts(count(h, x.from_commuters), count(h, x.commuters_in), x.from_name, x.target_name))}</p>
      <p class="source">${sourceLine(h, x.provenance, x.unit)}</p>`;
    box.dataset.share = x.share === null ? '' : String(x.share);
  } catch (e) {
    box.innerHTML = `<p class="error">${h.esc(t.error((e as Error).message))}</p>`;
  }
}

async function selectTerritory(h: FlowsHost, key: string) {
  view.selected = key;
  const sel = document.getElementById('flows-territory-select') as HTMLSelectElement | null;
  if (sel) sel.value = key;
  const out = document.getElementById('flows-territory') as HTMLElement;
  if (!key) {
    out.innerHTML = '';
    return;
  }
  out.innerHTML = `<p>${h.esc(t.map.loading)}</p>`;
  const f = t.flows;
  try {
    const [s, d, tw, vu] = await Promise.all([
      flowsApi.summary(key, view.layer, view.secret),
      flowsApi.distances(key).catch(() => null),
      flowsApi.telework(key).catch(() => null),
      flowsApi.vulnerability(key).catch((e: Error) => e),
    ]);
    const pct = (v: number | null) => (v === null ? t.missing : `${h.fmt(v, 1)} %`);
    const partners = (title: string, list: Partner[]) =>
      `<h4>${h.esc(title)} (${h.esc(t.map.layers[s.partner_layer] ?? s.partner_layer)})</h4><table class="values"><tbody>${list
        .map((p) => `<tr><td>${h.esc(p.name)}</td><td class="num">${count(h, p.workers, p.secret)}</td><td class="num">${pct(p.share)}</td></tr>`)
        .join('')}</tbody></table>`;
    let dist = '';
    if (d) {
      dist = `<h4>${h.esc(f.distances)}</h4><table class="values" id="flows-distances"><tbody>
        <tr><th scope="row">${h.esc(f.meanKm)}</th><td class="num">${h.fmt(d.mean_km, 1)} km</td></tr>
        <tr><th scope="row">${h.esc(f.kmPerDay)}</th><td class="num">${h.fmt(d.km_per_day, 0)} km/jour</td></tr>
        <tr><th scope="row">${h.esc(f.co2)}</th><td class="num">${h.fmt(d.co2_t_per_year, 0)} tCO2e/an</td></tr>
        <tr><th scope="row">${h.esc(f.withoutDistance)}</th><td class="num">${h.fmt(d.workers_without_distance, 0)}</td></tr>
        </tbody></table><p class="hint">${h.esc(f.method)} : ${h.esc(d.method)} ; ${h.esc(f.occupancy)} ${h.fmt(d.params.occupancy, 1)}, ${h.esc(f.railShare)} ${h.fmt(d.params.rail_share * 100, 0)} %.</p>`;
    }
    const incomesLine = (i: { dataset: string; source: string; vintage: string; synthetic: boolean }) =>
      `${h.esc(f.incomes)} : ${h.esc(i.source)}, ${t.flows.vintage} ${h.esc(i.vintage)} (${t.flows.dataset} ${h.esc(i.dataset)})${
        i.synthetic ? ` — <strong class="synthetic">${h.esc(f.synthetic)}</strong>` : ''
      }`;
    let tele = '';
    if (tw) {
      tele = `<h4>${h.esc(f.teleworkTitle(tw.params.days, tw.params.take_up * 100))}</h4><table class="values" id="flows-telework"><tbody>
        <tr><th scope="row">${h.esc(f.teleworkers)}</th><td class="num">${h.fmt(tw.teleworkers, 0)} / ${h.fmt(tw.commuters, 0)}</td></tr>
        <tr><th scope="row">${h.esc(f.kmAvoided)}</th><td class="num">${h.fmt(tw.km_avoided_per_year, 0)} km/an</td></tr>
        <tr><th scope="row">${h.esc(f.co2Avoided)}</th><td class="num">${h.fmt(tw.co2_avoided_t_per_year, 0)} tCO2e/an</td></tr>
        <tr><th scope="row">${h.esc(f.moneySaved)}</th><td class="num">${h.fmt(tw.money_saved_eur_per_year, 0)} €/an</td></tr>
        ${tw.vulnerable_pct_before === null ? '' : `<tr><th scope="row">${h.esc(f.vulnerableBeforeAfter)}</th><td class="num">${h.fmt(tw.vulnerable_pct_before, 1)} % → ${h.fmt(tw.vulnerable_pct_after, 1)} %</td></tr>`}
        </tbody></table><p class="hint">${h.esc(f.method)} : ${h.esc(tw.method)}</p>`;
    }
    let vuln = '';
    if (vu instanceof Error) vuln = `<h4>${h.esc(f.vulnerabilityTitle)}</h4><p class="hint" id="flows-vulnerability-missing">${h.esc(vu.message)}</p>`;
    else if (vu) {
      vuln = `<h4>${h.esc(f.vulnerabilityTitle)}</h4><table class="values" id="flows-vulnerability"><tbody>
        <tr><th scope="row">${h.esc(f.households)}</th><td class="num">${h.fmt(vu.households, 0)}</td></tr>
        <tr><th scope="row">${h.esc(f.carCommuters)}</th><td class="num">${h.fmt(vu.car_commuters, 0)}</td></tr>
        <tr><th scope="row">${h.esc(f.spending)}</th><td class="num">${h.fmt(vu.spending_per_household, 0)} €/an</td></tr>
        <tr><th scope="row">${h.esc(f.effort)}</th><td class="num">${h.fmt(vu.effort_pct, 1)} %</td></tr>
        <tr><th scope="row">${h.esc(f.vulnerable(vu.params.threshold * 100))}</th><td class="num">${h.fmt(vu.vulnerable_pct, 1)} %</td></tr>
        <tr><th scope="row">${h.esc(f.precarious)}</th><td class="num">${h.fmt(vu.precarious_pct, 1)} %</td></tr>
        </tbody></table><p class="hint">${h.esc(f.method)} : ${h.esc(vu.method)} ; ${h.esc(f.fuel(vu.params.consumption, vu.params.price))}</p>
        <p class="source">${incomesLine(vu.incomes)}</p>`;
    }
    out.innerHTML = `<h3 id="flows-territory-name">${h.esc(s.name)} (${h.esc(s.territory)})</h3>
      <table class="values" id="flows-summary"><tbody>
        <tr><th scope="row">${h.esc(f.residents)}</th><td class="num">${count(h, s.residents_in_work)}</td></tr>
        <tr><th scope="row">${h.esc(f.inside)}</th><td class="num">${count(h, s.working_inside)}</td></tr>
        <tr><th scope="row">${h.esc(f.outgoing)}</th><td class="num">${count(h, s.outgoing)}</td></tr>
        <tr><th scope="row">${h.esc(f.incoming)}</th><td class="num">${count(h, s.incoming)}</td></tr>
        <tr><th scope="row">${h.esc(f.net)}</th><td class="num">${h.fmt(s.net_balance, 0)}</td></tr>
        <tr><th scope="row">${h.esc(f.selfContainment)}</th><td class="num">${pct(s.self_containment)}</td></tr>
        <tr><th scope="row">${h.esc(f.dependence)}</th><td class="num">${pct(s.dependence)}</td></tr>
        <tr><th scope="row">${h.esc(f.jobSelf)}</th><td class="num">${pct(s.job_self_sufficiency)}</td></tr>
      </tbody></table>
      ${partners(f.destinations, s.top_destinations)}${partners(f.origins, s.top_origins)}${dist}${tele}${vuln}
      <p class="source">${sourceLine(h, s.provenance, s.unit)}</p>`;
  } catch (e) {
    out.innerHTML = `<p class="error">${h.esc(t.error((e as Error).message))}</p>`;
  }
}

export async function renderFlows(h: FlowsHost) {
  host = h;
  const f = t.flows;
  document.body.dataset.flows = 'loading';
  h.view.innerHTML = `<h2>${h.esc(f.title)}</h2>
    <p id="flows-source" class="source"></p>
    <section id="flows-mel" class="box"><p>${h.esc(t.map.loading)}</p></section>
    <div class="row">
      <label>${h.esc(t.map.layer)} <select id="flows-layer">${LAYERS.map(
        (l) => `<option value="${l}"${l === view.layer ? ' selected' : ''}>${h.esc(t.map.layers[l])}</option>`,
      ).join('')}</select></label>
      <label>${h.esc(f.min)} <input id="flows-min" type="number" min="0" step="10" value="${view.min}"></label>
    </div>
    <input id="flows-min-range" type="range" min="0" max="5000" step="10" value="${view.min}" aria-label="${h.esc(f.min)}">
    <label>${h.esc(f.secretBelow)} <input id="flows-secret" type="number" min="0" step="1" value="${view.secret}"></label>
    <p id="flows-count" aria-live="polite"></p>
    <p class="hint">${h.esc(f.hint)}</p>
    <label>${h.esc(f.territory)} <select id="flows-territory-select"></select></label>
    <section id="flows-territory"></section>
    ${h.exportButtons()}
    <section id="flows-table-box"></section>`;
  const setMin = (v: number) => {
    if (!Number.isFinite(v) || v < 0) return;
    view.min = v;
    (document.getElementById('flows-min') as HTMLInputElement).value = String(v);
    (document.getElementById('flows-min-range') as HTMLInputElement).value = String(v);
    void loadLines(h);
  };
  (document.getElementById('flows-min') as HTMLInputElement).onchange = (e) => setMin(Number((e.target as HTMLInputElement).value));
  (document.getElementById('flows-min-range') as HTMLInputElement).onchange = (e) => setMin(Number((e.target as HTMLInputElement).value));
  (document.getElementById('flows-secret') as HTMLInputElement).onchange = (e) => {
    const v = Number((e.target as HTMLInputElement).value);
    if (!Number.isFinite(v) || v < 0) return;
    view.secret = v;
    void Promise.all([loadMel(h), loadLines(h), loadTable(h), view.selected ? selectTerritory(h, view.selected) : null]);
  };
  (document.getElementById('flows-layer') as HTMLSelectElement).onchange = (e) => {
    view.layer = (e.target as HTMLSelectElement).value;
    view.selected = '';
    (document.getElementById('flows-territory') as HTMLElement).innerHTML = '';
    void Promise.all([loadLines(h), loadTable(h)]);
  };
  (document.getElementById('flows-territory-select') as HTMLSelectElement).onchange = (e) =>
    void selectTerritory(h, (e.target as HTMLSelectElement).value);
  await Promise.all([loadMel(h), loadLines(h), loadTable(h)]);
  if (view.selected) await selectTerritory(h, view.selected);
}
