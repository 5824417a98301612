//! Commuting flows over HTTP (issue 5): lines between territories for flow maps,
//! origin–destination tables, a territory's balance, the "commuters into T from F"
//! question (METHODS.md §1, the MEL inflows), distances, energy vulnerability and
//! telework. The handlers parse, call echelle-mobility and return its answers as they
//! are: every figure, secrecy included, is the library's.
//!
//! The flows of a dataset are summed once (`Flows::load` scans the whole Parquet
//! file) and kept in the application state's [`FlowsCache`], dropped when the store
//! changes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use echelle_mobility::distance::{self, DistanceParams, DistanceReport, Positions};
use echelle_mobility::flows::{self, FlowDataset, Flows};
use echelle_mobility::map::{self, FlowMap, MapParams};
use echelle_mobility::matrix::{self, By, Inflows, Matrix, Summary};
use echelle_mobility::telework::{self, TeleworkParams, TeleworkResult};
use echelle_mobility::vulnerability::{self, FuelParams, Incomes, Vulnerability};
use echelle_mobility::{MobilityError, Secrecy, Zones};
use echelle_referential::{Layer, Referential};
use echelle_store::{DatasetLevel, Store};
use serde::Deserialize;

use crate::extract::Query;
use crate::visibility::Asker;
use crate::visibility::View;
use crate::work::respond;
use crate::{ApiError, AppState};

/// How to get flows into the store, for the 404 when there are none.
const HOW_TO_GET_FLOWS: &str = "no commuting flows in the store: import INSEE's detailed file \
     (`echelle import FD_MOBPRO_2021.csv`, from https://www.insee.fr/fr/statistiques/7630376) or the flows base, \
     or generate SYNTHETIC ones (`echelle synth mobpro --out mobpro.csv --import`)";

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

/// What the flows endpoints keep between requests: summed flows per (pack, dataset
/// as catalogued), the communes' positions per pack, incomes per catalog state. One
/// value of the application state, emptied when the store changes.
#[derive(Default)]
pub struct FlowsCache {
    flows: Mutex<HashMap<String, Arc<Flows>>>,
    positions: Mutex<HashMap<PathBuf, Arc<Positions>>>,
    incomes: Mutex<HashMap<String, Arc<Incomes>>>,
}

impl FlowsCache {
    /// Drops everything kept (the store changed).
    pub fn clear(&self) {
        self.flows.lock().expect("flows cache").clear();
        self.positions.lock().expect("positions cache").clear();
        self.incomes.lock().expect("incomes cache").clear();
    }
}

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

