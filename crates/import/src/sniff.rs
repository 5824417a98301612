//! Guessing how a text file is written: its encoding, its separator, a BOM, or that
//! it is no text at all. INSEE publishes `;`-separated Latin-1 (MOBPRO, older BPE),
//! UTF-8 with or without BOM (recent files), and users re-save files with Excel, so
//! nothing is assumed and everything is read from the bytes.

use std::path::Path;

use crate::error::{ImportError, Position};

/// The separators echelle recognises, in order of preference on a tie.
pub const SEPARATORS: [u8; 4] = [b';', b'\t', b',', b'|'];

/// The text encodings of published files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, with or without a byte order mark: INSEE's recent files.
    Utf8,
    /// Latin-1 as Windows writes it (a superset of ISO-8859-1 for printable text).
    Windows1252,
}

impl Encoding {
    /// The encoding as reports name it.
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Latin-1 (Windows-1252)",
        }
    }

    /// Parses a user's `--encoding` value.
    pub fn parse(s: &str) -> Result<Self, ImportError> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "latin-1" | "latin1" | "iso-8859-1" | "windows-1252" | "cp1252" => Ok(Encoding::Windows1252),
            other => Err(ImportError::Usage(format!("unknown encoding '{other}': use utf-8 or latin-1"))),
        }
    }
}

/// How a file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    pub separator: u8,
    /// A UTF-8 byte order mark to skip.
    pub bom: bool,
    /// `None` while every byte seen is ASCII: decided by the first non-ASCII field.
    pub encoding: Option<Encoding>,
}

impl Dialect {
    pub fn separator_label(&self) -> String {
        separator_label(self.separator)
    }
}

pub fn separator_label(sep: u8) -> String {
    match sep {
        b'\t' => "tab".into(),
        s => format!("'{}'", s as char),
    }
}

/// Reads the dialect from the head of a file (its first bytes, up to a few hundred
/// KiB). `forced` is the user's `--encoding`, checked against the bytes.
pub fn sniff(file: &Path, head: &[u8], forced: Option<Encoding>) -> Result<Dialect, ImportError> {
    let at = |line, column| Position::new(file, line, column, None);
    if head.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ImportError::data(at(1, 1), "the file is empty"));
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Err(ImportError::data(
            at(1, 1),
            "the file is in UTF-16, which echelle does not read: save it as UTF-8 or Latin-1 (CSV)",
        ));
    }
    if let Some((offset, byte)) = first_binary_byte(head) {
        let (line, column) = line_column(head, offset);
        return Err(ImportError::data(
            at(line, column),
            format!("byte 0x{byte:02X} is not text: this is a binary file (zip, spreadsheet, image?), not a CSV"),
        ));
    }
    let bom = head.starts_with(&[0xEF, 0xBB, 0xBF]);
    let body = if bom { &head[3..] } else { head };
    let encoding = match (forced, bom) {
        (Some(Encoding::Windows1252), true) => {
            return Err(ImportError::data(
                at(1, 1),
                "the file starts with a UTF-8 byte order mark but Latin-1 was asked",
            ));
        }
        (_, true) => Some(Encoding::Utf8),
        (Some(e), false) => {
            if e == Encoding::Utf8
                && let Err(offset) = utf8_prefix(body)
            {
                let (line, column) = line_column(body, offset);
                return Err(ImportError::data(
                    at(line, column),
                    "bytes that are not UTF-8 although UTF-8 was asked: is the file in Latin-1?",
                ));
            }
            Some(e)
        }
        (None, false) if body.is_ascii() => None,
        // UTF-8 text before the first invalid byte means a file that mixes encodings:
        // read it as UTF-8 so that the bad field is reported where it is.
        (None, false) => Some(match utf8_prefix(body) {
            Ok(()) => Encoding::Utf8,
            Err(k) if !body[..k].is_ascii() => Encoding::Utf8,
            Err(_) => Encoding::Windows1252,
        }),
    };
    let header_end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    let header = &body[..header_end];
    let counts: Vec<(u8, usize)> = SEPARATORS.iter().map(|&s| (s, count_outside_quotes(header, s))).collect();
    let best = counts.iter().max_by_key(|(s, n)| (*n, std::cmp::Reverse(SEPARATORS.iter().position(|x| x == s))));
    match best {
        Some(&(separator, n)) if n > 0 => Ok(Dialect { separator, bom, encoding }),
        _ => Err(ImportError::data(
            at(1, 1),
            "no separator in the header line (looked for ';', tab, ',' and '|'): is this a one-column or space-separated file?",
        )),
    }
}

