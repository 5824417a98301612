//! Files written as GDAL and ESRI write them, for the tests of the readers and of
//! their users.

use std::path::Path;

use geo::{LineString, Polygon, Winding};
use serde_json::Value;

use super::{Each, Feature, Layer};
use crate::error::Result;

/// The layer a reader reads and all its features (`read` calls the reader with the
/// `each` it is given).
pub fn collect(read: impl FnOnce(Each) -> Result<Layer>) -> Result<(Layer, Vec<Feature>)> {
    let mut all = Vec::new();
    let layer = read(&mut |_, _, f| {
        all.push(f);
        Ok(())
    })?;
    Ok((layer, all))
}

/// A crescent (a C open to the east) around (cx, cy), `r` its outer radius.
pub fn crescent(cx: f64, cy: f64, r: f64) -> Vec<(f64, f64)> {
    let mut pts = Vec::new();
    for i in 0..=24 {
        let a = (45.0 + 270.0 * f64::from(i) / 24.0).to_radians();
        pts.push((cx + r * a.cos(), cy + r * a.sin()));
    }
    for i in (0..=24).rev() {
        let a = (45.0 + 270.0 * f64::from(i) / 24.0).to_radians();
        pts.push((cx + 0.6 * r * a.cos(), cy + 0.6 * r * a.sin()));
    }
    pts.push(pts[0]);
    pts
}

pub fn square(cx: f64, cy: f64, h: f64) -> Vec<(f64, f64)> {
    vec![(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h), (cx - h, cy - h)]
}

pub fn poly(ring: &[(f64, f64)]) -> Polygon {
    Polygon::new(LineString::from(ring.to_vec()), vec![])
}

pub fn geojson_ring(ring: &[(f64, f64)]) -> Value {
    Value::Array(ring.iter().map(|(x, y)| serde_json::json!([x, y])).collect())
}

/// A GeoPackage as GDAL writes one: the GeoPackage tables, one layer, geometries
/// as `GP` header + envelope + WKB.
pub fn write_gpkg(path: &Path, srs_id: i64, rows: &[(&str, &str, &str, Polygon)]) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(
        "PRAGMA application_id = 1196444487;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
           organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, srs_id INTEGER);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
           geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
         CREATE TABLE contours_iris (fid INTEGER PRIMARY KEY, geom BLOB, code_insee TEXT, nom_commune TEXT,
           iris TEXT, code_iris TEXT, nom_iris TEXT, type_iris TEXT);",
    )
    .unwrap();
    c.execute(
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('RGF93 v1 / Lambert-93', ?1, 'EPSG', ?1, 'PROJCS[...]', NULL)",
        [srs_id],
    )
    .unwrap();
    c.execute("INSERT INTO gpkg_contents VALUES ('contours_iris', 'features', 'contours_iris', ?1)", [srs_id]).unwrap();
    c.execute("INSERT INTO gpkg_geometry_columns VALUES ('contours_iris', 'geom', 'MULTIPOLYGON', ?1, 0, 0)", [srs_id])
        .unwrap();
    for (code, name, com, shape) in rows {
        c.execute(
            "INSERT INTO contours_iris (geom, code_insee, iris, code_iris, nom_iris, type_iris) VALUES (?1, ?2, ?3, ?4, ?5, 'H')",
            rusqlite::params![gpkg_blob(srs_id, shape), com, &code[5..], code, name],
        )
        .unwrap();
    }
}

/// GeoPackage binary: magic, version 0, flags (little-endian, envelope [minx,
/// maxx, miny, maxy]), srs id, envelope, then the WKB MultiPolygon.
fn gpkg_blob(srs_id: i64, p: &Polygon) -> Vec<u8> {
    let mut b = vec![b'G', b'P', 0, 0b0000_0011];
    b.extend((srs_id as i32).to_le_bytes());
    let bb = geo::BoundingRect::bounding_rect(p).unwrap();
    for v in [bb.min().x, bb.max().x, bb.min().y, bb.max().y] {
        b.extend(v.to_le_bytes());
    }
    b.push(1);
    b.extend(6u32.to_le_bytes());
    b.extend(1u32.to_le_bytes());
    b.push(1);
    b.extend(3u32.to_le_bytes());
    let rings: Vec<&LineString> = std::iter::once(p.exterior()).chain(p.interiors()).collect();
    b.extend((rings.len() as u32).to_le_bytes());
    for r in rings {
        b.extend((r.0.len() as u32).to_le_bytes());
        for c in &r.0 {
            b.extend(c.x.to_le_bytes());
            b.extend(c.y.to_le_bytes());
        }
    }
    b
}

