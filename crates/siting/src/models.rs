//! The four location models of PySAL spopt, each a set of costs for the one engine.

use crate::solve::{Costs, Limits, Progress, Solution, closes, solve_costs};
use crate::{Error, Instance, far, reduce};

/// A location model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    /// p-median (Hakimi 1965): minimise the demand-weighted distance to the nearest site.
    PMedian,
    /// Maximal covering (Church & ReVelle 1974): maximise the demand within `distance`
    /// of an open site.
    Covering {
        /// The service distance, in the instance's unit.
        distance: f64,
    },
    /// Location set covering (Toregas et al. 1971): the fewest sites that put every
    /// demand point of positive weight within `distance`.
    SetCovering {
        /// The service distance.
        distance: f64,
    },
    /// p-center: the smallest distance within which `p` sites put every demand point of
    /// positive weight.
    PCenter,
}

/// A model's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The sites and what is proven (the engine's objective: weighted distance for the
    /// p-median, uncovered demand for covering models).
    pub solution: Solution,
    /// Sites open.
    pub p: usize,
    /// The service distance (given, or the p-center's optimum).
    pub distance: Option<f64>,
    /// Demand within the service distance of an open site (covering models).
    pub covered: Option<f64>,
    /// Total demand.
    pub demand: f64,
}

