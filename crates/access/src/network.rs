//! Networks kept in the store: `<store>/networks/<name>/graph.bin` (the CSR arrays,
//! little-endian, behind a magic number and their counts) and `network.json` (where
//! it comes from, with which profile, and the build report).
//!
//! A binary file of plain arrays loads in the time it takes to read it, which matters
//! more than its size for a graph queried many times; Parquet would add a decoding
//! step for no column-wise benefit. Files are written aside and renamed into place,
//! like the rest of the store, so a killed build never leaves half a network.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{AccessError, Result};
use crate::graph::Graph;
use crate::osm::BuildReport;
use crate::phast::{HArc, Hierarchy};

const MAGIC: &[u8; 8] = b"ECHNET01";
const CH_MAGIC: &[u8; 8] = b"ECHCH001";

/// What a stored network is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkInfo {
    /// The name it is stored and asked by.
    pub name: String,
    /// The file it was built from.
    pub source: String,
    /// `osm-pbf`, or `imported-csv` for a graph given as node and edge tables.
    pub kind: String,
    /// Set for generated graphs (benchmarks): shown wherever the network is used.
    #[serde(default)]
    pub synthetic: bool,
    /// The travel profile it was built with (`drive`, `walk`…).
    pub profile: String,
    /// Nodes of the graph kept (its largest strongly connected component).
    pub nodes: u64,
    /// Directed arcs of that graph.
    pub edges: u64,
    /// What the build read and dropped (`None` for an imported graph).
    #[serde(default)]
    pub report: Option<BuildReport>,
    /// Attribution to show with results.
    #[serde(default)]
    pub credit: Option<String>,
}

/// What the server lists of a stored network.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NetworkSummary {
    /// The name it is stored and asked by.
    pub name: String,
    /// The travel profile it was built with.
    pub profile: String,
    /// Generated data, not a real network: shown wherever the network is used.
    pub synthetic: bool,
    /// The file it was built from.
    pub source: String,
    /// Nodes of its graph, to tell a city from a région.
    pub nodes: u64,
    /// How screens name the method on this network (« RÉSEAU ROUTIER « nom » »…).
    pub label: String,
}

impl From<NetworkInfo> for NetworkSummary {
    fn from(n: NetworkInfo) -> Self {
        let label = crate::method::Method::road(&n, crate::defaults::MAX_SNAP_M).label_fr();
        NetworkSummary {
            name: n.name,
            profile: n.profile,
            synthetic: n.synthetic,
            source: n.source,
            nodes: n.nodes,
            label,
        }
    }
}

/// The networks folder of a store.
pub fn networks_dir(store_root: &Path) -> PathBuf {
    store_root.join("networks")
}

/// Checks that a network name is a plain folder name.
pub fn check_name(name: &str) -> Result<()> {
    let ok =
        !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(AccessError::Invalid(format!("network name '{name}': use letters, digits, '-' and '_' only")))
    }
}

/// Saves `graph` and `info` under `<store>/networks/<info.name>/`, replacing any
/// network of that name.
pub fn save(store_root: &Path, graph: &Graph, info: &NetworkInfo) -> Result<PathBuf> {
    check_name(&info.name)?;
    let dir = networks_dir(store_root).join(&info.name);
    std::fs::create_dir_all(&dir).map_err(|e| AccessError::io(&dir, e))?;
    // A hierarchy belongs to the graph it was built from: a new graph drops it.
    let stale = dir.join("hierarchy.bin");
    if stale.exists() {
        std::fs::remove_file(&stale).map_err(|e| AccessError::io(&stale, e))?;
    }
    write_atomic(&dir.join("graph.bin"), &encode(graph))?;
    let json = serde_json::to_vec_pretty(info).map_err(|e| AccessError::Invalid(e.to_string()))?;
    write_atomic(&dir.join("network.json"), &json)?;
    Ok(dir)
}

