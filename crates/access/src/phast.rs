//! A partial contraction hierarchy with a core, and the multi-source query on it
//! (core-based PHAST): the fast path for "every node to the nearest facility of
//! each type", giving exactly what [`crate::search::nearest`] gives.
//!
//! Preprocessing contracts nodes in rounds, until a core is left (a set share of
//! the nodes, or earlier when no node can be contracted without adding too many
//! arcs). Each round, on the cores of the machine:
//! 1. every node whose neighbourhood changed gets a priority: the arcs its
//!    contraction would add if no witness were found, minus those it removes, plus
//!    its contracted neighbours (no search: cheap, and a fair guide to the order);
//! 2. the nodes cheaper than all their neighbours are chosen: an independent set,
//!    so their contractions do not interfere;
//! 3. their shortcuts are computed, with witness searches (paths of one or two
//!    arcs, then an optional small Dijkstra) that avoid every chosen node, since
//!    these all leave the graph together;
//! 4. each is contracted, unless its shortcuts would add more than the allowed
//!    number of arcs: it is then refused until its neighbourhood changes.
//!
//! A node's level is its round; nodes of one round are never adjacent.
//! Contracting the top of a hierarchy is what makes a full one expensive; the core
//! skips it. The hierarchy is stored with the network (see
//! [`crate::network::save_hierarchy`]): it is built once.
//!
//! A query for one facility type then runs in two steps, on the search direction
//! of [`crate::search`] (the reversed graph: labels flow from a facility towards the
//! nodes that reach it):
//! 1. a multi-source Dijkstra from the facilities' nodes over the *upward* arcs of
//!    the contracted nodes (towards nodes contracted later, or the core) and over
//!    the core's arcs (its original arcs and shortcuts): it covers the facilities'
//!    upward cones and the whole core;
//! 2. one linear sweep over the contracted nodes by decreasing level (every node
//!    after all those it has downward arcs from): each takes the best of its own
//!    label and of its *downward* arcs' tails, all already final.
//!
//! Every shortest path of the graph has an equally good counterpart that goes up
//! through the contracted levels, across the core, and down again, so the sweep
//! finds it. Weights are composite, (time ms, length dm) compared lexicographically,
//! in the witness searches as in the shortcuts, so the lexicographic shortest path
//! is kept and the labels (time, length, facility) are exactly those of the plain
//! search (tested against it, and against scipy in `tests/scipy_conformance.rs`).
//!
//! Node arrays are laid out in sweep order (core first, then contracted nodes by
//! decreasing level, each level in the graph's own Hilbert order), so that the sweep
//! reads its arcs in one pass and the labels it looks up are near each other.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;

use crate::error::{AccessError, Result};
use crate::graph::Graph;
use crate::heap::RadixHeap;
use crate::search::{Nearest, Source, UNREACHED};

/// A composite weight: time (ms) in the high half, length (dm) in the low half, so
/// that comparing the `u64` compares (time, length) lexicographically.
type W = u64;

#[inline]
fn pack(t: u32, d: u32) -> W {
    (u64::from(t) << 32) | u64::from(d)
}

#[inline]
fn add(a: W, b: W) -> W {
    let t = ((a >> 32) as u32).saturating_add((b >> 32) as u32);
    let d = (a as u32).saturating_add(b as u32);
    pack(t, d)
}

/// An arc of the hierarchy, in sweep-order ids: `other` is the head of an upward or
/// core arc, the tail of a downward one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HArc {
    /// Sweep position of the arc's other end.
    pub other: u32,
    /// Travel time, milliseconds (a shortcut's is the sum of the path it stands for).
    pub time_ms: u32,
    /// Length of that path, decimetres.
    pub length_dm: u32,
}

/// How far to contract.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// Stop when at most this share of the nodes is left uncontracted (the core).
    pub core_share: f64,
    /// Leave in the core a node whose contraction would add more than this many
    /// arcs than it removes (the core is then dense enough).
    pub max_edge_difference: i32,
    /// Nodes a witness search may settle, after the paths of one or two arcs, before
    /// giving up (a shortcut is then added, which is never wrong, only less sparse);
    /// 0: two arcs at most.
    pub witness_settle_limit: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params { core_share: 0.2, max_edge_difference: 16, witness_settle_limit: 0 }
    }
}

