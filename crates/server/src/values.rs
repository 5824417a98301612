//! Materialised indicator values: every catalog indicator evaluated once for every
//! territory of every layer, so that a portrait, a map or a comparison is a lookup.
//!
//! ```text
//!  Engine ──evaluate(layer targets, indicators of one dataset)──> Materialised
//!            (in the background after start; before the swap after a change,
//!             only the perimeter layer when perimeters alone changed)
//!  request ──> evaluate(): cached pairs from Materialised, the rest from the Engine
//! ```
//!
//! A table belongs to one engine and is served with it (see `crate::state`); after a
//! perimeter change, the new engine's table shares every layer but the perimeters'
//! with the previous one. Pairs the
//! engine refuses for a whole layer (an indicator that cannot be aggregated, say) are
//! left out and so go to the engine, which gives the same error as without a cache.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use echelle_indicators::{Engine, Evaluation, IndicatorDef, IndicatorError, Target, Value};
use echelle_referential::{Layer, Referential, TerritoryRef};

/// The values of every (indicator, territory) pair the engine evaluates for a whole layer.
pub struct Materialised {
    /// One per layer of [`Layer::ALL`], in that order; shared with the table this one
    /// was derived from when the layer did not change (see [`Materialised::with_layer`]).
    layers: Vec<Arc<LayerValues>>,
    /// Territories of every layer.
    pub territories: usize,
    /// (indicator, territory) pairs evaluated.
    pub pairs: usize,
    /// What computing this table took (one layer's values, for a table derived from another).
    pub seconds: f64,
}

/// The values of one layer.
struct LayerValues {
    /// Territory key → position in the layer.
    index: HashMap<String, u32>,
    /// Indicator id → the values of every territory of the layer.
    values: HashMap<String, Vec<Value>>,
    pairs: usize,
}

/// Indicators the engine can evaluate, grouped by dataset (one query per group).
fn by_dataset(engine: &Engine) -> Vec<Vec<&str>> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for d in engine.indicators().iter().filter(|d| engine.check(d).is_ok()) {
        match groups.iter_mut().find(|(id, _)| *id == d.dataset) {
            Some((_, ids)) => ids.push(&d.id),
            None => groups.push((&d.dataset, vec![&d.id])),
        }
    }
    groups.into_iter().map(|(_, ids)| ids).collect()
}

impl LayerValues {
    /// Evaluates every group for every territory of `layer`, one indicator at a time
    /// if a group is refused.
    async fn build(engine: &Engine, layer: Layer, groups: &[Vec<&str>]) -> Result<LayerValues, IndicatorError> {
        let targets = Target::layer(engine.referential(), layer)?;
        let index = targets.iter().enumerate().map(|(i, t)| (t.key.clone(), i as u32)).collect();
        let mut values = HashMap::new();
        let mut pairs = 0;
        for ids in groups {
            let evaluated: Vec<(String, Vec<Value>)> = match engine.evaluate(&targets, ids).await {
                Ok(e) => ids.iter().map(|id| id.to_string()).zip(e.values).collect(),
                Err(_) => {
                    let mut one_by_one = Vec::new();
                    for id in ids {
                        if let Ok(mut e) = engine.evaluate(&targets, &[id]).await {
                            one_by_one.push((id.to_string(), e.values.remove(0)));
                        }
                    }
                    one_by_one
                }
            };
            for (id, v) in evaluated {
                pairs += v.len();
                values.insert(id, v);
            }
        }
        Ok(LayerValues { index, values, pairs })
    }
}

impl Materialised {
    /// Evaluates every indicator whose dataset is loaded for every territory; indicators
    /// of one dataset are evaluated together, one by one if the group is refused.
    pub async fn build(engine: &Engine) -> Result<Materialised, IndicatorError> {
        let started = Instant::now();
        let groups = by_dataset(engine);
        let mut layers = Vec::with_capacity(Layer::ALL.len());
        for layer in Layer::ALL {
            layers.push(Arc::new(LayerValues::build(engine, layer, &groups).await?));
        }
        Ok(Materialised::of(layers, started))
    }

