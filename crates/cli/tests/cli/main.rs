//! The integration tests of echelle-cli, one binary (one link of the crate's dependencies).

mod access_cli;
mod access_csv;
mod accounts_cli;
mod cli;
mod flows_parity;
mod guarantees_cli;
mod import_cli;
mod mobility_cli;
mod publish_postgis;
mod report_cli;
mod retail_cli;
mod serve_postgres;
mod siting_cli;

use std::path::Path;
use std::process::Command;

/// Runs the `echelle` binary on `store`: exit code, stdout, stderr.
pub(crate) fn echelle(store: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_echelle")).arg("--store").arg(store).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}
