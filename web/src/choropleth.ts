// The indicator map: which indicator, layer, territory and class breaks are shown, the
// values fetched for them, their classes and colours on the main map, and the legend
// (title, unit, classes with their counts, source, vintage). Views change the settings
// through `set`; the values view lists the values and draws their histogram after each
// painting (`onPaint`).

import { api } from './api';
import type { Indicator, Territory, ValueRow, Values } from './api/types';
import { breaks, classOf, MISSING_COLOR, type Method, palette } from './classify';
import { DEFAULT_CLASSES, DEFAULT_INDICATOR, FRANCE, FRANCE_LAYER } from './config';
import type { LegendEntry } from './export';
import { esc, fmt } from './format';
import { t } from './i18n';
import type { MainMap } from './map';

export interface Settings {
  indicator: string;
  layer: string;
  within: string;
  method: Method;
  classes: number;
  manual: string;
}

/** Classes of a set of values: thresholds, colours, the colour of each key, counts. */
export interface Classes {
  th: number[];
  colors: string[];
  colorOf: Map<string, string>;
  counts: number[];
  missing: number;
  nums: number[];
}

export const state = {
  indicators: [] as Indicator[],
  perimeters: [] as Territory[],
  regions: [] as Territory[],
  departements: [] as Territory[],
  settings: { indicator: '', layer: FRANCE_LAYER, within: FRANCE, method: 'quantile', classes: DEFAULT_CLASSES, manual: '' } as Settings,
  values: null as Values | null,
  byKey: new Map<string, ValueRow>(),
  classes: null as Classes | null,
  legend: [] as LegendEntry[],
  /** Why the map could not be painted (bad manual breaks, no shapes for a layer), or ''. */
  error: '',
};

let mainMap: MainMap;
let legendBox: HTMLElement;
const painted: (() => void)[] = [];

export function init(map: MainMap, legend: HTMLElement) {
  mainMap = map;
  legendBox = legend;
}

/** Calls `fn` after each painting or failure (until the returned function is called). */
export function onPaint(fn: () => void): () => void {
  painted.push(fn);
  return () => painted.splice(painted.indexOf(fn), 1);
}

const notify = () => painted.slice().forEach((fn) => fn());

/** The indicators with values; the régions, départements and saved perimeters (offered as territories to show). */
export async function loadChoices() {
  const [indicators, perimeters, regions, departements] = await Promise.all([
    api.indicators(),
    api.territories('per'),
    api.territories('reg'),
    api.territories('dep'),
  ]);
  const byName = (list: Territory[]) => list.filter((r) => r.communes > 0).sort((a, b) => a.name.localeCompare(b.name, 'fr'));
  state.indicators = indicators.filter((i) => i.available);
  state.perimeters = perimeters;
  state.regions = byName(regions);
  state.departements = byName(departements);
  if (!state.settings.indicator)
    state.settings.indicator = state.indicators.find((i) => i.id === DEFAULT_INDICATOR)?.id ?? state.indicators[0]?.id ?? '';
}

export async function refreshPerimeters() {
  state.perimeters = await api.territories('per');
  await mainMap.refreshLayer('per');
  if (state.settings.layer === 'per') await load();
}

/** Applies new settings: values fetched again when the indicator, layer or territory changed, classes otherwise. */
export async function set(patch: Partial<Settings>) {
  const before = { ...state.settings };
  const next = { ...before, ...patch };
  if (next.layer !== before.layer || !mainMap.idsBy[next.layer]) {
    try {
      await mainMap.ensureLayer(next.layer);
    } catch (e) {
      state.error = t.map.noShapes(t.map.layers[next.layer] ?? next.layer, (e as Error).message);
      notify();
      return;
    }
  }
  if (next.method === 'manual' && !next.manual && state.classes) {
    const d = state.values?.indicator.decimals ?? 0;
    next.manual = state.classes.th.map((x) => x.toFixed(d)).join(' ; ');
  }
  state.settings = next;
  if (next.indicator !== before.indicator || next.layer !== before.layer || next.within !== before.within || !state.values) await load();
  else paint();
}

let loadSeq = 0;

