//! Loan guarantees over HTTP (issue 16): the check before a vote, exposure by
//! territory and by beneficiary, the stress test. The handlers parse, call
//! `echelle_guarantees::study` (as the CLI does) and return its answers as they are.
//! The register is read once per store version and kept in the application state's
//! [`GuaranteesCache`], dropped when the store changes.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use echelle_guarantees::study::{self, ExposureQuery, Loaded};
use echelle_guarantees::{BeneficiaryExposure, Check, Date, Exposure, GuaranteeError, Proposal, Stress};
use serde::Deserialize;

use crate::extract::Query;
use crate::visibility::Asker;
use crate::visibility::View;
use crate::work::respond;
use crate::{ApiError, AppState};

impl From<GuaranteeError> for ApiError {
    fn from(e: GuaranteeError) -> Self {
        match e {
            GuaranteeError::Referential(r) => r.into(),
            GuaranteeError::Store(s) => s.into(),
            e if e.is_user_error() => ApiError::BadRequest(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

/// The register read from the store, kept with the store version it was read at;
/// emptied when the store changes.
#[derive(Default)]
pub struct GuaranteesCache {
    loaded: Mutex<Option<(u64, Arc<Loaded>)>>,
}

impl GuaranteesCache {
    /// Drops the register kept (the store changed).
    pub fn clear(&self) {
        *self.loaded.lock().expect("guarantees cache") = None;
    }
}

/// The register of the store, or a 404 saying how to get one; read at the first
/// request after a store change, then kept (call off the async workers).
fn loaded(state: &AppState, view: &View) -> Result<Arc<Loaded>, ApiError> {
    // A private register is, for whoever may not see it, no register at all (checked
    // before the cache, which holds the register for those who may).
    if !view.shows_dataset(echelle_guarantees::store::DEFAULT_ID) {
        return Err(no_register());
    }
    view.read_dataset(echelle_guarantees::store::DEFAULT_ID, "garanties");
    let version = state.store_version();
    // Held while reading: a second request waits instead of reading the register again.
    let mut cache = state.guarantees.loaded.lock().expect("guarantees cache");
    if let Some((v, l)) = cache.as_ref()
        && *v == version
    {
        return Ok(l.clone());
    }
    let store = state.store()?;
    if store.catalog().dataset(echelle_guarantees::store::DEFAULT_ID).is_err() {
        return Err(no_register());
    }
    let l = Arc::new(study::load(&store, None)?);
    *cache = Some((version, l.clone()));
    Ok(l)
}

fn no_register() -> ApiError {
    ApiError::NotFound(
        "aucun registre des garanties dans le magasin : importez-en un (`echelle guarantees import`) \
         ou générez un registre SYNTHÉTIQUE (`echelle guarantees synth`)"
            .into(),
    )
}

/// Checks a proposed guarantee against the prudential rules (CGCT), in the vote's
/// year and over the next years; every outcome cites its articles.
#[utoipa::path(
    post,
    path = "/api/guarantees/check",
    tag = "guarantees",
    request_body = Proposal,
    responses(
        (status = 200, description = "Contrôle avant délibération : chaque règle, sa marge, ses articles", body = Check),
        (status = 400, description = "Proposition invalide ou recettes manquantes"),
        (status = 404, description = "Aucun registre dans le magasin"),
    )
)]
pub async fn check(
    State(state): State<AppState>,
    viewer: Asker,
    Json(p): Json<Proposal>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::check(&l, &view.referential, &p)?))
    })
    .await
}

/// Outstanding guaranteed capital of territories (a loan shared by several
/// guarantors inside one counted once there), per inhabitant, by category.
#[utoipa::path(
    get,
    path = "/api/guarantees/exposure",
    tag = "guarantees",
    params(ExposureQuery),
    responses(
        (status = 200, description = "Encours garanti par territoire", body = Vec<Exposure>),
        (status = 400, description = "Paramètre invalide"),
        (status = 404, description = "Territoire inconnu ou aucun registre"),
    )
)]
pub async fn exposure(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<ExposureQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::exposure(&l, &view.referential, &q)?))
    })
    .await
}

/// The date parameter of the beneficiaries and stress endpoints.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtDate {
    /// Date (AAAA-MM-JJ): of the outstanding capital, or of the default.
    date: Option<String>,
    /// The defaulting beneficiary's SIREN (stress test).
    siren: Option<String>,
}

fn date(s: Option<&str>) -> Result<Date, ApiError> {
    match s {
        Some(d) => Date::parse(d).ok_or_else(|| ApiError::BadRequest(format!("date « {d} » : attendue AAAA-MM-JJ"))),
        None => Ok(Date::end_of_year(2026)),
    }
}

/// Every beneficiary across all its guarantors.
#[utoipa::path(
    get,
    path = "/api/guarantees/beneficiaries",
    tag = "guarantees",
    params(AtDate),
    responses(
        (status = 200, description = "Encours garanti par bénéficiaire, tous garants confondus", body = Vec<BeneficiaryExposure>),
        (status = 404, description = "Aucun registre dans le magasin"),
    )
)]
pub async fn beneficiaries(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<AtDate>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::beneficiaries(&l, &view.referential, date(q.date.as_deref())?)?))
    })
    .await
}

/// A beneficiary defaults: what each guarantor pays, year by year.
#[utoipa::path(
    get,
    path = "/api/guarantees/stress",
    tag = "guarantees",
    params(AtDate),
    responses(
        (status = 200, description = "Montants appelés par garant et par exercice", body = Stress),
        (status = 400, description = "SIREN inconnu ou date invalide"),
        (status = 404, description = "Aucun registre dans le magasin"),
    )
)]
pub async fn stress(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<AtDate>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let siren = q.siren.ok_or_else(|| ApiError::BadRequest("paramètre siren manquant".into()))?;
        let l = loaded(&state, &view)?;
        Ok(Json(study::stress(&l, &view.referential, &siren, date(q.date.as_deref())?)?))
    })
    .await
}
