// The « Accès aux services » view (#/acces): per commune, the travel time to the nearest
// facility of a set (France services…), on a stored road network or in straight line
// (distance × detour factor at an average speed), as a choropleth in minutes with the
// facilities as points, and the population-weighted diagnostics of a territory and its
// EPCI (mean, median, shares beyond 7 and 20 minutes). The method is stated on the map
// and under the table.

import type maplibregl from 'maplibre-gl';
import type { ExportTable } from './export';
import { t } from './i18n';

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
  detour?: number;
  speed_kmh?: number;
}
interface Times {
  method: string;
  method_detail: Detail;
  facilities: FacilitySet;
  communes: { code: string; name: string | null; minutes: number | null; km: number | null }[];
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
const TERRITORIES = ['dep:59', 'dep:62', 'dep:80', 'dep:60', 'dep:02'];

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`);
  return body as T;
}

const view = { set: '', within: 'dep:62', network: '', detour: 1.3, speed: 40 };


/** « À VOL D'OISEAU × 1,3 à 40 km/h » or « RÉSEAU ROUTIER "nom" ». */
export function methodLabel(d: Detail, fmt: (v: number | null, decimals?: number) => string): string {
  if (d.kind === 'road') return t.access.road(d.network ?? '');
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

function legendHtml(h: AccessHost, label: string, fac: FacilitySet): string {
  const rows = PALETTE.map((c, i) => {
    const lo = i === 0 ? 0 : BREAKS[i - 1];
    const text = i < BREAKS.length ? `${lo} – ${BREAKS[i]} ${t.access.minutes}` : `> ${lo} ${t.access.minutes}`;
    return `<div><span class="swatch" style="background:${c};display:inline-block;width:14px;height:10px"></span> ${h.esc(text)}</div>`;
  }).join('');
  return `<strong>${h.esc(t.access.legendTitle)}</strong>${rows}
    <div><span style="display:inline-block;width:10px;height:10px;border-radius:50%;background:#2166ac"></span> ${h.esc(fac.name)}</div>
    <div id="access-map-method" class="method"><strong>${h.esc(label)}</strong></div>`;
}

async function draw(h: AccessHost) {
  const { map } = h;
  const status = document.getElementById('access-status') as HTMLElement;
  status.textContent = t.map.loading;
  status.classList.remove('error');
  document.body.dataset.access = 'loading';
  try {
    const [times, shapes, diag] = await Promise.all([
      get<Times>(`/api/access/times?facilities=${q(view.set)}&layer=com&within=${q(view.within)}${modeParams()}`),
      get<{ type: 'FeatureCollection'; features: { properties: Record<string, unknown> }[] }>(
        `/api/shapes?layer=com&within=${q(view.within)}`,
      ),
      get<Diagnose>(`/api/access/diagnose/${q(view.within)}?facilities=${q(view.set)}&layer=epci&thresholds=7,20${modeParams()}`),
    ]);
    const minutes = new Map(times.communes.map((c) => [`com:${c.code}`, c.minutes]));
    const fc = {
      ...shapes,
      features: shapes.features.map((f) => ({
        ...f,
        properties: { ...f.properties, minutes: minutes.get(String(f.properties.key)) ?? null },
      })),
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
    const color: maplibregl.ExpressionSpecification = ['case', ['==', ['get', 'minutes'], null], '#cccccc', step];
    const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
    if (src) {
      src.setData(fc as unknown as GeoJSON.FeatureCollection);
      (map.getSource(`${SOURCE}-points`) as maplibregl.GeoJSONSource).setData(pts);
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
    legend.innerHTML = legendHtml(h, label, times.facilities);
    const fac = times.facilities;
    const source = `${fac.name} (${fac.file ?? ''}, ${t.access.vintage} ${fac.vintage ?? t.missing}, ${fac.count} ${t.access.points}) — ${label} — ${times.method}`;
    (document.getElementById('access-source') as HTMLElement).textContent = t.export.sourceLine(source);
    renderTable(h, diag, label, source);
    status.textContent = t.access.shown(times.communes.length, times.communes_left_out);
    document.body.dataset.access = 'ready';
  } catch (e) {
    status.textContent = t.error((e as Error).message);
    status.classList.add('error');
    document.body.dataset.access = 'error';
  }
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
        <td class="num">${h.fmt(r.unreached_population, 0)}</td><td class="num">${r.communes_left_out}</td></tr>`,
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
  try {
    sets = await get<Sets>('/api/access/facilities');
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
  (document.getElementById('access-controls') as HTMLElement).innerHTML = `
    <label>${h.esc(a.facilities)} <select id="access-set">${sets.facilities
      .map((f) => `<option value="${h.esc(f.name)}"${f.name === view.set ? ' selected' : ''}>${h.esc(f.name)} (${f.count})</option>`)
      .join('')}</select></label>
    <label>${h.esc(a.territory)} <select id="access-within">${TERRITORIES.map(
      (k) => `<option value="${k}"${k === view.within ? ' selected' : ''}>${h.esc(k)}</option>`,
    ).join('')}</select></label>
    <label>${h.esc(a.method)} <select id="access-network"><option value="">${h.esc(a.straightOption)}</option>${sets.networks
      .map((n) => `<option value="${h.esc(n.name)}"${n.name === view.network ? ' selected' : ''}>${h.esc(a.road(n.name))}${n.synthetic ? ' — SYNTHÉTIQUE' : ''}</option>`)
      .join('')}</select></label>
    <label>${h.esc(a.detour)} <input id="access-detour" type="number" min="1" step="0.1" value="${view.detour}"></label>
    <label>${h.esc(a.speed)} <input id="access-speed" type="number" min="1" max="200" step="1" value="${view.speed}"></label>`;
  const on = (id: string, fn: (v: string) => void) => {
    (document.getElementById(id) as HTMLInputElement).onchange = (e) => {
      fn((e.target as HTMLInputElement).value);
      void draw(h);
    };
  };
  on('access-set', (v) => (view.set = v));
  on('access-within', (v) => (view.within = v));
  on('access-network', (v) => (view.network = v));
  on('access-detour', (v) => (view.detour = Number(v)));
  on('access-speed', (v) => (view.speed = Number(v)));
  await draw(h);
}
