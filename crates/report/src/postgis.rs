//! A layer as PostGIS SQL: the statements that (re)create its table in a schema, so that
//! QGIS users add it straight from PostgreSQL (`echelle catalog publish`). The store
//! runs them in one transaction; this module only writes them.
//!
//! ```text
//!  <schema>.<layer> (fid, code, key, name, <indicator>…, missing, geom MultiPolygon 4326)
//!  COMMENT ON TABLE: what the layer holds; COMMENT ON COLUMN: label, unit, source, vintage
//! ```

use std::fmt::Write;

use crate::ReportError;
use crate::gpkg::wkb_multipolygon;
use crate::layer::{FeatureLayer, column_name};

/// Rows per `INSERT`: statements of a few megabytes.
const ROWS_PER_INSERT: usize = 200;

/// A text as an SQL literal.
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The statements creating `layer` as table `<schema>.<layer.name>` (dropped first if
/// it exists), with its rows, comments and spatial index; `schema` is a plain name.
pub fn statements(layer: &FeatureLayer, schema: &str) -> Result<Vec<String>, ReportError> {
    layer.check()?;
    column_name(schema)?;
    let table = format!("{schema}.{}", layer.name);
    let mut out = Vec::new();
    let mut create = format!(
        "DROP TABLE IF EXISTS {table};\nCREATE TABLE {table} (fid integer PRIMARY KEY, code text NOT NULL, \
         key text NOT NULL UNIQUE, name text NOT NULL"
    );
    for i in &layer.indicators {
        let _ = write!(create, ", {} double precision", i.id);
    }
    create.push_str(", missing integer NOT NULL, geom geometry(MultiPolygon, 4326) NOT NULL);\n");
    let _ = writeln!(create, "COMMENT ON TABLE {table} IS {};", literal(&layer.description()));
    for i in &layer.indicators {
        let synthetic = if i.synthetic { " — SYNTHÉTIQUE" } else { "" };
        let text = format!("{} ({}) — {}, millésime {}{synthetic}", i.label, i.unit, i.source, i.vintage);
        let _ = writeln!(create, "COMMENT ON COLUMN {table}.{} IS {};", i.id, literal(&text));
    }
    let _ =
        writeln!(create, "COMMENT ON COLUMN {table}.missing IS 'communes membres sans contour, absentes de la forme';");
    out.push(create);
    for (chunk, features) in layer.features.chunks(ROWS_PER_INSERT).enumerate() {
        let mut insert = format!("INSERT INTO {table} VALUES\n");
        for (k, f) in features.iter().enumerate() {
            let fid = chunk * ROWS_PER_INSERT + k + 1;
            let values: String = f
                .values
                .iter()
                .map(|v| match v {
                    Some(x) if x.is_finite() => format!(", {x:?}"),
                    _ => ", NULL".to_string(),
                })
                .collect();
            let hex: String = wkb_multipolygon(&f.polygons).iter().map(|b| format!("{b:02x}")).collect();
            let _ = write!(
                insert,
                "{}({fid}, {}, {}, {}{values}, {}, ST_GeomFromWKB(decode('{hex}', 'hex'), 4326))",
                if k == 0 { "" } else { ",\n" },
                literal(&f.code),
                literal(&f.key),
                literal(&f.name),
                f.missing
            );
        }
        insert.push_str(";\n");
        out.push(insert);
    }
    out.push(format!("CREATE INDEX ON {table} USING gist (geom);\nANALYZE {table};\n"));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layer::tests::layer;

    #[test]
    fn a_layer_becomes_one_table_with_its_comments_rows_and_index() {
        let mut l = layer();
        l.features[0].name = "Lille d'en haut".into();
        let sql = statements(&l, "echelle_public").unwrap().join("");
        assert!(sql.contains("CREATE TABLE echelle_public.epci (fid integer PRIMARY KEY"), "{sql}");
        assert!(sql.contains("'Lille d''en haut'"), "quotes doubled: {sql}");
        assert!(sql.contains("ST_GeomFromWKB(decode('01060000"), "a little-endian WKB MultiPolygon: {sql}");
        assert!(sql.contains("NULL, 0, ST_GeomFromWKB"), "a missing value is NULL: {sql}");
        assert!(sql.contains("COMMENT ON COLUMN echelle_public.epci."), "{sql}");
        assert!(sql.contains("USING gist (geom)"));
        assert!(statements(&l, "a; DROP").is_err(), "the schema is a plain name");
    }
}
