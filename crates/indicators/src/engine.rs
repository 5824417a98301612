//! Evaluation of indicators over Arrow tables in memory.
//!
//! Datasets are read once from their Parquet files (with the pack's, when the engine
//! is opened with the store: the pack's communes and IRIS are decoded once), each row
//! tagged with the raw index of its commune or IRIS in the referential (`__unit`) and
//! indexed by it (CSR arrays). A request is joined to a dataset by reading the rows of
//! each target's units directly, then every indicator is one pass over the targets:
//! the sums, counts and maxima SQL would give (`LEFT JOIN` then `GROUP BY` target),
//! without hash tables. The caller keeps the typed territories, the engine sees only
//! indices.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Float64Array, Int64Array, RecordBatch, UInt32Array};
use arrow::datatypes::{DataType, Float64Type, Int64Type, UInt32Type};
use echelle_platform::{Protection, Units};
use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::{Dataset, DatasetLevel, Store};
use rayon::prelude::*;

use crate::{Aggregate, IndicatorDef, IndicatorError, SHIPPED_INDICATORS, parse_catalog};

/// A territory to evaluate, as the engine sees it: a key and the raw indices of its
/// communes (and, for an IRIS, of itself).
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// The territory key (`dep:59`, `per:mel!outside`), as outputs name it.
    pub key: String,
    /// The territory's name, for column headers.
    pub label: String,
    /// Raw indices of its member communes in the referential.
    pub communes: Vec<u32>,
    /// Set for an IRIS: the IRIS itself; otherwise the IRIS of `communes`.
    pub iris: Option<Vec<u32>>,
}

impl Target {
    /// The target of a territory of any layer or perimeter.
    pub fn territory(r: &Referential, t: &TerritoryRef) -> Result<Target, IndicatorError> {
        let label = r.name(t).unwrap_or(&t.code).to_string();
        if t.layer == Layer::Iris {
            let iris = r.iris_members(t)?;
            let communes = vec![r.iris()[iris[0] as usize].commune];
            return Ok(Target { key: t.key(), label, communes, iris: Some(iris) });
        }
        Ok(Target { key: t.key(), label, communes: r.members(t)?.into_owned(), iris: None })
    }

    /// Every territory of a layer: as [`Target::territory`] of each of
    /// [`Referential::territories`], read by index rather than looked up by code (a
    /// layer of communes or IRIS is tens of thousands of lookups).
    pub fn layer(r: &Referential, layer: Layer) -> Result<Vec<Target>, IndicatorError> {
        let key = |code: &str| format!("{}:{code}", layer.prefix());
        Ok(match layer {
            Layer::Commune => (0u32..)
                .zip(r.communes())
                .map(|(i, c)| Target { key: key(&c.code), label: c.name.clone(), communes: vec![i], iris: None })
                .collect(),
            Layer::Iris => (0u32..)
                .zip(r.iris())
                .map(|(i, x)| Target {
                    key: key(&x.code),
                    label: x.name.clone(),
                    communes: vec![x.commune],
                    iris: Some(vec![i]),
                })
                .collect(),
            Layer::Country | Layer::Perimeter => {
                r.territories(layer).iter().map(|t| Target::territory(r, t)).collect::<Result<_, _>>()?
            }
            _ => r
                .units(layer)
                .iter()
                .map(|u| Target { key: key(&u.code), label: u.name.clone(), communes: u.members.clone(), iris: None })
                .collect(),
        })
    }

    /// A portrait's columns: the territory, the outside of a perimeter, its references
    /// (département, région, France) and any territory the user names.
    pub fn portrait(
        r: &Referential,
        t: &TerritoryRef,
        against: &[TerritoryRef],
    ) -> Result<Vec<Target>, IndicatorError> {
        let mut columns = vec![t.clone()];
        for x in r.references(t)?.into_iter().chain(against.iter().cloned()) {
            if !columns.contains(&x) {
                columns.push(x);
            }
        }
        let mut targets = columns.iter().map(|c| Target::territory(r, c)).collect::<Result<Vec<_>, _>>()?;
        if t.layer == Layer::Perimeter {
            targets.insert(1, Target::outside(r, t)?);
        }
        Ok(targets)
    }

    /// The rest of the régions a perimeter touches, outside it.
    pub fn outside(r: &Referential, t: &TerritoryRef) -> Result<Target, IndicatorError> {
        let (label, communes) = r.outside(t)?;
        Ok(Target { key: format!("{}!outside", t.key()), label, communes, iris: None })
    }
}

