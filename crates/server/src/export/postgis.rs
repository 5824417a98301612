//! The public layers for PostGIS (`echelle catalog publish`): every shaped layer as a
//! public visitor sees it (its territories, shapes and key indicators), so that what
//! QGIS reads from the database is exactly what the observatory shows anyone.

use echelle_platform::Viewer;
use echelle_referential::Layer;
use echelle_report::layer::FeatureLayer;

use crate::shapes::SHAPED;
use crate::{ApiError, AppState};

/// The layers `wanted` (every shaped layer when empty) as a public visitor sees them,
/// each with the key indicators public to everyone.
pub async fn public_layers(state: &AppState, wanted: &[Layer]) -> Result<Vec<FeatureLayer>, ApiError> {
    if let Some(l) = wanted.iter().find(|l| !SHAPED.contains(l)) {
        return Err(ApiError::BadRequest(format!(
            "no shapes for layer '{}': shapes exist for com, epci, arr, dep, reg, fr and per",
            l.prefix()
        )));
    }
    let view = state.view(&Viewer::Public);
    let ids = view.key_indicators();
    let mut out = Vec::new();
    for &layer in if wanted.is_empty() { &SHAPED[..] } else { wanted } {
        out.push(super::layer::features(state, &view, layer, None, &ids).await?);
    }
    Ok(out)
}
