//! The territories of France at every scale.
//!
//! Everything in echelle is observed on communes and summed up to larger territories:
//! the official layers of INSEE's geography (EPCI, arrondissement, département, région,
//! France) and the study perimeters analysts draw themselves. This crate holds those
//! territories in memory, answers "which communes make up this territory", resolves
//! codes and names typed by people, and evaluates perimeter definitions.
//!
//! ```text
//!  IRIS ─┐
//!        ├─> commune ─┬─> EPCI ───────────┐
//!        │            ├─> arrondissement ─┼─> département ─> région ─> France
//!        │            └─> perimeter (any set of communes, may overlap)
//! ```
//!
//! It has no I/O of its own: the store crate loads it from the reference pack. Its
//! [`crs`] module converts the coordinate systems French files come in to WGS84.

pub mod crs;
mod error;
mod fold;
pub mod geodesy;
mod layer;
pub mod perimeter;
pub mod referential;
mod search;
mod territory;

pub use error::Error;
pub use fold::fold;
pub use layer::Layer;
pub use perimeter::{PerimeterDef, PerimeterStatus};
pub use referential::{Commune, Iris, Perimeter, Referential, SubCommune, SubCommuneKind, Unit};
pub use search::Match;
pub use territory::TerritoryRef;

/// The longest text [`Referential::resolve`] and [`Referential::find`] look up (a key,
/// a code or a name) and the longest name of a perimeter, in characters. The longest
/// official name, an EPCI's, has about 70; fuzzy matching costs grow with the length.
pub const MAX_NAME_CHARS: usize = 200;

#[cfg(test)]
mod fixture;
#[cfg(test)]
mod tests;
