//! Commuting distances, kilometres travelled and CO2.
//!
//! The distance of a flow is the straight line between the centroids of the two
//! communes' shapes (the reference pack's contours, as the synthetic generator uses
//! them) times a detour factor given as a parameter and stated in every output; a
//! flow inside one commune gets a fixed distance (a parameter). When a road network
//! of the access engine is given ([`Positions::with_roads`], see [`crate::road`]),
//! flows between two communes on that network take its road distance instead, and
//! every output says which method each flow used and how many workers each covers.
//! The pack has shapes for the Hauts-de-France only: flows from or to communes
//! without a position, or abroad, have no distance and are counted apart.

use echelle_referential::{Referential, TerritoryRef};
use echelle_store::Provenance;
use serde::Serialize;

use crate::MobilityError;
use crate::error::check_range;
use crate::flows::{CAR, Flows, MODES, NO_TRANSPORT, NONE, PUBLIC_TRANSPORT, TWO_WHEELER, Tally, UNIT, workers};
use crate::matrix::{inside, member_mask};
use crate::road::RoadDistances;
use crate::secrecy::{Count, Ledger, Secrecy};

/// Positions (longitude, latitude) of the communes, by referential index, and the
/// road distances between them when a network was given.
#[derive(Debug, Clone)]
pub struct Positions {
    /// By referential index; `None` for a commune without a position (no contour).
    pub points: Vec<Option<(f64, f64)>>,
    /// Road distances between the communes, when a network was given.
    pub roads: Option<RoadDistances>,
}

impl Positions {
    /// Positions without road distances.
    pub fn new(points: Vec<Option<(f64, f64)>>) -> Positions {
        Positions { points, roads: None }
    }

    /// The centroids of the pack's commune shapes.
    pub fn from_store(store: &echelle_store::Store, r: &Referential) -> Result<Positions, MobilityError> {
        let centroids = echelle_store::commune_centres(&store.pack_dir()?)?;
        Ok(Positions::new(r.communes().iter().map(|c| centroids.get(&c.code).copied()).collect()))
    }

    /// The same positions, with road distances used wherever they have one.
    pub fn with_roads(self, roads: RoadDistances) -> Positions {
        Positions { roads: Some(roads), ..self }
    }

    pub(crate) fn get(&self, c: u32) -> Option<(f64, f64)> {
        if c == NONE { None } else { self.points.get(c as usize).copied().flatten() }
    }
}

/// How the distance of one flow was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Road network of the access engine.
    Road,
    /// Straight line × detour factor.
    StraightLine,
    /// Fixed distance of a trip inside one commune.
    IntraCommune,
}

/// Emission factors in kgCO2e per passenger-km (ADEME Base Carbone via Impact CO2,
/// METHODS.md §5: use + construction).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Factors {
    /// Thermal car, per vehicle-km: 0.192 + 0.0256 (divided by the occupancy).
    pub car: f64,
    /// Thermal bus: 0.104 + 0.0087.
    pub bus: f64,
    /// Regional train: 0.0229 + 0.0048.
    pub train: f64,
}

impl Default for Factors {
    fn default() -> Self {
        Factors { car: 0.192 + 0.0256, bus: 0.104 + 0.0087, train: 0.0229 + 0.0048 }
    }
}

/// Road distance / straight-line distance by default: an assumption (a usual order
/// of magnitude for French roads), not from METHODS.md; stated in outputs.
pub const DETOUR: f64 = 1.3;
/// One-way km of a trip inside one commune by default (the synthetic generator's 1 km).
pub const INTRA_KM: f64 = 1.0;
/// Commuting days per year by default (about 47 weeks of 5 days minus bank holidays).
pub const WORKING_DAYS: f64 = 220.0;
/// People per car on commuting trips by default (driver alone).
pub const OCCUPANCY: f64 = 1.0;
/// Share of public-transport km made by regional train by default (the rest by bus).
pub const RAIL_SHARE: f64 = 0.5;

