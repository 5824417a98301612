//! Third places over HTTP (issue 14): where to open the next sites, on the
//! observatory's demand and candidates. The handler parses, calls
//! `echelle_mobility::third_places::run` (as the CLI's building blocks do) on the work
//! pool with a time limit, and returns its answer as it is; impossible inputs are a 400
//! with the library's French message. The web page asks once per p for the coverage
//! curve, so that each point is an optimum and progress shows.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use echelle_mobility::sites::{self, SitesFormat};
use echelle_mobility::third_places::{self, Locator, StudyAnswer, StudyRequest};
use echelle_siting::Limits;
use serde::Deserialize;

use crate::extract::Query;
use crate::visibility::Asker;
use crate::visibility::View;
use crate::work::respond;
use crate::{ApiError, AppState};

/// Seconds one solve may take before the gap reached is returned.
pub const TIME_LIMIT_SECONDS: u64 = 30;

/// Solves a location model on the communes of a territory and states the sites chosen
/// with the demand each serves, the optimum, its bound and gap, and the distance kind.
#[utoipa::path(
    post,
    path = "/api/siting/study",
    tag = "siting",
    request_body = StudyRequest,
    responses(
        (status = 200, description = "Sites choisis, demande servie, optimum, borne, écart", body = StudyAnswer),
        (status = 400, description = "Demande impossible (p trop grand, distance manquante…)", body = crate::error::ErrorBody),
        (status = 404, description = "Territoire inconnu", body = crate::error::ErrorBody),
    )
)]
pub async fn study(
    State(state): State<AppState>,
    viewer: Asker,
    Json(q): Json<StudyRequest>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move { Ok(Json(answer(&state, &view, &q)?)) }).await
}

/// The study on what the viewer may see: its territory resolved without the perimeters
/// it may not see, its demand read from the datasets it may see.
fn answer(state: &AppState, view: &View, q: &StudyRequest) -> Result<StudyAnswer, ApiError> {
    let store = view.store(state)?;
    let locator = Locator::from_store(&store)?;
    let sets = |name: &str| state.facility_set_path(name).ok();
    let limits = Limits { time: Some(Duration::from_secs(TIME_LIMIT_SECONDS)), ..Limits::default() };
    Ok(third_places::run(&store, &view.referential, &locator, q, &sets, limits, &mut |_| {})?)
}

/// The format of an exported study.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportFormat {
    /// `csv`, `xlsx`, `geojson` or `gpkg`.
    pub format: String,
}

/// Solves the study as `/api/siting/study` does and returns its sites as a file, each
/// row stating the model, its parameters, the optimum, the bound and the gap.
#[utoipa::path(
    post,
    path = "/api/siting/export",
    operation_id = "siting_export",
    tag = "siting",
    params(ExportFormat),
    request_body = StudyRequest,
    responses(
        (status = 200, description = "Sites choisis (CSV, XLSX, GeoJSON ou GeoPackage)", content_type = "application/octet-stream", body = String),
        (status = 400, description = "Format inconnu ou demande impossible", body = crate::error::ErrorBody),
        (status = 404, description = "Territoire inconnu", body = crate::error::ErrorBody),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    viewer: Asker,
    Query(f): Query<ExportFormat>,
    Json(q): Json<StudyRequest>,
) -> Result<Response, ApiError> {
    let format = SitesFormat::parse(&f.format)?;
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let a = answer(&state, &view, &q)?;
        let bytes = sites::export(&a, format)?;
        let (mime, ext) = format.media();
        let within = q.within.join("-").replace([':', '!', '/', '"'], "-");
        Ok(crate::export::attachment(bytes, mime, &format!("tiers-lieux-{within:.60}-p{}.{ext}", q.p)))
    })
    .await
}
