//! The integration tests of echelle-cli, one binary (one link of the crate's dependencies).

mod access_cli;
mod cli;
mod import_cli;
mod mobility_cli;
mod report_cli;
