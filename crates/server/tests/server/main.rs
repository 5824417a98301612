//! The integration tests of echelle-server, one binary (one link of the crate's dependencies).

mod access;
mod api;
mod auth;
mod desk;
mod export;
mod flows;
mod headers;
mod hostile;
mod ogc;
mod secrecy;
mod shapes;
mod state;
mod static_files;
mod studies;
mod values;
mod visibility;

/// A library value as a client reads it from the server: written to JSON text and
/// parsed back, with the same float parsing as the answer it is compared with.
pub fn as_sent(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// A GET on the router: status and JSON body (`null` when the body is not JSON).
pub async fn get(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    let response = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// A GET that must answer 200: its JSON body.
pub async fn ok(router: &axum::Router, uri: &str) -> Value {
    let (status, body) = get(router, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

/// A JSON number equal to `b` within 10⁻⁹ relative.
pub fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() <= 1e-9 * b.abs().max(1.0))
}
