//! The check before a vote: a proposed guarantee against the three prudential rules,
//! in the vote's year and over the next years with the projected annuities.

use std::collections::HashMap;

use echelle_store::Provenance;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::register::{Beneficiary, Category, Frequency, Guarantor, Loan, LoanTerms, Profile, RateKind, Register};
use crate::rules::{AppliedExemption, RuleId, Rules};
use crate::schedule::{self, Payment, first_full_annuity};
use crate::{GuaranteeError, euros};

/// A guarantee proposed to a vote. Amounts in euros, rates and shares in percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Proposal {
    /// The guarantor (`com:59350`, `epci:200072460`, `dep:62`, `reg:32`).
    pub guarantor: String,
    /// The borrower's name.
    pub beneficiary: String,
    /// The borrower's SIREN: its other guaranteed loans count in the one-debtor rule.
    pub siren: String,
    /// What the borrower is.
    pub category: Category,
    /// Amount borrowed, in euros.
    pub amount: f64,
    /// Date the funds are drawn (AAAA-MM-JJ).
    #[schema(value_type = String, example = "2026-07-01")]
    pub start: Date,
    /// Duration in years.
    pub years: u32,
    /// Payments per year.
    pub frequency: Frequency,
    /// Yearly rate, in percent.
    pub rate: f64,
    /// How the principal is repaid.
    pub profile: Profile,
    /// Share of the loan guaranteed by this guarantor, in percent.
    pub share: f64,
    /// Subsidised or aided by the State.
    #[serde(default)]
    pub state_aided: bool,
    /// Under the departmental plan for housing the disadvantaged.
    #[serde(default)]
    pub housing_plan: bool,
    /// A development operation (C. urb. L300-4 to L300-5-2) mainly of housing in a tense zone.
    #[serde(default)]
    pub tense_zone_housing: bool,
    /// The register's id of the loan when other authorities already guarantee it.
    #[serde(default)]
    pub loan: Option<String>,
    /// The budget year of the vote (default: the start's year).
    #[serde(default)]
    pub year: Option<i32>,
    /// Years projected after the vote's (default 10, at most 40).
    #[serde(default)]
    pub horizon: Option<u32>,
}

/// One rule in one year: the value, the limit, the margin left, and whether it holds.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RuleOutcome {
    /// The rule.
    pub rule: RuleId,
    /// Its French label.
    pub label: String,
    /// The articles it rests on.
    pub article: String,
    /// Unit of value, limit and margin: `€` or `%`.
    pub unit: String,
    /// The computed value (euros, or percent of the loan).
    pub value: f64,
    /// The limit.
    pub limit: f64,
    /// Limit less value: what is left before the rule breaks (negative: broken).
    pub margin: f64,
    /// Margin over limit: which rule is closest to breaking.
    pub relative_margin: f64,
    /// Whether the rule holds (an exempted rule holds).
    pub holds: bool,
    /// The exemption that lifts the rule, with its basis.
    pub exemption: Option<AppliedExemption>,
    /// How the value was computed, in French.
    pub detail: String,
}

/// The three rules in one year.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct YearCheck {
    /// The budget year.
    pub year: i32,
    /// When the register has no finances for the year: the year whose figures were held.
    pub finances_from: Option<i32>,
    /// Each rule.
    pub outcomes: Vec<RuleOutcome>,
    /// Whether every rule holds.
    pub holds: bool,
    /// The rule closest to breaking (or most broken); none when all are exempted.
    pub first_to_break: Option<RuleId>,
}

/// The first year a rule breaks.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Break {
    /// The year.
    pub year: i32,
    /// The rule.
    pub rule: RuleId,
    /// Its French label.
    pub label: String,
}

