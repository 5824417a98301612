//! The JSON API handlers. Each resolves what it is given first, so that a wrong code
//! or indicator is a 4xx before any work.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use echelle_indicators::{Engine, Evaluation, IndicatorDef};
use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::extract::{Json as JsonBody, Query};
use crate::values::{Column, Materialised, evaluate_columns as evaluate_cached};
use crate::{ApiError, AppState};

type ApiResult = Result<Json<Value>, ApiError>;

pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 once the indicator values are materialised, 503 while they are computed
/// (requests are served meanwhile, from the engine).
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let (engine, values) = state.engine_and_values();
    let mut body =
        json!({ "communes": engine.referential().communes().len(), "indicators": engine.indicators().len() });
    match values {
        Some(v) => {
            body["status"] = json!("ready");
            body["materialised"] = json!({ "territories": v.territories, "values": v.pairs, "seconds": v.seconds });
            (StatusCode::OK, Json(body))
        }
        None => {
            body["status"] = json!("loading: materialising indicator values");
            (StatusCode::SERVICE_UNAVAILABLE, Json(body))
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such API endpoint; see /api/openapi.json".into())
}

pub async fn layers(State(state): State<AppState>) -> ApiResult {
    let engine = state.engine();
    let r = engine.referential();
    let layers: Vec<Value> = Layer::ALL
        .iter()
        .map(|&l| json!({ "layer": l.prefix(), "label": l.label(), "count": r.territories(l).len() }))
        .collect();
    Ok(Json(json!(layers)))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    q: String,
    #[serde(default = "ten")]
    limit: usize,
}

fn ten() -> usize {
    10
}

pub async fn search(State(state): State<AppState>, Query(q): Query<SearchQuery>) -> ApiResult {
    if q.q.chars().count() > 200 || q.limit > 1000 {
        return Err(ApiError::BadRequest("query longer than 200 characters or limit above 1000".into()));
    }
    let engine = state.engine();
    let found: Vec<Value> = engine
        .referential()
        .find(&q.q, q.limit)
        .into_iter()
        .map(|m| json!({ "key": m.territory.key(), "name": m.name, "layer": m.territory.layer.prefix(), "note": m.note }))
        .collect();
    Ok(Json(json!(found)))
}

#[derive(Deserialize)]
pub struct LayerQuery {
    layer: String,
    within: Option<String>,
}

fn layer_territories(r: &Referential, q: &LayerQuery) -> Result<Vec<TerritoryRef>, ApiError> {
    let layer: Layer = q.layer.parse()?;
    let within = q.within.as_deref().map(|w| r.resolve(w)).transpose()?;
    Ok(r.territories_within(layer, within.as_ref())?)
}

pub async fn territories(State(state): State<AppState>, Query(q): Query<LayerQuery>) -> ApiResult {
    let engine = state.engine();
    let r = engine.referential();
    let list: Vec<Value> = layer_territories(r, &q)?
        .iter()
        .map(|t| {
            let members = if t.layer == Layer::Iris { Vec::new() } else { r.members(t).map(|m| m.into_owned()).unwrap_or_default() };
            json!({ "key": t.key(), "name": r.name(t), "communes": members.len(), "population": r.population_of(&members) })
        })
        .collect();
    Ok(Json(json!(list)))
}

pub async fn territory(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult {
    let engine = state.engine();
    let r = engine.referential();
    let t = r.resolve(&key)?;
    let members = if t.layer == Layer::Iris { Vec::new() } else { r.members(&t)?.into_owned() };
    let references: Vec<Value> =
        r.references(&t)?.iter().map(|x| json!({ "key": x.key(), "name": r.name(x) })).collect();
    let perimeter = (t.layer == Layer::Perimeter)
        .then(|| r.perimeter(&t.code))
        .flatten()
        .map(|p| json!({ "status": p.def.status.label(), "source": p.def.source, "note": p.def.note }));
    Ok(Json(json!({
        "key": t.key(), "name": r.name(&t), "layer": t.layer.prefix(), "layer_label": t.layer.label(),
        "communes": members.len(), "population": r.population_of(&members),
        "references": references, "perimeter": perimeter,
    })))
}

pub async fn members(State(state): State<AppState>, Path(key): Path<String>) -> ApiResult {
    let engine = state.engine();
    let r = engine.referential();
    let t = r.resolve(&key)?;
    let list: Vec<Value> = r
        .members(&t)?
        .iter()
        .map(|&c| {
            let c = &r.communes()[c as usize];
            json!({ "key": format!("com:{}", c.code), "name": c.name, "population": c.population })
        })
        .collect();
    Ok(Json(json!(list)))
}

fn indicator_json(engine: &Engine, d: &IndicatorDef) -> Value {
    let meta = engine.dataset(&d.dataset);
    json!({
        "id": d.id, "label": d.label, "unit": d.unit, "theme": d.theme, "dataset": d.dataset,
        "decimals": d.decimals, "key": d.key, "description": d.description,
        "source": d.source.clone().or_else(|| meta.map(|m| m.source.clone())),
        "vintage": d.vintage.clone().or_else(|| meta.map(|m| m.vintage.clone())),
        "synthetic": meta.is_some_and(|m| m.synthetic),
        "available": meta.is_some(),
    })
}

pub async fn indicators(State(state): State<AppState>) -> ApiResult {
    let engine = state.engine();
    Ok(Json(json!(engine.indicators().iter().map(|d| indicator_json(&engine, d)).collect::<Vec<_>>())))
}

#[derive(Deserialize)]
pub struct ValuesQuery {
    indicator: String,
    layer: String,
    within: Option<String>,
}

/// The values of one indicator for every territory of a layer: what a map needs.
pub async fn values(State(state): State<AppState>, Query(q): Query<ValuesQuery>) -> ApiResult {
    let (engine, cache) = state.engine_and_values();
    let r = engine.referential().clone();
    let def = engine.indicator(&q.indicator)?.clone();
    let territories = layer_territories(&r, &LayerQuery { layer: q.layer, within: q.within })?;
    let columns: Vec<Column> = territories.into_iter().map(Column::Territory).collect();
    let e = evaluate_cached(&engine, cache.as_deref(), &columns, &[def.id.as_str()]).await?;
    let values: Vec<Value> = e
        .targets
        .iter()
        .zip(&e.values[0])
        .map(|((key, name), v)| json!({ "key": key, "name": name, "value": v.value, "units": v.units, "covered": v.covered }))
        .collect();
    Ok(Json(json!({ "indicator": indicator_json(&engine, &def), "values": values })))
}

#[derive(Deserialize)]
pub struct PortraitQuery {
    pub against: Option<String>,
    pub indicators: Option<String>,
}

fn split(list: Option<&str>) -> Vec<String> {
    list.map(|l| l.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()).unwrap_or_default()
}

fn evaluation_json(engine: &Engine, e: &Evaluation) -> Value {
    let columns: Vec<Value> = e.targets.iter().map(|(key, name)| json!({ "key": key, "name": name })).collect();
    let indicators: Vec<Value> = e
        .indicators
        .iter()
        .zip(&e.values)
        .map(|(d, values)| {
            let mut j = indicator_json(engine, d);
            j["values"] = json!(values.iter().map(|v| v.value).collect::<Vec<_>>());
            j["coverage"] = json!(values.iter().map(|v| [v.covered, v.units]).collect::<Vec<_>>());
            j
        })
        .collect();
    json!({ "columns": columns, "indicators": indicators })
}

async fn evaluate_columns(
    engine: &Engine,
    cache: Option<&Materialised>,
    columns: &[Column],
    indicators: Option<&str>,
) -> Result<Value, ApiError> {
    let requested = split(indicators);
    let ids: Vec<&str> =
        if requested.is_empty() { engine.key_indicators() } else { requested.iter().map(String::as_str).collect() };
    if ids.len() > 50 {
        return Err(ApiError::BadRequest("at most 50 indicators per request".into()));
    }
    Ok(evaluation_json(engine, &evaluate_cached(engine, cache, columns, &ids).await?))
}

pub async fn portrait(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<PortraitQuery>,
) -> ApiResult {
    Ok(Json(portrait_body(&state, &key, &q).await?))
}

/// The portrait of `key` as JSON: columns (the territory and its references) and indicators.
pub async fn portrait_body(state: &AppState, key: &str, q: &PortraitQuery) -> Result<Value, ApiError> {
    let (engine, cache) = state.engine_and_values();
    let r = engine.referential().clone();
    let t = r.resolve(key)?;
    let against = split(q.against.as_deref()).iter().map(|a| r.resolve(a)).collect::<Result<Vec<_>, _>>()?;
    let columns = Column::portrait(&r, &t, &against)?;
    let mut body = evaluate_columns(&engine, cache.as_deref(), &columns, q.indicators.as_deref()).await?;
    body["territory"] =
        json!({ "key": t.key(), "name": r.name(&t), "layer": t.layer.prefix(), "layer_label": t.layer.label() });
    Ok(body)
}

#[derive(Deserialize)]
pub struct CompareQuery {
    territories: String,
    indicators: Option<String>,
}

/// Two to four territories side by side, or one perimeter against its outside.
pub async fn compare(State(state): State<AppState>, Query(q): Query<CompareQuery>) -> ApiResult {
    let (engine, cache) = state.engine_and_values();
    let r = engine.referential().clone();
    let list = split(Some(&q.territories)).iter().map(|a| r.resolve(a)).collect::<Result<Vec<_>, _>>()?;
    let mut columns: Vec<Column> = list.iter().cloned().map(Column::Territory).collect();
    match list.as_slice() {
        [one] if one.layer == Layer::Perimeter => columns.push(Column::Outside(one.clone())),
        [] | [_] => return Err(ApiError::BadRequest("compare needs two to four territories, or one perimeter".into())),
        l if l.len() > 4 => return Err(ApiError::BadRequest("compare takes at most four territories".into())),
        _ => {}
    }
    Ok(Json(evaluate_columns(&engine, cache.as_deref(), &columns, q.indicators.as_deref()).await?))
}

#[derive(Deserialize)]
pub struct NewPerimeter {
    id: String,
    name: String,
    /// Territories of any layer (a bare code is a commune).
    include: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    source: Option<String>,
}

/// Saves a perimeter drawn in the web application; it is usable at once everywhere.
pub async fn add_perimeter(
    State(state): State<AppState>,
    JsonBody(p): JsonBody<NewPerimeter>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let quote = |s: &str| serde_json::to_string(s).expect("string");
    let list = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    let mut text = format!("id = {}\nname = {}\nstatus = \"provisional\"\n", quote(&p.id), quote(&p.name));
    text.push_str(&format!(
        "source = {}\n",
        quote(p.source.as_deref().unwrap_or("drawn in the echelle web application"))
    ));
    text.push_str(&format!("include = [{}]\nexclude = [{}]\n", list(&p.include), list(&p.exclude)));
    let def = echelle_referential::PerimeterDef::parse("request body", &text)?;
    state.store()?.add_perimeter(def, false)?;
    state.reload().await?;
    let engine = state.engine();
    let r = engine.referential();
    let key = TerritoryRef::new(Layer::Perimeter, &p.id);
    let members = r.members(&key)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "key": key.key(), "communes": members.len(), "population": r.population_of(&members) })),
    ))
}
