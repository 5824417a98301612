//! Each importer reads its fixture and round-trips: the weighted counts, the number
//! of rows and the codes are exactly those computed by make_fixtures.py.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use arrow::array::{Array, AsArray};
use arrow::datatypes::Float64Type;
use common::*;
use echelle_import::decimal::parse_scaled;
use echelle_import::{ImportRequest, OnError, Options, prepare};
use echelle_store::{DatasetLevel, Store};

fn import(store: &std::path::Path, rel: &str) -> echelle_import::ImportReport {
    let prepared = prepare(ImportRequest { path: fixture(rel), ..Default::default() }).unwrap();
    prepared.run(&Store::open(store).unwrap()).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn set(v: Vec<Option<String>>) -> BTreeSet<String> {
    v.into_iter().flatten().collect()
}

#[test]
fn mobpro_detail_round_trips() {
    let (_t, store) = store_copy();
    let rel = "mobpro/FD_MOBPRO_2021.csv";
    let exp = expected(rel);
    let report = import(&store, rel);
    assert_eq!(report.dataset.id, "mobpro_2021");
    assert_eq!(report.dataset.level, DatasetLevel::Flow);
    assert!(!report.dataset.synthetic);
    let b = dataset_rows(&store, "mobpro_2021");
    assert_eq!(b.num_rows() as u64, exp["rows"].as_u64().unwrap());
    assert_eq!(report.dataset.rows, b.num_rows() as u64);
    assert_eq!(decimal_sum(&b, "IPONDI"), parse_scaled(exp["ipondi_sum"].as_str().unwrap()).unwrap());
    assert_eq!(set(strings(&b, "COMMUNE")), json_strings(&exp["home_codes"]).into_iter().collect());
    assert_eq!(set(strings(&b, "COMMUNE_CUR")), json_strings(&exp["home_codes_cur"]).into_iter().collect());
    assert_eq!(null_count(&b, "DCLT_CUR") as u64, exp["abroad_rows"].as_u64().unwrap());
    // Weighted counts per work commune on the current geography, exact.
    let mut by: BTreeMap<String, i128> = BTreeMap::new();
    for (k, w) in strings(&b, "DCLT_CUR").into_iter().zip(decimals(&b, "IPONDI")) {
        if let Some(k) = k {
            *by.entry(k).or_default() += w.unwrap();
        }
    }
    let want: BTreeMap<String, i128> = exp["ipondi_by_dclt_cur"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), parse_scaled(v.as_str().unwrap()).unwrap()))
        .collect();
    assert_eq!(by, want);
    // Codes keep their zeros and letters.
    assert!(strings(&b, "COMMUNE").contains(&Some("01001".into())));
    assert!(strings(&b, "COMMUNE").contains(&Some("2A004".into())));
    let catalog = Store::open(&store).unwrap().catalog().dataset("mobpro_2021").unwrap();
    assert_eq!(echelle_store::sha256_file(&store.join(&catalog.path)).unwrap(), catalog.checksum);
}

