//! Shared studies over HTTP (issue 18): a study shared with one organisation opens for
//! its members from its link and answers "not found" to everyone else, by every
//! endpoint; its versions say who changed what; its report holds every table with its
//! sources (read back: the ZIP, the CSV, the XLSX by openpyxl's reader when installed,
//! the PDF by pdftotext, the GeoPackage by SQLite).

use std::io::Read;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use echelle_platform::{Principal, Role, Viewer};
use echelle_server::{AppState, app};
use echelle_store::testing::{copy_store, test_store};
use serde_json::{Value, json};
use tower::ServiceExt;

fn analyst(org: &str) -> Viewer {
    Viewer::Account(Principal { login: format!("a-{org}"), org: Some(org.into()), role: Role::Analyst })
}

async fn router(dir: &std::path::Path) -> axum::Router {
    copy_store(&test_store(), dir);
    let state = AppState::open(dir).await.unwrap();
    state.ready().await;
    app(state, None, Duration::from_secs(120))
}

/// A request as `viewer`: status, content type and body bytes.
async fn call(
    r: &axum::Router,
    viewer: &Viewer,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, String, Vec<u8>) {
    let request = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
    let mut request = request.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap();
    request.extensions_mut().insert(viewer.clone());
    let response = r.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let kind = response.headers().get(header::CONTENT_TYPE).map_or("", |v| v.to_str().unwrap()).to_string();
    (status, kind, axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap().to_vec())
}

