//! A text column chunk whose Parquet pages echelle writes itself, from values
//! already numbered by the importer.
//!
//! ```text
//!  batch: keys [3,0,3,…] + its dictionary ──map (once per value)──> chunk ids
//!  close: dictionary page (PLAIN)  then  data pages (RLE_DICTIONARY, v1), zstd 1
//! ```
//!
//! arrow-rs hashes every value of a text column again to build the same dictionary
//! (45 % of a national import's CPU); here a row costs an array look-up. The
//! importer's dictionaries grow from batch to batch, so each one's mapping to the
//! chunk's ids is kept and reused while the new dictionary starts with the old one.
//! While every batch of a chunk carries the same dictionary (a column of codes,
//! numbered by their place in the list of every possible code), its keys are kept
//! as they are and the values used are numbered at the close, in the order of their
//! first row as always: nothing is hashed. Readers see an ordinary dictionary-encoded
//! `BYTE_ARRAY` column.

use arrow::array::{Array, AsArray, DictionaryArray, StringArray, UInt32Array};
use arrow::datatypes::UInt32Type;
use bytes::Bytes;
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::schema::types::ColumnDescPtr;

use crate::chunk::{varint, write_chunk};
use crate::dictionary::{Interner, plain};

/// Dictionaries whose mapping to the chunk is remembered (one per reading thread).
const REMEMBERED: usize = 4;

/// One column of the row group being written.
pub(crate) struct TextColumn {
    descr: ColumnDescPtr,
    nullable: bool,
    dictionary: Interner,
    /// Chunk ids of the non-null values.
    ids: Vec<u32>,
    /// The rows that are null, in order (imported columns have few).
    nulls: Vec<u32>,
    rows: usize,
    /// Importer dictionaries seen in this chunk, with their ids here (u32::MAX: not yet).
    seen: Vec<(StringArray, Vec<u32>)>,
    /// The one dictionary every batch so far carried: `ids` are its keys.
    shared: Option<StringArray>,
}

impl TextColumn {
    /// A column chunk whose ids, kept until it closes, go into `ids` (emptied; a
    /// closed chunk's, so that its memory is not faulted in again).
    pub(crate) fn new(descr: ColumnDescPtr, mut ids: Vec<u32>) -> Self {
        let nullable = descr.max_def_level() > 0;
        ids.clear();
        TextColumn {
            descr,
            nullable,
            dictionary: Interner::default(),
            ids,
            nulls: Vec::new(),
            rows: 0,
            seen: Vec::new(),
            shared: None,
        }
    }

    /// Appends the rows of a column of text, or of a dictionary of text with
    /// `UInt32` keys (an importer's).
    pub(crate) fn write(&mut self, column: &dyn Array) -> Result<()> {
        if column.null_count() > 0 && !self.nullable {
            return Err(ParquetError::General(format!("column {}: a null in a required column", self.descr.name())));
        }
        let wrong = || ParquetError::General(format!("internal: column {} holds no text", self.descr.name()));
        match column.as_dictionary_opt::<UInt32Type>() {
            Some(d) => self.write_dictionary(d, d.values().as_string_opt::<i32>().ok_or_else(wrong)?),
            None => self.write_text(column.as_string_opt::<i32>().ok_or_else(wrong)?),
        }
        self.rows += column.len();
        Ok(())
    }

    fn write_text(&mut self, column: &StringArray) {
        self.unshare();
        self.ids.reserve(column.len());
        for (row, value) in column.iter().enumerate() {
            match value {
                Some(v) => self.ids.push(self.dictionary.intern(v)),
                None => self.nulls.push((self.rows + row) as u32),
            }
        }
    }

    fn write_dictionary(&mut self, column: &DictionaryArray<UInt32Type>, values: &StringArray) {
        if self.rows == 0 && self.seen.is_empty() {
            self.shared = Some(values.clone());
        }
        if let Some(shared) = &self.shared {
            if same_array(values, shared) {
                push_ids(column.keys(), self.rows, &mut self.ids, &mut self.nulls, |key| key);
                return;
            }
            self.unshare();
        }
        let k = self.remembered(values);
        let (_, map) = &mut self.seen[k];
        let keys = column.keys();
        let nulls = keys.nulls().filter(|n| n.null_count() > 0);
        // Values first seen in this batch get their chunk id, in the rows' order.
        for (row, &key) in keys.values().iter().enumerate() {
            if !nulls.is_some_and(|n| n.is_null(row)) && map[key as usize] == u32::MAX {
                map[key as usize] = self.dictionary.intern(values.value(key as usize));
            }
        }
        push_ids(keys, self.rows, &mut self.ids, &mut self.nulls, |key| map[key as usize]);
    }

