//! IRIS as origins: one point per IRIS contour of a file, weighted by the IRIS
//! population of the store's census table.
//!
//! The reference pack has the IRIS codes, names, communes and census counts, but no
//! geometry: the contours come from a file, IGN's CONTOURS-IRIS (GeoPackage or
//! shapefile, in Lambert-93 for mainland France and in the local UTM zone overseas;
//! fields `CODE_IRIS`, `NOM_IRIS`, `INSEE_COM`, `TYP_IRIS`, lower-case in some
//! editions) or a GeoJSON of IRIS contours (WGS84, or the system its `crs` member names; the code
//! in `CODE_IRIS`, `code_iris`, `iris_code` as in Opendatasoft's georef-france-iris,
//! or `DCOMIRIS` as in the older all-in-one files). The files are read by
//! `crate::layers`; what is IRIS here is the choice of fields, of the layer, and
//! what a contour becomes.
//!
//! An IRIS's origin is a point inside its contour (geo's `InteriorPoint`: on the
//! widest horizontal chord through the middle of the shape, so that a crescent or a
//! U-shaped IRIS gets a point inside it, where its centroid may fall outside),
//! computed in the file's coordinates and then converted to longitude and latitude.
//! Its weight is the IRIS population of the store's census table; IRIS of the file
//! that table does not know are kept, without weight, and listed.

use std::collections::HashMap;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::Int64Type;
use geo::{Area, InteriorPoint, MultiPolygon};

use echelle_referential::crs;
use echelle_store::Store;

use crate::error::{AccessError, Result};
use crate::geodesy::valid_lon_lat;
use crate::layers::{self, Format};
use crate::points::Point;

/// The fields that hold the IRIS code (any case).
pub const CODE_FIELDS: &[&str] = &["CODE_IRIS", "iris_code", "DCOMIRIS"];
const NAME_FIELDS: &[&str] = &["NOM_IRIS", "iris_name", "LIB_IRIS"];
const COMMUNE_FIELDS: &[&str] = &["INSEE_COM", "code_insee", "DEPCOM", "com_code"];

/// One IRIS of a contour file: what the file says of it, and a point inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisContour {
    /// The nine-character IRIS code.
    pub code: String,
    /// Its name, when the file gives one.
    pub name: Option<String>,
    /// The commune code the file gives (`INSEE_COM`…), if any.
    pub commune: Option<String>,
    /// Longitude of a point inside it (WGS84).
    pub lon: f64,
    /// Latitude of that point.
    pub lat: f64,
}

/// The IRIS of a contour file.
#[derive(Debug, Clone)]
pub struct IrisFile {
    /// One per IRIS code, in file order.
    pub contours: Vec<IrisContour>,
    /// The coordinate system of the file, e.g. `EPSG:2154`.
    pub srs: String,
    /// Codes given by several features (the largest part is kept).
    pub duplicates: Vec<String>,
}

/// Reads a contour file: GeoPackage (`.gpkg`), shapefile (`.shp` with its `.dbf`
/// and `.prj`) or GeoJSON (`.geojson`, `.json`).
pub fn read_contours(path: &Path) -> Result<IrisFile> {
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    // Each contour is read, and kept only as its point inside and its area.
    let mut raw = Vec::new();
    let layer = layers::read(path, "IRIS contours", &choose_layer, &mut |layer, i, f| {
        let names = f.field_names();
        let code_key = code_field(&names, &layer.fields_label(i)).map_err(bad)?;
        let code = f.get(code_key).ok_or_else(|| match layer.format {
            Format::GeoJson => bad(format!("feature {i}: empty '{code_key}'")),
            _ => bad(format!("{}: no IRIS code in '{code_key}'", layer.feature_label(i))),
        })?;
        let shape = f.shape.as_ref().map_err(|e| bad(format!("IRIS {code}: {e}")))?;
        let get = |wanted: &[&str]| find_field(&names, wanted).and_then(|k| f.get(k)).map(str::to_string);
        raw.push(Raw::new(code.to_string(), get(NAME_FIELDS), get(COMMUNE_FIELDS), shape));
        Ok(())
    })?;
    let epsg = layer.epsg;
    let label = format!("EPSG:{epsg}");
    if !crs::is_handled(epsg) {
        return Err(bad(format!(
            "coordinate system {label} is not handled (Lambert-93 EPSG:2154, the overseas UTM zones of IGN, or WGS84)"
        )));
    }
    let mut to_wgs84 = crs::ToWgs84::new();
    let mut by_code: HashMap<String, usize> = HashMap::new();
    let mut parts: Vec<Raw> = Vec::new();
    let mut duplicates = Vec::new();
    for r in raw {
        match by_code.get(&r.code) {
            Some(&i) => {
                duplicates.push(r.code.clone());
                if r.area > parts[i].area {
                    parts[i] = r;
                }
            }
            None => {
                by_code.insert(r.code.clone(), parts.len());
                parts.push(r);
            }
        }
    }
    let mut contours = Vec::with_capacity(parts.len());
    for r in parts {
        let p = r.point.ok_or_else(|| bad(format!("IRIS {}: empty geometry", r.code)))?;
        let (lon, lat) = to_wgs84.convert(epsg, p.x(), p.y()).map_err(|e| bad(format!("IRIS {}: {e}", r.code)))?;
        if !valid_lon_lat(lon, lat) {
            return Err(bad(format!(
                "IRIS {}: the point ({}, {}) is not a longitude/latitude once read as {}: is the coordinate system \
                 of the file declared?",
                r.code,
                p.x(),
                p.y(),
                label
            )));
        }
        contours.push(IrisContour { code: r.code, name: r.name, commune: r.commune, lon, lat });
    }
    duplicates.sort();
    duplicates.dedup();
    Ok(IrisFile { contours, srs: label, duplicates })
}