/// One evaluated figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// `None` when a member unit lacks data, a denominator is zero, or it is secret.
    pub value: Option<f64>,
    /// Units (communes or IRIS) of the target.
    pub units: u64,
    /// Units with data for every column the indicator reads.
    pub covered: u64,
    /// Withheld by its dataset's statistical secrecy ([`echelle_platform::Protection`]).
    pub secret: bool,
}

impl Value {
    /// A figure with no data.
    pub const MISSING: Value = Value { value: None, units: 0, covered: 0, secret: false };
}

/// The values of several indicators for several targets, with their provenance.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// The evaluated territories, in the order asked: (key, label).
    pub targets: Vec<(String, String)>,
    /// The evaluated indicators, in the order asked.
    pub indicators: Vec<IndicatorDef>,
    /// `values[i][t]`: indicator `i`, target `t`.
    pub values: Vec<Vec<Value>>,
    /// Per indicator: (source, vintage, synthetic).
    pub provenance: Vec<(String, String, bool)>,
}

#[derive(Clone)]
struct Loaded {
    meta: Dataset,
    columns: Vec<(String, DataType)>,
    secrecy: Secrecy,
    table: Arc<Table>,
}

/// A dataset in memory, its rows indexed by unit: evaluating a target reads the rows
/// of its units directly, with no join or hash table.
struct Table {
    /// The file's columns, with `__unit` (and `__n`, `__key` when protected).
    batch: RecordBatch,
    /// The rows of unit `u` are `rows[starts[u]..starts[u + 1]]` (CSR arrays).
    starts: Vec<u32>,
    rows: Vec<u32>,
    /// Each column cast to `f64`, made on first use: a request reads a few columns.
    floats: Vec<std::sync::OnceLock<Floats>>,
}

impl Table {
    /// Indexes the rows of a batch tagged by [`tag_units`] by their unit, among `units`.
    fn new(batch: RecordBatch, units: usize) -> Table {
        let unit = batch.column_by_name("__unit").expect("tagged").as_primitive::<UInt32Type>();
        let mut starts = vec![0u32; units + 1];
        for u in unit.iter().flatten().filter(|&u| (u as usize) < units) {
            starts[u as usize + 1] += 1;
        }
        for u in 0..units {
            starts[u + 1] += starts[u];
        }
        let mut next = starts.clone();
        let mut rows = vec![0u32; starts[units] as usize];
        for (r, u) in unit.iter().enumerate() {
            if let Some(u) = u.filter(|&u| (u as usize) < units) {
                rows[next[u as usize] as usize] = r as u32;
                next[u as usize] += 1;
            }
        }
        let floats = (0..batch.num_columns()).map(|_| std::sync::OnceLock::new()).collect();
        Table { batch, starts, rows, floats }
    }

    /// The rows of unit `u`, in file order.
    fn rows_of(&self, u: u32) -> &[u32] {
        let u = u as usize;
        match (self.starts.get(u), self.starts.get(u + 1)) {
            (Some(&a), Some(&b)) => &self.rows[a as usize..b as usize],
            _ => &[],
        }
    }

    /// Column `name` as `f64`.
    fn floats(&self, name: &str) -> Result<Floats, IndicatorError> {
        let i = self.batch.schema().index_of(name)?;
        if let Some(f) = self.floats[i].get() {
            return Ok(f.clone());
        }
        let cast = arrow::compute::cast(self.batch.column(i), &DataType::Float64)?;
        let cast = Arc::new(cast.as_primitive::<Float64Type>().clone());
        Ok(self.floats[i].get_or_init(|| cast).clone())
    }

    /// Integer column `name` (`__n`, `__key`).
    fn ints(&self, name: &str) -> Result<&Int64Array, IndicatorError> {
        let i = self.batch.schema().index_of(name)?;
        self.batch
            .column(i)
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| IndicatorError::NotAggregatable(format!("column '{name}' is not a 64-bit integer")))
    }
}

/// How a dataset's figures are released.
#[derive(Clone)]
enum Secrecy {
    /// Its rule protects nothing.
    Open,
    /// Its rule, with the count of each row (`__n`) and its key (`__key`) tagged.
    Protected(Box<Protection>),
    /// Its rule protects but cannot be applied (no count column, say): every figure is
    /// secret, and why is logged.
    Sealed,
}

