//! The JSON API handlers. Each resolves what it is given first, so that a wrong code
//! or indicator is a 4xx before any work; each answers a named type, described in the
//! OpenAPI document ([`crate::openapi`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use echelle_indicators::{Engine, Evaluation, IndicatorDef};
use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ErrorBody;
use crate::extract::{Json as JsonBody, Query};
use crate::values::{Column, Materialised, evaluate_columns as evaluate_cached};
use crate::work::respond;
use crate::{ApiError, AppState};

/// The server is alive.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
}

#[utoipa::path(get, path = "/health", tag = "probes", summary = "Liveness",
    responses((status = 200, description = "OK", body = Health)))]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok".into() })
}

/// What materialising the indicator values took.
#[derive(Serialize, ToSchema)]
pub struct Materialisation {
    pub territories: usize,
    /// (indicator, territory) pairs evaluated.
    pub values: usize,
    pub seconds: f64,
}

/// Whether the indicator values are materialised.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready`, or `loading: …` while the values are computed.
    pub status: String,
    pub communes: usize,
    pub indicators: usize,
    /// Once ready.
    pub materialised: Option<Materialisation>,
}

/// 200 once the indicator values are materialised, 503 while they are computed
/// (requests are served meanwhile, from the engine).
#[utoipa::path(get, path = "/ready", tag = "probes",
    summary = "Readiness: 200 once the indicator values are materialised, 503 while they are computed",
    responses((status = 200, description = "OK", body = Readiness), (status = 503, body = Readiness, description = "Warming up: requests are served meanwhile, from the engine")))]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let (engine, values) = state.engine_and_values();
    let (status, label) = match &values {
        Some(_) => (StatusCode::OK, "ready"),
        None => (StatusCode::SERVICE_UNAVAILABLE, "loading: materialising indicator values"),
    };
    let body = Readiness {
        status: label.into(),
        communes: engine.referential().communes().len(),
        indicators: engine.indicators().len(),
        materialised: values.map(|v| Materialisation {
            territories: v.territories,
            values: v.pairs,
            seconds: v.seconds,
        }),
    };
    (status, Json(body))
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint; see /api/openapi.json".into())
}

/// A layer and its number of territories.
#[derive(Serialize, ToSchema)]
pub struct LayerInfo {
    pub layer: Layer,
    pub label: String,
    pub count: usize,
}

#[utoipa::path(get, path = "/api/layers", tag = "territories", summary = "Layers and their number of territories",
    responses((status = 200, description = "OK", body = Vec<LayerInfo>)))]
pub async fn layers(State(state): State<AppState>) -> Json<Vec<LayerInfo>> {
    let engine = state.engine();
    let r = engine.referential();
    Json(
        Layer::ALL
            .iter()
            .map(|&l| LayerInfo { layer: l, label: l.label().into(), count: r.territories(l).len() })
            .collect(),
    )
}

/// A name or code to look for.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A name or code, at most 200 characters ("bethune", "59350", "mel").
    q: String,
    /// At most this many answers, 0 to 1000.
    #[serde(default = "ten")]
    #[param(minimum = 0, maximum = 1000, default = 10)]
    limit: usize,
}

fn ten() -> usize {
    10
}

/// A territory found by its name or code.
#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    pub key: String,
    /// The matched name, as published.
    pub name: String,
    pub layer: Layer,
    /// Why a name that is not the territory's own matched ("commune déléguée Arbignieu").
    pub note: Option<String>,
}

#[utoipa::path(get, path = "/api/search", tag = "territories", summary = "Find territories by name or code",
    params(SearchQuery), responses((status = 200, description = "OK", body = Vec<SearchHit>), (status = 400, description = "What is wrong with the request", body = ErrorBody)))]
pub async fn search(State(state): State<AppState>, Query(q): Query<SearchQuery>) -> Result<Response, ApiError> {
    respond(state.clone(), async move {
        let max = echelle_referential::MAX_NAME_CHARS;
        if q.q.chars().count() > max || q.limit > 1000 {
            return Err(ApiError::BadRequest(format!("query longer than {max} characters or limit above 1000")));
        }
        let engine = state.engine();
        let found: Vec<SearchHit> = engine
            .referential()
            .find(&q.q, q.limit)
            .into_iter()
            .map(|m| SearchHit { key: m.territory.key(), name: m.name, layer: m.territory.layer, note: m.note })
            .collect();
        Ok(Json(found))
    })
    .await
}

