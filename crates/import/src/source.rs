//! Rows of an input file, decoded, with their line numbers: a CSV of any dialect
//! (streamed, for files of tens of millions of lines) or a spreadsheet sheet.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{ImportError, Position};
use crate::sniff::{Dialect, Encoding, SEPARATORS, separator_label, sniff};

/// One row: its 1-based line number in the file and its fields, held in one
/// string with the span of each field, reused from row to row, so that a large
/// file costs no allocation per field.
#[derive(Debug, Default, Clone)]
pub struct Row {
    pub line: u64,
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Row {
    /// The fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans.iter().map(|&(a, b)| &self.text[a..b])
    }

    /// Field `i`, or `""` past the end of the row.
    pub fn get(&self, i: usize) -> &str {
        match self.spans.get(i) {
            Some(&(a, b)) => &self.text[a..b],
            None => "",
        }
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.text.clear();
        self.spans.clear();
    }

    /// Appends a field.
    pub(crate) fn push(&mut self, field: &str) {
        let start = self.text.len();
        self.text.push_str(field);
        self.spans.push((start, self.text.len()));
    }

    /// Appends a whole line of fields split at `sep`: one copy for the line.
    pub(crate) fn push_split(&mut self, line: &str, sep: u8) {
        let base = self.text.len();
        self.text.push_str(line);
        let mut start = base;
        for (i, &b) in line.as_bytes().iter().enumerate() {
            if b == sep {
                self.spans.push((start, base + i));
                start = base + i + 1;
            }
        }
        self.spans.push((start, self.text.len()));
    }

    /// The text to decode a field onto, after the fields pushed so far; end the
    /// field with [`Row::end_field`].
    pub(crate) fn text_mut(&mut self) -> &mut String {
        &mut self.text
    }

    pub(crate) fn end_field(&mut self) {
        let start = self.spans.last().map_or(0, |s| s.1);
        self.spans.push((start, self.text.len()));
    }

    fn truncate(&mut self, n: usize) {
        self.spans.truncate(n);
        self.text.truncate(self.spans.last().map_or(0, |s| s.1));
    }

    /// Builds a row from strings (spreadsheets, tests).
    pub fn from_fields(line: u64, fields: Vec<String>) -> Self {
        let mut row = Row { line, ..Default::default() };
        for f in &fields {
            row.push(f);
        }
        row
    }
}

/// A source of rows with a header.
pub trait RowSource: Send {
    fn file(&self) -> &Path;
    /// The header's names, trimmed.
    fn header(&self) -> &[String];
    /// Reads the next row into `row`; `false` at the end.
    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError>;
    /// Bytes read so far and in all, for progress.
    fn progress(&self) -> (u64, u64);
    /// How the file was read, for the report (`"';'-separated, Latin-1"`).
    fn describe(&self) -> String;
    /// The separator, to diagnose lines written with another one.
    fn separator(&self) -> u8 {
        b';'
    }
    /// For a CSV file: the rows already read ahead and where the others start, so
    /// that they are read on every core; `None` for other sources.
    fn rest_of_csv(&mut self) -> Option<(Vec<Row>, CsvRest)> {
        None
    }
}

/// A CSV file of any dialect, streamed.
pub struct CsvSource {
    file: PathBuf,
    dialect: Dialect,
    header: Vec<String>,
    reader: RecordReader<CountingReader<BufReader<File>>>,
    read: Arc<AtomicU64>,
    total: u64,
}

impl CsvSource {
    /// Opens `path`, reads its dialect and its header line.
    pub fn open(path: &Path, forced: Option<Encoding>) -> Result<Self, ImportError> {
        let mut f = File::open(path).map_err(|e| ImportError::io(path, e))?;
        let total = f.metadata().map_err(|e| ImportError::io(path, e))?.len();
        let mut head = Vec::with_capacity(1 << 18);
        (&mut f).take(1 << 18).read_to_end(&mut head).map_err(|e| ImportError::io(path, e))?;
        let dialect = sniff(path, &head, forced)?;
        drop(f);
        let mut f = BufReader::with_capacity(1 << 20, File::open(path).map_err(|e| ImportError::io(path, e))?);
        if dialect.bom {
            let mut bom = [0u8; 3];
            f.read_exact(&mut bom).map_err(|e| ImportError::io(path, e))?;
        }
        let read = Arc::new(AtomicU64::new(0));
        let counting = CountingReader { inner: f, read: read.clone() };
        let reader = RecordReader::new(counting, dialect.separator);
        let mut src = CsvSource { file: path.to_path_buf(), dialect, header: Vec::new(), reader, read, total };
        let mut row = Row::default();
        if !src.next_row(&mut row)? {
            return Err(ImportError::data(Position::new(path, 1, 1, None), "the file is empty"));
        }
        src.header = row.fields().map(|h| h.trim().to_string()).collect();
        if let Some((i, _)) = src.header.iter().enumerate().find(|(_, h)| h.is_empty()) {
            return Err(ImportError::data(
                Position::new(path, row.line, i as u64 + 1, None),
                "empty column name in the header",
            ));
        }
        Ok(src)
    }

