//! State shared by all connections of one emulator.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_util::task::TaskTracker;

use crate::auth::Verifier;
use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::log::RequestLog;
use crate::rate_limit::RateLimiter;
use crate::state::Store;
use crate::webhooks::Webhooks;

/// Everything a request handler may need.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub config: EmulatorConfig,
    /// Checks `Authorization` headers (caches verified app tokens).
    pub auth: Verifier,
    pub base_url: String,
    pub store: Mutex<Store>,
    pub faults: Faults,
    pub log: RequestLog,
    pub webhooks: Webhooks,
    pub last_batch: Mutex<Option<Instant>>,
    /// The app's rate limit, if configured.
    pub rate_limiter: Option<RateLimiter>,
    /// `/v1` requests received (counted before any fault applies).
    pub received: AtomicU64,
    /// `/v1` requests fully handled (answered, failed or dropped).
    pub handled: AtomicU64,
    /// Woken whenever `received` or `handled` grows.
    pub progress: Notify,
    /// Every task the emulator spawns besides its accept loop (which its
    /// handle awaits directly): connections, delayed requests, webhook
    /// delivery and the webhook client's own connections. Each is started
    /// by [`spawn_until_stopped`], so a shutdown can wait for all of them.
    pub tasks: TaskTracker,
    /// Turns `true` (or its sender is dropped) when the emulator stops.
    pub stopped: watch::Receiver<bool>,
    /// Stored items examined by list operations: a work counter showing
    /// that a page costs O(page), whatever its position.
    pub list_visits: AtomicU64,
    /// Failed `accept` calls (see [`crate::Emulator::accept_errors`]).
    pub accept_errors: AtomicU64,
}

impl Ctx {
    /// A context with the default configuration and no server, for unit
    /// tests of handlers.
    #[cfg(test)]
    pub fn for_tests() -> Self {
        let config = EmulatorConfig::default();
        Ctx {
            auth: Verifier::new(&config.app_id, &config.secret_key),
            config,
            base_url: "http://127.0.0.1:0".into(),
            store: Mutex::new(Store::new(1)),
            faults: Faults::default(),
            log: RequestLog::new(0, 0, 0),
            webhooks: Webhooks::default(),
            last_batch: Mutex::new(None),
            rate_limiter: None,
            received: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            progress: Notify::new(),
            tasks: TaskTracker::new(),
            // No server to stop: reads as stopped (its sender is gone).
            stopped: watch::channel(false).1,
            list_visits: AtomicU64::new(0),
            accept_errors: AtomicU64::new(0),
        }
    }

    /// Resolves once the emulator stops: its handle sent the signal or was
    /// dropped. Work that must not happen after a shutdown races this.
    pub async fn stopping(&self) {
        until_stopped(self.stopped.clone()).await;
    }

    /// [`spawn_until_stopped`] on this emulator's tasks.
    pub fn spawn_until_stopped<F>(&self, work: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        spawn_until_stopped(&self.tasks, self.stopped.clone(), work)
    }

    /// Counts one `/v1` request received.
    pub fn count_received(&self) {
        self.received.fetch_add(1, Ordering::SeqCst);
        self.progress.notify_waiters();
    }

    /// Counts one stored item examined by a list operation.
    pub fn visit(&self) {
        self.list_visits.fetch_add(1, Ordering::Relaxed);
    }

    /// Forgets everything a client did: the stored data (users,
    /// conversations, messages, files, presence, sessions, notifications,
    /// app metadata, idempotency keys), the request and webhook logs, the
    /// queued faults and fault rate, the batch limiter's last batch, and
    /// the rate limit's spent tokens (the bucket is full again). Counters,
    /// the configuration and events already queued for delivery stay.
    pub fn reset(&self) {
        *self.store() = Store::new(crate::ids::time_seed());
        self.log.clear();
        self.webhooks.log.clear();
        self.faults.clear();
        *self.last_batch.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if let Some(limiter) = &self.rate_limiter {
            limiter.refill();
        }
    }

    /// The store; a panicked holder cannot leave it half-written because
    /// handlers validate everything before mutating, so poison is ignored.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Resolves once `stopped` turns `true` or its sender is dropped.
pub(crate) async fn until_stopped(mut stopped: watch::Receiver<bool>) {
    // An error means the sender is gone: the handle was dropped.
    let _ = stopped.wait_for(|stopped| *stopped).await;
}

/// Runs `work` as a task of `tasks` until it ends (`Some` of its output) or
/// the emulator stops (`None`: `work` is dropped where it stands). When
/// both are ready at once the stop wins, so nothing starts after it.
pub(crate) fn spawn_until_stopped<F>(
    tasks: &TaskTracker,
    stopped: watch::Receiver<bool>,
    work: F,
) -> JoinHandle<Option<F::Output>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tasks.spawn(async move {
        tokio::select! {
            biased;
            () = until_stopped(stopped) => None,
            output = work => Some(output),
        }
    })
}

/// Counts a `/v1` request as handled when dropped, however its handling
/// ends (answer, fault, or the connection task being aborted).
pub(crate) struct HandledGuard(pub std::sync::Arc<Ctx>);

impl Drop for HandledGuard {
    fn drop(&mut self) {
        self.0.handled.fetch_add(1, Ordering::SeqCst);
        self.0.progress.notify_waiters();
    }
}
