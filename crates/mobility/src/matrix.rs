//! Origin–destination matrices between zones, per-territory balances, and the
//! "who commutes into T from F" question (METHODS.md §1: commuters into the MEL
//! living in the Bassin minier).

use std::collections::HashMap;
use std::path::Path;

use echelle_referential::{Layer, Referential, TerritoryRef};
use serde::Serialize;

use crate::MobilityError;
use crate::error::check_range;
use crate::flows::{self, Batch, Flows, GROUPS, MODES, NONE, Provenance, workers};
use crate::zones::{ZoneInfo, Zones};

/// Statistical secrecy applied to flow tables.
///
/// METHODS.md §3 gives INSEE's thresholds: fewer than 3 businesses, or fewer than 11
/// households for tax data. People counts from the census sample have no rule of
/// their own there; echelle applies the household rule (a cell under 11 workers is
/// not shown) as the nearest one (an assumption, a parameter). INSEE also calls
/// counts under 200 fragile and above 500 reliable (METHODS.md §2): such cells are
/// shown but flagged. In matrices, a simple secondary suppression keeps a secret cell
/// from being recovered from its row or column total (see [`build`]); it is a
/// heuristic, not an audited protection, and protection against differencing of
/// user-drawn perimeters (METHODS.md §3) is NOT applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Secrecy {
    /// Cells with fewer workers than this are secret.
    pub threshold: f64,
    /// Cells with fewer workers than this are flagged fragile.
    pub fragile_below: f64,
}

impl Default for Secrecy {
    fn default() -> Self {
        Secrecy { threshold: 11.0, fragile_below: 200.0 }
    }
}

impl Secrecy {
    pub fn validate(&self) -> Result<(), MobilityError> {
        check_range("secrecy threshold", self.threshold, 0.0, 1e9, false, "a number of workers >= 0")?;
        check_range("fragile threshold", self.fragile_below, 0.0, 1e9, false, "a number of workers >= 0")
    }

    /// The value to show: `None` when secret.
    pub fn shown(&self, w: i128) -> Option<f64> {
        let x = workers(w);
        (x >= self.threshold || w == 0).then_some(x)
    }

    pub fn is_fragile(&self, w: i128) -> bool {
        workers(w) < self.fragile_below
    }
}

/// What a matrix is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum By {
    #[default]
    Nothing,
    /// Main mode of transport (`TRANS`).
    Mode,
    /// Socio-professional group (`CS1`).
    Group,
}

impl By {
    fn categories(self) -> usize {
        match self {
            By::Nothing => 1,
            By::Mode => MODES.len(),
            By::Group => GROUPS.len(),
        }
    }

    /// The label of a category.
    pub fn label(self, k: usize) -> Option<&'static str> {
        match self {
            By::Nothing => None,
            By::Mode => Some(MODES[k].1),
            By::Group => Some(GROUPS[k].1),
        }
    }

    fn of(self, mode: u8, group: u8) -> usize {
        match self {
            By::Nothing => 0,
            By::Mode => mode as usize,
            By::Group => group as usize,
        }
    }
}

/// Exact sums per (origin zone, destination zone, category): dense when small
/// enough, hashed otherwise.
#[derive(Debug, Clone)]
pub struct PairSums {
    zones: usize,
    cats: usize,
    dense: Vec<i128>,
    sparse: HashMap<u64, i128, flows::Fast>,
}

/// Above this many cells, sums are hashed (a commune-to-commune matrix of France).
const DENSE_LIMIT: usize = 1 << 22;

impl PairSums {
    pub fn new(zones: usize, cats: usize) -> PairSums {
        let cells = zones * zones * cats;
        let dense = if cells <= DENSE_LIMIT { vec![0; cells] } else { Vec::new() };
        PairSums { zones, cats, dense, sparse: HashMap::default() }
    }

    #[inline]
    pub fn add(&mut self, o: u32, d: u32, cat: usize, w: i128) {
        let k = (o as usize * self.zones + d as usize) * self.cats + cat;
        if self.dense.is_empty() {
            *self.sparse.entry(k as u64).or_default() += w;
        } else {
            self.dense[k] += w;
        }
    }

    pub fn merge(mut self, other: PairSums) -> PairSums {
        if self.dense.is_empty() {
            for (k, v) in other.sparse {
                *self.sparse.entry(k).or_default() += v;
            }
        } else {
            for (a, b) in self.dense.iter_mut().zip(other.dense) {
                *a += b;
            }
        }
        self
    }

