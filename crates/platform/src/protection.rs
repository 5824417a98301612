//! How a protected table of units (one row per commune or IRIS: Filosofi's tax
//! households, a chamber's businesses) releases the figures of any territory. Every
//! output of indicators (portraits, maps and tiles, exports, the OGC API, the CLI)
//! takes this one decision, made once per figure by the indicator engine.
//!
//! ```text
//!  row r:       count cᵣ (the rule's count column), records nᵣ = round(cᵣ), key kᵣ = record_key(seed, r)
//!  territory T: C = Σ cᵣ, N = Σ nᵣ, K = Σ kᵣ mod 2³²          (over T's member units)
//!  published count  C' = C × (N + d(N, K)) / N                 (cell key; without it C' = C)
//!  secret           when C > 0 and C' < threshold, or a member's count is unknown
//!  a sum of x       Σx × (N + d(N, Kₓ)) / N,   Kₓ = K mixed with the column's name
//!  a ratio x / y    (Σx × fₓ) / (Σy × f_y)
//! ```
//!
//! A row of an aggregated table counts as its units rounded, with one key, as the
//! aggregated commuting base does. Each summed column gets its own noise, drawn from
//! the cell's count with a key of its own: the same units always give the same figure,
//! while a ratio of two columns is not left exact (the count's noise would cancel).
//! Noise is of the order of D/N relative: invisible on a département, large on a
//! handful of households. The dominance rule (one business above 85 %) needs each
//! business's share, which a table of units does not carry: it is not applied here.

use crate::SecrecyRule;
use crate::cellkey::{PTable, record_key};
use crate::secrecy::SecrecyError;

/// What the figures of a territory are built from, summed over its member units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Units {
    /// The protected units counted (`None`: a member's count is unknown).
    pub count: Option<f64>,
    /// Records for the cell key method: the rows' counts rounded, summed.
    pub records: u64,
    /// The cell key: the rows' keys summed modulo 2³².
    pub key: u32,
}

/// A dataset's rule, ready to decide figures (its p-table built once).
#[derive(Debug, Clone)]
pub struct Protection {
    rule: SecrecyRule,
    table: Option<PTable>,
}

impl Protection {
    /// The protection of a table of units declaring `rule`; `None` when the rule
    /// protects nothing. A protecting rule must name the column counting its units.
    pub fn new(rule: &SecrecyRule) -> Result<Option<Protection>, SecrecyError> {
        if !rule.protects() {
            return Ok(None);
        }
        rule.validate()?;
        if rule.count_column.is_none() {
            return Err(SecrecyError::Invalid(format!(
                "{} : la colonne qui compte les unités protégées n'est pas déclarée",
                rule.describe()
            )));
        }
        let table = rule.cell_key.map(PTable::new).transpose().map_err(|e| SecrecyError::Invalid(e.to_string()))?;
        Ok(Some(Protection { rule: rule.clone(), table }))
    }

    /// The column counting the protected units of each row.
    pub fn count_column(&self) -> &str {
        self.rule.count_column.as_deref().expect("checked by Protection::new")
    }

    /// The rule applied.
    pub fn rule(&self) -> &SecrecyRule {
        &self.rule
    }

    /// A row's records for the cell key method: its count rounded (none if unknown).
    pub fn records(count: Option<f64>) -> u64 {
        count.filter(|c| c.is_finite() && *c > 0.0).map_or(0, |c| c.round() as u64)
    }

    /// The key of row `row` of a dataset of seed `seed` ([`crate::cellkey::seed`]).
    pub fn row_key(seed: u64, row: u64) -> u32 {
        record_key(seed, row)
    }

    /// The count as published (perturbed with the cell key method), if known.
    pub fn count(&self, u: &Units) -> Option<f64> {
        Some(u.count? * self.factor(u, self.count_column()))
    }

    /// Whether the figures of a territory are secret: its count is unknown, or some
    /// units are counted and the published count is under the threshold.
    pub fn hides(&self, u: &Units) -> bool {
        match (u.count, self.count(u)) {
            (Some(c), Some(published)) => c > 0.0 && published < self.rule.below,
            _ => true,
        }
    }

    /// What a sum of `column` over the territory is multiplied by when published: the
    /// cell's noise drawn with the column's own key, relative to its records (1
    /// without the cell key method or records).
    pub fn factor(&self, u: &Units, column: &str) -> f64 {
        let Some(table) = &self.table else { return 1.0 };
        if u.records == 0 {
            return 1.0;
        }
        let key = if column == self.count_column() { u.key } else { column_key(u.key, column) };
        (u.records as i64 + table.noise(u.records, key)) as f64 / u.records as f64
    }
}

/// A cell's key for one of its columns: uniform, fixed, unrelated to the other columns'.
fn column_key(key: u32, column: &str) -> u32 {
    let name = column.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3));
    record_key(name, key as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cellkey::CellKeyRule;

    fn households(cell_key: bool) -> Protection {
        let rule = SecrecyRule {
            count_column: Some("menages".into()),
            cell_key: cell_key.then(CellKeyRule::default),
            ..SecrecyRule::households()
        };
        Protection::new(&rule).unwrap().unwrap()
    }

    fn units(count: f64, key: u32) -> Units {
        Units { count: Some(count), records: Protection::records(Some(count)), key }
    }

    #[test]
    fn a_rule_that_protects_needs_its_count_column_and_one_that_does_not_is_none() {
        assert!(Protection::new(&SecrecyRule::nothing()).unwrap().is_none());
        let e = Protection::new(&SecrecyRule::households()).unwrap_err();
        assert!(e.to_string().contains("colonne qui compte"), "{e}");
    }

    #[test]
    fn primary_suppression_hides_counts_under_the_threshold_and_unknown_counts() {
        let p = households(false);
        assert!(p.hides(&units(10.0, 0)) && p.hides(&units(0.4, 0)));
        assert!(!p.hides(&units(11.0, 0)) && !p.hides(&units(0.0, 0)));
        assert!(p.hides(&Units { count: None, records: 0, key: 0 }));
        assert_eq!(p.factor(&units(5.0, 7), "revenus"), 1.0);
    }

    /// 1,000 cells: the published count is within D records of the true one, the same
    /// cell always gets the same figures, a shown figure never has a published count
    /// under the threshold, and each column's noise is its own.
    #[test]
    fn cell_key_noise_is_bounded_fixed_and_never_releases_small_counts() {
        let p = households(true);
        let mut differ = 0;
        for i in 0..1000u64 {
            let count = (i % 60) as f64 + 0.5 * (i % 2) as f64;
            let u = units(count, record_key(42, i));
            let published = p.count(&u).unwrap();
            assert!((published - count).abs() <= 2.0 * count / u.records.max(1) as f64 + 1e-9, "{count} → {published}");
            assert_eq!(p.count(&u), p.count(&units(count, record_key(42, i))));
            if !p.hides(&u) {
                assert!(count == 0.0 || published >= 11.0, "{count} → {published} shown");
            }
            if p.factor(&u, "revenus") != p.factor(&u, "menages") {
                differ += 1;
            }
        }
        assert!(differ > 300, "columns drew the same noise {} times in 1000", 1000 - differ);
    }
}
