//! Reading an OpenStreetMap PBF extract into a road graph.
//!
//! Two passes over the file, so that memory holds only the road nodes, never every
//! node of the extract: the first keeps the usable ways (with their speed and
//! directions), the second the positions of their nodes. The graph is then
//! *compacted*: only junctions and way ends become graph nodes, the shape points
//! between them only add their length to the edge. Junctions have no turn costs or
//! restrictions (a "turn-less" model, like INSEE's distancier). Finally the largest
//! strongly connected component is kept and nodes are put in Hilbert order.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use indicatif::ProgressBar;
use osmpbf::{BlobDecode, BlobReader, BlobType, Element};

use crate::error::{AccessError, Result};
use crate::geodesy::haversine_m;
use crate::graph::{Edge, Graph};
use crate::profile::Profile;
use crate::scc::largest_component;

/// What was read, kept and dropped: printed by `echelle network build` and stored
/// with the network.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BuildReport {
    /// Ways in the extract.
    pub ways_read: u64,
    /// … of which roads the profile can use.
    pub road_ways: u64,
    /// Nodes in the extract.
    pub nodes_read: u64,
    /// Nodes referenced by a road but absent from the extract (cut at its border).
    pub missing_nodes: u64,
    /// Graph nodes before keeping the largest strongly connected component.
    pub graph_nodes_before_scc: u64,
    /// Graph arcs before that.
    pub graph_edges_before_scc: u64,
    /// Nodes kept.
    pub nodes: u64,
    /// Arcs kept.
    pub edges: u64,
    /// Arcs of one-way roads (no arc back).
    pub one_way_edges: u64,
    /// Length of the arcs kept, km (a two-way road counts twice).
    pub total_length_km: f64,
}

struct Way {
    refs: Vec<i64>,
    kmh: f64,
    forward: bool,
    backward: bool,
}

fn open(path: &Path, progress: &ProgressBar) -> Result<BlobReader<impl Read + Send>> {
    let file = File::open(path).map_err(|e| AccessError::io(path, e))?;
    let len = file.metadata().map_err(|e| AccessError::io(path, e))?.len();
    progress.set_length(len);
    progress.set_position(0);
    Ok(BlobReader::new(progress.wrap_read(BufReader::with_capacity(1 << 20, file))))
}