/// The hierarchy: a permutation of the nodes into sweep order and three arc sets.
#[derive(Debug, Clone, PartialEq)]
pub struct Hierarchy {
    /// `order[i]`: the graph node at sweep position `i`.
    pub order: Vec<u32>,
    /// `position[v]`: the sweep position of graph node `v`.
    pub position: Vec<u32>,
    /// Positions `0..core` are the core.
    pub core: u32,
    /// Step 1: for a core node its core arcs, for a contracted node its upward arcs
    /// (CSR by sweep position, `other` = head in the search direction).
    pub up_first: Vec<u32>,
    /// The arcs of step 1.
    pub up: Vec<HArc>,
    /// Step 2: for a contracted node its downward arcs (`other` = tail in the search
    /// direction, always an earlier position). Indexed from position `core`.
    pub down_first: Vec<u32>,
    /// The arcs of step 2.
    pub down: Vec<HArc>,
    /// The graph's sizes, to refuse a hierarchy built for another graph.
    pub graph_nodes: u64,
    /// … and arcs.
    pub graph_edges: u64,
}

/// The contraction state: adjacency of the not yet contracted nodes, in the search
/// direction (`out[x]`: arcs x→y along which a label flows from x to y).
struct Dyn {
    out: Vec<Vec<(u32, W)>>,
    inc: Vec<Vec<(u32, W)>>,
    contracted: Vec<bool>,
}

impl Dyn {
    /// The graph in the search direction: an edge a→b carries a label from b to a.
    fn new(g: &Graph) -> Dyn {
        let n = g.node_count();
        let mut dy = Dyn { out: vec![Vec::new(); n], inc: vec![Vec::new(); n], contracted: vec![false; n] };
        for e in g.edges() {
            let w = pack(e.time_ms, e.length_dm);
            Dyn::upsert(&mut dy.out[e.to as usize], e.from, w);
            Dyn::upsert(&mut dy.inc[e.from as usize], e.to, w);
        }
        dy
    }

    fn upsert(list: &mut Vec<(u32, W)>, node: u32, w: W) {
        match list.iter_mut().find(|(x, _)| *x == node) {
            Some(e) => e.1 = e.1.min(w),
            None => list.push((node, w)),
        }
    }
}

/// Reusable buffers of the witness searches.
struct Witness {
    dist: Vec<W>,
    /// `mark[x] == stamp`: x is a target of the current search.
    mark: Vec<u32>,
    stamp: u32,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(W, u32)>>,
    /// Arcs y→x into the heads of the node being contracted: (y, head index, weight).
    back: Vec<(u32, u32, W)>,
    /// Best witness found so far to each head.
    best: Vec<W>,
}

impl Witness {
    fn new(n: usize) -> Self {
        Witness {
            dist: vec![W::MAX; n],
            mark: vec![0; n],
            stamp: 0,
            touched: Vec::new(),
            heap: BinaryHeap::new(),
            back: Vec::new(),
            best: Vec::new(),
        }
    }

    fn reset(&mut self) {
        for &v in &self.touched {
            self.dist[v as usize] = W::MAX;
        }
        self.touched.clear();
    }

    /// Distances from `from` in the remaining graph without the nodes being
    /// contracted (`busy`), up to `limit` (inclusive), `settle_limit` settled nodes,
    /// or the `targets` (marked with the current stamp) all settled; read them with
    /// `dist` afterwards.
    fn run(&mut self, g: &Dyn, from: u32, busy: &[bool], limit: W, settle_limit: usize, mut targets: usize) {
        self.reset();
        self.heap.clear();
        self.dist[from as usize] = 0;
        self.touched.push(from);
        self.heap.push(Reverse((0, from)));
        let mut settled = 0;
        while let Some(Reverse((d, v))) = self.heap.pop() {
            if d != self.dist[v as usize] {
                continue;
            }
            if d > limit || settled >= settle_limit {
                break;
            }
            settled += 1;
            if self.mark[v as usize] == self.stamp {
                targets -= 1;
                if targets == 0 {
                    break;
                }
            }
            for &(x, w) in &g.out[v as usize] {
                if busy[x as usize] {
                    continue;
                }
                let nd = add(d, w);
                let cur = &mut self.dist[x as usize];
                if nd < *cur {
                    if *cur == W::MAX {
                        self.touched.push(x);
                    }
                    *cur = nd;
                    self.heap.push(Reverse((nd, x)));
                }
            }
        }
    }
}

