//! Security headers on every response (API, tile, error, static file).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::test_store;
use tower::ServiceExt;

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let web = dir.path().join("dist");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), "<!doctype html><title>echelle</title>").unwrap();
    std::fs::write(web.join("assets/app.js"), "console.log(1)").unwrap();
    let r = app(AppState::open(&test_store()).await.unwrap(), Some(web), Duration::from_secs(30));
    for (uri, status) in [
        ("/api/layers", StatusCode::OK),
        ("/tiles/com/9/258/171.mvt", StatusCode::OK),
        ("/api/territory/com:00000", StatusCode::NOT_FOUND),
        ("/api/nope", StatusCode::NOT_FOUND),
        ("/tiles/com/99/0/0.mvt", StatusCode::BAD_REQUEST),
        ("/assets/../../x", StatusCode::BAD_REQUEST),
        ("/assets/app.js", StatusCode::OK),
        ("/carte/epci", StatusCode::OK),
        ("/health", StatusCode::OK),
    ] {
        let response = r.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
        assert_eq!(response.status(), status, "{uri}");
        let h = response.headers();
        let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{uri}: no CSP")).to_str().unwrap();
        for directive in
            ["default-src 'self'", "worker-src 'self' blob:", "img-src 'self' data: blob:", "frame-ancestors 'none'"]
        {
            assert!(csp.contains(directive), "{uri}: {directive} not in {csp}");
        }
        assert_eq!(h["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{uri}");
        assert_eq!(h["x-frame-options"], "DENY", "{uri}");
    }
}