/// A number in French (decimal comma), as parameters appear in labels: `1,3`.
pub fn french_number(x: f64) -> String {
    x.to_string().replace('.', ",")
}

/// Parameters of distances and emissions, with their defaults and sources.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DistanceParams {
    /// Road distance / straight-line distance. Default 1.3: an assumption (a usual
    /// order of magnitude for French roads), not from METHODS.md; stated in outputs.
    pub detour: f64,
    /// One-way distance of a trip inside one commune, km. Default 1: an assumption
    /// (the synthetic generator uses the same 1 km).
    pub intra_km: f64,
    /// Commuting days per year. Default 220: an assumption (about 47 weeks of 5 days minus bank holidays).
    pub working_days: f64,
    /// People per car on commuting trips. Default 1 (driver alone): an assumption.
    pub occupancy: f64,
    /// Share of public-transport km made by regional train (the rest by bus). Default 0.5: an assumption.
    pub rail_share: f64,
    /// Emission factors per mode.
    pub factors: Factors,
}

impl Default for DistanceParams {
    fn default() -> Self {
        DistanceParams {
            detour: DETOUR,
            intra_km: INTRA_KM,
            working_days: WORKING_DAYS,
            occupancy: OCCUPANCY,
            rail_share: RAIL_SHARE,
            factors: Factors::default(),
        }
    }
}

impl DistanceParams {
    /// Rejects values outside their meaningful range, naming the parameter.
    pub fn validate(&self) -> Result<(), MobilityError> {
        check_range("detour", self.detour, 1.0, 5.0, false, "a factor between 1 and 5 (road km per straight-line km)")?;
        check_range("intra-commune distance", self.intra_km, 0.0, 100.0, false, "km between 0 and 100")?;
        check_range("working days", self.working_days, 0.0, 366.0, true, "days per year, above 0 and at most 366")?;
        check_range("occupancy", self.occupancy, 1.0, 9.0, false, "people per car, between 1 and 9")?;
        check_range("rail share", self.rail_share, 0.0, 1.0, false, "a share between 0 and 1")
    }

    /// One-way distance of a flow, km: the road distance when `pos` has one for the
    /// pair, else the straight line × detour.
    pub fn km(&self, pos: &Positions, o: u32, d: u32) -> Option<f64> {
        self.km_how(pos, o, d).map(|(km, _)| km)
    }

    /// [`DistanceParams::km`] and the method used.
    pub fn km_how(&self, pos: &Positions, o: u32, d: u32) -> Option<(f64, Method)> {
        if o == d && o != NONE {
            return Some((self.intra_km, Method::IntraCommune));
        }
        if let Some(road) = pos.roads.as_ref().and_then(|r| r.get(o, d)) {
            return Some((road.km, Method::Road));
        }
        Some((echelle_referential::geodesy::distance_km(pos.get(o)?, pos.get(d)?) * self.detour, Method::StraightLine))
    }

    /// The French label of a method, e.g. « réseau routier « hdf » » or « à vol d'oiseau × 1,3 ».
    pub fn label(&self, pos: &Positions, m: Method) -> String {
        match (m, &pos.roads) {
            (Method::Road, Some(r)) => format!("réseau routier « {} »", r.network),
            (Method::Road, None) => "réseau routier".to_string(),
            (Method::StraightLine, _) => format!("à vol d'oiseau × {}", french_number(self.detour)),
            (Method::IntraCommune, _) => format!("dans la commune, {} km", french_number(self.intra_km)),
        }
    }

    /// How distances were made, in French, with the road network of `pos` if any.
    pub fn method_on(&self, pos: &Positions) -> String {
        match &pos.roads {
            None => self.method(),
            Some(r) => format!(
                "réseau routier « {} » (longueur de l'itinéraire le plus rapide entre les nœuds les plus proches des \
                 centroïdes des deux communes, plus les deux distances centroïde–nœud) ; centroïdes à plus de {} m du \
                 réseau, paires non atteintes et origines au-delà du plafond de {} recherches ({} laissées) : {} entre \
                 centroïdes ; {} km dans une commune ; {} jours de navette par an",
                r.network,
                french_number(r.max_snap_m),
                r.max_origins,
                r.origins_capped,
                self.label(pos, Method::StraightLine),
                french_number(self.intra_km),
                french_number(self.working_days)
            ),
        }
    }

