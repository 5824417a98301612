//! Shapes of territories: Mapbox Vector Tiles for the map, GeoJSON for GIS tools.
//!
//! ```text
//!  contours.parquet (WKB, WGS84) ──load once──> commune Shapes (Web Mercator, unit square)
//!        └─ union of member communes (geo unary_union), once per layer ──> epci, arr, dep, reg, per
//!        /tiles/{layer}/{z}/{x}/{y}.mvt   clip to the tile (+ buffer), quantise to 4096, encode
//!        /api/feature-ids?layer=epci      "epci:200093201" → integer feature id
//!        /api/shapes?layer=epci           GeoJSON FeatureCollection
//! ```
//!
//! A tile carries only the geometry, the integer id and the key; the web application
//! joins the values of the indicator it shows by id, so changing indicator downloads no
//! geometry again. Tiles are cached once encoded. Commune contours exist for part of
//! France only (Hauts-de-France in the shipped pack): a territory is shaped when every
//! one of its member communes is; others are absent from tiles and GeoJSON (not errors).

use std::collections::HashMap;
use std::f64::consts::PI;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use echelle_indicators::Engine;
use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::extract::Query;
use crate::{ApiError, AppState};

/// Tile extent (MVT default) and buffer around a tile, in tile units.
const EXTENT: f64 = 4096.0;
const BUFFER: f64 = 64.0;
/// Deepest zoom served; deeper tiles are refused (the client overzooms).
pub const MAX_ZOOM: u8 = 16;
/// Encoded tiles kept in memory.
const CACHE_TILES: usize = 50_000;

type Ring = Vec<[f64; 2]>;

/// One territory's shape, projected.
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
    /// Web Mercator in the unit square (x east, y south), for tiles.
    merc: Vec<Vec<Ring>>,
    /// Mercator bounding box: min x, min y, max x, max y.
    merc_bbox: [f64; 4],
    /// WGS84 bounding box: west, south, east, north.
    pub bbox: [f64; 4],
}

/// Every shape of a layer.
pub struct Shapes {
    pub layer: Layer,
    pub shapes: Vec<Shape>,
    by_code: HashMap<String, usize>,
    tiles: TileCache,
    /// Territories of the layer left out because a member commune has no contour.
    pub unshaped: usize,
    /// Seconds taken to build the layer (the unions).
    pub seconds: f64,
}

impl Shape {
    fn new(id: u32, code: &str, key: String, name: String, area_km2: Option<f64>, lonlat: Vec<Vec<Ring>>) -> Shape {
        let merc: Vec<Vec<Ring>> = lonlat
            .iter()
            .map(|p| p.iter().map(|ring| ring.iter().map(|&[x, y]| mercator(x, y)).collect()).collect())
            .collect();
        let bbox = bounds(&lonlat);
        let merc_bbox = bounds(&merc);
        Shape { id, code: code.to_string(), key, missing: 0, name, area_km2, lonlat, merc, merc_bbox, bbox }
    }

    /// The shape as `geo` polygons, exteriors anticlockwise.
    fn polygons(&self) -> impl Iterator<Item = geo::Polygon<f64>> + '_ {
        use geo::orient::{Direction, Orient};
        self.lonlat.iter().map(|rings| {
            let line = |r: &Ring| geo::LineString::from(r.iter().map(|&[x, y]| (x, y)).collect::<Vec<_>>());
            geo::Polygon::new(line(&rings[0]), rings[1..].iter().map(line).collect()).orient(Direction::Default)
        })
    }
}

