//! Accounts over HTTP: logging in as each role, a wrong password, the brute-force loop
//! slowed then locked (per login and per address), CSRF on changes, the cookie's flags,
//! API token scopes and revocation, and the serving rule (a server others can reach
//! wants accounts). The shared test store is read in place; accounts live in a private
//! file of each test, then in a fresh PostgreSQL schema (the same suite on each backend).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use echelle_platform::throttle::Policy;
use echelle_platform::{AccountStore, Accounts, Actor, NewAccount, Role, SqliteAccounts};
use echelle_server::{AppState, Site, app};
use echelle_store::testing::{TestBackend, backends, test_store};
use serde_json::{Value, json};
use tower::ServiceExt;

const ADMIN_PASSWORD: &str = "correct horse battery staple";
const ANALYST_PASSWORD: &str = "analyste du littoral 62";

/// A request: method, path, extra headers, JSON body, client address.
struct Call<'a> {
    method: &'a str,
    uri: &'a str,
    headers: Vec<(&'a str, String)>,
    body: Option<Value>,
    from: Option<SocketAddr>,
}

fn call<'a>(method: &'a str, uri: &'a str) -> Call<'a> {
    Call { method, uri, headers: Vec::new(), body: None, from: None }
}

impl<'a> Call<'a> {
    fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
    fn from(mut self, addr: &str) -> Self {
        self.from = Some(addr.parse().unwrap());
        self
    }
    async fn send(self, router: &axum::Router) -> (StatusCode, HeaderMap, Value) {
        let mut request = Request::builder().method(self.method).uri(self.uri);
        for (n, v) in &self.headers {
            request = request.header(*n, v.as_str());
        }
        let body = match &self.body {
            Some(b) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        let mut request = request.body(body).unwrap();
        if let Some(addr) = self.from {
            request.extensions_mut().insert(ConnectInfo(addr));
        }
        let response = router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 24).await.unwrap();
        (parts.status, parts.headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// A server on the test store with accounts (none yet) on `backend`: a file in `dir`, or
/// a fresh PostgreSQL schema; on `site`.
async fn server(
    dir: &tempfile::TempDir,
    backend: &TestBackend,
    policy: Policy,
    site: Site,
) -> (AppState, axum::Router) {
    let store: Arc<dyn AccountStore> = match backend.fresh_location() {
        Some(location) => Arc::new(echelle_store::PostgresAccounts::open(&location, &Default::default()).unwrap()),
        None => Arc::new(SqliteAccounts::open(&dir.path().join("accounts.sqlite")).unwrap()),
    };
    let accounts = Accounts::new(store).with_policy(policy);
    let state = AppState::open(&test_store()).await.unwrap().with_site(site).with_accounts(accounts);
    let router = app(state.clone(), None, Duration::from_secs(60));
    (state, router)
}

/// An organisation `cci`, an administrator `root` and an analyst `ana` of `cci`.
fn populate(state: &AppState) {
    let a = state.gate().accounts();
    let by = Actor::command_line();
    a.add_organisation("cci", "CCI Hauts-de-France", &by).unwrap();
    a.add_account(&NewAccount { login: "root".into(), org: None, role: Role::Admin }, ADMIN_PASSWORD, &by).unwrap();
    a.add_account(
        &NewAccount { login: "ana".into(), org: Some("cci".into()), role: Role::Analyst },
        ANALYST_PASSWORD,
        &by,
    )
    .unwrap();
}

/// Logs in; the session cookie (`name=value`) and the CSRF token.
async fn log_in(router: &axum::Router, login: &str, password: &str) -> (String, String) {
    let (status, headers, body) =
        call("POST", "/api/auth/login").json(json!({"login": login, "password": password})).send(router).await;
    assert_eq!(status, StatusCode::OK, "{login}: {body}");
    let set = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    let cookie = set.split(';').next().unwrap().to_string();
    (cookie, body["csrf"].as_str().unwrap().to_string())
}

fn no_waits() -> Policy {
    Policy { first_wait_ms: 0, ..Policy::default() }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_logs_in_and_a_wrong_password_is_refused() {
    for backend in backends() {
        each_role_logs_in_and_a_wrong_password_is_refused_on(&backend).await;
    }
}

async fn each_role_logs_in_and_a_wrong_password_is_refused_on(backend: &TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = server(&dir, backend, no_waits(), Site::loopback()).await;
    let (_, _, me) = call("GET", "/api/auth/me").send(&r).await;
    assert_eq!(me["viewer"]["kind"], "local", "loopback without accounts: the embedded mode");
    populate(&state);
    // The gate asks the store at most once a second: the next anonymous request after that is public.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (_, _, me) = call("GET", "/api/auth/me").send(&r).await;
    assert_eq!((me["viewer"]["kind"].as_str(), me["accounts"].as_bool()), (Some("public"), Some(true)), "{me}");
    let (status, _, _) =
        call("POST", "/api/perimeters").json(json!({"id": "x", "name": "x", "include": ["62"]})).send(&r).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a visitor changes nothing");

    let (status, headers, body) =
        call("POST", "/api/auth/login").json(json!({"login": "root", "password": ADMIN_PASSWORD})).send(&r).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let set = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap();
    for flag in ["echelle_session=", "; Secure", "; HttpOnly", "; SameSite=Strict", "; Path=/"] {
        assert!(set.contains(flag), "the session cookie lacks {flag}: {set}");
    }
    assert_eq!(body["viewer"]["role"], "admin");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store", "the CSRF token is kept by no cache");
    let admin = set.split(';').next().unwrap().to_string();
    let (_, _, me) = call("GET", "/api/auth/me").header("cookie", &admin).send(&r).await;
    assert_eq!((me["viewer"]["login"].as_str(), me["viewer"]["role"].as_str()), (Some("root"), Some("admin")));
    assert_eq!(me["csrf"], body["csrf"]);
    let (status, _, list) = call("GET", "/api/admin/accounts").header("cookie", &admin).send(&r).await;
    assert_eq!(status, StatusCode::OK);
    let logins: Vec<&str> = list.as_array().unwrap().iter().map(|a| a["login"].as_str().unwrap()).collect();
    assert_eq!(logins, ["ana", "root"]);
    assert!(!list.to_string().contains("argon2"), "no password hash leaves: {list}");

    // An export answered is audited, with who asked it.
    let uri = "/api/export/layer?layer=epci&within=dep:62&indicators=population_dgcl&format=geojson";
    let (status, _, _) = call("GET", uri).header("cookie", &admin).send(&r).await;
    assert_eq!(status, StatusCode::OK);

    let (analyst, _) = log_in(&r, "ana", ANALYST_PASSWORD).await;
    let (_, _, me) = call("GET", "/api/auth/me").header("cookie", &analyst).send(&r).await;
    assert_eq!((me["viewer"]["role"].as_str(), me["viewer"]["org"].as_str()), (Some("analyst"), Some("cci")));
    let (status, _, body) = call("GET", "/api/admin/accounts").header("cookie", &analyst).send(&r).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, _, _) = call("GET", "/api/admin/audit").header("cookie", &analyst).send(&r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, headers, body) =
        call("POST", "/api/auth/login").json(json!({"login": "ana", "password": ADMIN_PASSWORD})).send(&r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(headers.get(header::SET_COOKIE).is_none());
    assert!(body["error"].as_str().unwrap().contains("incorrect"));
    let (status, _, _) =
        call("POST", "/api/auth/login").json(json!({"login": "nobody", "password": ADMIN_PASSWORD})).send(&r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an unknown login answers like a wrong password");

    // A disabled account cannot log in, and its open session is refused.
    state.gate().accounts().set_disabled("ana", true, &Actor::command_line()).unwrap();
    let (_, _, me) = call("GET", "/api/auth/me").header("cookie", &analyst).send(&r).await;
    assert_eq!(me["viewer"]["kind"], "public");
    let (status, _, _) =
        call("POST", "/api/auth/login").json(json!({"login": "ana", "password": ANALYST_PASSWORD})).send(&r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let (status, headers, csv) = {
        let mut request = Request::get("/api/admin/audit.csv").header("cookie", &admin).body(Body::empty()).unwrap();
        request.extensions_mut().insert(ConnectInfo("127.0.0.1:1".parse::<SocketAddr>().unwrap()));
        let response = r.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        (
            parts.status,
            parts.headers,
            String::from_utf8(axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec()).unwrap(),
        )
    };
    assert_eq!(status, StatusCode::OK);
    assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.starts_with("date (UTC),qui,action,objet,depuis,détail\r\n"), "{csv}");
    for line in [
        "root,login,root",
        "ana,login,ana",
        "root,export,/api/export/layer?layer=epci&within=dep:62",
        "ana,login_failed",
        "nobody,login_failed",
        "local,account_disabled,ana",
    ] {
        assert!(csv.contains(line), "the audit log lacks '{line}':\n{csv}");
    }
    assert!(!csv.contains(ADMIN_PASSWORD) && !csv.contains(ANALYST_PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_without_the_session_csrf_token_is_refused() {
    for backend in backends() {
        a_change_without_the_session_csrf_token_is_refused_on(&backend).await;
    }
}

async fn a_change_without_the_session_csrf_token_is_refused_on(backend: &TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = server(&dir, backend, no_waits(), Site::loopback()).await;
    populate(&state);
    let (admin, csrf) = log_in(&r, "root", ADMIN_PASSWORD).await;
    let org = json!({"id": "dep62", "name": "Département du Pas-de-Calais"});
    let (status, _, body) =
        call("POST", "/api/admin/organisations").header("cookie", &admin).json(org.clone()).send(&r).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].as_str().unwrap().contains("CSRF manquant"), "{body}");
    let (status, _, body) = call("POST", "/api/admin/organisations")
        .header("cookie", &admin)
        .header("x-csrf-token", csrf.replace(&csrf[..2], "zz"))
        .json(org.clone())
        .send(&r)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].as_str().unwrap().contains("CSRF invalide"), "{body}");
    // Another session's token is as wrong as a made-up one.
    let (_, other_csrf) = log_in(&r, "ana", ANALYST_PASSWORD).await;
    let (status, _, _) = call("POST", "/api/admin/organisations")
        .header("cookie", &admin)
        .header("x-csrf-token", &other_csrf)
        .json(org.clone())
        .send(&r)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(state.gate().accounts().organisations().unwrap().len(), 1, "nothing was created");
    let (status, _, body) = call("POST", "/api/admin/organisations")
        .header("cookie", &admin)
        .header("x-csrf-token", &csrf)
        .json(org)
        .send(&r)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Reading needs no token; logging out is a change.
    let (status, _, _) = call("GET", "/api/admin/organisations").header("cookie", &admin).send(&r).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = call("POST", "/api/auth/logout").header("cookie", &admin).send(&r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, headers, _) =
        call("POST", "/api/auth/logout").header("cookie", &admin).header("x-csrf-token", &csrf).send(&r).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(headers[header::SET_COOKIE].to_str().unwrap().contains("Max-Age=0"));
    let (_, _, me) = call("GET", "/api/auth/me").header("cookie", &admin).send(&r).await;
    assert_eq!(me["viewer"]["kind"], "public", "the session is closed on the server too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_brute_force_loop_is_slowed_then_locked() {
    for backend in backends() {
        a_brute_force_loop_is_slowed_then_locked_on(&backend).await;
    }
}

async fn a_brute_force_loop_is_slowed_then_locked_on(backend: &TestBackend) {
    // The default policy: after a failure, the next check of that login waits 1 s.
    let dir = tempfile::tempdir().unwrap();
    let (state, r) =
        server(&dir, backend, Policy { first_wait_ms: 30_000, ..Policy::default() }, Site::loopback()).await;
    populate(&state);
    let attempt = |password: &'static str, login: &'static str, from: &'static str| {
        let r = r.clone();
        async move {
            call("POST", "/api/auth/login")
                .json(json!({"login": login, "password": password}))
                .from(from)
                .send(&r)
                .await
        }
    };
    let (status, _, _) = attempt("guess-0000000", "root", "192.0.2.1:4000").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, headers, body) = attempt(ADMIN_PASSWORD, "root", "192.0.2.1:4000").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the next check waits, even with the right password: {body}");
    let wait: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((1..=30).contains(&wait), "Retry-After {wait}");
    assert!(body["error"].as_str().unwrap().contains("réessayez"), "{body}");

    // Without waits, the lock: five failures of a login lock it for every address.
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = server(&dir, backend, no_waits(), Site::loopback()).await;
    populate(&state);
    let attempt = |password: &'static str, login: &'static str, from: &'static str| {
        let r = r.clone();
        async move {
            call("POST", "/api/auth/login")
                .json(json!({"login": login, "password": password}))
                .from(from)
                .send(&r)
                .await
        }
    };
    for i in 0..5 {
        let (status, _, _) = attempt("not the password", "root", "192.0.2.1:4000").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "failure {i}");
    }
    let (status, headers, body) = attempt(ADMIN_PASSWORD, "root", "198.51.100.7:5000").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "locked: {body}");
    assert!(body["error"].as_str().unwrap().contains("verrouillée"), "{body}");
    let minutes = headers[header::RETRY_AFTER].to_str().unwrap().parse::<u64>().unwrap() / 60;
    assert!((14..=15).contains(&minutes), "locked for 15 minutes: {minutes}");
    // Another login is not locked by it.
    log_in(&r, "ana", ANALYST_PASSWORD).await;

