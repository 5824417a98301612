// The address of every screen: `#/<view>[/<argument>][?<parameters>]`, so that any screen
// (view, territory, indicator, layer, parameters) is a link that can be shared, and the
// browser's back and forward buttons move between screens and settings.
//
//   #/carte?indicateur=density&echelon=com&dans=reg:32&methode=jenks&classes=5
//   #/portrait/epci:200093201?contre=per:mel
//   #/comparer/epci:200093201,epci:246200364
//   #/perimetre?echelon=epci
//   #/mobilites?echelon=epci&min=200&secret=11&territoire=epci:200093201
//   #/acces?equipements=france-services&territoire=dep:62&detour=1.3&vitesse=40
//   #/garanties?echelon=epci&dans=per:bassin-minier
//   #/tiers-lieux?territoire=per:mel&modele=mclp&p=10&distance=10
//   #/commerce?territoire=per:mel&date=2026-01-01&depuis=2016-01-01
//   #/guichet, #/guichet/nouvelle, #/guichet/demandes/12, #/guichet/suivi/<secret>
//   #/etudes, #/etudes/3
//   #/connexion, #/administration
//
// A view changing one of its settings calls `setParams`: the address changes (a new
// history entry), the view is not drawn again. A link, a typed address, back or forward
// call the listener given to `listen`, which draws the view of the address.

export const VIEWS = ['carte', 'portrait', 'comparer', 'perimetre', 'mobilites', 'acces', 'garanties', 'tiers-lieux', 'commerce', 'guichet', 'etudes', 'connexion', 'administration'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface Route {
  view: ViewName;
  /** What follows the view in the path: a territory key, keys separated by commas. */
  arg: string;
  params: URLSearchParams;
}

/** The route of an address's fragment (the values map when the view is unknown). */
export function parse(hash: string): Route {
  const raw = hash.replace(/^#\/?/, '');
  const cut = raw.indexOf('?');
  const path = decodeURIComponent(cut < 0 ? raw : raw.slice(0, cut));
  const [name, ...rest] = path.split('/');
  const view = (VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'carte';
  return { view, arg: rest.join('/'), params: new URLSearchParams(cut < 0 ? '' : raw.slice(cut + 1)) };
}

/** Keys and lists stay readable in the address (":" and "," are left as they are). */
const keep = (s: string) => encodeURIComponent(s).replace(/%3A/gi, ':').replace(/%2C/gi, ',');

export function format(r: { view: ViewName; arg?: string; params?: URLSearchParams | Record<string, string> }): string {
  const params = r.params instanceof URLSearchParams ? [...r.params] : Object.entries(r.params ?? {});
  const qs = params
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${keep(k)}=${keep(v)}`)
    .join('&');
  return `#/${r.view}${r.arg ? `/${r.arg.split(',').map(keep).join(',')}` : ''}${qs ? `?${qs}` : ''}`;
}

export function current(): Route {
  return parse(location.hash);
}

/** The fragment last drawn: an address event for the same fragment draws nothing. */
let drawn = '';

/** Screens that are no map state of their own (a study saves the screen before them). */
const NOT_MAPS: readonly ViewName[] = ['etudes', 'guichet', 'connexion', 'administration'];

/** The last screen of a map view (values map, portrait, flows…) with its settings, as
 *  its fragment: what a study saves as « the current map ». */
let lastMap = '';

/** The current screen if it is a map view, else the last one reached (null: none yet). */
export function lastMapScreen(): Route | null {
  const here = current();
  if (!NOT_MAPS.includes(here.view)) return here;
  return lastMap ? parse(lastMap) : null;
}

/** A camera (centre, zoom) to set once the next screen is drawn: a study's map reopened. */
let camera: { center: [number, number]; zoom: number } | null = null;

export function cameraAfterDraw(c: { center: [number, number]; zoom: number } | null) {
  camera = c;
}

/** The camera asked for the screen just drawn, once. */
export function takeCamera(): { center: [number, number]; zoom: number } | null {
  const c = camera;
  camera = null;
  return c;
}

/** Changes parameters of the current screen without drawing it again; `replace` keeps
 *  one history entry (a first normalisation), otherwise back returns to the previous settings. */
export function setParams(patch: Record<string, string | number | null | undefined>, replace = false) {
  const r = current();
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === '') r.params.delete(k);
    else r.params.set(k, String(v));
  }
  const hash = format(r);
  if (hash === location.hash) return;
  drawn = hash;
  history[replace ? 'replaceState' : 'pushState'](null, '', hash);
}

/** Goes to another screen (drawn through the listener). */
export function go(r: { view: ViewName; arg?: string; params?: Record<string, string> }) {
  location.hash = format(r);
}

/** Calls `draw` for every address the user reaches (link, typed address, back, forward). */
export function listen(draw: (r: Route) => void) {
  const changed = () => {
    if (location.hash === drawn) return;
    if (drawn && !NOT_MAPS.includes(parse(drawn).view)) lastMap = drawn;
    drawn = location.hash;
    draw(current());
  };
  window.addEventListener('hashchange', changed);
  window.addEventListener('popstate', changed);
  drawn = location.hash;
  draw(current());
}
