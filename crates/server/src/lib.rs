//! The observatory over HTTP.
//!
//! ```text
//!  browser / QGIS / scripts ──HTTP──> axum router ──> handlers ──> Engine (indicators)
//!                                        │                           └─> Referential
//!                                        └── static web application (web/dist)
//! ```
//!
//! Every error is a JSON object `{"error": "…"}` with a 4xx status when the request
//! is at fault (`{"error": "…", "id": "…"}` for a failure of the server, whose cause
//! is logged under that id); the state is swapped whole after a change of the store, by
//! one writer, so readers never see half an update (see `state`). The heavy part of
//! every request runs in a bounded pool ([`work`]), connections are bounded ([`conn`])
//! and only the allowed `Host` values are answered ([`site`]).

mod access;
mod api;
mod auth;
pub mod conn;
mod desk;
mod error;
mod export;
mod extract;
mod flows;
mod geojson;
mod guarantees;
mod guard;
mod headers;
mod mvt;
mod ogc;
mod openapi;
mod retail;
mod shapes;
mod site;
mod siting;
mod state;
mod studies;
mod tiles;
mod trace;
pub mod values;
mod viewer;
mod visibility;
pub mod work;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::services::{ServeDir, ServeFile};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use auth::{Authenticated, Gate, LOGIN_PATH, client_of};
pub use conn::Connections;
pub use desk::mail::{SmtpConfig, send_due};
pub use desk::remind_due;
pub use error::{ApiError, ErrorBody};
pub use export::postgis::public_layers;
pub use openapi::{document_json as openapi_json, document_value as openapi_document};
pub use shapes::layer_shapes_async;
pub use site::Site;
pub use state::AppState;
pub use work::WorkConfig;

/// Where and what to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The store's folder.
    pub store: PathBuf,
    /// Address and port to listen on.
    pub addr: SocketAddr,
    /// The built web application (`web/dist`); `None` serves the API alone.
    pub web: Option<PathBuf>,
    /// A request taking longer is answered 408 and dropped.
    pub request_timeout: Duration,
    /// Facility point files offered by the access view: (name, path).
    pub facilities: Vec<(String, PathBuf)>,
    /// `Host` values answered besides loopback (`NAME` or `NAME:PORT`).
    pub allowed_hosts: Vec<String>,
    /// The URL clients reach the server at, for absolute links; by default the
    /// listening address.
    pub public_url: Option<String>,
    /// Header-read timeout and connection cap.
    pub connections: Connections,
    /// Size of the pool that runs the heavy part of requests, and of its queue.
    pub work: WorkConfig,
    /// The SMTP relay the desk's e-mails go through; without one they wait in the outbox.
    pub smtp: Option<SmtpConfig>,
    /// How often the catalog's version is read, to pick up changes made by other
    /// processes (with PostgreSQL, notifications bring them at once; this is the fallback).
    pub poll_interval: Duration,
}

/// The default of [`ServeConfig::poll_interval`].
pub const POLL_INTERVAL: Duration = Duration::from_secs(5);

/// Bytes of a request body read at most, except a table export's
/// ([`export::table::MAX_BODY`]); beyond, a 413.
pub const MAX_BODY: usize = 64 * 1024;

