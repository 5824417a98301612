//! Statistical secrecy of indicator figures, on the real communes of France: a table
//! of tax households per commune (generated from the communes' real populations,
//! flagged synthetic) declaring the households' rule, with and without cell key noise.
//!
//! The differencing attacks of issue 17 are run on every commune with 1 to 10
//! households: two perimeters differing by that commune; its EPCI's total minus its
//! other communes; the same figure asked again; two vintages of the file. Without
//! noise each attack recovers the protected count exactly; with the cell key method
//! the table printed gives how often it lands on it, and the accuracy cost.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Float64Array, RecordBatch, StringArray};
use echelle_indicators::{Engine, Target, Value};
use echelle_platform::SecrecyRule;
use echelle_platform::cellkey::CellKeyRule;
use echelle_referential::Layer;
use echelle_store::Store;
use echelle_store::testing::{copy_store, register_commune_table, test_store};

use super::rt;

const INDICATORS: &str = "
[[indicator]]
id = 'households'
label = 'Ménages fiscaux'
unit = 'ménages'
dataset = 'menages'
aggregate = 'sum'
value = 'menages'

[[indicator]]
id = 'income'
label = 'Revenus déclarés'
unit = '€'
dataset = 'menages'
aggregate = 'sum'
value = 'revenus'

[[indicator]]
id = 'income_per_household'
label = 'Revenu par ménage'
unit = '€'
dataset = 'menages'
aggregate = 'ratio'
numerator = 'revenus'
denominator = 'menages'

[[indicator]]
id = 'mean_income'
label = 'Revenu moyen'
unit = '€'
dataset = 'menages'
aggregate = 'weighted-mean'
value = 'moyenne'
weight = 'menages'

[[indicator]]
id = 'median'
label = 'Revenu médian'
unit = '€'
dataset = 'menages'
aggregate = 'none'
value = 'mediane'
why = 'une médiane ne s’additionne pas'

[[indicator]]
id = 'communes_with_data'
label = 'Communes renseignées'
unit = 'communes'
dataset = 'menages'
aggregate = 'count'
";

const IDS: [&str; 5] = ["households", "income", "income_per_household", "mean_income", "communes_with_data"];

/// Households of each commune: its real population over 2.2, rounded; `extra` more in
/// commune `bump` (a second vintage).
fn households(store: &Store, bump: Option<usize>) -> Vec<Option<f64>> {
    let r = store.referential().unwrap();
    r.communes()
        .iter()
        .enumerate()
        .map(|(i, c)| c.population.map(|p| (p as f64 / 2.2).round() + if bump == Some(i) { 1.0 } else { 0.0 }))
        .collect()
}

/// A copy of the test store with the households table declaring `rule`.
fn store_with(dir: &Path, rule: SecrecyRule, bump: Option<usize>) -> Vec<Option<f64>> {
    copy_store(&test_store(), dir);
    let store = Store::open(dir).unwrap();
    let r = store.referential().unwrap();
    let menages = households(&store, bump);
    let mean: Vec<Option<f64>> =
        r.communes().iter().enumerate().map(|(i, _)| menages[i].map(|_| 18_000.0 + (i % 97) as f64 * 100.0)).collect();
    let revenus: Vec<Option<f64>> = menages.iter().zip(&mean).map(|(h, m)| Some(h.as_ref()? * m.as_ref()?)).collect();
    let batch = RecordBatch::try_from_iter([
        ("code", Arc::new(StringArray::from_iter_values(r.communes().iter().map(|c| c.code.clone()))) as _),
        ("menages", Arc::new(Float64Array::from(menages.clone())) as _),
        ("revenus", Arc::new(Float64Array::from(revenus)) as _),
        ("moyenne", Arc::new(Float64Array::from(mean.clone())) as _),
        ("mediane", Arc::new(Float64Array::from(mean.iter().map(|m| m.map(|m| m * 0.9)).collect::<Vec<_>>())) as _),
    ])
    .unwrap();
    register_commune_table(&store, "menages", &batch, rule);
    store.catalog().add_indicator_catalog("menages", INDICATORS).unwrap();
    menages
}

fn rule(cell_key: bool) -> SecrecyRule {
    SecrecyRule {
        count_column: Some("menages".into()),
        cell_key: cell_key.then(CellKeyRule::default),
        ..SecrecyRule::households()
    }
}

fn open(rt: &tokio::runtime::Runtime, dir: &Path) -> Engine {
    rt.block_on(Engine::open(&Store::open(dir).unwrap())).unwrap()
}

