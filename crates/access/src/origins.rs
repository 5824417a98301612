//! Origins: one point per commune (from the store's contours, or population-weighted
//! from a grid file), or one per 200 m grid cell (from an INSEE Filosofi "carreaux"
//! file); every graph node is the fourth kind, handled by the callers.
//!
//! The reference pack has commune contours (Hauts-de-France, IGN ADMIN EXPRESS via
//! france-geojson) but no chef-lieu position: a commune's point is the centroid of
//! its contour, weighted by its municipal population. Where a commune has no contour
//! it is reported, not guessed. IRIS have no geometry in the pack (the IRIS table
//! has codes, names, communes and census counts, no coordinates nor contours): their
//! origins come from a contour file, see [`crate::iris`].
//!
//! INSEE's gridded data (Filosofi, "données carroyées") identifies each 200 m cell by
//! its lower-left corner in ETRS89-LAEA (EPSG:3035), in an id such as
//! `CRS3035RES200mN2029800E3780000` (column `Idcar_200m`, or `IdINSPIRE` in the 2015
//! edition), with the number of inhabitants `Ind`. A cell's origin is its centre,
//! converted to longitude and latitude with the EPSG formulas for the Lambert
//! azimuthal equal-area projection (IOGP Guidance Note 7-2), weighted by `Ind`.

use echelle_referential::Referential;
use echelle_store::Store;

use std::path::Path;

use crate::error::{AccessError, Result};
use crate::points::{Point, Rejected};

/// The communes that have a contour, as points (centroid, population as weight).
/// Returns the points and the number of communes of the referential left without.
pub fn commune_centroids(store: &Store, r: &Referential) -> Result<(Vec<Point>, usize)> {
    let centres = echelle_store::commune_centres(&store.pack_dir()?)?;
    let mut out: Vec<Point> = r
        .communes()
        .iter()
        .filter_map(|commune| {
            let &(lon, lat) = centres.get(&commune.code)?;
            Some(Point {
                id: commune.code.clone(),
                kind: "commune".into(),
                name: Some(commune.name.clone()),
                lon,
                lat,
                weight: commune.population.map(|p| p as f64),
            })
        })
        .collect();
    out.shrink_to_fit();
    let without = r.communes().len() - out.len();
    Ok((out, without))
}

/// ETRS89-LAEA (EPSG:3035): latitude of origin 52°N, longitude 10°E, false easting
/// 4,321,000 m, false northing 3,210,000 m, on the GRS 1980 ellipsoid.
struct Laea {
    /// `e` and `qp` serve the forward projection, which only the tests use.
    #[cfg_attr(not(test), allow(dead_code))]
    e: f64,
    e2: f64,
    #[cfg_attr(not(test), allow(dead_code))]
    qp: f64,
    beta0: f64,
    rq: f64,
    d: f64,
}

const LAEA_LAT0: f64 = 52.0;
const LAEA_LON0: f64 = 10.0;
const LAEA_FE: f64 = 4_321_000.0;
const LAEA_FN: f64 = 3_210_000.0;

impl Laea {
    fn new() -> Self {
        let a: f64 = 6_378_137.0;
        let f: f64 = 1.0 / 298.257_222_101;
        let e2 = f * (2.0 - f);
        let e = e2.sqrt();
        let q = |phi: f64| {
            let s = phi.sin();
            (1.0 - e2) * (s / (1.0 - e2 * s * s) - 1.0 / (2.0 * e) * ((1.0 - e * s) / (1.0 + e * s)).ln())
        };
        let qp = q(std::f64::consts::FRAC_PI_2);
        let phi0 = LAEA_LAT0.to_radians();
        let beta0 = (q(phi0) / qp).asin();
        let rq = a * (qp / 2.0).sqrt();
        let d = a * (phi0.cos() / (1.0 - e2 * phi0.sin().powi(2)).sqrt()) / (rq * beta0.cos());
        Laea { e, e2, qp, beta0, rq, d }
    }