#[test]
fn truncated_last_line_stops_or_is_rejected() {
    let (_t, store) = store_copy();
    let rel = "mobpro/FD_MOBPRO_2021_truncated.csv";
    let exp = expected(rel);
    let before = snapshot(&store);
    let err = prepare(ImportRequest { path: fixture(rel), ..Default::default() })
        .unwrap()
        .run(&Store::open(&store).unwrap())
        .unwrap_err();
    let at = err.position().expect("a data error");
    assert_eq!(at.line, exp["bad_line"].as_u64().unwrap(), "{err}");
    assert_eq!(at.column, 4, "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
    assert_eq!(snapshot(&store), before);

    let rejects = _t.path().join("rejects.csv");
    let options = Options { on_error: OnError::Reject(rejects.clone()), ..Default::default() };
    let report = prepare(ImportRequest { path: fixture(rel), options, ..Default::default() })
        .unwrap()
        .run(&Store::open(&store).unwrap())
        .unwrap();
    assert_eq!(report.dataset.rows, exp["rows"].as_u64().unwrap());
    assert_eq!(report.stats.rejected, 1);
    let text = std::fs::read_to_string(&rejects).unwrap();
    assert!(text.lines().nth(1).unwrap().starts_with("302;4"), "{text}");
}

#[test]
fn flows_round_trip() {
    let (_t, store) = store_copy();
    for (rel, id, col) in [
        ("flows/base-flux-mobilite-domicile-lieu-travail-2021.csv", "flows_work_2021", "NBFLUX_C21_ACTOCC15P"),
        ("flows/base-flux-mobilite-domicile-lieu-etude-2021.csv", "flows_study_2021", "NBFLUX_C21_SCOL02P"),
    ] {
        let exp = expected(rel);
        let report = import(&store, rel);
        assert_eq!(report.dataset.id, id);
        let b = dataset_rows(&store, id);
        assert_eq!(b.num_rows() as u64, exp["rows"].as_u64().unwrap());
        assert_eq!(decimal_sum(&b, col), parse_scaled(exp["flux_sum"].as_str().unwrap()).unwrap(), "{rel}");
        assert_eq!(set(strings(&b, "CODGEO")), json_strings(&exp["origin_codes"]).into_iter().collect());
        assert_eq!(set(strings(&b, "CODGEO_CUR")), json_strings(&exp["origin_codes_cur"]).into_iter().collect());
    }
    // Latin-1 accents decoded.
    let b = dataset_rows(&store, "flows_work_2021");
    assert!(strings(&b, "LIBGEO").contains(&Some("Béthune".into())));
    // Quoted labels of the BOM file unquoted.
    let b = dataset_rows(&store, "flows_study_2021");
    assert!(strings(&b, "L_DCETU").iter().flatten().all(|s| !s.contains('"')));
}

#[test]
fn bpe_both_vintages_round_trip_with_wgs84() {
    let (_t, store) = store_copy();
    for (rel, id) in [("bpe/bpe21_ensemble_xy.csv", "bpe_2021"), ("bpe/bpe23_ensemble_xy.csv", "bpe_2023")] {
        let exp = expected(rel);
        let report = import(&store, rel);
        assert_eq!(report.dataset.id, id);
        assert_eq!(report.dataset.level, DatasetLevel::Point);
        let b = dataset_rows(&store, id);
        assert_eq!(b.num_rows() as u64, exp["rows"].as_u64().unwrap());
        assert_eq!(b.num_rows() - null_count(&b, "LON_WGS84"), exp["geolocated"].as_u64().unwrap() as usize);
        assert_eq!(set(strings(&b, "DEPCOM")), json_strings(&exp["codes"]).into_iter().collect());
        let lon = b.column_by_name("LON_WGS84").unwrap().as_primitive::<Float64Type>();
        let lat = b.column_by_name("LAT_WGS84").unwrap().as_primitive::<Float64Type>();
        let dep = strings(&b, "DEPCOM");
        for (i, dep) in dep.iter().enumerate() {
            if lon.is_null(i) {
                continue;
            }
            let (x, y) = (lon.value(i), lat.value(i));
            if dep.as_deref() == Some("97101") {
                assert!((x + 61.5).abs() < 0.2 && (y - 16.25).abs() < 0.2, "Guadeloupe at {x} {y}");
            } else {
                assert!((-5.5..10.0).contains(&x) && (41.0..51.5).contains(&y), "{dep:?} at {x} {y}");
            }
        }
        if let Some(by_type) = exp["by_type"].as_object() {
            let types = strings(&b, "TYPEQU");
            for (t, n) in by_type {
                assert_eq!(
                    types.iter().filter(|x| x.as_deref() == Some(t.as_str())).count() as u64,
                    n.as_u64().unwrap(),
                    "{t}"
                );
            }
        }
    }
    // Lille's points land near Lille (3.06°E, 50.63°N).
    let b = dataset_rows(&store, "bpe_2021");
    let lon = b.column_by_name("LON_WGS84").unwrap().as_primitive::<Float64Type>();
    let lat = b.column_by_name("LAT_WGS84").unwrap().as_primitive::<Float64Type>();
    let i = strings(&b, "DEPCOM")
        .iter()
        .zip(0..)
        .find(|(d, i)| d.as_deref() == Some("59350") && !lon.is_null(*i))
        .unwrap()
        .1;
    assert!((lon.value(i) - 3.06).abs() < 0.05 && (lat.value(i) - 50.63).abs() < 0.05);
}

#[test]
fn filosofi_moves_onto_the_current_geography() {
    let (_t, store) = store_copy();
    let rel = "filosofi/cc_filosofi_2021_COM.csv";
    let exp = expected(rel);
    let report = import(&store, rel);
    assert_eq!(report.dataset.level, DatasetLevel::Commune);
    assert_eq!(report.dataset.key_column, "CODGEO_CUR");
    let b = dataset_rows(&store, "filosofi_2021");
    assert_eq!(b.num_rows() as u64, exp["rows"].as_u64().unwrap());
    let n = b.column_by_name("NBMENFISC21").unwrap().as_primitive::<Float64Type>();
    let total: f64 = n.iter().flatten().sum();
    assert!((total - exp["nbmenfisc_sum"].as_f64().unwrap()).abs() < 1e-6, "household counts preserved: {total}");
    let cur = strings(&b, "CODGEO_CUR");
    let med = b.column_by_name("MED21").unwrap().as_primitive::<Float64Type>();
    let relocation = report.relocation.unwrap();
    for (into, from) in exp["merged_into"].as_object().unwrap() {
        let i = cur.iter().position(|c| c.as_deref() == Some(into.as_str())).unwrap();
        assert!(med.is_null(i), "no median for merged {into}");
        let mut got: Vec<String> = relocation.merged.iter().find(|(c, _)| c == into).unwrap().1.clone();
        got.sort();
        assert_eq!(got, json_strings(from));
        assert!(relocation.not_movable.iter().any(|m| m.contains(into.as_str())));
    }
    assert!(relocation.split.is_empty(), "the pack has no true split: {:?}", relocation.split);
}

#[test]
fn cog_epci_passage_and_plain_round_trip() {
    let (_t, store) = store_copy();
    for (rel, id, key) in [
        ("cog/v_commune_2024.csv", "cog_communes_2024", "COM"),
        ("cog/Intercommunalite_Metropole_au_01-01-2024.csv", "epci_composition_2024", "CODGEO"),
        ("passage/table_passage_annuelle_2024.xlsx", "passage_2024", "CODGEO_2024"),
        ("plain/mes_donnees.csv", "mes_donnees", "CODE_INSEE"),
        ("plain/mes_donnees.xlsx", "mes_donnees", "CODGEO"),
    ] {
        let exp = expected(rel);
        let report = import(&store, rel);
        assert_eq!(report.dataset.id, id, "{rel}");
        let b = dataset_rows(&store, id);
        assert_eq!(b.num_rows() as u64, exp["rows"].as_u64().unwrap(), "{rel}");
        if let Some(codes) = exp.get("codes") {
            assert_eq!(set(strings(&b, key)), json_strings(codes).into_iter().collect(), "{rel}");
        }
        if let Some(sum) = exp.get("nb_sum") {
            let a = b.column_by_name("NB_EQUIPEMENTS").unwrap().as_primitive::<arrow::datatypes::Int64Type>();
            assert_eq!(a.iter().flatten().sum::<i64>(), sum.as_i64().unwrap());
        }
    }
    let b = dataset_rows(&store, "epci_composition_2024");
    assert!(strings(&b, "LIBEPCI").contains(&Some("Métropole Européenne de Lille".into())));

    // The correspondence table moves a file of another year's geography.
    let with_passage = |year: &str| {
        prepare(ImportRequest {
            path: fixture("plain/mes_donnees.csv"),
            passage: Some(("passage_2024".into(), year.into())),
            ..Default::default()
        })
        .unwrap()
        .run(&Store::open(&store).unwrap())
    };
    assert_eq!(with_passage("2022").unwrap().dataset.rows, 12);
    let e = with_passage("1999").unwrap_err();
    assert!(e.to_string().contains("no column CODGEO_1999"), "{e}");
}
