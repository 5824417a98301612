//! Where communes are, for the gravity model: the centroids of the pack's commune
//! shapes (`contours.parquet`, WGS84 WKB). The pack has shapes for every commune of
//! France but the overseas collectivities and a handful re-established since 2018
//! (its build report); there echelle knows no position and no distance, so the
//! generators keep only communes with a position and say which they left out,
//! rather than invent distances.

use std::collections::HashMap;
use std::path::Path;

use crate::error::ImportError;

pub use echelle_referential::geodesy::distance_km;

/// Commune code -> (longitude, latitude) of its shape's centroid.
pub fn centroids(pack: &Path) -> Result<HashMap<String, (f64, f64)>, ImportError> {
    Ok(echelle_store::commune_centres(pack)?)
}
