//! How the times were obtained — a stored road network, or straight line × detour at
//! an average speed — and how every output names it: one description
//! ([`Method`], sent as `method_detail` by the server), one French label for screens
//! and tables ([`Method::label_fr`]), one plain description for logs and files
//! ([`Method::mode`]).

use serde::Serialize;

use crate::network::NetworkInfo;
use crate::straight::StraightLine;

/// The method of a run, with its parameters.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Method {
    /// On a stored road network.
    Road {
        /// The network's name in the store.
        network: String,
        /// Its travel profile (`car`, `foot`…).
        profile: String,
        /// Generated data (benchmarks, tests), not a real network.
        synthetic: bool,
        /// Points farther than this from any road are left out, metres.
        max_snap_m: f64,
    },
    /// Without a network: straight-line distance × detour at an average speed.
    StraightLine {
        /// Road distance over straight-line distance.
        detour: f64,
        /// Average speed, km/h.
        speed_kmh: f64,
    },
}

impl Method {
    /// On the network described by `info`, points beyond `max_snap_m` left out.
    pub fn road(info: &NetworkInfo, max_snap_m: f64) -> Self {
        Method::Road {
            network: info.name.clone(),
            profile: info.profile.clone(),
            synthetic: info.synthetic,
            max_snap_m,
        }
    }

    /// The straight-line model.
    pub fn straight(model: &StraightLine) -> Self {
        Method::StraightLine { detour: model.detour, speed_kmh: model.speed_kmh }
    }

    pub(crate) fn is_straight_line(&self) -> bool {
        matches!(self, Method::StraightLine { .. })
    }

    /// The label shown on screens and above tables, in French:
    /// « À VOL D'OISEAU × 1,3 à 40 km/h (temps estimés, sans réseau routier) »,
    /// « RÉSEAU ROUTIER « nom » », followed by « — SYNTHÉTIQUE (…) » for a generated
    /// network.
    pub fn label_fr(&self) -> String {
        match self {
            Method::Road { network, synthetic, .. } => {
                let synth = if *synthetic { " — SYNTHÉTIQUE (réseau généré, pas un réseau réel)" } else { "" };
                format!("RÉSEAU ROUTIER « {network} »{synth}")
            }
            Method::StraightLine { detour, speed_kmh } => format!(
                "À VOL D'OISEAU × {} à {} km/h (temps estimés, sans réseau routier)",
                decimal_fr(*detour),
                decimal_fr(*speed_kmh)
            ),
        }
    }

    /// The plain description written in files and logs (`# times: …`):
    /// `road network 'name' (car profile)`, `STRAIGHT LINE × 1.3 at 40 km/h (…)`.
    pub fn mode(&self) -> String {
        match self {
            Method::Road { network, profile, synthetic, .. } => {
                let synth = if *synthetic { ", SYNTHETIC network" } else { "" };
                format!("road network '{network}' ({profile} profile{synth})")
            }
            Method::StraightLine { detour, speed_kmh } => {
                format!("STRAIGHT LINE × {detour} at {speed_kmh} km/h (no road network: estimated times)")
            }
        }
    }
}

/// A parameter as French writes it, with as many decimals as it has (up to 3), so
/// that 1.25 is not shown 1,3: `1,3`, `40`, `1,25`.
pub fn decimal_fr(x: f64) -> String {
    let rounded = (x * 1000.0).round() / 1000.0;
    format!("{rounded}").replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(synthetic: bool) -> NetworkInfo {
        NetworkInfo {
            name: "grille-e2e".into(),
            source: "x".into(),
            kind: "imported-csv".into(),
            synthetic,
            profile: "car".into(),
            nodes: 1,
            edges: 0,
            report: None,
            credit: None,
        }
    }

    #[test]
    fn labels_in_french_and_in_files() {
        let s = Method::straight(&StraightLine::new(1.3, 40.0).unwrap());
        assert_eq!(s.label_fr(), "À VOL D'OISEAU × 1,3 à 40 km/h (temps estimés, sans réseau routier)");
        assert_eq!(s.mode(), "STRAIGHT LINE × 1.3 at 40 km/h (no road network: estimated times)");
        assert_eq!(
            Method::straight(&StraightLine::new(1.25, 52.5).unwrap()).label_fr().split(" (").next(),
            Some("À VOL D'OISEAU × 1,25 à 52,5 km/h")
        );
        let r = Method::road(&info(true), 1000.0);
        assert_eq!(r.label_fr(), "RÉSEAU ROUTIER « grille-e2e » — SYNTHÉTIQUE (réseau généré, pas un réseau réel)");
        assert_eq!(r.mode(), "road network 'grille-e2e' (car profile, SYNTHETIC network)");
        assert_eq!(Method::road(&info(false), 1000.0).label_fr(), "RÉSEAU ROUTIER « grille-e2e »");
        assert!(!r.is_straight_line() && s.is_straight_line());
        assert_eq!(decimal_fr(1.23456), "1,235");
    }

    #[test]
    fn the_detail_keeps_the_field_names_the_web_app_reads() {
        let j = serde_json::to_value(Method::road(&info(true), 1000.0)).unwrap();
        assert_eq!(
            j,
            serde_json::json!({"kind": "road", "network": "grille-e2e", "profile": "car", "synthetic": true, "max_snap_m": 1000.0})
        );
        let j = serde_json::to_value(Method::straight(&StraightLine::new(1.5, 50.0).unwrap())).unwrap();
        assert_eq!(j, serde_json::json!({"kind": "straight_line", "detour": 1.5, "speed_kmh": 50.0}));
    }
}
