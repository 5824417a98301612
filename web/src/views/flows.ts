// « Mobilités » (#/mobilites): home–work flows between territories drawn as lines whose
// width follows the number of workers (flows under a threshold left out), in/out totals
// of a territory on hover and click, its balance (self-containment, dependence, main
// destinations and origins, charted) and commuting distances, the flow table with
// statistical secrecy (a secret cell is shown "s", never 0) and its exports, and the MEL
// inflows question of METHODS.md §1. Every figure names its dataset, vintage, unit, and
// says SYNTHÉTIQUE when the flows were generated. The address holds the layer, the
// thresholds and the territory.

import type maplibregl from 'maplibre-gl';
import { api } from '../api';
import type { FlowLines, IncomesProvenance, Partner, Provenance, TerritoryTotals } from '../api/types';
import { partnersChart } from '../charts';
import { colors, flowsConfig as cfg, TABLE_ROWS } from '../config';
import type { ExportTable } from '../export';
import { esc, fmt, pct } from '../format';
import { t } from '../i18n';
import { setParams } from '../router';
import { exportMenu, headRow, scrollTable, wireExports } from '../tables';
import { byId, type Context, type View } from './view';

const SOURCE = 'flows';
const LINE_LAYER = 'flow-lines';
const POINT_LAYER = 'flow-points';
/** A pale veil over the choropleth, under the lines, so that they read. */
const VIEW_LAYERS = ['flow-veil', LINE_LAYER, POINT_LAYER];

const view = { ...cfg.defaults, selected: '' };
let current: FlowLines | null = null;
let table: ExportTable | null = null;
let wired = false;

/** "Source : INSEE — title, millésime 2021 (jeu x) — unité : … — SYNTHÉTIQUE". */
function sourceText(p: Provenance, unit: string): string {
  return `${p.source} — ${p.title}, ${t.flows.vintage} ${p.vintage} (${t.flows.dataset} ${p.dataset}) — ${t.flows.unit} : ${unit}`;
}

function sourceLine(p: Provenance, unit: string): string {
  return `${esc(t.export.sourceLine(sourceText(p, unit)))}${p.synthetic ? ` — <strong class="synthetic">${esc(t.flows.synthetic)}</strong>` : ''}`;
}

/** A count, or "s" when secret. */
function count(v: number | null, secret = v === null): string {
  return secret ? t.flows.secret : fmt(v, 0);
}

