//! A minimal PDF writer (PDF 1.4): pages of text and rules in the standard Helvetica
//! fonts with WinAnsiEncoding, so no font is embedded and French accents print.
//!
//! ```text
//!  1 Catalog ─> 2 Pages ─> Page ─> content stream (BT /F1 size Tf x y Td (text) Tj ET, rules)
//!  3 Helvetica  4 Helvetica-Bold           xref table with byte offsets, trailer
//! ```

/// A4 portrait, in points.
pub const WIDTH: f64 = 595.0;
pub const HEIGHT: f64 = 842.0;

/// Helvetica advance widths (Adobe AFM, 1/1000 em) for ASCII 32..=126.
const WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
    556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
    722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
    556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
    260, 334, 584,
];

/// The WinAnsiEncoding byte of a character, `?` when it has none.
pub fn win_ansi(c: char) -> u8 {
    let u = c as u32;
    match c {
        '\u{20}'..='\u{7e}' => u as u8,
        '\u{a0}'..='\u{ff}' => u as u8,
        '\u{202f}' | '\u{2009}' => 0xa0,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => b'?',
    }
}

/// Width of a text in points (accented letters measured as their ASCII base or 556).
pub fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let units: f64 = text
        .chars()
        .map(|c| {
            let b = win_ansi(c);
            let w = if (32..=126).contains(&b) { WIDTHS[(b - 32) as usize] } else { 556 };
            f64::from(w)
        })
        .sum();
    units * size / 1000.0 * if bold { 1.05 } else { 1.0 }
}

/// A PDF string literal in WinAnsiEncoding, with `(`, `)` and `\` escaped.
fn literal(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        match win_ansi(c) {
            b @ (b'(' | b')' | b'\\') => out.extend_from_slice(&[b'\\', b]),
            b => out.push(b),
        }
    }
    out.push(b')');
    out
}

/// One page being drawn; y grows upwards from the bottom edge, as in PDF.
#[derive(Default)]
pub struct Page {
    content: Vec<u8>,
}

impl Page {
    pub fn text(&mut self, x: f64, y: f64, size: f64, bold: bool, grey: bool, text: &str) {
        let font = if bold { "F2" } else { "F1" };
        let colour = if grey { "0.4 g" } else { "0 g" };
        self.content.extend_from_slice(format!("BT {colour} /{font} {size:.1} Tf {x:.2} {y:.2} Td ").as_bytes());
        self.content.extend_from_slice(&literal(text));
        self.content.extend_from_slice(b" Tj ET\n");
    }

    /// Text ending at `right`.
    pub fn text_right(&mut self, right: f64, y: f64, size: f64, bold: bool, text: &str) {
        self.text(right - text_width(text, size, bold), y, size, bold, false, text);
    }

    pub fn rule(&mut self, x0: f64, y: f64, x1: f64, width: f64) {
        self.content.extend_from_slice(format!("0.6 G {width:.2} w {x0:.2} {y:.2} m {x1:.2} {y:.2} l S\n").as_bytes());
    }

    pub fn band(&mut self, x: f64, y: f64, w: f64, h: f64) {
        self.content.extend_from_slice(format!("0.93 g {x:.2} {y:.2} {w:.2} {h:.2} re f 0 g\n").as_bytes());
    }
}

/// The pages as a PDF file, with a title in the document information.
pub fn document(title: &str, pages: &[Page]) -> Vec<u8> {
    let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets: Vec<usize> = Vec::new();
    let mut object = |out: &mut Vec<u8>, body: &[u8]| {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", offsets.len()).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    // Objects 1-5 are fixed; page k is object 6 + 2k, its content 7 + 2k.
    let kids: Vec<String> = (0..pages.len()).map(|k| format!("{} 0 R", 6 + 2 * k)).collect();
    object(&mut out, b"<< /Type /Catalog /Pages 2 0 R >>");
    object(&mut out, format!("<< /Type /Pages /Kids [{}] /Count {} >>", kids.join(" "), pages.len()).as_bytes());
    object(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
    object(&mut out, b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
    let mut info = b"<< /Producer (echelle) /Title ".to_vec();
    info.extend_from_slice(&literal(title));
    info.extend_from_slice(b" >>");
    object(&mut out, &info);
    for (k, page) in pages.iter().enumerate() {
        object(
            &mut out,
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {WIDTH} {HEIGHT}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                7 + 2 * k
            )
            .as_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", page.content.len()).into_bytes();
        stream.extend_from_slice(&page.content);
        stream.extend_from_slice(b"\nendstream");
        object(&mut out, &stream);
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", offsets.len() + 1).as_bytes());
    for o in &offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n", offsets.len() + 1)
            .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_and_escapes() {
        assert_eq!(literal("é (1) \\ €"), b"(\xe9 \\(1\\) \\\\ \x80)".to_vec());
        assert_eq!(win_ansi('Œ'), 0x8c);
        assert_eq!(win_ansi('✓'), b'?');
        assert!((text_width("0", 10.0, false) - 5.56).abs() < 1e-9);
    }

    #[test]
    fn xref_offsets_point_at_objects() {
        let mut p = Page::default();
        p.text(50.0, 800.0, 12.0, true, false, "Béthune");
        let pdf = document("t", &[p, Page::default()]);
        let tail = String::from_utf8(pdf[pdf.len() - 40..].to_vec()).unwrap();
        let start: usize = tail.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        let xref = String::from_utf8(pdf[start..].to_vec()).unwrap();
        assert!(xref.starts_with("xref\n0 10\n"));
        for (k, line) in xref.lines().skip(3).take(9).enumerate() {
            let offset: usize = line[..10].parse().unwrap();
            assert!(pdf[offset..].starts_with(format!("{} 0 obj", k + 1).as_bytes()), "object {}", k + 1);
        }
        assert!(pdf.windows(9).any(|w| w == b"(B\xe9thune)"));
    }
}