    /// Where the rows not read yet start, for reading them on every core.
    fn rest(&self) -> CsvRest {
        CsvRest {
            offset: self.read.load(Ordering::Relaxed) + if self.dialect.bom { 3 } else { 0 },
            next_line: self.reader.line_no + 1,
            separator: self.dialect.separator,
            encoding: self.dialect.encoding,
        }
    }
}

/// The part of a CSV file not read yet: where it starts and how it is written.
#[derive(Debug, Clone)]
pub struct CsvRest {
    /// Byte offset of the next record.
    pub offset: u64,
    /// Its line number.
    pub next_line: u64,
    pub separator: u8,
    /// `None` while every byte read is ASCII.
    pub encoding: Option<Encoding>,
}

/// Decodes a field's bytes onto `out`. While the encoding is unknown, the first
/// non-ASCII field decides it for the whole file. The error is the message for a
/// field that is not UTF-8 in a file read as UTF-8.
pub(crate) fn decode_field(bytes: &[u8], encoding: &mut Option<Encoding>, out: &mut String) -> Result<(), String> {
    if bytes.is_ascii() {
        // ASCII is the same in every encoding echelle reads.
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
        return Ok(());
    }
    let e = *encoding.get_or_insert(if std::str::from_utf8(bytes).is_ok() {
        Encoding::Utf8
    } else {
        Encoding::Windows1252
    });
    match e {
        Encoding::Utf8 => match std::str::from_utf8(bytes) {
            Ok(s) => out.push_str(s),
            Err(_) => {
                return Err(format!(
                    "bytes that are not UTF-8 in a file read as UTF-8 ({:?}): the file mixes encodings, or pass --encoding latin-1",
                    String::from_utf8_lossy(bytes)
                ));
            }
        },
        Encoding::Windows1252 => {
            let (s, _) = encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes);
            out.push_str(&s);
        }
    }
    Ok(())
}

impl RowSource for CsvSource {
    fn file(&self) -> &Path {
        &self.file
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        let Some(line) = self.reader.next_record().map_err(|e| ImportError::io(&self.file, e))? else {
            return Ok(false);
        };
        row.clear();
        row.line = line;
        for i in 0..self.reader.len() {
            if let Err(message) = decode_field(self.reader.field(i), &mut self.dialect.encoding, row.text_mut()) {
                let name = self.header.get(i).map(String::as_str);
                return Err(ImportError::data(Position::new(&self.file, line, i as u64 + 1, name), message));
            }
            row.end_field();
        }
        Ok(true)
    }

    fn rest_of_csv(&mut self) -> Option<(Vec<Row>, CsvRest)> {
        Some((Vec::new(), self.rest()))
    }

    fn progress(&self) -> (u64, u64) {
        (self.read.load(Ordering::Relaxed), self.total)
    }

    fn separator(&self) -> u8 {
        self.dialect.separator
    }

    fn describe(&self) -> String {
        format!(
            "{}-separated, {}{}",
            self.dialect.separator_label(),
            self.dialect.encoding.map_or("ASCII", Encoding::label),
            if self.dialect.bom { " with BOM" } else { "" }
        )
    }
}

/// What to tell about a line whose number of fields is wrong: maybe it is written
/// with another separator than the header.
pub fn field_count_message(row: &Row, expected: usize, separator: u8) -> String {
    let mut msg = format!("{} field(s) where the header has {expected}", row.len());
    if row.len() < expected {
        msg.push_str(" (a truncated line?)");
    }
    if row.len() <= 1 {
        let raw = row.get(0).as_bytes();
        if let Some(&other) =
            SEPARATORS.iter().find(|&&s| s != separator && raw.iter().filter(|&&b| b == s).count() + 1 == expected)
        {
            msg = format!(
                "{} field(s) where the header has {expected}: this line is separated by {} but the header by {}",
                row.len(),
                separator_label(other),
                separator_label(separator)
            );
        }
    }
    msg
}

