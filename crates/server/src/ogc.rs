//! OGC API – Features (Part 1: Core, GeoJSON) over the shapes of every layer, with
//! every available indicator as a property, so that QGIS and `ogrinfo OAPIF:…/ogc`
//! read them.
//!
//! ```text
//!  /ogc                                   landing page
//!  /ogc/conformance                       conformance classes
//!  /ogc/collections                       one collection per layer: communes, epci,
//!                                         arrondissements, departements, regions,
//!                                         france, perimetres (territories with a shape)
//!  /ogc/collections/{id}                  its extent and the provenance of each property
//!  /ogc/collections/{id}/items            GeoJSON, limit / offset / bbox, next links
//!  /ogc/collections/{id}/items/{code}     one territory by its code
//! ```
//!
//! The indicator values of a collection are taken once per engine from the
//! materialised values (the engine for what is not there), then served from memory.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use echelle_indicators::{Engine, IndicatorDef, Target};
use echelle_referential::{Layer, TerritoryRef};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ErrorBody;
use crate::extract::Query;
use crate::geojson::{self, FeatureCollectionType, FeatureType, GeoJson, MultiPolygon};
use crate::shapes::{self, Shapes};
use crate::visibility::Asker;
use crate::visibility::View;
use crate::work::respond;
use crate::{ApiError, AppState};

/// The collections: (id, layer, title), one per layer with shapes.
pub const COLLECTIONS: [(&str, Layer, &str); 7] = [
    ("communes", Layer::Commune, "Communes"),
    ("epci", Layer::Epci, "EPCI à fiscalité propre"),
    ("arrondissements", Layer::Arrondissement, "Arrondissements"),
    ("departements", Layer::Departement, "Départements"),
    ("regions", Layer::Region, "Régions"),
    ("france", Layer::Country, "France (métropole et DROM)"),
    ("perimetres", Layer::Perimeter, "Périmètres d'étude"),
];
const GEOJSON: &str = geojson::CONTENT_TYPE;
const MAX_LIMIT: usize = 10_000;

/// An indicator offered as a property of the communes, with its provenance.
pub use echelle_report::layer::IndicatorColumn as Property;

/// The column of indicator `d` whose values have `provenance` (source, vintage,
/// synthetic), with the secrecy rule `engine` declares for its dataset.
pub fn property(engine: &Engine, d: &IndicatorDef, (source, vintage, synthetic): &(String, String, bool)) -> Property {
    Property {
        secrecy: engine.secrecy_notice(&d.dataset),
        id: d.id.clone(),
        label: d.label.clone(),
        unit: d.unit.clone(),
        source: source.clone(),
        vintage: vintage.clone(),
        synthetic: *synthetic,
        decimals: d.decimals,
    }
}

/// Indicator values of every shaped territory of a layer: `values[i][s]`, indicator `i`, shape `s`.
pub struct Table {
    pub indicators: Vec<Property>,
    pub values: Vec<Vec<Option<f64>>>,
}

/// The values of a layer for the current engine: from the state's cache, else
/// evaluated and kept there.
pub async fn table(state: &AppState, shapes: &Shapes) -> Result<Arc<Table>, ApiError> {
    if let Some(t) = state.cached_ogc_table(shapes.layer) {
        return Ok(t);
    }
    let (engine, cache) = state.engine_and_values();
    let r = engine.referential();
    let targets: Vec<Target> = shapes
        .shapes
        .iter()
        .map(|s| Target::territory(r, &TerritoryRef::new(shapes.layer, &s.code)))
        .collect::<Result<_, _>>()?;
    let defs: Vec<_> = engine.indicators().iter().filter(|d| engine.dataset(&d.dataset).is_some()).cloned().collect();
    let mut table = Table { indicators: Vec::new(), values: Vec::new() };
    for d in &defs {
        let e = match crate::values::evaluate(&engine, cache.as_deref(), &targets, &[d.id.as_str()]).await {
            Ok(e) => e,
            // An indicator that cannot be evaluated for this layer is left out.
            Err(e) if e.is_user_error() => continue,
            Err(e) => return Err(e.into()),
        };
        table.indicators.push(property(&engine, d, &e.provenance[0]));
        table.values.push(e.values[0].iter().map(|v| v.value).collect());
    }
    let table = Arc::new(table);
    state.cache_ogc_table(&engine, shapes.layer, table.clone());
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

/// The service's address for absolute links, from the server's configuration
/// (never from the request's `Host`).
fn base(state: &AppState) -> String {
    state.site().url("/ogc")
}

/// A link of an OGC API document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    pub href: String,
    pub rel: String,
    #[serde(rename = "type")]
    pub media_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Link {
    fn new(href: String, rel: &str, media_type: &str, title: Option<&str>) -> Link {
        Link { href, rel: rel.into(), media_type: media_type.into(), title: title.map(String::from) }
    }
}

/// The landing page: what the service offers, and where.
#[derive(Serialize, ToSchema)]
pub struct Landing {
    pub title: String,
    pub description: String,
    pub links: Vec<Link>,
}

#[utoipa::path(get, path = "/ogc", tag = "ogc", summary = "OGC API – Features landing page",
    responses((status = 200, description = "OK", body = Landing)))]
