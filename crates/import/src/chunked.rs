//! Reading a CSV file on every core. One thread reads the file in blocks of a few
//! MiB cut at a record boundary; each worker decodes its block as a whole (one UTF-8
//! check, or one Latin-1 decoding), splits its records, checks them and builds Arrow
//! columns; the caller's thread takes the blocks' results back in file order, so
//! that batches, rejects and the first error come in the order of the file, with
//! their line numbers, as a one-thread reading gives them.
//!
//! ```text
//!  file ─> cutter (blocks at record ends) ─> workers (decode, split, check, build)
//!       ─> caller (in file order: line numbers, first error, rejects, batches) ─> sink
//! ```

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use arrow::array::RecordBatch;

use crate::error::{ImportError, Position};
use crate::pipeline::Checker;
use crate::sniff::Encoding;
use crate::source::{CsvRest, RecordReader, Row, decode_field};

/// Bytes per block: large enough that a block is tens of thousands of rows, small
/// enough that a few in flight cost little memory.
pub(crate) const BLOCK: usize = 4 << 20;

/// A block of whole records.
struct Block {
    seq: u64,
    bytes: Vec<u8>,
    /// `None` only while every byte so far, this block's included, is ASCII.
    encoding: Option<Encoding>,
}

/// A bad row of a block, its line counted from the block's first line (0).
pub(crate) struct Bad {
    pub line: u64,
    pub column: usize,
    pub name: Option<String>,
    pub message: String,
    /// The row, to set it aside (only when bad rows are set aside).
    pub row: Option<Row>,
    /// Undecodable bytes: the import stops even when bad rows are set aside.
    pub fatal: bool,
}

/// What a worker made of a block.
pub(crate) struct Done {
    pub seq: u64,
    pub bytes: u64,
    /// Good rows.
    pub rows: u64,
    pub batches: Vec<RecordBatch>,
    /// Bad rows, in order; with `stop`, at most the first one.
    pub bad: Vec<Bad>,
    /// Physical lines of the block.
    pub lines: u64,
    /// The line of its last record, from the block's first line.
    pub last: Option<u64>,
    pub error: Option<ImportError>,
}

/// Reads the file's rest (from `rest.offset`) with one worker per checker; `take`
/// gets each block's result in file order and stops the reading by returning an
/// error. The checkers come back with what they found.
pub(crate) fn read_blocks<'p, 'r>(
    path: &Path,
    rest: &CsvRest,
    checkers: Vec<Checker<'p, 'r>>,
    header: &[String],
    stop: bool,
    batch_rows: usize,
    take: &mut dyn FnMut(Done) -> Result<(), ImportError>,
) -> Result<Vec<Checker<'p, 'r>>, ImportError> {
    let workers = checkers.len().max(1);
    std::thread::scope(|scope| {
        let (block_tx, block_rx) = mpsc::sync_channel::<Block>(workers * 2);
        let block_rx = Arc::new(Mutex::new(block_rx));
        // Room for a few blocks' results per worker (about 5 MB each): the workers
        // go on while the caller writes a row group (its last columns, its bytes).
        let (done_tx, done_rx) = mpsc::sync_channel::<Done>(workers * 8);
        let cutter = scope.spawn(move || cut(path, rest, block_tx));
        let mut handles = Vec::new();
        for mut checker in checkers {
            let (block_rx, done_tx) = (block_rx.clone(), done_tx.clone());
            handles.push(scope.spawn(move || {
                loop {
                    let next = match block_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => break,
                    };
                    let Ok(block) = next else { break };
                    let done = read_block(&block, &mut checker, header, rest.separator, batch_rows, stop);
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
                checker
            }));
        }
        drop((block_rx, done_tx));
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        let mut next = 0;
        let mut taken = Ok(());
        'all: for done in done_rx.iter() {
            waiting.insert(done.seq, done);
            while let Some(done) = waiting.remove(&next) {
                next += 1;
                taken = take(done);
                if taken.is_err() {
                    break 'all;
                }
            }
        }
        // Stops the workers, and through them the cutter, when `take` stopped.
        drop(done_rx);
        let mut back = Vec::new();
        for h in handles {
            back.push(h.join().map_err(|_| ImportError::Usage("internal: a reading thread panicked".into()))?);
        }
        let cut = cutter.join().map_err(|_| ImportError::Usage("internal: the reading thread panicked".into()))?;
        taken?;
        cut?;
        if !waiting.is_empty() {
            return Err(ImportError::Usage("internal: a block was lost".into()));
        }
        Ok(back)
    })
}

/// Reads the file from `rest.offset` in blocks cut after a record's end, and
/// decides the encoding at the first non-ASCII field when the head did not.
fn cut(path: &Path, rest: &CsvRest, tx: mpsc::SyncSender<Block>) -> Result<(), ImportError> {
    cut_in(path, rest, BLOCK, tx)
}

