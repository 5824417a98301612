//! Accounts over HTTP: who a request is made by (session cookie, API token, or nobody),
//! CSRF on every change a cookie authenticates, logins and logouts, and the
//! administration endpoints (accounts, organisations, tokens, audit log). Every rule is
//! `echelle_platform`'s ([`Accounts`]); this module reads headers and writes answers.
//!
//! ```text
//!  Authorization: Bearer ech_…  ──> the token's account, its scope checked (read: no change)
//!  Cookie: echelle_session=…    ──> the session's account; a change needs X-CSRF-Token
//!  nothing                      ──> Local on a loopback server without accounts, else Public
//! ```
//!
//! Nothing here logs a password, a token, a session id or a CSRF token: handlers take
//! the credentials in types without `Debug`, and the request log (tower-http) writes
//! neither headers nor bodies.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};

use axum::Json;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use echelle_platform::audit::{MAX_AUDIT_LINES, now_millis, now_seconds};
use echelle_platform::session::{CSRF_HEADER, cleared_cookie, cookie, from_cookie_header, same_secret};
use echelle_platform::{
    Account, AccountError, Accounts, Action, Actor, AuditEntry, AuditQuery, Login, NewAccount, Organisation, Role,
    Scope, TokenInfo, Viewer,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ErrorBody;
use crate::export::blocking;
use crate::extract::{Json as JsonBody, Query};
use crate::{ApiError, AppState};

/// The path of the login endpoint: the one change that needs no CSRF token (there is
/// no session yet; SameSite=Strict and the JSON body keep other sites from posting it).
pub const LOGIN_PATH: &str = "/api/auth/login";

/// Password checks (Argon2id, 19 MiB each) running at once; others wait their turn.
const HASHING_AT_ONCE: usize = 4;

/// The accounts of a server, and whether any exists (then no request is the local user's).
pub struct Gate {
    accounts: Arc<Accounts>,
    /// Set once an account exists: accounts are disabled, never deleted.
    configured: AtomicBool,
    /// When the store was last asked, Unix milliseconds.
    checked_ms: AtomicI64,
    hashing: tokio::sync::Semaphore,
}

impl Gate {
    /// The gate of these account rules.
    pub fn new(accounts: Accounts) -> Gate {
        Gate {
            accounts: Arc::new(accounts),
            configured: AtomicBool::new(false),
            checked_ms: AtomicI64::new(i64::MIN),
            hashing: tokio::sync::Semaphore::new(HASHING_AT_ONCE),
        }
    }

    /// The gate of a store folder's accounts (`accounts.sqlite`, or the catalog's
    /// PostgreSQL schema), on the server's catalog connections.
    pub fn of_store(root: &std::path::Path, connections: &echelle_store::Connections) -> Result<Gate, ApiError> {
        Ok(Gate::new(Accounts::new(echelle_store::account_store(root, connections)?)))
    }

    /// The account rules.
    pub fn accounts(&self) -> &Arc<Accounts> {
        &self.accounts
    }

    /// Whether any account exists; the store is asked at most once a second until one does
    /// (an account added by `echelle account add` while serving is seen within a second).
    pub async fn configured(&self) -> Result<bool, ApiError> {
        if self.configured.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let now = now_millis();
        let last = self.checked_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) < 1_000 {
            return Ok(false);
        }
        let accounts = self.accounts.clone();
        let configured = blocking(move || Ok(accounts.configured()?)).await?;
        self.checked_ms.store(now, Ordering::Relaxed);
        self.configured.store(configured, Ordering::Relaxed);
        Ok(configured)
    }

    /// Appends a line to the audit log, off the async workers, once the store has accounts
    /// (before, the local user is alone and the store stays as it is); a failure is logged,
    /// not answered (the request it describes is done).
    pub async fn record(&self, viewer: &Viewer, from: &str, action: Action, target: &str, detail: &str) {
        let accounts = self.accounts.clone();
        let (actor, target, detail) = (Actor::of(viewer, from), target.to_string(), detail.to_string());
        let written = tokio::task::spawn_blocking(move || {
            let recorded = accounts.configured().and_then(|configured| match configured {
                true => accounts.record(&actor, action, &target, &detail),
                false => Ok(()),
            });
            if let Err(e) = recorded {
                tracing::error!(error = %e, action = action.as_str(), "writing the audit log failed");
            }
        })
        .await;
        if let Err(e) = written {
            tracing::error!(error = %e, "writing the audit log failed");
        }
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(m) => ApiError::BadRequest(m),
            AccountError::NotFound(m) => ApiError::NotFound(m),
            AccountError::Exists(m) => ApiError::Conflict(m),
            AccountError::Storage(m) => ApiError::Internal(m),
        }
    }
}

