//! OGC API – Features: the documents, paging and filters in process, then GDAL's own
//! client (`ogrinfo`, Debian gdal-bin) against a server on an ephemeral loopback port.

use std::process::Command;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::test_store;
use serde_json::Value;
use tower::ServiceExt;

async fn router() -> axum::Router {
    app(AppState::open(&test_store()).await.unwrap(), None, Duration::from_secs(30))
}

async fn get(r: &axum::Router, uri: &str) -> (StatusCode, String, Value) {
    let response = r.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let ct = response.headers().get("content-type").map(|h| h.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap();
    (status, ct, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn landing_conformance_collections_items() {
    let r = router().await;
    let (status, _, landing) = get(&r, "/ogc").await;
    assert_eq!(status, StatusCode::OK, "{landing}");
    let rels: Vec<&str> = landing["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
    assert!(["self", "conformance", "data", "service-desc"].iter().all(|r| rels.contains(r)), "{rels:?}");
    let (_, _, conf) = get(&r, "/ogc/conformance").await;
    assert!(conf["conformsTo"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().ends_with("/conf/geojson")));

    let (_, _, cols) = get(&r, "/ogc/collections").await;
    let ids: Vec<&str> = cols["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["communes", "epci", "arrondissements", "departements", "regions", "france", "perimetres"]);
    for c in cols["collections"].as_array().unwrap() {
        // Each property has its unit, source and vintage.
        let props = c["properties"].as_array().unwrap();
        assert!(props.iter().any(|p| p["id"] == "population"), "{}", c["id"]);
        assert!(props.iter().any(|p| p["id"] == "density"), "{}", c["id"]);
        assert!(props.iter().all(|p| p["unit"].is_string() && p["source"].is_string() && p["vintage"].is_string()));
    }

    let (status, ct, page) = get(&r, "/ogc/collections/communes/items?limit=10").await;
    assert_eq!((status, ct.as_str()), (StatusCode::OK, "application/geo+json"));
    assert_eq!(page["numberReturned"], 10);
    let matched = page["numberMatched"].as_u64().unwrap();
    let (_, _, france) = get(&r, "/api/territory/fr").await;
    let (_, _, ids) = get(&r, "/api/feature-ids?layer=com").await;
    assert_eq!(matched as usize, ids["ids"].as_object().unwrap().len(), "every commune with a shape");
    assert!(matched + 10 >= france["communes"].as_u64().unwrap() && matched > 34_800, "{matched}");
    let next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").unwrap();
    assert!(next["href"].as_str().unwrap().ends_with("/ogc/collections/communes/items?limit=10&offset=10"));
    let (_, _, last) = get(&r, &format!("/ogc/collections/communes/items?limit=10&offset={}", matched - 3)).await;
    assert_eq!(last["numberReturned"], 3);
    assert!(last["links"].as_array().unwrap().iter().all(|l| l["rel"] != "next"));

    // bbox around Lille keeps Lille and drops Amiens.
    let (_, _, lille) = get(&r, "/ogc/collections/communes/items?bbox=3.0,50.6,3.1,50.65&limit=1000").await;
    let codes: Vec<&str> =
        lille["features"].as_array().unwrap().iter().map(|f| f["properties"]["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"59350") && !codes.contains(&"80021") && codes.len() < 100, "{codes:?}");

    // One feature, with the same values as the JSON API.
    let (status, _, f) = get(&r, "/ogc/collections/communes/items/62119").await;
    assert_eq!(status, StatusCode::OK);
    let (_, _, values) = get(&r, "/api/values?indicator=population&layer=com&within=dep:62").await;
    let pop = values["values"].as_array().unwrap().iter().find(|v| v["key"] == "com:62119").unwrap()["value"].clone();
    assert!(pop.as_f64().unwrap() > 1000.0);
    assert_eq!(f["properties"]["population"], pop);
    assert_eq!(f["properties"]["nom"], "Béthune");
    assert_eq!(f["geometry"]["type"], "MultiPolygon");
    assert_eq!(get(&r, "/ogc/collections/communes/items/97501").await.0, StatusCode::NOT_FOUND, "no contour");
    assert_eq!(get(&r, "/ogc/collections/nope/items").await.0, StatusCode::NOT_FOUND);

    // Paging through every commune: each once, none left out.
    let mut seen = std::collections::HashSet::new();
    let mut next = Some("/ogc/collections/communes/items?limit=10000".to_string());
    while let Some(uri) = next.take() {
        let (status, _, page) = get(&r, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        for f in page["features"].as_array().unwrap() {
            assert!(seen.insert(f["id"].as_str().unwrap().to_string()), "{} twice", f["id"]);
        }
        next = page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next").map(|l| {
            let href = l["href"].as_str().unwrap();
            href[href.find("/ogc/").unwrap()..].to_string()
        });
    }
    assert_eq!(seen.len() as u64, matched);

    // The other layers: a département with its area and density, the same as the JSON API.
    let (status, _, finistere) = get(&r, "/ogc/collections/departements/items/29").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(finistere["properties"]["nom"], "Finistère");
    let (_, _, portrait) = get(&r, "/api/portrait/dep:29").await;
    let value = |id: &str| {
        portrait["indicators"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap()["values"][0].clone()
    };
    for id in ["population", "area", "density"] {
        assert!(value(id).as_f64().is_some_and(|v| v > 0.0), "{id}");
        assert_eq!(finistere["properties"][id].as_f64(), value(id).as_f64(), "{id}");
    }
    for (collection, n) in [("epci", 1_200), ("arrondissements", 300), ("departements", 101), ("regions", 18)] {
        let (status, _, page) = get(&r, &format!("/ogc/collections/{collection}/items?limit=1")).await;
        assert_eq!(status, StatusCode::OK, "{collection}");
        assert!(page["numberMatched"].as_u64().unwrap() >= n, "{collection}: {}", page["numberMatched"]);
    }
    let (_, _, mel) = get(&r, "/ogc/collections/perimetres/items/mel").await;
    assert_eq!(mel["geometry"]["type"], "MultiPolygon");
}

/// GDAL's OAPIF driver lists the collection and reads a feature with its values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ogrinfo_reads_the_collection() {
    let version = Command::new("ogrinfo").arg("--version").output();
    assert!(
        version.as_ref().is_ok_and(|o| o.status.success()),
        "ogrinfo not found: install GDAL (apt-get install -y gdal-bin); .ci/run does"
    );
    let r = router().await;
    let (_, _, values) = get(&r, "/api/values?indicator=population&layer=com&within=dep:62").await;
    let pop = values["values"].as_array().unwrap().iter().find(|v| v["key"] == "com:62119").unwrap()["value"]
        .as_f64()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let local = listener.local_addr().unwrap();
    let port = local.port();
    // The links of the answers come from the server's configuration: its address.
    let site = echelle_server::Site::new(local, None, &[]).unwrap();
    let r = app(AppState::open(&test_store()).await.unwrap().with_site(site), None, Duration::from_secs(30));
    let limits = echelle_server::Connections::default();
    let server = tokio::spawn(echelle_server::conn::serve_connections(listener, r, limits, std::future::pending()));
    let url = format!("OAPIF:http://127.0.0.1:{port}/ogc");
    let run = move |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let out = Command::new("ogrinfo").args(&args).env("GDAL_HTTP_TIMEOUT", "60").output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "ogrinfo {args:?}: {text}");
            text
        })
    };
    let list = run(vec!["-ro".into(), "-so".into(), url.clone()]).await.unwrap();
    assert!(list.contains("1: communes"), "{list}");
    for (i, c) in ["epci", "arrondissements", "departements", "regions", "france", "perimetres"].iter().enumerate() {
        assert!(list.contains(&format!("{}: {c}", i + 2)), "{c} in {list}");
    }
    // Each layer is read, with its indicators.
    for (layer, code, name) in [
        ("epci", "200093201", "Métropole Européenne de Lille"),
        ("arrondissements", "627", "Lens"),
        ("departements", "2A", "Corse-du-Sud"),
        ("regions", "53", "Bretagne"),
        ("perimetres", "mel", "Métropole européenne de Lille"),
    ] {
        let text = run(vec!["-ro".into(), url.clone(), layer.into(), "-where".into(), format!("code = '{code}'")])
            .await
            .unwrap();
        assert!(text.contains("population (Real) = "), "{layer}: {text}");
        assert!(text.contains(&format!("nom (String) = {name}")), "{layer}: {}", &text[..text.len().min(2000)]);
        assert!(text.contains("MULTIPOLYGON"), "{layer} geometry");
    }
    // A box around Béthune, which GDAL sends as bbox, then the code filtered by GDAL.
    let around: Vec<String> = ["-spat", "2.6", "50.5", "2.7", "50.56"].map(String::from).to_vec();
    let mut args = vec!["-ro".into(), url.clone(), "communes".into(), "-where".into(), "code = '62119'".into()];
    args.extend(around);
    let feature = run(args).await.unwrap();
    assert!(feature.contains("Feature Count: 1") || feature.contains("OGRFeature(communes)"), "{feature}");
    assert!(feature.contains("nom (String) = Béthune"), "{feature}");
    assert!(feature.contains(&format!("population (Real) = {pop}")), "population {pop}: {feature}");
    assert!(feature.contains("MULTIPOLYGON"), "geometry");
    server.abort();
}
