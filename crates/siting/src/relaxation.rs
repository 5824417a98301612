//! Lower bounds: the Lagrangian relaxation of the assignment constraints (Cornuéjols,
//! Fisher & Nemhauser 1977; Beasley 1993). With a multiplier `λ_i` per demand, the
//! problem splits: each site's score is `s_j = Σ_i min(0, c_ij − λ_i)`, and
//!
//! ```text
//!  L(λ) = Σ_i λ_i + Σ_i min(0, f_i − λ_i) + (sum of the p smallest scores)
//! ```
//!
//! is below the optimum for every `λ` (f_i the fallback). Subgradient steps raise it.

use crate::solve::Costs;

/// Sites at a node of the search tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Site {
    Free,
    Open,
    Closed,
}

/// A bound at a node, with what the branching and the fixing of sites need.
pub(crate) struct Bound {
    pub value: f64,
    /// The multipliers that gave it (the warm start of the children).
    pub lambda: Vec<f64>,
    /// Sites open in the relaxation's solution.
    pub open: Vec<bool>,
    /// Each site's score at `lambda`.
    pub scores: Vec<f64>,
}

/// The relaxation's value and solution at `lambda` for the sites of a node (`None`
/// when the node cannot have `p` sites open).
fn evaluate(costs: &Costs, sites: &[Site], p: usize, lambda: &[f64]) -> Option<(f64, Vec<bool>, Vec<f64>)> {
    let n = costs.candidates;
    let mut scores = vec![0.0; n];
    let mut base = 0.0;
    for (i, row) in costs.rows.iter().enumerate() {
        let l = lambda[i];
        base += l + (costs.fallback[i] - l).min(0.0);
        for &(j, c) in row {
            if c >= l {
                break;
            }
            scores[j as usize] += c - l;
        }
    }
    let mut open = vec![false; n];
    let mut value = base;
    let mut count = 0;
    for j in 0..n {
        if sites[j] == Site::Open {
            open[j] = true;
            value += scores[j];
            count += 1;
        }
    }
    let need = p.checked_sub(count)?;
    let mut free: Vec<usize> = (0..n).filter(|&j| sites[j] == Site::Free).collect();
    if free.len() < need {
        return None;
    }
    if need > 0 {
        free.select_nth_unstable_by(need - 1, |&a, &b| scores[a].total_cmp(&scores[b]));
        for &j in &free[..need] {
            open[j] = true;
            value += scores[j];
        }
    }
    Some((value, open, scores))
}

/// Raises the bound of a node from `start` by subgradient steps, until it reaches
/// `upper` (the node is then pruned), stalls, or `iterations` are done. `primal` is
/// told each relaxation solution, a feasible set of sites, to improve the upper bound.
pub(crate) fn bound(
    costs: &Costs,
    sites: &[Site],
    p: usize,
    start: &[f64],
    mut upper: f64,
    iterations: usize,
    primal: &mut dyn FnMut(&[bool]) -> f64,
) -> Option<Bound> {
    let mut lambda = start.to_vec();
    let (value, open, scores) = evaluate(costs, sites, p, &lambda)?;
    let mut best = Bound { value, lambda: lambda.clone(), open, scores };
    let mut theta = 2.0;
    let mut stalled = 0;
    let mut current = best.open.clone();
    let mut current_value = best.value;
    for k in 0..iterations {
        let prune_at = upper - 1e-9 * upper.abs().max(1.0);
        if best.value >= prune_at || theta < 1e-5 {
            break;
        }
        if k % 5 == 0 {
            upper = upper.min(primal(&current));
        }
        // Subgradient: 1 − (how many times demand i is assigned in the relaxation).
        let mut g = vec![0.0; costs.rows.len()];
        let mut norm = 0.0;
        for (i, row) in costs.rows.iter().enumerate() {
            let l = lambda[i];
            let mut assigned = if costs.fallback[i] < l { 1.0 } else { 0.0 };
            for &(j, c) in row {
                if c >= l {
                    break;
                }
                if current[j as usize] {
                    assigned += 1.0;
                }
            }
            g[i] = 1.0 - assigned;
            norm += g[i] * g[i];
        }
        if norm == 0.0 {
            // The relaxation's solution is feasible and optimal for this node.
            primal(&current);
            break;
        }
        let target = if upper.is_finite() { upper } else { current_value.abs() * 1.1 + 1.0 };
        let step = theta * (target - current_value).max(1e-12 * target.abs().max(1.0)) / norm;
        for i in 0..lambda.len() {
            lambda[i] = (lambda[i] + step * g[i]).max(0.0);
        }
        let (value, open, scores) = evaluate(costs, sites, p, &lambda)?;
        current = open;
        current_value = value;
        if value > best.value + 1e-12 * value.abs().max(1.0) {
            best = Bound { value, lambda: lambda.clone(), open: current.clone(), scores };
            stalled = 0;
        } else {
            stalled += 1;
            if stalled >= 30 {
                theta /= 2.0;
                stalled = 0;
            }
        }
    }
    Some(best)
}
