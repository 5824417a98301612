//! The import loop shared by every format: rows are read, every field checked, and
//! good rows appended to Arrow columns, flushed to the store in batches. A bad row
//! either stops the import (the default: nothing is written) or is set aside in a
//! rejects file with its line, column and reason.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{
    ArrayBuilder, ArrayRef, Decimal128Builder, DictionaryArray, Float64Builder, Int64Builder, NullBufferBuilder,
    RecordBatch, UInt32Array,
};
use echelle_store::dictionary::Interner;

use crate::codes::{Codes, Hit, Resolved, slot, slot_codes};
use crate::decimal::{PRECISION, SCALE, parse_f64, parse_i64, parse_scaled};
use crate::error::{ImportError, Position};
use crate::plan::{Kind, Plan, is_missing_mark};
use crate::source::{Row, RowSource, field_count_message};

mod columnar;

/// What to do with a bad line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnError {
    /// Stop at the first bad line; nothing is imported.
    Stop,
    /// Import the good lines; write the bad ones, with line, column and reason, to
    /// this file.
    Reject(PathBuf),
}

/// How to run an import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Stop at the first bad line, or set bad lines aside.
    pub on_error: OnError,
    /// Show a progress bar with rows per second (on a terminal).
    pub progress: bool,
    /// Rows per batch written to the store.
    pub batch_rows: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { on_error: OnError::Stop, progress: false, batch_rows: 1 << 16 }
    }
}

/// Computes extra columns from a row (e.g. WGS84 coordinates from Lambert-93).
pub trait Derive: Send {
    /// Values of the plan's `derived` columns for a row; an error names the field index.
    fn derive(&mut self, row: &Row, out: &mut Vec<Option<f64>>) -> Result<(), (usize, String)>;
    /// The same computation for another reading thread.
    fn fork(&self) -> Box<dyn Derive>;
}

/// What reading found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReadStats {
    /// Rows imported.
    pub rows: u64,
    /// Bad lines set aside (with [`OnError::Reject`]).
    pub rejected: u64,
    /// Where they were written, when there were any.
    pub rejects_file: Option<PathBuf>,
    /// Codes found under another code than their commune actuelle's (former,
    /// delegated, associated, arrondissement municipal): code -> rows.
    pub moved: BTreeMap<String, u64>,
    /// Former codes now shared by several communes, left without a current
    /// commune in `_CUR`: code -> rows.
    pub split: BTreeMap<String, u64>,
    /// Rows outside any commune (abroad, `ZZZZZ`), per column.
    pub outside: BTreeMap<String, u64>,
    /// Time spent reading and writing.
    pub elapsed: Duration,
    /// Size of the input file.
    pub bytes: u64,
    /// How the file was read (`';'-separated, Latin-1`).
    pub dialect: String,
}

