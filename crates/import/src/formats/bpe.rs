//! BPE coordinates to WGS84. The equipment base gives Lambert-93 (EPSG:2154) in
//! mainland France and Corsica and UTM in the overseas départements; recent
//! vintages add `longitude`/`latitude` and the `epsg` of the given x/y. echelle keeps
//! the published columns and adds `LON_WGS84`, `LAT_WGS84` computed with proj4rs
//! (or copied from the file's own longitude/latitude when present).

use std::collections::HashMap;

use proj4rs::proj::Proj;

use crate::pipeline::Derive;
use crate::plan::{Plan, is_missing_mark};
use crate::source::Row;

pub const LON: &str = "LON_WGS84";
pub const LAT: &str = "LAT_WGS84";

/// The projected systems of the BPE, as proj strings (no EPSG database needed).
fn proj_string(epsg: u32) -> Option<&'static str> {
    Some(match epsg {
        2154 => {
            "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs"
        }
        5490 => "+proj=utm +zone=20 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        2972 => "+proj=utm +zone=22 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        2975 => "+proj=utm +zone=40 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        4471 => "+proj=utm +zone=38 +south +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs",
        _ => return None,
    })
}

/// The system of x/y for a commune when the file does not say: Lambert-93 in
/// mainland France, the UTM zone of each overseas département.
pub fn epsg_for_commune(code: &str) -> u32 {
    match code.get(..3) {
        Some("971" | "972" | "977" | "978") => 5490,
        Some("973") => 2972,
        Some("974") => 2975,
        Some("976") => 4471,
        _ => 2154,
    }
}

/// Projects x/y of `epsg` to WGS84 longitude and latitude in degrees.
pub struct ToWgs84 {
    wgs84: Proj,
    from: HashMap<u32, Proj>,
}

impl ToWgs84 {
    pub fn new() -> Self {
        ToWgs84 {
            wgs84: Proj::from_proj_string("+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs").expect("valid WGS84"),
            from: HashMap::new(),
        }
    }

    pub fn convert(&mut self, epsg: u32, x: f64, y: f64) -> Result<(f64, f64), String> {
        let from = projection(&mut self.from, epsg)?;
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(from, &self.wgs84, &mut p)
            .map_err(|e| format!("cannot project ({x}, {y}): {e}"))?;
        Ok((p.0.to_degrees(), p.1.to_degrees()))
    }

    /// The other way: WGS84 degrees to x/y of `epsg` (for synthetic files).
    pub fn from_wgs84(&mut self, epsg: u32, lon: f64, lat: f64) -> Result<(f64, f64), String> {
        let from = projection(&mut self.from, epsg)?;
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.wgs84, from, &mut p)
            .map_err(|e| format!("cannot project ({lon}, {lat}): {e}"))?;
        Ok((p.0, p.1))
    }
}

impl Default for ToWgs84 {
    fn default() -> Self {
        Self::new()
    }
}

/// The projection of `epsg`, built once.
fn projection(cache: &mut HashMap<u32, Proj>, epsg: u32) -> Result<&Proj, String> {
    match cache.entry(epsg) {
        std::collections::hash_map::Entry::Occupied(o) => Ok(o.into_mut()),
        std::collections::hash_map::Entry::Vacant(v) => {
            let s =
                proj_string(epsg).ok_or_else(|| format!("coordinate system EPSG:{epsg} is not one of the BPE's"))?;
            Ok(v.insert(Proj::from_proj_string(s).map_err(|e| e.to_string())?))
        }
    }
}

/// The [`Derive`] of the BPE.
pub struct BpeCoordinates {
    proj: ToWgs84,
    depcom: usize,
    xy: Option<(usize, usize)>,
    lonlat: Option<(usize, usize)>,
    epsg: Option<usize>,
}

impl BpeCoordinates {
    /// Adds the WGS84 columns to `plan`.
    pub fn new(plan: &mut Plan) -> Self {
        let idx = |n: &str| plan.column(n).map(|c| c.index);
        let d = BpeCoordinates {
            proj: ToWgs84::new(),
            depcom: idx("DEPCOM").expect("mandatory column"),
            xy: idx("LAMBERT_X").zip(idx("LAMBERT_Y")),
            lonlat: idx("LONGITUDE").zip(idx("LATITUDE")),
            epsg: idx("EPSG"),
        };
        plan.derived = vec![LON.into(), LAT.into()];
        d
    }
}

impl Derive for BpeCoordinates {
    fn derive(&mut self, row: &Row, out: &mut Vec<Option<f64>>) -> Result<(), (usize, String)> {
        let num = |i: usize| -> Option<f64> {
            let v = row.get(i).trim();
            if is_missing_mark(v) { None } else { crate::decimal::parse_f64(v).ok() }
        };
        if let Some((lo, la)) = self.lonlat
            && let (Some(lon), Some(lat)) = (num(lo), num(la))
        {
            if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                return Err((lo, format!("longitude/latitude ({lon}, {lat}) out of range")));
            }
            out.extend([Some(lon), Some(lat)]);
            return Ok(());
        }
        let Some((xi, yi)) = self.xy else {
            out.extend([None, None]);
            return Ok(());
        };
        let (Some(x), Some(y)) = (num(xi), num(yi)) else {
            // Not geolocated (QUALITE_XY says so): no coordinates, not an error.
            out.extend([None, None]);
            return Ok(());
        };
        let epsg = match self.epsg.map(|i| row.get(i).trim()).filter(|s| !s.is_empty()) {
            Some(s) => s.parse::<u32>().map_err(|_| (self.epsg.unwrap_or(0), format!("'{s}' is not an EPSG code")))?,
            None => epsg_for_commune(row.get(self.depcom).trim()),
        };
        let (lon, lat) = self.proj.convert(epsg, x, y).map_err(|m| (xi, m))?;
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) || lon.is_nan() || lat.is_nan() {
            return Err((xi, format!("({x}, {y}) in EPSG:{epsg} falls outside the Earth: wrong coordinate system?")));
        }
        out.extend([Some(lon), Some(lat)]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_origin_and_known_points() {
        let mut p = ToWgs84::new();
        // The projection's origin: 3°E, 46.5°N.
        let (lon, lat) = p.convert(2154, 700_000.0, 6_600_000.0).unwrap();
        assert!((lon - 3.0).abs() < 1e-9 && (lat - 46.5).abs() < 1e-9, "{lon} {lat}");
        // Lille's Grand-Place, about 3.0630°E 50.6372°N, is near (704 000, 7 059 000).
        let (lon, lat) = p.convert(2154, 704_088.0, 7_059_178.0).unwrap();
        assert!((lon - 3.063).abs() < 0.01 && (lat - 50.637).abs() < 0.01, "{lon} {lat}");
        // Pointe-à-Pitre in UTM 20N: about 61.53°W 16.24°N.
        let (lon, lat) = p.convert(5490, 657_000.0, 1_796_000.0).unwrap();
        assert!((lon + 61.53).abs() < 0.05 && (lat - 16.24).abs() < 0.05, "{lon} {lat}");
        assert!(p.convert(9999, 0.0, 0.0).is_err());
        let (x, y) = p.from_wgs84(2154, 3.063, 50.637).unwrap();
        let (lon, lat) = p.convert(2154, x, y).unwrap();
        assert!((lon - 3.063).abs() < 1e-7 && (lat - 50.637).abs() < 1e-7);
        assert_eq!(epsg_for_commune("97411"), 2975);
        assert_eq!(epsg_for_commune("2A004"), 2154);
    }
}
