//! ESRI shapefile (ESRI Shapefile Technical Description, 1998): polygons of the
//! `.shp`, attributes of the `.dbf` (UTF-8 when the `.cpg` says so or the bytes are
//! valid UTF-8, else Windows-1252/Latin-1), coordinate system from the `.prj` (none:
//! longitude/latitude).

use std::path::Path;

use geo::{Coord, LineString, MultiPolygon, Polygon};

use super::{Each, Feature, Format, Layer, Shape, bad};
use crate::error::{AccessError, Result};

/// Reads the shapefile at `path` (the `.shp`; its `.dbf` must be beside it), each
/// feature to `each`.
pub fn read(path: &Path, each: Each) -> Result<Layer> {
    let bad = |m: String| bad(path, m);
    let shp = std::fs::read(path).map_err(|e| AccessError::io(path, e))?;
    let dbf_path = path.with_extension("dbf");
    if !dbf_path.is_file() {
        return Err(bad(format!("no attribute file {} next to it", dbf_path.display())));
    }
    let dbf = std::fs::read(&dbf_path).map_err(|e| AccessError::io(&dbf_path, e))?;
    let utf8 = std::fs::read_to_string(path.with_extension("cpg"))
        .map(|c| c.trim().to_ascii_uppercase().replace('-', "").contains("UTF8"))
        .unwrap_or(false);
    let epsg = match std::fs::read_to_string(path.with_extension("prj")) {
        Ok(wkt) => {
            epsg_of_esri_wkt(&wkt).ok_or_else(|| bad(format!("coordinate system of the .prj not handled: {wkt}")))?
        }
        Err(_) => 4326,
    };
    let shapes = shp_polygons(&shp).map_err(|e| bad(format!("not a readable shapefile: {e}")))?;
    let (fields, records) = dbf_records(&dbf, utf8).map_err(|e| bad(format!("{}: {e}", dbf_path.display())))?;
    if shapes.len() != records.len() {
        return Err(bad(format!("{} shapes but {} attribute rows in the .dbf", shapes.len(), records.len())));
    }
    if shapes.is_empty() {
        return Err(bad("no feature".into()));
    }
    let layer = Layer { format: Format::Shapefile, name: None, epsg };
    for (i, (shape, rec)) in shapes.into_iter().zip(records).enumerate() {
        each(&layer, i, Feature { attributes: fields.iter().cloned().zip(rec).collect(), shape })?;
    }
    Ok(layer)
}

/// The EPSG code of a shapefile's `.prj` (ESRI WKT), among the systems IGN uses.
fn epsg_of_esri_wkt(wkt: &str) -> Option<u32> {
    let w = wkt.to_ascii_uppercase().replace([' ', '-'], "_");
    if !w.starts_with("PROJCS") {
        return w.starts_with("GEOGCS").then_some(4326);
    }
    if w.contains("LAMBERT_93") || (w.contains("LAMBERT_CONFORMAL_CONIC") && w.contains("RGF")) {
        return Some(2154);
    }
    [("UTM_ZONE_20N", 5490), ("UTM_ZONE_22N", 2972), ("UTM_ZONE_40S", 2975), ("UTM_ZONE_38S", 4471)]
        .iter()
        .find(|(z, _)| w.contains(z))
        .map(|&(_, code)| code)
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::testfiles::{ccw, collect, cw, square, write_shapefile};

    fn read_all(path: &Path) -> Result<(Layer, Vec<Feature>)> {
        collect(|each| read(path, each))
    }

    #[test]
    fn holes_go_to_their_outer_ring_and_names_are_windows_1252() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("CONTOURS-IRIS.shp");
        let outer = square(650_000.0, 6_860_000.0, 1_000.0);
        let hole = square(650_000.0, 6_860_000.0, 400.0);
        let far = square(660_000.0, 6_860_000.0, 100.0);
        write_shapefile(
            &p,
            &[
                (b"593500104", b"C\x9Cur \x93\xAB\xBB\x94", Some(vec![cw(square(700_000.0, 6_600_000.0, 500.0))])),
                // Two outer rings, the hole listed after both: it goes to the first.
                (b"751010101", b"Trou\xE9", Some(vec![cw(outer.clone()), cw(far.clone()), ccw(hole.clone())])),
            ],
        );
        let (l, fs) = read_all(&p).unwrap();
        assert_eq!((l.format, l.epsg), (Format::Shapefile, 2154));
        assert_eq!(fs[0].get("NOM_IRIS"), Some("Cœur “«»”"));
        assert_eq!(fs[0].get("CODE_IRIS"), Some("593500104"));
        let t = &fs[1];
        assert_eq!(t.get("NOM_IRIS"), Some("Troué"));
        let m = t.shape.as_ref().unwrap();
        assert_eq!(m.0.len(), 2);
        assert_eq!(m.0[0].exterior(), &LineString::from(cw(outer)));
        assert_eq!(m.0[0].interiors(), &[LineString::from(ccw(hole))]);
        assert!(m.0[1].interiors().is_empty());
        assert_eq!(l.feature_label(1), "record 2");
        assert_eq!(l.fields_label(1), "the .dbf");
    }

    #[test]
    fn null_shapes_missing_dbf_and_garbage_are_reported() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("CONTOURS-IRIS.shp");
        write_shapefile(&p, &[(b"593500104", b"A", None)]);
        let e = read_all(&p).unwrap().1[0].shape.clone().unwrap_err();
        assert!(e.contains("null shape"), "{e}");
        std::fs::remove_file(p.with_extension("dbf")).unwrap();
        let e = read_all(&p).unwrap_err().to_string();
        assert!(e.contains("CONTOURS-IRIS.shp") && e.contains("CONTOURS-IRIS.dbf"), "{e}");
        std::fs::write(&p, b"").unwrap();
        std::fs::write(d.path().join("CONTOURS-IRIS.dbf"), b"").unwrap();
        let e = read_all(&p).unwrap_err().to_string();
        assert!(e.contains("CONTOURS-IRIS.shp") && e.contains("not a readable shapefile"), "{e}");
    }

    #[test]
    fn prj_systems_of_ign() {
        assert_eq!(epsg_of_esri_wkt(r#"GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993"]]"#), Some(4326));
        assert_eq!(epsg_of_esri_wkt(r#"PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993"]]"#), Some(2154));
        assert_eq!(epsg_of_esri_wkt(r#"PROJCS["RGAF09_UTM_Zone_20N",GEOGCS["GCS_RGAF09"]]"#), Some(5490));
        assert_eq!(epsg_of_esri_wkt(r#"PROJCS["RGR92_UTM_Zone_40S",GEOGCS["GCS_RGR92"]]"#), Some(2975));
        assert_eq!(epsg_of_esri_wkt(r#"PROJCS["NTF_Lambert_II_etendu",GEOGCS["GCS_NTF"]]"#), None);
    }
}