impl ReadStats {
    pub(crate) fn rows_per_second(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

impl ReadStats {
    /// Adds what another reader of the same file found.
    pub(crate) fn merge(&mut self, other: ReadStats) {
        self.rows += other.rows;
        self.rejected += other.rejected;
        for (into, from) in
            [(&mut self.moved, other.moved), (&mut self.split, other.split), (&mut self.outside, other.outside)]
        {
            for (k, n) in from {
                *into.entry(k).or_default() += n;
            }
        }
    }
}

/// Counts one more row under `key`, allocating only for a key not seen yet.
fn count(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

/// `str::trim` without its cost on the usual field, which has no space around it.
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

enum Val {
    Skip,
    Dec(i128),
    F(Option<f64>),
    I(Option<i64>),
    Code(Option<u32>),
    /// A commune actuelle's own code: its current code is the field itself.
    Current,
}

/// What one reading thread holds: the checks of every field, the Arrow columns
/// being built and what was found.
pub(crate) struct Checker<'p, 'r> {
    plan: &'p Plan,
    width: usize,
    sep: u8,
    codes: Codes<'r>,
    derive: Option<Box<dyn Derive>>,
    vals: Vec<Val>,
    derived: Vec<Option<f64>>,
    pub(crate) stats: ReadStats,
    builders: Builders,
    scratch: columnar::Scratch,
}

impl<'p, 'r> Checker<'p, 'r> {
    pub(crate) fn new(
        plan: &'p Plan,
        width: usize,
        sep: u8,
        codes: Codes<'r>,
        derive: Option<Box<dyn Derive>>,
        batch_rows: usize,
    ) -> Self {
        Checker {
            plan,
            width,
            sep,
            codes,
            derive,
            vals: Vec::with_capacity(plan.columns.len()),
            derived: Vec::with_capacity(plan.derived.len()),
            stats: ReadStats::default(),
            builders: Builders::new(plan, batch_rows),
            scratch: columnar::Scratch::default(),
        }
    }

    /// Checks a row and, when good, appends it; the error is (1-based column,
    /// message).
    pub(crate) fn take(&mut self, row: &Row) -> Result<(), (usize, String)> {
        check_row(
            row,
            self.width,
            self.sep,
            self.plan,
            &mut self.codes,
            &mut self.derive,
            &mut self.vals,
            &mut self.derived,
            &mut self.stats,
        )?;
        self.builders.append(row, self.plan, &self.vals, &self.derived, &self.codes);
        self.stats.rows += 1;
        Ok(())
    }

    /// Rows appended since the last batch.
    pub(crate) fn pending(&self) -> usize {
        self.builders.len
    }

    /// The rows appended since the last batch, as a batch.
    pub(crate) fn batch(&mut self) -> Result<RecordBatch, ImportError> {
        self.builders.finish()
    }

    /// The name of a column for an error at a (1-based) column.
    pub(crate) fn column_name(&self, column: usize) -> Option<&'p str> {
        self.plan.columns.get(column.saturating_sub(1)).map(|c| c.name.as_str()).filter(|_| column <= self.width)
    }
}

/// Reads every row of `source` per `plan`, handing batches to `sink` in the order of
/// the file. A CSV file is read on every core ([`crate::chunked`]), other sources on
/// this thread; both find the same rows, errors and line numbers.
pub fn read_rows(
    source: &mut dyn RowSource,
    plan: &Plan,
    codes: &mut Codes<'_>,
    derive: Option<&mut dyn Derive>,
    options: &Options,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), ImportError>,
) -> Result<ReadStats, ImportError> {
    let start = Instant::now();
    let width = source.header().len();
    let sep = source.separator();
    let file = source.file().to_path_buf();
    let header = source.header().to_vec();
    let bar = progress_bar(options.progress, source.progress().1);
    let dialect = source.describe();
    let mut rejects: Option<Rejects> = None;
    let mut bad =
        |at: Position, message: String, row: Option<&Row>, stats: &mut ReadStats| -> Result<(), ImportError> {
            match (&options.on_error, row) {
                (OnError::Reject(path), Some(row)) => {
                    if rejects.is_none() {
                        rejects = Some(Rejects::create(path, &header)?);
                    }
                    rejects.as_mut().expect("created").write(&at, &message, row)?;
                    stats.rejected += 1;
                    Ok(())
                }
                _ => Err(ImportError::data(at, message)),
            }
        };
    let checker =
        |derive: Option<Box<dyn Derive>>| Checker::new(plan, width, sep, codes.fork(), derive, options.batch_rows);
    let mut stats = ReadStats::default();
    let mut last_line = 1;
    let total = source.progress().1;
    match source.rest_of_csv() {
        Some((ahead, rest)) => {
            // Rows already read ahead (to infer types), then the rest on every core.
            let mut first = checker(derive.as_ref().map(|d| d.fork()));
            for row in &ahead {
                last_line = row.line;
                if let Err((column, message)) = first.take(row) {
                    let at = Position::new(&file, row.line, column as u64, first.column_name(column));
                    bad(at, message, Some(row), &mut stats)?;
                }
            }
            if first.pending() > 0 {
                sink(first.batch()?)?;
            }
            stats.merge(std::mem::take(&mut first.stats));
            let workers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
            let checkers: Vec<Checker<'_, '_>> =
                (0..workers).map(|_| checker(derive.as_ref().map(|d| d.fork()))).collect();
            let stop = options.on_error == OnError::Stop;
            let (mut line, mut bytes, mut shown) = (rest.next_line, rest.offset, stats.rows);
            let mut take = |done: crate::chunked::Done| -> Result<(), ImportError> {
                if let Some(e) = done.error {
                    return Err(e);
                }
                for b in &done.bad {
                    let at = crate::chunked::position(&file, line, b);
                    bad(at, b.message.clone(), b.row.as_ref().filter(|_| !b.fatal), &mut stats)?;
                }
                for batch in done.batches {
                    sink(batch)?;
                }
                if let Some(last) = done.last {
                    last_line = line + last;
                }
                line += done.lines;
                bytes += done.bytes;
                shown += done.rows;
                if let Some(bar) = &bar {
                    bar.set_position(bytes);
                    update_bar(bar, shown, start);
                }
                Ok(())
            };
            let back =
                crate::chunked::read_blocks(&file, &rest, checkers, &header, stop, options.batch_rows, &mut take)?;
            for c in back {
                stats.merge(c.stats);
            }
        }
        None => {
            let mut one = checker(derive.as_ref().map(|d| d.fork()));
            let mut row = Row::default();
            while source.next_row(&mut row)? {
                last_line = row.line;
                match one.take(&row) {
                    Ok(()) => {
                        if one.pending() >= options.batch_rows {
                            sink(one.batch()?)?;
                            if let Some(bar) = &bar {
                                bar.set_position(source.progress().0);
                                update_bar(bar, one.stats.rows, start);
                            }
                        }
                    }
                    Err((column, message)) => {
                        let at = Position::new(&file, row.line, column as u64, one.column_name(column));
                        bad(at, message, Some(&row), &mut stats)?;
                    }
                }
            }
            if one.pending() > 0 {
                sink(one.batch()?)?;
            }
            stats.merge(one.stats);
        }
    }
    if let Some(r) = rejects {
        stats.rejects_file = Some(r.finish()?);
    }
    if stats.rows == 0 {
        let message = if stats.rejected == 0 {
            "no data rows after the header".to_string()
        } else {
            format!("no valid row: all {} rows were rejected (see the rejects file)", stats.rejected)
        };
        return Err(ImportError::data(Position::new(&file, last_line + 1, 1, None), message));
    }
    stats.elapsed = start.elapsed();
    stats.bytes = total;
    stats.dialect = dialect;
    if let Some(bar) = bar {
        bar.set_position(total);
        update_bar(&bar, stats.rows, start);
        bar.finish_and_clear();
    }
    Ok(stats)
}

#[allow(clippy::too_many_arguments)]
fn check_row(
    row: &Row,
    width: usize,
    sep: u8,
    plan: &Plan,
    codes: &mut Codes<'_>,
    derive: &mut Option<Box<dyn Derive>>,
    vals: &mut Vec<Val>,
    derived: &mut Vec<Option<f64>>,
    stats: &mut ReadStats,
) -> Result<(), (usize, String)> {
    // Trailing empty fields (a separator at the end of each line) are tolerated.
    let n = (0..row.len()).rposition(|i| !row.get(i).is_empty()).map_or(0, |p| p + 1).max(row.len().min(width));
    if n != width {
        let column = if n < width { n + 1 } else { width + 1 };
        return Err((column, field_count_message(row, width, sep)));
    }
    vals.clear();
    for c in &plan.columns {
        let raw = trim(row.get(c.index));
        let col = c.index + 1;
        if raw.is_empty() && c.required {
            return Err((col, format!("empty {}", c.kind.label())));
        }
        let v = match c.kind {
            Kind::Text => Val::Skip,
            Kind::Code(role) => {
                if raw.is_empty() {
                    Val::Code(None)
                } else {
                    match codes.resolve_ref(raw, role) {
                        Hit::Current(_) => Val::Current,
                        Hit::Moved(i) => {
                            count(&mut stats.moved, raw);
                            Val::Code(Some(i))
                        }
                        Hit::Other(answer) => match answer.as_ref().map_err(|m| (col, m.clone()))? {
                            Resolved::Current(i) => Val::Code(Some(*i)),
                            Resolved::Moved(i) => {
                                count(&mut stats.moved, raw);
                                Val::Code(Some(*i))
                            }
                            Resolved::Split(_) => {
                                count(&mut stats.split, raw);
                                Val::Code(None)
                            }
                            Resolved::Outside => {
                                count(&mut stats.outside, &c.name);
                                Val::Code(None)
                            }
                        },
                    }
                }
            }
            Kind::Decimal if raw.is_empty() => Val::F(None),
            Kind::Decimal => Val::Dec(parse_scaled(raw).map_err(|m| (col, m))?),
            Kind::Float if is_missing_mark(raw) => Val::F(None),
            Kind::Float => Val::F(Some(parse_f64(raw).map_err(|m| (col, m))?)),
            Kind::Int if raw.is_empty() => Val::I(None),
            Kind::Int => Val::I(Some(parse_i64(raw).map_err(|m| (col, m))?)),
        };
        vals.push(v);
    }
    derived.clear();
    if let Some(d) = derive {
        d.derive(row, derived).map_err(|(i, m)| (i + 1, m))?;
    }
    Ok(())
}

enum B {
    Text(TextBuilder),
    Dec(Decimal128Builder),
    F(Float64Builder),
    I(Int64Builder),
}

/// A text column built as numbers into a dictionary: a fixed list of values every
/// thread shares, each found at its place without hashing (every code's [`slot`]
/// in a column of codes; else every value of at most two ASCII bytes, INSEE's
/// modalities), then the other values this thread met. The store writes the
/// numbers as they are ([`echelle_store::dictionary`]), and batches sharing one
/// dictionary need no mapping there.
struct TextBuilder {
    /// Where a value is in the fixed list.
    place: fn(&[u8]) -> Option<usize>,
    fixed: &'static ArrayRef,
    /// The values met that are not in the fixed list (ids after its).
    dictionary: Interner,
    keys: Vec<u32>,
    nulls: NullBufferBuilder,
    /// Rows of a batch.
    capacity: usize,
    /// The dictionary as the last batch carried it.
    values: Option<ArrayRef>,
}

/// Values of at most two ASCII bytes: the empty one, 128 of one byte, 128 × 128.
const SHORT: usize = 1 + 128 + 128 * 128;

/// A value's place among [`short_values`].
#[inline]
fn short_place(v: &[u8]) -> Option<usize> {
    match *v {
        [] => Some(0),
        [a] if a < 128 => Some(1 + usize::from(a)),
        [a, b] if a < 128 && b < 128 => Some(129 + usize::from(a) * 128 + usize::from(b)),
        _ => None,
    }
}

/// Every value of at most two ASCII bytes, in the order of [`short_place`].
fn short_values() -> &'static ArrayRef {
    static VALUES: std::sync::OnceLock<ArrayRef> = std::sync::OnceLock::new();
    VALUES.get_or_init(|| {
        let one = (0..128u8).map(|a| String::from(char::from(a)));
        let two = (0..128u8).flat_map(|a| (0..128u8).map(move |b| [char::from(a), char::from(b)].iter().collect()));
        let all: Vec<String> = std::iter::once(String::new()).chain(one).chain(two).collect();
        debug_assert_eq!(all.len(), SHORT);
        Arc::new(arrow::array::StringArray::from(all))
    })
}