    /// Numbers the shared dictionary's values here, as if its batches had come
    /// one by one, and remembers it as any importer's dictionary.
    fn unshare(&mut self) {
        let Some(values) = self.shared.take() else { return };
        // Nothing came before the shared batches: the values take ids 0, 1, 2…
        debug_assert!(self.dictionary.is_empty());
        let (order, map) = first_uses(values.len(), &mut self.ids);
        for key in order {
            self.dictionary.intern(values.value(key as usize));
        }
        self.seen.push((values, map));
    }

    /// Which remembered dictionary `values` extends (or a new one), its map grown
    /// to `values`.
    fn remembered(&mut self, values: &StringArray) -> usize {
        let k = match self.seen.iter().position(|(old, _)| starts_with(values, old)) {
            Some(k) => k,
            None => {
                if self.seen.len() == REMEMBERED {
                    self.seen.remove(0);
                }
                self.seen.push((StringArray::from(Vec::<&str>::new()), Vec::new()));
                self.seen.len() - 1
            }
        };
        let (old, map) = &mut self.seen[k];
        map.resize(values.len(), u32::MAX);
        *old = values.clone();
        k
    }

    /// Bytes of the chunk's dictionary so far.
    pub(crate) fn dictionary_bytes(&self) -> usize {
        match &self.shared {
            // At most the whole shared dictionary.
            Some(values) => values.value_data().len(),
            None => self.dictionary.byte_len(),
        }
    }

    /// The chunk's pages, what the row group needs to know of them, and its ids'
    /// memory for the next chunk.
    pub(crate) fn close(mut self) -> Result<(Bytes, ColumnCloseResult, Vec<u32>)> {
        let dictionary = match self.shared.take() {
            Some(values) => {
                let (order, _) = first_uses(values.len(), &mut self.ids);
                (plain(order.iter().map(|&key| values.value(key as usize).as_bytes())), order.len() as u32)
            }
            None => (self.dictionary.plain(), self.dictionary.len() as u32),
        };
        let width = bit_width(dictionary.1 as usize);
        let ids = &self.ids;
        let (bytes, close) = write_chunk(&self.descr, self.rows, &self.nulls, Some(dictionary), |values, buf| {
            buf.push(width);
            rle_hybrid(&ids[values], width, buf);
        })?;
        Ok((bytes, close, self.ids))
    }
}

/// Appends a batch's keys, as `id` turns them into the chunk's, to `ids`, and the
/// rows (from `rows`, the chunk's rows so far) where they are null to `nulls`.
fn push_ids(keys: &UInt32Array, rows: usize, ids: &mut Vec<u32>, nulls: &mut Vec<u32>, id: impl Fn(u32) -> u32) {
    match keys.nulls().filter(|n| n.null_count() > 0) {
        None => ids.extend(keys.values().iter().map(|&key| id(key))),
        Some(n) => {
            for (row, &key) in keys.values().iter().enumerate() {
                if n.is_null(row) {
                    nulls.push((rows + row) as u32);
                } else {
                    ids.push(id(key));
                }
            }
        }
    }
}

/// The keys of a dictionary of `len` values that `ids` use, in the order of their
/// first use, and each key's place among them (u32::MAX: unused); `ids` become
/// those places. Nothing is hashed: an importer's values are distinct (a value
/// given twice would be written twice, and read back the same).
fn first_uses(len: usize, ids: &mut [u32]) -> (Vec<u32>, Vec<u32>) {
    let mut order = Vec::new();
    let mut place = vec![u32::MAX; len];
    for id in ids {
        let p = &mut place[*id as usize];
        if *p == u32::MAX {
            *p = order.len() as u32;
            order.push(*id);
        }
        *id = *p;
    }
    (order, place)
}

