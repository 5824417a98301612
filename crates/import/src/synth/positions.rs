//! Where communes are, for the gravity model: the centroids of the pack's commune
//! shapes (`contours.parquet`, WGS84 WKB). The pack has shapes for the
//! Hauts-de-France only (the only contours at hand, see shared/data/README.md);
//! elsewhere echelle knows no position and no distance, so the generators keep
//! only communes with a position and say which they left out, rather than invent
//! distances.

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{Array, AsArray};
use geo::Centroid;
use geozero::ToGeo;
use geozero::wkb::Wkb;

use crate::error::ImportError;

/// Commune code -> (longitude, latitude) of its shape's centroid.
pub fn centroids(pack: &Path) -> Result<HashMap<String, (f64, f64)>, ImportError> {
    let path = pack.join("contours.parquet");
    let batch = echelle_store::read_parquet(&path)?;
    let bad = |m: &str| ImportError::Usage(format!("{}: {m}", path.display()));
    let codes = batch
        .column_by_name("code")
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| bad("no text column 'code'"))?;
    let geoms = batch
        .column_by_name("geometry")
        .and_then(|c| c.as_binary_opt::<i32>())
        .ok_or_else(|| bad("no binary column 'geometry'"))?;
    let mut out = HashMap::with_capacity(codes.len());
    for i in 0..codes.len() {
        if codes.is_null(i) || geoms.is_null(i) {
            continue;
        }
        let g = Wkb(geoms.value(i).to_vec()).to_geo().map_err(|e| bad(&format!("shape of {}: {e}", codes.value(i))))?;
        if let Some(c) = g.centroid() {
            out.insert(codes.value(i).to_string(), (c.x(), c.y()));
        }
    }
    Ok(out)
}

/// Great-circle distance in km.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1, lon2, lat2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((lat2 - lat1) / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * ((lon2 - lon1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lille_to_arras_is_about_45_km() {
        let d = distance_km((3.0630, 50.6372), (2.7775, 50.2910));
        assert!((d - 44.0).abs() < 3.0, "{d}");
        assert_eq!(distance_km((1.0, 1.0), (1.0, 1.0)), 0.0);
    }
}
