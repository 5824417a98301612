//! GeoPackage (OGC 12-128r, version 1.2 header values), written with SQLite: the
//! required metadata tables, one features table in WGS84 (EPSG:4326) with a
//! MULTIPOLYGON column holding GeoPackage binary geometry (a "GP" header with the
//! envelope, then ISO WKB). SQLite writes to a file: it is made in a private temporary
//! directory (mode 0700, random name) removed once the bytes are read.

use std::path::Path;

use rusqlite::{Connection, params_from_iter};

use crate::ReportError;
use crate::layer::{FeatureLayer, Polygon};

/// `PRAGMA application_id`: the ASCII bytes 'GPKG'.
pub const APPLICATION_ID: i32 = 0x4750_4B47;
/// `PRAGMA user_version` of GeoPackage 1.2.
pub const USER_VERSION: i32 = 10200;

const WGS84: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]]"#;

/// A polygon set as ISO WKB (little endian), rings closed.
pub fn wkb_multipolygon(polygons: &[Polygon]) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(1);
    out.extend_from_slice(&6u32.to_le_bytes());
    out.extend_from_slice(&(polygons.len() as u32).to_le_bytes());
    for rings in polygons {
        out.push(1);
        out.extend_from_slice(&3u32.to_le_bytes());
        out.extend_from_slice(&(rings.len() as u32).to_le_bytes());
        for ring in rings {
            let closed = ring.first() != ring.last();
            out.extend_from_slice(&((ring.len() + usize::from(closed)) as u32).to_le_bytes());
            for p in ring.iter().chain(closed.then(|| &ring[0])) {
                out.extend_from_slice(&p[0].to_le_bytes());
                out.extend_from_slice(&p[1].to_le_bytes());
            }
        }
    }
    out
}

/// GeoPackage binary geometry: magic, version 0, flags (little endian, xy envelope),
/// SRS id, envelope (min x, max x, min y, max y), WKB.
pub fn gpkg_geometry(polygons: &[Polygon], bbox: [f64; 4], srs_id: i32) -> Vec<u8> {
    let mut out = vec![b'G', b'P', 0, 0b0000_0011];
    out.extend_from_slice(&srs_id.to_le_bytes());
    for v in [bbox[0], bbox[2], bbox[1], bbox[3]] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&wkb_multipolygon(polygons));
    out
}

pub(crate) fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// The layer as GeoPackage bytes: a table named after the layer with `code`, `name`,
/// `missing` (member communes without a shape) and one REAL column per indicator.
pub fn write(layer: &FeatureLayer) -> Result<Vec<u8>, ReportError> {
    layer.check()?;
    through_file(&layer.name, |path| write_file(path, layer))
}

/// Runs `write` on a new file in a private temporary directory and returns its bytes.
pub(crate) fn through_file(
    name: &str,
    write: impl FnOnce(&Path) -> Result<(), ReportError>,
) -> Result<Vec<u8>, ReportError> {
    let io = |e: std::io::Error| ReportError::Write { format: "GeoPackage", message: e.to_string() };
    let dir = tempfile::Builder::new().prefix("echelle-gpkg-").tempdir().map_err(io)?;
    let path = dir.path().join(format!("{name}.gpkg"));
    write(&path)?;
    let bytes = std::fs::read(&path).map_err(io)?;
    dir.close().map_err(io)?;
    Ok(bytes)
}

pub(crate) fn fail(e: rusqlite::Error) -> ReportError {
    ReportError::Write { format: "GeoPackage", message: e.to_string() }
}