/// The flows of a dataset, summed at first use and kept (off the async workers), and
/// the secrecy rule they get for a client's threshold (never weaker than declared).
async fn load(
    state: &AppState,
    view: &View,
    id: Option<&str>,
    secret_below: Option<f64>,
) -> Result<(Arc<Referential>, Arc<Flows>, Secrecy), ApiError> {
    let r = view.referential.clone();
    let st = state.clone();
    let id = id.map(str::to_string);
    let rr = r.clone();
    let store = view.store(state)?;
    let (flows, read) = tokio::task::spawn_blocking(move || -> Result<(Arc<Flows>, String), ApiError> {
        let d = dataset(&store, id.as_deref())?;
        let key = format!("{}|{:?}|{}", store.pack_dir()?.display(), d, rr.communes().len());
        // Held while loading: a second request for the same flows waits instead of scanning again.
        let mut cache = st.flows.flows.lock().expect("flows cache");
        if let Some(f) = cache.get(&key) {
            return Ok((f.clone(), d.id));
        }
        let started = std::time::Instant::now();
        let f = Arc::new(Flows::load(&store, &rr, Some(&d.id))?);
        tracing::info!(dataset = %d.id, flows = f.flows.len(), seconds = started.elapsed().as_secs_f64(), "flows loaded");
        if cache.len() >= 4 {
            cache.clear();
        }
        cache.insert(key, f.clone());
        Ok((f, d.id))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    view.read_dataset(&read, "flux domicile-travail");
    let secrecy = Secrecy::declared(&flows.provenance, secret_below)?;
    Ok((r, flows, secrecy))
}

/// The commune positions of the pack (centroids of the contours), read once.
async fn positions(state: &AppState, r: &Arc<Referential>) -> Result<Arc<Positions>, ApiError> {
    let st = state.clone();
    let rr = r.clone();
    tokio::task::spawn_blocking(move || -> Result<Arc<Positions>, ApiError> {
        let store = st.store()?;
        let pack = store.pack_dir()?;
        let mut cache = st.flows.positions.lock().expect("positions cache");
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
async fn incomes(
    state: &AppState,
    view: &View,
    r: &Arc<Referential>,
    dataset: Option<&str>,
) -> Result<Arc<Incomes>, ApiError> {
    let st = state.clone();
    let rr = r.clone();
    let id = dataset.map(str::to_string);
    let store = view.store(state)?;
    let incomes = tokio::task::spawn_blocking(move || -> Result<Arc<Incomes>, ApiError> {
        let key = format!("{}|{:?}|{:?}", store.pack_dir()?.display(), id, store.catalog().datasets()?);
        let mut cache = st.flows.incomes.lock().expect("incomes cache");
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
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    view.read_dataset(&incomes.source.dataset, "revenus (Filosofi)");
    Ok(incomes)
}

/// The zones asked for, at most [`echelle_mobility::zones::MAX_ZONES`].
fn zones(r: &Referential, layer: Option<&str>, list: Option<&str>, within: Option<&str>) -> Result<Zones, ApiError> {
    let list: Vec<String> = list.map(|l| l.split(',').map(str::to_string).collect()).unwrap_or_default();
    if layer.is_none() && list.iter().all(|s| s.trim().is_empty()) {
        return Err(ApiError::BadRequest("give layer=… or zones=… (not both)".into()));
    }
    let z = Zones::parse(r, layer, &list, within)?;
    z.check_size()?;
    Ok(z)
}

/// The flow datasets of the store with their provenance (404 when none).
#[utoipa::path(
    get,
    path = "/api/flows/datasets",
    tag = "flows",
    responses(
        (status = 200, description = "Jeux de flux domicile-travail du magasin", body = Vec<FlowDataset>),
        (status = 404, description = "Aucun flux dans le magasin"),
    )
)]
pub async fn datasets(State(state): State<AppState>, viewer: Asker) -> Result<Json<Vec<FlowDataset>>, ApiError> {
    let view = state.view_of(&viewer);
    let out = flows::datasets(&view.store(&state)?)?;
    if out.is_empty() {
        return Err(ApiError::NotFound(HOW_TO_GET_FLOWS.into()));
    }
    Ok(Json(out))
}

/// Which flows, and below which count they are secret: the parameters of every flows answer.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlowSource {
    /// The flow dataset (default: the only one).
    dataset: Option<String>,
    /// Counts under this many workers are secret (default and least: the dataset's declared 11; any for synthetic flows).
    secret_below: Option<f64>,
}

/// Parameters of a flow map.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LinesQuery {
    /// Layer of the territories (`com`, `epci`, `dep`…).
    #[param(value_type = echelle_referential::Layer)]
    layer: String,
    /// Frame: only territories inside it (e.g. `dep:59`).
    within: Option<String>,
    /// Lines with fewer workers are not drawn (default: the secrecy threshold).
    min: Option<f64>,
    /// At most this many lines, largest first (default 2000).
    limit: Option<usize>,
}

/// Lines between the territories of a layer (inside `within`), from each one's
/// position (the mean of its communes' centroids, as the CLI places them), with the in/out totals of every territory.
#[utoipa::path(
    get,
    path = "/api/flows/lines",
    tag = "flows",
    params(LinesQuery, FlowSource),
    responses(
        (status = 200, description = "Carte de flux d'une couche", body = FlowMap),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Aucun flux dans le magasin"),
    )
)]
pub async fn lines(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<LinesQuery>,
    Query(source): Query<FlowSource>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let layer: Layer = q.layer.parse()?;
        let z = zones(&view.referential, Some(&q.layer), None, q.within.as_deref())?;
        let (r, f, secrecy) = load(&state, &view, source.dataset.as_deref(), source.secret_below).await?;
        let p = MapParams { min: q.min, limit: q.limit.unwrap_or(map::LINES_LIMIT), secrecy };
        p.validate()?;
        let pos = positions(&state, &r).await?;
        Ok(Json(map::flow_map(&f, &z, layer.prefix(), q.within.as_deref(), &pos, &p)?))
    })
    .await
}

/// Parameters of an origin–destination matrix.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatrixQuery {
    /// Layer of the zones (`com`, `epci`, `dep`, `per`…); or give `zones`.
    #[param(value_type = Option<echelle_referential::Layer>)]
    layer: Option<String>,
    /// Zones, comma-separated, which must not overlap (e.g. `per:mel,per:bassin-minier`).
    zones: Option<String>,
    /// Frame: only territories inside it; the rest of the frame is one zone.
    within: Option<String>,
    /// Break cells down by `mode` (TRANS) or `group` (CS1).
    by: Option<String>,
}

