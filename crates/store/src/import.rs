//! Importing a dataset into the store without ever exposing half of it.
//!
//! ```text
//!  lock datasets/.import.lock ─> write datasets/.<id>.<pid>.partial (row groups, hashed)
//!     ─> fsync ─> rename to datasets/<id>-<sha256[..16]>.parquet ─> fsync folder
//!     ─> one catalog transaction (the commit) ─> remove the file it replaced
//! ```
//!
//! A process killed before the catalog transaction leaves the catalog as it was and
//! at most a file nobody points to; one killed after it leaves the new state and at
//! most the old file. Both leftovers are swept by the next import, under the lock,
//! so the catalog and the files it names are always exactly "before" or "after".

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::{ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory, compute_leaves};
use parquet::basic::{Compression, ZstdLevel};
use parquet::column::writer::ColumnCloseResult;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::chunk::{DecimalColumn, ZSTD_LEVEL};
use crate::table::hex;
use crate::text_column::TextColumn;
use crate::{Dataset, DatasetLevel, Store, StoreError};

/// The folder of imported datasets, relative to the store root.
pub const DATASETS_DIR: &str = "datasets";

/// What the importer knows of a dataset before its file exists; the path, row count
/// and checksum are filled in by the commit.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetMeta {
    /// The dataset id; also the stem of its file.
    pub id: String,
    /// As [`Dataset::title`].
    pub title: String,
    /// What one row is.
    pub level: DatasetLevel,
    /// As [`Dataset::key_column`].
    pub key_column: String,
    /// As [`Dataset::source`].
    pub source: String,
    /// As [`Dataset::vintage`].
    pub vintage: String,
    /// As [`Dataset::geography`].
    pub geography: String,
    /// As [`Dataset::synthetic`].
    pub synthetic: bool,
    /// Its declared statistical secrecy (`None`: the rule of its kind, [`Dataset::secrecy`]).
    pub secrecy: Option<echelle_platform::SecrecyRule>,
}

/// An import in progress. Dropping it without [`DatasetImport::commit`] removes
/// its partial file: the store is left as it was.
pub struct DatasetImport<'a> {
    store: &'a Store,
    // Held for the whole import: a second import into the same store waits.
    _lock: File,
    partial: PathBuf,
    writer: Option<ColumnsWriter>,
    rows: u64,
}

/// Writes a file's finished row groups back to disk while the next ones are
/// encoded, so that the commit's `fsync` waits for the last one only.
struct WriteBack {
    tx: std::sync::mpsc::Sender<()>,
    thread: std::thread::JoinHandle<()>,
}

impl WriteBack {
    fn start(file: File) -> Self {
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            while rx.recv().is_ok() {
                while rx.try_recv().is_ok() {}
                // A failure shows again at the commit's own `fsync`.
                let _ = file.sync_data();
            }
        });
        WriteBack { tx, thread }
    }
}

