//! A table posted by the web application, checked once for every table format.

use serde::Deserialize;
use serde_json::Value;

use crate::ReportError;

/// Rows above which a table export is refused.
pub const MAX_ROWS: usize = 200_000;
/// Columns above which a table export is refused: XLSX's own limit.
pub const MAX_COLUMNS: usize = 16_384;
/// Largest request body accepted by `POST /api/export/table`.
pub const MAX_BODY: usize = 20 * 1024 * 1024;

/// What a table shows in place of a figure withheld by statistical secrecy.
pub const SECRET_MARK: &str = "secret";

/// One cell: text, a number or nothing.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text, guarded against formula injection when written.
    Text(String),
    /// A number, written as a number (formatted by the column's unit in XLSX).
    Number(f64),
    /// Nothing: a missing or secret value.
    Empty,
}

/// What is known of a column beyond its name: its unit, the decimals its values are
/// shown with, and where they come from. Drives XLSX number formats and the "Sources" sheet.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct ColumnInfo {
    /// The unit (`%`, `€`…): picks the XLSX number format.
    pub unit: Option<String>,
    /// Decimals shown.
    pub decimals: Option<u8>,
    /// Where the values come from, listed in the "Sources" sheet.
    pub source: Option<String>,
    /// Their millésime.
    pub vintage: Option<String>,
}

impl ColumnInfo {
    /// Whether nothing is known of the column.
    pub fn is_empty(&self) -> bool {
        *self == ColumnInfo::default()
    }
}

/// A column as posted: its name alone, or its name with a [`ColumnInfo`].
#[derive(Deserialize)]
#[serde(untagged)]
pub enum ColumnBody {
    /// Just the name.
    Name(String),
    /// The name with what is known of the column.
    Described {
        /// The column's name.
        name: String,
        /// Its unit, decimals and source.
        #[serde(flatten)]
        info: ColumnInfo,
    },
}

/// The body of `POST /api/export/table`: title, source line, columns (names, or objects
/// `{name, unit, decimals, source, vintage}`) and rows of strings, numbers or nulls.
#[derive(Deserialize)]
pub struct TableBody {
    /// The table's title (the file's name and the sheet's heading).
    #[serde(default)]
    pub title: String,
    /// The source line printed under it.
    #[serde(default)]
    pub source: String,
    /// The columns, in order.
    pub columns: Vec<ColumnBody>,
    /// The rows: strings, numbers or null.
    pub rows: Vec<Vec<Value>>,
}

/// A rectangular table with its title and source line.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The table's title.
    pub title: String,
    /// The source line.
    pub source: String,
    /// The column names.
    pub columns: Vec<String>,
    /// One per column, or empty when nothing is known of any column.
    pub info: Vec<ColumnInfo>,
    /// The rows, as many cells as columns.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Checks the body: at least one column and at most [`MAX_COLUMNS`], no ragged row, at most [`MAX_ROWS`] rows,
    /// cells that are strings, numbers or null.
    pub fn from_body(body: TableBody) -> Result<Table, ReportError> {
        let bad = |m: String| Err(ReportError::Invalid(m));
        if body.columns.is_empty() {
            return bad("a table needs at least one column".into());
        }
        if body.columns.len() > MAX_COLUMNS {
            return bad(format!("{} columns: a table export has at most {MAX_COLUMNS} columns", body.columns.len()));
        }
        if body.rows.len() > MAX_ROWS {
            return bad(format!("{} rows: a table export has at most {MAX_ROWS} rows", body.rows.len()));
        }
        let mut rows = Vec::with_capacity(body.rows.len());
        for (i, row) in body.rows.into_iter().enumerate() {
            if row.len() != body.columns.len() {
                return bad(format!(
                    "row {} has {} cells but there are {} columns (ragged rows are refused)",
                    i + 1,
                    row.len(),
                    body.columns.len()
                ));
            }
            let mut cells = Vec::with_capacity(row.len());
            for (j, v) in row.into_iter().enumerate() {
                cells.push(match v {
                    Value::Null => Cell::Empty,
                    Value::String(s) => Cell::Text(s),
                    Value::Number(n) => match n.as_f64() {
                        Some(x) if x.is_finite() => Cell::Number(x),
                        _ => return bad(format!("row {}, column {}: number out of range", i + 1, j + 1)),
                    },
                    other => {
                        return bad(format!(
                            "row {}, column {}: a cell is a string, a number or null, not {other}",
                            i + 1,
                            j + 1
                        ));
                    }
                });
            }
            rows.push(cells);
        }
        let (columns, info): (Vec<String>, Vec<ColumnInfo>) = body
            .columns
            .into_iter()
            .map(|c| match c {
                ColumnBody::Name(name) => (name, ColumnInfo::default()),
                ColumnBody::Described { name, info } => (name, info),
            })
            .unzip();
        let info = if info.iter().all(ColumnInfo::is_empty) { Vec::new() } else { info };
        Ok(Table { title: body.title, source: body.source, columns, info, rows })
    }

    /// What is known of column `j` (nothing when the table carries no column info).
    pub fn column_info(&self, j: usize) -> Option<&ColumnInfo> {
        self.info.get(j).filter(|i| !i.is_empty())
    }

    /// The source line written at the end of CSV and XLSX files.
    pub fn source_line(&self) -> Option<String> {
        let s = self.source.trim();
        (!s.is_empty()).then(|| format!("Source : {s}"))
    }
}

