//! Point files: facilities (France services, BPE extracts, any list with
//! coordinates) and origins.
//!
//! Two formats: GeoJSON (Point features, or any feature whose properties carry
//! latitude and longitude, as the ANCT's France services file does) and CSV with
//! longitude and latitude columns (`lon`/`lng`/`long`/`longitude`/`x` and
//! `lat`/`latitude`/`y`, any case, comma or semicolon separated). Each point has a
//! type (the column named by the caller, else the file's name), an id and an optional
//! weight (population for origins). Rows without usable coordinates are reported,
//! not dropped in silence.

use std::path::Path;

use serde_json::Value;

use crate::error::{AccessError, Result};
use crate::geodesy::valid_lon_lat;

/// A point of a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Its id in the file (or the row number).
    pub id: String,
    /// Its type (facility type, or `commune`, `iris` for origins).
    pub kind: String,
    /// Its name, when the file gives one.
    pub name: Option<String>,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// The population it stands for (origins); `None`: unweighted.
    pub weight: Option<f64>,
}

/// A row that could not be read as a point, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    /// The row's id (or number).
    pub id: String,
    /// Why it was left out.
    pub reason: String,
}

/// Which columns mean what; `None` lets the reader guess.
#[derive(Debug, Clone, Default)]
pub struct Fields {
    /// The column of the type.
    pub kind: Option<String>,
    /// The column of the id.
    pub id: Option<String>,
    /// The column of the weight.
    pub weight: Option<String>,
}

const LON: &[&str] = &["lon", "lng", "long", "longitude", "x"];
const LAT: &[&str] = &["lat", "latitude", "y"];
const ID: &[&str] = &["id", "matricule", "code", "identifiant"];
const NAME: &[&str] = &["name", "nom", "lib_france_services", "nom_tl", "libelle"];

fn find<'a>(names: impl Iterator<Item = &'a str> + Clone, wanted: &[&str]) -> Option<&'a str> {
    wanted.iter().find_map(|w| names.clone().find(|n| n.eq_ignore_ascii_case(w)))
}

/// Reads a GeoJSON or CSV point file (by extension: `.geojson`/`.json`, else CSV).
pub fn read_points(path: &Path, fields: &Fields) -> Result<(Vec<Point>, Vec<Rejected>)> {
    let default_kind = path
        .file_name()
        .and_then(|s| s.to_str())
        .map(|s| s.split('.').next().unwrap_or(s).to_string())
        .unwrap_or_default();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if ext == "geojson" || ext == "json" {
        read_geojson(path, fields, &default_kind)
    } else {
        read_csv(path, fields, &default_kind)
    }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().replace(',', ".").parse().ok(),
        _ => None,
    }
}

fn read_geojson(path: &Path, fields: &Fields, default_kind: &str) -> Result<(Vec<Point>, Vec<Rejected>)> {
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    let text = std::fs::read_to_string(path).map_err(|e| AccessError::io(path, e))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let features = v["features"].as_array().ok_or_else(|| bad("not a GeoJSON FeatureCollection".into()))?;
    let (mut out, mut rejected) = (Vec::new(), Vec::new());
    for (i, f) in features.iter().enumerate() {
        let props = f["properties"].as_object();
        let keys = props.map(|p| p.keys().map(String::as_str).collect::<Vec<_>>()).unwrap_or_default();
        let prop = |name: Option<&str>| name.and_then(|n| props.and_then(|p| p.get(n)));
        let id_key = fields.id.as_deref().or_else(|| find(keys.iter().copied(), ID));
        let id = prop(id_key).and_then(scalar).unwrap_or_else(|| format!("feature {i}"));
        if let Some(k) = &fields.kind
            && prop(Some(k)).is_none()
        {
            return Err(bad(format!("feature {i} has no '{k}' property (the type field)")));
        }
        let kind = fields
            .kind
            .as_deref()
            .and_then(|k| prop(Some(k)))
            .and_then(scalar)
            .unwrap_or_else(|| default_kind.to_string());
        let geom = &f["geometry"];
        let (lon, lat) = if geom["type"] == "Point" {
            (geom["coordinates"][0].as_f64(), geom["coordinates"][1].as_f64())
        } else {
            (
                prop(find(keys.iter().copied(), LON)).and_then(number),
                prop(find(keys.iter().copied(), LAT)).and_then(number),
            )
        };
        match (lon, lat) {
            (Some(lon), Some(lat)) if valid_lon_lat(lon, lat) => out.push(Point {
                id,
                kind,
                name: prop(find(keys.iter().copied(), NAME)).and_then(scalar),
                lon,
                lat,
                weight: prop(fields.weight.as_deref()).and_then(number),
            }),
            _ => rejected.push(Rejected { id, reason: "no valid Point geometry or longitude/latitude".into() }),
        }
    }
    Ok((out, rejected))
}

