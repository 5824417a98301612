//! Origins × facility types: the nearest facility (and the k nearest, and how many
//! within a time) of every origin, on a road network or in straight line.
//!
//! This is where the typed world meets the engine: facilities and origins are
//! [`Point`]s with ids, snapped to node ids for the [`crate::search`] functions and
//! mapped back. Snap distances are reported with every origin; they are not added to
//! the times (as INSEE's distancier, times are from road to road).

use std::collections::BTreeMap;

use crate::engine::Engine;
use crate::graph::Graph;
use crate::method::Method;
use crate::points::{Point, Rejected};
use crate::search::{self, Adjacency, Source, UNREACHED};
use crate::snap::Snapper;
use crate::straight::{Facilities, StraightLine};

/// The facilities of each type, in a stable order (by type name).
pub fn by_type(points: Vec<Point>) -> BTreeMap<String, Vec<Point>> {
    let mut m: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for p in points {
        m.entry(p.kind.clone()).or_default().push(p);
    }
    m
}

/// What to compute for every origin and type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Query {
    /// How many nearest facilities to list (1: the nearest only).
    pub k: usize,
    /// Count the facilities within this many seconds, if set.
    pub within_s: Option<f64>,
    /// Points farther than this from any road are excluded (network mode), metres.
    pub max_snap_m: f64,
}

/// One origin's access to one facility.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// Travel time, seconds.
    pub time_s: f64,
    /// Length of that fastest route (or detoured straight line), metres.
    pub distance_m: f64,
    /// Index into [`TypeAccess::facilities`].
    pub facility: u32,
}

/// The results for one facility type.
#[derive(Debug, Clone)]
pub struct TypeAccess {
    /// The facility type (BPE `TYPEQU`, or the file's own type).
    pub kind: String,
    /// The facilities used (snapped), with their snap distance (0 in straight line).
    pub facilities: Vec<(Point, f64)>,
    /// Facilities left out, and why (too far from any road).
    pub excluded: Vec<Rejected>,
    /// Per origin: up to `k` reaches, nearest first (empty: none reachable, or the
    /// origin was excluded).
    pub nearest: Vec<Vec<Reach>>,
    /// Per origin: number of facilities within the time asked.
    pub within: Option<Vec<u32>>,
}

/// An origin as placed on the network.
#[derive(Debug, Clone)]
pub struct PlacedOrigin {
    /// The origin as read.
    pub point: Point,
    /// Distance to the node it joined (0 in straight line); `None`: excluded.
    pub snap_m: Option<f64>,
    /// Why it is left out (too far from any road), for the rejects list.
    pub excluded: Option<String>,
}

/// A whole run: the method, the origins, and each type's results.
#[derive(Debug, Clone)]
pub struct AccessRun {
    /// How the times were obtained, with its parameters.
    pub method: Method,
    /// What the times are, as files and logs say it ([`Method::mode`]).
    pub mode: String,
    /// No road network: times are straight line × detour at a speed.
    pub straight_line: bool,
    /// The origins, in input order: results are indexed by them.
    pub origins: Vec<PlacedOrigin>,
    /// Results per facility type, in type order.
    pub types: Vec<TypeAccess>,
}

