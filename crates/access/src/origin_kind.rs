//! The origins of a run, as `--origins` names them: `communes` (contour centroids of
//! the store), `nodes` (every node of the network), `iris:FILE` (a point inside each
//! IRIS contour of the file), `grid:FILE` (INSEE 200 m cells), `communes-grid:FILE`
//! (commune centres weighted by such cells) or a point file. One parsed type, placed
//! by one function, so that the command line and the server read origins alike.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use echelle_store::Store;

use crate::error::{AccessError, Result};
use crate::graph::Graph;
use crate::points::{Fields, Point, read_points};
use crate::{iris, origins};

/// Which origins to place.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OriginKind {
    /// The communes of the store that have a contour, at their centroid, weighted by
    /// the municipal population.
    #[default]
    Communes,
    /// Every node of the road network (needs one).
    Nodes,
    /// IRIS contours (IGN CONTOURS-IRIS GeoPackage or shapefile, or GeoJSON): a point
    /// inside each, weighted by the store's IRIS census population.
    Iris(PathBuf),
    /// INSEE 200 m cells (Filosofi "carreaux"): the centre of each, weighted by its
    /// inhabitants.
    Grid(PathBuf),
    /// Each commune's population-weighted centre from such a grid file.
    CommunesGrid(PathBuf),
    /// A point file (GeoJSON, or CSV with longitude/latitude columns).
    Points(PathBuf),
}

/// How origins relate to territories in a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// One origin per commune, counted in the territories of the commune.
    Communes,
    /// One origin per IRIS, counted in the territories of its commune.
    Iris,
}

impl Unit {
    /// How tables and messages name the unit: `communes`, `IRIS`.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Communes => "communes",
            Unit::Iris => "IRIS",
        }
    }

    /// The column of the units left out: « communes écartées », « IRIS écartés ».
    pub fn left_out_label(self) -> &'static str {
        match self {
            Unit::Communes => "communes écartées",
            Unit::Iris => "IRIS écartés",
        }
    }
}

const IRIS_WITHOUT_FILE: &str = "IRIS have no geometry in the store (the pack's IRIS table has codes, names, communes \
     and census counts only): give their contours with --origins iris:FILE, FILE being IGN's CONTOURS-IRIS \
     (GeoPackage .gpkg or shapefile .shp) or a GeoJSON of IRIS contours";

impl FromStr for OriginKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let file = |prefix: &str| -> Result<PathBuf, String> {
            let path = &s[prefix.len()..];
            if path.trim().is_empty() {
                return Err(format!("origins {prefix}FILE: give the file after '{prefix}'"));
            }
            Ok(PathBuf::from(path))
        };
        match s {
            "" => Err("origins: communes, nodes, iris:FILE, grid:FILE, communes-grid:FILE or a point file".into()),
            "communes" => Ok(OriginKind::Communes),
            "nodes" => Ok(OriginKind::Nodes),
            "iris" => Err(IRIS_WITHOUT_FILE.into()),
            _ if s.starts_with("iris:") => file("iris:").map(OriginKind::Iris),
            _ if s.starts_with("grid:") => file("grid:").map(OriginKind::Grid),
            _ if s.starts_with("communes-grid:") => file("communes-grid:").map(OriginKind::CommunesGrid),
            _ => Ok(OriginKind::Points(PathBuf::from(s))),
        }
    }
}

impl fmt::Display for OriginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OriginKind::Communes => f.write_str("communes"),
            OriginKind::Nodes => f.write_str("nodes"),
            OriginKind::Iris(p) => write!(f, "iris:{}", p.display()),
            OriginKind::Grid(p) => write!(f, "grid:{}", p.display()),
            OriginKind::CommunesGrid(p) => write!(f, "communes-grid:{}", p.display()),
            OriginKind::Points(p) => write!(f, "{}", p.display()),
        }
    }
}

/// The origins placed, with what to tell the user about them (counts, rows left out,
/// weights).
#[derive(Debug, Clone)]
pub struct PlacedOrigins {
    /// The origins, each with its weight.
    pub points: Vec<Point>,
    /// Lines for the user: counts, rows left out, what the weights are.
    pub notes: Vec<String>,
}

