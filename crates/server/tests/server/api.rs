//! The HTTP API on the real reference pack, request by request (no socket needed).

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::{copy_store, test_store};
use serde_json::Value;
use tower::ServiceExt;

async fn router(store: &Path) -> axum::Router {
    app(AppState::open(store).await.unwrap(), None, Duration::from_secs(30))
}

async fn call(router: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, json)
}

async fn get(router: &axum::Router, uri: &str) -> (StatusCode, Value) {
    call(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn probes_layers_and_search() {
    let r = router(&test_store()).await;
    assert_eq!(get(&r, "/health").await.0, StatusCode::OK);
    // Ready once the indicator values are materialised (503 until then).
    let (mut status, mut ready) = get(&r, "/ready").await;
    while status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(ready["status"].as_str().unwrap().starts_with("loading"), "{ready}");
        tokio::time::sleep(Duration::from_millis(50)).await;
        (status, ready) = get(&r, "/ready").await;
    }
    assert!(ready["materialised"]["values"].as_u64().unwrap() > 1_000_000, "{ready}");
    assert_eq!((status, ready["communes"].as_u64()), (StatusCode::OK, Some(34_969)));
    let (_, layers) = get(&r, "/api/layers").await;
    assert!(layers.as_array().unwrap().iter().any(|l| l["layer"] == "epci" && l["count"] == 1255));
    let (_, found) = get(&r, "/api/search?q=bethune").await;
    assert_eq!(found[0]["key"], "com:62119");
}

#[tokio::test]
async fn values_portraits_and_comparisons() {
    let r = router(&test_store()).await;
    let (status, v) = get(&r, "/api/values?indicator=population_dgcl&layer=epci&within=dep:62").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let values = v["values"].as_array().unwrap();
    assert!(values.iter().any(|x| x["key"] == "epci:246200364" && x["value"] == 242_591.0), "{v}");
    assert!(v["indicator"]["source"].as_str().unwrap().contains("DGCL"));

    let (status, p) = get(&r, "/api/portrait/com:62119?against=per:mel").await;
    assert_eq!(status, StatusCode::OK, "{p}");
    let keys: Vec<&str> = p["columns"].as_array().unwrap().iter().map(|c| c["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["com:62119", "dep:62", "reg:32", "fr", "per:mel"]);
    assert!(p["indicators"].as_array().unwrap().iter().all(|i| i["source"].is_string() && i["unit"].is_string()));

    let (status, c) = get(&r, "/api/compare?territories=per:aml").await;
    assert_eq!(status, StatusCode::OK, "{c}");
    assert_eq!(c["columns"].as_array().unwrap().len(), 2, "inside and outside");
}

#[tokio::test]
async fn a_perimeter_posted_is_usable_at_once() {
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    let r = router(dir.path()).await;
    let body = r#"{"id": "lens-henin", "name": "Lens-Hénin", "include": ["epci:246200364", "epci:246200299"]}"#;
    let request =
        Request::post("/api/perimeters").header("content-type", "application/json").body(Body::from(body)).unwrap();
    let (status, created) = call(&r, request).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["communes"], 50);
    let (status, _) = get(&r, "/api/portrait/per:lens-henin").await;
    assert_eq!(status, StatusCode::OK);
    let again =
        Request::post("/api/perimeters").header("content-type", "application/json").body(Body::from(body)).unwrap();
    assert_eq!(call(&r, again).await.0, StatusCode::BAD_REQUEST, "same id twice");
}

/// Every route of the router, as written in the sources: (path as documented, method).
fn routes() -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for (source, prefix) in [
        (include_str!("../../src/lib.rs"), ""),
        (include_str!("../../src/tiles.rs"), "/tiles"),
        (include_str!("../../src/ogc.rs"), "/ogc"),
    ] {
        for line in source.lines().map(str::trim_start).filter(|l| l.starts_with(".route(\"")) {
            let route = line.split('"').nth(1).unwrap();
            // Every method of the line: `get(…)`, or chained, `get(…).post(…)`.
            let mut methods: Vec<&'static str> = ["get", "post", "delete", "patch", "put"]
                .into_iter()
                .filter(|m| [", ", ").", "::"].iter().any(|before| line.contains(&format!("{before}{m}("))))
                .collect();
            if line.contains("table_route") {
                methods = vec!["post"];
            }
            assert!(!methods.is_empty(), "no method found in {line}");
            let full = match prefix {
                "" if route.starts_with("/health") || route.starts_with("/ready") => route.to_string(),
                "" => format!("/api{route}"),
                "/tiles" => format!("/tiles{route}.mvt"),
                p => format!("{p}{route}").trim_end_matches('/').to_string(),
            };
            for method in methods {
                out.push((full.clone(), method));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_openapi_document_describes_every_endpoint() {
    let r = router(&test_store()).await;
    let (status, doc) = get(&r, "/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc, serde_json::to_value(echelle_server::openapi_document()).unwrap(), "served as generated");
    let paths = doc["paths"].as_object().unwrap();
    let routes = routes();
    assert!(routes.len() >= 35, "{} routes found in the sources", routes.len());
    for (path, method) in &routes {
        let op = &paths.get(path).unwrap_or_else(|| panic!("{path} is not documented"))[method];
        assert!(op.is_object(), "{method} {path} is not documented");
        assert!(["200", "201", "202", "204"].iter().any(|s| op["responses"][s].is_object()), "{path}: no success");
    }
    let distinct: std::collections::HashSet<&String> = routes.iter().map(|(p, _)| p).collect();
    assert_eq!(paths.len(), distinct.len(), "documented paths that the router lacks");
    // Every JSON answer of the routes annotated here names its schema.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            let ok = op["responses"].as_object().unwrap().iter().find(|(s, _)| s.starts_with('2')).unwrap();
            if ok.0 == "204" {
                continue; // No content, no schema.
            }
            let content = ok.1["content"].as_object().unwrap_or_else(|| panic!("{method} {path}: no content"));
            for (media, c) in content {
                assert!(c["schema"].is_object(), "{method} {path} {media}: no schema");
            }
        }
    }
}

/// The types of a schema, `null` set aside (`["number", "null"]`, `oneOf` with null).
fn types(s: &Value) -> Vec<String> {
    let mut t: Vec<String> = match &s["type"] {
        Value::String(x) => vec![x.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
        _ => Vec::new(),
    };
    for alt in s["oneOf"].as_array().into_iter().flatten() {
        t.extend(types(alt));
    }
    t.retain(|x| x != "null");
    t
}

/// The types of what a schema holds, through arrays and maps.
fn leaf_types(s: &Value) -> Vec<String> {
    let t = types(s);
    if t == ["array"] {
        return leaf_types(&s["items"]);
    }
    if t == ["object"] && s["additionalProperties"].is_object() {
        return leaf_types(&s["additionalProperties"]);
    }
    if let Some(alt) = s["oneOf"].as_array().and_then(|a| a.iter().find(|x| !types(x).is_empty())) {
        return leaf_types(alt);
    }
    t
}

/// A property of a component schema, looked for in its `allOf` parts too.
fn property<'a>(doc: &'a Value, schema: &str, field: &str) -> &'a Value {
    let s = &doc["components"]["schemas"][schema];
    std::iter::once(s)
        .chain(s["allOf"].as_array().into_iter().flatten())
        .map(|part| &part["properties"][field])
        .find(|p| !p.is_null())
        .unwrap_or_else(|| panic!("{schema}.{field} is not in the document"))
}

#[tokio::test]
async fn numbers_are_typed_as_numbers() {
    let doc = serde_json::to_value(echelle_server::openapi_document()).unwrap();
    // Parameters: every count, bound, zoom and coefficient is a number; layers are the enum.
    let numeric = [
        "limit",
        "since",
        "offset",
        "z",
        "x",
        "y",
        "min",
        "top",
        "secret_below",
        "detour",
        "speed",
        "intra_km",
        "working_days",
        "occupancy",
        "rail_share",
        "consumption",
        "price",
        "threshold",
        "days",
        "take_up",
        "year",
        "n",
    ];
    let mut seen = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                let schema = &p["schema"];
                // Desk requests and studies are numbered; other ids (OGC collections, tokens) are names.
                let numbered = path.starts_with("/api/desk/") || path.starts_with("/api/studies/");
                if numeric.contains(&name) || (numbered && (name == "id" || name == "version")) {
                    let t = types(schema);
                    assert!(t == ["integer"] || t == ["number"], "parameter {name}: {schema}");
                    seen += 1;
                } else if name == "layer" {
                    assert_eq!(schema["$ref"], "#/components/schemas/Layer", "parameter layer: {schema}");
                } else if name != "rebound" {
                    assert_eq!(types(schema), ["string"], "parameter {name}: {schema}");
                }
            }
        }
    }
    assert!(seen >= 20, "{seen} numeric parameters");
    let layer = &doc["components"]["schemas"]["Layer"];
    assert!(layer["enum"].as_array().unwrap().iter().any(|l| l == "epci"), "{layer}");
    // Fields: counts, values, bounds and coordinates are numbers.
    for (schema, field) in [
        ("Readiness", "communes"),
        ("Materialisation", "values"),
        ("Materialisation", "seconds"),
        ("LayerInfo", "count"),
        ("TerritorySummary", "communes"),
        ("TerritorySummary", "population"),
        ("Territory", "population"),
        ("Member", "population"),
        ("IndicatorInfo", "decimals"),
        ("TerritoryValue", "value"),
        ("TerritoryValue", "units"),
        ("TerritoryValue", "covered"),
        ("IndicatorRow", "values"),
        ("IndicatorRow", "coverage"),
        ("PerimeterCreated", "population"),
        ("FeatureIds", "maxzoom"),
        ("FeatureIds", "bounds"),
        ("FeatureIds", "ids"),
        ("FeatureIds", "partial"),
        ("FeatureIds", "unshaped"),
        ("ShapeFeature", "id"),
        ("ShapeProperties", "area_km2"),
        ("ShapeProperties", "missing"),
        ("MultiPolygon", "coordinates"),
        ("SpatialExtent", "bbox"),
        ("Items", "numberMatched"),
        ("Items", "numberReturned"),
        ("Property", "decimals"),
        ("TerritoryProperties", "missing"),
    ] {
        let p = property(&doc, schema, field);
        let t = leaf_types(p);
        assert!(t == ["integer"] || t == ["number"], "{schema}.{field}: {p}");
    }
    let values = property(&doc, "TerritoryProperties", "code");
    assert_eq!(types(values), ["string"]);
}

