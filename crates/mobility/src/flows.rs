//! Commuting flows as imported into the store: one row per person of the detailed
//! file (`FD_MOBPRO`, weight `IPONDI`) or one row per commune pair of the
//! aggregated base (`NBFLUX_C{yy}_ACTOCC15P`), read on the current geography (the
//! `_CUR` columns written by the importer).
//!
//! Weights are kept exact: INSEE's decimals are `Decimal128(38, 15)` in the store and
//! are summed here as `i128` at scale 10⁻¹⁵, so a total does not depend on the order
//! of the sum (nor on the layer it is summed to); they become `f64` for display only.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Decimal128Type, Field, Float64Type, Int32Type, Schema};
use echelle_referential::Referential;
use echelle_store::{Dataset, DatasetLevel, Provenance, Store};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use rayon::prelude::*;

use crate::MobilityError;

/// "No commune": abroad (`99xxx`), not applicable, or a former code now split.
pub const NONE: u32 = u32::MAX;
/// Weights are integers at this scale (15 decimals, as the importer stores them).
pub const SCALE: f64 = 1e15;
const SCALE_DIGITS: i8 = 15;

/// A weight in workers, for display.
pub fn workers(w: i128) -> f64 {
    w as f64 / SCALE
}

/// An exact weight from a number of workers (tests, fixtures).
pub fn weight(workers: f64) -> i128 {
    (workers * SCALE).round() as i128
}

/// Main mode of transport (`TRANS`, METHODS.md §2); index 0 is "unknown" (the
/// aggregated base has no mode).
pub const MODES: [(&str, &str); 8] = [
    ("?", "mode inconnu"),
    ("1", "pas de transport"),
    ("2", "marche à pied"),
    ("3", "vélo"),
    ("4", "deux-roues motorisé"),
    ("5", "voiture, camion"),
    ("6", "transports en commun"),
    ("Z", "sans objet"),
];
/// Index of "car" in [`MODES`].
pub const CAR: u8 = 5;
/// Index of "no transport" (works at home) in [`MODES`].
pub const NO_TRANSPORT: u8 = 1;
/// Index of public transport in [`MODES`].
pub const PUBLIC_TRANSPORT: u8 = 6;
/// Index of motorised two-wheelers in [`MODES`].
pub const TWO_WHEELER: u8 = 4;

/// Socio-professional group (`CS1`); index 0 is "unknown". The modalities are those
/// of the PCS 2003 groups; METHODS.md §2 says to confirm them from the file's own
/// dictionary (`Varmod_MOBPRO`), which the store does not hold yet.
pub const GROUPS: [(&str, &str); 9] = [
    ("?", "groupe inconnu"),
    ("1", "agriculteurs exploitants"),
    ("2", "artisans, commerçants, chefs d'entreprise"),
    ("3", "cadres et professions intellectuelles supérieures"),
    ("4", "professions intermédiaires"),
    ("5", "employés"),
    ("6", "ouvriers"),
    ("7", "retraités"),
    ("8", "autres sans activité professionnelle"),
];

fn mode_index(s: &str) -> u8 {
    MODES.iter().position(|(c, _)| *c == s.trim()).filter(|&i| i > 0).unwrap_or(0) as u8
}

fn group_index(s: &str) -> u8 {
    GROUPS.iter().position(|(c, _)| *c == s.trim()).filter(|&i| i > 0).unwrap_or(0) as u8
}

/// A multiplicative hasher for packed integer keys (keys are not chosen by an
/// adversary: they are commune indices).
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        // splitmix64's finaliser: every bit of the key reaches the low and high bits.
        let mut z = (self.0 ^ x).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        self.0 = z ^ (z >> 31);
    }
}

pub(crate) type Fast = std::hash::BuildHasherDefault<FastHasher>;

/// The unit of every flow count.
pub const UNIT: &str = "actifs occupés";

/// An exact sum of flow records: their workers, how many records, and the cell key
/// of the statistical secrecy's noise (the sum of the records' keys modulo 2³²,
/// [`echelle_platform::cellkey`]). Sums and differences of tallies are the tallies of
/// the unions and differences of their records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Workers at scale [`SCALE`].
    pub weight: i128,
    /// Records summed.
    pub records: u64,
    /// Σ record keys mod 2³².
    pub key: u32,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.weight += o.weight;
        self.records += o.records;
        self.key = self.key.wrapping_add(o.key);
    }
}

impl std::ops::Add for Tally {
    type Output = Tally;
    fn add(mut self, o: Tally) -> Tally {
        self += o;
        self
    }
}

