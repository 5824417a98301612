// Large retail (#/commerce?territoire=per:mel&date=2026-01-01&depuis=2016-01-01): the
// inventory of shops over 300 m² of a territory at a date (bands, categories, density
// against its references and, for a perimeter, its outside), its change since another
// date, its projects, and a map of the shops as circles proportional to their sales
// area, coloured by category. Every figure is the server's (echelle-retail), as the CLI
// prints it, with its source and date, and SYNTHÉTIQUE when the inventory was generated.

import type maplibregl from 'maplibre-gl';
import { api, query, type RetailChange, type RetailInventory, type RetailProjects, type RetailShops } from '../api';
import type { ExportTable } from '../export';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import { setParams } from '../router';
import { exportMenu, headRow, scrollTable, wireExports } from '../tables';
import { byId, type Context, type View } from './view';

const SOURCE = 'retail-shops';
const CIRCLES = 'retail-circles';
/** A veil over the indicator map, so that the circles read. */
const VEIL = 'retail-veil';
const COLOURS: Record<string, string> = {
  food: '#1b9e77',
  household: '#d95f02',
  personal: '#7570b3',
  culture_leisure: '#e7298a',
  diy_garden: '#66a61e',
  other_non_food: '#a6761d',
};

let table: ExportTable | null = null;