    /// (easting, northing) of (lon, lat), degrees.
    #[cfg(test)]
    fn forward(&self, lon: f64, lat: f64) -> (f64, f64) {
        let dl = (lon - LAEA_LON0).to_radians();
        let (e, e2, s) = (self.e, self.e2, lat.to_radians().sin());
        let q = (1.0 - e2) * (s / (1.0 - e2 * s * s) - 1.0 / (2.0 * e) * ((1.0 - e * s) / (1.0 + e * s)).ln());
        let beta = (q / self.qp).asin();
        let b =
            self.rq * (2.0 / (1.0 + self.beta0.sin() * beta.sin() + self.beta0.cos() * beta.cos() * dl.cos())).sqrt();
        let east = LAEA_FE + b * self.d * beta.cos() * dl.sin();
        let north = LAEA_FN + (b / self.d) * (self.beta0.cos() * beta.sin() - self.beta0.sin() * beta.cos() * dl.cos());
        (east, north)
    }

    /// (lon, lat), degrees, of (easting, northing).
    fn inverse(&self, east: f64, north: f64) -> (f64, f64) {
        let (x, y) = (east - LAEA_FE, north - LAEA_FN);
        let rho = ((x / self.d).powi(2) + (self.d * y).powi(2)).sqrt();
        if rho == 0.0 {
            return (LAEA_LON0, LAEA_LAT0);
        }
        let c = 2.0 * (rho / (2.0 * self.rq)).asin();
        let (b0s, b0c) = (self.beta0.sin(), self.beta0.cos());
        let beta = (c.cos() * b0s + self.d * y * c.sin() * b0c / rho).asin();
        let e2 = self.e2;
        let (e4, e6) = (e2 * e2, e2 * e2 * e2);
        let phi = beta
            + (e2 / 3.0 + 31.0 * e4 / 180.0 + 517.0 * e6 / 5040.0) * (2.0 * beta).sin()
            + (23.0 * e4 / 360.0 + 251.0 * e6 / 3780.0) * (4.0 * beta).sin()
            + (761.0 * e6 / 45360.0) * (6.0 * beta).sin();
        let lambda = (x * c.sin()).atan2(self.d * rho * b0c * c.cos() - self.d * self.d * y * b0s * c.sin());
        (LAEA_LON0 + lambda.to_degrees(), phi.to_degrees())
    }
}

/// A grid cell id `CRS3035RES<size>mN<northing>E<easting>`: (size, northing, easting)
/// in metres, the corner being the cell's lower left.
pub fn parse_cell_id(id: &str) -> Option<(f64, f64, f64)> {
    let rest = id.trim().strip_prefix("CRS3035RES")?;
    let (size, rest) = rest.split_once("mN")?;
    let (north, east) = rest.split_once('E')?;
    Some((size.parse().ok()?, north.parse().ok()?, east.parse().ok()?))
}

/// The centre of a cell, as (lon, lat).
pub fn cell_centre(id: &str) -> Option<(f64, f64)> {
    let (size, north, east) = parse_cell_id(id)?;
    Some(Laea::new().inverse(east + size / 2.0, north + size / 2.0))
}

/// The cells of an INSEE gridded-data CSV (Filosofi "carreaux" 200 m, any edition):
/// the id column (`Idcar_200m`, `IdINSPIRE`, or any `Idcar_*`), the inhabitants
/// (`Ind`) as weight. Comma or semicolon separated. Rows whose id cannot be read are
/// returned apart, with the reason.
pub fn grid_cells(path: &Path) -> Result<(Vec<Point>, Vec<Rejected>)> {
    let (cells, rejected) = read_grid(path)?;
    Ok((cells.into_iter().map(|(p, _)| p).collect(), rejected))
}

