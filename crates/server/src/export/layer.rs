//! `GET /api/export/layer`: the territories of a layer with their shapes and indicator
//! values, as GeoJSON or GeoPackage (written by `echelle-report`).

use axum::extract::State;
use axum::response::Response;
use echelle_indicators::Target;
use std::collections::HashSet;

use echelle_referential::{Layer, TerritoryRef};
use echelle_report::layer::{Feature, FeatureLayer, IndicatorColumn, column_name};
use echelle_report::{file_name, geojson, gpkg};
use serde::Deserialize;

use super::{attachment, blocking};
use crate::extract::Query;
use crate::shapes::{self, COVERAGE};
use crate::values::evaluate;
use crate::visibility::{Asker, View};
use crate::work::respond;
use crate::{ApiError, AppState};

/// What layer to export, where, with which indicators, in which format.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerQuery {
    /// The layer of the territories exported.
    #[param(value_type = echelle_referential::Layer)]
    layer: String,
    /// Only the territories within this one (a key, e.g. `dep:62`).
    within: Option<String>,
    /// Indicator ids, comma-separated.
    indicators: Option<String>,
    /// `geojson` or `gpkg`.
    #[param(pattern = "^(geojson|gpkg)$")]
    format: String,
}

/// `GET /api/export/layer`: the shaped territories of a layer with their values.
#[utoipa::path(get, path = "/api/export/layer", tag = "exports", params(LayerQuery),
    summary = "The territories of a layer with their shapes and indicator values, as GeoJSON or GeoPackage",
    responses(
        (status = 200, description = "The file, as an attachment", content_type = "application/octet-stream", body = String),
        (status = 400, description = "A bad parameter", body = crate::error::ErrorBody),
        (status = 404, description = "An unknown territory or indicator", body = crate::error::ErrorBody),
    ))]
pub async fn export(
    State(state): State<AppState>,
    viewer: Asker,
    Query(q): Query<LayerQuery>,
) -> Result<Response, ApiError> {
    let view = state.view_of(&viewer);
    respond(state.clone(), async move {
        if q.format != "geojson" && q.format != "gpkg" {
            return Err(ApiError::BadRequest(format!("unknown layer format '{}': geojson or gpkg", q.format)));
        }
        let layer = shapes::shaped_layer(&q.layer)?;
        let keys = shapes::within_keys(&view, layer, q.within.as_deref())?;
        let engine = view.engine.clone();
        let requested: Vec<String> = q
            .indicators
            .as_deref()
            .map(|l| l.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let ids: Vec<&str> =
            if requested.is_empty() { view.key_indicators() } else { requested.iter().map(String::as_str).collect() };
        if ids.len() > 50 {
            return Err(ApiError::BadRequest("at most 50 indicators per export".into()));
        }
        for id in &ids {
            view.indicator(&engine, id)?;
            column_name(id)?;
        }
        view.read_indicators(ids.iter().copied(), "/api/export/layer");
        let fl = features(&state, &view, layer, keys, &ids).await?;
        let stem = format!("{}{}", layer.prefix(), q.within.as_deref().map(|w| format!(" {w}")).unwrap_or_default());
        if q.format == "geojson" {
            let bytes = blocking(move || Ok(geojson::write(&fl)?)).await?;
            return Ok(attachment(bytes, "application/geo+json", &file_name(&stem, "geojson")));
        }
        let bytes = blocking(move || Ok(gpkg::write(&fl)?)).await?;
        Ok(attachment(bytes, "application/geopackage+sqlite3", &file_name(&stem, "gpkg")))
    })
    .await
}

/// The shaped territories of `layer` that `view` shows (those of `keys` only, when
/// given), with the values of the indicators `ids` (checked by the caller).
pub(crate) async fn features(
    state: &AppState,
    view: &View,
    layer: Layer,
    keys: Option<HashSet<String>>,
    ids: &[&str],
) -> Result<FeatureLayer, ApiError> {
    let (engine, cache) = (view.engine.clone(), view.values.clone());
    let shapes = shapes::layer_shapes_async(state, layer).await?;
    let r = engine.referential().clone();
    let chosen: Vec<&shapes::Shape> = shapes
        .shapes
        .iter()
        .filter(|s| view.shows_key(&s.key) && keys.as_ref().is_none_or(|k| k.contains(&s.key)))
        .collect();
    let targets = chosen
        .iter()
        .map(|s| Target::territory(&r, &TerritoryRef::new(layer, &s.code)))
        .collect::<Result<Vec<_>, _>>()?;
    let e = evaluate(&engine, cache.as_deref(), &targets, ids).await?;
    let features: Vec<Feature> = chosen
        .iter()
        .enumerate()
        .map(|(t, s)| Feature {
            code: s.code.clone(),
            key: s.key.clone(),
            name: s.name.clone(),
            polygons: s.lonlat.clone(),
            bbox: s.bbox,
            values: e.values.iter().map(|v| v[t].value).collect(),
            missing: s.missing,
            readers: None,
        })
        .collect();
    let indicators: Vec<IndicatorColumn> = e
        .indicators
        .iter()
        .zip(&e.provenance)
        .map(|(d, provenance)| crate::ogc::property(&engine, d, provenance))
        .collect();
    Ok(FeatureLayer {
        name: layer.prefix().to_string(),
        label: layer.label().to_string(),
        coverage: COVERAGE.to_string(),
        indicators,
        features,
    })
}
