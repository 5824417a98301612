//! Where to open the next sites (third places, services): the location models of
//! METHODS §5, solved exactly with a proof, or heuristically with a proven gap.
//!
//! ```text
//!  demand points, candidate sites, distances (sparse, radius-truncated)
//!        │
//!        ▼
//!  Instance ── one engine: p sites, each demand served by its cheapest open site,
//!        │     or at its fallback cost (unreachable / uncovered)
//!        ├── p-median  : cost = weight × distance, no fallback (radius-truncated: the
//!        │               pairs a good solution needs past the radius put back, far.rs)
//!        ├── MCLP      : cost = 0 within the service distance, fallback = weight
//!        ├── LSCP      : the smallest p whose MCLP optimum leaves nothing uncovered
//!        └── p-center  : the smallest distance whose LSCP needs at most p sites
//!        ▼
//!  swap local search (upper bound) + Benders cuts of the radius formulation in an
//!        LP master (lower bound), then the MIP master in HiGHS (proof, or the gap
//!        at the time limit)
//! ```
//!
//! The engine works on raw indices (demand `i`, candidate `j`); callers keep the
//! territories and points those indices stand for.

mod capacity;
mod cuts;
mod error;
mod far;
mod instance;
mod lagrangian;
mod master;
mod models;
mod reduce;
mod search;
mod solve;

pub use error::Error;
pub use instance::{Instance, Point, Truncation};
pub use models::{Model, Outcome, solve_model};
pub use solve::{Limits, Progress, Solution, TOLERANCE};

mod curve;
pub use curve::{CurvePoint, coverage_curve};