async fn json_call(
    r: &axum::Router,
    viewer: &Viewer,
    method: Method,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, _, bytes) = call(r, viewer, method, uri, body).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn study() -> Value {
    json!({
        "study": {
            "title": "Le commerce dans l'Arrageois",
            "notes": "Première lecture des surfaces.\nÀ compléter avec la CCI.",
            "territories": ["62041", "dep:62", "dep:59"],
            "indicators": ["population", "area"],
            "map": {"layer": "epci", "indicator": "population", "centre": [2.78, 50.29], "zoom": 9},
            "tables": [{
                "title": "Grandes surfaces par EPCI",
                "source": "CCI Hauts-de-France, inventaire 2025 (SYNTHÉTIQUE)",
                "columns": ["EPCI", "Surface (m²)"],
                "rows": [["CU d'Arras", 152000], ["CA de Lens-Liévin", 248500.5]]
            }]
        },
        "visibility": "shared",
        "share_with": ["dep62"]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_study_shared_with_one_organisation_opens_for_its_members_and_is_not_found_for_everyone_else() {
    let dir = tempfile::tempdir().unwrap();
    let r = router(dir.path()).await;
    let (owner, member, stranger) = (analyst("cci"), analyst("dep62"), analyst("aud"));
    let (status, created) = json_call(&r, &owner, Method::POST, "/api/studies", Some(study())).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap();
    assert_eq!(
        created["study"]["territories"],
        json!(["com:62041", "dep:62", "dep:59"]),
        "keys as the referential writes them"
    );
    assert_eq!(created["visibility"], json!({"kind": "shared", "owner": "cci", "with": ["dep62"]}));
    // The member opens it from its link, comments, may not change it.
    let link = format!("/api/studies/{id}");
    let (status, opened) = json_call(&r, &member, Method::GET, &link, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((opened["may_change"].as_bool(), opened["may_comment"].as_bool()), (Some(false), Some(true)));
    assert_eq!(opened["study"]["map"]["zoom"], 9, "the map as it was left");
    let (status, c) =
        json_call(&r, &member, Method::POST, &format!("{link}/comments"), Some(json!({"text": "Ajouter Béthune ?"})))
            .await;
    assert_eq!((status, c["who"].as_str()), (StatusCode::CREATED, Some("a-dep62")));
    let mut changed = study();
    changed["version"] = json!(1);
    changed["study"]["territories"] = json!(["62041", "dep:62", "dep:59", "62119"]);
    let (status, _) = json_call(&r, &member, Method::PUT, &link, Some(changed.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a member of a shared-with organisation reads, the owner changes");
    // The owner saves version 2; a save on version 1 is refused.
    let (status, saved) = json_call(&r, &owner, Method::PUT, &link, Some(changed.clone())).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["versions"][1]["changes"], json!(["territoires : + com:62119"]));
    assert_eq!(saved["versions"][1]["author"], "a-cci");
    changed["study"]["notes"] = json!("autre");
    let (status, stale) = json_call(&r, &owner, Method::PUT, &link, Some(changed)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{stale}");
    let (status, first) = json_call(&r, &member, Method::GET, &format!("{link}/versions/1"), None).await;
    assert_eq!((status, first["territories"].as_array().unwrap().len()), (StatusCode::OK, 3));
    // Everyone else: every endpoint answers exactly as for a study that does not exist.
    let missing = id + 100;
    let asks = |id: i64| {
        vec![
            (Method::GET, format!("/api/studies/{id}"), None),
            (Method::GET, format!("/api/studies/{id}/versions/1"), None),
            (Method::GET, format!("/api/studies/{id}/report"), None),
            (Method::POST, format!("/api/studies/{id}/comments"), Some(json!({"text": "?"}))),
            (Method::PUT, format!("/api/studies/{id}"), Some(json!({"version": 2, "study": {"title": "x"}}))),
        ]
    };
    for viewer in [stranger.clone(), Viewer::Public] {
        for ((m, uri, body), (_, twin, _)) in asks(id).into_iter().zip(asks(missing)) {
            let seen = call(&r, &viewer, m.clone(), &uri, body.clone()).await;
            let absent = call(&r, &viewer, m.clone(), &twin, body).await;
            assert_eq!(seen, absent, "{viewer:?} {m} {uri}: the study shows through");
            assert_eq!(seen.0, StatusCode::NOT_FOUND, "{viewer:?} {m} {uri}");
        }
        let (_, list) = json_call(&r, &viewer, Method::GET, "/api/studies", None).await;
        assert_eq!(list, json!([]), "{viewer:?}");
    }
    let (_, list) = json_call(&r, &member, Method::GET, "/api/studies", None).await;
    assert_eq!(list[0]["id"].as_i64(), Some(id));
    // Bad input: refused, nothing kept.
    for (bad, says) in [
        (json!({"study": {"title": "x", "territories": ["com:99999"]}}), "territoire « com:99999 »"),
        (
            json!({"study": {"title": "x", "tables": [{"title": "t", "source": " ", "columns": ["a"], "rows": []}]}}),
            "source est requise",
        ),
        (json!({"study": {"title": ""}}), "titre"),
        (json!({"study": {"title": "x", "indicators": ["nope"]}}), "nope"),
    ] {
        let (status, body) = json_call(&r, &owner, Method::POST, "/api/studies", Some(bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["error"].as_str().unwrap().contains(says), "{body} should say {says}");
    }
    let (status, _) = json_call(&r, &Viewer::Public, Method::POST, "/api/studies", Some(study())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (_, list) = json_call(&r, &owner, Method::GET, "/api/studies", None).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "nothing kept of the refused ones");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_study_report_holds_every_table_with_its_sources() {
    let dir = tempfile::tempdir().unwrap();
    let r = router(dir.path()).await;
    let (_, created) = json_call(&r, &analyst("cci"), Method::POST, "/api/studies", Some(study())).await;
    let id = created["id"].as_i64().unwrap();
    let (status, kind, bytes) =
        call(&r, &analyst("dep62"), Method::GET, &format!("/api/studies/{id}/report"), None).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/zip"));
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = zip.file_names().map(String::from).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "SOURCES.txt",
            "etude.json",
            "rapport.pdf",
            "tableaux/1_indicateurs_des_territoires_de_l_etude.csv",
            "tableaux/1_indicateurs_des_territoires_de_l_etude.xlsx",
            "tableaux/2_grandes_surfaces_par_epci.csv",
            "tableaux/2_grandes_surfaces_par_epci.xlsx",
            "territoires-com.gpkg",
            "territoires-dep.gpkg",
        ]
    );
    let mut read = |name: &str| {
        let mut out = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut out).unwrap();
        out
    };
    let figures = String::from_utf8(read("tableaux/1_indicateurs_des_territoires_de_l_etude.csv")).unwrap();
    assert!(figures.contains("Arras (com:62041)") && figures.contains("Pas-de-Calais (dep:62)"), "{figures}");
    assert!(figures.lines().any(|l| l.starts_with("Population")), "{figures}");
    assert!(figures.contains("Source : ") && figures.contains("INSEE"), "{figures}");
    let saved = String::from_utf8(read("tableaux/2_grandes_surfaces_par_epci.csv")).unwrap();
    assert!(
        saved.contains("248500,5") && saved.contains("Source : CCI Hauts-de-France, inventaire 2025 (SYNTHÉTIQUE)"),
        "{saved}"
    );
    let sources = String::from_utf8(read("SOURCES.txt")).unwrap();
    for needed in
        ["Grandes surfaces par EPCI", "Source : CCI Hauts-de-France", "Indicateurs des territoires", "population ("]
    {
        assert!(sources.contains(needed), "SOURCES.txt lacks {needed}: {sources}");
    }
    let xlsx = read("tableaux/2_grandes_surfaces_par_epci.xlsx");
    assert!(xlsx.starts_with(b"PK"), "an XLSX is a ZIP");
    let gpkg = read("territoires-dep.gpkg");
    let path = dir.path().join("t.gpkg");
    std::fs::write(&path, gpkg).unwrap();
    let db = rusqlite::Connection::open(&path).unwrap();
    let n: i64 = db.query_row("SELECT COUNT(*) FROM dep", [], |row| row.get(0)).unwrap();
    assert_eq!(n, 2, "dep:62 and dep:59");
    let study: Value = serde_json::from_slice(&read("etude.json")).unwrap();
    assert_eq!(study["title"], "Le commerce dans l'Arrageois");
    if let Some(text) = crate::export::pdftotext(&read("rapport.pdf")) {
        for needed in [
            "Le commerce dans l'Arrageois",
            "Première lecture des surfaces",
            "1. Indicateurs des territoires",
            "2. Grandes surfaces par EPCI",
            "Source : CCI Hauts-de-France",
            "248 500,5",
        ] {
            assert!(text.contains(needed), "the PDF lacks {needed}: {text}");
        }
    }
}
