//! Access per territory, for the command line (`echelle access diagnose`) and the
//! server (`/api/access/diagnose`, `/api/access/times`) alike: a territory's member
//! communes (or IRIS) to the run's origins, the population left out and why counted,
//! each facility type and basket summed up ([`crate::diagnostics`]), and the times of
//! the communes of a territory.

use std::collections::{HashMap, HashSet};

use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::Serialize;

use crate::access::AccessRun;
use crate::defaults::MAX_PARTS;
use crate::diagnostics::{self, Basket, Weighted};
use crate::error::{AccessError, Result};
use crate::iris::IrisPopulation;
use crate::origin_kind::Unit;

/// What the origins of a run are, as the server states it with every answer.
pub const COMMUNE_ORIGINS: &str = "commune contour centroids of the pack, weighted by municipal population";

/// The same, for diagnostics: communes without an origin are counted, not dropped.
pub const COMMUNE_ORIGINS_DIAGNOSE: &str = "commune contour centroids of the pack, weighted by municipal population; \
     communes without contour (or too far from a road) are left out and counted";

/// How the members of a territory are matched to the origins of a run.
#[derive(Debug, Clone, Copy)]
pub enum Members<'a> {
    /// Origins are communes (ids: commune codes), weighted by the municipal population.
    Communes,
    /// Origins are IRIS (ids: IRIS codes), with the store's IRIS population.
    Iris(&'a IrisPopulation),
}

impl Members<'_> {
    /// Whether the run's origins are communes or IRIS.
    pub fn unit(&self) -> Unit {
        match self {
            Members::Communes => Unit::Communes,
            Members::Iris(_) => Unit::Iris,
        }
    }
}

/// The share of a population beyond a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Beyond {
    /// The threshold, minutes.
    pub threshold_min: f64,
    /// Between 0 and 1.
    pub share: f64,
}

/// One territory's access to one facility type or basket.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TerritoryAccess {
    /// The territory's key (`dep:62`).
    pub territory: String,
    /// Its name, as published.
    pub name: Option<String>,
    /// `dep:62 (Pas-de-Calais)`, as messages and tables show it.
    #[serde(skip)]
    pub described: String,
    /// The facility type, or `basket: NAME`.
    pub what: String,
    /// Communes used (commune origins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communes: Option<usize>,
    /// Communes left out: no origin, or too far from any road.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub communes_left_out: Option<usize>,
    /// IRIS used (IRIS origins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iris: Option<usize>,
    /// IRIS left out: no contour in the file, or too far from any road.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iris_left_out: Option<usize>,
    /// Population of the origins used.
    pub population: f64,
    /// Population-weighted mean and median, minutes, over the reached population.
    pub mean_min: Option<f64>,
    /// … and the weighted median.
    pub median_min: Option<f64>,
    /// Share of the population beyond each threshold (the unreached included).
    pub beyond: Vec<Beyond>,
    /// Population for which nothing is reachable.
    pub unreached_population: f64,
    /// Population of the units left out.
    pub population_left_out: u64,
}

impl TerritoryAccess {
    /// Units (communes or IRIS) used.
    pub fn used(&self) -> usize {
        self.communes.or(self.iris).unwrap_or(0)
    }

    /// Units left out.
    pub fn left_out(&self) -> usize {
        self.communes_left_out.or(self.iris_left_out).unwrap_or(0)
    }
}

