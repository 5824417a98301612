//! Mobility: commuting between territories, energy vulnerability from car
//! commuting, telework scenarios (issue 5).
//!
//! ```text
//!  flow dataset (FD_MOBPRO detailed or flows base, Parquet in the store)
//!     └─> Flows: exact sums per (home commune, work commune, mode, group)
//!           ├─> matrix between any zones (layer, perimeters, rest of a frame), secrecy applied
//!           ├─> summary of a territory (balances, rates, main destinations and origins)
//!           ├─> inflows into a territory from another (METHODS.md §1, the MEL question)
//!           ├─> distances (road network of the access engine where given, else straight line × detour), km per day, CO2 per year
//!           ├─> vulnerability: fuel spending of car commuting vs household income (Filosofi)
//!           ├─> telework scenarios: km, CO2, money and vulnerable households avoided
//!           └─> third places: demand and candidates of a siting study (echelle_siting)
//! ```
//!
//! Every function takes the referential (and flows loaded from the store) and returns
//! a plain `serde::Serialize` struct that states its unit, parameters and provenance
//! (`echelle_store::Provenance`, « SYNTHÉTIQUE » when the data was generated), every
//! count of people under statistical secrecy ([`secrecy`]): consumers print what they get.
//!
//! For a server: load once, answer many times.
//!
//! ```text
//! let flows = Flows::load(&store, &r, None)?;                 // or Some("dataset id")
//! let zones = Zones::layer(&r, Layer::Epci, Some(&reg32))?;   // or Zones::of(&r, &[mel, bassin], frame)
//! matrix::matrix(&flows, &zones, By::Mode, Secrecy::default())?      -> Matrix
//! matrix::summary(&flows, &r, &t, Layer::Commune, 10, Secrecy::default())? -> Summary
//! matrix::inflows(&flows, &r, &mel, &bassin, Secrecy::default())? -> Inflows (METHODS.md §1)
//! let pos = Positions::from_store(&store, &r)?;
//! distance::distances(&flows, &r, &pos, Some(&t), &DistanceParams::default(), Secrecy::default())? -> DistanceReport
//! map::flow_map(&flows, &zones, "epci", None, &pos, &MapParams::default())? -> FlowMap (lines of a layer)
//! distance::flow_lines(&flows, &r, &pos, &t, &params, Secrecy::default())?     -> Vec<FlowLine> (maps)
//! let incomes = vulnerability::Incomes::load(&store, &r, None)?;
//! vulnerability::vulnerability_many(&flows, &incomes, &r, &pos, &list, &FuelParams::default())?
//! vulnerability::price_scenarios(…, 0.3)?                     -> fuel +30 %
//! telework::compare(&flows, Some(&incomes), &r, &pos, &t, &[TeleworkParams { days: 2.0, take_up: 0.5, .. }])?
//! ```
//!
//! Every parameter struct has a `validate()` whose error [`MobilityError::is_user_error`]
//! (a 4xx for a server, exit status 2 for the CLI).

pub mod distance;
mod error;
pub mod flows;
pub mod map;
pub mod matrix;
pub mod road;
pub mod secrecy;
pub mod sites;
pub mod telework;
pub mod third_places;
pub mod vulnerability;
pub mod zones;

pub use distance::{DistanceParams, DistanceReport, Positions};
pub use echelle_store::Provenance;
pub use error::MobilityError;
pub use flows::{Flow, Flows};
pub use map::{FlowMap, MapParams, flow_map};
pub use matrix::{By, Inflows, Matrix, Summary, inflows, matrix, summary};
pub use secrecy::{Count, Secrecy};
pub use zones::{ZoneInfo, ZoneKind, Zones};

#[cfg(test)]
mod differencing;
#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
