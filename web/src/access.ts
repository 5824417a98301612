// The « Accès aux services » view (#/acces): per commune, the travel time to the nearest
// facility of a set (France services…), on a stored road network or in straight line
// (distance × detour factor at an average speed), as a choropleth in minutes with the
// facilities as points, and the population-weighted diagnostics of a territory and its
// EPCI (mean, median, shares beyond 7 and 20 minutes). The method is stated on the map
// and under the table.

import type maplibregl from 'maplibre-gl';
import { api, type Territory } from './api';
import type { ExportTable } from './export';
import { t } from './i18n';
import { territorySearch } from './search';

export interface AccessHost {
  map: maplibregl.Map;
  view: HTMLElement;
  esc: (s: string | null | undefined) => string;
  fmt: (v: number | null, decimals?: number) => string;
  setTable: (table: ExportTable) => void;
  exportButtons: () => string;
}

interface FacilitySet {
  name: string;
  file: string | null;
  vintage: string | null;
  count: number;
}
interface Sets {
  facilities: FacilitySet[];
  networks: { name: string; profile: string; synthetic: boolean }[];
}
interface Detail {
  kind: 'road' | 'straight_line';
  network?: string;
  synthetic?: boolean;
  max_snap_m?: number;
  detour?: number;
  speed_kmh?: number;
}
interface Times {
  method: string;
  method_detail: Detail;
  facilities: FacilitySet;
  communes: { code: string; name: string | null; minutes: number | null; km: number | null; excluded: string | null }[];
  communes_left_out: number;
  facility_points: { id: string; name: string | null; lon: number; lat: number }[];
}
interface Diagnose {
  method: string;
  method_detail: Detail;
  facilities: FacilitySet;
  thresholds_min: number[];
  rows: {
    territory: string;
    name: string | null;
    communes: number;
    population: number;
    mean_min: number | null;
    median_min: number | null;
    beyond: { threshold_min: number; share: number }[];
    unreached_population: number;
    communes_left_out: number;
    population_left_out: number;
  }[];
}

const q = encodeURIComponent;
const SOURCE = 'access-communes';
const FILL = 'access-fill';
const POINTS = 'access-points';
/** A veil over the indicator map, under the times, so that only one choropleth reads. */
const VEIL = 'access-veil';
/** Step colours, minutes (upper bounds of the classes). */
const BREAKS = [5, 10, 15, 20, 30];

