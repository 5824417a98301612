//! The road graph: compressed sparse rows (CSR) on raw `u32` node ids.
//!
//! The search engine works on bare arrays of integers, as a-b-street's pathfinding
//! does: callers keep their own typed world (communes, facilities) and talk to the
//! engine in node ids. Travel times are whole milliseconds and lengths whole
//! decimetres: integers make every sum exact (so results are bit-identical to any
//! other correct shortest-path code on the same exported graph) and let the search
//! use a radix heap. A millisecond per edge is far below the precision of any speed
//! model; every edge costs at least 1 ms so that no zero-cost cycle exists.

use std::io::Write;
use std::path::Path;

use crate::error::{AccessError, Result};
use crate::geodesy::hilbert_keys;

/// A directed edge before the graph is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    /// Tail node.
    pub from: u32,
    /// Head node.
    pub to: u32,
    /// Travel time, milliseconds, at the profile's speed.
    pub time_ms: u32,
    /// Length, decimetres.
    pub length_dm: u32,
}

/// A directed road graph in CSR form: the arcs leaving node `v` are
/// `first_out[v]..first_out[v+1]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// Longitude of each node, WGS84.
    pub lon: Vec<f64>,
    /// Latitude of each node, WGS84.
    pub lat: Vec<f64>,
    /// The OpenStreetMap id of each node (or the id it had in an imported file).
    pub node_id: Vec<i64>,
    /// Offsets of each node's arcs in `head`, `time_ms` and `length_dm` (one more than nodes).
    pub first_out: Vec<u32>,
    /// Head node of each arc.
    pub head: Vec<u32>,
    /// Travel time of each arc, milliseconds.
    pub time_ms: Vec<u32>,
    /// Length of each arc, decimetres.
    pub length_dm: Vec<u32>,
}

/// One incoming arc of the reversed graph, packed so that a search reads one cache
/// line per few arcs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    /// The node the arc leaves (head in the search direction for [`Forward`]).
    pub tail: u32,
    /// Travel time, milliseconds.
    pub time_ms: u32,
    /// Length, decimetres.
    pub length_dm: u32,
}

/// The graph reversed (arcs entering each node), for searches from the facilities
/// back to every origin: one search per facility type gives every origin's time *to*
/// its nearest facility, one-way streets included.
#[derive(Debug, Clone)]
pub struct Reversed {
    /// Offsets of each node's entering arcs in `arcs` (one more than nodes).
    pub first_in: Vec<u32>,
    /// The arcs, grouped by the node they enter.
    pub arcs: Vec<Arc>,
}

/// The forward graph packed the same way (for isochrones: times *from* a point).
#[derive(Debug, Clone)]
pub struct Forward {
    /// Offsets of each node's leaving arcs in `arcs` (one more than nodes).
    pub first_out: Vec<u32>,
    /// The arcs, grouped by the node they leave; `tail` holds their head.
    pub arcs: Vec<Arc>,
}

impl Graph {
    /// Number of nodes (junctions and shape points kept).
    pub fn node_count(&self) -> usize {
        self.lon.len()
    }

    /// Number of directed arcs.
    pub fn edge_count(&self) -> usize {
        self.head.len()
    }

    /// Builds the CSR from nodes and edges. Self-loops are dropped; of parallel edges
    /// the fastest (then shortest) is kept, since a shortest path never takes another.
    pub fn from_edges(lon: Vec<f64>, lat: Vec<f64>, node_id: Vec<i64>, mut edges: Vec<Edge>) -> Result<Self> {
        let n = lon.len();
        if lat.len() != n || node_id.len() != n {
            return Err(AccessError::Invalid("node arrays of different lengths".into()));
        }
        if n >= u32::MAX as usize {
            return Err(AccessError::Invalid(format!("{n} nodes: more than a u32 id can hold")));
        }
        if let Some(e) = edges.iter().find(|e| e.from as usize >= n || e.to as usize >= n) {
            return Err(AccessError::Invalid(format!("edge {}->{} names a node beyond the {n} nodes", e.from, e.to)));
        }
        edges.retain(|e| e.from != e.to);
        for e in &mut edges {
            e.time_ms = e.time_ms.max(1);
        }
        edges.sort_unstable_by_key(|e| (e.from, e.to, e.time_ms, e.length_dm));
        edges.dedup_by_key(|e| (e.from, e.to));
        let mut first_out = vec![0u32; n + 1];
        for e in &edges {
            first_out[e.from as usize + 1] += 1;
        }
        for i in 0..n {
            first_out[i + 1] += first_out[i];
        }
        Ok(Graph {
            lon,
            lat,
            node_id,
            first_out,
            head: edges.iter().map(|e| e.to).collect(),
            time_ms: edges.iter().map(|e| e.time_ms).collect(),
            length_dm: edges.iter().map(|e| e.length_dm).collect(),
        })
    }