/// The first byte that cannot be in a text file: NUL or a control character other
/// than tab, line feed, carriage return, form feed and the DOS end-of-file mark.
fn first_binary_byte(head: &[u8]) -> Option<(usize, u8)> {
    head.iter().position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1A)).map(|i| (i, head[i]))
}

/// Whether `bytes` is UTF-8, allowing a character cut at the end of the sample;
/// otherwise the offset of the first invalid byte.
fn utf8_prefix(bytes: &[u8]) -> Result<(), usize> {
    match std::str::from_utf8(bytes) {
        Ok(_) => Ok(()),
        Err(e) if e.error_len().is_none() => Ok(()),
        Err(e) => Err(e.valid_up_to()),
    }
}

/// 1-based line and column (in bytes) of an offset.
pub fn line_column(bytes: &[u8], offset: usize) -> (u64, u64) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let start = before.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    (line, (offset - start) as u64 + 1)
}

fn count_outside_quotes(line: &[u8], sep: u8) -> usize {
    let mut quoted = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            quoted = !quoted;
        } else if b == sep && !quoted {
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(bytes: &[u8]) -> Result<Dialect, ImportError> {
        sniff(Path::new("f.csv"), bytes, None)
    }

    #[test]
    fn separators_and_encodings() {
        let d = s(b"COMMUNE;ARM;DCLT\n01001;ZZZZZ;01001\n").unwrap();
        assert_eq!((d.separator, d.bom, d.encoding), (b';', false, None));
        let d = s(b"\xEF\xBB\xBFCODGEO,LIBGEO\n01001,\"L'Abergement, ok\"\n").unwrap();
        assert_eq!((d.separator, d.bom, d.encoding), (b',', true, Some(Encoding::Utf8)));
        let d = s("a\tb\nÉtaples\tx\n".as_bytes()).unwrap();
        assert_eq!((d.separator, d.encoding), (b'\t', Some(Encoding::Utf8)));
        let d = s(b"a;b\n\xC9taples;x\n").unwrap();
        assert_eq!(d.encoding, Some(Encoding::Windows1252));
        // A separator inside quotes does not count.
        let d = s(b"\"a,b\";c\n").unwrap();
        assert_eq!(d.separator, b';');
    }

    #[test]
    fn refusals_say_where() {
        let e = s(b"").unwrap_err();
        assert!(e.to_string().contains("line 1, column 1") && e.to_string().contains("empty"), "{e}");
        let e = s(b"a;b\n1;\x002\n").unwrap_err();
        assert!(e.to_string().contains("line 2, column 3") && e.to_string().contains("binary"), "{e}");
        let e = s(b"PK\x03\x04\x14\x00").unwrap_err();
        assert!(e.to_string().contains("binary"), "{e}");
        let e = s(b"\xFF\xFEa\x00").unwrap_err();
        assert!(e.to_string().contains("UTF-16"), "{e}");
        let e = s(b"CODGEO LIBGEO\n01001 x\n").unwrap_err();
        assert!(e.to_string().contains("no separator"), "{e}");
        let e = sniff(Path::new("f.csv"), b"a;b\nx;\xE9\n", Some(Encoding::Utf8)).unwrap_err();
        assert!(e.to_string().contains("line 2, column 3") && e.to_string().contains("Latin-1"), "{e}");
    }

    #[test]
    fn utf8_cut_at_the_end_of_the_sample_is_still_utf8() {
        let text = "a;b\nÉ;é".as_bytes();
        let cut = &text[..text.len() - 1];
        assert_eq!(s(cut).unwrap().encoding, Some(Encoding::Utf8));
    }
}