const PALETTE = ['#fef0d9', '#fdd49e', '#fdbb84', '#fc8d59', '#e34a33', '#b30000'];
/** Communes without a time: no facility reached, or (road network) too far from any road. */
const UNREACHED = '#cccccc';
const OFF_NETWORK = '#6b6b6b';

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`);
  return body as T;
}

const view = { set: '', within: 'dep:62', network: '', detour: 1.3, speed: 40 };
/** The territory picked with the search box, when it is neither a département nor a saved perimeter. */
let searched: { key: string; name: string } | null = null;
/** The territory the camera was last fitted to: the map moves when the territory changes, not the method. */
let fitted = '';
/** The latest drawing asked: an answer that comes after a newer request is dropped. */
let drawn = 0;


/** « À VOL D'OISEAU × 1,3 à 40 km/h » or « RÉSEAU ROUTIER "nom" » (— SYNTHÉTIQUE when generated). */
export function methodLabel(d: Detail, fmt: (v: number | null, decimals?: number) => string): string {
  if (d.kind === 'road') return t.access.road(d.network ?? '', d.synthetic === true);
  // As many decimals as the parameter has (up to 3), so that 1,25 is not shown 1,3.
  const dec = (v: number | undefined) => fmt(v ?? null, Math.min(3, (String(v ?? '').split('.')[1] ?? '').length));
  return t.access.straight(dec(d.detour), dec(d.speed_kmh));
}

function modeParams(): string {
  return view.network
    ? `&network=${q(view.network)}`
    : `&detour=${q(String(view.detour))}&speed=${q(String(view.speed))}`;
}

export function hideAccess(map: maplibregl.Map) {
  for (const id of [VEIL, FILL, POINTS]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
  const legend = document.getElementById('access-legend');
  if (legend) legend.remove();
  const main = document.getElementById('legend');
  if (main) main.style.visibility = '';
}

function legendHtml(h: AccessHost, label: string, fac: FacilitySet, d: Detail): string {
  const swatch = (c: string, text: string, cls = '') =>
    `<div${cls ? ` class="${cls}"` : ''}><span class="swatch" style="background:${c};display:inline-block;width:14px;height:10px"></span> ${h.esc(text)}</div>`;
  const rows = PALETTE.map((c, i) => {
    const lo = i === 0 ? 0 : BREAKS[i - 1];
    return swatch(c, i < BREAKS.length ? `${lo} – ${BREAKS[i]} ${t.access.minutes}` : `> ${lo} ${t.access.minutes}`);
  }).join('');
  const off = d.kind === 'road' ? swatch(OFF_NETWORK, t.access.offNetwork(h.fmt(d.max_snap_m ?? null, 0)), 'off-network') : '';
  return `<strong>${h.esc(t.access.legendTitle)}</strong>${rows}${swatch(UNREACHED, t.access.unreachedLegend)}${off}
    <div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:#2166ac"></span> ${h.esc(fac.name)}</div>
    <div id="access-map-method" class="method"><strong>${h.esc(label)}</strong></div>`;
}

async function draw(h: AccessHost) {
  const { map } = h;
  const status = document.getElementById('access-status') as HTMLElement;
  status.textContent = t.map.loading;
  status.classList.remove('error');
  document.body.dataset.access = 'loading';
  const seq = ++drawn;
  try {
    const [times, shapes, diag] = await Promise.all([
      get<Times>(`/api/access/times?facilities=${q(view.set)}&layer=com&within=${q(view.within)}${modeParams()}`),
      get<{ type: 'FeatureCollection'; features: { properties: Record<string, unknown> }[] }>(
        `/api/shapes?layer=com&within=${q(view.within)}`,
      ),
      get<Diagnose>(`/api/access/diagnose/${q(view.within)}?facilities=${q(view.set)}&layer=epci&thresholds=7,20${modeParams()}`),
    ]);
    if (seq !== drawn) return;
    const byKey = new Map(times.communes.map((c) => [`com:${c.code}`, c]));
    const fc = {
      ...shapes,
      features: shapes.features.map((f) => {
        const c = byKey.get(String(f.properties.key));
        return { ...f, properties: { ...f.properties, minutes: c?.minutes ?? null, off: c?.excluded != null } };
      }),
    };
    const pts = {
      type: 'FeatureCollection' as const,
      features: times.facility_points.map((p) => ({
        type: 'Feature' as const,
        properties: { name: p.name },
        geometry: { type: 'Point' as const, coordinates: [p.lon, p.lat] },
      })),
    };
    const step: maplibregl.ExpressionSpecification = ['step', ['to-number', ['get', 'minutes']], PALETTE[0]];
    BREAKS.forEach((b, i) => step.push(b, PALETTE[i + 1]));
    const color: maplibregl.ExpressionSpecification = [
      'case',
      ['==', ['get', 'off'], true],
      OFF_NETWORK,
      ['==', ['get', 'minutes'], null],
      UNREACHED,
      step,
    ];
    const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
    if (src) {
      src.setData(fc as unknown as GeoJSON.FeatureCollection);
      (map.getSource(`${SOURCE}-points`) as maplibregl.GeoJSONSource).setData(pts);
      map.setPaintProperty(FILL, 'fill-color', color);
    } else {
      map.addSource(SOURCE, { type: 'geojson', data: fc as unknown as GeoJSON.FeatureCollection });
      map.addSource(`${SOURCE}-points`, { type: 'geojson', data: pts });
      map.addLayer({ id: VEIL, type: 'background', paint: { 'background-color': '#ffffff', 'background-opacity': 0.85 } });
      map.addLayer({ id: FILL, type: 'fill', source: SOURCE, paint: { 'fill-color': color, 'fill-opacity': 0.9, 'fill-outline-color': '#ffffff' } });
      map.addLayer({
        id: POINTS,
        type: 'circle',
        source: `${SOURCE}-points`,
        paint: { 'circle-radius': 5, 'circle-color': '#2166ac', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
      });
    }
    // The user may have left the view while the answers came.
    if (!location.hash.startsWith('#/acces')) return;
    const main = document.getElementById('legend');
    if (main) main.style.visibility = 'hidden';
    for (const id of [VEIL, FILL, POINTS]) {
      map.moveLayer(id);
      map.setLayoutProperty(id, 'visibility', 'visible');
    }
    const label = methodLabel(times.method_detail, h.fmt);
    let legend = document.getElementById('access-legend');
    if (!legend) {
      legend = document.createElement('div');
      legend.id = 'access-legend';
      legend.className = 'legend access-legend';
      legend.style.cssText = 'position:absolute;right:10px;bottom:30px;background:#fff;padding:6px 8px;font-size:12px;z-index:2;max-width:260px';
      map.getContainer().appendChild(legend);
    }
    legend.innerHTML = legendHtml(h, label, times.facilities, times.method_detail);
    const fac = times.facilities;
    const source = `${fac.name} (${fac.file ?? ''}, ${t.access.vintage} ${fac.vintage ?? t.missing}, ${fac.count} ${t.access.points}) — ${label} — ${times.method}`;
    (document.getElementById('access-source') as HTMLElement).textContent = t.export.sourceLine(source);
    renderTable(h, diag, label, source);
    if (times.communes.length === 0) {
      // No commune of the territory has a contour in the pack: nothing to compute nor to map; say so.
      const row = diag.rows[0];
      const message = t.access.noContours(row?.name ?? view.within, times.communes_left_out, h.fmt(row?.population_left_out ?? null, 0));
      status.textContent = message;
      status.classList.add('error');
      legend.innerHTML = `<p id="access-map-empty" class="error">${h.esc(message)}</p>`;
      document.body.dataset.access = 'empty';
      return;
    }
    const off = times.communes.filter((c) => c.excluded != null).length;
    const unreached = times.communes.filter((c) => c.excluded == null && c.minutes == null).length;
    status.textContent = t.access.shown(
      times.communes.length - off - unreached,
      off,
      unreached,
      times.communes_left_out,
      h.fmt(times.method_detail.max_snap_m ?? null, 0),
    );
    if (fitted !== view.within) {
      fitted = view.within;
      fitTo(map, shapes.features as unknown as GeoJSON.Feature[]);
    }
    document.body.dataset.access = 'ready';
  } catch (e) {
    if (seq !== drawn) return;
    status.textContent = t.error((e as Error).message);
    status.classList.add('error');
    document.body.dataset.access = 'error';
  }
}

/** Frames the territory's communes. */
function fitTo(map: maplibregl.Map, features: GeoJSON.Feature[]) {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      w = Math.min(w, c[0] as number);
      e = Math.max(e, c[0] as number);
      s = Math.min(s, c[1] as number);
      n = Math.max(n, c[1] as number);
    } else if (Array.isArray(c)) c.forEach(visit);
  };
  for (const f of features) if (f.geometry && 'coordinates' in f.geometry) visit(f.geometry.coordinates);
  if (w <= e) map.fitBounds([w, s, e, n], { padding: 30, duration: 0 });
}

/** The territory picker: every département, the saved perimeters, and what the search found. */
function territoryOptions(h: AccessHost, deps: Territory[], pers: Territory[]): string {
  const a = t.access;
  const opt = (k: string, text: string) => `<option value="${h.esc(k)}"${k === view.within ? ' selected' : ''}>${h.esc(text)}</option>`;
  const known = [...deps, ...pers].some((x) => x.key === view.within);
  return `<optgroup label="${h.esc(a.departements)}">${deps.map((d) => opt(d.key, `${d.key.slice(4)} — ${d.name}`)).join('')}</optgroup>
    ${pers.length ? `<optgroup label="${h.esc(a.perimeters)}">${pers.map((p) => opt(p.key, p.name)).join('')}</optgroup>` : ''}
    ${!known && searched?.key === view.within ? `<optgroup label="${h.esc(a.searched)}">${opt(searched.key, `${searched.name} (${searched.key})`)}</optgroup>` : ''}`;
}

function renderTable(h: AccessHost, d: Diagnose, label: string, source: string) {
  const c = t.access.columns;
  const header = [c.key, c.name, c.communes, c.population, c.mean, c.median, ...d.thresholds_min.map((x) => c.beyond(x)), c.unreached, c.leftOut];
  const rows = d.rows.map((r) => [
    r.territory,
    r.name,
    r.communes,
    r.population,
    r.mean_min,
    r.median_min,
    ...r.beyond.map((b) => b.share * 100),
    r.unreached_population,
    r.communes_left_out,
  ]);
  h.setTable({ name: `acces-${view.set}-${view.within.replace(':', '-')}`, title: `${t.access.tableTitle} — ${view.set}`, source, header, rows });
  const body = d.rows
    .map(
      (r) => `<tr data-key="${h.esc(r.territory)}"><td>${h.esc(r.territory)}</td><td>${h.esc(r.name)}</td><td class="num">${r.communes}</td>
        <td class="num">${h.fmt(r.population, 0)}</td><td class="num mean">${h.fmt(r.mean_min, 1)}</td><td class="num median">${h.fmt(r.median_min, 1)}</td>
        ${r.beyond.map((b) => `<td class="num beyond">${h.fmt(b.share * 100, 1)} %</td>`).join('')}
        <td class="num">${h.fmt(r.unreached_population, 0)}</td><td class="num left-out">${r.communes_left_out}</td></tr>`,
    )
    .join('');
  (document.getElementById('access-table-box') as HTMLElement).innerHTML = `<p id="access-table-method" class="method"><strong>${h.esc(label)}</strong></p>
    <table id="access-table"><thead><tr>${header.map((x) => `<th>${h.esc(x)}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table>
    <p class="hint">${h.esc(t.access.note)}</p>`;
}

export async function renderAccess(h: AccessHost) {
  const a = t.access;
  h.view.innerHTML = `<h2>${h.esc(a.title)}</h2>
    <p id="access-source" class="source"></p>
    <div id="access-controls"><p>${h.esc(t.map.loading)}</p></div>
    <p id="access-status" aria-live="polite"></p>
    ${h.exportButtons()}
    <section id="access-table-box"></section>`;
  let sets: Sets;
  let deps: Territory[];
  let pers: Territory[];
  try {
    [sets, deps, pers] = await Promise.all([get<Sets>('/api/access/facilities'), api.territories('dep'), api.territories('per')]);
  } catch (e) {
    (document.getElementById('access-controls') as HTMLElement).innerHTML = `<p class="error">${h.esc(t.error((e as Error).message))}</p>`;
    return;
  }
  if (sets.facilities.length === 0) {
    (document.getElementById('access-controls') as HTMLElement).innerHTML = `<p class="error">${h.esc(a.noSets)}</p>`;
    document.body.dataset.access = 'error';
    return;
  }
  if (!sets.facilities.some((f) => f.name === view.set)) view.set = sets.facilities[0].name;
  if (view.network && !sets.networks.some((n) => n.name === view.network)) view.network = '';
  if (![...deps, ...pers].some((x) => x.key === view.within) && searched?.key !== view.within) view.within = 'dep:62';
  (document.getElementById('access-controls') as HTMLElement).innerHTML = `
    <label>${h.esc(a.facilities)} <select id="access-set">${sets.facilities
      .map((f) => `<option value="${h.esc(f.name)}"${f.name === view.set ? ' selected' : ''}>${h.esc(f.name)} (${f.count})</option>`)
      .join('')}</select></label>
    <label>${h.esc(a.territory)} <select id="access-within">${territoryOptions(h, deps, pers)}</select></label>
    <span class="search"><label>${h.esc(a.otherTerritory)} <input id="access-search" type="search" placeholder="${h.esc(a.searchPlaceholder)}" autocomplete="off"></label><div id="access-results" class="results"></div></span>
    <label>${h.esc(a.method)} <select id="access-network"><option value="">${h.esc(a.straightOption)}</option>${sets.networks
      .map((n) => `<option value="${h.esc(n.name)}"${n.name === view.network ? ' selected' : ''}>${h.esc(a.road(n.name, n.synthetic))}</option>`)
      .join('')}</select></label>
    <label>${h.esc(a.detour)} <input id="access-detour" type="number" min="1" step="0.1" value="${view.detour}"${view.network ? ' disabled' : ''}></label>
    <label>${h.esc(a.speed)} <input id="access-speed" type="number" min="1" max="200" step="1" value="${view.speed}"${view.network ? ' disabled' : ''}></label>`;
  const on = (id: string, fn: (v: string) => void) => {
    (document.getElementById(id) as HTMLInputElement).onchange = (e) => {
      fn((e.target as HTMLInputElement).value);
      void draw(h);
    };
  };
  on('access-set', (v) => (view.set = v));
  on('access-within', (v) => (view.within = v));
  const within = document.getElementById('access-within') as HTMLSelectElement;
  territorySearch(document.getElementById('access-search') as HTMLInputElement, document.getElementById('access-results') as HTMLElement, h.esc, (f) => {
    view.within = f.key;
    searched = { key: f.key, name: f.name };
    within.innerHTML = territoryOptions(h, deps, pers);
    within.value = f.key;
    void draw(h);
  });
  on('access-network', (v) => {
    view.network = v;
    // The detour factor and the speed are the straight line's parameters, not the network's.
    for (const id of ['access-detour', 'access-speed']) (document.getElementById(id) as HTMLInputElement).disabled = v !== '';
  });
  on('access-detour', (v) => (view.detour = Number(v)));
  on('access-speed', (v) => (view.speed = Number(v)));
  await draw(h);
}
