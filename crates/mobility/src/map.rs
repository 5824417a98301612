//! Flow maps of a layer: lines between its territories and each territory's balance
//! (residents, working inside, outgoing, incoming), under one secrecy so that no
//! figure drawn or listed reveals a secret one.

use echelle_store::Provenance;
use serde::Serialize;

use crate::MobilityError;
use crate::distance::Positions;
use crate::flows::{Flows, Tally, UNIT, workers};
use crate::matrix::{By, MatrixLedger, sums};
use crate::secrecy::{Count, Secrecy};
use crate::zones::{ZoneKind, Zones};

/// Default number of lines of a map, largest first.
pub const LINES_LIMIT: usize = 2_000;

/// At most this many lines in one map.
pub const MAX_LINES_LIMIT: usize = 50_000;

/// A position (longitude, latitude, WGS84).
pub type Point = [f64; 2];

/// How [`flow_map`] places territories (see [`zone_points`]).
pub const MEAN_OF_CENTRES: &str = "moyenne des centroïdes des contours de ses communes (WGS84)";

/// A position for each zone: the mean of its communes' positions (those that have one).
pub fn zone_points(zones: &Zones, pos: &Positions) -> Vec<Option<Point>> {
    let mut acc = vec![(0.0, 0.0, 0usize); zones.len()];
    for (c, &z) in zones.of_commune.iter().enumerate() {
        if let Some(Some((lon, lat))) = pos.points.get(c) {
            let a = &mut acc[z as usize];
            a.0 += lon;
            a.1 += lat;
            a.2 += 1;
        }
    }
    acc.into_iter().map(|(x, y, n)| (n > 0).then(|| [x / n as f64, y / n as f64])).collect()
}

/// What to draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MapParams {
    /// Lines with fewer workers are not drawn (`None`: the secrecy threshold).
    pub min: Option<f64>,
    /// At most this many lines, largest first.
    pub limit: usize,
    /// Lines and totals under its threshold are secret.
    pub secrecy: Secrecy,
}

impl Default for MapParams {
    fn default() -> Self {
        MapParams { min: None, limit: LINES_LIMIT, secrecy: Secrecy::default() }
    }
}

impl MapParams {
    /// Checks the parameters (a user error when out of range).
    pub fn validate(&self) -> Result<(), MobilityError> {
        self.secrecy.validate()?;
        let min = self.min();
        if !min.is_finite() || min < 0.0 {
            return Err(MobilityError::Usage(format!("min {min}: a number of workers >= 0")));
        }
        if self.limit == 0 || self.limit > MAX_LINES_LIMIT {
            return Err(MobilityError::Usage(format!("limit {}: between 1 and {MAX_LINES_LIMIT}", self.limit)));
        }
        Ok(())
    }

    /// The smallest line drawn.
    pub fn min(&self) -> f64 {
        self.min.unwrap_or(self.secrecy.threshold)
    }
}

/// One line between two territories.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MapLine {
    /// Key of the territory of residence.
    pub origin: String,
    /// Its name.
    pub origin_name: String,
    /// Key of the territory of work.
    pub dest: String,
    /// Its name.
    pub dest_name: String,
    /// Workers (never secret: secret lines are not drawn).
    pub workers: f64,
    /// Origin position (lon, lat).
    #[schema(value_type = Vec<f64>)]
    pub from: Point,
    /// Destination position (lon, lat).
    #[schema(value_type = Vec<f64>)]
    pub to: Point,
}

/// The balance of one territory of the map.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MapTerritory {
    /// The territory key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Where its lines start and end (lon, lat); `None` without a shape.
    #[schema(value_type = Option<Vec<f64>>)]
    pub position: Option<Point>,
    /// Workers living there, wherever they work.
    pub residents_in_work: Count,
    /// Workers working there, wherever they live.
    pub jobs_held: Count,
    /// Workers living and working there.
    pub working_inside: Count,
    /// Workers living there and working elsewhere.
    pub outgoing: Count,
    /// Workers working there and living elsewhere.
    pub incoming: Count,
    /// incoming − outgoing; `null` when either is secret.
    pub net_balance: Option<f64>,
}

/// Lines left out of the map, by reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Hidden {
    /// Fewer workers than the map's minimum.
    pub below_min: usize,
    /// Under the secrecy threshold.
    pub secret: usize,
    /// An end without a position.
    pub without_position: usize,
    /// Beyond the number of lines asked.
    pub over_limit: usize,
}

/// A flow map of a layer.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FlowMap {
    /// The layer's prefix (`com`, `epci`…).
    pub layer: String,
    /// The territory the map is framed on, if any.
    pub within: Option<String>,
    /// The minimum of workers of a drawn line.
    pub min: f64,
    /// The lines drawn, largest first.
    pub lines: Vec<MapLine>,
    /// The lines left out, by reason.
    pub hidden: Hidden,
    /// The balance of each territory of the map.
    pub territories: Vec<MapTerritory>,
    /// How positions were made.
    pub position: String,
    /// Every worker of the flows; `null` when it would reveal a secret total.
    pub total: Count,
    /// The secrecy threshold applied to every count above.
    pub secrecy: Secrecy,
    /// The unit of the counts (`actifs occupés`).
    pub unit: String,
    /// Where the flows come from.
    pub provenance: Provenance,
    /// « Source : … (millésime …) », with « SYNTHÉTIQUE » when generated.
    pub source_line: String,
}

