//! Large retail (issue 15, METHODS.md §7): shops over 300 m² of sales area, their
//! projects and authorisations, their weight and their dynamics.
//!
//! ```text
//!  partners' files (CSV / XLSX) + mapping TOML ─> import::read (every row checked;
//!     │     categories guessed from name-suggestion-index's shop=* tags, marked)
//!     └─> store::save (one Parquet dataset, atomic) ─> store::load ─> Register
//!           ├─> inventory: each establishment's state at any date, from its observations
//!           ├─> indicators::Observatory: shops and floor space by band, category and family,
//!           │     density against references, change between dates, away from centres
//!           └─> projects: where each application stands, authorised not opened, approval rates
//! ```
//!
//! The observatory's thresholds, bands, categories and exclusions are data
//! (`data/retail/rules.toml`); every answer carries the rules' text and the inventory's
//! provenance (SYNTHÉTIQUE for generated data).
//!
//! ```
//! use echelle_retail::{Date, Rules};
//! let rules = Rules::shipped();
//! assert_eq!(rules.band(1_200.0).map(|b| b.key.as_str()), Some("1000-2499"));
//! assert!(rules.band(250.0).is_none()); // under the observation threshold
//! assert_eq!(Date::parse("01/01/2010"), Date::new(2010, 1, 1));
//! ```

pub mod brands;
mod date;
mod error;
pub mod import;
pub mod indicators;
pub mod inventory;
pub mod projects;
pub mod register;
pub mod rules;
pub mod store;
pub mod study;
pub mod synth;
mod table;
pub mod tables;

pub use brands::Brands;
pub use date::Date;
pub use error::{Problem, RetailError};
pub use indicators::{Change, Figure, Inventory, Observatory, Reference, ShopPoint};
pub use projects::{Approval, CountArea, Decision, ProjectState, ProjectSummary};
pub use register::{Event, EventKind, Nature, Observation, Project, Register};
pub use rules::Rules;
