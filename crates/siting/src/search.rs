//! Upper bounds: a lazy greedy start, then the swap local search of Teitz and Bart made
//! fast as Resende and Werneck (2003) do: for every pair (site to open, site to close),
//! what the swap would save is kept from each demand's nearest and second-nearest open
//! sites, and a swap updates only the demands near the two sites.

use std::borrow::Cow;

use crate::solve::Costs;

/// Each demand's cost under `open`: its cheapest open site, or its fallback.
pub(crate) fn objective(costs: &Costs, open: &[bool]) -> f64 {
    (0..costs.rows.len()).map(|i| served(costs, open, i)).sum()
}

/// Demand `i`'s costs at its nearest and second-nearest open sites (the fallback
/// standing in for missing ones).
pub(crate) fn two_nearest(costs: &Costs, open: &[bool], i: usize) -> (f64, f64) {
    let (_, d1, _, d2) = nearest_two(costs, open, i);
    (d1, d2)
}

/// Demand `i`'s cost under `open`.
pub(crate) fn served(costs: &Costs, open: &[bool], i: usize) -> f64 {
    nearest_two(costs, open, i).1
}

/// No open site: the demand is at its fallback cost.
const NONE: u32 = u32::MAX;

/// Demand `i`'s two cheapest open sites: (nearest or `NONE`, its cost, second nearest
/// or `NONE`, its cost), the fallback standing in for missing ones.
fn nearest_two(costs: &Costs, open: &[bool], i: usize) -> (u32, f64, u32, f64) {
    let fallback = costs.fallback[i];
    let mut first: Option<(u32, f64)> = None;
    for &(j, c) in &costs.rows[i] {
        if c >= fallback {
            break;
        }
        if open[j as usize] {
            match first {
                None => first = Some((j, c)),
                Some((f, c1)) => return (f, c1, j, c),
            }
        }
    }
    match first {
        Some((f, c1)) => (f, c1, NONE, fallback),
        None => (NONE, fallback, NONE, fallback),
    }
}

/// A cost standing for "not served" where the fallback is infinite, larger than any
/// sum of finite costs, so that the search first serves everyone. Costs whose fallbacks
/// are all finite are used as they are: a copy of tens of millions of pairs is memory.
fn finite(costs: &Costs) -> Cow<'_, Costs> {
    if costs.fallback.iter().all(|f| f.is_finite()) {
        return Cow::Borrowed(costs);
    }
    let worst: f64 = costs.rows.iter().map(|r| r.last().map_or(0.0, |x| x.1)).sum();
    let big = 2.0 * worst + 1.0;
    let fallback = costs.fallback.iter().map(|&f| if f.is_finite() { f } else { big }).collect();
    Cow::Owned(Costs { fallback, ..costs.clone() })
}

/// Per site, the demands it may serve below their fallback: `(demand, cost)`.
fn columns(costs: &Costs) -> Vec<Vec<(u32, f64)>> {
    let mut cols = vec![Vec::new(); costs.candidates];
    for (i, row) in costs.rows.iter().enumerate() {
        for &(j, c) in row.iter().take_while(|x| x.1 < costs.fallback[i]) {
            cols[j as usize].push((i as u32, c));
        }
    }
    cols.iter_mut().for_each(Vec::shrink_to_fit);
    cols
}

/// Adds sites to `open` up to `p`, each the one that saves most then. Savings only fall
/// as sites open, so a site's saving computed earlier bounds its current one: the
/// lazy greedy re-evaluates only the site at the top of the heap.
fn greedy(work: &Costs, cols: &[Vec<(u32, f64)>], allowed: &[bool], open: &mut [bool], p: usize) {
    use std::cmp::Ordering;
    use std::collections::BinaryHeap;
    #[derive(PartialEq)]
    struct Saving(f64, usize);
    impl Eq for Saving {}
    impl PartialOrd for Saving {
        fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
            Some(self.cmp(o))
        }
    }
    impl Ord for Saving {
        fn cmp(&self, o: &Self) -> Ordering {
            self.0.total_cmp(&o.0).then(o.1.cmp(&self.1))
        }
    }
    let mut d1: Vec<f64> = (0..work.rows.len()).map(|i| nearest_two(work, open, i).1).collect();
    let saving = |j: usize, d1: &[f64]| cols[j].iter().map(|&(i, c)| (d1[i as usize] - c).max(0.0)).sum::<f64>();
    let mut heap: BinaryHeap<Saving> =
        (0..open.len()).filter(|&j| allowed[j] && !open[j]).map(|j| Saving(saving(j, &d1), j)).collect();
    let mut count = open.iter().filter(|&&o| o).count();
    while count < p {
        let Some(Saving(_, j)) = heap.pop() else { break };
        let now = saving(j, &d1);
        if heap.peek().is_some_and(|next| now < next.0) {
            heap.push(Saving(now, j));
            continue;
        }
        open[j] = true;
        count += 1;
        for &(i, c) in &cols[j] {
            d1[i as usize] = d1[i as usize].min(c);
        }
    }
}

/// The swap search's bookkeeping (Resende & Werneck 2003): for every closed site `u`
/// and open slot `s`, `gain[u] − loss[s] + extra[u, s]` is what swapping them saves.
/// A swap changes the terms of the demands near the sites swapped only, so only theirs
/// are taken out and put back.
struct Swaps<'a> {
    work: &'a Costs,
    open: Vec<bool>,
    slot_of: Vec<usize>,
    slots: Vec<usize>,
    near: Vec<(u32, f64, u32, f64)>,
    gain: Vec<f64>,
    loss: Vec<f64>,
    extra: Vec<f64>,
}

