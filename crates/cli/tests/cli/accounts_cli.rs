//! `echelle account|org|token|audit` and the serving rule: passwords read from standard
//! input (never the command line), a token's secret printed once on standard output,
//! the audit log exported as CSV, and `serve` refusing a non-loopback address while the
//! store has no account (exit status 2, a French message).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use echelle_store::testing::test_store;

/// Runs `echelle --store STORE ARGS` with `stdin` as standard input: status, stdout, stderr.
fn run(store: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_echelle"))
        .arg("--store")
        .arg(store)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn accounts_tokens_and_the_audit_log_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let s = dir.path();
    assert_eq!(run(s, &["org", "add", "cci-hdf", "--name", "CCI Hauts-de-France"], "").0, 0);
    let (code, _, err) = run(s, &["account", "add", "ana", "--role", "analyst", "--org", "cci-hdf"], "court\n");
    assert_eq!(code, 2, "a short password is refused: {err}");
    assert!(err.contains("au moins 12 caractères"), "{err}");
    let (code, _, err) =
        run(s, &["account", "add", "ana", "--role", "analyst", "--org", "nulle-part"], "assez long, vraiment\n");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("inconnue"), "{err}");
    let (code, _, err) = run(s, &["account", "add", "ana", "--role", "analyst"], "assez long, vraiment\n");
    assert_eq!(code, 2, "an analyst belongs to an organisation: {err}");
    let (code, _, err) = run(s, &["account", "add", "ana", "--password", "x", "--role", "admin"], "");
    assert_eq!(code, 2, "no password on the command line: {err}");
    assert_eq!(
        run(s, &["account", "add", "ana", "--role", "analyst", "--org", "cci-hdf"], "assez long, vraiment\n").0,
        0
    );
    assert_eq!(run(s, &["account", "add", "root", "--role", "admin"], "mot de passe administrateur\n").0, 0);
    let (code, list, _) = run(s, &["account", "list"], "");
    assert_eq!(code, 0);
    assert!(
        list.contains("ana")
            && list.contains("analyste")
            && list.contains("cci-hdf")
            && list.contains("administrateur"),
        "{list}"
    );

    let (code, secret, err) = run(s, &["token", "create", "ana", "--name", "script R", "--scope", "read"], "");
    assert_eq!(code, 0, "{err}");
    let secret = secret.trim();
    assert!(secret.starts_with("ech_") && secret.len() == 68, "the secret alone on stdout: {secret}");
    assert!(err.contains("ne sera plus jamais affiché"), "{err}");
    let (_, tokens, _) = run(s, &["token", "list"], "");
    assert!(tokens.contains("script R") && !tokens.contains(&secret[4..]), "{tokens}");
    let id = tokens.lines().nth(1).unwrap().split_whitespace().next().unwrap().to_string();
    assert_eq!(run(s, &["token", "revoke", &id], "").0, 0);
    assert_eq!(run(s, &["token", "revoke", &id], "").0, 2, "already revoked");
    let (code, _, err) = run(s, &["token", "create", "ana", "--name", "x", "--scope", "admin"], "");
    assert_eq!(code, 2, "{err}");

    assert_eq!(run(s, &["account", "disable", "ana"], "").0, 0);
    assert_eq!(run(s, &["account", "password", "root"], "un autre mot de passe\n").0, 0);
    let csv_path = s.join("audit.csv");
    let (code, _, err) = run(s, &["audit", "export", "--output", csv_path.to_str().unwrap()], "");
    assert_eq!(code, 0, "{err}");
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert!(csv.starts_with("date (UTC),qui,action,objet,depuis,détail"), "{csv}");
    for action in [
        "organisation_created",
        "account_created",
        "token_created",
        "token_revoked",
        "account_disabled",
        "password_changed",
    ] {
        assert!(csv.contains(&format!(",local,{action},")), "{action} missing:\n{csv}");
    }
    for secret in [secret, "assez long, vraiment", "mot de passe administrateur", "un autre mot de passe"] {
        assert!(!csv.contains(secret), "a secret in the audit log:\n{csv}");
    }
    let (_, only, _) = run(s, &["audit", "export", "--action", "token_created"], "");
    assert_eq!(only.lines().count(), 2, "{only}");
    assert_eq!(run(s, &["audit", "export", "--action", "nope"], "").0, 2);
}

#[test]
fn serve_refuses_a_non_loopback_address_without_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(&test_store(), &["serve", "--addr", "0.0.0.0:0"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refus de servir sur 0.0.0.0 sans compte"), "{err}");
    assert!(!test_store().join("accounts.sqlite").exists(), "nothing written in the store");
    // An empty store folder: the same refusal, before anything else is looked at.
    let (code, _, err) = run(dir.path(), &["serve", "--addr", "0.0.0.0:0"], "");
    assert_eq!((code, err.contains("sans compte")), (2, true), "{err}");
}
