//! Third places (METHODS.md §5): the demand and candidate sites of a siting study taken
//! from the observatory, solved by `echelle_siting` on raw indices, and the answer put
//! back on communes and places.
//!
//! ```text
//!  demand: commuters leaving their home commune (flows × teleworkable share by CS1),
//!          residents aged 20–64 (IRIS counts), population, or a weighted point file
//!  candidates: communes, the CGET 2019 third places, France services, a point file
//!          (each point joined to the commune whose contour contains it)
//!        └─> Lambert-93 points, straight line × detour ─> echelle_siting ─> Study
//! ```

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use echelle_access::points::{Fields, read_points};
use echelle_referential::Referential;
use echelle_referential::crs::{ToWgs84, epsg_for_commune};
use echelle_siting::{Instance, Limits, Model, Outcome, Point, Progress, solve_model};
use echelle_store::{Provenance, Store};
use geo::{BoundingRect, Contains, Rect};
use serde::Serialize;

use crate::MobilityError;
use crate::flows::{Flows, NONE, workers};
use crate::telework::TELEWORKABLE;

/// Detour factor applied to straight lines by default (as the commuting distances).
pub const DETOUR: f64 = 1.3;

/// A place of a study: a commune centre or a point of a file.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Place {
    /// Its id (commune code, or the file's id).
    pub id: String,
    /// Its name, when known.
    pub name: Option<String>,
    /// The commune whose contour contains it (commune centres: the commune itself).
    pub commune: Option<String>,
    /// WGS84 longitude.
    pub lon: f64,
    /// WGS84 latitude.
    pub lat: f64,
    /// Demand it stands for (candidates: 0).
    pub weight: f64,
}

/// Where demand comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum DemandKind {
    /// Workers who leave their home commune for work (the store's flows), at their
    /// home commune's centre; with `teleworkable`, each times its group's teleworkable
    /// share (METHODS.md §5; France's 39 % where the flows have no group).
    Commuters {
        /// Apply the teleworkable share by CS1.
        teleworkable: bool,
    },
    /// Residents aged 20 to 64, summed from the store's IRIS counts per commune.
    WorkingAge,
    /// Municipal population of the pack.
    Population,
    /// A point file (GeoJSON or CSV with longitude, latitude) with a `weight` field.
    Points(PathBuf),
}

/// Where candidate sites come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CandidateKind {
    /// The communes of the territory (their centres).
    Communes,
    /// The CGET 2019 inventory of third places (`ID`, `NOM_TL`, `INSEECOM`, `LAT`, `LONG`).
    ThirdPlaces(PathBuf),
    /// France services points (GeoJSON of the ANCT).
    FranceServices(PathBuf),
    /// Any point file.
    Points(PathBuf),
}

/// Demand points and what they are.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Demand {
    /// One per commune (or point of the file) with positive weight.
    pub places: Vec<Place>,
    /// What the weights count, in French.
    pub label: String,
    /// The dataset the weights come from, when it is one of the store.
    pub provenance: Option<Provenance>,
}

/// A site of a point file whose declared commune is not the one its point lies in.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Mismatch {
    /// The site's id in the file.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The commune code the file gives (`INSEECOM`), empty when none.
    pub declared: String,
    /// The commune whose contour contains the point (none: outside every contour).
    pub located: Option<String>,
    /// Why they differ, in French.
    pub reason: String,
}

/// Candidate sites and the sites of the file left aside.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidates {
    /// Sites inside the territory.
    pub places: Vec<Place>,
    /// What they are, in French.
    pub label: String,
    /// Every site of the file whose declared commune is empty or disagrees with its point.
    pub mismatches: Vec<Mismatch>,
    /// Sites of the file without usable coordinates.
    pub rejected: usize,
}

/// Commune contours with their bounding boxes, to find the commune of a point.
pub struct Locator {
    shapes: Vec<(String, Rect<f64>, geo::MultiPolygon<f64>)>,
}

impl Locator {
    /// Every contour of the store's pack.
    pub fn from_store(store: &Store) -> Result<Locator, MobilityError> {
        let contours = echelle_store::read_contours(&store.pack_dir()?)?;
        let shapes = contours
            .into_iter()
            .filter_map(|c| Some((c.shape.bounding_rect()?, c)))
            .map(|(rect, c)| (c.code, rect, c.shape))
            .collect();
        Ok(Locator { shapes })
    }

    /// The commune whose contour contains (lon, lat).
    pub fn commune_at(&self, lon: f64, lat: f64) -> Option<&str> {
        let p = geo::Point::new(lon, lat);
        self.shapes
            .iter()
            .find(|(_, rect, shape)| {
                rect.min().x <= lon
                    && lon <= rect.max().x
                    && rect.min().y <= lat
                    && lat <= rect.max().y
                    && shape.contains(&p)
            })
            .map(|(code, _, _)| code.as_str())
    }
}