impl OriginKind {
    /// How these origins sum up per territory; `None` for origins that belong to no
    /// commune (nodes, grid cells, points).
    pub fn unit(&self) -> Option<Unit> {
        match self {
            OriginKind::Communes | OriginKind::CommunesGrid(_) => Some(Unit::Communes),
            OriginKind::Iris(_) => Some(Unit::Iris),
            _ => None,
        }
    }

    /// The unit of a diagnostic, or why these origins cannot have one.
    pub fn diagnostic_unit(&self) -> Result<Unit> {
        self.unit().ok_or_else(|| {
            AccessError::Invalid(format!(
                "access diagnose sums up origins that belong to a commune: --origins communes, communes-grid:FILE \
                 or iris:FILE, not '{}'",
                crate::defaults::cut(&self.to_string())
            ))
        })
    }

    /// What the weights of a diagnostic are, and why units are left out, for the
    /// note under its table; `iris_census` names the census of the IRIS population.
    pub fn weights_note(&self, iris_census: Option<&str>) -> (String, &'static str) {
        match self {
            OriginKind::Iris(_) => (
                format!(
                    "weighted by the IRIS population of the census {}, over a point inside each IRIS contour",
                    iris_census.unwrap_or("?")
                ),
                "IRIS écartés: no contour in the file, or too far from any road",
            ),
            OriginKind::CommunesGrid(_) => (
                "weighted by the inhabitants of the grid cells, over commune centres from the grid".to_string(),
                "communes écartées: no cell in the grid file, or too far from any road",
            ),
            _ => (
                "weighted by the municipal population, over commune contour centroids".to_string(),
                "communes écartées: no contour in the pack, or too far from any road",
            ),
        }
    }

