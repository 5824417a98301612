//! Access to services over HTTP (issue 6): per commune, the travel time to the
//! nearest facility of a set, on a stored road network or in straight line
//! (distance × detour factor at an average speed), and the population-weighted
//! diagnostics of a territory (mean, median, share beyond thresholds), all computed
//! by `echelle-access` as `echelle access nearest|diagnose` does; the handlers parse,
//! call and answer.
//!
//! Facility sets are point files named at `serve` time (`--facilities NAME=PATH`,
//! repeatable), registered in the application state and read once: the France
//! services file of 2021 is usable without any import. Every answer states the
//! method (road network or straight line with its parameters, and its French label)
//! and the facilities' file and vintage.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use echelle_access::access::{self, AccessRun, Query as AccessQuery};
use echelle_access::compute::{self, Mode};
use echelle_access::engine::EngineChoice;
use echelle_access::facilities::{self, FacilitySet};
use echelle_access::method::Method;
use echelle_access::network::{self, NetworkSummary};
use echelle_access::origin_kind::OriginKind;
use echelle_access::points::Point;
use echelle_access::straight::StraightLine;
use echelle_access::territory::{self, CommuneTime, FacilityPoint, Members, TerritoryAccess};
use echelle_access::{AccessError, defaults};
use echelle_referential::{Layer, Referential};
use serde::{Deserialize, Serialize};

use crate::extract::Query;
use crate::visibility::Asker;
use crate::work::respond;
use crate::{ApiError, AppState};

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::UnknownNetwork { .. } => ApiError::NotFound(e.to_string()),
            AccessError::Store(s) => s.into(),
            AccessError::Referential(r) => r.into(),
            e if e.is_user_error() => ApiError::BadRequest(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

/// A run computed, by (pack, set, method).
type Runs = HashMap<String, Arc<AccessRun>>;

/// The facility sets offered and what was computed from them, owned by the
/// application state: the points and runs belong to one generation of the engine's
/// data (pack, datasets, indicators) and are dropped when it changes.
#[derive(Default)]
pub struct AccessCache {
    sets: RwLock<BTreeMap<String, PathBuf>>,
    computed: Mutex<Computed>,
}

/// Points and runs, with the generation of the engine's data they were computed under
/// (a perimeter change keeps them: they are per commune).
#[derive(Default)]
struct Computed {
    generation: u64,
    points: HashMap<String, Arc<Vec<Point>>>,
    runs: Runs,
}

/// At most this many runs are kept; beyond, the cache starts again.
const MAX_RUNS: usize = 32;

fn poisoned<T>(_: T) -> ApiError {
    ApiError::Internal("access cache poisoned".into())
}

impl AccessCache {
    /// The points and runs of `generation`: those of an earlier one (the store changed
    /// since) are dropped first.
    fn computed(&self, generation: u64) -> Result<std::sync::MutexGuard<'_, Computed>, ApiError> {
        let mut c = self.computed.lock().map_err(poisoned)?;
        if c.generation != generation {
            *c = Computed { generation, ..Default::default() };
        }
        Ok(c)
    }
}

impl AppState {
    /// Makes a facility point file (GeoJSON or CSV) available under `name`
    /// (`serve --facilities NAME=PATH`). The name is letters, digits, '-' and '_'.
    pub fn register_facilities(&self, name: &str, path: PathBuf) -> Result<(), ApiError> {
        facilities::check_set_name(name)?;
        if !path.is_file() {
            return Err(ApiError::BadRequest(format!("facility set '{name}': no file {}", path.display())));
        }
        self.access.sets.write().map_err(poisoned)?.insert(name.to_string(), path);
        Ok(())
    }

    pub(crate) fn facility_set_path(&self, name: &str) -> Result<PathBuf, ApiError> {
        let all = self.access.sets.read().map_err(poisoned)?;
        all.get(name).cloned().ok_or_else(|| {
            ApiError::NotFound(if all.is_empty() {
                format!(
                    "no facility set '{name}': none is configured (start the server with `echelle serve --facilities NAME=FILE.geojson`)"
                )
            } else {
                format!("no facility set '{name}'; known: {}", all.keys().cloned().collect::<Vec<_>>().join(", "))
            })
        })
    }

    /// The points of a set, read once per engine, and the set as answers state it.
    fn facility_points(&self, name: &str) -> Result<(FacilitySet, Arc<Vec<Point>>), ApiError> {
        let path = self.facility_set_path(name)?;
        let generation = self.generation();
        if let Some(p) = self.access.computed(generation)?.points.get(name) {
            return Ok((FacilitySet::new(name, &path, p.len()), p.clone()));
        }
        let pts = Arc::new(facilities::read_set(name, &path)?);
        self.access.computed(generation)?.points.insert(name.to_string(), pts.clone());
        Ok((FacilitySet::new(name, &path, pts.len()), pts))
    }
}