fn centres(store: &Store, r: &Referential, communes: &[u32]) -> Result<Vec<Place>, MobilityError> {
    let centres = echelle_store::commune_centres(&store.pack_dir()?)?;
    Ok(communes
        .iter()
        .filter_map(|&c| {
            let commune = &r.communes()[c as usize];
            let &(lon, lat) = centres.get(&commune.code)?;
            Some(Place {
                id: commune.code.clone(),
                name: Some(commune.name.clone()),
                commune: Some(commune.code.clone()),
                lon,
                lat,
                weight: commune.population.map_or(0.0, |p| p as f64),
            })
        })
        .collect())
}

/// The demand of the communes `communes` (indices into the referential).
pub fn demand(store: &Store, r: &Referential, communes: &[u32], kind: &DemandKind) -> Result<Demand, MobilityError> {
    let mut places = centres(store, r, communes)?;
    let (label, provenance) = match kind {
        DemandKind::Population => ("population municipale".to_string(), None),
        DemandKind::Commuters { teleworkable } => {
            let flows = Flows::load(store, r, None)?;
            let inside: HashSet<u32> = communes.iter().copied().collect();
            let mut out: HashMap<u32, f64> = HashMap::new();
            for f in flows.flows.iter().filter(|f| f.origin != f.dest && inside.contains(&f.origin)) {
                let share = if *teleworkable { TELEWORKABLE[f.group as usize % TELEWORKABLE.len()] } else { 1.0 };
                debug_assert!(f.dest == NONE || f.dest != f.origin);
                *out.entry(f.origin).or_default() += workers(f.weight) * share;
            }
            for p in &mut places {
                p.weight = r.commune_index(&p.id).and_then(|c| out.get(&c)).copied().unwrap_or(0.0);
            }
            let label = if *teleworkable {
                "actifs occupés travaillant hors de leur commune × part télétravaillable de leur groupe (CS1)"
            } else {
                "actifs occupés travaillant hors de leur commune"
            };
            (label.to_string(), Some(flows.provenance))
        }
        DemandKind::WorkingAge => {
            let by_commune = working_age(store)?;
            for p in &mut places {
                p.weight = by_commune.get(&p.id).copied().unwrap_or(0.0);
            }
            ("résidents de 20 à 64 ans (recensement, IRIS)".to_string(), None)
        }
        DemandKind::Points(path) => {
            let fields = Fields { weight: Some("weight".into()), ..Default::default() };
            let (points, _) = read_points(path, &fields).map_err(|e| MobilityError::Usage(e.to_string()))?;
            let mut out = Vec::with_capacity(points.len());
            for p in points {
                let weight = p.weight.filter(|w| w.is_finite() && *w >= 0.0).ok_or_else(|| {
                    MobilityError::Usage(format!(
                        "{} : point « {:.40} » : poids (weight) manquant ou négatif",
                        path.display(),
                        p.id
                    ))
                })?;
                out.push(Place { id: p.id, name: p.name, commune: None, lon: p.lon, lat: p.lat, weight });
            }
            places = out;
            (format!("points pondérés de {}", file_name(path)), None)
        }
    };
    places.retain(|p| p.weight > 0.0);
    if places.is_empty() {
        return Err(MobilityError::Usage(format!("aucune demande ({label}) dans ce territoire")));
    }
    Ok(Demand { places, label, provenance })
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |f| f.to_string_lossy().to_string())
}

/// Residents aged 20–64 per commune code, from the pack's IRIS table.
fn working_age(store: &Store) -> Result<HashMap<String, f64>, MobilityError> {
    use arrow::array::{Array, AsArray};
    let path = store.pack_dir()?.join("iris.parquet");
    let batch = echelle_store::read_parquet(&path)?;
    let bad = |m: &str| MobilityError::Parquet { path: path.display().to_string(), message: m.into() };
    let communes = batch
        .column_by_name("commune")
        .and_then(|c| c.as_string_opt::<i32>())
        .ok_or_else(|| bad("no text column 'commune'"))?;
    let counts = batch
        .column_by_name("pop_20_64")
        .and_then(|c| c.as_primitive_opt::<arrow::datatypes::Int64Type>())
        .ok_or_else(|| bad("no integer column 'pop_20_64'"))?;
    let mut out = HashMap::new();
    for i in 0..batch.num_rows() {
        if !communes.is_null(i) && !counts.is_null(i) {
            *out.entry(communes.value(i).to_string()).or_default() += counts.value(i) as f64;
        }
    }
    Ok(out)
}