impl Store {
    /// Starts writing dataset `id` aside, with the rows' `schema`; takes the store's
    /// import lock (waiting for another import to finish) and sweeps what killed
    /// imports left behind.
    pub fn begin_import(&self, id: &str, schema: SchemaRef) -> Result<DatasetImport<'_>, StoreError> {
        check_id(id)?;
        if self.catalog().hides() {
            return Err(StoreError::Invalid("internal: an import through a store that hides datasets".into()));
        }
        let dir = self.root().join(DATASETS_DIR);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let lock_path = dir.join(".import.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::io(&lock_path, e))?;
        lock.lock().map_err(|e| StoreError::io(&lock_path, e))?;
        self.sweep_datasets()?;
        let partial = dir.join(format!(".{id}.{}.partial", std::process::id()));
        let file = File::create(&partial).map_err(|e| StoreError::io(&partial, e))?;
        // No min/max statistics on text columns and decimals (their pages are
        // written by `chunk`): no reader prunes on them; other numbers keep theirs.
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(ZSTD_LEVEL).expect("valid level")))
            .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
            .build();
        let writer = ColumnsWriter::new(HashingFile { file, hasher: Sha256::new() }, schema, props)
            .map_err(|e| StoreError::Parquet { path: partial.clone(), message: e.to_string() })?;
        Ok(DatasetImport { store: self, _lock: lock, partial, writer: Some(writer), rows: 0 })
    }

    /// Removes files of `datasets/` that the catalog does not name: partial files of
    /// killed imports, new files whose commit never happened, old files whose removal
    /// never happened. Call only under the import lock.
    fn sweep_datasets(&self) -> Result<(), StoreError> {
        let dir = self.root().join(DATASETS_DIR);
        let named: std::collections::HashSet<String> = self.catalog().datasets()?.into_iter().map(|d| d.path).collect();
        let entries = std::fs::read_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == ".import.lock" {
                continue;
            }
            if !named.contains(&format!("{DATASETS_DIR}/{name}")) {
                let path = entry.path();
                std::fs::remove_file(&path).map_err(|e| StoreError::io(&path, e))?;
            }
        }
        Ok(())
    }
}

impl DatasetImport<'_> {
    /// Appends rows.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        let writer = self.writer.as_mut().expect("open until commit");
        writer.write(batch).map_err(|e| StoreError::Parquet { path: self.partial.clone(), message: e.to_string() })?;
        self.rows += batch.num_rows() as u64;
        Ok(())
    }

    /// Rows written so far, for progress bars.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Makes the dataset visible: renames the file into place and registers it in
    /// one catalog transaction, then removes the file it replaces.
    pub fn commit(mut self, meta: DatasetMeta) -> Result<Dataset, StoreError> {
        let err =
            |p: &Path, e: parquet::errors::ParquetError| StoreError::Parquet { path: p.into(), message: e.to_string() };
        let writer = self.writer.take().expect("open until commit");
        let HashingFile { file, hasher } = writer.finish().map_err(|e| err(&self.partial, e))?;
        file.sync_all().map_err(|e| StoreError::io(&self.partial, e))?;
        drop(file);
        let checksum = hex(&hasher.finalize());
        let name = format!("{}-{}.parquet", meta.id, &checksum[..16]);
        let dir = self.store.root().join(DATASETS_DIR);
        let dest = dir.join(&name);
        std::fs::rename(&self.partial, &dest).map_err(|e| StoreError::io(&dest, e))?;
        File::open(&dir).and_then(|d| d.sync_all()).map_err(|e| StoreError::io(&dir, e))?;
        let previous = self.store.catalog().dataset(&meta.id).ok();
        let dataset = Dataset {
            id: meta.id,
            title: meta.title,
            level: meta.level,
            key_column: meta.key_column,
            path: format!("{DATASETS_DIR}/{name}"),
            source: meta.source,
            vintage: meta.vintage,
            geography: meta.geography,
            rows: self.rows,
            checksum,
            synthetic: meta.synthetic,
            secrecy: meta.secrecy,
        };
        match &self.store.import_visibility {
            Some(v) => self.store.catalog().register_with_visibility(&dataset, v)?,
            None => self.store.catalog().register(&dataset)?,
        }
        if let Some(old) = previous
            && old.path != dataset.path
            && old.path.starts_with(&format!("{DATASETS_DIR}/"))
        {
            let _ = std::fs::remove_file(self.store.root().join(old.path));
        }
        Ok(dataset)
    }
}

impl Drop for DatasetImport<'_> {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.partial);
        }
    }
}