fn mercator(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    [(lon + 180.0) / 360.0, (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0]
}

impl Shapes {
    /// Reads `contours.parquet` of the pack; communes unknown to the referential are skipped.
    pub fn load(state: &AppState) -> Result<Shapes, ApiError> {
        let engine = state.engine();
        let r = engine.referential();
        let contours = echelle_store::read_contours(&state.store()?.pack_dir()?)?;
        let mut shapes = Vec::with_capacity(contours.len());
        for c in contours {
            let Some(id) = r.commune_index(&c.code) else { continue };
            let polygons: Vec<Vec<Ring>> = c.shape.0.iter().map(polygon_rings).collect();
            let name = r.communes()[id as usize].name.clone();
            let key = format!("com:{}", c.code);
            shapes.push(Shape::new(id, &c.code, key, name, c.area_km2, polygons));
        }
        shapes.sort_by_key(|s| s.id);
        let unshaped = r.communes().len() - shapes.len();
        Ok(Shapes::from_shapes(Layer::Commune, shapes, unshaped, 0.0))
    }

    fn from_shapes(layer: Layer, shapes: Vec<Shape>, unshaped: usize, seconds: f64) -> Shapes {
        let by_code = shapes.iter().enumerate().map(|(i, s)| (s.code.clone(), i)).collect();
        Shapes { layer, shapes, by_code, tiles: TileCache::default(), unshaped, seconds }
    }

    /// The commune shape of a commune index.
    fn commune(&self, index: u32) -> Option<&Shape> {
        self.shapes.binary_search_by_key(&index, |s| s.id).ok().map(|i| &self.shapes[i])
    }

    /// The shapes of another layer: each territory of which at least 90 % of the member
    /// communes have a shape is their union (the others are counted in `missing`); the
    /// feature id is the territory's position in the layer.
    pub fn union_layer(communes: &Shapes, r: &Referential, layer: Layer) -> Shapes {
        let started = std::time::Instant::now();
        let mut shapes = Vec::new();
        let mut unshaped = 0;
        for (i, t) in r.territories(layer).iter().enumerate() {
            let members = r.members(t).map(|m| m.into_owned()).unwrap_or_default();
            let parts: Vec<&Shape> = members.iter().filter_map(|&c| communes.commune(c)).collect();
            let missing = members.len() - parts.len();
            if parts.is_empty() || missing * 10 > members.len() {
                unshaped += 1;
                continue;
            }
            let polygons: Vec<geo::Polygon<f64>> = parts.iter().flat_map(|s| s.polygons()).collect();
            let union = geo::unary_union(&polygons);
            let lonlat: Vec<Vec<Ring>> = union.0.iter().map(polygon_rings).collect();
            let area = if missing == 0 { parts.iter().map(|s| s.area_km2).sum::<Option<f64>>() } else { None };
            let name = r.name(t).unwrap_or(&t.code).to_string();
            let mut shape = Shape::new(i as u32, &t.code, t.key(), name, area, lonlat);
            shape.missing = missing;
            shapes.push(shape);
        }
        Shapes::from_shapes(layer, shapes, unshaped, started.elapsed().as_secs_f64())
    }

    pub fn get(&self, code: &str) -> Option<&Shape> {
        self.by_code.get(code).map(|&i| &self.shapes[i])
    }

    /// West, south, east, north of every shape.
    pub fn bounds(&self) -> [f64; 4] {
        self.shapes.iter().fold([180.0, 90.0, -180.0, -90.0], |b, s| {
            [b[0].min(s.bbox[0]), b[1].min(s.bbox[1]), b[2].max(s.bbox[2]), b[3].max(s.bbox[3])]
        })
    }

    /// The encoded tile (empty when no shape touches it), plain and gzipped.
    pub fn tile(&self, z: u8, x: u32, y: u32) -> Tile {
        if let Some(t) = self.tiles.get((z, x, y)) {
            return t;
        }
        let plain = encode_tile(self.layer.prefix(), &self.shapes, z, x, y);
        let gzip = gzip(&plain);
        let tile = Tile { plain: Bytes::from(plain), gzip };
        self.tiles.insert((z, x, y), tile.clone());
        tile
    }
}

/// An encoded tile and, when it is worth it, its gzip encoding (made once).
#[derive(Clone)]
pub struct Tile {
    pub plain: Bytes,
    pub gzip: Option<Bytes>,
}

fn gzip(bytes: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    if bytes.len() < 256 {
        return None;
    }
    let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(bytes.len() / 2), flate2::Compression::new(6));
    enc.write_all(bytes).ok()?;
    let out = enc.finish().ok()?;
    (out.len() < bytes.len()).then(|| Bytes::from(out))
}

type TileMap = HashMap<(u8, u32, u32), Tile>;

/// Encoded tiles, bounded: two generations of at most [`CACHE_TILES`] / 2 tiles each;
/// when the young one is full it becomes the old one, and tiles read from the old one
/// move back to the young one (an approximate LRU without per-read bookkeeping).
#[derive(Default)]
struct TileCache {
    generations: std::sync::RwLock<[TileMap; 2]>,
}

