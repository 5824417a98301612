//! `echelle guarantees`: the import through the CLI (all or nothing), and the check
//! before a vote, exposure and stress test giving the same answer through the CLI
//! (`--format json`) and the API (the in-process router), articles cited.

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::mobility_cli::test_store;
use crate::echelle;

const MAPPING: &str = r#"
[guarantees]
columns = { loan = "contrat", guarantor = "garant", beneficiary = "beneficiaire", siren = "siren", category = "categorie", amount = "montant", start = "debut", years = "duree", frequency = "periodicite", rate = "taux", profile = "profil", share = "quotite" }
[finances]
columns = { guarantor = "garant", year = "exercice", revenue = "rrf", provisions = "provisions", own_annuities = "annuites" }
"#;

const GUARANTEES: &str =
    "contrat;garant;beneficiaire;siren;categorie;montant;debut;duree;periodicite;taux;profil;quotite
S;com:62119;Club;111111111;autre;1000000;2025-01-01;10;annuelle;0;annuité constante;30
S;epci:200072460;Club;111111111;autre;1000000;2025-01-01;10;annuelle;0;annuité constante;20
D;com:62119;SEM;123456789;aménagement;1000000;2024-01-01;5;annuelle;4;amortissement constant;30
D;epci:200072460;SEM;123456789;aménagement;1000000;2024-01-01;5;annuelle;4;amortissement constant;20
H;com:62498;Bailleur;444444444;logement social;500000;2025-01-01;10;trimestrielle;3;annuité constante;100
";
const FINANCES: &str = "garant;exercice;rrf;provisions;annuites
com:62119;2026;1000000;0;200000
epci:200072460;2026;4000000;0;500000
";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn import(store: &Path, dir: &Path, guarantees: &str) -> (i32, String, String) {
    let m = write(dir, "m.toml", MAPPING);
    let g = write(dir, "g.csv", guarantees);
    let f = write(dir, "f.csv", FINANCES);
    echelle(store, &["guarantees", "import", "--mapping", &m, "--guarantees", &g, "--finances", &f, "--synthetic"])
}