impl TextBuilder {
    /// Past this, a batch's own values start again: a column of mostly distinct
    /// values (names, identifiers) would otherwise carry them all in every batch.
    const MAX_VALUES: usize = 1 << 16;
    const MAX_BYTES: usize = 1 << 20;

    fn new(capacity: usize, codes: bool) -> Self {
        let place: fn(&[u8]) -> Option<usize> = if codes { slot } else { short_place };
        let fixed = if codes { slot_codes() } else { short_values() };
        TextBuilder {
            place,
            fixed,
            dictionary: Interner::default(),
            keys: Vec::with_capacity(capacity),
            nulls: NullBufferBuilder::new(capacity),
            capacity,
            values: None,
        }
    }

    /// Appends a value whose place in the fixed list is `k` (a code's [`slot`]).
    #[inline]
    fn append_code(&mut self, k: usize) {
        debug_assert!(k < self.fixed.len());
        self.keys.push(k as u32);
        self.nulls.append_non_null();
    }

    #[inline]
    fn append(&mut self, value: Option<&str>) {
        match value {
            Some(v) => {
                let id = match (self.place)(v.as_bytes()) {
                    Some(k) => k,
                    None => self.fixed.len() + self.dictionary.intern(v) as usize,
                };
                self.keys.push(id as u32);
                self.nulls.append_non_null();
            }
            None => {
                self.keys.push(0);
                self.nulls.append_null();
            }
        }
    }

