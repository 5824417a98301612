import type { components } from './schema';

/** The server's schemas, generated from its OpenAPI document (`npm run api-types`). */
type S = components['schemas'];

// The JSON the server answers, in one place. Every module imports its types from here,
// never declares its own copy. Shaped after the server's response types, so that this
// file can be replaced by one re-exporting the types generated from /api/openapi.json
// (`npm run api-types -- openapi.json` writes src/api/schema.d.ts).

/** An indicator as declared in the store: label, unit, source and vintage. */
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
  /** Who may see it: declared with it, else its dataset's. */
  visibility?: Visibility;
  /** The statistical secrecy its dataset declares, in French; null when none. */
  secrecy?: string | null;
}

export interface ValueRow {
  key: string;
  name: string;
  value: number | null;
  units: number;
  covered: number;
  /** Withheld by its dataset's statistical secrecy (value is then null). */
  secret?: boolean;
}

/** GET /api/values */
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
  /** One per column: withheld by its dataset's statistical secrecy. */
  secret?: boolean[];
}

/** GET /api/portrait/{key} and /api/compare: indicators (rows) by territories (columns). */
export interface Table {
  columns: Column[];
  indicators: Evaluated[];
  territory?: { key: string; name: string; layer: string; layer_label: string; visibility?: Visibility };
}

export type Bounds = [number, number, number, number];


/** GET /api/search */
export interface Found {
  key: string;
  name: string;
  layer: string;
  note: string | null;
}

/** GET /api/territories, /api/territory/{key}/members */
export interface Territory {
  key: string;
  name: string;
  communes: number;
  population: number | null;
}



/** POST /api/perimeters */
export interface PerimeterBody {
  id: string;
  name: string;
  include: string[];
  /** public, shared or private; by default private to the account's organisation. */
  visibility?: string;
  share_with?: string[];
}

/** Who may see a catalog object. */
export type Visibility =
  | { kind: 'public' }
  | { kind: 'shared'; owner: string; with: string[] }
  | { kind: 'private'; owner: string };
export interface SavedPerimeter {
  key: string;
  communes: number;
  population: number | null;
}

/** The body of POST /api/export/table. */
export interface TableBody {
  title: string;
  source: string;
  columns: string[];
  rows: (string | number | null)[][];
}

// ------------------------------------------------------------------ flows











export interface IncomesProvenance {
  dataset: string;
  source: string;
  vintage: string;
  synthetic: boolean;
}



// ------------------------------------------------------------------ access



/** How times were computed: on a road network, or in straight line × detour at a speed. */
export interface MethodDetail {
  kind: 'road' | 'straight_line';
  network?: string;
  synthetic?: boolean;
  max_snap_m?: number;
  detour?: number;
  speed_kmh?: number;
}


export interface DiagnoseRow {
  territory: string;
  name: string | null;
  communes: number;
  population: number;
  mean_min: number | null;
  median_min: number | null;
  beyond: { threshold_min: number; share: number }[];
  unreached_population: number;
  communes_left_out: number;
  population_left_out: number;
}

/** GET /api/feature-ids */
export interface FeatureIds {
  bounds: Bounds;
  ids: Record<string, number>;
  maxzoom: number;
  source: string;
  vintage: string;
}

/** GET /api/shapes */
export interface ShapeCollection {
  type: 'FeatureCollection';
  features: ShapeFeature[];
}

export interface ShapeFeature {
  properties: { key: string; name: string };
  geometry: { type: 'MultiPolygon'; coordinates: [number, number][][][] } | { type: 'Polygon'; coordinates: [number, number][][] };
}

// Generated from the server's OpenAPI document: these cannot drift from the Rust types.
// (Bounds and GeoJSON coordinates above stay hand-written: the document types them as
// plain arrays, the map library wants tuples.)
export type Provenance = S['Provenance'];
export type FlowLines = S['FlowMap'];
export type FlowLine = S['MapLine'];
export type TerritoryTotals = S['MapTerritory'];
export type MatrixCell = S['MatrixCell'];
export type FlowMatrix = S['Matrix'];
export type Inflows = S['Inflows'];
export type Partner = S['Partner'];
export type FlowSummary = S['Summary'];
export type Distances = S['DistanceReport'];
export type Telework = S['TeleworkResult'];
export type Vulnerability = S['Vulnerability'];
export type FacilitySet = S['FacilitySet'];
export type FacilitySets = S['FacilitySets'];
export type AccessTimes = S['Times'];
export type Diagnose = S['Diagnose'];