impl TileCache {
    fn get(&self, key: (u8, u32, u32)) -> Option<Tile> {
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

fn polygon_rings(p: &geo::Polygon<f64>) -> Vec<Ring> {
    std::iter::once(p.exterior()).chain(p.interiors()).map(|r| r.0.iter().map(|c| [c.x, c.y]).collect()).collect()
}

fn bounds(polygons: &[Vec<Ring>]) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in polygons {
        for &[x, y] in p.iter().flatten() {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    }
    b
}

static LOADED: OnceLock<Mutex<HashMap<PathBuf, Arc<Shapes>>>> = OnceLock::new();

/// The commune shapes of the state's store, loaded at first use.
pub fn shapes(state: &AppState) -> Result<Arc<Shapes>, ApiError> {
    let pack = state.store()?.pack_dir()?;
    let mut loaded = LOADED.get_or_init(Default::default).lock().expect("shapes");
    if let Some(s) = loaded.get(&pack) {
        return Ok(s.clone());
    }
    let s = Arc::new(Shapes::load(state)?);
    loaded.insert(pack, s.clone());
    Ok(s)
}

/// Layers built from commune unions, by pack and layer; perimeters also by engine,
/// since adding one changes the layer.
type Built = HashMap<(PathBuf, Layer), (Weak<Engine>, Arc<Shapes>)>;
static LAYERS: OnceLock<Mutex<Built>> = OnceLock::new();

/// The shapes of a layer (com, epci, arr, dep, reg, per), built at first use.
pub fn layer_shapes(state: &AppState, layer: Layer) -> Result<Arc<Shapes>, ApiError> {
    let communes = shapes(state)?;
    if layer == Layer::Commune {
        return Ok(communes);
    }
    let engine = state.engine();
    let key = (state.store()?.pack_dir()?, layer);
    let mut built = LAYERS.get_or_init(Default::default).lock().expect("layers");
    if let Some((e, s)) = built.get(&key)
        && (layer != Layer::Perimeter || Weak::ptr_eq(e, &Arc::downgrade(&engine)))
    {
        return Ok(s.clone());
    }
    let s = Arc::new(Shapes::union_layer(&communes, engine.referential(), layer));
    tracing::info!(layer = layer.prefix(), shapes = s.shapes.len(), seconds = s.seconds, "layer shapes built");
    built.insert(key, (Arc::downgrade(&engine), s.clone()));
    Ok(s)
}

/// The shapes of a layer: from the state's cache without any I/O once built, else
/// built (or found) off the async workers.
pub async fn layer_shapes_async(state: &AppState, layer: Layer) -> Result<Arc<Shapes>, ApiError> {
    if let Some(s) = state.cached_shapes(layer) {
        return Ok(s);
    }
    let (engine, pack) = (state.engine(), state.pack());
    let st = state.clone();
    let s = tokio::task::spawn_blocking(move || layer_shapes(&st, layer))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    state.cache_shapes(layer, &engine, pack, s.clone());
    Ok(s)
}

/// The layers served as shapes and tiles.
pub const SHAPED: [Layer; 6] =
    [Layer::Commune, Layer::Epci, Layer::Arrondissement, Layer::Departement, Layer::Region, Layer::Perimeter];

/// A layer with shapes, or a 400 naming those that have.
pub fn shaped_layer(layer: &str) -> Result<Layer, ApiError> {
    let parsed: Layer = layer.parse()?;
    if !SHAPED.contains(&parsed) {
        return Err(ApiError::BadRequest(format!(
            "no shapes for layer '{layer}': shapes exist for com, epci, arr, dep, reg and per"
        )));
    }
    Ok(parsed)
}

// ---------------------------------------------------------------- tile encoding

/// Clips a ring to an axis-aligned rectangle (Sutherland–Hodgman).
fn clip(ring: &[[f64; 2]], r: [f64; 4]) -> Ring {
    let mut out: Ring = ring.to_vec();
    for edge in 0..4 {
        let inside = |p: &[f64; 2]| match edge {
            0 => p[0] >= r[0],
            1 => p[1] >= r[1],
            2 => p[0] <= r[2],
            _ => p[1] <= r[3],
        };
        let cross = |a: &[f64; 2], b: &[f64; 2]| {
            let t = match edge {
                0 => (r[0] - a[0]) / (b[0] - a[0]),
                1 => (r[1] - a[1]) / (b[1] - a[1]),
                2 => (r[2] - a[0]) / (b[0] - a[0]),
                _ => (r[3] - a[1]) / (b[1] - a[1]),
            };
            [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])]
        };
        let input = std::mem::take(&mut out);
        let Some(mut prev) = input.last() else { break };
        for p in &input {
            match (inside(p), inside(prev)) {
                (true, true) => out.push(*p),
                (true, false) => {
                    out.push(cross(prev, p));
                    out.push(*p);
                }
                (false, true) => out.push(cross(prev, p)),
                (false, false) => {}
            }
            prev = p;
        }
    }
    out
}