/// The stored networks' descriptions, by name.
pub fn list(store_root: &Path) -> Result<Vec<NetworkInfo>> {
    let dir = networks_dir(store_root);
    let Ok(entries) = std::fs::read_dir(&dir) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for e in entries {
        let e = e.map_err(|e| AccessError::io(&dir, e))?;
        let p = e.path().join("network.json");
        if p.exists() {
            out.push(read_info(&p)?);
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn read_info(p: &Path) -> Result<NetworkInfo> {
    let text = std::fs::read(p).map_err(|e| AccessError::io(p, e))?;
    serde_json::from_slice(&text).map_err(|e| AccessError::BadNetwork { path: p.to_path_buf(), message: e.to_string() })
}

/// Loads the network `name` of the store.
pub fn load(store_root: &Path, name: &str) -> Result<(Graph, NetworkInfo)> {
    check_name(name)?;
    let dir = networks_dir(store_root).join(name);
    if !dir.join("network.json").exists() {
        let known = list(store_root)?.into_iter().map(|i| i.name).collect::<Vec<_>>();
        return Err(AccessError::UnknownNetwork {
            name: name.into(),
            known: if known.is_empty() { "none".into() } else { known.join(", ") },
        });
    }
    let info = read_info(&dir.join("network.json"))?;
    let p = dir.join("graph.bin");
    let bytes = std::fs::read(&p).map_err(|e| AccessError::io(&p, e))?;
    Ok((decode(&p, &bytes)?, info))
}

/// Saves the contraction hierarchy of the network `name` (`hierarchy.bin`, next to
/// its graph).
pub fn save_hierarchy(store_root: &Path, name: &str, h: &Hierarchy) -> Result<PathBuf> {
    check_name(name)?;
    let p = networks_dir(store_root).join(name).join("hierarchy.bin");
    write_atomic(&p, &encode_hierarchy(h))?;
    Ok(p)
}

/// The stored hierarchy of the network `name`, if any and if it fits `graph`.
pub fn load_hierarchy(store_root: &Path, name: &str, graph: &Graph) -> Result<Option<Hierarchy>> {
    check_name(name)?;
    let p = networks_dir(store_root).join(name).join("hierarchy.bin");
    if !p.exists() {
        return Ok(None);
    }
    let bytes = std::fs::read(&p).map_err(|e| AccessError::io(&p, e))?;
    let h = decode_hierarchy(&p, &bytes)?;
    Ok(h.fits(graph).then_some(h))
}

/// The hierarchy as bytes: magic; node count, core size, upward and downward arc
/// counts, the graph's node and edge counts (u64); then order, up_first, up arcs
/// (other, time_ms, length_dm), down_first, down arcs (u32).
pub fn encode_hierarchy(h: &Hierarchy) -> Vec<u8> {
    let mut out = Vec::with_capacity(56 + 4 * (2 * h.order.len() + 3 * (h.up.len() + h.down.len())));
    out.extend_from_slice(CH_MAGIC);
    for x in
        [h.order.len() as u64, u64::from(h.core), h.up.len() as u64, h.down.len() as u64, h.graph_nodes, h.graph_edges]
    {
        out.extend_from_slice(&x.to_le_bytes());
    }
    let put = |out: &mut Vec<u8>, xs: &[u32]| xs.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    put(&mut out, &h.order);
    put(&mut out, &h.up_first);
    for a in &h.up {
        put(&mut out, &[a.other, a.time_ms, a.length_dm]);
    }
    put(&mut out, &h.down_first);
    for a in &h.down {
        put(&mut out, &[a.other, a.time_ms, a.length_dm]);
    }
    out
}

/// Reads bytes written by [`encode_hierarchy`], checking that they make a usable
/// hierarchy (a permutation, increasing offsets, arcs within bounds, downward arcs
/// towards earlier positions).
pub fn decode_hierarchy(path: &Path, b: &[u8]) -> Result<Hierarchy> {
    let bad = |m: &str| AccessError::BadNetwork { path: path.to_path_buf(), message: format!("hierarchy: {m}") };
    if b.len() < 56 || &b[..8] != CH_MAGIC {
        return Err(bad("no echelle hierarchy header"));
    }
    let word = |i: usize| u64::from_le_bytes(b[8 + 8 * i..16 + 8 * i].try_into().unwrap_or_default()) as usize;
    let (n, core, nup, ndown, gn, ge) = (word(0), word(1), word(2), word(3), word(4), word(5));
    let words = [n, n + 1, nup.saturating_mul(3), (n.saturating_sub(core)) + 1, ndown.saturating_mul(3)]
        .iter()
        .try_fold(0usize, |acc, &x| acc.checked_add(x));
    if core > n || words.and_then(|w| w.checked_mul(4)).and_then(|x| x.checked_add(56)) != Some(b.len()) {
        return Err(bad("truncated or damaged"));
    }
    let mut at = 56;
    let mut take = |len: usize| {
        let v: Vec<u32> =
            b[at..at + 4 * len].chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap_or_default())).collect();
        at += 4 * len;
        v
    };
    let order = take(n);
    let up_first = take(n + 1);
    let up_raw = take(3 * nup);
    let down_first = take(n - core + 1);
    let down_raw = take(3 * ndown);
    let arcs = |raw: &[u32]| {
        raw.chunks_exact(3).map(|c| HArc { other: c[0], time_ms: c[1], length_dm: c[2] }).collect::<Vec<_>>()
    };
    let (up, down) = (arcs(&up_raw), arcs(&down_raw));
    let mut position = vec![u32::MAX; n];
    for (i, &v) in order.iter().enumerate() {
        if v as usize >= n || position[v as usize] != u32::MAX {
            return Err(bad("the node order is not a permutation"));
        }
        position[v as usize] = i as u32;
    }
    let offsets_ok =
        |f: &[u32], len: usize| f[0] == 0 && f[f.len() - 1] as usize == len && f.windows(2).all(|w| w[0] <= w[1]);
    if !offsets_ok(&up_first, nup) || !offsets_ok(&down_first, ndown) {
        return Err(bad("arc offsets are not increasing"));
    }
    if up.iter().any(|a| a.other as usize >= n) {
        return Err(bad("an arc leads to a node that does not exist"));
    }
    for k in 0..n - core {
        if down[down_first[k] as usize..down_first[k + 1] as usize].iter().any(|a| a.other as usize >= core + k) {
            return Err(bad("a downward arc comes from a later position"));
        }
    }
    Ok(Hierarchy::from_parts((order, position, core), (up_first, up), (down_first, down), (gn as u64, ge as u64)))
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("partial");
    let mut f = std::fs::File::create(&tmp).map_err(|e| AccessError::io(&tmp, e))?;
    f.write_all(bytes).map_err(|e| AccessError::io(&tmp, e))?;
    f.sync_all().map_err(|e| AccessError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| AccessError::io(path, e))
}

/// The graph as bytes: magic, node and edge counts, then lon, lat (f64), node ids
/// (i64), first_out, head, time_ms, length_dm (u32).
pub fn encode(g: &Graph) -> Vec<u8> {
    let (n, m) = (g.node_count(), g.edge_count());
    let mut out = Vec::with_capacity(24 + n * 24 + (n + 1) * 4 + m * 12);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(n as u64).to_le_bytes());
    out.extend_from_slice(&(m as u64).to_le_bytes());
    g.lon.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    g.lat.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    g.node_id.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    for a in [&g.first_out, &g.head, &g.time_ms, &g.length_dm] {
        a.iter().for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
    }
    out
}

