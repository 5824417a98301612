//! `GET /api/portrait/{key}/pdf`: the portrait as a printable PDF, with its locator
//! map drawn from the layer shapes the server already holds.

use axum::extract::{Path, State};
use axum::response::Response;
use echelle_referential::TerritoryRef;
use echelle_report::pdf::{self, Locator, Portrait};
use echelle_report::{Date, file_name};

use super::{attachment, blocking};
use crate::api::PortraitQuery;
use crate::extract::Query;
use crate::shapes;
use crate::visibility::Asker;
use crate::work::respond;
use crate::{ApiError, AppState};

/// The WGS84 rings of a territory, when its layer has shapes and it has one.
async fn rings(state: &AppState, t: &TerritoryRef) -> Option<Vec<echelle_report::layer::Polygon>> {
    let layer = shapes::shaped_layer(t.layer.prefix()).ok()?;
    let shapes = shapes::layer_shapes_async(state, layer).await.ok()?;
    shapes.get(&t.code).map(|s| s.lonlat.clone())
}

/// The locator map of `t`: its shape within its context's, or nothing when either
/// has no shape in this pack.
async fn locator(state: &AppState, t: &TerritoryRef) -> Option<Locator> {
    let engine = state.engine();
    let r = engine.referential();
    let context = pdf::locator::context(r, t)?;
    let context_name = r.name(&context).unwrap_or(&context.code).to_string();
    Some(Locator { territory: rings(state, t).await?, context: rings(state, &context).await?, context_name })
}

/// `GET /api/portrait/{key}/pdf`: the portrait as a printable A4 PDF.
#[utoipa::path(get, path = "/api/portrait/{key}/pdf", tag = "exports",
    params(("key" = String, Path, description = "A territory key, e.g. `com:62119`"), PortraitQuery),
    summary = "The portrait of a territory as a printable A4 PDF (DejaVu Sans, locator map, bars)",
    responses(
        (status = 200, description = "The PDF, as an attachment", content_type = "application/pdf", body = String),
        (status = 404, description = "An unknown territory or indicator", body = crate::error::ErrorBody),
    ))]
pub async fn portrait_pdf(
    State(state): State<AppState>,
    viewer: Asker,
    Path(key): Path<String>,
    Query(q): Query<PortraitQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let body = crate::api::portrait_body(&view, &key, &q).await?;
        let mut portrait: Portrait =
            serde_json::from_value(body).map_err(|e| ApiError::Internal(format!("portrait body: {e}")))?;
        let t = view.referential.resolve(&portrait.territory.key)?;
        portrait.locator = locator(&state, &t).await;
        let name = file_name(&format!("portrait {key}"), "pdf");
        let bytes = blocking(move || Ok(pdf::render(&portrait, Date::today())?)).await?;
        Ok(attachment(bytes, "application/pdf", &name))
    })
    .await
}
