//! Parquet: a column of numbers (and nulls) is Float64, any other column Utf8 (numbers
//! in it written as text); title and source in the file's key-value metadata.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::ReportError;
use crate::table::{Cell, Table, number};

/// Column names made unique (a repeated name gets " (2)", " (3)"...), in one pass: the
/// next number to try is kept per name, and numbers tried once stay taken.
fn unique(columns: &[String]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::with_capacity(columns.len());
    let mut next: HashMap<&str, usize> = HashMap::new();
    let mut out: Vec<String> = Vec::with_capacity(columns.len());
    for c in columns {
        let mut name = c.clone();
        if taken.contains(&name) {
            let k = next.entry(c).or_insert(2);
            loop {
                name = format!("{c} ({k})");
                *k += 1;
                if !taken.contains(&name) {
                    break;
                }
            }
        }
        taken.insert(name.clone());
        out.push(name);
    }
    out
}

/// The table as a Parquet file (one row group).
pub fn write(t: &Table) -> Result<Vec<u8>, ReportError> {
    let internal = |e: &dyn std::fmt::Display| ReportError::Write { format: "Parquet", message: e.to_string() };
    let names = unique(&t.columns);
    let mut fields = Vec::with_capacity(names.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(names.len());
    for (j, name) in names.iter().enumerate() {
        let numeric = t.rows.iter().all(|r| !matches!(r[j], Cell::Text(_)));
        if numeric {
            let a: Float64Array =
                t.rows.iter().map(|r| if let Cell::Number(x) = r[j] { Some(x) } else { None }).collect();
            fields.push(Field::new(name, DataType::Float64, true));
            arrays.push(Arc::new(a));
        } else {
            let a: StringArray = t
                .rows
                .iter()
                .map(|r| match &r[j] {
                    Cell::Text(s) => Some(s.clone()),
                    Cell::Number(x) => Some(number(*x)),
                    Cell::Empty => None,
                })
                .collect();
            fields.push(Field::new(name, DataType::Utf8, true));
            arrays.push(Arc::new(a));
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| internal(&e))?;
    let props = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![
            KeyValue::new("title".into(), t.title.clone()),
            KeyValue::new("source".into(), t.source.clone()),
        ]))
        .build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, schema, Some(props)).map_err(|e| internal(&e))?;
    writer.write(&batch).map_err(|e| internal(&e))?;
    writer.close().map_err(|e| internal(&e))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_names_are_made_unique() {
        let names = unique(&["a".into(), "a".into(), "a (2)".into(), "a".into()]);
        assert_eq!(names, ["a", "a (2)", "a (2) (2)", "a (3)"]);
        let names = unique(&["b (2)".into(), "b".into(), "b".into(), "b".into(), "b (3)".into()]);
        assert_eq!(names, ["b (2)", "b", "b (3)", "b (4)", "b (3) (2)"]);
    }

    /// The renaming as it was (quadratic, then cubic with the names' length): the reference.
    fn unique_naive(columns: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in columns {
            let mut name = c.clone();
            let mut k = 2;
            while out.contains(&name) {
                name = format!("{c} ({k})");
                k += 1;
            }
            out.push(name);
        }
        out
    }

    /// Every sequence of up to five names among ones that collide with each other's renamings.
    #[test]
    fn one_pass_renaming_equals_the_naive_one() {
        let pool = ["a", "a (2)", "a (3)", "a (2) (2)", "b"];
        let mut sequences: Vec<Vec<String>> = vec![Vec::new()];
        for _ in 0..5 {
            let longer: Vec<Vec<String>> = sequences
                .iter()
                .filter(|s| s.len() == sequences.last().map_or(0, Vec::len))
                .flat_map(|s| pool.iter().map(move |p| [s.clone(), vec![p.to_string()]].concat()))
                .collect();
            sequences.extend(longer);
        }
        assert_eq!(sequences.len(), 1 + 5 + 25 + 125 + 625 + 3125);
        for s in &sequences {
            assert_eq!(unique(s), unique_naive(s), "{s:?}");
        }
    }

    #[test]
    fn the_most_columns_allowed_all_equal_are_renamed() {
        let names = unique(&vec!["x".to_string(); crate::table::MAX_COLUMNS]);
        assert_eq!(names.last().unwrap(), &format!("x ({})", crate::table::MAX_COLUMNS));
        assert_eq!(names.iter().collect::<HashSet<_>>().len(), crate::table::MAX_COLUMNS);
    }
}
