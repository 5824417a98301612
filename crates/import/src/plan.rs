//! What each column of an input file becomes in the store: text, a commune code
//! (checked, and moved onto the current geography in a `<NAME>_CUR` column), an
//! exact decimal, a float or an integer.
//!
//! Column names are upper-cased: INSEE's recent files use lower-case names for the
//! same variables as the older upper-case ones, and one schema serves both.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::codes::CodeRole;
use crate::decimal::{PRECISION, SCALE};
use crate::error::{ImportError, Position};
use crate::source::RowSource;

/// The type of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Code(CodeRole),
    /// An exact decimal (weights, flows): `Decimal128(38, 15)`.
    Decimal,
    /// A measure that is not summed exactly (medians, rates, coordinates); INSEE's
    /// secrecy marks (`s`, `nd`, `ns`, `so`) and empty cells become null.
    Float,
    Int,
}

impl Kind {
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Text | Kind::Code(_) => DataType::Utf8,
            Kind::Decimal => DataType::Decimal128(PRECISION, SCALE),
            Kind::Float => DataType::Float64,
            Kind::Int => DataType::Int64,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Code(CodeRole::Commune) => "commune code",
            Kind::Code(CodeRole::CommuneOrAbroad) => "commune code or abroad (99xxx)",
            Kind::Code(CodeRole::ArmOrZ) => "arrondissement municipal or ZZZZZ",
            Kind::Decimal => "decimal (exact, 15 decimals)",
            Kind::Float => "number",
            Kind::Int => "whole number",
        }
    }

    /// Whether a code column gets a `_CUR` column on the current geography.
    pub fn moves(self) -> bool {
        matches!(self, Kind::Code(CodeRole::Commune | CodeRole::CommuneOrAbroad))
    }
}

/// One input column and what it becomes.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnPlan {
    /// Upper-cased header name.
    pub name: String,
    /// Index of the field in each row.
    pub index: usize,
    pub kind: Kind,
    /// Whether an empty value is an error.
    pub required: bool,
}

/// The columns of a file as the store will hold them.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub columns: Vec<ColumnPlan>,
    /// Extra computed columns (e.g. WGS84 coordinates), all Float64.
    pub derived: Vec<String>,
}

/// A column the format expects, by name.
#[derive(Debug, Clone)]
pub struct Expect {
    /// Upper-case name, or a prefix when it ends with `*` (`NBFLUX_C*`).
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// Whether the column must be in the header.
    pub mandatory: bool,
}

impl Expect {
    pub const fn must(name: &'static str, kind: Kind) -> Self {
        Expect { name, kind, required: true, mandatory: true }
    }

    pub const fn may(name: &'static str, kind: Kind) -> Self {
        Expect { name, kind, required: false, mandatory: false }
    }

    fn matches(&self, header: &str) -> bool {
        match self.name.strip_suffix('*') {
            Some(prefix) => header.starts_with(prefix),
            None => header == self.name,
        }
    }
}

impl Plan {
    /// Matches a header against what a format expects: expected columns get their
    /// kind, the others are kept as text. A mandatory column missing is an error at
    /// line 1 that lists the header as read (often the sign of a wrong separator).
    pub fn from_header(source: &dyn RowSource, expects: &[Expect], other: Kind) -> Result<Plan, ImportError> {
        let header = source.header();
        let mut columns = Vec::with_capacity(header.len());
        let mut seen = std::collections::HashSet::new();
        for (index, h) in header.iter().enumerate() {
            let name = h.to_ascii_uppercase();
            if !seen.insert(name.clone()) {
                return Err(ImportError::data(
                    Position::new(source.file(), 1, index as u64 + 1, Some(h)),
                    format!("column '{h}' appears twice in the header"),
                ));
            }
            let (kind, required) =
                expects.iter().find(|e| e.matches(&name)).map_or((other, false), |e| (e.kind, e.required));
            columns.push(ColumnPlan { name, index, kind, required });
        }
        for e in expects.iter().filter(|e| e.mandatory) {
            if !columns.iter().any(|c| e.matches(&c.name)) {
                let shown: Vec<&str> = header.iter().take(8).map(String::as_str).collect();
                return Err(ImportError::data(
                    Position::new(source.file(), 1, 1, None),
                    format!(
                        "no column '{}' in the header; read {} column(s): {}{}",
                        e.name.trim_end_matches('*'),
                        header.len(),
                        shown.join(" | "),
                        if header.len() > 8 { " | …" } else { "" }
                    ),
                ));
            }
        }
        Ok(Plan { columns, derived: Vec::new() })
    }

    /// The column of a given (upper-case) name.
    pub fn column(&self, name: &str) -> Option<&ColumnPlan> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The first column whose name starts with `prefix`.
    pub fn column_prefixed(&self, prefix: &str) -> Option<&ColumnPlan> {
        self.columns.iter().find(|c| c.name.starts_with(prefix))
    }

    /// The Arrow schema of the rows in the store.
    pub fn schema(&self) -> SchemaRef {
        let mut fields = Vec::new();
        for c in &self.columns {
            fields.push(Field::new(&c.name, c.kind.data_type(), true));
            if c.kind.moves() {
                fields.push(Field::new(cur_name(&c.name), DataType::Utf8, true));
            }
        }
        for d in &self.derived {
            fields.push(Field::new(d, DataType::Float64, true));
        }
        Arc::new(Schema::new(fields))
    }

    /// Lines for the user: each column and its type.
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for c in &self.columns {
            out.push((c.name.clone(), c.kind.label().to_string()));
            if c.kind.moves() {
                out.push((cur_name(&c.name), "commune actuelle of the reference pack".into()));
            }
        }
        out.extend(self.derived.iter().map(|d| (d.clone(), "number (computed)".to_string())));
        out
    }
}

/// The name of the current-geography column of a code column.
pub fn cur_name(name: &str) -> String {
    format!("{name}_CUR")
}

/// Whether a value is one of INSEE's marks for a secret or missing figure.
pub fn is_missing_mark(v: &str) -> bool {
    matches!(v.trim(), "" | "s" | "nd" | "ns" | "so" | "NA" | "N/A" | "." | "-")
}
