//! Exposure: what a guarantor, a territory or a beneficiary carries.
//!
//! A territory's exposure gathers the guarantees of every authority lying wholly
//! inside it (communes, EPCI, départements, régions whose communes are all members).
//! A loan guaranteed by several of them is one loan there: its outstanding capital is
//! counted once, and the guaranteed part is the sum of their shares (at most the loan).

use std::collections::{BTreeMap, HashMap};

use echelle_referential::{Referential, TerritoryRef};
use echelle_store::Provenance;
use serde::Serialize;

use crate::check::part;
use crate::date::Date;
use crate::register::{Category, Guarantor, Register};
use crate::rules::{RuleId, Rules};
use crate::schedule::{self, Payment};
use crate::{GuaranteeError, euros};

/// Exposure on one beneficiary category.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CategoryExposure {
    /// The category.
    pub category: Category,
    /// Its French label.
    pub label: String,
    /// Distinct loans.
    pub loans: usize,
    /// Outstanding capital guaranteed (euros).
    pub guaranteed_outstanding: f64,
}

/// What the guarantors inside a territory (or one guarantor) carry.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Exposure {
    /// The territory (`epci:200072460`) or guarantor.
    pub territory: String,
    /// Its name.
    pub name: String,
    /// Date of the outstanding capital.
    #[schema(value_type = String)]
    pub date: Date,
    /// Year of the annuities and revenue.
    pub year: i32,
    /// Guarantors counted (inside the territory, with at least one guarantee).
    pub guarantors: Vec<String>,
    /// Distinct loans guaranteed.
    pub loans: usize,
    /// Outstanding capital of those loans, each counted once (euros).
    pub loans_outstanding: f64,
    /// Outstanding capital guaranteed: each loan's outstanding times the guarantors' shares (euros).
    pub guaranteed_outstanding: f64,
    /// Of which outside the prudential ratios (exempted), euros.
    pub exempt_outstanding: f64,
    /// Population of the territory (reference pack).
    pub population: Option<u64>,
    /// Guaranteed outstanding per inhabitant (euros).
    pub per_inhabitant: Option<f64>,
    /// By beneficiary category.
    pub by_category: Vec<CategoryExposure>,
    /// Guaranteed annuities due in the year (euros).
    pub guaranteed_annuities: f64,
    /// Real operating revenue of the guarantors counted, where every one has it (euros).
    pub revenue: Option<f64>,
    /// Guaranteed annuities over revenue (percent).
    pub annuities_over_revenue: Option<f64>,
    /// Where the figures come from.
    pub provenance: Option<Provenance>,
}

/// One guarantor of a beneficiary.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BeneficiaryGuarantor {
    /// The guarantor.
    pub guarantor: String,
    /// Its name.
    pub name: String,
    /// Loans of the beneficiary it guarantees.
    pub loans: usize,
    /// Outstanding capital it guarantees (euros).
    pub guaranteed_outstanding: f64,
}

/// A beneficiary across all its guarantors.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BeneficiaryExposure {
    /// SIREN.
    pub siren: String,
    /// Name.
    pub name: String,
    /// Category.
    pub category: Category,
    /// Distinct loans.
    pub loans: usize,
    /// Outstanding capital of its guaranteed loans (euros).
    pub loans_outstanding: f64,
    /// Outstanding capital guaranteed by all its guarantors together (euros).
    pub guaranteed_outstanding: f64,
    /// Each guarantor.
    pub guarantors: Vec<BeneficiaryGuarantor>,
}

/// Loans, schedules and the guarantors' member communes, computed once for many territories.
pub struct ExposureIndex<'a> {
    register: &'a Register,
    rules: &'a Rules,
    r: &'a Referential,
    schedules: HashMap<&'a str, Vec<Payment>>,
    members: HashMap<Guarantor, Vec<u32>>,
}

impl<'a> ExposureIndex<'a> {
    /// Indexes the register; every guarantor must be known to the referential.
    pub fn new(register: &'a Register, rules: &'a Rules, r: &'a Referential) -> Result<Self, GuaranteeError> {
        let mut members = HashMap::new();
        for g in register.guarantors() {
            let m = r.members(&g.territory())?.into_owned();
            members.insert(g, m);
        }
        Ok(ExposureIndex { register, rules, r, schedules: register.schedules(), members })
    }

    /// The name of a guarantor, as the referential has it.
    pub fn name(&self, g: &Guarantor) -> String {
        self.r.name(&g.territory()).unwrap_or("?").to_string()
    }

    /// Exposure of one guarantor alone.
    pub fn guarantor(&self, g: &Guarantor, date: Date, year: i32) -> Exposure {
        let pop = self.members.get(g).map(|m| self.r.population_of(m));
        self.aggregate(&g.to_string(), &self.name(g), |x| x == g, pop, date, year)
    }

    /// Exposure of a territory: the guarantors lying wholly inside it.
    pub fn territory(&self, t: &TerritoryRef, date: Date, year: i32) -> Result<Exposure, GuaranteeError> {
        let inside = self.r.members(t)?;
        let name = self.r.name(t).unwrap_or("?").to_string();
        let within = |g: &Guarantor| {
            self.members.get(g).is_some_and(|m| !m.is_empty() && m.iter().all(|c| inside.binary_search(c).is_ok()))
        };
        Ok(self.aggregate(&t.to_string(), &name, within, Some(self.r.population_of(&inside)), date, year))
    }