fn read_csv(path: &Path, fields: &Fields, default_kind: &str) -> Result<(Vec<Point>, Vec<Rejected>)> {
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    let head = std::fs::read(path).map_err(|e| AccessError::io(path, e))?;
    let first_line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let delimiter =
        if first_line.iter().filter(|&&b| b == b';').count() > first_line.iter().filter(|&&b| b == b',').count() {
            b';'
        } else {
            b','
        };
    let mut r = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(head.as_slice());
    let headers = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let names = || headers.iter();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let ilon = find(names(), LON)
        .and_then(col)
        .ok_or_else(|| bad(format!("no longitude column (one of {})", LON.join(", "))))?;
    let ilat = find(names(), LAT)
        .and_then(col)
        .ok_or_else(|| bad(format!("no latitude column (one of {})", LAT.join(", "))))?;
    let named = |f: &Option<String>| -> Result<Option<usize>> {
        match f {
            Some(n) => col(n).map(Some).ok_or_else(|| bad(format!("no '{n}' column"))),
            None => Ok(None),
        }
    };
    let ikind = named(&fields.kind)?;
    let iweight = named(&fields.weight)?;
    let iid = match &fields.id {
        Some(_) => named(&fields.id)?,
        None => find(names(), ID).and_then(col),
    };
    let iname = find(names(), NAME).and_then(col);
    let (mut out, mut rejected) = (Vec::new(), Vec::new());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("line {}: {e}", i + 2)))?;
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty());
        let id = get(iid).map(String::from).unwrap_or_else(|| format!("line {}", i + 2));
        let num = |c: usize| get(Some(c)).and_then(|s| s.replace(',', ".").parse::<f64>().ok());
        match (num(ilon), num(ilat)) {
            (Some(lon), Some(lat)) if valid_lon_lat(lon, lat) => out.push(Point {
                id,
                kind: get(ikind).map(String::from).unwrap_or_else(|| default_kind.to_string()),
                name: get(iname).map(String::from),
                lon,
                lat,
                weight: iweight.and_then(num),
            }),
            _ => rejected.push(Rejected { id, reason: "no valid longitude/latitude".into() }),
        }
    }
    Ok((out, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn france_services_file() {
        let p = crate::testdata::shared("france-services-2021.geojson");
        let (pts, rejected) = read_points(&p, &Fields::default()).unwrap();
        assert_eq!(pts.len() + rejected.len(), 908);
        assert!(pts.len() > 900, "{rejected:?}");
        let v = pts.iter().find(|p| p.id == "1").unwrap();
        assert_eq!((v.lon, v.lat), (5.825644, 46.105747));
        assert_eq!(v.kind, "france-services-2021");
        assert_eq!(v.name.as_deref(), Some("Valserhône"));
        let (typed, _) = read_points(&p, &Fields { kind: Some("FORMAT_FS".into()), ..Default::default() }).unwrap();
        assert!(typed.iter().any(|p| p.kind == "Espace labellisé"));
    }

    #[test]
    fn csv_with_semicolons_decimal_commas_and_bad_rows() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("pharmacies.csv");
        std::fs::write(&p, "id;type;Longitude;Latitude;pop\na;D301;3,05;50,63;10\nb;D301;;50.6;3\nc;D302;3.1;95;1\n")
            .unwrap();
        let (pts, rej) =
            read_points(&p, &Fields { kind: Some("type".into()), weight: Some("pop".into()), ..Default::default() })
                .unwrap();
        assert_eq!(
            pts,
            vec![Point { id: "a".into(), kind: "D301".into(), name: None, lon: 3.05, lat: 50.63, weight: Some(10.0) }]
        );
        assert_eq!(rej.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), vec!["b", "c"]);
        let e = read_points(&p, &Fields { kind: Some("typo".into()), ..Default::default() }).unwrap_err().to_string();
        assert!(e.contains("no 'typo' column"), "{e}");
        let q = d.path().join("nocoords.csv");
        std::fs::write(&q, "id,name\n1,x\n").unwrap();
        assert!(read_points(&q, &Fields::default()).unwrap_err().to_string().contains("longitude"));
    }

    #[test]
    fn tiers_lieux_csv() {
        let p = crate::testdata::shared("tiers-lieux-cget-2019.csv");
        let (pts, rej) = read_points(&p, &Fields { kind: Some("TYPO".into()), ..Default::default() }).unwrap();
        assert_eq!(pts.len() + rej.len(), 1512);
        assert!(pts.len() > 1400);
    }
}
