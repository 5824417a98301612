//! The pool for CPU work: every heavy part of a request (engine evaluations, flow
//! matrices, shapes unions, exports, searches) runs here, never on the async workers
//! that accept connections and answer `/health` and `/ready`.
//!
//! ```text
//!  handler ──admit (503 + Retry-After when RUNNING + QUEUED are taken)──> queue
//!          ──wait for one of RUNNING permits──> task on the work runtime (own threads)
//!  client gone / request timeout ──> handler future dropped ──> task aborted at its
//!          next await, or its Stop flag set for blocking steps; queued work never starts
//! ```
//!
//! The work runtime is a Tokio runtime of its own: an indicator evaluation or a
//! blocking step there blocks none of the threads that serve connections.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::ApiError;

/// Requests whose heavy part runs at once: by default one per core, at least 2.
pub fn default_running() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).max(2)
}

/// Requests waiting for a running slot; beyond, the server answers 503.
pub const QUEUED: usize = 64;

/// Seconds a client is told to wait before retrying when the queue is full.
pub const RETRY_AFTER_SECONDS: u64 = 2;

/// The limits of the pool.
#[derive(Debug, Clone, Copy)]
pub struct WorkConfig {
    /// Threads of the work runtime, and requests whose heavy part runs at once.
    pub running: usize,
    /// Requests waiting for a slot.
    pub queued: usize,
}

impl Default for WorkConfig {
    fn default() -> Self {
        WorkConfig { running: default_running(), queued: QUEUED }
    }
}

/// The work runtime, shut down without waiting when the last state goes (a runtime
/// may not be dropped from inside another one).
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// The pool: its runtime and the permits of admission and running.
#[derive(Clone)]
pub struct Work {
    /// Kept alive while any clone of the pool lives.
    _runtime: Arc<Runtime>,
    handle: tokio::runtime::Handle,
    /// Running plus queued: taken on arrival, refused when none is left.
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
    config: WorkConfig,
}

/// Set when the request that asked for a blocking step is gone: the step may stop
/// between two parts of its work.
#[derive(Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    /// True once the request is gone (client left or timeout): a long step may stop early.
    pub fn stopped(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Aborts a task (and sets its stop flag) when the request waiting for it goes.
struct Abort<T> {
    task: JoinHandle<T>,
    stop: Stop,
}

impl<T> Drop for Abort<T> {
    fn drop(&mut self) {
        self.stop.0.store(true, Ordering::Relaxed);
        self.task.abort();
    }
}

impl Work {
    /// Starts the pool's own runtime, sized by `config`.
    pub fn new(config: WorkConfig) -> Result<Work, ApiError> {
        let running = config.running.max(1);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(running)
            .max_blocking_threads(running.max(2) * 2)
            .thread_name("echelle-work")
            .enable_all()
            .build()
            .map_err(|e| ApiError::Internal(format!("work runtime: {e}")))?;
        Ok(Work {
            handle: runtime.handle().clone(),
            _runtime: Arc::new(Runtime(Some(runtime))),
            admitted: Arc::new(Semaphore::new(running + config.queued)),
            running: Arc::new(Semaphore::new(running)),
            config: WorkConfig { running, ..config },
        })
    }

    /// A place in the pool: at once, or [`ApiError::Busy`] when it is full.
    async fn permit(&self) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), ApiError> {
        let admitted = self.admitted.clone().try_acquire_owned().map_err(|_| ApiError::Busy)?;
        let running = self.running.clone().acquire_owned().await.map_err(|_| ApiError::Busy)?;
        Ok((admitted, running))
    }

    /// Runs a request's heavy part on the work runtime once admitted; aborted at its
    /// next await when the caller is dropped.
    pub async fn run<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let permits = self.permit().await?;
        let task = self.handle.spawn(async move {
            let _permits = permits;
            work.await
        });
        join(Abort { task, stop: Stop::default() }).await
    }

    /// Runs a blocking step once admitted, on the work runtime's blocking threads;
    /// `Stop` is set when the caller is dropped (the step may check it between parts).
    pub async fn run_blocking<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Stop) -> Result<T, ApiError> + Send + 'static,
    {
        let permits = self.permit().await?;
        let stop = Stop::default();
        let flag = stop.clone();
        let task = self.handle.spawn_blocking(move || {
            let _permits = permits;
            if flag.stopped() {
                return Err(ApiError::Internal("work stopped before it started: the request is gone".into()));
            }
            work(&flag)
        });
        join(Abort { task, stop }).await
    }

    /// Runs work of the server itself (an engine reload, the materialisation of the
    /// values) on the work runtime, outside the request queue.
    pub fn spawn<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(work)
    }

    /// Like [`Work::spawn`], waiting for the result.
    pub async fn background<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        join(Abort { task: self.spawn(work), stop: Stop::default() }).await
    }

    /// Requests whose heavy part is running or waiting.
    pub fn in_use(&self) -> usize {
        self.config.running + self.config.queued - self.admitted.available_permits()
    }
}

/// Runs a handler's heavy part in the state's pool, encoding its answer there too (a
/// large JSON is written off the async workers): `respond(state.clone(), async move { … })`.
pub async fn respond<R, F>(state: crate::AppState, work: F) -> Result<Response, ApiError>
where
    R: IntoResponse,
    F: Future<Output = Result<R, ApiError>> + Send + 'static,
{
    state.work().run(async move { work.await.map(IntoResponse::into_response) }).await
}

async fn join<T>(mut abort: Abort<Result<T, ApiError>>) -> Result<T, ApiError> {
    match (&mut abort.task).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => Err(ApiError::Internal(format!("work panicked: {e}"))),
        Err(e) => Err(ApiError::Internal(format!("work cancelled: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn full_pool_is_busy_and_gone_callers_free_their_place() {
        let work = Work::new(WorkConfig { running: 1, queued: 1 }).unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let running = {
            let w = work.clone();
            tokio::spawn(async move { w.run(async move { rx.await.map_err(|_| ApiError::Busy) }).await })
        };
        while work.in_use() < 1 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let w = work.clone();
            tokio::spawn(async move { w.run(async { Ok(1) }).await })
        };
        while work.in_use() < 2 {
            tokio::task::yield_now().await;
        }
        assert!(matches!(work.run(async { Ok(2) }).await, Err(ApiError::Busy)), "running and queue full");
        queued.abort();
        let _ = queued.await;
        assert_eq!(work.in_use(), 1, "a queued caller gone frees its place");
        tx.send(()).unwrap();
        running.await.unwrap().unwrap();
        assert!(work.run_blocking(|s| Ok(!s.stopped())).await.unwrap());
        assert_eq!(work.in_use(), 0);
    }
}
