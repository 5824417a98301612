//! XLSX (Office Open XML SpreadsheetML), written by hand: one sheet, inline strings,
//! numeric cells as numbers, a bold header, the source line last.
//!
//! ```text
//!  [Content_Types].xml  _rels/.rels  xl/workbook.xml  xl/_rels/workbook.xml.rels
//!  xl/styles.xml (style 1 = bold)    xl/worksheets/sheet1.xml
//! ```

use std::io::Write;

use zip::write::SimpleFileOptions;

use super::table::{Cell, Table, number};

/// Text escaped for XML; characters XML 1.0 forbids are dropped.
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Column letters of a zero-based index: 0 → A, 26 → AA.
fn column(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

fn text_cell(out: &mut String, r: &str, text: &str, style: u8) {
    out.push_str(&format!(
        "<c r=\"{r}\" t=\"inlineStr\"{}><is><t xml:space=\"preserve\">{}</t></is></c>",
        if style > 0 { format!(" s=\"{style}\"") } else { String::new() },
        xml_escape(text)
    ));
}

fn sheet(t: &Table) -> String {
    let mut out = String::with_capacity(48 * (t.rows.len() + 2) * t.columns.len());
    out.push_str(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#);
    out.push_str(r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#);
    out.push_str("<row r=\"1\">");
    for (j, c) in t.columns.iter().enumerate() {
        text_cell(&mut out, &format!("{}1", column(j)), c, 1);
    }
    out.push_str("</row>");
    for (i, row) in t.rows.iter().enumerate() {
        let n = i + 2;
        out.push_str(&format!("<row r=\"{n}\">"));
        for (j, c) in row.iter().enumerate() {
            let r = format!("{}{n}", column(j));
            match c {
                Cell::Text(s) => text_cell(&mut out, &r, s, 0),
                Cell::Number(x) => out.push_str(&format!("<c r=\"{r}\"><v>{}</v></c>", number(*x))),
                Cell::Empty => {}
            }
        }
        out.push_str("</row>");
    }
    if let Some(s) = t.source_line() {
        let n = t.rows.len() + 2;
        out.push_str(&format!("<row r=\"{n}\">"));
        text_cell(&mut out, &format!("A{n}"), &s, 0);
        out.push_str("</row>");
    }
    out.push_str("</sheetData></worksheet>");
    out
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs></styleSheet>"#;

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(title: &str) -> String {
    let name: String = title.chars().filter(|c| !"[]:*?/\\'".contains(*c)).take(31).collect();
    let name = name.trim();
    if name.is_empty() { "Tableau".into() } else { name.into() }
}

/// The table as an XLSX file.
pub fn write(t: &Table) -> std::io::Result<Vec<u8>> {
    let workbook = format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{}" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        xml_escape(&sheet_name(&t.title))
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_string()),
        ("_rels/.rels", RELS.into()),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.into()),
        ("xl/styles.xml", STYLES.into()),
        ("xl/worksheets/sheet1.xml", sheet(t)),
    ] {
        zip.start_file(name, options).map_err(std::io::Error::other)?;
        zip.write_all(body.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_escapes() {
        assert_eq!([column(0), column(25), column(26), column(701), column(702)], ["A", "Z", "AA", "ZZ", "AAA"]);
        assert_eq!(xml_escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(sheet_name("Part [%] : a/b"), "Part %  ab");
    }
}
