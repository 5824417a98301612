//! The one reader of the pack's commune contours (`contours.parquet`: `code`, WKB
//! `geometry` in WGS84, `area_km2`) and of the commune centres derived from them.
//! Tiles, origins of access searches, commuting distances and the synthetic
//! generators all read through here.

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{Array, AsArray};
use geo::{Centroid, MultiPolygon};
use geozero::ToGeo;
use geozero::wkb::Wkb;

use crate::StoreError;

/// File name of the contours table in a pack.
pub const CONTOURS_FILE: &str = "contours.parquet";

/// A commune's contour as the pack holds it.
#[derive(Debug, Clone)]
pub struct CommuneContour {
    /// Commune code (COG 2026).
    pub code: String,
    /// WGS84 longitude, latitude.
    pub shape: MultiPolygon<f64>,
    /// Geodesic area, km².
    pub area_km2: Option<f64>,
}

/// Every contour of the pack in `pack_dir`, in file order (polygons promoted to
/// multipolygons; other geometry kinds are an error of the pack).
pub fn read_contours(pack_dir: &Path) -> Result<Vec<CommuneContour>, StoreError> {
    let path = pack_dir.join(CONTOURS_FILE);
    let batch = crate::read_parquet(&path)?;
    let bad = |m: String| StoreError::Parquet { path: path.clone(), message: m };
    let codes = batch
        .column_by_name("code")
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| bad("no text column 'code'".into()))?;
    let geoms = batch
        .column_by_name("geometry")
        .and_then(|c| c.as_binary_opt::<i32>())
        .ok_or_else(|| bad("no binary column 'geometry'".into()))?;
    let areas = batch.column_by_name("area_km2").and_then(|c| c.as_primitive_opt::<arrow::datatypes::Float64Type>());
    let mut out = Vec::with_capacity(codes.len());
    for i in 0..codes.len() {
        if codes.is_null(i) || geoms.is_null(i) {
            continue;
        }
        let code = codes.value(i);
        let shape = match Wkb(geoms.value(i).to_vec()).to_geo().map_err(|e| bad(format!("commune {code}: {e}")))? {
            geo::Geometry::MultiPolygon(mp) => mp,
            geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
            other => return Err(bad(format!("commune {code}: a contour is a polygon, not {other:?}"))),
        };
        let area_km2 = areas.filter(|a| !a.is_null(i)).map(|a| a.value(i));
        out.push(CommuneContour { code: code.to_string(), shape, area_km2 });
    }
    Ok(out)
}

/// Commune code -> (longitude, latitude) of its contour's centroid: the commune's
/// position where the pack has no chef-lieu coordinates.
pub fn commune_centres(pack_dir: &Path) -> Result<HashMap<String, (f64, f64)>, StoreError> {
    Ok(read_contours(pack_dir)?
        .into_iter()
        .filter_map(|c| c.shape.centroid().map(|p| (c.code, (p.x(), p.y()))))
        .collect())
}
