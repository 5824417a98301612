//! `echelle flows`, `vulnerability` and `telework` as a user runs them, on the
//! hand-checkable fixture of crates/mobility/src/fixture.rs written as a
//! FD_MOBPRO file on the real reference pack (twelve communes, seventeen flows,
//! some split over several rows), with figures computed by hand.

use std::path::{Path, PathBuf};

use crate::echelle;
use serde_json::Value;

/// A private copy of the test store.
pub(crate) fn test_store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("store");
    echelle_store::testing::copy_store(&echelle_store::testing::test_store(), &dest);
    (dir, dest)
}

/// (home, work, TRANS, CS1, weights of its rows): the fixture's flows, 99131 = Belgium.
const ROWS: [(&str, &str, &str, &str, &[&str]); 17] = [
    ("59350", "59350", "5", "3", &["60.5", "39.5"]),
    ("59350", "59512", "6", "4", &["40"]),
    ("59512", "59350", "5", "5", &["20.125", "39.875"]),
    ("59599", "59350", "5", "6", &["30"]),
    ("59009", "59009", "2", "5", &["20"]),
    ("62119", "59350", "5", "3", &["25", "25"]),
    ("62178", "62119", "5", "6", &["80"]),
    ("62498", "59350", "5", "4", &["25.5"]),
    ("62510", "62498", "5", "5", &["45"]),
    ("62498", "62498", "3", "6", &["15"]),
    ("59178", "59009", "6", "3", &["35"]),
    ("59569", "59178", "5", "6", &["10"]),
    ("62041", "59350", "5", "4", &["5"]),
    ("62753", "62041", "5", "2", &["12"]),
    ("59350", "99131", "5", "3", &["8"]),
    ("62119", "62498", "5", "5", &["9.25"]),
    ("62041", "62041", "1", "1", &["4"]),
];

/// A store with the hand-made flows, labelled as made-up (its sidecar), so that the
/// tests may lower the secrecy threshold to check every figure by hand.
pub(crate) fn store_with_fixture() -> (tempfile::TempDir, PathBuf) {
    store_with_flows(true)
}

/// A store with the hand-made flows, made-up (`synthetic`) or imported as a real file.
fn store_with_flows(synthetic: bool) -> (tempfile::TempDir, PathBuf) {
    let (dir, store) = test_store();
    let mut text = String::from("COMMUNE;ARM;DCLT;CS1;IPONDI;TRANS\n");
    for (o, d, trans, cs, weights) in ROWS {
        for w in weights {
            text.push_str(&format!("{o};ZZZZZ;{d};{cs};{w};{trans}\n"));
        }
    }
    let file = dir.path().join("FD_MOBPRO_2021.csv");
    std::fs::write(&file, text).unwrap();
    if synthetic {
        let method = "flux saisis à la main pour les tests";
        let sidecar =
            echelle_import::synth::Sidecar { generator: "fixture".into(), seed: 0, rows: 21, method: method.into() };
        sidecar.write(&file).unwrap();
    }
    let (code, out, err) = echelle(&store, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    (dir, store)
}

/// Real flows declare their threshold: the CLI and the API take a stricter one and
/// refuse a weaker one, with the same French message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_declared_secrecy_of_real_flows_cannot_be_lowered() {
    let (_dir, store) = store_with_flows(false);
    let m = json(&store, &["flows", "matrix", "--layer", "epci", "--within", "reg:32", "--secret-below", "30"]);
    assert_eq!(m["secrecy"]["threshold"], 30.0, "{m}");
    assert_eq!(
        (m["provenance"]["dataset"].as_str(), m["provenance"]["synthetic"].as_bool()),
        (Some("mobpro_2021"), Some(false))
    );
    let state = echelle_server::AppState::open(&store).await.unwrap();
    let router = echelle_server::app(state, None, std::time::Duration::from_secs(60));
    for (args, uri) in [
        (
            vec!["flows", "matrix", "--layer", "epci", "--secret-below", "0"],
            "/api/flows/matrix?layer=epci&secret_below=0",
        ),
        (vec!["flows", "summary", "per:mel", "--secret-below", "10"], "/api/flows/summary/per:mel?secret_below=10"),
        (vec!["flows", "lines", "com:59512", "--secret-below", "1"], "/api/flows/lines?layer=epci&secret_below=1"),
    ] {
        let (code, _, err) = echelle(&store, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains("un client peut durcir la règle, jamais l'affaiblir"), "{err}");
        let request = axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap();
        let response = tower::ServiceExt::oneshot(router.clone(), request).await.unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::BAD_REQUEST, "{uri}");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("jamais l'affaiblir"), "{uri}");
    }
    // The CLI reads the file straight (sums_from_parquet), the API its loaded flows: the
    // same records make the same cell keys, so both publish the same noisy counts.
    let request = axum::http::Request::get("/api/flows/matrix?layer=epci&within=reg:32&secret_below=30")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(router.clone(), request).await.unwrap();
    let api: Value =
        serde_json::from_slice(&axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap()).unwrap();
    assert_eq!(api["cells"], m["cells"], "CLI and API publish the same cells");
    assert_eq!(api["totals"], m["totals"]);
    // The rule is the dataset's, stored with it: the answer states it, cell key included.
    assert_eq!(m["provenance"]["secrecy"]["counts"], "people", "{m}");
    assert_eq!(m["secrecy"]["cell_key"]["max_deviation"], 2, "{m}");

    // A dataset imported with a stricter declaration binds every client to it.
    let file = _dir.path().join("FD_MOBPRO_2021.csv");
    let (code, out, err) =
        echelle(&store, &["import", file.to_str().unwrap(), "--id", "mobpro_strict", "--secrecy", "people:30"]);
    assert_eq!(code, 0, "{out}{err}");
    let args = ["flows", "summary", "per:mel", "--dataset", "mobpro_strict", "--secret-below", "11"];
    let (code, _, err) = echelle(&store, &args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("déclare un seuil de 30"), "{err}");
    let (code, _, err) = echelle(&store, &["import", file.to_str().unwrap(), "--id", "x", "--secrecy", "voisins"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("people, households, businesses ou none"), "{err}");
}

