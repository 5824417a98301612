//! The access endpoints (/api/access/…) on the test store with the real France
//! services file of 2021 (ANCT) as facility set: the minutes per commune and the
//! diagnostics equal what echelle-access computes directly on the same inputs; bad
//! requests are 4xx JSON errors, never 5xx.

use std::path::PathBuf;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_access::access::{self, Query};
use echelle_access::diagnostics::{self, Weighted};
use echelle_access::engine::Engine;
use echelle_access::method::Method;
use echelle_access::origins;
use echelle_access::points::{Fields, read_points};
use echelle_access::straight::StraightLine;
use echelle_access::territory::{self, Members};
use echelle_server::{AppState, app};
use echelle_store::Store;
use serde_json::Value;
use tower::ServiceExt;

use echelle_store::testing::test_store;

fn france_services() -> PathBuf {
    let base = std::env::var_os("ECHELLE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let p = base.join("data/france-services-2021.geojson");
    assert!(p.is_file(), "no {}", p.display());
    p
}

/// The application on a store, the France services file registered in its state.
async fn router_on(store: &std::path::Path, sets: &[(&str, PathBuf)]) -> axum::Router {
    let state = AppState::open(store).await.unwrap();
    for (name, path) in sets {
        state.register_facilities(name, path.clone()).unwrap();
    }
    app(state, None, Duration::from_secs(120))
}

async fn router() -> axum::Router {
    router_on(&test_store(), &[("france-services", france_services())]).await
}

use crate::{close, get, ok};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn times_and_diagnostics_equal_the_library() {
    let router = router().await;
    let sets = ok(&router, "/api/access/facilities").await;
    let fs = sets["facilities"].as_array().unwrap();
    assert_eq!(fs.len(), 1);
    assert_eq!(fs[0]["name"], "france-services");
    assert_eq!(fs[0]["vintage"], "2021");

    // The library, called directly on the same inputs.
    let store = Store::open(test_store()).unwrap();
    let r = store.referential().unwrap();
    let (centroids, _) = origins::commune_centroids(&store, &r).unwrap();
    let (mut points, _) = read_points(&france_services(), &Fields::default()).unwrap();
    assert_eq!(fs[0]["count"], points.len());
    for p in &mut points {
        p.kind = "france-services".into();
    }
    let model = StraightLine::new(1.5, 50.0).unwrap();
    let run = access::straight_line(
        model,
        centroids,
        access::by_type(points),
        Query { k: 1, within_s: None, max_snap_m: 1000.0 },
    );

    let got =
        ok(&router, "/api/access/times?facilities=france-services&layer=com&within=dep:62&detour=1.5&speed=50").await;
    assert_eq!(got["method"], run.mode.as_str());
    assert!(got["method"].as_str().unwrap().contains("STRAIGHT LINE × 1.5 at 50 km/h"));
    assert_eq!(got["method_label"], "À VOL D'OISEAU × 1,5 à 50 km/h (temps estimés, sans réseau routier)");
    assert_eq!(got["straight_line"], true);
    assert_eq!(got["method_detail"]["detour"], 1.5);
    assert_eq!(got["facilities"]["vintage"], "2021");
    assert_eq!(got["unit"], "min");
    let communes = got["communes"].as_array().unwrap();
    let dep62: Vec<&str> = r
        .members(&r.resolve("dep:62").unwrap())
        .unwrap()
        .iter()
        .map(|&i| r.communes()[i as usize].code.as_str())
        .collect();
    assert!(communes.len() > 500, "{} communes", communes.len());
    assert!(communes.iter().all(|c| dep62.contains(&c["code"].as_str().unwrap())));
    assert_eq!(communes.len() + got["communes_left_out"].as_u64().unwrap() as usize, dep62.len());
    let mut checked = 0;
    for code in ["62041", "62119", "62193", "62160", "62765"] {
        let Some(o) = run.origins.iter().position(|o| o.point.id == code) else { continue };
        let c = communes.iter().find(|c| c["code"] == code).unwrap();
        let reach = run.types[0].nearest[o][0];
        assert!(close(&c["minutes"], reach.time_s / 60.0), "{code}: {c} vs {reach:?}");
        assert!(close(&c["km"], reach.distance_m / 1000.0), "{code}");
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} of the sampled communes have a contour");
    // Minutes = km / speed × 60 with the distance already lengthened by the detour.
    for c in communes.iter().take(50) {
        let (m, km) = (c["minutes"].as_f64().unwrap(), c["km"].as_f64().unwrap());
        assert!((m - km / 50.0 * 60.0).abs() < 1e-9, "{c}");
    }
    assert_eq!(got["facility_points"].as_array().unwrap().len(), run.types[0].facilities.len());

    // Diagnostics of the département and of its EPCI, thresholds as asked.
    let d = ok(
        &router,
        "/api/access/diagnose/dep:62?facilities=france-services&detour=1.5&speed=50&thresholds=5,15,30&layer=epci",
    )
    .await;
    assert_eq!(d["method"], run.mode.as_str());
    assert_eq!(d["thresholds_min"], serde_json::json!([5.0, 15.0, 30.0]));
    let rows = d["rows"].as_array().unwrap();
    assert!(rows.len() > 5, "the département and its EPCI");
    let index: std::collections::HashMap<&str, usize> =
        run.origins.iter().enumerate().map(|(i, o)| (o.point.id.as_str(), i)).collect();
    for row in rows {
        let t = r.resolve(row["territory"].as_str().unwrap()).unwrap();
        let values: Vec<Weighted> = r
            .members(&t)
            .unwrap()
            .iter()
            .filter_map(|&m| index.get(r.communes()[m as usize].code.as_str()))
            .map(|&o| Weighted {
                weight: run.origins[o].point.weight.unwrap_or(0.0),
                time_s: run.types[0].nearest[o].first().map(|x| x.time_s),
            })
            .collect();
        let s = diagnostics::summarize(&values, &[5.0, 15.0, 30.0]);
        assert_eq!(row["communes"], values.len(), "{row}");
        assert!(close(&row["population"], s.population), "{row}");
        assert!(close(&row["mean_min"], s.mean_min.unwrap()), "{row}");
        assert!(close(&row["median_min"], s.median_min.unwrap()), "{row}");
        for (b, (th, sh)) in row["beyond"].as_array().unwrap().iter().zip(&s.beyond) {
            assert!(close(&b["threshold_min"], *th) && close(&b["share"], *sh), "{row}");
        }
    }
    assert_eq!(rows[0]["territory"], "dep:62");
    // Row for row, the library's diagnostics of the same territories.
    let territories: Vec<_> = rows.iter().map(|row| r.resolve(row["territory"].as_str().unwrap()).unwrap()).collect();
    let want = territory::diagnose(&run, &r, &territories, Members::Communes, &[], &[5.0, 15.0, 30.0]).unwrap();
    assert_eq!(d["rows"], crate::as_sent(&want));
    assert_eq!(rows[1]["what"], "france-services");

    // Defaults: × 1.3 at 40 km/h, thresholds 7 and 20.
    let d = ok(&router, "/api/access/diagnose/dep:59?facilities=france-services").await;
    assert!(d["method"].as_str().unwrap().contains("STRAIGHT LINE × 1.3 at 40 km/h"), "{}", d["method"]);
    assert_eq!(d["thresholds_min"], serde_json::json!([7.0, 20.0]));
    assert_eq!(d["rows"].as_array().unwrap().len(), 1);

    // Paris has a contour now that the pack covers France: one time.
    let t = ok(&router, "/api/access/times?facilities=france-services&layer=com&within=dep:75").await;
    assert_eq!((t["communes"].as_array().unwrap().len(), t["communes_left_out"].as_u64()), (1, Some(0)));
    // Saint-Pierre-et-Miquelon has no commune contour in the pack: no time, the communes
    // and their population counted as left out, and the population of what is computed
    // is 0 (not -0).
    let t = ok(&router, "/api/access/times?facilities=france-services&layer=com&within=dep:975").await;
    assert_eq!(t["communes"].as_array().unwrap().len(), 0);
    assert_eq!(t["communes_left_out"], 2);
    let d = ok(&router, "/api/access/diagnose/dep:975?facilities=france-services").await;
    let row = &d["rows"][0];
    assert_eq!(row["communes"], 0);
    assert_eq!(row["communes_left_out"], 2);
    assert!(row["population_left_out"].as_u64().unwrap() > 5_000, "{row}");
    assert!(row["population"].as_f64().unwrap().is_sign_positive(), "{row}");
    assert!(row["mean_min"].is_null(), "{row}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_4xx_json() {
    let router = router().await;
    for (uri, want) in [
        ("/api/access/times", 400),
        ("/api/access/times?facilities=nope", 404),
        ("/api/access/diagnose/dep:62?facilities=nope", 404),
        ("/api/access/times?facilities=france-services&detour=0.5", 400),
        ("/api/access/times?facilities=france-services&speed=-3", 400),
        ("/api/access/times?facilities=france-services&speed=abc", 400),
        ("/api/access/times?facilities=france-services&layer=dep", 400),
        ("/api/access/times?facilities=france-services&layer=xyz", 400),
        ("/api/access/times?facilities=france-services&within=dep:999", 404),
        ("/api/access/times?facilities=france-services&network=absent", 404),
        ("/api/access/times?facilities=france-services&network=absent&detour=2", 400),
        ("/api/access/times?facilities=france-services&bogus=1", 400),
        ("/api/access/diagnose/dep:62?facilities=france-services&thresholds=a,b", 400),
        ("/api/access/diagnose/dep:62?facilities=france-services&thresholds=", 200),
        ("/api/access/diagnose/dep:62?facilities=france-services&thresholds=-1", 400),
        ("/api/access/diagnose/dep:62?facilities=france-services&layer=iris", 400),
        ("/api/access/diagnose/nowhere:1?facilities=france-services", 400),
        ("/api/access/diagnose/dep:999?facilities=france-services", 404),
    ] {
        let (status, body) = get(&router, uri).await;
        assert_eq!(status.as_u16(), want, "{uri}: {body}");
        if want != 200 {
            assert!(body["error"].is_string(), "{uri}: {body}");
        }
    }
    // A thousand generated bad requests: never a 5xx, always a JSON error.
    let params = ["facilities", "detour", "speed", "network", "layer", "within", "thresholds", "zzz"];
    let values = ["", "nope", "-1", "0", "1e309", "NaN", "dep:999", "com", "1,2,x", "%FF", "../x", "0.99", "201"];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for i in 0..1000 {
        let path = if i % 2 == 0 { "/api/access/times" } else { "/api/access/diagnose/dep:62" };
        // Always one bad parameter, sometimes with the valid set.
        let mut q = vec![format!("{}={}", params[next(params.len())], values[next(values.len())])];
        if next(2) == 0 {
            q.push("facilities=france-services".into());
        }
        q.push(format!("{}={}", ["detour", "speed", "thresholds", "zzz"][next(4)], ["x", "-5", "1e400"][next(3)]));
        let uri = format!("{path}?{}", q.join("&"));
        let (status, body) = get(&router, &uri).await;
        assert!(status.is_client_error(), "{uri}: {status} {body}");
        assert!(body["error"].is_string(), "{uri}: {body}");
    }
}

/// Great-circle metres (the test's own, for the edge lengths of the grid below).
fn metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (p1, p2) = (a.1.to_radians(), b.1.to_radians());
    let (dp, dl) = (p2 - p1, (b.0 - a.0).to_radians());
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn road_network_times_equal_the_library() {
    use echelle_access::graph::{Edge, Graph};
    use echelle_access::network::{self, NetworkInfo};
    // A SYNTHETIC street grid around Lens (21 × 21 nodes every 0.01°, 50 km/h), stored
    // in a private copy of the test store.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    echelle_store::testing::copy_store(&test_store(), &root);
    let (n, lon0, lat0) = (21u32, 2.73, 50.33);
    let at = |i: u32, j: u32| (lon0 + 0.01 * f64::from(i), lat0 + 0.01 * f64::from(j));
    let mut edges = Vec::new();
    for i in 0..n {
        for j in 0..n {
            for (di, dj) in [(1, 0), (0, 1)] {
                let (i2, j2) = (i + di, j + dj);
                if i2 >= n || j2 >= n {
                    continue;
                }
                let m = metres(at(i, j), at(i2, j2));
                let (a, b) = (i * n + j, i2 * n + j2);
                let (time_ms, length_dm) = ((m / (50.0 / 3.6) * 1000.0).round() as u32, (m * 10.0).round() as u32);
                edges.push(Edge { from: a, to: b, time_ms, length_dm });
                edges.push(Edge { from: b, to: a, time_ms, length_dm });
            }
        }
    }
    let nodes: Vec<(f64, f64)> = (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| at(i, j)).collect();
    let g = Graph::from_edges(
        nodes.iter().map(|p| p.0).collect(),
        nodes.iter().map(|p| p.1).collect(),
        (0..i64::from(n * n)).collect(),
        edges,
    )
    .unwrap();
    let info = NetworkInfo {
        name: "grille".into(),
        source: "test grid".into(),
        kind: "imported-csv".into(),
        synthetic: true,
        profile: "car".into(),
        nodes: u64::from(n * n),
        edges: g.edge_count() as u64,
        report: None,
        credit: None,
    };
    network::save(&root, &g, &info).unwrap();
    let router = router_on(&root, &[("france-services", france_services())]).await;

    let store = Store::open(&root).unwrap();
    let r = store.referential().unwrap();
    let (centroids, _) = origins::commune_centroids(&store, &r).unwrap();
    let (mut points, _) = read_points(&france_services(), &Fields::default()).unwrap();
    for p in &mut points {
        p.kind = "france-services".into();
    }
    let label = "road network 'grille' (car profile, SYNTHETIC network)".to_string();
    let run = access::on_network(
        &g,
        &Engine::Plain,
        Method::road(&info, 1000.0),
        centroids,
        access::by_type(points),
        Query { k: 1, within_s: None, max_snap_m: 1000.0 },
    );

    let got = ok(&router, "/api/access/times?facilities=france-services&layer=com&within=dep:62&network=grille").await;
    assert_eq!(got["method"], label.as_str());
    assert_eq!(run.mode, label);
    assert_eq!(got["method_label"], "RÉSEAU ROUTIER « grille » — SYNTHÉTIQUE (réseau généré, pas un réseau réel)");
    assert_eq!(got["straight_line"], false);
    assert_eq!(got["method_detail"]["network"], "grille");
    // The network is generated data: the detail says so, for the label on screen.
    assert_eq!(got["method_detail"]["synthetic"], true);
    assert_eq!(got["method_detail"]["max_snap_m"], 1000.0);
    let mut reached = 0;
    for c in got["communes"].as_array().unwrap() {
        let o = run.origins.iter().position(|o| o.point.id == c["code"].as_str().unwrap()).unwrap();
        let want = if run.origins[o].excluded.is_some() { None } else { run.types[0].nearest[o].first() };
        match want {
            Some(x) => {
                assert!(close(&c["minutes"], x.time_s / 60.0), "{c} vs {x:?}");
                assert!(close(&c["km"], x.distance_m / 1000.0), "{c}");
                reached += 1;
            }
            None => assert!(c["minutes"].is_null(), "{c}"),
        }
    }
    assert!(reached > 10, "only {reached} communes reached on the grid");
    let d = ok(&router, "/api/access/diagnose/dep:62?facilities=france-services&network=grille").await;
    assert_eq!(d["method"], label.as_str());
    assert_eq!(d["method_detail"]["synthetic"], true);
    // Communes off the grid are left out and counted, not dropped.
    let row = &d["rows"][0];
    assert_eq!(row["communes"].as_u64().unwrap() as usize, reached_or_unreached(&run, &r));
    assert!(row["communes_left_out"].as_u64().unwrap() > 500, "{row}");
}

/// Communes of dep:62 placed on the grid (reachable or not).
fn reached_or_unreached(run: &echelle_access::access::AccessRun, r: &echelle_referential::Referential) -> usize {
    let members = r.members(&r.resolve("dep:62").unwrap()).unwrap();
    members
        .iter()
        .filter(|&&m| {
            let code = &r.communes()[m as usize].code;
            run.origins.iter().any(|o| &o.point.id == code && o.excluded.is_none())
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn facility_sets_live_in_the_state_and_are_read_again_when_the_store_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("store");
    echelle_store::testing::copy_store(&test_store(), &root);
    let file = dir.path().join("cabinets-2024.csv");
    std::fs::write(&file, "id,lon,lat\na,2.83,50.43\nb,2.90,50.40\n").unwrap();
    // Another state of the same process knows nothing of this state's sets.
    let other = router_on(&test_store(), &[]).await;
    let state = AppState::open(&root).await.unwrap();
    state.register_facilities("cabinets", file.clone()).unwrap();
    let router = app(state.clone(), None, Duration::from_secs(120));
    let (status, body) = get(&other, "/api/access/times?facilities=cabinets").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert!(body["error"].as_str().unwrap().contains("none is configured"), "{body}");

    let count = |v: &Value| v["facilities"][0]["count"].as_u64().unwrap();
    assert_eq!(count(&ok(&router, "/api/access/facilities").await), 2);
    let before = ok(&router, "/api/access/times?facilities=cabinets&within=dep:62").await;
    assert_eq!(before["facility_points"].as_array().unwrap().len(), 2);
    // The file changes: the points read are kept while the store does not change…
    std::fs::write(&file, "id,lon,lat\na,2.83,50.43\n").unwrap();
    assert_eq!(count(&ok(&router, "/api/access/facilities").await), 2);
    // …a perimeter saved leaves them (they are per commune)…
    let body = r#"{"id": "lens-henin", "name": "Lens-Hénin", "include": ["epci:246200364", "epci:246200299"]}"#;
    let request =
        Request::post("/api/perimeters").header("content-type", "application/json").body(Body::from(body)).unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(count(&ok(&router, "/api/access/facilities").await), 2);
    // …and they are dropped with the runs when the store's data changes (a dataset imported).
    crate::state::import_table(&root);
    assert!(state.reload_if_changed().await.unwrap());
    assert_eq!(count(&ok(&router, "/api/access/facilities").await), 1);
    let after = ok(&router, "/api/access/times?facilities=cabinets&within=dep:62").await;
    assert_eq!(after["facility_points"].as_array().unwrap().len(), 1);
    // The new perimeter is diagnosed at once.
    let d = ok(&router, "/api/access/diagnose/per:lens-henin?facilities=cabinets").await;
    assert_eq!(d["rows"][0]["name"], "Lens-Hénin");
    assert_eq!(d["rows"][0]["communes"].as_u64().unwrap() + d["rows"][0]["communes_left_out"].as_u64().unwrap(), 50);
}