/// A ring clockwise (a shapefile's outer ring).
pub fn cw(mut r: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    if !LineString::from(r.clone()).is_cw() {
        r.reverse();
    }
    r
}

/// A ring counter-clockwise (a shapefile's hole).
pub fn ccw(r: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    let mut r = cw(r);
    r.reverse();
    r
}

/// The rings of a shapefile record (`None`: a null shape).
pub type Rings = Option<Vec<Vec<(f64, f64)>>>;

/// A shapefile as ESRI specifies it: `.shp` (big-endian file header and record
/// headers, little-endian contents; outer rings clockwise, holes counter-clockwise)
/// and a dBase III `.dbf` in Windows-1252, with the `.prj` GDAL writes for
/// Lambert-93. `None`: a null shape.
pub fn write_shapefile(path: &Path, rows: &[(&[u8], &[u8], Rings)]) {
    let mut recs = Vec::new();
    for (i, (_, _, rings)) in rows.iter().enumerate() {
        let mut c = Vec::new();
        match rings {
            None => c.extend(0i32.to_le_bytes()),
            Some(rings) => {
                c.extend(5i32.to_le_bytes());
                c.extend([0u8; 32]);
                c.extend((rings.len() as i32).to_le_bytes());
                c.extend((rings.iter().map(Vec::len).sum::<usize>() as i32).to_le_bytes());
                let mut start = 0;
                for r in rings {
                    c.extend((start as i32).to_le_bytes());
                    start += r.len();
                }
                for (x, y) in rings.iter().flatten() {
                    c.extend(x.to_le_bytes());
                    c.extend(y.to_le_bytes());
                }
            }
        }
        recs.extend((i as i32 + 1).to_be_bytes());
        recs.extend((c.len() as i32 / 2).to_be_bytes());
        recs.extend(c);
    }
    let mut shp = Vec::new();
    shp.extend(9994i32.to_be_bytes());
    shp.extend([0u8; 20]);
    shp.extend(((100 + recs.len()) as i32 / 2).to_be_bytes());
    shp.extend(1000i32.to_le_bytes());
    shp.extend(5i32.to_le_bytes());
    shp.extend([0u8; 64]);
    shp.extend(recs);
    std::fs::write(path, shp).unwrap();
    let mut dbf = vec![3u8, 126, 11, 26];
    dbf.extend((rows.len() as u32).to_le_bytes());
    dbf.extend((32u16 + 2 * 32 + 1).to_le_bytes());
    dbf.extend((1u16 + 9 + 40).to_le_bytes());
    dbf.extend([0u8; 20]);
    for (name, len) in [(&b"CODE_IRIS"[..], 9u8), (&b"NOM_IRIS"[..], 40)] {
        let mut f = [0u8; 32];
        f[..name.len()].copy_from_slice(name);
        f[11] = b'C';
        f[16] = len;
        dbf.extend(f);
    }
    dbf.push(0x0D);
    for (code, name, _) in rows {
        dbf.push(b' ');
        dbf.extend(code.iter().chain(std::iter::repeat(&b' ')).take(9));
        dbf.extend(name.iter().chain(std::iter::repeat(&b' ')).take(40));
    }
    dbf.push(0x1A);
    std::fs::write(path.with_extension("dbf"), dbf).unwrap();
    std::fs::write(
        path.with_extension("prj"),
        r#"PROJCS["RGF_1993_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",49.0],PARAMETER["Standard_Parallel_2",44.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#,
    )
    .unwrap();
}
