// Exports: tables as CSV (spreadsheet variant: ';', decimal comma, UTF-8 BOM; plain: ',',
// decimal point) and the map as PNG with its legend and source line.

export type Cell = string | number | null;

export interface ExportTable {
  name: string;
  header: string[];
  rows: Cell[][];
}

function cell(v: Cell, sep: string, decimalComma: boolean, missing: string): string {
  let s: string;
  if (v === null) s = missing;
  else if (typeof v === 'number') s = decimalComma ? String(v).replace('.', ',') : String(v);
  else s = v;
  return /[";,\n\r]/.test(s) || s.includes(sep) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(t: ExportTable, spreadsheet: boolean, missing: string): string {
  const sep = spreadsheet ? ';' : ',';
  const lines = [t.header, ...t.rows].map((r) => r.map((v) => cell(v, sep, spreadsheet, missing)).join(sep));
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
