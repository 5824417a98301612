//! IRIS as origins: one point per IRIS contour of a file, weighted by the IRIS
//! population of the store's census table.
//!
//! The reference pack has the IRIS codes, names, communes and census counts, but no
//! geometry: the contours come from a file, IGN's CONTOURS-IRIS (GeoPackage or
//! shapefile, in Lambert-93 for mainland France and in the local UTM zone overseas;
//! fields `CODE_IRIS`, `NOM_IRIS`, `INSEE_COM`, `TYP_IRIS`, lower-case in some
//! editions) or a GeoJSON of IRIS contours (WGS84, or the system its `crs` member names; the code
//! in `CODE_IRIS`, `code_iris`, `iris_code` as in Opendatasoft's georef-france-iris,
//! or `DCOMIRIS` as in the older all-in-one files).
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
use geo::{Area, Coord, Geometry, InteriorPoint, LineString, MultiPolygon, Polygon};
use geozero::ToGeo;
use geozero::wkb::GpkgWkb;
use serde_json::Value;

use echelle_referential::crs;
use echelle_store::Store;

use crate::error::{AccessError, Result};
use crate::geodesy::valid_lon_lat;
use crate::points::Point;

/// The fields that hold the IRIS code (any case).
pub const CODE_FIELDS: &[&str] = &["CODE_IRIS", "iris_code", "DCOMIRIS"];
const NAME_FIELDS: &[&str] = &["NOM_IRIS", "iris_name", "LIB_IRIS"];
const COMMUNE_FIELDS: &[&str] = &["INSEE_COM", "code_insee", "DEPCOM", "com_code"];

/// One IRIS of a contour file: what the file says of it, and a point inside it.
#[derive(Debug, Clone, PartialEq)]
pub struct IrisContour {
    pub code: String,
    pub name: Option<String>,
    /// The commune code the file gives (`INSEE_COM`…), if any.
    pub commune: Option<String>,
    pub lon: f64,
    pub lat: f64,
}

/// The IRIS of a contour file.
#[derive(Debug, Clone)]
pub struct IrisFile {
    pub contours: Vec<IrisContour>,
    /// The coordinate system of the file, e.g. `EPSG:2154`.
    pub srs: String,
    /// Codes given by several features (the largest part is kept).
    pub duplicates: Vec<String>,
}

/// Reads a contour file: GeoPackage (`.gpkg`), shapefile (`.shp` with its `.dbf`
/// and `.prj`) or GeoJSON (`.geojson`, `.json`).
pub fn read_contours(path: &Path) -> Result<IrisFile> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    let (raw, srs) = match ext.as_str() {
        "gpkg" => read_gpkg(path)?,
        "geojson" | "json" => read_geojson(path)?,
        "shp" => read_shapefile(path)?,
        _ => {
            return Err(bad(
                "IRIS contours must be a GeoPackage (.gpkg), a shapefile (.shp with its .dbf) or a GeoJSON (.geojson, .json)"
                    .into(),
            ));
        }
    };
    let Srs::Epsg(epsg) = srs;
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

/// Polygons only: a contour that is a point or a line is an error.
fn polygonal(g: Geometry) -> std::result::Result<MultiPolygon, String> {
    match g {
        Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        Geometry::MultiPolygon(m) => Ok(m),
        Geometry::GeometryCollection(c) => {
            let mut all = Vec::new();
            for g in c {
                all.extend(polygonal(g)?.0);
            }
            Ok(MultiPolygon(all))
        }
        other => Err(format!("geometry is a {}, not a polygon", geometry_kind(&other))),
    }
}

fn geometry_kind(g: &Geometry) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) | Geometry::LineString(_) => "LineString",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
        _ => "polygon",
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