impl std::ops::Sub for Tally {
    type Output = Tally;
    /// The records of `self` not in `o` (`o`'s records are some of `self`'s).
    fn sub(self, o: Tally) -> Tally {
        Tally { weight: self.weight - o.weight, records: self.records - o.records, key: self.key.wrapping_sub(o.key) }
    }
}

impl std::iter::Sum for Tally {
    fn sum<I: Iterator<Item = Tally>>(iter: I) -> Tally {
        iter.fold(Tally::default(), |a, b| a + b)
    }
}

/// Workers of one home commune, one work commune, one mode and one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Flow {
    /// Home commune (index into the referential's communes).
    pub origin: u32,
    /// Work commune, or [`NONE`] (abroad, unknown).
    pub dest: u32,
    /// Main mode of transport, index into [`MODES`] (0: unknown).
    pub mode: u8,
    /// Socio-professional group, index into [`GROUPS`] (0: unknown).
    pub group: u8,
    /// Workers at scale [`SCALE`].
    pub weight: i128,
    /// Records of the dataset summed in it (a row of the detailed file is one worker
    /// interviewed; a row of the aggregated base counts as its workers, rounded).
    pub records: u64,
    /// The sum of their record keys, modulo 2³².
    pub key: u32,
}

impl Flow {
    /// Its workers, records and cell key.
    pub fn tally(&self) -> Tally {
        Tally { weight: self.weight, records: self.records, key: self.key }
    }
}

/// The flows of a dataset summed by (origin, destination, mode, group).
#[derive(Debug, Clone)]
pub struct Flows {
    /// Every (origin, destination, mode, group) with workers, in no particular order.
    pub flows: Vec<Flow>,
    /// Where the flows come from (unit: [`UNIT`]).
    pub provenance: Provenance,
    /// The detailed file (modes and groups known), not the aggregated base.
    pub detailed: bool,
    /// Workers whose home code has no commune actuelle (a former code since split): left out.
    pub workers_without_origin: f64,
}

impl Flows {
    /// Flows from plain values (tests, fixtures, other crates), modes and groups
    /// known: summed by key.
    pub fn from_flows(flows: impl IntoIterator<Item = Flow>, provenance: Provenance) -> Flows {
        let mut acc: HashMap<(u32, u32, u8, u8), Tally> = HashMap::new();
        for f in flows {
            *acc.entry((f.origin, f.dest, f.mode, f.group)).or_default() += f.tally();
        }
        let mut flows: Vec<Flow> = acc
            .into_iter()
            .map(|((origin, dest, mode, group), t)| Flow {
                origin,
                dest,
                mode,
                group,
                weight: t.weight,
                records: t.records,
                key: t.key,
            })
            .collect();
        flows.sort_by_key(|f| (f.origin, f.dest, f.mode, f.group));
        Flows { flows, provenance, detailed: true, workers_without_origin: 0.0 }
    }

    /// Reads a flow dataset of the store (`dataset`, or the only work-flow dataset).
    pub fn load(store: &Store, r: &Referential, dataset: Option<&str>) -> Result<Flows, MobilityError> {
        let d = flow_dataset(store, dataset)?;
        let path = store.root().join(&d.path);
        let provenance = Provenance::of(&d).with_unit(UNIT);
        let detailed = is_detailed(&path)?;
        let seed = record_seed(&d.checksum);
        let n = r.communes().len() as u64;
        if n >= 1 << 24 {
            return Err(MobilityError::Usage("more than 16 million communes: flow keys do not fit".into()));
        }
        // (origin, dest, mode, group) packed in a u64: 24 + 24 + 8 + 8 bits; NONE becomes n.
        let code = |c: u32| if c == NONE { n } else { c as u64 };
        let acc = scan(
            &path,
            r,
            Need { mode: true, group: true },
            HashMap::<u64, Tally, Fast>::default,
            |acc, b| {
                for k in 0..b.origin.len() {
                    let key =
                        code(b.origin[k]) << 40 | code(b.dest[k]) << 16 | (b.mode[k] as u64) << 8 | b.group[k] as u64;
                    *acc.entry(key).or_default() += b.tally(k, seed, detailed);
                }
            },
            |mut a, b| {
                for (k, v) in b {
                    *a.entry(k).or_default() += v;
                }
                a
            },
        )?;
        let decode = |x: u64| if x == n { NONE } else { x as u32 };
        let mut without_origin = 0i128;
        let mut flows = Vec::with_capacity(acc.len());
        for (key, t) in acc {
            let (origin, dest) = (decode(key >> 40), decode((key >> 16) & 0xFF_FFFF));
            let (mode, group) = ((key >> 8) as u8, key as u8);
            if origin == NONE {
                without_origin += t.weight;
                continue;
            }
            flows.push(Flow { origin, dest, mode, group, weight: t.weight, records: t.records, key: t.key });
        }
        flows.sort_by_key(|f| (f.origin, f.dest, f.mode, f.group));
        Ok(Flows { flows, provenance, detailed, workers_without_origin: workers(without_origin) })
    }

