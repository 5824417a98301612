//! Local authorities' loan guarantees (issue 16, METHODS.md §8).
//!
//! ```text
//!  partners' file (CSV / XLSX) + mapping TOML ─> import::read_register (every line checked)
//!     └─> store::save (one Parquet dataset, atomic) ─> store::load ─> Register
//!           ├─> schedule: constant annuity / constant amortisation, yearly or quarterly, to the cent
//!           ├─> check::check: a proposal against the three rules (rules.toml: ceilings,
//!           │     exemptions, articles), in the vote's year and over the next years
//!           ├─> exposure: per guarantor, per territory (a shared loan counted once), per beneficiary
//!           └─> stress::stress: a beneficiary defaults, what each guarantor pays per year
//! ```
//!
//! The law's figures are data (`data/guarantees/rules.toml`); every rule outcome cites
//! its articles and every exemption applied its legal basis.
//!
//! ```
//! use echelle_guarantees::{Date, Frequency, LoanTerms, Profile, RateKind, schedule};
//! let terms = LoanTerms {
//!     amount: 10_000_000, // 100 000,00 €
//!     start: Date::new(2025, 1, 1).unwrap(),
//!     years: 3,
//!     frequency: Frequency::Yearly,
//!     rate_micro: 40_000, // 4 %
//!     rate_kind: RateKind::Fixed,
//!     profile: Profile::ConstantAnnuity,
//! };
//! let s = schedule::schedule(&terms);
//! assert_eq!(s[0].annuity(), 3_603_485); // 36 034,85 €
//! ```

pub mod check;
mod date;
mod error;
pub mod exposure;
pub mod import;
pub mod register;
pub mod rules;
pub mod schedule;
pub mod store;
pub mod stress;
pub mod study;
pub mod synth;
pub mod tables;

pub use check::{Check, Proposal, RuleOutcome, YearCheck, check};
pub use date::Date;
pub use error::{GuaranteeError, Problem};
pub use exposure::{BeneficiaryExposure, Exposure, ExposureIndex};
pub use register::{
    AuthorityKind, Beneficiary, Category, Finance, Frequency, Guarantee, Guarantor, Loan, LoanTerms, Profile, RateKind,
    Register,
};
pub use rules::{AppliedExemption, RuleId, Rules};
pub use stress::{Stress, stress};

/// Cents to euros, for outputs.
pub fn euros(cents: i64) -> f64 {
    cents as f64 / 100.0
}
