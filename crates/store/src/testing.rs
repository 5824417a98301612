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