    /// Total workers (exact).
    pub fn total(&self) -> i128 {
        self.flows.iter().map(|f| f.weight).sum()
    }
}

/// The flow dataset to use: the one named, else the only home–work flow dataset.
pub fn flow_dataset(store: &Store, id: Option<&str>) -> Result<Dataset, MobilityError> {
    let all = store.catalog().datasets()?;
    if let Some(id) = id {
        let d = all.into_iter().find(|d| d.id == id).ok_or_else(|| {
            MobilityError::Usage(format!("unknown dataset '{id}' (see `echelle import --list` or the catalog)"))
        })?;
        if d.level != DatasetLevel::Flow {
            return Err(MobilityError::Usage(format!(
                "dataset '{id}' holds {} rows, not origin–destination flows",
                d.level.as_str()
            )));
        }
        return Ok(d);
    }
    let flows: Vec<Dataset> = all.into_iter().filter(|d| d.level == DatasetLevel::Flow).collect();
    match flows.len() {
        0 => Err(MobilityError::Usage(
            "no commuting flows in the store: import FD_MOBPRO or the flows base (`echelle import`), or generate \
             SYNTHETIC ones (`echelle synth mobpro --import`)"
                .into(),
        )),
        1 => Ok(flows.into_iter().next().expect("one")),
        _ => Err(MobilityError::Usage(format!(
            "several flow datasets in the store, name one with --dataset: {}",
            flows
                .iter()
                .map(|d| format!("{}{}", d.id, if d.synthetic { " (synthetic)" } else { "" }))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A flow dataset of the store, as listed to users.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct FlowDataset {
    /// The dataset id in the store.
    pub id: String,
    /// The detailed file (modes and groups known), not the aggregated base.
    pub detailed: bool,
    /// Where the flows come from.
    pub provenance: Provenance,
    /// « Source : … (millésime …) », with « SYNTHÉTIQUE » when generated.
    pub source_line: String,
}

/// The home–work flow datasets of the store.
pub fn datasets(store: &Store) -> Result<Vec<FlowDataset>, MobilityError> {
    let mut out = Vec::new();
    for d in store.catalog().datasets()?.into_iter().filter(|d| d.level == DatasetLevel::Flow) {
        let provenance = Provenance::of(&d).with_unit(UNIT);
        out.push(FlowDataset {
            detailed: is_detailed(&store.root().join(&d.path))?,
            id: d.id,
            source_line: provenance.line(),
            provenance,
        });
    }
    Ok(out)
}

/// Whether the flow table at `path` is the detailed file (it has the mode column
/// `TRANS`), not the aggregated base.
pub fn is_detailed(path: &Path) -> Result<bool, MobilityError> {
    Ok(Columns::of(file_schema(path)?.as_ref(), path)?.mode.is_some())
}

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> MobilityError {
    MobilityError::Parquet { path: path.display().to_string(), message: e.to_string() }
}

fn file_schema(path: &Path) -> Result<Arc<Schema>, MobilityError> {
    let file = File::open(path).map_err(|e| parquet_err(path, e))?;
    let b = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| parquet_err(path, e))?;
    Ok(b.schema().clone())
}

/// The columns of a flow table.
#[derive(Debug, Clone)]
struct Columns {
    origin: usize,
    dest: usize,
    weight: usize,
    mode: Option<usize>,
    group: Option<usize>,
    names: [Option<String>; 5],
}

impl Columns {
    fn of(schema: &Schema, path: &Path) -> Result<Columns, MobilityError> {
        let find = |n: &str| schema.index_of(n).ok();
        let weight = find("IPONDI").or_else(|| {
            schema.fields().iter().position(|f| f.name().starts_with("NBFLUX_C") && f.name().ends_with("_ACTOCC15P"))
        });
        let (Some(origin), Some(dest), Some(weight)) =
            (find("COMMUNE_CUR").or_else(|| find("CODGEO_CUR")), find("DCLT_CUR"), weight)
        else {
            return Err(MobilityError::Usage(format!(
                "{}: not a home–work flow table (expected COMMUNE_CUR or CODGEO_CUR, DCLT_CUR and IPONDI or \
                 NBFLUX_C..._ACTOCC15P; home–study flows are not commuting to work)",
                path.display()
            )));
        };
        let (mode, group) = (find("TRANS"), find("CS1"));
        let name = |i: Option<usize>| i.map(|i| schema.field(i).name().clone());
        let names = [name(Some(origin)), name(Some(dest)), name(Some(weight)), name(mode), name(group)];
        Ok(Columns { origin, dest, weight, mode, group, names })
    }
}

/// The seed of a dataset's record keys ([`echelle_platform::cellkey::seed`]).
pub fn record_seed(checksum: &str) -> u64 {
    echelle_platform::cellkey::seed(checksum)
}

/// One decoded batch: commune indices, mode and group indices, exact weights.
pub(crate) struct Batch<'a> {
    pub origin: &'a [u32],
    pub dest: &'a [u32],
    pub mode: &'a [u8],
    pub group: &'a [u8],
    pub weight: &'a [i128],
    /// The index in the file of the batch's first row.
    pub first_row: u64,
}

impl Batch<'_> {
    /// Row `k` as a tally of records: one record (the detailed file's worker), or the
    /// aggregated base's workers rounded (at least one), with the row's key.
    pub fn tally(&self, k: usize, seed: u64, detailed: bool) -> Tally {
        let weight = self.weight[k];
        let records = if detailed { 1 } else { (workers(weight).round() as u64).max(1) };
        Tally { weight, records, key: echelle_platform::cellkey::record_key(seed, self.first_row + k as u64) }
    }
}

/// Which of the optional columns a scan reads (mode `TRANS`, group `CS1`); columns not
/// read come as "unknown" (index 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Need {
    pub mode: bool,
    pub group: bool,
}

/// Reads the flow table at `path` on all cores, one task per row group, and folds
/// every decoded batch into an accumulator (`init`, `fold`, `merge`).
///
/// Code columns are read dictionary-encoded: each distinct code of a row group is
/// looked up in the referential once, not once per row.
pub(crate) fn scan<A: Send>(
    path: &Path,
    r: &Referential,
    need: Need,
    init: impl Fn() -> A + Sync + Send,
    fold: impl Fn(&mut A, &Batch<'_>) + Sync + Send,
    merge: impl Fn(A, A) -> A + Sync + Send,
) -> Result<A, MobilityError> {
    let schema = file_schema(path)?;
    let mut cols = Columns::of(&schema, path)?;
    if !need.mode {
        cols.mode = None;
        cols.names[3] = None;
    }
    if !need.group {
        cols.group = None;
        cols.names[4] = None;
    }
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let as_dict = [Some(cols.origin), Some(cols.dest), cols.mode, cols.group];
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if as_dict.contains(&Some(i)) && f.data_type() == &DataType::Utf8 {
                Field::new(f.name(), dict.clone(), f.is_nullable())
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let hinted = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let options = ArrowReaderOptions::new().with_schema(hinted);
    let open = || -> Result<ParquetRecordBatchReaderBuilder<File>, MobilityError> {
        let file = File::open(path).map_err(|e| parquet_err(path, e))?;
        ParquetRecordBatchReaderBuilder::try_new_with_options(file, options.clone()).map_err(|e| parquet_err(path, e))
    };
    let metadata = open()?.metadata().clone();
    let groups = metadata.num_row_groups();
    // The index of each row group's first row: a record's key depends on its place in the file.
    let starts: Vec<u64> = (0..groups)
        .scan(0u64, |at, g| {
            let start = *at;
            *at += metadata.row_group(g).num_rows() as u64;
            Some(start)
        })
        .collect();
    let mut wanted = vec![cols.origin, cols.dest, cols.weight];
    wanted.extend(cols.mode);
    wanted.extend(cols.group);
    // One sum per thread's run of row groups, not per row group: a national file's
    // commune pairs fill a hash table of 100 MB per group, which the kernel zeroed
    // twenty times over and the merge read back.
    let runs = groups.div_ceil(rayon::current_num_threads()).max(1);
    (0..groups)
        .into_par_iter()
        .with_min_len(runs)
        .try_fold(&init, |mut acc, g| -> Result<A, MobilityError> {
            let builder = open()?;
            let mask = ProjectionMask::roots(builder.parquet_schema(), wanted.iter().copied());
            let reader = builder
                .with_row_groups(vec![g])
                .with_projection(mask)
                .with_batch_size(1 << 16)
                .build()
                .map_err(|e| parquet_err(path, e))?;
            let mut dec = Decoder::default();
            let mut first_row = starts[g];
            for batch in reader {
                let batch = batch.map_err(|e| parquet_err(path, e))?;
                dec.decode(&batch, &cols.names, r, path)?;
                let n = batch.num_rows();
                fold(
                    &mut acc,
                    &Batch {
                        origin: &dec.origin[..n],
                        dest: &dec.dest[..n],
                        mode: &dec.mode[..n],
                        group: &dec.group[..n],
                        weight: &dec.weight[..n],
                        first_row,
                    },
                );
                first_row += n as u64;
            }
            Ok(acc)
        })
        .try_reduce_with(|a, b| Ok(merge(a, b)))
        .unwrap_or_else(|| Ok(init()))
}

/// Decodes batches (projected columns in order: origin, dest, weight, [mode], [group])
/// into reusable buffers, caching dictionary lookups across batches.
#[derive(Default)]
struct Decoder {
    origin: Vec<u32>,
    dest: Vec<u32>,
    mode: Vec<u8>,
    group: Vec<u8>,
    weight: Vec<i128>,
    origin_cache: DictCache<u32>,
    dest_cache: DictCache<u32>,
    mode_cache: DictCache<u8>,
    group_cache: DictCache<u8>,
}

/// The mapping of one dictionary's values, kept while the dictionary is the same.
struct DictCache<T> {
    key: (usize, usize),
    map: Vec<T>,
}

impl<T> Default for DictCache<T> {
    fn default() -> Self {
        DictCache { key: (0, 0), map: Vec::new() }
    }
}

fn decode_dict<T: Copy>(
    col: &dyn Array,
    cache: &mut DictCache<T>,
    none: T,
    lookup: impl Fn(&str) -> T,
    out: &mut Vec<T>,
    path: &Path,
) -> Result<(), MobilityError> {
    let d = col.as_dictionary_opt::<Int32Type>().ok_or_else(|| parquet_err(path, "code column not text"))?;
    let values = d.values().as_string_opt::<i32>().ok_or_else(|| parquet_err(path, "code column not text"))?;
    let key = (values.value_data().as_ptr() as usize, values.len());
    if key != cache.key || cache.map.len() != values.len() {
        cache.map = (0..values.len()).map(|i| if values.is_null(i) { none } else { lookup(values.value(i)) }).collect();
        cache.key = key;
    }
    out.clear();
    let keys = d.keys();
    if keys.null_count() == 0 {
        out.extend(keys.values().iter().map(|&k| cache.map[k as usize]));
    } else {
        out.extend(keys.iter().map(|k| k.map_or(none, |k| cache.map[k as usize])));
    }
    Ok(())
}

impl Decoder {
    fn decode(
        &mut self,
        b: &RecordBatch,
        names: &[Option<String>; 5],
        r: &Referential,
        path: &Path,
    ) -> Result<(), MobilityError> {
        let n = b.num_rows();
        let col = |k: usize| {
            names[k].as_deref().and_then(|name| b.column_by_name(name)).ok_or_else(|| parquet_err(path, "column lost"))
        };
        let commune = |s: &str| r.commune_index(s).unwrap_or(NONE);
        decode_dict(col(0)?.as_ref(), &mut self.origin_cache, NONE, commune, &mut self.origin, path)?;
        decode_dict(col(1)?.as_ref(), &mut self.dest_cache, NONE, commune, &mut self.dest, path)?;
        self.weight.clear();
        let w = col(2)?;
        match w.data_type() {
            DataType::Decimal128(_, s) => {
                let a = w.as_primitive::<Decimal128Type>();
                let shift = SCALE_DIGITS - *s;
                if shift < 0 {
                    return Err(parquet_err(path, format!("weights with {s} decimals: at most 15 are kept")));
                }
                let m = 10i128.pow(shift as u32);
                if a.null_count() == 0 {
                    self.weight.extend(a.values().iter().map(|v| v * m));
                } else {
                    self.weight.extend(a.iter().map(|v| v.unwrap_or(0) * m));
                }
            }
            DataType::Float64 => {
                self.weight.extend(w.as_primitive::<Float64Type>().iter().map(|v| weight(v.unwrap_or(0.0))))
            }
            other => return Err(parquet_err(path, format!("weight column of type {other}"))),
        }
        if names[3].is_some() {
            decode_dict(col(3)?.as_ref(), &mut self.mode_cache, 0, mode_index, &mut self.mode, path)?;
        } else {
            self.mode.clear();
            self.mode.resize(n, 0);
        }
        if names[4].is_some() {
            decode_dict(col(4)?.as_ref(), &mut self.group_cache, 0, group_index, &mut self.group, path)?;
        } else {
            self.group.clear();
            self.group.resize(n, 0);
        }
        Ok(())
    }
}