function hide(map: maplibregl.Map) {
  for (const id of VIEW_LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
}

function drawLines(ctx: Context, data: FlowLines) {
  const map = ctx.map.map;
  const max = Math.max(1, ...data.lines.map((l) => l.workers));
  const lo = Math.max(data.min, 1);
  const fc: GeoJSON.FeatureCollection = {
    type: 'FeatureCollection',
    features: data.lines.map((l, i) => ({
      type: 'Feature',
      id: i,
      properties: { workers: l.workers, origin: l.origin, dest: l.dest, origin_name: l.origin_name, dest_name: l.dest_name },
      geometry: { type: 'LineString', coordinates: [l.from, l.to] },
    })),
  };
  const points: GeoJSON.FeatureCollection = {
    type: 'FeatureCollection',
    features: data.territories
      .filter((x) => x.position)
      .map((x, i) => ({ type: 'Feature', id: i, properties: { key: x.key, name: x.name }, geometry: { type: 'Point', coordinates: x.position! } })),
  };
  const width: maplibregl.ExpressionSpecification = max > lo ? ['interpolate', ['linear'], ['get', 'workers'], lo, 1, max, 14] : ['literal', 3];
  const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
  if (src) {
    src.setData(fc);
    (map.getSource(`${SOURCE}-points`) as maplibregl.GeoJSONSource).setData(points);
    map.setPaintProperty(LINE_LAYER, 'line-width', width);
  } else {
    map.addSource(SOURCE, { type: 'geojson', data: fc });
    map.addSource(`${SOURCE}-points`, { type: 'geojson', data: points });
    map.addLayer({ id: VIEW_LAYERS[0], type: 'background', paint: { 'background-color': '#ffffff', 'background-opacity': 0.65 } });
    map.addLayer({
      id: LINE_LAYER,
      type: 'line',
      source: SOURCE,
      layout: { 'line-cap': 'round' },
      paint: { 'line-color': colors.flowLine, 'line-opacity': 0.75, 'line-width': width },
    });
    map.addLayer({
      id: POINT_LAYER,
      type: 'circle',
      source: `${SOURCE}-points`,
      paint: { 'circle-radius': 5, 'circle-color': colors.point, 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 },
    });
  }
  if (!wired) wireMap(ctx);
  if (!ctx.live()) return;
  for (const id of VIEW_LAYERS) {
    // Above whatever layer was added since (the choropleth of another échelon).
    map.moveLayer(id);
    map.setLayoutProperty(id, 'visibility', 'visible');
  }
}

function totalsHtml(x: TerritoryTotals): string {
  const f = t.flows;
  return `<strong>${esc(x.name)}</strong> (${esc(x.key)})<br>
    ${esc(f.outgoing)} : ${count(x.outgoing)} · ${esc(f.incoming)} : ${count(x.incoming)} · ${esc(f.inside)} : ${count(x.working_inside)}`;
}

/** Hover on a territory's point: its totals; on a line: its two ends and workers; a click: the territory's balance. */
function wireMap(ctx: Context) {
  wired = true;
  const main = ctx.map;
  const map = main.map;
  const visible = () => map.getLayer(POINT_LAYER) && map.getLayoutProperty(POINT_LAYER, 'visibility') === 'visible';
  map.on('mousemove', POINT_LAYER, (e) => {
    const key = e.features?.[0]?.properties?.key;
    const x = current?.territories.find((y) => y.key === key);
    if (!x || !visible()) return;
    main.showHover(totalsHtml(x), e.point, true);
    (document.getElementById('hover') as HTMLElement).dataset.key = x.key;
  });
  map.on('mousemove', LINE_LAYER, (e) => {
    const p = e.features?.[0]?.properties;
    // A territory's point under the cursor wins over the lines that end there.
    if (!p || !visible() || map.queryRenderedFeatures(e.point, { layers: [POINT_LAYER] }).length) return;
    main.showHover(`${p.origin_name} → ${p.dest_name} : ${fmt(p.workers, 0)} ${t.flows.workers}`, e.point);
  });
  for (const id of [POINT_LAYER, LINE_LAYER]) map.on('mouseleave', id, () => main.hideHover());
  map.on('click', POINT_LAYER, (e) => {
    const key = e.features?.[0]?.properties?.key;
    if (key && visible()) void selectTerritory(ctx, key, true);
  });
}

async function loadLines(ctx: Context) {
  const status = byId(ctx, 'flows-count');
  try {
    const data = await api.flows.lines(view.layer, cfg.within, view.min, view.secret);
    if (!ctx.live()) return;
    current = data;
    drawLines(ctx, data);
    const hid = data.hidden;
    status.textContent = t.flows.shown(data.lines.length, hid.below_min, hid.secret, hid.without_position + hid.over_limit);
    status.dataset.lines = String(data.lines.length);
    byId(ctx, 'flows-source').innerHTML = sourceLine(data.provenance, data.unit);
    const sel = byId<HTMLSelectElement>(ctx, 'flows-territory-select');
    sel.innerHTML = `<option value="">—</option>${[...data.territories]
      .sort((a, b) => a.name.localeCompare(b.name, 'fr'))
      .map((x) => `<option value="${esc(x.key)}">${esc(x.name)}</option>`)
      .join('')}`;
    if (view.selected) sel.value = view.selected;
    document.body.dataset.flows = 'ready';
  } catch (e) {
    status.textContent = t.error((e as Error).message);
    status.classList.add('error');
  }
}

async function loadTable(ctx: Context) {
  const out = byId(ctx, 'flows-table-box');
  try {
    const m = await api.flows.matrix(view.layer, cfg.within, view.secret);
    if (!ctx.live()) return;
    const c = t.flows.columns;
    const cells = m.cells
      .filter((x) => x.origin !== x.dest)
      .sort((a, b) => (b.workers ?? -1) - (a.workers ?? -1) || a.origin - b.origin || a.dest - b.dest);
    const name = (i: number) => m.zones[i].name;
    const yesNo = (b: boolean) => (b ? t.export.yes : t.export.no);
    table = {
      name: `flux-${view.layer}-${cfg.within.replace(':', '-')}`,
      title: `${t.flows.tableTitle} — ${t.map.layers[view.layer]}`,
      source: `${sourceText(m.provenance, m.unit)}${m.provenance.synthetic ? ` — ${t.flows.synthetic}` : ''}`,
      header: [c.originKey, c.origin, c.destKey, c.dest, `${c.workers} (${m.unit})`, c.secret, c.fragile, c.synthetic],
      rows: cells.map((x) => [
        x.origin_key,
        name(x.origin),
        x.dest_key,
        name(x.dest),
        x.secret ? t.flows.secret : x.workers,
        yesNo(x.secret),
        yesNo(x.fragile),
        yesNo(m.provenance.synthetic),
      ]),
    };
    const rows = cells
      .slice(0, TABLE_ROWS)
      .map(
        (x) =>
          `<tr${x.secret ? ' class="secret"' : ''}><td>${esc(name(x.origin))}</td><td>${esc(name(x.dest))}</td><td class="num">${count(x.workers, x.secret)}${x.fragile && !x.secret ? ' *' : ''}</td></tr>`,
      )
      .join('');
    out.innerHTML = `<h3>${esc(t.flows.tableTitle)}</h3>
      <p class="hint">${esc(t.flows.secrecyNote(m.secrecy.threshold, m.secret_cells))}</p>
      ${scrollTable('flows-table', `${t.flows.tableTitle} — ${t.map.layers[view.layer]}`, headRow([{ text: c.origin }, { text: c.dest }, { text: c.workers, cls: 'num' }]), rows)}
      <p class="hint">${esc(t.flows.tableNote(Math.min(TABLE_ROWS, cells.length), cells.length))}</p>
      <p class="source">${sourceLine(m.provenance, m.unit)}</p>`;
    out.dataset.secret = String(m.secrecy.threshold);
  } catch (e) {
    out.innerHTML = `<p class="error" role="alert">${esc(t.error((e as Error).message))}</p>`;
  }
}

async function loadMel(ctx: Context) {
  const box = byId(ctx, 'flows-mel');
  try {
    const x = await api.flows.into(cfg.target, cfg.from, view.secret);
    if (!ctx.live()) return;
    const f = t.flows;
    box.innerHTML = `<p id="flows-mel-sentence"><strong>${esc(
      x.share === null ? f.melSecret(x.target_name, x.from_name) : f.melSentence(fmt(x.share, 1), x.target_name, x.from_name),
    )}</strong></p>
      <p id="flows-mel-counts">${esc(f.melCounts(count(x.from_commuters), count(x.commuters_in), x.from_name, x.target_name))}</p>
      <p class="source">${sourceLine(x.provenance, x.unit)}</p>`;
    box.dataset.share = x.share === null ? '' : String(x.share);
  } catch (e) {
    box.innerHTML = `<p class="error" role="alert">${esc(t.error((e as Error).message))}</p>`;
  }
}

/** A table of label / value rows (row headers), named by its caption. */
function figures(id: string, caption: string, rows: [string, string][]): string {
  return `<table class="values" id="${id}"><caption>${esc(caption)}</caption><tbody>${rows
    .map(([label, value]) => `<tr><th scope="row">${esc(label)}</th><td class="num">${value}</td></tr>`)
    .join('')}</tbody></table>`;
}

function partners(title: string, list: Partner[], layer: string): string {
  const c = t.flows.partnerColumns;
  const caption = `${title} (${t.map.layers[layer] ?? layer})`;
  return `<table class="values partners"><caption>${esc(caption)}</caption><thead>${headRow([
    { text: c.name },
    { text: c.workers, cls: 'num' },
    { text: c.share, cls: 'num' },
  ])}</thead><tbody>${list
    .map((p) => `<tr><th scope="row">${esc(p.name)}</th><td class="num">${count(p.workers, p.secret)}</td><td class="num">${pct(p.share)}</td></tr>`)
    .join('')}</tbody></table>`;
}

const incomesLine = (i: IncomesProvenance) =>
  `${esc(t.flows.incomes)} : ${esc(i.source)}, ${t.flows.vintage} ${esc(i.vintage)} (${t.flows.dataset} ${esc(i.dataset)})${
    i.synthetic ? ` — <strong class="synthetic">${esc(t.flows.synthetic)}</strong>` : ''
  }`;

async function selectTerritory(ctx: Context, key: string, push: boolean) {
  view.selected = key;
  if (push) setParams({ territoire: key });
  const sel = byId(ctx, 'flows-territory-select') as HTMLSelectElement | null;
  if (sel) sel.value = key;
  const out = byId(ctx, 'flows-territory');
  if (!key) {
    out.innerHTML = '';
    return;
  }
  out.innerHTML = `<p>${esc(t.map.loading)}</p>`;
  const f = t.flows;
  const u = t.flows.units;
  try {
    const [s, d, tw, vu] = await Promise.all([
      api.flows.summary(key, view.layer, cfg.partners, view.secret),
      api.flows.distances(key).catch(() => null),
      api.flows.telework(key, cfg.telework.days, cfg.telework.takeUp).catch(() => null),
      api.flows.vulnerability(key).catch((e: Error) => e),
    ]);
    if (!ctx.live() || view.selected !== key) return;
    let dist = '';
    if (d) {
      dist = `<h4>${esc(f.distances)}</h4>${figures('flows-distances', f.distances, [
        [f.meanKm, `${fmt(d.mean_km, 1)} ${u.km}`],
        [f.kmPerDay, `${fmt(d.km_per_day, 0)} ${u.kmPerDay}`],
        [f.co2, `${fmt(d.co2_t_per_year, 0)} ${u.co2PerYear}`],
        [f.withoutDistance, fmt(d.workers_without_distance, 0)],
      ])}<p class="hint">${esc(f.method)} : ${esc(d.method)} ; ${esc(f.occupancy)} ${fmt(d.params.occupancy, 1)}, ${esc(f.railShare)} ${fmt(d.params.rail_share * 100, 0)} %.</p>`;
    }
    let tele = '';
    if (tw) {
      const title = f.teleworkTitle(tw.params.days, tw.params.take_up * 100);
      const rows: [string, string][] = [
        [f.teleworkers, `${fmt(tw.teleworkers, 0)} / ${fmt(tw.commuters, 0)}`],
        [f.kmAvoided, `${fmt(tw.km_avoided_per_year, 0)} ${u.kmPerYear}`],
        [f.co2Avoided, `${fmt(tw.co2_avoided_t_per_year, 0)} ${u.co2PerYear}`],
        [f.moneySaved, `${fmt(tw.money_saved_eur_per_year, 0)} ${u.eurPerYear}`],
      ];
      if (tw.vulnerable_pct_before !== null) rows.push([f.vulnerableBeforeAfter, `${fmt(tw.vulnerable_pct_before, 1)} % → ${fmt(tw.vulnerable_pct_after, 1)} %`]);
      tele = `<h4>${esc(title)}</h4>${figures('flows-telework', title, rows)}<p class="hint">${esc(f.method)} : ${esc(tw.method)}</p>`;
    }
    let vuln = '';
    if (vu instanceof Error) vuln = `<h4>${esc(f.vulnerabilityTitle)}</h4><p class="hint" id="flows-vulnerability-missing">${esc(vu.message)}</p>`;
    else if (vu) {
      vuln = `<h4>${esc(f.vulnerabilityTitle)}</h4>${figures('flows-vulnerability', f.vulnerabilityTitle, [
        [f.households, fmt(vu.households, 0)],
        [f.carCommuters, fmt(vu.car_commuters, 0)],
        [f.spending, `${fmt(vu.spending_per_household, 0)} ${u.eurPerYear}`],
        [f.effort, pct(vu.effort_pct)],
        [f.vulnerable(vu.params.threshold * 100), pct(vu.vulnerable_pct)],
        [f.precarious, pct(vu.precarious_pct)],
      ])}<p class="hint">${esc(f.method)} : ${esc(vu.method)} ; ${esc(f.fuel(vu.params.consumption, vu.params.price))}</p>
        <p class="source">${incomesLine(vu.incomes)}</p>`;
    }
    out.innerHTML = `<h3 id="flows-territory-name">${esc(s.name)} (${esc(s.territory)})</h3>
      ${figures('flows-summary', f.summaryCaption, [
        [f.residents, count(s.residents_in_work)],
        [f.inside, count(s.working_inside)],
        [f.outgoing, count(s.outgoing)],
        [f.incoming, count(s.incoming)],
        [f.net, fmt(s.net_balance, 0)],
        [f.selfContainment, pct(s.self_containment)],
        [f.dependence, pct(s.dependence)],
        [f.jobSelf, pct(s.job_self_sufficiency)],
      ])}
      <div id="flows-partners-chart-box"></div>
      ${partners(f.destinations, s.top_destinations, s.partner_layer)}${partners(f.origins, s.top_origins, s.partner_layer)}${dist}${tele}${vuln}
      <p class="source">${sourceLine(s.provenance, s.unit)}</p>`;
    const chartBox = byId(ctx, 'flows-partners-chart-box');
    const chart = partnersChart(s.top_destinations, s.top_origins, Math.max(280, Math.min(520, chartBox.clientWidth - 8)));
    if (chart) chartBox.append(chart);
  } catch (e) {
    out.innerHTML = `<p class="error" role="alert">${esc(t.error((e as Error).message))}</p>`;
  }
}

/** The settings named in the address, checked (an unknown layer or a negative threshold is ignored). */
function fromAddress(params: URLSearchParams) {
  const layer = params.get('echelon');
  if (layer && cfg.layers.includes(layer) && layer !== view.layer) {
    view.layer = layer;
    view.selected = '';
  }
  for (const [param, key] of [['min', 'min'], ['secret', 'secret']] as const) {
    const v = Number(params.get(param) ?? NaN);
    if (Number.isFinite(v) && v >= 0) view[key] = v;
  }
  const territory = params.get('territoire');
  if (territory !== null) view.selected = territory;
}

const toAddress = () => ({ echelon: view.layer, min: view.min, secret: view.secret, territoire: view.selected });

export const flowsView: View = {
  name: 'mobilites',
  legend: false,
  async render(ctx) {
    fromAddress(ctx.route.params);
    setParams(toAddress(), true);
    ctx.map.events = {};
    const f = t.flows;
    document.body.dataset.flows = 'loading';
    ctx.el.innerHTML = `<h2>${esc(f.title)}</h2>
      <p id="flows-source" class="source"></p>
      <section id="flows-mel" class="box"><p>${esc(t.map.loading)}</p></section>
      <div class="row">
        <label>${esc(t.map.layer)} <select id="flows-layer">${cfg.layers
          .map((l) => `<option value="${l}"${l === view.layer ? ' selected' : ''}>${esc(t.map.layers[l])}</option>`)
          .join('')}</select></label>
        <label>${esc(f.min)} <input id="flows-min" type="number" min="0" step="10" value="${view.min}"></label>
      </div>
      <input id="flows-min-range" type="range" min="0" max="5000" step="10" value="${view.min}" aria-label="${esc(f.minRange)}">
      <label class="block">${esc(f.secretBelow)} <input id="flows-secret" type="number" min="0" step="1" value="${view.secret}"></label>
      <p id="flows-count" aria-live="polite"></p>
      <p class="hint">${esc(f.hint)}</p>
      <label class="block">${esc(f.territory)} <select id="flows-territory-select"></select></label>
      <section id="flows-territory"></section>
      ${exportMenu()}
      <section id="flows-table-box"></section>`;
    wireExports(ctx.el, () => table);
    ctx.alternative('flows-table', f.describe(t.map.layers[view.layer]));
    const input = (id: string) => byId<HTMLInputElement>(ctx, id);
    const setMin = (v: number) => {
      if (!Number.isFinite(v) || v < 0) return;
      view.min = v;
      input('flows-min').value = String(v);
      input('flows-min-range').value = String(v);
      setParams({ min: v });
      void loadLines(ctx);
    };
    input('flows-min').onchange = () => setMin(Number(input('flows-min').value));
    input('flows-min-range').onchange = () => setMin(Number(input('flows-min-range').value));
    input('flows-secret').onchange = () => {
      const v = Number(input('flows-secret').value);
      if (!Number.isFinite(v) || v < 0) return;
      view.secret = v;
      setParams({ secret: v });
      void Promise.all([loadMel(ctx), loadLines(ctx), loadTable(ctx), view.selected ? selectTerritory(ctx, view.selected, false) : null]);
    };
    byId<HTMLSelectElement>(ctx, 'flows-layer').onchange = (e) => {
      view.layer = (e.target as HTMLSelectElement).value;
      view.selected = '';
      setParams({ echelon: view.layer, territoire: null });
      byId(ctx, 'flows-territory').innerHTML = '';
      ctx.alternative('flows-table', f.describe(t.map.layers[view.layer]));
      void Promise.all([loadLines(ctx), loadTable(ctx)]);
    };
    byId<HTMLSelectElement>(ctx, 'flows-territory-select').onchange = (e) => void selectTerritory(ctx, (e.target as HTMLSelectElement).value, true);
    await Promise.all([loadMel(ctx), loadLines(ctx), loadTable(ctx)]);
    if (view.selected && ctx.live()) await selectTerritory(ctx, view.selected, false);
  },
  leave(ctx) {
    hide(ctx.map.map);
    ctx.map.hideHover();
  },
};
