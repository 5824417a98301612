//! A siting instance: demand points with weights, candidate sites, and the distance
//! of each demand to the candidates within reach (a sparse list, nearest first), so
//! that instances of tens of thousands of points fit where a full matrix would not.

use crate::Error;

/// A point in a planar projection in metres (Lambert-93 for metropolitan France, the
/// local UTM or RGAF projection overseas).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Easting, m.
    pub x: f64,
    /// Northing, m.
    pub y: f64,
}

/// Demand, candidates and distances.
#[derive(Debug, Clone, Default)]
pub struct Instance {
    /// Weight of each demand point (commuters, residents…).
    pub demand: Vec<f64>,
    /// Number of candidate sites.
    pub candidates: usize,
    /// Per demand point, `(candidate, distance)` nearest first; candidates not listed
    /// are out of reach.
    pub reach: Vec<Vec<(u32, f64)>>,
    /// Sites already open (existing third places): open in every solution, counted in p.
    pub fixed: Vec<u32>,
    /// Candidates the user excluded: never opened.
    pub excluded: Vec<u32>,
    /// Per candidate, the demand it can serve at most (in the weights' unit); empty:
    /// unlimited. Demand may then be split between sites.
    pub capacity: Vec<f64>,
    /// The radius `reach` was cut at, with the points it was measured between: a pair
    /// beyond it is then costed at the radius in the search (a lower estimate, so the
    /// bounds stay proven; the p-median extends the pairs of the demands that need it,
    /// `far.rs`) and the solution's objective is measured exactly.
    pub truncated: Option<Truncation>,
}

/// Where a radius-truncated instance's points are, to measure any pair exactly.
#[derive(Debug, Clone, Default)]
pub struct Truncation {
    /// The radius, m.
    pub radius: f64,
    /// Demand points.
    pub demand: Vec<Point>,
    /// Candidate sites.
    pub candidates: Vec<Point>,
}

impl Truncation {
    /// Demand `i`'s distance to its nearest site among `open`.
    pub fn nearest(&self, i: usize, open: &[u32]) -> f64 {
        open.iter().map(|&j| distance(self.demand[i], self.candidates[j as usize])).fold(f64::INFINITY, f64::min)
    }
}

impl Instance {
    /// An instance from a distance function over every pair, keeping the pairs within
    /// `radius` (all of them with `None`).
    pub fn from_fn(
        demand: Vec<f64>,
        candidates: usize,
        radius: Option<f64>,
        distance: impl Fn(usize, usize) -> f64,
    ) -> Result<Instance, Error> {
        let reach = (0..demand.len())
            .map(|i| {
                let mut row: Vec<(u32, f64)> = (0..candidates)
                    .map(|j| (j as u32, distance(i, j)))
                    .filter(|&(_, d)| radius.is_none_or(|r| d <= r))
                    .collect();
                row.sort_by(|a, b| a.1.total_cmp(&b.1));
                row
            })
            .collect();
        let instance = Instance { demand, candidates, reach, ..Instance::default() };
        instance.check()?;
        Ok(instance)
    }

    /// Straight-line distances (m) between planar points, the pairs within `radius`
    /// found through a grid of `radius`-sized cells (every pair with `None`); farther
    /// pairs are measured again when a solution needs them (see [`Truncation`]).
    pub fn from_points(demand: &[(Point, f64)], candidates: &[Point], radius: Option<f64>) -> Result<Instance, Error> {
        let weights: Vec<f64> = demand.iter().map(|d| d.1).collect();
        let Some(r) = radius.filter(|r| *r > 0.0) else {
            let d = |i: usize, j: usize| distance(demand[i].0, candidates[j]);
            return Instance::from_fn(weights, candidates.len(), None, d);
        };
        let cell = |p: Point| ((p.x / r).floor() as i64, (p.y / r).floor() as i64);
        let mut grid: std::collections::HashMap<(i64, i64), Vec<u32>> = std::collections::HashMap::new();
        for (j, &c) in candidates.iter().enumerate() {
            grid.entry(cell(c)).or_default().push(j as u32);
        }
        let reach = demand
            .iter()
            .map(|&(p, _)| {
                let (cx, cy) = cell(p);
                let mut row = Vec::new();
                for gx in cx - 1..=cx + 1 {
                    for gy in cy - 1..=cy + 1 {
                        for &j in grid.get(&(gx, gy)).map_or(&[][..], Vec::as_slice) {
                            let d = distance(p, candidates[j as usize]);
                            if d <= r {
                                row.push((j, d));
                            }
                        }
                    }
                }
                row.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
                // Grown by doubling: up to half of it would be slack, on tens of millions of pairs.
                row.shrink_to_fit();
                row
            })
            .collect();
        let truncated = Some(Truncation {
            radius: r,
            demand: demand.iter().map(|d| d.0).collect(),
            candidates: candidates.to_vec(),
        });
        let instance =
            Instance { demand: weights, candidates: candidates.len(), reach, truncated, ..Instance::default() };
        instance.check()?;
        Ok(instance)
    }

