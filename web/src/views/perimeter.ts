// The perimeter editor (#/perimetre[?echelon=epci]): a click on a commune of the map adds
// or removes it; at another layer (EPCI, arrondissement…) a click adds or removes all the
// communes of that territory; the communes of a territory can be added by its code. The
// perimeter saved is at once a territory of the map, of the portraits and comparisons.

import { viewer } from '../account';
import { api } from '../api';
import * as choropleth from '../choropleth';
import { MAP_LAYERS } from '../config';
import { esc, slug } from '../format';
import { t } from '../i18n';
import { setParams } from '../router';
import { valueLabel } from './values';
import { byId, type Context, type View } from './view';

/** A click on a territory of any layer but the communes adds all its communes. */
const LAYERS = MAP_LAYERS;

let selected = new Set<string>();

function count(ctx: Context) {
  const el = byId(ctx, 'perimeter-count');
  if (el) el.textContent = t.perimeter.selected(selected.size);
  ctx.map.select(selected);
}

function add(ctx: Context, keys: string[], on: boolean) {
  for (const k of keys) {
    if (on) selected.add(k);
    else selected.delete(k);
  }
  count(ctx);
}

/** A click on a commune toggles it; on another territory, toggles all its communes. */
async function toggle(ctx: Context, key: string) {
  if (key.startsWith('com:')) return add(ctx, [key], !selected.has(key));
  const members = (await api.members(key)).map((m) => m.key);
  add(ctx, members, !members.every((k) => selected.has(k)));
}

/** The organisation of the signed-in account, if any. */
function ownOrg(): string | null {
  const v = viewer?.viewer;
  return v && v.kind === 'account' ? (v.org ?? null) : null;
}

function status(ctx: Context, html: string) {
  byId(ctx, 'perimeter-status').innerHTML = html;
}

export const perimeterView: View = {
  name: 'perimetre',
  async render(ctx) {
    selected = new Set();
    const p = t.perimeter;
    const asked = ctx.route.params.get('echelon');
    const layer = asked && LAYERS.includes(asked) ? asked : choropleth.state.settings.layer;
    ctx.el.innerHTML = `
      <h2>${esc(p.title)}</h2><p>${esc(p.intro)}</p>
      <label class="block">${esc(p.layer)} <select id="perimeter-layer">${LAYERS.map(
        (l) => `<option value="${l}"${l === layer ? ' selected' : ''}>${esc(t.map.layers[l])}</option>`,
      ).join('')}</select></label>
      <p id="perimeter-count" aria-live="polite"></p>
      <form id="perimeter-add" class="row"><label>${esc(p.addTerritory)} <input id="perimeter-territory" placeholder="${esc(p.addTerritoryPlaceholder)}"></label><button>${esc(t.compare.add)}</button></form>
      <form id="perimeter-form">
        <label>${esc(p.name)} <input id="perimeter-name" required></label>
        <label>${esc(p.id)} <input id="perimeter-id" pattern="[a-z0-9-]+" required></label>
        <label>${esc(p.visibility)} <select id="perimeter-visibility">${
          // Private and shared belong to an organisation: offered to an account of one.
          ownOrg()
            ? `<option value="">${esc(p.visibilityDefault)}</option>
          <option value="shared">${esc(p.visibilityShared)}</option>
          <option value="public">${esc(p.visibilityPublic)}</option>`
            : `<option value="">${esc(p.visibilityPublic)}</option>`
        }</select></label>
        <label id="perimeter-share" hidden>${esc(p.shareWith)} <input id="perimeter-share-with" placeholder="${esc(p.shareWithPlaceholder)}"></label>
        <button id="perimeter-save">${esc(p.save)}</button>
        <button type="button" id="perimeter-clear">${esc(p.clear)}</button>
      </form>
      <p id="perimeter-status" role="status"></p>`;
    count(ctx);
    ctx.map.events = { click: (key) => void toggle(ctx, key), hover: valueLabel };
    ctx.alternative(null, p.describe);
    const layerSelect = byId<HTMLSelectElement>(ctx, 'perimeter-layer');
    layerSelect.onchange = async () => {
      await choropleth.set({ layer: layerSelect.value });
      setParams({ echelon: layerSelect.value });
    };
    if (layer !== choropleth.state.settings.layer) await choropleth.set({ layer });
    setParams({ echelon: layer }, true);
    const name = byId<HTMLInputElement>(ctx, 'perimeter-name');
    const id = byId<HTMLInputElement>(ctx, 'perimeter-id');
    name.oninput = () => {
      id.value = slug(name.value);
    };
    const visibility = byId<HTMLSelectElement>(ctx, 'perimeter-visibility');
    const shareWith = byId<HTMLInputElement>(ctx, 'perimeter-share-with');
    visibility.onchange = () => {
      byId(ctx, 'perimeter-share').hidden = visibility.value !== 'shared';
    };
    byId(ctx, 'perimeter-clear').onclick = () => add(ctx, [...selected], false);
    byId(ctx, 'perimeter-add').onsubmit = async (e) => {
      e.preventDefault();
      try {
        const members = await api.members(byId<HTMLInputElement>(ctx, 'perimeter-territory').value.trim());
        add(
          ctx,
          members.map((m) => m.key),
          true,
        );
        status(ctx, '');
      } catch (err) {
        status(ctx, `<span class="error">${esc(t.error((err as Error).message))}</span>`);
      }
    };
    byId(ctx, 'perimeter-form').onsubmit = async (e) => {
      e.preventDefault();
      if (selected.size === 0 || !name.value.trim()) {
        status(ctx, `<span class="error">${esc(p.empty)}</span>`);
        return;
      }
      try {
        const orgs = shareWith.value.split(',').map((o) => o.trim()).filter(Boolean);
        const r = await api.savePerimeter({
          id: id.value,
          name: name.value.trim(),
          include: [...selected],
          ...(visibility.value ? { visibility: visibility.value } : {}),
          ...(visibility.value === 'shared' ? { share_with: orgs } : {}),
        });
        status(ctx, `${esc(p.saved(r.key, r.communes, r.population))} <a id="perimeter-portrait" href="#/portrait/${esc(r.key)}">${esc(p.openPortrait)}</a>`);
        await choropleth.refreshPerimeters();
      } catch (err) {
        status(ctx, `<span class="error">${esc(t.error((err as Error).message))}</span>`);
      }
    };
  },
  leave(ctx) {
    selected = new Set();
    ctx.map.select([]);
  },
};
