//! Mobility: commuting between territories, energy vulnerability from car
//! commuting, telework scenarios (issue 5).
//!
//! ```text
//!  flow dataset (FD_MOBPRO detailed or flows base, Parquet in the store)
//!     └─> Flows: exact sums per (home commune, work commune, mode, group)
//!           ├─> matrix between any zones (layer, perimeters, rest of a frame), secrecy applied
//!           ├─> summary of a territory (balances, rates, main destinations and origins)
//!           ├─> inflows into a territory from another (METHODS.md §1, the MEL question)
//!           ├─> distances (straight line × detour factor), km per day, CO2 per year
//!           ├─> vulnerability: fuel spending of car commuting vs household income (Filosofi)
//!           └─> telework scenarios: km, CO2, money and vulnerable households avoided
//! ```
//!
//! Every function takes the referential (and flows loaded from the store) and returns
//! a plain `serde::Serialize` struct that states its unit, parameters and provenance
//! (with the SYNTHETIC flag when the data was generated).

pub mod distance;
mod error;
pub mod flows;
pub mod matrix;
pub mod telework;
pub mod vulnerability;
pub mod zones;

pub use distance::{DistanceParams, DistanceReport, Positions};
pub use error::MobilityError;
pub use flows::{Flow, Flows, Provenance};
pub use matrix::{By, Inflows, Matrix, Secrecy, Summary, inflows, matrix, summary};
pub use zones::{ZoneInfo, ZoneKind, Zones};

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
