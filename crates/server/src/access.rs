//! Access to services over HTTP (issue 6): per commune, the travel time to the
//! nearest facility of a set, on a stored road network or in straight line
//! (distance × detour factor at an average speed), and the population-weighted
//! diagnostics of a territory (mean, median, share beyond thresholds), all computed
//! by `echelle-access` as `echelle access nearest|diagnose` does.
//!
//! Facility sets are point files named at `serve` time (`--facilities NAME=PATH`,
//! repeatable), read once and kept: the France services file of 2021 is usable
//! without any import. Every answer states the method (road network or straight line
//! with its parameters) and the facilities' file and vintage.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use axum::Json;
use axum::extract::{Path, State};
use echelle_access::access::{self, AccessRun, Query as AccessQuery};
use echelle_access::diagnostics::{self, Weighted};
use echelle_access::points::{Fields, Point, read_points};
use echelle_access::straight::StraightLine;
use echelle_access::{AccessError, network, origins};
use echelle_referential::{Layer, Referential};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::extract::Query;
use crate::{ApiError, AppState};

type ApiResult = Result<Json<Value>, ApiError>;

/// Snap distance beyond which a point is left out on a road network, metres (the CLI's default).
const MAX_SNAP_M: f64 = 1000.0;

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::UnknownNetwork { .. } => ApiError::NotFound(e.to_string()),
            AccessError::Store(s) => s.into(),
            e if e.is_user_error() => ApiError::BadRequest(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

static SETS: OnceLock<RwLock<BTreeMap<String, PathBuf>>> = OnceLock::new();
static POINTS: OnceLock<Mutex<HashMap<String, Arc<Vec<Point>>>>> = OnceLock::new();
/// A run computed, with the method's description (`method_detail`).
type Cached = (Arc<AccessRun>, Value);
/// The runs computed, by (pack, set, method).
static RUNS: OnceLock<Mutex<HashMap<String, Cached>>> = OnceLock::new();

fn sets() -> &'static RwLock<BTreeMap<String, PathBuf>> {
    SETS.get_or_init(Default::default)
}

/// Makes a facility point file (GeoJSON or CSV) available under `name`
/// (`serve --facilities NAME=PATH`). The name is letters, digits, '-' and '_'.
pub fn register_facilities(name: &str, path: PathBuf) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(format!("facility set name '{name}': use letters, digits, '-' and '_'"));
    }
    if !path.is_file() {
        return Err(format!("facility set '{name}': no file {}", path.display()));
    }
    sets().write().map_err(|_| "facility sets poisoned".to_string())?.insert(name.to_string(), path);
    Ok(())
}

/// The vintage of a facility file, as its name states it (a four-digit year), if it does.
fn vintage(path: &std::path::Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    stem.split(|c: char| !c.is_ascii_digit())
        .find(|p| p.len() == 4 && (p.starts_with("19") || p.starts_with("20")))
        .map(str::to_string)
}