/// The candidates inside the communes `communes`.
pub fn candidates(
    store: &Store,
    r: &Referential,
    communes: &[u32],
    kind: &CandidateKind,
    locator: &Locator,
) -> Result<Candidates, MobilityError> {
    let path = match kind {
        CandidateKind::Communes => {
            let mut places = centres(store, r, communes)?;
            for p in &mut places {
                p.weight = 0.0;
            }
            return Ok(Candidates { places, label: "communes".into(), mismatches: vec![], rejected: 0 });
        }
        CandidateKind::ThirdPlaces(p) | CandidateKind::FranceServices(p) | CandidateKind::Points(p) => p,
    };
    let (points, rejected) = read_points(path, &Fields::default()).map_err(|e| MobilityError::Usage(e.to_string()))?;
    let declared = match kind {
        CandidateKind::ThirdPlaces(_) => declared_communes(path, "INSEECOM")?,
        _ => HashMap::new(),
    };
    let inside: HashSet<&str> = communes.iter().map(|&c| r.communes()[c as usize].code.as_str()).collect();
    // Sub-communal codes (arrondissements municipaux, communes déléguées) name their commune.
    let parent: HashMap<&str, &str> = r.sub_communes().iter().map(|s| (s.code.as_str(), s.commune.as_str())).collect();
    let (mut places, mut mismatches) = (Vec::new(), Vec::new());
    for p in points {
        let located = locator.commune_at(p.lon, p.lat).map(str::to_string);
        if let Some(raw) = declared.get(&p.id) {
            // A spreadsheet may have dropped the leading zero of 01…09 codes.
            let code =
                if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) { format!("0{raw}") } else { raw.clone() };
            let reason = match (&located, code.as_str()) {
                (_, "") => Some("INSEECOM vide".to_string()),
                (None, _) => Some("point hors de tout contour communal".to_string()),
                (Some(l), c) if l == c || parent.get(c) == Some(&l.as_str()) => None,
                (Some(l), c) if r.commune_index(l).is_some_and(|k| r.successors(c).contains(&k)) => {
                    Some(format!("{c} est un ancien code de {l} (commune fusionnée depuis)"))
                }
                (Some(l), c) => Some(format!("le point est dans {l}, le fichier dit {c}")),
            };
            if let Some(reason) = reason {
                mismatches.push(Mismatch {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    declared: raw.clone(),
                    located: located.clone(),
                    reason,
                });
            }
        }
        if located.as_deref().is_some_and(|c| inside.contains(c)) {
            places.push(Place { id: p.id, name: p.name, commune: located, lon: p.lon, lat: p.lat, weight: 0.0 });
        }
    }
    let label = match kind {
        CandidateKind::ThirdPlaces(_) => format!("tiers-lieux existants ({})", file_name(path)),
        CandidateKind::FranceServices(_) => format!("France services ({})", file_name(path)),
        _ => format!("points de {}", file_name(path)),
    };
    Ok(Candidates { places, label, mismatches, rejected: rejected.len() })
}

/// The column `column` of a CSV point file by the reader's id (`ID`, else the row number).
fn declared_communes(path: &Path, column: &str) -> Result<HashMap<String, String>, MobilityError> {
    let bad = |m: String| MobilityError::Usage(format!("{} : {m}", path.display()));
    let mut reader = csv::Reader::from_path(path).map_err(|e| bad(e.to_string()))?;
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = headers
        .iter()
        .position(|h| h.eq_ignore_ascii_case(column))
        .ok_or_else(|| bad(format!("pas de colonne {column}")))?;
    let id = headers.iter().position(|h| h.eq_ignore_ascii_case("id"));
    let mut out = HashMap::new();
    for (k, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| bad(format!("ligne {} : {e}", k + 2)))?;
        let key = id.and_then(|i| rec.get(i)).map_or_else(|| (k + 1).to_string(), str::to_string);
        out.insert(key, rec.get(col).unwrap_or("").trim().to_string());
    }
    Ok(out)
}

/// How distances are measured.
#[derive(Debug, Clone, PartialEq)]
pub enum DistanceKind {
    /// Straight line in Lambert-93 times this factor (1 = straight line), metres.
    Straight {
        /// The detour factor (at least 1).
        detour: f64,
    },
    /// Travel time on a road network kept in the store (the access engine), minutes.
    Road(Road),
}

/// A road network of the store to cost pairs with, and how far to look.
#[derive(Debug, Clone, PartialEq)]
pub struct Road {
    /// The store's folder.
    pub store: PathBuf,
    /// The network's name (`echelle network list`).
    pub network: String,
    /// Pairs farther apart than this many minutes are out of reach.
    pub limit_minutes: f64,
}

/// Pairs of a road study are looked for within this many minutes by default.
pub const ROAD_LIMIT_MINUTES: f64 = 60.0;

/// The unit of an instance's costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Metres (straight lines).
    Metres,
    /// Minutes (road travel times).
    Minutes,
}

impl DistanceKind {
    /// The unit of the costs.
    pub fn unit(&self) -> Unit {
        match self {
            DistanceKind::Straight { .. } => Unit::Metres,
            DistanceKind::Road(_) => Unit::Minutes,
        }
    }

    /// What every output states (for a road network, [`instance`] gives the full label).
    pub fn label(&self) -> String {
        match self {
            DistanceKind::Straight { detour } if *detour == 1.0 => "ligne droite (Lambert-93)".into(),
            DistanceKind::Straight { detour } => {
                format!("ligne droite (Lambert-93) × {} (détour)", crate::distance::french_number(*detour))
            }
            DistanceKind::Road(r) => format!("temps de trajet sur le réseau routier « {} »", r.network),
        }
    }
}

