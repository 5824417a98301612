//! A partner's table as rows of text with their line numbers: CSV (`;` or `,`, UTF-8)
//! or a sheet of a workbook (XLSX, ODS), dates of spreadsheets written AAAA-MM-JJ.

use std::path::Path;

use crate::RetailError;
use crate::date::Date;

/// A table read: header and rows with their line numbers.
pub(crate) struct Sheet {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
}

pub(crate) fn read_csv(path: &Path, name: &str) -> Result<Sheet, RetailError> {
    let err = |m: String| RetailError::File { path: path.display().to_string(), message: m };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes))
        .map_err(|_| err("not UTF-8: save the file as UTF-8".into()))?;
    let first = text.lines().next().unwrap_or("");
    let sep = if first.matches(';').count() >= first.matches(',').count() { b';' } else { b',' };
    let mut rd =
        csv::ReaderBuilder::new().delimiter(sep).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut header = None;
    for (i, rec) in rd.records().enumerate() {
        let rec = rec.map_err(|e| err(e.to_string()))?;
        let line = rec.position().map_or(i as u64 + 1, |p| p.line());
        let fields: Vec<String> = rec.iter().map(|s| s.to_string()).collect();
        if header.is_none() {
            header = Some(fields.iter().map(|h| h.trim().to_string()).collect());
        } else if fields.iter().any(|f| !f.trim().is_empty()) {
            rows.push((line, fields));
        }
    }
    Ok(Sheet { name: name.into(), header: header.unwrap_or_default(), rows })
}

pub(crate) fn read_sheet(path: &Path, sheet: Option<&str>, name: &str) -> Result<Sheet, RetailError> {
    use calamine::{Data, Reader, open_workbook_auto};
    let err = |m: String| RetailError::File { path: path.display().to_string(), message: m };
    let mut book = open_workbook_auto(path).map_err(|e| err(format!("not a readable workbook: {e}")))?;
    let names = book.sheet_names();
    let wanted = sheet.unwrap_or(name);
    let found = names
        .iter()
        .find(|n| echelle_referential::fold(n) == echelle_referential::fold(wanted))
        .cloned()
        .ok_or_else(|| err(format!("no sheet '{wanted}' (sheets: {})", names.join(", "))))?;
    let range = book.worksheet_range(&found).map_err(|e| err(format!("sheet '{found}': {e}")))?;
    let first = range.start().map_or(0, |(r, _)| r as u64);
    let cell = |c: &Data| match c {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => Date::from_serial(d.as_f64()).map_or_else(|| d.to_string(), |d| d.to_string()),
        other => other.to_string(),
    };
    let mut header = None;
    let mut rows = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let fields: Vec<String> = r.iter().map(cell).collect();
        if fields.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if header.is_none() {
            header = Some(fields.iter().map(|h| h.trim().to_string()).collect());
        } else {
            rows.push((first + i as u64 + 1, fields));
        }
    }
    Ok(Sheet { name: name.into(), header: header.unwrap_or_default(), rows })
}
