//! `echelle siting`: an instance written from the store and read back gives the same
//! proven optimum; impossible requests exit with status 2 and say why.

use echelle_store::testing::test_store;

use crate::echelle;

#[test]
fn an_instance_from_the_store_is_solved_to_a_proven_optimum() {
    let store = test_store();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("instance.csv");
    let f = file.to_str().unwrap();
    let (code, _, err) = echelle(&store, &["siting", "instance", "--within", "epci:200093201", "--out", f]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.lines().next(), Some("role,id,x,y,weight"));
    let from_store = echelle(&store, &["siting", "solve", "--within", "epci:200093201", "--p", "3"]);
    let from_file = echelle(&store, &["siting", "solve", "--instance", f, "--p", "3"]);
    assert_eq!(from_store.0, 0, "{}", from_store.2);
    let line = |out: &str, key: &str| out.lines().find(|l| l.starts_with(key)).unwrap_or_default().to_string();
    assert_eq!(line(&from_store.1, "sites :"), line(&from_file.1, "sites :"));
    // The file keeps positions to the millimetre.
    let objective = |out: &str| line(out, "objectif").trim_start_matches("objectif : ").parse::<f64>().unwrap();
    let (a, b) = (objective(&from_store.1), objective(&from_file.1));
    assert!((a - b).abs() <= 1e-6 * a, "{a} vs {b}");
    assert!(from_store.1.contains("optimum prouvé"), "{}", from_store.1);
    let (code, out, err) =
        echelle(&store, &["siting", "solve", "--instance", f, "--model", "mclp", "--distance-km", "5", "--p", "2"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("demande couverte"), "{out}");
}

#[test]
fn impossible_requests_exit_2() {
    let store = test_store();
    for (args, says) in [
        (vec!["siting", "solve", "--within", "epci:200093201", "--p", "100000"], "candidats seulement"),
        (vec!["siting", "solve", "--within", "epci:200093201", "--fixed", "99999"], "n'est pas parmi les candidats"),
        (vec!["siting", "solve", "--within", "epci:200093201", "--model", "mclp"], "distance de service"),
        (vec!["siting", "solve", "--within", "dep:999"], ""),
    ] {
        let (code, _, err) = echelle(&store, &args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// The CGET 2019 third places of the shared data folder, when it is at hand.
fn third_places() -> Option<std::path::PathBuf> {
    // Given, or beside the checkout (a worktree sits one level deeper).
    let dirs = match std::env::var("ECHELLE_SHARED") {
        Ok(d) => vec![std::path::PathBuf::from(d)],
        Err(_) => ["/../../../shared", "/../../../../shared"]
            .iter()
            .map(|up| std::path::PathBuf::from(format!("{}{up}", env!("CARGO_MANIFEST_DIR"))))
            .collect(),
    };
    let f = dirs.iter().map(|d| d.join("data/tiers-lieux-cget-2019.csv")).find(|f| f.exists())?;
    Some(f)
}

#[test]
fn existing_third_places_stay_open_and_a_scot_is_found_by_name() {
    let Some(tl) = third_places() else {
        eprintln!("no shared data folder: ECHELLE_SHARED unset and none beside the checkout");
        return;
    };
    let store = test_store();
    let tl = tl.to_str().unwrap();
    let base =
        ["siting", "solve", "--within", "SCoT de Lens-Liévin Hénin-Carvin", "--model", "mclp", "--distance-km", "5"];
    // Too few sites for those already open: exit 2 with the count.
    let (code, _, err) = echelle(&store, &[&base[..], &["--p", "1", "--existing", tl]].concat());
    assert_eq!(code, 2, "{err}");
    let open: usize = err.split("mais ").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(open > 0, "{err}");
    let p = (open + 3).to_string();
    let (code, out, err) =
        echelle(&store, &[&base[..], &["--p", &p, "--existing", tl, "--demand", "working-age"]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("distances : ligne droite (Lambert-93) × 1,3"), "{out}");
    assert!(out.contains("sites existants seuls"), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains(" existant ")).count(), open, "{out}");
    // « demande couverte : N (…) » and « sites existants seuls : demande couverte N (…) ».
    let covered = |key: &str| {
        let line = out.lines().find(|l| l.starts_with(key)).unwrap();
        let rest = line.rsplit("couverte").next().unwrap().trim_start_matches(" :").trim_start();
        rest.split(' ').next().unwrap().parse::<f64>().unwrap()
    };
    assert!(covered("sites existants seuls") <= covered("demande couverte"), "{out}");
}

#[test]
fn sites_are_exported_in_every_format_and_capacities_split_demand() {
    let store = test_store();
    let dir = tempfile::tempdir().unwrap();
    let base = ["siting", "solve", "--within", "epci:200093201", "--demand", "population", "--p", "3"];
    let (code, out, err) = echelle(&store, &base);
    assert_eq!(code, 0, "{err}");
    let total: f64 = out
        .lines()
        .find_map(|l| l.strip_prefix("demande : ").and_then(|r| r.split("total ").nth(1)))
        .and_then(|t| t.trim_end_matches(')').parse().ok())
        .unwrap();
    for ext in ["csv", "xlsx", "geojson", "gpkg"] {
        let path = dir.path().join(format!("sites.{ext}"));
        let (code, _, err) = echelle(&store, &[&base[..], &["--out", path.to_str().unwrap()]].concat());
        assert_eq!(code, 0, "{ext}: {err}");
        match ext {
            "xlsx" => assert_eq!(&std::fs::read(&path).unwrap()[..2], b"PK"),
            // The house CSV: a header, one line per site, then the source line.
            "csv" => {
                let text = std::fs::read_to_string(&path).unwrap();
                assert_eq!(text.lines().count(), 5, "{text}");
                assert!(text.lines().last().unwrap().contains("écart 0 % (optimum prouvé)"), "{text}");
            }
            _ => {}
        }
        if ext != "geojson" && ext != "gpkg" {
            continue;
        }
        // GDAL reads the three others as a layer of 3 points with the study's columns.
        let info = std::process::Command::new("ogrinfo").args(["-ro", "-al", "-so"]).arg(&path).output();
        let Ok(info) = info else {
            eprintln!("ogrinfo not installed: {ext} not read back");
            continue;
        };
        let text = String::from_utf8_lossy(&info.stdout);
        assert!(info.status.success(), "{ext}: {}", String::from_utf8_lossy(&info.stderr));
        assert!(text.contains("Feature Count: 3"), "{ext}: {text}");
        assert!(text.contains("borne") && text.contains("ecart") && text.contains("demande_servie"), "{ext}: {text}");
        assert!(text.contains("Point"), "{ext}: {text}");
    }
    let (code, _, err) = echelle(&store, &[&base[..], &["--out", "sites.shp"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("csv, xlsx, geojson ou gpkg"), "{err}");
    // Capacities: below a third of the demand, 3 sites cannot serve it; above, the
    // demand is split and no site serves more than its capacity.
    let (code, _, err) = echelle(&store, &[&base[..], &["--capacity", &format!("{}", total / 3.5)]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("capacités"), "{err}");
    let capacity = total / 2.5;
    let (code, out, err) = echelle(&store, &[&base[..], &["--capacity", &format!("{capacity}")]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("capacité :"), "{out}");
    let served: Vec<f64> = out
        .lines()
        .skip_while(|l| !l.starts_with("sites (id"))
        .skip(1)
        .filter_map(|l| l.rsplit(' ').next().and_then(|x| x.parse().ok()))
        .collect();
    assert_eq!(served.len(), 3, "{out}");
    assert!(served.iter().all(|&s| s <= capacity + 0.1), "{served:?} vs {capacity}");
    assert!((served.iter().sum::<f64>() - total).abs() <= 0.2, "{served:?} vs {total}");
}
