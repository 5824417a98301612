//! The coordinate systems French files come in, and their conversion to WGS84
//! longitude and latitude (proj4rs, pure Rust; the EPSG definitions are written out
//! here, so no EPSG database is needed).
//!
//! INSEE and IGN publish mainland France and Corsica in Lambert-93 (EPSG:2154) and
//! each overseas département in its UTM zone (RGAF09 / RGFG95 / RGR92 / RGM04);
//! geographic coordinates (WGS84, RGF93, ETRS89) are taken as they are, their
//! differences being far below what a commune-scale study sees.

use std::collections::HashMap;

use proj4rs::proj::Proj;

/// The projected systems handled, as proj strings.
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

/// WGS84, RGF93 and ETRS89 longitude/latitude.
pub fn is_geographic(epsg: u32) -> bool {
    matches!(epsg, 4326 | 4171 | 4258)
}

/// Whether [`ToWgs84`] converts from `epsg`.
pub fn is_handled(epsg: u32) -> bool {
    is_geographic(epsg) || proj_string(epsg).is_some()
}

/// The system of x/y for a commune when a file does not say: Lambert-93 in mainland
/// France, the UTM zone of each overseas département.
pub fn epsg_for_commune(code: &str) -> u32 {
    match code.get(..3) {
        Some("971" | "972" | "977" | "978") => 5490,
        Some("973") => 2972,
        Some("974") => 2975,
        Some("976") => 4471,
        _ => 2154,
    }
}

/// Converts x/y of a system to WGS84 longitude and latitude in degrees (and back),
/// building each projection once.
pub struct ToWgs84 {
    wgs84: Proj,
    from: HashMap<u32, Proj>,
}

impl Default for ToWgs84 {
    fn default() -> Self {
        Self::new()
    }
}

impl ToWgs84 {
    /// Without any projection built yet: each system is built on first use.
    pub fn new() -> Self {
        ToWgs84 {
            wgs84: Proj::from_proj_string("+proj=longlat +ellps=WGS84 +datum=WGS84 +no_defs").expect("valid WGS84"),
            from: HashMap::new(),
        }
    }

    /// `(x, y)` in `epsg` to `(longitude, latitude)`; an unknown system is an error naming it.
    pub fn convert(&mut self, epsg: u32, x: f64, y: f64) -> Result<(f64, f64), String> {
        if is_geographic(epsg) {
            return Ok((x, y));
        }
        let from = projection(&mut self.from, epsg)?;
        let mut p = (x, y, 0.0);
        proj4rs::transform::transform(from, &self.wgs84, &mut p)
            .map_err(|e| format!("cannot project ({x}, {y}): {e}"))?;
        Ok((p.0.to_degrees(), p.1.to_degrees()))
    }

    /// The other way: WGS84 degrees to x/y of `epsg` (for synthetic files).
    pub fn from_wgs84(&mut self, epsg: u32, lon: f64, lat: f64) -> Result<(f64, f64), String> {
        if is_geographic(epsg) {
            return Ok((lon, lat));
        }
        let from = projection(&mut self.from, epsg)?;
        let mut p = (lon.to_radians(), lat.to_radians(), 0.0);
        proj4rs::transform::transform(&self.wgs84, from, &mut p)
            .map_err(|e| format!("cannot project ({lon}, {lat}): {e}"))?;
        Ok((p.0, p.1))
    }
}

/// The projection of `epsg`, built once.
fn projection(cache: &mut HashMap<u32, Proj>, epsg: u32) -> Result<&Proj, String> {
    match cache.entry(epsg) {
        std::collections::hash_map::Entry::Occupied(o) => Ok(o.into_mut()),
        std::collections::hash_map::Entry::Vacant(v) => {
            let s = proj_string(epsg).ok_or_else(|| {
                format!(
                    "coordinate system EPSG:{epsg} is not handled (Lambert-93 EPSG:2154, the overseas UTM zones \
                     EPSG:5490, 2972, 2975, 4471, or longitude/latitude EPSG:4326, 4171, 4258)"
                )
            })?;
            Ok(v.insert(Proj::from_proj_string(s).map_err(|e| e.to_string())?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambert93_utm_and_geographic() {
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
        assert_eq!(p.convert(4326, 3.06, 50.63).unwrap(), (3.06, 50.63));
        assert!(p.convert(9999, 0.0, 0.0).unwrap_err().contains("EPSG:9999"));
        assert!(is_handled(2154) && is_handled(4258) && !is_handled(3857));
        let (x, y) = p.from_wgs84(2154, 3.063, 50.637).unwrap();
        let (lon, lat) = p.convert(2154, x, y).unwrap();
        assert!((lon - 3.063).abs() < 1e-7 && (lat - 50.637).abs() < 1e-7);
        assert_eq!(epsg_for_commune("97411"), 2975);
        assert_eq!(epsg_for_commune("2A004"), 2154);
    }
}
