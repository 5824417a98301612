//! Multi-source searches on the reversed graph: one search per facility type gives
//! every node's travel time to its nearest facility of that type.
//!
//! All facilities of a type start the search at once (each at its snapped node,
//! with an optional initial cost), and the search runs on the *reversed* graph, so
//! the times are from each node *to* the facility, one-way streets respected. One
//! search costs about what a single-source Dijkstra costs, whatever the number of
//! facilities: for "every origin × nearest facility" this beats point-to-point
//! contraction hierarchies. It is the reference path: [`crate::phast`] gives the
//! same labels about 1.8 times faster on a network with a stored hierarchy (1 M-node
//! benchmark graph), and is tested against it (measured in `bench/access`).
//!
//! Labels are compared lexicographically on (time, length, facility index): of two
//! equally fast paths the shorter wins, and of two equally near facilities the one
//! listed first, so results never depend on the order of the heap. This is exact
//! because every arc costs at least 1 ms (see [`crate::graph`]).

use rayon::prelude::*;

use crate::graph::Arc;
use crate::heap::RadixHeap;

/// "Not reached": no facility of the type can be reached from that node.
pub const UNREACHED: u32 = u32::MAX;

/// A facility as seen by the engine: the node it was snapped to, its index in the
/// caller's list, and the cost already spent to reach it from that node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The node the facility was snapped to.
    pub node: u32,
    /// Its index in the caller's list.
    pub facility: u32,
    /// Time already spent to reach the node, milliseconds.
    pub time_ms: u32,
    /// Length already travelled, decimetres.
    pub length_dm: u32,
}

impl Source {
    /// A facility exactly on `node`.
    pub fn at(node: u32, facility: u32) -> Self {
        Source { node, facility, time_ms: 0, length_dm: 0 }
    }
}

/// A CSR adjacency, packed: `arcs[first[v]..first[v+1]]` are the arcs of `v`
/// (incoming ones for the reversed graph, whose `tail` is the other end).
#[derive(Clone, Copy)]
pub struct Adjacency<'a> {
    /// Offsets of each node's arcs (one more than nodes).
    pub first: &'a [u32],
    /// The arcs, grouped by node.
    pub arcs: &'a [Arc],
}

impl<'a> From<&'a crate::graph::Reversed> for Adjacency<'a> {
    fn from(r: &'a crate::graph::Reversed) -> Self {
        Adjacency { first: &r.first_in, arcs: &r.arcs }
    }
}

impl<'a> From<&'a crate::graph::Forward> for Adjacency<'a> {
    fn from(f: &'a crate::graph::Forward) -> Self {
        Adjacency { first: &f.first_out, arcs: &f.arcs }
    }
}

impl Adjacency<'_> {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.first.len() - 1
    }

    #[inline]
    fn arcs_of(&self, v: usize) -> &[Arc] {
        &self.arcs[self.first[v] as usize..self.first[v + 1] as usize]
    }
}

/// For every node: the time (ms) and length (dm) of the fastest path to its nearest
/// facility, and that facility's index; [`UNREACHED`] where none is reachable.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearest {
    /// By node: time to the nearest facility, milliseconds.
    pub time_ms: Vec<u32>,
    /// By node: length of that path, decimetres.
    pub length_dm: Vec<u32>,
    /// By node: the nearest facility's index.
    pub facility: Vec<u32>,
}

/// The buffers of [`nearest`], kept from one search to the next: each node's time
/// next to the start of its arcs (`first`), so that a settle reads the node's time
/// and arc range from one cache line and a relaxation the other end's time from
/// one; length and facility sit in a second array of pairs, written and read
/// together. What a search mostly waits for on a large graph is memory (measured in
/// `bench/access`: about a third of the time goes to loading the settled node's
/// arcs). Keeping time, length and facility in one 16-byte label was measured
/// slower (a relaxation mostly reads only the time, which is denser alone).
#[derive(Default)]
struct Scratch {
    /// `(time, first arc)` per node, plus one entry holding the end of the last
    /// node's arcs.
    node: Vec<(u32, u32)>,
    heap: RadixHeap<u32>,
}

