//! CSV, in two dialects: plain (RFC 4180, comma, '.' decimals, UTF-8 without BOM) and
//! for spreadsheets set to French conventions (UTF-8 with BOM, ';', ',' decimals).

use super::table::{Cell, Table, number};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dialect {
    Plain,
    Excel,
}

impl Dialect {
    fn separator(self) -> char {
        match self {
            Dialect::Plain => ',',
            Dialect::Excel => ';',
        }
    }
}

fn field(out: &mut String, text: &str, d: Dialect) {
    if text.contains([d.separator(), '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ') {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

fn line<'a>(out: &mut String, cells: impl Iterator<Item = std::borrow::Cow<'a, str>>, d: Dialect) {
    for (i, c) in cells.enumerate() {
        if i > 0 {
            out.push(d.separator());
        }
        field(out, &c, d);
    }
    out.push_str("\r\n");
}

/// The table as CSV bytes, header first and the source line last.
pub fn write(t: &Table, d: Dialect) -> Vec<u8> {
    let mut out = String::with_capacity(64 * (t.rows.len() + 2));
    if d == Dialect::Excel {
        out.push('\u{feff}');
    }
    line(&mut out, t.columns.iter().map(|c| c.as_str().into()), d);
    for row in &t.rows {
        let cells = row.iter().map(|c| match c {
            Cell::Text(s) => s.as_str().into(),
            Cell::Number(x) => match d {
                Dialect::Plain => number(*x).into(),
                Dialect::Excel => number(*x).replace('.', ",").into(),
            },
            Cell::Empty => "".into(),
        });
        line(&mut out, cells, d);
    }
    if let Some(s) = t.source_line() {
        line(&mut out, std::iter::once(s.into()), d);
    }
    out.into_bytes()
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
            ],
        }
    }

    #[test]
    fn both_dialects() {
        let plain = String::from_utf8(write(&table(), Dialect::Plain)).unwrap();
        assert_eq!(
            plain,
            "Territoire,Part (%)\r\n\"Béthune; \"\"centre\"\"\",12.5\r\n\"Lens, ville\",\r\nSource : Insee, RP 2021\r\n"
                .replace("Source : Insee, RP 2021", "\"Source : Insee, RP 2021\"")
        );
        let excel = write(&table(), Dialect::Excel);
        assert_eq!(&excel[..3], b"\xef\xbb\xbf");
        let excel = String::from_utf8(excel[3..].to_vec()).unwrap();
        assert_eq!(
            excel,
            "Territoire;Part (%)\r\n\"Béthune; \"\"centre\"\"\";12,5\r\nLens, ville;\r\nSource : Insee, RP 2021\r\n"
        );
    }
}
