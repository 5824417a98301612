//! Shapes of territories over HTTP: the feature ids of the vector tiles and GeoJSON
//! for GIS tools; the shapes themselves are the store's unions
//! ([`echelle_store::shapes`]), projected once for the tiles ([`crate::mvt`]).
//!
//! ```text
//!  contours.parquet ──commune_shapes──> commune Shapes ──union_layer──> epci, arr, dep, reg, per
//!        (built at first use, kept in the application state until the store changes)
//!  /api/feature-ids?layer=epci      "epci:200093201" → integer feature id
//!  /api/shapes?layer=epci           GeoJSON FeatureCollection
//!  /tiles/{layer}/{z}/{x}/{y}.mvt   see crate::tiles
//! ```
//!
//! A tile carries only the geometry, the integer id and the key; the web application
//! joins the values of the indicator it shows by id, so changing indicator downloads no
//! geometry again.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use echelle_referential::{Layer, TerritoryRef};
use echelle_store::shapes::{
    CONTOURS_SOURCE, CONTOURS_VINTAGE, LayerShapes, TerritoryShape, commune_shapes, union_layer,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub use echelle_store::shapes::COVERAGE;

use crate::extract::Query;
use crate::geojson::{FeatureCollectionType, FeatureType, GeoJson, MultiPolygon};
use crate::mvt::{Projected, Ring};
use crate::tiles::{MAX_ZOOM, TileCache};
use crate::visibility::Asker;
use crate::visibility::View;
use crate::work::respond;
use crate::{ApiError, AppState};

/// One territory's shape, in WGS84 and projected for tiles.
pub struct Shape {
    /// The feature id of the tiles: for a commune its index in the referential, for
    /// another layer the territory's position in the layer.
    pub id: u32,
    pub code: String,
    /// The territory key, `com:59350`, `epci:200093201`...
    pub key: String,
    /// Member communes without a contour, left out of the union.
    pub missing: usize,
    pub name: String,
    pub area_km2: Option<f64>,
    /// WGS84 polygons (first ring exterior), for GeoJSON.
    pub lonlat: Vec<Vec<Ring>>,
    /// Web Mercator, for tiles.
    pub(crate) merc: Projected,
    /// WGS84 bounding box: west, south, east, north.
    pub bbox: [f64; 4],
}

impl Shape {
    fn new(t: TerritoryShape) -> Shape {
        let lonlat: Vec<Vec<Ring>> = t
            .shape
            .0
            .iter()
            .map(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .map(|r| r.0.iter().map(|c| [c.x, c.y]).collect())
                    .collect()
            })
            .collect();
        let merc = Projected::new(&lonlat);
        let bbox = crate::mvt::bounds(&lonlat);
        Shape {
            id: t.id,
            code: t.code,
            key: t.key,
            missing: t.missing,
            name: t.name,
            area_km2: t.area_km2,
            lonlat,
            merc,
            bbox,
        }
    }

    /// The shape as the store's unions take it.
    fn territory_shape(&self) -> TerritoryShape {
        let line = |r: &Ring| geo::LineString::from(r.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>());
        let polygons = self
            .lonlat
            .iter()
            .filter(|rings| !rings.is_empty())
            .map(|rings| geo::Polygon::new(line(&rings[0]), rings[1..].iter().map(line).collect()))
            .collect();
        TerritoryShape {
            id: self.id,
            code: self.code.clone(),
            key: self.key.clone(),
            name: self.name.clone(),
            area_km2: self.area_km2,
            missing: self.missing,
            shape: geo::MultiPolygon(polygons),
        }
    }
}

/// Every shape of a layer, with its encoded tiles.
pub struct Shapes {
    pub layer: Layer,
    pub shapes: Vec<Shape>,
    by_code: HashMap<String, usize>,
    pub(crate) tiles: TileCache,
    /// Tiles of the viewers who may not see some perimeters, by the perimeters hidden.
    pub(crate) audiences: std::sync::Mutex<HashMap<std::collections::BTreeSet<String>, Arc<TileCache>>>,
    /// Territories of the layer left out because too few member communes have a contour.
    pub unshaped: usize,
    /// Seconds taken to build the layer (the unions).
    pub seconds: f64,
}

impl Shapes {
    fn new(built: LayerShapes, seconds: f64) -> Shapes {
        let shapes: Vec<Shape> = built.shapes.into_iter().map(Shape::new).collect();
        let by_code = shapes.iter().enumerate().map(|(i, s)| (s.code.clone(), i)).collect();
        Shapes {
            layer: built.layer,
            shapes,
            by_code,
            tiles: TileCache::default(),
            audiences: Default::default(),
            unshaped: built.unshaped,
            seconds,
        }
    }

    /// The layer as the store's unions take it.
    fn layer_shapes(&self) -> LayerShapes {
        LayerShapes {
            layer: self.layer,
            shapes: self.shapes.iter().map(Shape::territory_shape).collect(),
            unshaped: self.unshaped,
        }
    }