/// Each commune's population-weighted centre from a grid file that names the
/// communes of its cells (`Depcom` in the 2015 edition; `lcog_geo`, the codes of
/// every commune the cell touches run together, from 2017): the mean of its cells'
/// centres weighted by their inhabitants. A cell on several communes counts for each
/// with an equal share of its inhabitants (the file does not say how they split).
/// Returns one point per commune (id = its code, weight = its inhabitants in the grid).
pub fn commune_centres_from_grid(path: &Path) -> Result<(Vec<Point>, Vec<Rejected>)> {
    let (cells, rejected) = read_grid(path)?;
    if cells.iter().all(|(_, c)| c.is_none()) {
        return Err(AccessError::Points {
            path: path.to_path_buf(),
            message: "no commune column (Depcom or lcog_geo): cannot place commune centres".into(),
        });
    }
    let mut acc: std::collections::BTreeMap<String, (f64, f64, f64)> = std::collections::BTreeMap::new();
    for (p, codes) in &cells {
        let (Some(codes), Some(w)) = (codes, p.weight) else { continue };
        if codes.is_empty() || w.is_nan() || w <= 0.0 {
            continue;
        }
        let share = w / codes.len() as f64;
        for c in codes {
            let e = acc.entry(c.clone()).or_default();
            e.0 += share;
            e.1 += share * p.lon;
            e.2 += share * p.lat;
        }
    }
    let points = acc
        .into_iter()
        .map(|(code, (w, x, y))| Point {
            id: code,
            kind: "commune".into(),
            name: None,
            lon: x / w,
            lat: y / w,
            weight: Some(w),
        })
        .collect();
    Ok((points, rejected))
}

/// A cell and the codes of its communes (`None`: the file has no commune column).
type GridCell = (Point, Option<Vec<String>>);

