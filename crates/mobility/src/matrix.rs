//! Origin–destination matrices between zones, per-territory balances, and the
//! "who commutes into T from F" question (METHODS.md §1: commuters into the MEL
//! living in the Bassin minier).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::Provenance;
use rayon::prelude::*;
use serde::Serialize;

use crate::MobilityError;
use crate::flows::{self, Batch, Flows, GROUPS, MODES, NONE, Tally, UNIT};
use crate::secrecy::Ledger;
use crate::zones::{ZoneInfo, Zones};

pub use crate::secrecy::{Count, Secrecy};

/// What a matrix is broken down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum By {
    /// All modes and groups together.
    #[default]
    Nothing,
    /// Main mode of transport (`TRANS`).
    Mode,
    /// Socio-professional group (`CS1`).
    Group,
}

impl std::str::FromStr for By {
    type Err = MobilityError;

    /// `none` (or empty), `mode` or `trans`, `group` or `cs1`.
    fn from_str(s: &str) -> Result<By, MobilityError> {
        match s.trim() {
            "" | "none" => Ok(By::Nothing),
            "trans" | "mode" => Ok(By::Mode),
            "cs1" | "group" => Ok(By::Group),
            other => Err(MobilityError::Usage(format!(
                "by {other}: expected mode (or trans, mode of transport) or group (or cs1, socio-professional group)"
            ))),
        }
    }
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
/// enough, hashed otherwise. Read them once [`PairSums::settle`]d.
#[derive(Debug, Clone)]
pub struct PairSums {
    zones: usize,
    cats: usize,
    dense: Vec<Tally>,
    /// Hashed sums, split by key into [`PARTS`] tables.
    sparse: Vec<HashMap<u64, Tally, flows::Fast>>,
    /// Additions not yet in their table, per part.
    pending: Vec<Vec<(u64, Tally)>>,
}

/// Above this many cells, sums are hashed (a commune-to-commune matrix of France).
const DENSE_LIMIT: usize = 1 << 22;

/// Tables a hashed sum is split into, and additions kept per table before they are
/// applied together: a table of France's 3.3 million commune pairs missed the cache
/// on every row, a 256th of it stays there while a part's additions go in.
const PARTS: usize = 256;
const PENDING: usize = 256;

/// The part of a key (its top bits after a multiplication, independent of the bits
/// the tables use).
fn part(k: u64) -> usize {
    (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
}

impl PairSums {
    pub(crate) fn new(zones: usize, cats: usize) -> PairSums {
        let cells = zones * zones * cats;
        if cells <= DENSE_LIMIT {
            return PairSums {
                zones,
                cats,
                dense: vec![Tally::default(); cells],
                sparse: Vec::new(),
                pending: Vec::new(),
            };
        }
        PairSums {
            zones,
            cats,
            dense: Vec::new(),
            sparse: (0..PARTS).map(|_| HashMap::default()).collect(),
            pending: (0..PARTS).map(|_| Vec::with_capacity(PENDING)).collect(),
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, o: u32, d: u32, cat: usize, w: Tally) {
        let k = (o as usize * self.zones + d as usize) * self.cats + cat;
        if self.dense.is_empty() {
            let p = part(k as u64);
            self.pending[p].push((k as u64, w));
            if self.pending[p].len() == PENDING {
                self.apply(p);
            }
        } else {
            self.dense[k] += w;
        }
    }

    fn apply(&mut self, p: usize) {
        let table = &mut self.sparse[p];
        for (k, w) in self.pending[p].drain(..) {
            *table.entry(k).or_default() += w;
        }
    }

    /// Every addition in its table: what reading the sums needs.
    pub(crate) fn settle(mut self) -> PairSums {
        for p in 0..self.pending.len() {
            self.apply(p);
        }
        self
    }

    /// The hashed sums, every part (settled).
    fn hashed(&self) -> impl Iterator<Item = (&u64, &Tally)> {
        debug_assert!(self.pending.iter().all(Vec::is_empty), "PairSums read before settle");
        self.sparse.iter().flatten()
    }

    pub(crate) fn merge(self, other: PairSums) -> PairSums {
        let (mut this, other) = (self.settle(), other.settle());
        if this.dense.is_empty() {
            for (into, from) in this.sparse.iter_mut().zip(other.sparse) {
                for (k, v) in from {
                    *into.entry(k).or_default() += v;
                }
            }
        } else {
            for (a, b) in this.dense.iter_mut().zip(other.dense) {
                *a += b;
            }
        }
        this
    }

    /// Non-zero cells as (origin, dest, category, sum), in that order.
    pub fn cells(&self) -> Vec<(u32, u32, usize, Tally)> {
        let split = |k: usize, v: Tally| {
            let cat = k % self.cats;
            let pair = k / self.cats;
            ((pair / self.zones) as u32, (pair % self.zones) as u32, cat, v)
        };
        if !self.dense.is_empty() {
            return self.dense.iter().enumerate().filter(|(_, v)| v.weight != 0).map(|(k, &v)| split(k, v)).collect();
        }
        // A France commune matrix has 3.3 million cells: sorted on every core, by
        // key, the order of (origin, dest, category).
        let mut keyed: Vec<(u64, Tally)> =
            self.hashed().filter(|(_, v)| v.weight != 0).map(|(&k, &v)| (k, v)).collect();
        keyed.par_sort_unstable_by_key(|c| c.0);
        keyed.into_iter().map(|(k, v)| split(k as usize, v)).collect()
    }

    /// How many cells are not zero.
    pub fn len(&self) -> usize {
        if self.dense.is_empty() {
            self.hashed().filter(|(_, v)| v.weight != 0).count()
        } else {
            self.dense.iter().filter(|v| v.weight != 0).count()
        }
    }

    /// Whether every cell is zero.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every record summed (workers at scale [`crate::flows::SCALE`]).
    pub fn total(&self) -> Tally {
        if self.dense.is_empty() { self.hashed().map(|(_, &v)| v).sum() } else { self.dense.iter().copied().sum() }
    }
}

/// One cell of a matrix.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MatrixCell {
    /// Index into [`Matrix::zones`].
    pub origin: u32,
    /// Index into [`Matrix::zones`].
    pub dest: u32,
    // Keys are shared by their cells: a commune matrix of France has 3.3 million.
    /// Key of the zone of residence.
    #[serde(serialize_with = "shared_str")]
    #[schema(value_type = String)]
    pub origin_key: Arc<str>,
    /// Key of the zone of work.
    #[serde(serialize_with = "shared_str")]
    #[schema(value_type = String)]
    pub dest_key: Arc<str>,
    /// Mode or group, when broken down.
    pub category: Option<String>,
    /// Workers; `null` when secret.
    pub workers: Count,
    /// Under the secrecy threshold, or secondary: `workers` is withheld.
    pub secret: bool,
    /// Secret only so that a secret cell cannot be recovered from its row or column total.
    pub secondary: bool,
    /// Published but fragile: few workers, to be read with care.
    pub fragile: bool,
}

fn shared_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

/// Totals of a zone: residents in work (row) and workers working there (column).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ZoneTotals {
    /// The zone key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// `null` when secret (under the threshold, or it would reveal a secret cell).
    pub residents_in_work: Count,
    /// Workers working in the zone (column total); `null` when secret.
    pub jobs_held: Count,
}

/// An origin–destination matrix.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Matrix {
    /// The rows and columns, in order.
    pub zones: Vec<ZoneInfo>,
    /// The breakdown of the cells.
    pub by: By,
    /// Cells with workers; an absent cell has none.
    pub cells: Vec<MatrixCell>,
    /// Row and column totals, one per zone.
    pub totals: Vec<ZoneTotals>,
    /// Total workers (every cell, secret or not); secret only when it would reveal a zone's total.
    pub total: Count,
    /// Cells withheld, secondary ones included.
    pub secret_cells: usize,
    /// The secrecy threshold applied to every count above.
    pub secrecy: Secrecy,
    /// The unit of the counts (`actifs occupés`).
    pub unit: String,
    /// Where the flows come from.
    pub provenance: Provenance,
    /// « Source : … (millésime …) », with « SYNTHÉTIQUE » when generated.
    pub source_line: String,
}

