//! `echelle import` as a user runs it: a bad file gives exit status 2 and a message
//! naming the file, line and column, and the store is unchanged; a good one is
//! imported; a synthetic file is registered and shown as synthetic.

use crate::echelle;
use std::path::{Path, PathBuf};

/// A private copy of the test store.
fn test_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("store");
    echelle_store::testing::copy_store(&echelle_store::testing::test_store(), &dest);
    (dir, dest)
}

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../import/fixtures").join(rel).display().to_string()
}

/// The catalog's datasets and the SHA-256 of every file of the store.
fn state(store: &Path) -> String {
    let datasets = echelle_store::Store::open(store).unwrap().catalog().datasets().unwrap();
    let mut files = Vec::new();
    let mut stack = vec![store.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let n = e.file_name().to_string_lossy().into_owned();
            if n.starts_with("catalog.sqlite") || n == ".import.lock" {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                files.push((e.path(), echelle_store::sha256_file(&e.path()).unwrap()));
            }
        }
    }
    files.sort();
    format!("{datasets:?}\n{files:?}")
}

#[test]
fn bad_files_exit_2_with_file_line_column_and_leave_the_store_unchanged() {
    let (dir, store) = test_store();
    let (code, out, err) = echelle(&store, &["import", &fixture("mobpro/FD_MOBPRO_2021.csv")]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("imported 'mobpro_2021'") && out.contains("300 rows"), "{out}");
    let before = state(&store);
    let bad = dir.path().join("FD_MOBPRO_2021.csv");
    std::fs::write(&bad, "COMMUNE;ARM;DCLT;IPONDI;TRANS\n59350;ZZZZZ;59009;1.5;5\n59350;ZZZZZ;59999;1.5;5\n").unwrap();
    let (code, _, err) = echelle(&store, &["import", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{}: line 3, column 3 (DCLT): unknown commune code '59999'", bad.display())),
        "{err}"
    );
    assert_eq!(state(&store), before);
    let (code, _, err) = echelle(&store, &["import", &fixture("mobpro/FD_MOBPRO_2021_truncated.csv")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 302, column 4"), "{err}");
    assert_eq!(state(&store), before);
    // With --rejects the valid lines go in and the bad one is set aside.
    let rejects = dir.path().join("rejects.csv");
    let (code, out, err) = echelle(
        &store,
        &["import", &fixture("mobpro/FD_MOBPRO_2021_truncated.csv"), "--rejects", rejects.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 line(s) rejected"), "{out}");
    assert!(std::fs::read_to_string(&rejects).unwrap().contains("302;4 (AGEREVQ)"));
}

#[test]
fn synthetic_data_is_labelled_synthetic() {
    let (dir, store) = test_store();
    let synth = |out: &Path, more: &[&str]| {
        let mut args = vec!["synth", "mobpro", "--within", "epci:200093201", "--rows", "5000", "--seed", "3"];
        args.extend(["--out", out.to_str().unwrap()]);
        args.extend(more);
        echelle(&store, &args)
    };
    let out_file = dir.path().join("FD_MOBPRO_2021.csv");
    let (code, out, err) = synth(&out_file, &["--import"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("SYNTHETIC FD_MOBPRO-format file"), "{out}");
    assert!(out.contains("imported 'mobpro_2021_synthetic' (mobpro, SYNTHETIC): 5000 rows"), "{out}");
    // The catalog's texts reach every French source line: they say it in French.
    let d = echelle_store::Store::open(&store).unwrap().catalog().dataset("mobpro_2021_synthetic").unwrap();
    assert!(
        d.source.starts_with("Données synthétiques générées par echelle (générateur mobpro, graine 3, 5000 lignes : "),
        "{}",
        d.source
    );
    assert!(d.title.ends_with(" [SYNTHÉTIQUE]"), "{}", d.title);
    // Same seed, same file.
    let again = dir.path().join("again.csv");
    let (code, _, _) = synth(&again, &[]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read(&out_file).unwrap(), std::fs::read(&again).unwrap());
}
