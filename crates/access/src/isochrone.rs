//! Isochrones: the area reachable from a point within N minutes, as GeoJSON.
//!
//! A bounded search from the point's node on the forward graph gives every node
//! reached in time; the polygon is the concave hull of those nodes (computed in a
//! local metric frame so that it is not squashed by longitude degrees). A hull is an
//! approximation of the reachable area: it may include gaps between roads, which is
//! how isochrone maps are read.

use geo::{ConcaveHull, Coord, MapCoords, MultiPoint, Point as GeoPoint, Polygon};
use serde_json::{Value, json};

use crate::graph::Graph;
use crate::search::{Adjacency, within};

/// One isochrone: its limit, the nodes inside, and its polygon (lon, lat).
#[derive(Debug, Clone)]
pub struct Isochrone {
    /// The time limit, minutes.
    pub minutes: f64,
    /// Network nodes reached within it.
    pub nodes: usize,
    /// The area reached, around those nodes (lon, lat).
    pub polygon: Polygon<f64>,
}

/// Isochrones from `node` for each limit (minutes), from the largest search.
pub fn isochrones(graph: &Graph, node: u32, minutes: &[f64]) -> Vec<Isochrone> {
    let fwd = graph.forward();
    let adj: Adjacency<'_> = (&fwd).into();
    let max_ms = minutes.iter().fold(0.0f64, |a, &b| a.max(b)) * 60_000.0;
    let reached = within(adj, &[(node, 0)], max_ms.round() as u32);
    let cos0 = graph.lat[node as usize].to_radians().cos();
    minutes
        .iter()
        .map(|&m| {
            let limit = (m * 60_000.0).round() as u32;
            let pts: Vec<GeoPoint<f64>> = reached
                .iter()
                .filter(|r| r.1 <= limit)
                .map(|r| GeoPoint::new(graph.lon[r.0 as usize] * cos0, graph.lat[r.0 as usize]))
                .collect();
            let n = pts.len();
            let polygon = MultiPoint(pts).concave_hull().map_coords(|c: Coord<f64>| Coord { x: c.x / cos0, y: c.y });
            Isochrone { minutes: m, nodes: n, polygon }
        })
        .collect()
}

/// A GeoJSON FeatureCollection of isochrones, largest first (so smaller ones are
/// drawn on top), with the mode and credit in the properties.
pub fn to_geojson(isos: &[Isochrone], origin: (f64, f64), mode: &str, credit: Option<&str>) -> Value {
    let mut sorted: Vec<&Isochrone> = isos.iter().collect();
    sorted.sort_by(|a, b| b.minutes.total_cmp(&a.minutes));
    let features: Vec<Value> = sorted
        .iter()
        .map(|i| {
            let ring = |r: &geo::LineString<f64>| r.0.iter().map(|c| json!([round7(c.x), round7(c.y)])).collect::<Vec<_>>();
            let mut rings = vec![ring(i.polygon.exterior())];
            rings.extend(i.polygon.interiors().iter().map(ring));
            json!({
                "type": "Feature",
                "properties": {"minutes": i.minutes, "nodes": i.nodes, "origin": [origin.0, origin.1], "mode": mode, "credit": credit},
                "geometry": {"type": "Polygon", "coordinates": rings},
            })
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
}

/// Seven decimals of a degree: about a centimetre, the precision of OSM positions.
fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;
    use geo::{Area, Contains};

    #[test]
    fn nested_isochrones_on_a_grid() {
        // A 7×7 grid, 0.001° apart, 10 s per edge both ways; start in the middle.
        let k = 7u32;
        let mut edges = Vec::new();
        for y in 0..k {
            for x in 0..k {
                let v = y * k + x;
                if x + 1 < k {
                    edges.push(Edge { from: v, to: v + 1, time_ms: 10_000, length_dm: 700 });
                    edges.push(Edge { from: v + 1, to: v, time_ms: 10_000, length_dm: 700 });
                }
                if y + 1 < k {
                    edges.push(Edge { from: v, to: v + k, time_ms: 10_000, length_dm: 1110 });
                    edges.push(Edge { from: v + k, to: v, time_ms: 10_000, length_dm: 1110 });
                }
            }
        }
        let lon = (0..k * k).map(|v| 3.0 + 0.001 * f64::from(v % k)).collect();
        let lat = (0..k * k).map(|v| 50.0 + 0.001 * f64::from(v / k)).collect();
        let g = Graph::from_edges(lon, lat, (0..i64::from(k * k)).collect(), edges).unwrap();
        let isos = isochrones(&g, 24, &[0.5, 1.0]);
        // 30 s: 3 steps => the diamond of |dx|+|dy| <= 3: 25 nodes; 60 s: all 49.
        assert_eq!(isos[0].nodes, 25);
        assert_eq!(isos[1].nodes, 49);
        assert!(isos[1].polygon.unsigned_area() > isos[0].polygon.unsigned_area());
        assert!(isos[1].polygon.contains(&GeoPoint::new(3.003, 50.003)));
        let gj = to_geojson(&isos, (3.003, 50.003), "test", None);
        assert_eq!(gj["features"][0]["properties"]["minutes"], 1.0);
        assert_eq!(gj["features"][0]["geometry"]["type"], "Polygon");
    }
}