fn cut_in(path: &Path, rest: &CsvRest, block: usize, tx: mpsc::SyncSender<Block>) -> Result<(), ImportError> {
    let mut f = File::open(path).map_err(|e| ImportError::io(path, e))?;
    f.seek(SeekFrom::Start(rest.offset)).map_err(|e| ImportError::io(path, e))?;
    let mut encoding = rest.encoding;
    let mut carry: Vec<u8> = Vec::new();
    let mut seq = 0;
    loop {
        let mut bytes = Vec::with_capacity(carry.len() + block);
        bytes.append(&mut carry);
        let n = (&mut f).take(block as u64).read_to_end(&mut bytes).map_err(|e| ImportError::io(path, e))?;
        let eof = n < block;
        if bytes.is_empty() {
            return Ok(());
        }
        let end = if eof {
            bytes.len()
        } else {
            match last_record_end(&bytes, rest.separator) {
                Some(end) => end,
                None => {
                    // One record longer than a block: read on.
                    carry = bytes;
                    continue;
                }
            }
        };
        carry = bytes[end..].to_vec();
        bytes.truncate(end);
        if encoding.is_none() && !bytes.is_ascii() {
            encoding = Some(first_non_ascii_field_decides(&bytes, rest.separator));
        }
        if tx.send(Block { seq, bytes, encoding }).is_err() {
            return Ok(()); // the caller stopped
        }
        seq += 1;
        if eof {
            return Ok(());
        }
    }
}

/// The encoding the first non-ASCII field gives the file, as a one-thread reading
/// decides it.
fn first_non_ascii_field_decides(bytes: &[u8], sep: u8) -> Encoding {
    let mut reader = RecordReader::new(bytes, sep);
    let mut encoding = None;
    let mut scratch = String::new();
    while let Ok(Some(_)) = reader.next_record() {
        for i in 0..reader.len() {
            scratch.clear();
            let _ = decode_field(reader.field(i), &mut encoding, &mut scratch);
            if let Some(e) = encoding {
                return e;
            }
        }
    }
    Encoding::Windows1252
}

/// The end (after its `\n`) of the last whole record of `bytes`, which starts at a
/// record's start: a line feed outside quotes, quotes opening only at a field's
/// start as [`RecordReader`] reads them.
pub(crate) fn last_record_end(bytes: &[u8], sep: u8) -> Option<usize> {
    if memchr::memchr(b'"', bytes).is_none() {
        return memchr::memrchr(b'\n', bytes).map(|p| p + 1);
    }
    #[derive(PartialEq)]
    enum S {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut state = S::FieldStart;
    let mut last = None;
    for (i, &b) in bytes.iter().enumerate() {
        state = match state {
            S::Quoted if b == b'"' => S::QuoteInQuoted,
            S::Quoted => S::Quoted,
            _ if b == b'\n' => {
                last = Some(i + 1);
                S::FieldStart
            }
            _ if b == sep => S::FieldStart,
            S::FieldStart if b == b'"' => S::Quoted,
            S::QuoteInQuoted if b == b'"' => S::Quoted,
            _ => S::Unquoted,
        };
    }
    last
}

/// Decodes, splits and checks one block.
fn read_block(
    block: &Block,
    checker: &mut Checker<'_, '_>,
    header: &[String],
    sep: u8,
    batch_rows: usize,
    stop: bool,
) -> Done {
    let mut done = Done {
        seq: block.seq,
        bytes: block.bytes.len() as u64,
        rows: 0,
        batches: Vec::new(),
        bad: Vec::new(),
        lines: 0,
        last: None,
        error: None,
    };
    let text: Option<Cow<'_, str>> = match block.encoding {
        Some(Encoding::Windows1252) => Some(encoding_rs::WINDOWS_1252.decode_without_bom_handling(&block.bytes).0),
        _ => std::str::from_utf8(&block.bytes).ok().map(Cow::Borrowed),
    };
    let rows_before = checker.stats.rows;
    if let Some(plain) = text.as_deref().and_then(|t| checker.read_plain(t, batch_rows)) {
        done.rows = checker.stats.rows - rows_before;
        done.batches = plain.batches;
        done.lines = plain.lines;
        done.last = plain.last;
        return done;
    }
    let mut row = Row::default();
    let mut take = |row: &Row, done: &mut Done| -> bool {
        done.last = Some(row.line);
        match checker.take(row) {
            Ok(()) => {
                if checker.pending() >= batch_rows {
                    match checker.batch() {
                        Ok(b) => done.batches.push(b),
                        Err(e) => {
                            done.error = Some(e);
                            return false;
                        }
                    }
                }
                true
            }
            Err((column, message)) => {
                let name = checker.column_name(column).map(str::to_string);
                done.bad.push(Bad {
                    line: row.line,
                    column,
                    name,
                    message,
                    row: (!stop).then(|| row.clone()),
                    fatal: false,
                });
                !stop
            }
        }
    };
    match &text {
        Some(text) => {
            let mut records = Records::new(text, sep);
            while records.next(&mut row) {
                if !take(&row, &mut done) {
                    break;
                }
            }
            done.lines = records.line;
        }
        None => {
            // Bytes that are not UTF-8 in a file read as UTF-8: field by field, so
            // that the error names its line and column, after the rows before it.
            let mut reader = RecordReader::new(&block.bytes[..], sep);
            let mut encoding = block.encoding;
            'rows: loop {
                let line = match reader.next_record() {
                    Ok(Some(line)) => line - 1,
                    Ok(None) => break,
                    Err(e) => {
                        done.error = Some(ImportError::Usage(format!("internal: {e}")));
                        break;
                    }
                };
                row.clear();
                row.line = line;
                for i in 0..reader.len() {
                    if let Err(message) = decode_field(reader.field(i), &mut encoding, row.text_mut()) {
                        done.bad.push(Bad {
                            line,
                            column: i + 1,
                            name: header.get(i).cloned(),
                            message,
                            row: None,
                            fatal: true,
                        });
                        break 'rows;
                    }
                    row.end_field();
                }
                if !take(&row, &mut done) {
                    break;
                }
            }
            done.lines = reader.line_no;
        }
    }
    done.rows = checker.stats.rows - rows_before;
    if done.error.is_none() && checker.pending() > 0 {
        match checker.batch() {
            Ok(b) => done.batches.push(b),
            Err(e) => done.error = Some(e),
        }
    }
    done
}

