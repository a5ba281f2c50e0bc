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
use tokio_util::task::TaskTracker;

use crate::auth::Verifier;
use crate::config::EmulatorConfig;
use crate::ctx::Ctx;
use crate::faults::{Fault, FaultCounts, Faults};
use crate::ids::time_seed;
use crate::log::{RequestLog, RequestRecord};
use crate::rate_limit::{RateLimitStats, RateLimiter};
use crate::state::{Session, Store};
use crate::webhook_log::WebhookRecord;
use crate::webhooks::Webhooks;

/// A TalkJS REST API emulator serving on a local port.
///
/// [`Emulator::shutdown`] stops it and returns once everything it started
/// has ended: the port refuses connections, open connections are closed, a
/// request held by [`Fault::Delay`] is dropped without applying, and
/// webhook delivery has stopped (queued events are dropped unsent, an
/// attempt in flight is abandoned and its connection closed). Nothing of
/// the emulator runs or changes after it returns.
///
/// Dropping the handle without calling it stops all of that too, but
/// without waiting: those tasks, on the Tokio runtime that started the
/// emulator, see the signal when next polled, and only then is the port
/// closed. Await `shutdown` when that moment matters, e.g. before binding
/// the same port again.
///
/// `Debug` shows the address and app id, never the secret key nor the store.
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
        let (shutdown, stopped) = watch::channel(false);
        let tasks = TaskTracker::new();
        let webhooks = Webhooks::start(
            config.webhook_url.clone(),
            config.secret_key.clone(),
            config.webhook_retry_delay,
            config.webhook_timeout,
            &tasks,
            stopped.clone(),
        );
        let ctx = Arc::new(Ctx {
            auth: Verifier::new(&config.app_id, &config.secret_key),
            base_url: format!("http://{addr}"),
            store: Mutex::new(Store::new(time_seed())),
            faults: Faults::default(),
            log: RequestLog::new(
                config.request_log_capacity,
                config.request_log_max_bytes,
                config.request_log_body_limit,
            ),
            webhooks,
            last_batch: Mutex::new(None),
            rate_limiter: config.rate_limit.map(RateLimiter::new),
            received: AtomicU64::new(0),
            handled: AtomicU64::new(0),
            progress: Notify::new(),
            tasks,
            stopped,
            list_visits: AtomicU64::new(0),
            accept_errors: AtomicU64::new(0),
            config,
        });
        let task = tokio::spawn(crate::server::serve(listener, ctx.clone()));
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

    /// Stops the emulator and waits until nothing of it runs: the accept
    /// loop, the open connections, delayed requests (dropped, not applied)
    /// and webhook delivery (see [`Emulator`]).
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        // Only tracked tasks spawn tracked tasks, so the set cannot reach
        // empty while one can still be added: `wait` sees them all.
        self.ctx.tasks.close();
        self.ctx.tasks.wait().await;
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
        self.wait_until(&self.ctx.handled, n).await;
    }

    /// How many `/v1/...` requests have arrived, counted once the body is
    /// read and before any fault applies (so a request still held by
    /// [`Fault::Delay`] counts; one refused for its body size does not).
    pub fn received_count(&self) -> u64 {
        self.ctx.received.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` `/v1/...` requests have arrived, e.g. to act
    /// while a delayed request is held. Wrap it in a timeout.
    pub async fn wait_until_received(&self, n: u64) {
        self.wait_until(&self.ctx.received, n).await;
    }

    /// Waits until `counter` (woken through `ctx.progress`) reaches `n`.
    async fn wait_until(&self, counter: &AtomicU64, n: u64) {
        loop {
            let woken = self.ctx.progress.notified();
            tokio::pin!(woken);
            // Register before checking, so a wake-up in between is not lost.
            woken.as_mut().enable();
            if counter.load(Ordering::SeqCst) >= n {
                return;
            }
            woken.await;
        }
    }

    /// How many times accepting a connection failed, e.g. for lack of file
    /// descriptors. Each failure pauses the accept loop (10 ms doubling to
    /// 1 s, reset by the next success) rather than retrying at once, so
    /// the count grows slowly while the process has no descriptor left.
    pub fn accept_errors(&self) -> u64 {
        self.ctx.accept_errors.load(Ordering::Relaxed)
    }

    /// How many requests the rate limit ([`crate::EmulatorConfig::rate_limit`])
    /// admitted and how many it answered 429 so far; both 0 without a
    /// limit. [`Emulator::reset`] leaves them counting.
    pub fn rate_limit_stats(&self) -> RateLimitStats {
        self.ctx
            .rate_limiter
            .as_ref()
            .map_or_else(RateLimitStats::default, RateLimiter::stats)
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

    /// The notifications triggered through
    /// `POST /conversations/{cid}/notifications`, oldest first, one per
    /// recipient: `{id, conversationId, recipientId, channels, createdAt,
    /// smsSettings?, emailSettings?}` (at most the last 10,000).
    pub fn notifications(&self) -> Vec<Value> {
        self.ctx.store().notifications.all()
    }

    /// Gives `user_id` the session `session`, replacing one of theirs with
    /// the same id: `POST /presences` answers from these (TalkJS learns of
    /// sessions from its browser SDK, which the emulator does not serve).
    /// The user need not be stored.
    pub fn set_session(&self, user_id: &str, session: Session) {
        let mut store = self.ctx.store();
        let sessions = store.sessions.entry(user_id.to_owned()).or_default();
        sessions.retain(|s| s.id != session.id);
        sessions.push(session);
    }

    /// Ends `user_id`'s session `session_id`; `false` if there was none.
    pub fn remove_session(&self, user_id: &str, session_id: &str) -> bool {
        let mut store = self.ctx.store();
        let Some(sessions) = store.sessions.get_mut(user_id) else {
            return false;
        };
        let before = sessions.len();
        sessions.retain(|s| s.id != session_id);
        let removed = sessions.len() < before;
        if sessions.is_empty() {
            store.sessions.remove(user_id);
        }
        removed
    }

    /// The webhook events emitted so far (only with a webhook URL set),
    /// oldest first, with their delivery outcome (at most the last 10,000).
    pub fn webhook_events(&self) -> Vec<WebhookRecord> {
        self.ctx.webhooks.log.snapshot()
    }

    /// Forgets everything clients did, as if the emulator had just
    /// started (same address, app and settings): stored data, the request
    /// and webhook logs, notifications, sessions, faults, the batch
    /// limiter and the rate limit's bucket (full again). Request counters
    /// and [`Emulator::rate_limit_stats`] keep counting, and events already queued
    /// for delivery are still sent. `POST /__emulator/reset` does the same.
    pub fn reset(&self) {
        self.ctx.reset();
    }
}

impl std::fmt::Debug for Emulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emulator")
            .field("addr", &self.addr)
            .field("app_id", &self.ctx.config.app_id)
            .field("secret_key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    /// Signals everything the emulator runs to stop; does not wait (see
    /// [`Emulator`]). Dropping the `shutdown` sender right after
    /// signals them too (their receivers see the channel close); the
    /// explicit send keeps the intent visible.
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

#[cfg(test)]
mod tests {
    use std::io::ErrorKind;
    use std::time::Duration;

    use bytes::Bytes;
    use http::Request;
    use http::header::{AUTHORIZATION, HOST};
    use http_body_util::{BodyExt, Empty};
    use hyper::client::conn::http1;
    use hyper_util::rt::TokioIo;
    use tokio::io::AsyncReadExt;
    use tokio::net::TcpStream;

    use super::*;

    const LIMIT: Duration = Duration::from_secs(10);

    /// A reqwest client, whatever TLS features a workspace build unified in
    /// (the same setup as `tests/common::http_builder`).
    fn http() -> reqwest::Client {
        // Deprecated in rustls 0.23.48 (ring has no post-quantum key
        // exchange); these tests talk plain http to loopback.
        #[allow(deprecated)]
        let _ = rustls::crypto::ring::default_provider().install_default();
        reqwest::Client::new()
    }

    /// `PUT /users/{id}` with a name, ready to send.
    fn put_user(emu: &Emulator, id: &str, name: &str) -> reqwest::RequestBuilder {
        http()
            .put(format!("{}/users/{id}", emu.api_url()))
            .bearer_auth(emu.secret_key())
            .json(&serde_json::json!({ "name": name }))
    }

    /// Dropping the handle without `shutdown` ends the accept loop (awaited
    /// directly, no sleeping), after which the port refuses connections and
    /// a kept-alive connection has been closed by the server.
    #[tokio::test]
    async fn dropping_the_handle_stops_the_server() {
        let mut emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let addr = emu.addr();
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut sender, conn) = http1::handshake(TokioIo::new(stream)).await.unwrap();
        // Ends, without an error, once the server closes the idle connection.
        let conn = tokio::spawn(conn);
        let request = Request::get(format!("/v1/{}/users/nobody", emu.app_id()))
            .header(HOST, addr.to_string())
            .header(AUTHORIZATION, format!("Bearer {}", emu.secret_key()))
            .body(Empty::<Bytes>::new())
            .unwrap();
        let response = tokio::time::timeout(LIMIT, async {
            let response = sender.send_request(request).await.unwrap();
            let status = response.status();
            response.into_body().collect().await.unwrap();
            status
        })
        .await
        .unwrap();
        assert_eq!(response, 404);
        assert_eq!(emu.handled_count(), 1);

        // Keep a handle on the accept loop to await it; `drop` does not use it.
        let accept_loop = emu.task.take().expect("serving");
        drop(emu);
        tokio::time::timeout(LIMIT, accept_loop)
            .await
            .expect("the accept loop ends after the drop")
            .expect("the accept loop did not panic");

        let refused = TcpStream::connect(addr).await.map(|_| ()).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
        tokio::time::timeout(LIMIT, conn)
            .await
            .expect("the kept-alive connection is closed")
            .expect("the client connection task did not panic")
            .expect("closed cleanly, with no bytes after the response");
    }

    /// A request held by a delay when `shutdown` is called is dropped, not
    /// applied, and `shutdown` does not wait out the delay: when it returns,
    /// no task of the emulator is left.
    #[tokio::test]
    async fn shutdown_drops_a_held_request_and_leaves_nothing_running() {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let ctx = emu.ctx.clone();
        // Far longer than the test may take: only the shutdown can end it.
        emu.inject_fault(Fault::Delay(Duration::from_secs(3600)));
        let client = tokio::spawn(put_user(&emu, "late", "Late").send());
        tokio::time::timeout(LIMIT, emu.wait_until_received(1))
            .await
            .expect("the request arrives and is held");
        assert_eq!(emu.handled_count(), 0, "held, not yet handled");

        tokio::time::timeout(LIMIT, emu.shutdown())
            .await
            .expect("shutdown does not wait out the delay");
        assert!(ctx.tasks.is_empty(), "no task of the emulator is left");
        assert_eq!(
            ctx.handled.load(Ordering::SeqCst),
            1,
            "the held request ended"
        );
        assert!(ctx.store().users.len() == 0, "and was not applied");
        // The connection closes as the delay ends: the client sees either
        // that, or the 503 if it was written first.
        let outcome = tokio::time::timeout(LIMIT, client).await.unwrap().unwrap();
        if let Ok(response) = outcome {
            assert_eq!(response.status(), 503);
        }
    }

    /// `shutdown` stops webhook delivery without waiting for an attempt in
    /// flight: the receiver here never answers, and the attempt's own time
    /// limit is an hour.
    #[tokio::test]
    async fn shutdown_stops_webhook_delivery() {
        let hook = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let config = EmulatorConfig::default()
            .webhook_url(format!("http://{}/hook", hook.local_addr().unwrap()))
            .webhook_timeout(Duration::from_secs(3600));
        let emu = Emulator::start(config).await.unwrap();
        let ctx = emu.ctx.clone();
        let created = put_user(&emu, "a", "A").send().await.unwrap();
        assert_eq!(created.status(), 200);
        // The delivery of `user.created` is in flight once its request
        // arrives; it is never answered.
        let (mut socket, _) = tokio::time::timeout(LIMIT, hook.accept())
            .await
            .expect("the event is sent")
            .unwrap();
        let mut first = [0u8; 4];
        tokio::time::timeout(LIMIT, socket.read_exact(&mut first))
            .await
            .expect("the event's request comes")
            .unwrap();
        assert_eq!(&first, b"POST");
        // A second event, queued behind the unanswered first.
        let updated = put_user(&emu, "a", "B").send().await.unwrap();
        assert_eq!(updated.status(), 200);

        tokio::time::timeout(LIMIT, emu.shutdown())
            .await
            .expect("shutdown does not wait for the unanswered delivery");
        assert!(ctx.webhooks.stopped(), "the queue is gone with its task");
        // The abandoned attempt's connection is closed: the rest of the
        // first request, then end of stream.
        let mut rest = Vec::new();
        tokio::time::timeout(LIMIT, socket.read_to_end(&mut rest))
            .await
            .expect("the webhook connection is closed")
            .unwrap();
        assert!(String::from_utf8_lossy(&rest).contains("user.created"));
    }
}