    pub fn get(&self, code: &str) -> Option<&Shape> {
        self.by_code.get(code).map(|&i| &self.shapes[i])
    }

    /// The position of the shape of code `code` in `shapes`.
    pub fn index(&self, code: &str) -> Option<usize> {
        self.by_code.get(code).copied()
    }

    /// West, south, east, north of every shape.
    pub fn bounds(&self) -> [f64; 4] {
        self.bounds_where(|_| true)
    }

    /// West, south, east, north of the shapes `shown` (what one viewer may see).
    pub fn bounds_where(&self, shown: impl Fn(&Shape) -> bool) -> [f64; 4] {
        self.shapes.iter().filter(|s| shown(s)).fold([180.0, 90.0, -180.0, -90.0], |b, s| {
            [b[0].min(s.bbox[0]), b[1].min(s.bbox[1]), b[2].max(s.bbox[2]), b[3].max(s.bbox[3])]
        })
    }
}

/// The shapes of a layer (com, epci, arr, dep, reg, per) from the state's caches, or
/// built now and kept there (blocking: reads the contours, computes unions).
pub fn layer_shapes(state: &AppState, layer: Layer) -> Result<Arc<Shapes>, ApiError> {
    let _building = state.building();
    if let Some(s) = state.cached_shapes(layer) {
        return Ok(s);
    }
    let engine = state.engine();
    let r = engine.referential();
    let communes = match state.cached_shapes(Layer::Commune) {
        Some(c) => c,
        None => {
            let started = std::time::Instant::now();
            let contours = echelle_store::read_contours(&state.pack())?;
            let c = Arc::new(Shapes::new(commune_shapes(r, contours), started.elapsed().as_secs_f64()));
            state.cache_shapes(&engine, c.clone());
            c
        }
    };
    if layer == Layer::Commune {
        return Ok(communes);
    }
    let started = std::time::Instant::now();
    let built = union_layer(r, &communes.layer_shapes(), layer);
    let s = Arc::new(Shapes::new(built, started.elapsed().as_secs_f64()));
    tracing::info!(layer = layer.prefix(), shapes = s.shapes.len(), seconds = s.seconds, "layer shapes built");
    state.cache_shapes(&engine, s.clone());
    Ok(s)
}

/// The shapes of a layer: from the state's cache without any I/O once built, else
/// built off the async workers.
pub async fn layer_shapes_async(state: &AppState, layer: Layer) -> Result<Arc<Shapes>, ApiError> {
    if let Some(s) = state.cached_shapes(layer) {
        return Ok(s);
    }
    let st = state.clone();
    tokio::task::spawn_blocking(move || layer_shapes(&st, layer))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// The layers served as shapes and tiles.
pub const SHAPED: [Layer; 7] = [
    Layer::Commune,
    Layer::Epci,
    Layer::Arrondissement,
    Layer::Departement,
    Layer::Region,
    Layer::Country,
    Layer::Perimeter,
];

/// A layer with shapes, or a 400 naming those that have.
pub fn shaped_layer(layer: &str) -> Result<Layer, ApiError> {
    let parsed: Layer = layer.parse()?;
    if !SHAPED.contains(&parsed) {
        return Err(ApiError::BadRequest(format!(
            "no shapes for layer '{layer}': shapes exist for com, epci, arr, dep, reg, fr and per"
        )));
    }
    Ok(parsed)
}

/// The keys of the layer's territories inside `within`, or `None` for no restriction
/// (resolved in the viewer's referential: a perimeter it may not see is unknown).
pub fn within_keys(view: &View, layer: Layer, within: Option<&str>) -> Result<Option<HashSet<String>>, ApiError> {
    let Some(w) = within else { return Ok(None) };
    let r = &view.referential;
    let t: TerritoryRef = r.resolve(w)?;
    Ok(Some(r.territories_within(layer, Some(&t))?.iter().map(|t| t.key()).collect()))
}

/// A GeoJSON geometry of a shape.
pub fn geometry(s: &Shape) -> MultiPolygon {
    MultiPolygon::new(&s.lonlat)
}

/// The territories of a layer with shapes, within a territory.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShapesQuery {
    /// A layer with shapes: com, epci, arr, dep, reg, fr or per.
    #[param(value_type = Layer)]
    layer: String,
    /// Only the territories inside this one (a territory key, e.g. `dep:62`).
    within: Option<String>,
}

/// The integer id of each territory's feature in the vector tiles of a layer.
#[derive(Serialize, ToSchema)]
pub struct FeatureIds {
    pub layer: Layer,
    /// The tiles' address, `/tiles/{layer}/{z}/{x}/{y}.mvt`.
    pub tiles: String,
    /// The layer's name inside the tiles.
    pub source_layer: Layer,
    pub maxzoom: u8,
    /// The first zoom whose tiles carry the properties `key` and `name`; below it a
    /// feature has its id alone (map it to a key with `ids`).
    pub properties_from: u8,
    /// West, south, east, north of every shape of the layer.
    pub bounds: [f64; 4],
    /// Territory key → feature id (of the territories inside `within`, if given).
    pub ids: BTreeMap<String, u32>,
    /// Territory key → member communes without a contour, for the shapes that lack
    /// some (inside `within`, if given).
    pub partial: BTreeMap<String, usize>,
    /// Territories of the layer with a shape.
    pub shaped: usize,
    /// Territories of the layer without one.
    pub unshaped: usize,
    pub coverage: String,
    pub source: String,
    pub vintage: String,
}