/// Witness buffers for the worker threads (each holds two arrays of the graph's size).
struct Pool {
    n: usize,
    free: std::sync::Mutex<Vec<Witness>>,
}

impl Pool {
    fn with<R>(&self, f: impl FnOnce(&mut Witness) -> R) -> R {
        let taken = self.free.lock().unwrap_or_else(|e| e.into_inner()).pop();
        let mut w = taken.unwrap_or_else(|| Witness::new(self.n));
        let r = f(&mut w);
        self.free.lock().unwrap_or_else(|e| e.into_inner()).push(w);
        r
    }
}

/// The shortcuts that contracting `v` needs: `(from, to, weight)`. A shortcut u→x
/// through v is left out when a witness, a path u→x avoiding v and the other `busy`
/// nodes at most as long in (time, length), is found: among paths of one or two arcs
/// first (a scan of the adjacency, no queue), then, if `settle_limit` > 0, by a
/// Dijkstra search settling at most that many nodes. A witness missed only adds a
/// needless shortcut.
fn shortcuts(g: &Dyn, v: u32, busy: &[bool], wit: &mut Witness, settle_limit: usize, out: &mut Vec<(u32, u32, W)>) {
    out.clear();
    let outs = &g.out[v as usize];
    // Two-arc witnesses u→y→x meet at y: list every y→x (x a head of v) once, by y,
    // so that each u only reads its own arcs (not those of all its neighbours).
    wit.back.clear();
    for (j, &(x, _)) in outs.iter().enumerate() {
        for &(y, w2) in &g.inc[x as usize] {
            if y != v && !busy[y as usize] {
                wit.back.push((y, j as u32, w2));
            }
        }
    }
    wit.back.sort_unstable_by_key(|b| b.0);
    for &(u, wu) in &g.inc[v as usize] {
        if outs.iter().all(|&(x, _)| x == u) {
            continue;
        }
        wit.best.clear();
        wit.best.resize(outs.len(), W::MAX);
        for &(y, w1) in &g.out[u as usize] {
            if y == v || busy[y as usize] {
                continue;
            }
            // A one-arc witness u→y, y a head of v.
            if let Some(j) = outs.iter().position(|&(x, _)| x == y) {
                wit.best[j] = wit.best[j].min(w1);
            }
            let from = wit.back.partition_point(|b| b.0 < y);
            for &(_, j, w2) in wit.back[from..].iter().take_while(|b| b.0 == y) {
                let j = j as usize;
                wit.best[j] = wit.best[j].min(add(w1, w2));
            }
        }
        let before = out.len();
        for (j, &(x, wx)) in outs.iter().enumerate() {
            if x != u && wit.best[j] > add(wu, wx) {
                out.push((u, x, add(wu, wx)));
            }
        }
        if settle_limit == 0 || out.len() == before {
            continue;
        }
        // Some pairs have no short witness: search further for those.
        let limit = out[before..].iter().map(|s| s.2).max().unwrap_or(0);
        wit.stamp = wit.stamp.wrapping_add(1);
        if wit.stamp == 0 {
            wit.mark.iter_mut().for_each(|m| *m = 0);
            wit.stamp = 1;
        }
        let mut targets = 0;
        for s in &out[before..] {
            if wit.mark[s.1 as usize] != wit.stamp {
                wit.mark[s.1 as usize] = wit.stamp;
                targets += 1;
            }
        }
        wit.run(g, u, busy, limit, settle_limit, targets);
        let dist = &wit.dist;
        let mut k = before;
        for i in before..out.len() {
            if dist[out[i].1 as usize] > out[i].2 {
                out[k] = out[i];
                k += 1;
            }
        }
        out.truncate(k);
    }
}

