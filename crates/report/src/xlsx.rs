//! XLSX through `rust_xlsxwriter`: the table on a first sheet (bold frozen header,
//! autofilter, widths from the contents, numbers as numbers formatted by unit, every
//! text as a string cell, never a formula), the source line under it, and a "Sources"
//! sheet giving the unit, source and vintage of each column and the export date.
//!
//! A string cell is never evaluated by a spreadsheet, so text is written exactly as
//! given (no apostrophe as in CSV): `=HYPERLINK("http://x")` stays that text.

use rust_xlsxwriter::{ColNum, DocProperties, Format, Workbook, Worksheet, XlsxError};

use crate::ReportError;
use crate::date::Date;
use crate::table::{Cell, ColumnInfo, Table, number};

/// Longest text an XLSX cell holds, in UTF-16 units.
const MAX_TEXT: usize = 32_767;
/// Column widths, in characters of the default font.
const MIN_WIDTH: f64 = 8.0;
const MAX_WIDTH: f64 = 60.0;
/// Name of the sheet describing the columns.
pub const SOURCES_SHEET: &str = "Sources";

/// The Excel number format of a column. In the file, `,` and `.` stand for the
/// thousands and decimal separators of the reader's locale: `#,##0` shows as `1 234`
/// and `0.0` as `12,5` in a spreadsheet set to French.
///
/// The indicator's decimals when known; else `0.0` for a percentage, `#,##0` for a
/// column of whole numbers (counts), the spreadsheet's general format otherwise.
pub fn number_format(info: Option<&ColumnInfo>, whole_numbers: bool) -> Option<String> {
    if let Some(d) = info.and_then(|i| i.decimals) {
        let d = usize::from(d.min(10));
        return Some(if d == 0 { "#,##0".into() } else { format!("#,##0.{}", "0".repeat(d)) });
    }
    if info.and_then(|i| i.unit.as_deref()).is_some_and(|u| u.trim() == "%") {
        return Some("0.0".into());
    }
    whole_numbers.then(|| "#,##0".into())
}

/// A sheet name spreadsheets accept: at most 31 characters, none of `[]:*?/\'`, not
/// the name of the "Sources" sheet.
pub fn sheet_name(title: &str) -> String {
    let name: String = title.chars().filter(|c| !"[]:*?/\\'".contains(*c)).take(31).collect();
    let name = name.trim();
    if name.is_empty() || name.eq_ignore_ascii_case(SOURCES_SHEET) { "Tableau".into() } else { name.into() }
}

fn fail(e: XlsxError) -> ReportError {
    ReportError::Write { format: "XLSX", message: e.to_string() }
}

/// A text cell, refused when longer than a spreadsheet cell holds.
fn text(sheet: &mut Worksheet, row: u32, col: ColNum, s: &str, format: Option<&Format>) -> Result<(), ReportError> {
    if s.len() > MAX_TEXT && s.encode_utf16().count() > MAX_TEXT {
        return Err(ReportError::Invalid(format!(
            "row {row}, column {}: a text of more than {MAX_TEXT} characters does not fit in a spreadsheet cell",
            col + 1
        )));
    }
    match format {
        Some(f) => sheet.write_string_with_format(row, col, s, f),
        None => sheet.write_string(row, col, s),
    }
    .map_err(fail)?;
    Ok(())
}

/// Width of a column in characters: its widest cell as shown, within bounds.
fn width(t: &Table, j: usize, decimals: Option<u8>) -> f64 {
    let shown = |c: &Cell| match c {
        Cell::Text(s) => s.chars().count(),
        Cell::Number(x) => match decimals {
            // Digits, grouping separators, decimals.
            Some(d) => {
                let digits = format!("{:.0}", x.abs().trunc()).len();
                digits + digits / 3 + usize::from(d) + usize::from(d > 0) + usize::from(*x < 0.0)
            }
            None => number(*x).len(),
        },
        Cell::Empty => 0,
    };
    let widest = t.rows.iter().map(|r| shown(&r[j])).chain([t.columns[j].chars().count() + 3]).max().unwrap_or(0);
    (widest as f64 + 2.0).clamp(MIN_WIDTH, MAX_WIDTH)
}