impl Swaps<'_> {
    /// Adds (`sign` 1) or removes (−1) demand `i`'s terms.
    fn terms(&mut self, i: usize, sign: f64) {
        let (f1, d1, _, d2) = self.near[i];
        let k = self.slots.len();
        let slot = (f1 != NONE).then(|| self.slot_of[f1 as usize]);
        if let Some(s) = slot {
            self.loss[s] += sign * (d2 - d1);
        }
        for &(u, c) in &self.work.rows[i] {
            if c >= d2 {
                break;
            }
            let u = u as usize;
            if self.open[u] {
                continue;
            }
            if c < d1 {
                self.gain[u] += sign * (d1 - c);
            }
            if let Some(s) = slot {
                self.extra[u * k + s] += sign * (d2 - c.max(d1));
            }
        }
    }

    /// Opens `u` in the slot of `f`, updating the terms of the demands it touches.
    fn swap(&mut self, u: usize, f: usize, cols: &[Vec<(u32, f64)>], mark: &mut [bool]) {
        let mut touched: Vec<usize> = Vec::new();
        for (i, near) in self.near.iter().enumerate() {
            if near.0 as usize == f || near.2 as usize == f {
                touched.push(i);
            }
        }
        for &(i, c) in &cols[u] {
            if c < self.near[i as usize].3 {
                touched.push(i as usize);
            }
        }
        touched.retain(|&i| !std::mem::replace(&mut mark[i], true));
        for &i in &touched {
            self.terms(i, -1.0);
        }
        let s = self.slot_of[f];
        let k = self.slots.len();
        self.open[u] = true;
        self.open[f] = false;
        self.slots[s] = u;
        self.slot_of[u] = s;
        self.slot_of[f] = usize::MAX;
        // What is left there is rounding: the terms were all taken out.
        self.gain[u] = 0.0;
        self.extra[u * k..(u + 1) * k].fill(0.0);
        self.loss[s] = 0.0;
        for v in 0..self.open.len() {
            self.extra[v * k + s] = 0.0;
        }
        for &i in &touched {
            self.near[i] = nearest_two(self.work, &self.open, i);
            self.terms(i, 1.0);
            mark[i] = false;
        }
    }
}

/// The best sites found from `start` (sites open, `fixed` among them) with `p` open,
/// `allowed` saying which may open: greedy additions up to `p`, then the best swap
/// while one saves anything. Returns the open flags and their true objective.
pub(crate) fn local_search(costs: &Costs, allowed: &[bool], start: &[bool], p: usize) -> (Vec<bool>, f64) {
    let work = finite(costs);
    let work: &Costs = &work;
    let n = costs.candidates;
    let cols = columns(work);
    let mut open = start.to_vec();
    greedy(work, &cols, allowed, &mut open, p);
    let movable: Vec<bool> = (0..n).map(|j| allowed[j] && !costs.fixed.contains(&(j as u32))).collect();
    let slots: Vec<usize> = (0..n).filter(|&j| open[j]).collect();
    let k = slots.len();
    let mut slot_of = vec![usize::MAX; n];
    for (s, &j) in slots.iter().enumerate() {
        slot_of[j] = s;
    }
    let near: Vec<_> = (0..work.rows.len()).map(|i| nearest_two(work, &open, i)).collect();
    let mut sw =
        Swaps { work, open, slot_of, slots, near, gain: vec![0.0; n], loss: vec![0.0; k], extra: vec![0.0; n * k] };
    for i in 0..work.rows.len() {
        sw.terms(i, 1.0);
    }
    let mut mark = vec![false; work.rows.len()];
    loop {
        let total: f64 = sw.near.iter().map(|x| x.1).sum();
        let mut best = (0.0, usize::MAX, usize::MAX);
        for u in (0..n).filter(|&u| movable[u] && !sw.open[u]) {
            for (s, &f) in sw.slots.iter().enumerate() {
                if !movable[f] {
                    continue;
                }
                let profit = sw.gain[u] - sw.loss[s] + sw.extra[u * k + s];
                if profit > best.0 {
                    best = (profit, u, f);
                }
            }
        }
        if best.1 == usize::MAX || best.0 <= 1e-9 * total.max(1.0) {
            break;
        }
        let before = total;
        sw.swap(best.1, best.2, &cols, &mut mark);
        // Rounding in the bookkeeping must not make the search cycle: a swap has to pay.
        let after: f64 = sw.near.iter().map(|x| x.1).sum();
        if after >= before {
            sw.swap(best.2, best.1, &cols, &mut mark);
            break;
        }
    }
    let value = objective(costs, &sw.open);
    (sw.open, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_swap_finds_the_two_clusters() {
        // Demand at 0, 1, 2 and 100, 101, 102; candidates at the same places.
        let xs = [0.0, 1.0, 2.0, 100.0, 101.0, 102.0];
        let costs = Costs::from_fn(6, 6, |i, j| f64::abs(xs[i] - xs[j]), f64::INFINITY);
        let allowed = vec![true; 6];
        let (open, value) = local_search(&costs, &allowed, &[false; 6], 2);
        assert_eq!(value, 4.0);
        assert!(open[1] && open[4]);
    }
}