/// Refuses a breakdown by mode or group of the aggregated base (`detailed` false).
pub fn check_breakdown(by: By, detailed: bool, dataset: &str) -> Result<(), MobilityError> {
    if by != By::Nothing && !detailed {
        return Err(MobilityError::Usage(format!(
            "dataset '{dataset}' is the aggregated flows base: it has no mode (TRANS) nor group (CS1); import the \
             detailed file FD_MOBPRO for a breakdown"
        )));
    }
    Ok(())
}

/// Sums in-memory flows to a matrix.
pub(crate) fn sums(flows: &Flows, zones: &Zones, by: By) -> PairSums {
    let mut acc = PairSums::new(zones.len(), by.categories());
    for f in &flows.flows {
        acc.add(zones.zone(f.origin), zones.zone(f.dest), by.of(f.mode, f.group), f.tally());
    }
    acc.settle()
}

/// Sums a flow table straight from its Parquet file (every row, all cores): the
/// path the benchmark measures. `seed`: the dataset's [`flows::record_seed`] when its
/// rule has a cell key; without one, records and keys are not counted.
pub fn sums_from_parquet(
    path: &Path,
    seed: Option<u64>,
    r: &Referential,
    zones: &Zones,
    by: By,
) -> Result<PairSums, MobilityError> {
    let detailed = flows::is_detailed(path)?;
    // A row whose home commune is unknown (split former code) goes to "abroad or
    // unknown", as a destination would: nothing is dropped.
    flows::scan(
        path,
        r,
        flows::Need { mode: by == By::Mode, group: by == By::Group },
        || PairSums::new(zones.len(), by.categories()),
        |acc, b: &Batch<'_>| {
            for k in 0..b.origin.len() {
                let t = match seed {
                    Some(seed) => b.tally(k, seed, detailed),
                    None => Tally { weight: b.weight[k], ..Tally::default() },
                };
                acc.add(zones.zone(b.origin[k]), zones.zone(b.dest[k]), by.of(b.mode[k], b.group[k]), t);
            }
        },
        PairSums::merge,
    )
    .map(PairSums::settle)
}