impl Secrecy {
    /// The secrecy of a loaded table of units.
    fn of(meta: &Dataset, columns: &[(String, DataType)]) -> Secrecy {
        let rule = meta.secrecy();
        let sealed = |why: String| {
            tracing::warn!(dataset = %meta.id, "{why} : ses chiffres sont tous tenus secrets");
            Secrecy::Sealed
        };
        match Protection::new(&rule) {
            Ok(None) => Secrecy::Open,
            Ok(Some(p)) => match columns.iter().find(|(n, _)| n == p.count_column()) {
                Some((_, t)) if t.is_numeric() => Secrecy::Protected(Box::new(p)),
                _ => sealed(format!("le jeu n'a pas de colonne numérique « {} »", p.count_column())),
            },
            Err(e) => sealed(e.to_string()),
        }
    }
}

/// What the engine takes from a store: territories, indicator declarations and the
/// files of the datasets indicators read.
pub struct EngineSource {
    referential: Referential,
    indicators: Vec<IndicatorDef>,
    /// Each dataset, its file, and the file already decoded if it was read with the
    /// referential ([`EngineSource::read`]).
    datasets: Vec<DatasetFile>,
}

/// A dataset, its file, and the file decoded if it already was.
type DatasetFile = (Dataset, std::path::PathBuf, Option<Decoded>);

/// A dataset's file decoded, or why not.
type Decoded = Result<RecordBatch, echelle_store::StoreError>;

impl EngineSource {
    /// Reads the referential, the shipped and the store's indicator catalogs (a store's
    /// declaration replaces a shipped one of the same id) and the paths of the
    /// commune- and IRIS-level datasets.
    /// The files are decoded with the pack's, at once (the communes and IRIS of the
    /// pack, datasets too, only once).
    pub fn read(store: &Store) -> Result<Self, IndicatorError> {
        let mut datasets = indicator_datasets(store)?;
        let files: Vec<_> = datasets.iter().map(|(_, path, _)| path.clone()).collect();
        let (referential, decoded) = store.referential_with_files(&files)?;
        for (d, batch) in datasets.iter_mut().zip(decoded) {
            d.2 = Some(batch);
        }
        Ok(EngineSource { referential, indicators: indicator_catalogs(store)?, datasets })
    }

    /// What the engine takes from `store`, with its referential already loaded (as
    /// [`Store::add_perimeter`] returns it, say).
    /// The files are read by [`Engine::load`], if it needs them.
    pub fn read_with(store: &Store, referential: Referential) -> Result<Self, IndicatorError> {
        Ok(EngineSource { referential, indicators: indicator_catalogs(store)?, datasets: indicator_datasets(store)? })
    }
}

/// The shipped and the store's indicator catalogs (a store's declaration replaces a
/// shipped one of the same id).
fn indicator_catalogs(store: &Store) -> Result<Vec<IndicatorDef>, IndicatorError> {
    let mut indicators = parse_catalog(SHIPPED_INDICATORS.0, SHIPPED_INDICATORS.1)?;
    for (name, text) in store.catalog().indicator_catalogs()? {
        for def in parse_catalog(&format!("indicator catalog '{name}' in the store"), &text)? {
            indicators.retain(|d| d.id != def.id);
            indicators.push(def);
        }
    }
    Ok(indicators)
}

/// The commune- and IRIS-level datasets and their files, not read yet.
fn indicator_datasets(store: &Store) -> Result<Vec<DatasetFile>, IndicatorError> {
    Ok(store
        .catalog()
        .datasets()?
        .into_iter()
        // Only one-row-per-unit datasets feed indicators; flows, points and reference
        // tables are read by their own modules.
        .filter(|d| matches!(d.level, DatasetLevel::Commune | DatasetLevel::Iris))
        .map(|d| {
            let path = store.root().join(&d.path);
            (d, path, None)
        })
        .collect())
}

/// The indicator engine over one store.
pub struct Engine {
    referential: Arc<Referential>,
    datasets: HashMap<String, Loaded>,
    indicators: Vec<IndicatorDef>,
}

impl Engine {
    /// Opens the store's datasets and indicator catalogs.
    pub async fn open(store: &Store) -> Result<Engine, IndicatorError> {
        Engine::load(EngineSource::read(store)?).await
    }