/// A site of the answer and the demand it serves.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChosenSite {
    /// The candidate.
    pub place: Place,
    /// Already open (an existing site), not a new one.
    pub existing: bool,
    /// Demand whose nearest open site it is (within the service distance for covering).
    pub served: f64,
}

/// A study's answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Study {
    /// Sites open, existing first.
    pub sites: Vec<ChosenSite>,
    /// The objective (weighted distance in m, or uncovered demand).
    pub objective: f64,
    /// The proven lower bound.
    pub bound: f64,
    /// (objective − bound) / objective.
    pub gap: f64,
    /// Whether the optimum is proven.
    pub proven: bool,
    /// Demand covered (covering models).
    pub covered: Option<f64>,
    /// Total demand.
    pub demand: f64,
    /// Seconds spent solving.
    pub seconds: f64,
    /// The same model with the existing sites alone (`None` without existing sites).
    pub existing_alone: Option<Evaluation>,
    /// How distances were measured.
    pub distance_kind: String,
    /// The capacity of every site (demand units), when capacities were asked.
    pub capacity: Option<f64>,
}

/// Lambert-93 points of places (mainland France; overseas places are refused).
pub fn project(places: &[Place]) -> Result<Vec<Point>, MobilityError> {
    let mut crs = ToWgs84::new();
    places
        .iter()
        .map(|p| {
            if p.commune.as_deref().is_some_and(|c| epsg_for_commune(c) != 2154) {
                return Err(MobilityError::Usage(format!(
                    "{} : hors de France métropolitaine (une étude d'outre-mer à la fois n'est pas encore prise en charge)",
                    p.id
                )));
            }
            let (x, y) = crs.from_wgs84(2154, p.lon, p.lat).map_err(MobilityError::Usage)?;
            Ok(Point { x, y })
        })
        .collect()
}

/// The siting instance: straight line × detour between every demand and candidate, or
/// road travel times within a limit; with the label every output states.
pub fn instance(
    demand: &[Place],
    candidates: &[Place],
    distance: &DistanceKind,
) -> Result<(Instance, String), MobilityError> {
    let detour = match distance {
        DistanceKind::Road(road) => return road_instance(demand, candidates, road),
        DistanceKind::Straight { detour } => *detour,
    };
    if !(detour.is_finite() && detour >= 1.0) {
        return Err(MobilityError::Parameter { name: "detour", value: detour, expected: "at least 1" });
    }
    let (d, c) = (project(demand)?, project(candidates)?);
    let points: Vec<(Point, f64)> = d.into_iter().zip(demand).map(|(p, x)| (p, x.weight)).collect();
    let mut instance = Instance::from_points(&points, &c, None).map_err(|e| MobilityError::Usage(e.to_string()))?;
    for row in &mut instance.reach {
        for x in row.iter_mut() {
            x.1 *= detour;
        }
    }
    Ok((instance, distance.label()))
}

/// Road travel times (minutes) from every demand point to the candidates within the
/// limit, on a network of the store: places are attached to their nearest node (within
/// the access engine's snapping distance), one-way streets respected.
fn road_instance(demand: &[Place], candidates: &[Place], road: &Road) -> Result<(Instance, String), MobilityError> {
    use echelle_access::search::{Adjacency, times_within};
    if !(road.limit_minutes.is_finite() && road.limit_minutes > 0.0 && road.limit_minutes <= 1440.0) {
        return Err(MobilityError::Parameter {
            name: "road limit (minutes)",
            value: road.limit_minutes,
            expected: "between 0 and 1440 minutes",
        });
    }
    let network = |e: echelle_access::AccessError| {
        if e.is_user_error() { MobilityError::Usage(e.to_string()) } else { MobilityError::Network(e.to_string()) }
    };
    let (graph, info) = echelle_access::network::load(&road.store, &road.network).map_err(network)?;
    let snapper = echelle_access::snap::Snapper::new(&graph);
    let limit_m = echelle_access::defaults::MAX_SNAP_M;
    let nodes = |places: &[Place]| {
        places
            .iter()
            .map(|p| {
                snapper.snap(p.lon, p.lat, limit_m).map(|s| s.node).map_err(|why| {
                    MobilityError::Usage(format!("{} : non rattaché au réseau « {} » ({why})", p.id, road.network))
                })
            })
            .collect::<Result<Vec<u32>, _>>()
    };
    let (origins, targets) = (nodes(demand)?, nodes(candidates)?);
    let reversed = graph.reversed();
    let limit_ms = (road.limit_minutes * 60_000.0).round() as u32;
    let rows = times_within(Adjacency::from(&reversed), &origins, &targets, limit_ms);
    let reach =
        rows.into_iter().map(|row| row.into_iter().map(|(j, ms)| (j, f64::from(ms) / 60_000.0)).collect()).collect();
    let instance = Instance {
        demand: demand.iter().map(|p| p.weight).collect(),
        candidates: candidates.len(),
        reach,
        ..Instance::default()
    };
    instance.check().map_err(|e| MobilityError::Usage(e.to_string()))?;
    let synthetic = if info.synthetic { ", SYNTHÉTIQUE" } else { "" };
    let label = format!(
        "temps de trajet (min) sur le réseau routier « {} » (profil {}, {}{synthetic}), lieux rattachés au nœud le plus proche, paires au-delà de {} min hors d'atteinte",
        road.network,
        info.profile,
        info.source,
        crate::distance::french_number(road.limit_minutes)
    );
    Ok((instance, label))
}