impl Scratch {
    fn run(&mut self, adj: Adjacency<'_>, sources: &[Source]) -> Nearest {
        let n = adj.node_count();
        let arcs = adj.arcs;
        self.node.clear();
        self.node.extend(adj.first.iter().map(|&a| (UNREACHED, a)));
        self.heap.clear();
        let (node, heap) = (&mut self.node[..], &mut self.heap);
        // (length, facility) per node: written together, read together.
        let mut lf = vec![(UNREACHED, UNREACHED); n];
        for s in sources {
            let v = s.node as usize;
            let cur = node[v].0;
            if (s.time_ms, s.length_dm, s.facility) < (cur, lf[v].0, lf[v].1) {
                if s.time_ms < cur {
                    heap.push(s.time_ms, s.node);
                }
                node[v].0 = s.time_ms;
                lf[v] = (s.length_dm, s.facility);
            }
        }
        while let Some((t, v)) = heap.pop() {
            let v = v as usize;
            let [(tv, a0), (_, a1)] = [node[v], node[v + 1]];
            if t != tv {
                continue; // a stale entry: v was improved since
            }
            let (d, f) = lf[v];
            for a in &arcs[a0 as usize..a1 as usize] {
                let u = a.tail as usize;
                let nt = t.saturating_add(a.time_ms);
                let nd = d.saturating_add(a.length_dm);
                let cur = node[u].0;
                if nt < cur {
                    node[u].0 = nt;
                    lf[u] = (nd, f);
                    heap.push(nt, a.tail);
                } else if nt == cur && (nd, f) < lf[u] {
                    // Same time: the entry already queued for u carries the new label.
                    lf[u] = (nd, f);
                }
            }
        }
        Nearest {
            time_ms: node[..n].iter().map(|x| x.0).collect(),
            length_dm: lf.iter().map(|x| x.0).collect(),
            facility: lf.iter().map(|x| x.1).collect(),
        }
    }
}

/// The multi-source search: every node's nearest source (see the module doc).
pub fn nearest(adj: Adjacency<'_>, sources: &[Source]) -> Nearest {
    Scratch::default().run(adj, sources)
}

/// [`nearest`] for several facility types at once, one search per type, spread over
/// the cores (each thread reusing its buffers from one type to the next).
pub fn nearest_per_type(adj: Adjacency<'_>, types: &[Vec<Source>]) -> Vec<Nearest> {
    types.par_iter().map_init(Scratch::default, |s, sources| s.run(adj, sources)).collect()
}

/// The `k` nearest distinct facilities of every node, nearest first.
#[derive(Debug, Clone, PartialEq)]
pub struct KNearest {
    /// Facilities kept per node.
    pub k: usize,
    /// `k` slots per node (`node * k + rank`), [`UNREACHED`] where fewer than `k`
    /// facilities are reachable.
    pub time_ms: Vec<u32>,
    /// Lengths of those paths, decimetres, in the same slots.
    pub length_dm: Vec<u32>,
    /// The facilities' indices, in the same slots.
    pub facility: Vec<u32>,
}

impl KNearest {
    /// The `(time, length, facility)` of `node`'s nearest facilities, nearest first.
    pub fn of(&self, node: u32) -> Vec<(u32, u32, u32)> {
        let s = node as usize * self.k;
        (s..s + self.k)
            .filter(|&i| self.facility[i] != UNREACHED)
            .map(|i| (self.time_ms[i], self.length_dm[i], self.facility[i]))
            .collect()
    }
}

/// The k nearest facilities of every node: a multi-source search in which a node may
/// be settled once per facility, up to `k` times (each settled label is the next
/// nearest facility not yet listed there). Ties in time are broken by arrival.
pub fn k_nearest(adj: Adjacency<'_>, sources: &[Source], k: usize) -> KNearest {
    let n = adj.node_count();
    let k = k.max(1);
    let mut time = vec![UNREACHED; n * k];
    let mut len = vec![UNREACHED; n * k];
    let mut fac = vec![UNREACHED; n * k];
    let mut count = vec![0u32; n];
    let mut heap: RadixHeap<(u32, u32, u32)> = RadixHeap::new();
    let mut sorted = sources.to_vec();
    sorted.sort_by_key(|s| (s.time_ms, s.length_dm, s.facility));
    for s in sorted.iter().rev() {
        heap.push(s.time_ms, (s.node, s.facility, s.length_dm));
    }
    while let Some((t, (v, f, d))) = heap.pop() {
        let vi = v as usize;
        let c = count[vi] as usize;
        if c == k || fac[vi * k..vi * k + c].contains(&f) {
            continue;
        }
        time[vi * k + c] = t;
        len[vi * k + c] = d;
        fac[vi * k + c] = f;
        count[vi] += 1;
        for a in adj.arcs_of(vi) {
            if (count[a.tail as usize] as usize) < k {
                heap.push(t.saturating_add(a.time_ms), (a.tail, f, d.saturating_add(a.length_dm)));
            }
        }
    }
    KNearest { k, time_ms: time, length_dm: len, facility: fac }
}

