//! The Mapbox Vector Tile encoder (MVT 2.1): polygons in Web Mercator clipped to a
//! tile and its buffer, quantised to the tile's grid, simplified, and written as
//! protobuf by hand (one layer, integer feature ids; properties `key` and `name` from
//! zoom [`DETAIL_FROM`]).
//!
//! ```text
//!  WGS84 rings ──project──> Projected (unit square, x east, y south)
//!  encode_tile(layer, features, z, x, y): clip (+ buffer) ─> quantise to 4096 ─> simplify ─> protobuf
//! ```
//!
//! Below zoom [`DETAIL_FROM`] a commune is a few pixels wide: the tiles keep the feature
//! id alone (clients map it to a key with `/api/feature-ids`) and simplify to half a
//! pixel, then a pixel. France's zoom-5 commune tile was 1.85 MB, a third of it keys and names.

use std::f64::consts::PI;

/// Tile extent (MVT default) and buffer around a tile, in tile units.
const EXTENT: f64 = 4096.0;
const BUFFER: f64 = 64.0;

/// A ring of points, first point repeated at the end or not.
pub type Ring = Vec<[f64; 2]>;

/// Polygons in Web Mercator in the unit square (x east, y south), first ring of each
/// the exterior, with their bounding box (min x, min y, max x, max y).
pub struct Projected {
    polygons: Vec<Vec<Ring>>,
    bbox: [f64; 4],
}

impl Projected {
    /// WGS84 polygons (longitude, latitude) projected to Web Mercator.
    pub fn new(lonlat: &[Vec<Ring>]) -> Projected {
        let polygons: Vec<Vec<Ring>> = lonlat
            .iter()
            .map(|p| p.iter().map(|ring| ring.iter().map(|&[x, y]| mercator(x, y)).collect()).collect())
            .collect();
        let bbox = bounds(&polygons);
        Projected { polygons, bbox }
    }
}

/// One feature of a tile.
pub struct Feature<'a> {
    pub id: u32,
    pub key: &'a str,
    pub name: &'a str,
    pub geometry: &'a Projected,
}

fn mercator(lon: f64, lat: f64) -> [f64; 2] {
    let lat = lat.clamp(-85.051_128, 85.051_128).to_radians();
    [(lon + 180.0) / 360.0, (1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / PI) / 2.0]
}

