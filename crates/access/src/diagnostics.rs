//! Diagnostics for the departmental access plans (SDAASP): per territory, the
//! population-weighted mean and median time to the nearest facility of each type
//! and of each basket of types, and the share of the population beyond thresholds
//! (7 and 20 minutes by default, INSEE's proximity and intermediate services).
//!
//! A basket's time for an origin is the mean of its times to the nearest facility of
//! each type of the basket (INSEE's "temps d'accès moyen au panier"). Baskets are a
//! data file (TOML), not code:
//!
//! ```toml
//! [[basket]]
//! name = "vie courante"
//! types = ["D301", "B316", "A206"]
//! ```
//!
//! Population with no reachable facility counts as beyond every threshold and is
//! reported apart; origins left out (no contour, too far from a road, no population)
//! are counted in the coverage, never silently dropped.

use serde::Deserialize;

use crate::error::{AccessError, Result};

/// A named set of facility types.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basket {
    /// The name results give the basket (`basket: <name>`).
    pub name: String,
    /// The facility types it holds; a basket's time is the mean of theirs ([`basket_time`]).
    pub types: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BasketFile {
    basket: Vec<Basket>,
}

/// Reads a basket file; every type it names must be one of `known`.
pub fn read_baskets(origin: &str, text: &str, known: &[String]) -> Result<Vec<Basket>> {
    let err = |m: String| AccessError::Basket { origin: origin.into(), message: m };
    let f: BasketFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    for b in &f.basket {
        if b.types.is_empty() {
            return Err(err(format!("basket '{}' has no type", b.name)));
        }
        if let Some(t) = b.types.iter().find(|t| !known.contains(t)) {
            return Err(err(format!(
                "basket '{}': type '{t}' is not among the facility types ({})",
                b.name,
                known.join(", ")
            )));
        }
    }
    Ok(f.basket)
}

/// The time of one origin (seconds; `None`: nothing reachable) and its weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weighted {
    /// Population the origin stands for.
    pub weight: f64,
    /// Time to the nearest facility, seconds; `None`: nothing reachable.
    pub time_s: Option<f64>,
}

/// A territory's access to one type or basket.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Population of the origins used.
    pub population: f64,
    /// Population for which nothing is reachable.
    pub unreached_population: f64,
    /// Population-weighted mean and median, minutes, over the reached population.
    pub mean_min: Option<f64>,
    /// … and the weighted median.
    pub median_min: Option<f64>,
    /// (threshold in minutes, share of the population beyond it).
    pub beyond: Vec<(f64, f64)>,
}

/// Sums up the origins of a territory.
pub fn summarize(values: &[Weighted], thresholds_min: &[f64]) -> Summary {
    let population: f64 = values.iter().map(|v| v.weight).sum();
    let mut reached: Vec<(f64, f64)> = values.iter().filter_map(|v| v.time_s.map(|t| (t / 60.0, v.weight))).collect();
    let unreached_population = population - reached.iter().map(|r| r.1).sum::<f64>();
    reached.sort_by(|a, b| a.0.total_cmp(&b.0));
    let reached_pop: f64 = reached.iter().map(|r| r.1).sum();
    let mean_min = (reached_pop > 0.0).then(|| reached.iter().map(|(t, w)| t * w).sum::<f64>() / reached_pop);
    let median_min = (reached_pop > 0.0).then(|| {
        let mut acc = 0.0;
        for &(t, w) in &reached {
            acc += w;
            if acc >= reached_pop / 2.0 {
                return t;
            }
        }
        reached.last().map(|r| r.0).unwrap_or(0.0)
    });
    let beyond = thresholds_min
        .iter()
        .map(|&th| {
            let over: f64 = reached.iter().filter(|r| r.0 > th).map(|r| r.1).sum::<f64>() + unreached_population;
            (th, if population > 0.0 { over / population } else { 0.0 })
        })
        .collect();
    // + 0.0: a sum over no origin is -0.0, shown "-0".
    Summary {
        population: population + 0.0,
        unreached_population: unreached_population + 0.0,
        mean_min,
        median_min,
        beyond,
    }
}

/// A basket's time for one origin: the mean of its per-type times (`None` if any
/// type is unreachable).
pub fn basket_time(per_type_s: &[Option<f64>]) -> Option<f64> {
    let mut sum = 0.0;
    for t in per_type_s {
        sum += (*t)?;
    }
    (!per_type_s.is_empty()).then(|| sum / per_type_s.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weighted_mean_median_and_shares() {
        let v = [
            Weighted { weight: 100.0, time_s: Some(60.0) },
            Weighted { weight: 300.0, time_s: Some(600.0) },
            Weighted { weight: 50.0, time_s: Some(1500.0) },
            Weighted { weight: 50.0, time_s: None },
        ];
        let s = summarize(&v, &[7.0, 20.0]);
        assert_eq!(s.population, 500.0);
        assert_eq!(s.unreached_population, 50.0);
        assert!((s.mean_min.unwrap() - (100.0 * 1.0 + 300.0 * 10.0 + 50.0 * 25.0) / 450.0).abs() < 1e-12);
        assert_eq!(s.median_min, Some(10.0));
        assert_eq!(s.beyond, vec![(7.0, 400.0 / 500.0), (20.0, 100.0 / 500.0)]);
        let empty = summarize(&[], &[7.0]);
        assert_eq!((empty.mean_min, empty.beyond[0].1), (None, 0.0));
        assert!(empty.population.is_sign_positive() && empty.unreached_population.is_sign_positive());
    }

    #[test]
    fn baskets_file_and_times() {
        let known = vec!["a".to_string(), "b".to_string()];
        let b = read_baskets("b.toml", "[[basket]]\nname = \"courant\"\ntypes = [\"a\", \"b\"]\n", &known).unwrap();
        assert_eq!(b[0].types.len(), 2);
        assert!(
            read_baskets("b.toml", "[[basket]]\nname = \"x\"\ntypes = [\"c\"]\n", &known)
                .unwrap_err()
                .to_string()
                .contains("'c'")
        );
        assert!(read_baskets("b.toml", "[[basket]]\nname = \"x\"\ntypes = [\"a\"]\ncolour = 1\n", &known).is_err());
        assert_eq!(basket_time(&[Some(60.0), Some(120.0)]), Some(90.0));
        assert_eq!(basket_time(&[Some(60.0), None]), None);
    }
}