    /// Non-zero cells as (origin, dest, category, sum), in that order.
    pub fn cells(&self) -> Vec<(u32, u32, usize, i128)> {
        let split = |k: usize, v: i128| {
            let cat = k % self.cats;
            let pair = k / self.cats;
            ((pair / self.zones) as u32, (pair % self.zones) as u32, cat, v)
        };
        let mut out: Vec<_> = if self.dense.is_empty() {
            self.sparse.iter().filter(|(_, v)| **v != 0).map(|(&k, &v)| split(k as usize, v)).collect()
        } else {
            self.dense.iter().enumerate().filter(|(_, v)| **v != 0).map(|(k, &v)| split(k, v)).collect()
        };
        out.sort_unstable_by_key(|c| (c.0, c.1, c.2));
        out
    }

    pub fn total(&self) -> i128 {
        if self.dense.is_empty() { self.sparse.values().sum() } else { self.dense.iter().sum() }
    }
}

/// One cell of a matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixCell {
    /// Index into [`Matrix::zones`].
    pub origin: u32,
    pub dest: u32,
    pub origin_key: String,
    pub dest_key: String,
    /// Mode or group, when broken down.
    pub category: Option<String>,
    /// Workers; `None` when secret.
    pub workers: Option<f64>,
    pub secret: bool,
    /// Secret only so that a secret cell cannot be recovered from its row or column total.
    pub secondary: bool,
    pub fragile: bool,
}

/// Totals of a zone: residents in work (row) and workers working there (column).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ZoneTotals {
    pub key: String,
    pub name: String,
    /// `None` when secret (under the threshold, or it would reveal a secret cell).
    pub residents_in_work: Option<f64>,
    pub jobs_held: Option<f64>,
}

/// An origin–destination matrix.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Matrix {
    pub zones: Vec<ZoneInfo>,
    pub by: By,
    pub cells: Vec<MatrixCell>,
    pub totals: Vec<ZoneTotals>,
    /// Total workers (every cell, secret or not).
    pub total: f64,
    pub secret_cells: usize,
    pub secrecy: Secrecy,
    pub unit: &'static str,
    pub provenance: Provenance,
}

/// Sums in-memory flows to a matrix.
pub fn sums(flows: &Flows, zones: &Zones, by: By) -> PairSums {
    let mut acc = PairSums::new(zones.len(), by.categories());
    for f in &flows.flows {
        acc.add(zones.zone(f.origin), zones.zone(f.dest), by.of(f.mode, f.group), f.weight);
    }
    acc
}

/// Sums a flow table straight from its Parquet file (every row, all cores): the
/// path the benchmark measures.
pub fn sums_from_parquet(path: &Path, r: &Referential, zones: &Zones, by: By) -> Result<PairSums, MobilityError> {
    // A row whose home commune is unknown (split former code) goes to "abroad or
    // unknown", as a destination would: nothing is dropped.
    flows::scan(
        path,
        r,
        flows::Need { mode: by == By::Mode, group: by == By::Group },
        || PairSums::new(zones.len(), by.categories()),
        |acc, b: &Batch<'_>| {
            for k in 0..b.origin.len() {
                acc.add(zones.zone(b.origin[k]), zones.zone(b.dest[k]), by.of(b.mode[k], b.group[k]), b.weight[k]);
            }
        },
        PairSums::merge,
    )
}

/// The matrix of `flows` between `zones`, with secrecy applied.
pub fn matrix(flows: &Flows, zones: &Zones, by: By, secrecy: Secrecy) -> Result<Matrix, MobilityError> {
    secrecy.validate()?;
    if by != By::Nothing && !flows.provenance.detailed {
        return Err(MobilityError::Usage(format!(
            "dataset '{}' is the aggregated flows base: it has no mode (TRANS) nor group (CS1); import the detailed \
             file FD_MOBPRO for a breakdown",
            flows.provenance.dataset
        )));
    }
    Ok(build(sums(flows, zones, by), zones, by, secrecy, flows.provenance.clone()))
}

