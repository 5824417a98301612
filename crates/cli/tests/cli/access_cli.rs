//! `echelle network` and `echelle access nearest` as a user runs them, on the real
//! Helsinki extract (© OpenStreetMap contributors, ODbL): the contraction hierarchy
//! gives the same output as the plain search, the CSV and GeoJSON outputs carry
//! positions and snap distances, grid-cell origins are placed, and refusals exit 2.
//! IRIS origins run on the shared test store (real IRIS codes and census counts; the
//! contours drawn by the tests are synthetic geometry).

use std::path::{Path, PathBuf};

use crate::echelle;
use echelle_store::testing::test_store;
use serde_json::{Value, json};

fn helsinki() -> PathBuf {
    let base = std::env::var_os("ECHELLE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    base.join("data/helsinki-2019.osm.pbf")
}

/// `echelle access COMMAND ARGS… --facilities FACILITIES` on the store.
fn access(store: &Path, command: &str, facilities: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["access", command, "--facilities", facilities.to_str().unwrap()];
    all.extend(args);
    echelle(store, &all)
}

/// A facility file of one doctor's surgery in Lille, in `dir`.
fn doctor(dir: &Path) -> PathBuf {
    let fac = dir.join("doctors.csv");
    std::fs::write(&fac, "id,lon,lat\ncabinet,3.06,50.635\n").unwrap();
    fac
}

/// A store with Helsinki built twice, with and without its hierarchy, and the
/// facility and origin files.
fn setup() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let pbf = helsinki();
    let pbf = pbf.to_str().unwrap();
    let (code, out, err) = echelle(&store, &["network", "build", pbf, "--name", "hel"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("contraction hierarchy built"), "{out}");
    let (code, out, err) = echelle(&store, &["network", "build", pbf, "--name", "hel-plain", "--no-hierarchy"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("contraction hierarchy"), "{out}");
    let fac = dir.path().join("facilities.csv");
    std::fs::write(
        &fac,
        "id,lon,lat,kind\na,24.94,60.17,pharmacy\nb,24.95,60.165,pharmacy\nc,24.93,60.16,school\nd,24.96,60.17,school\n",
    )
    .unwrap();
    let origins = dir.path().join("origins.csv");
    let mut text = String::from("id,lon,lat\n");
    for i in 0..40 {
        let (lon, lat) = (24.925 + 0.001 * f64::from(i), 60.158 + 0.0004 * f64::from(i));
        text.push_str(&format!("o{i},{lon},{lat}\n"));
    }
    text.push_str("far,25.5,60.5\n");
    std::fs::write(&origins, text).unwrap();
    (dir, store, fac, origins)
}

#[test]
fn hierarchy_and_plain_search_give_the_same_csv() {
    let (_d, store, fac, origins) = setup();
    let base = ["access", "nearest", "--facilities", fac.to_str().unwrap(), "--type-field", "kind"];
    let run = |net: &str, engine: &str| {
        let mut a = base.to_vec();
        a.extend(["--network", net, "--origins", origins.to_str().unwrap(), "--engine", engine]);
        let (code, out, err) = echelle(&store, &a);
        assert_eq!(code, 0, "{err}");
        out
    };
    let h = run("hel", "hierarchy");
    let p = run("hel", "plain");
    assert_eq!(h, p);
    // The same graph without a hierarchy: the same rows under another network name.
    let other = run("hel-plain", "auto");
    assert!(other.starts_with("# times: road network 'hel-plain'"));
    assert_eq!(other.lines().skip(1).collect::<Vec<_>>(), p.lines().skip(1).collect::<Vec<_>>());
    let header = h.lines().nth(1).unwrap();
    assert_eq!(
        header,
        "origin,origin_name,origin_lon,origin_lat,origin_weight,type,rank,facility,facility_name,time_min,distance_km,origin_snap_m,facility_snap_m,mode"
    );
    // 41 origins × 2 types; the far one is excluded with the reason.
    assert_eq!(h.lines().count(), 2 + 82);
    let far: Vec<&str> = h.lines().filter(|l| l.starts_with("far,")).collect();
    assert_eq!(far.len(), 2);
    assert!(far[0].contains("excluded: nearest road"), "{}", far[0]);
    // Some origins differ in nearest facility and time: the test sees real answers.
    let times: std::collections::BTreeSet<&str> =
        h.lines().skip(2).filter(|l| l.contains(",network")).map(|l| l.split(',').nth(9).unwrap()).collect();
    assert!(times.len() > 10, "{times:?}");
}

#[test]
fn engine_hierarchy_needs_one_and_network_contract_builds_it() {
    let (_d, store, fac, origins) = setup();
    let args = |net: &'static str| {
        vec![
            "access".to_string(),
            "nearest".into(),
            "--network".into(),
            net.into(),
            "--facilities".into(),
            fac.display().to_string(),
            "--origins".into(),
            origins.display().to_string(),
            "--engine".into(),
            "hierarchy".into(),
        ]
    };
    let a = args("hel-plain");
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, _, err) = echelle(&store, &a);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("echelle network contract hel-plain"), "{err}");
    let (code, out, err) = echelle(&store, &["network", "contract", "hel-plain", "--timings"]);
    assert_eq!(code, 0, "{err}");
    let t: Value = serde_json::from_str(out.trim()).unwrap();
    assert!(t["core"].as_u64().unwrap() > 0 && t["down_arcs"].as_u64().unwrap() > 0, "{t}");
    let (code, _, err) = echelle(&store, &a);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = echelle(&store, &["network", "contract", "hel-plain", "--core-share", "3"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn geojson_layer_and_grid_origins() {
    let (d, store, fac, origins) = setup();
    let (code, out, err) = access(
        &store,
        "nearest",
        &fac,
        &[
            "--network",
            "hel",
            "--type-field",
            "kind",
            "--origins",
            origins.to_str().unwrap(),
            "--format",
            "geojson",
            "--within",
            "3",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let gj: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(gj["type"], "FeatureCollection");
    assert!(gj["mode"].as_str().unwrap().contains("'hel'"));
    let f = gj["features"].as_array().unwrap();
    assert_eq!(f.len(), 41);
    let p = &f[0]["properties"];
    assert_eq!(p["id"], "o0");
    assert!(p["snap_m"].as_f64().unwrap() >= 0.0);
    assert!(p["pharmacy_time_min"].as_f64().unwrap() > 0.0);
    assert!(
        p["school_facility"].is_string() && p["school_facility_snap_m"].is_number() && p["school_within"].is_number()
    );
    let far = &f[40]["properties"];
    assert!(far["excluded"].as_str().unwrap().contains("beyond"));
    assert!(far["pharmacy_time_min"].is_null());
    // A 200 m cell (INSEE Filosofi id, EPSG:3035 corner) in central Helsinki, and one
    // whose id cannot be read.
    let grid = d.path().join("carreaux.csv");
    std::fs::write(&grid, "Idcar_200m;Ind\nCRS3035RES200mN4206000E5145600;37.5\nCRS3035RES200mNxE1;2\n").unwrap();
    let spec = format!("grid:{}", grid.display());
    let (code, out, err) = access(&store, "nearest", &fac, &["--network", "hel", "--origins", &spec]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 grid cells (1 rows left out)"), "{err}");
    let row: Vec<&str> = out.lines().nth(2).unwrap().split(',').collect();
    assert_eq!(row[0], "CRS3035RES200mN4206000E5145600");
    let (lon, lat): (f64, f64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
    // The cell's centre is within 150 m of 24.945°E 60.168°N, which lies in it.
    let dx = (lon - 24.945) * 111_320.0 * 60.168f64.to_radians().cos();
    let dy = (lat - 60.168) * 111_320.0;
    assert!((dx * dx + dy * dy).sqrt() < 150.0, "{lon} {lat}");
    assert_eq!(row[4], "37.5");
    assert!(row[11].parse::<f64>().unwrap() < 200.0, "origin snap {}", row[11]);
    // Commune centres weighted by their cells' inhabitants (two cells, one commune).
    std::fs::write(
        &grid,
        "idcar_200m,ind,lcog_geo\nCRS3035RES200mN4206000E5145600,30,91001\nCRS3035RES200mN4206000E5145800,10,91001\n",
    )
    .unwrap();
    let spec = format!("communes-grid:{}", grid.display());
    let (code, out, err) = access(&store, "nearest", &fac, &["--network", "hel", "--origins", &spec]);
    assert_eq!(code, 0, "{err}");
    let row: Vec<&str> = out.lines().nth(2).unwrap().split(',').collect();
    assert_eq!((row[0], row[4]), ("91001", "40"));
    assert!(row[13] == "network", "{row:?}");
    let (code, _, err) = access(&store, "nearest", &fac, &["--network", "hel", "--origins", "iris"]);
    assert_eq!(code, 2);
    assert!(err.contains("iris:FILE") && err.contains("CONTOURS-IRIS"), "{err}");
    let (code, _, err) = access(&store, "nearest", &fac, &["--network", "hel", "--origins", "grid:/no/such.csv"]);
    assert_eq!(code, 2, "{err}");
}

/// A GeoJSON of IRIS contours: squares of 0.004° around the given centres, with the
/// given properties. SYNTHETIC geometry: the codes are real IRIS of Lille, the
/// squares are not their contours.
fn iris_geojson(path: &Path, iris: &[(Value, (f64, f64))]) {
    let h = 0.002;
    let features: Vec<Value> = iris
        .iter()
        .map(|(props, (x, y))| {
            json!({"type": "Feature", "properties": props, "geometry": {"type": "Polygon", "coordinates":
                [[[x - h, y - h], [x + h, y - h], [x + h, y + h], [x - h, y + h], [x - h, y - h]]]}})
        })
        .collect();
    std::fs::write(path, json!({"type": "FeatureCollection", "features": features}).to_string()).unwrap();
}

/// The census population of IRIS as `echelle eval` gives it (another path than the
/// access command's).
fn census(store: &Path, codes: &[&str]) -> Vec<f64> {
    let mut args = vec!["eval".to_string(), "population_rp2021".into(), "--format".into(), "csv".into()];
    args.extend(codes.iter().map(|c| format!("iris:{c}")));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = echelle(store, &a);
    assert_eq!(code, 0, "{err}");
    out.lines().skip(1).map(|l| l.split(',').nth(3).unwrap().parse().unwrap()).collect()
}

#[test]
fn iris_contours_are_origins_weighted_by_the_census_and_summed_up_per_territory() {
    let store = test_store();
    let d = tempfile::tempdir().unwrap();
    let codes = ["593500104", "593500105", "593500106"];
    let centres = [(3.05, 50.63), (3.07, 50.64), (3.09, 50.62)];
    let file = d.path().join("contours-iris.geojson");
    iris_geojson(
        &file,
        &[
            (json!({"CODE_IRIS": codes[0], "NOM_IRIS": "Synthétique A", "INSEE_COM": "59350"}), centres[0]),
            (json!({"code_iris": codes[1]}), centres[1]),
            (json!({"iris_code": codes[2], "iris_name": "Synthétique C"}), centres[2]),
        ],
    );
    let fac = doctor(d.path());
    let spec = format!("iris:{}", file.display());
    let (code, out, err) = access(&store, "nearest", &fac, &["--straight-line", "--origins", &spec]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("3 IRIS, a point inside each contour") && err.contains("RP 2021"), "{err}");
    let rows: Vec<Vec<&str>> = out.lines().skip(2).map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3, "{out}");
    let pop = census(&store, &codes);
    let mut times = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(row[0], codes[i]);
        // The interior point of a square is its centre.
        let (lon, lat): (f64, f64) = (row[2].parse().unwrap(), row[3].parse().unwrap());
        assert!((lon - centres[i].0).abs() < 2e-6 && (lat - centres[i].1).abs() < 2e-6, "{row:?}");
        assert_eq!(row[4].parse::<f64>().unwrap(), pop[i], "{row:?}");
        assert_eq!((row[7], row[13]), ("cabinet", "straight-line"));
        times.push(row[9].parse::<f64>().unwrap());
    }
    // Names from the file, else from the store.
    assert_eq!(rows[0][1], "Synthétique A");
    assert!(rows[1][1].starts_with("Lille – IRIS 0105"), "{:?}", rows[1]);
    assert_eq!(rows[2][1], "Synthétique C");
    assert!(times.iter().any(|&t| (t - times[0]).abs() > 0.1), "{times:?}");
    // Lille's diagnostic: the three IRIS, weighted by their census population; the
    // other IRIS of Lille, without a contour in the file, are left out and counted.
    let (code, out, err) = access(
        &store,
        "diagnose",
        &fac,
        &["com:59350", "iris:593500105", "--straight-line", "--origins", &spec, "--format", "json"],
    );
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["origins"], spec.as_str());
    assert!(j["weights"].as_str().unwrap().contains("RP 2021"), "{j}");
    let lille = &j["rows"][0];
    assert_eq!(lille["territory"], "com:59350");
    assert_eq!(lille["iris"], 3);
    assert!(
        lille["iris_left_out"].as_u64().unwrap() > 50 && lille["population_left_out"].as_f64().unwrap() > 100_000.0
    );
    let total: f64 = pop.iter().sum();
    let mean: f64 = pop.iter().zip(&times).map(|(w, t)| w * t).sum::<f64>() / total;
    let s = lille;
    assert_eq!(s["population"].as_f64().unwrap(), total);
    // The nearest output rounds times to 0.01 min.
    assert!((s["mean_min"].as_f64().unwrap() - mean).abs() < 0.006, "{s} vs {mean}");
    let unweighted = times.iter().sum::<f64>() / 3.0;
    assert!((mean - unweighted).abs() > 0.02, "the weights must matter for this test: {mean} {unweighted}");
    // An IRIS as the territory: itself alone.
    let one = &j["rows"][1];
    assert_eq!((one["iris"].as_u64(), one["iris_left_out"].as_u64()), (Some(1), Some(0)));
    assert_eq!(one["population"].as_f64().unwrap(), pop[1]);
    assert!((one["mean_min"].as_f64().unwrap() - times[1]).abs() < 0.006);
    // The table says what the weights are.
    let (code, out, err) = access(&store, "diagnose", &fac, &["com:59350", "--straight-line", "--origins", &spec]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("IRIS écartés") && out.contains("census RP 2021"), "{out}");
}

#[test]
fn iris_files_with_unknown_codes_or_without_code_field() {
    let store = test_store();
    let d = tempfile::tempdir().unwrap();
    let fac = doctor(d.path());
    let file = d.path().join("iris.geojson");
    // 593509999 is no IRIS of the store (SYNTHETIC code and geometry).
    iris_geojson(
        &file,
        &[(json!({"CODE_IRIS": "593500104"}), (3.05, 50.63)), (json!({"CODE_IRIS": "593509999"}), (3.07, 50.64))],
    );
    let spec = format!("iris:{}", file.display());
    let nearest = |spec: &str| access(&store, "nearest", &fac, &["--straight-line", "--origins", spec]);
    let (code, out, err) = nearest(&spec);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("1 IRIS of the file are not in the store's IRIS table") && err.contains("593509999"), "{err}");
    let unknown: Vec<&str> = out.lines().find(|l| l.starts_with("593509999,")).unwrap().split(',').collect();
    assert_eq!(unknown[4], "", "no population for an unknown IRIS: {unknown:?}");
    // No code field: refused, with the file and the fields it has.
    iris_geojson(&file, &[(json!({"INSEE_COM": "59350", "NOM_IRIS": "x"}), (3.05, 50.63))]);
    let (code, _, err) = nearest(&spec);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("iris.geojson") && err.contains("no IRIS code field") && err.contains("INSEE_COM"), "{err}");
    // A contour that is no polygon.
    std::fs::write(
        &file,
        json!({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"CODE_IRIS": "593500104"},
            "geometry": {"type": "LineString", "coordinates": [[3.0, 50.0], [3.1, 50.1]]}}]})
        .to_string(),
    )
    .unwrap();
    let (code, _, err) = nearest(&spec);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("IRIS 593500104") && err.contains("not a polygon"), "{err}");
    let (code, _, err) = nearest("iris:/no/such.gpkg");
    assert_eq!(code, 2, "{err}");
    // diagnose sums up origins that belong to a commune only.
    let (code, _, err) = access(&store, "diagnose", &fac, &["com:59350", "--straight-line", "--origins", "nodes"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("iris:FILE"), "{err}");
}

