//! `echelle retail`: the hand-checked fixture of issue 15 imported through the CLI,
//! the same figures through the CLI (`--format json`) and the API (the in-process
//! router), and a bad file refused whole with every rejected row and why.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::mobility_cli::test_store;
use crate::echelle;

fn fixture(name: &str) -> String {
    let p: PathBuf = [env!("CARGO_MANIFEST_DIR"), "..", "retail", "tests", "retail", "fixture", name].iter().collect();
    p.display().to_string()
}

fn import(store: &Path, establishments: &str) -> (i32, String, String) {
    let (m, p, b) = (fixture("mapping.toml"), fixture("projets.csv"), fixture("nsi.json"));
    echelle(
        store,
        &[
            "retail",
            "import",
            "--mapping",
            &m,
            "--establishments",
            establishments,
            "--projects",
            &p,
            "--brands",
            &b,
            "--today",
            "2026-06-30",
            "--synthetic",
        ],
    )
}

async fn api(router: &axum::Router, uri: &str) -> Value {
    let response = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

fn cli(store: &Path, args: &[&str]) -> Value {
    let mut all = vec!["retail"];
    all.extend(args);
    all.extend(["--format", "json"]);
    let (code, out, err) = echelle(store, &all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fixture_gives_the_same_figures_through_the_cli_and_the_api() {
    let (_dir, store) = test_store();
    let (code, out, err) = import(&store, &fixture("etablissements.csv"));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("20 établissements, 25 observations, 2 projets — SYNTHÉTIQUE"), "{out}");
    assert!(out.contains("S20 « E.Leclerc » : food (name-suggestion-index 8.0.fixture : shop=supermarket)"), "{out}");

    let state = echelle_server::AppState::open(&store).await.unwrap();
    let router = echelle_server::app(state, None, Duration::from_secs(60));
    let pairs: [(Vec<&str>, &str); 7] = [
        (
            vec!["inventory", "epci:200072460", "--date", "2020-01-01"],
            "/api/retail/inventory?territory=epci:200072460&date=2020-01-01",
        ),
        (vec!["inventory", "dep:62", "--date", "2026-01-01"], "/api/retail/inventory?territory=dep:62&date=2026-01-01"),
        (
            vec!["inventory", "epci:246200364", "--date", "2023-01-01", "--against", "com:62119"],
            "/api/retail/inventory?territory=epci:246200364&date=2023-01-01&against=com:62119",
        ),
        (
            vec!["change", "epci:200072460", "--from", "2020-01-01", "--to", "2026-01-01"],
            "/api/retail/change?territory=epci:200072460&from=2020-01-01&to=2026-01-01",
        ),
        (vec!["projects", "dep:62", "--date", "2026-01-01"], "/api/retail/projects?territory=dep:62&date=2026-01-01"),
        (vec!["shops", "com:62119", "--date", "2026-01-01"], "/api/retail/shops?territory=com:62119&date=2026-01-01"),
        (
            vec!["densities", "--layer", "com", "--within", "epci:200072460"],
            "/api/retail/densities?layer=com&within=epci:200072460",
        ),
    ];
    let mut answers = Vec::new();
    for (args, uri) in pairs {
        let from_cli = cli(&store, &args);
        let from_api = api(&router, uri).await;
        assert_eq!(from_cli, from_api, "{uri}");
        answers.push(from_api);
    }
    // The hand-computed figures (crates/retail/tests/retail/figures.rs) through both.
    let pop = |v: &Value| v["population"].as_f64().unwrap();
    let i = &answers[0];
    assert_eq!((&i["shops"], &i["area"]), (&json!(9), &json!(19_950.0)));
    assert_eq!(i["density"].as_f64(), Some((19_950_000.0 / pop(i) * 100.0).round() / 100.0));
    assert_eq!(i["provenance"]["synthetic"], json!(true));
    assert!(i["rules"].as_str().unwrap().contains("L752-1"));
    let i = &answers[1];
    assert_eq!((&i["shops"], &i["area"]), (&json!(17), &json!(36_970.0)));
    let bands: Vec<(Value, Value)> =
        i["by_band"].as_array().unwrap().iter().map(|b| (b["shops"].clone(), b["area"].clone())).collect();
    assert_eq!(bands, vec![(json!(6), json!(3_170.0)), (json!(5), json!(7_700.0)), (json!(6), json!(26_100.0))]);
    assert_eq!(
        i["excluded"],
        json!([
            {"key": "car", "label": "exclu : automobile : concessionnaires et garages", "shops": 1, "area": 1500.0},
            {"key": "in_mall", "label": "moins de 300 m² dans une galerie marchande", "shops": 1, "area": 250.0}
        ])
    );
    assert_eq!(i["projects"]["authorised_not_opened"], json!({"count": 1, "area": 800.0}));
    assert_eq!(i["projects"]["cdac_approval"]["by_number_pct"], json!(50.0));
    assert_eq!(i["projects"]["final_approval"]["by_area_pct"], json!(80.0));
    assert_eq!(answers[2]["references"].as_array().unwrap().last().unwrap()["territory"], json!("com:62119"));
    let c = &answers[3];
    assert_eq!(
        [&c["openings"], &c["extensions"], &c["closures"], &c["moved_out"]],
        [
            &json!({"count": 1, "area": 1200.0}),
            &json!({"count": 1, "area": 1000.0}),
            &json!({"count": 1, "area": 900.0}),
            &json!({"count": 1, "area": 400.0})
        ]
    );
    assert_eq!((&c["net_shops"], &c["net_area"]), (&json!(-1), &json!(900.0)));
    let p = &answers[4];
    let states: Vec<(&str, &str)> = p["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["id"].as_str().unwrap(), x["status"].as_str().unwrap()))
        .collect();
    assert_eq!(states, vec![("P1", "opened"), ("P2", "authorised")]);
    assert_eq!(p["projects"][1]["cdac"]["votes"], json!([3, 6, 0]));
    assert_eq!(answers[5]["shops"].as_array().unwrap().len(), 5);
    let d: Vec<(&str, f64)> = answers[6]["territories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["territory"].as_str().unwrap(), t["area"].as_f64().unwrap()))
        .collect();
    // On 2026-01-01 (the latest date): Béthune 17 300, Bruay 3 550 among the EPCI's communes.
    assert!(d.contains(&("com:62119", 17_300.0)) && d.contains(&("com:62178", 3_550.0)), "{d:?}");

    // The shops as GeoJSON points: the same file through the CLI and the API.
    let (code, geo, err) =
        echelle(&store, &["retail", "shops", "com:62119", "--date", "2026-01-01", "--format", "geojson"]);
    assert_eq!(code, 0, "{err}");
    let response = router
        .clone()
        .oneshot(
            Request::get("/api/retail/shops.geojson?territory=com:62119&date=2026-01-01").body(Body::empty()).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    assert_eq!(geo.as_bytes(), &bytes[..]);
    let fc: Value = serde_json::from_str(&geo).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 5);
    assert!(fc["source"].as_str().unwrap().contains("SYNTHÉTIQUE"));

    // CSV and XLSX exports, the source line saying SYNTHÉTIQUE.
    let (code, csv, err) =
        echelle(&store, &["retail", "inventory", "dep:62", "--date", "2026-01-01", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    assert!(csv.contains("SYNTHÉTIQUE") && csv.contains("36970"), "{csv}");
    let xlsx = store.join("inv.xlsx").display().to_string();
    let (code, _, err) = echelle(&store, &["retail", "projects", "dep:62", "--format", "xlsx", "--out", &xlsx]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 1_000);
}

#[test]
fn a_bad_file_is_refused_whole_with_every_rejected_row() {
    let (dir, store) = test_store();
    assert_eq!(import(&store, &fixture("etablissements.csv")).0, 0);
    let before = echelle(&store, &["retail", "inventory", "dep:62", "--format", "json"]).1;
    let good = std::fs::read_to_string(fixture("etablissements.csv")).unwrap();
    let bad = good
        .replace("S03;;Mode Béthune;;62119;;;600;", "S03;;Mode Béthune;;62119;;;;")
        .replace("S05;;Brico Béthune;;62119;;;8000;", "S05;;Brico Béthune;;62119;;;-8000;")
        .replace("S05;;Brico Béthune;;62119;2.61;50.53;8000;", "S05;;Brico Béthune;;62119;2.61;50.53;-8000;")
        .replace("S09;;Super Bruay;;62178;", "S09;;Super Bruay;;99999;")
        .replace("S11;;Divers Bruay;;62178;;;350;;autre;", "S11;;Divers Bruay;;62178;;;350;;pharmacie;")
        .replace(";2022-06-30;2023-01-01;", ";2019-06-30;2023-01-01;")
        .replace(
            "S19;;Mode Liévin;;62510;;;320;;équipement de la personne;;;;;;2020-01-01;",
            "S19;;Mode Liévin;;62510;;;320;;équipement de la personne;;;;;;2031-01-01;",
        )
        + "S02;;Super Centre;;62119;2.641;50.5305;1200;;alimentaire;;;;2010-01-01;;2020-01-01;\n";
    let path = dir.path().join("bad.csv");
    std::fs::write(&path, bad).unwrap();
    let (code, _, err) = import(&store, &path.display().to_string());
    assert_eq!(code, 2, "{err}");
    for expected in [
        "etablissements, ligne 6, champ « area_indoor » : surface de vente manquante",
        "etablissements, ligne 9, champ « area_indoor » : surface négative « -8000 »",
        "etablissements, ligne 13, champ « closed » : fermeture (2019-06-30) avant le 2020-01-01, où l'établissement « S08 » est observé ouvert",
        "etablissements, ligne 14, champ « commune » : commune inconnue du référentiel : « 99999 »",
        "etablissements, ligne 17, champ « category » : catégorie inconnue « pharmacie »",
        "etablissements, ligne 25, champ « observed » : date dans le futur (2031-01-01, après le 2026-06-30)",
        "etablissements, ligne 27, champ « id » : identifiant en double : « S02 » déjà observé le 2020-01-01 à la ligne 5",
        "rien n'a été importé",
    ] {
        assert!(err.contains(expected), "{expected}\n{err}");
    }
    assert_eq!(echelle(&store, &["retail", "inventory", "dep:62", "--format", "json"]).1, before);
}
