//! Security headers on every response (API, tile, error, static file), and the request
//! log: a 503 from `/ready` while warming up is not an ERROR.

use std::io::Write;
use std::sync::{Arc, Mutex};
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

/// Log lines written while the guard lives.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The readiness probe answers 503 while the values are materialised: logged as a
/// response, not as an ERROR (the request log sees it: the 200 of /health is there).
#[tokio::test(flavor = "current_thread")]
async fn warming_up_is_not_an_error() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let r = app(AppState::open(&test_store()).await.unwrap(), None, Duration::from_secs(30));
    let response = r.clone().oneshot(Request::get("/ready").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "warming up");
    let response = r.clone().oneshot(Request::get("/health").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("status=503"), "the 503 is logged as a response:\n{text}");
    assert!(text.contains("status=200"), "the request log is captured:\n{text}");
    assert!(!text.contains("ERROR"), "an ERROR while warming up:\n{text}");
}