/// Solves `model` with `p` sites, `existing` candidates open in every solution and
/// `excluded` never, and states the answer on places.
#[allow(clippy::too_many_arguments)]
pub fn solve(
    demand: &[Place],
    candidates: &[Place],
    existing: &[usize],
    excluded: &[usize],
    distance: DistanceKind,
    model: Model,
    p: usize,
    capacity: Option<f64>,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<Study, MobilityError> {
    let user = |e: echelle_siting::Error| MobilityError::Usage(e.to_string());
    let fixed: Vec<u32> = existing.iter().map(|&j| j as u32).collect();
    let excluded = excluded.iter().map(|&j| j as u32).collect();
    let (instance, label) = instance(demand, candidates, &distance)?;
    let mut instance = instance.with_sites(fixed.clone(), excluded).map_err(user)?;
    if let Some(c) = capacity {
        if !(c.is_finite() && c > 0.0) {
            return Err(MobilityError::Parameter {
                name: "capacity",
                value: c,
                expected: "a positive demand per site",
            });
        }
        instance = instance.with_capacities(vec![c; candidates.len()]).map_err(user)?;
    }
    let outcome = solve_model(&instance, model, p, limits, progress).map_err(user)?;
    let existing_alone = (!fixed.is_empty()).then(|| evaluate(&instance, model, &fixed));
    Ok(study(&instance, demand, candidates, model, &outcome, existing_alone, label))
}

/// The objective and covered demand of a set of sites.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Evaluation {
    /// The model's objective.
    pub objective: f64,
    /// Demand covered (covering models).
    pub covered: Option<f64>,
}

/// The objective and covered demand of the sites `open`.
pub fn evaluate(instance: &Instance, model: Model, open: &[u32]) -> Evaluation {
    let open: HashSet<u32> = open.iter().copied().collect();
    let (mut objective, mut covered) = (0.0, 0.0);
    for (row, &w) in instance.reach.iter().zip(&instance.demand) {
        let nearest = row.iter().find(|(j, _)| open.contains(j)).map(|x| x.1);
        match model {
            Model::Covering { distance } | Model::SetCovering { distance } => {
                if nearest.is_some_and(|d| d <= distance) {
                    covered += w;
                } else {
                    objective += w;
                }
            }
            Model::PMedian => objective += nearest.map_or(f64::INFINITY, |d| d * w),
            Model::PCenter => objective = f64::max(objective, nearest.unwrap_or(f64::INFINITY)),
        }
    }
    let covering = matches!(model, Model::Covering { .. } | Model::SetCovering { .. });
    Evaluation { objective, covered: covering.then_some(covered) }
}

