//! A block of plain records read column by column: the import's fast path.
//!
//! ```text
//!  block text ─> every separator's place (one pass over the bytes)
//!             ─> rows (one comparison each: the header's width, ending the line)
//!             ─> per slice of rows, per column: trim, check, resolve, append
//! ```
//!
//! A national file is millions of records without quotes, each of the header's
//! width. Their separators are found in one pass, and each column is then checked
//! and appended over a slice of rows, its code table, dictionary and parser staying
//! in cache: no row is copied, no field is looked at twice (a file with derived
//! columns, BPE's coordinates, has each row copied once for them).
//!
//! Anything else (a quote, a row of another width, a field that fails its check or
//! its derivation) sends the whole block back to the row-by-row reader
//! ([`Checker::take`]), which finds the same rows, the same first error and its
//! line. So this path only has to be right on good blocks, and to say when a block
//! is not one; the tests read files both ways and compare.

use arrow::array::RecordBatch;

use super::{B, Checker, TextBuilder, trim};
use crate::codes::{CodeRole, Codes, Hit, Resolved};
use crate::decimal::{parse_f64, parse_i64, parse_scaled, parse_scaled_plain};
use crate::plan::{Kind, is_missing_mark};

/// Rows whose separators' places stay in a core's cache while each column is read
/// (a few in tests, so that a block is several slices).
const SLICE: usize = if cfg!(test) { 3 } else { 4096 };

/// A thread's reusable buffers.
#[derive(Default)]
pub(crate) struct Scratch {
    /// The place of every separator and line feed of the block (then the block's
    /// length when its last line has no line feed); a row's last field's end is
    /// moved before its `\r`.
    ends: Vec<u32>,
    /// Per row, the index in `ends` of its first field's end.
    rows: Vec<u32>,
    /// Per row, where its first field starts.
    starts: Vec<u32>,
}

/// What a good block gave.
pub(crate) struct Plain {
    pub batches: Vec<RecordBatch>,
    /// Physical lines of the block.
    pub lines: u64,
    /// The line of its last record, from the block's first line.
    pub last: Option<u64>,
}

/// Why a block goes back to the row-by-row reader (what exactly is wrong, it says).
struct NotPlain;

/// The rows' fields of one column.
struct Fields<'f, 't> {
    text: &'t str,
    ends: &'f [u32],
    rows: &'f [u32],
    starts: &'f [u32],
    index: usize,
}

impl<'t> Fields<'_, 't> {
    /// Field `self.index` of row `r`, trimmed as the row-by-row reader trims it.
    #[inline]
    fn get(&self, r: usize) -> &'t str {
        let k = self.rows[r] as usize + self.index;
        let start = if self.index == 0 { self.starts[r] } else { self.ends[k - 1] + 1 };
        trim(&self.text[start as usize..self.ends[k] as usize])
    }
}