    /// The same instance with sites already open and candidates excluded.
    pub fn with_sites(mut self, fixed: Vec<u32>, excluded: Vec<u32>) -> Result<Instance, Error> {
        self.fixed = fixed;
        self.excluded = excluded;
        self.check()?;
        Ok(self)
    }

    /// The same instance with a capacity per candidate.
    pub fn with_capacities(mut self, capacity: Vec<f64>) -> Result<Instance, Error> {
        self.capacity = capacity;
        self.check()?;
        Ok(self)
    }

    /// Refuses negative or missing weights, bad distances, unknown or contradictory sites.
    pub fn check(&self) -> Result<(), Error> {
        for (index, &value) in self.demand.iter().enumerate() {
            if !(value.is_finite() && value >= 0.0) {
                return Err(Error::BadDemand { index, value });
            }
        }
        for (demand, row) in self.reach.iter().enumerate() {
            for &(j, value) in row {
                if j as usize >= self.candidates {
                    return Err(Error::NotACandidate(j as usize));
                }
                if value.is_nan() || value < 0.0 {
                    return Err(Error::BadDistance { demand, candidate: j as usize, value });
                }
            }
        }
        for &j in self.fixed.iter().chain(&self.excluded) {
            if j as usize >= self.candidates {
                return Err(Error::NotACandidate(j as usize));
            }
        }
        if let Some(&j) = self.fixed.iter().find(|j| self.excluded.contains(j)) {
            return Err(Error::FixedAndExcluded(j as usize));
        }
        if !self.capacity.is_empty() && self.capacity.len() != self.candidates {
            return Err(Error::CapacitiesCount { given: self.capacity.len(), candidates: self.candidates });
        }
        if let Some((index, &value)) = self.capacity.iter().enumerate().find(|(_, c)| !(c.is_finite() && **c >= 0.0)) {
            return Err(Error::BadCapacity { index, value });
        }
        Ok(())
    }

    /// Candidates that may be opened (not excluded), fixed ones included.
    pub fn openable(&self) -> usize {
        let mut excluded = self.excluded.clone();
        excluded.sort_unstable();
        excluded.dedup();
        self.candidates - excluded.len()
    }

    /// Pairs kept (the size of the problem the solvers work on).
    pub fn pairs(&self) -> usize {
        self.reach.iter().map(Vec::len).sum()
    }
}

/// Straight-line distance between planar points, m.
pub fn distance(a: Point, b: Point) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// `n` points spread over a 1,000 m square without pattern, for tests.
#[cfg(test)]
pub(crate) fn scattered(n: usize) -> Vec<Point> {
    (0..n).map(|k| Point { x: (k * 7919 % 1000) as f64, y: (k * 104_729 % 997) as f64 }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grid_finds_every_pair_within_the_radius() {
        let pts = scattered(200);
        let demand: Vec<(Point, f64)> = pts.iter().map(|&p| (p, 1.0)).collect();
        let grid = Instance::from_points(&demand, &pts, Some(150.0)).unwrap();
        let full = Instance::from_fn(vec![1.0; 200], 200, Some(150.0), |i, j| distance(pts[i], pts[j])).unwrap();
        for (a, b) in grid.reach.iter().zip(&full.reach) {
            let mut a: Vec<u32> = a.iter().map(|x| x.0).collect();
            let mut b: Vec<u32> = b.iter().map(|x| x.0).collect();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b);
        }
    }

    #[test]
    fn bad_inputs_are_refused() {
        assert!(matches!(
            Instance::from_fn(vec![1.0, -2.0], 1, None, |_, _| 1.0),
            Err(Error::BadDemand { index: 1, .. })
        ));
        assert!(matches!(Instance::from_fn(vec![f64::NAN], 1, None, |_, _| 1.0), Err(Error::BadDemand { .. })));
        assert!(matches!(Instance::from_fn(vec![1.0], 1, None, |_, _| f64::NAN), Err(Error::BadDistance { .. })));
        let i = Instance::from_fn(vec![1.0], 2, None, |_, _| 1.0).unwrap();
        assert_eq!(i.clone().with_sites(vec![5], vec![]).unwrap_err(), Error::NotACandidate(5));
        assert_eq!(i.with_sites(vec![1], vec![1]).unwrap_err(), Error::FixedAndExcluded(1));
    }
}