/// How a signed-in request was authenticated, beside its viewer in the extensions.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The API token's scope; `None` for a session.
    pub scope: Option<Scope>,
    /// The session's CSRF token; `None` for a token.
    csrf: Option<String>,
}

/// The client's address, as the connection gives it (a proxy's `X-Forwarded-For` is
/// not believed: any client can write it, and it would escape the per-address lockout).
pub struct Client(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(Client(client_of(&parts.extensions)))
    }
}

/// The client address in a request's extensions (`inconnue` in process).
pub fn client_of(extensions: &axum::http::Extensions) -> String {
    extensions.get::<ConnectInfo<SocketAddr>>().map_or_else(|| "inconnue".to_string(), |c| c.0.ip().to_string())
}

fn refused(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError::Refused(status, message.into())
}

/// The viewer of a request that carries none yet (see the module's table), with how it
/// was authenticated; a bad token, a read-only token asked to change something or a
/// change without its CSRF token is refused here.
pub async fn identify(
    state: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Result<(Viewer, Option<Authenticated>), ApiError> {
    let changes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let administration = path == "/api/admin" || path.starts_with("/api/admin/");
    let gate = state.gate().clone();
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let secret =
            value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(|s| s.trim().to_string()).ok_or_else(
                || refused(StatusCode::UNAUTHORIZED, "en-tête Authorization : « Bearer <jeton> » attendu"),
            )?;
        let accounts = gate.accounts.clone();
        let found = blocking(move || Ok(accounts.token(&secret, now_seconds())?)).await?;
        let Some((principal, scope)) = found else {
            return Err(refused(StatusCode::UNAUTHORIZED, "jeton d'API inconnu, révoqué, ou d'un compte désactivé"));
        };
        if !scope.allows(changes, administration) {
            let what = if administration { "l'administration" } else { "une modification" };
            return Err(refused(
                StatusCode::FORBIDDEN,
                format!("jeton de portée « {} » : {what} lui est refusée", scope.as_str()),
            ));
        }
        return Ok((Viewer::Account(principal), Some(Authenticated { scope: Some(scope), csrf: None })));
    }
    let session = headers.get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(from_cookie_header);
    if let Some(id) = session {
        let (accounts, id) = (gate.accounts.clone(), id.to_string());
        if let Some((principal, csrf)) = blocking(move || Ok(accounts.session(&id, now_seconds())?)).await? {
            if changes && path != LOGIN_PATH {
                match headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
                    None => {
                        return Err(refused(
                            StatusCode::FORBIDDEN,
                            "jeton CSRF manquant : toute modification doit porter l'en-tête X-CSRF-Token de la session (donné par /api/auth/me)",
                        ));
                    }
                    Some(given) if !same_secret(&csrf, given) => {
                        return Err(refused(
                            StatusCode::FORBIDDEN,
                            "jeton CSRF invalide : il ne correspond pas à la session (rechargez la page)",
                        ));
                    }
                    Some(_) => {}
                }
            }
            return Ok((Viewer::Account(principal), Some(Authenticated { scope: None, csrf: Some(csrf) })));
        }
    }
    let embedded = echelle_platform::account::embedded(state.site().is_loopback(), gate.configured().await?);
    Ok((if embedded { Viewer::Local } else { Viewer::Public }, None))
}

/// Whether a path is an export (a file leaves the server): audited once answered.
pub fn is_export(path: &str) -> bool {
    path.starts_with("/api/export/")
        || (path.starts_with("/api/portrait/") && path.ends_with("/pdf"))
        || (path.starts_with("/api/studies/") && path.ends_with("/report"))
}

/// A login and its password (no `Debug`: never printed).
#[derive(Deserialize, ToSchema)]
pub struct Credentials {
    /// The account's login.
    pub login: String,
    /// Its password.
    pub password: String,
}

