//! Commune contours reconciled to the current geography.
//!
//! The contours at hand are of 2018; communes have merged since. A commune actuelle
//! takes the union of the 2018 shapes found under its own code, its former codes and
//! the codes of its communes déléguées and associées. What cannot be matched is
//! reported with its reason, never guessed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use geo::orient::{Direction, Orient};
use geo::{BooleanOps, GeodesicArea, MultiPolygon, Polygon};
use rayon::prelude::*;
use serde_json::Value;

use crate::StoreError;

/// A 2018 contour as read from the GeoJSON file.
pub(crate) struct Contour {
    pub name: String,
    pub shape: MultiPolygon<f64>,
}

/// A commune actuelle's reconciled shape.
pub(crate) struct Shape {
    pub shape: MultiPolygon<f64>,
    pub area_km2: f64,
    /// The 2018 codes it was built from.
    pub from: Vec<String>,
}

/// Reads the contours from one GeoJSON file or from every `.geojson` file of a folder
/// (the national set comes as one file per département); a code found twice is an
/// error naming both files. Returns the contours and the number of files read.
pub(crate) fn read_contours_source(path: &Path) -> Result<(BTreeMap<String, Contour>, usize), StoreError> {
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| StoreError::io(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("geojson")))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(StoreError::source(path, "no .geojson file in this folder"));
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    let read: Vec<BTreeMap<String, Contour>> = files.par_iter().map(|f| read_geojson(f)).collect::<Result<_, _>>()?;
    let mut out: BTreeMap<String, Contour> = BTreeMap::new();
    let mut origin: HashMap<String, usize> = HashMap::new();
    for (i, part) in read.into_iter().enumerate() {
        for (code, contour) in part {
            if let Some(&first) = origin.get(&code) {
                return Err(StoreError::source(
                    &files[i],
                    format!("commune {code} is also in {}: a commune has one contour", files[first].display()),
                ));
            }
            origin.insert(code.clone(), i);
            out.insert(code, contour);
        }
    }
    Ok((out, files.len()))
}

/// Reads a GeoJSON FeatureCollection with `code` and `nom` properties (WGS84).
fn read_geojson(path: &Path) -> Result<BTreeMap<String, Contour>, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| StoreError::source(path, format!("line {}, column {}: {e}", e.line(), e.column())))?;
    let features =
        value["features"].as_array().ok_or_else(|| StoreError::source(path, "not a GeoJSON FeatureCollection"))?;
    let mut out = BTreeMap::new();
    for (i, f) in features.iter().enumerate() {
        let bad = |m: &str| StoreError::source(path, format!("feature {i}: {m}"));
        let code = f["properties"]["code"].as_str().ok_or_else(|| bad("no 'code' property"))?;
        let name = f["properties"]["nom"].as_str().unwrap_or_default();
        let shape = geometry(&f["geometry"]).ok_or_else(|| bad("geometry is not a valid Polygon or MultiPolygon"))?;
        if out.insert(code.to_string(), Contour { name: name.to_string(), shape }).is_some() {
            return Err(bad(&format!("commune {code} appears twice")));
        }
    }
    Ok(out)
}

fn geometry(g: &Value) -> Option<MultiPolygon<f64>> {
    let coords = &g["coordinates"];
    match g["type"].as_str()? {
        "Polygon" => Some(MultiPolygon(vec![polygon(coords)?])),
        "MultiPolygon" => Some(MultiPolygon(coords.as_array()?.iter().map(polygon).collect::<Option<_>>()?)),
        _ => None,
    }
}

fn polygon(rings: &Value) -> Option<Polygon<f64>> {
    let mut rings = rings.as_array()?.iter().map(|ring| {
        ring.as_array()?
            .iter()
            .map(|p| Some(geo::coord! { x: p.get(0)?.as_f64()?, y: p.get(1)?.as_f64()? }))
            .collect::<Option<Vec<_>>>()
            .map(geo::LineString::new)
    });
    let exterior = rings.next()??;
    Some(Polygon::new(exterior, rings.collect::<Option<Vec<_>>>()?))
}

/// The outcome of the reconciliation.
pub(crate) struct Reconciled {
    pub shapes: HashMap<String, Shape>,
    /// (commune code, name, reason), for communes of the regions the contours cover.
    pub missing: Vec<(String, String, String)>,
    /// 2018 contours that no commune actuelle took, with the reason.
    pub unused: Vec<(String, String, String)>,
    /// (commune code, name) of the regions no contour covers (the overseas
    /// collectivities with the national set).
    pub outside: Vec<(String, String)>,
    /// Communes without a shape whose land is inside another commune's 2018 contour
    /// (re-established since 2018): their area counts in that commune's.
    pub elsewhere: std::collections::HashSet<String>,
}

/// How a commune actuelle is tied to a 2018 code: its own code or a current commune
/// déléguée/associée (`Current`) outweighs a code it had in the past (`Former`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Tie {
    Former,
    Current,
}

/// A commune actuelle: (code, name, région, candidate 2018 codes with their tie).
pub(crate) type Claimant = (String, String, String, Vec<(String, Tie)>);

/// What became of one commune actuelle.
enum Outcome {
    Shaped(Shape),
    Missing(String),
    /// Missing, its land inside another commune's 2018 contour.
    Elsewhere(String),
    Outside,
}