    // One address trying many logins is locked after 30 failures, whatever the login.
    const LOGINS: [&str; 30] = [
        "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "b0", "b1", "b2", "b3", "b4", "b5", "b6", "b7",
        "b8", "b9", "c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9",
    ];
    for login in LOGINS {
        let (status, _, _) = attempt("spray-password", login, "203.0.113.9:6000").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{login}");
    }
    let (status, _, _) = attempt(ANALYST_PASSWORD, "ana", "203.0.113.9:6000").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the address is locked");
    let (status, _, _) = attempt(ANALYST_PASSWORD, "ana", "192.0.2.50:7000").await;
    assert_eq!(status, StatusCode::OK, "another address is not");
    let failed = state
        .gate()
        .accounts()
        .audit(&echelle_platform::AuditQuery {
            action: Some(echelle_platform::Action::LoginFailed),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(failed.len(), 5 + 1 + 30 + 1, "every failure and refusal is audited");
    assert!(failed.iter().any(|e| e.from == "203.0.113.9" && e.detail == "verrouillé"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_tokens_are_scoped_and_revocable() {
    for backend in backends() {
        api_tokens_are_scoped_and_revocable_on(&backend).await;
    }
}

async fn api_tokens_are_scoped_and_revocable_on(backend: &TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let (state, r) = server(&dir, backend, no_waits(), Site::loopback()).await;
    populate(&state);
    let (admin, csrf) = log_in(&r, "root", ADMIN_PASSWORD).await;
    let create = |login: &'static str, scope: &'static str| {
        let (r, admin, csrf) = (r.clone(), admin.clone(), csrf.clone());
        async move {
            call("POST", "/api/admin/tokens")
                .header("cookie", admin)
                .header("x-csrf-token", csrf)
                .json(json!({"login": login, "name": format!("script {scope}"), "scope": scope}))
                .send(&r)
                .await
        }
    };
    let (status, _, body) = create("ana", "admin").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "an analyst's token has no admin scope: {body}");
    let (status, _, read) = create("ana", "read").await;
    assert_eq!(status, StatusCode::CREATED, "{read}");
    let read_secret = read["token"].as_str().unwrap().to_string();
    assert!(read_secret.starts_with("ech_"));
    let bearer = |secret: &str| format!("Bearer {secret}");

    let (status, _, me) = call("GET", "/api/auth/me").header("authorization", bearer(&read_secret)).send(&r).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((me["viewer"]["login"].as_str(), me["scope"].as_str()), (Some("ana"), Some("read")));
    assert!(me["csrf"].is_null(), "a token carries no session");
    let (status, _, body) = call("POST", "/api/perimeters")
        .header("authorization", bearer(&read_secret))
        .json(json!({"id": "ro", "name": "ro", "include": ["62"]}))
        .send(&r)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a read-only token changes nothing: {body}");
    assert!(body["error"].as_str().unwrap().contains("read"), "{body}");

    let (_, _, write) = create("root", "write").await;
    let write_secret = write["token"].as_str().unwrap().to_string();
    let (status, _, _) =
        call("GET", "/api/admin/accounts").header("authorization", bearer(&write_secret)).send(&r).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "administration needs the admin scope");
    let (_, _, full) = create("root", "admin").await;
    let admin_secret = full["token"].as_str().unwrap().to_string();
    let (status, _, body) = call("POST", "/api/admin/organisations")
        .header("authorization", bearer(&admin_secret))
        .json(json!({"id": "agur", "name": "Agence d'urbanisme"}))
        .send(&r)
        .await;
    assert_eq!(status, StatusCode::CREATED, "a token needs no CSRF token: {body}");

    let (status, _, list) = call("GET", "/api/admin/tokens?login=ana").header("cookie", &admin).send(&r).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert!(list[0]["last_used_at"].is_i64(), "its use is recorded: {list}");
    let everything = call("GET", "/api/admin/tokens").header("cookie", &admin).send(&r).await.2.to_string();
    for secret in [&read_secret, &write_secret, &admin_secret] {
        assert!(!everything.contains(&secret[4..]), "a secret is listed");
    }

    let id = read["info"]["id"].as_str().unwrap();
    let (status, _, _) = call("DELETE", &format!("/api/admin/tokens/{id}"))
        .header("cookie", &admin)
        .header("x-csrf-token", &csrf)
        .send(&r)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _, body) = call("GET", "/api/auth/me").header("authorization", bearer(&read_secret)).send(&r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked: {body}");
    let (status, _, _) = call("GET", "/api/auth/me").header("authorization", "Bearer ech_00000000").send(&r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a made-up token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_others_can_reach_needs_accounts() {
    // Listening on every address: an anonymous request is never the local user's.
    let dir = tempfile::tempdir().unwrap();
    let site = Site::new("0.0.0.0:8080".parse().unwrap(), None, &[]).unwrap();
    let (_, r) = server(&dir, &TestBackend::Sqlite, no_waits(), site).await;
    let (_, _, me) = call("GET", "/api/auth/me").send(&r).await;
    assert_eq!(me["viewer"]["kind"], "public");
    let (status, _, _) =
        call("POST", "/api/perimeters").json(json!({"id": "x", "name": "x", "include": ["62"]})).send(&r).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // And `serve` refuses to start there without an account (the store has none).
    let config = echelle_server::ServeConfig {
        store: test_store(),
        addr: "0.0.0.0:0".parse().unwrap(),
        web: None,
        request_timeout: Duration::from_secs(5),
        facilities: Vec::new(),
        allowed_hosts: Vec::new(),
        public_url: None,
        connections: Default::default(),
        work: Default::default(),
        poll_interval: echelle_server::POLL_INTERVAL,
        smtp: None,
    };
    let refused = tokio::time::timeout(Duration::from_secs(120), echelle_server::serve(config)).await;
    let message = refused.expect("serve returns at once").expect_err("refused").to_string();
    assert!(message.contains("sans compte"), "{message}");
}