    /// All edges, in CSR order.
    pub fn edges(&self) -> impl Iterator<Item = Edge> + '_ {
        (0..self.node_count()).flat_map(move |v| {
            (self.first_out[v] as usize..self.first_out[v + 1] as usize).map(move |a| Edge {
                from: v as u32,
                to: self.head[a],
                time_ms: self.time_ms[a],
                length_dm: self.length_dm[a],
            })
        })
    }

    /// The subgraph on `keep` nodes (in that order): node `keep[i]` becomes `i`.
    pub fn subgraph(&self, keep: &[u32]) -> Result<Graph> {
        let mut new_id = vec![u32::MAX; self.node_count()];
        for (i, &v) in keep.iter().enumerate() {
            new_id[v as usize] = i as u32;
        }
        let edges = self
            .edges()
            .filter_map(|e| {
                let (f, t) = (new_id[e.from as usize], new_id[e.to as usize]);
                (f != u32::MAX && t != u32::MAX).then_some(Edge { from: f, to: t, ..e })
            })
            .collect();
        let pick = |xs: &[f64]| keep.iter().map(|&v| xs[v as usize]).collect::<Vec<_>>();
        Graph::from_edges(
            pick(&self.lon),
            pick(&self.lat),
            keep.iter().map(|&v| self.node_id[v as usize]).collect(),
            edges,
        )
    }

    /// The same graph with its nodes in Hilbert order of their positions, so that
    /// nodes near on the ground are near in memory.
    pub fn hilbert_ordered(&self) -> Result<Graph> {
        let keys = hilbert_keys(&self.lon, &self.lat);
        let mut order: Vec<u32> = (0..self.node_count() as u32).collect();
        order.sort_by_key(|&v| (keys[v as usize], v));
        self.subgraph(&order)
    }

    /// The reversed graph, packed for the searches.
    pub fn reversed(&self) -> Reversed {
        let n = self.node_count();
        let mut first_in = vec![0u32; n + 1];
        for &h in &self.head {
            first_in[h as usize + 1] += 1;
        }
        for i in 0..n {
            first_in[i + 1] += first_in[i];
        }
        let mut fill = first_in.clone();
        let mut arcs = vec![Arc { tail: 0, time_ms: 0, length_dm: 0 }; self.edge_count()];
        for v in 0..n {
            for a in self.first_out[v] as usize..self.first_out[v + 1] as usize {
                let h = self.head[a] as usize;
                arcs[fill[h] as usize] = Arc { tail: v as u32, time_ms: self.time_ms[a], length_dm: self.length_dm[a] };
                fill[h] += 1;
            }
        }
        Reversed { first_in, arcs }
    }

    /// The forward graph, packed like [`Graph::reversed`] (`tail` is then the head).
    pub fn forward(&self) -> Forward {
        let arcs = (0..self.edge_count())
            .map(|a| Arc { tail: self.head[a], time_ms: self.time_ms[a], length_dm: self.length_dm[a] })
            .collect();
        Forward { first_out: self.first_out.clone(), arcs }
    }

    /// Writes `nodes.csv` (id,osm_id,lon,lat) and `edges.csv`
    /// (from,to,time_ms,length_dm): the graph exactly as the engine sees it, for other
    /// tools to check or reuse.
    pub fn export_csv(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| AccessError::io(dir, e))?;
        let p = dir.join("nodes.csv");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&p).map_err(|e| AccessError::io(&p, e))?);
        let io = |e| AccessError::io(&p, e);
        writeln!(w, "id,node_id,lon,lat").map_err(io)?;
        for v in 0..self.node_count() {
            writeln!(w, "{v},{},{},{}", self.node_id[v], self.lon[v], self.lat[v]).map_err(io)?;
        }
        w.flush().map_err(io)?;
        let p = dir.join("edges.csv");
        let mut w = std::io::BufWriter::new(std::fs::File::create(&p).map_err(|e| AccessError::io(&p, e))?);
        let io = |e| AccessError::io(&p, e);
        writeln!(w, "from,to,time_ms,length_dm").map_err(io)?;
        for e in self.edges() {
            writeln!(w, "{},{},{},{}", e.from, e.to, e.time_ms, e.length_dm).map_err(io)?;
        }
        w.flush().map_err(io)
    }

    /// Reads a graph written by [`Graph::export_csv`] (or generated in that form):
    /// `nodes.csv` with `lon,lat` (and optionally `node_id`) in id order, `edges.csv`
    /// with `from,to,time_ms,length_dm`.
    pub fn import_csv(nodes: &Path, edges: &Path) -> Result<Graph> {
        let bad = |p: &Path, m: String| AccessError::Points { path: p.to_path_buf(), message: m };
        let mut r = csv::Reader::from_path(nodes).map_err(|e| bad(nodes, e.to_string()))?;
        let h = r.headers().map_err(|e| bad(nodes, e.to_string()))?.clone();
        let col = |h: &csv::StringRecord, p: &Path, name: &str| {
            h.iter().position(|c| c == name).ok_or_else(|| bad(p, format!("no '{name}' column")))
        };
        let (ilon, ilat) = (col(&h, nodes, "lon")?, col(&h, nodes, "lat")?);
        let iid = h.iter().position(|c| c == "node_id");
        let (mut lon, mut lat, mut ids) = (Vec::new(), Vec::new(), Vec::new());
        let mut rec = csv::StringRecord::new();
        while r.read_record(&mut rec).map_err(|e| bad(nodes, e.to_string()))? {
            let row = lon.len() + 2;
            let num = |i: usize| {
                rec.get(i)
                    .and_then(|s| s.parse::<f64>().ok())
                    .ok_or_else(|| bad(nodes, format!("line {row}: not a number")))
            };
            lon.push(num(ilon)?);
            lat.push(num(ilat)?);
            ids.push(match iid {
                Some(i) => rec
                    .get(i)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad(nodes, format!("line {row}: bad node_id")))?,
                None => ids.len() as i64,
            });
        }
        let mut r = csv::Reader::from_path(edges).map_err(|e| bad(edges, e.to_string()))?;
        let h = r.headers().map_err(|e| bad(edges, e.to_string()))?.clone();
        let cols =
            [col(&h, edges, "from")?, col(&h, edges, "to")?, col(&h, edges, "time_ms")?, col(&h, edges, "length_dm")?];
        let mut list = Vec::new();
        while r.read_record(&mut rec).map_err(|e| bad(edges, e.to_string()))? {
            let row = list.len() + 2;
            let mut v = [0u32; 4];
            for (k, &c) in cols.iter().enumerate() {
                v[k] = rec
                    .get(c)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| bad(edges, format!("line {row}: not an unsigned integer")))?;
            }
            list.push(Edge { from: v[0], to: v[1], time_ms: v[2], length_dm: v[3] });
        }
        Graph::from_edges(lon, lat, ids, list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn line(n: usize) -> Graph {
        let edges = (0..n as u32 - 1)
            .flat_map(|i| {
                [
                    Edge { from: i, to: i + 1, time_ms: 10, length_dm: 100 },
                    Edge { from: i + 1, to: i, time_ms: 10, length_dm: 100 },
                ]
            })
            .collect();
        Graph::from_edges((0..n).map(|i| i as f64 * 0.001).collect(), vec![50.0; n], (0..n as i64).collect(), edges)
            .unwrap()
    }

    #[test]
    fn parallel_edges_keep_the_fastest_and_loops_go() {
        let e = |from, to, time_ms| Edge { from, to, time_ms, length_dm: 5 };
        let g = Graph::from_edges(
            vec![0.0; 2],
            vec![0.0; 2],
            vec![1, 2],
            vec![e(0, 1, 9), e(0, 1, 4), e(1, 1, 3), e(1, 0, 0)],
        )
        .unwrap();
        assert_eq!(g.edges().collect::<Vec<_>>(), vec![e(0, 1, 4), e(1, 0, 1)]);
        assert!(Graph::from_edges(vec![0.0], vec![0.0], vec![1], vec![e(0, 3, 1)]).is_err());
    }

    #[test]
    fn reversed_holds_every_arc_once() {
        let g = line(5);
        let r = g.reversed();
        assert_eq!(r.arcs.len(), g.edge_count());
        for v in 0..5u32 {
            let tails: Vec<u32> = r.arcs[r.first_in[v as usize] as usize..r.first_in[v as usize + 1] as usize]
                .iter()
                .map(|a| a.tail)
                .collect();
            let expect: Vec<u32> = g.edges().filter(|e| e.to == v).map(|e| e.from).collect();
            assert_eq!(tails, expect);
        }
    }

    #[test]
    fn hilbert_order_keeps_the_graph() {
        let g = line(7);
        let h = g.hilbert_ordered().unwrap();
        let mut a: Vec<_> = g.edges().map(|e| (g.node_id[e.from as usize], g.node_id[e.to as usize])).collect();
        let mut b: Vec<_> = h.edges().map(|e| (h.node_id[e.from as usize], h.node_id[e.to as usize])).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn csv_round_trip() {
        let g = line(4);
        let d = tempfile::tempdir().unwrap();
        g.export_csv(d.path()).unwrap();
        let back = Graph::import_csv(&d.path().join("nodes.csv"), &d.path().join("edges.csv")).unwrap();
        assert_eq!(back, g);
    }
}
