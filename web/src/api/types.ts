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
}

export interface ValueRow {
  key: string;
  name: string;
  value: number | null;
  units: number;
  covered: number;
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
}

/** GET /api/portrait/{key} and /api/compare: indicators (rows) by territories (columns). */
export interface Table {
  columns: Column[];
  indicators: Evaluated[];
  territory?: { key: string; name: string; layer: string; layer_label: string };
}

export type Bounds = [number, number, number, number];

/** GET /api/feature-ids */
export interface FeatureIds {
  bounds: Bounds;
  ids: Record<string, number>;
  maxzoom: number;
  source: string;
  vintage: string;
}

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

export interface ShapeFeature {
  properties: { key: string; name: string };
  geometry: { type: 'MultiPolygon'; coordinates: [number, number][][][] } | { type: 'Polygon'; coordinates: [number, number][][] };
}

/** GET /api/shapes */
export interface ShapeCollection {
  type: 'FeatureCollection';
  features: ShapeFeature[];
}

/** POST /api/perimeters */
export interface PerimeterBody {
  id: string;
  name: string;
  include: string[];
}
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

export interface Provenance {
  dataset: string;
  title: string;
  source: string;
  vintage: string;
  synthetic: boolean;
  detailed: boolean;
}

export interface FlowLine {
  origin: string;
  origin_name: string;
  dest: string;
  dest_name: string;
  workers: number;
  from: [number, number];
  to: [number, number];
}

export interface TerritoryTotals {
  key: string;
  name: string;
  position: [number, number] | null;
  residents_in_work: number | null;
  jobs_held: number | null;
  working_inside: number | null;
  outgoing: number | null;
  incoming: number | null;
  net_balance: number | null;
}

/** GET /api/flows/lines */
export interface FlowLines {
  layer: string;
  min: number;
  lines: FlowLine[];
  hidden: { below_min: number; secret: number; without_position: number; over_limit: number };
  territories: TerritoryTotals[];
  total: number;
  secrecy: { threshold: number; fragile_below: number };
  unit: string;
  provenance: Provenance;
}

export interface MatrixCell {
  origin: number;
  dest: number;
  origin_key: string;
  dest_key: string;
  workers: number | null;
  secret: boolean;
  fragile: boolean;
}

/** GET /api/flows/matrix */
export interface FlowMatrix {
  zones: { key: string; name: string; kind: string }[];
  cells: MatrixCell[];
  total: number;
  secret_cells: number;
  secrecy: { threshold: number };
  unit: string;
  provenance: Provenance;
}

/** GET /api/flows/into/{key} */
export interface Inflows {
  target: string;
  target_name: string;
  from: string;
  from_name: string;
  commuters_in: number | null;
  from_commuters: number | null;
  share: number | null;
  secret: boolean;
  unit: string;
  provenance: Provenance;
}

export interface Partner {
  key: string;
  name: string;
  workers: number | null;
  share: number | null;
  secret: boolean;
}

/** GET /api/flows/summary/{key} */
export interface FlowSummary {
  territory: string;
  name: string;
  residents_in_work: number | null;
  working_inside: number | null;
  outgoing: number | null;
  incoming: number | null;
  jobs_held: number | null;
  net_balance: number | null;
  self_containment: number | null;
  dependence: number | null;
  job_self_sufficiency: number | null;
  top_destinations: Partner[];
  top_origins: Partner[];
  partner_layer: string;
  unit: string;
  provenance: Provenance;
}

/** GET /api/flows/distances/{key} */
export interface Distances {
  method: string;
  params: { detour: number; intra_km: number; working_days: number; occupancy: number; rail_share: number };
  workers: number;
  workers_without_distance: number;
  mean_km: number | null;
  km_per_day: number;
  co2_t_per_year: number | null;
  by_mode: { mode: string; workers: number; km_per_day: number; co2_t_per_year: number | null }[];
  provenance: Provenance;
}

export interface IncomesProvenance {
  dataset: string;
  source: string;
  vintage: string;
  synthetic: boolean;
}

/** GET /api/flows/telework/{key} */
export interface Telework {
  params: { days: number; take_up: number; rebound: boolean };
  commuters: number;
  teleworkers: number;
  km_avoided_per_year: number;
  co2_avoided_t_per_year: number | null;
  money_saved_eur_per_year: number;
  vulnerable_pct_before: number | null;
  vulnerable_pct_after: number | null;
  method: string;
  flows: Provenance;
  incomes: IncomesProvenance | null;
}

/** GET /api/flows/vulnerability/{key} */
export interface Vulnerability {
  households: number;
  car_commuters: number;
  spending_per_household: number | null;
  effort_pct: number | null;
  vulnerable_pct: number | null;
  vulnerable_households: number;
  precarious_pct: number | null;
  params: { consumption: number; price: number; threshold: number };
  method: string;
  flows: Provenance;
  incomes: IncomesProvenance;
}

// ------------------------------------------------------------------ access

export interface FacilitySet {
  name: string;
  file: string | null;
  vintage: string | null;
  count: number;
}

/** GET /api/access/facilities */
export interface FacilitySets {
  facilities: FacilitySet[];
  networks: { name: string; profile: string; synthetic: boolean }[];
}

/** How times were computed: on a road network, or in straight line × detour at a speed. */
export interface MethodDetail {
  kind: 'road' | 'straight_line';
  network?: string;
  synthetic?: boolean;
  max_snap_m?: number;
  detour?: number;
  speed_kmh?: number;
}

/** GET /api/access/times */
export interface AccessTimes {
  method: string;
  method_detail: MethodDetail;
  facilities: FacilitySet;
  communes: { code: string; name: string | null; minutes: number | null; km: number | null; excluded: string | null }[];
  communes_left_out: number;
  facility_points: { id: string; name: string | null; lon: number; lat: number }[];
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

/** GET /api/access/diagnose/{key} */
export interface Diagnose {
  method: string;
  method_detail: MethodDetail;
  facilities: FacilitySet;
  thresholds_min: number[];
  rows: DiagnoseRow[];
}