/// Each territory's access to each facility type of the run, then to each basket.
pub fn diagnose(
    run: &AccessRun,
    r: &Referential,
    territories: &[TerritoryRef],
    members: Members<'_>,
    baskets: &[Basket],
    thresholds_min: &[f64],
) -> Result<Vec<TerritoryAccess>> {
    let kinds: Vec<&str> = run.types.iter().map(|t| t.kind.as_str()).collect();
    let index: HashMap<&str, usize> = run.origins.iter().enumerate().map(|(i, o)| (o.point.id.as_str(), i)).collect();
    let time = |t: usize, o: usize| -> Option<f64> {
        if run.origins[o].excluded.is_some() { None } else { run.types[t].nearest[o].first().map(|x| x.time_s) }
    };
    let weight = |o: usize| run.origins[o].point.weight.unwrap_or(0.0);
    let mut rows = Vec::new();
    for tref in territories {
        // The code and population of each member of the territory.
        let codes: Vec<(&str, u64)> = match members {
            Members::Iris(pop) => r
                .iris_members(tref)
                .map_err(AccessError::Referential)?
                .into_iter()
                .map(|i| {
                    let code = r.iris()[i as usize].code.as_str();
                    (code, pop.iris.get(code).map_or(0, |p| p.0 as u64))
                })
                .collect(),
            Members::Communes => r
                .members(tref)
                .map_err(AccessError::Referential)?
                .iter()
                .map(|&m| {
                    let c = &r.communes()[m as usize];
                    (c.code.as_str(), c.population.unwrap_or(0))
                })
                .collect(),
        };
        let (mut used, mut missing, mut missing_pop) = (Vec::new(), 0usize, 0u64);
        for (code, population) in codes {
            match index.get(code) {
                Some(&o) if run.origins[o].excluded.is_none() => used.push(o),
                _ => {
                    missing += 1;
                    missing_pop += population;
                }
            }
        }
        let mut items: Vec<(String, Vec<Weighted>)> = (0..run.types.len())
            .map(|t| {
                let w = used.iter().map(|&o| Weighted { weight: weight(o), time_s: time(t, o) }).collect();
                (run.types[t].kind.clone(), w)
            })
            .collect();
        for b in baskets {
            let idx: Vec<usize> = b.types.iter().filter_map(|k| kinds.iter().position(|x| x == k)).collect();
            let w = used
                .iter()
                .map(|&o| Weighted {
                    weight: weight(o),
                    time_s: diagnostics::basket_time(&idx.iter().map(|&t| time(t, o)).collect::<Vec<_>>()),
                })
                .collect();
            items.push((format!("basket: {}", b.name), w));
        }
        let (n, left) = (Some(used.len()), Some(missing));
        let (communes, communes_left_out, iris, iris_left_out) = match members.unit() {
            Unit::Communes => (n, left, None, None),
            Unit::Iris => (None, None, n, left),
        };
        for (what, values) in items {
            let s = diagnostics::summarize(&values, thresholds_min);
            rows.push(TerritoryAccess {
                territory: tref.key(),
                name: r.name(tref).map(str::to_string),
                described: r.describe(tref),
                what,
                communes,
                communes_left_out,
                iris,
                iris_left_out,
                population: s.population,
                mean_min: s.mean_min,
                median_min: s.median_min,
                beyond: s.beyond.iter().map(|&(threshold_min, share)| Beyond { threshold_min, share }).collect(),
                unreached_population: s.unreached_population,
                population_left_out: missing_pop,
            });
        }
    }
    Ok(rows)
}

/// The territory and, with `parts`, each territory of that layer inside it (communes,
/// EPCI, arrondissements, départements or régions; at most [`MAX_PARTS`]).
pub fn with_parts(r: &Referential, t: &TerritoryRef, parts: Option<Layer>) -> Result<Vec<TerritoryRef>> {
    let mut all = vec![t.clone()];
    let Some(layer) = parts else { return Ok(all) };
    if matches!(layer, Layer::Iris | Layer::Country | Layer::Perimeter) {
        return Err(AccessError::Invalid(format!(
            "layer '{}': parts must be communes, EPCI, arrondissements, départements or régions",
            layer.prefix()
        )));
    }
    let inside = r.territories_within(layer, Some(t)).map_err(AccessError::Referential)?;
    if inside.len() > MAX_PARTS {
        return Err(AccessError::Invalid(format!(
            "{} territories of layer '{}' inside {t}: at most {MAX_PARTS}",
            inside.len(),
            layer.prefix()
        )));
    }
    all.extend(inside.into_iter().filter(|p| p != t));
    Ok(all)
}

/// One commune's time to the nearest facility of the run's first type.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CommuneTime {
    /// The commune code.
    pub code: String,
    /// Its name.
    pub name: Option<String>,
    /// Its municipal population (the origin's weight).
    pub population: Option<f64>,
    /// `None`: nothing reachable, or the commune is left out (`excluded`).
    pub minutes: Option<f64>,
    /// Length of that route, km.
    pub km: Option<f64>,
    /// Why the commune is left out (too far from any road).
    pub excluded: Option<String>,
}