    fn finish(&mut self) -> ArrayRef {
        let keys = UInt32Array::new(
            std::mem::replace(&mut self.keys, Vec::with_capacity(self.capacity)).into(),
            self.nulls.finish(),
        );
        // A dictionary that met no new value is the last batch's: shared, not copied
        // (and the store sees it is the same).
        let values = match &self.values {
            Some(v) if v.len() == self.fixed.len() + self.dictionary.len() => v.clone(),
            _ if self.dictionary.is_empty() => self.fixed.clone(),
            _ => {
                arrow::compute::concat(&[self.fixed.as_ref(), &self.dictionary.to_array()]).expect("two arrays of text")
            }
        };
        self.values = Some(values.clone());
        let array = DictionaryArray::new(keys, values);
        if self.dictionary.len() > Self::MAX_VALUES || self.dictionary.byte_len() > Self::MAX_BYTES {
            self.dictionary.clear();
            self.values = None;
        }
        Arc::new(array)
    }
}

struct Builders {
    cols: Vec<B>,
    len: usize,
    /// The batches' schema: [`Plan::schema`] with text columns as dictionaries.
    schema: arrow::datatypes::SchemaRef,
}

impl Builders {
    fn new(plan: &Plan, capacity: usize) -> Self {
        let mut b = Builders { cols: Vec::new(), len: 0, schema: dictionary_schema(&plan.schema()) };
        let cap = capacity;
        let dec = || {
            B::Dec(
                Decimal128Builder::with_capacity(cap)
                    .with_precision_and_scale(PRECISION, SCALE)
                    .expect("valid decimal type"),
            )
        };
        for c in &plan.columns {
            b.cols.push(match c.kind {
                Kind::Text => B::Text(TextBuilder::new(cap, false)),
                Kind::Code(_) => B::Text(TextBuilder::new(cap, true)),
                Kind::Decimal => dec(),
                Kind::Float => B::F(Float64Builder::with_capacity(cap)),
                Kind::Int => B::I(Int64Builder::with_capacity(cap)),
            });
            if c.kind.moves() {
                b.cols.push(B::Text(TextBuilder::new(cap, true)));
            }
        }
        for _ in &plan.derived {
            b.cols.push(B::F(Float64Builder::with_capacity(cap)));
        }
        b
    }

