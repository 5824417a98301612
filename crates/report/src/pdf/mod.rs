//! PDF documents through krilla, in DejaVu Sans embedded (and subset), so that every
//! character prints: ≥, −, ², ₂, œ as well as accents.
//!
//! ```text
//!  portrait::render ──> Sheet (operations laid out in points) ──> canvas::document (krilla)
//!        ├─ locator::draw (territory within its département or région)
//!        └─ chart::draw   (a few rates, territory against references)
//! ```

pub(crate) mod canvas;
pub mod chart;
pub(crate) mod font;
pub mod locator;
pub mod portrait;
pub mod tables;

pub use locator::Locator;
pub use portrait::{Portrait, render};
