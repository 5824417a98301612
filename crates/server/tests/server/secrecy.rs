//! Statistical secrecy of indicator figures in every output of the server (issue 17,
//! item 3): a chamber's count of businesses per commune of the Pas-de-Calais, imported
//! from a CSV declaring the businesses' rule (fewer than 3 not shown) and its count
//! column. Map values, portraits and their PDF, comparisons, layer exports and the OGC
//! API never show a figure of a commune with 1 or 2 businesses, and say it is secret;
//! a perimeter that differs from the département by such a commune is refused.

use std::time::Duration;

use echelle_platform::SecrecyRule;
use echelle_server::{AppState, app};
use echelle_store::Store;
use echelle_store::testing::{copy_store, test_store};
use serde_json::Value;

use crate::ok;

/// The bytes of a GET that must answer 200.
async fn body_of(router: &axum::Router, uri: &str) -> Vec<u8> {
    use tower::ServiceExt;
    let request = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), axum::http::StatusCode::OK, "{uri}");
    axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap().to_vec()
}

/// Businesses of the i-th commune of the Pas-de-Calais: 0 to 5, so that a third of
/// them have 1 or 2.
fn businesses(i: usize) -> u32 {
    (i % 6) as u32
}

/// The CSV a chamber would send: code, businesses, jobs.
fn csv(codes: &[String]) -> String {
    let mut text = String::from("CODGEO;ETABLISSEMENTS;EMPLOIS\n");
    for (i, code) in codes.iter().enumerate() {
        text.push_str(&format!("{code};{};{}\n", businesses(i), businesses(i) * 7 + 1));
    }
    text
}

const INDICATORS: &str = "
[[indicator]]
id = 'emplois_cci'
label = 'Emplois des établissements'
unit = 'emplois'
dataset = 'cci_etablissements'
aggregate = 'sum'
value = 'EMPLOIS'

[[indicator]]
id = 'emplois_par_etablissement'
label = 'Emplois par établissement'
unit = 'emplois'
dataset = 'cci_etablissements'
aggregate = 'ratio'
numerator = 'EMPLOIS'
denominator = 'ETABLISSEMENTS'
decimals = 1
";

