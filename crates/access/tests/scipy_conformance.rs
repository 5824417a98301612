//! The search engine against scipy.sparse.csgraph.dijkstra on real OpenStreetMap data
//! (central Helsinki): every node's time to the nearest of a seeded random set of
//! facilities must agree to 1e-6 relative. scipy missing is a failure, not a skip.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use echelle_access::osm::read_pbf_with;
use echelle_access::phast::{Hierarchy, Params};
use echelle_access::search::{Source, UNREACHED, nearest};
use echelle_access::{Graph, Profile};
use indicatif::ProgressBar;

fn helsinki() -> PathBuf {
    let base = std::env::var_os("ECHELLE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    base.join("data/helsinki-2019.osm.pbf")
}

/// A seeded xorshift: the same facilities on every run and machine.
fn pick(n: usize, count: usize, mut seed: u64) -> Vec<u32> {
    (0..count)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as u32
        })
        .collect()
}

fn check(g: &Graph, facilities: &[u32], dir: &Path) {
    g.export_csv(dir).unwrap();
    let sources: Vec<Source> = facilities.iter().enumerate().map(|(i, &v)| Source::at(v, i as u32)).collect();
    let plain = nearest((&g.reversed()).into(), &sources);
    // The hierarchy (fully contracted, and with the default core) gives the same
    // labels; it is its times that scipy checks.
    let full = Hierarchy::build(g, Params { core_share: 0.0, ..Params::default() }).unwrap();
    assert_eq!(full.nearest(&sources), plain);
    let res = Hierarchy::build(g, Params::default()).unwrap().nearest(&sources);
    assert_eq!(res, plain);
    let mut f = std::fs::File::create(dir.join("sources.csv")).unwrap();
    writeln!(f, "node").unwrap();
    facilities.iter().for_each(|v| writeln!(f, "{v}").unwrap());
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("echelle.csv")).unwrap());
    writeln!(f, "node,time_ms").unwrap();
    for (v, &t) in res.time_ms.iter().enumerate() {
        if t == UNREACHED { writeln!(f, "{v},").unwrap() } else { writeln!(f, "{v},{t}").unwrap() }
    }
    f.flush().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scipy_check.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
        .expect("python3 must be on the PATH for the scipy conformance test");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    println!("{text}");
    match out.status.code() {
        Some(0) => assert!(text.contains("mismatches 0"), "{text}"),
        Some(3) => panic!("scipy or numpy is missing (python3 -m pip install scipy numpy): {text}"),
        _ => panic!("echelle disagrees with scipy:\n{text}"),
    }
}

#[test]
fn helsinki_drive_nearest_equals_scipy() {
    // The finer graph (shape points kept): more nodes, one-way streets.
    let (g, r) = read_pbf_with(&helsinki(), &Profile::drive(), false, &ProgressBar::hidden()).unwrap();
    assert!(r.one_way_edges > 100, "{r:?}");
    let dir = tempfile::tempdir().unwrap();
    check(&g, &pick(g.node_count(), 25, 0x5eed_0001), dir.path());
}

#[test]
fn helsinki_compact_drive_and_walk_equal_scipy() {
    let (g, _) = read_pbf_with(&helsinki(), &Profile::drive(), true, &ProgressBar::hidden()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    check(&g, &pick(g.node_count(), 7, 0x5eed_0002), dir.path());
    let (w, _) = read_pbf_with(&helsinki(), &Profile::walk(), false, &ProgressBar::hidden()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    check(&w, &pick(w.node_count(), 40, 0x5eed_0003), dir.path());
}

/// The check itself must be able to fail: a wrong time is caught.
#[test]
fn the_check_catches_a_wrong_time() {
    let (g, _) = read_pbf_with(&helsinki(), &Profile::drive(), true, &ProgressBar::hidden()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let facilities = pick(g.node_count(), 5, 7);
    let sources: Vec<Source> = facilities.iter().enumerate().map(|(i, &v)| Source::at(v, i as u32)).collect();
    let mut res = nearest((&g.reversed()).into(), &sources);
    // One node's time off by a single millisecond.
    let v = res.time_ms.iter().position(|&t| t > 0 && t != UNREACHED).unwrap();
    res.time_ms[v] += 1;
    g.export_csv(dir.path()).unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        format!("node\n{}\n", facilities.iter().map(|v| v.to_string()).collect::<Vec<_>>().join("\n")),
    )
    .unwrap();
    let body: String = res.time_ms.iter().enumerate().map(|(v, t)| format!("{v},{t}\n")).collect();
    std::fs::write(dir.path().join("echelle.csv"), format!("node,time_ms\n{body}")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scipy_check.py");
    let result = Command::new("python3").arg(&script).arg(dir.path()).output().unwrap();
    let text = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.code() != Some(3), "scipy or numpy is missing: {}", String::from_utf8_lossy(&result.stderr));
    assert!(text.contains("mismatches 1"), "{text}");
    assert_eq!(result.status.code(), Some(1), "a 1 ms error on one node must be reported as a mismatch: {text}");
}
