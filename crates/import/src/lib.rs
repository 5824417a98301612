//! Importers for the files INSEE publishes, as it publishes them.
//!
//! ```text
//!  file ─> sniff (encoding, separator, BOM, binary?) ─> rows with line numbers
//!          (a CSV file in blocks on every core, taken back in file order: `chunked`)
//!       ─> plan (format recognised by its header, column types)
//!       ─> check every field (codes against the reference pack, exact decimals)
//!       ─> Parquet written aside ─> one catalog transaction (store::DatasetImport)
//! ```
//!
//! A bad line stops the import with its file, line and column, or, on request, is
//! set aside in a rejects file. The store changes only at the commit, so a failed
//! or killed import leaves it exactly as it was.
//!
//! Also here: `fetch` (official files by name, from a catalog of addresses kept as
//! data) and `synth` (synthetic data in the same formats, always labelled so).

pub(crate) mod chunked;
pub(crate) mod codes;
pub mod decimal;
pub mod error;
pub mod fetch;
pub(crate) mod formats;
pub mod geography;
pub mod import;
pub mod pipeline;
pub(crate) mod plan;
pub(crate) mod sniff;
pub(crate) mod source;
pub mod synth;

pub use error::{ImportError, Position};
pub use formats::Format;
pub use import::{ImportReport, ImportRequest, Prepared, prepare};
pub use pipeline::{OnError, Options};
pub use sniff::Encoding;
