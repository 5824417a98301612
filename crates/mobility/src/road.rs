//! Road distances of commuting flows on a network of the access engine.
//!
//! Each commune's position (the centroid used by [`crate::distance`]) is snapped to
//! the nearest junction of the network (within a limit, the snap distance kept);
//! then one search per origin commune that has flows to another commune gives the
//! length of the fastest route to every node, read at each destination's junction.
//! The road distance of a flow is that length plus the two snap distances (the
//! way from each centroid to its junction, straight). A flow whose origin or
//! destination is not on the network (no position, snapped too far, unreached, or
//! an origin beyond the cap on searches) keeps the straight line × detour, and
//! every output counts the flows and workers of each method.

use std::collections::HashMap;

use echelle_access::Graph;
use echelle_access::search::{self, Adjacency, Source, UNREACHED};
use echelle_access::snap::Snapper;
use serde::Serialize;

use crate::MobilityError;
use crate::distance::Positions;
use crate::flows::{Flows, NONE};

/// A commune whose centroid is farther than this from any junction is not on the network, by default (m).
pub const MAX_SNAP_M: f64 = 2_000.0;

/// At most this many origin communes get a search by default (those with most workers first).
pub const MAX_SEARCHES: usize = 5_000;

/// One road distance between two communes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Road {
    /// Length of the fastest route plus both snap distances, km.
    pub km: f64,
    /// Time of the fastest route (snap distances not included), minutes.
    pub minutes: f64,
}

/// Road distances between the communes of the flows, on one stored network.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoadDistances {
    /// The network's name in the store.
    pub network: String,
    /// Maximum distance from a commune's position to its junction, m.
    pub max_snap_m: f64,
    /// Communes with a position that were snapped / too far from any junction.
    pub communes_snapped: usize,
    /// … and those farther than `max_snap_m` from any junction (straight line for them).
    pub communes_too_far: usize,
    /// The cap on searches (one per origin commune).
    pub max_origins: usize,
    /// Origin communes searched, and those left to the straight line by the cap.
    pub origins_searched: usize,
    /// … and those left to the straight line by the cap.
    pub origins_capped: usize,
    /// (origin, destination) referential indexes → distance.
    #[serde(skip)]
    pub pairs: HashMap<(u32, u32), Road>,
}

/// The network `name` of the store, for [`RoadDistances::compute`].
pub fn load_network(store: &echelle_store::Store, name: &str) -> Result<Graph, MobilityError> {
    let (graph, _) = echelle_access::network::load(store.root(), name).map_err(access_error)?;
    Ok(graph)
}

/// How many origins one round of searches holds in memory (one label array each).
const CHUNK: usize = 16;

impl RoadDistances {
    /// The road distances of the flows' commune pairs on `graph` (named `name` in
    /// outputs; see the module doc). `max_origins` caps the searches (the origins
    /// with most workers first); `progress(done, total)` is called after each round
    /// of searches.
    pub fn compute(
        graph: &Graph,
        name: &str,
        flows: &Flows,
        pos: &Positions,
        max_snap_m: f64,
        max_origins: usize,
        progress: &dyn Fn(usize, usize),
    ) -> Result<RoadDistances, MobilityError> {
        crate::error::check_range(
            "maximum snap distance",
            max_snap_m,
            0.0,
            100_000.0,
            false,
            "metres between 0 and 100000",
        )?;
        // Pairs of distinct communes with flows, and the workers of each origin.
        let mut wanted: HashMap<u32, (i128, Vec<u32>)> = HashMap::new();
        for f in &flows.flows {
            if f.origin != f.dest && f.origin != NONE && f.dest != NONE {
                let e = wanted.entry(f.origin).or_default();
                e.0 += f.weight;
                e.1.push(f.dest);
            }
        }
        // Snap every commune that appears in a pair.
        let snapper = Snapper::new(graph);
        let mut snaps: HashMap<u32, (u32, f64)> = HashMap::new();
        let (mut snapped, mut too_far) = (0, 0);
        let mut ends: Vec<u32> =
            wanted.iter().flat_map(|(o, (_, ds))| std::iter::once(*o).chain(ds.iter().copied())).collect();
        ends.sort_unstable();
        ends.dedup();
        for c in ends {
            let Some((lon, lat)) = pos.get(c) else { continue };
            match snapper.snap(lon, lat, max_snap_m) {
                Ok(s) => {
                    snapped += 1;
                    snaps.insert(c, (s.node, s.distance_m));
                }
                Err(_) => too_far += 1,
            }
        }
        // Origins on the network, most workers first, capped.
        let mut origins: Vec<(u32, i128, Vec<u32>)> = wanted
            .into_iter()
            .filter(|(o, _)| snaps.contains_key(o))
            .map(|(o, (w, mut ds))| {
                ds.sort_unstable();
                ds.dedup();
                ds.retain(|d| snaps.contains_key(d));
                (o, w, ds)
            })
            .filter(|(_, _, ds)| !ds.is_empty())
            .collect();
        origins.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let capped = origins.len().saturating_sub(max_origins);
        origins.truncate(max_origins);
        let fwd = graph.forward();
        let adj = Adjacency::from(&fwd);
        let mut pairs = HashMap::new();
        let total = origins.len();
        for (k, chunk) in origins.chunks(CHUNK).enumerate() {
            let sources: Vec<Vec<Source>> = chunk.iter().map(|(o, ..)| vec![Source::at(snaps[o].0, 0)]).collect();
            let labels = search::nearest_per_type(adj, &sources);
            for ((o, _, ds), l) in chunk.iter().zip(&labels) {
                let so = snaps[o].1;
                for d in ds {
                    let (node, sd) = snaps[d];
                    let (t, len) = (l.time_ms[node as usize], l.length_dm[node as usize]);
                    if t != UNREACHED {
                        let km = f64::from(len) / 10_000.0 + (so + sd) / 1000.0;
                        pairs.insert((*o, *d), Road { km, minutes: f64::from(t) / 60_000.0 });
                    }
                }
            }
            progress((k * CHUNK + chunk.len()).min(total), total);
        }
        Ok(RoadDistances {
            network: name.to_string(),
            max_snap_m,
            communes_snapped: snapped,
            communes_too_far: too_far,
            max_origins,
            origins_searched: total,
            origins_capped: capped,
            pairs,
        })
    }

    /// The road distance from commune `o` to commune `d`, if both are on the network
    /// and `d` was reached.
    pub fn get(&self, o: u32, d: u32) -> Option<Road> {
        self.pairs.get(&(o, d)).copied()
    }
}

/// An access-engine error as a mobility error (an unknown network is the user's).
fn access_error(e: echelle_access::AccessError) -> MobilityError {
    if e.is_user_error() { MobilityError::Usage(e.to_string()) } else { MobilityError::Network(e.to_string()) }
}
