// The one client of the observatory's JSON API (see /api/openapi.json): every request
// the application makes goes through `call` or `fetchFile`, and every answer is typed
// from api/types.ts.

import type {
  AccessTimes,
  AccountInfo,
  AuditEntry,
  CaseLine,
  CaseView,
  Contact,
  DeskIndicators,
  DeskStep,
  Me,
  NewAccountRequest,
  Organisation,
  Diagnose,
  Distances,
  Exposure,
  GuaranteeCheck,
  Proposal,
  FacilitySets,
  FeatureIds,
  FlowLines,
  FlowMatrix,
  FlowSummary,
  Found,
  Indicator,
  Inflows,
  PerimeterBody,
  RetailChange,
  RetailInventory,
  RetailProjects,
  RetailShops,
  SavedPerimeter,
  ShapeCollection,
  PublicReceipt,
  SitingAnswer,
  StudyBody,
  StudyComment,
  StudyLine,
  StudyView,
  SharedStudy,
  Suggestion,
  SitingRequest,
  Table,
  TableBody,
  Telework,
  Territory,
  Values,
  Vulnerability,
} from './api/types';

export type * from './api/types';

/** An answer of the API other than 2xx: its `error` message, or the HTTP status; `status`
 *  tells a conflict (409) or a refusal apart. */
export class ApiError extends Error {
  status = 0;
}

async function failure(res: Response): Promise<ApiError> {
  const body = await res.json().catch(() => null);
  const e = new ApiError(body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`);
  e.status = res.status;
  return e;
}

/** The session's CSRF token (from /api/auth/me or the login), sent on every change: the
 *  server refuses a change authenticated by the session cookie without it. */
let csrf: string | null = null;

/** `fetch`, with the session's CSRF token in `X-CSRF-Token` on every request that changes something. */
function send(url: string, init?: RequestInit): Promise<Response> {
  const method = (init?.method ?? 'GET').toUpperCase();
  if (csrf && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
    const headers = new Headers(init?.headers);
    headers.set('x-csrf-token', csrf);
    init = { ...init, headers };
  }
  return fetch(url, init);
}

async function call<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await send(url, init);
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** A request answered without a body (204). */
async function done(url: string, init: RequestInit): Promise<void> {
  const res = await send(url, init);
  if (!res.ok) throw await failure(res);
}

const postJson = (body: unknown, method = 'POST'): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Who the page acts as; keeps the session's CSRF token for the requests that follow. */
async function me(): Promise<Me> {
  const m = await call<Me>('/api/auth/me');
  csrf = m.csrf ?? null;
  return m;
}

/** A file produced by the server (export endpoints): its bytes and the name it suggests. */
export async function fetchFile(url: string, init?: RequestInit): Promise<{ blob: Blob; filename: string | null }> {
  const res = await send(url, init);
  if (!res.ok) throw await failure(res);
  const cd = res.headers.get('content-disposition') ?? '';
  const m = cd.match(/filename\*=UTF-8''([^;]+)/i) ?? cd.match(/filename="?([^";]+)"?/i);
  return { blob: await res.blob(), filename: m ? decodeURIComponent(m[1]) : null };
}

/** A query string from parameters; undefined, null and empty values are left out. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`);
  return parts.length ? `?${parts.join('&')}` : '';
}

const q = encodeURIComponent;
const list = (keys: string[]) => (keys.length ? keys.join(',') : undefined);

/** The parameters of an access computation: a stored road network, or straight line × detour at a speed. */
export interface AccessMode {
  network: string;
  detour: number;
  speed: number;
}
const mode = (m: AccessMode) => (m.network ? { network: m.network } : { detour: m.detour, speed: m.speed });

export const exportUrls = {
  table: (format: string) => `/api/export/table${query({ format })}`,
  layer: (layer: string, within: string, indicators: string[], format: string) =>
    `/api/export/layer${query({ layer, within, indicators: indicators.join(','), format })}`,
  portraitPdf: (key: string, against: string[]) => `/api/portrait/${q(key)}/pdf${query({ against: list(against) })}`,
};

