//! Benders cuts of the radius formulation (Elloumi 2010; Durán-Mateluna, Alès &
//! Elloumi 2023): with `y_j` the share of site `j` open and `θ_i` the cost of demand
//! `i`, every level `r` gives a valid inequality
//!
//! ```text
//!  θ_i ≥ r − Σ_{j : c_ij < r} (r − c_ij) · y_j
//! ```
//!
//! (if a site cheaper than `r` is open, the right side is at most its cost; if none is,
//! it is `r`, and nothing cheaper than `r` serves `i`). The strongest level at `y` is the
//! cost at which the cheapest sites reach a whole open site, where the right side equals
//! the cost of serving `i` from the cheapest shares of `y`: these cuts alone give the
//! bound of the classical LP relaxation, with one `θ_i` per demand instead of one
//! variable per demand × site.

use crate::solve::Costs;

/// `θ_i + Σ coef_j · y_j ≥ level`, or, for a demand that must be served and whose
/// reachable sites are not a whole site open at `y`, `Σ y_j ≥ 1` over them
/// (`theta == false`, every `coef` 1).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cut {
    pub demand: u32,
    pub theta: bool,
    pub level: f64,
    pub sites: Vec<(u32, f64)>,
}

impl Cut {
    /// The right side minus the left side at `(y, θ_i)`: positive when violated.
    pub fn violation(&self, y: &[f64], theta: f64) -> f64 {
        let lhs: f64 = self.sites.iter().map(|&(j, a)| a * y[j as usize]).sum::<f64>();
        self.level - lhs - if self.theta { theta } else { 0.0 }
    }
}

/// Shares below this count as a whole site (rounding of the LP's values).
const WHOLE: f64 = 1.0 - 1e-9;

/// The cost of serving demand `i` from the cheapest shares of `y` (its fallback for
/// what they leave), and the strongest cut there.
pub(crate) fn cut(costs: &Costs, i: usize, y: &[f64]) -> (f64, Cut) {
    let row = &costs.rows[i];
    let fallback = costs.fallback[i];
    let mut mass = 0.0;
    let mut level = fallback;
    for &(j, c) in row {
        if c >= fallback {
            break;
        }
        mass += y[j as usize];
        if mass >= WHOLE {
            level = c;
            break;
        }
    }
    let demand = i as u32;
    if level.is_infinite() {
        let sites = row.iter().map(|&(j, _)| (j, 1.0)).collect();
        return (f64::INFINITY, Cut { demand, theta: false, level: 1.0, sites });
    }
    let sites: Vec<(u32, f64)> = row.iter().take_while(|x| x.1 < level).map(|&(j, c)| (j, level - c)).collect();
    let value = level - sites.iter().map(|&(j, a)| a * y[j as usize]).sum::<f64>();
    (value, Cut { demand, theta: true, level, sites })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line() -> Costs {
        // One demand, sites at costs 1, 2, 4; fallback 10.
        Costs {
            rows: vec![vec![(0, 1.0), (1, 2.0), (2, 4.0)]],
            fallback: vec![10.0],
            candidates: 3,
            fixed: vec![],
            excluded: vec![],
            capacity: None,
            hint: vec![],
        }
    }

    #[test]
    fn the_cut_gives_the_cost_from_the_cheapest_shares() {
        let costs = line();
        // Half of site 0 and half of site 2: 0.5 × 1 + 0.5 × 4.
        let (value, c) = cut(&costs, 0, &[0.5, 0.0, 0.5]);
        assert!((value - 2.5).abs() < 1e-12);
        assert_eq!(c.level, 4.0);
        assert_eq!(c.sites, vec![(0, 3.0), (1, 2.0)]);
        // Valid at every integer point: θ = the nearest open site's cost.
        for open in 0..8u32 {
            let y: Vec<f64> = (0..3).map(|j| f64::from((open >> j) & 1)).collect();
            let truth = [1.0, 2.0, 4.0].iter().zip(&y).filter(|(_, y)| **y > 0.0).map(|(c, _)| *c).fold(10.0, f64::min);
            assert!(c.violation(&y, truth) <= 1e-12, "open {open:03b}");
        }
    }

    #[test]
    fn the_fallback_caps_the_level() {
        let costs = line();
        let (value, c) = cut(&costs, 0, &[0.0, 0.25, 0.0]);
        assert!((value - (0.25 * 2.0 + 0.75 * 10.0)).abs() < 1e-12);
        assert_eq!(c.level, 10.0);
    }

    #[test]
    fn an_unserved_demand_gets_a_feasibility_cut() {
        let mut costs = line();
        costs.fallback = vec![f64::INFINITY];
        let (value, c) = cut(&costs, 0, &[0.2, 0.2, 0.2]);
        assert!(value.is_infinite() && !c.theta);
        assert!((c.violation(&[0.2, 0.2, 0.2], 0.0) - 0.4).abs() < 1e-12);
    }
}