/// Runs `f` on every node of `nodes`, spread over the cores, each worker with its
/// own witness buffers and shortcut list.
fn for_nodes<R: Send>(
    nodes: &[u32],
    pool: &Pool,
    f: impl Fn(u32, &mut Witness, &mut Vec<(u32, u32, W)>) -> R + Sync,
) -> Vec<R> {
    let chunk = nodes.len().div_ceil(8 * rayon::current_num_threads()).max(256);
    let parts: Vec<Vec<R>> = nodes
        .par_chunks(chunk)
        .map(|part| {
            pool.with(|wit| {
                let mut sc = Vec::new();
                part.iter().map(|&v| f(v, wit, &mut sc)).collect()
            })
        })
        .collect();
    parts.into_iter().flatten().collect()
}

/// A fixed scramble of node ids, to break ties between equal priorities without
/// following the graph's (spatial) order.
#[inline]
fn tie(v: u32) -> u32 {
    v.wrapping_mul(0x9E37_79B1).rotate_left(15)
}

impl Hierarchy {
    /// Contracts `g` (see the module doc).
    pub fn build(g: &Graph, p: Params) -> Result<Hierarchy> {
        let n = g.node_count();
        if !(0.0..=1.0).contains(&p.core_share) {
            return Err(AccessError::Invalid(format!("core share {}: not between 0 and 1", p.core_share)));
        }
        let mut dy = Dyn::new(g);
        let pool = Pool { n, free: std::sync::Mutex::new(Vec::new()) };
        let target_core = ((n as f64) * p.core_share).ceil() as usize;
        let mut active: Vec<u32> = (0..n as u32).collect();
        let mut prio = vec![0i32; n];
        // Nodes whose neighbourhood changed since their priority was computed.
        let mut stale = vec![true; n];
        // Nodes found too costly to contract, until their neighbourhood changes.
        let mut refused = vec![false; n];
        let mut busy = vec![false; n];
        let mut deleted = vec![0i32; n];
        let mut level = vec![0u32; n];
        // Contracted nodes with their upward and downward arcs (graph ids).
        let mut up_of: Vec<Vec<(u32, W)>> = vec![Vec::new(); n];
        let mut down_of: Vec<Vec<(u32, W)>> = vec![Vec::new(); n];
        for round in 0u32.. {
            // 1. Priorities: the edge difference if no witness were found (cheap: no
            // search; the real count decides below), plus the contracted neighbours,
            // which spreads the contraction evenly.
            let todo: Vec<u32> = active.iter().copied().filter(|&v| stale[v as usize]).collect();
            let fresh: Vec<i32> = todo
                .par_iter()
                .map(|&v| {
                    let (ins, outs) = (&dy.inc[v as usize], &dy.out[v as usize]);
                    let pairs: usize = ins.iter().map(|&(u, _)| outs.iter().filter(|&&(x, _)| x != u).count()).sum();
                    pairs as i32 - (ins.len() + outs.len()) as i32 + deleted[v as usize]
                })
                .collect();
            for (&v, pr) in todo.iter().zip(fresh) {
                prio[v as usize] = pr;
                stale[v as usize] = false;
            }
            // 2. This round's nodes: those cheaper than all their neighbours, an
            // independent set, so that their contractions do not interfere.
            let room = active.len().saturating_sub(target_core);
            let key = |v: u32| (prio[v as usize], tie(v));
            let mut chosen: Vec<u32> = active
                .par_iter()
                .copied()
                .filter(|&v| {
                    let k = key(v);
                    !refused[v as usize]
                        && dy.out[v as usize]
                            .iter()
                            .chain(&dy.inc[v as usize])
                            .all(|&(w, _)| refused[w as usize] || k < key(w))
                })
                .collect();
            if room == 0 || chosen.is_empty() {
                break;
            }
            if chosen.len() > room {
                chosen.sort_unstable_by_key(|&v| key(v));
                chosen.truncate(room);
            }
            // 3. Their shortcuts, with witness searches that avoid all of them.
            for &v in &chosen {
                busy[v as usize] = true;
            }
            let cuts = for_nodes(&chosen, &pool, |v, wit, sc| {
                shortcuts(&dy, v, &busy, wit, p.witness_settle_limit, sc);
                sc.clone()
            });
            // 4. Contract them, unless one would add too many arcs. Heads' and tails'
            // lists are updated side by side (two lists never belong to both).
            let mut batch = Vec::with_capacity(chosen.len());
            for (&v, sc) in chosen.iter().zip(cuts) {
                let vi = v as usize;
                busy[vi] = false;
                if sc.len() as i32 - (dy.out[vi].len() + dy.inc[vi].len()) as i32 > p.max_edge_difference {
                    refused[vi] = true;
                    continue;
                }
                batch.push((v, std::mem::take(&mut dy.out[vi]), std::mem::take(&mut dy.inc[vi]), sc));
            }
            let Dyn { out, inc, .. } = &mut dy;
            rayon::join(
                || {
                    for (v, _, ins, sc) in &batch {
                        for &(u, _) in ins {
                            out[u as usize].retain(|&(y, _)| y != *v);
                        }
                        for &(a, b, w) in sc {
                            Dyn::upsert(&mut out[a as usize], b, w);
                        }
                    }
                },
                || {
                    for (v, outs, _, sc) in &batch {
                        for &(x, _) in outs {
                            inc[x as usize].retain(|&(y, _)| y != *v);
                        }
                        for &(a, b, w) in sc {
                            Dyn::upsert(&mut inc[b as usize], a, w);
                        }
                    }
                },
            );
            for (v, outs, ins, _) in batch {
                for &(x, _) in outs.iter().chain(ins.iter()) {
                    deleted[x as usize] += 1;
                    stale[x as usize] = true;
                    refused[x as usize] = false;
                }
                level[v as usize] = round;
                dy.contracted[v as usize] = true;
                up_of[v as usize] = outs;
                down_of[v as usize] = ins;
            }
            active.retain(|&v| !dy.contracted[v as usize]);
        }
        // Sweep order: the core (in graph order), then contracted nodes by decreasing
        // level, each level in graph order.
        let mut order: Vec<u32> = (0..n as u32).filter(|&v| !dy.contracted[v as usize]).collect();
        let core = order.len();
        let mut rest: Vec<u32> = (0..n as u32).filter(|&v| dy.contracted[v as usize]).collect();
        rest.sort_unstable_by_key(|&v| (Reverse(level[v as usize]), v));
        order.extend(rest);
        let mut position = vec![0u32; n];
        for (i, &v) in order.iter().enumerate() {
            position[v as usize] = i as u32;
        }
        let harc =
            |&(x, w): &(u32, W)| HArc { other: position[x as usize], time_ms: (w >> 32) as u32, length_dm: w as u32 };
        let mut up_first = Vec::with_capacity(n + 1);
        let mut up = Vec::new();
        up_first.push(0u32);
        for (i, &v) in order.iter().enumerate() {
            let list = if i < core { &dy.out[v as usize] } else { &up_of[v as usize] };
            up.extend(list.iter().map(harc));
            up_first.push(up.len() as u32);
        }
        let mut down_first = Vec::with_capacity(n - core + 1);
        let mut down = Vec::new();
        down_first.push(0u32);
        for &v in &order[core..] {
            let mut arcs: Vec<HArc> = down_of[v as usize].iter().map(harc).collect();
            arcs.sort_unstable_by_key(|a| a.other);
            down.extend(arcs);
            down_first.push(down.len() as u32);
        }
        Ok(Hierarchy::from_parts(
            (order, position, core),
            (up_first, up),
            (down_first, down),
            (n as u64, g.edge_count() as u64),
        ))
    }

