//! The HTTP API on the real reference pack, request by request (no socket needed).

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::{copy_store, test_store};
use serde_json::Value;
use tower::ServiceExt;

async fn router(store: &Path) -> axum::Router {
    app(AppState::open(store).await.unwrap(), None, Duration::from_secs(30))
}

async fn call(router: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    call(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn probes_layers_and_search() {
    let r = router(&test_store()).await;
    assert_eq!(get(&r, "/health").await.0, StatusCode::OK);
    // Ready once the indicator values are materialised (503 until then).
    let (mut status, mut ready) = get(&r, "/ready").await;
    while status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(ready["status"].as_str().unwrap().starts_with("loading"), "{ready}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        (status, ready) = get(&r, "/ready").await;
    }
    assert!(ready["materialised"]["values"].as_u64().unwrap() > 1_000_000, "{ready}");
    assert_eq!((status, ready["communes"].as_u64()), (StatusCode::OK, Some(34_969)));
    let (_, layers) = get(&r, "/api/layers").await;
    assert!(layers.as_array().unwrap().iter().any(|l| l["layer"] == "epci" && l["count"] == 1255));
    let (_, found) = get(&r, "/api/search?q=bethune").await;
    assert_eq!(found[0]["key"], "com:62119");
}

#[tokio::test]
async fn values_portraits_and_comparisons() {
    let r = router(&test_store()).await;
    let (status, v) = get(&r, "/api/values?indicator=population_dgcl&layer=epci&within=dep:62").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let values = v["values"].as_array().unwrap();
    assert!(values.iter().any(|x| x["key"] == "epci:246200364" && x["value"] == 242_591.0), "{v}");
    assert!(v["indicator"]["source"].as_str().unwrap().contains("DGCL"));

    let (status, p) = get(&r, "/api/portrait/com:62119?against=per:mel").await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let keys: Vec<&str> = p["columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["com:62119", "dep:62", "reg:32", "fr", "per:mel"]);
    assert!(p["indicators"].as_array().unwrap().iter().all(|i| i["source"].is_string() && i["unit"].is_string()));

    let (status, c) = get(&r, "/api/compare?territories=per:aml").await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["columns"].as_array().unwrap().len(), 2, "inside and outside");
}

#[tokio::test]
async fn a_perimeter_posted_is_usable_at_once() {
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    let r = router(dir.path()).await;
    let body = r#"{"id": "lens-henin", "name": "Lens-Hénin", "include": ["epci:246200364", "epci:246200299"]}"#;
    let request =
        Request::post("/api/perimeters").header("content-type", "application/json").body(Body::from(body)).unwrap();
    let (status, created) = call(&r, request).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["communes"], 50);
    let (status, _) = get(&r, "/api/portrait/per:lens-henin").await;
    assert_eq!(status, StatusCode::OK);
    let again =
        Request::post("/api/perimeters").header("content-type", "application/json").body(Body::from(body)).unwrap();
    assert_eq!(call(&r, again).await.0, StatusCode::BAD_REQUEST, "same id twice");
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let r = router(&test_store()).await;
    let (status, doc) = get(&r, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.0.3");
    let paths = doc["paths"].as_object().unwrap();
    let source = include_str!("../../src/lib.rs");
    for line in source.lines().filter(|l| l.trim_start().starts_with(".route(\"")) {
        let route = line.split('"').nth(1).unwrap();
        let full = if route.starts_with("/health") || route.starts_with("/ready") {
            route.to_string()
        } else {
            format!("/api{route}")
        };
        if full != "/api/openapi.json" {
            assert!(paths.contains_key(&full), "{full} is not documented");
        }
    }
}

/// A thousand bad requests: each gets a 4xx with a JSON error, never a 5xx.
#[tokio::test]
async fn bad_requests_get_clear_4xx_errors() {
    let r = router(&test_store()).await;
    let codes = [
        "99999",
        "dep:00",
        "com:",
        "epci:abc",
        "per:nope",
        "xyz:1",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
        "reg:32%27%3B",
        "a%20b",
    ];
    let indicators = ["nope", "population%27", "", "%ff", "population,nope"];
    let layers = ["epci", "nope", "", "per", "iris%00"];
    let mut uris = Vec::new();
    for c in codes {
        uris.push(format!("/api/territory/{c}"));
        uris.push(format!("/api/territory/{c}/members"));
        uris.push(format!("/api/portrait/{c}"));
        uris.push(format!("/api/portrait/com:62119?against={c}"));
        uris.push(format!("/api/compare?territories={c},dep:59"));
        for l in layers {
            uris.push(format!("/api/territories?layer={l}&within={c}"));
        }
        for i in indicators {
            uris.push(format!("/api/values?indicator={i}&layer=epci&within={c}"));
            uris.push(format!("/api/portrait/{c}?indicators={i}"));
        }
    }
    for i in indicators {
        for l in layers {
            uris.push(format!("/api/values?indicator={i}&layer={l}"));
        }
    }
    let long = "x".repeat(5000);
    uris.extend([
        "/api/values".to_string(),
        "/api/values?layer=epci".into(),
        "/api/compare".into(),
        "/api/compare?territories=dep:59".into(),
        "/api/compare?territories=dep:59,dep:62,dep:80,dep:02,dep:60".into(),
        format!("/api/search?q={long}"),
        "/api/search?q=lille&limit=-1".into(),
        "/api/search?q=lille&limit=99999999".into(),
        "/api/search".into(),
        "/api/../../etc/passwd".into(),
        "/api/nope".into(),
        "/api/territory".into(),
    ]);
    let mut n = 0;
    while n < 1000 {
        for uri in &uris {
            let (status, body) = get(&r, uri).await;
            assert!(status.is_client_error(), "{uri}: {status} {body}");
            assert!(body["error"].is_string(), "{uri}: {status} {body}");
            n += 1;
        }
    }
    for body in [
        "{",
        "[]",
        r#"{"id": "Bad Id", "name": "x", "include": ["dep:59"]}"#,
        r#"{"id": "x", "name": "x", "include": ["99999"]}"#,
    ] {
        let request =
            Request::post("/api/perimeters").header("content-type", "application/json").body(Body::from(body)).unwrap();
        let (status, error) = call(&r, request).await;
        assert!(status.is_client_error() && error["error"].is_string(), "{body}: {status} {error}");
    }
}
