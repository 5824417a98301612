//! Origins taken from the store: one point per commune.
//!
//! The reference pack has commune contours (Hauts-de-France, IGN ADMIN EXPRESS via
//! france-geojson) but no chef-lieu position nor population grid: a commune's point
//! is the centroid of its contour, weighted by its municipal population. Where a
//! commune has no contour it is reported, not guessed. IRIS have no geometry in the
//! pack, so they cannot be origins yet (asking for them is a clear error).

use arrow::array::{Array, AsArray};
use geo::Centroid;
use geozero::ToGeo;
use geozero::wkb::Wkb;

use echelle_referential::Referential;
use echelle_store::Store;

use crate::error::{AccessError, Result};
use crate::points::Point;

/// The communes that have a contour, as points (centroid, population as weight).
/// Returns the points and the number of communes of the referential left without.
pub fn commune_centroids(store: &Store, r: &Referential) -> Result<(Vec<Point>, usize)> {
    let path = store.pack_dir()?.join("contours.parquet");
    let batch = echelle_store::read_parquet(&path)?;
    let bad = |m: &str| AccessError::Points { path: path.clone(), message: m.into() };
    let codes =
        batch.column_by_name("code").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(|| bad("no 'code' column"))?;
    let geoms = batch
        .column_by_name("geometry")
        .and_then(|c| c.as_binary_opt::<i32>())
        .ok_or_else(|| bad("no binary 'geometry' column"))?;
    let mut out = Vec::with_capacity(codes.len());
    for i in 0..codes.len() {
        if codes.is_null(i) || geoms.is_null(i) {
            continue;
        }
        let code = codes.value(i);
        let Some(commune) = r.commune(code) else { continue };
        let shape = Wkb(geoms.value(i).to_vec()).to_geo().map_err(|e| bad(&format!("commune {code}: {e}")))?;
        let Some(c) = shape.centroid() else { continue };
        out.push(Point {
            id: code.to_string(),
            kind: "commune".into(),
            name: Some(commune.name.clone()),
            lon: c.x(),
            lat: c.y(),
            weight: commune.population.map(|p| p as f64),
        });
    }
    let without = r.communes().len() - out.len();
    Ok((out, without))
}