    fn aggregate(
        &self,
        key: &str,
        name: &str,
        counted: impl Fn(&Guarantor) -> bool,
        population: Option<u64>,
        date: Date,
        year: i32,
    ) -> Exposure {
        // Shares of the counted guarantors, per loan.
        let mut per_loan: BTreeMap<&str, f64> = BTreeMap::new();
        let mut guarantors: Vec<&Guarantor> = Vec::new();
        let mut annuities = 0;
        for g in self.register.guarantees.iter().filter(|g| counted(&g.guarantor)) {
            *per_loan.entry(g.loan.as_str()).or_default() += g.share;
            guarantors.push(&g.guarantor);
            annuities += part(g.share, schedule::due_in(&self.schedules[g.loan.as_str()], year));
        }
        guarantors.sort();
        guarantors.dedup();
        let (mut outstanding, mut guaranteed, mut exempt) = (0i64, 0i64, 0i64);
        let mut cats: BTreeMap<Category, (usize, i64)> = BTreeMap::new();
        for (id, share) in &per_loan {
            let Some(loan) = self.register.loan(id) else { continue };
            let o = loan.outstanding(&self.schedules[*id], date);
            let gp = part(share.min(1.0), o);
            outstanding += o;
            guaranteed += gp;
            // Exempt from the annuities ceiling for the kind of its guarantors (the same
            // exemptions hold for every kind).
            let kind = self
                .register
                .guarantees
                .iter()
                .find(|g| g.loan == *id && counted(&g.guarantor))
                .map(|g| g.guarantor.kind)
                .expect("a loan counted has a guarantor counted");
            if self.rules.exemption(kind, loan, RuleId::Annuities).is_some() {
                exempt += gp;
            }
            let c = cats.entry(loan.beneficiary.category).or_default();
            c.0 += 1;
            c.1 += gp;
        }
        let revenue: Option<i64> = if guarantors.is_empty() {
            None
        } else {
            guarantors.iter().map(|g| self.register.finance(g, year).map(|f| f.revenue)).sum()
        };
        Exposure {
            territory: key.to_string(),
            name: name.to_string(),
            date,
            year,
            guarantors: guarantors.iter().map(|g| g.to_string()).collect(),
            loans: per_loan.len(),
            loans_outstanding: euros(outstanding),
            guaranteed_outstanding: euros(guaranteed),
            exempt_outstanding: euros(exempt),
            population,
            per_inhabitant: population
                .filter(|&p| p > 0)
                .map(|p| (euros(guaranteed) / p as f64 * 100.0).round() / 100.0),
            by_category: cats
                .into_iter()
                .map(|(c, (n, v))| CategoryExposure {
                    category: c,
                    label: c.label().to_string(),
                    loans: n,
                    guaranteed_outstanding: euros(v),
                })
                .collect(),
            guaranteed_annuities: euros(annuities),
            revenue: revenue.map(euros),
            annuities_over_revenue: revenue
                .filter(|&r| r > 0)
                .map(|r| (annuities as f64 / r as f64 * 100.0 * 100.0).round() / 100.0),
            provenance: None,
        }
    }

    /// Every beneficiary across its guarantors, largest guaranteed outstanding first.
    pub fn beneficiaries(&self, date: Date) -> Vec<BeneficiaryExposure> {
        let mut by: BTreeMap<&str, BeneficiaryExposure> = BTreeMap::new();
        let mut seen_loans: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for g in &self.register.guarantees {
            let Some(loan) = self.register.loan(&g.loan) else { continue };
            let o = loan.outstanding(&self.schedules[g.loan.as_str()], date);
            let b = by.entry(loan.beneficiary.siren.as_str()).or_insert_with(|| BeneficiaryExposure {
                siren: loan.beneficiary.siren.clone(),
                name: loan.beneficiary.name.clone(),
                category: loan.beneficiary.category,
                loans: 0,
                loans_outstanding: 0.0,
                guaranteed_outstanding: 0.0,
                guarantors: Vec::new(),
            });
            let seen = seen_loans.entry(loan.beneficiary.siren.as_str()).or_default();
            if !seen.contains(&loan.id.as_str()) {
                seen.push(&loan.id);
                b.loans += 1;
                b.loans_outstanding += euros(o);
            }
            let gp = euros(part(g.share, o));
            b.guaranteed_outstanding += gp;
            let key = g.guarantor.to_string();
            match b.guarantors.iter_mut().find(|x| x.guarantor == key) {
                Some(x) => {
                    x.loans += 1;
                    x.guaranteed_outstanding += gp;
                }
                None => b.guarantors.push(BeneficiaryGuarantor {
                    name: self.name(&g.guarantor),
                    guarantor: key,
                    loans: 1,
                    guaranteed_outstanding: gp,
                }),
            }
        }
        let mut list: Vec<BeneficiaryExposure> = by.into_values().collect();
        for b in &mut list {
            b.loans_outstanding = cents_round(b.loans_outstanding);
            b.guaranteed_outstanding = cents_round(b.guaranteed_outstanding);
            for g in &mut b.guarantors {
                g.guaranteed_outstanding = cents_round(g.guaranteed_outstanding);
            }
        }
        list.sort_by(|a, b| b.guaranteed_outstanding.total_cmp(&a.guaranteed_outstanding).then(a.siren.cmp(&b.siren)));
        list
    }
}

fn cents_round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