/// Who the request is made by, and what the page needs to act as them.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Me {
    /// The viewer: `local` (embedded mode), `public` or an account.
    pub viewer: Viewer,
    /// The session's CSRF token, to send in `X-CSRF-Token` on every change.
    pub csrf: Option<String>,
    /// The API token's scope, when the request carries one.
    pub scope: Option<Scope>,
    /// Whether the server has accounts (a login form is worth showing).
    pub accounts: bool,
}

#[utoipa::path(post, path = "/api/auth/login", tag = "accounts",
    summary = "Log in: opens a session (cookie) and gives its CSRF token",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in; the session cookie is set", body = Me),
        (status = 401, body = ErrorBody, description = "Wrong login or password"),
        (status = 429, body = ErrorBody, description = "Too many failures: wait (Retry-After) or locked")))]
pub async fn login(
    State(state): State<AppState>,
    Client(from): Client,
    JsonBody(credentials): JsonBody<Credentials>,
) -> Result<Response, ApiError> {
    let gate = state.gate().clone();
    let _turn = gate.hashing.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let accounts = gate.accounts.clone();
    let outcome =
        blocking(move || Ok(accounts.login(&credentials.login, &credentials.password, &from, now_millis())?)).await?;
    match outcome {
        Login::Opened(session, principal) => {
            gate.configured.store(true, Ordering::Relaxed);
            tracing::info!(login = %principal.login, "session opened");
            let me = Me { viewer: Viewer::Account(principal), csrf: Some(session.csrf), scope: None, accounts: true };
            let mut response = private(Json(me).into_response());
            let value = HeaderValue::from_str(&cookie(&session.id)).map_err(|e| ApiError::Internal(e.to_string()))?;
            response.headers_mut().insert(header::SET_COOKIE, value);
            Ok(response)
        }
        Login::Wrong => Err(refused(StatusCode::UNAUTHORIZED, "identifiant ou mot de passe incorrect")),
        Login::Throttled(verdict) => {
            let seconds = verdict.retry_after_seconds();
            let message = match verdict {
                echelle_platform::throttle::Verdict::Locked(_) => format!(
                    "trop d'échecs de connexion : connexion verrouillée, réessayez dans {} min",
                    seconds.div_ceil(60)
                ),
                _ => format!("trop de tentatives de connexion : réessayez dans {seconds} s"),
            };
            let mut response = refused(StatusCode::TOO_MANY_REQUESTS, message).into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            Ok(response)
        }
    }
}

#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    summary = "Log out: closes the session and clears its cookie (needs X-CSRF-Token)",
    responses((status = 204, description = "Signed out"), (status = 403, body = ErrorBody, description = "Missing or wrong CSRF token")))]
pub async fn logout(
    State(state): State<AppState>,
    Client(from): Client,
    request: Request,
) -> Result<Response, ApiError> {
    let id = request.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()).and_then(from_cookie_header);
    if let Some(id) = id.map(str::to_string) {
        let accounts = state.gate().accounts.clone();
        blocking(move || Ok(accounts.logout(&id, &from)?)).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, HeaderValue::from_str(&cleared_cookie()).expect("ASCII"));
    Ok(response)
}

#[utoipa::path(get, path = "/api/auth/me", tag = "accounts",
    summary = "Who am I: the viewer, and the session's CSRF token",
    responses((status = 200, description = "The viewer", body = Me)))]
pub async fn me(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    request: Request,
) -> Result<Response, ApiError> {
    let how = request.extensions().get::<Authenticated>().cloned();
    let accounts = matches!(viewer.0, Viewer::Account(_)) || state.gate().configured().await?;
    let me = Me {
        viewer: viewer.0,
        csrf: how.as_ref().and_then(|h| h.csrf.clone()),
        scope: how.and_then(|h| h.scope),
        accounts,
    };
    Ok(private(Json(me).into_response()))
}

/// An answer that carries a session's secrets: kept by no cache.
fn private(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The actor of an administration request, or 403.
fn administrator(viewer: &crate::viewer::Viewer, from: &str) -> Result<Actor, ApiError> {
    if viewer.0.is_admin() {
        Ok(Actor::of(&viewer.0, from))
    } else {
        Err(refused(StatusCode::FORBIDDEN, "réservé aux administrateurs"))
    }
}

#[utoipa::path(get, path = "/api/admin/accounts", tag = "accounts", summary = "Every account (administrators)",
    responses((status = 200, description = "Accounts by login", body = [Account]), (status = 403, body = ErrorBody, description = "Not an administrator")))]