/// Solves `model` on `instance` with `p` sites (set covering: at most `p` is not asked,
/// the smallest number is found and `p` is ignored).
pub fn solve_model(
    instance: &Instance,
    model: Model,
    p: usize,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, Error> {
    instance.check()?;
    let demand: f64 = instance.demand.iter().sum();
    match model {
        Model::PMedian => {
            let started = std::time::Instant::now();
            let mut costs = median_costs(instance)?;
            let mut limits = limits;
            if let Some(t) = &instance.truncated {
                far::extend(&mut costs, &instance.demand, t, p);
                // The time limit is the whole solve's.
                limits.time = limits.time.map(|l| l.saturating_sub(started.elapsed()));
            }
            let mut solution = solve_costs(&costs, p, limits, progress)?;
            solution.seconds = started.elapsed().as_secs_f64();
            if let Some(t) = &instance.truncated {
                measure_exactly(instance, t, &mut solution, &costs.hint);
            }
            Ok(Outcome { p: solution.open.len(), solution, distance: None, covered: None, demand })
        }
        Model::Covering { distance } | Model::SetCovering { distance }
            if instance.truncated.as_ref().is_some_and(|t| distance > t.radius) =>
        {
            Err(Error::RadiusBelowService { radius: instance.truncated.as_ref().map_or(0.0, |t| t.radius), distance })
        }
        Model::Covering { distance } => {
            let mut costs = covering_costs(instance, distance, false);
            if costs.capacity.is_none() {
                reduce::exclude_dominated(&mut costs, p);
            }
            let solution = solve_costs(&costs, p, limits, progress)?;
            let covered = demand - solution.objective;
            Ok(Outcome { p: solution.open.len(), solution, distance: Some(distance), covered: Some(covered), demand })
        }
        Model::SetCovering { distance } => {
            let (p, solution) = fewest_sites(instance, distance, limits, progress)?;
            Ok(Outcome { p, solution, distance: Some(distance), covered: Some(demand), demand })
        }
        Model::PCenter => p_center(instance, p, limits, progress),
    }
}

/// Whether each candidate is excluded, looked up once per pair.
fn excluded(instance: &Instance) -> Vec<bool> {
    let mut out = vec![false; instance.candidates];
    for &j in &instance.excluded {
        out[j as usize] = true;
    }
    out
}

/// The solution's true objective where pairs beyond the radius were costed lower: the
/// bound (of a problem whose costs are never above the true ones) stands. The search's
/// start (`hint`, from `far.rs`) is kept instead when it is truly better: costs lowered
/// beyond the radius can lure the search away from it.
fn measure_exactly(instance: &Instance, t: &crate::Truncation, solution: &mut Solution, hint: &[u32]) {
    let true_cost =
        |open: &[u32]| -> f64 { instance.demand.iter().enumerate().map(|(i, w)| w * t.nearest(i, open)).sum() };
    let mut exact = true_cost(&solution.open);
    if !hint.is_empty() && solution.served.is_none() {
        let start = true_cost(hint);
        if start < exact {
            solution.open = hint.to_vec();
            exact = start;
        }
    }
    solution.objective = exact;
    solution.proven = closes(exact, solution.bound);
    if solution.proven {
        solution.bound = exact;
    }
}

fn median_costs(instance: &Instance) -> Result<Costs, Error> {
    let excluded = excluded(instance);
    // Beyond the radius, at least the radius.
    let beyond = instance.truncated.as_ref().map_or(f64::INFINITY, |t| t.radius);
    let mut fallback = Vec::with_capacity(instance.demand.len());
    let mut rows = Vec::with_capacity(instance.demand.len());
    for (i, (row, &w)) in instance.reach.iter().zip(&instance.demand).enumerate() {
        let mut row: Vec<(u32, f64)> =
            row.iter().filter(|(j, _)| !excluded[*j as usize]).map(|&(j, d)| (j, w * d)).collect();
        row.shrink_to_fit();
        if w > 0.0 && row.is_empty() && beyond.is_infinite() {
            return Err(Error::Unreachable(i));
        }
        fallback.push(if w > 0.0 { w * beyond } else { 0.0 });
        rows.push(row);
    }
    Ok(Costs {
        rows,
        fallback,
        candidates: instance.candidates,
        fixed: instance.fixed.clone(),
        excluded: instance.excluded.clone(),
        capacity: capacity(instance),
        hint: vec![],
    })
}

/// Covered: cost 0; uncovered: the demand's weight (1 per point of positive weight
/// with `unit`).
fn covering_costs(instance: &Instance, distance: f64, unit: bool) -> Costs {
    let excluded = excluded(instance);
    let rows = instance
        .reach
        .iter()
        .map(|row| {
            row.iter().filter(|&&(j, d)| d <= distance && !excluded[j as usize]).map(|&(j, _)| (j, 0.0)).collect()
        })
        .collect();
    let fallback = instance.demand.iter().map(|&w| if unit { f64::from(u8::from(w > 0.0)) } else { w }).collect();
    let costs = Costs {
        rows,
        fallback,
        candidates: instance.candidates,
        fixed: instance.fixed.clone(),
        excluded: instance.excluded.clone(),
        capacity: capacity(instance),
        hint: vec![],
    };
    if costs.capacity.is_none() { reduce::merge_demand(costs) } else { costs }
}

/// What each demand consumes and each site offers, when the instance has capacities.
fn capacity(instance: &Instance) -> Option<(Vec<f64>, Vec<f64>)> {
    (!instance.capacity.is_empty()).then(|| (instance.demand.clone(), instance.capacity.clone()))
}

/// The smallest `p` whose covering optimum leaves no point of positive weight
/// uncovered, by bisection (covering is monotone in `p`).
fn fewest_sites(
    instance: &Instance,
    distance: f64,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<(usize, Solution), Error> {
    let costs = covering_costs(instance, distance, true);
    let most = instance.openable();
    let mut all = solve_costs(&costs, most.max(1), limits, progress)?;
    if all.objective > 0.0 {
        return Err(Error::CannotCover);
    }
    let (mut lo, mut hi) = (instance.fixed.len().max(1), most.max(1));
    while lo < hi {
        let mid = (lo + hi) / 2;
        let s = solve_costs(&costs, mid, limits, progress)?;
        if s.objective == 0.0 {
            hi = mid;
            all = s;
        } else if s.proven {
            lo = mid + 1;
        } else {
            // Not proven either way within the limits: keep the covering solution found.
            break;
        }
    }
    Ok((hi, all))
}

/// The smallest distance among the instance's own within which `p` sites cover every
/// point of positive weight, by bisection over the sorted distances.
fn p_center(
    instance: &Instance,
    p: usize,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, Error> {
    let demand: f64 = instance.demand.iter().sum();
    let mut distances: Vec<f64> = instance.reach.iter().flatten().map(|&(_, d)| d).collect();
    distances.sort_by(f64::total_cmp);
    distances.dedup();
    let covers = |d: f64, progress: &mut dyn FnMut(Progress)| {
        solve_costs(&covering_costs(instance, d, true), p, limits, progress)
    };
    let Some(&largest) = distances.last() else { return Err(Error::CannotCover) };
    let mut best = covers(largest, progress)?;
    if best.objective > 0.0 {
        return Err(Error::CannotCover);
    }
    let (mut lo, mut hi) = (0, distances.len() - 1);
    let mut proven = true;
    while lo < hi {
        let mid = (lo + hi) / 2;
        let s = covers(distances[mid], progress)?;
        if s.objective == 0.0 {
            hi = mid;
            best = s;
        } else {
            // Unproven: a smaller distance may still do; the answer is then an upper bound.
            proven &= s.proven;
            lo = mid + 1;
        }
    }
    // The radius is the largest distance from a demand to its nearest open site.
    let open: std::collections::HashSet<u32> = best.open.iter().copied().collect();
    let radius = instance
        .reach
        .iter()
        .zip(&instance.demand)
        .filter(|(_, w)| **w > 0.0)
        .filter_map(|(row, _)| row.iter().find(|(j, _)| open.contains(j)).map(|x| x.1))
        .fold(0.0, f64::max);
    best.proven = proven;
    best.objective = radius;
    best.bound = if proven { radius } else { 0.0 };
    Ok(Outcome { p: best.open.len(), solution: best, distance: Some(radius), covered: Some(demand), demand })
}
