//! The one place that writes tables and documents, for the CLI's `--format` and the
//! server's exports alike.
//!
//! ```text
//!  libraries' figures ──> Table {title, source, columns, rows of Cell}
//!                            ├─> csv::write(Dialect::Plain | Dialect::Excel)
//!                            └─> (xlsx, parquet, geojson, gpkg, pdf)
//! ```
//!
//! Every text cell goes through [`guard::cell_text`] first: a spreadsheet never
//! evaluates a name such as `=HYPERLINK(…)` as a formula.

pub mod csv;
pub mod guard;
pub mod table;

pub use table::{Cell, Table, TableBody, file_name, number};

/// A table that cannot be written as asked: the caller's fault (HTTP 400, exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{0}")]
    Invalid(String),
    #[error("writing {format}: {message}")]
    Write { format: &'static str, message: String },
}

impl ReportError {
    /// Whether the request is at fault (rather than the machine).
    pub fn is_user_error(&self) -> bool {
        matches!(self, ReportError::Invalid(_))
    }
}
