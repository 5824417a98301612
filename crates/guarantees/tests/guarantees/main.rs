//! The guarantees study on hand-computed fixtures (issue 16's checks).

mod fixture;
mod import;
mod ratios;
mod schedules;
mod territory;
