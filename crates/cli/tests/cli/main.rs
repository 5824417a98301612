//! The integration tests of echelle-cli, one binary (one link of the crate's dependencies).

mod access_cli;
mod access_csv;
mod cli;
mod flows_parity;
mod import_cli;
mod mobility_cli;
mod report_cli;
