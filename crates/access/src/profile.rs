//! Travel profiles: which OpenStreetMap ways a car or a pedestrian may use, and how
//! fast.
//!
//! The car speeds by road class are those of OSRM's car profile (`car.lua`,
//! `speed_profile`), the engine INSEE uses for its access times: they are typical
//! travel speeds, not limits. A tagged `maxspeed` overrides the class speed, times
//! `maxspeed_factor` (0.8 in OSRM too: nobody drives at the limit everywhere). French
//! implicit limits (`FR:urban` 50, `FR:rural` 80, `FR:motorway` 130) are understood.
//! Walking is 5 km/h on every way a pedestrian may use, in both directions.
//!
//! A profile file (TOML) overrides any of it; a key echelle does not know is an
//! error, never silently ignored (a typo would otherwise change every result):
//!
//! ```toml
//! mode = "drive"            # drive | walk
//! maxspeed_factor = 0.8
//! [speeds]                  # km/h by highway=* value
//! residential = 30
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{AccessError, Result};

/// Whether ways are read as a driver or as a pedestrian reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Motor vehicles: one-way streets, vehicle access tags and `maxspeed` are obeyed.
    Drive,
    /// On foot: every way both ways, foot access tags obeyed, at a walking speed.
    Walk,
}

/// A travel profile: the usable road classes and their speeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The profile's name (`drive`, `walk`, or the file's).
    pub name: String,
    /// How ways are read.
    pub mode: Mode,
    /// km/h by `highway=*` value; a class absent from the map is not usable.
    pub speeds: BTreeMap<String, f64>,
    /// Share of a tagged `maxspeed` actually driven (drive mode only).
    pub maxspeed_factor: f64,
}

/// Every `highway=*` value a profile may name (OSM wiki, "Key:highway"): a name
/// outside this list is a typo.
pub const HIGHWAY_CLASSES: &[&str] = &[
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "service",
    "road",
    "track",
    "pedestrian",
    "footway",
    "path",
    "steps",
    "cycleway",
    "bridleway",
    "corridor",
    "busway",
    "bus_guideway",
    "escape",
    "raceway",
];

const DRIVE_SPEEDS: &[(&str, f64)] = &[
    ("motorway", 90.0),
    ("motorway_link", 45.0),
    ("trunk", 85.0),
    ("trunk_link", 40.0),
    ("primary", 65.0),
    ("primary_link", 30.0),
    ("secondary", 55.0),
    ("secondary_link", 25.0),
    ("tertiary", 40.0),
    ("tertiary_link", 20.0),
    ("unclassified", 25.0),
    ("residential", 25.0),
    ("living_street", 10.0),
    ("service", 15.0),
];

/// The classes closed to pedestrians: motorways, trunk roads, bus-only ways,
/// escape lanes and raceways. Every other class of [`HIGHWAY_CLASSES`] is walkable.
const NOT_WALKABLE: &[&str] =
    &["motorway", "motorway_link", "trunk", "trunk_link", "busway", "bus_guideway", "escape", "raceway"];

/// Walking speed, km/h.
pub const WALK_SPEED_KMH: f64 = 5.0;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    name: Option<String>,
    mode: Option<Mode>,
    maxspeed_factor: Option<f64>,
    /// Replaces the whole table when `replace_speeds = true`, else overrides entries.
    #[serde(default)]
    replace_speeds: bool,
    #[serde(default)]
    speeds: BTreeMap<String, f64>,
}

impl Profile {
    /// The car profile (OSRM's speeds).
    pub fn drive() -> Self {
        Profile {
            name: "drive".into(),
            mode: Mode::Drive,
            speeds: DRIVE_SPEEDS.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
            maxspeed_factor: 0.8,
        }
    }

    /// The pedestrian profile: 5 km/h, no motorway or trunk, one-way streets ignored.
    pub fn walk() -> Self {
        Profile {
            name: "walk".into(),
            mode: Mode::Walk,
            speeds: HIGHWAY_CLASSES
                .iter()
                .filter(|k| !NOT_WALKABLE.contains(k))
                .map(|k| (k.to_string(), WALK_SPEED_KMH))
                .collect(),
            maxspeed_factor: 1.0,
        }
    }