/// On a road network (`method` describes it); with the [`Engine::Hierarchy`] (built
/// for `graph`), the nearest facility (k = 1) is found on it, with the same results,
/// faster.
pub fn on_network(
    graph: &Graph,
    engine: &Engine,
    method: Method,
    origins: Vec<Point>,
    facilities: BTreeMap<String, Vec<Point>>,
    q: Query,
) -> AccessRun {
    let snapper = Snapper::new(graph);
    let rev = graph.reversed();
    let adj: Adjacency<'_> = (&rev).into();
    let mut placed = Vec::with_capacity(origins.len());
    let mut origin_node = Vec::with_capacity(origins.len());
    for p in origins {
        match snapper.snap(p.lon, p.lat, q.max_snap_m) {
            Ok(s) => {
                origin_node.push(Some(s.node));
                placed.push(PlacedOrigin { point: p, snap_m: Some(s.distance_m), excluded: None });
            }
            Err(e) => {
                origin_node.push(None);
                placed.push(PlacedOrigin { point: p, snap_m: None, excluded: Some(e.to_string()) });
            }
        }
    }
    let mut types = Vec::new();
    for (kind, points) in facilities {
        let (mut used, mut excluded, mut sources) = (Vec::new(), Vec::new(), Vec::new());
        for p in points {
            match snapper.snap(p.lon, p.lat, q.max_snap_m) {
                Ok(s) => {
                    sources.push(Source::at(s.node, used.len() as u32));
                    used.push((p, s.distance_m));
                }
                Err(e) => excluded.push(Rejected { id: p.id.clone(), reason: e.to_string() }),
            }
        }
        let per_node: Vec<Vec<Reach>> = if q.k <= 1 {
            let r = match engine.hierarchy() {
                Some(h) => h.nearest(&sources),
                None => search::nearest(adj, &sources),
            };
            (0..graph.node_count())
                .map(|v| {
                    if r.time_ms[v] == UNREACHED {
                        vec![]
                    } else {
                        vec![reach(r.time_ms[v], r.length_dm[v], r.facility[v])]
                    }
                })
                .collect()
        } else {
            let r = search::k_nearest(adj, &sources, q.k);
            (0..graph.node_count() as u32)
                .map(|v| r.of(v).into_iter().map(|(t, d, f)| reach(t, d, f)).collect())
                .collect()
        };
        let count = q.within_s.map(|s| search::count_within(adj, &sources, (s * 1000.0).round() as u32));
        let nearest = origin_node.iter().map(|n| n.map(|v| per_node[v as usize].clone()).unwrap_or_default()).collect();
        let within = count.map(|c| origin_node.iter().map(|n| n.map(|v| c[v as usize]).unwrap_or(0)).collect());
        types.push(TypeAccess { kind, facilities: used, excluded, nearest, within });
    }
    AccessRun { mode: method.mode(), straight_line: method.is_straight_line(), method, origins: placed, types }
}

fn reach(t: u32, d: u32, f: u32) -> Reach {
    Reach { time_s: f64::from(t) / 1000.0, distance_m: f64::from(d) / 10.0, facility: f }
}