pub async fn accounts(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
) -> Result<Json<Vec<Account>>, ApiError> {
    administrator(&viewer, &from)?;
    let accounts = state.gate().accounts.clone();
    Ok(Json(blocking(move || Ok(accounts.accounts()?)).await?))
}

/// A new account and its first password (no `Debug`: never printed).
#[derive(Deserialize, ToSchema)]
pub struct NewAccountRequest {
    /// 2 to 64 of a-z, 0-9, `.`, `-`, `_`, `@`.
    pub login: String,
    /// Its organisation (required for analysts).
    pub org: Option<String>,
    /// Its role.
    pub role: Role,
    /// At least 12 characters.
    pub password: String,
}

#[utoipa::path(post, path = "/api/admin/accounts", tag = "accounts", summary = "Create an account (administrators)",
    request_body = NewAccountRequest,
    responses((status = 201, description = "Created", body = Account), (status = 400, body = ErrorBody, description = "Bad login or password too short"),
        (status = 404, body = ErrorBody, description = "Unknown organisation"), (status = 409, body = ErrorBody, description = "Login taken")))]
pub async fn add_account(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    JsonBody(new): JsonBody<NewAccountRequest>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let by = administrator(&viewer, &from)?;
    let gate = state.gate().clone();
    let _turn = gate.hashing.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let accounts = gate.accounts.clone();
    let account = blocking(move || {
        let description = NewAccount { login: new.login, org: new.org, role: new.role };
        Ok(accounts.add_account(&description, &new.password, &by)?)
    })
    .await?;
    gate.configured.store(true, Ordering::Relaxed);
    Ok((StatusCode::CREATED, Json(account)))
}

/// A change of an account (no `Debug`: never printed).
#[derive(Deserialize, ToSchema)]
pub struct AccountChange {
    /// Disable (true) or enable again (false).
    pub disabled: Option<bool>,
    /// A new password (at least 12 characters); the account's sessions are closed.
    pub password: Option<String>,
}

#[utoipa::path(patch, path = "/api/admin/accounts/{login}", tag = "accounts",
    summary = "Disable or enable an account, or set its password (administrators)",
    params(("login" = String, Path, description = "The account's login")), request_body = AccountChange,
    responses((status = 200, description = "The account as it is now", body = Account), (status = 404, body = ErrorBody, description = "No such account")))]
pub async fn change_account(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    Path(login): Path<String>,
    JsonBody(change): JsonBody<AccountChange>,
) -> Result<Json<Account>, ApiError> {
    let by = administrator(&viewer, &from)?;
    let gate = state.gate().clone();
    let _turn = gate.hashing.acquire().await.map_err(|e| ApiError::Internal(e.to_string()))?;
    let accounts = gate.accounts.clone();
    Ok(Json(
        blocking(move || {
            if let Some(password) = &change.password {
                accounts.set_password(&login, password, &by)?;
            }
            Ok(match change.disabled {
                Some(d) => accounts.set_disabled(&login, d, &by)?,
                None => accounts.account(&login)?,
            })
        })
        .await?,
    ))
}

#[utoipa::path(get, path = "/api/admin/organisations", tag = "accounts", summary = "Every organisation (administrators)",
    responses((status = 200, description = "Organisations by id", body = [Organisation]), (status = 403, body = ErrorBody, description = "Not an administrator")))]
pub async fn organisations(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
) -> Result<Json<Vec<Organisation>>, ApiError> {
    administrator(&viewer, &from)?;
    let accounts = state.gate().accounts.clone();
    Ok(Json(blocking(move || Ok(accounts.organisations()?)).await?))
}

#[utoipa::path(post, path = "/api/admin/organisations", tag = "accounts", summary = "Create an organisation (administrators)",
    request_body = Organisation,
    responses((status = 201, description = "Created", body = Organisation), (status = 400, body = ErrorBody, description = "Bad id or name"), (status = 409, body = ErrorBody, description = "Id taken")))]
pub async fn add_organisation(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    JsonBody(org): JsonBody<Organisation>,
) -> Result<(StatusCode, Json<Organisation>), ApiError> {
    let by = administrator(&viewer, &from)?;
    let accounts = state.gate().accounts.clone();
    let org = blocking(move || Ok(accounts.add_organisation(&org.id, &org.name, &by)?)).await?;
    Ok((StatusCode::CREATED, Json(org)))
}

