// Loan guarantees (#/garanties?echelon=epci&dans=per:bassin-minier): the check before a
// vote (a proposed guarantee against each prudential rule of the CGCT, its margin and
// articles, this year and the next), and the outstanding guaranteed capital per territory
// as a table (the map's text alternative, exported like every table) and a map.
// Every figure is the server's (echelle-guarantees), as the CLI prints it.

import type maplibregl from 'maplibre-gl';
import { api, type Exposure, type GuaranteeCheck, type Proposal } from '../api';
import type { ExportTable } from '../export';
import { esc, fmt } from '../format';
import { t } from '../i18n';
import { setParams } from '../router';
import { exportMenu, headRow, scrollTable, wireExports } from '../tables';
import { byId, type Context, type View } from './view';

const SOURCE = 'guarantees-shapes';
const FILL = 'guarantees-fill';
/** A veil over the indicator map, under the guarantees, so that only one choropleth reads. */
const VEIL = 'guarantees-veil';
const BREAKS = [50, 150, 300, 500];
const PALETTE = ['#fef0d9', '#fdcc8a', '#fc8d59', '#e34a33', '#b30000'];

let table: ExportTable | null = null;

function hide(map: maplibregl.Map) {
  for (const id of [VEIL, FILL]) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', 'none');
  document.getElementById('guarantees-legend')?.remove();
}

const select = (id: string, options: Record<string, string>, value: string) =>
  `<select id="${id}">${Object.entries(options)
    .map(([k, v]) => `<option value="${esc(k)}"${k === value ? ' selected' : ''}>${esc(v)}</option>`)
    .join('')}</select>`;

function form(): string {
  const g = t.guarantees;
  return `<form id="guarantees-form" class="stack">
    <label class="block">${esc(g.guarantor)} <input id="g-guarantor" value="com:62119" required></label>
    <label class="block">${esc(g.beneficiary)} <input id="g-beneficiary" value="Projet"></label>
    <label class="block">${esc(g.siren)} <input id="g-siren" value="900000001" pattern="[0-9]{9}" required></label>
    <label class="block">${esc(g.category)} ${select('g-category', g.categories, 'other')}</label>
    <label class="block">${esc(g.amount)} <input id="g-amount" type="number" min="0" step="0.01" value="2000000" required></label>
    <label class="block">${esc(g.start)} <input id="g-start" type="date" value="2026-07-01" required></label>
    <label class="block">${esc(g.years)} <input id="g-years" type="number" min="1" max="60" value="15" required></label>
    <label class="block">${esc(g.frequency)} ${select('g-frequency', g.frequencies, 'yearly')}</label>
    <label class="block">${esc(g.rate)} <input id="g-rate" type="number" min="0" max="30" step="0.01" value="3.5"></label>
    <label class="block">${esc(g.profile)} ${select('g-profile', g.profiles, 'constant_annuity')}</label>
    <label class="block">${esc(g.share)} <input id="g-share" type="number" min="0" max="100" step="0.01" value="50" required></label>
    <label class="block"><input id="g-state-aided" type="checkbox"> ${esc(g.stateAided)}</label>
    <label class="block"><input id="g-tense-zone" type="checkbox"> ${esc(g.tenseZoneHousing)}</label>
    <label class="block">${esc(g.loan)} <input id="g-loan"></label>
    <button id="g-submit">${esc(g.submit)}</button>
  </form>
  <div id="guarantees-result" aria-live="polite"></div>`;
}

function proposal(ctx: Context): Proposal {
  const v = (id: string) => byId<HTMLInputElement>(ctx, id).value.trim();
  return {
    guarantor: v('g-guarantor'),
    beneficiary: v('g-beneficiary'),
    siren: v('g-siren'),
    category: v('g-category') as Proposal['category'],
    amount: Number(v('g-amount')),
    start: v('g-start'),
    years: Number(v('g-years')),
    frequency: v('g-frequency') as Proposal['frequency'],
    rate: Number(v('g-rate')),
    profile: v('g-profile') as Proposal['profile'],
    share: Number(v('g-share')),
    state_aided: byId<HTMLInputElement>(ctx, 'g-state-aided').checked,
    housing_plan: false,
    tense_zone_housing: byId<HTMLInputElement>(ctx, 'g-tense-zone').checked,
    loan: v('g-loan') || null,
  };
}

