// Charts drawn with Observable Plot (SVG in the page): the histogram of the mapped values
// with the class breaks, the portrait's bars against the references, the main partners
// of a territory's flows. Each is a <figure> with a caption, its SVG named for screen
// readers; the figures themselves are always in a table next to the chart.

import * as Plot from '@observablehq/plot';
import { classOf } from './classify';
import type { Evaluated, Partner } from './api/types';
import { fmt } from './format';
import { t } from './i18n';

const INK = '#1b1b1b';
const BAR = '#2f5d95';
const HIGHLIGHT = '#b2182b';

function figure(id: string, caption: string, svg: Element, description: string): HTMLElement {
  // Plot names each mark's <g> with aria-label, which ARIA forbids on an element without a
  // role (and a role="img" hides them anyway): the mark's name is kept as data-mark.
  for (const g of svg.querySelectorAll('[aria-label], [aria-description]')) {
    const name = g.getAttribute('aria-label');
    if (name) g.setAttribute('data-mark', name);
    g.removeAttribute('aria-label');
    g.removeAttribute('aria-description');
  }
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', description);
  const fig = document.createElement('figure');
  fig.className = 'chart';
  fig.id = id;
  const cap = document.createElement('figcaption');
  cap.textContent = caption;
  fig.append(cap, svg);
  return fig;
}

const frNumber = (decimals: number) => (v: number) => fmt(v, decimals);

/** Distribution of the values (bars coloured by the class of their first value) with a rule at each threshold. */
export function histogram(
  values: number[],
  thresholds: number[],
  colors: string[],
  opts: { label: string; unit: string; decimals: number; width: number },
): HTMLElement {
  const svg = Plot.plot({
    width: opts.width,
    height: 170,
    marginLeft: 48,
    marginBottom: 36,
    style: { color: INK, fontSize: '11px', background: 'transparent' },
    x: { label: `${opts.unit} →`, tickFormat: frNumber(opts.decimals), ticks: 6 },
    // Counts are whole: a tick between two (0.2 when a bin holds 1) is left unlabelled
    // rather than rounded to a repeated « 0 » or « 1 ».
    y: { label: `↑ ${t.charts.count}`, grid: true, tickFormat: (v: number) => (Number.isInteger(v) ? fmt(v, 0) : '') },
    marks: [
      Plot.rectY(
        values,
        Plot.binX<Plot.RectYOptions>(
          { y: 'count', fill: 'first' },
          { x: (v: number) => v, fill: (v: number) => colors[classOf(v, thresholds)], thresholds: 40, stroke: '#555', strokeWidth: 0.3 },
        ),
      ),
      Plot.ruleX(thresholds, { stroke: INK, strokeWidth: 1.5, strokeDasharray: '4,2' }),
      Plot.ruleY([0], { stroke: INK }),
    ],
  }) as Element;
  return figure(
    'values-histogram',
    t.charts.histogramTitle(opts.label),
    svg,
    t.charts.histogramAlt(values.length, thresholds.map((x) => fmt(x, opts.decimals)).join(' ; ')),
  );
}

/** One small bar chart per indicator: the territory (first column, highlighted) against its references. */
export function referenceBars(names: string[], indicators: Evaluated[], width: number): HTMLElement {
  const box = document.createElement('div');
  box.className = 'chart-grid';
  box.id = 'portrait-charts';
  for (const ind of indicators) {
    const rows = ind.values
      .map((v, i) => ({ name: names[i], value: v, first: i === 0 }))
      .filter((r): r is { name: string; value: number; first: boolean } => r.value !== null);
    if (rows.length === 0) continue;
    const svg = Plot.plot({
      width,
      height: 28 + rows.length * 22,
      marginLeft: Math.min(170, 8 + 6.2 * Math.max(...rows.map((r) => r.name.length))),
      marginRight: 64,
      style: { color: INK, fontSize: '11px', background: 'transparent' },
      x: { axis: null },
      y: { label: null, domain: rows.map((r) => r.name) },
      marks: [
        Plot.barX(rows, { x: 'value', y: 'name', fill: (r) => (r.first ? HIGHLIGHT : BAR) }),
        Plot.text(rows, { x: 'value', y: 'name', text: (r) => fmt(r.value, ind.decimals), dx: 4, textAnchor: 'start', fill: INK }),
        Plot.ruleX([0], { stroke: INK }),
      ],
    }) as Element;
    const alt = rows.map((r) => `${r.name} : ${fmt(r.value, ind.decimals)} ${ind.unit}`).join(' ; ');
    box.append(figure(`chart-${ind.id}`, `${ind.label} (${ind.unit})`, svg, alt));
  }
  return box;
}

/** The main destinations and origins of a territory's workers (secret counts left out and said so). */
export function partnersChart(destinations: Partner[], origins: Partner[], width: number): HTMLElement | null {
  const rows = [
    ...destinations.map((p) => ({ ...p, side: t.flows.destinations })),
    ...origins.map((p) => ({ ...p, side: t.flows.origins })),
  ].filter((p): p is typeof p & { workers: number } => !p.secret && p.workers !== null);
  if (rows.length === 0) return null;
  const longest = Math.max(...rows.map((r) => r.name.length));
  const svg = Plot.plot({
    width,
    height: 50 + rows.length * 22,
    marginLeft: Math.min(180, 8 + 6.2 * longest),
    marginRight: 60,
    style: { color: INK, fontSize: '11px', background: 'transparent' },
    x: { axis: null },
    y: { label: null },
    fy: { label: null },
    facet: { data: rows, y: 'side', marginRight: 60 },
    marks: [
      Plot.barX(rows, { x: 'workers', y: 'name', fill: BAR, sort: { y: '-x' } }),
      Plot.text(rows, { x: 'workers', y: 'name', text: (r) => fmt(r.workers, 0), dx: 4, textAnchor: 'start', fill: INK }),
      Plot.ruleX([0], { stroke: INK }),
    ],
  }) as Element;
  const alt = rows.map((r) => `${r.side} — ${r.name} : ${fmt(r.workers, 0)} ${t.flows.workers}`).join(' ; ');
  return figure('flows-partners-chart', t.charts.partnersTitle, svg, alt);
}