/// A spreadsheet's sheet as rows (`.xlsx`, `.xls`, `.ods`); the header is the
/// first non-empty row.
pub struct SheetSource {
    file: PathBuf,
    header: Vec<String>,
    rows: std::vec::IntoIter<Row>,
    total: u64,
    done: u64,
}

impl SheetSource {
    /// Opens `sheet` (or the first sheet) of a workbook. `header_row`, 1-based,
    /// skips title lines above the header (INSEE's tables have five).
    pub fn open(path: &Path, sheet: Option<&str>, header_row: Option<usize>) -> Result<Self, ImportError> {
        use calamine::{Data, Reader, open_workbook_auto};
        let at = |line, column| Position::new(path, line, column, None);
        let mut book = open_workbook_auto(path)
            .map_err(|e| ImportError::data(at(1, 1), format!("not a readable spreadsheet: {e}")))?;
        let names = book.sheet_names();
        let name = match sheet {
            Some(s) => names.iter().find(|n| n.eq_ignore_ascii_case(s)).cloned().ok_or_else(|| {
                ImportError::Usage(format!("{}: no sheet '{s}' (sheets: {})", path.display(), names.join(", ")))
            })?,
            None => names.first().cloned().ok_or_else(|| ImportError::data(at(1, 1), "the workbook has no sheet"))?,
        };
        let range =
            book.worksheet_range(&name).map_err(|e| ImportError::data(at(1, 1), format!("sheet '{name}': {e}")))?;
        let first = range.start().map_or(0, |(r, _)| r as u64);
        let cell = |c: &Data| -> String {
            match c {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => f.to_string(),
                Data::Int(i) => i.to_string(),
                Data::Bool(b) => b.to_string(),
                other => other.to_string(),
            }
        };
        let mut rows: Vec<Row> = range
            .rows()
            .enumerate()
            .map(|(i, r)| Row::from_fields(first + i as u64 + 1, r.iter().map(cell).collect()))
            .collect();
        // Trailing empty cells and rows are the spreadsheet's, not data.
        for r in &mut rows {
            while !r.is_empty() && r.get(r.len() - 1).trim().is_empty() {
                r.truncate(r.len() - 1);
            }
        }
        rows.retain(|r| !r.is_empty());
        // Title lines above a table have one cell: the header is the first row with
        // two or more, unless the user says which.
        let skip = match header_row {
            Some(h) => rows.iter().position(|r| r.line as usize >= h).unwrap_or(rows.len()),
            None => rows.iter().position(|r| r.fields().filter(|f| !f.trim().is_empty()).count() >= 2).unwrap_or(0),
        };
        let mut rows = rows.into_iter().skip(skip);
        let header_row = rows.next().ok_or_else(|| ImportError::data(at(1, 1), format!("sheet '{name}' is empty")))?;
        let header: Vec<String> = header_row.fields().map(|h| h.trim().to_string()).collect();
        let rest: Vec<Row> = rows.collect();
        let total = rest.len() as u64;
        Ok(SheetSource { file: path.to_path_buf(), header, rows: rest.into_iter(), total, done: 0 })
    }
}

impl RowSource for SheetSource {
    fn file(&self) -> &Path {
        &self.file
    }

    fn header(&self) -> &[String] {
        &self.header
    }

    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        match self.rows.next() {
            Some(r) => {
                row.clear();
                row.line = r.line;
                for f in r.fields() {
                    row.push(f);
                }
                self.done += 1;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn progress(&self) -> (u64, u64) {
        (self.done, self.total)
    }

    fn describe(&self) -> String {
        "spreadsheet".into()
    }
}

/// Opens a CSV or a spreadsheet by its extension.
pub fn open_any(
    path: &Path,
    forced: Option<Encoding>,
    sheet: Option<&str>,
    header_row: Option<usize>,
) -> Result<Box<dyn RowSource>, ImportError> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods") {
        Ok(Box::new(SheetSource::open(path, sheet, header_row)?))
    } else {
        Ok(Box::new(CsvSource::open(path, forced)?))
    }
}

/// A source whose first rows were read ahead (to infer column types) and are
/// replayed first.
pub struct Peeked {
    inner: Box<dyn RowSource>,
    ahead: std::collections::VecDeque<Row>,
}

impl Peeked {
    /// Reads up to `n` rows ahead.
    pub fn new(mut inner: Box<dyn RowSource>, n: usize) -> Result<Self, ImportError> {
        let mut ahead = std::collections::VecDeque::new();
        let mut row = Row::default();
        while ahead.len() < n && inner.next_row(&mut row)? {
            ahead.push_back(row.clone());
        }
        Ok(Peeked { inner, ahead })
    }