fn study(
    instance: &Instance,
    demand: &[Place],
    candidates: &[Place],
    model: Model,
    o: &Outcome,
    existing_alone: Option<Evaluation>,
    distance_kind: String,
) -> Study {
    let open: HashSet<u32> = o.solution.open.iter().copied().collect();
    let reach = match model {
        Model::Covering { distance } | Model::SetCovering { distance } => Some(distance),
        Model::PMedian => None,
        Model::PCenter => o.distance,
    };
    let mut served: HashMap<u32, f64> = HashMap::new();
    if let Some(split) = &o.solution.served {
        served.extend(o.solution.open.iter().copied().zip(split.iter().copied()));
    } else {
        for (row, place) in instance.reach.iter().zip(demand) {
            if let Some(&(j, d)) = row.iter().find(|(j, _)| open.contains(j))
                && reach.is_none_or(|r| d <= r)
            {
                *served.entry(j).or_default() += place.weight;
            }
        }
    }
    let mut sites: Vec<ChosenSite> = o
        .solution
        .open
        .iter()
        .map(|&j| ChosenSite {
            place: candidates[j as usize].clone(),
            existing: instance.fixed.contains(&j),
            served: served.get(&j).copied().unwrap_or(0.0),
        })
        .collect();
    sites.sort_by_key(|s| !s.existing);
    Study {
        sites,
        objective: o.solution.objective,
        bound: o.solution.bound,
        gap: o.solution.gap(),
        proven: o.solution.proven,
        covered: o.covered,
        demand: o.demand,
        seconds: o.solution.seconds,
        existing_alone,
        distance_kind,
        capacity: (!instance.capacity.is_empty()).then(|| instance.capacity[0]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(id: &str, lon: f64, lat: f64, weight: f64) -> Place {
        Place { id: id.into(), name: None, commune: None, lon, lat, weight }
    }

    #[test]
    fn served_demand_adds_up_and_existing_sites_stay_open() {
        let demand: Vec<Place> = (0..12)
            .map(|k| place(&format!("d{k}"), 2.8 + 0.02 * k as f64, 50.4 + 0.01 * (k % 3) as f64, 10.0 + k as f64))
            .collect();
        let candidates: Vec<Place> = demand.iter().map(|d| Place { weight: 0.0, ..d.clone() }).collect();
        let total: f64 = demand.iter().map(|d| d.weight).sum();
        let s = solve(
            &demand,
            &candidates,
            &[0],
            &[],
            DistanceKind::Straight { detour: 1.3 },
            Model::PMedian,
            3,
            None,
            Limits::default(),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(s.sites.len(), 3);
        assert!(s.sites[0].existing && s.sites[0].place.id == "d0");
        assert!((s.sites.iter().map(|x| x.served).sum::<f64>() - total).abs() < 1e-9);
        let alone = s.existing_alone.unwrap();
        assert!(alone.objective >= s.objective);
        assert!(s.distance_kind.contains("1,3"));
    }

    #[test]
    fn road_costs_are_travel_times_on_the_stored_network() {
        use echelle_access::network::{NetworkInfo, save};
        use echelle_access::{Edge, Graph};
        // Four crossroads in Lille, 0 -> 1 one way (2 min), 1 <-> 2 (3 min), 2 <-> 3 (70 min).
        let lon = vec![3.05, 3.06, 3.07, 3.30];
        let lat = vec![50.63, 50.63, 50.63, 50.63];
        let arc = |from: u32, to: u32, min: u32| Edge { from, to, time_ms: min * 60_000, length_dm: min * 10_000 };
        let edges = vec![arc(0, 1, 2), arc(1, 2, 3), arc(2, 1, 3), arc(2, 3, 70), arc(3, 2, 70)];
        let g = Graph::from_edges(lon.clone(), lat.clone(), vec![10, 11, 12, 13], edges).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let info = NetworkInfo {
            name: "lille".into(),
            source: "dessiné pour le test".into(),
            kind: "imported-csv".into(),
            synthetic: true,
            profile: "drive".into(),
            nodes: 4,
            edges: 5,
            report: None,
            credit: None,
        };
        save(dir.path(), &g, &info).unwrap();
        let at = |id: &str, k: usize, w: f64| place(id, lon[k] + 1e-5, lat[k], w);
        let demand = [at("d0", 0, 10.0), at("d2", 2, 5.0), at("d3", 3, 1.0)];
        let candidates = [at("c0", 0, 0.0), at("c2", 2, 0.0)];
        let road = |limit_minutes| {
            DistanceKind::Road(Road { store: dir.path().to_path_buf(), network: "lille".into(), limit_minutes })
        };
        let (i, label) = instance(&demand, &candidates, &road(60.0)).unwrap();
        assert_eq!(i.reach[0], vec![(0, 0.0), (1, 5.0)], "d0 reaches c2 in 2 + 3 min");
        assert_eq!(i.reach[1], vec![(1, 0.0)], "d2 cannot drive back to c0: 0 -> 1 is one way");
        assert!(i.reach[2].is_empty(), "d3 is 70 min away, beyond the limit");
        assert!(label.contains("« lille »") && label.contains("60 min") && label.contains("SYNTHÉTIQUE"), "{label}");
        let (i, _) = instance(&demand, &candidates, &road(80.0)).unwrap();
        assert_eq!(i.reach[2], vec![(1, 70.0)]);
        // Solved in minutes, stated in minutes.
        let s =
            solve(&demand, &candidates, &[], &[], road(80.0), Model::PMedian, 1, None, Limits::default(), &mut |_| {})
                .unwrap();
        assert_eq!(s.sites[0].place.id, "c2");
        assert!((s.objective - (10.0 * 5.0 + 70.0)).abs() < 1e-9, "{}", s.objective);
        assert_eq!(
            model_label(Model::Covering { distance: 15.0 }, Unit::Minutes),
            "couverture maximale à 15 min (demande non couverte)"
        );
        let missing = DistanceKind::Road(Road {
            store: dir.path().to_path_buf(),
            network: "nulle-part".into(),
            limit_minutes: 60.0,
        });
        assert!(instance(&demand, &candidates, &missing).is_err());
        let far = [place("loin", 2.0, 48.0, 1.0)];
        let e = instance(&far, &candidates, &road(60.0)).unwrap_err();
        assert!(e.to_string().contains("non rattaché au réseau"), "{e}");
    }

    #[test]
    fn a_detour_below_one_is_refused() {
        let d = [place("a", 3.0, 50.0, 1.0)];
        assert!(instance(&d, &d, &DistanceKind::Straight { detour: 0.5 }).is_err());
    }
}

/// A study as the web page asks for it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct StudyRequest {
    /// Territories whose communes hold the demand and the candidates (`per:mel`, `dep:62`).
    pub within: Vec<String>,
    /// `pmedian`, `mclp`, `lscp` or `pcenter`.
    pub model: String,
    /// Sites open, existing ones included.
    pub p: usize,
    /// Service distance, km (mclp, lscp).
    pub distance_km: Option<f64>,
    /// `population`, `commuters`, `commuters-teleworkable` or `working-age`.
    pub demand: String,
    /// `communes`, or the name of a point set of the server (`tiers-lieux`, `france-services`).
    pub candidates: String,
    /// The existing third places (the server's `tiers-lieux` set) open in every solution.
    #[serde(default)]
    pub existing: bool,
    /// Detour factor on straight lines (default 1.3).
    pub detour: Option<f64>,
    /// Candidates open in every solution (ids), counted in p.
    #[serde(default)]
    pub fixed: Vec<String>,
    /// Candidates never opened (ids).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// What every site can serve, in demand units (none: unlimited); demand may then
    /// be split between sites.
    pub capacity: Option<f64>,
    /// A road network of the store (`echelle network list`): costs are then travel
    /// times in minutes instead of straight lines, and `service_minutes` replaces
    /// `distance_km`.
    pub network: Option<String>,
    /// Service time, minutes (mclp, lscp on a road network).
    pub service_minutes: Option<f64>,
    /// Pairs farther than this many minutes are out of reach (default 60).
    pub limit_minutes: Option<f64>,
}

/// A study with its demand and candidates resolved: what the CLI and the API both run.
#[derive(Debug, Clone)]
pub struct Spec {
    /// Territories whose communes hold the demand and the candidates.
    pub within: Vec<String>,
    /// The model.
    pub model: Model,
    /// Sites open, existing and fixed ones included.
    pub p: usize,
    /// Where demand comes from.
    pub demand: DemandKind,
    /// Where candidates come from.
    pub candidates: CandidateKind,
    /// A CGET-format file of third places open in every solution.
    pub existing: Option<PathBuf>,
    /// Candidates open in every solution (ids).
    pub fixed: Vec<String>,
    /// Candidates never opened (ids).
    pub exclude: Vec<String>,
    /// What every site can serve (none: unlimited).
    pub capacity: Option<f64>,
    /// How distances are measured.
    pub distance: DistanceKind,
}

/// A study's answer with everything an export states.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StudyAnswer {
    /// The model, in French, with its service distance.
    pub model: String,
    /// Sites asked for.
    pub p: usize,
    /// What the demand counts.
    pub demand_label: String,
    /// Source of the demand when it is a dataset of the store (« SYNTHÉTIQUE » when generated).
    pub source: Option<String>,
    /// Whether the demand comes from generated data.
    pub synthetic: bool,
    /// What the candidates are.
    pub candidates_label: String,
    /// Candidates considered.
    pub candidates: usize,
    /// Existing sites open in every solution.
    pub existing: usize,
    /// Sites of the point files whose declared commune is empty or differs, in the territory.
    pub mismatches: Vec<Mismatch>,
    /// Demand points (commune centres) with their weights.
    pub demand_points: Vec<Place>,
    /// The answer.
    pub study: Study,
}

/// The model of a name and a service threshold: km for straight lines, minutes for
/// road times (`unit`); the model then holds it in the instance's unit (m or min).
pub fn model_of(name: &str, service: Option<f64>, unit: Unit) -> Result<Model, MobilityError> {
    let threshold = || {
        let (scale, missing) = match unit {
            Unit::Metres => (1000.0, "distance de service : un nombre de km positif est requis pour ce modèle"),
            Unit::Minutes => (1.0, "temps de service : un nombre de minutes positif est requis pour ce modèle"),
        };
        service
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| d * scale)
            .ok_or_else(|| MobilityError::Usage(missing.into()))
    };
    Ok(match name {
        "pmedian" => Model::PMedian,
        "mclp" => Model::Covering { distance: threshold()? },
        "lscp" => Model::SetCovering { distance: threshold()? },
        "pcenter" => Model::PCenter,
        other => {
            return Err(MobilityError::Usage(format!(
                "modèle « {other:.30} » inconnu : pmedian, mclp, lscp ou pcenter"
            )));
        }
    })
}

