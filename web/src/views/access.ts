// « Accès aux services » (#/acces): per commune, the travel time to the nearest facility
// of a set (France services…), on a stored road network or in straight line (distance ×
// detour factor at an average speed), as a choropleth in minutes with the facilities as
// points, and the population-weighted diagnostics of a territory and its EPCI (mean,
// median, shares beyond the thresholds) in a table that scrolls inside the panel. The
// method is stated on the map and above the table; the map frames the territory. The
// address holds the facility set, the territory and the method's parameters.

import type maplibregl from 'maplibre-gl';
import { api, type AccessMode } from '../api';
import type { Diagnose, FacilitySet, MethodDetail, Territory } from '../api/types';
import { accessConfig as cfg, colors } from '../config';
import type { ExportTable } from '../export';
import { esc, fmt, fmtAsGiven } from '../format';
import { t } from '../i18n';
import { setParams } from '../router';
import { territorySearch } from '../search';
import { exportMenu, headRow, scrollTable, wireExports } from '../tables';
import { byId, type Context, type View } from './view';

const SOURCE = 'access-communes';
const FILL = 'access-fill';
const POINTS = 'access-points';
/** A veil over the indicator map, under the times, so that only one choropleth reads. */
const VEIL = 'access-veil';

const view = { set: '', within: cfg.defaults.within, network: '', detour: cfg.defaults.detour, speed: cfg.defaults.speed };
/** The territory picked with the search box, when it is neither a département nor a saved perimeter. */
let searched: { key: string; name: string } | null = null;
/** The territory the camera was last fitted to: the map moves when the territory changes, not the method. */
let fitted = '';
/** The latest drawing asked: an answer that comes after a newer request is dropped. */
let drawn = 0;
let table: ExportTable | null = null;

/** « À VOL D'OISEAU × 1,3 à 40 km/h » or « RÉSEAU ROUTIER "nom" » (— SYNTHÉTIQUE when generated). */
function methodLabel(d: MethodDetail): string {
  if (d.kind === 'road') return t.access.road(d.network ?? '', d.synthetic === true);
  return t.access.straight(fmtAsGiven(d.detour), fmtAsGiven(d.speed_kmh));
}

const mode = (): AccessMode => ({ network: view.network, detour: view.detour, speed: view.speed });