/// The answer to a check before a vote.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// The guarantor.
    pub guarantor: String,
    /// Its name.
    pub guarantor_name: String,
    /// The proposal checked.
    pub proposal: Proposal,
    /// The vote's year.
    pub vote: YearCheck,
    /// The following years, with projected annuities.
    pub projection: Vec<YearCheck>,
    /// The first projected year a rule breaks, if any.
    pub first_break: Option<Break>,
    /// The new loan's first full annuity (euros), before the share.
    pub first_full_annuity: f64,
    /// Every article cited.
    pub articles: Vec<String>,
    /// Which texts the rules file was read from.
    pub rules_text: String,
    /// The register's provenance.
    pub provenance: Option<Provenance>,
}

impl Proposal {
    /// Checks the figures and turns the proposal into a loan of the register's types.
    pub fn loan(&self) -> Result<(Guarantor, Loan, f64), GuaranteeError> {
        let bad = |m: String| Err(GuaranteeError::Usage(m));
        let Some(guarantor) = Guarantor::parse(&self.guarantor) else {
            return bad(format!(
                "garant {} : attendu com:CODE, epci:SIREN, dep:CODE ou reg:CODE",
                crate::error::quote(&self.guarantor)
            ));
        };
        if !(self.amount.is_finite() && self.amount > 0.0 && self.amount < 1e12) {
            return bad(format!("montant {} : attendu un montant positif en euros", self.amount));
        }
        if !(self.share.is_finite() && self.share > 0.0 && self.share <= 100.0) {
            return bad(format!("quotité {} % : attendue entre 0 et 100 %", self.share));
        }
        if !(self.rate.is_finite() && (0.0..=30.0).contains(&self.rate)) {
            return bad(format!("taux {} % : attendu entre 0 et 30 %", self.rate));
        }
        if !(1..=60).contains(&self.years) {
            return bad(format!("durée {} ans : attendue entre 1 et 60 ans", self.years));
        }
        if self.horizon.is_some_and(|h| h > 40) {
            return bad("horizon : 40 ans au plus".into());
        }
        let loan = Loan {
            id: self.loan.clone().unwrap_or_else(|| "(projet)".into()),
            beneficiary: Beneficiary {
                name: self.beneficiary.clone(),
                siren: self.siren.trim().to_string(),
                category: self.category,
            },
            lender: String::new(),
            terms: LoanTerms {
                amount: (self.amount * 100.0).round() as i64,
                start: self.start,
                years: self.years,
                frequency: self.frequency,
                rate_micro: (self.rate * 10_000.0).round() as i64,
                rate_kind: RateKind::Fixed,
                profile: self.profile,
            },
            state_aided: self.state_aided,
            housing_plan: self.housing_plan,
            tense_zone_housing: self.tense_zone_housing,
            declared_outstanding: None,
            given_schedule: None,
        };
        Ok((guarantor, loan, self.share / 100.0))
    }
}

/// `share × amount`, rounded to the cent: a guarantor's part of a payment.
pub(crate) fn part(share: f64, cents: i64) -> i64 {
    (share * cents as f64).round() as i64
}

