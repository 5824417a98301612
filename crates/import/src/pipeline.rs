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
    ArrayBuilder, ArrayRef, Decimal128Builder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};

use crate::codes::{Codes, Resolved};
use crate::decimal::{PRECISION, SCALE, parse_f64, parse_i64, parse_scaled};
use crate::error::{ImportError, Position};
use crate::plan::{Kind, Plan, is_missing_mark};
use crate::source::{Row, RowSource, field_count_message};

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

enum Val {
    Skip,
    Dec(i128),
    F(Option<f64>),
    I(Option<i64>),
    Code(Option<u32>),
}

/// Reads every row of `source` per `plan`, handing batches to `sink`.
pub fn read_rows(
    source: &mut dyn RowSource,
    plan: &Plan,
    codes: &mut Codes<'_>,
    mut derive: Option<&mut dyn Derive>,
    options: &Options,
    sink: &mut dyn FnMut(RecordBatch) -> Result<(), ImportError>,
) -> Result<ReadStats, ImportError> {
    let start = Instant::now();
    let schema = plan.schema();
    let width = source.header().len();
    let file = source.file().to_path_buf();
    let mut builders = Builders::new(plan, options.batch_rows);
    let mut stats = ReadStats { dialect: source.describe(), ..Default::default() };
    let mut rejects: Option<Rejects> = None;
    let mut row = Row::default();
    let mut vals: Vec<Val> = Vec::with_capacity(plan.columns.len());
    let mut derived: Vec<Option<f64>> = Vec::with_capacity(plan.derived.len());
    let bar = progress_bar(options.progress, source.progress().1);
    let mut last_line = 1;
    while source.next_row(&mut row)? {
        last_line = row.line;
        let checked =
            check_row(&row, width, source.separator(), plan, codes, &mut derive, &mut vals, &mut derived, &mut stats);
        match checked {
            Ok(()) => {
                builders.append(&row, plan, &vals, &derived, codes);
                stats.rows += 1;
                if builders.len >= options.batch_rows {
                    sink(builders.finish(&schema)?)?;
                    if let Some(bar) = &bar {
                        update_bar(bar, source, &stats, start);
                    }
                }
            }
            Err((column, message)) => {
                let name =
                    plan.columns.get(column.saturating_sub(1)).map(|c| c.name.as_str()).filter(|_| column <= width);
                let at = Position::new(&file, row.line, column as u64, name);
                match &options.on_error {
                    OnError::Stop => return Err(ImportError::data(at, message)),
                    OnError::Reject(path) => {
                        if rejects.is_none() {
                            rejects = Some(Rejects::create(path, source.header())?);
                        }
                        rejects.as_mut().expect("created").write(&at, &message, &row)?;
                        stats.rejected += 1;
                    }
                }
            }
        }
    }
    if builders.len > 0 {
        sink(builders.finish(&schema)?)?;
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
    stats.bytes = source.progress().0;
    if let Some(bar) = bar {
        update_bar(&bar, source, &stats, start);
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
    derive: &mut Option<&mut dyn Derive>,
    vals: &mut Vec<Val>,
    derived: &mut Vec<Option<f64>>,
    stats: &mut ReadStats,
) -> Result<(), (usize, String)> {
    // Trailing empty fields (a separator at the end of each line) are tolerated.
    let n = row.fields().iter().rposition(|f| !f.is_empty()).map_or(0, |p| p + 1).max(row.len().min(width));
    if n != width {
        let column = if n < width { n + 1 } else { width + 1 };
        return Err((column, field_count_message(row, width, sep)));
    }
    vals.clear();
    for c in &plan.columns {
        let raw = row.get(c.index).trim();
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
                    match codes.resolve(raw, role).map_err(|m| (col, m))? {
                        Resolved::Current(i) => Val::Code(Some(i)),
                        Resolved::Moved(i) => {
                            *stats.moved.entry(raw.to_string()).or_default() += 1;
                            Val::Code(Some(i))
                        }
                        Resolved::Split(_) => {
                            *stats.split.entry(raw.to_string()).or_default() += 1;
                            Val::Code(None)
                        }
                        Resolved::Outside => {
                            *stats.outside.entry(c.name.clone()).or_default() += 1;
                            Val::Code(None)
                        }
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
    Str(StringBuilder),
    Dec(Decimal128Builder),
    F(Float64Builder),
    I(Int64Builder),
}

struct Builders {
    cols: Vec<B>,
    len: usize,
    capacity: usize,
}

impl Builders {
    fn new(plan: &Plan, capacity: usize) -> Self {
        let mut b = Builders { cols: Vec::new(), len: 0, capacity };
        b.reset(plan);
        b
    }

    fn reset(&mut self, plan: &Plan) {
        let cap = self.capacity;
        let dec = || {
            B::Dec(
                Decimal128Builder::with_capacity(cap)
                    .with_precision_and_scale(PRECISION, SCALE)
                    .expect("valid decimal type"),
            )
        };
        let mut cols = Vec::new();
        for c in &plan.columns {
            cols.push(match c.kind {
                Kind::Text | Kind::Code(_) => B::Str(StringBuilder::with_capacity(cap, cap * 8)),
                Kind::Decimal => dec(),
                Kind::Float => B::F(Float64Builder::with_capacity(cap)),
                Kind::Int => B::I(Int64Builder::with_capacity(cap)),
            });
            if c.kind.moves() {
                cols.push(B::Str(StringBuilder::with_capacity(cap, cap * 5)));
            }
        }
        for _ in &plan.derived {
            cols.push(B::F(Float64Builder::with_capacity(cap)));
        }
        self.cols = cols;
        self.len = 0;
    }

    fn append(&mut self, row: &Row, plan: &Plan, vals: &[Val], derived: &[Option<f64>], codes: &Codes<'_>) {
        let mut k = 0;
        for (c, v) in plan.columns.iter().zip(vals) {
            let raw = row.get(c.index).trim();
            match (&mut self.cols[k], v) {
                (B::Str(b), _) => {
                    if raw.is_empty() && c.kind != Kind::Text {
                        b.append_null();
                    } else {
                        b.append_value(raw);
                    }
                }
                (B::Dec(b), Val::Dec(x)) => b.append_value(*x),
                (B::Dec(b), _) => b.append_null(),
                (B::F(b), Val::F(x)) => b.append_option(*x),
                (B::F(b), _) => b.append_null(),
                (B::I(b), Val::I(x)) => b.append_option(*x),
                (B::I(b), _) => b.append_null(),
            }
            k += 1;
            if c.kind.moves() {
                if let (B::Str(b), Val::Code(cur)) = (&mut self.cols[k], v) {
                    b.append_option(cur.map(|i| codes.code_of(i)));
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

    fn finish(&mut self, schema: &arrow::datatypes::SchemaRef) -> Result<RecordBatch, ImportError> {
        let arrays: Vec<ArrayRef> = self
            .cols
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    B::Str(b) => Arc::new(b.finish()),
                    B::Dec(b) => {
                        Arc::new(b.finish().with_precision_and_scale(PRECISION, SCALE).expect("valid decimal type"))
                    }
                    B::F(b) => Arc::new(b.finish()),
                    B::I(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        debug_assert!(self.cols.iter().all(|b| match b {
            B::Str(b) => b.is_empty(),
            B::Dec(b) => b.is_empty(),
            B::F(b) => b.is_empty(),
            B::I(b) => b.is_empty(),
        }));
        self.len = 0;
        RecordBatch::try_new(schema.clone(), arrays).map_err(|e| ImportError::Usage(format!("internal: {e}")))
    }
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
        rec.extend(row.fields().iter().cloned());
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

fn update_bar(bar: &indicatif::ProgressBar, source: &dyn RowSource, stats: &ReadStats, start: Instant) {
    let rate = stats.rows as f64 / start.elapsed().as_secs_f64().max(1e-9);
    bar.set_position(source.progress().0);
    bar.set_message(format!("{} rows, {:.0} rows/s", stats.rows, rate));
}
