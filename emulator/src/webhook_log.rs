//! What the emulator has sent to the webhook URL: one record per event,
//! with its delivery outcome, so a test can see which events went out
//! without running a receiver of its own. Bounded like the request log.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde_json::{Value, json};

/// Most records kept; the oldest go first.
const CAPACITY: usize = 10_000;

/// Where an event's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStatus {
    /// Waiting for its turn, or being sent.
    Queued,
    /// A receiver answered 200.
    Delivered,
    /// Both attempts failed (non-200, no answer in time, or no connection).
    Failed,
}

impl WebhookStatus {
    /// `queued`, `delivered` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookStatus::Queued => "queued",
            WebhookStatus::Delivered => "delivered",
            WebhookStatus::Failed => "failed",
        }
    }
}

/// One webhook event the emulator emitted, as it is POSTed
/// (`{id, type, data, createdAt}`), and how its delivery went.
#[derive(Debug, Clone)]
pub struct WebhookRecord {
    /// The event's `id`, e.g. `evt_emulator_1`.
    pub id: String,
    /// The event's `type`, e.g. `user.created`.
    pub kind: String,
    /// The event's `data`.
    pub data: Value,
    /// The event's `createdAt` (Unix ms).
    pub created_at: i64,
    /// Delivery outcome so far.
    pub status: WebhookStatus,
    /// Delivery attempts made (at most 2: TalkJS retries once).
    pub attempts: u32,
    pub(crate) seq: u64,
}

impl WebhookRecord {
    /// The body POSTed to the receiver.
    pub fn payload(&self) -> Value {
        json!({ "id": self.id, "type": self.kind, "data": self.data, "createdAt": self.created_at })
    }

    /// The payload plus `status` and `attempts`, for `GET /__emulator/webhooks`.
    pub(crate) fn to_json(&self) -> Value {
        let mut v = self.payload();
        v["status"] = json!(self.status.as_str());
        v["attempts"] = json!(self.attempts);
        v
    }
}

/// The records, oldest first, in sequence order.
#[derive(Debug, Default)]
pub(crate) struct WebhookLog {
    records: Mutex<VecDeque<WebhookRecord>>,
}

impl WebhookLog {
    fn records(&self) -> std::sync::MutexGuard<'_, VecDeque<WebhookRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a newly queued event.
    pub fn push(&self, record: WebhookRecord) {
        let mut r = self.records();
        if r.len() >= CAPACITY {
            r.pop_front();
        }
        r.push_back(record);
    }

    /// Sets the outcome of event `seq`, if it is still recorded (a reset
    /// or the capacity may have dropped it).
    pub fn update(&self, seq: u64, status: WebhookStatus, attempts: u32) {
        let mut r = self.records();
        // Sequence numbers only grow, so the records stay sorted by them.
        if let Ok(i) = r.binary_search_by_key(&seq, |rec| rec.seq) {
            r[i].status = status;
            r[i].attempts = attempts;
        }
    }

    pub fn snapshot(&self) -> Vec<WebhookRecord> {
        self.records().iter().cloned().collect()
    }

    pub fn clear(&self) {
        self.records().clear();
    }
}
