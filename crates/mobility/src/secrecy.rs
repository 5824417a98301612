//! Statistical secrecy of commuting figures: which counts are shown, in one place,
//! so that every consumer (CLI, server, exports) gets the same protected values.
//!
//! METHODS.md §3 gives INSEE's thresholds: fewer than 3 businesses, or fewer than 11
//! households for tax data. People counts from the census sample have no rule of
//! their own there; echelle applies the household rule (a count under 11 workers is
//! not shown) as the nearest one (an assumption, a parameter). INSEE also calls
//! counts under 200 fragile and above 500 reliable (METHODS.md §2): such counts are
//! shown but flagged.
//!
//! The threshold is the dataset's, never the client's: each dataset declares its
//! rule in the catalog (`SecrecyRule`, by default 11 people for real flows), which a
//! client may raise, never lower ([`Secrecy::declared`]); synthetic flows (generated
//! records, labelled SYNTHÉTIQUE) protect no one and take any threshold.
//!
//! Primary secrecy hides a count under the threshold (zero is shown: it reveals no
//! one). Secondary suppression ([`Ledger`]) then keeps a secret count from being
//! recovered from the totals shown beside it: wherever an answer shows a total and
//! its parts (a matrix row, residents = working inside + outgoing, the destinations
//! of the outgoing…), never exactly one of them is secret. A rate or share computed
//! from a secret count is secret too.
//!
//! Against differencing (two perimeters that differ by one commune, a layer total
//! minus its other members, a matrix row minus its other cells, the same cell asked
//! again, two vintages), real flows also declare the cell key method
//! ([`echelle_platform::cellkey`]): every count shown is the count of its records
//! perturbed by a noise fixed by those records, before the threshold is applied.
//! See docs/secrecy.md for what it guarantees.

use echelle_platform::Counted;
use echelle_platform::cellkey::{CellKeyRule, PTable};
use echelle_store::Provenance;
use serde::{Serialize, Serializer};

use crate::MobilityError;
use crate::error::check_range;
use crate::flows::{Tally, workers};

/// Counts under this many workers are secret by default (METHODS.md §3's household rule).
pub const SECRET_BELOW: f64 = echelle_platform::CENSUS_BELOW;

/// Counts under this many workers are flagged fragile by default (INSEE, METHODS.md §2).
pub const FRAGILE_BELOW: f64 = 200.0;

/// The rule applied to flow figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Secrecy {
    /// Counts with fewer workers than this are secret.
    pub threshold: f64,
    /// Counts with fewer workers than this are flagged fragile.
    pub fragile_below: f64,
    /// The cell key method's noise added to every count before the threshold (real
    /// flows); absent for synthetic flows, which protect no one.
    pub cell_key: Option<CellKeyRule>,
    #[serde(skip)]
    table: Option<PTable>,
}

impl Default for Secrecy {
    fn default() -> Self {
        Secrecy { threshold: SECRET_BELOW, fragile_below: FRAGILE_BELOW, cell_key: None, table: None }
    }
}

impl Secrecy {
    /// The default rule with another threshold (`None`: the default one), without noise.
    pub fn below(threshold: Option<f64>) -> Secrecy {
        Secrecy { threshold: threshold.unwrap_or(SECRET_BELOW), ..Secrecy::default() }
    }

    /// The same rule, counts perturbed by the cell key method of `rule`.
    pub fn with_cell_key(self, rule: CellKeyRule) -> Result<Secrecy, MobilityError> {
        let table = PTable::new(rule).map_err(|e| MobilityError::Usage(e.to_string()))?;
        Ok(Secrecy { cell_key: Some(rule), table: Some(table), ..self })
    }

    /// The workers of a tally as published: with the cell key method, the weight scaled
    /// by (n + noise) / n for its n records (the unweighted count is perturbed, the
    /// weighted one follows, as the ONS does for weighted tables); else the exact weight.
    pub fn published(&self, t: Tally) -> i128 {
        match &self.table {
            Some(table) if t.records > 0 => {
                let n = t.records as i128;
                t.weight * (n + table.noise(t.records, t.key) as i128) / n
            }
            _ => t.weight,
        }
    }

    /// The rule applied to flows of `provenance` when a client asks for `threshold`
    /// (`None`: the declared one): the dataset's declared rule (its threshold and cell
    /// key); stricter is accepted, weaker refused. Flows that declare nothing (generated
    /// ones) take any threshold, 11 by default (what a real file would show), no noise.
    pub fn declared(provenance: &Provenance, threshold: Option<f64>) -> Result<Secrecy, MobilityError> {
        let rule = &provenance.secrecy;
        if rule.counts == Counted::Nothing {
            let s = Secrecy::below(threshold);
            s.validate()?;
            return Ok(s);
        }
        let rule = rule.asked(&provenance.dataset, threshold).map_err(|e| MobilityError::Usage(e.to_string()))?;
        let s = Secrecy::below(Some(rule.below));
        s.validate()?;
        match rule.cell_key {
            Some(k) => s.with_cell_key(k),
            None => Ok(s),
        }
    }