/** Loan guarantees (issue 16): the check before a vote, exposure by territory. */
export type Proposal = S['Proposal'];
export type GuaranteeCheck = S['Check'];
export type Exposure = S['Exposure'];
export type SitingRequest = S['StudyRequest'];
export type SitingAnswer = S['StudyAnswer'];

/** Large retail (issue 15): the inventory of a territory at a date, change, projects, shops. */
export type RetailInventory = S['RetailInventory'];
export type RetailChange = S['RetailChange'];
export type RetailProjects = S['RetailProjects'];
export type RetailShops = S['RetailShops'];
export type RetailShopPoint = S['RetailShopPoint'];
export type RetailFigure = S['RetailFigure'];
export type RetailReference = S['RetailReference'];

/** Accounts (issue 17): who is asking, accounts, organisations, tokens, the audit log. */
export type Me = S['Me'];
export type Viewer = S['Viewer'];
export type AccountInfo = S['Account'];
export type Organisation = S['Organisation'];
export type TokenInfo = S['TokenInfo'];
export type AuditEntry = S['AuditEntry'];
export type NewAccountRequest = S['NewAccountRequest'];

/** The engineering-requests desk (issue 18): lists, indicators, suggestions, the public
 *  form's receipt, one's contact address; generated from the server's schemas. */
export type CaseLine = S['CaseLine'];
export type Suggestion = S['Suggestion'];
export type DeskIndicators = S['DeskIndicators'];
export type DeskCell = S['Cell'];
export type PublicReceipt = S['PublicReceipt'];
export type Contact = S['Contact'];
export type AttachmentInfo = S['AttachmentInfo'];

/** Where a case is (echelle-desk's `Status`, tagged by `status`). */
export type DeskStatus =
  | { status: 'received' | 'closed' }
  | { status: 'routed'; to: string[] }
  | { status: 'accepted' | 'in_progress' | 'answered'; by: string }
  | { status: 'refused'; reason: string };

/** A step of a case (echelle-desk's `Step`, tagged by `step`): the body of
 *  POST …/steps, and a line of the history. */
export type DeskStep =
  | { step: 'route'; to: string[] }
  | { step: 'accept' | 'start' | 'close' }
  | { step: 'answer' | 'message'; text: string }
  | { step: 'refuse'; reason: string };

/** One line of a case's history: who took which step when, and the status after it (in French). */
export interface DeskEvent {
  at: number;
  who: string;
  step: DeskStep;
  status: string;
}

/** A request and what happened to it (echelle-desk's `Case`, which the OpenAPI document leaves untyped). */
export interface DeskCase {
  title: string;
  theme: string;
  territory: string;
  description: string;
  urgency: 'normal' | 'urgent';
  requester: string;
  status: DeskStatus;
  since: number;
  /** Every step, oldest first: the submission (a message holding the description) first. */
  history: DeskEvent[];
  reminded?: number | null;
}

/** A territory as the figures of a case name it. */
export interface DeskPlace {
  key: string;
  name: string | null;
  layer: string;
}

/** The territory's figures when the request was submitted: its portrait as /api/portrait answered then. */
export interface DeskFigures {
  territory: DeskPlace;
  references: DeskPlace[];
  portrait: Table | null;
  at: number;
}

/** GET /api/desk/requests/{id} and the answers of the steps: a case as its reader sees it. */
export type CaseView = Omit<S['CaseView'], 'case' | 'figures'> & { case: DeskCase; figures: DeskFigures | null };

/** Shared studies (issue 18): what a study holds, as its reader sees it, its list, versions
 *  and comments; generated from the server's schemas. The map's view state and the tables'
 *  cells, which the document leaves as objects, are typed here. */
export type StudyTable = Omit<S['SavedTable'], 'rows'> & { rows: (string | number | null)[][] };
export type SharedStudy = Omit<S['SharedStudy'], 'map' | 'tables'> & { map?: StudyMap | Record<string, never>; tables?: StudyTable[] };
export type StudyView = Omit<S['StudyView'], 'study'> & { study: SharedStudy };
export type StudyLine = S['StudyLine'];
export type StudyComment = S['StudyComment'];
export type VersionInfo = S['VersionInfo'];
/** The body of POST /api/studies and PUT /api/studies/{id} (PUT adds the version read). */
export type StudyBody = Omit<S['NewStudy'], 'study'> & { study: SharedStudy };

/** The map as a study saves it (opaque to the server): the screen's address and the camera. */
export interface StudyMap {
  /** The screen's fragment (`#/carte?indicateur=…`). */
  route: string;
  view: string;
  arg: string;
  params: Record<string, string>;
  center?: [number, number];
  zoom?: number;
}