/// Splits decoded text into records exactly as [`RecordReader`] does (blank lines
/// skipped, a trailing `\r` dropped, quoted fields over several lines), copying
/// each unquoted line at once.
pub(crate) struct Records<'t> {
    text: &'t str,
    pos: usize,
    /// The line at `pos`, from 0.
    pub line: u64,
    sep: u8,
    scratch: Vec<u8>,
    ends: Vec<usize>,
}

impl<'t> Records<'t> {
    pub(crate) fn new(text: &'t str, sep: u8) -> Self {
        Records { text, pos: 0, line: 0, sep, scratch: Vec::new(), ends: Vec::new() }
    }

    /// The line at `pos`: its end without `\n` or `\r\n`, and the next line's start.
    fn line_at(&self) -> (usize, usize) {
        let b = self.text.as_bytes();
        let (mut end, next) = match memchr::memchr(b'\n', &b[self.pos..]) {
            Some(k) => (self.pos + k, self.pos + k + 1),
            None => (b.len(), b.len()),
        };
        if end > self.pos && b[end - 1] == b'\r' {
            end -= 1;
        }
        (end, next)
    }

    /// Reads the next record into `row`; `false` at the end.
    pub(crate) fn next(&mut self, row: &mut Row) -> bool {
        row.clear();
        loop {
            if self.pos >= self.text.len() {
                return false;
            }
            let (end, next) = self.line_at();
            if end == self.pos {
                self.pos = next;
                self.line += 1;
                continue;
            }
            row.line = self.line;
            if memchr::memchr(b'"', &self.text.as_bytes()[self.pos..end]).is_none() {
                row.push_split(&self.text[self.pos..end], self.sep);
                self.pos = next;
                self.line += 1;
            } else {
                self.quoted(row);
            }
            return true;
        }
    }

    /// A record with quotes, over as many lines as its quoted fields take.
    fn quoted(&mut self, row: &mut Row) {
        #[derive(PartialEq)]
        enum S {
            FieldStart,
            Unquoted,
            Quoted,
            QuoteInQuoted,
        }
        self.scratch.clear();
        self.ends.clear();
        let mut state = S::FieldStart;
        let bytes = self.text.as_bytes();
        loop {
            let (end, next) = self.line_at();
            for &b in &bytes[self.pos..end] {
                state = match state {
                    S::FieldStart if b == b'"' => S::Quoted,
                    S::FieldStart | S::Unquoted | S::QuoteInQuoted if b == self.sep => {
                        self.ends.push(self.scratch.len());
                        S::FieldStart
                    }
                    S::Quoted if b == b'"' => S::QuoteInQuoted,
                    S::QuoteInQuoted if b == b'"' => {
                        self.scratch.push(b'"');
                        S::Quoted
                    }
                    S::Quoted => {
                        self.scratch.push(b);
                        S::Quoted
                    }
                    // Text after a closing quote is kept, as spreadsheets do.
                    S::FieldStart | S::Unquoted | S::QuoteInQuoted => {
                        self.scratch.push(b);
                        S::Unquoted
                    }
                };
            }
            self.pos = next;
            self.line += 1;
            if state == S::Quoted {
                self.scratch.push(b'\n');
                if self.pos < bytes.len() {
                    continue;
                }
            }
            // End of the record (or of the text inside a quoted field: kept).
            self.ends.push(self.scratch.len());
            break;
        }
        let mut start = 0;
        for &e in &self.ends {
            // Quotes and separators are ASCII: the bytes between are whole characters.
            row.push(&String::from_utf8_lossy(&self.scratch[start..e]));
            start = e;
        }
    }
}

