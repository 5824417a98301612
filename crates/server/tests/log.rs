//! The request log: a 503 from `/ready` while warming up is not an ERROR.
//!
//! A binary of its own: capturing the log needs tracing's process-wide callsite
//! interest, which the concurrent tests of the `server` binary would disturb.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use echelle_server::{AppState, app};
use echelle_store::testing::test_store;
use tower::ServiceExt;

/// Log lines written while the guard lives.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// The readiness probe answers 503 while the values are materialised: logged as a
/// response, not as an ERROR (the request log sees it: the 200 of /health is there).
#[tokio::test(flavor = "current_thread")]
async fn warming_up_is_not_an_error() {
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let r = app(AppState::open(&test_store()).await.unwrap(), None, Duration::from_secs(30));
    let response = r.clone().oneshot(Request::get("/ready").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "warming up");
    let response = r.clone().oneshot(Request::get("/health").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("status=503"), "the 503 is logged as a response:\n{text}");
    assert!(text.contains("status=200"), "the request log is captured:\n{text}");
    assert!(!text.contains("ERROR"), "an ERROR while warming up:\n{text}");
}

/// A login, requests made with its session and with an API token, and a logout, logged
/// at every level: neither the password, nor the session id, nor the CSRF token, nor the
/// token's secret appears in the log (the log is captured: the login's line is there).
#[tokio::test(flavor = "current_thread")]
async fn no_secret_is_logged() {
    use echelle_platform::{Accounts, Actor, NewAccount, Role, Scope, SqliteAccounts};
    const PASSWORD: &str = "un mot de passe assez long";
    let log = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(log.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::TRACE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let dir = tempfile::tempdir().unwrap();
    let accounts = Accounts::new(std::sync::Arc::new(SqliteAccounts::open(&dir.path().join("a.sqlite")).unwrap()));
    let by = Actor::command_line();
    accounts.add_account(&NewAccount { login: "root".into(), org: None, role: Role::Admin }, PASSWORD, &by).unwrap();
    let (token, _) = accounts.create_token("root", "script", Scope::Read, &by).unwrap();
    let state = AppState::open(&test_store()).await.unwrap().with_accounts(accounts);
    let r = app(state, None, Duration::from_secs(30));
    let body = serde_json::json!({"login": "root", "password": PASSWORD}).to_string();
    let login = Request::post("/api/auth/login").header("content-type", "application/json").body(Body::from(body));
    let response = r.clone().oneshot(login.unwrap()).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
    let session = cookie.split_once('=').unwrap().1.to_string();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let csrf = serde_json::from_slice::<serde_json::Value>(&bytes).unwrap()["csrf"].as_str().unwrap().to_string();
    let me = Request::get("/api/auth/me?check=1").header("authorization", format!("Bearer {token}"));
    assert_eq!(r.clone().oneshot(me.body(Body::empty()).unwrap()).await.unwrap().status(), StatusCode::OK);
    let wrong = Request::get("/api/admin/accounts").header("authorization", format!("Bearer {token}x"));
    assert_eq!(r.clone().oneshot(wrong.body(Body::empty()).unwrap()).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let out = Request::post("/api/auth/logout").header("cookie", &cookie).header("x-csrf-token", &csrf);
    assert_eq!(r.clone().oneshot(out.body(Body::empty()).unwrap()).await.unwrap().status(), StatusCode::NO_CONTENT);
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("session opened") && text.contains("root"), "the log is captured:\n{text}");
    assert!(text.contains("/api/auth/login"), "the request log is captured:\n{text}");
    for (what, secret) in
        [("password", PASSWORD), ("session id", &session), ("CSRF token", &csrf), ("API token", &token[4..])]
    {
        assert!(!text.contains(secret), "the {what} is in the log:\n{text}");
    }
}