/// The model in French with its unit, as every output states it.
pub fn model_label(model: Model, unit: Unit) -> String {
    use crate::distance::french_number;
    let threshold = |d: f64| match unit {
        Unit::Metres => format!("{} km", french_number(d / 1000.0)),
        Unit::Minutes => format!("{} min", french_number(d)),
    };
    let (weighted, worst) = match unit {
        Unit::Metres => ("distance pondérée par la demande, m", "distance maximale, m"),
        Unit::Minutes => ("temps de trajet pondéré par la demande, min", "temps de trajet maximal, min"),
    };
    match model {
        Model::PMedian => format!("p-médiane ({weighted})"),
        Model::Covering { distance } => format!("couverture maximale à {} (demande non couverte)", threshold(distance)),
        Model::SetCovering { distance } => format!("couverture totale à {} (nombre de sites)", threshold(distance)),
        Model::PCenter => format!("p-centre ({worst})"),
    }
}

/// Runs the study `q`: `sets` gives the file of a named point set (`None`: unknown).
pub fn run(
    store: &Store,
    r: &Referential,
    locator: &Locator,
    q: &StudyRequest,
    sets: &dyn Fn(&str) -> Option<PathBuf>,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<StudyAnswer, MobilityError> {
    let set = |name: &str| {
        sets(name).ok_or_else(|| MobilityError::Usage(format!("aucun jeu de points « {name:.30} » sur ce serveur")))
    };
    let demand = match q.demand.as_str() {
        "population" => DemandKind::Population,
        "commuters" => DemandKind::Commuters { teleworkable: false },
        "commuters-teleworkable" => DemandKind::Commuters { teleworkable: true },
        "working-age" => DemandKind::WorkingAge,
        other => {
            return Err(MobilityError::Usage(format!(
                "demande « {other:.30} » : population, commuters, commuters-teleworkable ou working-age"
            )));
        }
    };
    let candidates = match q.candidates.as_str() {
        "communes" => CandidateKind::Communes,
        "tiers-lieux" => CandidateKind::ThirdPlaces(set("tiers-lieux")?),
        "france-services" => CandidateKind::FranceServices(set("france-services")?),
        other => CandidateKind::Points(set(other)?),
    };
    let distance = match &q.network {
        Some(network) => DistanceKind::Road(Road {
            store: store.root().to_path_buf(),
            network: network.clone(),
            limit_minutes: q.limit_minutes.unwrap_or(ROAD_LIMIT_MINUTES),
        }),
        None => DistanceKind::Straight { detour: q.detour.unwrap_or(DETOUR) },
    };
    let spec = Spec {
        within: q.within.clone(),
        model: match &distance {
            DistanceKind::Straight { .. } => model_of(&q.model, q.distance_km, Unit::Metres)?,
            DistanceKind::Road(_) => model_of(&q.model, q.service_minutes, Unit::Minutes)?,
        },
        p: q.p,
        demand,
        candidates,
        existing: if q.existing { Some(set("tiers-lieux")?) } else { None },
        fixed: q.fixed.clone(),
        exclude: q.exclude.clone(),
        capacity: q.capacity,
        distance,
    };
    run_spec(store, r, locator, &spec, limits, progress)
}

/// Runs a resolved study: demand and candidates of the territories' communes, the
/// existing sites added to the candidates and fixed open, the answer stated on places.
pub fn run_spec(
    store: &Store,
    r: &Referential,
    locator: &Locator,
    spec: &Spec,
    limits: Limits,
    progress: &mut dyn FnMut(Progress),
) -> Result<StudyAnswer, MobilityError> {
    if spec.within.is_empty() {
        return Err(MobilityError::Usage("aucun territoire (within)".into()));
    }
    let mut members: std::collections::BTreeSet<u32> = Default::default();
    for w in &spec.within {
        let t = r.resolve(w)?;
        members.extend(r.members(&t)?.iter().copied());
    }
    let members: Vec<u32> = members.into_iter().collect();
    let demand = demand(store, r, &members, &spec.demand)?;
    let mut cands = candidates(store, r, &members, &spec.candidates, locator)?;
    let mut mismatches = cands.mismatches.clone();
    let mut existing = Vec::new();
    if let Some(path) = &spec.existing {
        let open = candidates(store, r, &members, &CandidateKind::ThirdPlaces(path.clone()), locator)?;
        mismatches.extend(open.mismatches);
        for place in open.places {
            existing.push(cands.places.len());
            cands.places.push(place);
        }
    }
    let index = |id: &String| {
        cands
            .places
            .iter()
            .position(|c| &c.id == id)
            .ok_or_else(|| MobilityError::Usage(format!("« {id:.40} » n'est pas parmi les candidats")))
    };
    let mut fixed = existing.clone();
    for id in &spec.fixed {
        fixed.push(index(id)?);
    }
    let excluded = spec.exclude.iter().map(index).collect::<Result<Vec<_>, _>>()?;
    let codes: HashSet<&str> = members.iter().map(|&c| r.communes()[c as usize].code.as_str()).collect();
    mismatches
        .retain(|m| codes.contains(m.declared.as_str()) || m.located.as_deref().is_some_and(|l| codes.contains(l)));
    mismatches.sort_by(|a, b| a.id.cmp(&b.id));
    mismatches.dedup_by(|a, b| a.id == b.id);
    let study = solve(
        &demand.places,
        &cands.places,
        &fixed,
        &excluded,
        spec.distance.clone(),
        spec.model,
        spec.p,
        spec.capacity,
        limits,
        progress,
    )?;
    Ok(StudyAnswer {
        model: model_label(spec.model, spec.distance.unit()),
        p: spec.p,
        source: demand.provenance.as_ref().map(Provenance::line),
        synthetic: demand.provenance.as_ref().is_some_and(|p| p.synthetic),
        demand_label: demand.label,
        candidates_label: if existing.is_empty() {
            cands.label
        } else {
            format!("{} et {} tiers-lieux existants", cands.label, existing.len())
        },
        candidates: cands.places.len(),
        existing: existing.len(),
        mismatches,
        demand_points: demand.places,
        study,
    })
}