    /// Loads what [`EngineSource::read`] took from a store. The store itself is not
    /// needed any more, so this future can move between threads (a server reloads
    /// the engine inside a request).
    pub async fn load(source: EngineSource) -> Result<Engine, IndicatorError> {
        let EngineSource { referential, indicators, datasets: metas } = source;
        let referential = Arc::new(referential);
        // Each dataset is read (if not yet) and indexed independently: on all cores.
        let loaded: Vec<_> = metas
            .into_par_iter()
            .map(|(meta, path, decoded)| -> Result<Loaded, IndicatorError> {
                let batch = match decoded {
                    Some(batch) => batch?,
                    None => echelle_store::read_parquet(&path)?,
                };
                let batch = tag_units(&referential, &meta, batch)?;
                let columns: Vec<(String, DataType)> =
                    batch.schema().fields().iter().map(|f| (f.name().clone(), f.data_type().clone())).collect();
                let secrecy = Secrecy::of(&meta, &columns);
                let batch = match &secrecy {
                    Secrecy::Protected(p) => tag_records(&meta, p, batch)?,
                    _ => batch,
                };
                let units = match meta.level {
                    DatasetLevel::Iris => referential.iris().len(),
                    _ => referential.communes().len(),
                };
                let table = Arc::new(Table::new(batch, units));
                Ok(Loaded { meta, columns, secrecy, table })
            })
            .collect();
        let mut datasets = HashMap::new();
        for l in loaded {
            let l = l?;
            datasets.insert(l.meta.id.clone(), l);
        }
        Ok(Engine { referential, datasets, indicators })
    }

    /// An engine over `source` that shares this one's tables, if `source` declares the
    /// same indicators over the same datasets and its referential has the same communes
    /// and IRIS (only perimeters differ, as after a perimeter is added): no file is read
    /// again. `Err(source)` otherwise, for [`Engine::load`].
    pub fn with_perimeters_of(&self, source: EngineSource) -> Result<Engine, Box<EngineSource>> {
        let same_datasets = source.datasets.len() == self.datasets.len()
            && source.datasets.iter().all(|(d, ..)| self.datasets.get(&d.id).is_some_and(|l| l.meta == *d));
        let (a, b) = (&self.referential, &source.referential);
        let same_units = a.communes().iter().map(|c| &c.code).eq(b.communes().iter().map(|c| &c.code))
            && a.iris().iter().map(|i| &i.code).eq(b.iris().iter().map(|i| &i.code));
        if !(same_datasets && same_units && source.indicators == self.indicators) {
            return Err(Box::new(source));
        }
        Ok(Engine {
            referential: Arc::new(source.referential),
            datasets: self.datasets.iter().map(|(id, l)| (id.clone(), l.clone())).collect(),
            indicators: source.indicators,
        })
    }

    /// The territories the engine was loaded with, shared with its callers.
    pub fn referential(&self) -> &Arc<Referential> {
        &self.referential
    }

    /// Every declared indicator, shipped ones first.
    pub fn indicators(&self) -> &[IndicatorDef] {
        &self.indicators
    }

    /// The indicators shown by default in portraits and comparisons.
    pub fn key_indicators(&self) -> Vec<&str> {
        self.indicators.iter().filter(|d| d.key).map(|d| d.id.as_str()).collect()
    }

    /// The catalog entry of a loaded dataset, for source lines.
    pub fn dataset(&self, id: &str) -> Option<&Dataset> {
        self.datasets.get(id).map(|d| &d.meta)
    }

    /// The statistical secrecy rule of dataset `id` in French, when it protects
    /// anything: shown beside its figures wherever they are published.
    pub fn secrecy_notice(&self, id: &str) -> Option<String> {
        self.dataset(id).and_then(|m| m.secrecy().notice())
    }

    /// The declaration of an indicator, or an error with the nearest names.
    pub fn indicator(&self, id: &str) -> Result<&IndicatorDef, IndicatorError> {
        self.indicator_among(id, |_| true)
    }

    /// The declaration of an indicator among those `shown` (what one viewer may see):
    /// one not shown is an error exactly like one never declared, its nearest names
    /// taken among those shown.
    pub fn indicator_among(
        &self,
        id: &str,
        shown: impl Fn(&IndicatorDef) -> bool,
    ) -> Result<&IndicatorDef, IndicatorError> {
        self.indicators.iter().find(|d| d.id == id && shown(d)).ok_or_else(|| {
            let mut near: Vec<(f64, &str)> = self
                .indicators
                .iter()
                .filter(|d| shown(d))
                .map(|d| (strsim::jaro_winkler(&d.id, id), d.id.as_str()))
                .filter(|(s, _)| *s > 0.7)
                .collect();
            near.sort_by(|a, b| b.0.total_cmp(&a.0));
            IndicatorError::Unknown {
                name: id.into(),
                suggestions: near.iter().take(3).map(|(_, n)| n.to_string()).collect(),
            }
        })
    }

