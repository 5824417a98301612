//! Points as GeoJSON (RFC 7946): one Point feature per row of a table whose longitude
//! and latitude columns (WGS84) are named, every other column a property; the table's
//! title and source line as foreign members of the collection (a shop layer for QGIS);
//! or the same as a GeoPackage POINT table whose description holds the title and source.

use serde_json::{Map, Value, json};

use crate::ReportError;
use crate::table::{Cell, Table};

/// The indices of the columns `lon` and `lat`, and each row's coordinates.
fn coordinates(t: &Table, lon: &str, lat: &str) -> Result<(usize, usize, Vec<[f64; 2]>), ReportError> {
    let col = |name: &str| {
        t.columns.iter().position(|c| c == name).ok_or_else(|| ReportError::Invalid(format!("no column '{name}'")))
    };
    let (x, y) = (col(lon)?, col(lat)?);
    let points = t
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let coord = |j: usize| match row.get(j) {
                Some(Cell::Number(v)) if v.is_finite() => Ok(*v),
                _ => Err(ReportError::Invalid(format!("row {}: no coordinate in '{}'", i + 1, t.columns[j]))),
            };
            Ok([coord(x)?, coord(y)?])
        })
        .collect::<Result<_, ReportError>>()?;
    Ok((x, y, points))
}

/// The rows of `t` as Point features placed at columns `lon` and `lat`.
pub fn write_geojson(t: &Table, lon: &str, lat: &str) -> Result<Vec<u8>, ReportError> {
    let (x, y, points) = coordinates(t, lon, lat)?;
    let mut features = Vec::with_capacity(t.rows.len());
    for (row, point) in t.rows.iter().zip(&points) {
        let mut props = Map::new();
        for (j, (name, cell)) in t.columns.iter().zip(row).enumerate() {
            if j == x || j == y {
                continue;
            }
            let v = match cell {
                Cell::Text(s) => json!(s),
                Cell::Number(n) => json!(n),
                Cell::Empty => Value::Null,
            };
            props.insert(name.clone(), v);
        }
        features.push(json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": point },
            "properties": props }));
    }
    let body = json!({ "type": "FeatureCollection", "name": t.title, "source": t.source, "features": features });
    serde_json::to_vec(&body).map_err(|e| ReportError::Write { format: "GeoJSON", message: e.to_string() })
}

/// The rows of `t` as a GeoPackage table `name` of points (WGS84) placed at columns
/// `lon` and `lat`; every other column is REAL when all its cells are numbers or empty,
/// TEXT otherwise. The title and source line are the table's description.
pub fn write_gpkg(t: &Table, name: &str, lon: &str, lat: &str) -> Result<Vec<u8>, ReportError> {
    use crate::gpkg::{begin, fail, quote};
    crate::layer::column_name(name)?;
    let (x, y, points) = coordinates(t, lon, lat)?;
    let bbox = points
        .iter()
        .fold([180.0f64, 90.0, -180.0, -90.0], |b, p| [b[0].min(p[0]), b[1].min(p[1]), b[2].max(p[0]), b[3].max(p[1])]);
    let kept: Vec<usize> = (0..t.columns.len()).filter(|&j| j != x && j != y).collect();
    if let Some(&j) = kept.iter().find(|&&j| ["fid", "geom"].contains(&t.columns[j].to_lowercase().as_str())) {
        return Err(ReportError::Invalid(format!("column '{}' has the name of a fixed column", t.columns[j])));
    }
    let real = |j: usize| t.rows.iter().all(|r| matches!(r[j], Cell::Number(_) | Cell::Empty));
    let description = format!("{} — {}", t.title, t.source);
    crate::gpkg::through_file(name, |path| {
        let db = begin(path, name, &description, bbox, "POINT")?;
        let columns: String = kept
            .iter()
            .map(|&j| format!(", {} {}", quote(&t.columns[j]), if real(j) { "REAL" } else { "TEXT" }))
            .collect();
        db.execute_batch(&format!(
            "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom POINT{columns})",
            quote(name)
        ))
        .map_err(fail)?;
        let names: String = kept.iter().map(|&j| format!(", {}", quote(&t.columns[j]))).collect();
        let marks: String = (0..kept.len()).map(|k| format!(", ?{}", k + 2)).collect();
        let mut insert =
            db.prepare(&format!("INSERT INTO {} (geom{names}) VALUES (?1{marks})", quote(name))).map_err(fail)?;
        for (row, p) in t.rows.iter().zip(&points) {
            let mut values: Vec<rusqlite::types::Value> = vec![point_geometry(*p).into()];
            values.extend(kept.iter().map(|&j| match &row[j] {
                Cell::Text(s) => rusqlite::types::Value::Text(s.clone()),
                Cell::Number(v) => rusqlite::types::Value::Real(*v),
                Cell::Empty => rusqlite::types::Value::Null,
            }));
            insert.execute(rusqlite::params_from_iter(values)).map_err(fail)?;
        }
        drop(insert);
        db.execute_batch("COMMIT").map_err(fail)
    })
}

