//! Bad files: each gives a clear error naming the file, the line and the column,
//! and leaves the store exactly as it was (checked by its checksums).

use crate::common;

use std::path::{Path, PathBuf};

use common::*;
use echelle_import::{Encoding, ImportError, ImportRequest, prepare};
use echelle_store::Store;

fn run(store: &Path, path: &Path, encoding: Option<Encoding>) -> Result<echelle_import::ImportReport, ImportError> {
    prepare(ImportRequest { path: path.to_path_buf(), encoding, ..Default::default() })?
        .run(&Store::open(store).unwrap())
}

/// Writes `bytes` as `name` in `dir`.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

const HEAD: &str = "COMMUNE;ARM;DCLT;IPONDI;TRANS\n";

/// Asserts a data error at (line, column) whose message names the file and has
/// `words`, and an unchanged store.
fn refused(store: &Path, path: &Path, encoding: Option<Encoding>, line: u64, column: u64, words: &str) {
    let before = snapshot(store);
    let err = run(store, path, encoding).unwrap_err();
    let msg = err.to_string();
    assert!(err.is_user_error(), "{msg}");
    let at = err.position().unwrap_or_else(|| panic!("no position in {msg}"));
    assert_eq!((at.line, at.column), (line, column), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "file named: {msg}");
    assert!(msg.contains(&format!("line {line}, column {column}")), "{msg}");
    assert!(msg.to_lowercase().contains(&words.to_lowercase()), "'{words}' in: {msg}");
    assert_eq!(snapshot(store), before, "store unchanged after: {msg}");
}

#[test]
fn every_bad_file_is_refused_with_its_place_and_the_store_is_unchanged() {
    let (t, store) = store_copy();
    // A first good import, so that "unchanged" also covers an existing dataset.
    run(&store, &fixture("mobpro/FD_MOBPRO_2021.csv"), None).unwrap();
    let d = t.path();
    let good = "59350;ZZZZZ;59009;1.5;5\n";

    let bad_value =
        file(d, "FD_MOBPRO_2021.csv", format!("{HEAD}{good}{good}59350;ZZZZZ;59009;1,2,3;5\n{good}").as_bytes());
    refused(&store, &bad_value, None, 4, 4, "IPONDI");

    let wrong_sep = file(d, "FD_MOBPRO_2021.csv", format!("{HEAD}{good}59350,ZZZZZ,59009,1.5,5\n").as_bytes());
    refused(&store, &wrong_sep, None, 3, 2, "separated by ','");

    let unknown = file(d, "FD_MOBPRO_2021.csv", format!("{HEAD}{good}59350;ZZZZZ;59999;1.5;5\n").as_bytes());
    refused(&store, &unknown, None, 3, 3, "unknown commune code '59999'");

    let dropped_zero = file(d, "FD_MOBPRO_2021.csv", format!("{HEAD}1001;ZZZZZ;59350;1.5;5\n").as_bytes());
    refused(&store, &dropped_zero, None, 2, 1, "leading zero");

    let bad_arm = file(d, "FD_MOBPRO_2021.csv", format!("{HEAD}75056;75199;59350;1.5;5\n").as_bytes());
    refused(&store, &bad_arm, None, 2, 2, "arrondissement municipal");

    let empty = file(d, "FD_MOBPRO_2021.csv", b"");
    refused(&store, &empty, None, 1, 1, "empty");

    let header_only = file(d, "FD_MOBPRO_2021.csv", HEAD.as_bytes());
    refused(&store, &header_only, None, 2, 1, "no data rows");

    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend((0..2000u32).map(|i| (i * 7919 % 251) as u8));
    let binary = file(d, "FD_MOBPRO_2021.csv", &zip);
    refused(&store, &binary, None, 1, 3, "binary");

    // Latin-1 bytes read as UTF-8 because the user said so.
    let latin1 = fixture("flows/base-flux-mobilite-domicile-lieu-travail-2021.csv");
    let text = std::fs::read(&latin1).unwrap();
    let first_accent = text.iter().position(|&b| b >= 0x80).unwrap();
    let line = text[..first_accent].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let col = first_accent - text[..first_accent].iter().rposition(|&b| b == b'\n').unwrap();
    refused(&store, &latin1, Some(Encoding::Utf8), line, col as u64, "Latin-1");

    // A file that mixes UTF-8 and Latin-1.
    let mixed = file(
        d,
        "flux.csv",
        &[b"CODGEO;LIBGEO;DCLT;L_DCLT;NBFLUX_C21_ACTOCC15P\n62119;B\xC3\xA9thune;59350;Lille;3,5\n62510;Li\xE9vin;59350;Lille;1\n".as_slice()]
            .concat(),
    );
    refused(&store, &mixed, None, 3, 2, "not UTF-8");

    // UTF-16 (Excel's "Unicode text").
    let utf16: Vec<u8> = [0xFF, 0xFE].into_iter().chain(HEAD.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
    let utf16 = file(d, "FD_MOBPRO_2021.csv", &utf16);
    refused(&store, &utf16, None, 1, 1, "UTF-16");

    // A space-separated file: no separator.
    let spaces = file(d, "FD_MOBPRO_2021.csv", b"COMMUNE ARM DCLT IPONDI TRANS\n59350 ZZZZZ 59009 1.5 5\n");
    refused(&store, &spaces, None, 1, 1, "no separator");

    // A missing column.
    let missing = file(d, "FD_MOBPRO_2021.csv", b"COMMUNE;ARM;DCLT;TRANS\n59350;ZZZZZ;59009;5\n");
    refused(&store, &missing, None, 1, 1, "no column 'IPONDI'");
}
