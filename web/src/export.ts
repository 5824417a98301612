// Exports: tables as CSV (spreadsheet variant: ';', decimal comma, UTF-8 BOM; plain: ',',
// decimal point), written here without a round trip; XLSX and Parquet come from the
// server (POST /api/export/table, same columns and source line). The map as PNG (the
// canvas) and as SVG (the visible shapes projected to screen pixels), both with their
// legend and source line.

export type Cell = string | number | null;

export interface ExportTable {
  /** File name, without extension. */
  name: string;
  /** Human title (the server derives its file name from it). */
  title: string;
  /** The source line, written as the last row ("Source : …"). */
  source: string;
  header: string[];
  rows: Cell[][];
}

function cell(v: Cell, sep: string, decimalComma: boolean, missing: string): string {
  let s: string;
  if (v === null) s = missing;
  else if (typeof v === 'number') s = decimalComma ? String(v).replace('.', ',') : String(v);
  else s = v;
  // Quoted only when needed (RFC 4180): the separator, a quote or a line break inside.
  return /["\n\r]/.test(s) || s.includes(sep) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(t: ExportTable, spreadsheet: boolean, missing: string, sourceLine: string): string {
  const sep = spreadsheet ? ';' : ',';
  const lines = [t.header, ...t.rows, [sourceLine]].map((r) => r.map((v) => cell(v, sep, spreadsheet, missing)).join(sep));
  return (spreadsheet ? '\ufeff' : '') + lines.join('\r\n') + '\r\n';
}

export function download(filename: string, data: Blob | string, type = 'text/csv;charset=utf-8') {
  const blob = typeof data === 'string' ? new Blob([data], { type }) : data;
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

export interface LegendEntry {
  color: string;
  label: string;
}

/** The map canvas with a legend box and the source line underneath, as a PNG blob. */
export async function mapPng(
  mapCanvas: HTMLCanvasElement,
  title: string,
  entries: LegendEntry[],
  sourceLines: string[],
): Promise<Blob> {
  const ratio = mapCanvas.width / mapCanvas.clientWidth || 1;
  const w = mapCanvas.width;
  const footer = Math.round((sourceLines.length * 18 + 16) * ratio);
  const c = document.createElement('canvas');
  c.width = w;
  c.height = mapCanvas.height + footer;
  const g = c.getContext('2d')!;
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(mapCanvas, 0, 0);
  g.scale(ratio, ratio);
  const lineH = 18;
  const boxW = 300;
  const boxH = 30 + entries.length * lineH;
  g.fillStyle = 'rgba(255,255,255,0.92)';
  g.fillRect(10, 10, boxW, boxH);
  g.strokeStyle = '#888';
  g.strokeRect(10, 10, boxW, boxH);
  g.fillStyle = '#111';
  g.font = 'bold 13px sans-serif';
  g.fillText(title, 18, 28, boxW - 16);
  g.font = '12px sans-serif';
  entries.forEach((e, i) => {
    const y = 38 + i * lineH;
    g.fillStyle = e.color;
    g.fillRect(18, y, 22, 13);
    g.strokeStyle = '#666';
    g.strokeRect(18, y, 22, 13);
    g.fillStyle = '#111';
    g.fillText(e.label, 48, y + 11, boxW - 44);
  });
  g.font = '12px sans-serif';
  sourceLines.forEach((s, i) => g.fillText(s, 10, mapCanvas.height / ratio + 20 + i * 18, w / ratio - 20));
  return await new Promise<Blob>((resolve, reject) =>
    c.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG'))), 'image/png'),
  );
}

/** One shape to draw: rings in screen pixels (first ring of each polygon exterior). */
export interface SvgShape {
  polygons: [number, number][][][];
  color: string;
  name: string;
}

function xml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function pathOf(polygons: [number, number][][][]): string {
  const parts: string[] = [];
  for (const poly of polygons)
    for (const ring of poly) {
      if (ring.length < 3) continue;
      parts.push('M' + ring.map(([x, y]) => `${x.toFixed(1)} ${y.toFixed(1)}`).join('L') + 'Z');
    }
  return parts.join('');
}

/** Splits a line into rows of at most `max` characters, at spaces; every row but the last keeps its trailing space. */
function wrap(line: string, max: number): string[] {
  const rows: string[] = [];
  let cur = '';
  for (const word of line.split(' ')) {
    if (cur && cur.length + word.length + 1 > max) {
      rows.push(cur + ' ');
      cur = word;
    } else cur = cur ? `${cur} ${word}` : word;
  }
  rows.push(cur);
  return rows;
}

/** The map as a standalone SVG document: shapes clipped to the map frame, legend box, source lines below. */
export function mapSvg(
  width: number,
  height: number,
  shapes: SvgShape[],
  title: string,
  entries: LegendEntry[],
  sourceLines: string[],
): string {
  const lineH = 18;
  // Source lines wrapped at the frame's width (about 6.6 px per character at 12 px).
  const wrapped = sourceLines.map((l) => wrap(l, Math.max(20, Math.floor((width - 20) / 6.6))));
  const footer = wrapped.flat().length * lineH + 16;
  const boxW = 300;
  const boxH = 30 + entries.length * lineH;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + footer}" viewBox="0 0 ${width} ${height + footer}" font-family="sans-serif">`,
  );
  out.push(`<title>${xml(title)}</title>`);
  out.push(`<defs><clipPath id="frame"><rect x="0" y="0" width="${width}" height="${height}"/></clipPath></defs>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height + footer}" fill="#ffffff"/>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#eef1f4"/>`);
  out.push('<g id="shapes" clip-path="url(#frame)" stroke="#777777" stroke-width="0.4" stroke-linejoin="round" fill-rule="evenodd">');
  for (const s of shapes) {
    const d = pathOf(s.polygons);
    if (d) out.push(`<path d="${d}" fill="${xml(s.color)}"><title>${xml(s.name)}</title></path>`);
  }
  out.push('</g>');
  out.push('<g id="legend">');
  out.push(`<rect x="10" y="10" width="${boxW}" height="${boxH}" fill="#ffffff" fill-opacity="0.92" stroke="#888888"/>`);
  out.push(`<text x="18" y="28" font-size="13" font-weight="bold" fill="#111111">${xml(title)}</text>`);
  entries.forEach((e, i) => {
    const y = 38 + i * lineH;
    out.push(`<rect x="18" y="${y}" width="22" height="13" fill="${xml(e.color)}" stroke="#666666"/>`);
    out.push(`<text x="48" y="${y + 11}" font-size="12" fill="#111111">${xml(e.label)}</text>`);
  });
  out.push('</g>');
  out.push('<g id="sources" font-size="12" fill="#111111">');
  // One <text> per source line (its text content is the whole line), one <tspan> per wrapped row.
  let row = 0;
  for (const parts of wrapped) {
    const spans = parts.map((p, i) => `<tspan x="10" y="${height + 20 + (row + i) * lineH}">${xml(p)}</tspan>`);
    out.push(`<text>${spans.join('')}</text>`);
    row += parts.length;
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
