//! The prudential rules' figures and exemptions, read from `data/guarantees/rules.toml`
//! (compiled in; another file may be given, the law changes).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::GuaranteeError;
use crate::register::{AuthorityKind, Category, Loan};

/// The rules file shipped with echelle.
pub const SHIPPED_RULES: &str = include_str!("../../../data/guarantees/rules.toml");

/// One of the three prudential rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// Guaranteed annuities plus own annuities at most a share of real operating revenue.
    Annuities,
    /// Annuities guaranteed to one debtor at most a share of what may be guaranteed.
    Debtor,
    /// The share of one loan guaranteed by local authorities.
    Share,
}

impl RuleId {
    /// The three rules, in the law's order.
    pub const ALL: [RuleId; 3] = [RuleId::Annuities, RuleId::Debtor, RuleId::Share];
}

/// Where a kind of authority's ceilings and exemptions sit in the CGCT.
#[derive(Debug, Clone, Deserialize)]
pub struct Authority {
    /// French label.
    pub label: String,
    /// The article setting its ceilings.
    pub ceilings: String,
    /// The article listing its exemptions.
    pub exemptions: String,
}

/// Rule 1's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct AnnuitiesRule {
    /// French label.
    pub label: String,
    /// Ceiling, a fraction of real operating revenue.
    pub ceiling: f64,
    /// Multiplier of the specific provisions deducted.
    pub provisions_multiplier: f64,
    /// The paragraph of the authority's article setting the rule.
    pub paragraph: String,
}

/// Rule 2's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct DebtorRule {
    /// French label.
    pub label: String,
    /// Ceiling, a fraction of what may be guaranteed.
    pub ceiling: f64,
    /// The paragraph of the authority's article setting the rule.
    pub paragraph: String,
}

/// Rule 3's figures.
#[derive(Debug, Clone, Deserialize)]
pub struct ShareRule {
    /// French label.
    pub label: String,
    /// Ceiling of the share of one loan.
    pub ceiling: f64,
    /// Ceiling for development operations.
    pub development_ceiling: f64,
    /// What raises it for development operations.
    pub development_article: String,
    /// The paragraph of the authority's article setting the rule.
    pub paragraph: String,
}

/// The three rules.
#[derive(Debug, Clone, Deserialize)]
pub struct RuleSet {
    /// Rule 1.
    pub annuities: AnnuitiesRule,
    /// Rule 2.
    pub debtor: DebtorRule,
    /// Rule 3.
    pub share: ShareRule,
}

/// What an exemption matches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// The beneficiary's category.
    pub category: Option<Category>,
    /// A flag of the loan: `state_aided`, `housing_plan` or `tense_zone_housing`.
    pub flag: Option<String>,
}

/// An exemption: which loans it matches, which rules it lifts, on what basis.
#[derive(Debug, Clone, Deserialize)]
pub struct Exemption {
    /// Its id (`logement-social`).
    pub id: String,
    /// French label.
    pub label: String,
    /// What it matches.
    pub when: When,
    /// The kinds of guarantor it holds for (`commune`, `epci`, `departement`,
    /// `region`); every kind when absent.
    #[serde(default)]
    pub kinds: Option<Vec<String>>,
    /// The rules that do not apply.
    pub lifts: Vec<RuleId>,
    /// The legal basis, with `{exemptions}` and `{ceilings}` standing for the authority's articles.
    pub basis: String,
}

/// An exemption applied to a loan for a guarantor, with its legal basis spelled out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AppliedExemption {
    /// The exemption's id.
    pub id: String,
    /// What it is, in French.
    pub label: String,
    /// The articles it rests on.
    pub basis: String,
}

/// The rules file, read.
#[derive(Debug, Clone, Deserialize)]
pub struct Rules {
    /// Which texts, read when.
    pub text: String,
    /// The decree fixing the percentages.
    pub decree: String,
    /// Per kind of authority.
    pub authorities: BTreeMap<String, Authority>,
    /// The three rules.
    pub rules: RuleSet,
    /// The exemptions, in order: the first that lifts a rule is the one cited.
    pub exemptions: Vec<Exemption>,
}

