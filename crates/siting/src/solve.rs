//! The engine: `p` sites, each demand served by its cheapest open site (or at its
//! fallback cost). Benders decomposition of the radius formulation, after
//! Durán-Mateluna, Alès & Elloumi (2023):
//!
//! ```text
//!  swap search ──► upper bound (a solution)
//!  LP master + cuts at the in-out point, until none is violated ──► LP bound
//!  MIP master over the sites the LP uses ──► a better upper bound
//!  reduced-cost fixing: sites whose flip cannot beat the upper bound are settled
//!  MIP master (HiGHS) ──► its optimum y*; cuts at y* if its true cost is higher; again
//! ```
//!
//! Every master optimum, LP or MIP (over all sites), is a lower bound of the problem's (the master holds
//! only valid cuts), so the gap reported at a time limit is proven.

use std::time::{Duration, Instant};

use crate::Error;
use crate::cuts::cut;
use crate::master::Master;
use crate::search::{local_search, objective};

/// The problem the engine solves, in raw indices.
#[derive(Debug, Clone)]
pub(crate) struct Costs {
    /// Per demand, `(site, cost)` cheapest first.
    pub rows: Vec<Vec<(u32, f64)>>,
    /// Per demand, the cost when no listed site is open (infinite: must be served).
    pub fallback: Vec<f64>,
    pub candidates: usize,
    /// Open in every solution.
    pub fixed: Vec<u32>,
    /// Never opened.
    pub excluded: Vec<u32>,
    /// Capacities: per demand, what it consumes when served; per site, what it can
    /// serve (`None`: unlimited, each demand served whole by its cheapest open site).
    pub capacity: Option<(Vec<f64>, Vec<f64>)>,
    /// Sites of a good solution found beforehand (`far.rs`): the search starts there.
    pub hint: Vec<u32>,
}

impl Costs {
    /// Per candidate: whether it may open (not excluded), and whether it is fixed open.
    pub(crate) fn masks(&self) -> (Vec<bool>, Vec<bool>) {
        let mut allowed = vec![true; self.candidates];
        for &j in &self.excluded {
            allowed[j as usize] = false;
        }
        let mut fixed = vec![false; self.candidates];
        for &j in &self.fixed {
            fixed[j as usize] = true;
        }
        (allowed, fixed)
    }

    #[cfg(test)]
    pub fn from_fn(demand: usize, candidates: usize, cost: impl Fn(usize, usize) -> f64, fallback: f64) -> Costs {
        let rows = (0..demand)
            .map(|i| {
                let mut r: Vec<(u32, f64)> = (0..candidates).map(|j| (j as u32, cost(i, j))).collect();
                r.sort_by(|a, b| a.1.total_cmp(&b.1));
                r
            })
            .collect();
        Costs {
            rows,
            fallback: vec![fallback; demand],
            candidates,
            fixed: vec![],
            excluded: vec![],
            capacity: None,
            hint: vec![],
        }
    }
}

/// How long to search.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Stop after this long with the gap reached (`None`: until proven).
    pub time: Option<Duration>,
    /// `false`: the heuristic mode, the best solution found and the LP bound (as far as
    /// the time allows).
    pub exact: bool,
    /// HiGHS's threads (its default: half the cores).
    pub threads: Option<usize>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { time: Some(Duration::from_secs(600)), exact: true, threads: None }
    }
}

/// Where a search stands, reported as it goes.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The best objective found.
    pub upper: f64,
    /// The proven lower bound.
    pub lower: f64,
    /// Rounds of the master so far (LP solves with new cuts, then MIP solves).
    pub rounds: usize,
}

/// The sites chosen and what is proven of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// Sites open (the fixed ones included), ascending.
    pub open: Vec<u32>,
    /// Their objective (minimised).
    pub objective: f64,
    /// A proven lower bound of the optimum.
    pub bound: f64,
    /// Whether `objective` is proven optimal (to a relative gap of `TOLERANCE`).
    pub proven: bool,
    /// Rounds of the master (LP solves with new cuts, then MIP solves).
    pub rounds: usize,
    /// Wall time, s.
    pub seconds: f64,
    /// With capacities, the demand each open site serves (in `open`'s order), demand
    /// being split between sites; `None`: each demand goes whole to its cheapest open site.
    pub served: Option<Vec<f64>>,
}

impl Solution {
    /// `(objective − bound) / objective`, 0 when proven.
    pub fn gap(&self) -> f64 {
        if self.proven || self.objective <= 0.0 {
            return 0.0;
        }
        ((self.objective - self.bound) / self.objective).max(0.0)
    }
}

/// Pairs beyond which the heuristic mode keeps to the Lagrangian bound: HiGHS's
/// simplex on the LP master of such instances takes minutes.
const LP_PAIRS: usize = 4_000_000;