/// A feature as read: its point inside and its area, in the file's coordinates (the
/// contour itself is not kept).
struct Raw {
    code: String,
    name: Option<String>,
    commune: Option<String>,
    point: Option<geo::Point>,
    area: f64,
}

impl Raw {
    fn new(code: String, name: Option<String>, commune: Option<String>, shape: &MultiPolygon) -> Self {
        Raw { code, name, commune, point: shape.interior_point(), area: shape.unsigned_area() }
    }
}

fn find_field<'a>(names: &[&'a str], wanted: &[&str]) -> Option<&'a str> {
    wanted.iter().find_map(|w| names.iter().copied().find(|n| n.eq_ignore_ascii_case(w)))
}

/// The IRIS code field of a layer, or an error naming the fields found.
fn code_field<'a>(names: &[&'a str], layer: &str) -> std::result::Result<&'a str, String> {
    find_field(names, CODE_FIELDS).ok_or_else(|| {
        format!(
            "no IRIS code field ({}, any case) in {layer}; its fields: {}",
            CODE_FIELDS.join(", "),
            if names.is_empty() { "none".to_string() } else { names.join(", ") }
        )
    })
}

/// The layer of a GeoPackage with an IRIS code field (IGN's file has one layer).
fn choose_layer(layers: &[(String, Vec<String>)]) -> std::result::Result<usize, String> {
    let mut candidates = Vec::new();
    let mut first_error = None;
    for (i, (table, cols)) in layers.iter().enumerate() {
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        match code_field(&names, &format!("layer '{table}'")) {
            Ok(_) => candidates.push(i),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match candidates[..] {
        [i] => Ok(i),
        [] => Err(first_error.unwrap_or_default()),
        _ => Err(format!(
            "several layers have an IRIS code field ({}): keep one",
            candidates.iter().map(|&i| layers[i].0.as_str()).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// The census population of the store's IRIS (the pack's IRIS table).
#[derive(Debug, Clone)]
pub struct IrisPopulation {
    /// Population and name (as the store names it) of each IRIS code.
    pub iris: HashMap<String, (f64, String)>,
    /// Which census, e.g. `RP 2021 (store dataset iris_2021)`.
    pub vintage: String,
}

/// Reads the population of every IRIS of the store's pack (`pop` of its IRIS table).
pub fn store_population(store: &Store) -> Result<IrisPopulation> {
    let path = store.pack_dir()?.join("iris.parquet");
    let batch = echelle_store::read_parquet(&path)?;
    let bad = |m: &str| AccessError::Points { path: path.clone(), message: m.into() };
    let codes =
        batch.column_by_name("iris").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(|| bad("no 'iris' column"))?;
    let names =
        batch.column_by_name("name").and_then(|c| c.as_string_opt::<i32>()).ok_or_else(|| bad("no 'name' column"))?;
    let pop = batch
        .column_by_name("pop")
        .and_then(|c| c.as_primitive_opt::<Int64Type>())
        .ok_or_else(|| bad("no integer 'pop' column"))?;
    let mut iris = HashMap::with_capacity(codes.len());
    for i in 0..codes.len() {
        if codes.is_null(i) || pop.is_null(i) {
            continue;
        }
        iris.insert(codes.value(i).to_string(), (pop.value(i) as f64, names.value(i).to_string()));
    }
    let vintage = match store.catalog().datasets() {
        Ok(ds) => ds
            .into_iter()
            .find(|d| d.path.ends_with("/iris.parquet"))
            .map(|d| format!("{} (store dataset {})", d.vintage, d.id))
            .unwrap_or_else(|| "the store's IRIS table".into()),
        Err(_) => "the store's IRIS table".into(),
    };
    Ok(IrisPopulation { iris, vintage })
}

/// IRIS origins and what is known of them.
#[derive(Debug, Clone)]
pub struct IrisOrigins {
    /// One per IRIS of the file (kind `iris`, id its code).
    pub points: Vec<Point>,
    /// The census the weights come from (`None`: unweighted, the store has no IRIS
    /// population).
    pub weighted_by: Option<String>,
    /// Codes of the file the store's IRIS table does not know (kept, without weight).
    pub unknown: Vec<String>,
    /// The coordinate system of the file, e.g. `EPSG:2154`.
    pub srs: String,
    /// Codes given by several features (the largest part is kept).
    pub duplicates: Vec<String>,
}

/// The IRIS of a contour file as origins, weighted by `population` when given.
pub fn iris_origins(path: &Path, population: Option<&IrisPopulation>) -> Result<IrisOrigins> {
    let file = read_contours(path)?;
    let mut unknown = Vec::new();
    let points = file
        .contours
        .into_iter()
        .map(|c| {
            let known = population.and_then(|p| p.iris.get(&c.code));
            if population.is_some() && known.is_none() {
                unknown.push(c.code.clone());
            }
            Point {
                name: c.name.or_else(|| known.map(|k| k.1.clone())),
                weight: known.map(|k| k.0),
                id: c.code,
                kind: "iris".into(),
                lon: c.lon,
                lat: c.lat,
            }
        })
        .collect();
    Ok(IrisOrigins {
        points,
        weighted_by: population.map(|p| p.vintage.clone()),
        unknown,
        srs: file.srs,
        duplicates: file.duplicates,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testfiles::{ccw, crescent, cw, geojson_ring, poly, square, write_gpkg, write_shapefile};
    use geo::{Centroid, Contains, LineString, Polygon};
    use serde_json::Value;

    #[test]
    fn geojson_contours_give_points_inside_even_for_a_crescent() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("iris.geojson");
        let c = crescent(3.06, 50.63, 0.01);
        let sq = square(3.08, 50.64, 0.002);
        let gj = serde_json::json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {"code_iris": "593500104", "nom_iris": "Croissant", "insee_com": "59350"},
             "geometry": {"type": "Polygon", "coordinates": [geojson_ring(&c)]}},
            {"type": "Feature", "properties": {"code_iris": "593500105"},
             "geometry": {"type": "MultiPolygon", "coordinates": [[geojson_ring(&sq)]]}},
            {"type": "Feature", "properties": {"iris_code": ["593500106"]},
             "geometry": {"type": "Polygon", "coordinates": [geojson_ring(&square(3.1, 50.6, 0.001))]}},
        ]});
        std::fs::write(&p, gj.to_string()).unwrap();
        let f = read_contours(&p).unwrap();
        assert_eq!(f.srs, "EPSG:4326");
        assert_eq!(f.contours.len(), 3);
        let cr = &f.contours[0];
        assert_eq!(
            (cr.code.as_str(), cr.name.as_deref(), cr.commune.as_deref()),
            ("593500104", Some("Croissant"), Some("59350"))
        );
        let shape = poly(&c);
        // The centroid of the crescent is outside it; the origin is inside.
        assert!(!shape.contains(&shape.centroid().unwrap()));
        assert!(shape.contains(&geo::Point::new(cr.lon, cr.lat)), "{cr:?}");
        // A square's interior point is its centre.
        assert!((f.contours[1].lon - 3.08).abs() < 1e-12 && (f.contours[1].lat - 50.64).abs() < 1e-12);
        assert_eq!(f.contours[2].code, "593500106");
    }

    #[test]
    fn geojson_in_lambert93_is_converted() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("iris.json");
        let gj = serde_json::json!({"type": "FeatureCollection",
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
            "features": [{"type": "Feature", "properties": {"CODE_IRIS": "180330000"},
             "geometry": {"type": "Polygon", "coordinates": [geojson_ring(&square(700_000.0, 6_600_000.0, 500.0))]}}]});
        std::fs::write(&p, gj.to_string()).unwrap();
        let f = read_contours(&p).unwrap();
        let c = &f.contours[0];
        // Lambert-93's origin: 3°E, 46.5°N by definition of the projection.
        assert!((c.lon - 3.0).abs() < 1e-9 && (c.lat - 46.5).abs() < 1e-9, "{c:?}");
        // Without the crs member, the same metres are no longitude/latitude: refused.
        let mut gj = gj;
        gj.as_object_mut().unwrap().remove("crs");
        std::fs::write(&p, gj.to_string()).unwrap();
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("iris.json") && e.contains("not a longitude/latitude"), "{e}");
    }

    #[test]
    fn geojson_errors_name_the_file_and_the_problem() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("bad.geojson");
        let feature = |props: Value, geom: Value| {
            serde_json::json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": props, "geometry": geom}]})
                .to_string()
        };
        let ok_geom = serde_json::json!({"type": "Polygon", "coordinates": [geojson_ring(&square(3.0, 50.0, 0.01))]});
        std::fs::write(&p, feature(serde_json::json!({"nom": "x", "insee_com": "59350"}), ok_geom.clone())).unwrap();
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("bad.geojson") && e.contains("no IRIS code field") && e.contains("insee_com"), "{e}");
        std::fs::write(
            &p,
            feature(
                serde_json::json!({"CODE_IRIS": "593500101"}),
                serde_json::json!({"type": "Point", "coordinates": [3.0, 50.0]}),
            ),
        )
        .unwrap();
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("593500101") && e.contains("not a polygon"), "{e}");
    }

    #[test]
    fn geopackage_in_lambert93_crescent_and_known_point() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("CONTOURS-IRIS.gpkg");
        // Synthetic contours in Lambert-93 metres.
        let c = crescent(704_000.0, 7_060_000.0, 3_000.0);
        let with_hole = Polygon::new(
            LineString::from(square(650_000.0, 6_860_000.0, 1_000.0)),
            vec![LineString::from(square(650_000.0, 6_860_000.0, 400.0))],
        );
        write_gpkg(
            &p,
            2154,
            &[
                ("593500104", "Croissant", "59350", poly(&c)),
                ("180330000", "Origine", "18033", poly(&square(700_000.0, 6_600_000.0, 500.0))),
                ("751010101", "Troué", "75101", with_hole.clone()),
            ],
        );
        let f = read_contours(&p).unwrap();
        assert_eq!(f.srs, "EPSG:2154");
        assert!(f.duplicates.is_empty());
        let by = |code: &str| f.contours.iter().find(|x| x.code == code).unwrap().clone();
        let o = by("180330000");
        assert!((o.lon - 3.0).abs() < 1e-9 && (o.lat - 46.5).abs() < 1e-9, "{o:?}");
        assert_eq!((o.name.as_deref(), o.commune.as_deref()), (Some("Origine"), Some("18033")));
        // Back in Lambert-93, the crescent's point is inside it, and its centroid is not.
        let to_l93 = |lon: f64, lat: f64| {
            let (x, y) = crs::ToWgs84::new().from_wgs84(2154, lon, lat).unwrap();
            geo::Point::new(x, y)
        };
        let cr = by("593500104");
        let shape = poly(&c);
        assert!(!shape.contains(&shape.centroid().unwrap()));
        assert!(shape.contains(&to_l93(cr.lon, cr.lat)), "{cr:?}");
        // Lille's latitude: the crescent was drawn at about 50.6°N, 3.06°E.
        assert!((cr.lat - 50.6).abs() < 0.2 && (cr.lon - 3.06).abs() < 0.2, "{cr:?}");
        // Not in the hole.
        let t = by("751010101");
        assert!(with_hole.contains(&to_l93(t.lon, t.lat)), "{t:?}");
    }

    #[test]
    fn geopackage_without_code_field_or_with_a_bad_blob_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("iris.gpkg");
        write_gpkg(&p, 2154, &[("593500104", "A", "59350", poly(&square(704_000.0, 7_060_000.0, 100.0)))]);
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute("UPDATE contours_iris SET geom = x'47500003'", []).unwrap();
        }
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("iris.gpkg") && e.contains("IRIS 593500104") && e.contains("geometry"), "{e}");
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute("ALTER TABLE contours_iris RENAME COLUMN code_iris TO identifiant", []).unwrap();
        }
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("iris.gpkg") && e.contains("no IRIS code field") && e.contains("identifiant"), "{e}");
    }

    #[test]
    fn shapefile_in_lambert93_with_a_hole_and_windows_1252_names() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("CONTOURS-IRIS.shp");
        let c = crescent(704_000.0, 7_060_000.0, 3_000.0);
        let outer = square(650_000.0, 6_860_000.0, 1_000.0);
        let hole = square(650_000.0, 6_860_000.0, 400.0);
        write_shapefile(
            &p,
            &[
                (b"593500104", b"C\x9Cur", Some(vec![cw(c.clone())])),
                (b"751010101", b"Trou\xE9", Some(vec![cw(outer.clone()), ccw(hole.clone())])),
                (b"180330000", b"Origine", Some(vec![cw(square(700_000.0, 6_600_000.0, 500.0))])),
            ],
        );
        let f = read_contours(&p).unwrap();
        assert_eq!(f.srs, "EPSG:2154");
        let by = |code: &str| f.contours.iter().find(|x| x.code == code).unwrap().clone();
        let o = by("180330000");
        assert!((o.lon - 3.0).abs() < 1e-9 && (o.lat - 46.5).abs() < 1e-9, "{o:?}");
        assert_eq!(by("593500104").name.as_deref(), Some("Cœur"));
        let t = by("751010101");
        assert_eq!(t.name.as_deref(), Some("Troué"));
        let back = |lon: f64, lat: f64| {
            let (x, y) = crs::ToWgs84::new().from_wgs84(2154, lon, lat).unwrap();
            geo::Point::new(x, y)
        };
        let with_hole = Polygon::new(LineString::from(outer), vec![LineString::from(hole)]);
        assert!(with_hole.contains(&back(t.lon, t.lat)), "{t:?}");
        let cr = by("593500104");
        assert!(poly(&c).contains(&back(cr.lon, cr.lat)), "{cr:?}");
        // A null shape: an error naming the file and the IRIS.
        write_shapefile(&p, &[(b"593500104", b"A", None)]);
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("CONTOURS-IRIS.shp") && e.contains("IRIS 593500104") && e.contains("null shape"), "{e}");
    }

    #[test]
    fn weights_come_from_the_population_and_unknown_codes_are_listed() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("iris.gpkg");
        write_gpkg(
            &p,
            2154,
            &[
                ("593500104", "", "59350", poly(&square(704_000.0, 7_060_000.0, 100.0))),
                ("593509999", "Inconnu", "59350", poly(&square(705_000.0, 7_060_000.0, 100.0))),
                // The same IRIS twice (an exploded multipart): the larger part is kept.
                ("593500105", "B", "59350", poly(&square(706_000.0, 7_060_000.0, 50.0))),
                ("593500105", "B", "59350", poly(&square(707_000.0, 7_060_000.0, 100.0))),
            ],
        );
        let pop = IrisPopulation {
            iris: HashMap::from([
                ("593500104".to_string(), (2482.0, "Lille – IRIS 0104".to_string())),
                ("593500105".to_string(), (2259.0, "Lille – IRIS 0105".to_string())),
            ]),
            vintage: "RP 2021".into(),
        };
        let o = iris_origins(&p, Some(&pop)).unwrap();
        assert_eq!(o.weighted_by.as_deref(), Some("RP 2021"));
        assert_eq!(o.unknown, vec!["593509999".to_string()]);
        assert_eq!(o.duplicates, vec!["593500105".to_string()]);
        let got: Vec<(&str, Option<&str>, Option<f64>)> =
            o.points.iter().map(|p| (p.id.as_str(), p.name.as_deref(), p.weight)).collect();
        assert_eq!(
            got,
            vec![
                ("593500104", Some("Lille – IRIS 0104"), Some(2482.0)),
                ("593509999", Some("Inconnu"), None),
                ("593500105", Some("B"), Some(2259.0)),
            ]
        );
        assert!(o.points.iter().all(|p| p.kind == "iris"));
        // The larger square of 593500105 is the one 1 km farther east.
        let first = read_contours(&p).unwrap().contours;
        let b = first.iter().find(|c| c.code == "593500105").unwrap();
        let a = first.iter().find(|c| c.code == "593500104").unwrap();
        let east = crate::geodesy::haversine_m(a.lon, a.lat, b.lon, b.lat);
        // 3 km of Lambert-93 grid at 50.6°N (scale factor about 1.005), not 2 km.
        assert!((east - 3_000.0).abs() < 30.0, "{east}");
        // Without a population, no weights and nothing to call unknown.
        let o = iris_origins(&p, None).unwrap();
        assert!(o.weighted_by.is_none() && o.unknown.is_empty() && o.points.iter().all(|p| p.weight.is_none()));
    }
}