/// The origin–destination matrix between the territories of a layer (or zones named),
/// secret cells without count.
#[utoipa::path(
    get,
    path = "/api/flows/matrix",
    tag = "flows",
    params(MatrixQuery, FlowSource),
    responses(
        (status = 200, description = "Matrice origine–destination, secret statistique appliqué", body = Matrix),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Aucun flux dans le magasin"),
    )
)]
pub async fn matrix_table(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<MatrixQuery>,
    Query(source): Query<FlowSource>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let by: By = q.by.as_deref().unwrap_or("").parse()?;
        let z = zones(&view.referential, q.layer.as_deref(), q.zones.as_deref(), q.within.as_deref())?;
        let (_, f, secrecy) = load(&state, &view, source.dataset.as_deref(), source.secret_below).await?;
        Ok(Json(matrix::matrix(&f, &z, by, secrecy)?))
    })
    .await
}

/// Parameters of a territory's balance.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Layer of the main destinations and origins (default `com`).
    partners: Option<String>,
    /// How many of each (default 10, at most 200).
    top: Option<usize>,
}

/// A territory's commuting balance with its main destinations and origins.
#[utoipa::path(
    get,
    path = "/api/flows/summary/{key}",
    tag = "flows",
    params(("key" = String, Path, description = "Territoire (com:59350, epci:…, per:mel…)"), SummaryQuery, FlowSource),
    responses(
        (status = 200, description = "Bilan des navettes d'un territoire", body = Summary),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Territoire inconnu ou aucun flux"),
    )
)]
pub async fn summary(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<SummaryQuery>,
    Query(source): Query<FlowSource>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let t = view.referential.resolve(&key)?;
        let partners: Layer = q.partners.as_deref().unwrap_or(Layer::Commune.prefix()).parse()?;
        let top = q.top.unwrap_or(matrix::TOP_PARTNERS);
        let (r, f, secrecy) = load(&state, &view, source.dataset.as_deref(), source.secret_below).await?;
        Ok(Json(matrix::summary(&f, &r, &t, partners, top, secrecy)?))
    })
    .await
}

/// Parameters of inflows.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IntoQuery {
    /// Where the commuters live (e.g. `per:bassin-minier`).
    from: String,
}

/// Workers commuting into a territory and the share living in another
/// (`/api/flows/into/per:mel?from=per:bassin-minier`, METHODS.md §1).
#[utoipa::path(
    get,
    path = "/api/flows/into/{key}",
    tag = "flows",
    params(("key" = String, Path, description = "Territoire de travail"), IntoQuery, FlowSource),
    responses(
        (status = 200, description = "Entrants et part venant d'un autre territoire", body = Inflows),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Territoire inconnu ou aucun flux"),
    )
)]
pub async fn into(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<IntoQuery>,
    Query(source): Query<FlowSource>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let r = &view.referential;
        let (target, from) = (r.resolve(&key)?, r.resolve(&q.from)?);
        let (r, f, secrecy) = load(&state, &view, source.dataset.as_deref(), source.secret_below).await?;
        Ok(Json(matrix::inflows(&f, &r, &target, &from, secrecy)?))
    })
    .await
}

/// Parameters of distances.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DistancesQuery {
    /// The flow dataset (default: the only one).
    dataset: Option<String>,
    /// Road km per straight-line km (default 1.3).
    detour: Option<f64>,
    /// One-way km of a trip inside one commune (default 1).
    intra_km: Option<f64>,
    /// Commuting days per year (default 220).
    working_days: Option<f64>,
    /// People per car (default 1).
    occupancy: Option<f64>,
    /// Share of public-transport km by regional train (default 0.5).
    rail_share: Option<f64>,
    /// Counts under this many workers are secret (default and least: the dataset's declared 11; any for synthetic flows).
    secret_below: Option<f64>,
}

impl DistancesQuery {
    fn params(&self) -> DistanceParams {
        let d = DistanceParams::default();
        DistanceParams {
            detour: self.detour.unwrap_or(d.detour),
            intra_km: self.intra_km.unwrap_or(d.intra_km),
            working_days: self.working_days.unwrap_or(d.working_days),
            occupancy: self.occupancy.unwrap_or(d.occupancy),
            rail_share: self.rail_share.unwrap_or(d.rail_share),
            ..d
        }
    }
}

