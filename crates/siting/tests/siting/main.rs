//! Every model against brute force on small instances: the exact mode returns the
//! optimum, with and without sites already open and candidates excluded; the heuristic
//! mode a feasible solution whose gap is never below the truth.

use echelle_siting::{Error, Instance, Limits, Model, Point, solve_model};
use proptest::prelude::*;

/// Every set of `p` sites among the allowed that contains the fixed ones, and the best
/// value of `f` over them.
fn brute(instance: &Instance, p: usize, f: impl Fn(&[u32]) -> f64) -> f64 {
    let n = instance.candidates as u32;
    let allowed: Vec<u32> = (0..n).filter(|j| !instance.excluded.contains(j)).collect();
    let mut best = f64::INFINITY;
    for mask in 0u64..(1 << allowed.len()) {
        if mask.count_ones() as usize != p {
            continue;
        }
        let open: Vec<u32> = allowed.iter().enumerate().filter(|(k, _)| mask >> k & 1 == 1).map(|(_, &j)| j).collect();
        if instance.fixed.iter().all(|j| open.contains(j)) {
            best = best.min(f(&open));
        }
    }
    best
}

fn weighted_distance(instance: &Instance, open: &[u32]) -> f64 {
    instance
        .reach
        .iter()
        .zip(&instance.demand)
        .map(|(row, w)| row.iter().find(|(j, _)| open.contains(j)).map_or(f64::INFINITY, |x| w * x.1))
        .sum()
}

fn uncovered(instance: &Instance, open: &[u32], s: f64) -> f64 {
    instance
        .reach
        .iter()
        .zip(&instance.demand)
        .filter(|(row, _)| !row.iter().any(|(j, d)| *d <= s && open.contains(j)))
        .map(|(_, w)| w)
        .sum()
}

fn instance(points: &[(f64, f64, f64)], candidates: usize, fixed: Vec<u32>, excluded: Vec<u32>) -> Instance {
    let demand: Vec<(Point, f64)> = points.iter().map(|&(x, y, w)| (Point { x, y }, w)).collect();
    let sites: Vec<Point> = points.iter().take(candidates).map(|&(x, y, _)| Point { x, y }).collect();
    Instance::from_points(&demand, &sites, None).unwrap().with_sites(fixed, excluded).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-7 * a.abs().max(b.abs()).max(1.0)
}

/// Equal within the solver's primal feasibility (assignment shares are LP values).
fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-5 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn p_median_by_hand() {
    // Demand 1, 1, 1 at 0, 1, 2 and 1, 1, 1 at 100, 101, 102: one site in each cluster, at its middle.
    let pts: Vec<(f64, f64, f64)> = [0.0, 1.0, 2.0, 100.0, 101.0, 102.0].iter().map(|&x| (x, 0.0, 1.0)).collect();
    let i = instance(&pts, 6, vec![], vec![]);
    let o = solve_model(&i, Model::PMedian, 2, Limits::default(), &mut |_| {}).unwrap();
    assert_eq!(o.solution.open, vec![1, 4]);
    assert!(o.solution.proven && close(o.solution.objective, 4.0));
    // With site 0 already open, the second goes to the other cluster's middle.
    let i = instance(&pts, 6, vec![0], vec![4]);
    let o = solve_model(&i, Model::PMedian, 2, Limits::default(), &mut |_| {}).unwrap();
    assert!(o.solution.open == vec![0, 3] || o.solution.open == vec![0, 5]);
    assert!(close(o.solution.objective, 3.0 + 3.0));
}

#[test]
fn covering_set_covering_and_p_center_by_hand() {
    let pts: Vec<(f64, f64, f64)> = [(0.0, 5.0), (1.0, 1.0), (2.0, 1.0), (10.0, 1.0), (11.0, 3.0), (30.0, 2.0)]
        .iter()
        .map(|&(x, w)| (x, 0.0, w))
        .collect();
    let i = instance(&pts, 6, vec![], vec![]);
    let o = solve_model(&i, Model::Covering { distance: 1.5 }, 2, Limits::default(), &mut |_| {}).unwrap();
    assert_eq!(o.covered, Some(5.0 + 1.0 + 1.0 + 1.0 + 3.0)); // sites at 1 and at 10 or 11
    let o = solve_model(&i, Model::SetCovering { distance: 1.5 }, 0, Limits::default(), &mut |_| {}).unwrap();
    assert_eq!(o.p, 3); // 1, then 10 or 11, then 30
    let o = solve_model(&i, Model::PCenter, 3, Limits::default(), &mut |_| {}).unwrap();
    assert_eq!(o.distance, Some(1.0)); // {1}, {10 or 11}, {30}
    assert!(o.solution.proven);
}