    /// Checks that an indicator's dataset is loaded and has the columns it reads.
    pub fn check(&self, def: &IndicatorDef) -> Result<&Dataset, IndicatorError> {
        let loaded = self.datasets.get(&def.dataset).ok_or_else(|| IndicatorError::MissingDataset {
            indicator: def.id.clone(),
            dataset: def.dataset.clone(),
        })?;
        for c in def.aggregate.columns().into_iter().chain(def.counted_elsewhere.as_deref()) {
            match loaded.columns.iter().find(|(n, _)| n == c) {
                None => {
                    return Err(IndicatorError::NotAggregatable(format!(
                        "indicator '{}': dataset '{}' has no column '{c}'",
                        def.id, def.dataset
                    )));
                }
                Some((_, t)) if !t.is_numeric() => {
                    return Err(IndicatorError::NotAggregatable(format!(
                        "indicator '{}': column '{c}' of dataset '{}' is {t}, not a number",
                        def.id, def.dataset
                    )));
                }
                _ => {}
            }
        }
        Ok(&loaded.meta)
    }

    /// Evaluates indicators for targets; one join per dataset involved.
    pub async fn evaluate(&self, targets: &[Target], ids: &[&str]) -> Result<Evaluation, IndicatorError> {
        let defs: Vec<IndicatorDef> = ids.iter().map(|id| self.indicator(id).cloned()).collect::<Result<_, _>>()?;
        let mut values = vec![Vec::new(); defs.len()];
        let mut provenance = Vec::with_capacity(defs.len());
        for def in &defs {
            let meta = self.check(def)?;
            provenance.push((
                def.source.clone().unwrap_or_else(|| meta.source.clone()),
                def.vintage.clone().unwrap_or_else(|| meta.vintage.clone()),
                meta.synthetic,
            ));
        }
        let mut by_dataset: Vec<(&str, Vec<usize>)> = Vec::new();
        for (i, d) in defs.iter().enumerate() {
            match by_dataset.iter_mut().find(|(id, _)| *id == d.dataset) {
                Some((_, list)) => list.push(i),
                None => by_dataset.push((&d.dataset, vec![i])),
            }
        }
        for (dataset, list) in by_dataset {
            let group: Vec<&IndicatorDef> = list.iter().map(|&i| &defs[i]).collect();
            let result = self.evaluate_dataset(dataset, targets, &group)?;
            for (&i, v) in list.iter().zip(result) {
                values[i] = v;
            }
        }
        Ok(Evaluation {
            targets: targets.iter().map(|t| (t.key.clone(), t.label.clone())).collect(),
            indicators: defs,
            values,
            provenance,
        })
    }