impl Checker<'_, '_> {
    /// Reads a whole block of decoded text as plain records; `None` (having kept
    /// nothing of it) when it is not one, for [`Checker::take`] to read it.
    pub(crate) fn read_plain(&mut self, text: &str, batch_rows: usize) -> Option<Plain> {
        if self.pending() > 0
            || self.width == 0
            || text.len() >= u32::MAX as usize
            || memchr::memchr(b'"', text.as_bytes()).is_some()
        {
            return None;
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        let read = self.read_rows(text, &mut scratch, batch_rows.max(1));
        self.scratch = scratch;
        match read {
            Ok(plain) => Some(plain),
            Err(NotPlain) => {
                // The columns appended so far are dropped.
                let _ = self.builders.finish();
                None
            }
        }
    }

    fn read_rows(&mut self, text: &str, scratch: &mut Scratch, batch_rows: usize) -> Result<Plain, NotPlain> {
        let (lines, last) = split(text, self.sep, self.width, scratch)?;
        let Scratch { ends, rows, starts } = scratch;
        let mut found = Found::default();
        let mut batches = Vec::new();
        let n = rows.len();
        let mut from = 0;
        while from < n {
            let to = (from + batch_rows).min(n);
            let mut lo = from;
            while lo < to {
                let hi = (lo + SLICE).min(to);
                self.read_slice(text, ends, &rows[lo..hi], &starts[lo..hi], &mut found)?;
                lo = hi;
            }
            self.builders.len += to - from;
            batches.push(self.batch().map_err(|_| NotPlain)?);
            from = to;
        }
        // Counted only now that every row of the block is good.
        self.stats.rows += n as u64;
        found.moved.sort_unstable();
        for run in found.moved.chunk_by(|a, b| a == b) {
            *self.stats.moved.entry(run[0].to_string()).or_default() += run.len() as u64;
        }
        for (code, n) in found.split {
            *self.stats.split.entry(code.to_string()).or_default() += n;
        }
        for (k, n) in found.outside.into_iter().enumerate().filter(|(_, n)| *n > 0) {
            *self.stats.outside.entry(self.plan.columns[k].name.clone()).or_default() += n;
        }
        Ok(Plain { batches, lines, last })
    }

    /// Checks and appends every column of the rows of a slice.
    fn read_slice<'t>(
        &mut self,
        text: &'t str,
        ends: &[u32],
        rows: &[u32],
        starts: &[u32],
        found: &mut Found<'t>,
    ) -> Result<(), NotPlain> {
        let mut k = 0;
        for (i, c) in self.plan.columns.iter().enumerate() {
            let fields = Fields { text, ends, rows, starts, index: c.index };
            let (this, rest) = self.builders.cols[k..].split_first_mut().ok_or(NotPlain)?;
            k += 1;
            match (c.kind, this) {
                (Kind::Text, B::Text(b)) => each(&fields, c.required, |v| {
                    b.append(Some(v.unwrap_or_default()));
                    Ok(())
                })?,
                (Kind::Code(role), B::Text(b)) => {
                    let cur = match rest.first_mut() {
                        Some(B::Text(cur)) if c.kind.moves() => {
                            k += 1;
                            Some(cur)
                        }
                        _ => None,
                    };
                    if found.outside.len() <= i {
                        found.outside.resize(i + 1, 0);
                    }
                    let column = Column { fields: &fields, n: rows.len(), required: c.required, role };
                    codes(column, &mut self.codes, b, cur, found, i)?;
                }
                (Kind::Decimal, B::Dec(b)) => each(&fields, c.required, |v| {
                    match v {
                        Some(v) => b.append_value(match parse_scaled_plain(v.as_bytes()) {
                            Some(x) => x,
                            None => parse_scaled(v).map_err(|_| NotPlain)?,
                        }),
                        None => b.append_null(),
                    }
                    Ok(())
                })?,
                (Kind::Float, B::F(b)) => each(&fields, c.required, |v| {
                    match v.filter(|v| !is_missing_mark(v)) {
                        Some(v) => b.append_value(parse_f64(v).map_err(|_| NotPlain)?),
                        None => b.append_null(),
                    }
                    Ok(())
                })?,
                (Kind::Int, B::I(b)) => each(&fields, c.required, |v| {
                    match v {
                        Some(v) => b.append_value(parse_i64(v).map_err(|_| NotPlain)?),
                        None => b.append_null(),
                    }
                    Ok(())
                })?,
                _ => return Err(NotPlain),
            }
        }
        if let Some(derive) = self.derive.as_mut() {
            // Derived columns (BPE's coordinates) are computed from whole rows.
            let mut row = crate::source::Row::default();
            for (&first, &start) in rows.iter().zip(starts) {
                row.clear();
                let end = ends[first as usize + self.width - 1];
                row.push_split(&text[start as usize..end as usize], self.sep);
                self.derived.clear();
                derive.derive(&row, &mut self.derived).map_err(|_| NotPlain)?;
                for (b, v) in self.builders.cols[k..].iter_mut().zip(&self.derived) {
                    let B::F(b) = b else { return Err(NotPlain) };
                    b.append_option(*v);
                }
            }
        }
        Ok(())
    }
}

/// Calls `f` with each field of a column (`None` for an empty one, refused when
/// `required`).
#[inline]
fn each<'t>(
    fields: &Fields<'_, 't>,
    required: bool,
    mut f: impl FnMut(Option<&'t str>) -> Result<(), NotPlain>,
) -> Result<(), NotPlain> {
    for r in 0..fields.rows.len() {
        let v = fields.get(r);
        if v.is_empty() && required {
            return Err(NotPlain);
        }
        f((!v.is_empty()).then_some(v))?;
    }
    Ok(())
}