/// Checks a proposal against the rules, in the vote's year and over the horizon.
/// The guarantor's revenue for the vote's year is required; later years without
/// finances hold the last known year's figures, and say so.
pub fn check(
    register: &Register,
    rules: &Rules,
    proposal: &Proposal,
    guarantor_name: &str,
    provenance: Option<Provenance>,
) -> Result<Check, GuaranteeError> {
    let (guarantor, loan, share) = proposal.loan()?;
    if let Some(id) = &proposal.loan {
        let Some(existing) = register.loan(id) else {
            return Err(GuaranteeError::Usage(format!("emprunt {} absent du registre", crate::error::quote(id))));
        };
        if existing.beneficiary.siren != loan.beneficiary.siren {
            return Err(GuaranteeError::Usage(format!(
                "emprunt {id} : le registre le donne à {} (SIREN {}), pas au SIREN {}",
                existing.beneficiary.name, existing.beneficiary.siren, loan.beneficiary.siren
            )));
        }
    }
    let year = proposal.year.unwrap_or(proposal.start.year);
    let horizon = proposal.horizon.unwrap_or(10);
    let schedules = register.schedules();
    let new_schedule = schedule::schedule(&loan.terms);
    let first = first_full_annuity(&new_schedule, loan.terms.frequency.per_year());
    let ctx = Ctx {
        register,
        rules,
        guarantor: &guarantor,
        loan: &loan,
        share,
        schedules: &schedules,
        new_schedule: &new_schedule,
        first,
    };
    let vote = ctx.year(year, true)?;
    let mut projection = Vec::new();
    for y in year + 1..=year + horizon as i32 {
        projection.push(ctx.year(y, false)?);
    }
    let first_break = std::iter::once(&vote)
        .chain(&projection)
        .find(|y| !y.holds)
        .and_then(|y| y.first_to_break.map(|rule| Break { year: y.year, rule, label: rules.label(rule).to_string() }));
    let mut articles: Vec<String> = vote.outcomes.iter().map(|o| o.article.clone()).collect();
    articles.extend(vote.outcomes.iter().filter_map(|o| o.exemption.as_ref().map(|e| e.basis.clone())));
    articles.dedup();
    Ok(Check {
        guarantor: guarantor.to_string(),
        guarantor_name: guarantor_name.to_string(),
        proposal: proposal.clone(),
        vote,
        projection,
        first_break,
        first_full_annuity: euros(first),
        articles,
        rules_text: rules.text.clone(),
        provenance,
    })
}

struct Ctx<'a> {
    register: &'a Register,
    rules: &'a Rules,
    guarantor: &'a Guarantor,
    loan: &'a Loan,
    share: f64,
    schedules: &'a HashMap<&'a str, Vec<Payment>>,
    new_schedule: &'a [Payment],
    first: i64,
}