/// The query parameters of `/api/access/times` and `/api/access/diagnose/{key}`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ModeQuery {
    /// The facility set (see `/api/access/facilities`); required.
    facilities: Option<String>,
    /// A stored road network; without it, straight line.
    network: Option<String>,
    /// Straight line: detour factor (≥ 1, default 1.3).
    #[param(value_type = Option<f64>)]
    detour: Option<String>,
    /// Straight line: average speed, km/h (0 to 200, default 40).
    #[param(value_type = Option<f64>)]
    speed: Option<String>,
    /// Times: `com` only. Diagnose: the layer of the parts listed after the territory
    /// (`epci`, `arr`, `dep`, `reg`, `com`).
    #[param(value_type = Option<echelle_referential::Layer>)]
    layer: Option<String>,
    /// Times only: the territory whose communes are listed (`dep:62`).
    within: Option<String>,
    /// Diagnose only: thresholds in minutes separated by commas (default 7,20).
    thresholds: Option<String>,
}

fn number(name: &str, v: Option<&str>, default: f64) -> Result<f64, ApiError> {
    match v {
        None | Some("") => Ok(default),
        Some(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| {
            ApiError::BadRequest(format!("{name}: not a number: '{}'", s.chars().take(40).collect::<String>()))
        }),
    }
}

/// The mode asked: a network's name, or the straight-line model.
fn mode(q: &ModeQuery) -> Result<Mode, ApiError> {
    match q.network.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => {
            if q.detour.is_some() || q.speed.is_some() {
                return Err(ApiError::BadRequest(
                    "detour and speed are for the straight-line mode, not with network".into(),
                ));
            }
            network::check_name(n).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            Ok(Mode::Network { name: n.to_string(), engine: EngineChoice::Auto })
        }
        None => {
            let detour = number("detour", q.detour.as_deref(), defaults::DETOUR)?;
            let speed = number("speed", q.speed.as_deref(), defaults::SPEED_KMH)?;
            Ok(Mode::StraightLine(StraightLine::new(detour, speed).map_err(|e| ApiError::BadRequest(e.to_string()))?))
        }
    }
}

fn facilities_name(q: &ModeQuery) -> Result<String, ApiError> {
    q.facilities
        .clone()
        .filter(|f| !f.is_empty())
        .ok_or_else(|| ApiError::BadRequest("give facilities=NAME (see /api/access/facilities)".into()))
}

/// The nearest facility of the set for every commune centroid of the pack, computed
/// once per (pack, set, mode) and engine.
async fn run(state: &AppState, set: &str, m: Mode) -> Result<(Arc<AccessRun>, FacilitySet), ApiError> {
    let (about, pts) = state.facility_points(set)?;
    let generation = state.generation();
    let key = match &m {
        Mode::Network { name, .. } => format!("{}|{set}|road|{name}", state.pack().display()),
        Mode::StraightLine(s) => format!("{}|{set}|straight|{}|{}", state.pack().display(), s.detour, s.speed_kmh),
    };
    if let Some(r) = state.access.computed(generation)?.runs.get(&key) {
        return Ok((r.clone(), about));
    }
    let root = state.store()?.root().to_path_buf();
    let computed = tokio::task::spawn_blocking(move || {
        let q = AccessQuery { k: 1, within_s: None, max_snap_m: defaults::MAX_SNAP_M };
        compute::compute(&root, &m, &OriginKind::Communes, access::by_type(pts.as_ref().clone()), q)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let run = Arc::new(computed.run);
    let mut c = state.access.computed(generation)?;
    if c.runs.len() >= MAX_RUNS {
        c.runs.clear();
    }
    c.runs.insert(key, run.clone());
    Ok((run, about))
}

/// The straight-line mode's defaults.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StraightLineDefaults {
    pub detour: f64,
    pub speed_kmh: f64,
}

/// The facility sets offered and the stored road networks.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FacilitySets {
    pub facilities: Vec<FacilitySet>,
    pub networks: Vec<NetworkSummary>,
    pub straight_line_defaults: StraightLineDefaults,
    pub thresholds_default_min: Vec<f64>,
}

/// `GET /api/access/facilities`: the facility sets and the stored road networks.
#[utoipa::path(
    get,
    path = "/api/access/facilities",
    tag = "access",
    responses((status = 200, description = "Facility sets offered (serve --facilities NAME=PATH: file, vintage, count), the stored road networks and the defaults", body = FacilitySets))
)]
pub async fn facility_sets(State(state): State<AppState>) -> Result<Response, ApiError> {
    respond(state.clone(), async move {
        let names: Vec<String> = state.access.sets.read().map_err(poisoned)?.keys().cloned().collect();
        let facilities =
            names.iter().map(|n| state.facility_points(n).map(|(set, _)| set)).collect::<Result<_, _>>()?;
        let networks = network::list(state.store()?.root())?.into_iter().map(NetworkSummary::from).collect();
        Ok(Json(FacilitySets {
            facilities,
            networks,
            straight_line_defaults: StraightLineDefaults { detour: defaults::DETOUR, speed_kmh: defaults::SPEED_KMH },
            thresholds_default_min: defaults::THRESHOLDS_MIN.to_vec(),
        }))
    })
    .await
}

