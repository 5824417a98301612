//! The `echelle` command on the real reference pack: what analysts type, what they
//! read, and how mistakes are refused (one line, exit status 2, nothing written).

use std::path::Path;
use std::process::{Command, Output};

use echelle_store::testing::{copy_store, test_store};

/// A private copy of the test store, for commands that write.
fn store_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    dir
}

fn echelle(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_echelle")).arg("--store").arg(store).args(args).output().unwrap()
}

fn ok(store: &Path, args: &[&str]) -> String {
    let out = echelle(store, args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must be refused: exit status 2 and one line on stderr.
fn refused(store: &Path, args: &[&str]) -> String {
    let out = echelle(store, args);
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    err
}

fn catalog_digest(store: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for name in ["catalog.sqlite", "catalog.sqlite-wal"] {
        all.extend(std::fs::read(store.join(name)).unwrap_or_default());
    }
    all
}

#[test]
fn find_folds_accents_and_case() {
    let out = ok(&test_store(), &["find", "bethune"]);
    let first = out.lines().nth(1).unwrap();
    assert!(first.starts_with("com:62119") && first.contains("Béthune"), "{out}");
    assert!(ok(&test_store(), &["find", "HENIN", "BEAUMONT"]).contains("com:62427"));
}

#[test]
fn a_wrong_code_is_refused_with_suggestions() {
    let err = refused(&test_store(), &["eval", "population", "59999"]);
    assert!(err.contains("unknown territory '59999'") && err.contains("com:59099 (Bousies)"), "{err}");
    let err = refused(&test_store(), &["portrait", "dep:99"]);
    assert!(err.contains("dep:99"), "{err}");
    refused(&test_store(), &["list", "cantons"]);
}

#[test]
fn an_unknown_indicator_is_refused_with_suggestions() {
    let err = refused(&test_store(), &["eval", "populaton", "dep:59"]);
    assert!(err.contains("unknown indicator 'populaton'") && err.contains("population"), "{err}");
}

#[test]
fn perimeters_are_listed_with_counts_and_populations() {
    let out = ok(&test_store(), &["perimeter"]);
    let mel = out.lines().find(|l| l.starts_with("per:mel ")).unwrap();
    assert!(mel.contains(" 95 ") && mel.contains("1\u{202f}194\u{202f}040"), "{mel}");
    let auc = out.lines().find(|l| l.starts_with("per:aire-urbaine-centrale")).unwrap();
    assert!(auc.contains("confirmed"), "{auc}");
    assert!(out.lines().any(|l| l.starts_with("per:bassin-minier") && l.contains("provisional")));
}

#[test]
fn a_bad_perimeter_file_is_refused_and_nothing_is_written() {
    let store = store_copy();
    let before = catalog_digest(store.path());
    let dir = tempfile::tempdir().unwrap();
    let syntax = dir.path().join("syntax.toml");
    std::fs::write(&syntax, "id = \"x\"\nname = \"X\"\ninclude = [\"dep:59\"\n").unwrap();
    let err = refused(store.path(), &["perimeter", "add", syntax.to_str().unwrap()]);
    assert!(err.contains("syntax.toml:3:") || err.contains("syntax.toml:4:"), "{err}");
    let unknown = dir.path().join("unknown.toml");
    std::fs::write(&unknown, "id = \"x\"\nname = \"X\"\ninclude = [\"dep:59\", \"epci:999999999\"]\n").unwrap();
    let err = refused(store.path(), &["perimeter", "add", unknown.to_str().unwrap()]);
    assert!(err.contains("unknown.toml:3:") && err.contains("epci:999999999"), "{err}");
    assert_eq!(catalog_digest(store.path()), before, "the catalog is unchanged");
}

#[test]
fn a_users_perimeter_is_usable_everywhere_at_once() {
    let store = store_copy();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lens-henin.toml");
    std::fs::write(
        &file,
        "id = \"lens-henin\"\nname = \"Lens-Hénin\"\nstatus = \"provisional\"\ninclude = [\"epci:246200364\", \"epci:246200299\"]\n",
    )
    .unwrap();
    let out = ok(store.path(), &["perimeter", "add", file.to_str().unwrap()]);
    assert!(out.contains("50 communes"), "{out}");
    assert!(ok(store.path(), &["perimeter"]).contains("per:lens-henin"));
    let json: serde_json::Value =
        serde_json::from_str(&ok(store.path(), &["eval", "population_dgcl", "per:lens-henin", "--format", "json"]))
            .unwrap();
    assert_eq!(json["values"][0]["value"], 126_133.0 + 242_591.0);
    assert!(ok(store.path(), &["find", "lens henin"]).contains("per:lens-henin"));
    refused(store.path(), &["perimeter", "add", file.to_str().unwrap()]);

    // Removed unless shipped or referred to; the store stays loadable throughout.
    let uses = dir.path().join("autour.toml");
    std::fs::write(&uses, "id = \"autour\"\nname = \"Autour\"\ninclude = [\"per:lens-henin\", \"dep:62\"]\n").unwrap();
    ok(store.path(), &["perimeter", "add", uses.to_str().unwrap()]);
    let err = refused(store.path(), &["perimeter", "remove", "lens-henin"]);
    assert!(err.contains("autour"), "{err}");
    assert!(refused(store.path(), &["perimeter", "remove", "mel"]).contains("shipped"));
    ok(store.path(), &["perimeter", "remove", "autour"]);
    ok(store.path(), &["perimeter", "remove", "per:lens-henin"]);
    assert!(!ok(store.path(), &["perimeter"]).contains("per:lens-henin"));
    assert!(refused(store.path(), &["perimeter", "remove", "lens-henin"]).contains("no user perimeter"));
}

#[test]
fn evaluations_come_as_tables_csv_and_json_with_their_sources() {
    let store = test_store();
    let table = ok(&store, &["eval", "population,vacancy_rate", "epci:200093201", "--references"]);
    assert!(table.contains("dep:59") && table.contains("reg:32") && table.contains("Sources:"), "{table}");
    let csv = ok(&store, &["eval", "population", "dep:59", "dep:62", "--format", "csv"]);
    assert_eq!(
        csv.lines().next().unwrap(),
        "territory,name,indicator,value,secret,unit,units,covered,source,vintage,synthetic"
    );
    assert_eq!(csv.lines().count(), 3);
    let layer = ok(&store, &["eval", "population", "--layer", "epci", "--within", "dep:62", "--format", "csv"]);
    assert!(layer.lines().count() > 5 && layer.contains("epci:200072460"));
}

#[test]
fn portraits_and_comparisons_show_references_and_the_outside() {
    let store = test_store();
    let portrait = ok(&store, &["portrait", "Béthune"]);
    assert!(portrait.contains("Pas-de-Calais (dep:62)") && portrait.contains("Hauts-de-France (reg:32)"), "{portrait}");
    assert!(portrait.contains("Taux de vacance"), "{portrait}");
    let inside_outside = ok(&store, &["compare", "per:aml"]);
    assert!(inside_outside.contains("Hauts-de-France hors Aire métropolitaine de Lille"), "{inside_outside}");
    let side_by_side =
        ok(&store, &["compare", "epci:200093201", "epci:200072460", "--indicators", "population,share_65_plus"]);
    assert!(side_by_side.lines().count() >= 3);
    refused(&store, &["compare", "dep:59"]);
}

#[test]
fn the_check_command_reproduces_every_epci() {
    let out = ok(&test_store(), &["check"]);
    assert!(out.contains("EPCI: 1255 of 1255 reproduce"), "{out}");
}
