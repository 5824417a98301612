//! The web application's files: served, and paths climbing out of its directory refused
//! with a 400 JSON error (never a file from elsewhere, never the application's page).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use serde_json::Value;
use tower::ServiceExt;

#[tokio::test]
async fn traversal_in_static_paths_is_a_400() {
    let store = std::env::var("ECHELLE_TEST_STORE")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../.cache/test-store").to_string());
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("dist");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html><title>echelle</title>").unwrap();
    std::fs::write(web.join("assets/app.js"), "console.log(1)").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "SECRET").unwrap();
    let r = app(AppState::open(std::path::Path::new(&store)).await.unwrap(), Some(web), Duration::from_secs(30));
    let get = |uri: String| {
        let r = r.clone();
        async move {
            let response = r.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
            let status = response.status();
            let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
            (status, String::from_utf8_lossy(&body).to_string())
        }
    };
    assert_eq!(get("/assets/app.js".into()).await, (StatusCode::OK, "console.log(1)".into()));
    assert!(get("/carte/epci".into()).await.1.contains("<title>echelle"), "application routes get the page");
    let climbs = [
        "/../secret.txt",
        "/..%2Fsecret.txt",
        "/assets/../../secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/assets/%252e%252e/%252e%252e/secret.txt",
        "/assets/..%5c..%5csecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/secret.txt%00.js",
        "/./assets/app.js",
        "/assets/%ff",
    ];
    let mut n = 0;
    for round in 0..100 {
        for c in climbs {
            let uri = if round % 2 == 0 { c.to_string() } else { format!("{c}?v={round}") };
            let (status, body) = get(uri.clone()).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}: {body}");
            assert!(!body.contains("SECRET") && !body.contains("<title>"), "{uri}");
            let error: Value = serde_json::from_str(&body).unwrap();
            assert!(error["error"].as_str().unwrap().contains("path refused"), "{uri}");
            n += 1;
        }
    }
    assert_eq!(n, 1000);
}