#[test]
fn impossible_inputs_are_refused() {
    let pts: Vec<(f64, f64, f64)> = (0..4).map(|k| (k as f64, 0.0, 1.0)).collect();
    let i = instance(&pts, 3, vec![], vec![]);
    let run = |i: &Instance, m, p| solve_model(i, m, p, Limits::default(), &mut |_| {});
    assert_eq!(run(&i, Model::PMedian, 4).unwrap_err(), Error::TooManySites { p: 4, candidates: 3 });
    assert_eq!(run(&i, Model::PMedian, 0).unwrap_err(), Error::NoSite);
    let fixed = i.clone().with_sites(vec![0, 1], vec![]).unwrap();
    assert_eq!(run(&fixed, Model::PMedian, 1).unwrap_err(), Error::FewerThanFixed { p: 1, fixed: 2 });
    let excluded = i.clone().with_sites(vec![], vec![0, 1]).unwrap();
    assert_eq!(run(&excluded, Model::PMedian, 2).unwrap_err(), Error::TooManySites { p: 2, candidates: 1 });
    let far = Instance::from_fn(vec![1.0], 1, Some(5.0), |_, _| 10.0).unwrap();
    assert_eq!(run(&far, Model::PMedian, 1).unwrap_err(), Error::Unreachable(0));
    let cut =
        Instance::from_points(&[(Point { x: 0.0, y: 0.0 }, 1.0)], &[Point { x: 10.0, y: 0.0 }], Some(5.0)).unwrap();
    assert_eq!(
        run(&cut, Model::Covering { distance: 6.0 }, 1).unwrap_err(),
        Error::RadiusBelowService { radius: 5.0, distance: 6.0 }
    );
    assert_eq!(run(&i, Model::SetCovering { distance: 0.5 }, 0).unwrap_err(), Error::CannotCover);
}

#[test]
fn a_radius_truncated_instance_measures_its_solution_exactly_and_keeps_its_bound_honest() {
    // Demand at 0 (weight 1) and 30 (weight 2), sites at 0 and 30, pairs cut at 10 km: with
    // one site, the search sees the far demand at 10, the truth is 30. Its pairs are then
    // extended past the radius (site 1 open, it is 30 from it); the other demand's are
    // not (it is at its site), and opening site 0 would still cost it 2 × 10 in the bound.
    let demand = [(Point { x: 0.0, y: 0.0 }, 1.0), (Point { x: 30.0, y: 0.0 }, 2.0)];
    let sites = [Point { x: 0.0, y: 0.0 }, Point { x: 30.0, y: 0.0 }];
    let i = Instance::from_points(&demand, &sites, Some(10.0)).unwrap();
    let o = solve_model(&i, Model::PMedian, 1, Limits::default(), &mut |_| {}).unwrap();
    assert_eq!(o.solution.open, vec![1]);
    assert!(close(o.solution.objective, 30.0)); // 1 × 30, measured beyond the radius
    assert!(close(o.solution.bound, 20.0)); // 2 × 10: the lowered problem's optimum
    assert!(!o.solution.proven && o.solution.gap() > 0.3);
    // Two sites: everything within the radius, proven.
    let o = solve_model(&i, Model::PMedian, 2, Limits::default(), &mut |_| {}).unwrap();
    assert!(o.solution.proven && o.solution.objective == 0.0);
}

/// Points (x, y, weight), candidates (the first ones), p, fixed sites, excluded sites.
type Small = (Vec<(f64, f64, f64)>, usize, usize, Vec<u32>, Vec<u32>);