/// The most cells (non-zero pairs of zones, by category) of a matrix answered at once:
/// a JSON of some 100 MB, and secrecy costs grow with the cells.
pub const MAX_CELLS: usize = 500_000;

/// The matrix of `flows` between `zones`, with secrecy applied; refused above
/// [`MAX_CELLS`] cells, before secrecy is worked out.
pub fn matrix(flows: &Flows, zones: &Zones, by: By, secrecy: Secrecy) -> Result<Matrix, MobilityError> {
    matrix_at_most(flows, zones, by, secrecy, MAX_CELLS)
}

pub(crate) fn matrix_at_most(
    flows: &Flows,
    zones: &Zones,
    by: By,
    secrecy: Secrecy,
    max_cells: usize,
) -> Result<Matrix, MobilityError> {
    secrecy.validate()?;
    check_breakdown(by, flows.detailed, &flows.provenance.dataset)?;
    let acc = sums(flows, zones, by);
    let cells = acc.len();
    if cells > max_cells {
        return Err(MobilityError::Usage(format!(
            "{cells} cells: a matrix has at most {max_cells}; narrow the zones (a frame, a coarser layer) or drop the \
             breakdown by mode or group"
        )));
    }
    Ok(build(acc, zones, by, secrecy, flows.provenance.clone()))
}

/// The figures of a matrix in a [`Ledger`]: its cells, each zone's row and column
/// totals and the grand total, tied by their sums.
pub(crate) struct MatrixLedger {
    pub ledger: Ledger,
    pub list: Vec<(u32, u32, usize, Tally)>,
    /// Ledger index of each cell of `list`, of each zone's row and column total, of the grand total.
    pub cells: Vec<usize>,
    pub rows: Vec<usize>,
    pub cols: Vec<usize>,
    pub total: usize,
    /// Cells (indexes into `list`) of each row and column.
    pub by_row: Vec<Vec<usize>>,
    pub by_col: Vec<Vec<usize>>,
    pub row_sums: Vec<Tally>,
    pub col_sums: Vec<Tally>,
}