/// A user-drawn perimeter: any set of communes.
fn drawn(key: &str, communes: Vec<u32>) -> Target {
    Target { key: key.into(), label: key.into(), communes, iris: None }
}

/// Every territory of every layer: only figures whose published count is at least 11
/// households (or zero) are shown, and exactly those withheld are flagged secret.
/// Without noise a shown figure is exact; with it, within D records of exact.
#[test]
fn no_figure_built_from_fewer_than_eleven_households_is_shown() {
    let rt = rt();
    for noise in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let menages = store_with(dir.path(), rule(noise), None);
        let engine = open(&rt, dir.path());
        let r = engine.referential().clone();
        let (mut shown, mut secret) = (0, 0);
        let mut cost = Outcome::default();
        for layer in [Layer::Commune, Layer::Epci, Layer::Departement, Layer::Perimeter] {
            let targets = Target::layer(&r, layer).unwrap();
            // A median is shown for single communes only.
            let ids: Vec<&str> = IDS.iter().copied().chain((layer == Layer::Commune).then_some("median")).collect();
            let e = rt.block_on(engine.evaluate(&targets, &ids)).unwrap();
            for (t, target) in targets.iter().enumerate() {
                let exact: Option<f64> = target.communes.iter().map(|&c| menages[c as usize]).sum();
                let small = exact.is_some_and(|h| h > 0.0 && h < 11.0);
                for (i, id) in ids.iter().enumerate() {
                    let v: &Value = &e.values[i][t];
                    assert!(!(v.secret && v.value.is_some()), "{id} {}: secret with a value", target.key);
                    if *id == "communes_with_data" {
                        assert!(!v.secret, "a count of communes is public");
                        continue;
                    }
                    if !noise && small && v.units > 0 && v.covered == v.units {
                        assert!(v.secret, "{id} {}: {exact:?} households shown", target.key);
                    }
                    if *id == "households"
                        && let (Some(x), Some(h)) = (v.value, exact)
                    {
                        assert!(x == 0.0 || x >= 11.0, "{}: {x} households published", target.key);
                        let records = target.communes.iter().filter_map(|&c| menages[c as usize]).sum::<f64>();
                        let bound = if noise { 2.0 * h / records.max(1.0) } else { 0.0 };
                        assert!((x - h).abs() <= bound + 1e-6, "{}: {x} published for {h}", target.key);
                        cost.add(x, h);
                    }
                    if v.secret {
                        secret += 1;
                    } else if v.value.is_some() {
                        shown += 1;
                    }
                }
            }
        }
        assert!(secret > 100 && shown > 100_000, "noise {noise}: {secret} secret, {shown} shown");
        if noise {
            // The accuracy cost of the noise, over the households of every territory shown.
            println!(
                "coût en précision : {} chiffres de ménages publiés, écart absolu moyen {:.3}, plus grand {:.0}",
                cost.tries,
                cost.deviation / cost.tries.max(1) as f64,
                cost.largest
            );
        }
    }
}

/// Statistics of an attack over the protected communes: exact recoveries, mean and
/// largest absolute deviation from the true count.
#[derive(Default)]
struct Outcome {
    tries: usize,
    exact: usize,
    deviation: f64,
    largest: f64,
}

impl Outcome {
    fn add(&mut self, guess: f64, truth: f64) {
        let d = (guess - truth).abs();
        self.tries += 1;
        self.exact += usize::from(d < 0.5);
        self.deviation += d;
        self.largest = self.largest.max(d);
    }

    fn rate(&self) -> f64 {
        self.exact as f64 / self.tries.max(1) as f64
    }

    /// A line of the printed table, beside the rate of the same attack without noise.
    fn row(&self, name: &str, plain: &Outcome) -> String {
        format!(
            "| {name} | {} | {:.0} % | {:.1} % | {:.2} | {:.0} |",
            self.tries,
            100.0 * plain.rate(),
            100.0 * self.rate(),
            self.deviation / self.tries.max(1) as f64,
            self.largest
        )
    }
}

fn published(e: &echelle_indicators::Evaluation, t: usize) -> Option<f64> {
    e.values[0][t].value
}

