//! Sites with capacities: each site serves at most its capacity, demand may be split
//! between sites. The assignment is no longer "the cheapest open site", so the Benders
//! cuts of `cuts.rs` do not hold; the textbook formulation is solved by HiGHS on the
//! sparse pairs the instance keeps (radius-truncated), with the strong linking rows:
//!
//! ```text
//!  min Σ c_ij x_ij + Σ f_i u_i   s.t.  Σ_j x_ij + u_i = 1,  x_ij ≤ y_j,
//!      Σ_i w_i x_ij ≤ cap_j y_j,  Σ_j y_j = p,  x, u ∈ [0, 1],  y ∈ {0, 1}
//! ```
//!
//! (`u_i`, the share left to the fallback cost, exists only where that cost is finite.)

use std::time::Instant;

use highs::{HighsModelStatus, HighsSolutionStatus, RowProblem, Sense};

use crate::Error;
use crate::solve::{Costs, Limits, Progress, Solution, closes};

pub(crate) fn solve(
    costs: &Costs,
    p: usize,
    allowed: &[bool],
    fixed: &[u32],
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Solution, Error> {
    let started = Instant::now();
    let Some((weights, capacity)) = &costs.capacity else { unreachable!("called for capacities only") };
    let n = costs.candidates;
    // The largest capacity p sites can offer, the fixed ones first.
    let mut is_fixed = vec![false; n];
    for &j in fixed {
        is_fixed[j as usize] = true;
    }
    let mut others: Vec<f64> = (0..n).filter(|&j| allowed[j] && !is_fixed[j]).map(|j| capacity[j]).collect();
    others.sort_by(|a, b| b.total_cmp(a));
    let most: f64 =
        fixed.iter().map(|&j| capacity[j as usize]).sum::<f64>() + others.iter().take(p - fixed.len()).sum::<f64>();
    let must: f64 = weights.iter().zip(&costs.fallback).filter(|(_, f)| f.is_infinite()).map(|(w, _)| w).sum();
    if most < must * (1.0 - 1e-12) {
        return Err(Error::CapacityBelowDemand { p, capacity: most, demand: must });
    }
    let typical = {
        let total: f64 = costs.rows.iter().filter_map(|r| r.first()).map(|x| x.1).sum();
        if total > 0.0 { total / costs.rows.len().max(1) as f64 } else { 1.0 }
    };
    let scale = 1.0 / typical;
    let mut pb = RowProblem::default();
    let y: Vec<_> = (0..n)
        .map(|j| {
            let (lo, hi) = if is_fixed[j] {
                (1.0, 1.0)
            } else if allowed[j] {
                (0.0, 1.0)
            } else {
                (0.0, 0.0)
            };
            pb.add_integer_column(0.0, lo..=hi)
        })
        .collect();
    let pf = p as f64;
    pb.add_row(pf..=pf, y.iter().map(|&c| (c, 1.0)));
    let mut load: Vec<Vec<(highs::Col, f64)>> = vec![Vec::new(); n];
    // The site and weight of each assignment column, in the order they are added after the n site columns.
    let mut shares: Vec<(u32, f64)> = Vec::new();
    for (i, row) in costs.rows.iter().enumerate() {
        let (w, f) = (weights[i], costs.fallback[i]);
        if w <= 0.0 {
            // No weight: costs nothing in every model (its costs are weight × distance, or
            // 0 and 1 for points of positive weight only).
            continue;
        }
        let mut serve = Vec::new();
        for &(j, c) in row.iter().filter(|x| x.1 < f) {
            let x = pb.add_column(c * scale, 0.0..=1.0);
            pb.add_row(..=0.0, [(x, 1.0), (y[j as usize], -1.0)]);
            load[j as usize].push((x, w));
            shares.push((j, w));
            serve.push((x, 1.0));
        }
        if f.is_finite() {
            serve.push((pb.add_column(f * scale, 0.0..=1.0), 1.0));
            shares.push((u32::MAX, 0.0));
        } else if serve.is_empty() {
            return Err(Error::Unreachable(i));
        }
        pb.add_row(1.0..=1.0, serve);
    }
    for (j, mut row) in load.into_iter().enumerate() {
        if !row.is_empty() {
            row.push((y[j], -capacity[j]));
            pb.add_row(..=0.0, row);
        }
    }
    let mut model = pb.optimise(Sense::Minimise);
    model.make_quiet();
    model.set_option("mip_rel_gap", 1e-9);
    model.set_option("mip_abs_gap", 0.0);
    if let Some(t) = limits.threads {
        model.set_option("threads", t.max(1) as i32);
    }
    if let Some(t) = limits.time {
        model.set_option("time_limit", t.as_secs_f64().max(1e-3));
    }
    if !limits.exact {
        model.set_option("mip_rel_gap", 0.01);
    }
    let solved = model.try_solve().map_err(|s| Error::Solver(format!("{s:?}")))?;
    match solved.status() {
        HighsModelStatus::Optimal | HighsModelStatus::ReachedTimeLimit => {}
        HighsModelStatus::Infeasible => return Err(Error::NoFeasibleChoice(p)),
        other => return Err(Error::Solver(format!("{other:?}"))),
    }
    if solved.primal_solution_status() != HighsSolutionStatus::Feasible {
        return Err(Error::Solver("aucune solution dans le temps imparti".into()));
    }
    let objective = solved.objective_value() / scale;
    let bound = (solved.double_info_value(c"mip_dual_bound").unwrap_or(0.0) / scale).clamp(0.0, objective);
    let cols = solved.get_solution().columns().to_vec();
    let open: Vec<u32> = (0..n).filter(|&j| cols[j] > 0.5).map(|j| j as u32).collect();
    let mut served = vec![0.0; n];
    for (&(j, w), x) in shares.iter().zip(&cols[n..]) {
        if j != u32::MAX {
            served[j as usize] += w * x.clamp(0.0, 1.0);
        }
    }
    let served = open.iter().map(|&j| served[j as usize]).collect();
    let proven = closes(objective, bound);
    progress(Progress { upper: objective, lower: bound, rounds: 1 });
    Ok(Solution {
        open,
        objective,
        bound: if proven { objective } else { bound },
        proven,
        rounds: 1,
        seconds: started.elapsed().as_secs_f64(),
        served: Some(served),
    })
}
