//! The cell key method: the noise statistical agencies add to the counts of
//! user-defined tables (ABS TableBuilder; ONS and Destatis census tables; Fraser &
//! Wooton 2005, Marley & Leaver 2011, Giessing 2016), so that differencing two
//! overlapping tables never gives an exact count.
//!
//! ```text
//!  record ──fixed random key in [0, 2³²)──┐
//!  cell = records r₁…rₙ ── key = Σ keyᵢ mod 2³² ── PTable(n, key) ──> noise d
//!  published = n + d   (|d| ≤ D, E[d] = 0, Var[d] = V, n + d never in 1..=js)
//! ```
//!
//! The same records always make the same cell key, hence the same noise: asking a
//! cell again, or through another path (a perimeter drawn twice, a layer and its
//! members), gives the same published value, so repeated queries cannot be averaged.
//! Two cells that differ by a few records get unrelated keys, so their difference is
//! the true difference plus a noise of up to 2D (variance 2V): the published figures
//! are consistent with several true values.
//!
//! The p-table (the law of d for each n) is the distribution of maximum entropy on
//! the allowed noises that has mean 0 and variance V (the ABS's construction):
//! p(d) ∝ exp(a·d + b·d²), with a and b found by Newton's method on the dual.

use serde::{Deserialize, Serialize};

/// The parameters of the method, declared per dataset.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CellKeyRule {
    /// The largest noise added or removed (D).
    pub max_deviation: u32,
    /// The variance of the noise (V).
    pub variance: f64,
    /// No published count is in 1..=js: a small count becomes 0 or more than js.
    pub js: u32,
}

impl Default for CellKeyRule {
    /// D = 2, V = 1.05, js = 1: the values the issue names after the ABS's examples.
    fn default() -> Self {
        CellKeyRule { max_deviation: 2, variance: 1.05, js: 1 }
    }
}

/// Why a rule cannot make a p-table.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CellKeyError {
    /// The parameters are out of range.
    #[error("méthode des clés de cellule : {0}")]
    Invalid(String),
    /// No law of the allowed noises of a count has mean 0 and this variance.
    #[error(
        "méthode des clés de cellule : aucune loi de bruit de moyenne 0 et de variance {variance} pour un effectif de {count} (écart maximal {max_deviation}, js {js})"
    )]
    Infeasible {
        /// The count whose row fails.
        count: u64,
        /// V.
        variance: f64,
        /// D.
        max_deviation: u32,
        /// js.
        js: u32,
    },
}

/// The largest D and js a p-table takes (the agencies use D from 2 to 5).
pub const MAX_DEVIATION: u32 = 5;
/// See [`MAX_DEVIATION`].
pub const MAX_JS: u32 = 5;
const ROWS: usize = (MAX_JS + MAX_DEVIATION + 1) as usize;
const NOISES: usize = (2 * MAX_DEVIATION + 1) as usize;

/// The law of the noise of each count: row `n` for the counts `n` below the last
/// row, the last row for every larger count (all noises from −D to D allowed). A
/// plain value (about 1 KB, `Copy`), carried by the secrecy rule of every answer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PTable {
    rule: CellKeyRule,
    rows: usize,
    /// Per count from 1: how many noises are allowed, each noise and its cumulative probability.
    len: [u8; ROWS],
    noise: [[i8; NOISES]; ROWS],
    cumulative: [[f64; NOISES]; ROWS],
}

/// Record keys and cell keys live in [0, 2³²).
pub const KEY_RANGE: f64 = 4_294_967_296.0;

impl PTable {
    /// The p-table of a rule; an error when a count has no law with its moments.
    pub fn new(rule: CellKeyRule) -> Result<PTable, CellKeyError> {
        if rule.max_deviation == 0 || rule.max_deviation > MAX_DEVIATION {
            return Err(CellKeyError::Invalid(format!(
                "écart maximal {} : de 1 à {MAX_DEVIATION}",
                rule.max_deviation
            )));
        }
        if !(rule.variance.is_finite() && rule.variance > 0.0) {
            return Err(CellKeyError::Invalid(format!("variance {} : un nombre positif", rule.variance)));
        }
        if rule.js > MAX_JS {
            return Err(CellKeyError::Invalid(format!("js {} : de 0 à {MAX_JS}", rule.js)));
        }
        let d = rule.max_deviation as i64;
        // Past js + D every noise from −D to D is allowed: one row serves every larger count.
        let rows = (rule.js as i64 + d + 1) as usize;
        let mut t =
            PTable { rule, rows, len: [0; ROWS], noise: [[0; NOISES]; ROWS], cumulative: [[0.0; NOISES]; ROWS] };
        for row in 0..rows {
            let n = row as i64 + 1;
            let allowed: Vec<i64> = (-d..=d).filter(|&e| n + e == 0 || n + e > rule.js as i64).collect();
            let p = max_entropy(&allowed, rule.variance).ok_or(CellKeyError::Infeasible {
                count: n as u64,
                variance: rule.variance,
                max_deviation: rule.max_deviation,
                js: rule.js,
            })?;
            let mut cumulative = 0.0;
            for (i, (&e, p)) in allowed.iter().zip(p).enumerate() {
                cumulative += p;
                t.noise[row][i] = e as i8;
                t.cumulative[row][i] = cumulative;
            }
            // Rounding never leaves a key above the last bound.
            t.cumulative[row][allowed.len() - 1] = f64::INFINITY;
            t.len[row] = allowed.len() as u8;
        }
        Ok(t)
    }

