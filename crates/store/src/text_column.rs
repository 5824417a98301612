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
//! Readers see an ordinary dictionary-encoded `BYTE_ARRAY` column.

use std::sync::Arc;

use arrow::array::{Array, AsArray, DictionaryArray, StringArray};
use arrow::datatypes::UInt32Type;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

use crate::dictionary::Interner;

/// The zstd level of imported files: as small as level 3 on codes and modalities,
/// and faster to write.
pub(crate) const ZSTD_LEVEL: i32 = 1;

/// Rows per data page: pages of a few hundred kilobytes before compression.
const PAGE_ROWS: usize = 1 << 16;

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
        self.ids.reserve(column.len());
        for (row, value) in column.iter().enumerate() {
            match value {
                Some(v) => self.ids.push(self.dictionary.intern(v)),
                None => self.nulls.push((self.rows + row) as u32),
            }
        }
    }

    fn write_dictionary(&mut self, column: &DictionaryArray<UInt32Type>, values: &StringArray) {
        let k = self.remembered(values);
        let (_, map) = &mut self.seen[k];
        let keys = column.keys();
        let nulls = keys.nulls().filter(|n| n.null_count() > 0);
        // Values first seen in this batch get their chunk id, in the rows' order.
        for (row, &key) in keys.values().iter().enumerate() {
            if map[key as usize] == u32::MAX && !nulls.is_some_and(|n| n.is_null(row)) {
                map[key as usize] = self.dictionary.intern(values.value(key as usize));
            }
        }
        match nulls {
            None => self.ids.extend(keys.values().iter().map(|&key| map[key as usize])),
            Some(nulls) => {
                for (row, &key) in keys.values().iter().enumerate() {
                    if nulls.is_null(row) {
                        self.nulls.push((self.rows + row) as u32);
                    } else {
                        self.ids.push(map[key as usize]);
                    }
                }
            }
        }
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
        self.dictionary.byte_len()
    }

    /// The chunk's pages, what the row group needs to know of them, and its ids'
    /// memory for the next chunk.
    pub(crate) fn close(self) -> Result<(Bytes, ColumnCloseResult, Vec<u32>)> {
        let mut sink = TrackedWrite::new(Vec::new());
        let mut pages = SerializedPageWriter::new(&mut sink);
        let mut zstd = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
        let mut compress = |buf: &[u8]| -> Result<Bytes> { Ok(Bytes::from(zstd.compress(buf)?)) };
        let (mut compressed, mut uncompressed) = (0i64, 0i64);

        let plain = self.dictionary.plain();
        let page = Page::DictionaryPage {
            buf: compress(&plain)?,
            num_values: self.dictionary.len() as u32,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        let spec = pages.write_page(CompressedPage::new(page, plain.len()))?;
        compressed += spec.compressed_size as i64;
        uncompressed += spec.uncompressed_size as i64;

        let width = bit_width(self.dictionary.len());
        let mut index = OffsetIndexBuilder::new();
        let mut first_data = None;
        let (mut row, mut id, mut null) = (0, 0, 0);
        let mut buf = Vec::new();
        while row < self.rows || first_data.is_none() {
            let n = PAGE_ROWS.min(self.rows - row);
            buf.clear();
            let nulls = self.nulls[null..].partition_point(|&z| (z as usize) < row + n);
            let values = n - nulls;
            if self.nullable {
                buf.extend_from_slice(&[0; 4]);
                definition_levels(row, n, &self.nulls[null..null + nulls], &mut buf);
                let len = (buf.len() - 4) as u32;
                buf[..4].copy_from_slice(&len.to_le_bytes());
            }
            buf.push(width);
            rle_hybrid(&self.ids[id..id + values], width, &mut buf);
            let page = Page::DataPage {
                buf: compress(&buf)?,
                num_values: n as u32,
                encoding: Encoding::RLE_DICTIONARY,
                def_level_encoding: Encoding::RLE,
                rep_level_encoding: Encoding::RLE,
                statistics: None,
            };
            let spec = pages.write_page(CompressedPage::new(page, buf.len()))?;
            first_data.get_or_insert(spec.offset as i64);
            index.append_offset_and_size(spec.offset as i64, spec.compressed_size as i32);
            index.append_row_count(n as i64);
            compressed += spec.compressed_size as i64;
            uncompressed += spec.uncompressed_size as i64;
            row += n;
            id += values;
            null += nulls;
        }
        pages.close()?;
        let bytes = sink.into_inner()?;
        let metadata = ColumnChunkMetaData::builder(Arc::clone(&self.descr))
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
            .set_encodings(vec![Encoding::PLAIN, Encoding::RLE, Encoding::RLE_DICTIONARY])
            .set_num_values(self.rows as i64)
            .set_total_compressed_size(compressed)
            .set_total_uncompressed_size(uncompressed)
            .set_dictionary_page_offset(Some(0))
            .set_data_page_offset(first_data.expect("one data page at least"))
            .build()?;
        let close = ColumnCloseResult {
            bytes_written: bytes.len() as u64,
            rows_written: self.rows as u64,
            metadata,
            bloom_filter: None,
            column_index: None,
            offset_index: Some(index.build()),
        };
        Ok((Bytes::from(bytes), close, self.ids))
    }
}

