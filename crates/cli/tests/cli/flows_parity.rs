//! Every flows command, run as the CLI (`--format json`) and asked of the API (the
//! in-process router) on the same store and threshold, gives the same figures,
//! secret ones included; and at the default threshold neither shows a count under it.
//! The store holds the hand-made FD_MOBPRO of `mobility_cli` (real communes of the
//! pack: Lille, Roubaix, Béthune, Lens, Arras…) and a Filosofi file.

use std::path::Path;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use super::mobility_cli::store_with_incomes;
use crate::echelle;

/// The CLI's JSON answer.
fn cli(store: &Path, args: &[String]) -> Value {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["--format", "json"]);
    let (code, out, err) = echelle(store, &all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// The API's JSON answer.
async fn api(router: &axum::Router, uri: &str) -> Value {
    let response = router.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap();
    let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    body
}

/// One command as the CLI takes it, the same question as the API takes it, and whether the
/// CLI answers a list of which the API answers the first element.
struct Case {
    cli: Vec<String>,
    uri: String,
    first: bool,
}

fn case(cli: &str, uri: &str, first: bool) -> Case {
    Case { cli: cli.split(' ').map(str::to_string).collect(), uri: uri.to_string(), first }
}

/// Every flows command (matrix, summary, into, distances, lines, vulnerability, telework).
fn cases() -> Vec<Case> {
    vec![
        case("flows matrix --layer epci --within reg:32", "/api/flows/matrix?layer=epci&within=reg:32", false),
        case(
            "flows matrix --zones per:mel,per:bassin-minier --within reg:32",
            "/api/flows/matrix?zones=per:mel,per:bassin-minier&within=reg:32",
            false,
        ),
        case(
            "flows matrix --layer com --within dep:62 --by mode",
            "/api/flows/matrix?layer=com&within=dep:62&by=mode",
            false,
        ),
        case("flows summary per:mel", "/api/flows/summary/per:mel?", false),
        case("flows summary com:62041 --partners epci", "/api/flows/summary/com:62041?partners=epci", false),
        case("flows summary epci:200072460 --partners epci", "/api/flows/summary/epci:200072460?partners=epci", false),
        case("flows into com:62498 --from com:62119", "/api/flows/into/com:62498?from=com:62119", false),
        case("flows into com:62041 --from com:62753", "/api/flows/into/com:62041?from=com:62753", false),
        case("flows into per:mel --from per:bassin-minier", "/api/flows/into/per:mel?from=per:bassin-minier", false),
        case("flows distances per:mel", "/api/flows/distances/per:mel?", false),
        case("flows distances com:62041", "/api/flows/distances/com:62041?", false),
        case("flows lines --layer com --within dep:62", "/api/flows/lines?layer=com&within=dep:62", false),
        case("flows lines --layer epci --within reg:32", "/api/flows/lines?layer=epci&within=reg:32", false),
        case("vulnerability show epci:200072460", "/api/flows/vulnerability/epci:200072460?", true),
        case("vulnerability show com:62178", "/api/flows/vulnerability/com:62178?", true),
        case("telework show epci:200072460", "/api/flows/telework/epci:200072460?", true),
        case("telework show com:62041", "/api/flows/telework/com:62041?", true),
    ]
}

/// Fields that hold a number of people.
const COUNTS: [&str; 16] = [
    "workers",
    "residents_in_work",
    "jobs_held",
    "working_inside",
    "outgoing",
    "incoming",
    "commuters_in",
    "from_commuters",
    "car_commuters",
    "car_commuters_left_out",
    "vulnerable_households",
    "precarious_households",
    "commuters",
    "teleworkers",
    "workers_without_distance",
    "total",
];

/// Counts above zero and under `threshold` anywhere in `v`, with their path.
fn under(v: &Value, threshold: f64, path: &str, found: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if COUNTS.contains(&k.as_str())
                    && let Some(n) = x.as_f64()
                    && n > 0.0
                    && n < threshold
                {
                    found.push(format!("{path}.{k} = {n}"));
                }
                under(x, threshold, &format!("{path}.{k}"), found);
            }
        }
        Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| under(x, threshold, &format!("{path}[{i}]"), found)),
        _ => {}
    }
}

