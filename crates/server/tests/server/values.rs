//! Materialised values are the engine's values: a sample of territories of every
//! layer, and portrait-like mixes with targets that are not materialised.

use echelle_indicators::Target;
use echelle_referential::Layer;
use echelle_server::AppState;
use echelle_server::values::{Column, evaluate, evaluate_columns};
use echelle_store::testing::{copy_store, test_store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn materialised_values_equal_the_engine() {
    let state = AppState::open(&test_store()).await.unwrap();
    state.ready().await;
    let (engine, cache) = state.engine_and_values();
    let cache = cache.unwrap();
    assert!(cache.territories > 80_000 && cache.pairs > cache.territories, "{} {}", cache.territories, cache.pairs);
    let r = engine.referential();
    let ids: Vec<&str> = engine.indicators().iter().map(|d| d.id.as_str()).collect();
    let mut compared = 0;
    let mut materialised = 0;
    for layer in Layer::ALL {
        let all = r.territories(layer);
        let step = (all.len() / 40).max(1);
        let sample: Vec<Target> = all.iter().step_by(step).map(|t| Target::territory(r, t).unwrap()).collect();
        for id in &ids {
            let direct = engine.evaluate(&sample, &[id]).await;
            let cached = evaluate(&engine, Some(&cache), &sample, &[id]).await;
            match (direct, cached) {
                (Ok(d), Ok(c)) => {
                    assert_eq!(d.targets, c.targets);
                    assert_eq!(d.provenance, c.provenance);
                    assert_eq!(d.values, c.values, "{id} on {layer:?}");
                    compared += sample.len();
                    materialised += sample.iter().filter(|t| cache.get(id, &t.key).is_some()).count();
                }
                (Err(d), Err(c)) => assert_eq!(d.to_string(), c.to_string()),
                (d, c) => panic!("{id} on {layer:?}: engine {:?}, cached {:?}", d.err(), c.err()),
            }
        }
    }
    assert!(compared > 1000 && materialised * 10 > compared * 9, "{materialised} of {compared}");

    // Portraits (a perimeter's outside is not materialised, the rest is), as targets and as columns.
    let keys = engine.key_indicators();
    for (key, against) in
        [("per:mel", vec!["com:62119"]), ("com:62119", vec![]), ("iris:591830101", vec!["epci:200093201"])]
    {
        let Ok(t) = r.resolve(key) else { continue };
        let against: Vec<_> = against.iter().map(|a| r.resolve(a).unwrap()).collect();
        let targets = Target::portrait(r, &t, &against).unwrap();
        let d = engine.evaluate(&targets, &keys).await.unwrap();
        let c = evaluate(&engine, Some(&cache), &targets, &keys).await.unwrap();
        assert_eq!((&d.targets, &d.values), (&c.targets, &c.values), "{key}");
        let columns = Column::portrait(r, &t, &against).unwrap();
        let c = evaluate_columns(&engine, Some(&cache), &columns, &keys).await.unwrap();
        assert_eq!((&d.targets, &d.values, &d.provenance), (&c.targets, &c.values, &c.provenance), "{key}");
    }
    let per = r.resolve("per:mel").unwrap();
    let targets = Target::portrait(r, &per, &[]).unwrap();
    // Unknown indicators are the engine's error.
    let e = evaluate(&engine, Some(&cache), &targets, &["populaton"]).await.unwrap_err();
    assert_eq!(e.to_string(), engine.evaluate(&targets, &["populaton"]).await.unwrap_err().to_string());
}

/// A change of the store made outside the server (a perimeter added by `echelle
/// perimeter add`, a dataset imported) is picked up: engine reloaded, values materialised again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_changed_outside_is_reloaded_and_rematerialised() {
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    let state = AppState::open(dir.path()).await.unwrap();
    state.ready().await;
    assert!(!state.reload_if_changed().await.unwrap(), "nothing changed");
    let (before, _) = state.engine_and_values();
    let text = "id = \"lens-est\"\nname = \"Lens est\"\nstatus = \"provisional\"\nsource = \"test\"\ninclude = [\"epci:246200364\"]\nexclude = []\n";
    let def = echelle_referential::PerimeterDef::parse("test", text).unwrap();
    echelle_store::Store::open(dir.path()).unwrap().add_perimeter(def, false).unwrap();
    assert!(state.reload_if_changed().await.unwrap(), "a perimeter was added");
    state.ready().await;
    let (engine, cache) = state.engine_and_values();
    assert!(!std::sync::Arc::ptr_eq(&before, &engine));
    let cache = cache.unwrap();
    let epci = cache.get("population_dgcl", "epci:246200364").unwrap().clone();
    assert_eq!(cache.get("population_dgcl", "per:lens-est"), Some(&epci), "same communes, same value");
    assert!(!state.reload_if_changed().await.unwrap());
}
