//! OGC API – Features (Part 1: Core, GeoJSON) over the commune shapes, with every
//! available indicator as a property, so that QGIS and `ogrinfo OAPIF:…/ogc` read them.
//!
//! ```text
//!  /ogc                                   landing page
//!  /ogc/conformance                       conformance classes
//!  /ogc/collections                       one collection: communes (with shapes)
//!  /ogc/collections/communes              its extent and the provenance of each property
//!  /ogc/collections/communes/items        GeoJSON, limit / offset / bbox, next links
//!  /ogc/collections/communes/items/{code} one commune
//! ```
//!
//! The indicator values are evaluated once per engine for every commune with a shape
//! (one DataFusion query per indicator), then served from memory.

use std::sync::{Arc, Mutex, OnceLock, Weak};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use echelle_indicators::{Engine, Target};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::extract::Query;
use crate::shapes::{self, Shapes};
use crate::{ApiError, AppState};

pub const COLLECTION: &str = "communes";
const GEOJSON: &str = "application/geo+json";
const MAX_LIMIT: usize = 10_000;

/// Indicator values of every commune with a shape: `values[i][s]`, indicator `i`, shape `s`.
pub struct Table {
    pub indicators: Vec<Value>,
    pub ids: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

type Cached = (Weak<Engine>, Arc<Table>);
static TABLE: OnceLock<Mutex<Option<Cached>>> = OnceLock::new();

/// The values for the current engine, evaluated at first use.
pub async fn table(state: &AppState, shapes: &Shapes) -> Result<Arc<Table>, ApiError> {
    let engine = state.engine();
    let slot = TABLE.get_or_init(Default::default);
    if let Some((w, t)) = slot.lock().expect("table").as_ref()
        && Weak::ptr_eq(w, &Arc::downgrade(&engine))
    {
        return Ok(t.clone());
    }
    let targets: Vec<Target> = shapes
        .shapes
        .iter()
        .map(|s| Target { key: format!("com:{}", s.code), label: s.name.clone(), communes: vec![s.id], iris: None })
        .collect();
    let defs: Vec<_> = engine.indicators().iter().filter(|d| engine.dataset(&d.dataset).is_some()).cloned().collect();
    let mut table = Table { indicators: Vec::new(), ids: Vec::new(), values: Vec::new() };
    for d in &defs {
        let e = match engine.evaluate(&targets, &[d.id.as_str()]).await {
            Ok(e) => e,
            // An indicator that cannot be evaluated at commune level is left out.
            Err(e) if e.is_user_error() => continue,
            Err(e) => return Err(e.into()),
        };
        let (source, vintage, synthetic) = e.provenance[0].clone();
        table.indicators.push(json!({ "id": d.id, "label": d.label, "unit": d.unit, "source": source,
            "vintage": vintage, "synthetic": synthetic, "decimals": d.decimals }));
        table.ids.push(d.id.clone());
        table.values.push(e.values[0].iter().map(|v| v.value).collect());
    }
    let table = Arc::new(table);
    *slot.lock().expect("table") = Some((Arc::downgrade(&engine), table.clone()));
    Ok(table)
}

/// Routes under `/ogc` (documented in the OpenAPI document; tests/shapes.rs checks);
/// any other path there is a JSON 404.
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::get;
    let ogc = axum::Router::new()
        .route("/", get(landing))
        .route("/conformance", get(conformance))
        .route("/collections", get(collections))
        .route("/collections/{id}", get(collection))
        .route("/collections/{id}/items", get(items))
        .route("/collections/{id}/items/{feature}", get(item))
        .fallback(|| async { ApiError::NotFound("no such OGC API – Features resource; start at /ogc".into()) });
    axum::Router::new().nest("/ogc", ogc)
}

/// `http://host` of the request, for absolute links.
fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| h.len() < 256 && h.chars().all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c)))
        .unwrap_or("127.0.0.1");
    format!("http://{host}/ogc")
}

fn geojson(body: Value) -> Response {
    ([(header::CONTENT_TYPE, GEOJSON)], body.to_string()).into_response()
}

