//! The statistical secrecy a dataset declares: stored with it in the catalog, set by
//! its importer from the kind of file (METHODS.md §3), shown beside its figures, and
//! never lowered by a client.
//!
//! | counts | rule (INSEE's manual of table protection) |
//! |---|---|
//! | people (census commuting) | fewer than 11 not shown (the household rule applied to people: an assumption), cell key noise |
//! | households (tax data, Filosofi) | fewer than 11 households not shown |
//! | businesses | fewer than 3, or one above 85 % of the total, not shown |
//! | nothing (generated or public data) | no rule |

use serde::{Deserialize, Serialize};

use crate::cellkey::{CellKeyRule, PTable};

/// What a dataset's counts count, which decides its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Counted {
    /// People (workers, residents).
    People,
    /// Tax households.
    Households,
    /// Businesses (establishments).
    Businesses,
    /// Nothing protected: generated data, or public counts (facilities).
    Nothing,
}

/// A dataset's declared secrecy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecrecyRule {
    /// What the counts count.
    pub counts: Counted,
    /// Counts under this are not shown (0: none hidden).
    pub below: f64,
    /// Businesses: a count one unit of which makes more than this share is not shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dominance: Option<f64>,
    /// The cell key method's noise, when the dataset's records are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cell_key: Option<CellKeyRule>,
    /// For a table of units (one row per commune or IRIS): the column that counts the
    /// protected units of each row (`NBMENFISC21` for Filosofi's households), which
    /// decides whether a territory's figures may be shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count_column: Option<String>,
}

/// Why a rule is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SecrecyError {
    /// A rule out of range, or a text that is not one.
    #[error("règle de secret : {0}")]
    Invalid(String),
    /// A client asked for less than the dataset declares.
    #[error(
        "seuil de secret {asked} refusé : le jeu « {dataset} » déclare un seuil de {declared} ; un client peut durcir la règle, jamais l'affaiblir"
    )]
    Weaker {
        /// The threshold asked.
        asked: f64,
        /// The dataset.
        dataset: String,
        /// Its declared threshold.
        declared: f64,
    },
}

/// The census's threshold for people and households: fewer than 11 are not shown
/// (METHODS.md §3). Flows use it too.
pub const CENSUS_BELOW: f64 = 11.0;

impl SecrecyRule {
    /// Census people counts: fewer than 11 hidden, cell key noise (D 2, V 1.05, js 1).
    pub fn people() -> SecrecyRule {
        SecrecyRule {
            counts: Counted::People,
            below: CENSUS_BELOW,
            dominance: None,
            cell_key: Some(CellKeyRule::default()),
            count_column: None,
        }
    }

    /// Tax households: fewer than 11 hidden.
    pub fn households() -> SecrecyRule {
        SecrecyRule {
            counts: Counted::Households,
            below: CENSUS_BELOW,
            dominance: None,
            cell_key: None,
            count_column: None,
        }
    }

    /// Businesses: fewer than 3 hidden; one above 85 % declared, not applied (see [`SecrecyRule::describe`]).
    pub fn businesses() -> SecrecyRule {
        SecrecyRule {
            counts: Counted::Businesses,
            below: 3.0,
            dominance: Some(0.85),
            cell_key: None,
            count_column: None,
        }
    }

    /// No rule: generated data protects no one; public counts need none.
    pub fn nothing() -> SecrecyRule {
        SecrecyRule { counts: Counted::Nothing, below: 0.0, dominance: None, cell_key: None, count_column: None }
    }

    /// A rule from the command line: `people`, `households`, `businesses` or `none`,
    /// optionally `:N` for another threshold (`people:20`).
    pub fn parse(text: &str) -> Result<SecrecyRule, SecrecyError> {
        let (kind, below) = match text.trim().split_once(':') {
            Some((k, b)) => (k, Some(b)),
            None => (text.trim(), None),
        };
        let mut rule = match kind {
            "people" | "personnes" => SecrecyRule::people(),
            "households" | "menages" | "ménages" => SecrecyRule::households(),
            "businesses" | "entreprises" => SecrecyRule::businesses(),
            "none" | "aucun" => SecrecyRule::nothing(),
            other => {
                return Err(SecrecyError::Invalid(format!(
                    "« {other} » : people, households, businesses ou none, suivi de :SEUIL au besoin"
                )));
            }
        };
        if let Some(b) = below {
            rule.below =
                b.trim().parse().map_err(|_| SecrecyError::Invalid(format!("seuil « {b} » : un nombre attendu")))?;
        }
        rule.validate()?;
        Ok(rule)
    }