/// The router: API under `/api`, health probes, the web application at `/`.
pub fn app(state: AppState, web: Option<PathBuf>, timeout: Duration) -> Router {
    // A desk request carries its attachments.
    let submission = DefaultBodyLimit::max(desk::MAX_SUBMISSION_BYTES);
    let api = Router::new()
        .route("/layers", get(api::layers))
        .route("/search", get(api::search))
        .route("/territories", get(api::territories))
        .route("/territory/{key}", get(api::territory))
        .route("/territory/{key}/members", get(api::members))
        .route("/indicators", get(api::indicators))
        .route("/values", get(api::values))
        .route("/portrait/{key}", get(api::portrait))
        .route("/portrait/{key}/pdf", get(export::portrait_pdf))
        .route("/export/table", export::table_route())
        .route("/export/layer", get(export::layer::export))
        .route("/compare", get(api::compare))
        .route("/perimeters", post(api::add_perimeter).layer(DefaultBodyLimit::max(MAX_BODY)))
        .route("/perimeters/{key}", delete(api::remove_perimeter))
        .route("/feature-ids", get(shapes::feature_ids))
        .route("/shapes", get(shapes::geojson))
        .route("/flows/datasets", get(flows::datasets))
        .route("/flows/lines", get(flows::lines))
        .route("/flows/matrix", get(flows::matrix_table))
        .route("/flows/summary/{key}", get(flows::summary))
        .route("/flows/into/{key}", get(flows::into))
        .route("/flows/distances/{key}", get(flows::distances))
        .route("/flows/vulnerability/{key}", get(flows::vulnerability_of))
        .route("/flows/telework/{key}", get(flows::telework_of))
        .route("/access/facilities", get(access::facility_sets))
        .route("/access/times", get(access::times))
        .route("/access/diagnose/{key}", get(access::diagnose))
        .route("/guarantees/check", post(guarantees::check))
        .route("/guarantees/exposure", get(guarantees::exposure))
        .route("/guarantees/beneficiaries", get(guarantees::beneficiaries))
        .route("/guarantees/stress", get(guarantees::stress))
        .route("/siting/study", post(siting::study))
        .route("/siting/export", post(siting::export))
        .route("/retail/inventory", get(retail::inventory))
        .route("/retail/change", get(retail::change))
        .route("/retail/projects", get(retail::projects))
        .route("/retail/shops", get(retail::shops))
        .route("/retail/shops.geojson", get(retail::shops_geojson))
        .route("/retail/densities", get(retail::densities))
        .route("/auth/login", post(auth::login))
        .route("/auth/logout", post(auth::logout))
        .route("/auth/me", get(auth::me))
        .route("/admin/accounts", get(auth::accounts).post(auth::add_account))
        .route("/admin/accounts/{login}", patch(auth::change_account))
        .route("/admin/organisations", get(auth::organisations).post(auth::add_organisation))
        .route("/admin/tokens", get(auth::tokens).post(auth::add_token))
        .route("/admin/tokens/{id}", delete(auth::revoke_token))
        .route("/admin/audit", get(auth::audit))
        .route("/admin/audit.csv", get(auth::audit_csv))
        .route("/desk/requests", get(desk::list).post(desk::submit).layer(submission))
        .route("/desk/public", post(desk::submit_public).layer(submission))
        .route("/desk/follow/{secret}", get(desk::follow))
        .route("/desk/follow/{secret}/confirm", post(desk::confirm))
        .route("/desk/follow/{secret}/steps", post(desk::follow_step))
        .route("/desk/requests/{id}", get(desk::get_case))
        .route("/desk/requests/{id}/steps", post(desk::step))
        .route("/desk/requests/{id}/attachments/{n}", get(desk::attachment))
        .route("/desk/requests/{id}/suggestions", get(desk::suggestions))
        .route("/desk/indicators", get(desk::indicators))
        .route("/desk/contact", put(desk::set_contact))
        .route("/studies", get(studies::list).post(studies::create))
        .route("/studies/{id}", get(studies::get_study).put(studies::save))
        .route("/studies/{id}/versions/{version}", get(studies::version))
        .route("/studies/{id}/comments", post(studies::comment))
        .route("/studies/{id}/report", get(studies::report))
        .route("/openapi.json", get(openapi::document))
        .fallback(api::not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY));
    let admit = axum::middleware::from_fn_with_state(state.clone(), guard::admit);
    let identify = axum::middleware::from_fn_with_state(state.clone(), viewer::identify);
    let mut router = Router::new()
        .nest("/api", api)
        .route("/health", get(api::health))
        .route("/ready", get(api::ready))
        .merge(tiles::routes())
        .merge(ogc::routes())
        .with_state(state);
    if let Some(web) = web {
        let index = web.join("index.html");
        router = router.fallback_service(ServeDir::new(&web).fallback(ServeFile::new(index)));
    }
    router
        .layer(identify)
        .layer(CatchPanicLayer::new())
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::REQUEST_TIMEOUT, timeout))
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(admit)
        .layer(axum::middleware::map_response(headers::secure))
        .layer(TraceLayer::new(trace::Failures))
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn serve(config: ServeConfig) -> Result<(), ApiError> {
    // A server others can reach wants accounts: without one, everyone would be the local
    // user. Checked before listening.
    let accounts = Gate::of_store(&config.store, &Default::default())?.configured().await?;
    echelle_platform::account::may_serve(config.addr.ip(), accounts)?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| ApiError::Internal(format!("cannot listen on {}: {e}", config.addr)))?;
    let local = listener.local_addr().map_err(|e| ApiError::Internal(e.to_string()))?;
    let site = Site::new(local, config.public_url.as_deref(), &config.allowed_hosts)?;
    let state = AppState::open_with(&config.store, config.work).await?.with_site(site);
    for (name, path) in &config.facilities {
        state.register_facilities(name, path.clone())?;
    }
    let warm = state.clone();
    state.work().spawn(async move {
        // Build every layer's shapes once the values are in, so no visitor waits for a union.
        warm.ready().await;
        for layer in shapes::SHAPED {
            let started = std::time::Instant::now();
            match shapes::layer_shapes_async(&warm, layer).await {
                Ok(s) => tracing::info!(
                    layer = layer.prefix(),
                    shapes = s.shapes.len(),
                    seconds = started.elapsed().as_secs_f64(),
                    "shapes ready"
                ),
                Err(e) => tracing::warn!(layer = layer.prefix(), error = %e, "no shapes"),
            }
        }
    });
    match &config.smtp {
        Some(smtp) => desk::mail::spawn(state.clone(), smtp.clone()),
        None => tracing::info!("no SMTP relay (--smtp): the desk's e-mails wait in the outbox"),
    }
    if state.follow_notifications()? {
        tracing::info!("catalog in PostgreSQL: changes by other processes are read as soon as notified");
    }
    let watched = state.clone();
    let poll = config.poll_interval.max(Duration::from_millis(100));
    tokio::spawn(async move {
        // A dataset or catalog imported while serving is picked up within seconds: the
        // catalog's version is one read.
        let mut every = tokio::time::interval(poll);
        loop {
            every.tick().await;
            let checked = watched.clone();
            let reloaded = watched.work().background(async move { checked.reload_if_changed().await }).await;
            if let Err(e) = reloaded {
                tracing::warn!(error = %e, "checking the store for changes failed");
            }
        }
    });
    let url = state.site().url("");
    tracing::info!(%local, %url, "echelle serving");
    println!("echelle: observatory at {url}/ (API at {url}/api/openapi.json)");
    let router = app(state, config.web, config.request_timeout);
    conn::serve_connections(listener, router, config.connections, shutdown())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
