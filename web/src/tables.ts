// Tables on screen and their export menu. Every table sits in a scroll container that
// fits its panel (reachable by keyboard, named after the table), has column headers
// (<th scope="col">) and, where rows have a name, row headers (<th scope="row">).

import { api } from './api';
import type { Evaluated, Table } from './api/types';
import { download, type ExportTable, toCsv } from './export';
import { esc, fmt, visibilityBadge } from './format';
import { t } from './i18n';

/** A table inside its scroll container; `head` and `body` are the rows' HTML. */
export function scrollTable(id: string, caption: string, head: string, body: string, cls = 'values'): string {
  return `<div class="tablewrap" tabindex="0" role="region" aria-labelledby="${id}-caption"><table id="${id}" class="${cls}">
    <caption id="${id}-caption">${esc(caption)}</caption>
    <thead>${head}</thead><tbody>${body}</tbody></table></div>`;
}

/** Column headers. */
export const headRow = (cells: { text: string; cls?: string; html?: string }[]) =>
  `<tr>${cells.map((c) => `<th scope="col"${c.cls ? ` class="${c.cls}"` : ''}>${c.html ?? esc(c.text)}</th>`).join('')}</tr>`;

/** A portrait or comparison: one row per indicator (with its source and vintage under it), one column per territory. */
export function indicatorTable(table: Table, id: string, caption: string): string {
  const cols = table.columns;
  const row = (i: Evaluated) => {
    const nums = i.values.filter((v): v is number => v !== null);
    const max = Math.max(...nums.map(Math.abs), 0);
    const cells = i.values
      .map((v, c) => {
        const [covered, units] = i.coverage[c] ?? [0, 0];
        if (i.secret?.[c]) return `<td class="num secret" title="${esc(t.secretTitle)}">${esc(t.secret)}</td>`;
        const bar = v !== null && max > 0 ? `<span class="bar" style="width:${Math.round((Math.abs(v) / max) * 100)}%"></span>` : '';
        return `<td class="num" title="${esc(t.portrait.coverage(covered, units))}">${fmt(v, i.decimals)}${bar}</td>`;
      })
      .join('');
    return `<tr data-indicator="${esc(i.id)}"><th scope="row">${esc(i.label)}${visibilityBadge(i.visibility)}${i.synthetic ? ` <em class="synthetic">${esc(t.legend.synthetic)}</em>` : ''}</th>
      <td>${esc(i.unit)}</td>${cells}</tr>
      <tr class="srcrow"><td colspan="${cols.length + 2}" class="src">${esc(t.legend.source)} : ${esc(i.source ?? t.missing)} — <span class="vintage">${esc(t.legend.vintage.toLowerCase())} ${esc(i.vintage ?? t.missing)}</span>${i.secrecy ? ` — <span class="secrecy">${esc(t.legend.secrecy(i.secrecy))}</span>` : ''}</td></tr>`;
  };
  const head = headRow([
    { text: t.portrait.indicator },
    { text: t.portrait.unit },
    ...cols.map((c) => ({ text: c.name, cls: 'num', html: `<a href="#/portrait/${esc(c.key.split('!')[0])}">${esc(c.name)}</a>` })),
  ]);
  return scrollTable(id, caption, head, table.indicators.map(row).join(''));
}

/** The export of a portrait or comparison: indicators by territories, with source, vintage and synthetic flag. */
export function indicatorExport(name: string, title: string, table: Table): ExportTable {
  const c = t.export.columns;
  return {
    name,
    title,
    source: t.export.tableSource,
    header: [c.indicator, c.unit, ...table.columns.map((x) => `${x.name} (${x.key})`), c.source, c.vintage, c.synthetic],
    rows: table.indicators.map((i) => [i.label, i.unit, ...i.values.map((v, c) => (i.secret?.[c] ? t.secret : v)), i.source, i.vintage, i.synthetic ? t.export.yes : t.export.no]),
  };
}

/** The export menu of the table on screen (one table per view): CSV here, XLSX and Parquet from the server. */
export function exportMenu(): string {
  return `<div class="exports" id="table-exports" role="group" aria-labelledby="table-exports-label"><span id="table-exports-label">${esc(t.export.table)}</span>
    <button type="button" id="export-csv-sheet">${esc(t.export.csvSheet)}</button>
    <button type="button" id="export-csv">${esc(t.export.csvPlain)}</button>
    <button type="button" id="export-xlsx">${esc(t.export.xlsx)}</button>
    <button type="button" id="export-parquet">${esc(t.export.parquet)}</button>
    <span id="export-status" class="error" role="status" hidden></span></div>`;
}

/** The table of the last view that showed an export menu (what a new study may keep). */
let lastShown: (() => ExportTable | null) | null = null;

/** The table the last view with an export menu shows now (null: none). */
export const lastTable = (): ExportTable | null => lastShown?.() ?? null;

/** Wires the export menu rendered inside `root` to the table `table()` gives at the time of the click. */
export function wireExports(root: HTMLElement, table: () => ExportTable | null) {
  lastShown = table;
  const button = (id: string) => root.querySelector<HTMLButtonElement>(`#${id}`);
  const status = root.querySelector<HTMLElement>('#export-status');
  if (!status) return;
  const csv = (spreadsheet: boolean) => () => {
    const tb = table();
    if (tb) download(`${tb.name}${spreadsheet ? '-tableur' : ''}.csv`, toCsv(tb, spreadsheet, t.missing, t.export.sourceLine(tb.source)));
  };
  const server = (format: string) => async () => {
    const tb = table();
    if (!tb) return;
    status.hidden = true;
    try {
      const { blob, filename } = await api.exportTable(format, { title: tb.title, source: tb.source, columns: tb.header, rows: tb.rows });
      download(filename ?? `${tb.name}.${format}`, blob);
    } catch (e) {
      status.hidden = false;
      status.textContent = t.export.failed((e as Error).message);
    }
  };
  button('export-csv-sheet')!.onclick = csv(true);
  button('export-csv')!.onclick = csv(false);
  button('export-xlsx')!.onclick = server('xlsx');
  button('export-parquet')!.onclick = server('parquet');
}