/// Cells with their commune codes (if the file has a commune column).
fn read_grid(path: &Path) -> Result<(Vec<GridCell>, Vec<Rejected>)> {
    let bad = |m: String| AccessError::Points { path: path.to_path_buf(), message: m };
    let text = std::fs::read_to_string(path).map_err(|e| AccessError::io(path, e))?;
    let first = text.lines().next().unwrap_or_default();
    let delim = if first.matches(';').count() > first.matches(',').count() { b';' } else { b',' };
    let mut r = csv::ReaderBuilder::new().delimiter(delim).from_reader(text.as_bytes());
    let h = r.headers().map_err(|e| bad(e.to_string()))?.clone();
    let pos = |want: &str| h.iter().position(|c| c.trim_matches('"').eq_ignore_ascii_case(want));
    let id_col = pos("Idcar_200m")
        .or_else(|| pos("IdINSPIRE"))
        .or_else(|| h.iter().position(|c| c.to_ascii_lowercase().starts_with("idcar_")))
        .ok_or_else(|| bad("no cell id column (Idcar_200m or IdINSPIRE)".into()))?;
    let ind_col = pos("Ind").ok_or_else(|| bad("no 'Ind' column (inhabitants of the cell)".into()))?;
    let (depcom, lcog) = (pos("Depcom"), pos("lcog_geo"));
    let laea = Laea::new();
    let (mut out, mut rejected) = (Vec::new(), Vec::new());
    for (i, rec) in r.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("line {}: {e}", i + 2)))?;
        let id = rec.get(id_col).unwrap_or_default().trim().to_string();
        let Some((size, north, east)) = parse_cell_id(&id) else {
            rejected.push(Rejected {
                id: format!("line {}", i + 2),
                reason: format!("cell id '{id}' not of the form CRS3035RES200mN…E…"),
            });
            continue;
        };
        let weight = rec.get(ind_col).and_then(|s| s.trim().replace(',', ".").parse::<f64>().ok());
        let (lon, lat) = laea.inverse(east + size / 2.0, north + size / 2.0);
        let codes = match (depcom, lcog) {
            (Some(c), _) => Some(vec![rec.get(c).unwrap_or_default().trim().to_string()]),
            (None, Some(c)) => {
                let all = rec.get(c).unwrap_or_default().trim();
                Some(all.as_bytes().chunks(5).filter_map(|ch| std::str::from_utf8(ch).ok()).map(String::from).collect())
            }
            (None, None) => None,
        };
        out.push((Point { id, kind: "cell".into(), name: None, lon, lat, weight }, codes));
    }
    Ok((out, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laea_matches_the_epsg_example_and_round_trips() {
        // IOGP Guidance Note 7-2, Lambert azimuthal equal-area (EPSG:3035) example:
        // 50°N 5°E is E 3,962,799.45 m, N 2,999,718.85 m.
        let l = Laea::new();
        let (e, n) = l.forward(5.0, 50.0);
        assert!((e - 3_962_799.45).abs() < 0.01 && (n - 2_999_718.85).abs() < 0.01, "{e} {n}");
        let (lon, lat) = l.inverse(3_962_799.45, 2_999_718.85);
        assert!((lon - 5.0).abs() < 1e-7 && (lat - 50.0).abs() < 1e-7, "{lon} {lat}");
        for (lon, lat) in [(3.06, 50.63), (-4.5, 48.4), (7.75, 43.7), (2.35, 48.85)] {
            let (e, n) = l.forward(lon, lat);
            let (lo, la) = l.inverse(e, n);
            assert!((lo - lon).abs() < 1e-8 && (la - lat).abs() < 1e-8, "{lon} {lat}: {lo} {la}");
        }
    }

    #[test]
    fn grid_cells_are_read_with_their_centre_and_population() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("carreaux.csv");
        // Lille's centre: 50.6366°N 3.0635°E lies in a cell near E 3,829,xxx N 3,097,xxx.
        let (e, n) = Laea::new().forward(3.0635, 50.6366);
        let (ce, cn) = ((e / 200.0).floor() * 200.0, (n / 200.0).floor() * 200.0);
        let id = format!("CRS3035RES200mN{cn:.0}E{ce:.0}");
        std::fs::write(&p, format!("Idcar_200m;Ind;Men\n{id};152.5;80\nbroken;3;1\n")).unwrap();
        let (cells, rejected) = grid_cells(&p).unwrap();
        assert_eq!(cells.len(), 1);
        assert_eq!(rejected.len(), 1);
        assert!(rejected[0].reason.contains("broken"));
        let c = &cells[0];
        assert_eq!((c.id.as_str(), c.kind.as_str(), c.weight), (id.as_str(), "cell", Some(152.5)));
        // The centre is within half a diagonal (141 m) of the point.
        let dist = crate::geodesy::haversine_m(c.lon, c.lat, 3.0635, 50.6366);
        assert!(dist < 142.0, "{dist}");
        assert_eq!(cell_centre(&id), Some((c.lon, c.lat)));
        std::fs::write(&p, "code,pop\nx,1\n").unwrap();
        assert!(grid_cells(&p).unwrap_err().to_string().contains("Idcar_200m"));
        assert!(commune_centres_from_grid(&p).is_err());
    }

    #[test]
    fn commune_centres_are_weighted_by_the_cells_inhabitants() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("carreaux.csv");
        // Three cells in a row, 200 m apart: A has 30 and 10 inhabitants in its two
        // own cells, and the third cell (20 inhabitants) lies on A and B.
        let cell = |e: u32| format!("CRS3035RES200mN3000000E{e}");
        let text = format!(
            "idcar_200m,ind,lcog_geo\n{},30,59001\n{},10,59001\n{},20,5900159002\n",
            cell(3_800_000),
            cell(3_800_200),
            cell(3_800_400)
        );
        std::fs::write(&p, text).unwrap();
        let (pts, rejected) = commune_centres_from_grid(&p).unwrap();
        assert!(rejected.is_empty());
        assert_eq!(
            pts.iter().map(|p| (p.id.as_str(), p.weight)).collect::<Vec<_>>(),
            vec![("59001", Some(50.0)), ("59002", Some(10.0))]
        );
        let l = Laea::new();
        // A: (30·100 + 10·300 + 10·500) / 50 = 220 m east of the first corner.
        let (lon, lat) = l.inverse(3_800_220.0, 3_000_100.0);
        assert!((pts[0].lon - lon).abs() < 1e-6 && (pts[0].lat - lat).abs() < 1e-6, "{:?} {lon} {lat}", pts[0]);
        let (lon, lat) = l.inverse(3_800_500.0, 3_000_100.0);
        assert!((pts[1].lon - lon).abs() < 1e-9 && (pts[1].lat - lat).abs() < 1e-9);
        // Without a commune column, it says so.
        std::fs::write(&p, format!("Idcar_200m;Ind\n{};3\n", cell(3_800_000))).unwrap();
        assert!(commune_centres_from_grid(&p).unwrap_err().to_string().contains("Depcom or lcog_geo"));
    }
}