    /// kgCO2e per person-km of a mode; `None` when the mode is unknown.
    pub fn factor(&self, mode: u8) -> Option<f64> {
        let f = &self.factors;
        match mode {
            // Motorised two-wheelers: no factor in METHODS.md; the thermal car's is used (assumption, an upper bound).
            CAR | TWO_WHEELER => Some(f.car / self.occupancy),
            PUBLIC_TRANSPORT => Some(self.rail_share * f.train + (1.0 - self.rail_share) * f.bus),
            0 => None,
            _ => Some(0.0),
        }
    }

    /// How distances were made, in French, without a road network.
    pub fn method(&self) -> String {
        format!(
            "à vol d'oiseau entre centroïdes des communes × {} (facteur de détour, distances routières non \
             utilisées) ; {} km dans une commune ; {} jours de navette par an",
            french_number(self.detour),
            french_number(self.intra_km),
            french_number(self.working_days)
        )
    }
}

/// A class of commuting distance.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Bin {
    /// Lower bound, km (included).
    pub from_km: f64,
    /// `None`: no upper bound.
    pub to_km: Option<f64>,
    /// `null` when secret.
    pub workers: Count,
    /// Share of workers with a distance, %; `null` when a count it needs is secret.
    pub share: Option<f64>,
}

/// Kilometres and emissions of one mode.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ModeKm {
    /// The mode's French label.
    pub mode: String,
    /// `null` when secret.
    pub workers: Count,
    /// Round trips, km per working day; `null` when the count is secret.
    pub km_per_day: Option<f64>,
    /// Tonnes CO2e per year; `null` when the mode is unknown or its count secret.
    pub co2_t_per_year: Option<f64>,
}

/// The flows and workers whose distance was made one way.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MethodCount {
    /// How the distances were made.
    pub method: Method,
    /// E.g. « réseau routier « hdf » », « à vol d'oiseau × 1,3 ».
    pub label: String,
    /// Commune-to-commune pairs (all modes together).
    pub flows: usize,
    /// `null` when secret.
    pub workers: Count,
}

/// Distances of the commuters living in a territory (or of every flow).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DistanceReport {
    /// The territory key; `None` for every flow of the dataset.
    pub territory: Option<String>,
    /// The territory's name.
    pub name: Option<String>,
    /// How distances were made, in a French sentence.
    pub method: String,
    /// The road network used where it gives a distance, if any.
    pub network: Option<String>,
    /// Flows and workers by method (only the methods used).
    pub by_method: Vec<MethodCount>,
    /// The parameters used.
    pub params: DistanceParams,
    /// `null` when secret.
    pub workers: Count,
    /// Workers whose flow has no distance (abroad, or a commune without a position).
    pub workers_without_distance: Count,
    /// Mean one-way distance of the workers who travel (mode other than "no transport"), km.
    pub mean_km: Option<f64>,
    /// Workers by distance class ([`BINS`]).
    pub histogram: Vec<Bin>,
    /// Round trips of the workers who travel, km per working day.
    pub km_per_day: f64,
    /// Kilometres and emissions per mode, when the dataset has modes.
    pub by_mode: Vec<ModeKm>,
    /// Tonnes CO2e per year; `None` when the dataset has no mode (aggregated base).
    pub co2_t_per_year: Option<f64>,
    /// The secrecy threshold applied to every count above.
    pub secrecy: Secrecy,
    /// The unit of the counts (`actifs occupés`).
    pub unit: String,
    /// Where the flows come from.
    pub provenance: Provenance,
    /// « Source : … (millésime …) », with « SYNTHÉTIQUE » when generated.
    pub source_line: String,
}

