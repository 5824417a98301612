//! What `echelle eval|compare|portrait --format csv|xlsx` writes, read back as a
//! spreadsheet user's tools would (Python's `csv`, openpyxl): perimeters named like a
//! formula, with commas or with double quotes keep their names, and no cell is a
//! formula.

use std::path::Path;
use std::process::{Command, Output};

use echelle_store::testing::{copy_store, test_store};
use serde_json::{Value, json};

/// Names a spreadsheet must show as written.
const NAMES: [(&str, &str); 3] =
    [("formule", "=HYPERLINK(\"http://x\")"), ("virgules", "Lens, Liévin, Hénin"), ("guillemets", "Le \"grand\" Lens")];

fn echelle(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_echelle")).arg("--store").arg(store).args(args).output().unwrap()
}

fn ok(store: &Path, args: &[&str]) -> Vec<u8> {
    let out = echelle(store, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The file read back by Python, or `None` when python3 or openpyxl is missing.
fn readback(kind: &str, path: &Path) -> Option<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../report/tests/readback.py");
    match Command::new("python3").arg(script).arg(kind).arg(path).output() {
        Ok(out) if out.status.success() => Some(serde_json::from_slice(&out.stdout).unwrap()),
        Ok(out) if String::from_utf8_lossy(&out.stderr).contains("No module named 'openpyxl'") => {
            eprintln!("openpyxl not installed: XLSX not read back by Python");
            None
        }
        Ok(out) => panic!("readback {kind}: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            eprintln!("python3 not run ({e}): {kind} not read back");
            None
        }
    }
}

#[test]
fn tricky_names_survive_csv_and_xlsx() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    copy_store(&test_store(), &store);
    for (id, name) in NAMES {
        let file = dir.path().join(format!("{id}.toml"));
        let toml = format!(
            "id = \"{id}\"\nname = {}\nstatus = \"provisional\"\ninclude = [\"epci:246200364\"]\n",
            json!(name)
        );
        std::fs::write(&file, toml).unwrap();
        ok(&store, &["perimeter", "add", file.to_str().unwrap()]);
    }
    let keys: Vec<String> = NAMES.iter().map(|(id, _)| format!("per:{id}")).collect();
    let mut eval = vec!["eval", "population,vacancy_rate"];
    eval.extend(keys.iter().map(String::as_str));

    // CSV on the standard output, long form: one line per territory and indicator.
    let mut args = eval.clone();
    args.extend(["--format", "csv"]);
    let csv = ok(&store, &args);
    let path = dir.path().join("eval.csv");
    std::fs::write(&path, &csv).unwrap();
    if let Some(back) = readback("csv", &path) {
        let rows = back["sheets"]["csv"].as_array().unwrap();
        assert_eq!(rows.len(), 1 + 2 * NAMES.len());
        for (k, (_, name)) in NAMES.iter().enumerate() {
            let expected = if name.starts_with('=') { format!("'{name}") } else { name.to_string() };
            for row in [&rows[1 + k], &rows[1 + NAMES.len() + k]] {
                assert_eq!(row[1], json!(expected), "{row}");
            }
        }
    }

    // XLSX to a file, wide form: one row per territory, one column per indicator.
    let xlsx = dir.path().join("eval.xlsx");
    let mut args = eval.clone();
    args.extend(["--format", "xlsx", "--out", xlsx.to_str().unwrap()]);
    assert!(ok(&store, &args).is_empty(), "nothing on the standard output");
    assert!(std::fs::read(&xlsx).unwrap().starts_with(b"PK"));
    if let Some(back) = readback("xlsx", &xlsx) {
        assert_eq!(back["formulas"], 0, "no cell is a formula");
        let sheet = back["sheets"]["Indicateurs"].as_array().unwrap();
        for (k, (_, name)) in NAMES.iter().enumerate() {
            assert_eq!(sheet[1 + k][1], json!(name), "exact in XLSX");
            assert!(sheet[1 + k][2].is_number(), "population is a number: {}", sheet[1 + k][2]);
        }
        let sources = back["sheets"]["Sources"].as_array().unwrap();
        assert!(sources.iter().any(|r| r[1] == "habitants"), "{sources:?}");
    }

    // compare and portrait share the writers.
    let compare = ok(&store, &["compare", &keys[0], &keys[1], "--format", "csv"]);
    assert!(String::from_utf8(compare).unwrap().contains("\"'=HYPERLINK(\"\"http://x\"\")\""));
    let portrait = dir.path().join("portrait.xlsx");
    ok(&store, &["portrait", &keys[2], "--format", "xlsx", "--out", portrait.to_str().unwrap()]);
    if let Some(back) = readback("xlsx", &portrait) {
        let sheet = back["sheets"].as_object().unwrap().values().next().unwrap();
        assert_eq!(sheet[1][1], json!(NAMES[2].1));
    }

    // xlsx needs a file; the refusal is one line, exit 2.
    let mut args = eval.clone();
    args.extend(["--format", "xlsx"]);
    let out = echelle(&store, &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--out"));
}
