//! GeoJSON (RFC 7946): a FeatureCollection of Polygons and MultiPolygons, in
//! longitude/latitude unless a `crs` member (GeoJSON 2008, still written by GDAL
//! and QGIS) names another system.

use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::Value;

use super::{Each, Feature, Format, Layer, bad};
use crate::error::{AccessError, Result};

/// Reads the GeoJSON FeatureCollection at `path`, each feature to `each`.
pub fn read(path: &Path, each: Each) -> Result<Layer> {
    let bad = |m: String| bad(path, m);
    let text = std::fs::read_to_string(path).map_err(|e| AccessError::io(path, e))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let features = v["features"].as_array().ok_or_else(|| bad("not a GeoJSON FeatureCollection".into()))?;
    let epsg = match v["crs"]["properties"]["name"].as_str() {
        None => 4326,
        Some(name) => epsg_of_urn(name).ok_or_else(|| bad(format!("coordinate system '{name}' not understood")))?,
    };
    if features.is_empty() {
        return Err(bad("no feature".into()));
    }
    let layer = Layer { format: Format::GeoJson, name: None, epsg };
    for (i, f) in features.iter().enumerate() {
        let attributes = f["properties"]
            .as_object()
            .map(|props| props.iter().map(|(k, v)| (k.clone(), prop_text(v))).collect())
            .unwrap_or_default();
        each(&layer, i, Feature { attributes, shape: geojson_polygons(&f["geometry"]) })?;
    }
    Ok(layer)
}

/// The EPSG code of a `crs` name: `EPSG:2154`, `urn:ogc:def:crs:EPSG::2154`,
/// `urn:ogc:def:crs:OGC:1.3:CRS84`.
fn epsg_of_urn(name: &str) -> Option<u32> {
    let up = name.to_ascii_uppercase();
    if up.ends_with("CRS84") {
        return Some(4326);
    }
    if !up.contains("EPSG") {
        return None;
    }
    up.rsplit(':').next()?.trim().parse().ok()
}

/// A property as text: string, number, or the first of an array (Opendatasoft
/// writes some codes as one-element arrays).
fn prop_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => a.first().and_then(prop_text),
        _ => None,
    }
}

/// A GeoJSON Polygon or MultiPolygon.
fn geojson_polygons(g: &Value) -> std::result::Result<MultiPolygon, String> {
    fn ring(v: &Value) -> std::result::Result<LineString, String> {
        let pts = v.as_array().ok_or("a ring is not an array of positions")?;
        let mut coords = Vec::with_capacity(pts.len());
        for p in pts {
            match (p[0].as_f64(), p[1].as_f64()) {
                (Some(x), Some(y)) if x.is_finite() && y.is_finite() => coords.push(Coord { x, y }),
                _ => return Err(format!("malformed position {p}")),
            }
        }
        if coords.len() < 4 {
            return Err(format!("a ring of {} positions (a polygon ring needs at least 4)", coords.len()));
        }
        Ok(LineString::new(coords))
    }
    fn polygon(v: &Value) -> std::result::Result<Polygon, String> {
        let rings = v.as_array().ok_or("polygon coordinates are not an array of rings")?;
        let (outer, holes) = rings.split_first().ok_or("a polygon without rings")?;
        Ok(Polygon::new(ring(outer)?, holes.iter().map(ring).collect::<std::result::Result<_, _>>()?))
    }
    match g["type"].as_str() {
        Some("Polygon") => Ok(MultiPolygon(vec![polygon(&g["coordinates"])?])),
        Some("MultiPolygon") => {
            let parts = g["coordinates"].as_array().ok_or("MultiPolygon coordinates are not an array")?;
            Ok(MultiPolygon(parts.iter().map(polygon).collect::<std::result::Result<_, _>>()?))
        }
        Some(other) => Err(format!("geometry is a {other}, not a polygon")),
        None => Err("no geometry".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testfiles::{collect, geojson_ring, square};

    fn read_all(path: &Path) -> Result<(Layer, Vec<Feature>)> {
        collect(|each| read(path, each))
    }

    fn write(dir: &Path, gj: &Value) -> std::path::PathBuf {
        let p = dir.join("layer.geojson");
        std::fs::write(&p, gj.to_string()).unwrap();
        p
    }

    #[test]
    fn properties_as_text_and_the_crs_member() {
        let d = tempfile::tempdir().unwrap();
        let sq = geojson_ring(&square(3.0, 50.0, 0.01));
        let mut gj = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code": ["593500106"], "pop": 2482, "vide": " ", "rien": null},
             "geometry": {"type": "MultiPolygon", "coordinates": [[sq.clone()], [sq]]}}]});
        let (l, fs) = read_all(&write(d.path(), &gj)).unwrap();
        assert_eq!((l.format, l.epsg), (Format::GeoJson, 4326));
        let f = &fs[0];
        assert_eq!(
            (f.get("code"), f.get("pop"), f.get("vide"), f.get("rien")),
            (Some("593500106"), Some("2482"), None, None)
        );
        assert_eq!(f.shape.as_ref().unwrap().0.len(), 2);
        for (name, epsg) in
            [("urn:ogc:def:crs:EPSG::2154", 2154), ("EPSG:5490", 5490), ("urn:ogc:def:crs:OGC:1.3:CRS84", 4326)]
        {
            gj["crs"] = serde_json::json!({"type": "name", "properties": {"name": name}});
            assert_eq!(read_all(&write(d.path(), &gj)).unwrap().0.epsg, epsg, "{name}");
        }
        gj["crs"] = serde_json::json!({"type": "name", "properties": {"name": "IGNF:LAMB93"}});
        let e = read_all(&write(d.path(), &gj)).unwrap_err().to_string();
        assert!(e.contains("layer.geojson") && e.contains("'IGNF:LAMB93' not understood"), "{e}");
    }

    #[test]
    fn geometry_problems_are_the_features_and_file_problems_the_files() {
        let d = tempfile::tempdir().unwrap();
        let one = |geom: Value| serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": geom}]});
        let shape = |geom: Value| read_all(&write(d.path(), &one(geom))).unwrap().1[0].shape.clone().unwrap_err();
        let e = shape(
            serde_json::json!({"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.1, "x"], [3.1, 50.1], [3.0, 50.0]]]}),
        );
        assert!(e.contains("malformed position"), "{e}");
        let e = shape(serde_json::json!({"type": "Point", "coordinates": [3.0, 50.0]}));
        assert_eq!(e, "geometry is a Point, not a polygon");
        let e = shape(serde_json::json!({"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.1, 50.0], [3.0, 50.0]]]}));
        assert!(e.contains("a ring of 3 positions"), "{e}");
        assert_eq!(shape(Value::Null), "no geometry");
        for (gj, message) in [
            (serde_json::json!({"type": "Feature"}), "not a GeoJSON FeatureCollection"),
            (serde_json::json!({"type": "FeatureCollection", "features": []}), "no feature"),
        ] {
            let e = read_all(&write(d.path(), &gj)).unwrap_err().to_string();
            assert!(e.contains("layer.geojson") && e.contains(message), "{e}");
        }
        let p = d.path().join("layer.geojson");
        std::fs::write(&p, "{").unwrap();
        let e = read_all(&p).unwrap_err().to_string();
        assert!(e.contains("not JSON"), "{e}");
    }
}