/// A file name from a title: ASCII letters, digits, '-' and '_', accents folded.
pub fn file_name(title: &str, extension: &str) -> String {
    let mut name = String::new();
    for c in echelle_referential::fold(title).chars() {
        if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            name.push(c);
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
        if name.len() >= 80 {
            break;
        }
    }
    let name = name.trim_end_matches('_');
    format!("{}.{extension}", if name.is_empty() { "export" } else { name })
}

/// Numbers as written in CSV and XLSX: shortest exact form, no exponent for usual sizes.
pub fn number(x: f64) -> String {
    let mut out = Vec::with_capacity(24);
    write_number(&mut out, x);
    String::from_utf8(out).expect("digits are ASCII")
}

/// [`number`] appended to `out`, without an allocation: a commune matrix of France
/// streams 3.3 million of them.
pub fn write_number(out: &mut Vec<u8>, x: f64) {
    use std::io::Write as _;
    if x == x.trunc() && x.abs() < 1e15 {
        let _ = write!(out, "{}", x as i64);
        return;
    }
    // ryu gives the shortest digits as `Display` does (a tie may round the other
    // way), but writes an exponent outside 1e-5..1e16, where `Display` writes every digit.
    let mut buffer = ryu::Buffer::new();
    let s = buffer.format(x);
    if x.is_finite() && !s.contains('e') {
        out.extend_from_slice(s.strip_suffix(".0").unwrap_or(s).as_bytes());
    } else {
        let _ = write!(out, "{x}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        #[test]
        fn numbers_are_written_as_display_writes_them(
            bits in any::<u64>(),
            small in -1e7f64..1e7,
            scale in -20i32..20,
        ) {
            // The same digits, but for a value halfway between two shortest forms,
            // which `Display` and ryu may round either way (both read back the same).
            for x in [f64::from_bits(bits), small, small * 10f64.powi(scale), small.round()] {
                let (got, display) = (number(x), format!("{x}"));
                if x == x.trunc() && x.abs() < 1e15 {
                    prop_assert_eq!(&got, &format!("{}", x as i64));
                } else if x.is_finite() {
                    prop_assert_eq!(got.parse::<f64>().unwrap(), x);
                    prop_assert_eq!(got.len(), display.len());
                    prop_assert!(!got.contains('e'));
                } else {
                    prop_assert_eq!(got, display);
                }
            }
        }
    }

    #[test]
    fn columns_as_names_or_described() {
        let body: TableBody = serde_json::from_value(serde_json::json!({
            "columns": ["Territoire", { "name": "Part (%)", "unit": "%", "decimals": 1, "source": "Insee", "vintage": "2021" }],
            "rows": [["Lens", 12.5]]
        }))
        .unwrap();
        let t = Table::from_body(body).unwrap();
        assert_eq!(t.columns, ["Territoire", "Part (%)"]);
        assert_eq!(t.column_info(0), None);
        assert_eq!(t.column_info(1).unwrap().decimals, Some(1));
        let plain: TableBody = serde_json::from_value(serde_json::json!({ "columns": ["a"], "rows": [] })).unwrap();
        assert!(Table::from_body(plain).unwrap().info.is_empty());
        let nameless =
            serde_json::from_value::<TableBody>(serde_json::json!({ "columns": [{ "unit": "%" }], "rows": [] }));
        assert!(nameless.is_err(), "a described column has a name");
    }

    #[test]
    fn more_columns_or_rows_than_allowed_are_the_callers_fault() {
        let body = |columns: usize, rows: usize| TableBody {
            title: String::new(),
            source: String::new(),
            columns: (0..columns).map(|_| ColumnBody::Name("x".into())).collect(),
            rows: vec![vec![Value::Null; columns]; rows],
        };
        let e = Table::from_body(body(MAX_COLUMNS + 1, 0)).unwrap_err();
        assert!(e.is_user_error() && e.to_string().contains("at most 16384 columns"), "{e}");
        let e = Table::from_body(body(1, MAX_ROWS + 1)).unwrap_err();
        assert!(e.is_user_error() && e.to_string().contains("at most 200000 rows"), "{e}");
        assert_eq!(Table::from_body(body(MAX_COLUMNS, 1)).unwrap().columns.len(), MAX_COLUMNS);
    }

    #[test]
    fn names_and_numbers() {
        assert_eq!(file_name("Portrait : Béthune (62119)", "csv"), "portrait_bethune_62119.csv");
        assert_eq!(file_name("../../", "csv"), "export.csv");
        assert_eq!(number(242_591.0), "242591");
        assert_eq!(number(-0.125), "-0.125");
    }
}