pub async fn landing(State(state): State<AppState>) -> Json<Landing> {
    let b = base(&state);
    Json(Landing {
        title: "echelle — observatoire territorial".into(),
        description: "Communes, EPCI, arrondissements, départements, régions, France et périmètres d'étude, avec \
            leurs indicateurs (source, millésime et unité de chaque propriété dans la collection)."
            .into(),
        links: vec![
            Link::new(b.clone(), "self", "application/json", Some("this document")),
            Link::new(format!("{b}/conformance"), "conformance", "application/json", Some("conformance classes")),
            Link::new(format!("{b}/collections"), "data", "application/json", Some("collections")),
            Link::new(
                state.site().url("/api/openapi.json"),
                "service-desc",
                "application/vnd.oai.openapi+json;version=3.1",
                Some("API definition"),
            ),
        ],
    })
}

/// The conformance classes the service implements.
#[derive(Serialize, ToSchema)]
pub struct Conformance {
    #[serde(rename = "conformsTo")]
    pub conforms_to: Vec<String>,
}

#[utoipa::path(get, path = "/ogc/conformance", tag = "ogc", summary = "OGC API – Features conformance classes",
    responses((status = 200, description = "OK", body = Conformance)))]
pub async fn conformance() -> Json<Conformance> {
    Json(Conformance {
        conforms_to: ["core", "geojson", "oas30"]
            .iter()
            .map(|c| format!("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{c}"))
            .collect(),
    })
}

/// The spatial extent of a collection.
#[derive(Serialize, ToSchema)]
pub struct SpatialExtent {
    /// West, south, east, north.
    pub bbox: Vec<[f64; 4]>,
    pub crs: String,
}

#[derive(Serialize, ToSchema)]
pub struct Extent {
    pub spatial: SpatialExtent,
}

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// A collection: extent, and the provenance of each indicator property.
#[derive(Serialize, ToSchema)]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "itemType")]
    pub item_type: String,
    pub crs: Vec<String>,
    pub extent: Extent,
    /// The indicators offered as properties of each territory.
    pub properties: Vec<Property>,
    pub links: Vec<Link>,
}

fn collection_of(
    view: &View,
    b: &str,
    (id, _, title): (&str, Layer, &str),
    shapes: &Shapes,
    table: &Table,
) -> Collection {
    Collection {
        id: id.into(),
        title: title.into(),
        description: format!(
            "{title} : union des contours des communes membres, {} ({}), avec les indicateurs de chaque territoire.",
            echelle_store::shapes::CONTOURS_SOURCE,
            echelle_store::shapes::CONTOURS_VINTAGE
        ),
        item_type: "feature".into(),
        crs: vec![CRS84.into()],
        extent: Extent {
            spatial: SpatialExtent { bbox: vec![shapes.bounds_where(|s| view.shows_key(&s.key))], crs: CRS84.into() },
        },
        properties: table.indicators.iter().filter(|p| view.shows_indicator(&p.id)).cloned().collect(),
        links: vec![
            Link::new(format!("{b}/collections/{id}"), "self", "application/json", None),
            Link::new(format!("{b}/collections/{id}/items"), "items", GEOJSON, Some(title)),
        ],
    }
}