    fn evaluate_dataset(
        &self,
        dataset: &str,
        targets: &[Target],
        defs: &[&IndicatorDef],
    ) -> Result<Vec<Vec<Value>>, IndicatorError> {
        let loaded = &self.datasets[dataset];
        let (level, secrecy, table) = (loaded.meta.level, &loaded.secrecy, &loaded.table);
        // The join, as CSR arrays: the rows of target `t` are
        // `joined[offsets[t]..offsets[t + 1]]`, one per matching row of each member
        // unit, or `NO_ROW` for a unit without a row (it counts, without data).
        let mut offsets = Vec::with_capacity(targets.len() + 1);
        offsets.push(0usize);
        let mut joined: Vec<u32> = Vec::new();
        for target in targets {
            let units: std::borrow::Cow<[u32]> = match (level, &target.iris) {
                // Commune-level data cannot be split into IRIS: no unit, so no value.
                (DatasetLevel::Commune, Some(_)) => Default::default(),
                (DatasetLevel::Commune, None) => target.communes.as_slice().into(),
                (DatasetLevel::Iris, Some(iris)) => iris.as_slice().into(),
                (DatasetLevel::Iris, None) => self.referential.iris_of(&target.communes).into(),
                // Never loaded: `open` keeps commune and IRIS datasets only.
                (DatasetLevel::Flow | DatasetLevel::Point | DatasetLevel::Table, _) => Default::default(),
            };
            for d in defs {
                if let Aggregate::None { why, .. } = &d.aggregate
                    && units.len() > 1
                {
                    return Err(IndicatorError::NotAggregatable(format!(
                        "indicator '{}' cannot be aggregated to {} ({} {}s): {why}; it is shown for single {}s only",
                        d.id,
                        target.key,
                        units.len(),
                        level.as_str(),
                        level.as_str()
                    )));
                }
            }
            for &u in units.iter() {
                match table.rows_of(u) {
                    [] => joined.push(NO_ROW),
                    rows => joined.extend_from_slice(rows),
                }
            }
            offsets.push(joined.len());
        }
        let joined = Joined { offsets, rows: joined };
        let rows_of = |t: usize| joined.rows_of(t);
        // One pass per indicator over every target: each pass reads one or two columns,
        // which stay in cache. The passes of a large request are shared among threads.
        let mut out = if joined.rows.len() * defs.len() < PARALLEL_FROM {
            defs.iter().map(|d| figures(d, table, &joined)).collect::<Result<Vec<_>, _>>()?
        } else {
            defs.par_iter().map(|d| figures(d, table, &joined)).collect::<Result<Vec<_>, _>>()?
        };
        match secrecy {
            Secrecy::Open => {}
            Secrecy::Sealed => {
                for (d, values) in defs.iter().zip(out.iter_mut()) {
                    // A count of communes with data is public.
                    if !matches!(d.aggregate, Aggregate::Count) {
                        values.iter_mut().for_each(|v| *v = released(v.clone(), None));
                    }
                }
            }
            Secrecy::Protected(p) => {
                let count = table.floats(p.count_column())?;
                let (records, keys) = (table.ints("__n")?, table.ints("__key")?);
                for t in 0..targets.len() {
                    let rows = rows_of(t);
                    if rows.is_empty() {
                        continue;
                    }
                    let (sum, counted) = count.sum(rows);
                    let (mut n, mut key) = (0i64, 0i64);
                    for &r in rows.iter().filter(|&&r| r != NO_ROW) {
                        n = n.wrapping_add(records.value(r as usize));
                        key = key.wrapping_add(keys.value(r as usize));
                    }
                    let cell = Units {
                        count: sum.filter(|_| counted == rows.len() as u64),
                        records: n as u64,
                        key: key as u64 as u32,
                    };
                    for (d, values) in defs.iter().zip(out.iter_mut()) {
                        if !matches!(d.aggregate, Aggregate::Count) {
                            let f = (!p.hides(&cell)).then(|| factor(p, &cell, &d.aggregate));
                            values[t] = released(values[t].clone(), f);
                        }
                    }
                }
            }
        }
        Ok(out)
    }
}

/// Joined rows (targets × units) above which a request's indicators are computed
/// on several threads (a portrait stays on the caller's).
const PARALLEL_FROM: usize = 1 << 18;

/// A request joined to a dataset: the rows of target `t` are
/// `rows[offsets[t]..offsets[t + 1]]`, one per row of each of its units in the
/// dataset, or [`NO_ROW`] for a unit without one (it counts, without data).
struct Joined {
    offsets: Vec<usize>,
    rows: Vec<u32>,
}

impl Joined {
    fn rows_of(&self, t: usize) -> &[u32] {
        &self.rows[self.offsets[t]..self.offsets[t + 1]]
    }

    /// `f` of each target's rows; a target without any is [`Value::MISSING`].
    fn each(&self, f: impl Fn(&[u32]) -> Value) -> Vec<Value> {
        (0..self.offsets.len() - 1)
            .map(|t| match self.rows_of(t) {
                [] => Value::MISSING,
                rows => f(rows),
            })
            .collect()
    }
}