/// Opens a new GeoPackage at `path` and writes its metadata tables for one features
/// table in WGS84 of the given geometry type; the caller creates and fills the table
/// in the returned transaction's connection, then commits.
pub(crate) fn begin(
    path: &Path,
    table: &str,
    description: &str,
    bbox: [f64; 4],
    geometry: &str,
) -> Result<Connection, ReportError> {
    let db = Connection::open(path).map_err(fail)?;
    db.pragma_update(None, "application_id", APPLICATION_ID).map_err(fail)?;
    db.pragma_update(None, "user_version", USER_VERSION).map_err(fail)?;
    db.execute_batch("BEGIN").map_err(fail)?;
    db.execute_batch(
        "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
            description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
            CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));",
    )
    .map_err(fail)?;
    db.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES
            ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
            ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
            ('WGS 84 geodetic', 4326, 'EPSG', 4326, ?1, 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
        [WGS84],
    )
    .map_err(fail)?;
    db.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
         VALUES (?1, 'features', ?1, ?2, ?3, ?4, ?5, ?6, 4326)",
        rusqlite::params![table, description, bbox[0], bbox[1], bbox[2], bbox[3]],
    )
    .map_err(fail)?;
    db.execute("INSERT INTO gpkg_geometry_columns VALUES (?1, 'geom', ?2, 4326, 0, 0)", [table, geometry])
        .map_err(fail)?;
    Ok(db)
}

/// Writes the layer as a new GeoPackage at `path` (which must not exist).
fn write_file(path: &Path, layer: &FeatureLayer) -> Result<(), ReportError> {
    let (table, description) = (layer.name.as_str(), layer.description());
    let features = &layer.features;
    let tx = begin(path, table, &description, layer.bbox(), "MULTIPOLYGON")?;
    let columns: String = layer.indicators.iter().map(|i| format!(", {} REAL", quote(&i.id))).collect();
    tx.execute_batch(&format!(
        "CREATE TABLE {} (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom MULTIPOLYGON, code TEXT, name TEXT, missing INTEGER{columns})",
        quote(table)
    ))
    .map_err(fail)?;
    let placeholders: String = (0..layer.indicators.len()).map(|k| format!(", ?{}", k + 5)).collect();
    {
        let mut insert = tx
            .prepare(&format!(
                "INSERT INTO {} (geom, code, name, missing{}) VALUES (?1, ?2, ?3, ?4{placeholders})",
                quote(table),
                layer.indicators.iter().map(|i| format!(", {}", quote(&i.id))).collect::<String>()
            ))
            .map_err(fail)?;
        for f in features {
            let mut values: Vec<rusqlite::types::Value> = vec![
                gpkg_geometry(&f.polygons, f.bbox, 4326).into(),
                f.code.clone().into(),
                f.name.clone().into(),
                (f.missing as i64).into(),
            ];
            values.extend(f.values.iter().map(|v| match v {
                Some(x) => rusqlite::types::Value::Real(*x),
                None => rusqlite::types::Value::Null,
            }));
            insert.execute(params_from_iter(values)).map_err(fail)?;
        }
    }
    tx.execute_batch("COMMIT").map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_header_and_wkb() {
        let square = vec![vec![vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]]]];
        let g = gpkg_geometry(&square, [0.0, 0.0, 1.0, 1.0], 4326);
        assert_eq!(&g[..4], b"GP\x00\x03");
        assert_eq!(i32::from_le_bytes(g[4..8].try_into().unwrap()), 4326);
        let wkb = &g[8 + 32..];
        assert_eq!((wkb[0], u32::from_le_bytes(wkb[1..5].try_into().unwrap())), (1, 6));
        // 1 polygon, 1 ring of 5 points (closed): 9 + 9 + 4 + 5 * 16 bytes.
        assert_eq!(wkb.len(), 9 + 9 + 4 + 5 * 16);
        assert_eq!(APPLICATION_ID.to_be_bytes(), *b"GPKG");
    }

    #[test]
    fn written_and_read_back() {
        let layer = crate::layer::tests::layer();
        let bytes = write(&layer).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("back.gpkg");
        std::fs::write(&path, bytes).unwrap();
        let db = Connection::open(&path).unwrap();
        let rows: Vec<(String, Option<f64>)> = db
            .prepare("SELECT name, population FROM epci ORDER BY fid")
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(rows, [("=HYPERLINK(\"x\"), \"quoted\"".to_string(), Some(1200.0)), ("Œuvre ≥ 2".into(), None)]);
        let srs: i64 =
            db.query_row("SELECT srs_id FROM gpkg_contents WHERE table_name = 'epci'", [], |r| r.get(0)).unwrap();
        assert_eq!(srs, 4326);
    }
}