    /// Places the origins: from the store at `store_root` (communes, IRIS population,
    /// commune names) or the file named, on `graph` for `nodes`.
    pub fn place(&self, store_root: &Path, graph: Option<&Graph>) -> Result<PlacedOrigins> {
        let mut notes = Vec::new();
        let no_file = |p: &Path| -> Result<()> {
            if p.is_file() { Ok(()) } else { Err(AccessError::Invalid(format!("origins {self}: no such file"))) }
        };
        let points = match self {
            OriginKind::Communes => {
                let st = Store::open(store_root)?;
                let r = st.referential()?;
                let (pts, without) = origins::commune_centroids(&st, &r)?;
                notes.push(format!(
                    "origins: {} commune centroids (contours of the pack; {without} communes have no contour and are \
                     left out)",
                    pts.len()
                ));
                pts
            }
            OriginKind::Nodes => {
                let Some(g) = graph else {
                    return Err(AccessError::Invalid("origins nodes: give a road network (--network)".into()));
                };
                (0..g.node_count())
                    .map(|v| Point {
                        id: g.node_id[v].to_string(),
                        kind: "node".into(),
                        name: None,
                        lon: g.lon[v],
                        lat: g.lat[v],
                        weight: None,
                    })
                    .collect()
            }
            OriginKind::Iris(path) => {
                no_file(path)?;
                // The census population of the store's IRIS, when the store has a pack.
                let population = match Store::open(store_root).ok().filter(|st| st.pack_dir().is_ok()) {
                    Some(st) => Some(iris::store_population(&st)?),
                    None => None,
                };
                let o = iris::iris_origins(path, population.as_ref())?;
                notes.push(format!(
                    "origins: {} IRIS, a point inside each contour of {} ({} to WGS84)",
                    o.points.len(),
                    path.display(),
                    o.srs
                ));
                notes.push(match &o.weighted_by {
                    Some(v) => format!("  weighted by the IRIS population of the census {v}"),
                    None => "warning: the store has no reference pack, hence no IRIS population: the IRIS origins \
                             are unweighted"
                        .into(),
                });
                if !o.unknown.is_empty() {
                    let first: Vec<&str> = o.unknown.iter().take(5).map(String::as_str).collect();
                    notes.push(format!(
                        "warning: {} IRIS of the file are not in the store's IRIS table (census {}): kept, without \
                         population, in no territory: {}{}",
                        o.unknown.len(),
                        o.weighted_by.as_deref().unwrap_or_default(),
                        first.join(", "),
                        if o.unknown.len() > first.len() { ", …" } else { "" }
                    ));
                }
                if !o.duplicates.is_empty() {
                    notes.push(format!(
                        "{} IRIS codes are given by several features: the largest part of each is kept ({})",
                        o.duplicates.len(),
                        o.duplicates.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                    ));
                }
                o.points
            }
            OriginKind::CommunesGrid(path) => {
                no_file(path)?;
                let (mut pts, rejected) = origins::commune_centres_from_grid(path)
                    .map_err(|e| AccessError::Invalid(format!("origins {self}: {e}")))?;
                // Names from the store's referential, when there is one.
                if let Some(r) = Store::open(store_root).ok().and_then(|st| st.referential().ok()) {
                    for p in &mut pts {
                        p.name = r.commune(&p.id).map(|c| c.name.clone());
                    }
                }
                notes.push(format!(
                    "origins: {} commune centres weighted by the inhabitants of their grid cells ({} rows left out)",
                    pts.len(),
                    rejected.len()
                ));
                pts
            }
            OriginKind::Grid(path) => {
                no_file(path)?;
                let (cells, rejected) = origins::grid_cells(path)?;
                for r in rejected.iter().take(5) {
                    notes.push(format!("grid cell {} left out: {}", r.id, r.reason));
                }
                notes.push(format!("origins: {} grid cells ({} rows left out)", cells.len(), rejected.len()));
                cells
            }
            OriginKind::Points(path) => {
                let (pts, rejected) = read_points(path, &Fields::default())?;
                for r in &rejected {
                    notes.push(format!("origin {} left out: {}", r.id, r.reason));
                }
                pts
            }
        };
        Ok(PlacedOrigins { points, notes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_print_and_refuse() {
        for s in ["communes", "nodes", "iris:/a/b.gpkg", "grid:c.csv", "communes-grid:d.csv", "points.csv"] {
            let k: OriginKind = s.parse().unwrap();
            assert_eq!(k.to_string(), s);
        }
        assert_eq!("iris:x.shp".parse(), Ok(OriginKind::Iris("x.shp".into())));
        assert_eq!("communes-grid:g.csv".parse(), Ok(OriginKind::CommunesGrid("g.csv".into())));
        assert_eq!("o.geojson".parse(), Ok(OriginKind::Points("o.geojson".into())));
        let e = "iris".parse::<OriginKind>().unwrap_err();
        assert!(e.contains("iris:FILE") && e.contains("CONTOURS-IRIS"), "{e}");
        assert!("grid:".parse::<OriginKind>().unwrap_err().contains("give the file"));
        assert!("".parse::<OriginKind>().is_err());
    }

    #[test]
    fn units_of_a_diagnostic() {
        assert_eq!(OriginKind::Communes.unit(), Some(Unit::Communes));
        assert_eq!(OriginKind::CommunesGrid("g".into()).unit(), Some(Unit::Communes));
        assert_eq!(OriginKind::Iris("i".into()).unit(), Some(Unit::Iris));
        let e = OriginKind::Grid("g.csv".into()).diagnostic_unit().unwrap_err().to_string();
        assert!(e.contains("not 'grid:g.csv'"), "{e}");
        assert!(OriginKind::Nodes.diagnostic_unit().is_err());
    }

    #[test]
    fn placing_refuses_missing_files_and_nodes_without_network() {
        let dir = tempfile::tempdir().unwrap();
        for k in ["iris:/no/such.gpkg", "grid:/no/such.csv", "communes-grid:/no/such.csv"] {
            let e = k.parse::<OriginKind>().unwrap().place(dir.path(), None).unwrap_err();
            assert!(e.is_user_error() && e.to_string().contains("no such file"), "{e}");
        }
        assert!(OriginKind::Nodes.place(dir.path(), None).unwrap_err().to_string().contains("--network"));
        let grid = dir.path().join("carreaux.csv");
        std::fs::write(&grid, "Idcar_200m;Ind\nCRS3035RES200mN4206000E5145600;37.5\nCRS3035RES200mNxE1;2\n").unwrap();
        let placed = OriginKind::Grid(grid).place(dir.path(), None).unwrap();
        assert_eq!(placed.points.len(), 1);
        assert!(placed.notes.last().unwrap().contains("1 grid cells (1 rows left out)"), "{:?}", placed.notes);
    }
}
