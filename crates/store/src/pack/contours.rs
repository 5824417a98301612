//! Commune contours reconciled to the current geography.
//!
//! The contours at hand are of 2018; communes have merged since. A commune actuelle
//! takes the union of the 2018 shapes found under its own code, its former codes and
//! the codes of its communes déléguées and associées. What cannot be matched is
//! reported with its reason, never guessed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, GeodesicArea, MultiPolygon, Polygon};
use serde_json::Value;

use crate::StoreError;

/// A 2018 contour as read from the GeoJSON file.
pub(crate) struct Contour {
    pub name: String,
    pub shape: MultiPolygon<f64>,
}

/// A commune actuelle's reconciled shape.
pub(crate) struct Shape {
    pub shape: MultiPolygon<f64>,
    pub area_km2: f64,
    /// The 2018 codes it was built from.
    pub from: Vec<String>,
}

/// Reads a GeoJSON FeatureCollection with `code` and `nom` properties (WGS84).
pub(crate) fn read_geojson(path: &Path) -> Result<BTreeMap<String, Contour>, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| StoreError::source(path, format!("line {}, column {}: {e}", e.line(), e.column())))?;
    let features =
        value["features"].as_array().ok_or_else(|| StoreError::source(path, "not a GeoJSON FeatureCollection"))?;
    let mut out = BTreeMap::new();
    for (i, f) in features.iter().enumerate() {
        let bad = |m: &str| StoreError::source(path, format!("feature {i}: {m}"));
        let code = f["properties"]["code"].as_str().ok_or_else(|| bad("no 'code' property"))?;
        let name = f["properties"]["nom"].as_str().unwrap_or_default();
        let shape = geometry(&f["geometry"]).ok_or_else(|| bad("geometry is not a valid Polygon or MultiPolygon"))?;
        out.insert(code.to_string(), Contour { name: name.to_string(), shape });
    }
    Ok(out)
}

fn geometry(g: &Value) -> Option<MultiPolygon<f64>> {
    let coords = &g["coordinates"];
    match g["type"].as_str()? {
        "Polygon" => Some(MultiPolygon(vec![polygon(coords)?])),
        "MultiPolygon" => Some(MultiPolygon(coords.as_array()?.iter().map(polygon).collect::<Option<_>>()?)),
        _ => None,
    }
}

fn polygon(rings: &Value) -> Option<Polygon<f64>> {
    let mut rings = rings.as_array()?.iter().map(|ring| {
        ring.as_array()?
            .iter()
            .map(|p| Some(geo::coord! { x: p.get(0)?.as_f64()?, y: p.get(1)?.as_f64()? }))
            .collect::<Option<Vec<_>>>()
            .map(geo::LineString::new)
    });
    let exterior = rings.next()??;
    Some(Polygon::new(exterior, rings.collect::<Option<Vec<_>>>()?))
}

/// The outcome of the reconciliation.
pub(crate) struct Reconciled {
    pub shapes: HashMap<String, Shape>,
    /// (commune code, name, reason), for communes of the regions the contours cover.
    pub missing: Vec<(String, String, String)>,
    /// 2018 contours that no commune actuelle took, with the reason.
    pub unused: Vec<(String, String, String)>,
}

/// Gives each commune actuelle the union of the 2018 shapes of its codes.
///
/// `communes` are (code, name, region, candidate codes: its own, former, déléguées).
pub(crate) fn reconcile(
    contours: &BTreeMap<String, Contour>,
    communes: &[(String, String, String, Vec<String>)],
    progress: impl Fn(),
) -> Reconciled {
    let mut claims: HashMap<&str, Vec<&str>> = HashMap::new();
    for (code, _, _, candidates) in communes {
        for c in candidates {
            if contours.contains_key(c) {
                let v = claims.entry(c.as_str()).or_default();
                if !v.contains(&code.as_str()) {
                    v.push(code);
                }
            }
        }
    }
    let covered: std::collections::HashSet<&str> = communes
        .iter()
        .filter(|(_, _, _, cands)| cands.iter().any(|c| contours.contains_key(c)))
        .map(|(_, _, region, _)| region.as_str())
        .collect();
    let mut shapes = HashMap::new();
    let mut missing = Vec::new();
    for (code, name, region, candidates) in communes {
        progress();
        let mut from: Vec<String> = candidates.iter().filter(|c| contours.contains_key(*c)).cloned().collect();
        from.sort();
        from.dedup();
        let shared: Vec<&String> = from.iter().filter(|c| claims[c.as_str()].len() > 1).collect();
        if !shared.is_empty() {
            let others: Vec<String> =
                shared.iter().flat_map(|c| claims[c.as_str()].iter().map(|s| s.to_string())).collect();
            missing.push((
                code.clone(),
                name.clone(),
                format!(
                    "its 2018 contour {} is shared with {} (a commune split or re-established since 2018): no shape can be cut from it",
                    shared.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    others.join(", ")
                ),
            ));
            continue;
        }
        if from.is_empty() {
            if covered.contains(region.as_str()) {
                missing.push((
                    code.clone(),
                    name.clone(),
                    format!(
                        "no 2018 contour under its code or former codes ({}): created after 2018 or not in the contour file",
                        candidates.join(", ")
                    ),
                ));
            }
            continue;
        }
        let mut union = contours[&from[0]].shape.clone();
        for c in &from[1..] {
            union = union.union(&contours[c].shape);
        }
        // Rings must wind the standard way: the geodesic area of a reversed ring is
        // the rest of the Earth.
        let union = union.orient(Direction::Default);
        let area_km2 = union.geodesic_area_unsigned() / 1e6;
        shapes.insert(code.clone(), Shape { shape: union, area_km2, from });
    }
    let unused = contours
        .iter()
        .filter(|(code, _)| !claims.contains_key(code.as_str()))
        .map(|(code, c)| {
            (
                code.clone(),
                c.name.clone(),
                "no commune actuelle has this code among its current or former codes".to_string(),
            )
        })
        .collect();
    missing.sort();
    Reconciled { shapes, missing, unused }
}
