//! Evaluation of indicators with Apache DataFusion.
//!
//! Datasets are read once from their Parquet files into memory, each row tagged with
//! the raw index of its commune or IRIS in the referential (`__unit`). A request
//! becomes a membership table (target, unit) joined to the dataset and grouped by
//! target; the caller keeps the typed territories, the engine sees only indices.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Int64Array, RecordBatch, UInt32Array};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type, UInt32Type};
use datafusion::common::JoinType;
use datafusion::datasource::MemTable;
use datafusion::functions_aggregate::expr_fn::{count, max, sum};
use datafusion::prelude::{Expr, SessionConfig, SessionContext, cast, ident, lit, when};
use echelle_platform::{Protection, Units};
use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::{Dataset, DatasetLevel, Store};

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

    /// Every territory of a layer.
    pub fn layer(r: &Referential, layer: Layer) -> Result<Vec<Target>, IndicatorError> {
        r.territories(layer).iter().map(|t| Target::territory(r, t)).collect()
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
    datasets: Vec<(Dataset, std::path::PathBuf)>,
}

impl EngineSource {
    /// Reads the referential, the shipped and the store's indicator catalogs (a store's
    /// declaration replaces a shipped one of the same id) and the paths of the
    /// commune- and IRIS-level datasets.
    pub fn read(store: &Store) -> Result<Self, IndicatorError> {
        EngineSource::read_with(store, store.referential()?)
    }

    /// What the engine takes from `store`, with its referential already loaded (as
    /// [`Store::add_perimeter`] returns it, say).
    pub fn read_with(store: &Store, referential: Referential) -> Result<Self, IndicatorError> {
        let mut indicators = parse_catalog(SHIPPED_INDICATORS.0, SHIPPED_INDICATORS.1)?;
        for (name, text) in store.catalog().indicator_catalogs()? {
            for def in parse_catalog(&format!("indicator catalog '{name}' in the store"), &text)? {
                indicators.retain(|d| d.id != def.id);
                indicators.push(def);
            }
        }
        let datasets = store
            .catalog()
            .datasets()?
            .into_iter()
            // Only one-row-per-unit datasets feed indicators; flows, points and
            // reference tables are read by their own modules.
            .filter(|d| matches!(d.level, DatasetLevel::Commune | DatasetLevel::Iris))
            .map(|d| {
                let path = store.root().join(&d.path);
                (d, path)
            })
            .collect();
        Ok(EngineSource { referential, indicators, datasets })
    }
}