/// Upper bounds of the distance classes, km.
pub const BINS: [f64; 6] = [5.0, 10.0, 20.0, 30.0, 50.0, 100.0];

/// Distances, km and CO2 of the workers living in `t` (all flows when `None`).
pub fn distances(
    flows: &Flows,
    r: &Referential,
    pos: &Positions,
    t: Option<&TerritoryRef>,
    p: &DistanceParams,
    secrecy: Secrecy,
) -> Result<DistanceReport, MobilityError> {
    p.validate()?;
    secrecy.validate()?;
    let mask = t.map(|t| member_mask(r, t)).transpose()?;
    let (mut all, mut without, mut travelling, mut km_one_way) = (Tally::default(), Tally::default(), 0i128, 0f64);
    let mut bins = vec![Tally::default(); BINS.len() + 1];
    let mut mode_w = vec![Tally::default(); MODES.len()];
    let mut mode_km = vec![0f64; MODES.len()];
    let mut methods: std::collections::BTreeMap<Method, (std::collections::HashSet<(u32, u32)>, Tally)> =
        std::collections::BTreeMap::new();
    for f in &flows.flows {
        if let Some(m) = &mask
            && !inside(m, f.origin)
        {
            continue;
        }
        all += f.tally();
        let Some((km, how)) = p.km_how(pos, f.origin, f.dest) else {
            without += f.tally();
            continue;
        };
        let m = methods.entry(how).or_default();
        m.0.insert((f.origin, f.dest));
        m.1 += f.tally();
        let b = BINS.iter().position(|&up| km < up).unwrap_or(BINS.len());
        bins[b] += f.tally();
        mode_w[f.mode as usize] += f.tally();
        if f.mode != NO_TRANSPORT {
            travelling += f.weight;
            km_one_way += workers(f.weight) * km;
            mode_km[f.mode as usize] += 2.0 * workers(f.weight) * km;
        }
    }
    let with: Tally = bins.iter().copied().sum();
    // Secrecy: every count, tied by workers = with + without and with = Σ classes = Σ modes = Σ methods.
    let mut l = Ledger::new();
    let (fa, fw, fwo) = (l.figure(&secrecy, all), l.figure(&secrecy, with), l.figure(&secrecy, without));
    l.sum(fa, vec![fw, fwo]);
    let fb: Vec<usize> = bins.iter().map(|&w| l.figure(&secrecy, w)).collect();
    l.sum(fw, fb.clone());
    let used: Vec<usize> = (0..MODES.len()).filter(|&m| mode_w[m].weight != 0).collect();
    let fm: Vec<usize> = used.iter().map(|&m| l.figure(&secrecy, mode_w[m])).collect();
    l.sum(fw, fm.clone());
    let methods: Vec<(Method, usize, usize)> =
        methods.into_iter().map(|(m, (pairs, w))| (m, pairs.len(), l.figure(&secrecy, w))).collect();
    l.sum(fw, methods.iter().map(|x| x.2).collect());
    l.protect();
    let histogram = bins
        .iter()
        .enumerate()
        .map(|(k, _)| Bin {
            from_km: if k == 0 { 0.0 } else { BINS[k - 1] },
            to_km: BINS.get(k).copied(),
            workers: l.count(fb[k]),
            share: l.count(fb[k]).pct_of(l.count(fw)),
        })
        .collect();
    let mut co2 = Some(0.0);
    let by_mode = used
        .iter()
        .zip(&fm)
        .map(|(&m, &k)| {
            let t = p.factor(m as u8).map(|f| mode_km[m] * f * p.working_days / 1000.0);
            co2 = match (co2, t) {
                (Some(a), Some(b)) => Some(a + b),
                _ => None,
            };
            let shown = !l.is_secret(k);
            ModeKm {
                mode: MODES[m].1.to_string(),
                workers: l.count(k),
                km_per_day: shown.then_some(mode_km[m]),
                co2_t_per_year: t.filter(|_| shown),
            }
        })
        .collect();
    Ok(DistanceReport {
        territory: t.map(|t| t.to_string()),
        name: t.and_then(|t| r.name(t)).map(str::to_string),
        method: p.method_on(pos),
        network: pos.roads.as_ref().map(|r| r.network.clone()),
        by_method: methods
            .into_iter()
            .map(|(m, flows, k)| MethodCount { method: m, label: p.label(pos, m), flows, workers: l.count(k) })
            .collect(),
        params: *p,
        workers: l.count(fa),
        workers_without_distance: l.count(fwo),
        mean_km: (travelling != 0).then(|| km_one_way / workers(travelling)),
        histogram,
        km_per_day: mode_km.iter().sum(),
        by_mode,
        co2_t_per_year: co2,
        secrecy,
        unit: UNIT.to_string(),
        source_line: flows.provenance.line(),
        provenance: flows.provenance.clone(),
    })
}