/// Whether `a` and `b` are the same array (not a copy: compared by address).
fn same_array(a: &StringArray, b: &StringArray) -> bool {
    let (x, y) = (a.value_offsets(), b.value_offsets());
    x.len() == y.len() && x.as_ptr() == y.as_ptr() && a.value_data().as_ptr() == b.value_data().as_ptr()
}

/// Whether `values` holds `prefix`'s values, then perhaps more: compared as the
/// bytes of both arrays, which is exact since both start at offset 0.
fn starts_with(values: &StringArray, prefix: &StringArray) -> bool {
    let (a, b) = (values.value_offsets(), prefix.value_offsets());
    // The same array again (an importer's dictionary that met no new value).
    let same = |x: &[u8], y: &[u8]| x.as_ptr() == y.as_ptr() && x.len() == y.len();
    if a.len() == b.len() && a.as_ptr() == b.as_ptr() && same(values.value_data(), prefix.value_data()) {
        return true;
    }
    b.len() <= a.len()
        && a[0] == 0
        && b[0] == 0
        && a[..b.len()] == *b
        && values.value_data()[..b[b.len() - 1] as usize] == prefix.value_data()[..b[b.len() - 1] as usize]
}

/// Bits for ids below `n`.
fn bit_width(n: usize) -> u8 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()) as u8
}

/// Eight values of `width` bits as `width` bytes, the first value in the lowest
/// bits: in one or two words for the usual widths (codes take 16 bits).
#[inline]
fn pack(eight: &[u32; 8], width: u8, out: &mut Vec<u8>) {
    let w = u32::from(width);
    if w <= 8 {
        let acc = (0..8).fold(0u64, |acc, j| acc | u64::from(eight[j]) << (j as u32 * w));
        out.extend_from_slice(&acc.to_le_bytes()[..w as usize]);
    } else if w <= 16 {
        let acc = (0..8).fold(0u128, |acc, j| acc | u128::from(eight[j]) << (j as u32 * w));
        out.extend_from_slice(&acc.to_le_bytes()[..w as usize]);
    } else {
        // Over 65,536 distinct values: a byte at a time.
        let (mut acc, mut bits) = (0u64, 0);
        for &v in eight {
            acc |= u64::from(v) << bits;
            bits += w;
            while bits >= 8 {
                out.push(acc as u8);
                acc >>= 8;
                bits -= 8;
            }
        }
    }
}