#[test]
fn diagnose_sums_up_commune_centres_from_a_grid_file() {
    let store = test_store();
    let d = tempfile::tempdir().unwrap();
    let fac = doctor(d.path());
    // Two 200 m cells of Lille (SYNTHETIC counts, cell ids in the Filosofi format).
    let grid = d.path().join("carreaux.csv");
    std::fs::write(
        &grid,
        "idcar_200m,ind,lcog_geo\nCRS3035RES200mN3097000E3829000,30,59350\nCRS3035RES200mN3097000E3829200,10,59350\n",
    )
    .unwrap();
    let spec = format!("communes-grid:{}", grid.display());
    let (code, out, err) =
        access(&store, "diagnose", &fac, &["com:59350", "--straight-line", "--origins", &spec, "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let row = &j["rows"][0];
    assert_eq!((row["communes"].as_u64(), row["communes_left_out"].as_u64()), (Some(1), Some(0)));
    assert_eq!(row["population"].as_f64(), Some(40.0));
    assert!(j["weights"].as_str().unwrap().contains("grid cells"), "{j}");
}

/// The France services points of 2021 (ANCT), real data of the shared folder.
fn france_services() -> PathBuf {
    let base = std::env::var_os("ECHELLE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    base.join("data/france-services-2021.geojson")
}

/// Access diagnostics of the Finistère in straight line (a département outside the
/// first contours): the CLI and the API give the same figures, every commune has a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finistere_diagnostics_agree_between_cli_and_api() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;
    let store = test_store();
    let fs = france_services();
    let (code, out, err) = access(&store, "diagnose", &fs, &["dep:29", "--straight-line", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let cli: Value = serde_json::from_str(&out).unwrap();
    let state = echelle_server::AppState::open(&store).await.unwrap();
    state.register_facilities("france-services", fs).unwrap();
    let router = echelle_server::app(state, None, std::time::Duration::from_secs(120));
    let uri = "/api/access/diagnose/dep:29?facilities=france-services";
    let response = router.oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let api: Value =
        serde_json::from_slice(&axum::body::to_bytes(response.into_body(), 1 << 28).await.unwrap()).unwrap();
    let (cli_row, api_row) = (&cli["rows"][0], &api["rows"][0]);
    assert!(cli_row["communes"].as_u64().unwrap() > 250, "{cli_row}");
    assert_eq!(cli_row["communes_left_out"], 0, "every commune of the Finistère has a position");
    assert!(cli_row["mean_min"].as_f64().is_some_and(|m| m > 0.0), "{cli_row}");
    let mut compared = 0;
    for (field, value) in cli_row.as_object().unwrap() {
        if value.is_number() || value.is_array() {
            assert_eq!(&api_row[field], value, "{field}: API {} CLI {value}", api_row[field]);
            compared += 1;
        }
    }
    assert!(compared >= 6, "{compared} figures compared: {cli_row}");
    assert_eq!(cli["method_label"], api["method_label"]);
}
