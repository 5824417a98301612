//! BPE coordinates to WGS84. The equipment base gives Lambert-93 (EPSG:2154) in
//! mainland France and Corsica and UTM in the overseas départements; recent
//! vintages add `longitude`/`latitude` and the `epsg` of the given x/y. echelle keeps
//! the published columns and adds `LON_WGS84`, `LAT_WGS84` computed with proj4rs
//! (or copied from the file's own longitude/latitude when present).

use crate::pipeline::Derive;
use crate::plan::{Plan, is_missing_mark};
use crate::source::Row;

pub const LON: &str = "LON_WGS84";
pub const LAT: &str = "LAT_WGS84";

pub use echelle_referential::crs::{ToWgs84, epsg_for_commune};

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

    fn fork(&self) -> Box<dyn Derive> {
        Box::new(BpeCoordinates {
            proj: ToWgs84::new(),
            depcom: self.depcom,
            xy: self.xy,
            lonlat: self.lonlat,
            epsg: self.epsg,
        })
    }
}
