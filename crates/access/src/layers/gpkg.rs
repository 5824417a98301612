//! GeoPackage (OGC 12-128r18): a SQLite file whose `gpkg_geometry_columns` lists
//! the feature layers, geometries as the GeoPackage binary (a `GP` header and
//! envelope, then WKB), coordinate systems in `gpkg_spatial_ref_sys`.

use std::path::Path;

use geozero::ToGeo;
use geozero::wkb::GpkgWkb;
use rusqlite::types::ValueRef;

use super::{Choose, Each, Feature, Format, Layer, bad, polygonal};
use crate::error::Result;

/// Reads the layer `choose` picks among those of the GeoPackage at `path`, each
/// feature to `each`.
pub fn read(path: &Path, choose: Choose, each: Each) -> Result<Layer> {
    let bad = |m: String| bad(path, m);
    let sql = |e: rusqlite::Error| bad(format!("not a readable GeoPackage: {e}"));
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    let layers: Vec<(String, String, i64)> = conn
        .prepare("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns ORDER BY table_name")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
        .map_err(sql)?;
    if layers.is_empty() {
        return Err(bad("the GeoPackage has no feature layer".into()));
    }
    let mut fields = Vec::with_capacity(layers.len());
    for (table, geom, _) in &layers {
        let cols: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info({})", quote_literal(table)))
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(sql)?;
        fields.push((table.clone(), cols.into_iter().filter(|c| c != geom).collect::<Vec<_>>()));
    }
    let chosen = choose(&fields).map_err(bad)?;
    let (table, geom, srs_id) = layers.get(chosen).cloned().ok_or_else(|| bad(format!("no layer {chosen}")))?;
    let cols = fields.swap_remove(chosen).1;
    let srs: (Option<String>, Option<i64>, Option<String>) = conn
        .query_row(
            "SELECT organization, organization_coordsys_id, srs_name FROM gpkg_spatial_ref_sys WHERE srs_id = ?1",
            [srs_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .map_err(|e| bad(format!("layer '{table}': coordinate system {srs_id} not in gpkg_spatial_ref_sys: {e}")))?;
    let epsg = match srs {
        (Some(org), Some(id), _) if org.eq_ignore_ascii_case("EPSG") => id,
        (_, _, name) => {
            return Err(bad(format!(
                "layer '{table}': coordinate system {srs_id} ({}) is not an EPSG one",
                name.unwrap_or_default()
            )));
        }
    };
    let epsg = u32::try_from(epsg).map_err(|_| bad(format!("layer '{table}': SRS id {epsg} is not an EPSG code")))?;
    let select = format!(
        "SELECT {} FROM {}",
        std::iter::once(&geom).chain(&cols).map(|c| quote_ident(c)).collect::<Vec<_>>().join(", "),
        quote_ident(&table)
    );
    let layer = Layer { format: Format::GeoPackage, name: Some(table.clone()), epsg };
    let mut stmt = conn.prepare(&select).map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut n = 0;
    while let Some(row) = rows.next().map_err(sql)? {
        let shape = match row.get_ref(0).map_err(sql)? {
            ValueRef::Blob(b) => {
                GpkgWkb(b).to_geo().map_err(|e| format!("unreadable GeoPackage geometry: {e}")).and_then(polygonal)
            }
            _ => Err("no geometry".into()),
        };
        let mut attributes = Vec::with_capacity(cols.len());
        for (i, c) in cols.iter().enumerate() {
            attributes.push((c.clone(), text(row.get_ref(i + 1).map_err(sql)?)));
        }
        each(&layer, n, Feature { attributes, shape })?;
        n += 1;
    }
    if n == 0 {
        return Err(bad(format!("layer '{table}' has no feature")));
    }
    Ok(layer)
}

/// A value as text (blank and binary values: `None`).
fn text(v: ValueRef) -> Option<String> {
    match v {
        ValueRef::Text(t) => Some(String::from_utf8_lossy(t).trim().to_string()).filter(|s| !s.is_empty()),
        ValueRef::Integer(i) => Some(i.to_string()),
        ValueRef::Real(x) => Some(x.to_string()),
        _ => None,
    }
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testfiles::{collect, poly, square, write_gpkg};
    use geo::Area;

    fn read_all(path: &Path, choose: Choose) -> Result<(Layer, Vec<Feature>)> {
        collect(|each| read(path, choose, each))
    }

    fn first(layers: &[(String, Vec<String>)]) -> std::result::Result<usize, String> {
        Ok(layers.len() - 1)
    }

    #[test]
    fn reads_every_attribute_the_polygons_and_the_epsg_code() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("contours.gpkg");
        write_gpkg(&p, 2154, &[("593500104", "Croissant", "59350", poly(&square(704_000.0, 7_060_000.0, 100.0)))]);
        let seen = std::cell::RefCell::new(Vec::new());
        let (l, fs) = read_all(&p, &|layers| {
            seen.borrow_mut().extend(layers.iter().cloned());
            first(layers)
        })
        .unwrap();
        // The layer offered with its fields, the geometry column aside.
        assert_eq!(
            seen.into_inner(),
            vec![(
                "contours_iris".to_string(),
                ["fid", "code_insee", "nom_commune", "iris", "code_iris", "nom_iris", "type_iris"]
                    .map(String::from)
                    .to_vec()
            )]
        );
        assert_eq!((l.format, l.name.as_deref(), l.epsg), (Format::GeoPackage, Some("contours_iris"), 2154));
        let f = &fs[0];
        assert_eq!(f.get("code_iris"), Some("593500104"));
        assert_eq!(f.get("iris"), Some("0104"));
        assert_eq!(f.get("fid"), Some("1"));
        // Blank (NULL) values are None.
        assert_eq!(f.get("nom_commune"), None);
        assert!((f.shape.as_ref().unwrap().unsigned_area() - 200.0 * 200.0).abs() < 1e-6);
        assert_eq!(l.feature_label(0), "layer 'contours_iris', feature 1");
        // The chooser's refusal is the error, naming the file.
        let e = read_all(&p, &|_| Err("no layer fits".into())).unwrap_err().to_string();
        assert!(e.contains("contours.gpkg") && e.contains("no layer fits"), "{e}");
    }

    #[test]
    fn a_bad_blob_is_the_features_error_and_a_non_geopackage_the_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("iris.gpkg");
        write_gpkg(&p, 2154, &[("593500104", "A", "59350", poly(&square(704_000.0, 7_060_000.0, 100.0)))]);
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute("UPDATE contours_iris SET geom = x'47500003'", []).unwrap();
        }
        let (_, fs) = read_all(&p, &first).unwrap();
        let e = fs[0].shape.clone().unwrap_err();
        assert!(e.contains("unreadable GeoPackage geometry"), "{e}");
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute("UPDATE contours_iris SET geom = NULL", []).unwrap();
        }
        assert_eq!(read_all(&p, &first).unwrap().1[0].shape, Err("no geometry".to_string()));
        {
            let c = rusqlite::Connection::open(&p).unwrap();
            c.execute("UPDATE gpkg_spatial_ref_sys SET organization = 'IGNF'", []).unwrap();
        }
        let e = read_all(&p, &first).unwrap_err().to_string();
        assert!(e.contains("layer 'contours_iris'") && e.contains("is not an EPSG one"), "{e}");
        std::fs::write(&p, "not a database").unwrap();
        let e = read_all(&p, &first).unwrap_err().to_string();
        assert!(e.contains("iris.gpkg") && e.contains("not a readable GeoPackage"), "{e}");
    }
}