impl MatrixLedger {
    pub(crate) fn new(acc: &PairSums, n: usize, secrecy: &Secrecy) -> MatrixLedger {
        let list = acc.cells();
        let mut row_sums = vec![Tally::default(); n];
        let mut col_sums = vec![Tally::default(); n];
        let mut by_row = vec![Vec::new(); n];
        let mut by_col = vec![Vec::new(); n];
        for (k, &(o, d, _, w)) in list.iter().enumerate() {
            row_sums[o as usize] += w;
            col_sums[d as usize] += w;
            by_row[o as usize].push(k);
            by_col[d as usize].push(k);
        }
        let mut ledger = Ledger::new();
        let cells: Vec<usize> = list.iter().map(|c| ledger.figure(secrecy, c.3)).collect();
        let rows: Vec<usize> = row_sums.iter().map(|&w| ledger.figure(secrecy, w)).collect();
        let cols: Vec<usize> = col_sums.iter().map(|&w| ledger.figure(secrecy, w)).collect();
        let total = ledger.figure(secrecy, acc.total());
        for z in 0..n {
            ledger.sum(rows[z], by_row[z].iter().map(|&k| cells[k]).collect());
            ledger.sum(cols[z], by_col[z].iter().map(|&k| cells[k]).collect());
        }
        ledger.sum(total, rows.clone());
        ledger.sum(total, cols.clone());
        MatrixLedger { ledger, list, cells, rows, cols, total, by_row, by_col, row_sums, col_sums }
    }
}

/// Builds the matrix from sums: secret cells under the threshold, then secondary
/// suppression so that no secret cell can be recovered from a row, column or grand
/// total shown (see [`Ledger`]).
pub fn build(acc: PairSums, zones: &Zones, by: By, secrecy: Secrecy, provenance: Provenance) -> Matrix {
    let mut m = MatrixLedger::new(&acc, zones.len(), &secrecy);
    m.ledger.protect();
    let l = &m.ledger;
    let keys: Vec<Arc<str>> = zones.zones.iter().map(|z| Arc::from(z.key.as_str())).collect();
    let cells: Vec<MatrixCell> = m
        .list
        .par_iter()
        .enumerate()
        .map(|(k, &(o, d, cat, w))| MatrixCell {
            origin: o,
            dest: d,
            origin_key: keys[o as usize].clone(),
            dest_key: keys[d as usize].clone(),
            category: by.label(cat).map(str::to_string),
            workers: l.count(m.cells[k]),
            secret: l.is_secret(m.cells[k]),
            secondary: l.is_secondary(m.cells[k]),
            fragile: secrecy.is_fragile(secrecy.published(w)),
        })
        .collect();
    let totals = zones
        .zones
        .iter()
        .enumerate()
        .map(|(z, info)| ZoneTotals {
            key: info.key.clone(),
            name: info.name.clone(),
            residents_in_work: l.count(m.rows[z]),
            jobs_held: l.count(m.cols[z]),
        })
        .collect();
    Matrix {
        zones: zones.zones.clone(),
        by,
        secret_cells: cells.iter().filter(|c| c.secret).count(),
        cells,
        totals,
        total: l.count(m.total),
        secrecy,
        unit: UNIT.to_string(),
        source_line: provenance.line(),
        provenance,
    }
}

/// A partner territory in a summary (a destination or an origin).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Partner {
    /// The partner's key.
    pub key: String,
    /// Its name.
    pub name: String,
    /// Workers; `null` when secret.
    pub workers: Count,
    /// Share of the territory's outgoing (or incoming) workers, in %; `null` when
    /// either count is secret.
    pub share: Option<f64>,
    /// Under the secrecy threshold: `workers` is withheld.
    pub secret: bool,
}

