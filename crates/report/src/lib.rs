//! The one place that writes tables and documents, for the CLI's `--format` and the
//! server's exports alike.
//!
//! ```text
//!  libraries' figures ──> Table {title, source, columns, info, rows of Cell}
//!                            ├─> csv::write(Dialect::Plain | Dialect::Excel)
//!                            ├─> xlsx::write   (number formats by unit, "Sources" sheet)
//!                            └─> parquet::write
//!  shapes and values  ──> FeatureLayer ──> geojson::write, gpkg::write, postgis::statements (SQL)
//!  a portrait         ──> pdf::Portrait ──> pdf::render (locator map, bars, table)
//! ```
//!
//! Every CSV text cell goes through [`guard::cell_text`] first: a spreadsheet never
//! evaluates a name such as `=HYPERLINK(…)` as a formula. XLSX writes text as string
//! cells, which spreadsheets never evaluate either.

pub mod bundle;
pub mod csv;
pub mod date;
pub mod french;
pub mod geojson;
pub mod gpkg;
pub mod guard;
pub mod layer;
pub mod parquet;
pub mod pdf;
pub mod points;
pub mod postgis;
pub mod table;
pub mod xlsx;

pub use date::Date;
pub use french::french;
pub use table::{Cell, ColumnInfo, SECRET_MARK, Table, TableBody, file_name, number, write_number};

/// A table that cannot be written as asked: the caller's fault (HTTP 400, exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The request is at fault (too many rows, ragged rows, a bad column…).
    #[error("{0}")]
    Invalid(String),
    /// The writer failed.
    #[error("writing {format}: {message}")]
    Write {
        /// The format being written (`xlsx`, `parquet`…).
        format: &'static str,
        /// What the writer said.
        message: String,
    },
}

impl ReportError {
    /// Whether the request is at fault (rather than the machine).
    pub fn is_user_error(&self) -> bool {
        matches!(self, ReportError::Invalid(_))
    }
}