fn read_gpkg(path: &Path) -> Result<(Vec<Raw>, Srs)> {
    use rusqlite::types::ValueRef;
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    let sql = |e: rusqlite::Error| bad(format!("not a readable GeoPackage: {e}"));
    let conn = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(sql)?;
    let layers: Vec<(String, String, i64)> = conn
        .prepare("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns ORDER BY table_name")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect())
        .map_err(sql)?;
    if layers.is_empty() {
        return Err(bad("the GeoPackage has no feature layer".into()));
    }
    let columns = |table: &str| -> Result<Vec<String>> {
        conn.prepare(&format!("SELECT name FROM pragma_table_info({})", quote_literal(table)))
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(sql)
    };
    // The layer with an IRIS code field (IGN's file has one layer).
    let mut candidates = Vec::new();
    let mut first_error = None;
    for (table, geom, srs_id) in &layers {
        let cols = columns(table)?;
        let names: Vec<&str> = cols.iter().map(String::as_str).collect();
        match code_field(&names, &format!("layer '{table}'")) {
            Ok(_) => candidates.push((table.clone(), geom.clone(), *srs_id, cols.clone())),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    let (table, geom, srs_id, cols) = match candidates.len() {
        1 => candidates.remove(0),
        0 => return Err(bad(first_error.unwrap_or_default())),
        _ => {
            return Err(bad(format!(
                "several layers have an IRIS code field ({}): keep one",
                candidates.iter().map(|c| c.0.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
    };
    let names: Vec<&str> = cols.iter().map(String::as_str).collect();
    let code = code_field(&names, &table).map_err(bad)?;
    let name = find_field(&names, NAME_FIELDS);
    let commune = find_field(&names, COMMUNE_FIELDS);
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
    let q = |s: &str| quote_ident(s);
    let select = format!(
        "SELECT {}, {}, {}, {} FROM {}",
        q(code),
        name.map_or("NULL".into(), q),
        commune.map_or("NULL".into(), q),
        q(&geom),
        q(&table)
    );
    let text = |v: ValueRef| -> Option<String> {
        match v {
            ValueRef::Text(t) => Some(String::from_utf8_lossy(t).trim().to_string()).filter(|s| !s.is_empty()),
            ValueRef::Integer(i) => Some(i.to_string()),
            ValueRef::Real(x) => Some(x.to_string()),
            _ => None,
        }
    };
    let mut stmt = conn.prepare(&select).map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut out = Vec::new();
    let mut n = 0usize;
    while let Some(row) = rows.next().map_err(sql)? {
        n += 1;
        let code_v = text(row.get_ref(0).map_err(sql)?)
            .ok_or_else(|| bad(format!("layer '{table}', feature {n}: no IRIS code in '{code}'")))?;
        let blob = match row.get_ref(3).map_err(sql)? {
            ValueRef::Blob(b) => b,
            _ => return Err(bad(format!("IRIS {code_v}: no geometry"))),
        };
        let g =
            GpkgWkb(blob).to_geo().map_err(|e| bad(format!("IRIS {code_v}: unreadable GeoPackage geometry: {e}")))?;
        let shape = polygonal(g).map_err(|e| bad(format!("IRIS {code_v}: {e}")))?;
        out.push(Raw::new(code_v, text(row.get_ref(1).map_err(sql)?), text(row.get_ref(2).map_err(sql)?), &shape));
    }
    if out.is_empty() {
        return Err(bad(format!("layer '{table}' has no feature")));
    }
    let epsg = u32::try_from(epsg).map_err(|_| bad(format!("layer '{table}': SRS id {epsg} is not an EPSG code")))?;
    Ok((out, Srs::Epsg(epsg)))
}

fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
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

fn read_geojson(path: &Path) -> Result<(Vec<Raw>, Srs)> {
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    let text = std::fs::read_to_string(path).map_err(|e| AccessError::io(path, e))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| bad(format!("not JSON: {e}")))?;
    let features = v["features"].as_array().ok_or_else(|| bad("not a GeoJSON FeatureCollection".into()))?;
    let srs = match v["crs"]["properties"]["name"].as_str() {
        None => Srs::Epsg(4326),
        Some(name) => Srs::from_urn(name).ok_or_else(|| bad(format!("coordinate system '{name}' not understood")))?,
    };
    if features.is_empty() {
        return Err(bad("no feature".into()));
    }
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let empty = serde_json::Map::new();
        let props = f["properties"].as_object().unwrap_or(&empty);
        let keys: Vec<&str> = props.keys().map(String::as_str).collect();
        let code_key = code_field(&keys, &format!("feature {i}")).map_err(bad)?;
        let code = prop_text(&props[code_key]).ok_or_else(|| bad(format!("feature {i}: empty '{code_key}'")))?;
        let shape = geojson_polygons(&f["geometry"]).map_err(|e| bad(format!("IRIS {code}: {e}")))?;
        let get = |wanted: &[&str]| find_field(&keys, wanted).and_then(|k| prop_text(&props[k]));
        out.push(Raw::new(code, get(NAME_FIELDS), get(COMMUNE_FIELDS), &shape));
    }
    Ok((out, srs))
}

/// A shapefile (ESRI Shapefile Technical Description, 1998): polygons of the `.shp`,
/// attributes of the `.dbf` (UTF-8 when the `.cpg` says so or the bytes are valid
/// UTF-8, else Windows-1252/Latin-1), coordinate system from the `.prj` (none:
/// longitude/latitude).
fn read_shapefile(path: &Path) -> Result<(Vec<Raw>, Srs)> {
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    let shp = std::fs::read(path).map_err(|e| AccessError::io(path, e))?;
    let dbf_path = path.with_extension("dbf");
    if !dbf_path.is_file() {
        return Err(bad(format!("no attribute file {} next to it", dbf_path.display())));
    }
    let dbf = std::fs::read(&dbf_path).map_err(|e| AccessError::io(&dbf_path, e))?;
    let utf8 = std::fs::read_to_string(path.with_extension("cpg"))
        .map(|c| c.trim().to_ascii_uppercase().replace('-', "").contains("UTF8"))
        .unwrap_or(false);
    let srs = match std::fs::read_to_string(path.with_extension("prj")) {
        Ok(wkt) => {
            Srs::from_esri_wkt(&wkt).ok_or_else(|| bad(format!("coordinate system of the .prj not handled: {wkt}")))?
        }
        Err(_) => Srs::Epsg(4326),
    };
    let shapes = shp_polygons(&shp).map_err(|e| bad(format!("not a readable shapefile: {e}")))?;
    let (fields, records) = dbf_records(&dbf, utf8).map_err(|e| bad(format!("{}: {e}", dbf_path.display())))?;
    if shapes.len() != records.len() {
        return Err(bad(format!("{} shapes but {} attribute rows in the .dbf", shapes.len(), records.len())));
    }
    let names: Vec<&str> = fields.iter().map(String::as_str).collect();
    let code = code_field(&names, "the .dbf").map_err(bad)?;
    let col = |f: Option<&str>| f.and_then(|f| names.iter().position(|n| *n == f));
    let (ic, iname, icom) =
        (col(Some(code)), col(find_field(&names, NAME_FIELDS)), col(find_field(&names, COMMUNE_FIELDS)));
    let mut out = Vec::with_capacity(shapes.len());
    for (n, (shape, rec)) in shapes.into_iter().zip(records).enumerate() {
        let get = |i: Option<usize>| i.and_then(|i| rec[i].clone());
        let code_v = get(ic).ok_or_else(|| bad(format!("record {}: no IRIS code in '{code}'", n + 1)))?;
        let shape = shape.map_err(|e| bad(format!("IRIS {code_v}: {e}")))?;
        out.push(Raw::new(code_v, get(iname), get(icom), &shape));
    }
    if out.is_empty() {
        return Err(bad("no feature".into()));
    }
    Ok((out, srs))
}

/// A record's polygons, or why it has none.
type Shape = std::result::Result<MultiPolygon, String>;

/// The polygons of a `.shp`, one per record (an error for a record that is not one).
fn shp_polygons(b: &[u8]) -> std::result::Result<Vec<Shape>, String> {
    let be = |at: usize| b.get(at..at + 4).map(|s| i32::from_be_bytes(s.try_into().expect("4 bytes")));
    let le = |at: usize| b.get(at..at + 4).map(|s| i32::from_le_bytes(s.try_into().expect("4 bytes")));
    let f64le = |at: usize| b.get(at..at + 8).map(|s| f64::from_le_bytes(s.try_into().expect("8 bytes")));
    if be(0) != Some(9994) {
        return Err("no shapefile header (file code 9994)".into());
    }
    let mut out = Vec::new();
    let mut at = 100;
    while at + 8 <= b.len() {
        let len = be(at + 4).ok_or("truncated record header")? as usize * 2;
        let (start, end) = (at + 8, at + 8 + len);
        if end > b.len() {
            return Err(format!("record at byte {at} runs past the end of the file"));
        }
        at = end;
        let kind = le(start).ok_or("truncated record")?;
        if !matches!(kind, 5 | 15 | 25) {
            out.push(Err(match kind {
                0 => "no geometry (null shape)".to_string(),
                _ => format!("shape type {kind}, not a polygon"),
            }));
            continue;
        }
        let (nparts, npoints) = (le(start + 36).ok_or("truncated")?, le(start + 40).ok_or("truncated")?);
        if nparts < 1 || npoints < 4 || nparts > npoints {
            out.push(Err(format!("malformed polygon ({nparts} parts, {npoints} points)")));
            continue;
        }
        let (nparts, npoints) = (nparts as usize, npoints as usize);
        let pts0 = start + 44 + 4 * nparts;
        if pts0 + 16 * npoints > end {
            out.push(Err("polygon points run past the record".into()));
            continue;
        }
        let mut starts: Vec<usize> = (0..nparts).map(|i| le(start + 44 + 4 * i).unwrap_or(0).max(0) as usize).collect();
        starts.push(npoints);
        let mut rings = Vec::with_capacity(nparts);
        for w in starts.windows(2) {
            let (a, z) = (w[0], w[1].min(npoints));
            let ring: Vec<Coord> =
                (a..z).filter_map(|i| Some(Coord { x: f64le(pts0 + 16 * i)?, y: f64le(pts0 + 16 * i + 8)? })).collect();
            if ring.len() >= 4 {
                rings.push(LineString::new(ring));
            }
        }
        out.push(rings_to_polygons(rings));
    }
    Ok(out)
}

/// Shapefile rings: outer rings clockwise, holes counter-clockwise; each hole goes
/// to the outer ring that contains it.
fn rings_to_polygons(rings: Vec<LineString>) -> std::result::Result<MultiPolygon, String> {
    use geo::{Contains, Winding};
    let (outer, holes): (Vec<LineString>, Vec<LineString>) = rings.into_iter().partition(|r| r.is_cw());
    if outer.is_empty() {
        return Err("no outer ring".into());
    }
    let mut polys: Vec<(Polygon, Vec<LineString>)> =
        outer.into_iter().map(|r| (Polygon::new(r, vec![]), Vec::new())).collect();
    for h in holes {
        let Some(first) = h.0.first().copied() else { continue };
        match polys.iter_mut().find(|(p, _)| p.contains(&first)) {
            Some((_, hs)) => hs.push(h),
            None => polys.push((Polygon::new(h, vec![]), Vec::new())),
        }
    }
    Ok(MultiPolygon(polys.into_iter().map(|(p, hs)| Polygon::new(p.exterior().clone(), hs)).collect()))
}

/// Field names and records of a `.dbf`: the text of each field, `None` when blank.
type DbfTable = (Vec<String>, Vec<Vec<Option<String>>>);

/// Reads a `.dbf` (dBase III).
fn dbf_records(b: &[u8], utf8: bool) -> std::result::Result<DbfTable, String> {
    if b.len() < 32 {
        return Err("not a dBase file (too short)".into());
    }
    let n = u32::from_le_bytes(b[4..8].try_into().expect("4 bytes")) as usize;
    let header = u16::from_le_bytes(b[8..10].try_into().expect("2 bytes")) as usize;
    let reclen = u16::from_le_bytes(b[10..12].try_into().expect("2 bytes")) as usize;
    let mut fields = Vec::new();
    let mut at = 32;
    while at + 32 <= header && b.get(at) != Some(&0x0D) {
        let name = &b[at..at + 11];
        let name = String::from_utf8_lossy(&name[..name.iter().position(|&c| c == 0).unwrap_or(11)]).trim().to_string();
        fields.push((name, b[at + 16] as usize));
        at += 32;
    }
    if fields.is_empty() || fields.iter().map(|f| f.1).sum::<usize>() + 1 != reclen {
        return Err("not a dBase file (field lengths do not add up to the record length)".into());
    }
    let text = |bytes: &[u8]| -> String {
        match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) if !utf8 => bytes.iter().map(|&c| windows_1252(c)).collect(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        }
    };
    let mut records = Vec::with_capacity(n);
    for r in 0..n {
        let start = header + r * reclen;
        let rec =
            b.get(start..start + reclen).ok_or_else(|| format!("record {} runs past the end of the file", r + 1))?;
        if rec[0] == b'*' {
            continue;
        }
        let mut pos = 1;
        let mut row = Vec::with_capacity(fields.len());
        for (_, len) in &fields {
            let v = text(&rec[pos..pos + len]).trim().to_string();
            row.push((!v.is_empty()).then_some(v));
            pos += len;
        }
        records.push(row);
    }
    Ok((fields.into_iter().map(|f| f.0).collect(), records))
}

/// A Windows-1252 byte (ESRI's default for `.dbf` text; Latin-1 but for 0x80-0x9F,
/// where French text finds œ, Œ, ’ and «…»'s cousins).
fn windows_1252(c: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match c {
        0x80..=0x9F => HIGH[usize::from(c - 0x80)],
        _ => char::from(c),
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

/// A coordinate system, by its EPSG code.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Srs {
    Epsg(u32),
}

impl Srs {
    /// `EPSG:2154`, `urn:ogc:def:crs:EPSG::2154`, `urn:ogc:def:crs:OGC:1.3:CRS84`.
    fn from_urn(name: &str) -> Option<Srs> {
        let up = name.to_ascii_uppercase();
        if up.ends_with("CRS84") {
            return Some(Srs::Epsg(4326));
        }
        if !up.contains("EPSG") {
            return None;
        }
        up.rsplit(':').next()?.trim().parse().ok().map(Srs::Epsg)
    }

    /// The system of a shapefile's `.prj` (ESRI WKT), among those IGN uses.
    fn from_esri_wkt(wkt: &str) -> Option<Srs> {
        let w = wkt.to_ascii_uppercase().replace([' ', '-'], "_");
        if !w.starts_with("PROJCS") {
            return w.starts_with("GEOGCS").then_some(Srs::Epsg(4326));
        }
        if w.contains("LAMBERT_93") || (w.contains("LAMBERT_CONFORMAL_CONIC") && w.contains("RGF")) {
            return Some(Srs::Epsg(2154));
        }
        [("UTM_ZONE_20N", 5490), ("UTM_ZONE_22N", 2972), ("UTM_ZONE_40S", 2975), ("UTM_ZONE_38S", 4471)]
            .iter()
            .find(|(z, _)| w.contains(z))
            .map(|&(_, code)| Srs::Epsg(code))
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
    pub srs: String,
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
    use geo::{Centroid, Contains, Winding};

    /// A crescent (a C open to the east) around (cx, cy), `r` its outer radius.
    fn crescent(cx: f64, cy: f64, r: f64) -> Vec<(f64, f64)> {
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

    fn square(cx: f64, cy: f64, h: f64) -> Vec<(f64, f64)> {
        vec![(cx - h, cy - h), (cx + h, cy - h), (cx + h, cy + h), (cx - h, cy + h), (cx - h, cy - h)]
    }

    fn poly(ring: &[(f64, f64)]) -> Polygon {
        Polygon::new(LineString::from(ring.to_vec()), vec![])
    }

    fn geojson_ring(ring: &[(f64, f64)]) -> Value {
        Value::Array(ring.iter().map(|(x, y)| serde_json::json!([x, y])).collect())
    }

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
        let broken = serde_json::json!({"type": "Polygon", "coordinates": [[[3.0, 50.0], [3.1, "x"], [3.1, 50.1], [3.0, 50.0]]]});
        std::fs::write(&p, feature(serde_json::json!({"CODE_IRIS": "593500101"}), broken)).unwrap();
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("malformed position"), "{e}");
        let shp = d.path().join("CONTOURS-IRIS.shp");
        std::fs::write(&shp, b"").unwrap();
        std::fs::write(d.path().join("CONTOURS-IRIS.dbf"), b"").unwrap();
        let e = read_contours(&shp).unwrap_err().to_string();
        assert!(e.contains("CONTOURS-IRIS.shp") && e.contains("not a readable shapefile"), "{e}");
    }

    /// A GeoPackage as GDAL writes one: the GeoPackage tables, one layer, geometries
    /// as `GP` header + envelope + WKB.
    fn write_gpkg(path: &Path, srs_id: i64, rows: &[(&str, &str, &str, Polygon)]) {
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
        c.execute("INSERT INTO gpkg_contents VALUES ('contours_iris', 'features', 'contours_iris', ?1)", [srs_id])
            .unwrap();
        c.execute(
            "INSERT INTO gpkg_geometry_columns VALUES ('contours_iris', 'geom', 'MULTIPOLYGON', ?1, 0, 0)",
            [srs_id],
        )
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
        std::fs::write(&p, "not a database").unwrap();
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("not a readable GeoPackage"), "{e}");
    }

    /// The rings of a shapefile record (`None`: a null shape).
    type Rings = Option<Vec<Vec<(f64, f64)>>>;

    /// A shapefile as ESRI specifies it: `.shp` (big-endian file header and record
    /// headers, little-endian contents; outer rings clockwise, holes counter-clockwise)
    /// and a dBase III `.dbf` in Windows-1252, with the `.prj` GDAL writes for
    /// Lambert-93. `None`: a null shape.
    fn write_shapefile(path: &Path, rows: &[(&[u8], &[u8], Rings)]) {
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

    #[test]
    fn shapefile_in_lambert93_with_a_hole_and_windows_1252_names() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("CONTOURS-IRIS.shp");
        let cw = |mut r: Vec<(f64, f64)>| {
            if !LineString::from(r.clone()).is_cw() {
                r.reverse();
            }
            r
        };
        let ccw = |r: Vec<(f64, f64)>| {
            let mut r = cw(r);
            r.reverse();
            r
        };
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
        // A null shape, a missing .dbf: errors naming the file.
        write_shapefile(&p, &[(b"593500104", b"A", None)]);
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("CONTOURS-IRIS.shp") && e.contains("IRIS 593500104") && e.contains("null shape"), "{e}");
        std::fs::remove_file(p.with_extension("dbf")).unwrap();
        let e = read_contours(&p).unwrap_err().to_string();
        assert!(e.contains("CONTOURS-IRIS.dbf"), "{e}");
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
