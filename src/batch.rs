//! `POST /batch`: up to 10 operations per request, 1 request per second.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    Client, Error,
    legacy::to_value,
    path::{check_segment, encode_path},
    raw::types::{BatchOperation, ConversationInput, SendMessageInput, UserInput},
};

/// TalkJS runs at most 10 operations per batch request.
pub const MAX_BATCH_OPERATIONS: usize = 10;

/// TalkJS accepts one batch request per second per app.
pub const BATCH_INTERVAL: Duration = Duration::from_secs(1);

/// One operation of a batch, built from the same types and path encoding as
/// the direct calls.
///
/// ```
/// use talkjs::BatchOp;
/// use talkjs::raw::types::{NullableString, UserInput};
/// let ops = vec![
///     BatchOp::get_user("alice").unwrap(),
///     BatchOp::put_user("bob", &UserInput::builder()
///         .name(Some("Bob".into()))
///         .try_into().unwrap()).unwrap(),
/// ];
/// # let _ = ops;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOp {
    method: Method,
    path: String,
    payload: Option<Value>,
}

/// The outcome of one batch operation.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOutcome {
    /// The operation's HTTP status.
    pub status: u16,
    /// Its response body.
    pub body: Value,
}

impl BatchOutcome {
    /// Whether the operation succeeded (a 2xx status).
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl BatchOp {
    /// Any operation: `path` is relative to `/v1/{appId}` and already
    /// percent-encoded; for GET, `payload` holds query parameters as strings.
    pub fn custom(method: Method, path: impl Into<String>, payload: Option<Value>) -> Self {
        BatchOp {
            method,
            path: path.into(),
            payload,
        }
    }

    fn at(method: Method, segments: &[(&str, &str)], tail: &str) -> Result<Self, Error> {
        let mut path = String::new();
        for (field, value) in segments {
            check_segment(field, value)?;
        }
        // Paths are `/kind/{id}` pairs; segments alternate with the kinds.
        let kinds: Vec<&str> = tail.split('/').filter(|s| !s.is_empty()).collect();
        let mut values = segments.iter();
        for kind in kinds {
            path.push('/');
            if kind == "*" {
                let (_, value) = values.next().expect("one value per placeholder");
                path.push_str(&encode_path(value));
            } else {
                path.push_str(kind);
            }
        }
        Ok(BatchOp {
            method,
            path,
            payload: None,
        })
    }

    fn with(mut self, payload: Value) -> Self {
        self.payload = Some(payload);
        self
    }

    /// GET a user.
    pub fn get_user(user_id: &str) -> Result<Self, Error> {
        Self::at(Method::GET, &[("userId", user_id)], "/users/*")
    }

    /// PUT (upsert) a user.
    pub fn put_user(user_id: &str, user: &UserInput) -> Result<Self, Error> {
        Ok(Self::at(Method::PUT, &[("userId", user_id)], "/users/*")?.with(to_value(user)?))
    }

    /// GET a conversation.
    pub fn get_conversation(conversation_id: &str) -> Result<Self, Error> {
        Self::at(
            Method::GET,
            &[("conversationId", conversation_id)],
            "/conversations/*",
        )
    }

    /// PUT (upsert) a conversation.
    pub fn put_conversation(
        conversation_id: &str,
        input: &ConversationInput,
    ) -> Result<Self, Error> {
        Ok(Self::at(
            Method::PUT,
            &[("conversationId", conversation_id)],
            "/conversations/*",
        )?
        .with(to_value(input)?))
    }

    /// DELETE a conversation.
    pub fn delete_conversation(conversation_id: &str) -> Result<Self, Error> {
        Self::at(
            Method::DELETE,
            &[("conversationId", conversation_id)],
            "/conversations/*",
        )
    }

    /// Send up to 10 messages (validated; idempotency keys added).
    pub fn send_messages(
        conversation_id: &str,
        mut messages: Vec<SendMessageInput>,
    ) -> Result<Self, Error> {
        crate::validate::messages(&messages)?;
        if messages.len() > crate::MAX_MESSAGES_PER_REQUEST {
            return Err(Error::validation(
                "messages",
                "at most 10 per batch operation",
            ));
        }
        crate::messages::add_idempotency_keys(&mut messages);
        Ok(Self::at(
            Method::POST,
            &[("conversationId", conversation_id)],
            "/conversations/*/messages",
        )?
        .with(to_value(&messages)?))
    }

    fn tuple(&self, seq: usize) -> BatchOperation {
        let mut tuple = vec![json!(seq), json!(self.method.as_str()), json!(self.path)];
        if let Some(payload) = &self.payload {
            tuple.push(payload.clone());
        }
        BatchOperation(tuple)
    }
}

impl Client {
    /// Runs operations through `POST /batch`, 10 per request, at most one
    /// request per second (the client waits), and returns each operation's
    /// outcome in the order given (results are matched by sequence number;
    /// TalkJS may run them out of order).
    ///
    /// A batch holding a POST is not retried after an ambiguous failure
    /// ([`Error::OutcomeUnknown`]): TalkJS would apply it twice. If a later
    /// request fails, [`Error::Partial`]'s `applied` counts the operations
    /// that earlier requests ran (each with its own outcome, success or not).
    pub async fn batch(&self, ops: Vec<BatchOp>) -> Result<Vec<BatchOutcome>, Error> {
        let mut outcomes = Vec::with_capacity(ops.len());
        for (index, chunk) in ops.chunks(MAX_BATCH_OPERATIONS).enumerate() {
            // Held across the request: concurrent batches queue up, and the
            // next may go only a full interval after this one was answered
            // (which is after the server counted it, however slow the way).
            let mut gate = self.wait_for_batch_slot().await;
            let body: Vec<BatchOperation> = chunk
                .iter()
                .enumerate()
                .map(|(i, op)| op.tuple(i))
                .collect();
            let request = self.raw.batch_requests().body(body);
            let sent = self.run(request.send()).await;
            *gate = Some(Instant::now());
            drop(gate);
            let results = match sent {
                Ok(results) => results,
                Err(source) => {
                    return Err(crate::messages::partial(
                        index,
                        outcomes.len(),
                        Vec::new(),
                        source,
                    ));
                }
            };
            let mut slots: Vec<Option<BatchOutcome>> = vec![None; chunk.len()];
            for result in results {
                let (seq, status, body) = match result.0.as_slice() {
                    [seq, status, body, ..] => (seq, status, body.clone()),
                    other => {
                        return Err(Error::Protocol(format!(
                            "batch result is not a [seq, status, body] triple: {other:?}"
                        )));
                    }
                };
                let seq = seq
                    .as_u64()
                    .or_else(|| seq.as_str().and_then(|s| s.parse().ok()))
                    .filter(|s| (*s as usize) < chunk.len())
                    .ok_or_else(|| {
                        Error::Protocol(format!("batch result with unknown sequence number {seq}"))
                    })?;
                let status = status
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .ok_or_else(|| Error::Protocol(format!("batch result with status {status}")))?;
                if slots[seq as usize]
                    .replace(BatchOutcome { status, body })
                    .is_some()
                {
                    return Err(Error::Protocol(format!(
                        "batch answered operation {seq} twice"
                    )));
                }
            }
            for (i, slot) in slots.into_iter().enumerate() {
                outcomes.push(slot.ok_or_else(|| {
                    Error::Protocol(format!("batch answered no result for operation {i}"))
                })?);
            }
        }
        Ok(outcomes)
    }

    async fn wait_for_batch_slot(&self) -> tokio::sync::MutexGuard<'_, Option<Instant>> {
        let last = self.batch_gate.lock().await;
        if let Some(at) = *last {
            let ready = at + BATCH_INTERVAL;
            if ready > Instant::now() {
                tokio::time::sleep_until(ready.into()).await;
            }
        }
        last
    }
}
