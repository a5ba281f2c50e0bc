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

/// A TalkJS REST API emulator serving on a local port.
///
/// [`Emulator::shutdown`] stops it and waits for the accept loop to end, so
/// when it returns the port refuses new connections. Dropping the handle
/// without calling it stops the server too (no task keeps serving), but
/// without waiting: the accept loop and the open connections, tasks on the
/// Tokio runtime that started the emulator, see the signal when next
/// polled, and only then is the port closed. Await `shutdown` when that
/// moment matters, e.g. before binding the same port again. Either way, a
/// request held by [`Fault::Delay`] still applies when its delay ends, and
/// queued webhook events are still delivered: their task ends once the
/// queue is empty and nothing of the emulator is left to add to it.
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
            config.webhook_timeout,
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
    /// Signals the accept loop and the connections to stop; does not wait
    /// (see [`Emulator`]). Dropping the `shutdown` sender right after
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
    use tokio::net::TcpStream;

    use super::*;

    /// Dropping the handle without `shutdown` ends the accept loop (awaited
    /// directly, no sleeping), after which the port refuses connections and
    /// a kept-alive connection has been closed by the server.
    #[tokio::test]
    async fn dropping_the_handle_stops_the_server() {
        let limit = Duration::from_secs(10);
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
        let response = tokio::time::timeout(limit, async {
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
        tokio::time::timeout(limit, accept_loop)
            .await
            .expect("the accept loop ends after the drop")
            .expect("the accept loop did not panic");

        let refused = TcpStream::connect(addr).await.map(|_| ()).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::ConnectionRefused);
        tokio::time::timeout(limit, conn)
            .await
            .expect("the kept-alive connection is closed")
            .expect("the client connection task did not panic")
            .expect("closed cleanly, with no bytes after the response");
    }
}