    /// Checks the parameters (a threshold ≥ 0, a dominance share in (0, 1], a cell key table).
    pub fn validate(&self) -> Result<(), SecrecyError> {
        if !(self.below.is_finite() && (0.0..=1e9).contains(&self.below)) {
            return Err(SecrecyError::Invalid(format!("seuil {} : de 0 à 1e9", self.below)));
        }
        if let Some(d) = self.dominance
            && !(d > 0.0 && d <= 1.0)
        {
            return Err(SecrecyError::Invalid(format!("dominance {d} : une part entre 0 et 1")));
        }
        if let Some(k) = self.cell_key {
            PTable::new(k).map_err(|e| SecrecyError::Invalid(e.to_string()))?;
        }
        Ok(())
    }

    /// The rule a client gets when it asks for `asked` (`None`: the declared one) on
    /// dataset `dataset`: a higher threshold is taken, a lower one refused.
    pub fn asked(&self, dataset: &str, asked: Option<f64>) -> Result<SecrecyRule, SecrecyError> {
        let Some(asked) = asked else { return Ok(self.clone()) };
        let stricter = SecrecyRule { below: asked, ..self.clone() };
        stricter.validate()?;
        if asked < self.below {
            return Err(SecrecyError::Weaker { asked, dataset: dataset.into(), declared: self.below });
        }
        Ok(stricter)
    }

    /// Whether the rule hides or perturbs anything (a threshold above 0, or noise).
    pub fn protects(&self) -> bool {
        self.counts != Counted::Nothing && (self.below > 0.0 || self.cell_key.is_some())
    }

    /// The rule in French when it protects anything, for the notes beside figures.
    pub fn notice(&self) -> Option<String> {
        self.protects().then(|| self.describe())
    }

    /// The rule in French, for notes and listings.
    pub fn describe(&self) -> String {
        let unit = match self.counts {
            Counted::People => "personnes",
            Counted::Households => "ménages",
            Counted::Businesses => "entreprises",
            Counted::Nothing => return "aucun secret (données synthétiques ou publiques)".into(),
        };
        let mut s = format!("moins de {} {unit} non diffusé", self.below);
        if let Some(c) = &self.count_column {
            s.push_str(&format!(" (colonne {c})"));
        }
        if let Some(d) = self.dominance {
            // Declared, never applied: no imported file gives each unit's share.
            s.push_str(&format!(
                " ; dominance (une unité au-delà de {} % du total) non appliquée : part de chaque unité inconnue",
                d * 100.0
            ));
        }
        if let Some(k) = self.cell_key {
            s.push_str(&format!(
                " ; clés de cellule (écart maximal {}, variance {}, js {})",
                k.max_deviation, k.variance, k.js
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_from_the_command_line_and_round_trip_as_json() {
        assert_eq!(SecrecyRule::parse("people").unwrap(), SecrecyRule::people());
        assert_eq!(SecrecyRule::parse("households:20").unwrap().below, 20.0);
        assert_eq!(SecrecyRule::parse("businesses").unwrap().dominance, Some(0.85));
        assert_eq!(SecrecyRule::parse("none").unwrap(), SecrecyRule::nothing());
        for bad in ["voisins", "people:x", "people:-1", "households:NaN"] {
            assert!(SecrecyRule::parse(bad).is_err(), "{bad}");
        }
        for rule in [SecrecyRule::people(), SecrecyRule::households(), SecrecyRule::businesses()] {
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(serde_json::from_str::<SecrecyRule>(&json).unwrap(), rule, "{json}");
        }
        assert!(serde_json::from_str::<SecrecyRule>(r#"{"counts":"people","below":11,"x":1}"#).is_err());
    }

    #[test]
    fn a_client_may_raise_the_threshold_never_lower_it() {
        let p = SecrecyRule::people();
        assert_eq!(p.asked("mobpro", None).unwrap(), p);
        assert_eq!(p.asked("mobpro", Some(50.0)).unwrap().below, 50.0);
        let e = p.asked("mobpro", Some(3.0)).unwrap_err();
        assert!(e.to_string().contains("jamais l'affaiblir") && e.to_string().contains("mobpro"), "{e}");
        assert_eq!(SecrecyRule::nothing().asked("synth", Some(0.0)).unwrap().below, 0.0);
        assert!(p.describe().contains("11 personnes") && p.describe().contains("clés de cellule"));
    }
}
