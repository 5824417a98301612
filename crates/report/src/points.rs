//! Points as GeoJSON (RFC 7946): one Point feature per row of a table whose longitude
//! and latitude columns (WGS84) are named, every other column a property; the table's
//! title and source line as foreign members of the collection (a shop layer for QGIS).

use serde_json::{Map, Value, json};

use crate::ReportError;
use crate::table::{Cell, Table};

/// The rows of `t` as Point features placed at columns `lon` and `lat`.
pub fn write_geojson(t: &Table, lon: &str, lat: &str) -> Result<Vec<u8>, ReportError> {
    let col = |name: &str| {
        t.columns.iter().position(|c| c == name).ok_or_else(|| ReportError::Invalid(format!("no column '{name}'")))
    };
    let (x, y) = (col(lon)?, col(lat)?);
    let mut features = Vec::with_capacity(t.rows.len());
    for (i, row) in t.rows.iter().enumerate() {
        let coord = |j: usize| match row.get(j) {
            Some(Cell::Number(v)) if v.is_finite() => Ok(*v),
            _ => Err(ReportError::Invalid(format!("row {}: no coordinate in '{}'", i + 1, t.columns[j]))),
        };
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
        features
            .push(json!({ "type": "Feature", "geometry": { "type": "Point", "coordinates": [coord(x)?, coord(y)?] },
            "properties": props }));
    }
    let body = json!({ "type": "FeatureCollection", "name": t.title, "source": t.source, "features": features });
    serde_json::to_vec(&body).map_err(|e| ReportError::Write { format: "GeoJSON", message: e.to_string() })
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
}