    /// The table of `engine`, an engine that differs from this table's in `layer` alone
    /// (same datasets, indicators and communes; other perimeters, say): that layer is
    /// evaluated again, the others are shared.
    pub async fn with_layer(&self, engine: &Engine, layer: Layer) -> Result<Materialised, IndicatorError> {
        let started = Instant::now();
        if self.layers.is_empty() {
            return Ok(Materialised::empty());
        }
        let mut layers = self.layers.clone();
        let slot = Layer::ALL.iter().position(|&l| l == layer).expect("a layer of Layer::ALL");
        layers[slot] = Arc::new(LayerValues::build(engine, layer, &by_dataset(engine)).await?);
        Ok(Materialised::of(layers, started))
    }

    fn of(layers: Vec<Arc<LayerValues>>, started: Instant) -> Materialised {
        Materialised {
            territories: layers.iter().map(|l| l.index.len()).sum(),
            pairs: layers.iter().map(|l| l.pairs).sum(),
            layers,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// A table with nothing in it: everything goes to the engine.
    pub fn empty() -> Materialised {
        Materialised { layers: Vec::new(), territories: 0, pairs: 0, seconds: 0.0 }
    }

    /// The materialised value of an indicator for a territory key, if any.
    pub fn get(&self, indicator: &str, key: &str) -> Option<&Value> {
        let prefix = key.split(':').next()?;
        let slot = Layer::ALL.iter().position(|l| l.prefix() == prefix)?;
        let layer = self.layers.get(slot)?;
        layer.values.get(indicator)?.get(*layer.index.get(key)? as usize)
    }
}

/// A column to evaluate: a territory, or the outside of a perimeter.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// The territory itself.
    Territory(TerritoryRef),
    /// The rest of the régions a perimeter touches, outside it.
    Outside(TerritoryRef),
}

impl Column {
    /// A portrait's columns, as [`Target::portrait`] orders them.
    pub fn portrait(
        r: &Referential,
        t: &TerritoryRef,
        against: &[TerritoryRef],
    ) -> Result<Vec<Column>, IndicatorError> {
        let mut columns = vec![t.clone()];
        for x in r.references(t)?.into_iter().chain(against.iter().cloned()) {
            if !columns.contains(&x) {
                columns.push(x);
            }
        }
        let mut columns: Vec<Column> = columns.into_iter().map(Column::Territory).collect();
        if t.layer == Layer::Perimeter {
            columns.insert(1, Column::Outside(t.clone()));
        }
        Ok(columns)
    }

    fn key(&self) -> String {
        match self {
            Column::Territory(t) => t.key(),
            Column::Outside(t) => format!("{}!outside", t.key()),
        }
    }

    fn target(&self, r: &Referential) -> Result<Target, IndicatorError> {
        match self {
            Column::Territory(t) => Target::territory(r, t),
            Column::Outside(t) => Target::outside(r, t),
        }
    }
}

/// What [`Engine::evaluate`] returns for the targets of `columns`, taking materialised
/// pairs from `cache` and only the columns with a missing pair from the engine (their
/// member lists are built only then). Unknown or unusable indicators are refused
/// first, with the engine's own errors.
pub async fn evaluate_columns(
    engine: &Engine,
    cache: Option<&Materialised>,
    columns: &[Column],
    ids: &[&str],
) -> Result<Evaluation, IndicatorError> {
    let r = engine.referential();
    let Some(cache) = cache else {
        let targets = columns.iter().map(|c| c.target(r)).collect::<Result<Vec<_>, _>>()?;
        return engine.evaluate(&targets, ids).await;
    };
    let mut found = Lookup::of(engine, cache, columns, ids)?;
    let missing = found.missing();
    let mut labels: Vec<Option<String>> = vec![None; columns.len()];
    if !missing.is_empty() {
        let subset = missing.iter().map(|&c| columns[c].target(r)).collect::<Result<Vec<_>, _>>()?;
        let e = engine.evaluate(&subset, ids).await?;
        for (&c, (_, label)) in missing.iter().zip(e.targets) {
            labels[c] = Some(label);
        }
        for (i, computed) in e.values.into_iter().enumerate() {
            for (&c, v) in missing.iter().zip(computed) {
                found.values[i][c] = Some(v);
            }
        }
    }
    Ok(found.finish(r, columns, labels))
}

/// [`evaluate_columns`] when every pair is materialised, without the engine: `None`
/// when one is missing (an outside, an indicator left out of the table).
pub fn look_up_columns(
    engine: &Engine,
    cache: &Materialised,
    columns: &[Column],
    ids: &[&str],
) -> Option<Result<Evaluation, IndicatorError>> {
    let found = match Lookup::of(engine, cache, columns, ids) {
        Ok(found) => found,
        Err(e) => return Some(Err(e)),
    };
    found.missing().is_empty().then(|| Ok(found.finish(engine.referential(), columns, vec![None; columns.len()])))
}

/// The materialised pairs of some columns, `None` where missing.
struct Lookup {
    indicators: Vec<IndicatorDef>,
    provenance: Provenance,
    keys: Vec<String>,
    /// Per indicator, per column.
    values: Vec<Vec<Option<Value>>>,
}

impl Lookup {
    fn of(engine: &Engine, cache: &Materialised, columns: &[Column], ids: &[&str]) -> Result<Lookup, IndicatorError> {
        let (indicators, provenance) = checked(engine, ids)?;
        let keys: Vec<String> = columns.iter().map(Column::key).collect();
        let values = ids.iter().map(|id| keys.iter().map(|k| cache.get(id, k).cloned()).collect()).collect();
        Ok(Lookup { indicators, provenance, keys, values })
    }