/// One commune-to-commune flow with its distance, for flow tables and maps.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FlowLine {
    /// Key of the commune of residence.
    pub origin: String,
    /// Its name.
    pub origin_name: String,
    /// Key of the commune of work; `None` abroad or unknown.
    pub dest: Option<String>,
    /// Its name.
    pub dest_name: Option<String>,
    /// Workers; `null` when secret.
    pub workers: Count,
    /// Under the secrecy threshold: `workers` is withheld.
    pub secret: bool,
    /// One-way distance, km.
    pub km: Option<f64>,
    /// How `km` was made (`None` without a distance).
    pub method: Option<Method>,
    /// Time of the fastest route, minutes, when `km` is a road distance.
    pub road_minutes: Option<f64>,
    /// Origin and destination positions (lon, lat), for maps.
    #[schema(value_type = Option<Vec<f64>>)]
    pub from: Option<(f64, f64)>,
    /// Destination position (lon, lat).
    #[schema(value_type = Option<Vec<f64>>)]
    pub to: Option<(f64, f64)>,
}

/// The commune-to-commune flows from or to `t`, largest first, all modes together,
/// with secrecy applied (a secret flow keeps its ends but not its count).
pub fn flow_lines(
    flows: &Flows,
    r: &Referential,
    pos: &Positions,
    t: &TerritoryRef,
    p: &DistanceParams,
    secrecy: Secrecy,
) -> Result<Vec<FlowLine>, MobilityError> {
    p.validate()?;
    secrecy.validate()?;
    let mask = member_mask(r, t)?;
    let mut pairs: std::collections::HashMap<(u32, u32), Tally> = std::collections::HashMap::new();
    for f in &flows.flows {
        if inside(&mask, f.origin) || inside(&mask, f.dest) {
            *pairs.entry((f.origin, f.dest)).or_default() += f.tally();
        }
    }
    let mut v: Vec<((u32, u32), Tally)> = pairs.into_iter().collect();
    v.sort_by(|a, b| secrecy.published(b.1).cmp(&secrecy.published(a.1)).then(a.0.cmp(&b.0)));
    let c = r.communes();
    Ok(v.into_iter()
        .map(|((o, d), w)| {
            let shown = secrecy.count(w);
            let how = p.km_how(pos, o, d);
            FlowLine {
                origin: c[o as usize].code.clone(),
                origin_name: c[o as usize].name.clone(),
                dest: (d != NONE).then(|| c[d as usize].code.clone()),
                dest_name: (d != NONE).then(|| c[d as usize].name.clone()),
                workers: shown,
                secret: shown.is_secret(),
                km: how.map(|h| h.0),
                method: how.map(|h| h.1),
                road_minutes: match how {
                    Some((_, Method::Road)) => pos.roads.as_ref().and_then(|x| x.get(o, d)).map(|x| x.minutes),
                    _ => None,
                },
                from: pos.get(o),
                to: pos.get(d),
            }
        })
        .collect())
}