/// Rows of a row group of an imported file.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// A Parquet file whose columns are encoded on every core: text columns by
/// [`TextColumn`] (from the importer's dictionaries), the others by arrow-rs.
struct ColumnsWriter {
    file: SerializedFileWriter<HashingFile>,
    factory: ArrowRowGroupWriterFactory,
    schema: SchemaRef,
    /// The columns of the row group being written; empty between row groups.
    columns: Vec<Column>,
    /// Rows of that row group so far.
    rows: usize,
    /// Row groups written.
    groups: usize,
    /// Rows of a row group (the properties' maximum).
    group_rows: usize,
    /// Bytes of a text column's dictionary that close a row group early: a column of
    /// long, distinct values (free text) stays in pages of a bounded size.
    group_text_bytes: usize,
    /// Closed text columns' buffers of ids, for the next row group's.
    spare_ids: Vec<Vec<u32>>,
    /// The thread writing finished row groups back to disk.
    write_back: Option<WriteBack>,
}

/// As [`ColumnsWriter::group_text_bytes`].
const GROUP_TEXT_BYTES: usize = 64 << 20;

enum Column {
    Arrow(Box<ArrowColumnWriter>),
    Text(Box<TextColumn>),
    Decimal(DecimalColumn),
}

enum Chunk {
    Arrow(ArrowColumnChunk),
    /// Pages written by [`crate::chunk`], and a text column's buffer of ids.
    Own(bytes::Bytes, ColumnCloseResult, Option<Vec<u32>>),
}

impl ColumnsWriter {
    fn new(out: HashingFile, schema: SchemaRef, props: WriterProperties) -> parquet::errors::Result<Self> {
        let write_back = out.file.try_clone().ok().map(WriteBack::start);
        // One Parquet column per field: the writers and fields go in step below.
        if let Some(f) = schema.fields().iter().find(|f| f.data_type().is_nested()) {
            return Err(parquet::errors::ParquetError::General(format!(
                "internal: column {} is nested; an imported table has flat columns",
                f.name()
            )));
        }
        let group_rows = props.max_row_group_row_count().unwrap_or(ROW_GROUP_ROWS);
        // ArrowWriter sets the file up (the Arrow schema in its metadata); the
        // columns are then written here.
        let (file, factory) = ArrowWriter::try_new(out, schema.clone(), Some(props))?.into_serialized_writer()?;
        Ok(ColumnsWriter {
            file,
            factory,
            schema,
            columns: Vec::new(),
            rows: 0,
            groups: 0,
            group_rows,
            group_text_bytes: GROUP_TEXT_BYTES,
            spare_ids: Vec::new(),
            write_back,
        })
    }

    /// Appends rows; a text column may come as text or as a dictionary of text
    /// (`UInt32` keys), the other columns as their field says.
    fn write(&mut self, batch: &RecordBatch) -> parquet::errors::Result<()> {
        let n = batch.num_rows();
        if n == 0 {
            return Ok(());
        }
        if self.rows + n > self.group_rows {
            let fits = self.group_rows - self.rows;
            self.write(&batch.slice(0, fits))?;
            return self.write(&batch.slice(fits, n - fits));
        }
        if self.columns.is_empty() {
            let arrow = self.factory.create_column_writers(self.groups)?;
            let descr = self.file.schema_descr();
            self.columns = arrow
                .into_iter()
                .zip(self.schema.fields())
                .enumerate()
                .map(|(i, (w, f))| match f.data_type() {
                    DataType::Utf8 => {
                        let ids = self.spare_ids.pop().unwrap_or_else(|| Vec::with_capacity(self.group_rows));
                        Column::Text(Box::new(TextColumn::new(descr.column(i), ids)))
                    }
                    DataType::Decimal128(..) => match DecimalColumn::new(descr.column(i)) {
                        Some(d) => Column::Decimal(d),
                        None => Column::Arrow(Box::new(w)),
                    },
                    _ => Column::Arrow(Box::new(w)),
                })
                .collect();
        }
        // Each column encoded on its own: on every core.
        self.columns.par_iter_mut().zip(self.schema.fields().par_iter()).zip(batch.columns().par_iter()).try_for_each(
            |((column, field), array)| match column {
                Column::Text(t) => t.write(array),
                Column::Decimal(d) => d.write(array),
                Column::Arrow(w) => compute_leaves(field, array)?.iter().try_for_each(|leaf| w.write(leaf)),
            },
        )?;
        self.rows += n;
        let big = |c: &Column| matches!(c, Column::Text(t) if t.dictionary_bytes() > self.group_text_bytes);
        if self.rows >= self.group_rows || self.columns.iter().any(big) {
            self.flush()?;
        }
        Ok(())
    }

