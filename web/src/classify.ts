// Class breaks for a choropleth: quantiles, equal intervals, Jenks natural breaks, manual.
// Each returns the inner thresholds (k classes → k-1 thresholds), ascending.

export type Method = 'quantile' | 'equal' | 'jenks' | 'manual';

export function quantileBreaks(sorted: number[], k: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < k; i++) {
    const pos = (i / k) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    out.push(sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo));
  }
  return dedupe(out);
}

export function equalBreaks(sorted: number[], k: number): number[] {
  const min = sorted[0];
  const max = sorted[sorted.length - 1];
  const out: number[] = [];
  for (let i = 1; i < k; i++) out.push(min + ((max - min) * i) / k);
  return dedupe(out);
}

/** Fisher–Jenks optimal breaks (minimum within-class variance), on at most 2000 sampled values. */
export function jenksBreaks(sorted: number[], k: number): number[] {
  let data = sorted;
  if (data.length > 2000) {
    const step = data.length / 2000;
    data = Array.from({ length: 2000 }, (_, i) => sorted[Math.floor(i * step)]);
    data[data.length - 1] = sorted[sorted.length - 1];
  }
  const n = data.length;
  if (n <= k) return dedupe(data.slice(1));
  const lower: Int32Array[] = [];
  const variance: Float64Array[] = [];
  for (let i = 0; i <= n; i++) {
    lower.push(new Int32Array(k + 1));
    variance.push(new Float64Array(k + 1).fill(i === 0 ? 0 : Infinity));
  }
  for (let j = 1; j <= k; j++) {
    lower[1][j] = 1;
    variance[1][j] = 0;
  }
  for (let l = 2; l <= n; l++) {
    let s1 = 0;
    let s2 = 0;
    let w = 0;
    let v = 0;
    for (let m = 1; m <= l; m++) {
      const i3 = l - m + 1;
      const val = data[i3 - 1];
      s2 += val * val;
      s1 += val;
      w += 1;
      v = s2 - (s1 * s1) / w;
      const i4 = i3 - 1;
      if (i4 !== 0) {
        for (let j = 2; j <= k; j++) {
          if (variance[l][j] >= v + variance[i4][j - 1]) {
            lower[l][j] = i3;
            variance[l][j] = v + variance[i4][j - 1];
          }
        }
      }
    }
    lower[l][1] = 1;
    variance[l][1] = v;
  }
  const breaks: number[] = [];
  let kk = n;
  for (let j = k; j >= 2; j--) {
    const idx = lower[kk][j] - 1;
    breaks.unshift(data[idx]);
    kk = idx;
  }
  return dedupe(breaks);
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