/// The territories of a layer, within a territory.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerQuery {
    layer: Layer,
    /// Only the territories inside this one (a territory key, e.g. `dep:62`).
    within: Option<String>,
}

fn layer_territories(r: &Referential, layer: Layer, within: Option<&str>) -> Result<Vec<TerritoryRef>, ApiError> {
    let within = within.map(|w| r.resolve(w)).transpose()?;
    Ok(r.territories_within(layer, within.as_ref())?)
}

/// A territory with its size.
#[derive(Serialize, ToSchema)]
pub struct TerritorySummary {
    pub key: String,
    pub name: Option<String>,
    /// Member communes (0 for an IRIS).
    pub communes: usize,
    /// Municipal population of the member communes.
    pub population: u64,
}

#[utoipa::path(get, path = "/api/territories", tag = "territories", summary = "Territories of a layer",
    params(LayerQuery),
    responses((status = 200, description = "OK", body = Vec<TerritorySummary>), (status = 400, description = "What is wrong with the request", body = ErrorBody), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn territories(State(state): State<AppState>, Query(q): Query<LayerQuery>) -> Result<Response, ApiError> {
    respond(state.clone(), async move {
        let engine = state.engine();
        let r = engine.referential();
        let list: Vec<TerritorySummary> = layer_territories(r, q.layer, q.within.as_deref())?
            .iter()
            .map(|t| {
                let members = if t.layer == Layer::Iris {
                    Vec::new()
                } else {
                    r.members(t).map(|m| m.into_owned()).unwrap_or_default()
                };
                TerritorySummary {
                    key: t.key(),
                    name: r.name(t).map(String::from),
                    communes: members.len(),
                    population: r.population_of(&members),
                }
            })
            .collect();
        Ok(Json(list))
    })
    .await
}

/// A territory named.
#[derive(Serialize, ToSchema)]
pub struct TerritoryName {
    pub key: String,
    pub name: Option<String>,
}

/// What a study perimeter's definition says of it.
#[derive(Serialize, ToSchema)]
pub struct PerimeterInfo {
    pub status: String,
    pub source: Option<String>,
    pub note: Option<String>,
}

/// A territory: name, size, references.
#[derive(Serialize, ToSchema)]
pub struct Territory {
    pub key: String,
    pub name: Option<String>,
    pub layer: Layer,
    pub layer_label: String,
    pub communes: usize,
    pub population: u64,
    /// The territories it is compared with by default (département, région, France).
    pub references: Vec<TerritoryName>,
    /// For a study perimeter.
    pub perimeter: Option<PerimeterInfo>,
}

#[utoipa::path(get, path = "/api/territory/{key}", tag = "territories", summary = "A territory: name, size, references",
    params(("key" = String, Path, description = "A territory key (`com:62119`, `epci:200093201`, `per:mel`) or a commune code")),
    responses((status = 200, description = "OK", body = Territory), (status = 400, description = "What is wrong with the request", body = ErrorBody), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn territory(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, ApiError> {
    respond(state.clone(), async move {
        let engine = state.engine();
        let r = engine.referential();
        let t = r.resolve(&key)?;
        let members = if t.layer == Layer::Iris { Vec::new() } else { r.members(&t)?.into_owned() };
        let references = r
            .references(&t)?
            .iter()
            .map(|x| TerritoryName { key: x.key(), name: r.name(x).map(String::from) })
            .collect();
        let perimeter = (t.layer == Layer::Perimeter).then(|| r.perimeter(&t.code)).flatten().map(|p| PerimeterInfo {
            status: p.def.status.label().into(),
            source: p.def.source.clone(),
            note: p.def.note.clone(),
        });
        Ok(Json(Territory {
            key: t.key(),
            name: r.name(&t).map(String::from),
            layer: t.layer,
            layer_label: t.layer.label().into(),
            communes: members.len(),
            population: r.population_of(&members),
            references,
            perimeter,
        }))
    })
    .await
}

/// A member commune.
#[derive(Serialize, ToSchema)]
pub struct Member {
    pub key: String,
    pub name: String,
    /// `null` where INSEE publishes none.
    pub population: Option<u64>,
}

#[utoipa::path(get, path = "/api/territory/{key}/members", tag = "territories", summary = "Member communes of a territory",
    params(("key" = String, Path, description = "A territory key or a commune code")),
    responses((status = 200, description = "OK", body = Vec<Member>), (status = 400, description = "What is wrong with the request", body = ErrorBody), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn members(State(state): State<AppState>, Path(key): Path<String>) -> Result<Response, ApiError> {
    respond(state.clone(), async move {
        let engine = state.engine();
        let r = engine.referential();
        let t = r.resolve(&key)?;
        let list: Vec<Member> = r
            .members(&t)?
            .iter()
            .map(|&c| {
                let c = &r.communes()[c as usize];
                Member { key: format!("com:{}", c.code), name: c.name.clone(), population: c.population }
            })
            .collect();
        Ok(Json(list))
    })
    .await
}

/// A declared indicator with its provenance.
#[derive(Serialize, ToSchema)]
pub struct IndicatorInfo {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub theme: String,
    pub dataset: String,
    /// Decimals shown.
    pub decimals: u8,
    /// Shown in portraits.
    pub key: bool,
    pub description: Option<String>,
    /// `null` when its dataset is not in the store.
    pub source: Option<String>,
    pub vintage: Option<String>,
    /// Computed from SYNTHETIC data.
    pub synthetic: bool,
    /// Its dataset is in the store.
    pub available: bool,
}

impl IndicatorInfo {
    fn of(engine: &Engine, d: &IndicatorDef) -> IndicatorInfo {
        let meta = engine.dataset(&d.dataset);
        IndicatorInfo {
            id: d.id.clone(),
            label: d.label.clone(),
            unit: d.unit.clone(),
            theme: d.theme.clone(),
            dataset: d.dataset.clone(),
            decimals: d.decimals,
            key: d.key,
            description: d.description.clone(),
            source: d.source.clone().or_else(|| meta.map(|m| m.source.clone())),
            vintage: d.vintage.clone().or_else(|| meta.map(|m| m.vintage.clone())),
            synthetic: meta.is_some_and(|m| m.synthetic),
            available: meta.is_some(),
        }
    }
}

#[utoipa::path(get, path = "/api/indicators", tag = "indicators", summary = "Declared indicators with source and vintage",
    responses((status = 200, description = "OK", body = Vec<IndicatorInfo>)))]
pub async fn indicators(State(state): State<AppState>) -> Json<Vec<IndicatorInfo>> {
    let engine = state.engine();
    Json(engine.indicators().iter().map(|d| IndicatorInfo::of(&engine, d)).collect())
}

/// One indicator for the territories of a layer.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ValuesQuery {
    /// An indicator id (see /api/indicators).
    indicator: String,
    layer: Layer,
    /// Only the territories inside this one (a territory key, e.g. `dep:62`).
    within: Option<String>,
}

/// A territory's value of an indicator.
#[derive(Serialize, ToSchema)]
pub struct TerritoryValue {
    pub key: String,
    pub name: String,
    /// `null` when a member lacks data, a denominator is zero, or the value is secret.
    pub value: Option<f64>,
    /// Units (communes or IRIS) of the territory.
    pub units: u64,
    /// Units with data.
    pub covered: u64,
}

/// One indicator for every territory of a layer.
#[derive(Serialize, ToSchema)]
pub struct IndicatorValues {
    pub indicator: IndicatorInfo,
    pub values: Vec<TerritoryValue>,
}

/// The values of one indicator for every territory of a layer: what a map needs.
#[utoipa::path(get, path = "/api/values", tag = "indicators", summary = "One indicator for every territory of a layer",
    params(ValuesQuery),
    responses((status = 200, description = "OK", body = IndicatorValues), (status = 400, description = "What is wrong with the request", body = ErrorBody), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn values(State(state): State<AppState>, Query(q): Query<ValuesQuery>) -> Result<Response, ApiError> {
    respond(state.clone(), async move {
        let (engine, cache) = state.engine_and_values();
        let r = engine.referential().clone();
        let def = engine.indicator(&q.indicator)?.clone();
        let territories = layer_territories(&r, q.layer, q.within.as_deref())?;
        let columns: Vec<Column> = territories.into_iter().map(Column::Territory).collect();
        let e = evaluate_cached(&engine, cache.as_deref(), &columns, &[def.id.as_str()]).await?;
        let values = e
            .targets
            .iter()
            .zip(&e.values[0])
            .map(|((key, name), v)| TerritoryValue {
                key: key.clone(),
                name: name.clone(),
                value: v.value,
                units: v.units,
                covered: v.covered,
            })
            .collect();
        Ok(Json(IndicatorValues { indicator: IndicatorInfo::of(&engine, &def), values }))
    })
    .await
}

/// The references and indicators of a portrait.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PortraitQuery {
    /// More territories to compare with, comma-separated keys (e.g. `per:mel`).
    pub against: Option<String>,
    /// Indicator ids, comma-separated (at most 50); the key indicators by default.
    pub indicators: Option<String>,
}

fn split(list: Option<&str>) -> Vec<String> {
    list.map(|l| l.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

/// A column of a portrait or comparison: a territory, or a perimeter's outside.
#[derive(Serialize, ToSchema)]
pub struct ColumnHead {
    /// The territory key (`per:aml!outside` for the outside of a perimeter).
    pub key: String,
    pub name: String,
}

/// An indicator's values in each column.
#[derive(Serialize, ToSchema)]
pub struct IndicatorRow {
    #[serde(flatten)]
    pub indicator: IndicatorInfo,
    /// One per column; `null` where missing or secret.
    pub values: Vec<Option<f64>>,
    /// One per column: units with data, units.
    pub coverage: Vec<[u64; 2]>,
}

/// Indicators side by side for several columns.
#[derive(Serialize, ToSchema)]
pub struct Comparison {
    pub columns: Vec<ColumnHead>,
    pub indicators: Vec<IndicatorRow>,
}

impl Comparison {
    fn of(engine: &Engine, e: Evaluation) -> Comparison {
        let columns = e.targets.into_iter().map(|(key, name)| ColumnHead { key, name }).collect();
        let indicators = e
            .indicators
            .iter()
            .zip(&e.values)
            .map(|(d, values)| IndicatorRow {
                indicator: IndicatorInfo::of(engine, d),
                values: values.iter().map(|v| v.value).collect(),
                coverage: values.iter().map(|v| [v.covered, v.units]).collect(),
            })
            .collect();
        Comparison { columns, indicators }
    }
}

/// The indicator ids asked for (`indicators`, comma-separated), the key indicators by
/// default; at most 50.
fn indicator_ids<'a>(engine: &'a Engine, requested: &'a [String]) -> Result<Vec<&'a str>, ApiError> {
    let ids: Vec<&str> =
        if requested.is_empty() { engine.key_indicators() } else { requested.iter().map(String::as_str).collect() };
    if ids.len() > 50 {
        return Err(ApiError::BadRequest("at most 50 indicators per request".into()));
    }
    Ok(ids)
}

async fn evaluate_columns(
    engine: &Engine,
    cache: Option<&Materialised>,
    columns: &[Column],
    indicators: Option<&str>,
) -> Result<Comparison, ApiError> {
    let requested = split(indicators);
    let ids = indicator_ids(engine, &requested)?;
    Ok(Comparison::of(engine, evaluate_cached(engine, cache, columns, &ids).await?))
}

/// The territory a portrait is about.
#[derive(Serialize, ToSchema)]
pub struct PortraitTerritory {
    pub key: String,
    pub name: Option<String>,
    pub layer: Layer,
    pub layer_label: String,
}

/// Key indicators of a territory against its references.
#[derive(Serialize, ToSchema)]
pub struct Portrait {
    pub territory: PortraitTerritory,
    /// The territory, then (for a perimeter) its outside, its references and the territories asked for.
    pub columns: Vec<ColumnHead>,
    pub indicators: Vec<IndicatorRow>,
}

#[utoipa::path(get, path = "/api/portrait/{key}", tag = "indicators",
    summary = "Key indicators of a territory against its references",
    params(("key" = String, Path, description = "A territory key or a commune code"), PortraitQuery),
    responses((status = 200, description = "OK", body = Portrait), (status = 400, description = "What is wrong with the request", body = ErrorBody), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn portrait(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<PortraitQuery>,
) -> Result<Response, ApiError> {
    if let Some(found) = portrait_by_lookup(&state, &key, &q) {
        return Ok(Json(found?).into_response());
    }
    respond(state.clone(), async move { Ok(Json(portrait_of(&state, &key, &q).await?)) }).await
}

/// The portrait when it is a lookup in the materialised values (keys written exactly,
/// every value materialised), answered at once on the request's thread without a place
/// in the pool, which is kept for what the engine must evaluate; `None` otherwise.
fn portrait_by_lookup(state: &AppState, key: &str, q: &PortraitQuery) -> Option<Result<Portrait, ApiError>> {
    let (engine, values) = state.engine_and_values();
    let values = values?;
    let r = engine.referential();
    let exact = |k: &str| {
        let (prefix, code) = k.split_once(':')?;
        let t = TerritoryRef::new(prefix.parse::<Layer>().ok()?, code);
        r.contains(&t).then_some(t)
    };
    let t = exact(key)?;
    let against = split(q.against.as_deref()).iter().map(|a| exact(a)).collect::<Option<Vec<_>>>()?;
    let columns = Column::portrait(r, &t, &against).ok()?;
    let requested = split(q.indicators.as_deref());
    let ids = indicator_ids(&engine, &requested).ok()?;
    let found = crate::values::look_up_columns(&engine, &values, &columns, &ids)?;
    Some(found.map_err(ApiError::from).map(|e| portrait_from(r, &t, Comparison::of(&engine, e))))
}

/// The portrait of `key`: columns (the territory and its references) and indicators.
pub async fn portrait_of(state: &AppState, key: &str, q: &PortraitQuery) -> Result<Portrait, ApiError> {
    let (engine, cache) = state.engine_and_values();
    let r = engine.referential();
    let t = r.resolve(key)?;
    let against = split(q.against.as_deref()).iter().map(|a| r.resolve(a)).collect::<Result<Vec<_>, _>>()?;
    let columns = Column::portrait(r, &t, &against)?;
    let table = evaluate_columns(&engine, cache.as_deref(), &columns, q.indicators.as_deref()).await?;
    Ok(portrait_from(r, &t, table))
}

fn portrait_from(r: &Referential, t: &TerritoryRef, table: Comparison) -> Portrait {
    Portrait {
        territory: PortraitTerritory {
            key: t.key(),
            name: r.name(t).map(String::from),
            layer: t.layer,
            layer_label: t.layer.label().into(),
        },
        columns: table.columns,
        indicators: table.indicators,
    }
}

/// The portrait of `key` as a JSON value, for the PDF export.
pub async fn portrait_body(state: &AppState, key: &str, q: &PortraitQuery) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(portrait_of(state, key, q).await?).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Territories to put side by side.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompareQuery {
    /// Two to four territory keys, comma-separated, or one perimeter (against its outside).
    territories: String,
    /// Indicator ids, comma-separated (at most 50); the key indicators by default.
    indicators: Option<String>,
}

/// Two to four territories side by side, or one perimeter against its outside.
#[utoipa::path(get, path = "/api/compare", tag = "indicators",
    summary = "Two to four territories side by side, or a perimeter against its outside",
    params(CompareQuery),
    responses((status = 200, description = "OK", body = Comparison), (status = 400, description = "What is wrong with the request", body = ErrorBody), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn compare(State(state): State<AppState>, Query(q): Query<CompareQuery>) -> Result<Response, ApiError> {
    respond(state.clone(), async move {
        let (engine, cache) = state.engine_and_values();
        let r = engine.referential().clone();
        let list = split(Some(&q.territories)).iter().map(|a| r.resolve(a)).collect::<Result<Vec<_>, _>>()?;
        let mut columns: Vec<Column> = list.iter().cloned().map(Column::Territory).collect();
        match list.as_slice() {
            [one] if one.layer == Layer::Perimeter => columns.push(Column::Outside(one.clone())),
            [] | [_] => {
                return Err(ApiError::BadRequest("compare needs two to four territories, or one perimeter".into()));
            }
            l if l.len() > 4 => return Err(ApiError::BadRequest("compare takes at most four territories".into())),
            _ => {}
        }
        Ok(Json(evaluate_columns(&engine, cache.as_deref(), &columns, q.indicators.as_deref()).await?))
    })
    .await
}

/// A study perimeter drawn in the web application.
#[derive(Deserialize, ToSchema)]
pub struct NewPerimeter {
    /// Lower-case letters, digits and hyphens.
    #[schema(pattern = "^[a-z0-9-]+$")]
    id: String,
    name: String,
    /// Territories of any layer (a bare code is a commune).
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    source: Option<String>,
}

/// A perimeter saved.
#[derive(Serialize, ToSchema)]
pub struct PerimeterCreated {
    pub key: String,
    pub communes: usize,
    pub population: u64,
}

/// Saves a perimeter drawn in the web application; answered once it is usable
/// everywhere (the next request sees it).
#[utoipa::path(post, path = "/api/perimeters", tag = "territories",
    summary = "Save a study perimeter (id, name, include, exclude)",
    request_body = NewPerimeter,
    responses((status = 201, description = "Created", body = PerimeterCreated), (status = 400, body = ErrorBody, description = "Malformed body, bad id, unknown territory or id taken")))]
pub async fn add_perimeter(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    JsonBody(p): JsonBody<NewPerimeter>,
) -> Result<(StatusCode, Json<PerimeterCreated>), ApiError> {
    may_change_catalog(&viewer)?;
    let quote = |s: &str| serde_json::to_string(s).expect("string");
    let list = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    let mut text = format!("id = {}\nname = {}\nstatus = \"provisional\"\n", quote(&p.id), quote(&p.name));
    text.push_str(&format!(
        "source = {}\n",
        quote(p.source.as_deref().unwrap_or("drawn in the echelle web application"))
    ));
    text.push_str(&format!("include = [{}]\nexclude = [{}]\n", list(&p.include), list(&p.exclude)));
    let def = echelle_referential::PerimeterDef::parse("request body", &text)?;
    let engine = state.change(move |store| Ok(store.add_perimeter(def, false)?)).await?;
    let r = engine.referential();
    let key = TerritoryRef::new(Layer::Perimeter, &p.id);
    let members = r.members(&key)?;
    Ok((
        StatusCode::CREATED,
        Json(PerimeterCreated { key: key.key(), communes: members.len(), population: r.population_of(&members) }),
    ))
}

/// Removes a perimeter saved by a user; answered once no request can see it any more.
#[utoipa::path(delete, path = "/api/perimeters/{key}", tag = "territories",
    summary = "Remove a study perimeter saved by a user",
    params(("key" = String, Path, description = "The perimeter's key (`per:lens-henin`) or id")),
    responses((status = 204, description = "Removed"), (status = 400, body = ErrorBody, description = "Not a perimeter's key"), (status = 404, body = ErrorBody, description = "No such user perimeter"), (status = 409, body = ErrorBody, description = "A perimeter shipped with echelle, or one another perimeter refers to")))]
pub async fn remove_perimeter(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    may_change_catalog(&viewer)?;
    let id = match key.split_once(':') {
        None => key.clone(),
        Some((prefix, id)) if prefix.parse::<Layer>().is_ok_and(|l| l == Layer::Perimeter) => id.to_string(),
        Some(_) => return Err(ApiError::BadRequest(format!("'{key}' is not a study perimeter (per:…)"))),
    };
    state.change(move |store| Ok(store.remove_perimeter(&id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Perimeters are public catalog objects until they carry a visibility of their own:
/// only the local user and administrators change them.
fn may_change_catalog(viewer: &crate::viewer::Viewer) -> Result<(), ApiError> {
    if viewer.0.can_change(&echelle_platform::Visibility::Public) {
        Ok(())
    } else {
        Err(ApiError::Refused(StatusCode::FORBIDDEN, "modification réservée aux administrateurs".into()))
    }
}
