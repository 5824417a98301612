//! The indicator engine on the real reference pack, against plain sums done in Rust.

use std::sync::Arc;

use arrow::array::{Float64Array, Int64Array, RecordBatch, StringArray};
use echelle_indicators::{Engine, IndicatorError, Target};
use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::testing::{copy_store, test_store};
use echelle_store::{Dataset, DatasetLevel, Store, write_parquet_atomic};
use proptest::prelude::*;

#[path = "engine/secrecy.rs"]
mod secrecy;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn engine(rt: &tokio::runtime::Runtime, root: &std::path::Path) -> Engine {
    rt.block_on(Engine::open(&Store::open(root).unwrap())).unwrap()
}

fn target(r: &Referential, t: &str) -> Target {
    Target::territory(r, &r.resolve(t).unwrap()).unwrap()
}

#[test]
fn population_of_every_layer_is_the_sum_of_its_communes() {
    let rt = rt();
    let engine = engine(&rt, &test_store());
    let r = engine.referential().clone();
    for layer in [Layer::Epci, Layer::Arrondissement, Layer::Departement, Layer::Region, Layer::Perimeter] {
        let targets = Target::layer(&r, layer).unwrap();
        let e = rt.block_on(engine.evaluate(&targets, &["population_dgcl", "communes"])).unwrap();
        for (t, target) in targets.iter().enumerate() {
            let expected: Option<u64> = target.communes.iter().map(|&c| r.communes()[c as usize].population_dgcl).sum();
            assert_eq!(e.values[0][t].value, expected.map(|p| p as f64), "{}", target.key);
            assert_eq!(e.values[1][t].value, Some(target.communes.len() as f64), "{}", target.key);
        }
    }
    let mel = target(&r, "per:mel");
    let e = rt.block_on(engine.evaluate(&[mel], &["population_dgcl"])).unwrap();
    assert_eq!(e.values[0][0].value, Some(1_194_040.0));
}

#[test]
fn rates_are_ratios_of_sums_and_partial_coverage_shows_no_value() {
    let rt = rt();
    let engine = engine(&rt, &test_store());
    let r = engine.referential().clone();
    let targets = vec![
        target(&r, "dep:62"),
        target(&r, "reg:32"),
        target(&r, "fr"),
        target(&r, "dep:14"),
        target(&r, "com:14666"),
        target(&r, "dep:975"),
    ];
    let e = rt
        .block_on(engine.evaluate(&targets, &["vacancy_rate", "vacant_dwellings", "dwellings", "area", "density"]))
        .unwrap();
    for t in 0..3 {
        let (rate, vacant, all) =
            (e.values[0][t].value.unwrap(), e.values[1][t].value.unwrap(), e.values[2][t].value.unwrap());
        assert!((rate - 100.0 * vacant / all).abs() < 1e-9);
    }
    // Every commune of France has an area but 7 re-established since 2018, whose land is
    // counted in the shape of the commune nouvelle they had joined: the Calvados (which
    // has one, Sannerville), its région and France have their whole area and density;
    // Sannerville alone has none; Saint-Pierre-et-Miquelon (no contour) is "missing",
    // not a partial sum, with its coverage.
    for (t, target) in targets.iter().enumerate().take(4) {
        assert!(e.values[3][t].value.is_some_and(|a| a > 0.0), "{}: area", target.key);
        assert!(e.values[4][t].value.is_some_and(|d| d > 0.0), "{}: density", target.key);
    }
    assert_eq!(e.values[3][3].units - e.values[3][3].covered, 1, "Sannerville has no area of its own");
    assert_eq!((e.values[3][4].value, e.values[4][4].value), (None, None));
    assert_eq!(e.values[3][5].value, None);
    assert_eq!((e.values[3][5].units, e.values[3][5].covered), (2, 0));
    assert_eq!(e.values[4][5].value, None, "no density without areas");
    // France's area is the sum of its départements'.
    let deps: Vec<Target> = r
        .territories(Layer::Departement)
        .iter()
        .filter(|d| r.members(d).unwrap().iter().all(|&c| r.communes()[c as usize].in_france))
        .map(|d| target(&r, &d.key()))
        .collect();
    let areas = rt.block_on(engine.evaluate(&deps, &["area"])).unwrap();
    let deps: f64 = areas.values[0].iter().map(|v| v.value.expect("every département has its area")).sum();
    assert!((deps - e.values[3][2].value.unwrap()).abs() < 1e-6 * deps, "{deps}");
    let (source, vintage, synthetic) = &e.provenance[0];
    assert!(source.contains("INSEE") && vintage.contains("2021") && !synthetic);
}

