//! Distances on the Earth and a Hilbert order of points.
//!
//! Road lengths are great-circle (haversine) distances between consecutive OSM nodes:
//! at the scale of a street segment the error against the ellipsoid is far below the
//! precision of the node positions. The Hilbert order puts nodes that are close on the
//! ground close in memory, which is what makes a graph search cache-friendly.

pub use echelle_referential::geodesy::{EARTH_RADIUS_M, haversine_m};

/// A local equirectangular projection to metres around a reference latitude: good
/// enough to find nearest candidates in a spatial index, whose true distance is then
/// measured with [`haversine_m`].
#[derive(Debug, Clone, Copy)]
pub struct LocalProjection {
    cos_lat0: f64,
}

impl LocalProjection {
    pub fn new(lat0: f64) -> Self {
        LocalProjection { cos_lat0: lat0.to_radians().cos() }
    }

    pub fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        [EARTH_RADIUS_M * lon.to_radians() * self.cos_lat0, EARTH_RADIUS_M * lat.to_radians()]
    }
}

/// Whether a longitude, latitude pair is a position on the Earth.
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    lon.is_finite() && lat.is_finite() && (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat)
}

/// Index of the cell (x, y) on a Hilbert curve over a 2^16 × 2^16 grid.
pub fn hilbert_index(x: u32, y: u32) -> u64 {
    let n: u64 = 1 << 16;
    let (mut x, mut y) = (u64::from(x).min(n - 1), u64::from(y).min(n - 1));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// Hilbert keys of points, quantised on their bounding box.
pub fn hilbert_keys(lon: &[f64], lat: &[f64]) -> Vec<u64> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (&x, &y) in lon.iter().zip(lat) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let sx = if x1 > x0 { 65535.0 / (x1 - x0) } else { 0.0 };
    let sy = if y1 > y0 { 65535.0 / (y1 - y0) } else { 0.0 };
    lon.iter().zip(lat).map(|(&x, &y)| hilbert_index(((x - x0) * sx) as u32, ((y - y0) * sy) as u32)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = haversine_m(2.0, 48.0, 2.0, 49.0);
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert_eq!(haversine_m(3.0, 50.0, 3.0, 50.0), 0.0);
    }

    #[test]
    fn hilbert_visits_each_cell_once_and_moves_to_neighbours() {
        // On a 2^16 grid, restricted to the first 4×4 block, the curve is a bijection
        // onto 0..16 with each step to an adjacent cell.
        let mut cells = vec![(0u32, 0u32); 16];
        for x in 0..4 {
            for y in 0..4 {
                let d = hilbert_index(x, y);
                assert!(d < 16, "({x},{y}) -> {d}");
                cells[d as usize] = (x, y);
            }
        }
        for w in cells.windows(2) {
            let dist = w[0].0.abs_diff(w[1].0) + w[0].1.abs_diff(w[1].1);
            assert_eq!(dist, 1, "{cells:?}");
        }
    }
}