    /// The row of a count ≥ 1.
    fn row(&self, count: u64) -> usize {
        (count.max(1) - 1).min(self.rows as u64 - 1) as usize
    }

    /// The rule it was made from.
    pub fn rule(&self) -> CellKeyRule {
        self.rule
    }

    /// The law of the noise of a count ≥ 1: (noise, probability).
    pub fn law(&self, count: u64) -> Vec<(i64, f64)> {
        let row = self.row(count);
        let mut before = 0.0;
        (0..self.len[row] as usize)
            .map(|i| {
                let c = self.cumulative[row][i].min(1.0);
                let p = c - before;
                before = c;
                (self.noise[row][i] as i64, p)
            })
            .collect()
    }

    /// The noise of a cell of `count` records whose cell key is `key`; none for an
    /// empty cell (a zero reveals no one).
    pub fn noise(&self, count: u64, key: u32) -> i64 {
        if count == 0 {
            return 0;
        }
        let u = key as f64 / KEY_RANGE;
        let row = self.row(count);
        let i =
            self.cumulative[row][..self.len[row] as usize].iter().position(|&c| u < c).expect("the last bound is ∞");
        self.noise[row][i] as i64
    }

    /// The count as published: `count + noise`.
    pub fn perturb(&self, count: u64, key: u32) -> u64 {
        (count as i64 + self.noise(count, key)) as u64
    }
}

/// The cell key of records of keys `keys`: their sum modulo 2³².
pub fn cell_key(keys: impl IntoIterator<Item = u32>) -> u32 {
    keys.into_iter().fold(0u32, u32::wrapping_add)
}

/// The seed of a dataset's record keys, from its checksum: the keys of a dataset never
/// change, and a dataset imported again (another vintage) is another one, with other keys.
pub fn seed(checksum: &str) -> u64 {
    u64::from_str_radix(checksum.get(..16).unwrap_or(""), 16).unwrap_or_else(|_| {
        checksum.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
    })
}