fn set_path(name: &str) -> Result<PathBuf, ApiError> {
    let all = sets().read().map_err(|_| ApiError::Internal("facility sets poisoned".into()))?;
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

/// The points of a set, read once; every point gets the set's name as its type (the
/// nearest facility of the set, whatever its own type).
fn points_of(name: &str) -> Result<(PathBuf, Arc<Vec<Point>>), ApiError> {
    let path = set_path(name)?;
    let cache = POINTS.get_or_init(Default::default);
    if let Some(p) = cache.lock().map_err(|_| ApiError::Internal("cache poisoned".into()))?.get(name) {
        return Ok((path, p.clone()));
    }
    let (mut pts, _rejected) = read_points(&path, &Fields::default())?;
    if pts.is_empty() {
        return Err(ApiError::BadRequest(format!(
            "facility set '{name}': no facility with coordinates in {}",
            path.display()
        )));
    }
    for p in &mut pts {
        p.kind = name.to_string();
    }
    let pts = Arc::new(pts);
    cache.lock().map_err(|_| ApiError::Internal("cache poisoned".into()))?.insert(name.to_string(), pts.clone());
    Ok((path, pts))
}

/// The facility file's description for every answer.
fn provenance(name: &str, path: &std::path::Path, count: usize) -> Value {
    json!({
        "name": name,
        "file": path.file_name().map(|f| f.to_string_lossy().to_string()),
        "vintage": vintage(path),
        "count": count,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeQuery {
    facilities: Option<String>,
    network: Option<String>,
    detour: Option<String>,
    speed: Option<String>,
    layer: Option<String>,
    within: Option<String>,
    thresholds: Option<String>,
}

/// The method asked: a network's name, or the straight-line model.
enum Method {
    Road(String),
    Straight(StraightLine),
}

fn number(name: &str, v: Option<&str>, default: f64) -> Result<f64, ApiError> {
    match v {
        None | Some("") => Ok(default),
        Some(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| ApiError::BadRequest(format!("{name}: not a number: '{s}'"))),
    }
}

fn method(q: &ModeQuery) -> Result<Method, ApiError> {
    match q.network.as_deref().filter(|n| !n.is_empty()) {
        Some(n) => {
            if q.detour.is_some() || q.speed.is_some() {
                return Err(ApiError::BadRequest(
                    "detour and speed are for the straight-line mode, not with network".into(),
                ));
            }
            network::check_name(n).map_err(|e| ApiError::BadRequest(e.to_string()))?;
            Ok(Method::Road(n.to_string()))
        }
        None => {
            let detour = number("detour", q.detour.as_deref(), 1.3)?;
            let speed = number("speed", q.speed.as_deref(), 40.0)?;
            Ok(Method::Straight(StraightLine::new(detour, speed).map_err(|e| ApiError::BadRequest(e.to_string()))?))
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
/// once per (pack, set, method).
async fn run(state: &AppState, set: &str, m: Method) -> Result<(Arc<AccessRun>, Value), ApiError> {
    let (path, pts) = points_of(set)?;
    let store = state.store()?;
    let root = store.root().to_path_buf();
    let key = match &m {
        Method::Road(n) => format!("{}|{set}|road|{n}", state.pack().display()),
        Method::Straight(s) => format!("{}|{set}|straight|{}|{}", state.pack().display(), s.detour, s.speed_kmh),
    };
    let prov = provenance(set, &path, pts.len());
    let cache = RUNS.get_or_init(Default::default);
    if let Some((r, detail)) = cache.lock().map_err(|_| ApiError::Internal("cache poisoned".into()))?.get(&key) {
        return Ok((r.clone(), json!({"detail": detail, "facilities": prov})));
    }
    let r = state.engine().referential().clone();
    let (run, detail) = tokio::task::spawn_blocking(move || -> Result<(AccessRun, Value), ApiError> {
        let (origins, _without) = origins::commune_centroids(&store, &r)?;
        let by_type = access::by_type(pts.as_ref().clone());
        let q = AccessQuery { k: 1, within_s: None, max_snap_m: MAX_SNAP_M };
        Ok(match m {
            Method::Road(n) => {
                let (g, info) = network::load(&root, &n)?;
                let h = network::load_hierarchy(&root, &n, &g)?;
                let synth = if info.synthetic { ", SYNTHETIC network" } else { "" };
                let label = format!("road network '{}' ({} profile{synth})", info.name, info.profile);
                // Whether the network is generated data travels with every answer, for the label on screen.
                let detail = json!({
                    "kind": "road",
                    "network": info.name,
                    "profile": info.profile,
                    "synthetic": info.synthetic,
                    "max_snap_m": MAX_SNAP_M,
                });
                (access::on_network(&g, h.as_ref(), label, origins, by_type, q), detail)
            }
            Method::Straight(s) => {
                let detail = json!({"kind": "straight_line", "detour": s.detour, "speed_kmh": s.speed_kmh});
                (access::straight_line(s, origins, by_type, q), detail)
            }
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let run = Arc::new(run);
    let mut c = cache.lock().map_err(|_| ApiError::Internal("cache poisoned".into()))?;
    if c.len() >= 32 {
        c.clear();
    }
    c.insert(key, (run.clone(), detail.clone()));
    Ok((run, json!({"detail": detail, "facilities": prov})))
}

fn origin_time(run: &AccessRun, o: usize) -> Option<(f64, f64)> {
    if run.origins[o].excluded.is_some() {
        return None;
    }
    run.types.first().and_then(|t| t.nearest[o].first()).map(|x| (x.time_s, x.distance_m))
}

/// `GET /api/access/facilities`: the facility sets and the stored road networks.
pub async fn facility_sets(State(state): State<AppState>) -> ApiResult {
    let all: Vec<(String, PathBuf)> = sets()
        .read()
        .map_err(|_| ApiError::Internal("poisoned".into()))?
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut out = Vec::new();
    for (name, path) in all {
        let (_, pts) = points_of(&name)?;
        out.push(provenance(&name, &path, pts.len()));
    }
    let store = state.store()?;
    let networks: Vec<Value> = network::list(store.root())?
        .into_iter()
        .map(|n| json!({"name": n.name, "profile": n.profile, "synthetic": n.synthetic, "source": n.source, "nodes": n.nodes}))
        .collect();
    Ok(Json(json!({
        "facilities": out,
        "networks": networks,
        "straight_line_defaults": {"detour": 1.3, "speed_kmh": 40.0},
        "thresholds_default_min": [7.0, 20.0],
    })))
}

/// `GET /api/access/times`: per commune (of `within`), minutes and km to the nearest
/// facility of the set, with the facilities themselves (points) and the method.
pub async fn times(State(state): State<AppState>, Query(q): Query<ModeQuery>) -> ApiResult {
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
    let m = method(&q)?;
    let r: Arc<Referential> = state.engine().referential().clone();
    let within = q.within.as_deref().filter(|w| !w.is_empty()).map(|w| r.resolve(w)).transpose()?;
    let (run, about) = run(&state, &set, m).await?;
    let members: Option<Vec<u32>> = within.as_ref().map(|w| r.members(w).map(|m| m.into_owned())).transpose()?;
    let codes: Option<std::collections::HashSet<&str>> =
        members.as_ref().map(|m| m.iter().map(|&i| r.communes()[i as usize].code.as_str()).collect());
    let mut communes = Vec::new();
    let mut origin_codes = std::collections::HashSet::new();
    for (o, placed) in run.origins.iter().enumerate() {
        let code = placed.point.id.as_str();
        if codes.as_ref().is_some_and(|c| !c.contains(code)) {
            continue;
        }
        origin_codes.insert(code);
        let t = origin_time(&run, o);
        communes.push(json!({
            "code": code,
            "name": placed.point.name,
            "population": placed.point.weight,
            "minutes": t.map(|x| x.0 / 60.0),
            "km": t.map(|x| x.1 / 1000.0),
            "excluded": placed.excluded,
        }));
    }
    let left_out: usize = match &codes {
        Some(c) => c.iter().filter(|c| !origin_codes.contains(*c)).count(),
        None => r.communes().len() - origin_codes.len(),
    };
    let fac: Vec<Value> = run
        .types
        .first()
        .map(|t| {
            t.facilities.iter().map(|(p, _)| json!({"id": p.id, "name": p.name, "lon": p.lon, "lat": p.lat})).collect()
        })
        .unwrap_or_default();
    Ok(Json(json!({
        "method": run.mode,
        "straight_line": run.straight_line,
        "method_detail": about["detail"],
        "facilities": about["facilities"],
        "within": within.map(|w| w.key()),
        "unit": "min",
        "origins": "commune contour centroids of the pack, weighted by municipal population",
        "communes": communes,
        "communes_left_out": left_out,
        "facility_points": fac,
    })))
}

fn thresholds(s: Option<&str>) -> Result<Vec<f64>, ApiError> {
    let s = s.filter(|s| !s.is_empty()).unwrap_or("7,20");
    let v = s
        .split(',')
        .map(|t| t.trim().parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0 && *x <= 1440.0))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| {
            ApiError::BadRequest(format!("thresholds: minutes separated by commas (0 to 1440), got '{s}'"))
        })?;
    if v.is_empty() || v.len() > 10 {
        return Err(ApiError::BadRequest("thresholds: one to ten values".into()));
    }
    Ok(v)
}

/// `GET /api/access/diagnose/{key}`: the territory and, with `layer`, each territory
/// of that layer inside it: population-weighted mean and median minutes, shares
/// beyond the thresholds, population without access, communes left out.
pub async fn diagnose(State(state): State<AppState>, Path(key): Path<String>, Query(q): Query<ModeQuery>) -> ApiResult {
    let set = facilities_name(&q)?;
    let th = thresholds(q.thresholds.as_deref())?;
    if q.within.is_some() {
        return Err(ApiError::BadRequest("within: the territory is the path's key; use layer= for its parts".into()));
    }
    let m = method(&q)?;
    let r: Arc<Referential> = state.engine().referential().clone();
    let t = r.resolve(&key)?;
    let mut territories = vec![t.clone()];
    if let Some(l) = q.layer.as_deref().filter(|l| !l.is_empty()) {
        let layer: Layer = l.parse()?;
        if matches!(layer, Layer::Iris | Layer::Country | Layer::Perimeter) {
            return Err(ApiError::BadRequest(format!(
                "layer '{l}': parts must be communes, EPCI, arrondissements, départements or régions"
            )));
        }
        let parts = r.territories_within(layer, Some(&t))?;
        if parts.len() > 2000 {
            return Err(ApiError::BadRequest(format!(
                "{} territories of layer '{l}' inside {key}: at most 2000",
                parts.len()
            )));
        }
        territories.extend(parts.into_iter().filter(|p| *p != t));
    }
    let (run, about) = run(&state, &set, m).await?;
    let index: HashMap<&str, usize> = run.origins.iter().enumerate().map(|(i, o)| (o.point.id.as_str(), i)).collect();
    let mut rows = Vec::new();
    for tref in &territories {
        let members = r.members(tref)?;
        let (mut used, mut missing, mut missing_pop) = (Vec::new(), 0usize, 0u64);
        for &mi in members.iter() {
            let c = &r.communes()[mi as usize];
            match index.get(c.code.as_str()) {
                Some(&o) if run.origins[o].excluded.is_none() => used.push(o),
                _ => {
                    missing += 1;
                    missing_pop += c.population.unwrap_or(0);
                }
            }
        }
        let values: Vec<Weighted> = used
            .iter()
            .map(|&o| Weighted {
                weight: run.origins[o].point.weight.unwrap_or(0.0),
                time_s: origin_time(&run, o).map(|x| x.0),
            })
            .collect();
        let s = diagnostics::summarize(&values, &th);
        rows.push(json!({
            "territory": tref.key(),
            "name": r.name(tref),
            "communes": used.len(),
            // + 0.0: a sum over no commune is -0.0, shown "-0".
            "population": s.population + 0.0,
            "mean_min": s.mean_min,
            "median_min": s.median_min,
            "beyond": s.beyond.iter().map(|(t, sh)| json!({"threshold_min": t, "share": sh})).collect::<Vec<_>>(),
            "unreached_population": s.unreached_population + 0.0,
            "communes_left_out": missing,
            "population_left_out": missing_pop,
        }));
    }
    Ok(Json(json!({
        "method": run.mode,
        "straight_line": run.straight_line,
        "method_detail": about["detail"],
        "facilities": about["facilities"],
        "thresholds_min": th,
        "unit": "min",
        "origins": "commune contour centroids of the pack, weighted by municipal population; communes without contour (or too far from a road) are left out and counted",
        "rows": rows,
    })))
}