fn json(store: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["--format", "json"]);
    let (code, out, err) = echelle(store, &all);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9 * b.abs().max(1.0))
}

#[test]
fn flows_matrix_summary_and_inflows_by_hand() {
    let (_dir, store) = store_with_fixture();
    let m = json(&store, &["flows", "matrix", "--layer", "epci", "--within", "reg:32"]);
    let cell = |o: &str, d: &str| {
        m["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["origin_key"] == o && c["dest_key"] == d)
            .cloned()
            .unwrap_or_else(|| panic!("no cell {o} -> {d}"))
    };
    let (a, b, c) = ("epci:200093201", "epci:200072460", "epci:246200364");
    // MEL -> MEL: 250, made secret (secondary) so that MEL -> abroad (8) cannot be recovered from the
    // MEL's residents (258); Béthune-Bruay -> Béthune-Bruay 80 stays shown (see the library's fixture test)
    assert_eq!((cell(a, a)["secret"].as_bool(), cell(a, a)["secondary"].as_bool()), (Some(true), Some(true)));
    assert!(close(&cell(b, b)["workers"], 80.0));
    // Béthune-Bruay -> Lens-Liévin: 9.25 < 11: secret, no number
    assert_eq!(cell(b, c)["secret"], true);
    assert!(cell(b, c)["workers"].is_null());
    // MEL -> abroad (99131): 8, secret
    assert_eq!(cell(a, "abroad")["secret"], true);
    // total 548.75
    assert!(close(&m["total"], 548.75));
    // Without secrecy: MEL -> MEL = 100 + 40 + 60 + 30 + 20 = 250 (rows 60.5 + 39.5 and 20.125 + 39.875 summed)
    let open = json(&store, &["flows", "matrix", "--layer", "epci", "--within", "reg:32", "--secret-below", "0"]);
    let open_cell = |o: &str, d: &str| {
        open["cells"].as_array().unwrap().iter().find(|c| c["origin_key"] == o && c["dest_key"] == d).cloned().unwrap()
    };
    assert!(close(&open_cell(a, a)["workers"], 250.0));
    assert!(close(&open_cell(b, c)["workers"], 9.25));
    // By mode (TRANS read from the file): MEL -> MEL by car = 100 + 60 + 30 = 190; by group (CS1): managers 100
    for (by, category, expected) in
        [("mode", "voiture, camion", 190.0), ("group", "cadres et professions intellectuelles supérieures", 100.0)]
    {
        let m = json(&store, &["flows", "matrix", "--layer", "epci", "--by", by, "--secret-below", "0"]);
        let c = m["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["origin_key"] == a && c["dest_key"] == a && c["category"] == category)
            .cloned();
        assert!(close(&c.unwrap()["workers"], expected), "{by}");
    }
    assert_eq!(m["provenance"]["dataset"], "mobpro_2021_synthetic");

    // Zones named by the user, with the rest of the région.
    let (code, out, err) =
        echelle(&store, &["flows", "matrix", "--zones", "per:mel,per:bassin-minier", "--within", "reg:32"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("110"), "{out}"); // bassin -> MEL: 50 + 25.5 + 35 = 110.5, shown rounded
    assert!(out.contains("Source :") && out.contains("mobpro_2021"), "{out}");

    let s = json(&store, &["flows", "summary", "per:mel", "--secret-below", "0"]);
    // residents 258, inside 250, outgoing 8, incoming 115.5, jobs 365.5, balance 107.5
    for (k, v) in [
        ("residents_in_work", 258.0),
        ("working_inside", 250.0),
        ("outgoing", 8.0),
        ("incoming", 115.5),
        ("jobs_held", 365.5),
        ("net_balance", 107.5),
        ("self_containment", 100.0 * 250.0 / 258.0),
        ("dependence", 100.0 * 8.0 / 258.0),
    ] {
        assert!(close(&s[k], v), "{k}: {}", s[k]);
    }
    assert_eq!(s["top_origins"][0]["key"], "com:62119");
    assert!(close(&s["top_origins"][0]["workers"], 50.0));
    // At the default threshold, outgoing (8) is secret, and so are working inside (258 - 8 would
    // give it), incoming (jobs 365.5 - inside), the balance and every rate.
    let s = json(&store, &["flows", "summary", "per:mel"]);
    for k in ["outgoing", "working_inside", "incoming", "net_balance", "self_containment", "dependence"] {
        assert!(s[k].is_null(), "{k}: {}", s[k]);
    }
    assert!(close(&s["residents_in_work"], 258.0) && s["secret"] == true);

    // The MEL inflows question, one command.
    let x = json(&store, &["flows", "into", "per:mel", "--from", "per:bassin-minier"]);
    assert!(close(&x["commuters_in"], 115.5));
    assert!(close(&x["from_commuters"], 110.5));
    assert!(close(&x["share"], 100.0 * 110.5 / 115.5));
    let (code, out, _) = echelle(&store, &["flows", "into", "per:mel", "--from", "per:bassin-minier"]);
    assert_eq!(code, 0);
    assert!(out.contains("95,7 %") && out.contains("130 300"), "{out}");
}

#[test]
fn flows_refusals_exit_2() {
    let (_dir, store) = store_with_fixture();
    for (args, expected) in [
        (vec!["flows", "matrix", "--layer", "epci", "--secret-below", "-1"], "secrecy threshold"),
        (vec!["flows", "matrix", "--zones", "per:mel,epci:200093201"], "overlap"),
        (vec!["flows", "matrix", "--layer", "iris"], "IRIS"),
        (vec!["flows", "matrix", "--layer", "epci", "--dataset", "nope"], "unknown dataset"),
        (vec!["flows", "matrix", "--layer", "epci", "--dataset", "communes"], "not origin–destination"),
        (vec!["flows", "summary", "epci:000000000"], "000000000"),
        (vec!["flows", "matrix"], "--layer or --zones"),
    ] {
        let (code, _, err) = echelle(&store, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

/// `echelle flows matrix … | head`: a reader gone before the answer ends the command
/// quietly, in every format (the JSON one is streamed, megabytes of it here).
#[test]
fn a_reader_gone_away_ends_the_command_quietly() {
    let (dir, store) = test_store();
    let file = dir.path().join("FD_MOBPRO_SYNTH.csv");
    let synth = ["synth", "mobpro", "--within", "dep:59", "--rows", "50000", "--out", file.to_str().unwrap()];
    let (code, out, err) = echelle(&store, &[&synth[..], &["--import"]].concat());
    assert_eq!(code, 0, "{out}{err}");
    for format in ["json", "csv", "table"] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_echelle"))
            .arg("--store")
            .arg(&store)
            .args(["flows", "matrix", "--layer", "com", "--secret-below", "0", "--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // The only reader goes away before the command writes a byte.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!((out.status.code(), err.as_ref()), (Some(0), ""), "{format}");
    }
}

/// Flows plus a Filosofi file for Béthune (1,000 households) and Bruay-la-Buissière (500).
pub(crate) fn store_with_incomes() -> (tempfile::TempDir, PathBuf) {
    let (dir, store) = store_with_fixture();
    let file = dir.path().join("cc_filosofi_2021_COM.csv");
    std::fs::write(
        &file,
        "CODGEO;NBMENFISC21;NBPERSMENFISC21;MED21;TP6021\n62119;1000;2200;19500;20.5\n62178;500;1100;18200;22.1\n",
    )
    .unwrap();
    let (code, out, err) = echelle(&store, &["import", file.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}{err}");
    (dir, store)
}

#[test]
fn vulnerability_and_telework_by_hand() {
    let (_dir, store) = store_with_incomes();
    let v = json(&store, &["vulnerability", "show", "epci:200072460"]);
    let v = &v[0];
    // households of the two communes with incomes: 1,000 + 500; the EPCI's other 98 communes have none
    assert!(close(&v["households"], 1500.0));
    assert_eq!((v["communes_with_incomes"].as_u64(), v["communes"].as_u64()), (Some(2), Some(100)));
    // car commuters living there: Béthune -> Lille 50, Béthune -> Lens 9.25, Bruay -> Béthune 80
    assert!(close(&v["car_commuters"], 139.25));
    assert_eq!(v["flows"]["dataset"], "mobpro_2021_synthetic");
    // Fuel +30 %: spending is proportional to the price.
    let s = json(&store, &["vulnerability", "scenario", "epci:200072460", "--price-change", "+30%"]);
    let base = s[0]["base"]["spending_per_household"].as_f64().unwrap();
    assert!(close(&s[0]["scenario"]["spending_per_household"], 1.3 * base));
    assert!(close(&s[0]["scenario_price"], 1.8 * 1.3));
    assert!(s[0]["vulnerable_change_pts"].as_f64().unwrap() >= 0.0);

    // Telework, 2 days, take-up 50 %: MEL residents travelling with a distance 250, teleworkers
    // 100 × 0.36 + 40 × 0.24 + 60 × 0.18 + 30 × 0.01 + 20 × 0.18 = 60.3
    let x = json(&store, &["telework", "show", "per:mel", "--no-incomes"]);
    assert!(close(&x[0]["commuters"], 250.0));
    assert!(close(&x[0]["teleworkers"], 60.3));
    let c = json(&store, &["telework", "compare", "per:mel", "--scenario", "1:50%", "--scenario", "2:0.5:rebound"]);
    let (one, two) = (c[0]["km_avoided_per_year"].as_f64().unwrap(), c[1]["km_avoided_per_year"].as_f64().unwrap());
    // two days with a 31 % rebound = 2 × 0.69 × one day
    assert!((two - 2.0 * 0.69 * one).abs() < 1e-6 * two, "{one} {two}");
    let (code, out, err) = echelle(&store, &["telework", "show", "epci:200072460"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("ménages vulnérables % après") && out.contains("Source :") && out.contains("SYNTHÉTIQUE"),
        "{out}"
    );
}

#[test]
fn parameters_out_of_range_exit_2() {
    let (_dir, store) = store_with_incomes();
    for (args, expected) in [
        (vec!["vulnerability", "show", "epci:200072460", "--fuel-price", "-1"], "fuel price"),
        (vec!["vulnerability", "show", "epci:200072460", "--fuel-price", "0"], "fuel price"),
        (vec!["vulnerability", "show", "epci:200072460", "--working-days", "0"], "working days"),
        (vec!["vulnerability", "show", "epci:200072460", "--threshold", "150%"], "threshold"),
        (vec!["vulnerability", "scenario", "epci:200072460", "--price-change", "-150%"], "price change"),
        (vec!["telework", "show", "per:mel", "--take-up", "120%"], "take-up"),
        (vec!["telework", "show", "per:mel", "--days", "0"], "telework days"),
        (vec!["telework", "compare", "per:mel", "--scenario", "2"], "DAYS:TAKE-UP"),
        (vec!["flows", "distances", "per:mel", "--detour", "0.5"], "detour"),
    ] {
        let (code, _, err) = echelle(&store, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
}

/// A three-junction network imported into the store: junction 0 at Lille's centroid, 1 at
/// Roubaix's, 2 halfway. Lille -> Roubaix: fastest via 2 (8 + 9 km, 850 s; the direct 12 km
/// road takes 2,000 s); Roubaix -> Lille: the direct 15 km road (600 s).
fn store_with_network() -> (tempfile::TempDir, PathBuf, Value) {
    let (dir, store) = store_with_fixture();
    let lines = json(&store, &["flows", "lines", "com:59512", "--secret-below", "0"]);
    let line = lines.as_array().unwrap().iter().find(|l| l["origin"] == "59350").unwrap().clone();
    let (lille, roubaix) = (&line["from"], &line["to"]);
    let (lo, la) = (lille[0].as_f64().unwrap(), lille[1].as_f64().unwrap());
    let (ro, ra) = (roubaix[0].as_f64().unwrap(), roubaix[1].as_f64().unwrap());
    let nodes = dir.path().join("nodes.csv");
    let edges = dir.path().join("edges.csv");
    std::fs::write(&nodes, format!("lon,lat\n{lo},{la}\n{ro},{ra}\n{},{}\n", (lo + ro) / 2.0, (la + ra) / 2.0))
        .unwrap();
    std::fs::write(
        &edges,
        "from,to,time_ms,length_dm\n0,2,400000,80000\n2,1,450000,90000\n1,2,450000,90000\n2,0,400000,80000\n\
         0,1,2000000,120000\n1,0,600000,150000\n",
    )
    .unwrap();
    let (code, out, err) = echelle(
        &store,
        &[
            "network",
            "import",
            "--nodes",
            nodes.to_str().unwrap(),
            "--edges",
            edges.to_str().unwrap(),
            "--name",
            "tiny",
            "--synthetic",
            "--no-hierarchy",
        ],
    );
    assert_eq!(code, 0, "{out}{err}");
    (dir, store, lines)
}

#[test]
fn road_network_distances_where_given_straight_line_elsewhere() {
    let (_dir, store, straight_lines) = store_with_network();
    let km = |ls: &Value, o: &str| ls.as_array().unwrap().iter().find(|l| l["origin"] == o).unwrap()["km"].clone();
    let lines = json(&store, &["flows", "lines", "com:59512", "--secret-below", "0", "--network", "tiny"]);
    assert!(close(&km(&lines, "59350"), 17.0), "{lines}");
    assert!(close(&km(&lines, "59512"), 15.0), "{lines}");
    assert!(lines.as_array().unwrap().iter().all(|l| l["method"] == "road"), "{lines}");
    // Distances of the MEL's residents: only Lille <-> Roubaix change (40 workers there, 60 back).
    let before = json(&store, &["flows", "distances", "per:mel", "--secret-below", "0"]);
    let after = json(&store, &["flows", "distances", "per:mel", "--network", "tiny", "--secret-below", "0"]);
    let (s_there, s_back) =
        (km(&straight_lines, "59350").as_f64().unwrap(), km(&straight_lines, "59512").as_f64().unwrap());
    let expected = before["km_per_day"].as_f64().unwrap() + 2.0 * (40.0 * (17.0 - s_there) + 60.0 * (15.0 - s_back));
    assert!(close(&after["km_per_day"], expected), "{} vs {expected}", after["km_per_day"]);
    assert_eq!(after["network"], "tiny");
    let by: Vec<(String, u64, f64)> = after["by_method"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (m["label"].as_str().unwrap().to_string(), m["flows"].as_u64().unwrap(), m["workers"].as_f64().unwrap())
        })
        .collect();
    // Tourcoing -> Lille (30) is off the 3-junction network: straight line, labelled so.
    assert_eq!(
        by,
        vec![
            ("réseau routier « tiny »".to_string(), 2, 100.0),
            ("à vol d'oiseau × 1,3".to_string(), 1, 30.0),
            ("dans la commune, 1 km".to_string(), 2, 120.0),
        ]
    );
    assert!(before["by_method"].as_array().unwrap().iter().all(|m| m["method"] != "road"));
    let (code, out, err) = echelle(&store, &["flows", "distances", "per:mel", "--network", "tiny"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("méthode : réseau routier « tiny »") && out.contains("méthode : à vol d'oiseau × 1,3"),
        "{out}"
    );
    // The other outputs built on distances say so too.
    let x = json(&store, &["telework", "show", "per:mel", "--no-incomes", "--network", "tiny"]);
    assert!(x[0]["method"].as_str().unwrap().contains("réseau routier « tiny »"), "{x}");
    // CSV: one column per field, the method by its machine name.
    let (code, out, err) = echelle(
        &store,
        &["flows", "lines", "com:59512", "--secret-below", "0", "--network", "tiny", "--format", "csv"],
    );
    assert_eq!(code, 0, "{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows[0], "origin,dest,workers,secret,km,method");
    assert!(rows[1..].iter().all(|l| l.split(',').count() == 6 && l.ends_with(",road")), "{out}");
    // An unknown network is the user's error.
    let (code, _, err) = echelle(&store, &["flows", "distances", "per:mel", "--network", "nope"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no network 'nope'") && err.contains("tiny"), "{err}");
}