function hide(map: maplibregl.Map) {
  for (const id of [VEIL, CIRCLES]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
  document.getElementById('retail-legend')?.remove();
}

/** The source line of an answer: who, what, vintage, and SYNTHÉTIQUE when generated. */
function sourceLine(p: { source: string; title: string; vintage: string; synthetic: boolean } | null | undefined, date: string): string {
  if (!p) return '';
  return `${t.export.sourceLine(`${p.source} — ${p.title} (${p.vintage}), état au ${date}`)}${p.synthetic ? ' — SYNTHÉTIQUE' : ''}`;
}

function sourceHtml(p: { source: string; title: string; vintage: string; synthetic: boolean } | null | undefined, date: string): string {
  if (!p) return '';
  return `<p class="source">${esc(t.export.sourceLine(`${p.source} — ${p.title} (${p.vintage}), état au ${date}`))}${
    p.synthetic ? ` <strong class="synthetic">${esc(t.retail.synthetic)}</strong>` : ''
  }</p>`;
}

function referencesTable(i: RetailInventory): string {
  const r = t.retail;
  const rows = [{ territory: i.territory, name: i.name, population: i.population, shops: i.shops, area: i.area, density: i.density, partial: i.partial }, ...i.references]
    .map(
      (x) => `<tr data-key="${esc(x.territory)}"${x.partial ? ' class="partial"' : ''}><th scope="row">${esc(x.name)} <small>${esc(x.territory)}</small>${x.partial ? ` <em>${esc(r.partial)}</em>` : ''}</th>
        <td class="num">${fmt(x.population, 0)}</td><td class="num">${fmt(x.shops, 0)}</td><td class="num">${fmt(x.area, 0)}</td><td class="num">${fmt(x.density ?? null, 2)}</td></tr>`,
    )
    .join('');
  return scrollTable('retail-references', r.referencesCaption, headRow([r.name, r.population, r.shops, r.area, r.density].map((text) => ({ text }))), rows);
}

function figuresTable(i: RetailInventory): string {
  const r = t.retail;
  const prefix: Record<string, string> = { family: 'Famille : ', category: '', band: 'Tranche : ', tascom: '', excluded: 'Non compté — ' };
  const line = (cls: string, f: { key: string; label: string; shops: number; area: number }) =>
    `<tr class="${cls}" data-key="${esc(f.key)}"><th scope="row">${esc(prefix[cls] + f.label)}</th><td class="num">${fmt(f.shops, 0)}</td><td class="num">${fmt(f.area, 0)}</td></tr>`;
  const rows = [
    ...i.by_family.map((f) => line('family', f)),
    ...i.by_category.map((f) => line('category', f)),
    ...i.by_band.map((f) => line('band', f)),
    line('tascom', i.tascom),
    ...i.excluded.map((f) => line('excluded', f)),
  ].join('');
  return scrollTable('retail-figures', r.categoriesTitle, headRow([r.category, r.shops, r.area].map((text) => ({ text }))), rows);
}

function changeTable(c: RetailChange): string {
  const r = t.retail;
  const keys = ['before', 'openings', 'extensions', 'moved_in', 'reductions', 'closures', 'moved_out', 'after'] as const;
  const rows = keys
    .map((k) => {
      const x = c[k];
      const sign = ['reductions', 'closures', 'moved_out'].includes(k) ? -1 : 1;
      return `<tr data-key="${k}"><th scope="row">${esc(r.movements[k])}</th><td class="num">${fmt(x.count, 0)}</td><td class="num">${fmt(sign * x.area, 0)}</td></tr>`;
    })
    .join('');
  const net = `<tr data-key="net"><th scope="row">${esc(r.net)}</th><td class="num">${fmt(c.net_shops, 0)}</td><td class="num">${fmt(c.net_area, 0)}</td></tr>`;
  return scrollTable('retail-change', `${r.changeTitle} du ${c.from} au ${c.to}`, headRow([r.movement, r.shops, r.area].map((text) => ({ text }))), rows + net);
}

function projectsBlock(p: RetailProjects): string {
  const r = t.retail;
  const s = p.summary;
  const rows = p.projects
    .map(
      (x) => `<tr data-key="${esc(x.id)}" data-status="${esc(x.status)}"><th scope="row">${esc(x.id)} <small>${esc(x.name)}</small></th>
        <td>${esc(x.status_label)}</td><td class="num">${fmt(x.area_requested, 0)}</td><td class="num">${fmt(x.area_authorised ?? null, 0)}</td></tr>`,
    )
    .join('');
  return `<p id="retail-authorised">${esc(r.authorisedNotOpened(s.authorised_not_opened.count, fmt(s.authorised_not_opened.area, 0)))}
      ${esc(r.pending(s.pending.count, fmt(s.pending.area, 0)))}</p>
    <p id="retail-approval">${esc(
      r.approval(
        fmt(s.cdac_approval.by_number_pct ?? null, 1),
        fmt(s.cdac_approval.by_area_pct ?? null, 1),
        fmt(s.final_approval.by_number_pct ?? null, 1),
        fmt(s.final_approval.by_area_pct ?? null, 1),
      ),
    )}</p>
    ${scrollTable('retail-projects', r.projectsTitle, headRow([r.project, r.status, r.requested, r.authorised].map((text) => ({ text }))), rows)}`;
}

async function drawMap(ctx: Context, shops: RetailShops, territory: string) {
  const map = ctx.map.map;
  const fc = {
    type: 'FeatureCollection',
    features: shops.shops.map((s) => ({
      type: 'Feature',
      geometry: { type: 'Point', coordinates: [s.lon, s.lat] },
      properties: { id: s.id, name: s.name, area: s.area, category: s.category, geocoded: s.geocoded },
    })),
  } as GeoJSON.FeatureCollection;
  const colour: maplibregl.ExpressionSpecification = ['match', ['get', 'category'], ...Object.entries(COLOURS).flat(), '#666666'] as unknown as maplibregl.ExpressionSpecification;
  const radius: maplibregl.ExpressionSpecification = ['interpolate', ['linear'], ['sqrt', ['get', 'area']], 17, 3, 50, 8, 110, 18];
  const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
  if (src) src.setData(fc);
  else {
    map.addSource(SOURCE, { type: 'geojson', data: fc });
    map.addLayer({ id: VEIL, type: 'background', paint: { 'background-color': '#ffffff', 'background-opacity': 0.6 } });
    map.addLayer({
      id: CIRCLES,
      type: 'circle',
      source: SOURCE,
      paint: {
        'circle-color': colour,
        'circle-radius': radius,
        'circle-opacity': 0.7,
        'circle-stroke-color': ['case', ['get', 'geocoded'], '#ffffff', '#333333'],
        'circle-stroke-width': 1,
      },
    });
  }
  for (const id of [VEIL, CIRCLES]) {
    map.moveLayer(id);
    map.setLayoutProperty(id, 'visibility', 'visible');
  }
  let legend = document.getElementById('retail-legend');
  if (!legend) {
    legend = document.createElement('div');
    legend.id = 'retail-legend';
    legend.className = 'map-legend';
    map.getContainer().parentElement!.appendChild(legend);
  }
  const items = Object.entries(COLOURS)
    .map(([k, c]) => `<li><span class="swatch" style="background:${c}" aria-hidden="true"></span> ${esc(t.retail.categories[k] ?? k)}</li>`)
    .join('');
  legend.innerHTML = `<h2>${esc(t.retail.legendTitle)}</h2><ul>${items}</ul>${
    shops.provenance.synthetic ? `<p class="synthetic">${esc(t.retail.synthetic)}</p>` : ''
  }`;
  void ctx.map.fitTerritory(territory);
}

async function draw(ctx: Context, territory: string, date: string, from: string) {
  const box = byId(ctx, 'retail-box');
  try {
    const [i, c, p, s] = await Promise.all([
      api.retail.inventory(territory, date || undefined),
      api.retail.change(territory, from, date || undefined),
      api.retail.projects(territory, date || undefined),
      api.retail.shops(territory, date || undefined),
    ]);
    if (!ctx.live()) return;
    const r = t.retail;
    const cen = i.centrality;
    box.innerHTML = `<h3 id="retail-title">${esc(i.name)} <small>${esc(i.territory)}</small></h3>
      <p id="retail-summary">${esc(r.summary(fmt(i.shops, 0), fmt(i.area, 0), fmt(i.density ?? null, 2)))}</p>
      ${sourceHtml(i.provenance, i.date)}
      ${i.coverage ? `<p id="retail-coverage" class="source">${esc(r.coverage(i.coverage))}</p>` : ''}
      <h4>${esc(r.referencesTitle)}</h4>${referencesTable(i)}
      ${figuresTable(i)}
      <p id="retail-centrality">${esc(r.centrality(fmt(cen.far_share_pct ?? null, 1), fmt(cen.threshold_m, 0), fmt(cen.geocoded_area, 0)))}
        ${esc(r.placed(i.placed_at_commune))}</p>
      <h4>${esc(r.changeTitle)}</h4>${changeTable(c)}
      <h4>${esc(r.projectsTitle)}</h4>${projectsBlock(p)}
      <details><summary>${esc(r.rules)}</summary><p class="source">${esc(i.rules)}</p></details>`;
    const source = sourceLine(i.provenance, i.date);
    byId(ctx, 'retail-source').textContent = source;
    byId<HTMLAnchorElement>(ctx, 'retail-geojson').href = `/api/retail/shops.geojson${query({ territory, date: date || undefined })}`;
    table = {
      name: `commerce-${territory.replace(':', '-')}-${i.date}`,
      title: `${r.title} — ${i.name} au ${i.date}`,
      source,
      header: [r.name, 'Code', r.population, r.shops, r.area, r.density],
      rows: [{ territory: i.territory, name: i.name, population: i.population, shops: i.shops, area: i.area, density: i.density }, ...i.references].map((x) => [
        x.name,
        x.territory,
        x.population,
        x.shops,
        x.area,
        x.density ?? null,
      ]),
    };
    ctx.alternative('retail-references', r.describe);
    await drawMap(ctx, s, territory);
    document.body.dataset.retail = 'ready';
  } catch (e) {
    if (ctx.live()) box.innerHTML = `<p class="error" id="view-error" role="alert">${esc(t.error((e as Error).message))}</p>`;
    document.body.dataset.retail = 'error';
  }
}

export const retailView: View = {
  name: 'commerce',
  legend: false,
  async render(ctx) {
    const r = t.retail;
    const territory = ctx.route.params.get('territoire') || 'per:aire-urbaine-centrale';
    const date = ctx.route.params.get('date') || '';
    const from = ctx.route.params.get('depuis') || '2016-01-01';
    ctx.map.events = {};
    ctx.el.innerHTML = `<h2>${esc(r.title)}</h2><p>${esc(r.intro)}</p>
      <form id="retail-form" class="row">
        <label>${esc(r.territory)} <input id="retail-territory" value="${esc(territory)}"></label>
        <label>${esc(r.date)} <input id="retail-date" type="date" value="${esc(date)}"></label>
        <label>${esc(r.from)} <input id="retail-from" type="date" value="${esc(from)}"></label>
        <button id="retail-apply">${esc(r.apply)}</button></form>
      <p id="retail-source" class="source"></p>
      ${exportMenu()}
      <p><a id="retail-geojson" class="button" download>${esc(r.geojson)}</a></p>
      <div id="retail-box"><p>${esc(t.map.loading)}</p></div>`;
    wireExports(ctx.el, () => table);
    byId(ctx, 'retail-form').onsubmit = (e) => {
      e.preventDefault();
      const x = byId<HTMLInputElement>(ctx, 'retail-territory').value.trim();
      const d = byId<HTMLInputElement>(ctx, 'retail-date').value;
      const f = byId<HTMLInputElement>(ctx, 'retail-from').value || '2016-01-01';
      setParams({ territoire: x, date: d, depuis: f });
      void draw(ctx, x, d, f);
    };
    await draw(ctx, territory, date, from);
  },
  leave(ctx) {
    hide(ctx.map.map);
  },
};
