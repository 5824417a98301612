//! Shared helpers of the integration tests: a private copy of the test store, the
//! fixtures and their expected values (computed by fixtures/make_fixtures.py with
//! exact decimals), and a snapshot of the store to prove it unchanged.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Decimal128Type;
use echelle_store::Store;
use echelle_store::testing::{copy_store, test_store};

/// A private copy of the test store, to write into.
pub fn store_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("store");
    copy_store(&test_store(), &dest);
    (dir, dest)
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

pub fn expected(rel: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixture("expected.json")).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all[rel].clone()
}

/// What the store holds: the catalog's rows and the SHA-256 of every data file
/// (SQLite's WAL side files and the import lock excluded).
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct Snapshot {
    pub catalog: Vec<String>,
    pub files: BTreeMap<String, String>,
}

pub fn snapshot(root: &Path) -> Snapshot {
    let store = Store::open(root).unwrap();
    let catalog = store.catalog().datasets().unwrap().iter().map(|d| format!("{d:?}")).collect();
    let mut files = BTreeMap::new();
    walk(root, root, &mut files);
    Snapshot { catalog, files }
}

fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let n = e.file_name().to_string_lossy().into_owned();
        if n.starts_with("catalog.sqlite") || n == ".import.lock" {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            walk(root, &e.path(), out);
        } else {
            let rel = e.path().strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.insert(rel, echelle_store::sha256_file(&e.path()).unwrap());
        }
    }
}

/// Reads a registered dataset's rows.
pub fn dataset_rows(root: &Path, id: &str) -> RecordBatch {
    let store = Store::open(root).unwrap();
    let d = store.catalog().dataset(id).unwrap();
    echelle_store::read_parquet(&root.join(&d.path)).unwrap()
}

pub fn strings(batch: &RecordBatch, col: &str) -> Vec<Option<String>> {
    let a = batch.column_by_name(col).unwrap_or_else(|| panic!("no column {col}"));
    a.as_string::<i32>().iter().map(|v| v.map(str::to_string)).collect()
}

pub fn decimal_sum(batch: &RecordBatch, col: &str) -> i128 {
    let a = batch.column_by_name(col).unwrap().as_primitive::<Decimal128Type>();
    a.iter().flatten().sum()
}

pub fn decimals(batch: &RecordBatch, col: &str) -> Vec<Option<i128>> {
    batch.column_by_name(col).unwrap().as_primitive::<Decimal128Type>().iter().collect()
}

pub fn null_count(batch: &RecordBatch, col: &str) -> usize {
    batch.column_by_name(col).unwrap().null_count()
}

pub fn json_strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}
