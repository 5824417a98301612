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
