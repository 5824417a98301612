//! The coverage curve: a model's optimum for each number of sites, so that a planner
//! sees what each new site adds. Every point is solved on its own (an optimum with its
//! proof or gap), not read off a greedy sequence.

use crate::{Error, Instance, Limits, Model, Outcome, Progress, solve_model};

/// One point of the curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// Sites open (fixed ones included).
    pub p: usize,
    /// The model's answer for that `p`.
    pub outcome: Outcome,
}

/// Solves `model` for every `p` in `ps` (ascending, duplicates dropped), each within
/// `limits`; `step(k, n)` says how many are done. Stops at the first impossible `p`
/// after at least one point (more sites than candidates) and returns the points so far.
pub fn coverage_curve(
    instance: &Instance,
    model: Model,
    ps: impl IntoIterator<Item = usize>,
    limits: Limits,
    step: &mut dyn FnMut(usize, usize),
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<CurvePoint>, Error> {
    let mut ps: Vec<usize> = ps.into_iter().collect();
    ps.sort_unstable();
    ps.dedup();
    let mut out = Vec::with_capacity(ps.len());
    for (k, &p) in ps.iter().enumerate() {
        step(k, ps.len());
        match solve_model(instance, model, p, limits, progress) {
            Ok(outcome) => out.push(CurvePoint { p, outcome }),
            Err(Error::TooManySites { .. }) if !out.is_empty() => break,
            Err(e) => return Err(e),
        }
    }
    step(out.len(), ps.len());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Point;

    #[test]
    fn covered_demand_never_drops_as_sites_are_added() {
        let pts: Vec<Point> =
            (0..40).map(|k| Point { x: (k * 37 % 101) as f64 * 500.0, y: (k * 13 % 29) as f64 * 700.0 }).collect();
        let demand: Vec<(Point, f64)> = pts.iter().enumerate().map(|(k, &p)| (p, 1.0 + (k % 3) as f64)).collect();
        let instance = Instance::from_points(&demand, &pts, None).unwrap();
        let curve = coverage_curve(
            &instance,
            Model::Covering { distance: 6000.0 },
            1..=50,
            Limits::default(),
            &mut |_, _| {},
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(curve.len(), 40);
        for w in curve.windows(2) {
            assert!(w[1].outcome.covered.unwrap() >= w[0].outcome.covered.unwrap() - 1e-9);
            assert!(w[0].outcome.solution.proven);
        }
    }
}