    /// Assembles a hierarchy from its sweep (`order`, its inverse `position`, the core
    /// size), its upward and downward arcs (CSR: offsets, arcs) and the sizes of the
    /// graph it was built for (nodes, edges). Checking the parts is the caller's job.
    pub fn from_parts(
        (order, position, core): (Vec<u32>, Vec<u32>, usize),
        (up_first, up): (Vec<u32>, Vec<HArc>),
        (down_first, down): (Vec<u32>, Vec<HArc>),
        (graph_nodes, graph_edges): (u64, u64),
    ) -> Hierarchy {
        Hierarchy { order, position, core: core as u32, up_first, up, down_first, down, graph_nodes, graph_edges }
    }

    /// Number of nodes, the same as its graph's.
    pub fn node_count(&self) -> usize {
        self.order.len()
    }

    /// Whether it was built for a graph of these sizes.
    pub fn fits(&self, g: &Graph) -> bool {
        self.graph_nodes == g.node_count() as u64 && self.graph_edges == g.edge_count() as u64
    }

    /// The same as [`crate::search::nearest`] on the graph the hierarchy was built from.
    pub fn nearest(&self, sources: &[Source]) -> Nearest {
        #[derive(Clone, Copy)]
        struct Label {
            t: u32,
            d: u32,
            f: u32,
        }
        let n = self.node_count();
        let none = Label { t: UNREACHED, d: UNREACHED, f: UNREACHED };
        let mut lab = vec![none; n];
        let mut heap: RadixHeap<u32> = RadixHeap::new();
        for s in sources {
            let p = self.position[s.node as usize];
            let c = &mut lab[p as usize];
            if (s.time_ms, s.length_dm, s.facility) < (c.t, c.d, c.f) {
                if s.time_ms < c.t {
                    heap.push(s.time_ms, p);
                }
                *c = Label { t: s.time_ms, d: s.length_dm, f: s.facility };
            }
        }
        // Step 1: upward cones and the core.
        while let Some((t, v)) = heap.pop() {
            let v = v as usize;
            let Label { t: cur, d, f } = lab[v];
            if t != cur {
                continue;
            }
            for a in &self.up[self.up_first[v] as usize..self.up_first[v + 1] as usize] {
                let u = a.other as usize;
                let nt = t.saturating_add(a.time_ms);
                let nd = d.saturating_add(a.length_dm);
                let c = &mut lab[u];
                if nt < c.t {
                    *c = Label { t: nt, d: nd, f };
                    heap.push(nt, a.other);
                } else if nt == c.t && (nd, f) < (c.d, c.f) {
                    c.d = nd;
                    c.f = f;
                }
            }
        }
        // Step 2: the downward sweep.
        let core = self.core as usize;
        for i in core..n {
            let mut best = lab[i];
            let k = i - core;
            for a in &self.down[self.down_first[k] as usize..self.down_first[k + 1] as usize] {
                let l = lab[a.other as usize];
                if l.t == UNREACHED {
                    continue;
                }
                let nt = l.t.saturating_add(a.time_ms);
                let nd = l.d.saturating_add(a.length_dm);
                if (nt, nd, l.f) < (best.t, best.d, best.f) {
                    best = Label { t: nt, d: nd, f: l.f };
                }
            }
            lab[i] = best;
        }
        let mut out = Nearest { time_ms: vec![0; n], length_dm: vec![0; n], facility: vec![0; n] };
        for (i, &v) in self.order.iter().enumerate() {
            let l = lab[i];
            out.time_ms[v as usize] = l.t;
            out.length_dm[v as usize] = l.d;
            out.facility[v as usize] = l.f;
        }
        out
    }

