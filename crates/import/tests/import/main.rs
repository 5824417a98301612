//! The integration tests of echelle-import, one binary (one link of the crate's dependencies).

mod common;
mod bad_input;
mod fetch;
mod kill;
mod roundtrip;