/// Commuting distances, km per day and CO2 per year of a territory's residents.
#[utoipa::path(
    get,
    path = "/api/flows/distances/{key}",
    tag = "flows",
    params(("key" = String, Path, description = "Territoire de résidence"), DistancesQuery),
    responses(
        (status = 200, description = "Distances domicile-travail, km et CO2", body = DistanceReport),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Territoire inconnu ou aucun flux"),
    )
)]
pub async fn distances(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<DistancesQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let p = q.params();
        p.validate()?;
        let t = view.referential.resolve(&key)?;
        let (r, f, secrecy) = load(&state, &view, q.dataset.as_deref(), q.secret_below).await?;
        let pos = positions(&state, &r).await?;
        Ok(Json(distance::distances(&f, &r, &pos, Some(&t), &p, secrecy)?))
    })
    .await
}

/// Parameters of vulnerability and telework.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VulnerabilityQuery {
    /// The flow dataset (default: the only one).
    dataset: Option<String>,
    /// The Filosofi dataset (default: the only one).
    incomes: Option<String>,
    /// Car consumption, L/100 km (default 6.5).
    consumption: Option<f64>,
    /// Fuel price, €/L (default 1.80).
    price: Option<f64>,
    /// Effort above which a household is vulnerable, share of income (default 0.045).
    threshold: Option<f64>,
    /// Telework days a week (telework endpoint, default 2).
    days: Option<f64>,
    /// Share of teleworkable commuters who telework (telework endpoint, default 0.5).
    take_up: Option<f64>,
    /// Apply ADEME's rebound effect (telework endpoint).
    rebound: Option<bool>,
    /// Counts under this many people are secret (default 11).
    secret_below: Option<f64>,
}

impl VulnerabilityQuery {
    fn fuel(&self, secrecy: Secrecy) -> Result<FuelParams, ApiError> {
        let d = FuelParams::default();
        let p = FuelParams {
            consumption: self.consumption.unwrap_or(d.consumption),
            price: self.price.unwrap_or(d.price),
            threshold: self.threshold.unwrap_or(d.threshold),
            secrecy,
            ..d
        };
        p.validate()?;
        Ok(p)
    }
}

/// Energy vulnerability of a territory's households from car commuting (fuel spending
/// against Filosofi incomes), with its parameters.
#[utoipa::path(
    get,
    path = "/api/flows/vulnerability/{key}",
    tag = "flows",
    params(("key" = String, Path, description = "Territoire"), VulnerabilityQuery),
    responses(
        (status = 200, description = "Vulnérabilité énergétique liée aux navettes en voiture", body = Vulnerability),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Territoire inconnu, aucun flux ou aucun revenu"),
    )
)]
pub async fn vulnerability_of(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<VulnerabilityQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let t = view.referential.resolve(&key)?;
        let (r, f, secrecy) = load(&state, &view, q.dataset.as_deref(), q.secret_below).await?;
        let p = q.fuel(secrecy)?;
        let inc = incomes(&state, &view, &r, q.incomes.as_deref()).await?;
        let pos = positions(&state, &r).await?;
        let data = vulnerability::FuelData { flows: &f, incomes: &inc, referential: &r, positions: &pos };
        Ok(Json(vulnerability::vulnerability(&data, &t, &p)?))
    })
    .await
}

/// A telework scenario for a territory's residents: km, CO2 and money avoided (and
/// vulnerable households before and after when the store has incomes).
#[utoipa::path(
    get,
    path = "/api/flows/telework/{key}",
    tag = "flows",
    params(("key" = String, Path, description = "Territoire"), VulnerabilityQuery),
    responses(
        (status = 200, description = "Scénario de télétravail", body = TeleworkResult),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Territoire inconnu ou aucun flux"),
    )
)]
pub async fn telework_of(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<VulnerabilityQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let t = view.referential.resolve(&key)?;
        let (r, f, secrecy) = load(&state, &view, q.dataset.as_deref(), q.secret_below).await?;
        let d = TeleworkParams::default();
        let p = TeleworkParams {
            days: q.days.unwrap_or(d.days),
            take_up: q.take_up.unwrap_or(d.take_up),
            rebound: q.rebound.unwrap_or(d.rebound),
            fuel: q.fuel(secrecy)?,
        };
        p.validate()?;
        let inc = incomes(&state, &view, &r, q.incomes.as_deref()).await.ok();
        let pos = positions(&state, &r).await?;
        Ok(Json(telework::telework(&f, inc.as_deref(), &r, &pos, &t, &p)?))
    })
    .await
}