/// Whether `values` holds `prefix`'s values, then perhaps more: compared as the
/// bytes of both arrays, which is exact since both start at offset 0.
fn starts_with(values: &StringArray, prefix: &StringArray) -> bool {
    let (a, b) = (values.value_offsets(), prefix.value_offsets());
    b.len() <= a.len()
        && a[0] == 0
        && b[0] == 0
        && a[..b.len()] == *b
        && values.value_data()[..b[b.len() - 1] as usize] == prefix.value_data()[..b[b.len() - 1] as usize]
}

/// The definition levels of `n` rows from `start` (1: a value, 0: a null at one of
/// `nulls`), as RLE runs of a 1-bit value.
fn definition_levels(start: usize, n: usize, nulls: &[u32], out: &mut Vec<u8>) {
    let mut run = |len: usize, level: u8| {
        if len > 0 {
            varint((len as u64) << 1, out);
            out.push(level);
        }
    };
    let (mut at, mut k) = (start, 0);
    while k < nulls.len() {
        let first = nulls[k] as usize;
        let mut last = first;
        while k + 1 < nulls.len() && nulls[k + 1] as usize == last + 1 {
            k += 1;
            last += 1;
        }
        run(first - at, 1);
        run(last + 1 - first, 0);
        at = last + 1;
        k += 1;
    }
    run(start + n - at, 1);
}

/// Bits for ids below `n`.
fn bit_width(n: usize) -> u8 {
    (usize::BITS - n.saturating_sub(1).leading_zeros()) as u8
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
            let (mut acc, mut bits) = (0u128, 0);
            for k in at..at + 8 {
                acc |= u128::from(values.get(k).copied().unwrap_or(0)) << bits;
                bits += usize::from(width);
                if bits > 64 {
                    // Past 16 bits a value: the lower bytes are written first.
                    out.extend_from_slice(&acc.to_le_bytes()[..8]);
                    acc >>= 64;
                    bits -= 64;
                }
            }
            out.extend_from_slice(&acc.to_le_bytes()[..bits.div_ceil(8)]);
        }
        i = i.min(n);
    }
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
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
    fn definition_levels_are_runs() {
        let mut out = Vec::new();
        // Rows 10..20, nulls at 12, 13 and 19: 1×2, 0×2, 1×5, 0×1.
        definition_levels(10, 10, &[12, 13, 19], &mut out);
        assert_eq!(out, vec![4, 1, 4, 0, 10, 1, 2, 0]);
        let mut out = Vec::new();
        definition_levels(0, 3, &[], &mut out);
        assert_eq!(out, vec![6, 1]);
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