/// Gives each commune actuelle the union of the 2018 shapes of its codes.
///
/// `communes` are (code, name, region, candidate 2018 codes with their tie).
/// A 2018 contour claimed by two communes actuelles goes to the one with the stronger
/// [`Tie`]; when they tie (a commune split since 2018) it goes to neither: nothing at
/// hand says where the line runs, and giving it to both would count its area twice.
pub(crate) fn reconcile(
    contours: &BTreeMap<String, Contour>,
    communes: &[Claimant],
    progress: impl Fn() + Sync,
) -> Reconciled {
    // Each contour goes to the claimant with the strongest tie to it, if only one has it.
    let mut claims: HashMap<&str, Vec<(&str, Tie)>> = HashMap::new();
    for (code, _, _, candidates) in communes {
        for (c, tie) in candidates {
            if contours.contains_key(c) {
                let v = claims.entry(c.as_str()).or_default();
                match v.iter_mut().find(|(k, _)| k == code) {
                    Some(k) => k.1 = k.1.max(*tie),
                    None => v.push((code, *tie)),
                }
            }
        }
    }
    let owner: HashMap<&str, Option<&str>> = claims
        .iter()
        .map(|(c, v)| {
            let best = v.iter().map(|k| k.1).max();
            let strongest: Vec<&str> = v.iter().filter(|k| Some(k.1) == best).map(|k| k.0).collect();
            (*c, (strongest.len() == 1).then(|| strongest[0]))
        })
        .collect();
    let covered: std::collections::HashSet<&str> = communes
        .iter()
        .filter(|(_, _, _, cands)| cands.iter().any(|c| contours.contains_key(&c.0)))
        .map(|(_, _, region, _)| region.as_str())
        .collect();
    let outcomes: Vec<Outcome> = communes
        .par_iter()
        .map(|(code, _, region, candidates)| {
            progress();
            let mut mine: Vec<&String> =
                candidates.iter().map(|c| &c.0).filter(|c| contours.contains_key(*c)).collect();
            mine.sort();
            mine.dedup();
            let shared: Vec<&String> = mine.iter().copied().filter(|c| owner[c.as_str()].is_none()).collect();
            let from: Vec<String> =
                mine.iter().filter(|c| owner[c.as_str()] == Some(code.as_str())).map(|c| c.to_string()).collect();
            if !shared.is_empty() {
                let others: Vec<&str> =
                    shared.iter().flat_map(|c| claims[c.as_str()].iter().map(|k| k.0)).filter(|o| o != code).collect();
                return Outcome::Missing(format!(
                    "split or re-established since 2018: its 2018 contour {} also goes to {}, and nothing at hand \
                     says where the line between them runs; that contour is given to neither (its area counts in \
                     no territory)",
                    shared.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
                    others.join(", ")
                ));
            }
            if from.is_empty() && mine.is_empty() {
                if !covered.contains(region.as_str()) {
                    return Outcome::Outside;
                }
                return if candidates.len() > 1 {
                    let codes: Vec<&str> = candidates.iter().map(|c| c.0.as_str()).collect();
                    Outcome::Missing(format!("no 2018 contour under its code or former codes ({})", codes.join(", ")))
                } else {
                    Outcome::Elsewhere(format!(
                        "no 2018 contour under its code {code}, and no former code: a commune re-established since \
                         2018 (its land is then still inside the 2018 contour of the commune nouvelle it had joined, \
                         which keeps it whole: no source at hand says which); its area counts in that commune's"
                    ))
                };
            }
            if from.is_empty() {
                let theirs: Vec<String> =
                    mine.iter().map(|c| format!("{c} (to {})", owner[c.as_str()].unwrap_or("nobody"))).collect();
                return Outcome::Missing(format!(
                    "its 2018 contours went to communes more closely tied to them (a current commune déléguée or \
                     the same code beats a former code): {}",
                    theirs.join(", ")
                ));
            }
            let mut union = contours[&from[0]].shape.clone();
            for c in &from[1..] {
                union = union.union(&contours[c].shape);
            }
            // Rings must wind the standard way: the geodesic area of a reversed ring is
            // the rest of the Earth.
            let union = union.orient(Direction::Default);
            let area_km2 = union.geodesic_area_unsigned() / 1e6;
            Outcome::Shaped(Shape { shape: union, area_km2, from })
        })
        .collect();
    let mut shapes = HashMap::new();
    let mut missing = Vec::new();
    let mut outside = Vec::new();
    let mut elsewhere = std::collections::HashSet::new();
    for ((code, name, _, _), outcome) in communes.iter().zip(outcomes) {
        match outcome {
            Outcome::Shaped(s) => {
                shapes.insert(code.clone(), s);
            }
            Outcome::Missing(why) => missing.push((code.clone(), name.clone(), why)),
            Outcome::Elsewhere(why) => {
                elsewhere.insert(code.clone());
                missing.push((code.clone(), name.clone(), why));
            }
            Outcome::Outside => outside.push((code.clone(), name.clone())),
        }
    }
    let unused = contours
        .iter()
        .filter_map(|(code, c)| {
            let why = match claims.get(code.as_str()) {
                None => "no commune actuelle has this code among its current or former codes".to_string(),
                Some(v) if owner[code.as_str()].is_none() => format!(
                    "claimed alike by {} (a commune split since 2018): given to none",
                    v.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                ),
                Some(_) => return None,
            };
            Some((code.clone(), c.name.clone(), why))
        })
        .collect();
    missing.sort();
    outside.sort();
    Reconciled { shapes, missing, unused, outside, elsewhere }
}