/// The commuting balance of one territory, every count under secrecy (`null` when
/// secret, with secondary suppression between the balance and its partners).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// The territory key.
    pub territory: String,
    /// Its name.
    pub name: String,
    /// Workers living in the territory (wherever they work, abroad included).
    pub residents_in_work: Count,
    /// … of whom working in the territory.
    pub working_inside: Count,
    /// … of whom working outside it (abroad included).
    pub outgoing: Count,
    /// Workers living outside and working in the territory.
    pub incoming: Count,
    /// Workers working in the territory, wherever they live.
    pub jobs_held: Count,
    /// incoming − outgoing; `null` when any count of the balance is secret.
    pub net_balance: Option<f64>,
    /// working_inside / residents_in_work, in % (self-containment, "auto-contention").
    pub self_containment: Option<f64>,
    /// outgoing / residents_in_work, in % (dependence on outside jobs).
    pub dependence: Option<f64>,
    /// working_inside / jobs_held, in % (jobs held by residents, "autosuffisance").
    pub job_self_sufficiency: Option<f64>,
    /// Some count of the balance is secret.
    pub secret: bool,
    /// Destinations of outgoing workers, largest first, at the partner layer.
    pub top_destinations: Vec<Partner>,
    /// Origins of incoming workers, largest first.
    pub top_origins: Vec<Partner>,
    /// The layer of the partners (`com`, `epci`…).
    pub partner_layer: String,
    /// The secrecy threshold applied to every count above.
    pub secrecy: Secrecy,
    /// The unit of the counts (`actifs occupés`).
    pub unit: String,
    /// Where the flows come from.
    pub provenance: Provenance,
    /// « Source : … (millésime …) », with « SYNTHÉTIQUE » when generated.
    pub source_line: String,
}

/// A bitset of the communes of a territory.
pub(crate) fn member_mask(r: &Referential, t: &TerritoryRef) -> Result<Vec<bool>, MobilityError> {
    if t.layer == Layer::Iris {
        return Err(MobilityError::Usage(format!("{t}: flows are known commune to commune, not by IRIS")));
    }
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

/// Default number of main destinations and origins in a summary.
pub const TOP_PARTNERS: usize = 10;

/// At most this many partners in a summary.
pub const MAX_TOP_PARTNERS: usize = 200;

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
    if top == 0 || top > MAX_TOP_PARTNERS {
        return Err(MobilityError::Usage(format!("top {top}: between 1 and {MAX_TOP_PARTNERS}")));
    }
    if partner_layer == Layer::Iris {
        return Err(MobilityError::Usage("partners iris: flows are known commune to commune".into()));
    }
    let mask = member_mask(r, t)?;
    let partners = Zones::layer(r, partner_layer, None)?;
    let (mut res, mut inside_w, mut jobs) = (Tally::default(), Tally::default(), Tally::default());
    let mut dest: HashMap<u32, Tally> = HashMap::new();
    let mut orig: HashMap<u32, Tally> = HashMap::new();
    for f in &flows.flows {
        let (o, d) = (inside(&mask, f.origin), inside(&mask, f.dest));
        if o {
            res += f.tally();
        }
        if d {
            jobs += f.tally();
        }
        match (o, d) {
            (true, true) => inside_w += f.tally(),
            (true, false) => *dest.entry(partners.zone(f.dest)).or_default() += f.tally(),
            (false, true) => *orig.entry(partners.zone(f.origin)).or_default() += f.tally(),
            (false, false) => {}
        }
    }
    let outgoing = res - inside_w;
    let incoming = jobs - inside_w;
    let mut l = Ledger::new();
    let [fr, fi, fo, fj, fn_] = [res, inside_w, outgoing, jobs, incoming].map(|w| l.figure(&secrecy, w));
    l.sum(fr, vec![fi, fo]);
    l.sum(fj, vec![fi, fn_]);
    // The top partners, in the ledger; when the list is whole, it sums to its total.
    let listed = |m: HashMap<u32, Tally>, total: usize, l: &mut Ledger| {
        let mut v: Vec<(u32, Tally)> = m.into_iter().filter(|p| p.1.weight != 0).collect();
        // Ranked by published workers: the exact order would tell which of two close counts is larger.
        v.sort_by(|a, b| secrecy.published(b.1).cmp(&secrecy.published(a.1)).then(a.0.cmp(&b.0)));
        let whole = v.len() <= top;
        v.truncate(top);
        let idx: Vec<(u32, usize)> = v.iter().map(|&(z, w)| (z, l.figure(&secrecy, w))).collect();
        if whole {
            l.sum(total, idx.iter().map(|x| x.1).collect());
        }
        idx
    };
    let dests = listed(dest, fo, &mut l);
    let origs = listed(orig, fn_, &mut l);
    l.protect();
    let partner_list = |idx: &[(u32, usize)], total: usize| -> Vec<Partner> {
        idx.iter()
            .map(|&(z, k)| {
                let info = &partners.zones[z as usize];
                Partner {
                    key: info.key.clone(),
                    name: info.name.clone(),
                    workers: l.count(k),
                    share: l.count(k).pct_of(l.count(total)),
                    secret: l.is_secret(k),
                }
            })
            .collect()
    };
    let (r_, i_, o_, j_, n_) = (l.count(fr), l.count(fi), l.count(fo), l.count(fj), l.count(fn_));
    let secret = [r_, i_, o_, j_, n_].iter().any(|c| c.is_secret());
    Ok(Summary {
        territory: t.to_string(),
        name: r.name(t).unwrap_or("?").to_string(),
        residents_in_work: r_,
        working_inside: i_,
        outgoing: o_,
        incoming: n_,
        jobs_held: j_,
        net_balance: n_.value().zip(o_.value()).map(|(n, o)| n - o).filter(|_| !secret),
        self_containment: i_.pct_of(r_),
        dependence: o_.pct_of(r_),
        job_self_sufficiency: i_.pct_of(j_),
        secret,
        top_destinations: partner_list(&dests, fo),
        top_origins: partner_list(&origs, fn_),
        partner_layer: partner_layer.prefix().to_string(),
        secrecy,
        unit: UNIT.to_string(),
        source_line: flows.provenance.line(),
        provenance: flows.provenance.clone(),
    })
}