#[tokio::test]
async fn no_output_shows_a_figure_of_fewer_than_three_businesses() {
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    let store = Store::open(dir.path()).unwrap();
    let r = store.referential().unwrap();
    let codes: Vec<String> = r
        .members(&r.resolve("dep:62").unwrap())
        .unwrap()
        .iter()
        .map(|&c| r.communes()[c as usize].code.clone())
        .collect();
    let file = dir.path().join("etablissements.csv");
    std::fs::write(&file, csv(&codes)).unwrap();
    let request = |rule: SecrecyRule| echelle_import::ImportRequest {
        path: file.clone(),
        id: Some("cci_etablissements".into()),
        source: Some("CCI Hauts-de-France".into()),
        vintage: Some("2025".into()),
        secrecy: Some(rule),
        ..Default::default()
    };
    // Without its count column the rule cannot be applied: refused, nothing written.
    let refused = echelle_import::prepare(request(SecrecyRule::businesses())).unwrap().run(&store).unwrap_err();
    assert!(refused.to_string().contains("--secrecy-count"), "{refused}");
    assert!(store.catalog().dataset("cci_etablissements").is_err());
    let rule = SecrecyRule { count_column: Some("etablissements".into()), ..SecrecyRule::businesses() };
    echelle_import::prepare(request(rule)).unwrap().run(&store).unwrap();
    store.catalog().add_indicator_catalog("cci", INDICATORS).unwrap();

    let state = AppState::open(dir.path()).await.unwrap();
    state.ready().await;
    let router = app(state, None, Duration::from_secs(120));
    let secret: Vec<bool> = (0..codes.len()).map(|i| (1..3).contains(&businesses(i))).collect();
    assert!(secret.iter().filter(|&&s| s).count() > 200);

    // The indicator says its rule.
    let list = ok(&router, "/api/indicators").await;
    let info = list.as_array().unwrap().iter().find(|i| i["id"] == "emplois_cci").unwrap();
    assert!(info["secrecy"].as_str().unwrap().contains("moins de 3 entreprises"), "{info}");

    // Map values.
    for id in ["emplois_cci", "emplois_par_etablissement"] {
        let values = ok(&router, &format!("/api/values?indicator={id}&layer=com&within=dep:62")).await;
        for v in values["values"].as_array().unwrap() {
            let i = codes.iter().position(|c| v["key"] == format!("com:{c}")).unwrap();
            assert_eq!(v["secret"], secret[i], "{id} {v}");
            assert_eq!(v["value"].is_null(), secret[i] || (id != "emplois_cci" && businesses(i) == 0), "{id} {v}");
        }
    }
    // Larger territories are shown.
    let dep = ok(&router, "/api/values?indicator=emplois_cci&layer=dep&within=reg:32").await;
    let dep62 = dep["values"].as_array().unwrap().iter().find(|v| v["key"] == "dep:62").unwrap();
    assert!(dep62["value"].as_f64().unwrap() > 1000.0 && dep62["secret"] == false, "{dep62}");

    // Portraits, their PDF and comparisons.
    let small = codes.iter().enumerate().find(|(i, _)| businesses(*i) == 2).unwrap().1.clone();
    let shown = codes.iter().enumerate().find(|(i, _)| businesses(*i) == 5).unwrap().1.clone();
    let portrait =
        ok(&router, &format!("/api/portrait/com:{small}?indicators=emplois_cci,emplois_par_etablissement")).await;
    for row in portrait["indicators"].as_array().unwrap() {
        assert!(row["values"][0].is_null() && row["secret"][0] == true, "{row}");
        assert!(row["values"][1].as_f64().is_some() && row["secret"][1] == false, "the département: {row}");
    }
    let compared =
        ok(&router, &format!("/api/compare?territories=com:{small},com:{shown}&indicators=emplois_cci")).await;
    let row = &compared["indicators"][0];
    assert!(row["values"][0].is_null() && row["secret"][0] == true && row["values"][1] == 36.0, "{compared}");
    let pdf = body_of(&router, &format!("/api/portrait/com:{small}/pdf?indicators=emplois_cci")).await;
    if let Some(text) = crate::export::pdftotext(&pdf) {
        assert!(text.contains("secret") && text.contains("moins de 3 entreprises"), "{text}");
        assert!(!text.contains("\n15\n"), "2 businesses' 15 jobs printed: {text}");
    }

    // Layer exports and the OGC API: null where secret.
    let geojson =
        body_of(&router, "/api/export/layer?layer=com&within=dep:62&indicators=emplois_cci&format=geojson").await;
    let layer: Value = serde_json::from_slice(&geojson).unwrap();
    let features = layer["features"].as_array().unwrap();
    assert_eq!(features.len(), codes.len());
    for f in features {
        let i = codes.iter().position(|c| f["properties"]["code"] == *c).unwrap();
        assert_eq!(f["properties"]["emplois_cci"].is_null(), secret[i], "{}", f["properties"]);
    }
    let item = ok(&router, &format!("/ogc/collections/communes/items/{small}")).await;
    assert!(item["properties"]["emplois_cci"].is_null(), "{item}");
    let item = ok(&router, &format!("/ogc/collections/communes/items/{shown}")).await;
    assert_eq!(item["properties"]["emplois_cci"], 36.0, "{item}");
    // The rule is stated with the property, for QGIS users.
    let collection = ok(&router, "/ogc/collections/communes").await;
    let property = collection["properties"].as_array().unwrap().iter().find(|p| p["id"] == "emplois_cci").unwrap();
    assert!(property["secrecy"].as_str().is_some_and(|s| s.contains("moins de 3 entreprises")), "{property}");

    // The audit of released perimeters: the Pas-de-Calais without one commune of two
    // businesses is refused (409), and not saved.
    let body = format!(
        r#"{{"id": "pdc-sans", "name": "Pas-de-Calais moins une", "include": ["dep:62"], "exclude": ["com:{small}"]}}"#
    );
    let request = axum::http::Request::post("/api/perimeters")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(body))
        .unwrap();
    use tower::ServiceExt;
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), axum::http::StatusCode::CONFLICT);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let error: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(error["error"].as_str().unwrap().contains("dep:62"), "{error}");
    let (status, _) = crate::get(&router, "/api/portrait/per:pdc-sans").await;
    assert_eq!(status, axum::http::StatusCode::NOT_FOUND);
}
