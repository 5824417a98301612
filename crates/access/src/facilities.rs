//! Facilities as runs take them: a point file read into one list per type, and the
//! named facility sets a server offers (`serve --facilities NAME=PATH`), each stated
//! with its file, vintage and count in every answer.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::access::by_type;
use crate::error::{AccessError, Result};
use crate::points::{Fields, Point, Rejected, read_points};

/// Facilities by type.
pub type ByType = BTreeMap<String, Vec<Point>>;

/// Reads a facility file (GeoJSON, or CSV with longitude/latitude columns), the type
/// from `type_field` (default: one type, the file's name); rows without coordinates
/// are handed back. A file without any facility is an error.
pub fn read_by_type(path: &Path, type_field: Option<&str>) -> Result<(ByType, Vec<Rejected>)> {
    let (points, rejected) = read_points(path, &Fields { kind: type_field.map(str::to_string), ..Default::default() })?;
    if points.is_empty() {
        return Err(AccessError::Invalid(format!("{}: no facility with coordinates", path.display())));
    }
    Ok((by_type(points), rejected))
}

/// Whether `name` can name a facility set: letters, digits, '-' and '_', at most 64.
pub fn check_set_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(AccessError::Invalid(format!(
            "facility set name '{}': use letters, digits, '-' and '_'",
            crate::defaults::cut(name)
        )));
    }
    Ok(())
}

/// The points of a facility set, every one of type `name` (the nearest facility of
/// the set, whatever its own type).
pub fn read_set(name: &str, path: &Path) -> Result<Vec<Point>> {
    let (mut points, _rejected) = read_points(path, &Fields::default())?;
    if points.is_empty() {
        return Err(AccessError::Invalid(format!(
            "facility set '{name}': no facility with coordinates in {}",
            path.display()
        )));
    }
    for p in &mut points {
        p.kind = name.to_string();
    }
    Ok(points)
}

/// A facility set as every answer states it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FacilitySet {
    /// The set's name (the file's stem, or the name given).
    pub name: String,
    /// The file's name (without its folder).
    pub file: Option<String>,
    /// The year the file's name states, if it does.
    pub vintage: Option<String>,
    /// Facilities with coordinates.
    pub count: usize,
}

impl FacilitySet {
    /// The set read from `path`, with `count` facilities; the vintage is read from the file's name.
    pub fn new(name: &str, path: &Path, count: usize) -> Self {
        FacilitySet {
            name: name.to_string(),
            file: path.file_name().map(|f| f.to_string_lossy().to_string()),
            vintage: vintage(path),
            count,
        }
    }
}

/// The vintage of a facility file, as its name states it (a four-digit year), if it does.
pub fn vintage(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_str()?;
    stem.split(|c: char| !c.is_ascii_digit())
        .find(|p| p.len() == 4 && (p.starts_with("19") || p.starts_with("20")))
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_names_vintages_and_types() {
        assert!(check_set_name("france-services_2").is_ok());
        for bad in ["", "a b", "../x", &"x".repeat(65)] {
            assert!(check_set_name(bad).is_err(), "{bad}");
        }
        assert_eq!(vintage(Path::new("/d/france-services-2021.geojson")).as_deref(), Some("2021"));
        assert_eq!(vintage(Path::new("bpe.csv")), None);
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("docs-2024.csv");
        std::fs::write(&f, "id,kind,lon,lat\na,x,3.0,50.0\nb,y,3.1,50.1\nc,y,,\n").unwrap();
        let (m, rejected) = read_by_type(&f, Some("kind")).unwrap();
        assert_eq!(m.keys().collect::<Vec<_>>(), ["x", "y"]);
        assert_eq!(rejected.len(), 1);
        let set = read_set("maisons", &f).unwrap();
        assert!(set.iter().all(|p| p.kind == "maisons") && set.len() == 2);
        assert_eq!(
            FacilitySet::new("maisons", &f, 2),
            FacilitySet {
                name: "maisons".into(),
                file: Some("docs-2024.csv".into()),
                vintage: Some("2024".into()),
                count: 2
            }
        );
        std::fs::write(&f, "id,lon,lat\na,,\n").unwrap();
        assert!(read_by_type(&f, None).unwrap_err().to_string().contains("no facility with coordinates"));
    }
}