/// Runs the attacks on a store with or without noise; returns one outcome per attack.
fn attacks(noise: bool) -> Vec<(&'static str, Outcome)> {
    let rt = rt();
    let dir = tempfile::tempdir().unwrap();
    let menages = store_with(dir.path(), rule(noise), None);
    let engine = open(&rt, dir.path());
    let r = engine.referential().clone();
    let epcis = Target::layer(&r, Layer::Epci).unwrap();
    let small: Vec<(u32, usize)> = epcis
        .iter()
        .enumerate()
        .flat_map(|(e, t)| t.communes.iter().map(move |&c| (c, e)))
        .filter(|&(c, _)| menages[c as usize].is_some_and(|h| h > 0.0 && h < 11.0))
        .collect();
    assert!(small.len() > 100, "{} communes with 1 to 10 households", small.len());

    // Two perimeters differing by one commune: its EPCI, and its EPCI without it.
    let mut targets = Vec::new();
    for &(c, e) in &small {
        let all = &epcis[e].communes;
        targets.push(drawn("with", all.clone()));
        targets.push(drawn("without", all.iter().copied().filter(|&x| x != c).collect()));
    }
    let pairs = rt.block_on(engine.evaluate(&targets, &["households"])).unwrap();
    let mut perimeters = Outcome::default();
    for (k, &(c, _)) in small.iter().enumerate() {
        if let (Some(a), Some(b)) = (published(&pairs, 2 * k), published(&pairs, 2 * k + 1)) {
            perimeters.add(a - b, menages[c as usize].unwrap());
        }
    }

    // A layer total minus its other members, each read alone.
    let communes = Target::layer(&r, Layer::Commune).unwrap();
    let each = rt.block_on(engine.evaluate(&communes, &["households"])).unwrap();
    let whole = rt.block_on(engine.evaluate(&epcis, &["households"])).unwrap();
    let index: std::collections::HashMap<u32, usize> =
        communes.iter().enumerate().map(|(t, target)| (target.communes[0], t)).collect();
    let mut layer = Outcome::default();
    for &(c, e) in &small {
        let others: Option<f64> =
            epcis[e].communes.iter().filter(|&&x| x != c).map(|x| published(&each, index[x])).sum();
        if let (Some(total), Some(others)) = (published(&whole, e), others) {
            layer.add(total - others, menages[c as usize].unwrap());
        }
    }

    // The same figure asked 50 times, averaged: every answer is the same.
    let mut repeated = Outcome::default();
    for (k, &(c, _)) in small.iter().enumerate().take(40) {
        let again = vec![targets[2 * k].clone(), targets[2 * k + 1].clone()];
        let mut sum = 0.0;
        for _ in 0..50 {
            let e = rt.block_on(engine.evaluate(&again, &["households"])).unwrap();
            assert_eq!((published(&e, 0), published(&e, 1)), (published(&pairs, 2 * k), published(&pairs, 2 * k + 1)));
            sum += published(&e, 0).unwrap_or(0.0) - published(&e, 1).unwrap_or(0.0);
        }
        repeated.add(sum / 50.0, menages[c as usize].unwrap());
    }

    // Two vintages: the second has one more household in the commune; its EPCI's totals
    // in both differ by one.
    let mut vintages = Outcome::default();
    for &(c, e) in small.iter().take(25) {
        let dir2 = tempfile::tempdir().unwrap();
        store_with(dir2.path(), rule(noise), Some(c as usize));
        let second = open(&rt, dir2.path());
        let after = rt.block_on(second.evaluate(std::slice::from_ref(&epcis[e]), &["households"])).unwrap();
        if let (Some(a), Some(b)) = (published(&after, 0), published(&whole, e)) {
            vintages.add(a - b, 1.0);
        }
    }
    vec![
        ("deux périmètres différant d'une commune", perimeters),
        ("total d'un EPCI moins ses autres communes", layer),
        ("la même question 50 fois (moyenne)", repeated),
        ("deux millésimes (un ménage de plus)", vintages),
    ]
}

#[test]
fn differencing_recovers_protected_counts_without_noise_and_not_reliably_with_cell_keys() {
    let exact = attacks(false);
    let noisy = attacks(true);
    println!("| attaque | essais | exact sans bruit | exact avec clés | écart moyen | plus grand |");
    println!("|---|---|---|---|---|---|");
    for ((name, plain), (_, keyed)) in exact.iter().zip(&noisy) {
        assert!(plain.tries > 0 && keyed.tries > 0, "{name}: no attack could be made");
        assert_eq!(plain.rate(), 1.0, "{name}: without noise the attack is exact");
        assert!(keyed.rate() < 0.6, "{name}: {:.0} % exact with cell keys", 100.0 * keyed.rate());
        println!("{}", keyed.row(name, plain));
    }
}
