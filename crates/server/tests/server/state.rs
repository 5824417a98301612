//! Changes of the store through the server: serialized, visible once answered, kept
//! across a restart, with the state served meanwhile (no 503, caches the change does
//! not touch kept).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_referential::Layer;
use echelle_server::{AppState, app};
use echelle_store::testing::{TestBackend, backends, copy_store_on, test_store};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::{get, ok};

/// A request with a JSON body (or none): status and JSON body (`null` if none).
async fn send(router: &axum::Router, method: &str, uri: &str, body: Option<Value>) -> (StatusCode, Value) {
    let request = Request::builder().method(method).uri(uri).header("content-type", "application/json");
    let body = body.map_or(Body::empty(), |b| Body::from(b.to_string()));
    let response = router.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn post(router: &axum::Router, id: &str, include: &[&str]) -> (StatusCode, Value) {
    send(router, "POST", "/api/perimeters", Some(json!({"id": id, "name": id, "include": include}))).await
}

/// A private copy of the test store, its catalog on `backend`, and the state opened on it once warm.
async fn warm_copy(backend: &TestBackend) -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().unwrap();
    copy_store_on(&test_store(), dir.path(), backend);
    let state = AppState::open(dir.path()).await.unwrap();
    state.ready().await;
    (dir, state)
}

fn router(state: &AppState) -> axum::Router {
    app(state.clone(), None, Duration::from_secs(60))
}

/// Sixteen départements, one perimeter each.
const DEPARTEMENTS: [&str; 16] =
    ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15", "16"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_perimeters_are_each_visible_after_their_201_and_after_a_restart() {
    for backend in backends() {
        concurrent_perimeters_are_each_visible_after_their_201_and_after_a_restart_on(&backend).await;
    }
}

