//! The running emulator: start, addresses, shutdown, fault injection, the
//! request log and state inspection for tests.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::auth::Verifier;
use crate::config::EmulatorConfig;
use crate::ctx::Ctx;
use crate::faults::{Fault, FaultCounts, Faults};
use crate::ids::time_seed;
use crate::log::{RequestLog, RequestRecord};
use crate::state::Store;
use crate::webhooks::Webhooks;

/// A TalkJS REST API emulator serving on a local port. Stops when dropped
/// or on [`Emulator::shutdown`].
#[derive(Debug)]
pub struct Emulator {
    ctx: Arc<Ctx>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds the configured address (default `127.0.0.1:0`) and starts
    /// serving on the current Tokio runtime.
    pub async fn start(config: EmulatorConfig) -> io::Result<Emulator> {
        let listener = TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let webhooks = Webhooks::start(
            config.webhook_url.clone(),
            config.secret_key.clone(),
            config.webhook_retry_delay,
        );
        let ctx = Arc::new(Ctx {
            auth: Verifier::new(&config.app_id, &config.secret_key),
            base_url: format!("http://{addr}"),
            store: Mutex::new(Store::new(time_seed())),
            faults: Faults::default(),
            log: RequestLog::new(config.request_log_capacity),
            webhooks,
            last_batch: Mutex::new(None),
            handled: AtomicU64::new(0),
            handled_notify: Notify::new(),
            list_visits: AtomicU64::new(0),
            config,
        });
        let (shutdown, rx) = watch::channel(false);
        let task = tokio::spawn(crate::server::serve(listener, ctx.clone(), rx));
        Ok(Emulator {
            ctx,
            addr,
            shutdown,
            task: Some(task),
        })
    }

    /// The address actually bound.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`, without a path.
    pub fn base_url(&self) -> &str {
        &self.ctx.base_url
    }

    /// `{base_url}/v1/{app_id}`: the base URL a TalkJS client needs.
    pub fn api_url(&self) -> String {
        format!("{}/v1/{}", self.ctx.base_url, self.ctx.config.app_id)
    }

    /// The app id served.
    pub fn app_id(&self) -> &str {
        &self.ctx.config.app_id
    }

    /// The secret key accepted.
    pub fn secret_key(&self) -> &str {
        &self.ctx.config.secret_key
    }

    /// Stops accepting connections, closes open ones and waits for the
    /// accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Applies `fault` to the next `/v1/...` request.
    pub fn inject_fault(&self, fault: Fault) {
        self.ctx.faults.push(fault, 1);
    }

    /// Applies `fault` to each of the next `n` `/v1/...` requests.
    pub fn inject_faults(&self, fault: Fault, n: usize) {
        self.ctx.faults.push(fault, n);
    }

    /// After queued faults run out, applies a fault drawn from `kinds` to
    /// each request with probability `rate`, reproducibly for a `seed`.
    pub fn set_fault_rate(&self, rate: f64, kinds: Vec<Fault>, seed: u64) {
        self.ctx.faults.set_rate(rate, kinds, seed);
    }

    /// Drops queued faults and the fault rate.
    pub fn clear_faults(&self) {
        self.ctx.faults.clear();
    }

    /// Counters of injected faults, by kind.
    pub fn fault_counts(&self) -> FaultCounts {
        self.ctx.faults.counts()
    }

    /// How many `/v1/...` requests have been fully handled: answered,
    /// refused by a fault, or dropped (also after a client gave up waiting).
    pub fn handled_count(&self) -> u64 {
        self.ctx.handled.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` `/v1/...` requests have been handled, e.g.
    /// for a delayed request whose client timed out. Wrap it in a timeout.
    pub async fn wait_until_handled(&self, n: u64) {
        loop {
            let woken = self.ctx.handled_notify.notified();
            tokio::pin!(woken);
            // Register before checking, so a wake-up in between is not lost.
            woken.as_mut().enable();
            if self.handled_count() >= n {
                return;
            }
            woken.await;
        }
    }

    /// Requests received so far (oldest first, bounded by the configured
    /// capacity), including those a fault hit.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.ctx.log.snapshot()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        self.ctx.log.clear();
    }

    /// Every stored message of a conversation, oldest first, as the API
    /// shows them (empty for an unknown conversation).
    pub fn messages(&self, conversation_id: &str) -> Vec<Value> {
        let store = self.ctx.store();
        let (Some(conv), Some(log)) = (
            store.conversations.get(conversation_id),
            store.messages.get(conversation_id),
        ) else {
            return Vec::new();
        };
        log.all().map(|m| m.to_json(conv)).collect()
    }

    /// A stored user as the API shows it.
    pub fn user(&self, id: &str) -> Option<Value> {
        self.ctx.store().users.get(id).map(|u| u.to_json())
    }

    /// A stored conversation as the API shows it.
    pub fn conversation(&self, id: &str) -> Option<Value> {
        let store = self.ctx.store();
        store
            .conversations
            .get(id)
            .map(|c| c.to_json(store.messages.get(id)))
    }

    /// An uploaded file's name and bytes, by attachment token.
    pub fn file(&self, attachment_token: &str) -> Option<(String, Vec<u8>)> {
        self.ctx
            .store()
            .files
            .get(attachment_token)
            .map(|f| (f.filename.clone(), f.bytes.to_vec()))
    }

    /// Number of stored users.
    pub fn user_count(&self) -> usize {
        self.ctx.store().users.len()
    }

    /// Number of stored conversations.
    pub fn conversation_count(&self) -> usize {
        self.ctx.store().conversations.len()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