/// Without a network: straight line × detour at an average speed.
pub fn straight_line(
    model: StraightLine,
    origins: Vec<Point>,
    facilities: BTreeMap<String, Vec<Point>>,
    q: Query,
) -> AccessRun {
    let mut types = Vec::new();
    for (kind, points) in facilities {
        let idx = Facilities::new(&points);
        let nearest = origins
            .iter()
            .map(|o| {
                idx.nearest(o.lon, o.lat, q.k.max(1))
                    .into_iter()
                    .map(|(m, f)| Reach { time_s: model.seconds(m), distance_m: m * model.detour, facility: f })
                    .collect()
            })
            .collect();
        let within = q.within_s.map(|s| {
            let straight_m = s * (model.speed_kmh / 3.6) / model.detour;
            origins.iter().map(|o| idx.count_within(o.lon, o.lat, straight_m)).collect()
        });
        types.push(TypeAccess {
            kind,
            facilities: points.into_iter().map(|p| (p, 0.0)).collect(),
            excluded: Vec::new(),
            nearest,
            within,
        });
    }
    let origins = origins.into_iter().map(|point| PlacedOrigin { point, snap_m: Some(0.0), excluded: None }).collect();
    let method = Method::straight(&model);
    AccessRun { mode: method.mode(), straight_line: true, method, origins, types }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;

    fn pt(id: &str, kind: &str, lon: f64, lat: f64) -> Point {
        Point { id: id.into(), kind: kind.into(), name: None, lon, lat, weight: Some(1.0) }
    }

    /// A street along a parallel: nodes every 0.01° (≈ 715 m at 50°N), 60 s apart.
    fn street() -> Graph {
        let edges = (0..4u32)
            .flat_map(|i| {
                [
                    Edge { from: i, to: i + 1, time_ms: 60_000, length_dm: 7150 },
                    Edge { from: i + 1, to: i, time_ms: 60_000, length_dm: 7150 },
                ]
            })
            .collect();
        Graph::from_edges((0..5).map(|i| 3.0 + 0.01 * f64::from(i)).collect(), vec![50.0; 5], (0..5).collect(), edges)
            .unwrap()
    }

    fn test_method() -> Method {
        Method::Road { network: "test".into(), profile: "car".into(), synthetic: true, max_snap_m: 500.0 }
    }

    #[test]
    fn network_run_snaps_excludes_and_ranks() {
        let g = street();
        let origins = vec![pt("o1", "", 3.0001, 50.0), pt("far", "", 4.0, 50.0)];
        let fac = by_type(vec![
            pt("p1", "pharmacy", 3.04, 50.0),
            pt("p2", "pharmacy", 3.02, 50.0),
            pt("lost", "pharmacy", 3.0, 51.0),
            pt("s1", "school", 3.0, 50.0),
        ]);
        let run = on_network(
            &g,
            &Engine::Plain,
            test_method(),
            origins.clone(),
            fac.clone(),
            Query { k: 2, within_s: Some(150.0), max_snap_m: 500.0 },
        );
        assert!(!run.straight_line);
        assert!(run.origins[0].snap_m.unwrap() < 10.0);
        assert!(run.origins[1].excluded.as_deref().unwrap().contains("beyond"));
        let ph = &run.types[0];
        assert_eq!(ph.kind, "pharmacy");
        assert_eq!(ph.excluded.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["lost"]);
        let o1 = &ph.nearest[0];
        assert_eq!(o1.len(), 2);
        assert_eq!(ph.facilities[o1[0].facility as usize].0.id, "p2");
        assert_eq!((o1[0].time_s, o1[0].distance_m), (120.0, 1430.0));
        assert_eq!(ph.facilities[o1[1].facility as usize].0.id, "p1");
        assert_eq!(o1[1].time_s, 240.0);
        assert_eq!(ph.within.as_ref().unwrap(), &vec![1, 0]);
        assert!(ph.nearest[1].is_empty());
        let school = &run.types[1];
        assert_eq!(school.nearest[0][0].time_s, 0.0);
        // The hierarchy gives the same nearest facilities.
        let h =
            crate::phast::Hierarchy::build(&g, crate::phast::Params { core_share: 0.0, ..Default::default() }).unwrap();
        let q = Query { k: 1, within_s: None, max_snap_m: 500.0 };
        let a = on_network(&g, &Engine::Hierarchy(h), test_method(), origins.clone(), fac.clone(), q);
        let b = on_network(&g, &Engine::Plain, test_method(), origins, fac, q);
        for (x, y) in a.types.iter().zip(&b.types) {
            assert_eq!(x.nearest, y.nearest);
        }
    }

    #[test]
    fn straight_line_run_says_so() {
        let model = StraightLine::new(1.3, 40.0).unwrap();
        let run = straight_line(
            model,
            vec![pt("o", "", 3.0, 50.0)],
            by_type(vec![pt("a", "x", 3.0, 50.1)]),
            Query { k: 1, within_s: Some(3600.0), max_snap_m: 0.0 },
        );
        assert!(run.straight_line && run.mode.contains("STRAIGHT LINE"));
        let r = run.types[0].nearest[0][0];
        assert!((r.distance_m - 1.3 * 11_119.5).abs() < 5.0, "{r:?}");
        assert!((r.time_s - r.distance_m / (40.0 / 3.6)).abs() < 1e-6);
        assert_eq!(run.types[0].within.as_ref().unwrap()[0], 1);
    }
}
