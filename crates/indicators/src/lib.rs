//! Indicators: declared in TOML, evaluated for any territory over Arrow tables in memory.
//!
//! An indicator is never coded: its declaration says which dataset and columns it
//! reads and how values add up from communes (or IRIS) to any territory.
//!
//! ```text
//!  targets (territory key, its communes or IRIS) ─┐
//!                                                  ├─ join on unit ─> group by territory
//!  dataset (one row per commune or IRIS, Parquet) ─┘     ─> sums ─> ratios, coverage
//! ```
//!
//! A value is shown only when every member unit has data: a partial sum would be a
//! wrong number, so it becomes "missing" with the coverage said.

mod definition;
mod engine;
mod error;

pub use definition::{Aggregate, IndicatorDef, parse_catalog};
pub use engine::{Engine, EngineSource, Evaluation, Target, Value};
pub use error::IndicatorError;

/// The indicators shipped with echelle.
pub const SHIPPED_INDICATORS: (&str, &str) = ("data/indicators.toml", include_str!("../../../data/indicators.toml"));