/// The figures of one indicator for every target, before statistical secrecy: what
/// the SQL `sum`, `count` and `max` over the joined rows give, as the declaration
/// combines them.
fn figures(d: &IndicatorDef, table: &Table, joined: &Joined) -> Result<Vec<Value>, IndicatorError> {
    // Units without a value whose quantity another unit carries still complete the
    // sum (see IndicatorDef::counted_elsewhere).
    let elsewhere = |value: &str| -> Result<Option<(Floats, Floats)>, IndicatorError> {
        let Some(flag) = &d.counted_elsewhere else { return Ok(None) };
        Ok(Some((table.floats(flag)?, table.floats(value)?)))
    };
    let elsewhere_in = |x: &Option<(Floats, Floats)>, rows: &[u32]| {
        x.as_ref().map_or(0, |(flag, value)| counted_elsewhere(flag, value, rows))
    };
    Ok(match &d.aggregate {
        Aggregate::Sum { value } => {
            let (v, x) = (table.floats(value)?, elsewhere(value)?);
            joined.each(|rows| {
                let (a, n) = v.sum(rows);
                let complete = n + elsewhere_in(&x, rows) == rows.len() as u64;
                Value { value: a.filter(|_| complete), units: rows.len() as u64, covered: n, secret: false }
            })
        }
        Aggregate::Ratio { numerator, denominator, scale } => {
            let (p, q) = (table.floats(numerator)?, table.floats(denominator)?);
            let x = elsewhere(denominator)?;
            joined.each(|rows| {
                let units = rows.len() as u64;
                let ((a, n), (b, m)) = (p.sum(rows), q.sum(rows));
                let value = match (a, b) {
                    (Some(a), Some(b)) if n == units && m + elsewhere_in(&x, rows) == units && b != 0.0 => {
                        Some(a / b * scale)
                    }
                    _ => None,
                };
                Value { value, units, covered: n.min(m), secret: false }
            })
        }
        Aggregate::WeightedMean { value, weight } => {
            let (v, w) = (table.floats(value)?, table.floats(weight)?);
            joined.each(|rows| {
                let units = rows.len() as u64;
                let (a, (b, m), n) = (v.sum_product(&w, rows), w.sum(rows), v.count(rows));
                let value = match (a, b) {
                    (Some(a), Some(b)) if n == units && m == units && b != 0.0 => Some(a / b),
                    _ => None,
                };
                Value { value, units, covered: n.min(m), secret: false }
            })
        }
        Aggregate::Count => joined.each(|rows| {
            let n = rows.iter().filter(|&&r| r != NO_ROW).count() as u64;
            Value { value: Some(n as f64), units: rows.len() as u64, covered: n, secret: false }
        }),
        Aggregate::None { value, .. } => {
            let v = table.floats(value)?;
            joined.each(|rows| {
                let (a, n) = v.max(rows);
                let units = rows.len() as u64;
                Value { value: a.filter(|_| n == units), units, covered: n, secret: false }
            })
        }
    })
}

/// In a target's joined rows, a member unit the dataset has no row for.
const NO_ROW: u32 = u32::MAX;

/// Units of `rows` flagged `flag = 1` whose `value` is null: their quantity is counted
/// in another unit (see [`IndicatorDef::counted_elsewhere`]).
fn counted_elsewhere(flag: &Floats, value: &Floats, rows: &[u32]) -> u64 {
    rows.iter().filter(|&&r| flag.get(r) == Some(1.0) && value.get(r).is_none()).count() as u64
}

/// A numeric column of a loaded table, as `f64` (as SQL's `CAST(.. AS DOUBLE)`).
type Floats = Arc<Float64Array>;

/// What reading `f64` columns over a target's rows needs.
trait Column {
    /// The value of row `r`, `None` for a null or for [`NO_ROW`].
    fn get(&self, r: u32) -> Option<f64>;
    /// The sum of the non-null values (`None` if there is none) and their count.
    fn sum(&self, rows: &[u32]) -> (Option<f64>, u64);
    /// Non-null values among `rows`.
    fn count(&self, rows: &[u32]) -> u64;
    /// The sum of `self × weight` over rows where both are non-null.
    fn sum_product(&self, weight: &Self, rows: &[u32]) -> Option<f64>;
    /// The greatest non-null value (in IEEE total order, as SQL's `max`) and the count.
    fn max(&self, rows: &[u32]) -> (Option<f64>, u64);
}

impl Column for Float64Array {
    #[inline]
    fn get(&self, r: u32) -> Option<f64> {
        let r = r as usize;
        (r < self.len() && self.is_valid(r)).then(|| self.value(r))
    }

    fn sum(&self, rows: &[u32]) -> (Option<f64>, u64) {
        let (mut sum, mut n) = (0.0, 0u64);
        for &r in rows {
            if let Some(v) = self.get(r) {
                sum += v;
                n += 1;
            }
        }
        ((n > 0).then_some(sum), n)
    }

    fn count(&self, rows: &[u32]) -> u64 {
        rows.iter().filter(|&&r| self.get(r).is_some()).count() as u64
    }