/// Min x, min y, max x, max y of every point of `polygons`.
pub fn bounds(polygons: &[Vec<Ring>]) -> [f64; 4] {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in polygons {
        for &[x, y] in p.iter().flatten() {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
    }
    b
}

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
fn quantise(ring: &[[f64; 2]], origin: [f64; 2], scale: f64, tolerance: f64) -> Option<(Vec<[i64; 2]>, i64)> {
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
    // A ring the coarse tolerance would flatten keeps the fine one: no commune vanishes.
    [tolerance, SIMPLIFY].into_iter().find_map(|t| {
        let pts = simplify(&pts, t);
        let area2 = twice_area(&pts);
        (pts.len() >= 3 && area2 != 0).then_some((pts, area2))
    })
}

/// Twice the signed area of a closed ring (shoelace).
fn twice_area(pts: &[[i64; 2]]) -> i64 {
    (0..pts.len())
        .map(|i| {
            let (a, b) = (pts[i], pts[(i + 1) % pts.len()]);
            a[0] * b[1] - b[0] * a[1]
        })
        .sum()
}

/// Tolerance of the simplification, in tile units (1/4096 of a tile: an eighth of a
/// pixel on a 512-pixel tile), so that low zooms do not carry every vertex.
const SIMPLIFY: f64 = 1.5;

/// The tolerance at zoom `z`: below [`DETAIL_FROM`], half a pixel on a 512-pixel tile,
/// a whole one from zoom 6 down (France's 35,000 communes are then 3 pixels wide).
fn tolerance(z: u8) -> f64 {
    match z {
        0..=6 => 8.0,
        7 => 4.0,
        _ => SIMPLIFY,
    }
}

/// The first zoom whose tiles carry the properties `key` and `name` and the fine
/// simplification.
pub const DETAIL_FROM: u8 = 8;

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
pub fn encode_tile<'a>(name: &str, features: impl IntoIterator<Item = Feature<'a>>, z: u8, x: u32, y: u32) -> Vec<u8> {
    let n = f64::from(1u32 << z);
    let (x0, y0) = (f64::from(x) / n, f64::from(y) / n);
    let pad = BUFFER / EXTENT / n;
    let rect = [x0 - pad, y0 - pad, x0 + 1.0 / n + pad, y0 + 1.0 / n + pad];
    let scale = n * EXTENT;
    let detailed = z >= DETAIL_FROM;
    let tolerance = tolerance(z);
    let mut encoded: Vec<u8> = Vec::new();
    let mut values: Vec<u8> = Vec::new();
    let mut n_values = 0u32;
    for s in features {
        let b = s.geometry.bbox;
        if b[2] < rect[0] || b[0] > rect[2] || b[3] < rect[1] || b[1] > rect[3] {
            continue;
        }
        let mut geometry: Vec<u32> = Vec::new();
        let mut cursor = [0i64, 0i64];
        for polygon in &s.geometry.polygons {
            for (k, ring) in polygon.iter().enumerate() {
                let clipped = clip(ring, rect);
                let Some((mut pts, area2)) = quantise(&clipped, [x0, y0], scale, tolerance) else {
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
        if detailed {
            // Tags: key 0 ("key") and key 1 ("name"), each with its own string value.
            for text in [s.key, s.name] {
                let mut value = Vec::new();
                bytes_field(&mut value, 1, text.as_bytes());
                bytes_field(&mut values, 4, &value);
            }
            packed(&mut feature, 2, &[0, n_values, 1, n_values + 1]);
            n_values += 2;
        }
        field(&mut feature, 3, 0);
        varint(&mut feature, 3); // POLYGON
        packed(&mut feature, 4, &geometry);
        bytes_field(&mut encoded, 2, &feature);
    }
    if encoded.is_empty() {
        return Vec::new();
    }
    let mut layer = Vec::new();
    field(&mut layer, 15, 0);
    varint(&mut layer, 2);
    bytes_field(&mut layer, 1, name.as_bytes());
    layer.extend_from_slice(&encoded);
    if detailed {
        bytes_field(&mut layer, 3, b"key");
        bytes_field(&mut layer, 3, b"name");
        layer.extend_from_slice(&values);
    }
    field(&mut layer, 5, 0);
    varint(&mut layer, EXTENT as u64);
    let mut tile = Vec::new();
    bytes_field(&mut tile, 3, &layer);
    tile
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
        let (pts, area2) = quantise(&c, [0.0, 0.0], 10.0, SIMPLIFY).unwrap();
        assert_eq!((pts.len(), area2.abs()), (4, 200));
    }

    #[test]
    fn a_ring_the_coarse_tolerance_would_flatten_keeps_the_fine_one() {
        // A sliver 3 units thick: flat at 4 units, kept at 1.5.
        let sliver: Vec<[f64; 2]> = vec![[0.0, 0.0], [50.0, 3.0], [100.0, 0.0], [100.0, -0.5], [0.0, -0.5]];
        let (pts, _) = quantise(&sliver, [0.0, 0.0], 1.0, tolerance(7)).expect("kept");
        assert!(pts.contains(&[50, 3]));
        // A square far above both tolerances is simplified the coarse way.
        let wavy: Vec<[f64; 2]> = (0..40)
            .map(|i| [f64::from(i) * 5.0, f64::from(i % 2) * 3.0])
            .chain([[200.0, 200.0], [0.0, 200.0]])
            .collect();
        let (coarse, _) = quantise(&wavy, [0.0, 0.0], 1.0, tolerance(7)).unwrap();
        let (fine, _) = quantise(&wavy, [0.0, 0.0], 1.0, SIMPLIFY).unwrap();
        assert!(coarse.len() < fine.len(), "{} vs {}", coarse.len(), fine.len());
    }

    #[test]
    fn low_zooms_carry_ids_alone() {
        let shape = Projected::new(&[vec![vec![[2.0, 48.0], [3.0, 48.0], [3.0, 49.0], [2.0, 49.0], [2.0, 48.0]]]]);
        let tile = |z: u8| {
            let n = 1u32 << z;
            let (x, y) = ((2.5 + 180.0) / 360.0 * f64::from(n), mercator(2.5, 48.5)[1] * f64::from(n));
            let feature = Feature { id: 7, key: "com:75056", name: "Paris", geometry: &shape };
            encode_tile("com", [feature], z, x as u32, y as u32)
        };
        let has = |bytes: &[u8], text: &[u8]| bytes.windows(text.len()).any(|w| w == text);
        let (low, high) = (tile(DETAIL_FROM - 1), tile(DETAIL_FROM));
        assert!(!low.is_empty() && !has(&low, b"com:75056") && !has(&low, b"Paris"));
        assert!(has(&high, b"com:75056") && has(&high, b"Paris"));
    }
}