/// GeoPackage binary geometry of a point: header without envelope (flags: little
/// endian, no envelope), SRS 4326, then ISO WKB Point.
fn point_geometry(p: [f64; 2]) -> Vec<u8> {
    let mut out = vec![b'G', b'P', 0, 0b0000_0001];
    out.extend_from_slice(&4326i32.to_le_bytes());
    out.push(1);
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&p[0].to_le_bytes());
    out.extend_from_slice(&p[1].to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_point_per_row_with_the_other_columns_as_properties() {
        let t = Table {
            title: "Commerces".into(),
            source: "CCI — SYNTHÉTIQUE".into(),
            columns: vec!["Nom".into(), "Longitude".into(), "Latitude".into(), "Surface".into()],
            info: vec![Default::default(); 4],
            rows: vec![vec![Cell::Text("A".into()), Cell::Number(2.5), Cell::Number(50.4), Cell::Number(1200.0)]],
        };
        let fc: Value = serde_json::from_slice(&write_geojson(&t, "Longitude", "Latitude").unwrap()).unwrap();
        assert_eq!(fc["features"][0]["geometry"]["coordinates"], json!([2.5, 50.4]));
        assert_eq!(fc["features"][0]["properties"], json!({"Nom": "A", "Surface": 1200.0}));
        assert_eq!(fc["source"], "CCI — SYNTHÉTIQUE");
        assert!(write_geojson(&t, "lon", "Latitude").is_err());
    }

    #[test]
    fn points_in_a_geopackage_read_back() {
        let t = Table {
            title: "Sites".into(),
            source: "echelle".into(),
            columns: vec!["site".into(), "lon".into(), "lat".into(), "servie".into()],
            info: vec![],
            rows: vec![
                vec![Cell::Text("=1+1".into()), Cell::Number(2.5), Cell::Number(50.4), Cell::Number(12.5)],
                vec![Cell::Text("b".into()), Cell::Number(3.0), Cell::Number(50.0), Cell::Empty],
            ],
        };
        let bytes = write_gpkg(&t, "sites", "lon", "lat").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.gpkg");
        std::fs::write(&path, bytes).unwrap();
        let db = rusqlite::Connection::open(&path).unwrap();
        let rows: Vec<(String, Option<f64>, Vec<u8>)> = db
            .prepare("SELECT site, servie, geom FROM sites ORDER BY fid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!((rows[0].0.as_str(), rows[0].1, rows[1].1), ("=1+1", Some(12.5), None));
        let g = &rows[0].2;
        assert_eq!((&g[..4], f64::from_le_bytes(g[13..21].try_into().unwrap())), (&b"GP\x00\x01"[..], 2.5));
        let bbox: (f64, f64) =
            db.query_row("SELECT min_x, max_y FROM gpkg_contents", [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
        assert_eq!(bbox, (2.5, 50.4));
        assert!(write_gpkg(&t, "bad name", "lon", "lat").is_err());
    }
}