    /// Columns with at least one pair missing.
    fn missing(&self) -> Vec<usize> {
        (0..self.keys.len()).filter(|&c| self.values.iter().any(|per_column| per_column[c].is_none())).collect()
    }

    /// The evaluation, once every pair is filled; a column's label is the engine's
    /// where it evaluated the column, else the territory's name.
    fn finish(self, r: &Referential, columns: &[Column], labels: Vec<Option<String>>) -> Evaluation {
        let targets = columns
            .iter()
            .zip(self.keys)
            .zip(labels)
            .map(|((c, key), label)| {
                let label = label.unwrap_or_else(|| match c {
                    Column::Territory(t) => r.name(t).unwrap_or(&t.code).to_string(),
                    Column::Outside(_) => unreachable!("an outside is never materialised"),
                });
                (key, label)
            })
            .collect();
        Evaluation {
            targets,
            indicators: self.indicators,
            values: self.values.into_iter().map(|v| v.into_iter().map(|x| x.expect("filled")).collect()).collect(),
            provenance: self.provenance,
        }
    }
}

/// The declarations and provenance of indicators, refused as [`Engine::evaluate`] does.
/// Per indicator: source, vintage, synthetic.
type Provenance = Vec<(String, String, bool)>;

fn checked(engine: &Engine, ids: &[&str]) -> Result<(Vec<IndicatorDef>, Provenance), IndicatorError> {
    let mut indicators = Vec::with_capacity(ids.len());
    let mut provenance = Vec::with_capacity(ids.len());
    for id in ids {
        let def = engine.indicator(id)?;
        let meta = engine.check(def)?;
        provenance.push((
            def.source.clone().unwrap_or_else(|| meta.source.clone()),
            def.vintage.clone().unwrap_or_else(|| meta.vintage.clone()),
            meta.synthetic,
        ));
        indicators.push(def.clone());
    }
    Ok((indicators, provenance))
}

/// What [`Engine::evaluate`] returns, taking materialised pairs from `cache` and only
/// the targets with a missing pair from the engine.
pub async fn evaluate(
    engine: &Engine,
    cache: Option<&Materialised>,
    targets: &[Target],
    ids: &[&str],
) -> Result<Evaluation, IndicatorError> {
    let Some(cache) = cache else { return engine.evaluate(targets, ids).await };
    let (indicators, provenance) = checked(engine, ids)?;
    let mut values: Vec<Vec<Option<Value>>> =
        ids.iter().map(|id| targets.iter().map(|t| cache.get(id, &t.key).cloned()).collect()).collect();
    let missing: Vec<usize> =
        (0..targets.len()).filter(|&t| values.iter().any(|per_target| per_target[t].is_none())).collect();
    if !missing.is_empty() {
        let subset: Vec<Target> = missing.iter().map(|&t| targets[t].clone()).collect();
        let e = engine.evaluate(&subset, ids).await?;
        for (i, computed) in e.values.into_iter().enumerate() {
            for (&t, v) in missing.iter().zip(computed) {
                values[i][t] = Some(v);
            }
        }
    }
    Ok(Evaluation {
        targets: targets.iter().map(|t| (t.key.clone(), t.label.clone())).collect(),
        indicators,
        values: values.into_iter().map(|v| v.into_iter().map(|x| x.expect("filled")).collect()).collect(),
        provenance,
    })
}