#[test]
fn an_iris_gets_iris_data_and_no_commune_data() {
    let rt = rt();
    let engine = engine(&rt, &test_store());
    let r = engine.referential().clone();
    let iris = &r.iris()[r.iris_position("593500101").unwrap() as usize];
    let t = Target::territory(&r, &TerritoryRef::new(Layer::Iris, &iris.code)).unwrap();
    let e = rt.block_on(engine.evaluate(&[t], &["population_rp2021", "population"])).unwrap();
    assert!(e.values[0][0].value.unwrap() > 0.0);
    assert_eq!(e.values[1][0].value, None);
    assert_eq!(e.values[1][0].units, 0);
}

#[test]
fn the_targets_of_a_layer_are_those_of_its_territories() {
    let rt = rt();
    let engine = engine(&rt, &test_store());
    let r = engine.referential().clone();
    for layer in Layer::ALL {
        let one_by_one: Vec<Target> = r.territories(layer).iter().map(|t| Target::territory(&r, t).unwrap()).collect();
        assert_eq!(Target::layer(&r, layer).unwrap(), one_by_one, "{layer:?}");
    }
}

#[test]
fn unknown_indicators_are_named_with_suggestions() {
    let rt = rt();
    let engine = engine(&rt, &test_store());
    let r = engine.referential().clone();
    let err = rt.block_on(engine.evaluate(&[target(&r, "dep:59")], &["vacancy_rat"])).unwrap_err();
    assert!(matches!(err, IndicatorError::Unknown { .. }));
    assert!(err.to_string().contains("vacancy_rate"), "{err}");
    assert!(err.is_user_error());
}