pub async fn landing(headers: HeaderMap) -> Json<Value> {
    let b = base(&headers);
    Json(json!({
        "title": "echelle — observatoire territorial",
        "description": "Communes des Hauts-de-France et leurs indicateurs (source, millésime et unité de chaque propriété dans la collection).",
        "links": [
            { "href": format!("{b}"), "rel": "self", "type": "application/json", "title": "this document" },
            { "href": format!("{b}/conformance"), "rel": "conformance", "type": "application/json", "title": "conformance classes" },
            { "href": format!("{b}/collections"), "rel": "data", "type": "application/json", "title": "collections" },
            { "href": b.replace("/ogc", "/api/openapi.json"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "API definition" }
        ]
    }))
}

pub async fn conformance() -> Json<Value> {
    Json(json!({ "conformsTo": [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
    ]}))
}

fn collection_json(b: &str, shapes: &Shapes, table: &Table) -> Value {
    json!({
        "id": COLLECTION,
        "title": "Communes des Hauts-de-France",
        "description": "Contours IGN ADMIN EXPRESS 2018 (via france-geojson, Licence Ouverte 2.0) rapprochés du COG 2026, avec les indicateurs de la commune.",
        "itemType": "feature",
        "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
        "extent": { "spatial": { "bbox": [shapes.bounds()], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84" } },
        "properties": table.indicators,
        "links": [
            { "href": format!("{b}/collections/{COLLECTION}"), "rel": "self", "type": "application/json" },
            { "href": format!("{b}/collections/{COLLECTION}/items"), "rel": "items", "type": GEOJSON, "title": "communes" }
        ]
    })
}

async fn loaded(state: &AppState) -> Result<(Arc<Shapes>, Arc<Table>), ApiError> {
    let st = state.clone();
    let shapes = tokio::task::spawn_blocking(move || shapes::shapes(&st))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let table = table(state, &shapes).await?;
    Ok((shapes, table))
}

pub async fn collections(State(state): State<AppState>, headers: HeaderMap) -> Result<Json<Value>, ApiError> {
    let b = base(&headers);
    let (shapes, table) = loaded(&state).await?;
    Ok(Json(json!({
        "links": [{ "href": format!("{b}/collections"), "rel": "self", "type": "application/json" }],
        "collections": [collection_json(&b, &shapes, &table)]
    })))
}

fn check_collection(id: &str) -> Result<(), ApiError> {
    if id != COLLECTION {
        return Err(ApiError::NotFound(format!("no collection '{id}'; the collection is '{COLLECTION}'")));
    }
    Ok(())
}

pub async fn collection(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    check_collection(&id)?;
    let (shapes, table) = loaded(&state).await?;
    Ok(Json(collection_json(&base(&headers), &shapes, &table)))
}

fn feature(shapes: &Shapes, table: &Table, i: usize) -> Value {
    let s = &shapes.shapes[i];
    let mut props = Map::new();
    props.insert("code".into(), json!(s.code));
    props.insert("nom".into(), json!(s.name));
    for (k, id) in table.ids.iter().enumerate() {
        props.insert(id.clone(), json!(table.values[k][i]));
    }
    json!({ "type": "Feature", "id": s.code, "geometry": shapes::geometry(s), "properties": props })
}

#[derive(Deserialize)]
pub struct ItemsQuery {
    limit: Option<String>,
    offset: Option<String>,
    bbox: Option<String>,
}

fn parse_bbox(b: &str) -> Result<[f64; 4], ApiError> {
    let bad = || ApiError::BadRequest(format!("bbox must be four numbers west,south,east,north, not '{b}'"));
    let v: Vec<f64> = b.split(',').map(|x| x.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_, _>>()?;
    match v.as_slice() {
        &[w, s, e, n] if v.iter().all(|x| x.is_finite()) && w <= e && s <= n => Ok([w, s, e, n]),
        _ => Err(bad()),
    }
}

pub async fn items(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, ApiError> {
    check_collection(&id)?;
    let number =
        |name: &str, v: Option<&str>, default: usize, max: usize| -> Result<usize, ApiError> {
            match v {
                None => Ok(default),
                Some(t) => t.parse::<usize>().ok().filter(|&n| n <= max).ok_or_else(|| {
                    ApiError::BadRequest(format!("{name} must be an integer from 0 to {max}, not '{t}'"))
                }),
            }
        };
    let limit = number("limit", q.limit.as_deref(), 100, MAX_LIMIT)?.max(1);
    let offset = number("offset", q.offset.as_deref(), 0, 1_000_000)?;
    let bbox = q.bbox.as_deref().map(parse_bbox).transpose()?;
    let (shapes, table) = loaded(&state).await?;
    let matched: Vec<usize> = (0..shapes.shapes.len())
        .filter(|&i| {
            let s = &shapes.shapes[i].bbox;
            bbox.is_none_or(|b| s[0] <= b[2] && s[2] >= b[0] && s[1] <= b[3] && s[3] >= b[1])
        })
        .collect();
    let page: Vec<Value> = matched.iter().skip(offset).take(limit).map(|&i| feature(&shapes, &table, i)).collect();
    let b = base(&headers);
    let bbox_param = q.bbox.as_deref().map(|x| format!("&bbox={x}")).unwrap_or_default();
    let url = |off: usize| format!("{b}/collections/{COLLECTION}/items?limit={limit}&offset={off}{bbox_param}");
    let mut links = vec![json!({ "href": url(offset), "rel": "self", "type": GEOJSON })];
    if offset + page.len() < matched.len() {
        links.push(json!({ "href": url(offset + limit), "rel": "next", "type": GEOJSON }));
    }
    if offset > 0 {
        links.push(json!({ "href": url(offset.saturating_sub(limit)), "rel": "prev", "type": GEOJSON }));
    }
    Ok(geojson(json!({
        "type": "FeatureCollection",
        "numberMatched": matched.len(),
        "numberReturned": page.len(),
        "features": page,
        "links": links,
    })))
}

pub async fn item(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    check_collection(&id)?;
    let (shapes, table) = loaded(&state).await?;
    let i = shapes
        .shapes
        .iter()
        .position(|s| s.code == fid)
        .ok_or_else(|| ApiError::NotFound(format!("no commune '{fid}' with a shape in '{COLLECTION}'")))?;
    let mut f = feature(&shapes, &table, i);
    let b = base(&headers);
    f["links"] = json!([
        { "href": format!("{b}/collections/{COLLECTION}/items/{fid}"), "rel": "self", "type": GEOJSON },
        { "href": format!("{b}/collections/{COLLECTION}"), "rel": "collection", "type": "application/json" }
    ]);
    Ok(geojson(f))
}
