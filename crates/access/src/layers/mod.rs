//! Polygon layers with attributes, as the French statistical and cartographic
//! files come: GeoPackage ([`gpkg`]), ESRI shapefile ([`shapefile`]) or GeoJSON
//! ([`geojson`]). Nothing here knows what the polygons are: IGN's CONTOURS-IRIS
//! ([`crate::iris`]) or ADMIN EXPRESS communes read the same way; the caller picks
//! its fields.
//!
//! A reader hands the features of a layer one by one (every attribute as text, and
//! the feature's polygons or why it has none) to the caller, which keeps what it
//! needs of them (a national contour file does not stay in memory), and returns the
//! layer: its format, name and the EPSG code of its coordinates. Conversion to
//! longitude and latitude is `echelle_referential::crs`'s.

pub mod geojson;
pub mod gpkg;
pub mod shapefile;
#[cfg(test)]
pub(crate) mod testfiles;

use std::path::Path;

use geo::{Geometry, MultiPolygon};

use crate::error::{AccessError, Result};

/// A feature's polygons, or why it has none (a null shape, a point, an unreadable
/// geometry…), for the caller to report with what identifies the feature.
pub type Shape = std::result::Result<MultiPolygon, String>;

/// One feature: its attributes in the layer's order (blank values `None`) and its
/// polygons.
#[derive(Debug, Clone)]
pub struct Feature {
    pub attributes: Vec<(String, Option<String>)>,
    pub shape: Shape,
}

impl Feature {
    /// The field names of this feature.
    pub fn field_names(&self) -> Vec<&str> {
        self.attributes.iter().map(|(k, _)| k.as_str()).collect()
    }

    /// The value of field `name` (exact name), `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.as_deref())
    }
}

/// The file formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    GeoPackage,
    Shapefile,
    GeoJson,
}

/// A layer read: its format, its name and the coordinate system of its features.
#[derive(Debug, Clone)]
pub struct Layer {
    pub format: Format,
    /// The layer's name inside the file (the GeoPackage table), if it has one.
    pub name: Option<String>,
    /// EPSG code of the coordinates (4326: longitude/latitude).
    pub epsg: u32,
}

impl Layer {
    /// Where the fields of feature `i` (0-based) are declared, for messages: the
    /// GeoPackage layer, the shapefile's `.dbf`, or the GeoJSON feature itself.
    pub fn fields_label(&self, i: usize) -> String {
        match self.format {
            Format::GeoPackage => format!("layer '{}'", self.name.as_deref().unwrap_or_default()),
            Format::Shapefile => "the .dbf".into(),
            Format::GeoJson => format!("feature {i}"),
        }
    }

    /// Feature `i` (0-based) as the format counts it, for messages.
    pub fn feature_label(&self, i: usize) -> String {
        match self.format {
            Format::GeoPackage => format!("layer '{}', feature {}", self.name.as_deref().unwrap_or_default(), i + 1),
            Format::Shapefile => format!("record {}", i + 1),
            Format::GeoJson => format!("feature {i}"),
        }
    }
}

/// Picks, among the layers of a file that holds several (name and field names of
/// each), the index of the one to read, or says why none will do.
pub type Choose<'a> = &'a dyn Fn(&[(String, Vec<String>)]) -> std::result::Result<usize, String>;

/// Called with each feature of the layer in turn, with its index (0-based); an error
/// stops the reading and is returned.
pub type Each<'a> = &'a mut dyn FnMut(&Layer, usize, Feature) -> Result<()>;

/// Reads a polygon layer: GeoPackage (`.gpkg`, the layer `choose` picks), shapefile
/// (`.shp` with its `.dbf` and `.prj`) or GeoJSON (`.geojson`, `.json`). `what`
/// names the content in the message refusing another extension, e.g. `IRIS
/// contours`. Each feature goes to `each`.
pub fn read(path: &Path, what: &str, choose: Choose, each: Each) -> Result<Layer> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "gpkg" => gpkg::read(path, choose, each),
        "geojson" | "json" => geojson::read(path, each),
        "shp" => shapefile::read(path, each),
        _ => Err(bad(
            path,
            format!(
                "{what} must be a GeoPackage (.gpkg), a shapefile (.shp with its .dbf) or a GeoJSON (.geojson, .json)"
            ),
        )),
    }
}

/// An error about the file `path`.
pub(crate) fn bad(path: &Path, message: String) -> AccessError {
    AccessError::Points { path: path.to_path_buf(), message }
}

/// Polygons only: a contour that is a point or a line is an error.
pub fn polygonal(g: Geometry) -> Shape {
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

/// The name of a geometry's type, as in WKT.
pub fn geometry_kind(g: &Geometry) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Point, Polygon};

    #[test]
    fn only_polygons_are_polygonal() {
        let sq = Polygon::new(LineString::from(vec![(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 0.0)]), vec![]);
        let c = Geometry::GeometryCollection(geo::GeometryCollection(vec![
            Geometry::Polygon(sq.clone()),
            Geometry::MultiPolygon(MultiPolygon(vec![sq.clone(), sq])),
        ]));
        assert_eq!(polygonal(c).unwrap().0.len(), 3);
        let e = polygonal(Geometry::Point(Point::new(3.0, 50.0))).unwrap_err();
        assert_eq!(e, "geometry is a Point, not a polygon");
    }

    #[test]
    fn other_extensions_are_refused_with_the_formats_accepted() {
        let e = read(Path::new("/tmp/contours.kml"), "IRIS contours", &|_| Ok(0), &mut |_, _, _| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(e.contains("contours.kml") && e.contains("IRIS contours must be a GeoPackage (.gpkg)"), "{e}");
    }
}