/// A user's own commune-level dataset: a weighted mean and a median.
#[test]
fn weighted_means_aggregate_and_medians_are_refused_above_their_level() {
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    let store = Store::open(dir.path()).unwrap();
    let r = store.referential().unwrap();
    let codes: Vec<String> = r
        .members(&r.resolve("epci:246200364").unwrap())
        .unwrap()
        .iter()
        .map(|&c| r.communes()[c as usize].code.clone())
        .collect();
    let households: Vec<i64> = (0..codes.len() as i64).map(|i| 100 + 10 * i).collect();
    let income: Vec<f64> = (0..codes.len()).map(|i| 18_000.0 + 250.0 * i as f64).collect();
    let batch = RecordBatch::try_from_iter([
        ("code", Arc::new(StringArray::from(codes.clone())) as _),
        ("households", Arc::new(Int64Array::from(households.clone())) as _),
        ("median_income", Arc::new(Float64Array::from(income.clone())) as _),
    ])
    .unwrap();
    std::fs::create_dir_all(dir.path().join("datasets")).unwrap();
    let checksum = write_parquet_atomic(&dir.path().join("datasets/incomes.parquet"), &batch).unwrap();
    store
        .catalog()
        .register(&Dataset {
            id: "incomes".into(),
            title: "test incomes".into(),
            level: DatasetLevel::Commune,
            key_column: "code".into(),
            path: "datasets/incomes.parquet".into(),
            source: "test".into(),
            vintage: "test".into(),
            geography: "2026".into(),
            rows: codes.len() as u64,
            checksum,
            synthetic: true,
            secrecy: None,
        })
        .unwrap();
    store
        .catalog()
        .add_indicator_catalog(
            "incomes",
            "[[indicator]]\nid='mean_of_medians'\nlabel='M'\nunit='€'\ndataset='incomes'\naggregate='weighted-mean'\nvalue='median_income'\nweight='households'\n\n\
             [[indicator]]\nid='median_income'\nlabel='Median'\nunit='€'\ndataset='incomes'\naggregate='none'\nvalue='median_income'\nwhy='a median is not summable'\n",
        )
        .unwrap();
    let rt = rt();
    let engine = engine(&rt, dir.path());
    let r = engine.referential().clone();
    let e = rt.block_on(engine.evaluate(&[target(&r, "epci:246200364")], &["mean_of_medians"])).unwrap();
    let expected =
        income.iter().zip(&households).map(|(i, h)| i * *h as f64).sum::<f64>() / households.iter().sum::<i64>() as f64;
    assert!((e.values[0][0].value.unwrap() - expected).abs() < 1e-6);
    assert!(e.provenance[0].2, "the dataset is flagged synthetic");

    let one = target(&r, &format!("com:{}", codes[3]));
    let e = rt.block_on(engine.evaluate(&[one], &["median_income"])).unwrap();
    assert_eq!(e.values[0][0].value, Some(income[3]));
    let err =
        rt.block_on(engine.evaluate(&[target(&r, "epci:246200364")], &["median_income"])).unwrap_err().to_string();
    assert!(err.contains("cannot be aggregated") && err.contains("a median is not summable"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    /// A territory's total equals the totals of any partition of it: départements
    /// of a région, or two perimeters splitting a random set of communes.
    #[test]
    fn totals_do_not_depend_on_how_a_territory_is_cut(region in 0usize..18, cut in 0u32..1000, seed in 0u64..1000) {
        let rt = rt();
        let engine = engine(&rt, &test_store());
        let r = engine.referential().clone();
        // Metropolitan régions: the census IRIS file does not cover Mayotte.
        let regions: Vec<_> = r.units(Layer::Region).iter().filter(|u| u.code.len() == 2 && u.code.as_str() >= "11").collect();
        let reg = regions[region % regions.len()];
        let whole = target(&r, &format!("reg:{}", reg.code));
        let deps: Vec<Target> = r.units(Layer::Departement).iter()
            .filter(|d| r.communes()[d.members[0] as usize].region == reg.code)
            .map(|d| target(&r, &format!("dep:{}", d.code))).collect();
        let ids = ["population", "dwellings", "population_65_plus"];
        let e_whole = rt.block_on(engine.evaluate(std::slice::from_ref(&whole), &ids)).unwrap();
        let e_parts = rt.block_on(engine.evaluate(&deps, &ids)).unwrap();
        for i in 0..ids.len() {
            let parts: f64 = e_parts.values[i].iter().map(|v| v.value.unwrap()).sum();
            prop_assert_eq!(e_whole.values[i][0].value.unwrap(), parts);
        }
        // A random split of the région's communes into two ad hoc territories.
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for &c in &whole.communes {
            if (c as u64).wrapping_mul(2_654_435_761).wrapping_add(seed) % 1000 < cut as u64 { a.push(c) } else { b.push(c) }
        }
        let parts: Vec<Target> = [a, b].into_iter().filter(|m| !m.is_empty())
            .enumerate().map(|(i, communes)| Target { key: format!("part{i}"), label: String::new(), communes, iris: None }).collect();
        let e_split = rt.block_on(engine.evaluate(&parts, &ids)).unwrap();
        for i in 0..ids.len() {
            let total: f64 = e_split.values[i].iter().map(|v| v.value.unwrap()).sum();
            prop_assert_eq!(e_whole.values[i][0].value.unwrap(), total);
        }
    }
}