/// The record key of record `index` of a dataset: a fixed, uniform value in [0, 2³²)
/// drawn from `seed` (a secret of the store and the dataset) by SplitMix64.
pub fn record_key(seed: u64, index: u64) -> u32 {
    let mut z = seed.wrapping_add(index.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((z ^ (z >> 31)) >> 32) as u32
}

/// The law on `support` of maximum entropy with mean 0 and variance `v`, if any.
fn max_entropy(support: &[i64], v: f64) -> Option<Vec<f64>> {
    let lo = *support.first()? as f64;
    let hi = *support.last()? as f64;
    // Mean 0 and variance v are reachable only strictly inside the hull of the support.
    if support.len() < 2 || lo >= 0.0 || hi <= 0.0 {
        return None;
    }
    let xs: Vec<f64> = support.iter().map(|&e| e as f64).collect();
    let law = |a: f64, b: f64| {
        let logits: Vec<f64> = xs.iter().map(|&x| a * x + b * x * x).collect();
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let w: Vec<f64> = logits.iter().map(|l| (l - top).exp()).collect();
        let z: f64 = w.iter().sum();
        (w.into_iter().map(|w| w / z).collect::<Vec<f64>>(), top + z.ln())
    };
    // Dual: minimise log Z(a, b) − b·v; gradient (E[x], E[x²] − v), Hessian Cov(x, x²).
    let dual = |a: f64, b: f64| law(a, b).1 - b * v;
    let (mut a, mut b) = (0.0f64, 0.0f64);
    for _ in 0..200 {
        let (p, _) = law(a, b);
        let m1: f64 = p.iter().zip(&xs).map(|(p, x)| p * x).sum();
        let m2: f64 = p.iter().zip(&xs).map(|(p, x)| p * x * x).sum();
        let m3: f64 = p.iter().zip(&xs).map(|(p, x)| p * x * x * x).sum();
        let m4: f64 = p.iter().zip(&xs).map(|(p, x)| p * x * x * x * x).sum();
        let (g1, g2) = (m1, m2 - v);
        if g1.abs() < 1e-12 && g2.abs() < 1e-12 {
            return Some(p);
        }
        let (h11, h12, h22) = (m2 - m1 * m1, m3 - m1 * m2, m4 - m2 * m2);
        let det = h11 * h22 - h12 * h12;
        if !det.is_finite() || det <= 1e-300 {
            return None;
        }
        let (da, db) = ((h22 * g1 - h12 * g2) / det, (h11 * g2 - h12 * g1) / det);
        // Backtracking on the dual: it is convex, and unbounded below when infeasible.
        let now = dual(a, b);
        let mut step = 1.0;
        while dual(a - step * da, b - step * db) > now - 1e-4 * step * (g1 * da + g2 * db) && step > 1e-12 {
            step *= 0.5;
        }
        a -= step * da;
        b -= step * db;
        if !(a.is_finite() && b.is_finite()) || b.abs() > 1e6 {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn moments(law: &[(i64, f64)]) -> (f64, f64, f64) {
        let total: f64 = law.iter().map(|l| l.1).sum();
        let mean: f64 = law.iter().map(|&(e, p)| e as f64 * p).sum();
        let var: f64 = law.iter().map(|&(e, p)| (e as f64 - mean).powi(2) * p).sum();
        (total, mean, var)
    }

    #[test]
    fn every_row_of_the_default_table_has_mean_zero_and_the_declared_variance() {
        let t = PTable::new(CellKeyRule::default()).unwrap();
        for n in 1..=40u64 {
            let law = t.law(n);
            let (total, mean, var) = moments(&law);
            assert!((total - 1.0).abs() < 1e-9 && mean.abs() < 1e-9 && (var - 1.05).abs() < 1e-9, "n = {n}: {law:?}");
            for &(e, p) in &law {
                assert!(e.abs() <= 2 && p > 0.0, "n = {n}: {law:?}");
                assert!(n as i64 + e == 0 || n as i64 + e > 1, "n = {n}: publishes {}", n as i64 + e);
            }
        }
        // A count of 1 can only become 0, 2 or 3; with V = 1.05 the law is unique.
        let one = t.law(1);
        assert_eq!(one.iter().map(|l| l.0).collect::<Vec<_>>(), [-1, 1, 2]);
        assert!((one[2].1 - 0.05 / 3.0).abs() < 1e-9, "{one:?}");
    }

    #[test]
    fn a_variance_the_allowed_noises_cannot_reach_is_refused() {
        // A count of 1 with js = 1 and D = 2 moves by at least 1: V < 1 is impossible.
        let e = PTable::new(CellKeyRule { variance: 0.5, ..CellKeyRule::default() }).unwrap_err();
        assert!(matches!(e, CellKeyError::Infeasible { count: 1, .. }), "{e}");
        assert!(e.to_string().contains("aucune loi"), "{e}");
        assert!(PTable::new(CellKeyRule { max_deviation: 0, ..CellKeyRule::default() }).is_err());
        assert!(PTable::new(CellKeyRule { max_deviation: 6, ..CellKeyRule::default() }).is_err());
        assert!(PTable::new(CellKeyRule { js: 6, ..CellKeyRule::default() }).is_err());
        assert!(PTable::new(CellKeyRule { variance: f64::NAN, ..CellKeyRule::default() }).is_err());
    }

    #[test]
    fn the_noise_follows_the_table_over_uniform_keys() {
        let t = PTable::new(CellKeyRule::default()).unwrap();
        let n = 7;
        let draws = 200_000u64;
        let mut seen = std::collections::BTreeMap::<i64, u64>::new();
        for i in 0..draws {
            *seen.entry(t.noise(n, record_key(42, i))).or_default() += 1;
        }
        for (e, p) in t.law(n) {
            let f = seen.get(&e).copied().unwrap_or(0) as f64 / draws as f64;
            assert!((f - p).abs() < 0.005, "noise {e}: {f} drawn, {p} in the table");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any feasible rule: every published count is n + d with |d| ≤ D, never in 1..=js,
        /// and the same records always publish the same count.
        #[test]
        fn published_counts_obey_the_rule(
            d in 1u32..=MAX_DEVIATION, v in 0.5f64..3.0, js in 0u32..=MAX_JS, n in 0u64..60, keys in prop::collection::vec(any::<u32>(), 1..20)
        ) {
            let rule = CellKeyRule { max_deviation: d, variance: v, js };
            let Ok(t) = PTable::new(rule) else { return Ok(()) };
            let key = cell_key(keys.iter().copied());
            let published = t.perturb(n, key);
            prop_assert!((published as i64 - n as i64).abs() <= d as i64);
            prop_assert!(published == 0 || published > js as u64);
            if n == 0 {
                prop_assert_eq!(published, 0, "an empty cell stays empty");
            }
            prop_assert_eq!(published, t.perturb(n, cell_key(keys.iter().rev().copied())), "order of records");
        }
    }
}
