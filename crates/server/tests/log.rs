//! The request log: a 503 from `/ready` while warming up is not an ERROR.
//!
//! A binary of its own: capturing the log needs tracing's process-wide callsite
//! interest, which the concurrent tests of the `server` binary would disturb.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::test_store;
use tower::ServiceExt;

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