    /// Closes the row group being written, its columns' last pages compressed on
    /// every core.
    fn flush(&mut self) -> parquet::errors::Result<()> {
        if self.columns.is_empty() {
            return Ok(());
        }
        let chunks = std::mem::take(&mut self.columns)
            .into_par_iter()
            .map(|c| match c {
                Column::Arrow(w) => w.close().map(Chunk::Arrow),
                Column::Text(t) => t.close().map(|(bytes, close, ids)| Chunk::Own(bytes, close, Some(ids))),
                Column::Decimal(d) => d.close().map(|(bytes, close)| Chunk::Own(bytes, close, None)),
            })
            .collect::<parquet::errors::Result<Vec<_>>>()?;
        let mut group = self.file.next_row_group()?;
        for chunk in chunks {
            match chunk {
                Chunk::Arrow(c) => c.append_to_row_group(&mut group)?,
                Chunk::Own(bytes, close, ids) => {
                    group.append_column(&bytes, close)?;
                    self.spare_ids.extend(ids);
                }
            }
        }
        group.close()?;
        self.rows = 0;
        self.groups += 1;
        if let Some(w) = &self.write_back {
            let _ = w.tx.send(());
        }
        Ok(())
    }

    /// Writes the last row group and the footer.
    fn finish(mut self) -> parquet::errors::Result<HashingFile> {
        self.flush()?;
        if let Some(WriteBack { tx, thread }) = self.write_back.take() {
            drop(tx);
            let _ = thread.join();
        }
        self.file.into_inner()
    }
}

/// Dataset ids become file names: keep them to a safe alphabet.
fn check_id(id: &str) -> Result<(), StoreError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("dataset id '{id}': use 1 to 64 letters, digits, '_' or '-'")))
    }
}