/// A facility used by a run.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FacilityPoint {
    /// Its id in the facility file.
    pub id: String,
    /// Its name, when the file gives one.
    pub name: Option<String>,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
}

/// The times of the communes of a territory.
#[derive(Debug, Clone, PartialEq)]
pub struct CommuneTimes {
    /// The communes placed, one per origin of the territory.
    pub communes: Vec<CommuneTime>,
    /// Communes of the territory without an origin (no contour).
    pub communes_left_out: usize,
    /// The facilities of the run's first type.
    pub facility_points: Vec<FacilityPoint>,
}

/// The time of every commune of `within` (every commune if `None`) placed by the run,
/// on its first facility type.
pub fn commune_times(run: &AccessRun, r: &Referential, within: Option<&TerritoryRef>) -> Result<CommuneTimes> {
    let codes: Option<HashSet<&str>> = match within {
        Some(w) => Some(
            r.members(w)
                .map_err(AccessError::Referential)?
                .iter()
                .map(|&i| r.communes()[i as usize].code.as_str())
                .collect(),
        ),
        None => None,
    };
    let first = run.types.first();
    let mut communes = Vec::new();
    let mut placed = HashSet::new();
    for (o, origin) in run.origins.iter().enumerate() {
        let code = origin.point.id.as_str();
        if codes.as_ref().is_some_and(|c| !c.contains(code)) {
            continue;
        }
        placed.insert(code);
        let reach = if origin.excluded.is_some() { None } else { first.and_then(|t| t.nearest[o].first()) };
        communes.push(CommuneTime {
            code: code.to_string(),
            name: origin.point.name.clone(),
            population: origin.point.weight,
            minutes: reach.map(|x| x.time_s / 60.0),
            km: reach.map(|x| x.distance_m / 1000.0),
            excluded: origin.excluded.clone(),
        });
    }
    let communes_left_out = match &codes {
        Some(c) => c.iter().filter(|c| !placed.contains(*c)).count(),
        None => r.communes().len() - placed.len(),
    };
    let facility_points = first
        .map(|t| {
            t.facilities
                .iter()
                .map(|(p, _)| FacilityPoint { id: p.id.clone(), name: p.name.clone(), lon: p.lon, lat: p.lat })
                .collect()
        })
        .unwrap_or_default();
    Ok(CommuneTimes { communes, communes_left_out, facility_points })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use echelle_store::Store;
    use echelle_store::testing::test_store;

    use super::*;
    use crate::access::{PlacedOrigin, Reach, TypeAccess};
    use crate::method::Method;
    use crate::points::Point;

    fn point(id: &str, weight: f64) -> Point {
        Point {
            id: id.into(),
            kind: "commune".into(),
            name: Some(id.into()),
            lon: 3.0,
            lat: 50.6,
            weight: Some(weight),
        }
    }

    /// Lille reaches the facility in 10 minutes, Villeneuve-d'Ascq is off the network,
    /// Roubaix reaches nothing.
    fn run() -> AccessRun {
        let origins = vec![
            PlacedOrigin { point: point("59350", 200.0), snap_m: Some(5.0), excluded: None },
            PlacedOrigin { point: point("59009", 50.0), snap_m: None, excluded: Some("too far".into()) },
            PlacedOrigin { point: point("59512", 100.0), snap_m: Some(3.0), excluded: None },
        ];
        let reach = Reach { time_s: 600.0, distance_m: 9000.0, facility: 0 };
        let types = vec![TypeAccess {
            kind: "médecin".into(),
            facilities: vec![(point("f", 0.0), 1.0)],
            excluded: vec![],
            nearest: vec![vec![reach], vec![reach], vec![]],
            within: None,
        }];
        let method = Method::Road { network: "n".into(), profile: "car".into(), synthetic: true, max_snap_m: 1000.0 };
        AccessRun { mode: method.mode(), straight_line: false, method, origins, types }
    }

    #[test]
    fn members_to_origins_left_out_and_baskets() {
        let r = Store::open(test_store()).unwrap().referential().unwrap();
        let mel = r.resolve("epci:200093201").unwrap();
        let lille = r.resolve("com:59350").unwrap();
        let basket = Basket { name: "courant".into(), types: vec!["médecin".into()] };
        let rows = diagnose(&run(), &r, &[mel.clone(), lille], Members::Communes, &[basket], &[7.0, 20.0]).unwrap();
        assert_eq!(rows.len(), 4);
        let members = r.members(&mel).unwrap();
        let pop = |code: &str| r.commune(code).unwrap().population.unwrap();
        let all: u64 = members.iter().map(|&m| r.communes()[m as usize].population.unwrap_or(0)).sum();
        let m = &rows[0];
        assert_eq!((m.what.as_str(), m.communes, m.iris), ("médecin", Some(2), None));
        assert_eq!(m.communes_left_out, Some(members.len() - 2));
        // Villeneuve-d'Ascq is off the network: left out with its population.
        assert_eq!(m.population_left_out, all - pop("59350") - pop("59512"));
        assert_eq!((m.population, m.unreached_population), (300.0, 100.0));
        assert_eq!((m.mean_min, m.median_min), (Some(10.0), Some(10.0)));
        assert_eq!(
            m.beyond,
            vec![Beyond { threshold_min: 7.0, share: 1.0 }, Beyond { threshold_min: 20.0, share: 1.0 / 3.0 }]
        );
        assert_eq!(m.name.as_deref(), r.name(&mel));
        assert_eq!(m.described, r.describe(&mel));
        assert_eq!(rows[1].what, "basket: courant");
        assert_eq!(rows[1].mean_min, m.mean_min);
        assert_eq!((rows[2].territory.as_str(), rows[2].used(), rows[2].left_out()), ("com:59350", 1, 0));
        // Serialised, the counts are named after the unit.
        let j = serde_json::to_value(&rows[2]).unwrap();
        assert_eq!((j["communes"].as_u64(), j.get("iris"), j.get("described")), (Some(1), None, None));
    }

    #[test]
    fn iris_origins_count_in_their_commune() {
        let r = Store::open(test_store()).unwrap().referential().unwrap();
        let lille = r.resolve("com:59350").unwrap();
        let codes: Vec<String> =
            r.iris_members(&lille).unwrap().iter().map(|&i| r.iris()[i as usize].code.clone()).collect();
        assert!(codes.len() > 50);
        let mut run = run();
        run.origins.truncate(1);
        run.types[0].nearest.truncate(1);
        run.origins[0].point.id = codes[0].clone();
        let pop = IrisPopulation {
            iris: codes.iter().map(|c| (c.clone(), (10.0, c.clone()))).collect::<HashMap<_, _>>(),
            vintage: "RP test".into(),
        };
        let rows = diagnose(&run, &r, &[lille], Members::Iris(&pop), &[], &[7.0]).unwrap();
        assert_eq!((rows[0].iris, rows[0].iris_left_out, rows[0].communes), (Some(1), Some(codes.len() - 1), None));
        assert_eq!(rows[0].population_left_out, 10 * (codes.len() as u64 - 1));
    }

    #[test]
    fn parts_and_commune_times() {
        let r = Store::open(test_store()).unwrap().referential().unwrap();
        let dep = r.resolve("dep:59").unwrap();
        let parts = with_parts(&r, &dep, Some(Layer::Epci)).unwrap();
        assert_eq!(parts[0], dep);
        assert!(parts.len() > 10 && parts[1..].iter().all(|p| p.layer == Layer::Epci));
        assert_eq!(with_parts(&r, &dep, None).unwrap(), vec![dep.clone()]);
        for l in [Layer::Iris, Layer::Country, Layer::Perimeter] {
            assert!(with_parts(&r, &dep, Some(l)).unwrap_err().is_user_error());
        }
        let mel = r.resolve("epci:200093201").unwrap();
        let t = commune_times(&run(), &r, Some(&mel)).unwrap();
        assert_eq!(t.communes.len(), 3);
        assert_eq!(t.communes_left_out, r.members(&mel).unwrap().len() - 3);
        assert_eq!((t.communes[0].minutes, t.communes[0].km), (Some(10.0), Some(9.0)));
        assert_eq!((t.communes[1].minutes, t.communes[1].excluded.as_deref()), (None, Some("too far")));
        assert_eq!(t.communes[2].minutes, None);
        assert_eq!(t.facility_points.len(), 1);
        let everywhere = commune_times(&run(), &r, None).unwrap();
        assert_eq!(everywhere.communes_left_out, r.communes().len() - 3);
    }
}