    fn append(&mut self, row: &Row, plan: &Plan, vals: &[Val], derived: &[Option<f64>], codes: &Codes<'_>) {
        let mut k = 0;
        for (c, v) in plan.columns.iter().zip(vals) {
            let raw = trim(row.get(c.index));
            match (&mut self.cols[k], v) {
                (B::Text(b), _) if c.kind == Kind::Text => b.append(Some(raw)),
                (B::Text(b), _) => b.append(Some(raw).filter(|r| !r.is_empty())),
                (B::Dec(b), Val::Dec(x)) => b.append_value(*x),
                (B::Dec(b), _) => b.append_null(),
                (B::F(b), Val::F(x)) => b.append_option(*x),
                (B::F(b), _) => b.append_null(),
                (B::I(b), Val::I(x)) => b.append_option(*x),
                (B::I(b), _) => b.append_null(),
            }
            k += 1;
            if c.kind.moves() {
                if let B::Text(b) = &mut self.cols[k] {
                    match v {
                        Val::Current => b.append(Some(raw)),
                        Val::Code(cur) => b.append(cur.map(|i| codes.code_of(i))),
                        _ => b.append(None),
                    }
                }
                k += 1;
            }
        }
        for d in derived {
            if let B::F(b) = &mut self.cols[k] {
                b.append_option(*d);
            }
            k += 1;
        }
        self.len += 1;
    }

    /// The rows so far as a batch whose text columns are dictionaries (the store
    /// writes them as text, [`Plan::schema`]); see [`plain`] for a batch of text.
    fn finish(&mut self) -> Result<RecordBatch, ImportError> {
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    B::Text(b) => b.finish(),
                    B::Dec(b) => {
                        Arc::new(b.finish().with_precision_and_scale(PRECISION, SCALE).expect("valid decimal type"))
                    }
                    B::F(b) => Arc::new(b.finish()),
                    B::I(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        debug_assert!(self.cols.iter().all(|b| match b {
            B::Text(b) => b.keys.is_empty(),
            B::Dec(b) => b.is_empty(),
            B::F(b) => b.is_empty(),
            B::I(b) => b.is_empty(),
        }));
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| ImportError::Usage(format!("internal: {e}")))
    }
}