/// Calls `f` on every element of the file; checks that it starts with an OSM header.
fn for_each(path: &Path, progress: &ProgressBar, mut f: impl FnMut(Element<'_>)) -> Result<()> {
    let bad = |message: String| AccessError::NotPbf { path: path.to_path_buf(), message };
    let mut first = true;
    for blob in open(path, progress)? {
        let blob = blob.map_err(|e| bad(e.to_string()))?;
        if first && blob.get_type() != BlobType::OsmHeader {
            return Err(bad(format!("the first block is '{}', not an OSMHeader", blob.get_type().as_str())));
        }
        first = false;
        match blob.decode().map_err(|e| bad(e.to_string()))? {
            BlobDecode::OsmData(block) => block.for_each_element(&mut f),
            BlobDecode::OsmHeader(_) | BlobDecode::Unknown(_) => {}
        }
    }
    if first {
        let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        return Err(bad(if len == 0 {
            "the file is empty".into()
        } else {
            format!("no PBF block could be read from its {len} bytes")
        }));
    }
    Ok(())
}

/// Reads `path` with `profile` into a compact, strongly connected, Hilbert-ordered
/// graph. `progress` shows the bytes read (pass `ProgressBar::hidden()` for none).
pub fn read_pbf(path: &Path, profile: &Profile, progress: &ProgressBar) -> Result<(Graph, BuildReport)> {
    read_pbf_with(path, profile, true, progress)
}

/// [`read_pbf`], choosing whether shape points are dropped (`compact`) or kept as
/// graph nodes (a finer graph: points snap closer to where they are, at the cost of
/// more nodes).
pub fn read_pbf_with(
    path: &Path,
    profile: &Profile,
    compact: bool,
    progress: &ProgressBar,
) -> Result<(Graph, BuildReport)> {
    let mut report = BuildReport::default();
    // Pass 1: the usable ways.
    progress.set_message("pass 1/2: ways");
    let mut ways = Vec::new();
    for_each(path, progress, |e| {
        if let Element::Way(w) = e {
            report.ways_read += 1;
            let tags: Vec<(&str, &str)> = w.tags().collect();
            let tag = |k: &str| tags.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v);
            if let Some(kmh) = profile.speed(tag) {
                let (forward, backward) = profile.directions(tag);
                if forward || backward {
                    ways.push(Way { refs: w.refs().collect(), kmh, forward, backward });
                }
            }
        }
    })?;
    report.road_ways = ways.len() as u64;
    if ways.is_empty() {
        return Err(AccessError::NoRoads { path: path.to_path_buf(), profile: profile.name.clone() });
    }
    // Pass 2: positions of the nodes these ways use.
    progress.set_message("pass 2/2: nodes");
    let mut pos: HashMap<i64, (f64, f64)> =
        ways.iter().flat_map(|w| w.refs.iter().map(|&r| (r, (f64::NAN, f64::NAN)))).collect();
    for_each(path, progress, |e| {
        let (id, lon, lat) = match e {
            Element::Node(n) => (n.id(), n.lon(), n.lat()),
            Element::DenseNode(n) => (n.id(), n.lon(), n.lat()),
            _ => return,
        };
        report.nodes_read += 1;
        if let Some(p) = pos.get_mut(&id) {
            *p = (lon, lat);
        }
    })?;
    pos.retain(|_, p| {
        let ok = p.0.is_finite();
        if !ok {
            report.missing_nodes += 1;
        }
        ok
    });
    // Pieces of ways between missing nodes; their ends and shared nodes are junctions.
    let mut uses: HashMap<i64, u32> = HashMap::with_capacity(pos.len());
    let mut pieces: Vec<(usize, Vec<i64>)> = Vec::new();
    for (wi, w) in ways.iter().enumerate() {
        for run in w.refs.split(|r| !pos.contains_key(r)) {
            if run.len() < 2 {
                continue;
            }
            for (i, r) in run.iter().enumerate() {
                let end = i == 0 || i == run.len() - 1;
                *uses.entry(*r).or_default() += if end { 2 } else { 1 };
            }
            pieces.push((wi, run.to_vec()));
        }
    }
    let mut node_of: HashMap<i64, u32> = HashMap::new();
    let (mut lon, mut lat, mut ids) = (Vec::new(), Vec::new(), Vec::new());
    let mut id_of = |r: i64| {
        *node_of.entry(r).or_insert_with(|| {
            let (x, y) = pos[&r];
            lon.push(x);
            lat.push(y);
            ids.push(r);
            (ids.len() - 1) as u32
        })
    };
    let mut edges = Vec::new();
    for (wi, run) in &pieces {
        let w = &ways[*wi];
        let mut from = id_of(run[0]);
        let mut metres = 0.0;
        for pair in run.windows(2) {
            let (a, b) = (pos[&pair[0]], pos[&pair[1]]);
            metres += haversine_m(a.0, a.1, b.0, b.1);
            if !compact || uses[&pair[1]] >= 2 {
                let to = id_of(pair[1]);
                let time_ms = (metres / (w.kmh / 3.6) * 1000.0).round() as u32;
                let length_dm = (metres * 10.0).round() as u32;
                if w.forward {
                    edges.push(Edge { from, to, time_ms, length_dm });
                }
                if w.backward {
                    edges.push(Edge { from: to, to: from, time_ms, length_dm });
                }
                from = to;
                metres = 0.0;
            }
        }
    }
    let full = Graph::from_edges(lon, lat, ids, edges)?;
    report.graph_nodes_before_scc = full.node_count() as u64;
    report.graph_edges_before_scc = full.edge_count() as u64;
    let keep = largest_component(&full);
    let g = full.subgraph(&keep)?.hilbert_ordered()?;
    report.nodes = g.node_count() as u64;
    report.edges = g.edge_count() as u64;
    let mut one_way = 0;
    let mut total_dm = 0u64;
    for e in g.edges() {
        total_dm += u64::from(e.length_dm);
        let back = &g.head[g.first_out[e.to as usize] as usize..g.first_out[e.to as usize + 1] as usize];
        if !back.contains(&e.from) {
            one_way += 1;
        }
    }
    report.one_way_edges = one_way;
    report.total_length_km = total_dm as f64 / 10_000.0;
    progress.finish_and_clear();
    Ok((g, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helsinki() -> std::path::PathBuf {
        crate::testdata::helsinki_pbf()
    }

    #[test]
    fn helsinki_drive_network() {
        let (g, r) = read_pbf(&helsinki(), &Profile::drive(), &ProgressBar::hidden()).unwrap();
        assert!(r.road_ways > 500 && r.road_ways < r.ways_read, "{r:?}");
        assert!(g.node_count() > 500, "{r:?}");
        assert!(r.one_way_edges > 0, "central Helsinki has one-way streets: {r:?}");
        assert!(r.nodes < r.graph_nodes_before_scc, "{r:?}");
        // Strongly connected: every node reaches node 0 and back.
        let (_, count) = crate::scc::strongly_connected(&g);
        assert_eq!(count, 1);
        // Within the extract's bounding box (central Helsinki, ~24.9E 60.2N).
        assert!(g.lon.iter().all(|&x| (24.5..25.5).contains(&x)) && g.lat.iter().all(|&y| (60.0..60.4).contains(&y)));
    }

    #[test]
    fn shape_points_kept_on_demand_give_the_same_times_between_junctions() {
        let (c, rc) = read_pbf(&helsinki(), &Profile::drive(), &ProgressBar::hidden()).unwrap();
        let (f, rf) = read_pbf_with(&helsinki(), &Profile::drive(), false, &ProgressBar::hidden()).unwrap();
        assert!(rf.nodes > rc.nodes, "{rf:?} {rc:?}");
        assert!((rf.total_length_km - rc.total_length_km).abs() < 0.01 * rc.total_length_km, "{rf:?} {rc:?}");
        // From every junction to a given junction: the same times (up to per-edge
        // rounding to the millisecond) on both graphs.
        let target = c.node_id[c.node_count() / 2];
        let tf = f.node_id.iter().position(|&i| i == target).unwrap() as u32;
        let a = crate::search::nearest(
            (&c.reversed()).into(),
            &[crate::search::Source::at((c.node_count() / 2) as u32, 0)],
        );
        let b = crate::search::nearest((&f.reversed()).into(), &[crate::search::Source::at(tf, 0)]);
        let pos: std::collections::HashMap<i64, usize> = f.node_id.iter().enumerate().map(|(i, &id)| (id, i)).collect();
        for v in 0..c.node_count() {
            let w = pos[&c.node_id[v]];
            let (x, y) = (a.time_ms[v] as f64, b.time_ms[w] as f64);
            assert!((x - y).abs() <= 1.0 + 1e-3 * x, "node {}: {x} vs {y}", c.node_id[v]);
        }
    }

    #[test]
    fn walking_network_is_larger_and_two_way() {
        let (d, _) = read_pbf(&helsinki(), &Profile::drive(), &ProgressBar::hidden()).unwrap();
        let (w, r) = read_pbf(&helsinki(), &Profile::walk(), &ProgressBar::hidden()).unwrap();
        assert!(w.node_count() > d.node_count(), "{r:?}");
        assert_eq!(r.one_way_edges, 0);
    }

    #[test]
    fn empty_truncated_and_foreign_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.osm.pbf");
        std::fs::write(&empty, b"").unwrap();
        let e = read_pbf(&empty, &Profile::drive(), &ProgressBar::hidden()).unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");

        let tiny = dir.path().join("tiny.osm.pbf");
        std::fs::write(&tiny, b"x\n").unwrap();
        let e = read_pbf(&tiny, &Profile::drive(), &ProgressBar::hidden()).unwrap_err().to_string();
        assert!(e.contains("no PBF block") && e.contains("2 bytes"), "{e}");

        let text = dir.path().join("notes.osm.pbf");
        std::fs::write(&text, b"<?xml version='1.0'?><osm></osm>\n").unwrap();
        let e = read_pbf(&text, &Profile::drive(), &ProgressBar::hidden()).unwrap_err();
        assert!(matches!(e, AccessError::NotPbf { .. }), "{e}");

        let bytes = std::fs::read(helsinki()).unwrap();
        for cut in [3usize, 40, 200, bytes.len() / 2, bytes.len() - 1] {
            let t = dir.path().join(format!("cut{cut}.osm.pbf"));
            std::fs::write(&t, &bytes[..cut]).unwrap();
            let e = read_pbf(&t, &Profile::drive(), &ProgressBar::hidden()).unwrap_err();
            assert!(matches!(e, AccessError::NotPbf { .. }), "cut at {cut}: {e}");
        }

        let mut garbled = bytes.clone();
        for b in garbled.iter_mut().skip(300).step_by(7) {
            *b ^= 0x5a;
        }
        let g = dir.path().join("garbled.osm.pbf");
        std::fs::write(&g, &garbled).unwrap();
        assert!(read_pbf(&g, &Profile::drive(), &ProgressBar::hidden()).is_err());

        let missing = dir.path().join("absent.osm.pbf");
        assert!(matches!(read_pbf(&missing, &Profile::drive(), &ProgressBar::hidden()), Err(AccessError::Io { .. })));
    }

    #[test]
    fn profile_without_matching_roads_is_no_roads() {
        let p = Profile::parse("t", "replace_speeds = true\n[speeds]\nraceway = 100\n").unwrap();
        let e = read_pbf(&helsinki(), &p, &ProgressBar::hidden()).unwrap_err();
        assert!(matches!(e, AccessError::NoRoads { .. }), "{e}");
    }
}
