//! Upper bounds: a greedy start, then the swap local search of Teitz and Bart made fast
//! as Resende and Werneck (2003) do: one pass over the demand computes, for every pair
//! (site to open, site to close), what the swap would save, from each demand's nearest
//! and second-nearest open sites.

use crate::solve::Costs;

/// Each demand's cost under `open`: its cheapest open site, or its fallback.
pub(crate) fn objective(costs: &Costs, open: &[bool]) -> f64 {
    (0..costs.rows.len()).map(|i| served(costs, open, i)).sum()
}

/// Demand `i`'s cost under `open`.
pub(crate) fn served(costs: &Costs, open: &[bool], i: usize) -> f64 {
    nearest_two(costs, open, i).1
}

/// For demand `i`: (nearest open site or `u32::MAX` for the fallback, its cost, the
/// second cheapest cost).
fn nearest_two(costs: &Costs, open: &[bool], i: usize) -> (u32, f64, f64) {
    let fallback = costs.fallback[i];
    let mut first: Option<(u32, f64)> = None;
    for &(j, c) in &costs.rows[i] {
        if c >= fallback {
            break;
        }
        if open[j as usize] {
            match first {
                None => first = Some((j, c)),
                Some((f, c1)) => return (f, c1, c),
            }
        }
    }
    match first {
        Some((f, c1)) => (f, c1, fallback),
        None => (u32::MAX, fallback, fallback),
    }
}

/// A cost standing for "not served" where the fallback is infinite, larger than any
/// sum of finite costs, so that the search first serves everyone.
fn finite(costs: &Costs) -> Costs {
    let worst: f64 = costs.rows.iter().map(|r| r.last().map_or(0.0, |x| x.1)).sum();
    let big = 2.0 * worst + 1.0;
    Costs { fallback: costs.fallback.iter().map(|&f| if f.is_finite() { f } else { big }).collect(), ..costs.clone() }
}

/// The best sites found from `start` (sites open, `fixed` among them) with `p` open,
/// `allowed` saying which may open: greedy additions up to `p`, then the best swap
/// while one saves anything. Returns the open flags and their true objective.
pub(crate) fn local_search(costs: &Costs, allowed: &[bool], start: &[bool], p: usize) -> (Vec<bool>, f64) {
    let work = finite(costs);
    let n = costs.candidates;
    let mut open = start.to_vec();
    // Greedy: add the site that saves most.
    while open.iter().filter(|&&o| o).count() < p {
        let mut gain = vec![0.0; n];
        for i in 0..work.rows.len() {
            let (_, d1, _) = nearest_two(&work, &open, i);
            for &(j, c) in &work.rows[i] {
                if c >= d1 {
                    break;
                }
                gain[j as usize] += d1 - c;
            }
        }
        let best = (0..n).filter(|&j| allowed[j] && !open[j]).max_by(|&a, &b| gain[a].total_cmp(&gain[b]));
        match best {
            Some(j) => open[j] = true,
            None => break,
        }
    }
    // Swaps.
    let movable: Vec<bool> = (0..n).map(|j| allowed[j] && !costs.fixed.contains(&(j as u32))).collect();
    loop {
        let slots: Vec<usize> = (0..n).filter(|&j| open[j]).collect();
        let mut slot_of = vec![usize::MAX; n];
        for (s, &j) in slots.iter().enumerate() {
            slot_of[j] = s;
        }
        let mut gain = vec![0.0; n];
        let mut loss = vec![0.0; slots.len()];
        let mut extra = vec![0.0; n * slots.len()];
        let mut total = 0.0;
        for i in 0..work.rows.len() {
            let (f1, d1, d2) = nearest_two(&work, &open, i);
            total += d1;
            let slot = (f1 != u32::MAX).then(|| slot_of[f1 as usize]);
            if let Some(s) = slot {
                loss[s] += d2 - d1;
            }
            for &(u, c) in &work.rows[i] {
                if c >= d2 {
                    break;
                }
                let u = u as usize;
                if open[u] {
                    continue;
                }
                if c < d1 {
                    gain[u] += d1 - c;
                }
                if let Some(s) = slot {
                    extra[u * slots.len() + s] += d2 - c.max(d1);
                }
            }
        }
        let mut best = (0.0, usize::MAX, usize::MAX);
        for u in (0..n).filter(|&u| movable[u] && !open[u]) {
            for (s, &f) in slots.iter().enumerate() {
                if !movable[f] {
                    continue;
                }
                let profit = gain[u] - loss[s] + extra[u * slots.len() + s];
                if profit > best.0 {
                    best = (profit, u, f);
                }
            }
        }
        if best.1 == usize::MAX || best.0 <= 1e-12 * total.max(1.0) {
            break;
        }
        open[best.1] = true;
        open[best.2] = false;
    }
    let value = objective(costs, &open);
    (open, value)
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
