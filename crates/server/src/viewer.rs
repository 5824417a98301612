//! Who a request is made by, as the handlers see it.
//!
//! A middleware ([`identify`]) resolves the request into an [`echelle_platform::Viewer`]
//! and leaves it in the request's extensions; handlers take it with the [`Viewer`]
//! extractor and ask the platform what that viewer may see. A request that was never
//! identified is a public visitor's (fail closed).

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;

use crate::ApiError;

/// The viewer of the request being handled.
pub struct Viewer(pub echelle_platform::Viewer);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let viewer = parts.extensions.get::<echelle_platform::Viewer>().cloned();
        Ok(Viewer(viewer.unwrap_or(echelle_platform::Viewer::Public)))
    }
}

/// Identifies the request's viewer. The embedded single-user mode (the only one until
/// accounts exist): every request is the local user's. A viewer already in the
/// extensions is kept: only in-process callers (tests) can put one there, never a client.
pub async fn identify(mut request: Request, next: Next) -> Response {
    if request.extensions().get::<echelle_platform::Viewer>().is_none() {
        request.extensions_mut().insert(echelle_platform::Viewer::Local);
    }
    next.run(request).await
}