async fn loaded(state: &AppState, layer: Layer) -> Result<(Arc<Shapes>, Arc<Table>), ApiError> {
    let shapes = shapes::layer_shapes_async(state, layer).await?;
    let table = table(state, &shapes).await?;
    Ok((shapes, table))
}

/// The collections of the service, one per layer with shapes.
#[derive(Serialize, ToSchema)]
pub struct Collections {
    pub links: Vec<Link>,
    pub collections: Vec<Collection>,
}

#[utoipa::path(get, path = "/ogc/collections", tag = "ogc",
    summary = "OGC API – Features collections: every layer's territories with their indicators",
    responses((status = 200, description = "OK", body = Collections), (status = 500, description = "The server failed", body = ErrorBody)))]
pub async fn collections(State(state): State<AppState>, viewer: Asker) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let b = base(&state);
        let mut collections = Vec::new();
        for c in COLLECTIONS {
            let (shapes, table) = loaded(&state, c.1).await?;
            collections.push(collection_of(&view, &b, c, &shapes, &table));
        }
        Ok(Json(Collections {
            links: vec![Link::new(format!("{b}/collections"), "self", "application/json", None)],
            collections,
        }))
    })
    .await
}

fn find_collection(id: &str) -> Result<(&'static str, Layer, &'static str), ApiError> {
    COLLECTIONS.into_iter().find(|c| c.0 == id).ok_or_else(|| {
        let ids: Vec<&str> = COLLECTIONS.iter().map(|c| c.0).collect();
        ApiError::NotFound(format!("no collection '{id}'; the collections are {}", ids.join(", ")))
    })
}

#[utoipa::path(get, path = "/ogc/collections/{id}", tag = "ogc", summary = "OGC API – Features collection",
    params(("id" = String, Path, description = "The collection: communes, epci, arrondissements, departements, regions, france or perimetres")),
    responses((status = 200, description = "OK", body = Collection), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn collection(
    State(state): State<AppState>,
    viewer: Asker,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let c = find_collection(&id)?;
        let (shapes, table) = loaded(&state, c.1).await?;
        Ok(Json(collection_of(&view, &base(&state), c, &shapes, &table)))
    })
    .await
}

/// A territory's code and name, then one property per indicator (null where missing).
#[derive(Serialize, ToSchema)]
pub struct TerritoryProperties {
    pub code: String,
    pub nom: String,
    /// Member communes without a contour, left out of the shape.
    pub missing: usize,
    /// Indicator id → the commune's value.
    #[serde(flatten)]
    pub indicators: BTreeMap<String, Option<f64>>,
}

/// A territory as a GeoJSON feature; its id is its code (INSEE code for a commune).
#[derive(Serialize, ToSchema)]
pub struct TerritoryFeature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub id: String,
    pub geometry: MultiPolygon,
    pub properties: TerritoryProperties,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub links: Option<Vec<Link>>,
}

fn feature(view: &View, shapes: &Shapes, table: &Table, i: usize) -> TerritoryFeature {
    let s = &shapes.shapes[i];
    let indicators = table
        .indicators
        .iter()
        .zip(&table.values)
        .filter(|(p, _)| view.shows_indicator(&p.id))
        .map(|(p, v)| (p.id.clone(), v[i]))
        .collect();
    TerritoryFeature {
        kind: FeatureType::Feature,
        id: s.code.clone(),
        geometry: shapes::geometry(s),
        properties: TerritoryProperties { code: s.code.clone(), nom: s.name.clone(), missing: s.missing, indicators },
        links: None,
    }
}

/// A page of a collection, optionally within a bounding box.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemsQuery {
    /// Features per page, 1 to 10,000 (default 100).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 10000)]
    limit: Option<String>,
    /// Features skipped, 0 to 1,000,000 (default 0).
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1000000)]
    offset: Option<String>,
    /// West,south,east,north in WGS84 degrees: only the territories whose box meets it.
    #[param(example = "3.0,50.6,3.1,50.65")]
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

