//! Webhook delivery: events are queued and POSTed in order by one task,
//! signed like TalkJS (`X-TalkJS-Signature` = uppercase hex
//! HMAC-SHA256(secret, timestamp + "." + body)), retried once on non-200
//! or when no status arrives within the configured timeout.

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use hmac::{KeyInit, Mac};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};
use tokio_util::task::TaskTracker;

use crate::ctx::spawn_until_stopped;
use crate::ids::now_ms;

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

/// Emits events; a no-op when no webhook URL is configured.
#[derive(Debug, Default)]
pub(crate) struct Webhooks {
    tx: Option<mpsc::UnboundedSender<(String, Value)>>,
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
        let delivery = deliver(rx, url, secret_key, retry_delay, timeout, executor);
        spawn_until_stopped(tasks, stopped, delivery);
        Webhooks { tx: Some(tx) }
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

    /// Queues an event of `kind` with `data`.
    pub fn emit(&self, kind: &str, data: Value) {
        if let Some(tx) = &self.tx {
            // The receiver only ends with the emulator; nothing to report then.
            let _ = tx.send((kind.to_owned(), data));
        }
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
    mut rx: mpsc::UnboundedReceiver<(String, Value)>,
    url: String,
    secret_key: String,
    retry_delay: Duration,
    timeout: Duration,
    executor: StopAware,
) {
    let client: Client<_, Full<Bytes>> = Client::builder(executor).build_http();
    let mut sequence = 0u64;
    while let Some((kind, data)) = rx.recv().await {
        let created_at = now_ms();
        sequence += 1;
        let id = format!("evt_emulator_{sequence}");
        let body = Bytes::from(
            json!({ "id": id, "type": kind, "data": data, "createdAt": created_at }).to_string(),
        );
        for attempt in 0..2 {
            if attempt > 0 {
                tokio::time::sleep(retry_delay).await;
            }
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
                break;
            }
        }
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