/// `/api/feature-ids?layer=epci`: the integer id of each territory's tile feature.
#[utoipa::path(get, path = "/api/feature-ids", tag = "shapes", params(ShapesQuery),
    summary = "Integer feature id of each territory of a layer in its vector tiles",
    description = "With the tiles' address and bounds; shapes exist where commune contours exist (France, métropole and DROM).",
    responses((status = 200, description = "OK", body = FeatureIds), (status = 400, description = "What is wrong with the request", body = crate::error::ErrorBody), (status = 404, description = "No such thing", body = crate::error::ErrorBody)))]
pub async fn feature_ids(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<ShapesQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let layer = shaped_layer(&q.layer)?;
        let keys = within_keys(&view, layer, q.within.as_deref())?;
        let shapes = layer_shapes_async(&state, layer).await?;
        let inside: Vec<&Shape> = shapes
            .shapes
            .iter()
            .filter(|s| view.shows_key(&s.key) && keys.as_ref().is_none_or(|k| k.contains(&s.key)))
            .collect();
        let ids = inside.iter().map(|s| (s.key.clone(), s.id)).collect();
        let partial = inside.iter().filter(|s| s.missing > 0).map(|s| (s.key.clone(), s.missing)).collect();
        let p = layer.prefix();
        Ok(Json(FeatureIds {
            layer,
            tiles: format!("/tiles/{p}/{{z}}/{{x}}/{{y}}.mvt"),
            source_layer: layer,
            maxzoom: MAX_ZOOM,
            properties_from: crate::mvt::DETAIL_FROM,
            bounds: shapes.bounds_where(|s| view.shows_key(&s.key)),
            ids,
            partial,
            shaped: shapes.shapes.iter().filter(|s| view.shows_key(&s.key)).count(),
            unshaped: shapes.unshaped,
            coverage: COVERAGE.into(),
            source: CONTOURS_SOURCE.into(),
            vintage: CONTOURS_VINTAGE.into(),
        }))
    })
    .await
}

/// What a shape's GeoJSON feature says of its territory.
#[derive(Serialize, ToSchema)]
pub struct ShapeProperties {
    pub key: String,
    pub code: String,
    pub name: String,
    pub area_km2: Option<f64>,
    /// Member communes without a contour, left out of the union.
    pub missing: usize,
}

/// A territory's shape as a GeoJSON feature; the id is its tile feature id.
#[derive(Serialize, ToSchema)]
pub struct ShapeFeature {
    #[serde(rename = "type")]
    pub kind: FeatureType,
    pub id: u32,
    pub geometry: MultiPolygon,
    pub properties: ShapeProperties,
}

/// The shapes of a layer as a GeoJSON feature collection (WGS84).
#[derive(Serialize, ToSchema)]
pub struct ShapeCollection {
    #[serde(rename = "type")]
    pub kind: FeatureCollectionType,
    pub features: Vec<ShapeFeature>,
    pub coverage: String,
}

/// `/api/shapes?layer=epci&within=reg:32`: GeoJSON of the layer's shapes.
#[utoipa::path(get, path = "/api/shapes", tag = "shapes", params(ShapesQuery),
    summary = "Shapes of a layer as GeoJSON (WGS84)",
    description = "A territory is the union of its member communes' shapes.",
    responses((status = 200, description = "OK", body = ShapeCollection, content_type = "application/geo+json"),
        (status = 400, description = "What is wrong with the request", body = crate::error::ErrorBody), (status = 404, description = "No such thing", body = crate::error::ErrorBody)))]
pub async fn geojson(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<ShapesQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let layer = shaped_layer(&q.layer)?;
        let keys = within_keys(&view, layer, q.within.as_deref())?;
        let shapes = layer_shapes_async(&state, layer).await?;
        let features = shapes
            .shapes
            .iter()
            .filter(|s| view.shows_key(&s.key) && keys.as_ref().is_none_or(|k| k.contains(&s.key)))
            .map(|s| ShapeFeature {
                kind: FeatureType::Feature,
                id: s.id,
                geometry: geometry(s),
                properties: ShapeProperties {
                    key: s.key.clone(),
                    code: s.code.clone(),
                    name: s.name.clone(),
                    area_km2: s.area_km2,
                    missing: s.missing,
                },
            })
            .collect();
        Ok(GeoJson(ShapeCollection {
            kind: FeatureCollectionType::FeatureCollection,
            features,
            coverage: COVERAGE.into(),
        }))
    })
    .await
}