/// Secret values (`null` counts) anywhere in `v`.
fn secrets(v: &Value) -> usize {
    match v {
        Value::Object(m) => {
            m.iter().filter(|(k, x)| COUNTS.contains(&k.as_str()) && x.is_null()).count()
                + m.values().map(secrets).sum::<usize>()
        }
        Value::Array(a) => a.iter().map(secrets).sum(),
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_and_api_give_the_same_figures_secret_ones_included() {
    let (_dir, store) = store_with_incomes();
    let state = echelle_server::AppState::open(&store).await.unwrap();
    let router = echelle_server::app(state, None, Duration::from_secs(60));
    // The default threshold (no parameter on either side), none, and a high one.
    let mut secret_at_default = 0;
    for threshold in [None, Some("0"), Some("30")] {
        for c in cases() {
            let mut args = c.cli.clone();
            let mut uri = c.uri.clone();
            if let Some(t) = threshold {
                args.extend(["--secret-below".to_string(), t.to_string()]);
                uri.push_str(&format!("&secret_below={t}"));
            }
            let mut from_cli = cli(&store, &args);
            if c.first {
                from_cli = from_cli[0].clone();
            }
            let from_api = api(&router, &uri).await;
            // Flow maps included: the same positions, lines from and to the same coordinates.
            assert_eq!(from_cli, from_api, "{args:?} vs {uri}");
            if let Some(lines) = from_api["lines"].as_array().filter(|_| uri.starts_with("/api/flows/lines")) {
                assert!(lines.iter().all(|l| l["from"].is_array() && l["to"].is_array()), "{uri}");
                assert!(from_api["territories"].as_array().unwrap().iter().any(|t| t["position"].is_array()), "{uri}");
            }
            if threshold.is_none() {
                let mut found = Vec::new();
                under(&from_api, 11.0, "", &mut found);
                assert!(found.is_empty(), "{uri}: counts under 11 shown: {found:?}");
                secret_at_default += secrets(&from_api);
            }
        }
    }
    // The fixture has counts under 11 (8, 9.25, 10, 5, 4): some figures are secret at the default.
    assert!(secret_at_default >= 10, "{secret_at_default}");
}

#[test]
fn csv_and_tables_show_no_count_under_the_default_threshold() {
    let (_dir, store) = store_with_incomes();
    // Matrix and lines CSV: the workers column is a number of 11 or more, 0, or `secret`.
    for (args, column) in [
        (vec!["flows", "matrix", "--layer", "com", "--within", "reg:32", "--format", "csv"], 3),
        (vec!["flows", "lines", "com:62041", "--format", "csv"], 2),
        (vec!["flows", "lines", "com:59350", "--format", "csv"], 2),
    ] {
        let (code, out, err) = echelle(&store, &args);
        assert_eq!(code, 0, "{args:?}: {err}");
        let mut secret = 0;
        for row in out.lines().skip(1) {
            let v = row.split(',').nth(column).unwrap();
            match v.parse::<f64>() {
                Ok(n) => assert!(n == 0.0 || n >= 11.0, "{args:?}: {row}"),
                Err(_) => {
                    assert_eq!(v, "secret", "{args:?}: {row}");
                    secret += 1;
                }
            }
        }
        assert!(secret > 0, "{args:?}: {out}");
    }
    // The summary's CSV: every count measure is 11 or more, 0, or `secret`.
    let (code, out, err) = echelle(&store, &["flows", "summary", "per:mel", "--format", "csv"]);
    assert_eq!(code, 0, "{err}");
    for row in out.lines().skip(1).filter(|r| !r.contains('%') && !r.contains("solde")) {
        let v = row.split(',').nth(2).unwrap();
        assert!(v == "secret" || v.parse::<f64>().is_ok_and(|n| n == 0.0 || n >= 11.0), "{row}");
    }
    // The question, in a table: 9.25 workers from Béthune into Lens are secret.
    let (code, out, err) = echelle(&store, &["flows", "into", "com:62498", "--from", "com:62119"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("secret") && !out.contains("9,25") && !out.contains(": 9 "), "{out}");
}