/// A file that hashes what is written to it, so the checksum costs no second read.
struct HashingFile {
    file: File,
    hasher: Sha256,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, StringArray};

    use super::*;

    fn meta(id: &str) -> DatasetMeta {
        DatasetMeta {
            id: id.into(),
            title: "t".into(),
            level: DatasetLevel::Commune,
            key_column: "code".into(),
            source: "s".into(),
            vintage: "v".into(),
            geography: "2026".into(),
            synthetic: true,
            secrecy: None,
        }
    }

    fn batch(codes: &[&str]) -> RecordBatch {
        RecordBatch::try_from_iter([("code", Arc::new(StringArray::from(codes.to_vec())) as ArrayRef)]).unwrap()
    }

    /// An empty store folder whose catalog is on `backend`.
    fn empty_store(backend: &crate::testing::TestBackend) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        Store::open(dir.path()).unwrap();
        backend.apply(dir.path());
        let store = Store::open(dir.path()).unwrap();
        (dir, store)
    }

    #[test]
    fn commit_registers_and_replaces_the_old_file() {
        for backend in crate::testing::backends() {
            commit_registers_on(&backend);
        }
    }

    fn commit_registers_on(backend: &crate::testing::TestBackend) {
        let (dir, store) = empty_store(backend);
        let mut imp = store.begin_import("x", batch(&["01001"]).schema()).unwrap();
        imp.write(&batch(&["01001", "2A004"])).unwrap();
        let first = imp.commit(meta("x")).unwrap();
        assert_eq!(first.rows, 2);
        assert_eq!(crate::table::sha256_file(&dir.path().join(&first.path)).unwrap(), first.checksum);
        let mut imp = store.begin_import("x", batch(&["01001"]).schema()).unwrap();
        imp.write(&batch(&["59350"])).unwrap();
        let second = imp.commit(meta("x")).unwrap();
        assert_ne!(first.path, second.path);
        assert!(!dir.path().join(&first.path).exists(), "old file removed after the commit");
        assert_eq!(store.catalog().dataset("x").unwrap(), second);
    }

    #[test]
    fn dropped_import_leaves_nothing_and_leftovers_are_swept() {
        for backend in crate::testing::backends() {
            dropped_import_on(&backend);
        }
    }

    fn dropped_import_on(backend: &crate::testing::TestBackend) {
        let (dir, store) = empty_store(backend);
        {
            let mut imp = store.begin_import("x", batch(&["01001"]).schema()).unwrap();
            imp.write(&batch(&["01001"])).unwrap();
        }
        let files: Vec<_> =
            std::fs::read_dir(dir.path().join(DATASETS_DIR)).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, vec![std::ffi::OsString::from(".import.lock")]);
        std::fs::write(dir.path().join(DATASETS_DIR).join("y-0123.parquet"), b"orphan").unwrap();
        let imp = store.begin_import("x", batch(&["01001"]).schema()).unwrap();
        drop(imp);
        assert!(!dir.path().join(DATASETS_DIR).join("y-0123.parquet").exists());
        assert!(store.catalog().datasets().unwrap().is_empty());
    }

    /// Text columns as the importer hands them (dictionaries growing batch after batch
    /// from two reading threads, one restarted; one dictionary shared by every batch;
    /// plain text too), with nulls, empty, non-ASCII and long values, over row groups
    /// of two pages and more: read back by arrow-rs exactly as written, beside a
    /// number column written by arrow-rs.
    #[test]
    fn own_columns_read_back_as_written() {
        use arrow::array::{Array, AsArray, Decimal128Array, DictionaryArray, Int64Array, UInt32Array};
        use arrow::datatypes::{DataType, Decimal128Type, Field, Schema};
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

        use crate::dictionary::Interner;

        let value = |i: usize| -> Option<String> {
            match i % 7 {
                0 => None,
                1 => Some(String::new()),
                2 => Some(format!("{:05}", (i * 7919) % 100_000)),
                3 => Some("Évin-Malmaison".into()),
                4 => Some(format!("{}", i % 13)),
                5 => Some(format!("commune-{i}-{}", "x".repeat(i % 70))),
                _ => Some(format!("{:05}", i % 40)),
            }
        };
        let rows = 230_000;
        let schema = Arc::new(Schema::new(vec![
            Field::new("t", DataType::Utf8, true),
            Field::new("k", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
            Field::new("z", DataType::Utf8, true),
            Field::new("d", DataType::Decimal128(38, 15), true),
            Field::new("r", DataType::Decimal128(38, 15), false),
            Field::new("c", DataType::Utf8, true),
        ]));
        // Every batch of `c` shares one dictionary (an importer's list of every code),
        // of which each row group uses a part.
        let codes: ArrayRef = Arc::new(StringArray::from_iter_values((0..5_000).map(|k| format!("{k:05}"))));
        let code = |i: usize| (!i.is_multiple_of(9)).then(|| (i * 31) % 1_000 + i / 50_000 * 1_000);
        // Exact decimals, some null, negative or past 64 bits.
        let decimal = |i: usize| {
            (!i.is_multiple_of(4)).then(|| (i as i128 - 1000) * 1_000_000_000_000_007 * (1 + (i % 11) as i128))
        };
        let decimals = |values: Vec<Option<i128>>| -> ArrayRef {
            Arc::new(Decimal128Array::from(values).with_precision_and_scale(38, 15).unwrap())
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let file = File::create(&path).unwrap();
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(100_000)).build();
        let mut w = ColumnsWriter::new(HashingFile { file, hasher: Sha256::new() }, schema.clone(), props).unwrap();
        // The long values of `t` close a row group early once in a while.
        w.group_text_bytes = 256 << 10;
        let mut readers = [Interner::default(), Interner::default()];
        let dictionary = |interner: &mut Interner, values: Vec<Option<String>>| -> ArrayRef {
            let keys: UInt32Array = values.iter().map(|v| v.as_deref().map(|v| interner.intern(v))).collect();
            Arc::new(DictionaryArray::new(keys, Arc::new(interner.to_array())))
        };
        for (b, start) in (0..rows).step_by(9_000).enumerate() {
            let range = start..(start + 9_000).min(rows);
            let t: Vec<Option<String>> = range.clone().map(value).collect();
            let k: Vec<Option<String>> = range.clone().map(|i| Some(format!("k{}", i % 5))).collect();
            if b == 12 {
                readers[0].clear();
            }
            let (t, k): (ArrayRef, ArrayRef) = match b % 3 {
                0 => (Arc::new(StringArray::from(t)), Arc::new(StringArray::from(k))),
                r => (dictionary(&mut readers[r - 1], t), dictionary(&mut readers[r - 1], k)),
            };
            let n: ArrayRef = Arc::new(range.clone().map(|i| (i % 3 > 0).then_some(i as i64)).collect::<Int64Array>());
            let d = decimals(range.clone().map(decimal).collect());
            let r = decimals(range.clone().map(|i| Some(-(i as i128) << 70)).collect());
            // A column with no value at all: an empty dictionary.
            let z = match b % 3 {
                0 => Arc::new(StringArray::new_null(t.len())) as ArrayRef,
                _ => dictionary(&mut Interner::default(), vec![None; t.len()]),
            };
            let keys: UInt32Array = range.clone().map(|i| code(i).map(|k| k as u32)).collect();
            let c: ArrayRef = Arc::new(DictionaryArray::new(keys, codes.clone()));
            let fields = [
                t.data_type(),
                k.data_type(),
                n.data_type(),
                z.data_type(),
                d.data_type(),
                r.data_type(),
                c.data_type(),
            ]
            .map(|d| Field::new("x", d.clone(), true));
            let batch_schema = Arc::new(Schema::new(
                schema.fields().iter().zip(fields).map(|(f, x)| x.with_name(f.name())).collect::<Vec<_>>(),
            ));
            w.write(&RecordBatch::try_new(batch_schema, vec![t, k, n, z, d, r, c]).unwrap()).unwrap();
        }
        w.finish().unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let groups = reader.metadata().num_row_groups();
        assert!(groups > 3, "{groups} row groups: some closed early by their text");
        let mut i = 0;
        for batch in reader.build().unwrap() {
            let batch = batch.unwrap();
            let (t, k, n) = (batch.column(0).as_string::<i32>(), batch.column(1).as_string::<i32>(), batch.column(2));
            assert_eq!(batch.column(3).null_count(), batch.num_rows());
            let (d, dr) =
                (batch.column(4).as_primitive::<Decimal128Type>(), batch.column(5).as_primitive::<Decimal128Type>());
            let c = batch.column(6).as_string::<i32>();
            for r in 0..batch.num_rows() {
                assert_eq!(d.is_valid(r).then(|| d.value(r)), decimal(i), "row {i}");
                assert_eq!(dr.value(r), -(i as i128) << 70);
                assert_eq!(t.is_valid(r).then(|| t.value(r).to_string()), value(i), "row {i}");
                assert_eq!(k.value(r), format!("k{}", i % 5));
                assert_eq!(n.is_valid(r), i % 3 > 0);
                assert_eq!(c.is_valid(r).then(|| c.value(r).to_string()), code(i).map(|k| format!("{k:05}")));
                i += 1;
            }
        }
        assert_eq!(i, rows);
    }

    #[test]
    fn ids_are_file_safe() {
        assert!(check_id("mobpro_2021").is_ok());
        assert!(check_id("../x").is_err());
        assert!(check_id("").is_err());
    }
}
