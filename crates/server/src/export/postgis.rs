//! The layers for PostGIS (`echelle catalog publish`): every shaped layer as a public
//! visitor sees it (its territories, shapes and key indicators), so that what QGIS
//! reads from the database is what the observatory shows anyone; and the perimeters
//! of organisations, each row tagged with the organisations that may read it, which
//! the table's row-level security enforces for QGIS users connecting directly.

use echelle_platform::{Viewer, Visibility};
use echelle_referential::Layer;
use echelle_report::layer::FeatureLayer;

use crate::shapes::SHAPED;
use crate::{ApiError, AppState};

/// The layers `wanted` (every shaped layer when empty) with the key indicators public
/// to everyone: public territories only, except user perimeters, all of which come with
/// their readers.
pub async fn public_layers(state: &AppState, wanted: &[Layer]) -> Result<Vec<FeatureLayer>, ApiError> {
    if let Some(l) = wanted.iter().find(|l| !SHAPED.contains(l)) {
        return Err(ApiError::BadRequest(format!(
            "no shapes for layer '{}': shapes exist for com, epci, arr, dep, reg, fr and per",
            l.prefix()
        )));
    }
    let public = state.view(&Viewer::Public);
    let ids = public.key_indicators();
    let mut out = Vec::new();
    for &layer in if wanted.is_empty() { &SHAPED[..] } else { wanted } {
        if layer != Layer::Perimeter {
            out.push(super::layer::features(state, &public, layer, None, &ids).await?);
            continue;
        }
        let every = state.view(&Viewer::Local);
        let mut perimeters = super::layer::features(state, &every, layer, None, &ids).await?;
        let visibilities = state.visibility_parts().2;
        for f in &mut perimeters.features {
            f.readers = visibilities.perimeters.get(&f.code).and_then(readers);
        }
        out.push(perimeters);
    }
    Ok(out)
}

/// The organisations that may read an object; `None` when it is public.
fn readers(v: &Visibility) -> Option<Vec<String>> {
    match v {
        Visibility::Public => None,
        Visibility::Shared { owner, with } => Some(std::iter::once(owner).chain(with).cloned().collect()),
        Visibility::Private { owner } => Some(vec![owner.clone()]),
    }
}