/// Which tokens to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokensQuery {
    /// One account's only.
    pub login: Option<String>,
}

#[utoipa::path(get, path = "/api/admin/tokens", tag = "accounts", summary = "API tokens, without their secrets (administrators)",
    params(TokensQuery),
    responses((status = 200, description = "Tokens, newest first", body = [TokenInfo]), (status = 403, body = ErrorBody, description = "Not an administrator")))]
pub async fn tokens(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    Query(q): Query<TokensQuery>,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    administrator(&viewer, &from)?;
    let accounts = state.gate().accounts.clone();
    Ok(Json(blocking(move || Ok(accounts.tokens(q.login.as_deref())?)).await?))
}

/// A token to create.
#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    /// The account it acts as.
    pub login: String,
    /// What it is for.
    pub name: String,
    /// What it may do (`admin`: administrators' accounts only).
    pub scope: Scope,
}

/// A token created: its secret, shown this once.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    /// The secret, for `Authorization: Bearer …`; not kept by the server.
    pub token: String,
    /// What is listed of it.
    pub info: TokenInfo,
}

#[utoipa::path(post, path = "/api/admin/tokens", tag = "accounts", summary = "Create an API token; its secret is shown once (administrators)",
    request_body = NewToken,
    responses((status = 201, description = "Created", body = CreatedToken), (status = 400, body = ErrorBody, description = "Admin scope for a non-administrator, or bad name"), (status = 404, body = ErrorBody, description = "No such account")))]
pub async fn add_token(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    JsonBody(new): JsonBody<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let by = administrator(&viewer, &from)?;
    let accounts = state.gate().accounts.clone();
    let (token, info) = blocking(move || Ok(accounts.create_token(&new.login, &new.name, new.scope, &by)?)).await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, info })))
}

#[utoipa::path(delete, path = "/api/admin/tokens/{id}", tag = "accounts", summary = "Revoke an API token (administrators)",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked"), (status = 404, body = ErrorBody, description = "No such token, or already revoked")))]
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let by = administrator(&viewer, &from)?;
    let accounts = state.gate().accounts.clone();
    blocking(move || Ok(accounts.revoke_token(&id, &by)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lines of the audit log asked by an administrator.
async fn audit_lines(
    state: &AppState,
    viewer: &crate::viewer::Viewer,
    from: &str,
    q: AuditQuery,
) -> Result<Vec<AuditEntry>, ApiError> {
    administrator(viewer, from)?;
    if q.limit.is_some_and(|l| l > MAX_AUDIT_LINES) {
        return Err(ApiError::BadRequest(format!("limit : au plus {MAX_AUDIT_LINES} lignes")));
    }
    let accounts = state.gate().accounts.clone();
    blocking(move || Ok(accounts.audit(&q)?)).await
}

#[utoipa::path(get, path = "/api/admin/audit", tag = "accounts", summary = "The audit log, newest first (administrators)",
    params(AuditQuery),
    responses((status = 200, description = "Lines of the log", body = [AuditEntry]), (status = 403, body = ErrorBody, description = "Not an administrator")))]
pub async fn audit(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    Ok(Json(audit_lines(&state, &viewer, &from, q).await?))
}

#[utoipa::path(get, path = "/api/admin/audit.csv", tag = "accounts", summary = "The audit log as CSV, newest first (administrators)",
    params(AuditQuery),
    responses((status = 200, description = "RFC 4180 CSV, UTF-8, as an attachment", content_type = "text/csv", body = String), (status = 403, body = ErrorBody, description = "Not an administrator")))]
pub async fn audit_csv(
    State(state): State<AppState>,
    viewer: crate::viewer::Viewer,
    Client(from): Client,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let lines = audit_lines(&state, &viewer, &from, q).await?;
    let mut csv = echelle_report::csv::Writer::new(Vec::new(), echelle_report::csv::Dialect::Plain)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let write = |r: std::io::Result<()>| r.map_err(|e| ApiError::Internal(e.to_string()));
    write(csv.texts(echelle_platform::audit::COLUMNS))?;
    for line in &lines {
        write(csv.texts(line.cells()))?;
    }
    let bytes = csv.finish().map_err(|e| ApiError::Internal(e.to_string()))?;
    let name = format!("journal-audit-{}.csv", echelle_report::Date::today().iso());
    Ok(crate::export::attachment(bytes, "text/csv; charset=utf-8", &name))
}