/// Builds the matrix from sums.
pub fn build(acc: PairSums, zones: &Zones, by: By, secrecy: Secrecy, provenance: Provenance) -> Matrix {
    let n = zones.len();
    let list = acc.cells();
    let mut rows = vec![0i128; n];
    let mut cols = vec![0i128; n];
    let mut by_row = vec![Vec::new(); n];
    let mut by_col = vec![Vec::new(); n];
    for (k, &(o, d, _, w)) in list.iter().enumerate() {
        rows[o as usize] += w;
        cols[d as usize] += w;
        by_row[o as usize].push(k);
        by_col[d as usize].push(k);
    }
    let weights: Vec<i128> = list.iter().map(|c| c.3).collect();
    let mut secret: Vec<bool> = weights.iter().map(|&w| secrecy.shown(w).is_none()).collect();
    let mut secondary = vec![false; list.len()];
    let mut row_secret: Vec<bool> = rows.iter().map(|&w| secrecy.shown(w).is_none()).collect();
    let mut col_secret: Vec<bool> = cols.iter().map(|&w| secrecy.shown(w).is_none()).collect();
    // Secondary suppression: a row or column whose total is shown must not hold exactly
    // one secret cell (total minus the others would give it): the smallest other cell
    // is made secret too, or, when there is none, the total. Repeated until stable.
    loop {
        let mut changed = false;
        for (groups, total_secret) in [(&by_row, &mut row_secret), (&by_col, &mut col_secret)] {
            for (z, idx) in groups.iter().enumerate() {
                if total_secret[z] || idx.iter().filter(|&&k| secret[k]).count() != 1 {
                    continue;
                }
                match idx.iter().copied().filter(|&k| !secret[k]).min_by_key(|&k| (weights[k], k)) {
                    Some(k) => {
                        secret[k] = true;
                        secondary[k] = true;
                    }
                    None => total_secret[z] = true,
                }
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let cells: Vec<MatrixCell> = list
        .iter()
        .enumerate()
        .map(|(k, &(o, d, cat, w))| MatrixCell {
            origin: o,
            dest: d,
            origin_key: zones.zones[o as usize].key.clone(),
            dest_key: zones.zones[d as usize].key.clone(),
            category: by.label(cat).map(str::to_string),
            workers: (!secret[k]).then(|| workers(w)),
            secret: secret[k],
            secondary: secondary[k],
            fragile: secrecy.is_fragile(w),
        })
        .collect();
    let totals = zones
        .zones
        .iter()
        .enumerate()
        .map(|(z, info)| ZoneTotals {
            key: info.key.clone(),
            name: info.name.clone(),
            residents_in_work: (!row_secret[z]).then(|| workers(rows[z])),
            jobs_held: (!col_secret[z]).then(|| workers(cols[z])),
        })
        .collect();
    Matrix {
        zones: zones.zones.clone(),
        by,
        cells,
        totals,
        total: workers(acc.total()),
        secret_cells: secret.iter().filter(|&&s| s).count(),
        secrecy,
        unit: "actifs occupés (workers aged 15+, sum of the weights)",
        provenance,
    }
}

/// A partner territory in a summary (a destination or an origin).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Partner {
    pub key: String,
    pub name: String,
    /// Workers; `None` when secret.
    pub workers: Option<f64>,
    /// Share of the territory's outgoing (or incoming) workers, in %.
    pub share: Option<f64>,
    pub secret: bool,
}

/// The commuting balance of one territory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub territory: String,
    pub name: String,
    /// Workers living in the territory (wherever they work, abroad included).
    pub residents_in_work: f64,
    /// … of whom working in the territory.
    pub working_inside: f64,
    /// … of whom working outside it (abroad included).
    pub outgoing: f64,
    /// Workers living outside and working in the territory.
    pub incoming: f64,
    /// Workers working in the territory, wherever they live.
    pub jobs_held: f64,
    /// incoming − outgoing.
    pub net_balance: f64,
    /// working_inside / residents_in_work, in % (self-containment, "auto-contention").
    pub self_containment: Option<f64>,
    /// outgoing / residents_in_work, in % (dependence on outside jobs).
    pub dependence: Option<f64>,
    /// working_inside / jobs_held, in % (jobs held by residents, "autosuffisance").
    pub job_self_sufficiency: Option<f64>,
    /// Destinations of outgoing workers, largest first, at the partner layer.
    pub top_destinations: Vec<Partner>,
    /// Origins of incoming workers, largest first.
    pub top_origins: Vec<Partner>,
    /// The layer of the partners (`com`, `epci`…).
    pub partner_layer: String,
    pub secrecy: Secrecy,
    pub unit: &'static str,
    pub provenance: Provenance,
}

fn pct(a: i128, b: i128) -> Option<f64> {
    (b != 0).then(|| 100.0 * a as f64 / b as f64)
}

/// A bitset of the communes of a territory.
pub(crate) fn member_mask(r: &Referential, t: &TerritoryRef) -> Result<Vec<bool>, MobilityError> {
    let mut mask = vec![false; r.communes().len()];
    for &c in r.members(t)?.iter() {
        mask[c as usize] = true;
    }
    Ok(mask)
}

#[inline]
pub(crate) fn inside(mask: &[bool], c: u32) -> bool {
    c != NONE && mask[c as usize]
}

/// The balance of territory `t`, with its `top` destinations and origins at
/// `partner_layer` (communes by default).
pub fn summary(
    flows: &Flows,
    r: &Referential,
    t: &TerritoryRef,
    partner_layer: Layer,
    top: usize,
    secrecy: Secrecy,
) -> Result<Summary, MobilityError> {
    secrecy.validate()?;
    let mask = member_mask(r, t)?;
    let partners = Zones::layer(r, partner_layer, None)?;
    let (mut res, mut inside_w, mut jobs) = (0i128, 0i128, 0i128);
    let mut dest: HashMap<u32, i128> = HashMap::new();
    let mut orig: HashMap<u32, i128> = HashMap::new();
    for f in &flows.flows {
        let (o, d) = (inside(&mask, f.origin), inside(&mask, f.dest));
        if o {
            res += f.weight;
        }
        if d {
            jobs += f.weight;
        }
        match (o, d) {
            (true, true) => inside_w += f.weight,
            (true, false) => *dest.entry(partners.zone(f.dest)).or_default() += f.weight,
            (false, true) => *orig.entry(partners.zone(f.origin)).or_default() += f.weight,
            (false, false) => {}
        }
    }
    let outgoing = res - inside_w;
    let incoming = jobs - inside_w;
    let list = |m: HashMap<u32, i128>, of: i128| {
        let mut v: Vec<(u32, i128)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v.into_iter()
            .take(top)
            .map(|(z, w)| {
                let info = &partners.zones[z as usize];
                let shown = secrecy.shown(w);
                Partner {
                    key: info.key.clone(),
                    name: info.name.clone(),
                    workers: shown,
                    share: shown.and(pct(w, of)),
                    secret: shown.is_none(),
                }
            })
            .collect()
    };
    Ok(Summary {
        territory: t.to_string(),
        name: r.name(t).unwrap_or("?").to_string(),
        residents_in_work: workers(res),
        working_inside: workers(inside_w),
        outgoing: workers(outgoing),
        incoming: workers(incoming),
        jobs_held: workers(jobs),
        net_balance: workers(incoming - outgoing),
        self_containment: pct(inside_w, res),
        dependence: pct(outgoing, res),
        job_self_sufficiency: pct(inside_w, jobs),
        top_destinations: list(dest, outgoing),
        top_origins: list(orig, incoming),
        partner_layer: partner_layer.prefix().to_string(),
        secrecy,
        unit: "actifs occupés",
        provenance: flows.provenance.clone(),
    })
}

/// Commuters into a territory from another.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Inflows {
    pub target: String,
    pub target_name: String,
    pub from: String,
    pub from_name: String,
    /// Workers working in the target and living outside it.
    pub commuters_in: f64,
    /// … of whom living in `from` (outside the target).
    pub from_commuters: f64,
    /// from_commuters / commuters_in, in %.
    pub share: Option<f64>,
    /// Communes of `from` that are also in the target (their residents are not commuters into it).
    pub overlap_communes: usize,
    pub unit: &'static str,
    pub provenance: Provenance,
}

/// How many of the workers commuting into `target` live in `from`.
pub fn inflows(
    flows: &Flows,
    r: &Referential,
    target: &TerritoryRef,
    from: &TerritoryRef,
) -> Result<Inflows, MobilityError> {
    let t = member_mask(r, target)?;
    let f = member_mask(r, from)?;
    let overlap_communes = t.iter().zip(&f).filter(|(a, b)| **a && **b).count();
    let (mut all, mut from_w) = (0i128, 0i128);
    for x in &flows.flows {
        if inside(&t, x.dest) && !inside(&t, x.origin) {
            all += x.weight;
            if inside(&f, x.origin) {
                from_w += x.weight;
            }
        }
    }
    Ok(Inflows {
        target: target.to_string(),
        target_name: r.name(target).unwrap_or("?").to_string(),
        from: from.to_string(),
        from_name: r.name(from).unwrap_or("?").to_string(),
        commuters_in: workers(all),
        from_commuters: workers(from_w),
        share: pct(from_w, all),
        overlap_communes,
        unit: "actifs occupés",
        provenance: flows.provenance.clone(),
    })
}