function hide(map: maplibregl.Map) {
  for (const id of [VEIL, FILL, POINTS]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
  document.getElementById('access-legend')?.remove();
}

function legendHtml(label: string, fac: FacilitySet, d: MethodDetail): string {
  const swatch = (c: string, text: string, cls = '') =>
    `<li${cls ? ` class="${cls}"` : ''}><span class="swatch" style="background:${c}" aria-hidden="true"></span> ${esc(text)}</li>`;
  const rows = cfg.palette
    .map((c, i) => {
      const lo = i === 0 ? 0 : cfg.breaks[i - 1];
      return swatch(c, i < cfg.breaks.length ? `${lo} – ${cfg.breaks[i]} ${t.access.minutes}` : `> ${lo} ${t.access.minutes}`);
    })
    .join('');
  const off = d.kind === 'road' ? swatch(cfg.offNetwork, t.access.offNetwork(fmt(d.max_snap_m ?? null, 0)), 'off-network') : '';
  return `<h2>${esc(t.access.legendTitle)}</h2><ul>${rows}${swatch(cfg.unreached, t.access.unreachedLegend)}${off}
    <li><span class="dot" aria-hidden="true"></span> ${esc(fac.name)}</li></ul>
    <div id="access-map-method" class="method"><strong>${esc(label)}</strong></div>`;
}

async function draw(ctx: Context) {
  const map = ctx.map.map;
  const status = byId(ctx, 'access-status');
  status.textContent = t.map.loading;
  status.classList.remove('error');
  document.body.dataset.access = 'loading';
  const seq = ++drawn;
  try {
    const [times, shapes, diag] = await Promise.all([
      api.access.times(view.set, view.within, mode()),
      api.shapes('com', view.within),
      api.access.diagnose(view.within, view.set, cfg.diagnoseLayer, cfg.thresholds, mode()),
    ]);
    if (seq !== drawn || !ctx.live()) return;
    const byKey = new Map(times.communes.map((c) => [`com:${c.code}`, c]));
    const fc = {
      ...shapes,
      features: shapes.features.map((f) => {
        const c = byKey.get(String(f.properties.key));
        return { ...f, type: 'Feature', properties: { ...f.properties, minutes: c?.minutes ?? null, off: c?.excluded != null } };
      }),
    } as unknown as GeoJSON.FeatureCollection;
    const pts: GeoJSON.FeatureCollection = {
      type: 'FeatureCollection',
      features: times.facility_points.map((p) => ({ type: 'Feature', properties: { name: p.name }, geometry: { type: 'Point', coordinates: [p.lon, p.lat] } })),
    };
    const step: maplibregl.ExpressionSpecification = ['step', ['to-number', ['get', 'minutes']], cfg.palette[0]];
    cfg.breaks.forEach((b, i) => step.push(b, cfg.palette[i + 1]));
    const color: maplibregl.ExpressionSpecification = ['case', ['==', ['get', 'off'], true], cfg.offNetwork, ['==', ['get', 'minutes'], null], cfg.unreached, step];
    const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
    if (src) {
      src.setData(fc);
      (map.getSource(`${SOURCE}-points`) as maplibregl.GeoJSONSource).setData(pts);
      map.setPaintProperty(FILL, 'fill-color', color);
    } else {
      map.addSource(SOURCE, { type: 'geojson', data: fc });
      map.addSource(`${SOURCE}-points`, { type: 'geojson', data: pts });
      map.addLayer({ id: VEIL, type: 'background', paint: { 'background-color': '#ffffff', 'background-opacity': 0.85 } });
      map.addLayer({ id: FILL, type: 'fill', source: SOURCE, paint: { 'fill-color': color, 'fill-opacity': 0.9, 'fill-outline-color': '#ffffff' } });
      map.addLayer({
        id: POINTS,
        type: 'circle',
        source: `${SOURCE}-points`,
        paint: { 'circle-radius': 5, 'circle-color': colors.point, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
      });
    }
    for (const id of [VEIL, FILL, POINTS]) {
      map.moveLayer(id);
      map.setLayoutProperty(id, 'visibility', 'visible');
    }
    const label = methodLabel(times.method_detail);
    let legend = document.getElementById('access-legend');
    if (!legend) {
      legend = document.createElement('div');
      legend.id = 'access-legend';
      legend.className = 'map-legend access-legend';
      map.getContainer().parentElement!.appendChild(legend);
    }
    legend.innerHTML = legendHtml(label, times.facilities, times.method_detail);
    const fac = times.facilities;
    const source = `${fac.name} (${fac.file ?? ''}, ${t.access.vintage} ${fac.vintage ?? t.missing}, ${fac.count} ${t.access.points}) — ${label} — ${times.method}`;
    byId(ctx, 'access-source').textContent = t.export.sourceLine(source);
    renderTable(ctx, diag, label, source);
    if (times.communes.length === 0) {
      // No commune of the territory has a contour in the pack: nothing to compute nor to map; say so.
      const row = diag.rows[0];
      const message = t.access.noContours(row?.name ?? view.within, times.communes_left_out, fmt(row?.population_left_out ?? null, 0));
      status.textContent = message;
      status.classList.add('error');
      legend.innerHTML = `<p id="access-map-empty" class="error">${esc(message)}</p>`;
      document.body.dataset.access = 'empty';
      return;
    }
    const off = times.communes.filter((c) => c.excluded != null).length;
    const unreached = times.communes.filter((c) => c.excluded == null && c.minutes == null).length;
    status.textContent = t.access.shown(times.communes.length - off - unreached, off, unreached, times.communes_left_out, fmt("max_snap_m" in times.method_detail ? times.method_detail.max_snap_m : null, 0));
    if (fitted !== view.within) {
      fitted = view.within;
      await ctx.map.fitTerritory(view.within);
    }
    document.body.dataset.access = 'ready';
  } catch (e) {
    if (seq !== drawn || !ctx.live()) return;
    status.textContent = t.error((e as Error).message);
    status.classList.add('error');
    document.body.dataset.access = 'error';
  }
}

/** The territory picker: every département, the saved perimeters, and what the search found. */
function territoryOptions(deps: Territory[], pers: Territory[]): string {
  const a = t.access;
  const opt = (k: string, text: string) => `<option value="${esc(k)}"${k === view.within ? ' selected' : ''}>${esc(text)}</option>`;
  const known = [...deps, ...pers].some((x) => x.key === view.within);
  return `<optgroup label="${esc(a.departements)}">${deps.map((d) => opt(d.key, `${d.key.slice(4)} — ${d.name}`)).join('')}</optgroup>
    ${pers.length ? `<optgroup label="${esc(a.perimeters)}">${pers.map((p) => opt(p.key, p.name)).join('')}</optgroup>` : ''}
    ${!known && searched?.key === view.within ? `<optgroup label="${esc(a.searched)}">${opt(searched.key, `${searched.name} (${searched.key})`)}</optgroup>` : ''}`;
}

function renderTable(ctx: Context, d: Diagnose, label: string, source: string) {
  const c = t.access.columns;
  const header = [c.key, c.name, c.communes, c.population, c.mean, c.median, ...d.thresholds_min.map((x) => c.beyond(x)), c.unreached, c.leftOut];
  const rows = d.rows.map((r) => [
    r.territory,
    r.name ?? null,
    r.communes ?? null,
    r.population,
    r.mean_min ?? null,
    r.median_min ?? null,
    ...r.beyond.map((b) => b.share * 100),
    r.unreached_population,
    r.communes_left_out ?? null,
  ]);
  table = { name: `acces-${view.set}-${view.within.replace(':', '-')}`, title: `${t.access.tableTitle} — ${view.set}`, source, header, rows };
  const body = d.rows
    .map(
      (r) => `<tr data-key="${esc(r.territory)}"><td>${esc(r.territory)}</td><th scope="row">${esc(r.name)}</th><td class="num">${r.communes}</td>
        <td class="num population">${fmt(r.population, 0)}</td><td class="num mean">${fmt(r.mean_min, 1)}</td><td class="num median">${fmt(r.median_min, 1)}</td>
        ${r.beyond.map((b) => `<td class="num beyond">${fmt(b.share * 100, 1)} %</td>`).join('')}
        <td class="num">${fmt(r.unreached_population, 0)}</td><td class="num left-out">${r.communes_left_out}</td></tr>`,
    )
    .join('');
  byId(ctx, 'access-table-box').innerHTML = `<p id="access-table-method" class="method"><strong>${esc(label)}</strong></p>
    ${scrollTable('access-table', `${t.access.tableTitle} — ${view.set}`, headRow(header.map((text, i) => ({ text, cls: i > 1 ? 'num' : undefined }))), body)}
    <p class="hint">${esc(t.access.note)}</p>`;
}

/** The settings named in the address (a non-positive detour or speed is ignored). */
function fromAddress(params: URLSearchParams) {
  view.set = params.get('equipements') ?? view.set;
  view.within = params.get('territoire') ?? view.within;
  view.network = params.get('reseau') ?? view.network;
  for (const [param, key] of [['detour', 'detour'], ['vitesse', 'speed']] as const) {
    const v = Number(params.get(param) ?? NaN);
    if (Number.isFinite(v) && v > 0) view[key] = v;
  }
}

const toAddress = () => ({
  equipements: view.set,
  territoire: view.within,
  reseau: view.network,
  detour: view.network ? '' : String(view.detour),
  vitesse: view.network ? '' : String(view.speed),
});

export const accessView: View = {
  name: 'acces',
  legend: false,
  async render(ctx) {
    fromAddress(ctx.route.params);
    ctx.map.events = {};
    const a = t.access;
    ctx.el.innerHTML = `<h2>${esc(a.title)}</h2>
      <p id="access-source" class="source"></p>
      <div id="access-controls"><p>${esc(t.map.loading)}</p></div>
      <p id="access-status" aria-live="polite"></p>
      ${exportMenu()}
      <section id="access-table-box"></section>`;
    wireExports(ctx.el, () => table);
    const controls = byId(ctx, 'access-controls');
    let sets;
    let deps: Territory[];
    let pers: Territory[];
    try {
      [sets, deps, pers] = await Promise.all([api.access.facilities(), api.territories('dep'), api.territories('per')]);
    } catch (e) {
      if (ctx.live()) controls.innerHTML = `<p class="error" role="alert">${esc(t.error((e as Error).message))}</p>`;
      return;
    }
    if (!ctx.live()) return;
    if (sets.facilities.length === 0) {
      controls.innerHTML = `<p class="error" role="alert">${esc(a.noSets)}</p>`;
      document.body.dataset.access = 'error';
      return;
    }
    if (!sets.facilities.some((f) => f.name === view.set)) view.set = sets.facilities[0].name;
    if (view.network && !sets.networks.some((n) => n.name === view.network)) view.network = '';
    if (![...deps, ...pers].some((x) => x.key === view.within) && searched?.key !== view.within) {
      // A territory named in the address: offered as if found by the search.
      const found = view.within.startsWith('dep:') ? null : await api.search(view.within, 1).catch(() => []);
      searched = found?.[0]?.key === view.within ? { key: found[0].key, name: found[0].name } : null;
      if (!searched) view.within = cfg.defaults.within;
    }
    setParams(toAddress(), true);
    ctx.alternative('access-table', a.describe(view.set));
    controls.innerHTML = `
      <label>${esc(a.facilities)} <select id="access-set">${sets.facilities
        .map((f) => `<option value="${esc(f.name)}"${f.name === view.set ? ' selected' : ''}>${esc(f.name)} (${f.count})</option>`)
        .join('')}</select></label>
      <label>${esc(a.territory)} <select id="access-within">${territoryOptions(deps, pers)}</select></label>
      <div class="search"><label>${esc(a.otherTerritory)} <input id="access-search" type="search" placeholder="${esc(a.searchPlaceholder)}" autocomplete="off"></label><div id="access-results" class="results"></div></div>
      <label>${esc(a.method)} <select id="access-network"><option value="">${esc(a.straightOption)}</option>${sets.networks
        .map((n) => `<option value="${esc(n.name)}"${n.name === view.network ? ' selected' : ''}>${esc(a.road(n.name, n.synthetic))}</option>`)
        .join('')}</select></label>
      <div class="row">
        <label>${esc(a.detour)} <input id="access-detour" type="number" min="1" step="0.1" value="${view.detour}"${view.network ? ' disabled' : ''}></label>
        <label>${esc(a.speed)} <input id="access-speed" type="number" min="1" max="200" step="1" value="${view.speed}"${view.network ? ' disabled' : ''}></label>
      </div>`;
    const on = (id: string, fn: (v: string) => void) => {
      byId<HTMLInputElement>(ctx, id).onchange = (e) => {
        fn((e.target as HTMLInputElement).value);
        setParams(toAddress());
        void draw(ctx);
      };
    };
    on('access-set', (v) => (view.set = v));
    on('access-within', (v) => (view.within = v));
    const within = byId<HTMLSelectElement>(ctx, 'access-within');
    territorySearch(byId<HTMLInputElement>(ctx, 'access-search'), byId(ctx, 'access-results'), (f) => {
      view.within = f.key;
      searched = { key: f.key, name: f.name };
      within.innerHTML = territoryOptions(deps, pers);
      within.value = f.key;
      setParams(toAddress());
      void draw(ctx);
    });
    on('access-network', (v) => {
      view.network = v;
      // The detour factor and the speed are the straight line's parameters, not the network's.
      for (const id of ['access-detour', 'access-speed']) byId<HTMLInputElement>(ctx, id).disabled = v !== '';
    });
    on('access-detour', (v) => (view.detour = Number(v)));
    on('access-speed', (v) => (view.speed = Number(v)));
    await draw(ctx);
  },
  leave(ctx) {
    hide(ctx.map.map);
    fitted = '';
  },
};
