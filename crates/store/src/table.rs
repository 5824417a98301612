//! Reading and writing Parquet tables, always through a temporary file renamed into
//! place so that a reader never sees half a file.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::Schema;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use sha2::{Digest, Sha256};

use crate::StoreError;

/// Writes `batch` to `path` (zstd-compressed Parquet) atomically; returns the file's
/// SHA-256.
pub fn write_parquet_atomic(path: &Path, batch: &RecordBatch) -> Result<String, StoreError> {
    let tmp = path.with_extension("parquet.partial");
    let err = |e: parquet::errors::ParquetError| StoreError::Parquet { path: path.into(), message: e.to_string() };
    let file = File::create(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("valid level")))
        .build();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(err)?;
    writer.write(batch).map_err(err)?;
    let file = writer.into_inner().map_err(err)?;
    file.sync_all().map_err(|e| StoreError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))?;
    sha256_file(path)
}

/// Reads a whole Parquet file as one batch.
pub fn read_parquet(path: &Path) -> Result<RecordBatch, StoreError> {
    let err = |e: parquet::errors::ParquetError| StoreError::Parquet { path: path.into(), message: e.to_string() };
    let file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(err)?;
    let schema: Arc<Schema> = builder.schema().clone();
    let reader = builder.with_batch_size(1 << 16).build().map_err(err)?;
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| StoreError::Parquet { path: path.into(), message: e.to_string() })?;
    arrow::compute::concat_batches(&schema, &batches)
        .map_err(|e| StoreError::Parquet { path: path.into(), message: e.to_string() })
}

/// The SHA-256 of a file, hex-encoded.
pub fn sha256_file(path: &Path) -> Result<String, StoreError> {
    let mut hasher = Sha256::new();
    let mut file = File::open(path).map_err(|e| StoreError::io(path, e))?;
    std::io::copy(&mut file, &mut HashWriter(&mut hasher)).map_err(|e| StoreError::io(path, e))?;
    Ok(hex(&hasher.finalize()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
