//! Who a request is made by, as the handlers see it.
//!
//! A middleware ([`identify`]) resolves the request into an [`echelle_platform::Viewer`]
//! and leaves it in the request's extensions; handlers take it with the [`Viewer`]
//! extractor and ask the platform what that viewer may see. A request that was never
//! identified is a public visitor's (fail closed).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, AppState};

/// The viewer of the request being handled.
pub struct Viewer(pub echelle_platform::Viewer);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let viewer = parts.extensions.get::<echelle_platform::Viewer>().cloned();
        Ok(Viewer(viewer.unwrap_or(echelle_platform::Viewer::Public)))
    }
}

/// Identifies the request's viewer ([`crate::auth::identify`]: API token, session
/// cookie with its CSRF token on changes, else the embedded mode's local user on a
/// loopback server without accounts, else a public visitor). A viewer already in the
/// extensions is kept: only in-process callers (tests) can put one there, never a client.
/// An export answered is audited.
pub async fn identify(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if request.extensions().get::<echelle_platform::Viewer>().is_none() {
        let identified = crate::auth::identify(&state, request.method(), request.uri().path(), request.headers()).await;
        match identified {
            Ok((viewer, how)) => {
                request.extensions_mut().insert(viewer);
                if let Some(how) = how {
                    request.extensions_mut().insert(how);
                }
            }
            Err(refused) => return refused.into_response(),
        }
    }
    let path = request.uri().path();
    let export = crate::auth::is_export(path).then(|| {
        let target = match request.uri().query() {
            Some(q) => format!("{path}?{}", q.chars().take(500).collect::<String>()),
            None => path.to_string(),
        };
        let viewer =
            request.extensions().get::<echelle_platform::Viewer>().cloned().unwrap_or(echelle_platform::Viewer::Public);
        (viewer, crate::auth::client_of(request.extensions()), target)
    });
    let response = next.run(request).await;
    if let Some((viewer, from, target)) = export
        && response.status().is_success()
    {
        state.gate().record(&viewer, &from, echelle_platform::Action::Export, &target, "").await;
    }
    response
}
