//! `/tiles/{layer}/{z}/{x}/{y}.mvt`: the shapes of a layer as Mapbox Vector Tiles,
//! encoded at first request ([`crate::mvt`]) and kept with the layer's shapes, plain
//! and gzipped.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use echelle_referential::Layer;

use crate::mvt::{Feature, encode_tile};
use crate::shapes::{Shapes, layer_shapes_async, shaped_layer};
use crate::{ApiError, AppState};

/// Deepest zoom served; deeper tiles are refused (the client overzooms).
pub const MAX_ZOOM: u8 = 16;
/// Encoded tiles kept in memory per layer.
const CACHE_TILES: usize = 50_000;

/// An encoded tile and, when it is worth it, its gzip encoding (made once).
#[derive(Clone)]
pub struct Tile {
    pub plain: Bytes,
    pub gzip: Option<Bytes>,
}

impl Shapes {
    /// The encoded tile (empty when no shape touches it), plain and gzipped.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Tile {
        self.tile_without(z, x, y, &BTreeSet::new())
    }

    /// The tile as seen by a viewer who may not see the perimeters `hidden`: encoded
    /// without them and kept in a cache of its own for that set (the tiles of everyone
    /// who sees all are the plain cache's), so that no cached tile carries a shape to
    /// a viewer who may not see it.
    pub fn tile_without(&self, z: u8, x: u32, y: u32, hidden: &BTreeSet<String>) -> Tile {
        let hidden_here = self.layer == Layer::Perimeter && !hidden.is_empty();
        let cache = if hidden_here { self.audience_cache(hidden) } else { None };
        let tiles = cache.as_deref().unwrap_or(&self.tiles);
        if let Some(t) = tiles.get((z, x, y)) {
            return t;
        }
        let features = self.shapes.iter().filter(|s| !hidden_here || !hidden.contains(&s.code)).map(|s| Feature {
            id: s.id,
            key: &s.key,
            name: &s.name,
            geometry: &s.merc,
        });
        let plain = encode_tile(self.layer.prefix(), features, z, x, y);
        let gzip = gzip(&plain);
        let tile = Tile { plain: Bytes::from(plain), gzip };
        tiles.insert((z, x, y), tile.clone());
        tile
    }

    /// The tile as [`Shapes::tile_without`] gives it, if already encoded.
    pub fn cached_tile_without(&self, z: u8, x: u32, y: u32, hidden: &BTreeSet<String>) -> Option<Tile> {
        if self.layer != Layer::Perimeter || hidden.is_empty() {
            return self.tiles.get((z, x, y));
        }
        self.audience_cache(hidden)?.get((z, x, y))
    }

    /// The tile cache of the viewers who may not see `hidden`; at most
    /// [`MAX_AUDIENCES`] sets are kept, beyond the cache starts again.
    fn audience_cache(&self, hidden: &BTreeSet<String>) -> Option<Arc<TileCache>> {
        let mut all = self.audiences.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = all.get(hidden) {
            return Some(c.clone());
        }
        if all.len() >= MAX_AUDIENCES {
            all.clear();
        }
        let c = Arc::new(TileCache::default());
        all.insert(hidden.clone(), c.clone());
        Some(c)
    }
}

/// Sets of hidden perimeters whose tiles are kept (one per organisation at most, in practice).
const MAX_AUDIENCES: usize = 16;

/// Gzipped once per tile and kept: the best compression costs only at the first request.
fn gzip(bytes: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    if bytes.len() < 256 {
        return None;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::best());
    enc.write_all(bytes).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < bytes.len()).then(|| Bytes::from(out))
}

type TileMap = HashMap<(u8, u32, u32), Tile>;

/// Encoded tiles, bounded: two generations of at most [`CACHE_TILES`] / 2 tiles each;
/// when the young one is full it becomes the old one, and tiles read from the old one
/// move back to the young one (an approximate LRU without per-read bookkeeping).
#[derive(Default)]
pub struct TileCache {
    generations: std::sync::RwLock<[TileMap; 2]>,
}

impl TileCache {
    pub(crate) fn get(&self, key: (u8, u32, u32)) -> Option<Tile> {
        let found = {
            let g = self.generations.read().expect("tile cache");
            if let Some(t) = g[0].get(&key) {
                return Some(t.clone());
            }
            g[1].get(&key).cloned()
        };
        if let Some(t) = &found {
            self.insert(key, t.clone());
        }
        found
    }

    fn insert(&self, key: (u8, u32, u32), tile: Tile) {
        let mut g = self.generations.write().expect("tile cache");
        if g[0].len() >= CACHE_TILES / 2 {
            g[1] = std::mem::take(&mut g[0]);
        }
        g[0].insert(key, tile);
    }
}

/// The bytes of a vector tile, in an OpenAPI document.
pub struct TileBytes;

impl utoipa::PartialSchema for TileBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for TileBytes {}