/// Relative gap under which a solution counts as proven optimal: HiGHS's own LP and MIP
/// tolerances, far below any figure shown.
pub const TOLERANCE: f64 = 1e-7;

/// Whether `upper` is proven optimal by `lower`: within `TOLERANCE` relatively, or
/// absolutely for objectives that are zero up to rounding (a covering serving everyone
/// returns 1e-15, its bound 0).
pub(crate) fn closes(upper: f64, lower: f64) -> bool {
    upper - lower <= TOLERANCE * upper.abs().max(1.0)
}

pub(crate) fn solve_costs(
    costs: &Costs,
    p: usize,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Solution, Error> {
    let started = Instant::now();
    let deadline = limits.time.map(|t| started + t);
    let n = costs.candidates;
    let m = costs.rows.len();
    let (allowed, _) = costs.masks();
    let openable = allowed.iter().filter(|&&a| a).count();
    let mut fixed = costs.fixed.clone();
    fixed.sort_unstable();
    fixed.dedup();
    if p == 0 {
        return Err(Error::NoSite);
    }
    if p > openable {
        return Err(Error::TooManySites { p, candidates: openable });
    }
    if p < fixed.len() {
        return Err(Error::FewerThanFixed { p, fixed: fixed.len() });
    }
    if costs.capacity.is_some() {
        return crate::capacity::solve(costs, p, &allowed, &fixed, limits, progress);
    }
    let mut bounds: Vec<(f64, f64)> = allowed.iter().map(|&a| if a { (0.0, 1.0) } else { (0.0, 0.0) }).collect();
    let mut start = vec![false; n];
    for &j in &fixed {
        bounds[j as usize] = (1.0, 1.0);
        start[j as usize] = true;
    }
    let mut from = start.clone();
    for &j in costs.hint.iter().filter(|&&j| allowed[j as usize]) {
        from[j as usize] = true;
    }
    if from.iter().filter(|&&o| o).count() > p {
        from.clone_from(&start);
    }
    let (mut best, mut upper) = local_search(costs, &allowed, &from, p);
    let mut lower: f64 = 0.0; // costs are never negative
    let mut rounds = 0;
    // With whole costs (covering models on counts of people), every objective is whole:
    // a bound less than 1 below the best proves it.
    let whole = costs.rows.iter().flatten().map(|x| x.1).chain(costs.fallback.iter().copied()).all(|c| c == c.round());
    let step = if whole { 1.0 - 1e-6 } else { 0.0 };
    let done = |upper: f64, lower: f64| upper.is_finite() && (closes(upper, lower) || upper - lower < step);
    let finish = |best: &[bool], upper: f64, lower: f64, rounds: usize| {
        let open: Vec<u32> = (0..n).filter(|&j| best[j]).map(|j| j as u32).collect();
        let proven = done(upper, lower);
        let bound = if proven { upper } else { lower.min(upper) };
        Solution {
            open,
            objective: upper,
            bound,
            proven,
            rounds,
            seconds: started.elapsed().as_secs_f64(),
            served: None,
        }
    };
    progress(Progress { upper, lower, rounds });
    if done(upper, lower) {
        return Ok(finish(&best, upper, lower, rounds));
    }
    if !limits.exact {
        // The heuristic mode: a Lagrangian bound first (cheap per step, fits any size),
        // then the LP master's where it fits the time.
        let lp_fits = costs.rows.iter().map(Vec::len).sum::<usize>() <= LP_PAIRS;
        let left = deadline.map_or(Duration::from_secs(60), |d| d.saturating_duration_since(Instant::now()));
        let until = Instant::now() + if lp_fits { left / 4 } else { left };
        // Multipliers start halfway between each demand's nearest and second-nearest open
        // sites of the best solution: where the LP's duals lie when it is integral
        // (measured on all France, p = 100, before `far.rs` and the present step scale: a
        // 3.9 % gap at 45 s, against 10 % from the nearest's cost and 14 % from the second's).
        let start: Vec<f64> = (0..m)
            .map(|i| {
                let (d1, d2) = crate::search::two_nearest(costs, &best, i);
                if d2.is_finite() { 0.5 * (d1 + d2) } else { d1 }
            })
            .collect();
        lower = lower.max(crate::lagrangian::bound(costs, &bounds, p, start, upper, until));
        progress(Progress { upper, lower, rounds });
        if done(upper, lower) || !lp_fits {
            return Ok(finish(&best, upper, lower, rounds));
        }
    }
    let typical = if upper.is_finite() { upper / m.max(1) as f64 } else { 1.0 };
    // Violations smaller than this are HiGHS's rounding, not missing cuts.
    let slack = 1e-6 * typical;
    let mut master = Master::new(p, m, bounds, typical, limits.threads, step);
    let mut y_in: Vec<f64> = best.iter().map(|&o| f64::from(u8::from(o))).collect();
    for i in 0..m {
        master.add(cut(costs, i, &y_in).1);
    }
    // The LP bound: cuts separated at the in-out point (Ben-Ameur & Neto 2007) between the
    // LP's solution and a stable point, or at the LP's solution when that one finds none.
    let mut last = None;
    while let Some(lp) = master.relax(deadline)? {
        rounds += 1;
        lower = lower.max(lp.value);
        progress(Progress { upper, lower, rounds });
        if done(upper, lower) {
            return Ok(finish(&best, upper, lower, rounds));
        }
        let sep: Vec<f64> = lp.y.iter().zip(&y_in).map(|(a, b)| 0.5 * (a + b)).collect();
        let before = master.cuts();
        for i in 0..m {
            let (_, c) = cut(costs, i, &sep);
            if c.violation(&lp.y, lp.theta[i]) > slack {
                master.add(c);
                continue;
            }
            let (_, c) = cut(costs, i, &lp.y);
            if c.violation(&lp.y, lp.theta[i]) > slack {
                master.add(c);
            }
        }
        let converged = master.cuts() == before;
        for (a, b) in y_in.iter_mut().zip(&lp.y) {
            *a = 0.5 * (*a + b);
        }
        last = Some(lp);
        if converged {
            break;
        }
    }
    let Some(lp) = last else { return Ok(finish(&best, upper, lower, rounds)) };
    // A solution near the LP's: its sites with the largest shares, improved by swaps.
    let near: Vec<bool> = (0..n).map(|j| start[j] || lp.y[j] > 0.5).collect();
    if near.iter().filter(|&&o| o).count() <= p {
        let (open, value) = local_search(costs, &allowed, &near, p);
        if value < upper {
            (best, upper) = (open, value);
            progress(Progress { upper, lower, rounds });
        }
    }
    if done(upper, lower) || !limits.exact {
        return Ok(finish(&best, upper, lower, rounds));
    }
    // The MIP over the sites the LP uses and the best solution's: a better upper bound
    // settles more sites below (MCLP p = 20 on Nord + Pas-de-Calais: the swaps stop at
    // 595,619 uncovered, this finds 561,128 among 93 sites in about 1 s, the optimum being
    // 561,084, and the whole MIP then takes 1.5 s instead of 4).
    let keep: Vec<bool> = (0..n).map(|j| best[j] || lp.y[j] > 1e-6).collect();
    // A quarter of the time left at most: the whole MIP needs the rest.
    let quarter = deadline.map(|d| Instant::now() + d.saturating_duration_since(Instant::now()) / 4);
    if let Some(open) = master.within(&keep, &best, &costs_at(costs, &best), quarter)? {
        let (open, value) = local_search(costs, &allowed, &open, p);
        if value < upper {
            (best, upper) = (open, value);
            progress(Progress { upper, lower, rounds });
        }
        if done(upper, lower) {
            return Ok(finish(&best, upper, lower, rounds));
        }
    }
    // Sites whose flip would cost the LP more than the gap cannot be in a better solution.
    let margin = upper - lp.value + slack;
    for j in 0..n {
        if master.bounds()[j].0 == master.bounds()[j].1 {
            continue;
        }
        if lp.y[j] <= 1e-9 && lp.reduced[j] > margin {
            master.settle(j, false);
        } else if lp.y[j] >= 1.0 - 1e-9 && -lp.reduced[j] > margin {
            master.settle(j, true);
        }
    }
    // The MIP master, with the cuts of each of its optima, until an optimum costs what the
    // master says (then it is the problem's) or the time is up.
    while let Some(mip) = master.integer(&best, &costs_at(costs, &best), deadline)? {
        rounds += 1;
        if mip.infeasible {
            // Nothing better than the best solution is left.
            lower = upper;
            break;
        }
        lower = lower.max(mip.bound.min(upper));
        let Some(open) = mip.open else { break };
        let value = objective(costs, &open);
        if value < upper {
            (best, upper) = (open.clone(), value);
        }
        progress(Progress { upper, lower, rounds });
        if done(upper, lower) || !mip.optimal {
            break;
        }
        let y: Vec<f64> = open.iter().map(|&o| f64::from(u8::from(o))).collect();
        let before = master.cuts();
        for i in 0..m {
            let (_, c) = cut(costs, i, &y);
            if c.violation(&y, mip.theta[i]) > slack {
                master.add(c);
            }
        }
        if master.cuts() == before {
            // The master's optimum costs what it says: it is the problem's.
            lower = upper.min(mip.value.max(lower));
            break;
        }
    }
    Ok(finish(&best, upper, lower, rounds))
}

/// Each demand's cost under `open`.
fn costs_at(costs: &Costs, open: &[bool]) -> Vec<f64> {
    (0..costs.rows.len()).map(|i| crate::search::served(costs, open, i)).collect()
}
