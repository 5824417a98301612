//! Snapping points (origins, facilities) to the nearest graph node.
//!
//! A point joins the network at its nearest junction, measured on the ground; the
//! distance is reported with every result, and a point farther than the allowed
//! distance is excluded and listed, never silently attached to a road kilometres
//! away (a facility outside the extract, a wrong coordinate). An R-tree on a local
//! projection finds candidates; the great-circle distance decides among them.

use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::geodesy::{LocalProjection, haversine_m, valid_lon_lat};
use crate::graph::Graph;

/// Where a point joined the network.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snap {
    /// The nearest node.
    pub node: u32,
    /// Straight-line distance to it, metres.
    pub distance_m: f64,
}

/// Why a point could not be snapped.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapFailure {
    /// Not a longitude and latitude (NaN, out of range).
    InvalidCoordinates,
    /// Farther from any node than allowed: the point is left out rather than placed wrongly.
    TooFar {
        /// Distance to the nearest node, metres.
        distance_m: f64,
        /// The largest snap allowed, metres.
        limit_m: f64,
    },
}

impl std::fmt::Display for SnapFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapFailure::InvalidCoordinates => write!(f, "invalid coordinates"),
            SnapFailure::TooFar { distance_m, limit_m } => {
                write!(f, "nearest road {:.0} m away, beyond the {:.0} m allowed", distance_m, limit_m)
            }
        }
    }
}

/// A spatial index of a graph's nodes.
pub struct Snapper<'g> {
    graph: &'g Graph,
    proj: LocalProjection,
    tree: RTree<GeomWithData<[f64; 2], u32>>,
}

impl<'g> Snapper<'g> {
    /// Indexes every node of `graph`, in a metric frame around its mean latitude.
    pub fn new(graph: &'g Graph) -> Self {
        let n = graph.node_count().max(1);
        let lat0 = graph.lat.iter().sum::<f64>() / n as f64;
        let proj = LocalProjection::new(lat0);
        let pts = (0..graph.node_count())
            .map(|v| GeomWithData::new(proj.project(graph.lon[v], graph.lat[v]), v as u32))
            .collect();
        Snapper { graph, proj, tree: RTree::bulk_load(pts) }
    }

    /// The nearest node to (lon, lat), if within `limit_m` metres.
    pub fn snap(&self, lon: f64, lat: f64, limit_m: f64) -> Result<Snap, SnapFailure> {
        if !valid_lon_lat(lon, lat) {
            return Err(SnapFailure::InvalidCoordinates);
        }
        let q = self.proj.project(lon, lat);
        let g = self.graph;
        let best = self
            .tree
            .nearest_neighbor_iter(&q)
            .take(8)
            .map(|p| (p.data, haversine_m(lon, lat, g.lon[p.data as usize], g.lat[p.data as usize])))
            .min_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        match best {
            Some((node, d)) if d <= limit_m => Ok(Snap { node, distance_m: d }),
            Some((_, d)) => Err(SnapFailure::TooFar { distance_m: d, limit_m }),
            None => Err(SnapFailure::TooFar { distance_m: f64::INFINITY, limit_m }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;

    #[test]
    fn nearest_node_and_exclusions() {
        let e = |from, to| Edge { from, to, time_ms: 1, length_dm: 1 };
        let g = Graph::from_edges(vec![3.0, 3.01, 3.02], vec![50.0, 50.0, 50.0], vec![1, 2, 3], vec![e(0, 1), e(1, 2)])
            .unwrap();
        let s = Snapper::new(&g);
        let hit = s.snap(3.0099, 50.0001, 500.0).unwrap();
        assert_eq!(hit.node, 1);
        assert!(hit.distance_m > 5.0 && hit.distance_m < 20.0, "{hit:?}");
        assert_eq!(s.snap(3.0, 50.0, 1.0).unwrap(), Snap { node: 0, distance_m: 0.0 });
        assert!(matches!(s.snap(3.0, 50.1, 500.0), Err(SnapFailure::TooFar { .. })));
        assert_eq!(s.snap(f64::NAN, 50.0, 500.0), Err(SnapFailure::InvalidCoordinates));
        assert_eq!(s.snap(200.0, 50.0, 500.0), Err(SnapFailure::InvalidCoordinates));
        let empty = Graph::default();
        assert!(Snapper::new(&empty).snap(3.0, 50.0, 100.0).is_err());
    }
}
