//! A layer as PostGIS SQL: the statements that (re)create its table in a schema, so that
//! QGIS users add it straight from PostgreSQL (`echelle catalog publish`). The store
//! runs them in one transaction; this module only writes them.
//!
//! ```text
//!  <schema>.<layer> (fid, code, key, name, <indicator>…, missing, readers, geom MultiPolygon 4326)
//!  COMMENT ON TABLE: what the layer holds; COMMENT ON COLUMN: label, unit, source, vintage
//!  row-level security: a row whose `readers` is NULL is public; another is read only by
//!  members of a role `echelle_org_<organisation>` it names (a QGIS user's login role is
//!  made a member: GRANT "echelle_org_cci" TO alice)
//! ```

use std::fmt::Write;

use crate::ReportError;
use crate::gpkg::wkb_multipolygon;
use crate::layer::{FeatureLayer, column_name};

/// Rows per `INSERT`: statements of a few megabytes.
const ROWS_PER_INSERT: usize = 200;

/// The role whose members read an organisation's rows.
pub fn org_role(org: &str) -> Result<String, ReportError> {
    if org.is_empty()
        || org.len() > 50
        || !org.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(ReportError::Invalid(format!("organisation '{org}' cannot name a role")));
    }
    Ok(format!("echelle_org_{org}"))
}

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
    let mut orgs: Vec<&str> =
        layer.features.iter().filter_map(|f| f.readers.as_ref()).flatten().map(String::as_str).collect();
    orgs.sort_unstable();
    orgs.dedup();
    let mut roles = String::new();
    for org in orgs {
        // Created once for the cluster; a publisher needs CREATEROLE the first time.
        let _ = writeln!(
            roles,
            "DO $$ BEGIN CREATE ROLE \"{}\" NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$;",
            org_role(org)?
        );
    }
    out.push(roles);
    let mut create = format!(
        "DROP TABLE IF EXISTS {table};\nCREATE TABLE {table} (fid integer PRIMARY KEY, code text NOT NULL, \
         key text NOT NULL UNIQUE, name text NOT NULL"
    );
    for i in &layer.indicators {
        let _ = write!(create, ", {} double precision", i.id);
    }
    create.push_str(", missing integer NOT NULL, readers text[], geom geometry(MultiPolygon, 4326) NOT NULL);\n");
    let _ = writeln!(
        create,
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;\n\
         CREATE POLICY readers ON {table} FOR SELECT USING (readers IS NULL OR EXISTS \
         (SELECT 1 FROM unnest(readers) AS r(org) WHERE pg_has_role(current_user, 'echelle_org_' || r.org, 'MEMBER')));\n\
         GRANT USAGE ON SCHEMA {schema} TO PUBLIC;\nGRANT SELECT ON {table} TO PUBLIC;"
    );
    let _ = writeln!(create, "COMMENT ON TABLE {table} IS {};", literal(&layer.description()));
    for i in &layer.indicators {
        let synthetic = if i.synthetic { " — SYNTHÉTIQUE" } else { "" };
        let text = format!("{} ({}) — {}, millésime {}{synthetic}", i.label, i.unit, i.source, i.vintage);
        let _ = writeln!(create, "COMMENT ON COLUMN {table}.{} IS {};", i.id, literal(&text));
    }
    let _ = writeln!(
        create,
        "COMMENT ON COLUMN {table}.missing IS 'communes membres sans contour, absentes de la forme';\n\
         COMMENT ON COLUMN {table}.readers IS 'organisations qui lisent la ligne (NULL : publique)';"
    );
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
            let readers = match &f.readers {
                Some(orgs) => {
                    let list = orgs.iter().map(|o| org_role(o).map(|_| literal(o))).collect::<Result<Vec<_>, _>>()?;
                    format!("ARRAY[{}]::text[]", list.join(", "))
                }
                None => "NULL".to_string(),
            };
            let hex: String = wkb_multipolygon(&f.polygons).iter().map(|b| format!("{b:02x}")).collect();
            let _ = write!(
                insert,
                "{}({fid}, {}, {}, {}{values}, {}, {readers}, ST_GeomFromWKB(decode('{hex}', 'hex'), 4326))",
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
        assert!(sql.contains("NULL, 0, NULL, ST_GeomFromWKB"), "a missing value is NULL, a public row too: {sql}");
        assert!(sql.contains("ENABLE ROW LEVEL SECURITY") && !sql.contains("CREATE ROLE"), "{sql}");
        l.features[1].readers = Some(vec!["cci-hdf".into(), "dep62".into()]);
        let sql = statements(&l, "echelle_public").unwrap().join("");
        assert!(sql.contains("ARRAY['cci-hdf', 'dep62']::text[]"), "{sql}");
        assert!(sql.contains("CREATE ROLE \"echelle_org_cci-hdf\" NOLOGIN"), "{sql}");
        l.features[1].readers = Some(vec!["x\"; DROP ROLE postgres; --".into()]);
        assert!(statements(&l, "echelle_public").is_err(), "an organisation is a slug");
        assert!(sql.contains("COMMENT ON COLUMN echelle_public.epci."), "{sql}");
        assert!(sql.contains("USING gist (geom)"));
        assert!(statements(&l, "a; DROP").is_err(), "the schema is a plain name");
    }
}