export const tileUrl = (layer: string, version = '') =>
  `${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt${version ? `?v=${version}` : ''}`;

export const api = {
  auth: {
    me,
    login: async (login: string, password: string) => {
      const m = await call<Me>('/api/auth/login', postJson({ login, password }));
      csrf = m.csrf ?? null;
      return m;
    },
    logout: async () => {
      await done('/api/auth/logout', { method: 'POST' });
      csrf = null;
    },
  },
  admin: {
    accounts: () => call<AccountInfo[]>('/api/admin/accounts'),
    addAccount: (a: NewAccountRequest) => call<AccountInfo>('/api/admin/accounts', postJson(a)),
    setDisabled: (login: string, disabled: boolean) =>
      call<AccountInfo>(`/api/admin/accounts/${q(login)}`, postJson({ disabled }, 'PATCH')),
    organisations: () => call<Organisation[]>('/api/admin/organisations'),
    addOrganisation: (o: Organisation) => call<Organisation>('/api/admin/organisations', postJson(o)),
    audit: (limit: number) => call<AuditEntry[]>(`/api/admin/audit${query({ limit })}`),
    auditCsvUrl: '/api/admin/audit.csv',
  },
  indicators: () => call<Indicator[]>('/api/indicators'),
  values: (indicator: string, layer: string, within?: string) => call<Values>(`/api/values${query({ indicator, layer, within })}`),
  featureIds: (layer: string, within?: string) => call<FeatureIds>(`/api/feature-ids${query({ layer, within })}`),
  shapes: (layer: string, within: string) => call<ShapeCollection>(`/api/shapes${query({ layer, within })}`),
  /** A territory against its references and `against`; the key indicators, or `indicators` when given. */
  portrait: (key: string, against: string[], indicators?: string[]) =>
    call<Table>(`/api/portrait/${q(key)}${query({ against: list(against), indicators: list(indicators ?? []) })}`),
  compare: (keys: string[]) => call<Table>(`/api/compare${query({ territories: keys.join(',') })}`),
  search: (text: string, limit: number) => call<Found[]>(`/api/search${query({ q: text, limit })}`),
  territories: (layer: string) => call<Territory[]>(`/api/territories${query({ layer })}`),
  members: (key: string) => call<Territory[]>(`/api/territory/${q(key)}/members`),
  savePerimeter: (p: PerimeterBody) => call<SavedPerimeter>('/api/perimeters', postJson(p)),
  exportTable: (format: string, body: TableBody) => fetchFile(exportUrls.table(format), postJson(body)),
  flows: {
    lines: (layer: string, within: string, min: number, secret: number) =>
      call<FlowLines>(`/api/flows/lines${query({ layer, within, min, secret_below: secret })}`),
    matrix: (layer: string, within: string, secret: number) =>
      call<FlowMatrix>(`/api/flows/matrix${query({ layer, within, secret_below: secret })}`),
    into: (target: string, from: string, secret: number) =>
      call<Inflows>(`/api/flows/into/${q(target)}${query({ from, secret_below: secret })}`),
    summary: (key: string, partners: string, top: number, secret: number) =>
      call<FlowSummary>(`/api/flows/summary/${q(key)}${query({ partners, top, secret_below: secret })}`),
    distances: (key: string) => call<Distances>(`/api/flows/distances/${q(key)}`),
    telework: (key: string, days: number, takeUp: number) =>
      call<Telework>(`/api/flows/telework/${q(key)}${query({ days, take_up: takeUp })}`),
    vulnerability: (key: string) => call<Vulnerability>(`/api/flows/vulnerability/${q(key)}`),
  },
  guarantees: {
    check: (p: Proposal) => call<GuaranteeCheck>('/api/guarantees/check', postJson(p)),
    exposure: (params: { territories?: string; layer?: string; within?: string }) =>
      call<Exposure[]>(`/api/guarantees/exposure${query(params)}`),
  },
  siting: {
    study: (q: SitingRequest) => call<SitingAnswer>('/api/siting/study', postJson(q)),
    /** The sites as a file (geojson, gpkg, csv, xlsx) stating model, optimum, bound and gap. */
    exportSites: (format: string, q: SitingRequest) => fetchFile(`/api/siting/export${query({ format })}`, postJson(q)),
  },
  retail: {
    inventory: (territory: string, date?: string, against?: string) =>
      call<RetailInventory>(`/api/retail/inventory${query({ territory, date, against })}`),
    change: (territory: string, from: string, to?: string) => call<RetailChange>(`/api/retail/change${query({ territory, from, to })}`),
    projects: (territory: string, date?: string) => call<RetailProjects>(`/api/retail/projects${query({ territory, date })}`),
    shops: (territory: string, date?: string) => call<RetailShops>(`/api/retail/shops${query({ territory, date })}`),
  },
  /** The engineering-requests desk. Submissions are multipart forms (fields and
   *  attachments), which the browser encodes with their boundary: no content type is set here. */
  desk: {
    submit: (form: FormData) => call<CaseView>('/api/desk/requests', { method: 'POST', body: form }),
    submitPublic: (form: FormData) => call<PublicReceipt>('/api/desk/public', { method: 'POST', body: form }),
    list: () => call<CaseLine[]>('/api/desk/requests'),
    get: (id: number) => call<CaseView>(`/api/desk/requests/${id}`),
    step: (id: number, step: DeskStep) => call<CaseView>(`/api/desk/requests/${id}/steps`, postJson(step)),
    suggestions: (id: number) => call<Suggestion[]>(`/api/desk/requests/${id}/suggestions`),
    attachmentUrl: (id: number, n: number) => `/api/desk/requests/${id}/attachments/${n}`,
    indicators: () => call<DeskIndicators>('/api/desk/indicators'),
    setContact: (email: string) => call<Contact>('/api/desk/contact', postJson({ email }, 'PUT')),
    /** A public requester's case, by the secret of its e-mail's link. */
    follow: {
      confirm: (secret: string) => call<CaseView>(`/api/desk/follow/${q(secret)}/confirm`, { method: 'POST' }),
      get: (secret: string) => call<CaseView>(`/api/desk/follow/${q(secret)}`),
      step: (secret: string, step: DeskStep) => call<CaseView>(`/api/desk/follow/${q(secret)}/steps`, postJson(step)),
    },
  },
  /** Shared studies: the list the viewer may see, one study (its link), its saves and comments. */
  studies: {
    list: () => call<StudyLine[]>('/api/studies'),
    get: (id: number) => call<StudyView>(`/api/studies/${id}`),
    create: (body: StudyBody) => call<StudyView>('/api/studies', postJson(body)),
    /** A new version: refused (409) when someone saved since `version`. */
    save: (id: number, body: StudyBody & { version: number }) => call<StudyView>(`/api/studies/${id}`, postJson(body, 'PUT')),
    version: (id: number, version: number) => call<SharedStudy>(`/api/studies/${id}/versions/${version}`),
    comment: (id: number, text: string) => call<StudyComment>(`/api/studies/${id}/comments`, postJson({ text })),
    reportUrl: (id: number) => `/api/studies/${id}/report`,
  },
  access: {
    facilities: () => call<FacilitySets>('/api/access/facilities'),
    times: (facilities: string, within: string, m: AccessMode) =>
      call<AccessTimes>(`/api/access/times${query({ facilities, layer: 'com', within, ...mode(m) })}`),
    diagnose: (key: string, facilities: string, layer: string, thresholds: number[], m: AccessMode) =>
      call<Diagnose>(`/api/access/diagnose/${q(key)}${query({ facilities, layer, thresholds: thresholds.join(','), ...mode(m) })}`),
  },
};