/// Reads bytes written by [`encode`], checking sizes and the CSR's consistency.
pub fn decode(path: &Path, b: &[u8]) -> Result<Graph> {
    let bad = |m: String| AccessError::BadNetwork { path: path.to_path_buf(), message: m };
    if b.len() < 24 || &b[..8] != MAGIC {
        return Err(bad("no echelle network header".into()));
    }
    let n = u64::from_le_bytes(b[8..16].try_into().unwrap_or_default()) as usize;
    let m = u64::from_le_bytes(b[16..24].try_into().unwrap_or_default()) as usize;
    let want = n
        .checked_mul(24)
        .and_then(|x| x.checked_add((n + 1) * 4))
        .and_then(|x| x.checked_add(m.checked_mul(12)?))
        .and_then(|x| x.checked_add(24));
    if want != Some(b.len()) {
        return Err(bad(format!("{} bytes for {n} nodes and {m} edges: truncated or damaged", b.len())));
    }
    let mut at = 24;
    let mut take = |len: usize| {
        let s = &b[at..at + len];
        at += len;
        s
    };
    let f64s =
        |s: &[u8]| s.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or_default())).collect::<Vec<_>>();
    let u32s =
        |s: &[u8]| s.chunks_exact(4).map(|c| u32::from_le_bytes(c.try_into().unwrap_or_default())).collect::<Vec<_>>();
    let lon = f64s(take(n * 8));
    let lat = f64s(take(n * 8));
    let node_id = take(n * 8).chunks_exact(8).map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
    let first_out = u32s(take((n + 1) * 4));
    let head = u32s(take(m * 4));
    let time_ms = u32s(take(m * 4));
    let length_dm = u32s(take(m * 4));
    if first_out[0] != 0 || first_out[n] as usize != m || first_out.windows(2).any(|w| w[0] > w[1]) {
        return Err(bad("edge offsets are not increasing".into()));
    }
    if head.iter().any(|&h| h as usize >= n) {
        return Err(bad("an edge leads to a node that does not exist".into()));
    }
    Ok(Graph { lon, lat, node_id, first_out, head, time_ms, length_dm })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;

    fn small() -> Graph {
        let e = |from, to| Edge { from, to, time_ms: 7, length_dm: 70 };
        Graph::from_edges(
            vec![2.0, 2.1, 2.2],
            vec![50.0, 50.1, 50.2],
            vec![10, 11, 12],
            vec![e(0, 1), e(1, 2), e(2, 0)],
        )
        .unwrap()
    }

    /// What is stored beside [`small`].
    fn small_info() -> NetworkInfo {
        NetworkInfo {
            name: "t".into(),
            source: "x".into(),
            kind: "imported-csv".into(),
            synthetic: true,
            profile: "drive".into(),
            nodes: 3,
            edges: 3,
            report: None,
            credit: None,
        }
    }

    #[test]
    fn save_load_list() {
        let d = tempfile::tempdir().unwrap();
        let g = small();
        let info = small_info();
        save(d.path(), &g, &info).unwrap();
        let (back, i) = load(d.path(), "t").unwrap();
        assert_eq!(back, g);
        assert_eq!(i, info);
        assert_eq!(list(d.path()).unwrap().len(), 1);
        let e = load(d.path(), "other").unwrap_err().to_string();
        assert!(e.contains("'other'") && e.contains("known: t"), "{e}");
        assert!(check_name("../x").is_err());
    }

    #[test]
    fn hierarchy_round_trip_and_damage() {
        let d = tempfile::tempdir().unwrap();
        let g = small();
        let info = small_info();
        save(d.path(), &g, &info).unwrap();
        assert!(load_hierarchy(d.path(), "t", &g).unwrap().is_none());
        let h = Hierarchy::build(&g, crate::phast::Params { core_share: 0.0, ..Default::default() }).unwrap();
        save_hierarchy(d.path(), "t", &h).unwrap();
        assert_eq!(load_hierarchy(d.path(), "t", &g).unwrap(), Some(h.clone()));
        // Another graph of other sizes: the hierarchy does not fit.
        let other = Graph::from_edges(vec![0.0; 2], vec![0.0; 2], vec![1, 2], vec![]).unwrap();
        assert!(load_hierarchy(d.path(), "t", &other).unwrap().is_none());
        // Saving the graph again drops the hierarchy.
        save(d.path(), &g, &info).unwrap();
        assert!(load_hierarchy(d.path(), "t", &g).unwrap().is_none());
        let bytes = encode_hierarchy(&h);
        let p = Path::new("h.bin");
        assert_eq!(decode_hierarchy(p, &bytes).unwrap(), h);
        for cut in [0, 30, 56, bytes.len() - 1] {
            assert!(decode_hierarchy(p, &bytes[..cut]).is_err());
        }
        let mut twice = bytes.clone();
        twice[56..60].copy_from_slice(&bytes[60..64]);
        assert!(decode_hierarchy(p, &twice).unwrap_err().to_string().contains("permutation"));
    }

    #[test]
    fn damaged_files_are_refused() {
        let bytes = encode(&small());
        let p = Path::new("g.bin");
        assert!(decode(p, &bytes).is_ok());
        for cut in [0, 10, 24, bytes.len() - 1] {
            assert!(decode(p, &bytes[..cut]).is_err());
        }
        let mut bad_head = bytes.clone();
        let head_at = 24 + 3 * 24 + 4 * 4;
        bad_head[head_at] = 99;
        assert!(decode(p, &bad_head).unwrap_err().to_string().contains("does not exist"));
        let mut huge = bytes.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decode(p, &huge).is_err());
    }
}