    pub fn sample(&self) -> Vec<Row> {
        self.ahead.iter().cloned().collect()
    }
}

impl RowSource for Peeked {
    fn file(&self) -> &Path {
        self.inner.file()
    }

    fn header(&self) -> &[String] {
        self.inner.header()
    }

    fn next_row(&mut self, row: &mut Row) -> Result<bool, ImportError> {
        match self.ahead.pop_front() {
            Some(r) => {
                *row = r;
                Ok(true)
            }
            None => self.inner.next_row(row),
        }
    }

    fn progress(&self) -> (u64, u64) {
        self.inner.progress()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn separator(&self) -> u8 {
        self.inner.separator()
    }

    fn rest_of_csv(&mut self) -> Option<(Vec<Row>, CsvRest)> {
        let (mut ahead, rest) = self.inner.rest_of_csv()?;
        let mut rows: Vec<Row> = self.ahead.drain(..).collect();
        rows.append(&mut ahead);
        Some((rows, rest))
    }
}

/// Splits CSV records, with their exact starting line numbers (which the `csv`
/// crate does not give for CRLF files or after blank lines): quotes open only at
/// the start of a field, `""` inside quotes is a quote, a quoted field may span
/// lines, blank lines are skipped, and a last line without its newline is read.
pub struct RecordReader<R> {
    inner: R,
    sep: u8,
    pub(crate) line_no: u64,
    buf: Vec<u8>,
    data: Vec<u8>,
    ends: Vec<usize>,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    QuoteInQuoted,
}

impl<R: std::io::BufRead> RecordReader<R> {
    pub fn new(inner: R, sep: u8) -> Self {
        RecordReader {
            inner,
            sep,
            line_no: 0,
            buf: Vec::with_capacity(1024),
            data: Vec::with_capacity(1024),
            ends: Vec::with_capacity(64),
        }
    }

    /// Number of fields of the current record.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of field `i` of the current record.
    pub fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.data[start..self.ends[i]]
    }

    /// Reads the next record; returns its first line number, `None` at the end.
    pub fn next_record(&mut self) -> std::io::Result<Option<u64>> {
        self.data.clear();
        self.ends.clear();
        let mut state = State::FieldStart;
        let mut start_line = 0;
        loop {
            self.buf.clear();
            let n = self.inner.read_until(b'\n', &mut self.buf)?;
            if n == 0 {
                if start_line == 0 {
                    return Ok(None);
                }
                // End of file inside a quoted field: keep what was read.
                self.ends.push(self.data.len());
                return Ok(Some(start_line));
            }
            self.line_no += 1;
            let mut line = &self.buf[..];
            if line.last() == Some(&b'\n') {
                line = &line[..line.len() - 1];
            }
            if line.last() == Some(&b'\r') {
                line = &line[..line.len() - 1];
            }
            if start_line == 0 {
                if line.is_empty() {
                    continue;
                }
                start_line = self.line_no;
            }
            for &b in line {
                state = match state {
                    State::FieldStart if b == b'"' => State::Quoted,
                    State::FieldStart | State::Unquoted if b == self.sep => {
                        self.ends.push(self.data.len());
                        State::FieldStart
                    }
                    State::FieldStart | State::Unquoted => {
                        self.data.push(b);
                        State::Unquoted
                    }
                    State::Quoted if b == b'"' => State::QuoteInQuoted,
                    State::Quoted => {
                        self.data.push(b);
                        State::Quoted
                    }
                    State::QuoteInQuoted if b == b'"' => {
                        self.data.push(b'"');
                        State::Quoted
                    }
                    State::QuoteInQuoted if b == self.sep => {
                        self.ends.push(self.data.len());
                        State::FieldStart
                    }
                    State::QuoteInQuoted => {
                        // Text after a closing quote: kept, as spreadsheets do.
                        self.data.push(b);
                        State::Unquoted
                    }
                };
            }
            if state == State::Quoted {
                self.data.push(b'\n');
                continue;
            }
            self.ends.push(self.data.len());
            return Ok(Some(start_line));
        }
    }
}

