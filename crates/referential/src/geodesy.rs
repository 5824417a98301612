//! Distances on the Earth: the one great-circle formula and Earth radius every crate
//! uses (road segments, straight-line access times, commuting distances).

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle (haversine) distance in metres between two WGS84 points (degrees).
///
/// ```
/// let d = echelle_referential::geodesy::haversine_m(2.0, 48.0, 2.0, 49.0);
/// assert!((d - 111_195.0).abs() < 10.0);
/// ```
pub fn haversine_m(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// Great-circle distance in km between two (longitude, latitude) pairs.
pub fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    haversine_m(a.0, a.1, b.0, b.1) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lille_to_arras_is_about_44_km() {
        let d = distance_km((3.0630, 50.6372), (2.7775, 50.2910));
        assert!((d - 44.0).abs() < 3.0, "{d}");
        assert_eq!(distance_km((1.0, 1.0), (1.0, 1.0)), 0.0);
    }
}