impl Ctx<'_> {
    /// The guarantor's part of the annuities due in `year` on its existing guarantees
    /// that `rule` covers, optionally only those to one debtor.
    fn existing(&self, year: i32, rule: RuleId, siren: Option<&str>) -> i64 {
        let kind = self.guarantor.kind;
        self.register
            .guarantees
            .iter()
            .filter(|g| g.guarantor == *self.guarantor)
            .filter_map(|g| Some((g, self.register.loan(&g.loan)?)))
            .filter(|(_, l)| siren.is_none_or(|s| l.beneficiary.siren == s))
            .filter(|(_, l)| self.rules.exemption(kind, l, rule).is_none())
            .map(|(g, l)| part(g.share, schedule::due_in(&self.schedules[l.id.as_str()], year)))
            .sum()
    }

    fn new_part(&self, year: i32, vote: bool) -> i64 {
        if vote { part(self.share, self.first) } else { part(self.share, schedule::due_in(self.new_schedule, year)) }
    }

    fn year(&self, year: i32, vote: bool) -> Result<YearCheck, GuaranteeError> {
        let kind = self.guarantor.kind;
        let fin = match self.register.finance(self.guarantor, year) {
            Some(f) => f,
            None if vote => {
                return Err(GuaranteeError::MissingRevenue { guarantor: self.guarantor.to_string(), year });
            }
            None => self
                .register
                .finance_at_most(self.guarantor, year)
                .ok_or_else(|| GuaranteeError::MissingRevenue { guarantor: self.guarantor.to_string(), year })?,
        };
        let finances_from = (fin.year != year).then_some(fin.year);
        let r = &self.rules.rules;
        let provisions = (fin.provisions as f64 * r.annuities.provisions_multiplier).round() as i64;
        let ceiling = (fin.revenue as f64 * r.annuities.ceiling).round() as i64;
        let new_label =
            if vote { "première annuité entière du nouvel emprunt" } else { "annuités du nouvel emprunt" };

        let mut outcomes = Vec::new();
        // Rule 1.
        let exemption = self.rules.exemption(kind, self.loan, RuleId::Annuities);
        let guaranteed = self.existing(year, RuleId::Annuities, None);
        let new = if exemption.is_some() { 0 } else { self.new_part(year, vote) };
        let value = guaranteed + new + fin.own_annuities - provisions;
        outcomes.push(self.money(
            RuleId::Annuities,
            value,
            ceiling,
            exemption,
            format!(
                "annuités garanties échues en {year} {} € + {new_label} {} € + annuités de la dette propre {} € − provisions {} € ; plafond {} % des recettes réelles de fonctionnement ({} €)",
                euros(guaranteed), euros(new), euros(fin.own_annuities), euros(provisions),
                r.annuities.ceiling * 100.0, euros(fin.revenue)
            ),
        ));
        // Rule 2.
        let exemption = self.rules.exemption(kind, self.loan, RuleId::Debtor);
        let to_debtor = self.existing(year, RuleId::Debtor, Some(&self.loan.beneficiary.siren));
        let new = if exemption.is_some() { 0 } else { self.new_part(year, vote) };
        let room = ceiling - fin.own_annuities + provisions;
        let limit = (room.max(0) as f64 * r.debtor.ceiling).round() as i64;
        outcomes.push(self.money(
            RuleId::Debtor,
            to_debtor + new,
            limit,
            exemption,
            format!(
                "annuités garanties à {} (SIREN {}) {} € + {new_label} {} € ; plafond {} % du montant susceptible d'être garanti ({} €)",
                self.loan.beneficiary.name, self.loan.beneficiary.siren, euros(to_debtor), euros(new),
                r.debtor.ceiling * 100.0, euros(room.max(0))
            ),
        ));
        // Rule 3.
        let exemption = self.rules.exemption(kind, self.loan, RuleId::Share);
        let others: f64 = match &self.loan.id {
            id if self.register.loan(id).is_some() => {
                self.register.guarantees.iter().filter(|g| g.loan == *id).map(|g| g.share).sum()
            }
            _ => 0.0,
        };
        let development = self.loan.beneficiary.category == Category::Development;
        let ceiling_share = if development { r.share.development_ceiling } else { r.share.ceiling };
        let mut article = self.rules.article(kind, RuleId::Share);
        if development {
            article = format!("{article} ; {}", r.share.development_article);
        }
        let value = (others + self.share) * 100.0;
        let limit = ceiling_share * 100.0;
        let margin = round6(limit - value);
        outcomes.push(RuleOutcome {
            rule: RuleId::Share,
            label: self.rules.label(RuleId::Share).to_string(),
            article,
            unit: "%".into(),
            value: round6(value),
            limit,
            margin,
            relative_margin: margin / limit,
            holds: exemption.is_some() || margin >= 0.0,
            exemption,
            detail: format!(
                "quotité proposée {} % + quotités déjà garanties par des collectivités sur cet emprunt {} % ; plafond {} %",
                round6(self.share * 100.0), round6(others * 100.0), limit
            ),
        });
        let holds = outcomes.iter().all(|o| o.holds);
        let first_to_break = outcomes
            .iter()
            .filter(|o| o.exemption.is_none())
            .min_by(|a, b| a.relative_margin.total_cmp(&b.relative_margin))
            .map(|o| o.rule);
        Ok(YearCheck { year, finances_from, outcomes, holds, first_to_break })
    }

    fn money(
        &self,
        rule: RuleId,
        value: i64,
        limit: i64,
        exemption: Option<AppliedExemption>,
        detail: String,
    ) -> RuleOutcome {
        let margin = limit - value;
        RuleOutcome {
            rule,
            label: self.rules.label(rule).to_string(),
            article: self.rules.article(self.guarantor.kind, rule),
            unit: "€".into(),
            value: euros(value),
            limit: euros(limit),
            margin: euros(margin),
            relative_margin: if limit > 0 {
                margin as f64 / limit as f64
            } else if margin >= 0 {
                0.0
            } else {
                -1.0
            },
            holds: exemption.is_some() || margin >= 0,
            exemption,
            detail,
        }
    }
}

/// Shares in percent, free of binary noise (6 decimals).
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}