struct CountingReader<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: std::io::BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.read.fetch_add(amt as u64, Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn source(bytes: &[u8]) -> (tempfile::NamedTempFile, Result<CsvSource, ImportError>) {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        let s = CsvSource::open(f.path(), None);
        (f, s)
    }

    fn all(src: &mut dyn RowSource) -> Result<Vec<(u64, Vec<String>)>, ImportError> {
        let mut row = Row::default();
        let mut out = Vec::new();
        while src.next_row(&mut row)? {
            out.push((row.line, row.fields().map(str::to_string).collect()));
        }
        Ok(out)
    }

    #[test]
    fn latin1_quotes_bom_and_line_numbers() {
        let (_f, s) = source(b"CODGEO;LIBGEO\r\n\"2A004\";\"Ajaccio; la ville\"\r\n62119;B\xE9thune\r\n\r\n59350;\"Lille\r\nsur deux lignes\"\r\n01001;fin");
        let mut s = s.unwrap();
        assert_eq!(s.header(), ["CODGEO", "LIBGEO"]);
        let rows = all(&mut s).unwrap();
        assert_eq!(rows[0], (2, vec!["2A004".to_string(), "Ajaccio; la ville".into()]));
        assert_eq!(rows[1], (3, vec!["62119".to_string(), "Béthune".into()]));
        assert_eq!(rows[2].0, 5);
        assert_eq!(rows[3], (7, vec!["01001".to_string(), "fin".into()]));
        assert!(s.describe().contains("Latin-1"), "{}", s.describe());
        let (_f, s) = source("\u{FEFF}CODGEO,NOM\n01001,É\n".as_bytes());
        let mut s = s.unwrap();
        assert_eq!(s.header(), ["CODGEO", "NOM"]);
        assert_eq!(all(&mut s).unwrap()[0].1, vec!["01001", "É"]);
    }

    #[test]
    fn mixed_encodings_are_refused_at_the_field() {
        let (_f, s) = source("A;B\n1;É\n2;ok\n3;\u{e9}".as_bytes());
        all(&mut s.unwrap()).unwrap();
        let mut bytes = "A;B\n1;É\n".as_bytes().to_vec();
        bytes.extend_from_slice(b"2;\xE9\n");
        let (_f, s) = source(&bytes);
        let e = all(&mut s.unwrap()).unwrap_err();
        assert!(e.to_string().contains("line 3, column 2 (B)"), "{e}");
    }

    fn records(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut r = RecordReader::new(text.as_bytes(), b';');
        let mut out = Vec::new();
        while let Some(line) = r.next_record().unwrap() {
            out.push((line, (0..r.len()).map(|i| String::from_utf8(r.field(i).to_vec()).unwrap()).collect()));
        }
        out
    }

    #[test]
    fn line_numbers_with_crlf_blank_lines_and_multiline_fields() {
        for nl in ["\n", "\r\n"] {
            let text = format!("H;X{nl}A;1{nl}B;2{nl}{nl}C;\"x{nl}y\"{nl}D;\"a\"\"b\";{nl}E");
            let r = records(&text);
            let lines: Vec<u64> = r.iter().map(|x| x.0).collect();
            assert_eq!(lines, vec![1, 2, 3, 5, 7, 8], "{nl:?}");
            assert_eq!(r[3].1, vec!["C", "x\ny"]);
            assert_eq!(r[4].1, vec!["D", "a\"b", ""]);
            assert_eq!(r[5].1, vec!["E"]);
        }
    }

    proptest::proptest! {
        /// Any table written with quoting where needed reads back the same, with
        /// the right line numbers.
        #[test]
        fn written_tables_read_back(cells in proptest::collection::vec(proptest::collection::vec("[a-zA-Z0-9 ;\"\n,é]{0,6}", 3), 1..20), crlf in proptest::bool::ANY) {
            let nl = if crlf { "\r\n" } else { "\n" };
            let mut text = String::new();
            let mut expected_lines = Vec::new();
            let mut line = 1u64;
            for row in &cells {
                expected_lines.push(line);
                let fields: Vec<String> = row.iter().map(|c| {
                    if c.contains(';') || c.contains('"') || c.contains('\n') || c.is_empty() {
                        format!("\"{}\"", c.replace('"', "\"\"").replace('\n', nl))
                    } else { c.clone() }
                }).collect();
                line += row.iter().map(|c| c.matches('\n').count() as u64).sum::<u64>() + 1;
                text.push_str(&fields.join(";"));
                text.push_str(nl);
            }
            let got = records(&text);
            proptest::prop_assert_eq!(got.len(), cells.len());
            for ((l, fields), (want_line, row)) in got.iter().zip(expected_lines.iter().zip(&cells)) {
                proptest::prop_assert_eq!(l, want_line);
                proptest::prop_assert_eq!(fields, row);
            }
        }
    }

    #[test]
    fn wrong_separator_hint() {
        let row = Row::from_fields(2, vec!["01001,ZZZZZ,62119".into()]);
        let m = field_count_message(&row, 3, b';');
        assert!(m.contains("separated by ','"), "{m}");
    }
}