function result(c: GuaranteeCheck): string {
  const g = t.guarantees;
  const rows = c.vote.outcomes
    .map(
      (o) => `<tr data-rule="${esc(o.rule)}" class="${o.holds ? 'holds' : 'breaks'}"><th scope="row">${esc(o.label)}</th>
        <td>${esc(o.holds ? g.holds : g.breaks)}</td><td class="num">${fmt(o.value, 2)} ${esc(o.unit)}</td>
        <td class="num">${fmt(o.limit, 2)} ${esc(o.unit)}</td><td class="num">${fmt(o.margin, 2)} ${esc(o.unit)}</td>
        <td class="article">${esc(o.article)}</td><td>${o.exemption ? esc(g.exempted(o.exemption.label, o.exemption.basis)) : ''}</td></tr>`,
    )
    .join('');
  const closest = c.vote.first_to_break ? c.vote.outcomes.find((o) => o.rule === c.vote.first_to_break) : null;
  const last = c.vote.year + c.projection.length;
  const years = c.projection
    .map((y) => `<li data-year="${y.year}">${y.year} : ${esc(y.holds ? g.holds : g.breaks)}${y.finances_from ? ` (${esc(g.held(y.finances_from))})` : ''}</li>`)
    .join('');
  return `<p id="guarantees-verdict" data-holds="${c.vote.holds}">${esc(c.vote.holds ? g.verdictHolds(c.vote.year) : g.verdictBreaks(c.vote.year))}
      ${closest ? esc(g.closest(closest.label)) : ''}
      ${esc(c.first_break ? g.firstBreak(c.first_break.label, c.first_break.year) : g.noBreak(last))}</p>
    ${scrollTable(
      'guarantees-check',
      `${g.checkTitle} — ${c.guarantor_name} (${c.guarantor})`,
      headRow([g.rule, g.result, g.value, g.limit, g.margin, g.articles, g.exemption].map((text) => ({ text }))),
      rows,
    )}
    <h4>${esc(g.projection)}</h4><ul id="guarantees-projection">${years}</ul>
    <p class="source">${esc(c.rules_text)}</p>
    ${c.provenance ? `<p class="source">${esc(t.export.sourceLine(`${c.provenance.source} — ${c.provenance.title} (${c.provenance.vintage})`))}${c.provenance.synthetic ? ` <strong class="synthetic">${esc(t.guarantees.synthetic)}</strong>` : ''}</p>` : ''}`;
}

function exposureTable(list: Exposure[]): string {
  const g = t.guarantees;
  const rows = list
    .map(
      (e) => `<tr data-key="${esc(e.territory)}"><th scope="row">${esc(e.name)} <small>${esc(e.territory)}</small></th>
        <td class="num">${e.loans}</td><td class="num">${fmt(e.guaranteed_outstanding, 0)}</td><td class="num">${fmt(e.exempt_outstanding, 0)}</td>
        <td class="num">${fmt(e.per_inhabitant ?? null, 2)}</td><td class="num">${fmt(e.annuities_over_revenue ?? null, 2)}</td></tr>`,
    )
    .join('');
  return scrollTable(
    'guarantees-exposure',
    g.exposureTitle,
    headRow([g.territory, g.loans, g.outstanding, g.exempt, g.perInhabitant, g.annuitiesOverRevenue].map((text) => ({ text }))),
    rows,
  );
}

async function drawMap(ctx: Context, layer: string, within: string, list: Exposure[]) {
  const map = ctx.map.map;
  const shapes = await api.shapes(layer, within);
  if (!ctx.live()) return;
  const byKey = new Map(list.map((e) => [e.territory, e.per_inhabitant ?? null]));
  const fc = {
    ...shapes,
    features: shapes.features.map((f) => ({ ...f, type: 'Feature', properties: { ...f.properties, per: byKey.get(String(f.properties.key)) ?? null } })),
  } as unknown as GeoJSON.FeatureCollection;
  const step: maplibregl.ExpressionSpecification = ['step', ['to-number', ['get', 'per']], PALETTE[0]];
  BREAKS.forEach((b, i) => step.push(b, PALETTE[i + 1]));
  const color: maplibregl.ExpressionSpecification = ['case', ['==', ['get', 'per'], null], '#dddddd', step];
  const src = map.getSource(SOURCE) as maplibregl.GeoJSONSource | undefined;
  if (src) {
    src.setData(fc);
    map.setPaintProperty(FILL, 'fill-color', color);
  } else {
    map.addSource(SOURCE, { type: 'geojson', data: fc });
    map.addLayer({ id: VEIL, type: 'background', paint: { 'background-color': '#ffffff', 'background-opacity': 0.85 } });
    map.addLayer({ id: FILL, type: 'fill', source: SOURCE, paint: { 'fill-color': color, 'fill-opacity': 0.85, 'fill-outline-color': '#ffffff' } });
  }
  for (const id of [VEIL, FILL]) {
    map.moveLayer(id);
    map.setLayoutProperty(id, 'visibility', 'visible');
  }
  let legend = document.getElementById('guarantees-legend');
  if (!legend) {
    legend = document.createElement('div');
    legend.id = 'guarantees-legend';
    legend.className = 'map-legend';
    map.getContainer().parentElement!.appendChild(legend);
  }
  const items = PALETTE.map((c, i) => {
    const lo = i === 0 ? 0 : BREAKS[i - 1];
    const label = i < BREAKS.length ? `${lo} – ${BREAKS[i]}` : `> ${lo}`;
    return `<li><span class="swatch" style="background:${c}" aria-hidden="true"></span> ${esc(label)}</li>`;
  }).join('');
  legend.innerHTML = `<h2>${esc(t.guarantees.legendTitle)}</h2><ul>${items}</ul><p class="synthetic">${esc(t.guarantees.synthetic)}</p>`;
  void ctx.map.fitTerritory(within);
}

