//! Stress test: a beneficiary stops paying; each guarantor pays its share of every
//! payment falling due after the default, year by year.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::check::part;
use crate::date::Date;
use crate::exposure::ExposureIndex;
use crate::register::{Guarantor, Register};
use crate::{GuaranteeError, euros};

/// What one guarantor pays.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct GuarantorCall {
    /// The guarantor.
    pub guarantor: String,
    /// Its name.
    pub name: String,
    /// Amount called per year (euros), in the order of [`Stress::years`].
    pub per_year: Vec<f64>,
    /// Total called (euros).
    pub total: f64,
    /// The first year's call over its real operating revenue of that year (percent), where known.
    pub first_year_over_revenue: Option<f64>,
}

/// The stress test's answer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Stress {
    /// The beneficiary's SIREN.
    pub siren: String,
    /// Its name.
    pub beneficiary: String,
    /// The default's date: payments due after it are called.
    #[schema(value_type = String)]
    pub default_date: Date,
    /// The years with a call.
    pub years: Vec<i32>,
    /// Each guarantor.
    pub guarantors: Vec<GuarantorCall>,
    /// All guarantors together, per year (euros).
    pub total_per_year: Vec<f64>,
}

/// The stress test of beneficiary `siren` defaulting on `default_date`.
pub fn stress(
    register: &Register,
    index: &ExposureIndex<'_>,
    siren: &str,
    default_date: Date,
) -> Result<Stress, GuaranteeError> {
    let schedules = register.schedules();
    let loans: Vec<_> = register.loans.iter().filter(|l| l.beneficiary.siren == siren.trim()).collect();
    let Some(first) = loans.first() else {
        return Err(GuaranteeError::Usage(format!("aucun emprunt garanti au SIREN {}", crate::error::quote(siren))));
    };
    // guarantor -> year -> cents, each guarantee's yearly payments times its share.
    let mut calls: BTreeMap<&Guarantor, BTreeMap<i32, i64>> = BTreeMap::new();
    for loan in &loans {
        let mut due: BTreeMap<i32, i64> = BTreeMap::new();
        for p in schedules[loan.id.as_str()].iter().filter(|p| p.due > default_date) {
            *due.entry(p.due.year).or_default() += p.annuity();
        }
        for g in register.guarantees.iter().filter(|g| g.loan == loan.id) {
            let c = calls.entry(&g.guarantor).or_default();
            for (&y, &amount) in &due {
                *c.entry(y).or_default() += part(g.share, amount);
            }
        }
    }
    let mut years: Vec<i32> = calls.values().flat_map(|c| c.keys().copied()).collect();
    years.sort_unstable();
    years.dedup();
    let guarantors: Vec<GuarantorCall> = calls
        .iter()
        .map(|(g, c)| {
            let per_year: Vec<i64> = years.iter().map(|y| c.get(y).copied().unwrap_or(0)).collect();
            let first_year = years.first().copied();
            let over = first_year.and_then(|y| {
                let f = register.finance(g, y).or_else(|| register.finance_at_most(g, y))?;
                (f.revenue > 0).then(|| (per_year[0] as f64 / f.revenue as f64 * 10_000.0).round() / 100.0)
            });
            GuarantorCall {
                guarantor: g.to_string(),
                name: index.name(g),
                total: euros(per_year.iter().sum()),
                per_year: per_year.into_iter().map(euros).collect(),
                first_year_over_revenue: over,
            }
        })
        .collect();
    let total_per_year =
        years.iter().map(|y| euros(calls.values().map(|c| c.get(y).copied().unwrap_or(0)).sum())).collect();
    Ok(Stress {
        siren: first.beneficiary.siren.clone(),
        beneficiary: first.beneficiary.name.clone(),
        default_date,
        years,
        guarantors,
        total_per_year,
    })
}
