//! CSV, in two dialects: plain (RFC 4180, comma, '.' decimals, UTF-8 without BOM) and
//! for spreadsheets set to French conventions (UTF-8 with BOM, ';', ',' decimals).
//! Quoting is the `csv` crate's; every text cell passes the formula guard first.

use std::io::Write;

use crate::guard::cell_text;
use crate::table::{Cell, Table, number};

/// Which spreadsheet convention a CSV file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// RFC 4180: comma, '.' decimals, UTF-8 without BOM.
    Plain,
    /// Spreadsheets set to French conventions: UTF-8 with BOM, ';', ',' decimals.
    Excel,
}

impl Dialect {
    fn separator(self) -> u8 {
        match self {
            Dialect::Plain => b',',
            Dialect::Excel => b';',
        }
    }

    /// A number as this dialect writes it.
    pub fn number(self, x: f64) -> String {
        match self {
            Dialect::Plain => number(x),
            Dialect::Excel => number(x).replace('.', ","),
        }
    }
}

/// A CSV writer over any `Write`, for outputs streamed row by row (the CLI's).
pub struct Writer<W: Write> {
    inner: csv::Writer<W>,
    dialect: Dialect,
}

impl<W: Write> Writer<W> {
    /// Starts a file: the BOM for [`Dialect::Excel`], nothing else yet.
    pub fn new(mut out: W, dialect: Dialect) -> std::io::Result<Writer<W>> {
        if dialect == Dialect::Excel {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let inner = csv::WriterBuilder::new()
            .delimiter(dialect.separator())
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(out);
        Ok(Writer { inner, dialect })
    }

    /// One record of text fields (a header, or a row already formatted).
    pub fn texts<I, S>(&mut self, fields: I) -> std::io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let fields: Vec<String> = fields.into_iter().map(|f| cell_text(f.as_ref()).into_owned()).collect();
        self.inner.write_record(&fields).map_err(std::io::Error::other)
    }

    /// One record of cells: text guarded, numbers in the dialect's style, empty as nothing.
    pub fn cells(&mut self, cells: &[Cell]) -> std::io::Result<()> {
        let fields: Vec<String> = cells
            .iter()
            .map(|c| match c {
                Cell::Text(s) => cell_text(s).into_owned(),
                Cell::Number(x) => self.dialect.number(*x),
                Cell::Empty => String::new(),
            })
            .collect();
        self.inner.write_record(&fields).map_err(std::io::Error::other)
    }

    /// Flushes and hands the output back.
    pub fn finish(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| std::io::Error::other(e.to_string()))
    }
}

/// The table as CSV bytes, header first and the source line last.
pub fn write(t: &Table, d: Dialect) -> Vec<u8> {
    let mut w = Writer::new(Vec::with_capacity(64 * (t.rows.len() + 2)), d).expect("writing to memory");
    let io = |r: std::io::Result<()>| r.expect("writing to memory");
    io(w.texts(&t.columns));
    for row in &t.rows {
        io(w.cells(row));
    }
    if let Some(s) = t.source_line() {
        io(w.texts([s]));
    }
    w.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            title: "t".into(),
            source: "Insee, RP 2021".into(),
            columns: vec!["Territoire".into(), "Part (%)".into()],
            rows: vec![
                vec![Cell::Text("Béthune; \"centre\"".into()), Cell::Number(12.5)],
                vec![Cell::Text("Lens, ville".into()), Cell::Empty],
                vec![Cell::Text("=HYPERLINK(\"http://x\")".into()), Cell::Number(-1.0)],
            ],
            ..Table::default()
        }
    }

    #[test]
    fn both_dialects() {
        let plain = String::from_utf8(write(&table(), Dialect::Plain)).unwrap();
        assert_eq!(
            plain,
            "Territoire,Part (%)\r\n\"Béthune; \"\"centre\"\"\",12.5\r\n\"Lens, ville\",\r\n\
             \"'=HYPERLINK(\"\"http://x\"\")\",-1\r\n\"Source : Insee, RP 2021\"\r\n"
        );
        let excel = write(&table(), Dialect::Excel);
        assert_eq!(&excel[..3], b"\xef\xbb\xbf");
        let excel = String::from_utf8(excel[3..].to_vec()).unwrap();
        assert_eq!(
            excel,
            "Territoire;Part (%)\r\n\"Béthune; \"\"centre\"\"\";12,5\r\nLens, ville;\r\n\
             \"'=HYPERLINK(\"\"http://x\"\")\";-1\r\nSource : Insee, RP 2021\r\n"
        );
    }

    #[test]
    fn line_breaks_inside_cells_are_quoted() {
        let t = Table {
            title: String::new(),
            source: String::new(),
            columns: vec!["a".into()],
            rows: vec![vec![Cell::Text("x\r\ny".into())]],
            ..Table::default()
        };
        assert_eq!(String::from_utf8(write(&t, Dialect::Plain)).unwrap(), "a\r\n\"x\r\ny\"\r\n");
    }
}
