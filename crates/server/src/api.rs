//! The JSON API handlers. Each resolves what it is given first, so that a wrong code
//! or indicator is a 4xx before any work; each answers a named type, described in the
//! OpenAPI document ([`crate::openapi`]).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use echelle_indicators::{Evaluation, IndicatorDef};
use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ErrorBody;
use crate::extract::{Json as JsonBody, Query};
use crate::values::{Column, evaluate_columns as evaluate_cached};
use crate::visibility::Asker;
use crate::visibility::View;
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
    /// Once ready, to administrators (and the local user).
    pub materialised: Option<Materialisation>,
}

/// 200 once the indicator values are materialised, 503 while they are computed
/// (requests are served meanwhile, from the engine).
#[utoipa::path(get, path = "/ready", tag = "probes",
    summary = "Readiness: 200 once the indicator values are materialised, 503 while they are computed",
    responses((status = 200, description = "OK", body = Readiness), (status = 503, body = Readiness, description = "Warming up: requests are served meanwhile, from the engine")))]
pub async fn ready(State(state): State<AppState>, viewer: Asker) -> (StatusCode, Json<Readiness>) {
    let view = state.view_of(&viewer);
    let (engine, values) = (&view.engine, view.values.clone());
    let (status, label) = match &values {
        Some(_) => (StatusCode::OK, "ready"),
        None => (StatusCode::SERVICE_UNAVAILABLE, "loading: materialising indicator values"),
    };
    let body = Readiness {
        status: label.into(),
        communes: engine.referential().communes().len(),
        indicators: engine.indicators().iter().filter(|d| view.shows_indicator(&d.id)).count(),
        // Counts of the whole catalog (private objects included): administrators only.
        materialised: values.filter(|_| view.viewer.is_admin()).map(|v| Materialisation {
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
pub async fn layers(State(state): State<AppState>, viewer: Asker) -> Json<Vec<LayerInfo>> {
    let view = state.view_of(&viewer);
    let r = &view.referential;
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
pub async fn search(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let max = echelle_referential::MAX_NAME_CHARS;
        if q.q.chars().count() > max || q.limit > 1000 {
            return Err(ApiError::BadRequest(format!("query longer than {max} characters or limit above 1000")));
        }
        let found: Vec<SearchHit> = view
            .referential
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
pub async fn territories(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<LayerQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let r = &view.referential;
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
    /// Who may see it (a user perimeter may be private to an organisation or shared).
    pub visibility: echelle_platform::Visibility,
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
pub async fn territory(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let r = &view.referential;
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
            visibility: view.perimeter_visibility(&p.def.id).clone(),
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
pub async fn members(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let r = &view.referential;
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
    /// Who may see it: declared with it, else its dataset's.
    pub visibility: echelle_platform::Visibility,
    /// The statistical secrecy its dataset declares, in French (`null`: none).
    pub secrecy: Option<String>,
}

impl IndicatorInfo {
    fn of(view: &View, d: &IndicatorDef) -> IndicatorInfo {
        let meta = view.engine.dataset(&d.dataset);
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
            visibility: view.indicator_visibility(d),
            secrecy: view.engine.secrecy_notice(&d.dataset),
        }
    }
}

#[utoipa::path(get, path = "/api/indicators", tag = "indicators", summary = "Declared indicators with source and vintage",
    responses((status = 200, description = "OK", body = Vec<IndicatorInfo>)))]
pub async fn indicators(State(state): State<AppState>, viewer: Asker) -> Json<Vec<IndicatorInfo>> {
    let view = state.view_of(&viewer);
    Json(
        view.engine
            .indicators()
            .iter()
            .filter(|d| view.shows_indicator(&d.id))
            .map(|d| IndicatorInfo::of(&view, d))
            .collect(),
    )
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
    /// Withheld by the statistical secrecy of its dataset (`value` is then `null`).
    pub secret: bool,
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
pub async fn values(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<ValuesQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let (engine, cache) = (view.engine.clone(), view.values.clone());
        let r = view.referential.clone();
        let def = view.indicator(&engine, &q.indicator)?.clone();
        view.read_indicators([def.id.as_str()], "/api/values");
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
                secret: v.secret,
            })
            .collect();
        Ok(Json(IndicatorValues { indicator: IndicatorInfo::of(&view, &def), values }))
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
    /// One per column: withheld by the statistical secrecy of its dataset.
    pub secret: Vec<bool>,
}

/// Indicators side by side for several columns.
#[derive(Serialize, ToSchema)]
pub struct Comparison {
    pub columns: Vec<ColumnHead>,
    pub indicators: Vec<IndicatorRow>,
}

impl Comparison {
    fn of(view: &View, e: Evaluation) -> Comparison {
        let columns = e.targets.into_iter().map(|(key, name)| ColumnHead { key, name }).collect();
        let indicators = e
            .indicators
            .iter()
            .zip(&e.values)
            .map(|(d, values)| IndicatorRow {
                indicator: IndicatorInfo::of(view, d),
                values: values.iter().map(|v| v.value).collect(),
                coverage: values.iter().map(|v| [v.covered, v.units]).collect(),
                secret: values.iter().map(|v| v.secret).collect(),
            })
            .collect();
        Comparison { columns, indicators }
    }
}

/// The indicator ids asked for (`indicators`, comma-separated), the key indicators by
/// default; at most 50, each one the viewer may see.
fn indicator_ids<'a>(view: &'a View, requested: &'a [String]) -> Result<Vec<&'a str>, ApiError> {
    let ids: Vec<&str> =
        if requested.is_empty() { view.key_indicators() } else { requested.iter().map(String::as_str).collect() };
    if ids.len() > 50 {
        return Err(ApiError::BadRequest("at most 50 indicators per request".into()));
    }
    view.check_indicators(&ids)?;
    Ok(ids)
}

pub(crate) async fn evaluate_columns(
    view: &View,
    columns: &[Column],
    indicators: Option<&str>,
) -> Result<Comparison, ApiError> {
    let requested = split(indicators);
    let ids = indicator_ids(view, &requested)?;
    let e = evaluate_cached(&view.engine, view.values.as_deref(), columns, &ids).await?;
    view.read_indicators(ids.iter().copied(), "portrait, comparaison");
    Ok(Comparison::of(view, e))
}

/// The territory a portrait is about.
#[derive(Serialize, ToSchema)]
pub struct PortraitTerritory {
    pub key: String,
    pub name: Option<String>,
    pub layer: Layer,
    pub layer_label: String,
    /// Who may see it (a user perimeter may be private or shared; the rest is public).
    pub visibility: echelle_platform::Visibility,
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
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<PortraitQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    if let Some(found) = portrait_by_lookup(&view, &key, &q) {
        return Ok(Json(found?).into_response());
    }
    respond(state.clone(), async move { Ok(Json(portrait_of(&view, &key, &q).await?)) }).await
}

/// The portrait when it is a lookup in the materialised values (keys written exactly,
/// every value materialised), answered at once on the request's thread without a place
/// in the pool, which is kept for what the engine must evaluate; `None` otherwise.
fn portrait_by_lookup(view: &View, key: &str, q: &PortraitQuery) -> Option<Result<Portrait, ApiError>> {
    let (engine, values) = (&view.engine, view.values.as_ref()?);
    let r = &view.referential;
    let exact = |k: &str| {
        let (prefix, code) = k.split_once(':')?;
        let t = TerritoryRef::new(prefix.parse::<Layer>().ok()?, code);
        r.contains(&t).then_some(t)
    };
    let t = exact(key)?;
    let against = split(q.against.as_deref()).iter().map(|a| exact(a)).collect::<Option<Vec<_>>>()?;
    let columns = Column::portrait(r, &t, &against).ok()?;
    let requested = split(q.indicators.as_deref());
    let ids = indicator_ids(view, &requested).ok()?;
    let found = crate::values::look_up_columns(engine, values, &columns, &ids)?;
    if found.is_ok() {
        view.read_indicators(ids.iter().copied(), "portrait");
    }
    Some(found.map_err(ApiError::from).map(|e| portrait_from(view, &t, Comparison::of(view, e))))
}

/// The portrait of `key`: columns (the territory and its references) and indicators.
pub async fn portrait_of(view: &View, key: &str, q: &PortraitQuery) -> Result<Portrait, ApiError> {
    let r = &view.referential;
    let t = r.resolve(key)?;
    let against = split(q.against.as_deref()).iter().map(|a| r.resolve(a)).collect::<Result<Vec<_>, _>>()?;
    let columns = Column::portrait(r, &t, &against)?;
    let table = evaluate_columns(view, &columns, q.indicators.as_deref()).await?;
    Ok(portrait_from(view, &t, table))
}

fn portrait_from(view: &View, t: &TerritoryRef, table: Comparison) -> Portrait {
    let visibility = match t.layer {
        Layer::Perimeter => view.perimeter_visibility(&t.code).clone(),
        _ => echelle_platform::Visibility::Public,
    };
    Portrait {
        territory: PortraitTerritory {
            key: t.key(),
            name: view.referential.name(t).map(String::from),
            layer: t.layer,
            layer_label: t.layer.label().into(),
            visibility,
        },
        columns: table.columns,
        indicators: table.indicators,
    }
}

/// The portrait of `key` as a JSON value, for the PDF export.
pub async fn portrait_body(view: &View, key: &str, q: &PortraitQuery) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(portrait_of(view, key, q).await?).map_err(|e| ApiError::Internal(e.to_string()))
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
pub async fn compare(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<CompareQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let r = view.referential.clone();
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
        Ok(Json(evaluate_columns(&view, &columns, q.indicators.as_deref()).await?))
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
    /// Who may see it: `public`, `shared` or `private`; by default private to the
    /// organisation of the account saving it (public for the local user).
    #[schema(pattern = "^(public|shared|private)$")]
    visibility: Option<String>,
    /// The organisations a shared perimeter is shared with.
    #[serde(default)]
    share_with: Vec<String>,
    /// The owner organisation; by default the saving account's (the local user and
    /// administrators name one for a shared or private perimeter).
    owner: Option<String>,
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
    responses((status = 201, description = "Created", body = PerimeterCreated), (status = 400, body = ErrorBody, description = "Malformed body, bad id, unknown territory or id taken"), (status = 403, body = ErrorBody, description = "A visibility the viewer may not give")))]
pub async fn add_perimeter(
    State(state): State<AppState>,
    viewer: Asker,
    JsonBody(p): JsonBody<NewPerimeter>,
) -> Result<(StatusCode, Json<PerimeterCreated>), ApiError> {
    let visibility = match &p.visibility {
        None => viewer.0.default_visibility(),
        Some(level) => {
            let owner = p.owner.as_deref().or(viewer.0.org());
            echelle_platform::Visibility::parse(level, owner, &p.share_with)
                .map_err(|e| ApiError::BadRequest(format!("visibility: {e}")))?
        }
    };
    may_change(&viewer, &visibility)?;
    let quote = |s: &str| serde_json::to_string(s).expect("string");
    let list = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    let mut text = format!("id = {}\nname = {}\nstatus = \"provisional\"\n", quote(&p.id), quote(&p.name));
    text.push_str(&format!(
        "source = {}\n",
        quote(p.source.as_deref().unwrap_or("drawn in the echelle web application"))
    ));
    text.push_str(&format!("include = [{}]\nexclude = [{}]\n", list(&p.include), list(&p.exclude)));
    let def = echelle_referential::PerimeterDef::parse("request body", &text)?;
    let engine = state.change(move |store| Ok(store.add_perimeter_as(def, false, &visibility)?)).await?;
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
    responses((status = 204, description = "Removed"), (status = 400, body = ErrorBody, description = "Not a perimeter's key"), (status = 403, body = ErrorBody, description = "Not the viewer's to remove"), (status = 404, body = ErrorBody, description = "No such user perimeter"), (status = 409, body = ErrorBody, description = "A perimeter shipped with echelle, or one another perimeter refers to")))]
pub async fn remove_perimeter(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
) -> Result<StatusCode, ApiError> {
    if viewer.0 == echelle_platform::Viewer::Public {
        // A visitor changes nothing, whatever the perimeter (existing or not).
        return Err(refused());
    }
    let id = match key.split_once(':') {
        None => key.clone(),
        Some((prefix, id)) if prefix.parse::<Layer>().is_ok_and(|l| l == Layer::Perimeter) => id.to_string(),
        Some(_) => return Err(ApiError::BadRequest(format!("'{key}' is not a study perimeter (per:…)"))),
    };
    let view = state.view_of(&viewer);
    let shipped = echelle_store::is_shipped(&id);
    if !shipped {
        // One the viewer may not see is answered as one that does not exist.
        if view.referential.perimeter(&id).is_none() {
            return Err(echelle_store::StoreError::UnknownPerimeter(id).into());
        }
        may_change(&viewer, view.perimeter_visibility(&id))?;
    }
    state.change(move |store| Ok(store.remove_perimeter(&id)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn refused() -> ApiError {
    ApiError::Refused(StatusCode::FORBIDDEN, "modification réservée au propriétaire ou aux administrateurs".into())
}

/// Whether the viewer may create or change an object of this visibility
/// ([`echelle_platform::Viewer::can_change`]).
fn may_change(viewer: &Asker, visibility: &echelle_platform::Visibility) -> Result<(), ApiError> {
    if viewer.0.can_change(visibility) { Ok(()) } else { Err(refused()) }
}
