//! `echelle catalog publish`: the public layers as PostGIS tables, read back by GDAL's
//! `ogrinfo` as QGIS reads them; an organisation's perimeter is read only by the login
//! roles its row names (row-level security), never by others.

use std::path::Path;
use std::process::Command;

use echelle_store::testing::{TestBackend, backends, copy_store, test_store};

fn echelle(store: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_echelle")).arg("--store").arg(store).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn ogrinfo(url: &str, layer: &str) -> String {
    let out =
        Command::new("ogrinfo").args(["-ro", "-so", &format!("PG:{url}"), layer]).output().expect("ogrinfo (gdal-bin)");
    assert!(out.status.success(), "ogrinfo {layer}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into()
}

#[test]
fn the_public_layers_are_read_from_postgis_by_gdal() {
    let Some(TestBackend::Postgres(url)) = backends().into_iter().find(|b| matches!(b, TestBackend::Postgres(_)))
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    copy_store(&test_store(), &store);
    for (id, visibility) in [("publique", "public"), ("confidentielle", "private")] {
        let file = dir.path().join(format!("{id}.toml"));
        std::fs::write(&file, format!("id = \"{id}\"\nname = \"Périmètre {id}\"\ninclude = [\"dep:62\"]\n")).unwrap();
        let mut args = vec!["perimeter", "add", file.to_str().unwrap(), "--visibility", visibility];
        if visibility == "private" {
            args.extend(["--owner", "cci"]);
        }
        let (code, out, err) = echelle(&store, &args);
        assert_eq!(code, 0, "{out}{err}");
    }
    let schema = format!("pub_{}", std::process::id());
    let (code, out, err) =
        echelle(&store, &["catalog", "publish", "--url", &url, "--schema", &schema, "--layers", "dep,reg,per"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&format!("{schema}.dep : ")), "{out}");

    let dep = ogrinfo(&url, &format!("{schema}.dep"));
    let count: usize = dep
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .and_then(|c| c.trim().parse().ok())
        .unwrap_or_else(|| panic!("{dep}"));
    assert!(count >= 96, "every département with a shape: {count}\n{dep}");
    assert!(dep.contains("Multi Polygon") && dep.contains("4326"), "{dep}");
    assert!(dep.contains("name: String") && dep.contains("key: String"), "{dep}");
    assert!(ogrinfo(&url, &format!("{schema}.per")).contains("Feature Count"));

    // Two QGIS users: one a member of the CCI's role, one not.
    let (member, other) = (format!("qgis_{}_cci", std::process::id()), format!("qgis_{}_autre", std::process::id()));
    psql(&url, &format!("CREATE ROLE {member} LOGIN IN ROLE \"echelle_org_cci\"; CREATE ROLE {other} LOGIN;"));
    let as_user = |user: &str| url.replacen("postgresql://postgres@", &format!("postgresql://{user}@"), 1);
    let keys = |url: &str| {
        let out = Command::new("ogrinfo")
            .args(["-ro", "-q", &format!("PG:{url}"), "-sql"])
            .arg(format!("SELECT key FROM {schema}.per ORDER BY key"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let (seen_by_member, seen_by_other) = (keys(&as_user(&member)), keys(&as_user(&other)));
    psql(&url, &format!("DROP ROLE {member}; DROP ROLE {other};"));
    assert!(
        seen_by_member.contains("per:publique") && seen_by_member.contains("per:confidentielle"),
        "{seen_by_member}"
    );
    assert!(seen_by_other.contains("per:publique"), "{seen_by_other}");
    assert!(!seen_by_other.contains("confidentielle"), "another organisation's perimeter is not read: {seen_by_other}");

    // Published again: the tables are replaced, not appended to.
    let (code, _, err) =
        echelle(&store, &["catalog", "publish", "--url", &url, "--schema", &schema, "--layers", "dep"]);
    assert_eq!(code, 0, "{err}");
    assert!(ogrinfo(&url, &format!("{schema}.dep")).contains(&format!("Feature Count: {count}")));
    let (code, _, err) = echelle(&store, &["catalog", "publish", "--schema", &schema]);
    assert_eq!(code, 2, "a SQLite catalog needs --url: {err}");
    assert!(err.contains("--url"), "{err}");
}

fn psql(url: &str, sql: &str) {
    let out = Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qc", sql]).output().expect("psql");
    assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
}
