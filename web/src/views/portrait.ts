// The portrait (#/portrait/<key>[?contre=<keys>]): a territory against its references
// (département, région, France, and the territories asked), as a table with bars and
// sources (the map's text alternative), small charts of the key indicators, a permanent
// link, a printable page and the server's PDF; its communes outlined on the map, which
// frames them.

import { api, exportUrls } from '../api';
import type { ExportTable } from '../export';
import { referenceBars } from '../charts';
import { esc, fmt, visibilityBadge } from '../format';
import { t } from '../i18n';
import { format, go } from '../router';
import { exportMenu, headRow, indicatorExport, indicatorTable, scrollTable, wireExports } from '../tables';
import { valueLabel } from './values';
import { byId, type View } from './view';

let table: ExportTable | null = null;
/** Key indicators charted (the first ones when none is marked key; the table holds them all). */
const CHARTED = 6;

/** The territory's loan guarantees, when the store holds a register (nothing shown otherwise). */
async function guarantees(key: string, name: string) {
  const list = await api.guarantees.exposure({ territories: key }).catch(() => []);
  const box = document.getElementById('portrait-guarantees');
  const e = list[0];
  if (!box || !e || e.loans === 0) return;
  const p = e.provenance;
  box.innerHTML = `<h3>${esc(t.guarantees.portraitTitle)} — ${esc(name)}</h3>
    <p id="portrait-guarantees-line">${esc(t.guarantees.portraitLine(e.loans, fmt(e.guaranteed_outstanding, 0), fmt(e.per_inhabitant ?? null, 2)))}
    <a href="#/garanties?dans=${esc(key)}">${esc(t.nav.guarantees)}</a></p>
    ${p ? `<p class="source">${esc(t.export.sourceLine(`${p.source} — ${p.title} (${p.vintage})`))}${p.synthetic ? ` <strong class="synthetic">${esc(t.guarantees.synthetic)}</strong>` : ''}</p>` : ''}`;
  box.hidden = false;
}

/** The territory's large retail, when the store holds an inventory (nothing shown otherwise). */
async function retail(key: string, name: string) {
  const i = await api.retail.inventory(key).catch(() => null);
  const box = document.getElementById('portrait-retail');
  if (!box || !i || i.shops === 0) return;
  const p = i.provenance;
  const refs = i.references
    .map((r) => `<tr><th scope="row">${esc(r.name)}${r.partial ? ` <em>${esc(t.retail.partial)}</em>` : ''}</th><td class="num">${fmt(r.density ?? null, 2)}</td></tr>`)
    .join('');
  box.innerHTML = `<h3>${esc(t.retail.portraitTitle)} — ${esc(name)}</h3>
    <p id="portrait-retail-line">${esc(t.retail.portraitLine(fmt(i.shops, 0), fmt(i.area, 0), fmt(i.density ?? null, 2), i.date))}
    <a href="#/commerce?territoire=${esc(key)}">${esc(t.nav.retail)}</a></p>
    ${scrollTable('portrait-retail-references', t.retail.referencesCaption, headRow([t.retail.name, t.retail.density].map((text) => ({ text }))), `<tr><th scope="row">${esc(name)}</th><td class="num">${fmt(i.density ?? null, 2)}</td></tr>${refs}`)}
    ${p ? `<p class="source">${esc(t.export.sourceLine(`${p.source} — ${p.title} (${p.vintage}), état au ${i.date}`))}${p.synthetic ? ` <strong class="synthetic">${esc(t.retail.synthetic)}</strong>` : ''}</p>` : ''}`;
  box.hidden = false;
}

export const portraitView: View = {
  name: 'portrait',
  async render(ctx) {
    const key = ctx.route.arg;
    const against = (ctx.route.params.get('contre') ?? '').split(',').filter(Boolean);
    ctx.map.events = { click: (k) => go({ view: 'portrait', arg: k }), hover: valueLabel };
    ctx.el.innerHTML = `<p>${esc(t.map.loading)}</p>`;
    try {
      const p = await api.portrait(key, against);
      if (!ctx.live()) return;
      const terr = p.territory!;
      table = indicatorExport(`portrait-${terr.key.replace(':', '-')}`, `${t.portrait.title} — ${terr.name}`, p);
      const link = `${location.origin}${location.pathname}${format({ view: 'portrait', arg: terr.key, params: against.length ? { contre: against.join(',') } : {} })}`;
      ctx.el.innerHTML = `
        <h2 id="portrait-title">${esc(t.portrait.title)} — ${esc(terr.name)}${visibilityBadge(terr.visibility)} <small>${esc(terr.layer_label)} ${esc(terr.key)}</small></h2>
        <p class="portrait-links"><a id="permalink" href="${esc(link)}">${esc(t.portrait.permalink)}</a>
          <button type="button" id="portrait-print" class="noprint">${esc(t.portrait.print)}</button>
          <a id="portrait-pdf" class="button noprint" href="${esc(exportUrls.portraitPdf(terr.key, against))}" download>${esc(t.portrait.pdf)}</a></p>
        <p class="print-only">${esc(link)}</p>
        <form id="against-form" class="row"><label>${esc(t.portrait.against)} <input id="against" value="${esc(against.join(','))}" placeholder="${esc(t.portrait.againstPlaceholder)}"></label>
          <button>${esc(t.portrait.apply)}</button></form>
        ${exportMenu()}
        ${indicatorTable(p, 'portrait-table', t.portrait.tableCaption(terr.name))}
        <section id="portrait-charts-box"><h3>${esc(t.charts.portraitTitle)}</h3></section>
        <section id="portrait-guarantees" hidden></section>
        <section id="portrait-retail" hidden></section>
        <div id="members"></div>`;
      wireExports(ctx.el, () => table);
      byId(ctx, 'portrait-print').onclick = () => window.print();
      byId(ctx, 'against-form').onsubmit = (e) => {
        e.preventDefault();
        const a = byId<HTMLInputElement>(ctx, 'against').value.trim();
        go({ view: 'portrait', arg: terr.key, params: a ? { contre: a } : {} });
      };
      const keyed = p.indicators.filter((i) => i.key);
      const charted = (keyed.length ? keyed : p.indicators).slice(0, CHARTED);
      const box = byId(ctx, 'portrait-charts-box');
      box.append(referenceBars(p.columns.map((c) => c.name), charted, Math.max(260, Math.min(460, box.clientWidth - 8))));
      ctx.alternative('portrait-table', t.portrait.describe(terr.name));
      ctx.map.select(terr.layer === 'com' ? [terr.key] : []);
      void ctx.map.fitTerritory(terr.key);
      void guarantees(terr.key, terr.name);
      void retail(terr.key, terr.name);
      if (terr.layer !== 'com' && terr.layer !== 'fr' && terr.layer !== 'iris') {
        const members = await api.members(terr.key);
        const out = byId(ctx, 'members');
        if (!ctx.live() || !out) return;
        out.innerHTML = `<h3>${esc(t.portrait.members)} (${members.length})</h3><p class="members">${members
          .slice(0, 500)
          .map((m) => `<a href="#/portrait/${esc(m.key)}">${esc(m.name)}</a>`)
          .join(', ')}${members.length > 500 ? ' …' : ''}</p>`;
        ctx.map.select(members.map((m) => m.key));
      }
    } catch (e) {
      if (ctx.live()) ctx.el.innerHTML = `<p class="error" id="view-error" role="alert">${esc(t.error((e as Error).message))}</p>`;
    }
  },
  leave(ctx) {
    ctx.map.select([]);
  },
};