fn table_sheet(sheet: &mut Worksheet, t: &Table) -> Result<(), ReportError> {
    let ncols = t.columns.len();
    let bold = Format::new().set_bold();
    sheet.set_name(sheet_name(&t.title)).map_err(fail)?;
    for (j, name) in t.columns.iter().enumerate() {
        text(sheet, 0, j as ColNum, name, Some(&bold))?;
    }
    for j in 0..ncols {
        let info = t.column_info(j);
        let numbers: Vec<f64> =
            t.rows.iter().filter_map(|r| if let Cell::Number(x) = r[j] { Some(x) } else { None }).collect();
        let whole = !numbers.is_empty() && numbers.iter().all(|x| x.fract() == 0.0);
        let format = number_format(info, whole).map(|f| Format::new().set_num_format(f));
        let col = j as ColNum;
        for (i, row) in t.rows.iter().enumerate() {
            let r = i as u32 + 1;
            match &row[j] {
                Cell::Text(s) => text(sheet, r, col, s, None)?,
                Cell::Number(x) => {
                    match &format {
                        Some(f) => sheet.write_number_with_format(r, col, *x, f),
                        None => sheet.write_number(r, col, *x),
                    }
                    .map_err(fail)?;
                }
                Cell::Empty => {}
            }
        }
        let decimals = info.and_then(|i| i.decimals).or(whole.then_some(0));
        sheet.set_column_width(col, width(t, j, decimals)).map_err(fail)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    sheet.autofilter(0, 0, t.rows.len() as u32, (ncols - 1) as ColNum).map_err(fail)?;
    if let Some(s) = t.source_line() {
        text(sheet, t.rows.len() as u32 + 1, 0, &s, None)?;
    }
    Ok(())
}

/// The "Sources" sheet: one row per column (unit, source, vintage), then the table's
/// source line, title and export date.
fn sources_sheet(sheet: &mut Worksheet, t: &Table, exported: Date) -> Result<(), ReportError> {
    let bold = Format::new().set_bold();
    sheet.set_name(SOURCES_SHEET).map_err(fail)?;
    for (j, h) in ["Colonne", "Unité", "Source", "Millésime"].iter().enumerate() {
        text(sheet, 0, j as ColNum, h, Some(&bold))?;
    }
    for (j, name) in t.columns.iter().enumerate() {
        let r = j as u32 + 1;
        text(sheet, r, 0, name, None)?;
        if let Some(info) = t.column_info(j) {
            for (k, v) in [&info.unit, &info.source, &info.vintage].into_iter().enumerate() {
                if let Some(v) = v {
                    text(sheet, r, k as ColNum + 1, v, None)?;
                }
            }
        }
    }
    let mut r = t.columns.len() as u32 + 2;
    for (label, value) in [
        ("Titre", t.title.as_str()),
        ("Source du tableau", t.source.trim()),
        ("Exporté le", &exported.iso()),
        ("Produit par", "echelle"),
    ] {
        if !value.is_empty() {
            text(sheet, r, 0, label, Some(&bold))?;
            text(sheet, r, 1, value, None)?;
            r += 1;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    for (col, w) in [(0, 36.0), (1, 16.0), (2, 48.0), (3, 12.0)] {
        sheet.set_column_width(col, w).map_err(fail)?;
    }
    Ok(())
}

/// The table as an XLSX file, exported on `exported`.
pub fn write(t: &Table, exported: Date) -> Result<Vec<u8>, ReportError> {
    if t.columns.is_empty() {
        return Err(ReportError::Invalid("a table needs at least one column".into()));
    }
    let mut book = Workbook::new();
    let mut properties = DocProperties::new().set_author("echelle");
    if !t.title.trim().is_empty() {
        properties = properties.set_title(t.title.trim());
    }
    book.set_properties(&properties);
    table_sheet(book.add_worksheet(), t)?;
    sources_sheet(book.add_worksheet(), t, exported)?;
    book.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_unit_and_decimals() {
        let info =
            |unit: &str, decimals: Option<u8>| ColumnInfo { unit: Some(unit.into()), decimals, ..Default::default() };
        assert_eq!(number_format(Some(&info("habitants", Some(0))), true).as_deref(), Some("#,##0"));
        assert_eq!(number_format(Some(&info("%", Some(2))), false).as_deref(), Some("#,##0.00"));
        assert_eq!(number_format(Some(&info("%", None)), false).as_deref(), Some("0.0"));
        assert_eq!(number_format(None, true).as_deref(), Some("#,##0"));
        assert_eq!(number_format(None, false), None);
    }

    #[test]
    fn sheet_names() {
        assert_eq!(sheet_name("Part [%] : a/b"), "Part %  ab");
        assert_eq!(sheet_name("sources"), "Tableau");
        assert_eq!(sheet_name("''"), "Tableau");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }

    #[test]
    fn read_back_text_exact_numbers_numeric_no_formula() {
        use calamine::{Data, Reader};
        let t = Table {
            title: "Population : test".into(),
            source: "Insee, RP 2021".into(),
            columns: vec!["Nom".into(), "Population".into(), "Part (%)".into()],
            info: vec![
                ColumnInfo::default(),
                ColumnInfo {
                    unit: Some("habitants".into()),
                    decimals: Some(0),
                    source: Some("Insee".into()),
                    vintage: Some("2021".into()),
                },
                ColumnInfo { unit: Some("%".into()), ..Default::default() },
            ],
            rows: vec![
                vec![Cell::Text("=HYPERLINK(\"http://x\")".into()), Cell::Number(1234.0), Cell::Number(12.5)],
                vec![Cell::Text("Lens, \"centre\"".into()), Cell::Empty, Cell::Number(-3.25)],
            ],
        };
        let bytes = write(&t, Date::from_days(20_791)).unwrap();
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["Population  test", "Sources"]);
        let sheet = book.worksheet_range("Population  test").unwrap();
        assert_eq!(sheet.get((1, 0)), Some(&Data::String("=HYPERLINK(\"http://x\")".into())));
        assert_eq!(sheet.get((2, 0)), Some(&Data::String("Lens, \"centre\"".into())));
        assert_eq!(sheet.get((1, 1)), Some(&Data::Float(1234.0)));
        assert_eq!(sheet.get((2, 2)), Some(&Data::Float(-3.25)));
        assert_eq!(sheet.get((3, 0)), Some(&Data::String("Source : Insee, RP 2021".into())));
        let formulas = book.worksheet_formula("Population  test").unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula");
        let sources = book.worksheet_range("Sources").unwrap();
        assert_eq!(sources.get((2, 0)), Some(&Data::String("Population".into())));
        assert_eq!(sources.get((2, 1)), Some(&Data::String("habitants".into())));
        assert_eq!(sources.get((2, 2)), Some(&Data::String("Insee".into())));
        let cells: Vec<String> = sources.used_cells().map(|(_, _, c)| c.to_string()).collect();
        assert!(cells.contains(&"2026-12-04".to_string()), "{cells:?}");
    }

    #[test]
    fn too_long_text_is_refused() {
        let t = Table {
            columns: vec!["a".into()],
            rows: vec![vec![Cell::Text("é".repeat(MAX_TEXT + 1))]],
            ..Table::default()
        };
        assert!(matches!(write(&t, Date::today()), Err(ReportError::Invalid(_))));
        let t =
            Table {
                columns: vec!["a".into()], rows: vec![vec![Cell::Text("é".repeat(MAX_TEXT))]], ..Table::default()
            };
        assert!(write(&t, Date::today()).unwrap().starts_with(b"PK"));
    }
}
