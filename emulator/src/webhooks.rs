//! Webhook delivery: events are queued and POSTed in order by one task,
//! signed like TalkJS (`X-TalkJS-Signature` = uppercase hex
//! HMAC-SHA256(secret, timestamp + "." + body)), retried once on non-200
//! or when no status arrives within the configured timeout. Each event
//! is recorded with its outcome ([`crate::webhook_log`]).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio_util::task::TaskTracker;

use crate::ctx::spawn_until_stopped;
use crate::ids::now_ms;
use crate::webhook_log::{WebhookLog, WebhookRecord, WebhookStatus};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The uppercase hex signature TalkJS sends in `X-TalkJS-Signature`.
pub fn signature(secret_key: &str, timestamp: &str, body: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(secret_key.as_bytes()).expect("HMAC accepts any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// An event on its way to the delivery task: its sequence number (for the
/// log) and the body to POST.
type Queued = (u64, Bytes);

/// Emits events; a no-op when no webhook URL is configured.
#[derive(Debug, Default)]
pub(crate) struct Webhooks {
    tx: Option<mpsc::UnboundedSender<Queued>>,
    /// Events emitted so far, numbered from 1 (`evt_emulator_{n}`).
    sequence: AtomicU64,
    /// What was emitted and how its delivery went.
    pub log: Arc<WebhookLog>,
}

impl Webhooks {
    /// Starts the delivery task on `tasks` when `url` is set. It ends when
    /// the emulator stops: queued events are dropped unsent, an attempt in
    /// flight is abandoned and its connection closed.
    pub fn start(
        url: Option<String>,
        secret_key: String,
        retry_delay: Duration,
        timeout: Duration,
        tasks: &TaskTracker,
        stopped: watch::Receiver<bool>,
    ) -> Self {
        let Some(url) = url else {
            return Self::default();
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let executor = StopAware {
            tasks: tasks.clone(),
            stopped: stopped.clone(),
        };
        let log = Arc::new(WebhookLog::default());
        let delivery = deliver(
            rx,
            url,
            secret_key,
            retry_delay,
            timeout,
            executor,
            log.clone(),
        );
        spawn_until_stopped(tasks, stopped, delivery);
        Webhooks {
            tx: Some(tx),
            sequence: AtomicU64::new(0),
            log,
        }
    }

    /// Whether the delivery task has ended (or never started).
    #[cfg(test)]
    pub fn stopped(&self) -> bool {
        self.tx.as_ref().is_none_or(|tx| tx.is_closed())
    }

    /// Whether events go anywhere (a webhook URL is configured), so callers
    /// can skip building payloads that would be dropped.
    pub fn enabled(&self) -> bool {
        self.tx.is_some()
    }

    /// Queues an event of `kind` with `data`, and records it.
    pub fn emit(&self, kind: &str, data: Value) {
        let Some(tx) = &self.tx else { return };
        let seq = self.sequence.fetch_add(1, Ordering::Relaxed) + 1;
        let record = WebhookRecord {
            id: format!("evt_emulator_{seq}"),
            kind: kind.to_owned(),
            data,
            created_at: now_ms(),
            status: WebhookStatus::Queued,
            attempts: 0,
            seq,
        };
        let body = Bytes::from(record.payload().to_string());
        self.log.push(record);
        // The receiver only ends with the emulator; nothing to report then.
        let _ = tx.send((seq, body));
    }
}

/// Runs the webhook client's own tasks (its connections, its pool's idle
/// timer) on the emulator's tracker, each ended by the stop. hyper-util's
/// `TokioExecutor` would `tokio::spawn` them where a shutdown cannot wait,
/// and an idle or stalled connection has no time limit of its own.
#[derive(Clone)]
struct StopAware {
    tasks: TaskTracker,
    stopped: watch::Receiver<bool>,
}

impl<F> hyper::rt::Executor<F> for StopAware
where
    F: Future<Output = ()> + Send + 'static,
{
    fn execute(&self, future: F) {
        spawn_until_stopped(&self.tasks, self.stopped.clone(), future);
    }
}

async fn deliver(
    mut rx: mpsc::UnboundedReceiver<Queued>,
    url: String,
    secret_key: String,
    retry_delay: Duration,
    timeout: Duration,
    executor: StopAware,
    log: Arc<WebhookLog>,
) {
    let client: Client<_, Full<Bytes>> = Client::builder(executor).build_http();
    while let Some((seq, body)) = rx.recv().await {
        let mut status = WebhookStatus::Failed;
        let mut attempts = 0;
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(retry_delay).await;
            }
            attempts += 1;
            let timestamp = now_ms().to_string();
            let req = http::Request::post(&url)
                .header("content-type", "application/json")
                .header("x-talkjs-timestamp", &timestamp)
                .header(
                    "x-talkjs-signature",
                    signature(&secret_key, &timestamp, &body),
                )
                .body(Full::new(body.clone()));
            let Ok(req) = req else { break };
            // An attempt that does not answer in time failed, like a
            // non-200: events are delivered in order, so one silent
            // receiver must not hold the queue for ever.
            if let Ok(Ok(resp)) = tokio::time::timeout(timeout, client.request(req)).await
                && resp.status() == 200
            {
                status = WebhookStatus::Delivered;
                break;
            }
        }
        log.update(seq, status, attempts);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use hyper::rt::Executor;

    use super::*;

    /// What the webhook client hands its executor (a connection, the
    /// pool's idle timer) is tracked and ended by the stop, however long
    /// it would run: waiting on the tracker after the stop returns.
    #[tokio::test]
    async fn the_client_executor_tracks_and_stops_its_tasks() {
        let tasks = TaskTracker::new();
        let (stop, stopped) = watch::channel(false);
        let executor = StopAware {
            tasks: tasks.clone(),
            stopped,
        };
        executor.execute(std::future::pending::<()>());
        assert_eq!(tasks.len(), 1);
        stop.send(true).unwrap();
        tasks.close();
        tokio::time::timeout(Duration::from_secs(10), tasks.wait())
            .await
            .expect("the pending task ends at the stop");
    }
}