async function load() {
  const s = state.settings;
  if (!s.indicator) return;
  const seq = ++loadSeq;
  legendBox.innerHTML = `<p>${esc(t.map.loading)}</p>`;
  try {
    const v = await api.values(s.indicator, s.layer, s.within);
    if (seq !== loadSeq) return;
    state.values = v;
    state.byKey = new Map(v.values.map((r) => [r.key, r]));
    paint();
  } catch (e) {
    state.error = t.error((e as Error).message);
    legendBox.innerHTML = `<p class="error">${esc(state.error)}</p>`;
    notify();
  }
}

/** Class thresholds and colours of a set of values with the chosen method (null: bad manual breaks). */
export function classify(values: ValueRow[], s: Settings = state.settings): Classes | null {
  const nums = values.map((v) => v.value).filter((v): v is number => v !== null);
  const th = breaks(s.method, nums, s.classes, s.manual);
  if (th === null) return null;
  const colors = palette(th.length + 1);
  const colorOf = new Map<string, string>();
  const counts = new Array(colors.length).fill(0);
  let missing = 0;
  for (const v of values) {
    if (v.value === null) {
      missing++;
      colorOf.set(v.key, MISSING_COLOR);
    } else {
      const c = classOf(v.value, th);
      counts[c]++;
      colorOf.set(v.key, colors[c]);
    }
  }
  return { th, colors, colorOf, counts, missing, nums };
}

/** "lo – hi" of each class (the first from the minimum, the last to the maximum), then n/d. */
export function classLabels(k: Classes, decimals: number): string[] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of k.nums) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  return k.colors.map((_, i) => {
    const lo = i === 0 ? min : k.th[i - 1];
    const hi = i === k.colors.length - 1 ? max : k.th[i];
    return `${fmt(lo, decimals)} – ${fmt(hi, decimals)}`;
  });
}

export function paint() {
  const v = state.values;
  const layer = state.settings.layer;
  if (!v || !mainMap.idsBy[layer]) return;
  const k = classify(v.values);
  if (k === null) {
    state.error = t.map.badManual;
    notify();
    return;
  }
  state.error = '';
  state.classes = k;
  mainMap.paint(layer, k.colorOf);
  renderLegend(v.indicator, k);
  notify();
}

function renderLegend(ind: Indicator, k: Classes) {
  const layer = state.settings.layer;
  const entries: LegendEntry[] = classLabels(k, ind.decimals).map((label, i) => ({
    color: k.colors[i],
    label: `${label} (${t.legend.count(k.counts[i], layer)})`,
  }));
  entries.push({ color: MISSING_COLOR, label: `${t.legend.missing} (${t.legend.count(k.missing, layer)})` });
  state.legend = entries;
  legendBox.innerHTML = `
    <h2 id="legend-title">${esc(ind.label)}</h2>
    <p class="unit">${esc(t.legend.unit)} : <span id="legend-unit">${esc(ind.unit)}</span></p>
    ${ind.synthetic ? `<p class="synthetic" id="legend-synthetic">${esc(t.legend.synthetic)}</p>` : ''}
    ${swatches(entries)}
    <p class="source" id="legend-source">${esc(t.legend.source)} : ${esc(ind.source ?? t.missing)}</p>
    <p class="source" id="legend-vintage">${esc(t.legend.vintage)} : ${esc(ind.vintage ?? t.missing)}</p>
    ${ind.secrecy ? `<p class="source" id="legend-secrecy">${esc(t.legend.secrecy(ind.secrecy))}</p>` : ''}
    <p class="source">${esc(t.map.shapesNote)}</p>`;
}

/** A legend list: a colour swatch (with a border that reads on any background) and its label. */
export function swatches(entries: LegendEntry[], cls = ''): string {
  return `<ul${cls ? ` class="${cls}"` : ''}>${entries
    .map((e) => `<li><span class="swatch" style="background:${e.color}" aria-hidden="true"></span>${esc(e.label)}</li>`)
    .join('')}</ul>`;
}

/** The name of the territory shown (France, a région, a département or a perimeter; else its key). */
export function withinName(): string {
  const w = state.settings.within;
  return w === FRANCE ? t.map.withinFrance : ([...state.regions, ...state.departements, ...state.perimeters].find((p) => p.key === w)?.name ?? w);
}

/** "Source (millésime …)" of an indicator. */
export function provenance(i: Indicator): string {
  return `${i.source ?? t.missing} (${t.legend.vintage.toLowerCase()} ${i.vintage ?? t.missing})`;
}
