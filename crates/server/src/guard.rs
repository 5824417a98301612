//! Requests refused before any route or the static file service sees them: a `Host`
//! that is not allowed (421, see [`crate::site`]); paths that try to climb out of a
//! directory (`..` segments, also percent-encoded) or carry backslashes or NUL bytes
//! (400); addresses or headers too long (414, 431). Every refusal is JSON.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// The path percent-decoded, or `None` when it does not decode to UTF-8.
fn decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Whether a request path is acceptable (decoded twice, for doubly encoded dots).
pub fn acceptable(path: &str) -> bool {
    let Some(once) = decode(path) else { return false };
    let twice = decode(&once).unwrap_or_else(|| once.clone());
    [once, twice].iter().all(|p| !p.contains(['\\', '\0']) && p.split('/').all(|s| s != ".." && s != "."))
}

/// Bytes of a request's path and query accepted; beyond, a 414 (names and lists
/// longer than this are no territory's).
pub const MAX_URI_BYTES: usize = 8 * 1024;

/// Bytes of a request's headers accepted; beyond, a 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The checks of every request, in one middleware: `Host`, sizes, then path.
pub async fn admit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(refused) = foreign_host(&state, &request) {
        return refused;
    }
    let uri = request.uri();
    if uri.path().len() + uri.query().map_or(0, str::len) > MAX_URI_BYTES {
        return ApiError::Refused(
            StatusCode::URI_TOO_LONG,
            format!("request address longer than {MAX_URI_BYTES} bytes"),
        )
        .into_response();
    }
    let header_bytes: usize = request.headers().iter().map(|(n, v)| n.as_str().len() + v.len() + 4).sum();
    if header_bytes > MAX_HEADER_BYTES {
        return ApiError::Refused(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("request headers longer than {MAX_HEADER_BYTES} bytes"),
        )
        .into_response();
    }
    if !acceptable(request.uri().path()) {
        return ApiError::BadRequest(
            "path refused: '..' or '.' segments, backslashes and NUL bytes are not allowed (even percent-encoded)"
                .into(),
        )
        .into_response();
    }
    next.run(request).await
}

/// A 421 JSON error when the request's `Host` is not allowed. A request without `Host`
/// (HTTP/1.0, or in-process) is not one a browser sends: it passes.
fn foreign_host(state: &AppState, request: &Request) -> Option<Response> {
    let host = request.headers().get(header::HOST)?.to_str().unwrap_or("\u{0}");
    (!state.site().allows(host)).then(|| {
        ApiError::Refused(
            StatusCode::MISDIRECTED_REQUEST,
            "hôte non autorisé : ce serveur ne répond qu'aux noms configurés (echelle serve --allowed-host, --public-url)"
                .into(),
        )
        .into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        for ok in
            ["/", "/assets/index-1a2b.js", "/api/territory/com:62119", "/api/search", "/tiles/com/1/0/0.mvt", "/a..b"]
        {
            assert!(acceptable(ok), "{ok}");
        }
        for bad in [
            "/../etc/passwd",
            "/..%2F..%2Fetc",
            "/%2e%2e/x",
            "/%252e%252e/x",
            "/assets/..%5c..%5cx",
            "/a%00",
            "/./x",
            "/%ff",
            "/%zz",
        ] {
            assert!(!acceptable(bad), "{bad}");
        }
    }
}