/// Parquet's RLE / bit-packing hybrid encoding of `n` values of `width` bits: a run
/// of 8 or more equal values as one RLE run, the rest bit-packed 8 at a time.
fn rle_hybrid(values: &[u32], width: u8, out: &mut Vec<u8>) {
    let n = values.len();
    let value_bytes = usize::from(width).div_ceil(8);
    let run_at = |i: usize| values[i..].iter().take_while(|&&v| v == values[i]).count();
    let mut i = 0;
    while i < n {
        let run = run_at(i);
        if run >= 8 {
            varint((run as u64) << 1, out);
            out.extend_from_slice(&values[i].to_le_bytes()[..value_bytes]);
            i += run;
            continue;
        }
        // Groups of 8 until one starts a run of 8 (the last group padded with 0s).
        let start = i;
        let mut groups = 0u64;
        loop {
            i += 8;
            groups += 1;
            if i >= n || values[i..(i + 8).min(n)].iter().all(|&v| v == values[i]) && i + 8 <= n {
                break;
            }
        }
        varint((groups << 1) | 1, out);
        // Eight values of `width` bits are `width` bytes.
        for group in 0..groups as usize {
            let at = start + 8 * group;
            let mut eight = [0u32; 8];
            let take = (n - at.min(n)).min(8);
            eight[..take].copy_from_slice(&values[at..at + take]);
            pack(&eight, width, out);
        }
        i = i.min(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_widths() {
        assert_eq!(bit_width(0), 0);
        assert_eq!(bit_width(1), 0);
        assert_eq!(bit_width(2), 1);
        assert_eq!(bit_width(3), 2);
        assert_eq!(bit_width(256), 8);
        assert_eq!(bit_width(257), 9);
    }

    #[test]
    fn rle_and_bit_packed_runs() {
        let mut out = Vec::new();
        rle_hybrid(&[7u32; 10], 3, &mut out);
        assert_eq!(out, vec![20, 7]);
        let mut out = Vec::new();
        // 0..8 at 3 bits: the spec's example, bytes 10001000 11000110 11111010.
        rle_hybrid(&(0u32..8).collect::<Vec<_>>(), 3, &mut out);
        assert_eq!(out, vec![3, 0b1000_1000, 0b1100_0110, 0b1111_1010]);
    }

    proptest::proptest! {
        /// A chunk's bytes depend on its rows alone, not on how its batches came:
        /// plain text, numbered by either of two readers (whose dictionaries grow),
        /// or keys of one dictionary shared by every batch, in any mix.
        #[test]
        fn chunks_depend_on_their_rows_alone(
            rows in proptest::collection::vec(proptest::option::weighted(0.9, 0usize..40), 1..3_000),
            cuts in proptest::collection::vec((1usize..700, 0u8..4), 1..12),
        ) {
            use std::sync::Arc;
            use arrow::array::UInt32Array;
            let schema = parquet::schema::parser::parse_message_type("message m { optional binary t (STRING); }").unwrap();
            let descr = parquet::schema::types::SchemaDescriptor::new(Arc::new(schema)).column(0);
            let all: Vec<String> = (0..40).map(|k| if k % 3 == 0 { format!("{k:05}") } else { format!("m{k}") }).collect();
            let shared = Arc::new(StringArray::from(all.clone()));
            let text = |part: &[Option<usize>]| StringArray::from(part.iter().map(|v| v.map(|k| all[k].as_str())).collect::<Vec<_>>());
            let mut plain = TextColumn::new(descr.clone(), Vec::new());
            let mut mixed = TextColumn::new(descr, Vec::new());
            let mut readers = [Interner::default(), Interner::default()];
            let (mut start, mut c) = (0, 0);
            while start < rows.len() {
                let (len, how) = cuts[c % cuts.len()];
                c += 1;
                let part = &rows[start..(start + len).min(rows.len())];
                start += part.len();
                plain.write(&text(part)).unwrap();
                let keys: UInt32Array = match how {
                    0 => { mixed.write(&text(part)).unwrap(); continue; }
                    3 => part.iter().map(|v| v.map(|k| k as u32)).collect(),
                    r => part.iter().map(|v| v.map(|k| readers[r as usize - 1].intern(&all[k]))).collect(),
                };
                let values = match how {
                    3 => shared.clone(),
                    r => Arc::new(readers[r as usize - 1].to_array()),
                };
                mixed.write(&DictionaryArray::new(keys, values)).unwrap();
            }
            proptest::prop_assert_eq!(plain.close().unwrap().0, mixed.close().unwrap().0);
        }

        /// Bit-packed groups hold each value's bits in order, least significant
        /// first, whatever the width: read back bit by bit.
        #[test]
        fn bit_packing_reads_back(width in 0u8..=32, seed in proptest::collection::vec(proptest::prelude::any::<u32>(), 1..40)) {
            let mask = if width == 32 { u32::MAX } else { (1u32 << width) - 1 };
            // Distinct neighbours: no run of 8, so every value is bit-packed.
            let values: Vec<u32> = seed.iter().enumerate().map(|(i, v)| (v ^ i as u32) & mask).collect();
            proptest::prop_assume!(values.windows(8).all(|w| w.iter().any(|&v| v != w[0])));
            let mut out = Vec::new();
            rle_hybrid(&values, width, &mut out);
            let groups = values.len().div_ceil(8);
            proptest::prop_assert_eq!(out[0] as usize, (groups << 1) | 1);
            let bits = &out[1..];
            proptest::prop_assert_eq!(bits.len(), groups * usize::from(width));
            for (k, &v) in values.iter().enumerate() {
                let got = (0..usize::from(width)).fold(0u32, |acc, b| {
                    let at = k * usize::from(width) + b;
                    acc | u32::from(bits[at / 8] >> (at % 8) & 1) << b
                });
                proptest::prop_assert_eq!(got, v);
            }
        }
    }
}
