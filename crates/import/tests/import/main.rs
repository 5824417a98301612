//! The integration tests of echelle-import, one binary (one link of the crate's dependencies).

mod bad_input;
mod common;
mod fetch;
mod kill;
mod roundtrip;