/// Routes under `/tiles` (documented in the OpenAPI document; tests/server/shapes.rs
/// checks); any other path there is a JSON 404, not the web application.
pub fn routes() -> axum::Router<AppState> {
    let tiles = axum::Router::new()
        .route("/{layer}/{z}/{x}/{y}", axum::routing::get(tile))
        .fallback(|| async { ApiError::NotFound(NO_SUCH_TILE.into()) });
    axum::Router::new().nest("/tiles", tiles)
}

const NO_SUCH_TILE: &str =
    "no such tile; tiles are /tiles/{layer}/{z}/{x}/{y}.mvt, layer com, epci, arr, dep, reg or per";

/// `/tiles/{layer}/{z}/{x}/{y}.mvt`: layer and coordinates are checked before any work.
/// A tile gzipped once is served as such to clients accepting gzip.
#[utoipa::path(get, path = "/tiles/{layer}/{z}/{x}/{y}.mvt", tag = "shapes",
    summary = "Shapes of a layer as a Mapbox Vector Tile",
    description = "Source layer = the layer name, feature id from /api/feature-ids, properties key and name; empty where no shape touches the tile.",
    params(
        ("layer" = Layer, Path, description = "A layer with shapes: com, epci, arr, dep, reg or per"),
        ("z" = u8, Path, description = "Zoom, 0 to 16", minimum = 0, maximum = 16),
        ("x" = u32, Path, description = "Column, 0 to 2^z - 1"),
        ("y" = u32, Path, description = "Row, 0 to 2^z - 1"),
    ),
    responses(
        (status = 200, description = "The tile (gzipped for clients that accept it)", content_type = "application/vnd.mapbox-vector-tile", body = TileBytes),
        (status = 400, description = "What is wrong with the request", body = crate::error::ErrorBody), (status = 404, description = "No such thing", body = crate::error::ErrorBody)))]
pub async fn tile(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let layer = shaped_layer(&layer)?;
    let (z, x, y) = parse_tile(&z, &x, &file)?;
    // Only perimeters carry what a viewer may not see: the other layers' tiles are
    // everyone's, served without looking at the viewer.
    let hidden = if layer == Layer::Perimeter { state.hidden_perimeters(&viewer.0) } else { BTreeSet::new() };
    // A tile already encoded is served at once; any other goes through the pool.
    let cached = state.cached_shapes(layer);
    let tile = match cached.as_ref().and_then(|s| s.cached_tile_without(z, x, y, &hidden)) {
        Some(t) => t,
        None => {
            let st = state.clone();
            state
                .work()
                .run(async move { Ok(layer_shapes_async(&st, layer).await?.tile_without(z, x, y, &hidden)) })
                .await?
        }
    };
    // Perimeters change when one is added, and differ by viewer: no caching by the
    // browser, none by a shared cache.
    let cache = if layer == Layer::Perimeter { "private, no-cache" } else { "public, max-age=3600" };
    let common = [
        (header::CONTENT_TYPE, "application/vnd.mapbox-vector-tile"),
        (header::CACHE_CONTROL, cache),
        (header::VARY, "accept-encoding"),
    ];
    match tile.gzip {
        Some(gz) if accepts_gzip(&headers) => Ok((common, [(header::CONTENT_ENCODING, "gzip")], gz).into_response()),
        _ => Ok((common, tile.plain).into_response()),
    }
}

/// Whether `Accept-Encoding` lists gzip with a non-zero quality.
fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).any(
        |item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().unwrap_or("");
            let q = parts.find_map(|p| p.strip_prefix("q=")).and_then(|q| q.parse::<f32>().ok()).unwrap_or(1.0);
            (coding.eq_ignore_ascii_case("gzip") || coding == "*") && q > 0.0
        },
    )
}

/// Zoom, column and row of a tile path; 400 for anything but a tile of the pyramid.
pub fn parse_tile(z: &str, x: &str, file: &str) -> Result<(u8, u32, u32), ApiError> {
    let bad = || {
        ApiError::BadRequest(format!(
            "tile coordinates must be /tiles/{{layer}}/{{z}}/{{x}}/{{y}}.mvt with 0 ≤ z ≤ {MAX_ZOOM} and 0 ≤ x, y < 2^z"
        ))
    };
    let y = file.strip_suffix(".mvt").ok_or_else(bad)?;
    let num =
        |s: &str| if s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u32>().ok() } else { None };
    let (z, x, y) = (num(z).ok_or_else(bad)?, num(x).ok_or_else(bad)?, num(y).ok_or_else(bad)?);
    if z > u32::from(MAX_ZOOM) || x >= (1 << z) || y >= (1 << z) {
        return Err(bad());
    }
    Ok((z as u8, x, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_paths() {
        assert_eq!(parse_tile("8", "130", "85.mvt").unwrap(), (8, 130, 85));
        for (z, x, y) in [
            ("17", "0", "0.mvt"),
            ("2", "4", "0.mvt"),
            ("2", "0", "4.mvt"),
            ("-1", "0", "0.mvt"),
            ("1", "0", "0.png"),
            ("1", "0", "..%2f.mvt"),
            ("99999999999", "0", "0.mvt"),
        ] {
            assert!(matches!(parse_tile(z, x, y), Err(ApiError::BadRequest(_))), "{z}/{x}/{y}");
        }
    }
}