/// The position of a bad row of a block whose first line is `first_line`.
pub(crate) fn position(file: &Path, first_line: u64, bad: &Bad) -> Position {
    Position::new(file, first_line + bad.line, bad.column as u64, bad.name.as_deref())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use proptest::prelude::*;

    use super::*;

    /// Records as the one-thread reader reads them: (line, fields).
    fn reference(bytes: &[u8], sep: u8) -> Vec<(u64, Vec<String>)> {
        let mut r = RecordReader::new(bytes, sep);
        let mut out = Vec::new();
        let mut encoding = Some(Encoding::Utf8);
        while let Some(line) = r.next_record().unwrap() {
            let fields = (0..r.len())
                .map(|i| {
                    let mut s = String::new();
                    decode_field(r.field(i), &mut encoding, &mut s).unwrap();
                    s
                })
                .collect();
            out.push((line, fields));
        }
        out
    }

    /// The same file cut in blocks of `block` bytes by the cutter, each block split
    /// by [`Records`], line numbers carried from block to block.
    fn blocks(bytes: &[u8], sep: u8, block: usize) -> Vec<(u64, Vec<String>)> {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(bytes).unwrap();
        let rest = CsvRest { offset: 0, next_line: 1, separator: sep, encoding: Some(Encoding::Utf8) };
        let (tx, rx) = mpsc::sync_channel(4);
        let cutter = std::thread::spawn({
            let path = f.path().to_path_buf();
            move || cut_in(&path, &rest, block, tx)
        });
        let mut out = Vec::new();
        let mut first = 1;
        let mut row = Row::default();
        for (k, b) in rx.iter().enumerate() {
            assert_eq!(b.seq, k as u64);
            let text = std::str::from_utf8(&b.bytes).unwrap();
            let mut records = Records::new(text, sep);
            while records.next(&mut row) {
                out.push((first + row.line, row.fields().map(str::to_string).collect()));
            }
            first += records.line;
        }
        cutter.join().unwrap().unwrap();
        out
    }

    fn cell() -> impl Strategy<Value = String> {
        "[a-z0-9 ;,\t\"\r\né]{0,5}"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any file (quoted or not, with separators, quotes and line breaks in its
        /// fields, LF or CRLF, blank lines, with or without a last line feed) reads
        /// the same as the one-thread reader reads it, whatever the block size.
        #[test]
        fn blocks_read_as_the_one_thread_reader(
            rows in proptest::collection::vec((proptest::collection::vec((cell(), any::<bool>()), 1..5), any::<bool>(), any::<bool>()), 1..25),
            sep in prop::sample::select(vec![b';', b',', b'\t', b'|']),
            last_newline in any::<bool>(),
            block in 1usize..64,
        ) {
            let mut text = String::new();
            for (k, (cells, crlf, blank)) in rows.iter().enumerate() {
                let nl = if *crlf { "\r\n" } else { "\n" };
                let fields: Vec<String> = cells.iter().map(|(c, quote)| {
                    let needs = c.contains(sep as char) || c.contains('"') || c.contains('\n') || c.contains('\r');
                    // Unquoted cells with what needs quoting are garbled on purpose:
                    // both readers must still agree.
                    if *quote || needs && k % 3 != 0 { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.clone() }
                }).collect();
                text.push_str(&fields.join(&(sep as char).to_string()));
                if k + 1 < rows.len() || last_newline {
                    text.push_str(nl);
                }
                if *blank {
                    text.push_str(nl);
                }
            }
            let want = reference(text.as_bytes(), sep);
            prop_assert_eq!(&blocks(text.as_bytes(), sep, block), &want);
            prop_assert_eq!(&blocks(text.as_bytes(), sep, BLOCK), &want);
        }
    }

    #[test]
    fn record_ends_skip_line_feeds_in_quotes() {
        assert_eq!(last_record_end(b"a;b\nc;d", b';'), Some(4));
        assert_eq!(last_record_end(b"a;\"x\ny\"\nc;\"d\n", b';'), Some(8));
        assert_eq!(last_record_end(b"a;\"x\ny", b';'), None);
        // A quote inside an unquoted field opens nothing.
        assert_eq!(last_record_end(b"a;b\"c\nd;e\n", b';'), Some(10));
        assert_eq!(last_record_end(b"no line feed", b';'), None);
    }
}
