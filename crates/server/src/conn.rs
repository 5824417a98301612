//! The connection loop: HTTP/1.1 through hyper with a header-read timeout (which
//! also closes keep-alive connections idle that long), a cap on open connections,
//! and graceful shutdown (requests in flight are finished).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// A client has this long to send a request's headers, and a keep-alive connection
/// waits this long for the next request, before it is closed.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections open at once; beyond, new ones wait in the listening socket's backlog.
pub const MAX_CONNECTIONS: usize = 512;

/// Bytes of a request's line and headers read at most (hyper answers 431 beyond).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// How long in-flight requests are given at shutdown.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The limits of the connection loop.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    /// A client that has not sent its request head within this time is disconnected.
    pub header_read_timeout: Duration,
    /// Connections served at once; beyond, new ones wait in the socket backlog.
    pub max_connections: usize,
}

impl Default for Connections {
    fn default() -> Self {
        Connections { header_read_timeout: HEADER_READ_TIMEOUT, max_connections: MAX_CONNECTIONS }
    }
}

/// Serves `router` on `listener` until `shutdown` completes, then waits (at most
/// [`SHUTDOWN_GRACE`]) for the connections' requests in flight.
pub async fn serve_connections(
    listener: TcpListener,
    router: Router,
    limits: Connections,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let open = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => p.expect("connection semaphore never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, say: wait instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer's address, for the per-address login throttle and the audit log.
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                request
            },
        ));
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection closed");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("requests still in flight after the grace period"),
    }
    Ok(())
}