    fn sum_product(&self, weight: &Self, rows: &[u32]) -> Option<f64> {
        let (mut sum, mut any) = (0.0, false);
        for &r in rows {
            if let (Some(v), Some(w)) = (self.get(r), weight.get(r)) {
                sum += v * w;
                any = true;
            }
        }
        any.then_some(sum)
    }

    fn max(&self, rows: &[u32]) -> (Option<f64>, u64) {
        let (mut max, mut n) = (None::<f64>, 0u64);
        for v in rows.iter().filter_map(|&r| self.get(r)) {
            n += 1;
            if max.is_none_or(|m| v.total_cmp(&m).is_gt()) {
                max = Some(v);
            }
        }
        (max, n)
    }
}

/// The figure as released: multiplied by `factor`, or secret when `None` (a missing
/// figure stays missing: it reveals nothing).
fn released(figure: Value, factor: Option<f64>) -> Value {
    match (figure.value, factor) {
        (None, _) => figure,
        (Some(x), Some(f)) => Value { value: Some(x * f), ..figure },
        (Some(_), None) => Value { value: None, secret: true, ..figure },
    }
}

/// What a published figure of `aggregate` is multiplied by ([`Protection::factor`]):
/// a sum by its column's, a ratio or a mean by its numerator's over its denominator's;
/// a unit's own value is not perturbed.
fn factor(p: &Protection, cell: &Units, aggregate: &Aggregate) -> f64 {
    match aggregate {
        Aggregate::Sum { value } => p.factor(cell, value),
        Aggregate::Ratio { numerator, denominator, .. } => p.factor(cell, numerator) / p.factor(cell, denominator),
        Aggregate::WeightedMean { value, weight } => {
            p.factor(cell, &format!("{value}×{weight}")) / p.factor(cell, weight)
        }
        Aggregate::Count | Aggregate::None { .. } => 1.0,
    }
}

/// Adds `__n`, each row's records for the cell key method, and `__key`, its record key
/// (the dataset's seed and the row's place in its file).
fn tag_records(meta: &Dataset, p: &Protection, batch: RecordBatch) -> Result<RecordBatch, IndicatorError> {
    let counts = batch.column_by_name(p.count_column()).expect("checked by Secrecy::of");
    let counts = arrow::compute::cast(counts, &DataType::Float64)?;
    let counts = counts.as_primitive::<Float64Type>();
    let seed = echelle_platform::cellkey::seed(&meta.checksum);
    let n: Int64Array = counts.iter().map(|c| Some(Protection::records(c) as i64)).collect();
    let key: Int64Array = (0..batch.num_rows() as u64).map(|r| Some(Protection::row_key(seed, r) as i64)).collect();
    let mut columns = batch.columns().to_vec();
    let mut fields: Vec<_> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    columns.extend([Arc::new(n) as _, Arc::new(key) as _]);
    fields.push(arrow::datatypes::Field::new("__n", DataType::Int64, false));
    fields.push(arrow::datatypes::Field::new("__key", DataType::Int64, false));
    Ok(RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns)?)
}

/// Adds `__unit`, the raw index of each row's commune or IRIS; rows whose code is not
/// in the referential get no index and so never join.
fn tag_units(r: &Referential, meta: &Dataset, batch: RecordBatch) -> Result<RecordBatch, IndicatorError> {
    if batch.num_rows() == 0 {
        return Err(IndicatorError::NotAggregatable(format!("dataset '{}' is empty", meta.id)));
    }
    let schema = batch.schema();
    let keys = batch.column_by_name(&meta.key_column).ok_or_else(|| {
        IndicatorError::NotAggregatable(format!("dataset '{}' has no key column '{}'", meta.id, meta.key_column))
    })?;
    let keys = arrow::compute::cast(keys, &DataType::Utf8)?;
    let keys = keys.as_string::<i32>();
    let unit: UInt32Array = keys
        .iter()
        .map(|k| {
            k.and_then(|k| match meta.level {
                DatasetLevel::Commune => r.commune_index(k),
                DatasetLevel::Iris => r.iris_position(k),
                DatasetLevel::Flow | DatasetLevel::Point | DatasetLevel::Table => None,
            })
        })
        .collect();
    let mut columns = batch.columns().to_vec();
    let mut fields: Vec<_> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    columns.push(Arc::new(unit));
    fields.push(arrow::datatypes::Field::new("__unit", DataType::UInt32, true));
    Ok(RecordBatch::try_new(Arc::new(arrow::datatypes::Schema::new(fields)), columns)?)
}
