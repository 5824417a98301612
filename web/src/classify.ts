// Class breaks for a choropleth: quantiles, equal intervals, Jenks natural breaks, manual.
// Each returns the inner thresholds (k classes → k-1 thresholds), ascending.

import { ckmeans, uniqueCountSorted } from 'simple-statistics';

export type Method = 'quantile' | 'equal' | 'jenks' | 'manual';

/** Quantile thresholds; with ties (many territories sharing a value) those that would leave
 *  a class empty are dropped, so fewer classes are drawn, each holding territories. */
export function quantileBreaks(sorted: number[], k: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < k; i++) {
    const pos = (i / k) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    out.push(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo));
  }
  return nonEmpty(sorted, dedupe(out));
}

/** The thresholds of `th` (ascending) that leave no class of `sorted` empty (see `classOf`): one
 *  at or below the first value, or with no value between it and the threshold kept before it,
 *  goes (a tied minimum would otherwise give an empty first class); so does the last one if
 *  no value reaches it. */
function nonEmpty(sorted: number[], th: number[]): number[] {
  const kept: number[] = [];
  let next = 0; // the first value not yet in a class
  for (const x of th) {
    let j = next;
    while (j < sorted.length && sorted[j] < x) j++;
    if (j > next) {
      kept.push(x);
      next = j;
    }
  }
  if (kept.length > 0 && next >= sorted.length) kept.pop();
  return kept;
}

export function equalBreaks(sorted: number[], k: number): number[] {
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  const out: number[] = [];
  for (let i = 1; i < k; i++) out.push(min + ((max - min) * i) / k);
  return dedupe(out);
}

/** Jenks natural breaks, exact on every value: the optimal 1-D k-means of Ckmeans.1d.dp
 *  (simple-statistics' `ckmeans`, O(k·n·log n)), thresholds at the first value of each
 *  class after the first. Fewer distinct values than classes give one class per value. */
export function jenksBreaks(sorted: number[], k: number): number[] {
  const distinct = uniqueCountSorted(sorted);
  if (distinct <= 1) return [];
  const clusters = ckmeans(sorted, Math.min(k, distinct));
  return dedupe(clusters.slice(1).map((c) => c[0]));
}

/** Thresholds typed by the user: numbers separated by ';' (decimal comma or point), strictly ascending. */
export function parseManual(text: string): number[] | null {
  const parts = text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length === 0) return null;
  const values = parts.map((s) => Number(s.replace(/\s/g, '').replace(',', '.')));
  if (values.some((v) => !Number.isFinite(v))) return null;
  for (let i = 1; i < values.length; i++) if (values[i] <= values[i - 1]) return null;
  return values;
}

export function breaks(method: Method, values: number[], k: number, manual: string): number[] | null {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (method === 'manual') return parseManual(manual);
  if (sorted.length === 0) return [];
  if (method === 'quantile') return quantileBreaks(sorted, k);
  if (method === 'equal') return equalBreaks(sorted, k);
  return jenksBreaks(sorted, k);
}

/** Index of the class of a value: thresholds t, class i holds t[i-1] ≤ v < t[i]. */
export function classOf(v: number, thresholds: number[]): number {
  let i = 0;
  while (i < thresholds.length && v >= thresholds[i]) i++;
  return i;
}

function dedupe(v: number[]): number[] {
  return v.filter((x, i) => i === 0 || x > v[i - 1]);
}

/** Sequential palette (ColorBrewer YlOrRd), picked for k classes. */
const PALETTE = ['#ffffb2', '#fed976', '#feb24c', '#fd8d3c', '#fc4e2a', '#e31a1c', '#b10026'];

export function palette(k: number): string[] {
  if (k <= 1) return [PALETTE[3]];
  return Array.from({ length: k }, (_, i) => PALETTE[Math.round((i * (PALETTE.length - 1)) / (k - 1))]);
}

export const MISSING_COLOR = '#d0d0d0';