/// The indicator engine over one store.
pub struct Engine {
    /// One partition: small requests (a portrait) pay no repartitioning.
    ctx: SessionContext,
    /// Two partitions, for requests over many territories.
    parallel: SessionContext,
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
        let context =
            |partitions| SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions));
        let (ctx, parallel) = (context(1), context(2));
        let mut datasets = HashMap::new();
        for (meta, path) in metas {
            let batches =
                ctx.read_parquet(path.to_string_lossy().as_ref(), Default::default()).await?.collect().await?;
            let batch = tag_units(&referential, &meta, batches)?;
            let columns: Vec<(String, DataType)> =
                batch.schema().fields().iter().map(|f| (f.name().clone(), f.data_type().clone())).collect();
            let secrecy = Secrecy::of(&meta, &columns);
            let batch = match &secrecy {
                Secrecy::Protected(p) => tag_records(&meta, p, batch)?,
                _ => batch,
            };
            let table = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
            let table = Arc::new(table);
            ctx.register_table(table_name(&meta.id), table.clone())?;
            parallel.register_table(table_name(&meta.id), table)?;
            datasets.insert(meta.id.clone(), Loaded { meta, columns, secrecy });
        }
        Ok(Engine { ctx, parallel, referential, datasets, indicators })
    }

    /// An engine over `source` that shares this one's tables, if `source` declares the
    /// same indicators over the same datasets and its referential has the same communes
    /// and IRIS (only perimeters differ, as after a perimeter is added): no file is read
    /// again. `Err(source)` otherwise, for [`Engine::load`].
    pub fn with_perimeters_of(&self, source: EngineSource) -> Result<Engine, Box<EngineSource>> {
        let same_datasets = source.datasets.len() == self.datasets.len()
            && source.datasets.iter().all(|(d, _)| self.datasets.get(&d.id).is_some_and(|l| l.meta == *d));
        let (a, b) = (&self.referential, &source.referential);
        let same_units = a.communes().iter().map(|c| &c.code).eq(b.communes().iter().map(|c| &c.code))
            && a.iris().iter().map(|i| &i.code).eq(b.iris().iter().map(|i| &i.code));
        if !(same_datasets && same_units && source.indicators == self.indicators) {
            return Err(Box::new(source));
        }
        Ok(Engine {
            ctx: self.ctx.clone(),
            parallel: self.parallel.clone(),
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

    /// Evaluates indicators for targets; one DataFusion query per dataset involved.
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
            let result = self.evaluate_dataset(dataset, targets, &group).await?;
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

    async fn evaluate_dataset(
        &self,
        dataset: &str,
        targets: &[Target],
        defs: &[&IndicatorDef],
    ) -> Result<Vec<Vec<Value>>, IndicatorError> {
        let level = self.datasets[dataset].meta.level;
        let secrecy = &self.datasets[dataset].secrecy;
        let mut territory = Vec::new();
        let mut member = Vec::new();
        for (t, target) in targets.iter().enumerate() {
            let units: Vec<u32> = match (level, &target.iris) {
                // Commune-level data cannot be split into IRIS: no unit, so no value.
                (DatasetLevel::Commune, Some(_)) => Vec::new(),
                (DatasetLevel::Commune, None) => target.communes.clone(),
                (DatasetLevel::Iris, Some(iris)) => iris.clone(),
                (DatasetLevel::Iris, None) => self.referential.iris_of(&target.communes),
                // Never loaded: `open` keeps commune and IRIS datasets only.
                (DatasetLevel::Flow | DatasetLevel::Point | DatasetLevel::Table, _) => Vec::new(),
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
            territory.extend(std::iter::repeat_n(t as u32, units.len()));
            member.extend(units);
        }
        let membership = RecordBatch::try_from_iter([
            ("__territory", Arc::new(UInt32Array::from(territory)) as _),
            ("__member", Arc::new(UInt32Array::from(member)) as _),
        ])?;
        let float = |c: &str| cast(ident(c), DataType::Float64);
        let mut aggs = vec![count(ident("__member")).alias("__units")];
        for (i, d) in defs.iter().enumerate() {
            let (a, b, n, m) = (format!("a{i}"), format!("b{i}"), format!("n{i}"), format!("m{i}"));
            // Units without a value whose quantity another unit carries still complete
            // the sum (see IndicatorDef::counted_elsewhere).
            let elsewhere = |value: &str| -> Result<Option<Expr>, datafusion::error::DataFusionError> {
                let Some(flag) = &d.counted_elsewhere else { return Ok(None) };
                let unit_elsewhere = ident(flag).eq(lit(1i64)).and(ident(value).is_null());
                Ok(Some(sum(when(unit_elsewhere, lit(1i64)).otherwise(lit(0i64))?).alias(format!("x{i}"))))
            };
            match &d.aggregate {
                Aggregate::Sum { value } => {
                    aggs.push(sum(float(value)).alias(a));
                    aggs.push(count(ident(value)).alias(n));
                    aggs.extend(elsewhere(value)?);
                }
                Aggregate::Ratio { numerator, denominator, .. } => {
                    aggs.push(sum(float(numerator)).alias(a));
                    aggs.push(sum(float(denominator)).alias(b));
                    aggs.push(count(ident(numerator)).alias(n));
                    aggs.push(count(ident(denominator)).alias(m));
                    aggs.extend(elsewhere(denominator)?);
                }
                Aggregate::WeightedMean { value, weight } => {
                    aggs.push(sum(float(value) * float(weight)).alias(a));
                    aggs.push(sum(float(weight)).alias(b));
                    aggs.push(count(ident(value)).alias(n));
                    aggs.push(count(ident(weight)).alias(m));
                }
                Aggregate::Count => aggs.push(count(ident("__unit")).alias(n)),
                Aggregate::None { value, .. } => {
                    aggs.push(max(float(value)).alias(a));
                    aggs.push(count(ident(value)).alias(n));
                }
            }
        }
        if let Secrecy::Protected(p) = secrecy {
            aggs.push(sum(float(p.count_column())).alias("__count"));
            aggs.push(count(ident(p.count_column())).alias("__counted"));
            aggs.push(sum(ident("__n")).alias("__n"));
            aggs.push(sum(ident("__key")).alias("__key"));
        }
        let complete = |c: &str| ident(c).eq(ident("__units"));
        let mut select = vec![ident("__territory")];
        for (i, d) in defs.iter().enumerate() {
            let (a, b, n, m) = (format!("a{i}"), format!("b{i}"), format!("n{i}"), format!("m{i}"));
            let x = format!("x{i}");
            let complete_with = |c: &str| match d.counted_elsewhere {
                Some(_) => (ident(c) + ident(&x)).eq(ident("__units")),
                None => complete(c),
            };
            let value: Expr = match &d.aggregate {
                Aggregate::Sum { .. } => when(complete_with(&n), ident(&a)).end()?,
                Aggregate::None { .. } => when(complete(&n), ident(&a)).end()?,
                Aggregate::Ratio { scale, .. } => when(
                    complete(&n).and(complete_with(&m)).and(ident(&b).not_eq(lit(0.0))),
                    ident(&a) / ident(&b) * lit(*scale),
                )
                .end()?,
                Aggregate::WeightedMean { .. } => {
                    when(complete(&n).and(complete(&m)).and(ident(&b).not_eq(lit(0.0))), ident(&a) / ident(&b)).end()?
                }
                Aggregate::Count => cast(ident(&n), DataType::Float64),
            };
            select.push(value.alias(format!("v{i}")));
            let covered = match &d.aggregate {
                Aggregate::Ratio { .. } | Aggregate::WeightedMean { .. } => {
                    when(ident(&n).lt(ident(&m)), ident(&n)).otherwise(ident(&m))?
                }
                _ => ident(&n),
            };
            select.push(covered.alias(format!("c{i}")));
        }
        select.push(ident("__units"));
        if let Secrecy::Protected(_) = secrecy {
            select.extend(["__count", "__counted", "__n", "__key"].map(ident));
        }
        let ctx = if membership.num_rows() > PARALLEL_FROM { &self.parallel } else { &self.ctx };
        let batches = ctx
            .read_batch(membership)?
            .join(ctx.table(table_name(dataset)).await?, JoinType::Left, &["__member"], &["__unit"], None)?
            .aggregate(vec![ident("__territory")], aggs)?
            .select(select)?
            .collect()
            .await?;
        let mut out = vec![vec![Value::MISSING; targets.len()]; defs.len()];
        for batch in batches {
            let t = batch.column_by_name("__territory").expect("selected").as_primitive::<UInt32Type>();
            let units = batch.column_by_name("__units").expect("selected").as_primitive::<Int64Type>();
            let cells = match secrecy {
                Secrecy::Protected(_) => Some(cells(&batch)),
                _ => None,
            };
            for (i, values) in out.iter_mut().enumerate() {
                let v = batch.column_by_name(&format!("v{i}")).expect("selected").as_primitive::<Float64Type>();
                let c = batch.column_by_name(&format!("c{i}")).expect("selected").as_primitive::<Int64Type>();
                for row in 0..batch.num_rows() {
                    let figure = Value {
                        value: v.is_valid(row).then(|| v.value(row)),
                        units: units.value(row) as u64,
                        covered: c.value(row) as u64,
                        secret: false,
                    };
                    values[t.value(row) as usize] = match (secrecy, &defs[i].aggregate) {
                        // A count of communes with data is public.
                        (Secrecy::Open, _) | (_, Aggregate::Count) => figure,
                        (Secrecy::Sealed, _) => released(figure, None),
                        (Secrecy::Protected(p), aggregate) => {
                            let cell = cells.as_ref().expect("protected")[row];
                            released(figure, (!p.hides(&cell)).then(|| factor(p, &cell, aggregate)))
                        }
                    };
                }
            }
        }
        Ok(out)
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

/// Each row's protected units, from the `__count`, `__counted`, `__n` and `__key` sums.
fn cells(batch: &RecordBatch) -> Vec<Units> {
    let column = |name: &str| batch.column_by_name(name).expect("selected");
    let units = column("__units").as_primitive::<Int64Type>();
    let count = column("__count").as_primitive::<Float64Type>();
    let counted = column("__counted").as_primitive::<Int64Type>();
    let n = column("__n").as_primitive::<Int64Type>();
    let key = column("__key").as_primitive::<Int64Type>();
    (0..batch.num_rows())
        .map(|row| Units {
            count: (count.is_valid(row) && counted.value(row) == units.value(row)).then(|| count.value(row)),
            records: if n.is_valid(row) { n.value(row) as u64 } else { 0 },
            key: if key.is_valid(row) { key.value(row) as u64 as u32 } else { 0 },
        })
        .collect()
}

/// Adds `__n`, each row's records for the cell key method, and `__key`, its record key
/// (the dataset's seed and the row's place in its file).
fn tag_records(meta: &Dataset, p: &Protection, batch: RecordBatch) -> Result<RecordBatch, IndicatorError> {
    let counts = batch.column_by_name(p.count_column()).expect("checked by Secrecy::of");
    let counts = datafusion::arrow::compute::cast(counts, &DataType::Float64)?;
    let counts = counts.as_primitive::<Float64Type>();
    let seed = echelle_platform::cellkey::seed(&meta.checksum);
    let n: Int64Array = counts.iter().map(|c| Some(Protection::records(c) as i64)).collect();
    let key: Int64Array = (0..batch.num_rows() as u64).map(|r| Some(Protection::row_key(seed, r) as i64)).collect();
    let mut columns = batch.columns().to_vec();
    let mut fields: Vec<_> = batch.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    columns.extend([Arc::new(n) as _, Arc::new(key) as _]);
    fields.push(datafusion::arrow::datatypes::Field::new("__n", DataType::Int64, false));
    fields.push(datafusion::arrow::datatypes::Field::new("__key", DataType::Int64, false));
    Ok(RecordBatch::try_new(Arc::new(datafusion::arrow::datatypes::Schema::new(fields)), columns)?)
}

/// Membership rows above which a request is split over two partitions (measured with
/// bench/indicators.sh: below it, repartitioning costs more than it saves).
const PARALLEL_FROM: usize = 1 << 18;

fn table_name(dataset: &str) -> String {
    format!("dataset_{dataset}")
}

/// Adds `__unit`, the raw index of each row's commune or IRIS; rows whose code is not
/// in the referential get no index and so never join.
fn tag_units(r: &Referential, meta: &Dataset, batches: Vec<RecordBatch>) -> Result<RecordBatch, IndicatorError> {
    let schema = batches
        .first()
        .map(|b| b.schema())
        .ok_or_else(|| IndicatorError::NotAggregatable(format!("dataset '{}' is empty", meta.id)))?;
    let batch = datafusion::arrow::compute::concat_batches(&schema, &batches)?;
    let keys = batch.column_by_name(&meta.key_column).ok_or_else(|| {
        IndicatorError::NotAggregatable(format!("dataset '{}' has no key column '{}'", meta.id, meta.key_column))
    })?;
    let keys = datafusion::arrow::compute::cast(keys, &DataType::Utf8)?;
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
    fields.push(datafusion::arrow::datatypes::Field::new("__unit", DataType::UInt32, true));
    Ok(RecordBatch::try_new(Arc::new(datafusion::arrow::datatypes::Schema::new(fields)), columns)?)
}
