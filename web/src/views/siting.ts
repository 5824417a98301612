// « Tiers-lieux » (#/tiers-lieux?territoire=per:mel&modele=mclp&p=10&distance=10&demande=population&candidats=communes&existants=1):
// where to open the next third places. The server solves the location model (echelle-siting
// through echelle-mobility's third places) on the work pool; the page shows the sites
// chosen on the map sized by the demand each serves, the optimum with its bound and gap,
// the existing third places alone against existing + new, and the coverage curve (one
// optimum per p from 1 to 30, asked one by one so that progress shows). The sites table
// is exported like every table (CSV here, XLSX from the server, through crates/report),
// its source line stating model, parameters, optimum, bound, gap and distance kind.

import type maplibregl from 'maplibre-gl';
import * as Plot from '@observablehq/plot';
import { api, type SitingAnswer, type SitingRequest } from '../api';
import { download, type ExportTable } from '../export';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import { setParams } from '../router';
import { exportMenu, headRow, scrollTable, wireExports } from '../tables';
import { byId, type Context, type View } from './view';

const SOURCE = 'siting-sites';
const DEMAND = 'siting-demand';
const SITES = 'siting-sites-layer';
const POINTS = 'siting-demand-layer';
/** A veil over the indicator map, under the sites, so that the sites read. */
const VEIL = 'siting-veil';
/** Largest p of the coverage curve. */
const CURVE_MAX = 30;

let table: ExportTable | null = null;
/** The latest request: an answer that comes after a newer one is dropped. */
let asked = 0;