/// `schema` with its text columns as dictionaries of text (`UInt32` keys).
fn dictionary_schema(schema: &arrow::datatypes::SchemaRef) -> arrow::datatypes::SchemaRef {
    use arrow::datatypes::{DataType, Field, Schema};
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Utf8 => f
                .as_ref()
                .clone()
                .with_data_type(DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8))),
            _ => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new(fields))
}

/// A batch of [`Builders::finish`] with its text columns as plain text (`schema`).
pub(crate) fn plain(batch: &RecordBatch, schema: &arrow::datatypes::SchemaRef) -> Result<RecordBatch, ImportError> {
    let internal = |e: arrow::error::ArrowError| ImportError::Usage(format!("internal: {e}"));
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| arrow::compute::cast(c, f.data_type()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(internal)?;
    RecordBatch::try_new(schema.clone(), columns).map_err(internal)
}

/// The rejects file: `line;column;reason` then the original fields, UTF-8.
struct Rejects {
    path: PathBuf,
    tmp: PathBuf,
    out: csv::Writer<BufWriter<File>>,
}

impl Rejects {
    fn create(path: &Path, header: &[String]) -> Result<Self, ImportError> {
        let tmp = path.with_extension("partial");
        let file = File::create(&tmp).map_err(|e| ImportError::io(&tmp, e))?;
        let mut out = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(BufWriter::new(file));
        let mut head = vec!["line".to_string(), "column".into(), "reason".into()];
        head.extend(header.iter().cloned());
        out.write_record(&head).map_err(|e| ImportError::io(&tmp, e.into()))?;
        Ok(Rejects { path: path.to_path_buf(), tmp, out })
    }

    fn write(&mut self, at: &Position, message: &str, row: &Row) -> Result<(), ImportError> {
        let col = match &at.column_name {
            Some(n) => format!("{} ({n})", at.column),
            None => at.column.to_string(),
        };
        let mut rec = vec![at.line.to_string(), col, message.to_string()];
        rec.extend(row.fields().map(str::to_string));
        self.out.write_record(&rec).map_err(|e| ImportError::io(&self.tmp, e.into()))
    }

    fn finish(self) -> Result<PathBuf, ImportError> {
        let mut w = self.out.into_inner().map_err(|e| ImportError::io(&self.tmp, e.into_error()))?;
        w.flush().map_err(|e| ImportError::io(&self.tmp, e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(|e| ImportError::io(&self.path, e))?;
        Ok(self.path)
    }
}

fn progress_bar(show: bool, total: u64) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {msg} ({elapsed})")
            .expect("valid template"),
    );
    Some(bar)
}

fn update_bar(bar: &indicatif::ProgressBar, rows: u64, start: Instant) {
    let rate = rows as f64 / start.elapsed().as_secs_f64().max(1e-9);
    bar.set_message(format!("{rows} rows, {rate:.0} rows/s"));
}

#[cfg(test)]
mod tests {
    use arrow::array::{Array, AsArray};

    use super::*;

    #[test]
    fn short_values_are_at_their_places() {
        let all = short_values().as_string::<i32>();
        assert_eq!(all.len(), SHORT);
        for (k, v) in all.iter().enumerate() {
            assert_eq!(short_place(v.unwrap().as_bytes()), Some(k));
        }
        for other in ["é", "abc", "\u{7f}é"] {
            assert_eq!(short_place(other.as_bytes()), None, "{other}");
        }
    }

    /// Values in and out of the fixed list, nulls, and a thread's own values
    /// starting again: every batch reads back as appended.
    #[test]
    fn batches_read_back_as_appended() {
        for codes in [false, true] {
            let mut b = TextBuilder::new(8, codes);
            let long: Vec<String> = (0..TextBuilder::MAX_VALUES + 10).map(|i| format!("valeur-{i}")).collect();
            let rows: Vec<Option<&str>> = ["59350", "2A004", "GU", "", "é", "ZZZZZ", "1", "x"]
                .into_iter()
                .map(Some)
                .chain([None])
                .chain(long.iter().map(|v| Some(v.as_str())))
                .collect();
            for part in rows.chunks(5_000) {
                part.iter().for_each(|v| b.append(*v));
                let batch = b.finish();
                let text = arrow::compute::cast(&batch, &arrow::datatypes::DataType::Utf8).unwrap();
                let text = text.as_string::<i32>();
                let got: Vec<Option<&str>> = text.iter().collect();
                assert_eq!(got, part, "codes {codes}");
            }
        }
    }
}