    /// [`Hierarchy::nearest`] for several facility types, spread over the cores.
    pub fn nearest_per_type(&self, types: &[Vec<Source>]) -> Vec<Nearest> {
        types.par_iter().map(|s| self.nearest(s)).collect()
    }

    /// Sizes, for reports.
    pub fn summary(&self) -> String {
        format!(
            "{} nodes, core {} ({:.1} %), {} upward/core arcs, {} downward arcs",
            self.node_count(),
            self.core,
            100.0 * f64::from(self.core) / self.node_count().max(1) as f64,
            self.up.len(),
            self.down.len()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Edge;
    use crate::search;
    use proptest::prelude::*;

    fn check(g: &Graph, sources: &[Source], p: Params) {
        let h = Hierarchy::build(g, p).unwrap();
        let r = g.reversed();
        assert_eq!(h.nearest(sources), search::nearest((&r).into(), sources));
    }

    /// Random graphs: a jittered grid with cut and one-way streets, ties in time
    /// (times drawn from a few values), islands (cut rows), facilities on the same
    /// node, with initial costs.
    fn arb_case() -> impl Strategy<Value = (Graph, Vec<Source>, f64)> {
        (2usize..9, 2usize..9, any::<u64>(), 1usize..6, prop_oneof![Just(0.0), Just(0.1), Just(0.5)]).prop_map(
            |(w, h, seed, k, core)| {
                let mut s = seed | 1;
                let mut rnd = move |m: u64| {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    s % m
                };
                let n = w * h;
                let mut edges = Vec::new();
                let id = |x: usize, y: usize| (y * w + x) as u32;
                for y in 0..h {
                    for x in 0..w {
                        let mut link = |a: u32, b: u32, rnd: &mut dyn FnMut(u64) -> u64| {
                            match rnd(10) {
                                0 => {} // cut
                                1 => {
                                    let t = 1 + rnd(4) as u32 * 5;
                                    edges.push(Edge { from: a, to: b, time_ms: t, length_dm: 1 + rnd(3) as u32 });
                                }
                                _ => {
                                    let t = 1 + rnd(4) as u32 * 5;
                                    let l = 1 + rnd(3) as u32;
                                    edges.push(Edge { from: a, to: b, time_ms: t, length_dm: l });
                                    let t2 = if rnd(3) == 0 { 1 + rnd(4) as u32 * 5 } else { t };
                                    edges.push(Edge { from: b, to: a, time_ms: t2, length_dm: l });
                                }
                            }
                        };
                        if x + 1 < w {
                            link(id(x, y), id(x + 1, y), &mut rnd);
                        }
                        if y + 1 < h && rnd(7) != 0 {
                            link(id(x, y), id(x, y + 1), &mut rnd);
                        }
                        if x + 1 < w && y + 1 < h && rnd(4) == 0 {
                            link(id(x, y), id(x + 1, y + 1), &mut rnd);
                        }
                    }
                }
                let g = Graph::from_edges(vec![0.0; n], vec![0.0; n], (0..n as i64).collect(), edges).unwrap();
                let sources = (0..k)
                    .map(|i| Source {
                        node: rnd(n as u64) as u32,
                        facility: rnd(k as u64 + 2) as u32,
                        time_ms: if i % 3 == 2 { rnd(12) as u32 } else { 0 },
                        length_dm: rnd(3) as u32,
                    })
                    .collect();
                (g, sources, core)
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn same_as_the_plain_search(
            (g, sources, core) in arb_case(),
            limit in prop_oneof![Just(0usize), Just(1), Just(60)],
            max_ed in prop_oneof![Just(-1), Just(0), Just(2), Just(1000)],
        ) {
            check(&g, &sources, Params { core_share: core, max_edge_difference: max_ed, witness_settle_limit: limit });
        }
    }

    #[test]
    fn one_way_ring_island_and_origin_facility() {
        let e = |from, to, t| Edge { from, to, time_ms: t, length_dm: t };
        // A one-way ring 0→1→2→3→0, a two-way tail 3–4, an island 5–6.
        let g = Graph::from_edges(
            vec![0.0; 7],
            vec![0.0; 7],
            (0..7).collect(),
            vec![e(0, 1, 5), e(1, 2, 5), e(2, 3, 5), e(3, 0, 5), e(3, 4, 2), e(4, 3, 2), e(5, 6, 1), e(6, 5, 1)],
        )
        .unwrap();
        for core in [0.0, 0.3, 1.0] {
            let p = Params { core_share: core, ..Params::default() };
            check(&g, &[Source::at(0, 0)], p);
            check(&g, &[Source::at(4, 1), Source::at(4, 0), Source::at(1, 2)], p);
            let h = Hierarchy::build(&g, p).unwrap();
            let r = h.nearest(&[Source::at(0, 0)]);
            assert_eq!(r.time_ms, vec![0, 15, 10, 5, 7, UNREACHED, UNREACHED]);
        }
        assert!(Hierarchy::build(&g, Params { core_share: 2.0, ..Params::default() }).is_err());
    }
}