/// Commuters into a territory from another, under secrecy.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Inflows {
    /// Key of the territory commuted into.
    pub target: String,
    /// Its name.
    pub target_name: String,
    /// Key of the territory of residence asked about.
    pub from: String,
    /// Its name.
    pub from_name: String,
    /// Workers working in the target and living outside it; `null` when secret.
    pub commuters_in: Count,
    /// … of whom living in `from` (outside the target); `null` when secret.
    pub from_commuters: Count,
    /// from_commuters / commuters_in, in %; `null` when either is secret.
    pub share: Option<f64>,
    /// One of the two counts is secret.
    pub secret: bool,
    /// Communes of `from` that are also in the target (their residents are not commuters into it).
    pub overlap_communes: usize,
    /// The secrecy threshold applied to every count above.
    pub secrecy: Secrecy,
    /// The unit of the counts (`actifs occupés`).
    pub unit: String,
    /// Where the flows come from.
    pub provenance: Provenance,
    /// « Source : … (millésime …) », with « SYNTHÉTIQUE » when generated.
    pub source_line: String,
}

/// How many of the workers commuting into `target` live in `from` (neither may be an IRIS).
pub fn inflows(
    flows: &Flows,
    r: &Referential,
    target: &TerritoryRef,
    from: &TerritoryRef,
    secrecy: Secrecy,
) -> Result<Inflows, MobilityError> {
    secrecy.validate()?;
    let t = member_mask(r, target)?;
    let f = member_mask(r, from)?;
    let overlap_communes = t.iter().zip(&f).filter(|(a, b)| **a && **b).count();
    let (mut all, mut from_w) = (Tally::default(), Tally::default());
    for x in &flows.flows {
        if inside(&t, x.dest) && !inside(&t, x.origin) {
            all += x.tally();
            if inside(&f, x.origin) {
                from_w += x.tally();
            }
        }
    }
    let (all, part) = (secrecy.count(all), secrecy.count(from_w));
    Ok(Inflows {
        target: target.to_string(),
        target_name: r.name(target).unwrap_or("?").to_string(),
        from: from.to_string(),
        from_name: r.name(from).unwrap_or("?").to_string(),
        commuters_in: all,
        from_commuters: part,
        share: part.pct_of(all),
        secret: all.is_secret() || part.is_secret(),
        overlap_communes,
        secrecy,
        unit: UNIT.to_string(),
        source_line: flows.provenance.line(),
        provenance: flows.provenance.clone(),
    })
}