async fn api(router: &axum::Router, req: Request<Body>) -> Value {
    let uri = req.uri().to_string();
    let response = router.clone().oneshot(req).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

fn cli(store: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, out, err) = echelle(store, &all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn proposals() -> Vec<Value> {
    let base = json!({
        "guarantor": "com:62119", "beneficiary": "Projet", "siren": "555555555", "category": "other",
        "amount": 500000.0, "start": "2026-01-01", "years": 10, "frequency": "yearly", "rate": 0.0,
        "profile": "constant_annuity", "share": 50.0, "horizon": 5
    });
    let mut breaking = base.clone();
    breaking["share"] = json!(50.01);
    let mut social = base.clone();
    social["category"] = json!("social_housing");
    social["share"] = json!(100.0);
    social["amount"] = json!(90000000.0);
    let mut shared = base.clone();
    shared["loan"] = json!("S");
    shared["siren"] = json!("111111111");
    shared["share"] = json!(25.0);
    shared["guarantor"] = json!("epci:200072460");
    vec![base, breaking, social, shared]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_exposure_and_stress_agree_between_cli_and_api() {
    let (dir, store) = test_store();
    let (code, out, err) = import(&store, dir.path(), GUARANTEES);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("3 emprunts, 5 garanties") && out.contains("SYNTHÉTIQUE"), "{out}");

    let state = echelle_server::AppState::open(&store).await.unwrap();
    let router = echelle_server::app(state.clone(), None, Duration::from_secs(60));
    for (k, p) in proposals().into_iter().enumerate() {
        let file = write(dir.path(), &format!("p{k}.json"), &p.to_string());
        let from_cli = cli(&store, &["guarantees", "check", "--proposal", &file]);
        let req = Request::post("/api/guarantees/check")
            .header("content-type", "application/json")
            .body(Body::from(p.to_string()))
            .unwrap();
        let from_api = api(&router, req).await;
        assert_eq!(from_cli, from_api, "proposal {k}");
        // Every outcome cites its articles.
        for o in from_api["vote"]["outcomes"].as_array().unwrap() {
            assert!(o["article"].as_str().unwrap().contains("CGCT art."), "{o}");
        }
        assert_eq!(from_api["provenance"]["synthetic"], json!(true));
    }
    // What the answers say: at the share limit, just over it, social housing exempted, a shared loan.
    let answers: Vec<Value> = proposals()
        .into_iter()
        .enumerate()
        .map(|(k, _)| {
            cli(
                &store,
                &["guarantees", "check", "--proposal", &dir.path().join(format!("p{k}.json")).display().to_string()],
            )
        })
        .collect();
    assert_eq!(answers[0]["vote"]["holds"], json!(true));
    assert_eq!(answers[0]["vote"]["first_to_break"], json!("share"));
    assert_eq!(answers[1]["vote"]["holds"], json!(false));
    assert_eq!(answers[1]["first_break"]["rule"], json!("share"));
    assert_eq!(answers[2]["vote"]["holds"], json!(true));
    assert_eq!(answers[2]["vote"]["outcomes"][0]["exemption"]["basis"], json!("CGCT art. L2252-2, I, 1°"));
    // The EPCI's 25 % on top of the 50 % already guaranteed on S: 75 %, over the ceiling.
    assert_eq!(answers[3]["vote"]["outcomes"][2]["value"], json!(75.0));
    assert!(answers[3]["vote"]["outcomes"][2]["article"].as_str().unwrap().contains("L5111-4"));

    // Exposure and stress: same figures both ways.
    let e_cli = cli(&store, &["guarantees", "exposure", "epci:200072460", "com:62119", "dep:62"]);
    let e_api = api(
        &router,
        Request::get("/api/guarantees/exposure?territories=epci:200072460,com:62119,dep:62")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(e_cli, e_api);
    // S and D counted once in the EPCI: 900 000 + 600 000 € outstanding, 50 % guaranteed.
    assert_eq!(e_api[0]["loans"], json!(2));
    assert_eq!(e_api[0]["loans_outstanding"], json!(1_500_000.0));
    assert_eq!(e_api[0]["guaranteed_outstanding"], json!(750_000.0));
    let s_cli = cli(&store, &["guarantees", "stress", "--siren", "123456789", "--date", "2026-06-30"]);
    let s_api = api(
        &router,
        Request::get("/api/guarantees/stress?siren=123456789&date=2026-06-30").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(s_cli, s_api);
    assert_eq!(s_api["total_per_year"], json!([112_000.0, 108_000.0, 104_000.0]));

    // The server keeps the register it read and drops it when the store changes: the
    // commune's 30 % of D becomes 10 %, and once the store is read again the API follows.
    let exposure = || Request::get("/api/guarantees/exposure?territories=com:62119").body(Body::empty()).unwrap();
    let before = api(&router, exposure()).await;
    let changed = GUARANTEES.replace(
        "D;com:62119;SEM;123456789;aménagement;1000000;2024-01-01;5;annuelle;4;amortissement constant;30",
        "D;com:62119;SEM;123456789;aménagement;1000000;2024-01-01;5;annuelle;4;amortissement constant;10",
    );
    assert_eq!(import(&store, dir.path(), &changed).0, 0);
    assert!(state.reload_if_changed().await.unwrap());
    let after = api(&router, exposure()).await;
    assert_eq!(after, cli(&store, &["guarantees", "exposure", "com:62119"]));
    // D's 600 000 € outstanding at the end of 2026: 20 % less of it guaranteed by the commune.
    let guaranteed = |v: &Value| v[0]["guaranteed_outstanding"].as_f64().unwrap();
    assert_eq!(guaranteed(&before) - guaranteed(&after), 120_000.0);
}

#[test]
fn an_invalid_register_is_refused_with_its_lines_and_nothing_is_written() {
    let (dir, store) = test_store();
    assert_eq!(import(&store, dir.path(), GUARANTEES).0, 0);
    let before = echelle(&store, &["guarantees", "exposure", "--format", "json"]).1;
    let bad = GUARANTEES
        .replace("S;com:62119;Club;111111111;autre;1000000", "S;com:62119;Club;111111111;autre;-1000000")
        .replace("com:62498;Bailleur", "com:99999;Bailleur");
    let (code, _, err) = import(&store, dir.path(), &bad);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ligne 2, champ « amount » : montant négatif"), "{err}");
    assert!(err.contains("ligne 6, champ « guarantor » : code de garant inconnu du référentiel"), "{err}");
    assert!(err.contains("rien n'a été importé"), "{err}");
    assert_eq!(echelle(&store, &["guarantees", "exposure", "--format", "json"]).1, before);
}