fn small() -> impl Strategy<Value = Small> {
    (4usize..11).prop_flat_map(|n| {
        (prop::collection::vec((0.0..100.0f64, 0.0..100.0f64, 0.0..10.0f64), n), 3usize..=n.min(9)).prop_flat_map(
            |(pts, c)| {
                (
                    Just(pts),
                    Just(c),
                    1usize..=3,
                    prop::collection::vec(0..c as u32, 0..2),
                    prop::collection::vec(0..c as u32, 0..2),
                )
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn exact_equals_brute_force_and_heuristic_gaps_hold((pts, c, p, fixed, excluded) in small()) {
        let mut fixed = fixed;
        fixed.sort_unstable();
        fixed.dedup();
        let excluded: Vec<u32> = excluded.into_iter().filter(|j| !fixed.contains(j)).collect();
        let i = instance(&pts, c, fixed.clone(), excluded.clone());
        let p = p.max(fixed.len());
        prop_assume!(p <= i.openable());
        let truth = brute(&i, p, |open| weighted_distance(&i, open));
        let o = solve_model(&i, Model::PMedian, p, Limits::default(), &mut |_| {}).unwrap();
        prop_assert!(o.solution.proven);
        prop_assert!(close(o.solution.objective, truth), "{} vs {}", o.solution.objective, truth);
        prop_assert!(fixed.iter().all(|j| o.solution.open.contains(j)));
        prop_assert!(excluded.iter().all(|j| !o.solution.open.contains(j)));
        let h = solve_model(&i, Model::PMedian, p, Limits { exact: false, ..Limits::default() }, &mut |_| {}).unwrap();
        prop_assert!(h.solution.bound <= truth + 1e-7 * truth.max(1.0));
        prop_assert!(close(weighted_distance(&i, &h.solution.open), h.solution.objective));
        prop_assert!(h.solution.objective >= truth - 1e-7 * truth.max(1.0));

        // Pairs cut at 30: far ones extended from a good solution, the others costed at
        // the radius or the nearest candidate left out; no bound above the true optimum.
        let demand: Vec<(Point, f64)> = pts.iter().map(|&(x, y, w)| (Point { x, y }, w)).collect();
        let sites: Vec<Point> = demand.iter().take(c).map(|d| d.0).collect();
        let cut = Instance::from_points(&demand, &sites, Some(30.0)).unwrap().with_sites(fixed.clone(), excluded.clone()).unwrap();
        for exact in [true, false] {
            let o = solve_model(&cut, Model::PMedian, p, Limits { exact, ..Limits::default() }, &mut |_| {}).unwrap();
            prop_assert!(o.solution.bound <= truth + 1e-7 * truth.max(1.0), "cut {} vs {}", o.solution.bound, truth);
            prop_assert!(close(weighted_distance(&i, &o.solution.open), o.solution.objective));
        }

        let s = 25.0;
        let truth = brute(&i, p, |open| uncovered(&i, open, s));
        let o = solve_model(&i, Model::Covering { distance: s }, p, Limits::default(), &mut |_| {}).unwrap();
        prop_assert!(close(o.solution.objective, truth), "covering {} vs {}", o.solution.objective, truth);
        prop_assert!(close(uncovered(&i, &o.solution.open, s), truth));

        // Whole weights (counts of people): proven by a bound less than 1 below.
        let mut whole = i.clone();
        whole.demand.iter_mut().for_each(|w| *w = w.round());
        let truth = brute(&whole, p, |open| uncovered(&whole, open, s));
        let o = solve_model(&whole, Model::Covering { distance: s }, p, Limits::default(), &mut |_| {}).unwrap();
        prop_assert!(o.solution.proven && o.solution.objective == truth, "whole {} vs {}", o.solution.objective, truth);
    }
}

/// The cheapest split of the demand among the `open` sites within their capacities
/// (a transportation LP, HiGHS), each demand's share left unserved costing `fallback(i)`
/// (infinite: must be served); `INFINITY` when the open sites cannot serve it.
fn transport(
    instance: &Instance,
    open: &[u32],
    cost: impl Fn(usize, f64) -> Option<f64>,
    fallback: impl Fn(usize) -> f64,
) -> f64 {
    use highs::{HighsModelStatus, RowProblem, Sense};
    let mut pb = RowProblem::default();
    let mut load: Vec<Vec<(highs::Col, f64)>> = vec![Vec::new(); open.len()];
    for (i, row) in instance.reach.iter().enumerate() {
        let w = instance.demand[i];
        if w <= 0.0 {
            continue;
        }
        let mut serve = Vec::new();
        for (k, &j) in open.iter().enumerate() {
            if let Some(c) = row.iter().find(|x| x.0 == j).and_then(|&(_, d)| cost(i, d)) {
                let x = pb.add_column(c, 0.0..=1.0);
                load[k].push((x, w));
                serve.push((x, 1.0));
            }
        }
        if fallback(i).is_finite() {
            serve.push((pb.add_column(fallback(i), 0.0..=1.0), 1.0));
        }
        pb.add_row(1.0..=1.0, serve);
    }
    for (k, row) in load.into_iter().enumerate() {
        pb.add_row(..=instance.capacity[open[k] as usize], row);
    }
    let solved = pb.optimise(Sense::Minimise).solve();
    match solved.status() {
        HighsModelStatus::Optimal => solved.objective_value(),
        _ => f64::INFINITY,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    #[test]
    fn capacitated_optimum_equals_brute_force((pts, c, p, fixed, excluded) in small(), caps in prop::collection::vec(0.0..40.0f64, 9)) {
        let mut fixed = fixed;
        fixed.sort_unstable();
        fixed.dedup();
        let excluded: Vec<u32> = excluded.into_iter().filter(|j| !fixed.contains(j)).collect();
        let i = instance(&pts, c, fixed.clone(), excluded.clone()).with_capacities(caps[..c].to_vec()).unwrap();
        let p = p.max(fixed.len());
        prop_assume!(p <= i.openable());
        let truth = brute(&i, p, |open| transport(&i, open, |k, d| Some(i.demand[k] * d), |_| f64::INFINITY));
        match solve_model(&i, Model::PMedian, p, Limits::default(), &mut |_| {}) {
            Ok(o) => {
                prop_assert!(o.solution.proven);
                prop_assert!(near(o.solution.objective, truth), "{} vs {}", o.solution.objective, truth);
                prop_assert!(fixed.iter().all(|j| o.solution.open.contains(j)));
                prop_assert!(excluded.iter().all(|j| !o.solution.open.contains(j)));
                // Every demand is served (no fallback in the p-median), each site within its capacity.
                let served = o.solution.served.as_ref().expect("capacities give the split assignment");
                prop_assert_eq!(served.len(), o.solution.open.len());
                let total: f64 = i.demand.iter().sum();
                prop_assert!(near(served.iter().sum::<f64>(), total), "{served:?} vs {total}");
                for (s, &j) in served.iter().zip(&o.solution.open) {
                    prop_assert!(*s <= i.capacity[j as usize] * (1.0 + 1e-6) + 1e-6, "{s} above {}", i.capacity[j as usize]);
                }
            }
            Err(e) => {
                prop_assert!(truth.is_infinite(), "{e} but the optimum is {truth}");
                prop_assert!(matches!(e, Error::CapacityBelowDemand { .. } | Error::NoFeasibleChoice(_)), "{e}");
            }
        }
        let s = 25.0;
        let truth = brute(&i, p, |open| transport(&i, open, |_, d| (d <= s).then_some(0.0), |k| i.demand[k]));
        let o = solve_model(&i, Model::Covering { distance: s }, p, Limits::default(), &mut |_| {}).unwrap();
        prop_assert!(o.solution.proven);
        prop_assert!(near(o.solution.objective, truth), "covering {} vs {}", o.solution.objective, truth);
        let covered: f64 = o.solution.served.as_ref().expect("split assignment").iter().sum();
        prop_assert!(near(covered, o.covered.unwrap()), "served {covered} vs covered {:?}", o.covered);
    }
}

#[test]
fn capacities_below_the_demand_are_refused() {
    let pts: Vec<(f64, f64, f64)> = (0..4).map(|k| (k as f64, 0.0, 10.0)).collect();
    let i = instance(&pts, 3, vec![], vec![]).with_capacities(vec![15.0, 10.0, 5.0]).unwrap();
    let e = solve_model(&i, Model::PMedian, 2, Limits::default(), &mut |_| {}).unwrap_err();
    assert_eq!(e, Error::CapacityBelowDemand { p: 2, capacity: 25.0, demand: 40.0 });
    assert!(e.to_string().contains("capacités"));
    let e = instance(&pts, 3, vec![], vec![]).with_capacities(vec![1.0]).unwrap_err();
    assert_eq!(e, Error::CapacitiesCount { given: 1, candidates: 3 });
    // Sites {1, 2} (or {0, 2}): two points 1 away, weight 10 each.
    let i = instance(&pts, 3, vec![], vec![]).with_capacities(vec![30.0, 30.0, 30.0]).unwrap();
    let o = solve_model(&i, Model::PMedian, 2, Limits::default(), &mut |_| {}).unwrap();
    assert!(o.solution.proven && close(o.solution.objective, 20.0), "{}", o.solution.objective);
    // Site 2 holding 15 only: {1, 2} sends 5 of point 3 to site 1 (2 away): 10 + 10 + 5.
    let i = instance(&pts, 3, vec![], vec![]).with_capacities(vec![0.0, 30.0, 15.0]).unwrap();
    let o = solve_model(&i, Model::PMedian, 2, Limits::default(), &mut |_| {}).unwrap();
    assert!(o.solution.proven && close(o.solution.objective, 25.0), "{}", o.solution.objective);
}