fn zigzag(v: i64) -> u32 {
    ((v << 1) ^ (v >> 63)) as u32
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn field(out: &mut Vec<u8>, number: u32, wire: u8) {
    varint(out, ((number << 3) | wire as u32) as u64);
}

fn bytes_field(out: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    field(out, number, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn packed(out: &mut Vec<u8>, number: u32, values: &[u32]) {
    let mut body = Vec::with_capacity(values.len() * 2);
    for &v in values {
        varint(&mut body, v as u64);
    }
    bytes_field(out, number, &body);
}

/// Integer ring in tile units: quantised, without repeated points or closing point;
/// `None` when it has no area left at this zoom.
fn quantise(ring: &[[f64; 2]], origin: [f64; 2], scale: f64) -> Option<(Vec<[i64; 2]>, i64)> {
    let mut pts: Vec<[i64; 2]> = Vec::with_capacity(ring.len());
    for &[x, y] in ring {
        let p = [((x - origin[0]) * scale).round() as i64, ((y - origin[1]) * scale).round() as i64];
        if pts.last() != Some(&p) {
            pts.push(p);
        }
    }
    while pts.len() > 1 && pts.first() == pts.last() {
        pts.pop();
    }
    if pts.len() < 3 {
        return None;
    }
    let pts = simplify(&pts, SIMPLIFY);
    if pts.len() < 3 {
        return None;
    }
    let mut area2 = 0i64;
    for i in 0..pts.len() {
        let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
        area2 += a[0] * b[1] - b[0] * a[1];
    }
    (area2 != 0).then_some((pts, area2))
}

/// Tolerance of the simplification, in tile units (1/4096 of a tile: an eighth of a
/// pixel on a 512-pixel tile), so that low zooms do not carry every vertex.
const SIMPLIFY: f64 = 1.5;

/// Ramer–Douglas–Peucker on a closed ring (implicitly closed, no repeated end point):
/// the points farther than `tolerance` from the simplified outline are kept.
fn simplify(ring: &[[i64; 2]], tolerance: f64) -> Vec<[i64; 2]> {
    let n = ring.len();
    if n <= 4 {
        return ring.to_vec();
    }
    // Anchor the ring at point 0 and at the point farthest from it, then simplify both halves.
    let d2 = |a: [i64; 2], b: [i64; 2]| ((a[0] - b[0]).pow(2) + (a[1] - b[1]).pow(2)) as f64;
    let far = (1..n).max_by(|&i, &j| d2(ring[0], ring[i]).total_cmp(&d2(ring[0], ring[j]))).expect("n > 4");
    let mut keep = vec![false; n + 1];
    keep[0] = true;
    keep[far] = true;
    keep[n] = true;
    let at = |i: usize| ring[i % n];
    let mut stack = vec![(0, far), (far, n)];
    while let Some((a, b)) = stack.pop() {
        if b <= a + 1 {
            continue;
        }
        let (p, q) = (at(a), at(b));
        let (dx, dy) = ((q[0] - p[0]) as f64, (q[1] - p[1]) as f64);
        let len = (dx * dx + dy * dy).sqrt();
        let mut worst = (0.0, a);
        for i in a + 1..b {
            let r = at(i);
            let d = if len == 0.0 {
                d2(p, r).sqrt()
            } else {
                (dy * (r[0] - p[0]) as f64 - dx * (r[1] - p[1]) as f64).abs() / len
            };
            if d > worst.0 {
                worst = (d, i);
            }
        }
        if worst.0 > tolerance {
            keep[worst.1] = true;
            stack.push((a, worst.1));
            stack.push((worst.1, b));
        }
    }
    (0..n).filter(|&i| keep[i]).map(|i| ring[i]).collect()
}

/// One layer named `name` with the shapes touching tile z/x/y.
pub fn encode_tile(name: &str, shapes: &[Shape], z: u8, x: u32, y: u32) -> Vec<u8> {
    let n = f64::from(1u32 << z);
    let (x0, y0) = (f64::from(x) / n, f64::from(y) / n);
    let pad = BUFFER / EXTENT / n;
    let rect = [x0 - pad, y0 - pad, x0 + 1.0 / n + pad, y0 + 1.0 / n + pad];
    let scale = n * EXTENT;
    let mut features: Vec<u8> = Vec::new();
    let mut values: Vec<u8> = Vec::new();
    let mut n_values = 0u32;
    for s in shapes {
        let b = s.merc_bbox;
        if b[2] < rect[0] || b[0] > rect[2] || b[3] < rect[1] || b[1] > rect[3] {
            continue;
        }
        let mut geometry: Vec<u32> = Vec::new();
        let mut cursor = [0i64, 0i64];
        for polygon in &s.merc {
            for (k, ring) in polygon.iter().enumerate() {
                let clipped = clip(ring, rect);
                let Some((mut pts, area2)) = quantise(&clipped, [x0, y0], scale) else {
                    if k == 0 {
                        break; // no exterior, no holes
                    }
                    continue;
                };
                // Exterior rings clockwise in tile coordinates (positive area, y down), holes anticlockwise.
                if (k == 0) != (area2 > 0) {
                    pts.reverse();
                }
                geometry.push(1 | (1 << 3));
                geometry.push(zigzag(pts[0][0] - cursor[0]));
                geometry.push(zigzag(pts[0][1] - cursor[1]));
                geometry.push(2 | (((pts.len() - 1) as u32) << 3));
                for w in pts.windows(2) {
                    geometry.push(zigzag(w[1][0] - w[0][0]));
                    geometry.push(zigzag(w[1][1] - w[0][1]));
                }
                cursor = *pts.last().expect("three points");
                geometry.push(7 | (1 << 3));
            }
        }
        if geometry.is_empty() {
            continue;
        }
        let mut feature = Vec::new();
        field(&mut feature, 1, 0);
        varint(&mut feature, u64::from(s.id));
        // Tags: key 0 ("key") and key 1 ("name"), each with its own string value.
        for text in [s.key.as_str(), s.name.as_str()] {
            let mut value = Vec::new();
            bytes_field(&mut value, 1, text.as_bytes());
            bytes_field(&mut values, 4, &value);
        }
        packed(&mut feature, 2, &[0, n_values, 1, n_values + 1]);
        n_values += 2;
        field(&mut feature, 3, 0);
        varint(&mut feature, 3); // POLYGON
        packed(&mut feature, 4, &geometry);
        bytes_field(&mut features, 2, &feature);
    }
    if features.is_empty() {
        return Vec::new();
    }
    let mut layer = Vec::new();
    field(&mut layer, 15, 0);
    varint(&mut layer, 2);
    bytes_field(&mut layer, 1, name.as_bytes());
    layer.extend_from_slice(&features);
    bytes_field(&mut layer, 3, b"key");
    bytes_field(&mut layer, 3, b"name");
    layer.extend_from_slice(&values);
    field(&mut layer, 5, 0);
    varint(&mut layer, EXTENT as u64);
    let mut tile = Vec::new();
    bytes_field(&mut tile, 3, &layer);
    tile
}

// ---------------------------------------------------------------- handlers

/// Routes under `/tiles` (documented in the OpenAPI document; tests/shapes.rs checks);
/// any other path there is a JSON 404, not the web application.
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
pub async fn tile(
    State(state): State<AppState>,
    Path((layer, z, x, file)): Path<(String, String, String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let layer = shaped_layer(&layer)?;
    let (z, x, y) = parse_tile(&z, &x, &file)?;
    let shapes = layer_shapes_async(&state, layer).await?;
    let tile = match shapes.tiles.get((z, x, y)) {
        Some(t) => t,
        None => tokio::task::spawn_blocking(move || shapes.tile(z, x, y))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    // Perimeters change when one is added: no caching by the browser.
    let cache = if layer == Layer::Perimeter { "no-cache" } else { "public, max-age=3600" };
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

#[derive(Deserialize)]
pub struct ShapesQuery {
    layer: String,
    within: Option<String>,
}

/// What shapes cover, said in every answer about shapes.
pub const COVERAGE: &str = "Commune contours exist for Hauts-de-France only in this pack (2 communes of the Oise \
     split since 2018 have none); a territory of another layer is the union of its member communes' shapes and is \
     shaped when at least 90 % of them have one ('missing' counts those left out). Territories elsewhere have no \
     shape: they are absent from tiles, GeoJSON and exports, not errors.";

/// `/api/feature-ids?layer=epci`: the integer id of each territory's tile feature.
pub async fn feature_ids(State(state): State<AppState>, Query(q): Query<ShapesQuery>) -> Result<Json<Value>, ApiError> {
    let layer = shaped_layer(&q.layer)?;
    let keys = within_keys(&state, layer, q.within.as_deref())?;
    let shapes = layer_shapes_async(&state, layer).await?;
    let ids: serde_json::Map<String, Value> = shapes
        .shapes
        .iter()
        .filter(|s| keys.as_ref().is_none_or(|k| k.contains(&s.key)))
        .map(|s| (s.key.clone(), json!(s.id)))
        .collect();
    let p = layer.prefix();
    let partial: serde_json::Map<String, Value> =
        shapes.shapes.iter().filter(|s| s.missing > 0).map(|s| (s.key.clone(), json!(s.missing))).collect();
    Ok(Json(json!({
        "partial": partial,
        "layer": p, "tiles": format!("/tiles/{p}/{{z}}/{{x}}/{{y}}.mvt"), "source_layer": p, "maxzoom": MAX_ZOOM,
        "bounds": shapes.bounds(), "ids": ids, "shaped": shapes.shapes.len(), "unshaped": shapes.unshaped,
        "coverage": COVERAGE,
        "source": "IGN ADMIN EXPRESS via france-geojson (Licence Ouverte 2.0)", "vintage": "2018, reconciled to COG 2026",
    })))
}

/// The keys of the layer's territories inside `within`, or `None` for no restriction.
pub fn within_keys(
    state: &AppState,
    layer: Layer,
    within: Option<&str>,
) -> Result<Option<std::collections::HashSet<String>>, ApiError> {
    let Some(w) = within else { return Ok(None) };
    let engine = state.engine();
    let r = engine.referential();
    let t: TerritoryRef = r.resolve(w)?;
    Ok(Some(r.territories_within(layer, Some(&t))?.iter().map(|t| t.key()).collect()))
}

/// A GeoJSON geometry of a shape.
pub fn geometry(s: &Shape) -> Value {
    json!({ "type": "MultiPolygon", "coordinates": s.lonlat })
}

/// `/api/shapes?layer=epci&within=reg:32`: GeoJSON of the layer's shapes.
pub async fn geojson(State(state): State<AppState>, Query(q): Query<ShapesQuery>) -> Result<Response, ApiError> {
    let layer = shaped_layer(&q.layer)?;
    let keys = within_keys(&state, layer, q.within.as_deref())?;
    let shapes = layer_shapes_async(&state, layer).await?;
    let features: Vec<Value> = shapes
        .shapes
        .iter()
        .filter(|s| keys.as_ref().is_none_or(|k| k.contains(&s.key)))
        .map(|s| {
            json!({ "type": "Feature", "id": s.id, "geometry": geometry(s),
                "properties": { "key": s.key, "code": s.code, "name": s.name, "area_km2": s.area_km2, "missing": s.missing } })
        })
        .collect();
    let body = json!({ "type": "FeatureCollection", "features": features, "coverage": COVERAGE });
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], body.to_string()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zigzag_and_varints() {
        assert_eq!([zigzag(0), zigzag(-1), zigzag(1), zigzag(-2), zigzag(2)], [0, 1, 2, 3, 4]);
        let mut v = Vec::new();
        varint(&mut v, 300);
        assert_eq!(v, [0xac, 0x02]);
    }

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

    #[test]
    fn simplification_keeps_corners_and_drops_collinear_points() {
        let square = |zigzag: i64| {
            let mut ring: Vec<[i64; 2]> = (0..100).map(|i| [i, 0]).collect();
            ring.extend((0..100).map(|i| [100, i]));
            ring.extend((0..100).map(|i| [100 - i, 100 - zigzag * (i % 2)]));
            ring.extend((0..100).map(|i| [0, 100 - i]));
            ring
        };
        assert_eq!(simplify(&square(0), 1.5), vec![[0, 0], [100, 0], [100, 100], [0, 100]]);
        assert_eq!(simplify(&square(1), 1.5).len(), 4, "a one-unit zigzag is below the tolerance");
        assert!(simplify(&square(3), 1.5).len() > 50, "a three-unit zigzag is kept");
    }

    #[test]
    fn clipping_keeps_the_inside() {
        let square = vec![[-1.0, -1.0], [2.0, -1.0], [2.0, 2.0], [-1.0, 2.0], [-1.0, -1.0]];
        let c = clip(&square, [0.0, 0.0, 1.0, 1.0]);
        assert!(c.iter().all(|p| (0.0..=1.0).contains(&p[0]) && (0.0..=1.0).contains(&p[1])));
        let (pts, area2) = quantise(&c, [0.0, 0.0], 10.0).unwrap();
        assert_eq!((pts.len(), area2.abs()), (4, 200));
    }
}
