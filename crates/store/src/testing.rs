//! The shared test store, for the integration tests of every crate.
//!
//! `scripts/test` builds one store with the reference pack in `.cache/test-store`
//! (or `$ECHELLE_TEST_STORE`); tests read it in place, and take a private copy of it
//! before writing.

use std::path::{Path, PathBuf};

/// Where the test store is; panics with the command that builds it when it is missing.
pub fn test_store() -> PathBuf {
    let root = std::env::var_os("ECHELLE_TEST_STORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/test-store"));
    assert!(root.join("catalog.sqlite").is_file(), "no test store at {}: run scripts/test", root.display());
    root
}

/// Copies a store folder into `to` (created if needed). SQLite's shared-memory index
/// and the import lock belong to the running processes of the original: not copied.
pub fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        let n = name.to_string_lossy();
        if n.ends_with("-shm") || n == ".import.lock" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_store(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// The PostgreSQL database the suites also run on (`scripts/postgres start` prints it).
pub const DATABASE_URL_VAR: &str = "ECHELLE_TEST_DATABASE_URL";
/// `required` (CI): a missing PostgreSQL fails the suites instead of leaving them on SQLite alone.
pub const POSTGRES_REQUIRED_VAR: &str = "ECHELLE_TEST_POSTGRES";

/// A database a store's catalog lives in, for suites that run on each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestBackend {
    /// `catalog.sqlite` in the store folder.
    Sqlite,
    /// A schema of its own in the database at this URL.
    Postgres(String),
}

/// SQLite, and PostgreSQL when `ECHELLE_TEST_DATABASE_URL` is set; panics when
/// `ECHELLE_TEST_POSTGRES=required` and no URL is set (an unreachable database fails the
/// suites that use it: nothing is skipped silently).
pub fn backends() -> Vec<TestBackend> {
    let mut out = vec![TestBackend::Sqlite];
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.is_empty() => out.push(TestBackend::Postgres(url)),
        _ => assert!(
            std::env::var(POSTGRES_REQUIRED_VAR).as_deref() != Ok("required"),
            "{POSTGRES_REQUIRED_VAR}=required but {DATABASE_URL_VAR} is not set: run `scripts/postgres start`"
        ),
    }
    out
}

impl TestBackend {
    /// A schema no other test uses (PostgreSQL); `None` for SQLite.
    pub fn fresh_location(&self) -> Option<crate::PostgresLocation> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let TestBackend::Postgres(url) = self else { return None };
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let schema = format!("t{}_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed), nanos);
        Some(crate::PostgresLocation::new(url.clone(), schema))
    }

    /// Puts the catalog of the store at `root` (a private copy) on this backend: on
    /// PostgreSQL, it moves into a fresh schema.
    pub fn apply(&self, root: &Path) {
        if let Some(location) = self.fresh_location() {
            crate::Store::open(root).unwrap().move_catalog(&location).unwrap();
        }
    }
}

/// A private copy of the store `from` in `to`, its catalog on `backend`.
pub fn copy_store_on(from: &Path, to: &Path, backend: &TestBackend) {
    copy_store(from, to);
    backend.apply(to);
}

/// Registers `batch` (a `code` column of commune codes, and figures) as the commune-level
/// dataset `id` of `store`, generated (flagged synthetic) and declaring `secrecy`.
pub fn register_commune_table(
    store: &crate::Store,
    id: &str,
    batch: &arrow::array::RecordBatch,
    secrecy: echelle_platform::SecrecyRule,
) {
    let path = format!("datasets/{id}.parquet");
    std::fs::create_dir_all(store.root().join("datasets")).unwrap();
    let checksum = crate::write_parquet_atomic(&store.root().join(&path), batch).unwrap();
    let dataset = crate::Dataset {
        id: id.into(),
        title: format!("{id} (généré pour les tests)"),
        level: crate::DatasetLevel::Commune,
        key_column: "code".into(),
        path,
        source: "echelle, données générées".into(),
        vintage: "test".into(),
        geography: "2026".into(),
        rows: batch.num_rows() as u64,
        checksum,
        synthetic: true,
        secrecy: Some(secrecy),
    };
    store.catalog().register(&dataset).unwrap();
}