/// A page of territories as a GeoJSON feature collection, with paging links.
#[derive(Serialize, ToSchema)]
pub struct Items {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    #[serde(rename = "numberMatched")]
    pub number_matched: usize,
    #[serde(rename = "numberReturned")]
    pub number_returned: usize,
    pub features: Vec<TerritoryFeature>,
    pub links: Vec<Link>,
}

#[utoipa::path(get, path = "/ogc/collections/{id}/items", tag = "ogc",
    summary = "OGC API – Features items (GeoJSON), paged",
    params(("id" = String, Path, description = "The collection, e.g. communes or departements"), ItemsQuery),
    responses((status = 200, description = "OK", body = Items, content_type = "application/geo+json"),
        (status = 400, description = "What is wrong with the request", body = ErrorBody), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn items(
    State(state): State<AppState>,
    viewer: Asker,
    Path(id): Path<String>,
    Query(q): Query<ItemsQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let (id, layer, _) = find_collection(&id)?;
        let number = |name: &str, v: Option<&str>, default: usize, max: usize| -> Result<usize, ApiError> {
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
        let (shapes, table) = loaded(&state, layer).await?;
        let matched: Vec<usize> = (0..shapes.shapes.len())
            .filter(|&i| {
                let s = &shapes.shapes[i].bbox;
                view.shows_key(&shapes.shapes[i].key)
                    && bbox.is_none_or(|b| s[0] <= b[2] && s[2] >= b[0] && s[1] <= b[3] && s[3] >= b[1])
            })
            .collect();
        view.read_indicators(
            table.indicators.iter().map(|p| p.id.as_str()).filter(|id| view.shows_indicator(id)),
            "OGC",
        );
        let page: Vec<TerritoryFeature> =
            matched.iter().skip(offset).take(limit).map(|&i| feature(&view, &shapes, &table, i)).collect();
        let b = base(&state);
        let bbox_param = q.bbox.as_deref().map(|x| format!("&bbox={x}")).unwrap_or_default();
        let url = |off: usize| format!("{b}/collections/{id}/items?limit={limit}&offset={off}{bbox_param}");
        let mut links = vec![Link::new(url(offset), "self", GEOJSON, None)];
        if offset + page.len() < matched.len() {
            links.push(Link::new(url(offset + limit), "next", GEOJSON, None));
        }
        if offset > 0 {
            links.push(Link::new(url(offset.saturating_sub(limit)), "prev", GEOJSON, None));
        }
        Ok(GeoJson(Items {
            kind: FeatureCollectionType::FeatureCollection,
            number_matched: matched.len(),
            number_returned: page.len(),
            features: page,
            links,
        }))
    })
    .await
}

#[utoipa::path(get, path = "/ogc/collections/{id}/items/{feature}", tag = "ogc",
    summary = "OGC API – Features item: one territory by its code",
    params(("id" = String, Path, description = "The collection, e.g. communes"),
        ("feature" = String, Path, description = "The territory's code, e.g. 62119 for a commune, 29 for a département")),
    responses((status = 200, description = "OK", body = TerritoryFeature, content_type = "application/geo+json"), (status = 404, description = "No such thing", body = ErrorBody)))]
pub async fn item(
    State(state): State<AppState>,
    viewer: Asker,
    Path((id, fid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let (id, layer, _) = find_collection(&id)?;
        let (shapes, table) = loaded(&state, layer).await?;
        let i = shapes
            .index(&fid)
            .filter(|&i| view.shows_key(&shapes.shapes[i].key))
            .ok_or_else(|| ApiError::NotFound(format!("no territory '{fid}' with a shape in '{id}'")))?;
        view.read_indicators(
            table.indicators.iter().map(|p| p.id.as_str()).filter(|id| view.shows_indicator(id)),
            "OGC",
        );
        let mut f = feature(&view, &shapes, &table, i);
        let b = base(&state);
        f.links = Some(vec![
            Link::new(format!("{b}/collections/{id}/items/{fid}"), "self", GEOJSON, None),
            Link::new(format!("{b}/collections/{id}"), "collection", "application/json", None),
        ]);
        Ok(GeoJson(f))
    })
    .await
}