/// Per commune, minutes and km to the nearest facility of the set.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Times {
    /// The method as files and logs write it (`road network 'x' (car profile)`).
    pub method: String,
    /// The method's French label, as the screen shows it.
    pub method_label: String,
    pub straight_line: bool,
    pub method_detail: Method,
    pub facilities: FacilitySet,
    /// The territory whose communes are listed.
    pub within: Option<String>,
    /// Always `min`.
    pub unit: String,
    /// What the origins are.
    pub origins: String,
    pub communes: Vec<CommuneTime>,
    /// Communes of the territory without an origin (no contour in the pack).
    pub communes_left_out: usize,
    pub facility_points: Vec<FacilityPoint>,
}

/// `GET /api/access/times`: per commune (of `within`), minutes and km to the nearest
/// facility of the set, with the facilities themselves (points) and the method.
#[utoipa::path(
    get,
    path = "/api/access/times",
    tag = "access",
    params(ModeQuery),
    responses(
        (status = 200, description = "Per commune (inside within), minutes and km to the nearest facility of the set, with the facilities as points; states the method and the facilities' file and vintage", body = Times),
        (status = 400, description = "A parameter is missing or wrong"),
        (status = 404, description = "Unknown facility set, network or territory"),
    )
)]
pub async fn times(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<ModeQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let set = facilities_name(&q)?;
        if let Some(l) = q.layer.as_deref().filter(|l| !l.is_empty()) {
            let layer: Layer = l.parse()?;
            if layer != Layer::Commune {
                return Err(ApiError::BadRequest(format!("layer '{l}': times are per commune (layer=com)")));
            }
        }
        if q.thresholds.is_some() {
            return Err(ApiError::BadRequest("thresholds: only for /api/access/diagnose".into()));
        }
        let m = mode(&q)?;
        // A perimeter the viewer may not see is unknown.
        let r: Arc<Referential> = view.referential.clone();
        let within = q.within.as_deref().filter(|w| !w.is_empty()).map(|w| r.resolve(w)).transpose()?;
        let (run, about) = run(&state, &set, m).await?;
        let t = territory::commune_times(&run, &r, within.as_ref())?;
        Ok(Json(Times {
            method: run.mode.clone(),
            method_label: run.method.label_fr(),
            straight_line: run.straight_line,
            method_detail: run.method.clone(),
            facilities: about,
            within: within.map(|w| w.key()),
            unit: "min".into(),
            origins: territory::COMMUNE_ORIGINS.into(),
            communes: t.communes,
            communes_left_out: t.communes_left_out,
            facility_points: t.facility_points,
        }))
    })
    .await
}

/// The diagnostics of a territory and of its parts.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Diagnose {
    /// The method as files and logs write it.
    pub method: String,
    /// The method's French label, as the screen shows it.
    pub method_label: String,
    pub straight_line: bool,
    pub method_detail: Method,
    pub facilities: FacilitySet,
    pub thresholds_min: Vec<f64>,
    /// Always `min`.
    pub unit: String,
    /// What the origins are, and what is left out.
    pub origins: String,
    /// The territory first, then its parts.
    pub rows: Vec<TerritoryAccess>,
}

/// `GET /api/access/diagnose/{key}`: the territory and, with `layer`, each territory
/// of that layer inside it: population-weighted mean and median minutes, shares
/// beyond the thresholds, population without access, communes left out.
#[utoipa::path(
    get,
    path = "/api/access/diagnose/{key}",
    tag = "access",
    params(("key" = String, Path, description = "The territory (`dep:62`, `epci:200093201`, `per:NAME`…)"), ModeQuery),
    responses(
        (status = 200, description = "Access diagnostics of a territory (and of each territory of layer= inside it): population-weighted mean and median minutes, shares of the population beyond the thresholds, population without access, communes left out", body = Diagnose),
        (status = 400, description = "A parameter is missing or wrong"),
        (status = 404, description = "Unknown facility set, network or territory"),
    )
)]
pub async fn diagnose(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<ModeQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let set = facilities_name(&q)?;
        let th =
            defaults::parse_thresholds(q.thresholds.as_deref().unwrap_or_default()).map_err(ApiError::BadRequest)?;
        if q.within.is_some() {
            return Err(ApiError::BadRequest(
                "within: the territory is the path's key; use layer= for its parts".into(),
            ));
        }
        let m = mode(&q)?;
        // A perimeter the viewer may not see is unknown.
        let r: Arc<Referential> = view.referential.clone();
        let t = r.resolve(&key)?;
        let parts = q.layer.as_deref().filter(|l| !l.is_empty()).map(str::parse::<Layer>).transpose()?;
        let territories = territory::with_parts(&r, &t, parts)?;
        let (run, about) = run(&state, &set, m).await?;
        let rows = territory::diagnose(&run, &r, &territories, Members::Communes, &[], &th)?;
        Ok(Json(Diagnose {
            method: run.mode.clone(),
            method_label: run.method.label_fr(),
            straight_line: run.straight_line,
            method_detail: run.method.clone(),
            facilities: about,
            thresholds_min: th,
            unit: "min".into(),
            origins: territory::COMMUNE_ORIGINS_DIAGNOSE.into(),
            rows,
        }))
    })
    .await
}