async fn concurrent_perimeters_are_each_visible_after_their_201_and_after_a_restart_on(backend: &TestBackend) {
    let (dir, state) = warm_copy(backend).await;
    let r = router(&state);
    let tasks: Vec<_> = DEPARTEMENTS
        .iter()
        .map(|d| {
            let r = r.clone();
            tokio::spawn(async move {
                let id = format!("dep-{d}");
                let (status, created) = post(&r, &id, &[&format!("dep:{d}")]).await;
                let (seen, territory) = get(&r, &format!("/api/territory/per:{id}")).await;
                (id, status, created, seen, territory)
            })
        })
        .collect();
    for task in tasks {
        let (id, status, created, seen, territory) = task.await.unwrap();
        assert_eq!(status, StatusCode::CREATED, "{id}: {created}");
        assert_eq!(seen, StatusCode::OK, "{id} unknown right after its 201: {territory}");
        assert_eq!(created["communes"], territory["communes"], "{id}");
    }
    let listed = ok(&r, "/api/territories?layer=per").await;
    let keys: Vec<&str> = listed.as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    for d in DEPARTEMENTS {
        assert!(keys.contains(&format!("per:dep-{d}").as_str()), "per:dep-{d} not listed: {keys:?}");
    }
    // The materialised values hold the new perimeters: a perimeter of one département is that département.
    let (engine, values) = state.engine_and_values();
    let values = values.unwrap();
    for d in DEPARTEMENTS {
        let per = values.get("population_dgcl", &format!("per:dep-{d}"));
        assert!(per.is_some() && per == values.get("population_dgcl", &format!("dep:{d}")), "per:dep-{d}");
    }
    let expected = engine.referential().perimeters().len();
    drop((r, state, engine, values));

    // A restart on the same store finds them all.
    let state = AppState::open(dir.path()).await.unwrap();
    let r = router(&state);
    for d in DEPARTEMENTS {
        ok(&r, &format!("/api/territory/per:dep-{d}")).await;
    }
    assert_eq!(state.engine().referential().perimeters().len(), expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_perimeter_is_removed_and_the_others_are_refused() {
    for backend in backends() {
        a_user_perimeter_is_removed_and_the_others_are_refused_on(&backend).await;
    }
}

async fn a_user_perimeter_is_removed_and_the_others_are_refused_on(backend: &TestBackend) {
    let (dir, state) = warm_copy(backend).await;
    let r = router(&state);
    assert_eq!(post(&r, "artois-sud", &["dep:62"]).await.0, StatusCode::CREATED);
    assert_eq!(post(&r, "autour", &["per:artois-sud", "dep:59"]).await.0, StatusCode::CREATED);

    // Refused: a shipped perimeter, one another refers to, what is not a perimeter.
    let (status, error) = send(&r, "DELETE", "/api/perimeters/per:mel", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(error["error"].as_str().unwrap().contains("shipped"), "{error}");
    let (status, error) = send(&r, "DELETE", "/api/perimeters/per:artois-sud", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(error["error"].as_str().unwrap().contains("autour"), "{error}");
    let (status, error) = send(&r, "DELETE", "/api/perimeters/dep:59", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{error}");
    ok(&r, "/api/territory/per:artois-sud").await;
    ok(&r, "/api/territory/per:mel").await;

    // Removed in order: gone at once, then unknown.
    assert_eq!(send(&r, "DELETE", "/api/perimeters/per:autour", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(get(&r, "/api/territory/per:autour").await.0, StatusCode::NOT_FOUND);
    assert_eq!(send(&r, "DELETE", "/api/perimeters/artois-sud", None).await.0, StatusCode::NO_CONTENT);
    assert_eq!(get(&r, "/api/territory/per:artois-sud").await.0, StatusCode::NOT_FOUND);
    let (status, error) = send(&r, "DELETE", "/api/perimeters/per:artois-sud", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert!(error["error"].is_string());
    let (_, values) = state.engine_and_values();
    assert!(values.unwrap().get("population_dgcl", "per:autour").is_none(), "its values went with it");
    drop((r, state));

    let state = AppState::open(dir.path()).await.unwrap();
    let r = router(&state);
    assert_eq!(get(&r, "/api/territory/per:autour").await.0, StatusCode::NOT_FOUND, "removed for good");
    ok(&r, "/api/territory/per:mel").await;
}

/// After the first warm-up, a perimeter change serves the previous state until the next
/// one is complete: `/ready` stays 200, and what the change does not touch is kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_perimeter_change_keeps_the_server_ready_and_its_caches() {
    for backend in backends() {
        a_perimeter_change_keeps_the_server_ready_and_its_caches_on(&backend).await;
    }
}

async fn a_perimeter_change_keeps_the_server_ready_and_its_caches_on(backend: &TestBackend) {
    let (_dir, state) = warm_copy(backend).await;
    let r = router(&state);
    let communes = echelle_server::layer_shapes_async(&state, Layer::Commune).await.unwrap();
    let departements = echelle_server::layer_shapes_async(&state, Layer::Departement).await.unwrap();
    echelle_server::layer_shapes_async(&state, Layer::Perimeter).await.unwrap();
    let before = state.engine_and_values().1.unwrap();

    let posting = {
        let r = r.clone();
        tokio::spawn(async move { post(&r, "ready-or-not", &["dep:62"]).await })
    };
    let mut polls = 0;
    loop {
        let finished = posting.is_finished();
        let (status, ready) = get(&r, "/ready").await;
        assert_eq!(status, StatusCode::OK, "{ready}");
        polls += 1;
        if finished {
            break;
        }
    }
    assert_eq!(posting.await.unwrap().0, StatusCode::CREATED);
    assert!(polls >= 1);

    assert!(Arc::ptr_eq(&state.cached_shapes(Layer::Commune).unwrap(), &communes), "commune shapes kept");
    assert!(Arc::ptr_eq(&state.cached_shapes(Layer::Departement).unwrap(), &departements), "official shapes kept");
    assert!(state.cached_shapes(Layer::Perimeter).is_none(), "perimeter shapes built again");
    let perimeters = echelle_server::layer_shapes_async(&state, Layer::Perimeter).await.unwrap();
    assert!(perimeters.shapes.iter().any(|s| s.code == "ready-or-not"));
    let after = state.engine_and_values().1.unwrap();
    assert_eq!(after.territories, before.territories + 1);
    assert_eq!(after.get("population_dgcl", "com:62119"), before.get("population_dgcl", "com:62119"));
    assert_eq!(after.get("population_dgcl", "per:ready-or-not"), before.get("population_dgcl", "dep:62"));
}

/// A dataset imported by another process (another `Store` handle here) is picked up by
/// the poller: the catalog's version changed, the engine is loaded again with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_poller_picks_up_an_import_by_another_handle() {
    for backend in backends() {
        the_poller_picks_up_an_import_by_another_handle_on(&backend).await;
    }
}

async fn the_poller_picks_up_an_import_by_another_handle_on(backend: &TestBackend) {
    let (dir, state) = warm_copy(backend).await;
    assert!(!state.reload_if_changed().await.unwrap(), "nothing changed");
    import_table(dir.path());
    assert!(state.engine().dataset("test_scores").is_none());
    assert!(state.reload_if_changed().await.unwrap(), "an import");
    let (engine, values) = state.engine_and_values();
    assert!(engine.dataset("test_scores").is_some());
    assert!(values.is_some(), "served with its values at once");
    assert!(!state.reload_if_changed().await.unwrap(), "read once");
}

/// Imports a tiny commune table `test_scores` into the store at `root`.
pub fn import_table(root: &Path) {
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    let store = echelle_store::Store::open(root).unwrap();
    let schema = Arc::new(Schema::new(vec![
        Field::new("code", DataType::Utf8, false),
        Field::new("score", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![Arc::new(StringArray::from(vec!["62119", "59350"])), Arc::new(Int64Array::from(vec![1, 2]))],
    )
    .unwrap();
    let mut import = store.begin_import("test_scores", schema).unwrap();
    import.write(&batch).unwrap();
    import
        .commit(echelle_store::DatasetMeta {
            id: "test_scores".into(),
            title: "Test scores".into(),
            level: echelle_store::DatasetLevel::Commune,
            key_column: "code".into(),
            source: "test".into(),
            vintage: "2026".into(),
            geography: "2026".into(),
            synthetic: true,
            secrecy: None,
        })
        .unwrap();
}