    /// `drive`, `walk`, or else the text of a profile file (`origin` names it in errors).
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "drive" | "car" => Some(Self::drive()),
            "walk" | "foot" => Some(Self::walk()),
            _ => None,
        }
    }

    /// Parses a profile file: it starts from the built-in profile of its `mode`
    /// (drive by default) and overrides what it names.
    pub fn parse(origin: &str, text: &str) -> Result<Self> {
        let err = |message: String| AccessError::Profile { origin: origin.to_string(), message };
        let file: ProfileFile = toml::from_str(text).map_err(|e| err(e.to_string()))?;
        let mut p = match file.mode.unwrap_or(Mode::Drive) {
            Mode::Drive => Self::drive(),
            Mode::Walk => Self::walk(),
        };
        if let Some(n) = file.name {
            p.name = n;
        }
        if let Some(f) = file.maxspeed_factor {
            if !(f > 0.0 && f <= 2.0) {
                return Err(err(format!("maxspeed_factor must be in (0, 2], got {f}")));
            }
            p.maxspeed_factor = f;
        }
        if file.replace_speeds {
            p.speeds.clear();
        }
        for (class, speed) in file.speeds {
            if !HIGHWAY_CLASSES.contains(&class.as_str()) {
                return Err(err(format!(
                    "unknown road class '{class}' in [speeds] (known highway values: {})",
                    HIGHWAY_CLASSES.join(", ")
                )));
            }
            if !(speed.is_finite() && (0.0..=300.0).contains(&speed)) {
                return Err(err(format!("speed of '{class}' must be between 0 and 300 km/h, got {speed}")));
            }
            if speed == 0.0 {
                p.speeds.remove(&class);
            } else {
                p.speeds.insert(class, speed);
            }
        }
        if p.speeds.is_empty() {
            return Err(err("no road class left with a speed".into()));
        }
        Ok(p)
    }

    /// The speed (km/h) on a way with these tags, or `None` if the profile may not use
    /// it. `tag` looks a key up.
    pub fn speed<'a>(&self, tag: impl Fn(&str) -> Option<&'a str>) -> Option<f64> {
        let class = tag("highway")?;
        let base = *self.speeds.get(class)?;
        if tag("area") == Some("yes") {
            return None;
        }
        let no = |k: &str| matches!(tag(k), Some("no" | "private" | "agricultural" | "forestry" | "delivery"));
        let yes = |k: &str| matches!(tag(k), Some("yes" | "designated" | "permissive" | "destination"));
        match self.mode {
            Mode::Drive => {
                if no("motor_vehicle") || no("motorcar") || (no("access") && !yes("motor_vehicle") && !yes("motorcar"))
                {
                    return None;
                }
                let limit = tag("maxspeed").and_then(parse_maxspeed);
                Some(match limit {
                    Some(l) => (l * self.maxspeed_factor).max(1.0),
                    None => base,
                })
            }
            Mode::Walk => {
                if no("foot") || (no("access") && !yes("foot")) {
                    return None;
                }
                Some(base)
            }
        }
    }

    /// Which directions a way may be travelled: (forward, backward).
    pub fn directions<'a>(&self, tag: impl Fn(&str) -> Option<&'a str>) -> (bool, bool) {
        if self.mode == Mode::Walk {
            return (true, true);
        }
        match tag("oneway") {
            Some("yes" | "true" | "1") => (true, false),
            Some("-1" | "reverse") => (false, true),
            Some("no" | "false" | "0") => (true, true),
            _ => {
                let implied = matches!(tag("junction"), Some("roundabout" | "circular"))
                    || matches!(tag("highway"), Some("motorway"));
                (true, !implied)
            }
        }
    }
}