impl Rules {
    /// The rules shipped with echelle.
    pub fn shipped() -> Rules {
        Rules::parse("data/guarantees/rules.toml", SHIPPED_RULES).expect("the shipped rules file is valid")
    }

    /// Reads a rules file and checks it.
    pub fn parse(origin: &str, text: &str) -> Result<Rules, GuaranteeError> {
        let bad = |message: String| GuaranteeError::Rules { origin: origin.into(), message };
        let rules: Rules = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
        for k in [AuthorityKind::Commune, AuthorityKind::Epci, AuthorityKind::Departement, AuthorityKind::Region] {
            if !rules.authorities.contains_key(k.key()) {
                return Err(bad(format!("no [authorities.{}]", k.key())));
            }
        }
        let r = &rules.rules;
        for (name, v) in [
            ("annuities.ceiling", r.annuities.ceiling),
            ("debtor.ceiling", r.debtor.ceiling),
            ("share.ceiling", r.share.ceiling),
            ("share.development_ceiling", r.share.development_ceiling),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                return Err(bad(format!("{name} = {v}: expected a fraction in ]0, 1]")));
            }
        }
        for e in &rules.exemptions {
            match e.when.flag.as_deref() {
                None | Some("state_aided") | Some("housing_plan") | Some("tense_zone_housing") => {}
                Some(f) => return Err(bad(format!("exemption {}: unknown flag '{f}'", e.id))),
            }
            if e.when.flag.is_none() && e.when.category.is_none() {
                return Err(bad(format!("exemption {}: `when` matches nothing", e.id)));
            }
            for k in e.kinds.iter().flatten() {
                if !rules.authorities.contains_key(k.as_str()) {
                    return Err(bad(format!("exemption {}: unknown kind of authority '{k}'", e.id)));
                }
            }
        }
        Ok(rules)
    }

    /// The articles of a kind of authority.
    pub fn authority(&self, kind: AuthorityKind) -> &Authority {
        &self.authorities[kind.key()]
    }

    /// The exemption that lifts `rule` for this loan guaranteed by this kind of
    /// authority, with its basis, if any.
    pub fn exemption(&self, kind: AuthorityKind, loan: &Loan, rule: RuleId) -> Option<AppliedExemption> {
        let a = self.authority(kind);
        self.exemptions
            .iter()
            .filter(|e| e.lifts.contains(&rule))
            .filter(|e| e.kinds.as_ref().is_none_or(|ks| ks.iter().any(|k| k == kind.key())))
            .find(|e| {
                e.when.category.is_none_or(|c| c == loan.beneficiary.category)
                    && match e.when.flag.as_deref() {
                        Some("state_aided") => loan.state_aided,
                        Some("housing_plan") => loan.housing_plan,
                        Some("tense_zone_housing") => loan.tense_zone_housing,
                        _ => true,
                    }
            })
            .map(|e| AppliedExemption {
                id: e.id.clone(),
                label: e.label.clone(),
                basis: e.basis.replace("{exemptions}", &a.exemptions).replace("{ceilings}", &a.ceilings),
            })
    }

    /// The rule's articles: the authority's own with its paragraph, and the decree.
    pub fn article(&self, kind: AuthorityKind, rule: RuleId) -> String {
        let a = self.authority(kind);
        let paragraph = match rule {
            RuleId::Annuities => &self.rules.annuities.paragraph,
            RuleId::Debtor => &self.rules.debtor.paragraph,
            RuleId::Share => &self.rules.share.paragraph,
        };
        format!("{}, {paragraph} ; {}", a.ceilings, self.decree)
    }

    /// The rule's French label.
    pub fn label(&self, rule: RuleId) -> &str {
        match rule {
            RuleId::Annuities => &self.rules.annuities.label,
            RuleId::Debtor => &self.rules.debtor.label,
            RuleId::Share => &self.rules.share.label,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_rules_read_and_bad_ones_are_refused() {
        let r = Rules::shipped();
        assert_eq!(r.rules.annuities.ceiling, 0.5);
        let broken = SHIPPED_RULES.replace("ceiling = 0.10", "ceiling = 1.5");
        let e = Rules::parse("x.toml", &broken).unwrap_err().to_string();
        assert!(e.contains("debtor.ceiling = 1.5"), "{e}");
    }
}