function hide(map: maplibregl.Map) {
  for (const id of [VEIL, SITES, POINTS]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
}

const select = (id: string, options: Record<string, string>, value: string) =>
  `<select id="${id}">${Object.entries(options)
    .map(([k, v]) => `<option value="${esc(k)}"${k === value ? ' selected' : ''}>${esc(v)}</option>`)
    .join('')}</select>`;

function request(ctx: Context, p?: number): SitingRequest {
  const v = (id: string) => byId<HTMLInputElement>(ctx, id).value.trim();
  const distance = Number(v('s-distance'));
  const capacity = Number(v('s-capacity'));
  return {
    within: v('s-within').split(',').map((s) => s.trim()).filter(Boolean),
    model: v('s-model'),
    p: p ?? Number(v('s-p')),
    distance_km: Number.isFinite(distance) && distance > 0 ? distance : null,
    demand: v('s-demand'),
    candidates: v('s-candidates'),
    existing: byId<HTMLInputElement>(ctx, 's-existing').checked,
    detour: Number(v('s-detour')) || null,
    capacity: v('s-capacity') !== '' && Number.isFinite(capacity) && capacity > 0 ? capacity : null,
    network: v('s-network') || null,
    service_minutes: Number(v('s-minutes')) > 0 ? Number(v('s-minutes')) : null,
  };
}

/** The sites as a map layer file from the server (the model, optimum, bound and gap on every row). */
async function exportSites(ctx: Context, format: 'geojson' | 'gpkg') {
  const status = byId(ctx, 'siting-files-status');
  status.hidden = true;
  try {
    const { blob, filename } = await api.siting.exportSites(format, request(ctx));
    download(filename ?? `tiers-lieux.${format}`, blob);
  } catch (e) {
    status.textContent = t.error((e as Error).message);
    status.hidden = false;
  }
}

/** « modèle, p = 10, optimum …, borne …, écart … %, distances … » — the line every export carries. */
function sourceLine(a: SitingAnswer): string {
  const s = a.study;
  const parts = [
    a.model,
    `p = ${a.p}`,
    `${t.siting.demandLabel} : ${a.demand_label}`,
    `${t.siting.candidatesLabel} : ${a.candidates_label}`,
    `${t.siting.objective} ${fmt(s.objective, 0)}`,
    `${t.siting.bound} ${fmt(s.bound, 0)}`,
    `${t.siting.gap} ${fmt(100 * s.gap, 4)} %${s.proven ? ` (${t.siting.proven})` : ''}`,
    `${t.siting.distances} : ${s.distance_kind}`,
  ];
  if (s.capacity != null) parts.push(`${t.siting.capacity} : ${fmt(s.capacity, 0)}`);
  if (a.source) parts.push(a.source);
  return parts.join(' — ');
}

function summary(a: SitingAnswer): string {
  const s = a.study;
  const share = (c: number) => `${fmt(c, 0)} (${fmt((100 * c) / Math.max(s.demand, 1e-12), 1)} %)`;
  const rows = [
    [t.siting.model, a.model],
    [t.siting.demandLabel, `${a.demand_label} — ${fmt(s.demand, 0)}`],
    [t.siting.candidatesLabel, `${a.candidates_label} (${a.candidates})`],
    [t.siting.distances, s.distance_kind],
    ...(s.capacity != null ? [[t.siting.capacity, fmt(s.capacity, 0)]] : []),
    [t.siting.objective, fmt(s.objective, 0)],
    [t.siting.bound, fmt(s.bound, 0)],
    [t.siting.gap, `${fmt(100 * s.gap, 4)} % — ${s.proven ? t.siting.proven : t.siting.limit}`],
  ];
  if (s.covered != null) rows.push([t.siting.covered, share(s.covered)]);
  if (s.existing_alone) {
    const e = s.existing_alone;
    rows.push([t.siting.existingAlone, e.covered != null ? share(e.covered) : fmt(e.objective, 0)]);
    rows.push([t.siting.existingPlusNew, s.covered != null ? share(s.covered) : fmt(s.objective, 0)]);
  }
  const mism = a.mismatches.length
    ? `<details id="siting-mismatches"><summary>${esc(t.siting.mismatches(a.mismatches.length))}</summary><ul>${a.mismatches
        .map((m) => `<li>${esc(m.id)} ${esc(m.name ?? '')} : ${esc(m.reason)}</li>`)
        .join('')}</ul></details>`
    : '';
  return `<table id="siting-summary" class="values"><tbody>${rows
    .map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`)
    .join('')}</tbody></table>${a.synthetic ? `<p class="synthetic">${esc(t.siting.synthetic)}</p>` : ''}${mism}`;
}

function sitesTable(a: SitingAnswer): string {
  const head = headRow([{ text: t.siting.site }, { text: t.siting.commune }, { text: t.siting.existing }, { text: t.siting.served, cls: 'num' }]);
  const body = a.study.sites
    .map(
      (s) => `<tr${s.existing ? ' class="existing"' : ''}><th scope="row">${esc(s.place.name ?? s.place.id)}</th><td>${esc(s.place.commune ?? '')}</td>
        <td>${s.existing ? esc(t.export.yes) : esc(t.export.no)}</td><td class="num">${fmt(s.served, 0)}</td></tr>`,
    )
    .join('');
  return scrollTable('siting-sites', t.siting.sitesCaption, head, body);
}

function drawMap(ctx: Context, a: SitingAnswer) {
  const map = ctx.map.map;
  const max = Math.max(1, ...a.study.sites.map((s) => s.served));
  const sites: GeoJSON.FeatureCollection = {
    type: 'FeatureCollection',
    features: a.study.sites.map((s) => ({
      type: 'Feature',
      properties: { name: s.place.name ?? s.place.id, served: s.served, r: 5 + 20 * Math.sqrt(s.served / max), existing: s.existing },
      geometry: { type: 'Point', coordinates: [s.place.lon, s.place.lat] },
    })),
  };
  const demand: GeoJSON.FeatureCollection = {
    type: 'FeatureCollection',
    features: a.demand_points.map((d) => ({ type: 'Feature', properties: { w: d.weight }, geometry: { type: 'Point', coordinates: [d.lon, d.lat] } })),
  };
  const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
  if (src) {
    src.setData(sites);
    (map.getSource(DEMAND) as maplibregl.GeoJSONSource).setData(demand);
  } else {
    map.addSource(SOURCE, { type: 'geojson', data: sites });
    map.addSource(DEMAND, { type: 'geojson', data: demand });
    map.addLayer({ id: VEIL, type: 'background', paint: { 'background-color': '#ffffff', 'background-opacity': 0.85 } });
    map.addLayer({ id: POINTS, type: 'circle', source: DEMAND, paint: { 'circle-radius': 2, 'circle-color': '#888888', 'circle-opacity': 0.6 } });
    map.addLayer({
      id: SITES,
      type: 'circle',
      source: SOURCE,
      paint: {
        'circle-radius': ['get', 'r'],
        'circle-color': ['case', ['==', ['get', 'existing'], true], '#1b7837', '#c51b7d'],
        'circle-opacity': 0.7,
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 1,
      },
    });
  }
  for (const id of [VEIL, POINTS, SITES]) {
    map.moveLayer(id);
    map.setLayoutProperty(id, 'visibility', 'visible');
  }
}

async function solve(ctx: Context) {
  const status = byId(ctx, 'siting-status');
  const out = byId(ctx, 'siting-result');
  const q = request(ctx);
  setParams({ territoire: q.within.join(','), modele: q.model, p: q.p, distance: q.distance_km ?? '', demande: q.demand, candidats: q.candidates, existants: q.existing ? '1' : '0' });
  const seq = ++asked;
  status.textContent = t.siting.solving;
  status.classList.remove('error');
  document.body.dataset.siting = 'loading';
  try {
    const a = await api.siting.study(q);
    if (seq !== asked || !ctx.live()) return;
    status.textContent = '';
    out.innerHTML = summary(a) + sitesTable(a);
    const source = sourceLine(a);
    byId(ctx, 'siting-source').textContent = t.export.sourceLine(source);
    table = {
      name: `tiers-lieux-${q.within.join('-').replace(/:/g, '-')}-p${q.p}`,
      title: t.siting.sitesCaption,
      source,
      header: [t.siting.site, 'Id', t.siting.commune, 'Longitude', 'Latitude', t.siting.existing, t.siting.served],
      rows: a.study.sites.map((s) => [s.place.name ?? s.place.id, s.place.id, s.place.commune ?? null, s.place.lon, s.place.lat, s.existing ? t.export.yes : t.export.no, s.served]),
    };
    ctx.alternative('siting-sites', t.siting.describe);
    drawMap(ctx, a);
    void ctx.map.fitTerritory(q.within[0]);
    document.body.dataset.siting = 'ready';
  } catch (e) {
    if (seq !== asked || !ctx.live()) return;
    status.textContent = t.error((e as Error).message);
    status.classList.add('error');
    status.setAttribute('role', 'alert');
    document.body.dataset.siting = 'error';
  }
}

/** The coverage curve: one optimum per p, asked one after the other (progress shown). */
async function curve(ctx: Context) {
  const box = byId(ctx, 'siting-curve');
  const progress = byId<HTMLProgressElement>(ctx, 'siting-curve-progress');
  const base = request(ctx);
  const first = base.existing ? 1 : 1;
  const points: { p: number; value: number; proven: boolean }[] = [];
  progress.hidden = false;
  progress.max = CURVE_MAX;
  document.body.dataset.curve = 'loading';
  for (let p = first; p <= CURVE_MAX; p++) {
    progress.value = p - 1;
    byId(ctx, 'siting-curve-status').textContent = t.siting.curveProgress(p, CURVE_MAX);
    try {
      const a = await api.siting.study({ ...base, p });
      if (!ctx.live()) return;
      const s = a.study;
      points.push({ p, value: s.covered != null ? (100 * s.covered) / Math.max(s.demand, 1e-12) : s.objective, proven: s.proven });
    } catch {
      // p below the existing sites, or above the candidates: no point there.
      continue;
    }
  }
  progress.value = CURVE_MAX;
  byId(ctx, 'siting-curve-status').textContent = t.siting.curveDone(points.length);
  const covering = base.model === 'mclp';
  box.replaceChildren(
    Plot.plot({
      width: Math.min(480, ctx.el.clientWidth || 480),
      height: 220,
      x: { label: 'p' },
      y: { label: covering ? t.siting.curveCovered : t.siting.objective, grid: true },
      marks: [Plot.line(points, { x: 'p', y: 'value' }), Plot.dot(points, { x: 'p', y: 'value', fill: (d: { proven: boolean }) => (d.proven ? 'black' : 'orange') })],
    }),
  );
  box.dataset.points = String(points.length);
  document.body.dataset.curve = 'ready';
}

export const sitingView: View = {
  name: 'tiers-lieux',
  legend: false,
  async render(ctx) {
    const s = t.siting;
    const r = ctx.route.params;
    ctx.map.events = {};
    ctx.el.innerHTML = `<h2>${esc(s.title)}</h2><p>${esc(s.intro)}</p>
      <form id="siting-form" class="stack">
        <label class="block">${esc(s.within)} <input id="s-within" value="${esc(r.get('territoire') || 'per:mel')}" required></label>
        <label class="block">${esc(s.model)} ${select('s-model', s.models, r.get('modele') || 'mclp')}</label>
        <label class="block">${esc(s.p)} <input id="s-p" type="number" min="1" max="200" value="${esc(r.get('p') || '5')}" required></label>
        <label class="block">${esc(s.distance)} <input id="s-distance" type="number" min="0" step="0.1" value="${esc(r.get('distance') || '10')}"></label>
        <label class="block">${esc(s.demandLabel)} ${select('s-demand', s.demands, r.get('demande') || 'population')}</label>
        <label class="block">${esc(s.candidatesLabel)} ${select('s-candidates', s.candidateKinds, r.get('candidats') || 'communes')}</label>
        <label class="block"><input id="s-existing" type="checkbox"${r.get('existants') === '1' ? ' checked' : ''}> ${esc(s.existingOpen)}</label>
        <label class="block">${esc(s.detour)} <input id="s-detour" type="number" min="1" step="0.05" value="1.3"></label>
        <label class="block">${esc(s.network)} <input id="s-network" value="${esc(r.get('reseau') || '')}" placeholder="${esc(s.straightLine)}"></label>
        <label class="block">${esc(s.serviceMinutes)} <input id="s-minutes" type="number" min="0" step="1" value="15"></label>
        <label class="block">${esc(s.capacity)} <input id="s-capacity" type="number" min="0" step="any" placeholder="${esc(s.unlimited)}"></label>
        <button id="s-submit">${esc(s.submit)}</button>
        <button type="button" id="s-curve">${esc(s.curve)}</button>
      </form>
      <p id="siting-status" aria-live="polite"></p>
      <p id="siting-source" class="source"></p>
      ${exportMenu()}
      <div class="exports" role="group" aria-labelledby="siting-files-label"><span id="siting-files-label">${esc(s.sitesFiles)}</span>
        <button type="button" id="export-sites-geojson">GeoJSON</button>
        <button type="button" id="export-sites-gpkg">GeoPackage</button>
        <span id="siting-files-status" class="error" role="status" hidden></span></div>
      <div id="siting-result"></div>
      <section><h3>${esc(s.curveTitle)}</h3><progress id="siting-curve-progress" hidden></progress>
        <p id="siting-curve-status" aria-live="polite"></p><div id="siting-curve"></div></section>`;
    wireExports(ctx.el, () => table);
    byId(ctx, 'siting-form').onsubmit = (e) => {
      e.preventDefault();
      void solve(ctx);
    };
    byId(ctx, 's-curve').onclick = () => void curve(ctx);
    byId(ctx, 'export-sites-geojson').onclick = () => void exportSites(ctx, 'geojson');
    byId(ctx, 'export-sites-gpkg').onclick = () => void exportSites(ctx, 'gpkg');
    await solve(ctx);
  },
  leave(ctx) {
    hide(ctx.map.map);
  },
};
