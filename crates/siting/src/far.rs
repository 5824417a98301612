//! Far pairs of a radius-truncated p-median. The radius keeps memory in bounds, but with
//! few sites over a large territory many demands have their open sites beyond it, and
//! costing those at the radius leaves the bound short: on all France (p = 100, 60 km),
//! 13,167 of the 34,739 demands have the second-nearest site of a good solution farther,
//! and the truncated objective of that solution misses 0.95 % of its true one.
//!
//! So a good solution is searched on the truncated costs first; each demand whose
//! second-nearest site in it lies beyond the radius gets its pairs up to `REACH` times
//! that distance, and as fallback the distance to the nearest candidate left out. Costs
//! stay true below the fallback and never above the truth beyond it, so every bound
//! stays proven; and a demand's Lagrangian multiplier settles near its second-nearest
//! site's cost (the LP's complementary slackness), so its bound no longer feels the
//! radius. The search goes on from that solution with the new costs.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::instance::{Point, Truncation, distance};
use crate::search::local_search;
use crate::solve::Costs;

/// Pairs kept up to this multiple of a demand's distance to its second-nearest open
/// site, where that lies beyond the radius.
const REACH: f64 = 1.1;

/// Extends `costs` (the p-median's, `weights` its demand) past the radius of `t`
/// where a good solution with `p` sites needs it, and records that solution as the
/// search's start. Does nothing where the engine will refuse `p`, or with capacities.
pub(crate) fn extend(costs: &mut Costs, weights: &[f64], t: &Truncation, p: usize) {
    let n = costs.candidates;
    let (allowed, start) = costs.masks();
    let openable = allowed.iter().filter(|&&a| a).count();
    let fixed = start.iter().filter(|&&o| o).count();
    if p == 0 || p > openable || p < fixed || costs.capacity.is_some() || t.radius <= 0.0 {
        return;
    }
    let (best, _) = local_search(costs, &allowed, &start, p);
    let open: Vec<u32> = (0..n).filter(|&j| best[j]).map(|j| j as u32).collect();
    let grid = Grid::new(&t.candidates, &allowed, t.radius);
    costs.rows.par_iter_mut().zip(costs.fallback.par_iter_mut()).enumerate().with_min_len(64).for_each(
        |(i, (row, fallback))| {
            let (w, here) = (weights[i], t.demand[i]);
            let (mut d1, mut d2) = (f64::INFINITY, f64::INFINITY);
            for &j in &open {
                let d = distance(here, t.candidates[j as usize]);
                if d < d1 {
                    (d1, d2) = (d, d1);
                } else if d < d2 {
                    d2 = d;
                }
            }
            let reach = REACH * if d2.is_finite() { d2 } else { d1 };
            if w > 0.0 && reach > t.radius && reach.is_finite() {
                (*row, *fallback) = grid.within(here, reach, w, &t.candidates);
            }
        },
    );
    costs.hint = open;
}

/// The candidates that may open, by square cells of the radius's size.
struct Grid {
    size: f64,
    cells: HashMap<(i64, i64), Vec<u32>>,
}

impl Grid {
    fn new(candidates: &[Point], allowed: &[bool], size: f64) -> Grid {
        let mut cells: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
        for (j, &c) in candidates.iter().enumerate().filter(|(j, _)| allowed[*j]) {
            cells.entry(Grid::cell(c, size)).or_default().push(j as u32);
        }
        Grid { size, cells }
    }

    fn cell(p: Point, size: f64) -> (i64, i64) {
        ((p.x / size).floor() as i64, (p.y / size).floor() as i64)
    }

    /// The pairs of a demand at `here` (weight `w`) within `reach`, cheapest first, and
    /// the cost of the nearest candidate left out: at least `k` cells away, whatever the
    /// cells scanned did not see.
    fn within(&self, here: Point, reach: f64, w: f64, candidates: &[Point]) -> (Vec<(u32, f64)>, f64) {
        let k = (reach / self.size).ceil() as i64;
        let (cx, cy) = Grid::cell(here, self.size);
        let mut row = Vec::new();
        let mut next = k as f64 * self.size;
        for gx in cx - k..=cx + k {
            for gy in cy - k..=cy + k {
                for &j in self.cells.get(&(gx, gy)).map_or(&[][..], Vec::as_slice) {
                    let d = distance(here, candidates[j as usize]);
                    if d <= reach {
                        row.push((j, d));
                    } else {
                        next = next.min(d);
                    }
                }
            }
        }
        row.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        (row.into_iter().map(|(j, d)| (j, w * d)).collect(), w * next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pairs_within_reach_are_all_found_and_the_fallback_is_below_the_rest() {
        let pts = crate::instance::scattered(300);
        let allowed: Vec<bool> = (0..300).map(|j| j % 7 != 0).collect();
        let grid = Grid::new(&pts, &allowed, 100.0);
        for (here, reach) in [(pts[3], 250.0), (Point { x: -50.0, y: 500.0 }, 130.0), (pts[10], 90.0)] {
            let (row, fallback) = grid.within(here, reach, 2.0, &pts);
            let mut truth: Vec<(u32, f64)> =
                (0..300).filter(|&j| allowed[j]).map(|j| (j as u32, 2.0 * distance(here, pts[j]))).collect();
            truth.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
            let kept = truth.iter().take_while(|x| x.1 <= 2.0 * reach).count();
            assert_eq!(row, truth[..kept]);
            assert!(fallback > 2.0 * reach && fallback <= truth[kept].1);
        }
    }
}
