// The observatory's JSON API (see /api/openapi.json).

export interface Indicator {
  id: string;
  label: string;
  unit: string;
  theme: string | null;
  decimals: number;
  key: boolean;
  source: string | null;
  vintage: string | null;
  synthetic: boolean;
  available: boolean;
}

export interface ValueRow {
  key: string;
  name: string;
  value: number | null;
  units: number;
  covered: number;
}

export interface Values {
  indicator: Indicator;
  values: ValueRow[];
}

export interface Column {
  key: string;
  name: string;
}

export interface Evaluated extends Indicator {
  values: (number | null)[];
  coverage: [number, number][];
}

export interface Table {
  columns: Column[];
  indicators: Evaluated[];
  territory?: { key: string; name: string; layer: string; layer_label: string };
}

export interface FeatureIds {
  bounds: [number, number, number, number];
  ids: Record<string, number>;
  maxzoom: number;
  source: string;
  vintage: string;
}

export interface Found {
  key: string;
  name: string;
  layer: string;
  note: string | null;
}

export interface Territory {
  key: string;
  name: string;
  communes: number;
  population: number | null;
}

export interface ShapeFeature {
  properties: { key: string; name: string };
  geometry: { type: 'MultiPolygon'; coordinates: [number, number][][][] } | { type: 'Polygon'; coordinates: [number, number][][] };
}

export interface ShapeCollection {
  features: ShapeFeature[];
}

/** The body of POST /api/export/table. */
export interface TableBody {
  title: string;
  source: string;
  columns: string[];
  rows: (string | number | null)[][];
}

export class ApiError extends Error {}

/** A file produced by the server (export endpoints): its bytes and the name it suggests. */
export async function fetchFile(url: string, init?: RequestInit): Promise<{ blob: Blob; filename: string | null }> {
  const res = await fetch(url, init);
  if (!res.ok) {
    const body = await res.json().catch(() => null);
    throw new ApiError(body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`);
  }
  const cd = res.headers.get('content-disposition') ?? '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i) ?? cd.match(/filename="?([^";]+)"?/i);
  return { blob: await res.blob(), filename: m ? decodeURIComponent(m[1]) : null };
}

export const exportUrls = {
  table: (format: string) => `/api/export/table?format=${q(format)}`,
  layer: (layer: string, within: string, indicators: string[], format: string) =>
    `/api/export/layer?layer=${q(layer)}&within=${q(within)}&indicators=${q(indicators.join(','))}&format=${q(format)}`,
  portraitPdf: (key: string, against: string[]) =>
    `/api/portrait/${q(key)}/pdf${against.length ? `?against=${q(against.join(','))}` : ''}`,
};

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`);
  return body as T;
}

const q = encodeURIComponent;

export const api = {
  indicators: () => call<Indicator[]>('/api/indicators'),
  values: (indicator: string, layer: string, within?: string) =>
    call<Values>(`/api/values?indicator=${q(indicator)}&layer=${q(layer)}${within ? `&within=${q(within)}` : ''}`),
  featureIds: (layer: string) => call<FeatureIds>(`/api/feature-ids?layer=${q(layer)}`),
  shapes: (layer: string, within: string) =>
    call<ShapeCollection>(`/api/shapes?layer=${q(layer)}&within=${q(within)}`),
  portrait: (key: string, against: string[]) =>
    call<Table>(`/api/portrait/${q(key)}${against.length ? `?against=${q(against.join(','))}` : ''}`),
  compare: (keys: string[]) => call<Table>(`/api/compare?territories=${q(keys.join(','))}`),
  search: (text: string) => call<Found[]>(`/api/search?q=${q(text)}&limit=8`),
  territories: (layer: string) => call<Territory[]>(`/api/territories?layer=${q(layer)}`),
  members: (key: string) => call<Territory[]>(`/api/territory/${q(key)}/members`),
  savePerimeter: (p: { id: string; name: string; include: string[] }) =>
    call<{ key: string; communes: number; population: number | null }>('/api/perimeters', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(p),
    }),
};