/// Reusable buffers for bounded single-source searches.
struct Bounded {
    time: Vec<u32>,
    touched: Vec<u32>,
    heap: RadixHeap<u32>,
}

impl Bounded {
    fn new(n: usize) -> Self {
        Bounded { time: vec![UNREACHED; n], touched: Vec::new(), heap: RadixHeap::new() }
    }

    /// Calls `visit(node, time)` for every node within `limit_ms` of the sources.
    fn run(&mut self, adj: Adjacency<'_>, sources: &[(u32, u32)], limit_ms: u32, mut visit: impl FnMut(u32, u32)) {
        for &v in &self.touched {
            self.time[v as usize] = UNREACHED;
        }
        self.touched.clear();
        self.heap.clear();
        for &(v, t) in sources {
            if t <= limit_ms && t < self.time[v as usize] {
                if self.time[v as usize] == UNREACHED {
                    self.touched.push(v);
                }
                self.time[v as usize] = t;
                self.heap.push(t, v);
            }
        }
        while let Some((t, v)) = self.heap.pop() {
            if t != self.time[v as usize] {
                continue;
            }
            visit(v, t);
            for a in adj.arcs_of(v as usize) {
                let nt = t.saturating_add(a.time_ms);
                let cur = self.time[a.tail as usize];
                if nt <= limit_ms && nt < cur {
                    if cur == UNREACHED {
                        self.touched.push(a.tail);
                    }
                    self.time[a.tail as usize] = nt;
                    self.heap.push(nt, a.tail);
                }
            }
        }
    }
}

/// For every node, the number of distinct facilities reachable within `limit_ms`:
/// one search bounded by the limit per facility (facilities listed several times, at
/// several nodes, count once), spread over the cores.
pub fn count_within(adj: Adjacency<'_>, sources: &[Source], limit_ms: u32) -> Vec<u32> {
    let n = adj.node_count();
    let mut by_facility: Vec<(u32, u32, u32)> = sources.iter().map(|s| (s.facility, s.node, s.time_ms)).collect();
    by_facility.sort_unstable();
    let groups: Vec<Vec<(u32, u32)>> =
        by_facility.chunk_by(|a, b| a.0 == b.0).map(|g| g.iter().map(|&(_, v, t)| (v, t)).collect()).collect();
    groups
        .par_iter()
        .fold(
            || (Bounded::new(n), vec![0u32; n]),
            |(mut b, mut count), seeds| {
                b.run(adj, seeds, limit_ms, |v, _| count[v as usize] += 1);
                (b, count)
            },
        )
        .map(|(_, c)| c)
        .reduce(
            || vec![0u32; n],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x += y;
                }
                a
            },
        )
}

/// Every node within `limit_ms` of `sources` (`(node, initial time)`), with its time.
pub fn within(adj: Adjacency<'_>, sources: &[(u32, u32)], limit_ms: u32) -> Vec<(u32, u32)> {
    let mut b = Bounded::new(adj.node_count());
    let mut out = Vec::new();
    b.run(adj, sources, limit_ms, |v, t| out.push((v, t)));
    out
}

