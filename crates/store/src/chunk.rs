//! Column chunks whose Parquet pages echelle writes itself: an import's text
//! columns ([`crate::text_column`]) and exact decimals ([`DecimalColumn`]).
//!
//! ```text
//!  [dictionary page, PLAIN]  data page (v1): [definition levels, RLE] values  ...
//!  each page zstd 1, 65,536 rows; an offset index; no statistics
//! ```
//!
//! arrow-rs' writer would hash every text value again, and hands each decimal to
//! its encoder as a buffer of its own; here a page is a loop over a slice.

use std::ops::Range;
use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Decimal128Type;
use bytes::Bytes;
use parquet::basic::{Compression, Encoding, Type as PhysicalType, ZstdLevel};
use parquet::column::page::{CompressedPage, Page, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::{ParquetError, Result};
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// The zstd level of imported files: as small as level 3 on codes and modalities,
/// and faster to write.
pub(crate) const ZSTD_LEVEL: i32 = 1;

/// Rows per data page: pages of a few hundred kilobytes before compression.
const PAGE_ROWS: usize = 1 << 16;

/// Writes a column chunk of `rows` rows, null at `nulls` (in order): its dictionary
/// page when it has one (PLAIN bytes, number of values), then data pages whose
/// values `encode` writes, given the range of the non-null values of the page.
pub(crate) fn write_chunk(
    descr: &ColumnDescPtr,
    rows: usize,
    nulls: &[u32],
    dictionary: Option<(Vec<u8>, u32)>,
    mut encode: impl FnMut(Range<usize>, &mut Vec<u8>),
) -> Result<(Bytes, ColumnCloseResult)> {
    let nullable = descr.max_def_level() > 0;
    let mut sink = TrackedWrite::new(Vec::new());
    let mut pages = SerializedPageWriter::new(&mut sink);
    let mut zstd = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
    let mut compress = |buf: &[u8]| -> Result<Bytes> { Ok(Bytes::from(zstd.compress(buf)?)) };
    let (mut compressed, mut uncompressed) = (0i64, 0i64);
    let mut encodings = vec![Encoding::PLAIN, Encoding::RLE];
    let data_encoding = match &dictionary {
        Some(_) => {
            encodings.push(Encoding::RLE_DICTIONARY);
            Encoding::RLE_DICTIONARY
        }
        None => Encoding::PLAIN,
    };
    if let Some((plain, values)) = &dictionary {
        let page = Page::DictionaryPage {
            buf: compress(plain)?,
            num_values: *values,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        let spec = pages.write_page(CompressedPage::new(page, plain.len()))?;
        compressed += spec.compressed_size as i64;
        uncompressed += spec.uncompressed_size as i64;
    }
    let mut index = OffsetIndexBuilder::new();
    let mut first_data = None;
    let (mut row, mut value, mut null) = (0, 0, 0);
    let mut buf = Vec::new();
    while row < rows || first_data.is_none() {
        let n = PAGE_ROWS.min(rows - row);
        buf.clear();
        let page_nulls = nulls[null..].partition_point(|&z| (z as usize) < row + n);
        let values = n - page_nulls;
        if nullable {
            buf.extend_from_slice(&[0; 4]);
            definition_levels(row, n, &nulls[null..null + page_nulls], &mut buf);
            let len = (buf.len() - 4) as u32;
            buf[..4].copy_from_slice(&len.to_le_bytes());
        }
        encode(value..value + values, &mut buf);
        let page = Page::DataPage {
            buf: compress(&buf)?,
            num_values: n as u32,
            encoding: data_encoding,
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
        value += values;
        null += page_nulls;
    }
    pages.close()?;
    let bytes = sink.into_inner()?;
    let metadata = ColumnChunkMetaData::builder(Arc::clone(descr))
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL)?))
        .set_encodings(encodings)
        .set_num_values(rows as i64)
        .set_total_compressed_size(compressed)
        .set_total_uncompressed_size(uncompressed)
        .set_dictionary_page_offset(dictionary.is_some().then_some(0))
        .set_data_page_offset(first_data.expect("one data page at least"))
        .build()?;
    let close = ColumnCloseResult {
        bytes_written: bytes.len() as u64,
        rows_written: rows as u64,
        metadata,
        bloom_filter: None,
        column_index: None,
        offset_index: Some(index.build()),
    };
    Ok((Bytes::from(bytes), close))
}

/// A column chunk of exact decimals (`Decimal128`, Parquet's 16-byte
/// `FIXED_LEN_BYTE_ARRAY`), written PLAIN: a national file's weights are nearly all
/// distinct, so a dictionary would only be tried and dropped.
pub(crate) struct DecimalColumn {
    descr: ColumnDescPtr,
    /// The non-null values.
    values: Vec<i128>,
    /// The rows that are null, in order.
    nulls: Vec<u32>,
    rows: usize,
}

impl DecimalColumn {
    /// A chunk of the column `descr`, when it is stored as 16 bytes.
    pub(crate) fn new(descr: ColumnDescPtr) -> Option<Self> {
        (descr.physical_type() == PhysicalType::FIXED_LEN_BYTE_ARRAY && descr.type_length() == 16)
            .then(|| DecimalColumn { descr, values: Vec::new(), nulls: Vec::new(), rows: 0 })
    }

    pub(crate) fn write(&mut self, column: &dyn Array) -> Result<()> {
        let decimals = column
            .as_primitive_opt::<Decimal128Type>()
            .ok_or_else(|| ParquetError::General(format!("internal: column {} holds no decimal", self.descr.name())))?;
        match decimals.nulls().filter(|n| n.null_count() > 0) {
            None => self.values.extend_from_slice(decimals.values()),
            Some(nulls) => {
                if self.descr.max_def_level() == 0 {
                    return Err(ParquetError::General(format!(
                        "column {}: a null in a required column",
                        self.descr.name()
                    )));
                }
                for (row, &v) in decimals.values().iter().enumerate() {
                    if nulls.is_null(row) {
                        self.nulls.push((self.rows + row) as u32);
                    } else {
                        self.values.push(v);
                    }
                }
            }
        }
        self.rows += column.len();
        Ok(())
    }

    /// The chunk's pages: each value as its 16 bytes, big-endian two's complement.
    pub(crate) fn close(self) -> Result<(Bytes, ColumnCloseResult)> {
        write_chunk(&self.descr, self.rows, &self.nulls, None, |values, buf| {
            buf.reserve(16 * values.len());
            for v in &self.values[values] {
                buf.extend_from_slice(&v.to_be_bytes());
            }
        })
    }
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

pub(crate) fn varint(mut v: u64, out: &mut Vec<u8>) {
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
    fn definition_levels_are_runs() {
        let mut out = Vec::new();
        // Rows 10..20, nulls at 12, 13 and 19: 1×2, 0×2, 1×5, 0×1.
        definition_levels(10, 10, &[12, 13, 19], &mut out);
        assert_eq!(out, vec![4, 1, 4, 0, 10, 1, 2, 0]);
        let mut out = Vec::new();
        definition_levels(0, 3, &[], &mut out);
        assert_eq!(out, vec![6, 1]);
    }
}