/// What the block's codes were, counted once the block is known good.
#[derive(Default)]
struct Found<'t> {
    /// Each row's code found under another code than its commune actuelle's.
    moved: Vec<&'t str>,
    /// Former codes shared by several communes: code -> rows.
    split: Vec<(&'t str, u64)>,
    /// Per plan column, rows outside any commune.
    outside: Vec<u64>,
}

/// No commune actuelle (split, abroad, `ZZZZZ`).
const NONE: u32 = u32::MAX;

/// A column of codes of a slice of rows.
struct Column<'c, 'f, 't> {
    fields: &'c Fields<'f, 't>,
    n: usize,
    required: bool,
    role: CodeRole,
}

/// Checks and appends a column of codes (plan column `i`), and its commune
/// actuelle's column when it has one.
fn codes<'t>(
    Column { fields, n, required, role }: Column<'_, '_, 't>,
    codes: &mut Codes<'_>,
    b: &mut TextBuilder,
    mut cur: Option<&mut TextBuilder>,
    found: &mut Found<'t>,
    i: usize,
) -> Result<(), NotPlain> {
    for r in 0..n {
        let v = fields.get(r);
        if v.is_empty() {
            if required {
                return Err(NotPlain);
            }
            b.append(None);
            if let Some(cur) = cur.as_deref_mut() {
                cur.append(None);
            }
            continue;
        }
        // A code without a slot is malformed: the row-by-row reader says why.
        let slot = crate::codes::slot(v.as_bytes()).ok_or(NotPlain)?;
        b.append_code(slot);
        // The answer, copied out of the resolver's cache.
        let (index, is_moved) = match codes.resolve_slot(slot, v, role) {
            Hit::Current(_) => {
                if let Some(cur) = cur.as_deref_mut() {
                    cur.append_code(slot);
                }
                continue;
            }
            Hit::Moved(i) => (i, true),
            Hit::Other(Ok(Resolved::Moved(i))) => (*i, true),
            Hit::Other(Ok(Resolved::Current(i))) => (*i, false),
            Hit::Other(Ok(Resolved::Split(_))) => {
                match found.split.last_mut() {
                    Some((code, n)) if *code == v => *n += 1,
                    _ => found.split.push((v, 1)),
                }
                (NONE, false)
            }
            Hit::Other(Ok(Resolved::Outside)) => {
                found.outside[i] += 1;
                (NONE, false)
            }
            Hit::Other(Err(_)) => return Err(NotPlain),
        };
        if is_moved {
            found.moved.push(v);
        }
        let current = (index != NONE).then(|| codes.code_of(index));
        if let Some(cur) = cur.as_deref_mut() {
            cur.append(current);
        }
    }
    Ok(())
}

/// Writes the place of every `sep` and line feed of `b` into `ends` (long enough),
/// and returns how many places there are and how many of them are line feeds:
/// eight bytes at a time, each place found by its bit, three times as fast as a
/// byte at a time on a national file, whose fields are two or three bytes.
fn places(b: &[u8], sep: u8, ends: &mut [u32]) -> (usize, usize) {
    const ONES: u64 = u64::MAX / 255;
    const LOW7: u64 = ONES * 0x7f;
    // The high bit of each zero byte of `x`, exactly (no carry crosses a byte).
    let zero_bytes = |x: u64| !(((x & LOW7) + LOW7) | x) & !LOW7;
    let (seps, feeds) = (ONES * u64::from(sep), ONES * u64::from(b'\n'));
    let (mut n, mut lines) = (0, 0);
    let mut words = b.chunks_exact(8);
    let mut at = 0;
    for word in &mut words {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let line_feeds = zero_bytes(x ^ feeds);
        lines += line_feeds.count_ones() as usize;
        let mut found = zero_bytes(x ^ seps) | line_feeds;
        while found != 0 {
            ends[n] = (at + (found.trailing_zeros() >> 3) as usize) as u32;
            n += 1;
            found &= found - 1;
        }
        at += 8;
    }
    for &c in words.remainder() {
        ends[n] = at as u32;
        n += usize::from(c == sep || c == b'\n');
        lines += usize::from(c == b'\n');
        at += 1;
    }
    (n, lines)
}