    /// Checks the thresholds (a user error when out of range).
    pub fn validate(&self) -> Result<(), MobilityError> {
        check_range("secrecy threshold", self.threshold, 0.0, 1e9, false, "a number of workers >= 0")?;
        check_range("fragile threshold", self.fragile_below, 0.0, 1e9, false, "a number of workers >= 0")
    }

    /// Whether an exact weight is under the threshold (zero never is).
    pub fn hides(&self, w: i128) -> bool {
        w != 0 && workers(w) < self.threshold
    }

    /// A tally as shown under primary secrecy only (perturbed first, with the cell key method).
    pub fn count(&self, t: Tally) -> Count {
        let w = self.published(t);
        if self.hides(w) { Count::Secret } else { Count::Shown(workers(w)) }
    }

    /// A modelled number of people (not an exact weight) as shown: secret under the threshold.
    pub fn estimate(&self, x: f64) -> Count {
        if x != 0.0 && x < self.threshold { Count::Secret } else { Count::Shown(x) }
    }

    /// Whether a count is fragile (under [`Secrecy::fragile_below`]).
    pub fn is_fragile(&self, w: i128) -> bool {
        workers(w) < self.fragile_below
    }

    /// The French note printed under tables that hide counts.
    pub fn note(&self) -> String {
        let differencing = match self.cell_key {
            Some(r) => format!(
                "effectifs perturbés par la méthode des clés de cellule (écart maximal {}, variance {}, aucun \
                 effectif publié entre 1 et {}) contre la différenciation",
                r.max_deviation, r.variance, r.js
            ),
            None => "pas de protection contre la différenciation de périmètres (données synthétiques)".into(),
        };
        format!(
            "Secret statistique : effectifs inférieurs à {} actifs non diffusés (METHODS.md §3, règle des ménages \
             appliquée aux personnes) ; effectifs inférieurs à {} fragiles (Insee) ; secret secondaire sur les \
             totaux et les parts ; {differencing}.",
            self.threshold, self.fragile_below
        )
    }
}

/// A count as shown: a number of workers, or secret. Serialised as a number, or
/// `null` when secret (beside a `secret` flag where the answer has one).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Count {
    /// Shown, in workers.
    Shown(f64),
    /// Not shown: under the threshold, or it would reveal a secret count.
    Secret,
}

impl Count {
    /// The value, `None` when secret.
    pub fn value(self) -> Option<f64> {
        match self {
            Count::Shown(x) => Some(x),
            Count::Secret => None,
        }
    }

    /// Whether the count is secret.
    pub fn is_secret(self) -> bool {
        self == Count::Secret
    }

    /// `100 × self / of`, secret when either is (a rate must not reveal a secret count).
    pub fn pct_of(self, of: Count) -> Option<f64> {
        match (self, of) {
            (Count::Shown(a), Count::Shown(b)) if b != 0.0 => Some(100.0 * a / b),
            _ => None,
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value().serialize(s)
    }
}

impl utoipa::PartialSchema for Count {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::Number, Type::Null]))
            .description(Some("Nombre d'actifs ; null quand il est couvert par le secret statistique."))
            .into()
    }
}

impl utoipa::ToSchema for Count {}

/// Figures of one answer and the sums that tie them, for secondary suppression.
///
/// Each figure is a weight as published; each relation says `total = Σ parts`. After
/// [`Ledger::protect`], no relation has exactly one secret member: the smallest shown
/// part (else the total) is made secret too, until stable.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    weights: Vec<i128>,
    secret: Vec<bool>,
    secondary: Vec<bool>,
    sums: Vec<(usize, Vec<usize>)>,
}

impl Ledger {
    /// An empty ledger.
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Adds a figure under primary secrecy (perturbed first, with the cell key method);
    /// returns its index.
    pub fn figure(&mut self, s: &Secrecy, t: Tally) -> usize {
        let w = s.published(t);
        self.weights.push(w);
        self.secret.push(s.hides(w));
        self.secondary.push(false);
        self.weights.len() - 1
    }

    /// Makes a figure secret (an answer that never shows it alone).
    pub fn hide(&mut self, k: usize) {
        self.secret[k] = true;
    }

    /// States `total = Σ parts`.
    pub fn sum(&mut self, total: usize, parts: Vec<usize>) {
        self.sums.push((total, parts));
    }

    /// Applies secondary suppression (see the type's doc).
    pub fn protect(&mut self) {
        loop {
            let mut changed = false;
            for (total, parts) in &self.sums {
                let secret = parts.iter().filter(|&&k| self.secret[k]).count() + self.secret[*total] as usize;
                if secret != 1 {
                    continue;
                }
                // A zero is never hidden: it reveals no one, and a hidden zero protects nothing.
                let pick = parts
                    .iter()
                    .copied()
                    .filter(|&k| !self.secret[k] && self.weights[k] != 0)
                    .min_by_key(|&k| (self.weights[k], k));
                let k = pick.unwrap_or(*total);
                if self.secret[k] {
                    continue;
                }
                self.secret[k] = true;
                self.secondary[k] = true;
                changed = true;
            }
            if !changed {
                break;
            }
        }
    }