/// The flow map of `zones` (a layer's territories, with `layer` its prefix and
/// `within` its frame), each zone at the mean of its communes' positions `pos`
/// ([`zone_points`]): the one placement of the CLI and the server.
///
/// Secrecy covers the cells, every total and each territory's working inside,
/// outgoing and incoming, tied by their sums (row = inside + outgoing, column =
/// inside + incoming, outgoing = the row's other cells…), so that neither a line
/// nor a balance reveals a secret count.
pub fn flow_map(
    flows: &Flows,
    zones: &Zones,
    layer: &str,
    within: Option<&str>,
    pos: &Positions,
    p: &MapParams,
) -> Result<FlowMap, MobilityError> {
    p.validate()?;
    let positions = zone_points(zones, pos);
    let n = zones.len();
    let acc = sums(flows, zones, By::Nothing);
    let mut m = MatrixLedger::new(&acc, n, &p.secrecy);
    let s = &p.secrecy;
    // Each zone's diagonal cell (a zero figure when there is none), outgoing and incoming.
    let mut inside = Vec::with_capacity(n);
    let mut out = Vec::with_capacity(n);
    let mut inc = Vec::with_capacity(n);
    for z in 0..n {
        let diag = m.by_row[z].iter().copied().find(|&k| m.list[k].1 as usize == z);
        let (d, dw) = match diag {
            Some(k) => (m.cells[k], m.list[k].3),
            None => (m.ledger.figure(s, Tally::default()), Tally::default()),
        };
        let o = m.ledger.figure(s, m.row_sums[z] - dw);
        let i = m.ledger.figure(s, m.col_sums[z] - dw);
        m.ledger.sum(m.rows[z], vec![d, o]);
        m.ledger.sum(m.cols[z], vec![d, i]);
        let others =
            |list: &Vec<usize>| list.iter().copied().filter(|&k| Some(k) != diag).map(|k| m.cells[k]).collect();
        let (row_others, col_others) = (others(&m.by_row[z]), others(&m.by_col[z]));
        m.ledger.sum(o, row_others);
        m.ledger.sum(i, col_others);
        inside.push(d);
        out.push(o);
        inc.push(i);
    }
    m.ledger.protect();
    let l = &m.ledger;
    let min = p.min();
    let territory = |z: usize| zones.zones[z].kind == ZoneKind::Territory;
    let mut candidates = Vec::new();
    let mut hidden = Hidden { below_min: 0, secret: 0, without_position: 0, over_limit: 0 };
    for (k, &(o, d, _, w)) in m.list.iter().enumerate() {
        let (o, d) = (o as usize, d as usize);
        if o == d || !territory(o) || !territory(d) {
            continue;
        }
        let w = s.published(w);
        if l.is_secret(m.cells[k]) {
            hidden.secret += 1;
        } else if workers(w) < min {
            hidden.below_min += 1;
        } else if let (Some(a), Some(b)) = (positions[o], positions[d]) {
            candidates.push((w, o, d, a, b));
        } else {
            hidden.without_position += 1;
        }
    }
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    hidden.over_limit = candidates.len().saturating_sub(p.limit);
    candidates.truncate(p.limit);
    let info = &zones.zones;
    let lines = candidates
        .into_iter()
        .map(|(w, o, d, a, b)| MapLine {
            origin: info[o].key.clone(),
            origin_name: info[o].name.clone(),
            dest: info[d].key.clone(),
            dest_name: info[d].name.clone(),
            workers: workers(w),
            from: a,
            to: b,
        })
        .collect();
    let territories = (0..n)
        .filter(|&z| territory(z))
        .map(|z| {
            let (o, i) = (l.count(out[z]), l.count(inc[z]));
            MapTerritory {
                key: info[z].key.clone(),
                name: info[z].name.clone(),
                position: positions[z],
                residents_in_work: l.count(m.rows[z]),
                jobs_held: l.count(m.cols[z]),
                working_inside: l.count(inside[z]),
                outgoing: o,
                incoming: i,
                net_balance: i.value().zip(o.value()).map(|(a, b)| a - b),
            }
        })
        .collect();
    Ok(FlowMap {
        layer: layer.to_string(),
        within: within.map(str::to_string),
        min,
        lines,
        hidden,
        territories,
        position: MEAN_OF_CENTRES.to_string(),
        total: l.count(m.total),
        secrecy: *s,
        unit: UNIT.to_string(),
        source_line: flows.provenance.line(),
        provenance: flows.provenance.clone(),
    })
}