/// Finds the rows of a block without quotes: each must have the header's `width`
/// fields, or more that are all empty (a separator at the end of each line), as
/// the row-by-row reader allows. Returns the block's physical lines and its last
/// record's line.
fn split(text: &str, sep: u8, width: usize, scratch: &mut Scratch) -> Result<(u64, Option<u64>), NotPlain> {
    let b = text.as_bytes();
    let Scratch { ends, rows, starts } = scratch;
    // One place per byte at most, and the end of a last line without line feed.
    if ends.len() < b.len() + 1 {
        ends.resize(b.len() + 1, 0);
    }
    let (mut n, mut lines) = places(b, sep, ends);
    if b.last().is_some_and(|&c| c != b'\n') {
        ends[n] = b.len() as u32;
        n += 1;
        lines += 1;
    }
    let ends = &mut ends[..n];
    let line_end = |p: usize| p == b.len() || b[p] == b'\n';
    rows.clear();
    starts.clear();
    // Each row is taken as the header's width of places, the last a line end; if
    // a line were shorter, its line end would be taken inside a row, and fewer line
    // ends than lines would end a row or a blank line: counted at the end.
    let (mut k, mut start, mut line, mut last) = (0usize, 0usize, 0u64, None);
    while k < n {
        let first = ends[k] as usize;
        if (first == start || first == start + 1 && b[start] == b'\r') && line_end(first) {
            // A blank line: its line end is its one place.
            k += 1;
            start = first + 1;
        } else {
            let last_field = k + width - 1;
            let place = *ends.get(last_field).ok_or(NotPlain)? as usize;
            let (nl, extra) = if line_end(place) {
                (place, 0)
            } else {
                // Past the header's width, only empty fields (a separator at the
                // end of each line).
                let nl = memchr::memchr(b'\n', &b[place..]).map_or(b.len(), |p| place + p);
                let end = if b[nl - 1] == b'\r' { nl - 1 } else { nl };
                if !b[place..end].iter().all(|&c| c == sep) {
                    return Err(NotPlain);
                }
                (nl, end - place)
            };
            if place == nl && place > start && b[place - 1] == b'\r' {
                ends[last_field] = (place - 1) as u32;
            }
            rows.push(k as u32);
            starts.push(start as u32);
            last = Some(line);
            k = last_field + extra + 1;
            start = nl + 1;
        }
        line += 1;
    }
    if line != lines as u64 {
        return Err(NotPlain);
    }
    Ok((line, last))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields of every row as `split` finds them.
    fn fields(text: &str, width: usize) -> Option<(Vec<Vec<String>>, u64, Option<u64>)> {
        let mut s = Scratch::default();
        let (lines, last) = split(text, b';', width, &mut s).ok()?;
        let rows = (0..s.rows.len())
            .map(|r| {
                (0..width)
                    .map(|index| {
                        let f = Fields { text, ends: &s.ends, rows: &s.rows, starts: &s.starts, index };
                        f.get(r).to_string()
                    })
                    .collect()
            })
            .collect();
        Some((rows, lines, last))
    }

    /// A MOBPRO-like plan: three code columns, a weight, a modality, and optional
    /// text, number and whole-number columns.
    fn plan() -> crate::plan::Plan {
        use crate::codes::CodeRole::*;
        use crate::plan::ColumnPlan;
        let columns = [
            ("COMMUNE", Kind::Code(Commune), true),
            ("ARM", Kind::Code(ArmOrZ), true),
            ("DCLT", Kind::Code(CommuneOrAbroad), true),
            ("IPONDI", Kind::Decimal, true),
            ("TRANS", Kind::Text, true),
            ("LIB", Kind::Text, false),
            ("X", Kind::Float, false),
            ("N", Kind::Int, false),
        ];
        let columns = columns
            .iter()
            .enumerate()
            .map(|(index, &(name, kind, required))| ColumnPlan { name: name.into(), index, kind, required })
            .collect();
        crate::plan::Plan { columns, derived: vec![] }
    }

    /// A derived column for the tests: the last field as a number, refused when
    /// negative.
    struct Negative;

    impl crate::pipeline::Derive for Negative {
        fn derive(&mut self, row: &crate::source::Row, out: &mut Vec<Option<f64>>) -> Result<(), (usize, String)> {
            let v = row.get(7).trim().parse::<f64>().ok();
            if v.is_some_and(|v| v < 0.0) {
                return Err((7, "negative".into()));
            }
            out.push(v);
            Ok(())
        }

        fn fork(&self) -> Box<dyn crate::pipeline::Derive> {
            Box::new(Negative)
        }
    }

    /// What a reading gave: plain-text batches, rows and codes found, lines, and the
    /// first bad row's (line, column).
    #[derive(Debug, PartialEq)]
    struct Read {
        batches: Vec<RecordBatch>,
        stats: crate::pipeline::ReadStats,
        lines: u64,
        last: Option<u64>,
        bad: Option<(u64, usize)>,
    }

    fn row_by_row(checker: &mut Checker<'_, '_>, text: &str, batch_rows: usize) -> Read {
        let mut records = crate::chunked::Records::new(text, b';');
        let mut row = crate::source::Row::default();
        let (mut batches, mut bad, mut last) = (Vec::new(), None, None);
        while records.next(&mut row) {
            last = Some(row.line);
            if let Err((column, _)) = checker.take(&row) {
                bad = Some((row.line, column));
                break;
            }
            if checker.pending() >= batch_rows {
                batches.push(checker.batch().unwrap());
            }
        }
        if checker.pending() > 0 {
            batches.push(checker.batch().unwrap());
        }
        Read { batches, stats: std::mem::take(&mut checker.stats), lines: records.line, last, bad }
    }

    fn plain_batches(batches: Vec<RecordBatch>, plan: &crate::plan::Plan) -> Vec<RecordBatch> {
        batches.iter().map(|b| crate::pipeline::plain(b, &plan.schema()).unwrap()).collect()
    }

    fn cell(column: usize) -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let pick = |v: &[&str]| prop::sample::select(v.iter().map(|s| s.to_string()).collect::<Vec<_>>()).boxed();
        match column {
            0 => pick(&["59350", "59009", "2A004", " 59350", "59298", "59888", "75108", "75056", "1001", ""]),
            1 => pick(&["ZZZZZ", "ZZZZZ", "75108", "59350"]),
            2 => pick(&["59350", "99131", "75108", "2A004", "59888", "ZZZZZ", "59009 "]),
            3 => pick(&["1", "2.5", "0,25", "-3.000000000000001", "12345678901234567890", "x", "", "1.2.3", "7."]),
            4 => pick(&["1", "2", "9", "Z", "", "é"]),
            5 => "[a-zé ]{0,4}".boxed(),
            6 => pick(&["", "1.5", "s", "nd", "abc", "-2e3"]),
            _ => pick(&["", "12", "-4", "1.5"]),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]

        /// Any block without quotes reads column by column exactly as row by row,
        /// with or without a derived column: the same batches, counts and lines; and
        /// when one of its rows is bad, the block is left whole to the row-by-row
        /// reader, which finds it.
        #[test]
        fn columns_read_as_rows(
            rows in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 8), 0usize..80),
                0..30),
            values in (cell(0), cell(1), cell(2), cell(3), cell(4), cell(5), cell(6), cell(7)),
            batch_rows in 1usize..9,
            last_newline in proptest::prelude::any::<bool>(),
            derived in proptest::prelude::any::<bool>(),
        ) {
            let r = crate::codes::tests::referential();
            let mut plan = plan();
            if derived {
                plan.derived.push("D".into());
            }
            let derive = || derived.then(|| Box::new(Negative) as Box<dyn crate::pipeline::Derive>);
            let codes = crate::codes::Codes::new(&r);
            let pool: Vec<Vec<String>> = {
                // A value per column drawn once (maybe bad), or a good one, picked per row.
                let (a, b, c, d, e, f, g, h) = values;
                vec![vec![a, "59350".into()], vec![b, "ZZZZZ".into()], vec![c, "59009".into()], vec![d, "1.5".into()],
                     vec![e, "1".into()], vec![f, "nom".into()], vec![g, "".into()], vec![h, "3".into()]]
            };
            let mut text = String::new();
            for (k, (picks, shape)) in rows.iter().enumerate() {
                let mut fields: Vec<String> = (0..8).map(|c| pool[c][picks[c].index(12).min(1)].clone()).collect();
                match shape {
                    0 => { fields.pop(); }                       // too few fields
                    1 => fields.push("extra".into()),            // a value past the width
                    2 | 3 => fields.push(String::new()),         // a separator at the end
                    _ => {}
                }
                text.push_str(&fields.join(";"));
                if *shape == 4 { text.push('\r'); }
                if k + 1 < rows.len() || last_newline { text.push('\n'); }
                if *shape == 5 { text.push('\n'); }             // a blank line
            }
            let mut slow = Checker::new(&plan, 8, b';', codes.fork(), derive(), batch_rows);
            let want = row_by_row(&mut slow, &text, batch_rows);
            let mut fast = Checker::new(&plan, 8, b';', codes.fork(), derive(), batch_rows);
            match fast.read_plain(&text, batch_rows) {
                Some(p) => {
                    proptest::prop_assert_eq!(want.bad, None);
                    let got = Read { batches: p.batches, stats: std::mem::take(&mut fast.stats), lines: p.lines, last: p.last, bad: None };
                    proptest::prop_assert_eq!(plain_batches(got.batches, &plan), plain_batches(want.batches, &plan));
                    proptest::prop_assert_eq!((got.stats, got.lines, got.last), (want.stats, want.lines, want.last));
                }
                None => {
                    proptest::prop_assert!(want.bad.is_some(), "a good block left to the row-by-row reader:\n{}", text);
                    // Nothing of the block was kept: the row-by-row reading after it
                    // finds what it finds alone.
                    let again = row_by_row(&mut fast, &text, batch_rows);
                    proptest::prop_assert_eq!(plain_batches(again.batches, &plan), plain_batches(want.batches, &plan));
                    proptest::prop_assert_eq!((again.stats, again.lines, again.last, again.bad), (want.stats, want.lines, want.last, want.bad));
                }
            }
        }
    }

    #[test]
    fn rows_lines_and_widths() {
        let (rows, lines, last) = fields("a;b;c\n\nd; e ;\r\n\r\ng;h;i;;\r\n", 3).unwrap();
        assert_eq!(rows, vec![vec!["a", "b", "c"], vec!["d", "e", ""], vec!["g", "h", "i"]]);
        assert_eq!((lines, last), (5, Some(4)));
        let (rows, lines, last) = fields("a;b;c\nd;e;f", 3).unwrap();
        assert_eq!(rows[1], vec!["d", "e", "f"]);
        assert_eq!((lines, last), (2, Some(1)));
        let (rows, _, _) = fields("a\n\nb\r\n", 1).unwrap();
        assert_eq!(rows, vec![vec!["a"], vec!["b"]]);
        // Too few fields, or a non-empty one past the width: not plain.
        assert!(fields("a;b;c\nd;e\n", 3).is_none());
        assert!(fields("a;b\nc;d;e\n", 2).is_none());
        assert!(fields("a;b\nc\nd;e\n", 2).is_none());
        assert_eq!(fields("", 2).unwrap().0.len(), 0);
    }

    proptest::proptest! {
        /// Every separator and line feed is found, whatever the bytes around.
        #[test]
        fn places_are_every_separator_and_line_feed(
            b in proptest::collection::vec(proptest::prop_oneof![
                proptest::prelude::Just(b';'), proptest::prelude::Just(b'\n'), proptest::prelude::any::<u8>()
            ], 0..100),
            sep in proptest::sample::select(vec![b';', b',', b'\t', 0x3b ^ 0x80, 0xff, 0]),
        ) {
            let mut ends = vec![0; b.len() + 1];
            let (n, lines) = places(&b, sep, &mut ends);
            proptest::prop_assert_eq!(lines, b.iter().filter(|&&c| c == b'\n').count());
            let want: Vec<u32> = (0..b.len()).filter(|&i| b[i] == sep || b[i] == b'\n').map(|i| i as u32).collect();
            proptest::prop_assert_eq!(&ends[..n], &want[..]);
        }
    }
}
