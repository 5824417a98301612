//! Without a road network: straight-line distance times a detour factor, at an
//! average speed.
//!
//! Where no network has been built (a territory outside the extracts at hand), the
//! same questions get a coarser answer: the great-circle distance to the nearest
//! facility, lengthened by a detour factor (roads are not straight: 1.3 is a usual
//! value for French rural roads) and driven at an average speed. Every output of this
//! mode says so.

use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::error::{AccessError, Result};
use crate::geodesy::{LocalProjection, haversine_m};
use crate::points::Point;

/// The straight-line model's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StraightLine {
    /// Road distance over straight-line distance (≥ 1).
    pub detour: f64,
    /// Average speed, km/h.
    pub speed_kmh: f64,
}

impl StraightLine {
    /// The model, refusing a detour under 1 or a speed outside (0, 200] km/h.
    pub fn new(detour: f64, speed_kmh: f64) -> Result<Self> {
        if !(detour.is_finite() && detour >= 1.0) {
            return Err(AccessError::Invalid(format!("detour factor must be ≥ 1, got {detour}")));
        }
        if !(speed_kmh.is_finite() && speed_kmh > 0.0 && speed_kmh <= 200.0) {
            return Err(AccessError::Invalid(format!("average speed must be in (0, 200] km/h, got {speed_kmh}")));
        }
        Ok(StraightLine { detour, speed_kmh })
    }

    /// How outputs name this mode.
    pub fn label(&self) -> String {
        crate::method::Method::straight(self).mode()
    }

    /// Seconds for a straight-line distance in metres.
    pub fn seconds(&self, straight_m: f64) -> f64 {
        straight_m * self.detour / (self.speed_kmh / 3.6)
    }
}

/// A spatial index of facilities for straight-line searches.
pub struct Facilities<'a> {
    points: &'a [Point],
    proj: LocalProjection,
    tree: RTree<GeomWithData<[f64; 2], u32>>,
}

impl<'a> Facilities<'a> {
    /// Indexes `points`, in a metric frame around their mean latitude.
    pub fn new(points: &'a [Point]) -> Self {
        let lat0 =
            if points.is_empty() { 0.0 } else { points.iter().map(|p| p.lat).sum::<f64>() / points.len() as f64 };
        let proj = LocalProjection::new(lat0);
        let tree = RTree::bulk_load(
            points.iter().enumerate().map(|(i, p)| GeomWithData::new(proj.project(p.lon, p.lat), i as u32)).collect(),
        );
        Facilities { points, proj, tree }
    }

    /// The `k` nearest facilities of (lon, lat) by great-circle distance:
    /// `(metres, facility index)`, nearest first (ties: lower index).
    pub fn nearest(&self, lon: f64, lat: f64, k: usize) -> Vec<(f64, u32)> {
        let q = self.proj.project(lon, lat);
        // The projection distorts distances by a few per cent over a région: take
        // more candidates than asked and rank them on the sphere.
        let mut c: Vec<(f64, u32)> = self
            .tree
            .nearest_neighbor_iter(&q)
            .take(k * 2 + 8)
            .map(|p| {
                let f = &self.points[p.data as usize];
                (haversine_m(lon, lat, f.lon, f.lat), p.data)
            })
            .collect();
        c.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        c.truncate(k);
        c
    }

    /// How many facilities lie within `metres` (great-circle) of (lon, lat).
    pub fn count_within(&self, lon: f64, lat: f64, metres: f64) -> u32 {
        let q = self.proj.project(lon, lat);
        let r = metres * 1.1 + 10.0;
        self.tree
            .locate_within_distance(q, r * r)
            .filter(|p| {
                let f = &self.points[p.data as usize];
                haversine_m(lon, lat, f.lon, f.lat) <= metres
            })
            .count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pt(id: &str, lon: f64, lat: f64) -> Point {
        Point { id: id.into(), kind: "t".into(), name: None, lon, lat, weight: None }
    }

    #[test]
    fn nearest_and_counts_on_the_sphere() {
        let f = vec![pt("a", 3.0, 50.0), pt("b", 3.1, 50.0), pt("c", 3.0, 50.2)];
        let idx = Facilities::new(&f);
        let n = idx.nearest(3.04, 50.0, 2);
        assert_eq!(n.iter().map(|x| x.1).collect::<Vec<_>>(), vec![0, 1]);
        assert!((n[0].0 - haversine_m(3.04, 50.0, 3.0, 50.0)).abs() < 1e-6);
        assert_eq!(idx.count_within(3.05, 50.0, 4_000.0), 2);
        assert_eq!(idx.count_within(3.05, 50.0, 3_000.0), 0);
        let m = StraightLine::new(1.3, 40.0).unwrap();
        // 10 km straight, 13 km by road at 40 km/h: 19.5 minutes.
        assert!((m.seconds(10_000.0) - 1170.0).abs() < 1e-9);
        assert!(m.label().contains("STRAIGHT LINE"));
        assert!(StraightLine::new(0.9, 40.0).is_err());
        assert!(StraightLine::new(1.3, 0.0).is_err());
    }
}
