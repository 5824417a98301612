//! Two `echelle serve` processes on one catalog in PostgreSQL: a perimeter POSTed to
//! one is answered by the other right after, brought by the catalog's notification
//! (both poll only every hour here, so the poll cannot be what brings it); a session
//! opened on one is valid on the other, and closed on both at once.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use echelle_store::testing::{TestBackend, backends, copy_store, copy_store_on, test_store};

/// A server process, killed when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(store: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_echelle"))
        .arg("--store")
        .arg(store)
        .args(["serve", "--addr", "127.0.0.1:0", "--poll-seconds", "3600"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    // « echelle: observatory at http://127.0.0.1:PORT/ (API at …) »
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    Server { child, addr }
}

/// One HTTP/1.1 request: status and body.
fn request(server: &Server, method: &str, path: &str, body: &str) -> (u16, String) {
    let (status, _, body) = request_with(server, method, path, &[], body);
    (status, body)
}

/// One HTTP/1.1 request with extra header lines: status, response head and body.
fn request_with(server: &Server, method: &str, path: &str, headers: &[String], body: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let extra: String = headers.iter().map(|h| format!("{h}\r\n")).collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {}\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        server.addr,
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (status, head.to_string(), body.to_string())
}

fn wait_ready(server: &Server) {
    let start = Instant::now();
    while request(server, "GET", "/ready", "").0 != 200 {
        assert!(start.elapsed() < Duration::from_secs(120), "{} never ready", server.addr);
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_servers_on_one_postgres_see_each_others_perimeters_at_once() {
    let Some(backend) = backends().into_iter().find(|b| matches!(b, TestBackend::Postgres(_))) else {
        // SQLite servers see each other's changes by polling; nothing to notify.
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    copy_store_on(&test_store(), dir.path(), &backend);
    assert!(dir.path().join(echelle_store::CATALOG_CONFIG).is_file());
    let (a, b) = (serve(dir.path()), serve(dir.path()));
    wait_ready(&a);
    wait_ready(&b);
    assert_eq!(request(&b, "GET", "/api/portrait/per:deux-serveurs", "").0, 404, "not there yet");

    let posted =
        request(&a, "POST", "/api/perimeters", r#"{"id":"deux-serveurs","name":"Deux serveurs","include":["dep:62"]}"#);
    assert_eq!(posted.0, 201, "{}", posted.1);
    // Bounded wait for the other server to be notified and read the catalog again.
    let start = Instant::now();
    loop {
        let (status, body) = request(&b, "GET", "/api/portrait/per:deux-serveurs", "");
        if status == 200 {
            assert!(body.contains("Deux serveurs"), "{body}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "the other server never saw the perimeter: {status} {body}");
        std::thread::sleep(Duration::from_millis(50));
    }

    // And the other way round: a removal on B is seen by A.
    assert_eq!(request(&b, "DELETE", "/api/perimeters/deux-serveurs", "").0, 204);
    let start = Instant::now();
    while request(&a, "GET", "/api/portrait/per:deux-serveurs", "").0 != 404 {
        assert!(start.elapsed() < Duration::from_secs(60), "A still serves the removed perimeter");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_session_opened_on_one_server_is_valid_on_the_other() {
    let Some(backend) = backends().into_iter().find(|b| matches!(b, TestBackend::Postgres(_))) else { return };
    let dir = tempfile::tempdir().unwrap();
    copy_store(&test_store(), dir.path());
    // An administrator made while the store was embedded moves with its catalog.
    let mut add = Command::new(env!("CARGO_BIN_EXE_echelle"))
        .arg("--store")
        .arg(dir.path())
        .args(["account", "add", "root", "--role", "admin"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin.take().unwrap().write_all(b"mot de passe administrateur\n").unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    backend.apply(dir.path());
    std::fs::remove_file(dir.path().join(echelle_platform::store::ACCOUNTS_FILE)).unwrap();

    let (a, b) = (serve(dir.path()), serve(dir.path()));
    wait_ready(&a);
    wait_ready(&b);
    let login = r#"{"login":"root","password":"mot de passe administrateur"}"#;
    let (status, head, body) = request_with(&a, "POST", "/api/auth/login", &[], login);
    assert_eq!(status, 200, "{body}");
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .unwrap_or_else(|| panic!("no cookie in {head}"))
        .to_string();
    let csrf = body.split(r#""csrf":""#).nth(1).and_then(|r| r.split('"').next()).unwrap().to_string();
    let session = [format!("Cookie: {cookie}"), format!("x-csrf-token: {csrf}")];

    let (_, _, me) = request_with(&b, "GET", "/api/auth/me", &session, "");
    assert!(me.contains(r#""login":"root""#), "the other server knows the session: {me}");
    let (status, _, body) = request_with(
        &b,
        "POST",
        "/api/perimeters",
        &session,
        r#"{"id":"deux-sessions","name":"Deux sessions","include":["dep:62"]}"#,
    );
    assert_eq!(status, 201, "a change on the other server, with the session's CSRF token: {body}");
    let (status, _, _) = request_with(&a, "POST", "/api/auth/logout", &session, "");
    assert_eq!(status, 204);
    let (_, _, me) = request_with(&b, "GET", "/api/auth/me", &session, "");
    assert!(me.contains(r#""kind":"public""#), "closed on A, closed on B: {me}");
}