/// A `maxspeed` value in km/h: `50`, `50 mph`, `FR:urban`; `None` when not a number
/// (`signals`, `none`, `walk` is 6).
pub fn parse_maxspeed(v: &str) -> Option<f64> {
    let v = v.trim();
    let implicit = match v {
        "FR:urban" | "urban" => Some(50.0),
        "FR:rural" | "rural" => Some(80.0),
        "FR:motorway" => Some(130.0),
        "FR:zone30" | "FR:zone:30" => Some(30.0),
        "walk" => Some(6.0),
        _ => None,
    };
    if implicit.is_some() {
        return implicit;
    }
    // Several values for several lanes ("50;30"): the first is the main one.
    let first = v.split(';').next()?.trim();
    let (num, factor) = match first.strip_suffix("mph") {
        Some(n) => (n.trim(), 1.609_344),
        None => (first.strip_suffix("km/h").unwrap_or(first).trim(), 1.0),
    };
    let x: f64 = num.parse().ok()?;
    (x > 0.0 && x < 400.0).then_some(x * factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |k| pairs.iter().find(|(kk, _)| *kk == k).map(|(_, v)| *v)
    }

    #[test]
    fn class_speeds_and_maxspeed() {
        let p = Profile::drive();
        assert_eq!(p.speed(tags(&[("highway", "residential")])), Some(25.0));
        assert_eq!(p.speed(tags(&[("highway", "primary"), ("maxspeed", "50")])), Some(40.0));
        assert_eq!(p.speed(tags(&[("highway", "primary"), ("maxspeed", "FR:rural")])), Some(64.0));
        assert_eq!(p.speed(tags(&[("highway", "footway")])), None);
        assert_eq!(p.speed(tags(&[("highway", "residential"), ("access", "private")])), None);
        assert_eq!(p.speed(tags(&[("highway", "service"), ("access", "no"), ("motor_vehicle", "yes")])), Some(15.0));
        let w = Profile::walk();
        assert_eq!(w.speed(tags(&[("highway", "footway")])), Some(5.0));
        assert_eq!(w.speed(tags(&[("highway", "motorway")])), None);
        assert_eq!(w.speed(tags(&[("highway", "busway")])), None);
        assert_eq!(w.speeds.len(), 19);
        assert!(w.speeds.contains_key("steps") && w.speeds.contains_key("corridor"));
    }

    #[test]
    fn one_way_streets() {
        let p = Profile::drive();
        assert_eq!(p.directions(tags(&[("highway", "residential")])), (true, true));
        assert_eq!(p.directions(tags(&[("oneway", "yes")])), (true, false));
        assert_eq!(p.directions(tags(&[("oneway", "-1")])), (false, true));
        assert_eq!(p.directions(tags(&[("junction", "roundabout")])), (true, false));
        assert_eq!(p.directions(tags(&[("highway", "motorway"), ("oneway", "no")])), (true, true));
        assert_eq!(Profile::walk().directions(tags(&[("oneway", "yes")])), (true, true));
    }

    #[test]
    fn maxspeed_forms() {
        assert_eq!(parse_maxspeed("30"), Some(30.0));
        assert!((parse_maxspeed("30 mph").unwrap() - 48.28).abs() < 0.01);
        assert_eq!(parse_maxspeed("70;50"), Some(70.0));
        assert_eq!(parse_maxspeed("signals"), None);
        assert_eq!(parse_maxspeed("none"), None);
    }

    #[test]
    fn profile_file_overrides_and_rejects_unknown_keys() {
        let p = Profile::parse("test", "maxspeed_factor = 0.9\n[speeds]\nresidential = 30\nservice = 0\n").unwrap();
        assert_eq!(p.speeds["residential"], 30.0);
        assert!(!p.speeds.contains_key("service"));
        assert_eq!(p.maxspeed_factor, 0.9);
        let e = Profile::parse("t.toml", "maxspeed_factr = 0.9\n").unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("maxspeed_factr"), "{e}");
        let e = Profile::parse("t.toml", "[speeds]\nresidentail = 30\n").unwrap_err().to_string();
        assert!(e.contains("unknown road class 'residentail'"), "{e}");
        let e = Profile::parse("t.toml", "mode = \"bike\"\n").unwrap_err().to_string();
        assert!(e.contains("bike"), "{e}");
        assert!(Profile::parse("t", "[speeds]\nprimary = -3\n").is_err());
        let w = Profile::parse("t", "mode = \"walk\"\n[speeds]\nfootway = 4\n").unwrap();
        assert_eq!(w.mode, Mode::Walk);
        assert_eq!(w.speeds["footway"], 4.0);
    }
}
