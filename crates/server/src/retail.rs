//! Large retail over HTTP (issue 15): the inventory of a territory at a date against
//! its references, change between two dates, projects, shops for a map, densities of a
//! layer. The handlers parse, call `echelle_retail::study` (as the CLI does) and return
//! its answers as they are.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use echelle_retail::study::{self, AtDate, Between, Densities, LayerAt, Loaded, Projects, Shops};
use echelle_retail::{Change, Inventory, RetailError};

use crate::extract::Query;
use crate::visibility::Asker;
use crate::visibility::View;
use crate::work::respond;
use crate::{ApiError, AppState};

impl From<RetailError> for ApiError {
    fn from(e: RetailError) -> Self {
        match e {
            RetailError::Referential(r) => r.into(),
            RetailError::Store(s) => s.into(),
            e if e.is_user_error() => ApiError::BadRequest(e.to_string()),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

/// The inventory of the store, or a 404 saying how to get one.
fn loaded(state: &AppState, view: &View) -> Result<Loaded, ApiError> {
    // A private inventory is, for whoever may not see it, no inventory at all.
    let store = view.store(state)?;
    if echelle_retail::store::exists(&store, echelle_retail::store::DEFAULT_ID) {
        view.read_dataset(echelle_retail::store::DEFAULT_ID, "commerce");
    }
    if !echelle_retail::store::exists(&store, echelle_retail::store::DEFAULT_ID) {
        return Err(ApiError::NotFound(
            "aucun inventaire du commerce dans le magasin : importez-en un (`echelle retail import`) \
             ou générez un inventaire SYNTHÉTIQUE (`echelle retail synth`)"
                .into(),
        ));
    }
    Ok(study::load(&store, None)?)
}

/// Shops over 300 m² and their floor space in a territory at a date, by band, category
/// and family, density against its references (outside a perimeter too), away from the
/// commune centres, and its projects.
#[utoipa::path(
    get,
    path = "/api/retail/inventory",
    tag = "retail",
    params(AtDate),
    responses(
        (status = 200, description = "Inventaire du grand commerce d'un territoire à une date", body = Inventory),
        (status = 400, description = "Date invalide"),
        (status = 404, description = "Territoire inconnu ou aucun inventaire"),
    )
)]
pub async fn inventory(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<AtDate>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::inventory(&l, &view.referential, &q)?))
    })
    .await
}

/// Openings, extensions, moves and closures of a territory between two dates.
#[utoipa::path(
    get,
    path = "/api/retail/change",
    tag = "retail",
    params(Between),
    responses(
        (status = 200, description = "Évolution entre deux dates", body = Change),
        (status = 400, description = "Dates invalides"),
        (status = 404, description = "Territoire inconnu ou aucun inventaire"),
    )
)]
pub async fn change(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<Between>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::change(&l, &view.referential, &q)?))
    })
    .await
}

/// Where the authorisation projects of a territory stand at a date.
#[utoipa::path(
    get,
    path = "/api/retail/projects",
    tag = "retail",
    params(AtDate),
    responses(
        (status = 200, description = "Projets : état, autorisé non ouvert, taux d'approbation", body = Projects),
        (status = 404, description = "Territoire inconnu ou aucun inventaire"),
    )
)]
pub async fn projects(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<AtDate>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::projects(&l, &view.referential, &q)?))
    })
    .await
}

/// The counted shops of a territory at a date, placed (geocoded, or at their commune's centre).
#[utoipa::path(
    get,
    path = "/api/retail/shops",
    tag = "retail",
    params(AtDate),
    responses(
        (status = 200, description = "Commerces de plus de 300 m² avec leur position", body = Shops),
        (status = 404, description = "Territoire inconnu ou aucun inventaire"),
    )
)]
pub async fn shops(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<AtDate>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::shops(&l, &view.referential, &q)?))
    })
    .await
}

/// The counted shops of a territory at a date as a GeoJSON file of points (for QGIS).
#[utoipa::path(
    get,
    path = "/api/retail/shops.geojson",
    tag = "retail",
    params(AtDate),
    responses(
        (status = 200, description = "Commerces en points GeoJSON (WGS84), source et SYNTHÉTIQUE dans la collection", content_type = "application/geo+json", body = String),
        (status = 404, description = "Territoire inconnu ou aucun inventaire"),
    )
)]
pub async fn shops_geojson(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<AtDate>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    let l = loaded(&state, &view)?;
    let s = study::shops(&l, &view.referential, &q)?;
    let bytes = echelle_retail::tables::shops_geojson(&s).map_err(|e| ApiError::Internal(e.to_string()))?;
    let name = format!("commerces-{}-{}.geojson", s.territory.replace([':', '!'], "-"), s.date);
    Ok(crate::export::attachment(bytes, "application/geo+json", &name))
}

/// Floor space per 1,000 inhabitants of every territory of a layer within another.
#[utoipa::path(
    get,
    path = "/api/retail/densities",
    tag = "retail",
    params(LayerAt),
    responses(
        (status = 200, description = "Densité commerciale par territoire", body = Densities),
        (status = 400, description = "Échelon invalide"),
        (status = 404, description = "Territoire inconnu ou aucun inventaire"),
    )
)]
pub async fn densities(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<LayerAt>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        let l = loaded(&state, &view)?;
        Ok(Json(study::densities(&l, &view.referential, &q)?))
    })
    .await
}
