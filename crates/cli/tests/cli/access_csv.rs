//! The CSV outputs of `echelle access nearest` and `access diagnose --format csv`,
//! read back by Python's `csv` module as a spreadsheet user's tools would: names with
//! commas, double quotes and formulas (`=HYPERLINK(…)`) come back exact, formula-like
//! ones behind the guard's apostrophe, and no column is shifted.

use std::path::Path;
use std::process::Command;

use crate::echelle;
use echelle_store::testing::{copy_store, test_store};
use serde_json::Value;

/// The records of a CSV file after its `# times:` line, as Python's `csv` reads them.
fn python_csv(path: &Path) -> Vec<Vec<String>> {
    let script = "import csv, json, sys\n\
                  f = open(sys.argv[1], newline='', encoding='utf-8')\n\
                  first = f.readline()\n\
                  assert first.startswith('# times: '), first\n\
                  print(json.dumps(list(csv.reader(f))))\n";
    let out = Command::new("python3").arg("-c").arg(script).arg(path).output().expect("python3");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect())
        .collect()
}

/// How a name reads back: exact, behind an apostrophe when a spreadsheet would
/// evaluate it.
fn guarded(name: &str) -> String {
    if name.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{name}") } else { name.to_string() }
}

/// A CSV field as the test writes its input files.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

const HYPERLINK: &str = "=HYPERLINK(\"http://x\")";

#[test]
fn nearest_csv_keeps_names_with_commas_quotes_and_formulas() {
    let d = tempfile::tempdir().unwrap();
    let names = [HYPERLINK, "Pharmacie, \"du centre\"", "+33 chez « Léa », Lens", "-Nord"];
    let fac = d.path().join("pharmacies.csv");
    let mut text = String::from("id,name,lon,lat\n");
    for (i, n) in names.iter().enumerate() {
        text.push_str(&format!("f{i},{},{},50.63\n", quoted(n), 3.0 + 0.01 * i as f64));
    }
    std::fs::write(&fac, text).unwrap();
    // The origins carry the same names, and one lies west of Greenwich (a negative
    // longitude stays a number, not guarded text).
    let origins = d.path().join("origines.csv");
    let mut text = String::from("id,name,lon,lat\n");
    for (i, n) in names.iter().enumerate() {
        text.push_str(&format!("o{i},{},{},50.64\n", quoted(n), 3.0 + 0.01 * i as f64));
    }
    text.push_str("west,Ouest,-1.5,47.2\n");
    std::fs::write(&origins, text).unwrap();
    let out = d.path().join("nearest.csv");
    let (code, _, err) = echelle(
        &test_store(),
        &[
            "access",
            "nearest",
            "--straight-line",
            "--facilities",
            fac.to_str().unwrap(),
            "--origins",
            origins.to_str().unwrap(),
            "--within",
            "5",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    let rows = python_csv(&out);
    let header = &rows[0];
    assert_eq!(header[1], "origin_name");
    assert_eq!(header.last().unwrap(), "within_5_min");
    assert_eq!(rows.len(), 1 + names.len() + 1);
    for row in &rows[1..] {
        assert_eq!(row.len(), header.len(), "{row:?}");
    }
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (i, n) in names.iter().enumerate() {
        let row = rows.iter().find(|r| r[0] == format!("o{i}")).unwrap();
        assert_eq!(row[col("origin_name")], guarded(n), "{row:?}");
        // Each origin sits on its namesake facility.
        assert_eq!(row[col("facility")], format!("f{i}"), "{row:?}");
        assert_eq!(row[col("facility_name")], guarded(n), "{row:?}");
        // 0.01° of latitude (1,112 m) × 1.3 at 40 km/h: 2.17 min.
        let minutes: f64 = row[col("time_min")].parse().unwrap();
        assert!((minutes - 2.17).abs() < 0.01, "{row:?}");
        assert_eq!(row[col("mode")], "straight-line");
        assert!(row[col("within_5_min")].parse::<u32>().unwrap() >= 1, "{row:?}");
    }
    assert_eq!(guarded(HYPERLINK), "'=HYPERLINK(\"http://x\")");
    let west = rows.iter().find(|r| r[0] == "west").unwrap();
    assert_eq!(west[col("origin_lon")], "-1.5");
    assert!(west[col("time_min")].parse::<f64>().unwrap() > 300.0, "{west:?}");
}

#[test]
fn diagnose_csv_keeps_territory_and_type_names() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    copy_store(&test_store(), &store);
    let perimeter_name = "=HYPERLINK(\"http://x\"), \"Lens\", Liévin";
    let toml = d.path().join("p.toml");
    std::fs::write(
        &toml,
        format!(
            "id = \"piege\"\nname = '{perimeter_name}'\nstatus = \"provisional\"\nsource = \"test\"\n\
             include = [\"epci:200093201\"]\nexclude = []\n"
        ),
    )
    .unwrap();
    let (code, out, err) = echelle(&store, &["perimeter", "add", toml.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    let kinds = ["médecin, \"généraliste\"", "@pharmacie"];
    let fac = d.path().join("sante.csv");
    std::fs::write(
        &fac,
        format!("id,kind,lon,lat\na,{},3.06,50.63\nb,{},3.10,50.70\n", quoted(kinds[0]), quoted(kinds[1])),
    )
    .unwrap();
    let diagnose = |args: &[&str]| {
        let mut all = vec!["access", "diagnose", "--straight-line", "--facilities", fac.to_str().unwrap()];
        all.extend(["--type-field", "kind"]);
        all.extend(args);
        echelle(&store, &all)
    };
    let (code, out, err) = diagnose(&["per:piege", "epci:200093201", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    let file = d.path().join("diagnose.csv");
    std::fs::write(&file, &out).unwrap();
    let rows = python_csv(&file);
    let header = &rows[0];
    assert_eq!(&header[..3], ["territoire", "équipement", "communes"]);
    assert_eq!(header[6], "> 7 min (%)");
    assert_eq!(rows.len(), 1 + 2 * 2, "two territories × two types: {rows:?}");
    for row in &rows[1..] {
        assert_eq!(row.len(), header.len(), "{row:?}");
    }
    // Both territories are the MEL's communes: the same figures, the names exact.
    assert_eq!(rows[1][0], guarded(&format!("per:piege ({perimeter_name})")));
    assert_eq!(rows[1][0], "per:piege (=HYPERLINK(\"http://x\"), \"Lens\", Liévin)");
    assert!(rows[3][0].starts_with("epci:200093201 ("), "{:?}", rows[3]);
    // Types are sorted by name: '@' before 'm'.
    assert_eq!((rows[1][1].as_str(), rows[2][1].as_str()), ("'@pharmacie", kinds[0]));
    assert_eq!(&rows[1][2..], &rows[3][2..]);
    let communes: f64 = rows[1][2].parse().unwrap();
    let population: f64 = rows[1][3].parse().unwrap();
    assert!(communes > 90.0 && population > 1_000_000.0, "{:?}", rows[1]);
    // The same diagnostics as JSON: the perimeter's name exact, with the French label.
    let (code, out, err) = diagnose(&["per:piege", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["rows"][0]["name"], perimeter_name);
    assert_eq!(j["method_label"], "À VOL D'OISEAU × 1,3 à 40 km/h (temps estimés, sans réseau routier)");
    assert_eq!(j["rows"][0]["communes"].as_f64(), Some(communes));
}