/// The document passes openapi-spec-validator (PyPI), run through python3.
#[tokio::test]
async fn the_openapi_document_is_valid() {
    let check = std::process::Command::new("python3").args(["-c", "import openapi_spec_validator"]).output();
    if !check.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "openapi-spec-validator missing in CI: .ci/run installs it (pip install openapi-spec-validator)"
        );
        eprintln!("skipped: python3 lacks openapi-spec-validator (pip install openapi-spec-validator)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, echelle_server::openapi_json()).unwrap();
    let script = "import json, sys\nfrom openapi_spec_validator import validate\nvalidate(json.load(open(sys.argv[1])))\nprint('valid')";
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && text.contains("valid"), "{text}");
    // And a document with an error is refused: the check can fail.
    let mut broken: Value = serde_json::from_str(&echelle_server::openapi_json()).unwrap();
    broken["paths"]["/api/search"]["get"]["parameters"][0]["in"] = "nowhere".into();
    std::fs::write(&file, broken.to_string()).unwrap();
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&file).output().unwrap();
    assert!(!out.status.success(), "a parameter 'in: nowhere' passes the validator");
}

/// A thousand bad requests: each gets a 4xx with a JSON error, never a 5xx.
#[tokio::test]
async fn bad_requests_get_clear_4xx_errors() {
    let r = router(&test_store()).await;
    let codes = [
        "99999",
        "dep:00",
        "com:",
        "epci:abc",
        "per:nope",
        "xyz:1",
        "%00",
        "..%2F..%2Fetc%2Fpasswd",
        "reg:32%27%3B",
        "a%20b",
    ];
    let indicators = ["nope", "population%27", "", "%ff", "population,nope"];
    let layers = ["epci", "nope", "", "per", "iris%00"];
    let mut uris = Vec::new();
    for c in codes {
        uris.push(format!("/api/territory/{c}"));
        uris.push(format!("/api/territory/{c}/members"));
        uris.push(format!("/api/portrait/{c}"));
        uris.push(format!("/api/portrait/com:62119?against={c}"));
        uris.push(format!("/api/compare?territories={c},dep:59"));
        for l in layers {
            uris.push(format!("/api/territories?layer={l}&within={c}"));
        }
        for i in indicators {
            uris.push(format!("/api/values?indicator={i}&layer=epci&within={c}"));
            uris.push(format!("/api/portrait/{c}?indicators={i}"));
        }
    }
    for i in indicators {
        for l in layers {
            uris.push(format!("/api/values?indicator={i}&layer={l}"));
        }
    }
    let long = "x".repeat(5000);
    uris.extend([
        "/api/values".to_string(),
        "/api/values?layer=epci".into(),
        "/api/compare".into(),
        "/api/compare?territories=dep:59".into(),
        "/api/compare?territories=dep:59,dep:62,dep:80,dep:02,dep:60".into(),
        format!("/api/search?q={long}"),
        "/api/search?q=lille&limit=-1".into(),
        "/api/search?q=lille&limit=99999999".into(),
        "/api/search".into(),
        "/api/../../etc/passwd".into(),
        "/api/nope".into(),
        "/api/territory".into(),
    ]);
    let mut n = 0;
    while n < 1000 {
        for uri in &uris {
            let (status, body) = get(&r, uri).await;
            assert!(status.is_client_error(), "{uri}: {status} {body}");
            assert!(body["error"].is_string(), "{uri}: {status} {body}");
            n += 1;
        }
    }
    for body in [
        "{",
        "[]",
        r#"{"id": "Bad Id", "name": "x", "include": ["dep:59"]}"#,
        r#"{"id": "x", "name": "x", "include": ["99999"]}"#,
    ] {
        let request =
            Request::post("/api/perimeters").header("content-type", "application/json").body(Body::from(body)).unwrap();
        let (status, error) = call(&r, request).await;
        assert!(status.is_client_error() && error["error"].is_string(), "{body}: {status} {error}");
    }
}