/// For each origin node, the targets reachable from it within `limit_ms` as
/// `(target index, time)`, nearest first (ties by index): one search bounded by the
/// limit per target on the *reversed* graph (times from origin to target, one-way
/// streets respected), spread over the cores. A travel time matrix for origins ×
/// targets kept sparse by the limit (a siting study's demand × candidates).
pub fn times_within(reversed: Adjacency<'_>, origins: &[u32], targets: &[u32], limit_ms: u32) -> Vec<Vec<(u32, u32)>> {
    let n = reversed.node_count();
    // Origins by node (several places may share one).
    let mut at: std::collections::HashMap<u32, Vec<u32>> = std::collections::HashMap::new();
    for (i, &v) in origins.iter().enumerate() {
        at.entry(v).or_default().push(i as u32);
    }
    let found: Vec<(u32, u32, u32)> = targets
        .par_iter()
        .enumerate()
        .fold(
            || (Bounded::new(n), Vec::new()),
            |(mut b, mut out), (j, &node)| {
                b.run(reversed, &[(node, 0)], limit_ms, |v, t| {
                    if let Some(list) = at.get(&v) {
                        out.extend(list.iter().map(|&i| (i, j as u32, t)));
                    }
                });
                (b, out)
            },
        )
        .map(|(_, out)| out)
        .reduce(Vec::new, |mut a, b| {
            a.extend(b);
            a
        });
    let mut rows = vec![Vec::new(); origins.len()];
    for (i, j, t) in found {
        rows[i as usize].push((j, t));
    }
    for row in &mut rows {
        row.sort_unstable_by_key(|&(j, t)| (t, j));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Edge, Graph};

    #[test]
    fn times_within_follow_one_way_streets_and_the_limit() {
        // 0 -> 1 -> 2 one way (5 s each), 2 <-> 3 both ways (20 s).
        let g = graph(4, &[(0, 1, 5_000), (1, 2, 5_000), (2, 3, 20_000), (3, 2, 20_000)]);
        let r = g.reversed();
        let rows = times_within(Adjacency::from(&r), &[0, 2, 3, 0], &[2, 0], 30_000);
        assert_eq!(rows[0], vec![(1, 0), (0, 10_000)], "target 1 is on node 0 itself");
        assert_eq!(rows[1], vec![(0, 0)], "node 2 cannot go back to 0");
        assert_eq!(rows[2], vec![(0, 20_000)]);
        assert_eq!(rows[3], rows[0], "two origins on one node");
        let short = times_within(Adjacency::from(&r), &[3], &[2], 19_999);
        assert!(short[0].is_empty(), "beyond the limit");
    }

    fn graph(n: usize, arcs: &[(u32, u32, u32)]) -> Graph {
        let edges = arcs.iter().map(|&(from, to, t)| Edge { from, to, time_ms: t, length_dm: t * 10 }).collect();
        Graph::from_edges(vec![0.0; n], vec![0.0; n], (0..n as i64).collect(), edges).unwrap()
    }

    fn two_way(arcs: &[(u32, u32, u32)]) -> Vec<(u32, u32, u32)> {
        arcs.iter().flat_map(|&(a, b, t)| [(a, b, t), (b, a, t)]).collect()
    }

    #[test]
    fn one_way_loop_goes_the_long_way_round() {
        // 0 -> 1 -> 2 -> 3 -> 0, each 5 s; facility at 0. From 1 one must go on round.
        let g = graph(4, &[(0, 1, 5000), (1, 2, 5000), (2, 3, 5000), (3, 0, 5000)]);
        let r = g.reversed();
        let res = nearest((&r).into(), &[Source::at(0, 0)]);
        assert_eq!(res.time_ms, vec![0, 15000, 10000, 5000]);
        assert_eq!(res.length_dm, vec![0, 150000, 100000, 50000]);
        assert_eq!(res.facility, vec![0; 4]);
    }

    #[test]
    fn island_is_unreached() {
        let g = graph(5, &two_way(&[(0, 1, 10), (1, 2, 10), (3, 4, 10)]));
        let r = g.reversed();
        let res = nearest((&r).into(), &[Source::at(2, 7)]);
        assert_eq!(res.time_ms, vec![20, 10, 0, UNREACHED, UNREACHED]);
        assert_eq!(res.facility, vec![7, 7, 7, UNREACHED, UNREACHED]);
        assert_eq!(count_within((&r).into(), &[Source::at(2, 7)], 1000), vec![1, 1, 1, 0, 0]);
    }

    #[test]
    fn equal_time_ties_prefer_shorter_then_first_listed() {
        // Node 0 between facilities at 1 and 2, both 10 ms away; via 2 is shorter.
        let edges = vec![
            Edge { from: 0, to: 1, time_ms: 10, length_dm: 300 },
            Edge { from: 0, to: 2, time_ms: 10, length_dm: 200 },
            Edge { from: 0, to: 3, time_ms: 10, length_dm: 200 },
        ];
        let g = Graph::from_edges(vec![0.0; 4], vec![0.0; 4], vec![0, 1, 2, 3], edges).unwrap();
        let r = g.reversed();
        let res = nearest((&r).into(), &[Source::at(1, 0), Source::at(2, 5), Source::at(3, 2)]);
        // Equal time 10 and equal length 200 via 2 and 3: facility 2 (listed index) wins over 5.
        assert_eq!((res.time_ms[0], res.length_dm[0], res.facility[0]), (10, 200, 2));
        // Whatever the order the sources are given in.
        let res2 = nearest((&r).into(), &[Source::at(3, 2), Source::at(2, 5), Source::at(1, 0)]);
        assert_eq!(res, res2);
    }

    #[test]
    fn facility_on_the_origin_is_zero() {
        let g = graph(3, &two_way(&[(0, 1, 10), (1, 2, 10)]));
        let r = g.reversed();
        let res = nearest((&r).into(), &[Source::at(1, 0), Source::at(1, 1), Source::at(2, 2)]);
        assert_eq!(res.time_ms, vec![10, 0, 0]);
        assert_eq!(res.facility, vec![0, 0, 2]);
        // An initial cost (the facility's own snap) is added to every path.
        let res = nearest((&r).into(), &[Source { node: 1, facility: 0, time_ms: 4, length_dm: 9 }]);
        assert_eq!(res.time_ms, vec![14, 4, 14]);
        assert_eq!(res.length_dm, vec![109, 9, 109]);
    }

    #[test]
    fn k_nearest_lists_distinct_facilities_in_order() {
        // A line 0-1-2-3-4 (10 ms a step); facilities at 0, 2, 4, and facility 9 at 2 too.
        let g = graph(5, &two_way(&[(0, 1, 10), (1, 2, 10), (2, 3, 10), (3, 4, 10)]));
        let r = g.reversed();
        let s = [Source::at(0, 0), Source::at(2, 1), Source::at(4, 2)];
        let k = k_nearest((&r).into(), &s, 3);
        let mut first_two: Vec<u32> = k.of(1)[..2].iter().map(|x| x.2).collect();
        first_two.sort();
        assert_eq!(first_two, vec![0, 1]);
        assert_eq!(k.of(1)[2], (30, 300, 2));
        let times: Vec<u32> = k.of(1).iter().map(|x| x.0).collect();
        assert_eq!(times, vec![10, 10, 30]);
        assert_eq!(k.of(3).iter().map(|x| (x.0, x.2)).collect::<Vec<_>>()[2], (30, 0));
        // k larger than the number of facilities: the rest stays unreached.
        let k5 = k_nearest((&r).into(), &s, 5);
        assert_eq!(k5.of(0).len(), 3);
        assert_eq!(k5.time_ms[4], UNREACHED);
        // The first of the k is the nearest.
        let one = nearest((&r).into(), &s);
        for v in 0..5 {
            assert_eq!(k.of(v)[0].0, one.time_ms[v as usize]);
        }
    }

    #[test]
    fn count_within_counts_each_facility_once() {
        let g = graph(5, &two_way(&[(0, 1, 10), (1, 2, 10), (2, 3, 10), (3, 4, 10)]));
        let r = g.reversed();
        // Facility 1 is listed at two nodes: it counts once.
        let s = [Source::at(0, 0), Source::at(2, 1), Source::at(3, 1), Source::at(4, 2)];
        assert_eq!(count_within((&r).into(), &s, 10), vec![1, 2, 1, 2, 2]);
        assert_eq!(count_within((&r).into(), &s, 40), vec![3, 3, 3, 3, 3]);
    }

    #[test]
    fn within_respects_one_way_streets() {
        let g = graph(3, &[(0, 1, 10), (1, 2, 10)]);
        let f = g.forward();
        let mut from0 = within((&f).into(), &[(0, 0)], 15);
        from0.sort();
        assert_eq!(from0, vec![(0, 0), (1, 10)]);
        assert_eq!(within((&f).into(), &[(2, 0)], 100), vec![(2, 0)]);
    }
}