    /// Whether figure `k` is secret.
    pub fn is_secret(&self, k: usize) -> bool {
        self.secret[k]
    }

    /// Whether figure `k` is secret only to protect another.
    pub fn is_secondary(&self, k: usize) -> bool {
        self.secondary[k]
    }

    /// Figure `k` as shown.
    pub fn count(&self, k: usize) -> Count {
        if self.secret[k] { Count::Secret } else { Count::Shown(workers(self.weights[k])) }
    }

    /// Secret figures.
    pub fn secret_count(&self) -> usize {
        self.secret.iter().filter(|&&s| s).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::weight;

    fn exact(workers: f64) -> Tally {
        Tally { weight: weight(workers), records: 0, key: 0 }
    }

    #[test]
    fn a_client_may_raise_the_declared_threshold_never_lower_it() {
        let real = Provenance {
            synthetic: false,
            secrecy: echelle_platform::SecrecyRule::people(),
            ..crate::fixture::provenance()
        };
        assert_eq!(Secrecy::declared(&real, None).unwrap().threshold, SECRET_BELOW);
        assert_eq!(Secrecy::declared(&real, Some(50.0)).unwrap().threshold, 50.0);
        for weaker in [0.0, 10.9] {
            let e = Secrecy::declared(&real, Some(weaker)).unwrap_err();
            assert!(e.to_string().contains("jamais l'affaiblir") && e.is_user_error(), "{e}");
        }
        assert!(Secrecy::declared(&real, Some(-1.0)).is_err());
        let synthetic = crate::fixture::provenance();
        assert_eq!(Secrecy::declared(&synthetic, Some(0.0)).unwrap().threshold, 0.0);
    }

    #[test]
    fn a_lone_secret_part_takes_the_smallest_other_with_it() {
        let s = Secrecy::default();
        let mut l = Ledger::new();
        let (a, b, c) = (l.figure(&s, exact(5.0)), l.figure(&s, exact(40.0)), l.figure(&s, exact(30.0)));
        let t = l.figure(&s, exact(75.0));
        l.sum(t, vec![a, b, c]);
        l.protect();
        assert!(l.is_secret(a) && !l.is_secondary(a));
        assert!(l.is_secret(c) && l.is_secondary(c));
        assert_eq!(l.count(b), Count::Shown(40.0));
        assert_eq!(l.count(t), Count::Shown(75.0));
    }

    #[test]
    fn a_total_made_secret_is_protected_in_the_sums_it_is_a_part_of() {
        let s = Secrecy::default();
        let mut l = Ledger::new();
        // x (secret) is a part of y = x + c + d, which then needs a second secret.
        let a = l.figure(&s, exact(5.0));
        let x = l.figure(&s, exact(5.0));
        let (c, d) = (l.figure(&s, exact(30.0)), l.figure(&s, exact(20.0)));
        let y = l.figure(&s, exact(55.0));
        l.sum(x, vec![a]);
        l.sum(y, vec![x, c, d]);
        l.protect();
        assert!(l.is_secret(x) && !l.is_secondary(x));
        assert!(l.is_secret(d) && l.is_secondary(d) && !l.is_secret(c) && !l.is_secret(y));
    }

    #[test]
    fn suppression_spreads_through_linked_sums() {
        let s = Secrecy::default();
        let mut l = Ledger::new();
        // residents = inside + outgoing; jobs = inside + incoming.
        let (inside, out, inc) = (l.figure(&s, exact(50.0)), l.figure(&s, exact(4.0)), l.figure(&s, exact(60.0)));
        let (res, jobs) = (l.figure(&s, exact(54.0)), l.figure(&s, exact(110.0)));
        l.sum(res, vec![inside, out]);
        l.sum(jobs, vec![inside, inc]);
        l.protect();
        assert!(l.is_secret(out) && l.is_secret(inside) && l.is_secret(inc));
        assert_eq!(l.count(res), Count::Shown(54.0));
    }

    #[test]
    fn counts_serialise_as_numbers_or_null_and_rates_of_secrets_are_secret() {
        assert_eq!(serde_json::to_string(&Count::Shown(12.0)).unwrap(), "12.0");
        assert_eq!(serde_json::to_string(&Count::Secret).unwrap(), "null");
        assert_eq!(Count::Shown(5.0).pct_of(Count::Shown(20.0)), Some(25.0));
        assert_eq!(Count::Shown(5.0).pct_of(Count::Secret), None);
        assert_eq!(Secrecy::default().count(exact(10.9)), Count::Secret);
        assert_eq!(Secrecy::default().count(Tally::default()), Count::Shown(0.0));
    }
}
