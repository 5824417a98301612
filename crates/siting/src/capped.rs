//! The p-median on instances too large for every pair (all communes of France, grid
//! cells): pairs farther than a radius are not stored, and a demand whose open sites are
//! all beyond the radius is charged the radius. That capped problem costs no more than
//! the true one for any set of sites, so its proven bound is a bound of the true optimum;
//! the sites it chooses are then priced at their true distances, and the gap reported is
//! between that true objective and the capped bound: never below the truth.

use crate::instance::distance;
use crate::{Error, Instance, Limits, Model, Outcome, Point, Progress, solve_model};

/// Solves the p-median between planar points with pairs kept within `radius` (m), then
/// prices the sites chosen at their true straight-line distances.
#[allow(clippy::too_many_arguments)]
pub fn solve_pmedian_capped(
    demand: &[(Point, f64)],
    candidates: &[Point],
    radius: f64,
    p: usize,
    fixed: Vec<u32>,
    excluded: Vec<u32>,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Outcome, Error> {
    let mut instance = Instance::from_points(demand, candidates, Some(radius))?.with_sites(fixed, excluded)?;
    let openable = instance.openable();
    if p > openable {
        return Err(Error::TooManySites { p, candidates: openable });
    }
    if p == 0 {
        return Err(Error::NoSite);
    }
    // One extra site, open in every solution, at the radius from every demand point.
    let cap = candidates.len() as u32;
    for row in &mut instance.reach {
        row.push((cap, radius));
    }
    instance.candidates += 1;
    instance.fixed.push(cap);
    let capped = solve_model(&instance, Model::PMedian, p + 1, limits, progress)?;
    let mut solution = capped.solution;
    solution.open.retain(|&j| j != cap);
    let objective: f64 = demand
        .iter()
        .map(|&(point, w)| {
            let nearest =
                solution.open.iter().map(|&j| distance(point, candidates[j as usize])).fold(f64::INFINITY, f64::min);
            if w > 0.0 { w * nearest } else { 0.0 }
        })
        .sum();
    // Proven only when no demand point was charged the cap.
    solution.proven &= objective <= solution.objective * (1.0 + 1e-12);
    solution.objective = objective;
    Ok(Outcome { p: solution.open.len(), solution, distance: Some(radius), covered: None, demand: capped.demand })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(n: usize) -> (Vec<(Point, f64)>, Vec<Point>) {
        let pts: Vec<Point> =
            (0..n).map(|k| Point { x: (k * k % 97) as f64 * 1000.0, y: (k % 7) as f64 * 300.0 }).collect();
        (pts.iter().enumerate().map(|(k, &p)| (p, 1.0 + (k % 5) as f64)).collect(), pts)
    }

    #[test]
    fn the_capped_bound_never_exceeds_the_true_optimum_and_a_large_radius_is_exact() {
        let (demand, sites) = line(30);
        let exact = |r: f64| {
            solve_pmedian_capped(&demand, &sites, r, 3, vec![], vec![], Limits::default(), &mut |_| {}).unwrap()
        };
        let full = solve_model(
            &Instance::from_points(&demand, &sites, None).unwrap(),
            Model::PMedian,
            3,
            Limits::default(),
            &mut |_| {},
        )
        .unwrap();
        let wide = exact(1e9);
        assert!((wide.solution.objective - full.solution.objective).abs() <= 1e-6 * full.solution.objective);
        assert!(wide.solution.proven);
        for r in [2000.0, 5000.0, 20_000.0] {
            let o = exact(r);
            assert!(o.solution.bound <= full.solution.objective * (1.0 + 1e-9), "radius {r}");
            assert!(o.solution.objective >= full.solution.objective * (1.0 - 1e-9), "radius {r}");
            assert_eq!(o.solution.open.len(), 3);
        }
    }

    #[test]
    fn too_many_sites_names_the_real_candidates() {
        let (demand, sites) = line(4);
        let e = solve_pmedian_capped(&demand, &sites, 1e4, 5, vec![], vec![], Limits::default(), &mut |_| {});
        assert_eq!(e.unwrap_err(), Error::TooManySites { p: 5, candidates: 4 });
    }
}
