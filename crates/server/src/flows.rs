//! Commuting flows over HTTP (issue 5): lines between territories for flow maps,
//! origin–destination tables with statistical secrecy, a territory's balance, the
//! "commuters into T from F" question (METHODS.md §1, the MEL inflows) and commuting
//! distances. Every answer carries the library's provenance (dataset, source,
//! vintage, SYNTHETIC flag) and unit.
//!
//! The flows of a dataset are summed once (`Flows::load` scans the whole Parquet
//! file) and kept in memory per (pack, dataset as catalogued): a re-import changes
//! the catalog entry and so the key.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use axum::Json;
use axum::extract::{Path, State};
use echelle_mobility::distance::{self, DistanceParams, Positions};
use echelle_mobility::flows::{self, Flows};
use echelle_mobility::matrix::{self, By, Secrecy};
use echelle_mobility::telework::{self, TeleworkParams};
use echelle_mobility::vulnerability::{self, FuelParams, Incomes};
use echelle_mobility::{MobilityError, ZoneKind, Zones};
use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::{DatasetLevel, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::extract::Query;
use crate::{ApiError, AppState};

type ApiResult = Result<Json<Value>, ApiError>;

/// How to get flows into the store, for the 404 when there are none.
const HOW_TO_GET_FLOWS: &str = "no commuting flows in the store: import INSEE's detailed file \
     (`echelle import FD_MOBPRO_2021.csv`, from https://www.insee.fr/fr/statistiques/7630376) or the flows base, \
     or generate SYNTHETIC ones (`echelle synth mobpro --out mobpro.csv --import`)";

/// At most this many zones in a matrix or a line map (ask a frame with `within`).
const MAX_ZONES: usize = 5_000;

/// At most this many cells in a matrix answer (a JSON of some 100 MB).
const MAX_CELLS: usize = 500_000;

impl From<MobilityError> for ApiError {
    fn from(e: MobilityError) -> Self {
        match e {
            MobilityError::Referential(r) => r.into(),
            MobilityError::Store(s) => s.into(),
            e if e.is_user_error() => ApiError::BadRequest(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

type Cache = HashMap<String, Arc<Flows>>;
static LOADED: OnceLock<Mutex<Cache>> = OnceLock::new();
static POSITIONS: OnceLock<Mutex<HashMap<PathBuf, Arc<Positions>>>> = OnceLock::new();
static INCOMES: OnceLock<Mutex<HashMap<String, Arc<Incomes>>>> = OnceLock::new();

/// The flow dataset to use, as `flows::flow_dataset` chooses it, with a 404 telling
/// how to get one when the store has none (or not the one named).
fn dataset(store: &Store, id: Option<&str>) -> Result<echelle_store::Dataset, ApiError> {
    let all = store.catalog().datasets()?;
    if !all.iter().any(|d| d.level == DatasetLevel::Flow) {
        return Err(ApiError::NotFound(HOW_TO_GET_FLOWS.into()));
    }
    if let Some(id) = id
        && !all.iter().any(|d| d.id == id)
    {
        return Err(ApiError::NotFound(format!(
            "no dataset '{id}' in the store; flow datasets: {}",
            all.iter().filter(|d| d.level == DatasetLevel::Flow).map(|d| d.id.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(flows::flow_dataset(store, id)?)
}

/// The flows of a dataset, summed at first use and kept (off the async workers).
async fn load(state: &AppState, id: Option<&str>) -> Result<(Arc<Referential>, Arc<Flows>), ApiError> {
    let r = state.engine().referential().clone();
    let st = state.clone();
    let id = id.map(str::to_string);
    let rr = r.clone();
    let flows = tokio::task::spawn_blocking(move || -> Result<Arc<Flows>, ApiError> {
        let store = st.store()?;
        let d = dataset(&store, id.as_deref())?;
        let key = format!("{}|{:?}|{}", store.pack_dir()?.display(), d, rr.communes().len());
        // Held while loading: a second request for the same flows waits instead of scanning again.
        let mut cache = LOADED.get_or_init(Default::default).lock().expect("flows cache");
        if let Some(f) = cache.get(&key) {
            return Ok(f.clone());
        }
        let started = std::time::Instant::now();
        let f = Arc::new(Flows::load(&store, &rr, Some(&d.id))?);
        tracing::info!(dataset = %d.id, flows = f.flows.len(), seconds = started.elapsed().as_secs_f64(), "flows loaded");
        if cache.len() >= 4 {
            cache.clear();
        }
        cache.insert(key, f.clone());
        Ok(f)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok((r, flows))
}

fn secrecy(secret_below: Option<f64>) -> Result<Secrecy, ApiError> {
    let s = Secrecy { threshold: secret_below.unwrap_or(Secrecy::default().threshold), ..Secrecy::default() };
    s.validate()?;
    Ok(s)
}

/// A count shown unless secret (`None` then), by the same rule as the library's cells.
fn shown(s: &Secrecy, x: f64) -> Option<f64> {
    (x >= s.threshold || x == 0.0).then_some(x)
}

fn by(arg: Option<&str>) -> Result<By, ApiError> {
    match arg.unwrap_or("") {
        "" | "none" => Ok(By::Nothing),
        "trans" | "mode" => Ok(By::Mode),
        "cs1" | "group" => Ok(By::Group),
        other => Err(ApiError::BadRequest(format!("by={other}: expected trans (mode of transport) or cs1 (group)"))),
    }
}

fn zones(r: &Referential, layer: Option<&str>, list: Option<&str>, within: Option<&str>) -> Result<Zones, ApiError> {
    let within = within.map(|w| r.resolve(w)).transpose()?;
    let z = match (layer, list) {
        (Some(l), None) => Zones::layer(r, l.parse()?, within.as_ref())?,
        (None, Some(list)) => {
            let list = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|t| r.resolve(t))
                .collect::<Result<Vec<_>, _>>()?;
            if list.is_empty() {
                return Err(ApiError::BadRequest("zones=: give territories, comma-separated".into()));
            }
            Zones::of(r, &list, within.as_ref())?
        }
        _ => return Err(ApiError::BadRequest("give layer=… or zones=… (not both)".into())),
    };
    if z.len() > MAX_ZONES {
        return Err(ApiError::BadRequest(format!("{} zones: at most {MAX_ZONES}; narrow with within=…", z.len())));
    }
    Ok(z)
}

/// The flow datasets of the store with their provenance (404 when none).
pub async fn datasets(State(state): State<AppState>) -> ApiResult {
    let store = state.store()?;
    let mut out = Vec::new();
    for d in store.catalog().datasets()?.into_iter().filter(|d| d.level == DatasetLevel::Flow) {
        let p = flows::provenance(&d, &store.root().join(&d.path))?;
        out.push(json!({ "id": d.id, "provenance": p, "source_line": p.line() }));
    }
    if out.is_empty() {
        return Err(ApiError::NotFound(HOW_TO_GET_FLOWS.into()));
    }
    Ok(Json(json!(out)))
}

#[derive(Deserialize)]
pub struct LinesQuery {
    layer: String,
    within: Option<String>,
    /// Lines with fewer workers are not drawn (default: the secrecy threshold).
    min: Option<f64>,
    dataset: Option<String>,
    secret_below: Option<f64>,
    /// At most this many lines, largest first.
    limit: Option<usize>,
}

/// Lines between the territories of a layer (inside `within`), from each one's shape
/// centroid, with the in/out totals of every territory.
pub async fn lines(State(state): State<AppState>, Query(q): Query<LinesQuery>) -> ApiResult {
    let s = secrecy(q.secret_below)?;
    let min = q.min.unwrap_or(s.threshold);
    if !min.is_finite() || min < 0.0 {
        return Err(ApiError::BadRequest(format!("min={min}: a number of workers >= 0")));
    }
    let limit = q.limit.unwrap_or(2_000);
    if limit == 0 || limit > 50_000 {
        return Err(ApiError::BadRequest(format!("limit={limit}: between 1 and 50000")));
    }
    let layer: Layer = q.layer.parse()?;
    let engine = state.engine();
    let z = zones(engine.referential(), Some(&q.layer), None, q.within.as_deref())?;
    let (_, f) = load(&state, q.dataset.as_deref()).await?;
    let m = matrix::matrix(&f, &z, By::Nothing, s)?;
    // Workers living and working in each zone: the diagonal cell (0 when there is none,
    // `None` when the library made it secret).
    let mut intra: Vec<Option<f64>> = vec![Some(0.0); z.len()];
    for c in &m.cells {
        if c.origin == c.dest {
            intra[c.origin as usize] = c.workers;
        }
    }
    // Positions: the centroid of each territory's shape, where it has one.
    let shapes = crate::shapes::shaped_layer(&q.layer).ok().map(|_| crate::shapes::layer_shapes_async(&state, layer));
    let shapes = match shapes {
        Some(fut) => fut.await.ok(),
        None => None,
    };
    let pos: Vec<Option<[f64; 2]>> = z
        .zones
        .iter()
        .map(|info| {
            let code = info.key.split_once(':').map(|(_, c)| c)?;
            shapes.as_ref()?.get(code).and_then(centroid)
        })
        .collect();
    let mut candidates = Vec::new();
    let (mut below_min, mut secret, mut unplaced) = (0usize, 0usize, 0usize);
    for c in &m.cells {
        let (o, d) = (c.origin as usize, c.dest as usize);
        if o == d {
            continue;
        }
        if z.zones[o].kind != ZoneKind::Territory || z.zones[d].kind != ZoneKind::Territory {
            continue;
        }
        match c.workers {
            None => secret += 1,
            Some(w) if w < min => below_min += 1,
            Some(w) => match (pos[o], pos[d]) {
                (Some(a), Some(b)) => candidates.push((w, o, d, a, b)),
                _ => unplaced += 1,
            },
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let over_limit = candidates.len().saturating_sub(limit);
    candidates.truncate(limit);
    let lines: Vec<Value> = candidates
        .iter()
        .map(|&(w, o, d, a, b)| {
            json!({
                "origin": z.zones[o].key, "origin_name": z.zones[o].name,
                "dest": z.zones[d].key, "dest_name": z.zones[d].name,
                "workers": w, "from": a, "to": b,
            })
        })
        .collect();
    let territories: Vec<Value> = m
        .totals
        .iter()
        .enumerate()
        .filter(|(k, _)| z.zones[*k].kind == ZoneKind::Territory)
        .map(|(k, t)| {
            // Totals and the diagonal as the library shows them (secret ones `None`, with its
            // secondary suppression), so that no difference gives a secret cell away.
            let inside = intra[k];
            let out = t.residents_in_work.zip(inside).map(|(a, b)| a - b);
            let inc = t.jobs_held.zip(inside).map(|(a, b)| a - b);
            json!({
                "key": t.key, "name": t.name, "position": pos[k],
                "residents_in_work": t.residents_in_work,
                "jobs_held": t.jobs_held,
                "working_inside": inside,
                "outgoing": out,
                "incoming": inc,
                "net_balance": inc.zip(out).map(|(a, b)| a - b),
            })
        })
        .collect();
    Ok(Json(json!({
        "layer": layer.prefix(),
        "within": q.within,
        "min": min,
        "lines": lines,
        "hidden": { "below_min": below_min, "secret": secret, "without_position": unplaced, "over_limit": over_limit },
        "territories": territories,
        "position": "centroid of the territory's shape (union of its communes' contours, WGS84)",
        "total": m.total,
        "secrecy": m.secrecy,
        "unit": m.unit,
        "provenance": m.provenance,
        "source_line": m.provenance.line(),
    })))
}

/// The centroid (lon, lat) of a shape: area-weighted over its polygons.
fn centroid(s: &crate::shapes::Shape) -> Option<[f64; 2]> {
    use geo::Centroid;
    let polys: Vec<geo::Polygon<f64>> = s
        .lonlat
        .iter()
        .filter(|rings| !rings.is_empty())
        .map(|rings| {
            let line = |r: &Vec<[f64; 2]>| geo::LineString::from(r.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>());
            geo::Polygon::new(line(&rings[0]), rings[1..].iter().map(line).collect())
        })
        .collect();
    let c = geo::MultiPolygon::new(polys).centroid()?;
    Some([c.x(), c.y()])
}

#[derive(Deserialize)]
pub struct MatrixQuery {
    layer: Option<String>,
    zones: Option<String>,
    within: Option<String>,
    by: Option<String>,
    dataset: Option<String>,
    secret_below: Option<f64>,
}

/// The origin–destination matrix between the territories of a layer (or zones named),
/// secret cells without count.
pub async fn matrix_table(State(state): State<AppState>, Query(q): Query<MatrixQuery>) -> ApiResult {
    let s = secrecy(q.secret_below)?;
    let by = by(q.by.as_deref())?;
    let engine = state.engine();
    let z = zones(engine.referential(), q.layer.as_deref(), q.zones.as_deref(), q.within.as_deref())?;
    let (_, f) = load(&state, q.dataset.as_deref()).await?;
    let m = matrix::matrix(&f, &z, by, s)?;
    if m.cells.len() > MAX_CELLS {
        return Err(ApiError::BadRequest(format!(
            "{} cells: at most {MAX_CELLS} in one answer; narrow with within=…, a coarser layer or without by=",
            m.cells.len()
        )));
    }
    let mut v = serde_json::to_value(&m).map_err(|e| ApiError::Internal(e.to_string()))?;
    v["source_line"] = json!(m.provenance.line());
    Ok(Json(v))
}

#[derive(Deserialize)]
pub struct SummaryQuery {
    partners: Option<String>,
    top: Option<usize>,
    dataset: Option<String>,
    secret_below: Option<f64>,
}

/// A territory's commuting balance with its main destinations and origins.
pub async fn summary(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<SummaryQuery>,
) -> ApiResult {
    let s = secrecy(q.secret_below)?;
    let top = q.top.unwrap_or(10);
    if top == 0 || top > 200 {
        return Err(ApiError::BadRequest(format!("top={top}: between 1 and 200")));
    }
    let engine = state.engine();
    let t = engine.referential().resolve(&key)?;
    let partners: Layer = q.partners.as_deref().unwrap_or("com").parse()?;
    if partners == Layer::Iris {
        return Err(ApiError::BadRequest("partners=iris: flows are known commune to commune".into()));
    }
    let (r, f) = load(&state, q.dataset.as_deref()).await?;
    let sum = matrix::summary(&f, &r, &t, partners, top, s)?;
    let mut v = serde_json::to_value(&sum).map_err(|e| ApiError::Internal(e.to_string()))?;
    // The balance figures under the secrecy rule, like the partners' cells.
    for k in ["residents_in_work", "working_inside", "outgoing", "incoming", "jobs_held"] {
        let x = v[k].as_f64().unwrap_or(0.0);
        if shown(&s, x).is_none() {
            v[k] = Value::Null;
            v["secret"][k] = json!(true);
        }
    }
    if v.get("secret").is_some() {
        v["net_balance"] = Value::Null;
    }
    v["source_line"] = json!(sum.provenance.line());
    Ok(Json(v))
}

#[derive(Deserialize)]
pub struct IntoQuery {
    from: String,
    dataset: Option<String>,
    secret_below: Option<f64>,
}

/// Workers commuting into a territory and the share living in another
/// (`/api/flows/into/per:mel?from=per:bassin-minier`, METHODS.md §1).
pub async fn into(State(state): State<AppState>, Path(key): Path<String>, Query(q): Query<IntoQuery>) -> ApiResult {
    let s = secrecy(q.secret_below)?;
    let engine = state.engine();
    let r = engine.referential();
    let (target, from) = (r.resolve(&key)?, r.resolve(&q.from)?);
    check_commune_layer(&target)?;
    check_commune_layer(&from)?;
    let (r, f) = load(&state, q.dataset.as_deref()).await?;
    let i = matrix::inflows(&f, &r, &target, &from)?;
    let mut v = serde_json::to_value(&i).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Counts under the threshold are secret, and so is a share computed from one.
    let all = shown(&s, i.commuters_in);
    let part = shown(&s, i.from_commuters);
    v["commuters_in"] = json!(all);
    v["from_commuters"] = json!(part);
    if all.is_none() || part.is_none() {
        v["share"] = Value::Null;
        v["secret"] = json!(true);
    } else {
        v["secret"] = json!(false);
    }
    v["secrecy"] = json!(s);
    v["source_line"] = json!(i.provenance.line());
    Ok(Json(v))
}

fn check_commune_layer(t: &TerritoryRef) -> Result<(), ApiError> {
    if t.layer == Layer::Iris {
        return Err(ApiError::BadRequest(format!("{t}: flows are known commune to commune, not by IRIS")));
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct DistancesQuery {
    dataset: Option<String>,
    detour: Option<f64>,
    intra_km: Option<f64>,
    working_days: Option<f64>,
    occupancy: Option<f64>,
    rail_share: Option<f64>,
}

/// Commuting distances, km per day and CO2 per year of a territory's residents.
pub async fn distances(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<DistancesQuery>,
) -> ApiResult {
    let d = DistanceParams::default();
    let p = DistanceParams {
        detour: q.detour.unwrap_or(d.detour),
        intra_km: q.intra_km.unwrap_or(d.intra_km),
        working_days: q.working_days.unwrap_or(d.working_days),
        occupancy: q.occupancy.unwrap_or(d.occupancy),
        rail_share: q.rail_share.unwrap_or(d.rail_share),
        ..d
    };
    p.validate()?;
    let engine = state.engine();
    let t = engine.referential().resolve(&key)?;
    check_commune_layer(&t)?;
    let (r, f) = load(&state, q.dataset.as_deref()).await?;
    let pos = positions(&state, &r).await?;
    let rep = distance::distances(&f, &r, &pos, Some(&t), &p)?;
    let mut v = serde_json::to_value(&rep).map_err(|e| ApiError::Internal(e.to_string()))?;
    v["source_line"] = json!(rep.provenance.line());
    Ok(Json(v))
}

/// The commune positions of the pack (centroids of the contours), read once.
async fn positions(state: &AppState, r: &Arc<Referential>) -> Result<Arc<Positions>, ApiError> {
    let st = state.clone();
    let rr = r.clone();
    tokio::task::spawn_blocking(move || -> Result<Arc<Positions>, ApiError> {
        let store = st.store()?;
        let pack = store.pack_dir()?;
        let mut cache = POSITIONS.get_or_init(Default::default).lock().expect("positions cache");
        if let Some(p) = cache.get(&pack) {
            return Ok(p.clone());
        }
        let p = Arc::new(Positions::from_store(&store, &rr)?);
        cache.insert(pack, p.clone());
        Ok(p)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// The Filosofi incomes of the store (`dataset`, or the only one), read once per catalog state.
async fn incomes(state: &AppState, r: &Arc<Referential>, dataset: Option<&str>) -> Result<Arc<Incomes>, ApiError> {
    let st = state.clone();
    let rr = r.clone();
    let id = dataset.map(str::to_string);
    tokio::task::spawn_blocking(move || -> Result<Arc<Incomes>, ApiError> {
        let store = st.store()?;
        let key = format!("{}|{:?}|{:?}", store.pack_dir()?.display(), id, store.catalog().datasets()?);
        let mut cache = INCOMES.get_or_init(Default::default).lock().expect("incomes cache");
        if let Some(i) = cache.get(&key) {
            return Ok(i.clone());
        }
        let i = Arc::new(Incomes::load(&store, &rr, id.as_deref()).map_err(|e| match e {
            MobilityError::Usage(m) => ApiError::NotFound(m),
            e => e.into(),
        })?);
        if cache.len() >= 4 {
            cache.clear();
        }
        cache.insert(key, i.clone());
        Ok(i)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

#[derive(Deserialize)]
pub struct VulnerabilityQuery {
    dataset: Option<String>,
    incomes: Option<String>,
    consumption: Option<f64>,
    price: Option<f64>,
    threshold: Option<f64>,
    /// Telework days a week (telework endpoint).
    days: Option<f64>,
    /// Share of teleworkable commuters who telework (telework endpoint).
    take_up: Option<f64>,
    rebound: Option<bool>,
}

impl VulnerabilityQuery {
    fn fuel(&self) -> Result<FuelParams, ApiError> {
        let d = FuelParams::default();
        let p = FuelParams {
            consumption: self.consumption.unwrap_or(d.consumption),
            price: self.price.unwrap_or(d.price),
            threshold: self.threshold.unwrap_or(d.threshold),
            ..d
        };
        p.validate()?;
        Ok(p)
    }
}

/// Energy vulnerability of a territory's households from car commuting (fuel spending
/// against Filosofi incomes), with its parameters.
pub async fn vulnerability_of(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<VulnerabilityQuery>,
) -> ApiResult {
    let p = q.fuel()?;
    let engine = state.engine();
    let t = engine.referential().resolve(&key)?;
    check_commune_layer(&t)?;
    let (r, f) = load(&state, q.dataset.as_deref()).await?;
    let inc = incomes(&state, &r, q.incomes.as_deref()).await?;
    let pos = positions(&state, &r).await?;
    let v = vulnerability::vulnerability(&f, &inc, &r, &pos, &t, &p)?;
    let mut out = serde_json::to_value(&v).map_err(|e| ApiError::Internal(e.to_string()))?;
    out["source_line"] = json!(v.flows.line());
    Ok(Json(out))
}

/// A telework scenario for a territory's residents: km, CO2 and money avoided (and
/// vulnerable households before and after when the store has incomes).
pub async fn telework_of(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<VulnerabilityQuery>,
) -> ApiResult {
    let d = TeleworkParams::default();
    let p = TeleworkParams {
        days: q.days.unwrap_or(d.days),
        take_up: q.take_up.unwrap_or(d.take_up),
        rebound: q.rebound.unwrap_or(d.rebound),
        fuel: q.fuel()?,
    };
    p.validate()?;
    let engine = state.engine();
    let t = engine.referential().resolve(&key)?;
    check_commune_layer(&t)?;
    let (r, f) = load(&state, q.dataset.as_deref()).await?;
    let inc = incomes(&state, &r, q.incomes.as_deref()).await.ok();
    let pos = positions(&state, &r).await?;
    let res = telework::telework(&f, inc.as_deref(), &r, &pos, &t, &p)?;
    let mut out = serde_json::to_value(&res).map_err(|e| ApiError::Internal(e.to_string()))?;
    out["source_line"] = json!(res.flows.line());
    out["incomes"] = json!(inc.map(|i| i.source.clone()));
    Ok(Json(out))
}