async function exposure(ctx: Context, layer: string, within: string) {
  const box = byId(ctx, 'guarantees-exposure-box');
  try {
    const list = await api.guarantees.exposure({ layer, within });
    if (!ctx.live()) return;
    box.innerHTML = exposureTable(list);
    const p = list[0]?.provenance;
    const source = p ? `${p.source} — ${p.title} (${p.vintage})${p.synthetic ? ' — SYNTHÉTIQUE' : ''}` : '';
    byId(ctx, 'guarantees-source').textContent = source ? t.export.sourceLine(source) : '';
    table = {
      name: `garanties-${layer}-${within.replace(':', '-')}`,
      title: t.guarantees.exposureTitle,
      source,
      header: [t.guarantees.territory, 'Code', t.guarantees.loans, t.guarantees.outstanding, t.guarantees.exempt, t.guarantees.perInhabitant, t.guarantees.annuitiesOverRevenue],
      rows: list.map((e) => [e.name, e.territory, e.loans, e.guaranteed_outstanding, e.exempt_outstanding, e.per_inhabitant ?? null, e.annuities_over_revenue ?? null]),
    };
    ctx.alternative('guarantees-exposure', t.guarantees.describe);
    await drawMap(ctx, layer, within, list);
    document.body.dataset.guarantees = 'ready';
  } catch (e) {
    if (ctx.live()) box.innerHTML = `<p class="error" id="view-error" role="alert">${esc(t.error((e as Error).message))}</p>`;
    document.body.dataset.guarantees = 'error';
  }
}

export const guaranteesView: View = {
  name: 'garanties',
  legend: false,
  async render(ctx) {
    const g = t.guarantees;
    const layer = ctx.route.params.get('echelon') === 'com' ? 'com' : 'epci';
    const within = ctx.route.params.get('dans') || 'per:bassin-minier';
    ctx.map.events = {};
    ctx.el.innerHTML = `<h2>${esc(g.title)}</h2><p>${esc(g.intro)}</p>
      <section id="guarantees-check-box"><h3>${esc(g.checkTitle)}</h3>${form()}</section>
      <section><h3>${esc(g.exposureTitle)}</h3>
        <div class="row"><label>${esc(g.layer)} ${select('guarantees-layer', { epci: t.map.layers.epci ?? 'EPCI', com: t.map.layers.com ?? 'Communes' }, layer)}</label>
        <label>${esc(g.within)} <input id="guarantees-within" value="${esc(within)}"></label></div>
        <p id="guarantees-source" class="source"></p>
        ${exportMenu()}
        <div id="guarantees-exposure-box"><p>${esc(t.map.loading)}</p></div></section>`;
    wireExports(ctx.el, () => table);
    const redraw = () => {
      const l = byId<HTMLSelectElement>(ctx, 'guarantees-layer').value;
      const w = byId<HTMLInputElement>(ctx, 'guarantees-within').value.trim();
      setParams({ echelon: l, dans: w });
      void exposure(ctx, l, w);
    };
    byId(ctx, 'guarantees-layer').onchange = redraw;
    byId(ctx, 'guarantees-within').onchange = redraw;
    byId(ctx, 'guarantees-form').onsubmit = async (e) => {
      e.preventDefault();
      const out = byId(ctx, 'guarantees-result');
      try {
        const c = await api.guarantees.check(proposal(ctx));
        if (ctx.live()) out.innerHTML = result(c);
      } catch (err) {
        if (ctx.live()) out.innerHTML = `<p class="error" role="alert">${esc(t.error((err as Error).message))}</p>`;
      }
    };
    await exposure(ctx, layer, within);
  },
  leave(ctx) {
    hide(ctx.map.map);
  },
};
