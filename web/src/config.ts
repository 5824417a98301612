// The application's settings in one place: the territory it opens on, the layers it can
// draw, the defaults of each view's parameters and the colours that carry meaning.
// The server owns the figures; these are only what the screens start from.

/** The région of the examples of METHODS.md (Hauts-de-France): the flows' and comparisons' frame. */
export const REGION = 'reg:32';
/** What the map opens on: all of France, by département (another territory in the address opens on its communes). */
export const FRANCE = 'fr';
export const FRANCE_LAYER = 'dep';
/** The overseas départements the map jumps to, as the Observatoire des territoires does, then métropole. */
export const JUMPS: [string, string][] = [
  ['dep:971', 'Guadeloupe'],
  ['dep:972', 'Martinique'],
  ['dep:973', 'Guyane'],
  ['dep:974', 'La Réunion'],
  ['dep:976', 'Mayotte'],
];
/** Métropole and Corsica, west, south, east, north. */
export const METROPOLE: [number, number, number, number] = [-5.2, 41.3, 9.6, 51.1];
/** Layers the values map can draw (each has its own tiles). */
export const MAP_LAYERS = ['com', 'epci', 'arr', 'dep', 'reg', 'per'];
/** The indicator shown first. */
export const DEFAULT_INDICATOR = 'density';
/** Class counts offered for the choropleth. */
export const CLASS_COUNTS = [3, 4, 5, 6, 7];
export const DEFAULT_CLASSES = 5;
/** Values shown in the on-screen tables (exports hold every row). */
export const TABLE_ROWS = 300;
/** Search answers asked for. */
export const SEARCH_LIMIT = 8;

export const flowsConfig = {
  layers: ['epci', 'arr', 'dep', 'com'],
  within: REGION,
  /** The METHODS.md §1 question: workers coming into the MEL from the mining basin. */
  target: 'per:mel',
  from: 'per:bassin-minier',
  defaults: { layer: 'epci', min: 200, secret: 11 },
  partners: 5,
  telework: { days: 2, takeUp: 0.5 },
};

export const accessConfig = {
  defaults: { within: 'dep:62', detour: 1.3, speed: 40 },
  /** Diagnostics per EPCI of the territory, shares beyond these minutes. */
  diagnoseLayer: 'epci',
  thresholds: [7, 20],
  /** Upper bounds (minutes) of the map's classes. */
  breaks: [5, 10, 15, 20, 30],
  palette: ['#fef0d9', '#fdd49e', '#fdbb84', '#fc8d59', '#e34a33', '#b30000'],
  /** Communes without a time: no facility reached, or (road network) too far from any road. */
  unreached: '#cccccc',
  offNetwork: '#6b6b6b',
};

export const colors = {
  background: '#eef1f4',
  /** Fill of a shape that has no row in the values shown. */
  noRow: '#f7f7f7',
  selection: '#1f4fbf',
  outline: '#10245e',
  flowLine: '#b2182b',
  point: '#2166ac',
};
