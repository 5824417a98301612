// The observatory in the browser: the page's frame (header, navigation, search, panel,
// map), then the view of the address. Each screen is a module of views/ (values map,
// portrait, comparison, perimeter editor, flows, access) that draws its own controls into
// the panel; router.ts keeps view and settings in the address; map.ts holds the map.

import 'maplibre-gl/dist/maplibre-gl.css';
import './style.css';
import { accountZone } from './account';
import * as choropleth from './choropleth';
import { esc } from './format';
import { t } from './i18n';
import { MainMap } from './map';
import { listen, takeCamera, type Route, type ViewName } from './router';
import { portraitSearch } from './search';
import { navigation, views } from './views';
import type { Context } from './views/view';

/** The desk's e-mails link to pages by path (`/guichet/demandes/12`, `/guichet/suivi/…`), and
 *  the server names a study's link `/etudes/3`: the server answers such a path with this
 *  page, and the path becomes the fragment the router reads. */
if (/^\/(guichet|etudes)(\/|$)/.test(location.pathname)) {
  history.replaceState(null, '', `/#${location.pathname}${location.search}`);
}

const el = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

el('app').innerHTML = `
<button type="button" id="skip" class="skip">${esc(t.skipToContent)}</button>
<header>
  <h1>${esc(t.appTitle)}</h1>
  <nav aria-label="${esc(t.navLabel)}">${navigation
    .map((n) => `<a href="#/${n.view}" id="nav-${n.view}" data-view="${n.view}">${esc(n.label(t.nav))}</a>`)
    .join('')}</nav>
  <div class="search" role="search">
    <label for="search" class="sr-only">${esc(t.portrait.search)}</label>
    <input id="search" type="search" placeholder="${esc(t.portrait.searchPlaceholder)}" autocomplete="off">
    <div id="search-results" class="results"></div>
  </div>
  <div id="account" class="account" role="group" aria-label="${esc(t.account.zone)}"></div>
</header>
<main>
  <div id="panel" role="region" aria-label="${esc(t.panel)}"><section id="view" tabindex="-1"></section></div>
  <section id="mapwrap" aria-label="${esc(t.mapRegion)}">
    <div id="map"></div>
    <button type="button" id="map-alt" class="skip">${esc(t.mapAlt)}</button>
    <div id="legend" class="map-legend" aria-live="polite"></div>
    <div id="hover" hidden></div>
    <div id="map-exports" class="floating exports" role="group" aria-labelledby="map-exports-label" hidden>
      <span id="map-exports-label">${esc(t.export.map)}</span>
      <button type="button" id="export-png">${esc(t.export.png)}</button>
      <button type="button" id="export-svg">${esc(t.export.svg)}</button>
      <span>${esc(t.export.layer)}</span>
      <a id="export-geojson" class="button" download>${esc(t.export.geojson)}</a>
      <a id="export-gpkg" class="button" download>${esc(t.export.gpkg)}</a>
      <span id="map-export-status" class="error" role="status" hidden></span>
    </div>
    <div id="synced" hidden></div>
  </section>
</main>`;

const map = new MainMap(el('map'), el('hover'));
choropleth.init(map, el('legend'));
(window as unknown as { echelle: unknown }).echelle = {
  map: map.map,
  keyOf: (layer: string, f: { id?: string | number; properties?: Record<string, unknown> | null }) => map.keyOf(layer, f),
  get state() {
    return { shown: map.shown, ids: map.idsBy.com, idsBy: map.idsBy, settings: choropleth.state.settings };
  },
};

/** The map overlays some views own (shown with their view only). */
const OVERLAYS = [...new Set(Object.values(views).flatMap((v) => v.overlays ?? []))];

let active: { name: ViewName; ctx: Context } | null = null;
let seq = 0;
let altTable: string | null = null;

el('skip').onclick = () => el('view').focus();
el('map-alt').onclick = () => {
  const target = altTable ? document.getElementById(altTable)?.closest<HTMLElement>('.tablewrap') : null;
  if (target) target.focus();
  else el('view').focus();
};

async function draw(route: Route) {
  const n = ++seq;
  const view = views[route.view];
  if (active) views[active.name].leave?.(active.ctx);
  map.events = {};
  map.hideHover();
  for (const a of document.querySelectorAll<HTMLAnchorElement>('nav a')) {
    const on = a.dataset.view === route.view;
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  for (const id of OVERLAYS) el(id).hidden = !(view.overlays ?? []).includes(id);
  el('legend').hidden = view.legend === false;
  el('view').innerHTML = '';
  el('view').dataset.view = route.view;
  altTable = null;
  const ctx: Context = {
    el: el('view'),
    map,
    route,
    live: () => n === seq,
    alternative: (table, description) => {
      if (n !== seq) return;
      altTable = table;
      el('map-alt').hidden = table === null;
      map.describe(table ? t.mapDescription(description, document.getElementById(`${table}-caption`)?.textContent ?? description) : description);
    },
  };
  active = { name: route.view, ctx };
  try {
    await view.render(ctx);
    // A study's map reopened: the camera as it was saved, over the view's own framing.
    const camera = takeCamera();
    if (camera && n === seq) map.map.jumpTo(camera);
  } catch (e) {
    if (n === seq) el('view').innerHTML = `<p class="error" role="alert">${esc(t.error((e as Error).message))}</p>`;
  }
}

async function start() {
  document.title = t.appTitle;
  portraitSearch(el<HTMLInputElement>('search'), el('search-results'));
  await Promise.all([map.setup(), choropleth.loadChoices(), accountZone(el('account'))]);
  await choropleth.set({});
  listen((r) => void draw(r));
  document.body.dataset.ready = 'true';
}

start().catch((e) => {
  el('view').innerHTML = `<p class="error" role="alert">${esc(t.error((e as Error).message))}</p>`;
});
