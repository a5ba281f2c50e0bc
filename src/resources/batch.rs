//! `POST /batch`: up to 10 operations per request, 1 request per second.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::{
    Access, Client, Error, MAX_MESSAGES_PER_REQUEST, MAX_USERS_PER_REQUEST, Notify, ReadUntil,
    conversations,
    http::request::{Repeat, Request},
    messages, notifications,
    pagination::{Item, List},
    presences,
    raw::types::{
        BatchOperation, BatchResult, ConversationInput, EditMessageBody, ImportMessageInput,
        NotificationsInput, ParticipationInput, PresenceInput, PresencesQuery, SendMessageInput,
        UserInput,
    },
    users::{self, check_user_ids},
};

/// TalkJS runs at most 10 operations per batch request.
pub const MAX_BATCH_OPERATIONS: usize = 10;

/// TalkJS accepts one batch request per second per app.
pub const BATCH_INTERVAL: Duration = Duration::from_secs(1);

/// One operation of a batch, built from the same types, checks, bodies and
/// path encoding as the direct calls.
///
/// There is a constructor for every operation of the REST API that a batch
/// can carry: users ([`get_user`](Self::get_user),
/// [`put_user`](Self::put_user), [`put_users`](Self::put_users),
/// [`get_presence`](Self::get_presence),
/// [`set_presence`](Self::set_presence)), conversations
/// ([`get_conversation`](Self::get_conversation),
/// [`put_conversation`](Self::put_conversation),
/// [`delete_conversation`](Self::delete_conversation)),
/// participants ([`join`](Self::join),
/// [`update_participant`](Self::update_participant),
/// [`leave`](Self::leave), [`mark_read`](Self::mark_read),
/// [`participant_email`](Self::participant_email)),
/// [`trigger_notifications`](Self::trigger_notifications),
/// [`presences`](Self::presences), messages
/// ([`send_messages`](Self::send_messages),
/// [`get_message`](Self::get_message), [`edit_message`](Self::edit_message),
/// [`delete_message`](Self::delete_message),
/// [`add_reaction`](Self::add_reaction),
/// [`remove_reaction`](Self::remove_reaction)) and
/// [`import_messages`](Self::import_messages), every list
/// ([`list`](Self::list), from the same [`List`] builder as the direct
/// call); [`custom`](Self::custom) for anything else. The app's metadata
/// ([`crate::Client::app`]) lives at the app's root, which TalkJS does not
/// say a batch path can name, so it has no constructor. A list operation
/// fetches one page (its cursor is in the
/// outcome's `body.data`); ids that no URL can carry and invalid arguments
/// are refused when the operation is built.
///
/// ```
/// use talkjs::{Access, BatchOp, Notify, ReadUntil};
/// use talkjs::types::UserInput;
/// let ops = vec![
///     BatchOp::get_user("alice").unwrap(),
///     BatchOp::put_user("bob", &UserInput::named("Bob").role("seller")).unwrap(),
///     BatchOp::join("order-42", "bob", Access::ReadWrite, Notify::All).unwrap(),
///     BatchOp::mark_read("order-42", "alice", ReadUntil::Sent).unwrap(),
/// ];
/// # let _ = ops;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOp {
    method: Method,
    path: String,
    payload: Option<Value>,
    /// The operation's own `{"api_version": ...}`.
    api_version: Option<String>,
    /// Whether the operation may be repeated: a batch may be, if all of
    /// its operations may.
    repeat: Repeat,
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

/// The batch form of a request, refused if a batch cannot carry it (a
/// file upload).
fn op(request: Result<Request, Error>) -> Result<BatchOp, Error> {
    let request = request?;
    Ok(BatchOp {
        payload: request.batch_payload()?,
        method: request.method,
        path: request.path,
        api_version: None,
        repeat: request.repeat,
    })
}

impl BatchOp {
    /// Any operation, without a payload (add one with
    /// [`BatchOp::payload`]): `path` is relative to `/v1/{appId}` and
    /// already percent-encoded. A POST is treated as one TalkJS would apply
    /// twice: a batch holding it is not repeated after an ambiguous failure.
    ///
    /// ```
    /// use talkjs::BatchOp;
    /// let ping = BatchOp::custom(reqwest::Method::GET, "/users/alice").payload(serde_json::json!({"x": "1"}));
    /// # let _ = ping;
    /// ```
    pub fn custom(method: Method, path: impl Into<String>) -> Self {
        BatchOp {
            repeat: Repeat::of(&method),
            method,
            path: path.into(),
            payload: None,
            api_version: None,
        }
    }

    /// The operation's payload: its JSON body, or for a GET its query
    /// parameters as strings (TalkJS's batch format).
    pub fn payload(mut self, payload: Value) -> Self {
        self.payload = Some(payload);
        self
    }

    /// GET a user.
    pub fn get_user(user_id: &str) -> Result<Self, Error> {
        op(users::get_user(user_id))
    }

    /// PUT (upsert) a user.
    pub fn put_user(user_id: &str, user: &UserInput) -> Result<Self, Error> {
        op(users::put_user(user_id, user))
    }

    /// GET a conversation.
    pub fn get_conversation(conversation_id: &str) -> Result<Self, Error> {
        op(conversations::get_conversation(conversation_id))
    }

    /// PUT (upsert) a conversation (validated:
    /// [`crate::validate::conversation`]).
    pub fn put_conversation(
        conversation_id: &str,
        input: &ConversationInput,
    ) -> Result<Self, Error> {
        op(conversations::put_conversation(conversation_id, input))
    }

    /// DELETE a conversation.
    pub fn delete_conversation(conversation_id: &str) -> Result<Self, Error> {
        op(conversations::delete_conversation(conversation_id))
    }

    /// Send up to 10 messages (validated; idempotency keys added).
    pub fn send_messages(
        conversation_id: &str,
        mut messages: Vec<SendMessageInput>,
    ) -> Result<Self, Error> {
        crate::validate::messages(&messages)?;
        check_message_count(messages.len())?;
        crate::messages::add_idempotency_keys(&mut messages);
        op(messages::send_messages(conversation_id, &messages))
    }

    /// PUT (upsert) up to 100 users in one operation (`PUT /users`), like
    /// one request of [`crate::Users::upsert_many`]. An id that appears
    /// twice is refused: the body is a map and could keep only one.
    pub fn put_users(users: &[(String, UserInput)]) -> Result<Self, Error> {
        if users.is_empty() || users.len() > MAX_USERS_PER_REQUEST {
            return Err(Error::validation(
                "users",
                format!(
                    "must hold 1 to {MAX_USERS_PER_REQUEST} users per batch operation, got {}",
                    users.len()
                ),
            ));
        }
        check_user_ids(users)?;
        op(users::put_users(users))
    }

    /// GET the first page of `list`, as its [`List::send`] would (limit,
    /// cursor and filters included).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::BatchOp;
    /// let ops = vec![
    ///     BatchOp::list(&client.users().list().limit(10))?,
    ///     BatchOp::list(&client.messages("order-42").list().limit(20))?,
    /// ];
    /// let outcomes = client.batch(ops).await?;
    /// # Ok(()) }
    /// ```
    pub fn list<T: Item>(list: &List<'_, T>) -> Result<Self, Error> {
        op(list.first_request())
    }

    /// GET a user's presence.
    pub fn get_presence(user_id: &str) -> Result<Self, Error> {
        op(users::get_presence(user_id))
    }

    /// PUT a user's presence.
    pub fn set_presence(user_id: &str, presence: &PresenceInput) -> Result<Self, Error> {
        op(users::set_presence(user_id, presence))
    }

    /// PUT a participant with both settings, as
    /// [`crate::Conversations::join`] does (a PUT overwrites both).
    pub fn join(
        conversation_id: &str,
        user_id: &str,
        access: Access,
        notify: Notify,
    ) -> Result<Self, Error> {
        op(conversations::join(
            conversation_id,
            user_id,
            access,
            notify,
        ))
    }

    /// PATCH only the settings set in `update` of a participant, as
    /// [`crate::Conversations::update_participant`] does (setting neither
    /// is refused).
    pub fn update_participant(
        conversation_id: &str,
        user_id: &str,
        update: ParticipationInput,
    ) -> Result<Self, Error> {
        op(conversations::update_participant(
            conversation_id,
            user_id,
            &update,
        ))
    }

    /// GET a participant's reply-by-email address, as
    /// [`crate::Conversations::participant_email`] does.
    pub fn participant_email(conversation_id: &str, user_id: &str) -> Result<Self, Error> {
        op(conversations::participant_email(conversation_id, user_id))
    }

    /// POST a conversation's notifications, as
    /// [`crate::Conversations::trigger_notifications`] does (at least one
    /// channel). Every call notifies again: a batch holding it is not
    /// repeated after an ambiguous failure.
    pub fn trigger_notifications(
        conversation_id: &str,
        notifications: &NotificationsInput,
    ) -> Result<Self, Error> {
        op(notifications::trigger_notifications(
            conversation_id,
            notifications,
        ))
    }

    /// POST a presence query, as [`crate::Users::presences`] does (a read:
    /// it does not keep a batch from being repeated).
    pub fn presences(query: &PresencesQuery) -> Result<Self, Error> {
        op(presences::presences(query))
    }

    /// DELETE a participant (the user leaves the conversation).
    pub fn leave(conversation_id: &str, user_id: &str) -> Result<Self, Error> {
        op(conversations::leave(conversation_id, user_id))
    }

    /// PATCH a user's read marker of a conversation, as
    /// [`crate::Conversations::mark_read`] does.
    pub fn mark_read(
        conversation_id: &str,
        user_id: &str,
        until: ReadUntil,
    ) -> Result<Self, Error> {
        op(conversations::mark_read(conversation_id, user_id, until))
    }

    /// GET one message.
    pub fn get_message(conversation_id: &str, message_id: &str) -> Result<Self, Error> {
        op(messages::get_message(conversation_id, message_id))
    }

    /// PUT (edit) a message's text and/or custom data.
    pub fn edit_message(
        conversation_id: &str,
        message_id: &str,
        edit: &EditMessageBody,
    ) -> Result<Self, Error> {
        op(messages::edit_message(conversation_id, message_id, edit))
    }

    /// DELETE a message.
    pub fn delete_message(conversation_id: &str, message_id: &str) -> Result<Self, Error> {
        op(messages::delete_message(conversation_id, message_id))
    }

    /// PUT `user_id`'s `emoji` reaction on a message (the emoji is
    /// percent-encoded like every other path segment).
    pub fn add_reaction(
        conversation_id: &str,
        message_id: &str,
        emoji: &str,
        user_id: &str,
    ) -> Result<Self, Error> {
        op(messages::reaction(
            Method::PUT,
            conversation_id,
            message_id,
            emoji,
            user_id,
        ))
    }

    /// DELETE `user_id`'s `emoji` reaction from a message.
    pub fn remove_reaction(
        conversation_id: &str,
        message_id: &str,
        emoji: &str,
        user_id: &str,
    ) -> Result<Self, Error> {
        op(messages::reaction(
            Method::DELETE,
            conversation_id,
            message_id,
            emoji,
            user_id,
        ))
    }

    /// POST up to 10 historical messages to
    /// `/import/conversations/{id}/messages` (validated as
    /// [`crate::Messages::import`] does). TalkJS does not de-duplicate
    /// imports, so a batch holding one is not retried after an ambiguous
    /// failure.
    pub fn import_messages(
        conversation_id: &str,
        messages: Vec<ImportMessageInput>,
    ) -> Result<Self, Error> {
        crate::validate::imports(&messages)?;
        check_message_count(messages.len())?;
        op(messages::import_messages(conversation_id, &messages))
    }

    /// Runs this operation under TalkJS API version `version` (e.g.
    /// `"2021-02-09"`): TalkJS's batch tuple takes an optional
    /// `{"api_version": ...}` per operation
    /// (<https://talkjs.com/docs/Reference/REST_API/Batch>). Without it, an
    /// operation gets the client's [`crate::ClientConfig::rest_version`],
    /// if one is set, and otherwise the app's default version.
    ///
    /// ```
    /// let op = talkjs::BatchOp::get_user("alice")?.api_version("2021-02-09");
    /// # let _ = op;
    /// # Ok::<(), talkjs::Error>(())
    /// ```
    pub fn api_version(mut self, version: impl Into<String>) -> Self {
        self.api_version = Some(version.into());
        self
    }

    /// The JSON tuple of this operation as number `seq`, under its own API
    /// version or else `default_version`.
    fn tuple(&self, seq: usize, default_version: Option<&str>) -> BatchOperation {
        let mut tuple = vec![json!(seq), json!(self.method.as_str()), json!(self.path)];
        let version = self.api_version.as_deref().or(default_version);
        match (&self.payload, version) {
            (Some(payload), _) => tuple.push(payload.clone()),
            // The options are the fifth item: a missing payload is null.
            (None, Some(_)) => tuple.push(Value::Null),
            (None, None) => {}
        }
        if let Some(version) = version {
            tuple.push(json!({ "api_version": version }));
        }
        BatchOperation(tuple)
    }
}

/// A send or an import carries at most [`MAX_MESSAGES_PER_REQUEST`]
/// messages; a batch operation is one request, so it cannot be split.
fn check_message_count(len: usize) -> Result<(), Error> {
    if len > MAX_MESSAGES_PER_REQUEST {
        return Err(Error::validation(
            "messages",
            format!("at most {MAX_MESSAGES_PER_REQUEST} per batch operation"),
        ));
    }
    Ok(())
}

/// Matches one request's `[seq, status, body]` results back to its `len`
/// operations: each exactly once, whatever the order.
fn match_results(
    len: usize,
    results: Vec<crate::raw::types::BatchResult>,
) -> Result<Vec<BatchOutcome>, Error> {
    let mut slots: Vec<Option<BatchOutcome>> = vec![None; len];
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
            .filter(|s| (*s as usize) < len)
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
    slots
        .into_iter()
        .enumerate()
        .map(|(i, slot)| {
            slot.ok_or_else(|| {
                Error::Protocol(format!("batch answered no result for operation {i}"))
            })
        })
        .collect()
}

impl Client {
    /// Runs operations through `POST /batch`, 10 per request, at most one
    /// request per second (the client waits), and returns each operation's
    /// outcome in the order given (results are matched by sequence number;
    /// TalkJS may run them out of order). A failing operation is an outcome
    /// with its status, not an error.
    ///
    /// A batch holding a POST is not retried after an ambiguous failure
    /// ([`Error::OutcomeUnknown`]): TalkJS would apply it twice.
    ///
    /// If a request after the first fails (an error status, a transport
    /// failure or timeout, or an answer that breaks the `[seq, status,
    /// body]` protocol), the error is [`Error::Partial`]: it names the
    /// failed request and carries the outcomes of every operation the
    /// earlier requests ran, so nothing that was applied goes unreported.
    /// The operations after the failed request were not sent. If the first
    /// request fails, nothing ran before it and the error is the plain one.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client, ops: Vec<talkjs::BatchOp>) {
    /// match client.batch(ops).await {
    ///     Ok(outcomes) => println!("{} operations ran", outcomes.len()),
    ///     Err(talkjs::Error::Partial { failed_chunk, outcomes, source, .. }) => {
    ///         // `outcomes[i]` is the outcome of `ops[i]`; ops from
    ///         // `failed_chunk * 10` on did not run (or their fate is unknown).
    ///         eprintln!("request {failed_chunk} failed ({source}); {} ran", outcomes.len());
    ///     }
    ///     Err(e) => eprintln!("{e}"),
    /// }
    /// # }
    /// ```
    pub async fn batch(&self, ops: Vec<BatchOp>) -> Result<Vec<BatchOutcome>, Error> {
        let deadline = crate::chunked::CallDeadline::start(self);
        let client = deadline.client();
        let mut outcomes = Vec::with_capacity(ops.len());
        for (index, chunk) in ops.chunks(MAX_BATCH_OPERATIONS).enumerate() {
            // Held across the request: concurrent batches queue up, and the
            // next may go only a full interval after this one was answered
            // (which is after the server counted it, however slow the way).
            // The wait counts against the call's overall timeout.
            let Ok(mut gate) =
                tokio::time::timeout_at(deadline.at().into(), self.wait_for_batch_slot()).await
            else {
                return Err(stopped(index, outcomes, deadline.expired()));
            };
            if let Err(source) = deadline.check() {
                return Err(stopped(index, outcomes, source));
            }
            let body: Vec<BatchOperation> = chunk
                .iter()
                .enumerate()
                .map(|(i, op)| op.tuple(i, self.config.pinned_rest_version()))
                .collect();
            let request = Request::new(Method::POST, "batch_requests")
                .at("batch")
                .json(&body)
                .map(|request| {
                    request
                        .repeat(Repeat::all(chunk.iter().map(|op| op.repeat)))
                        .min_retry_delay(BATCH_INTERVAL)
                });
            let sent = match request {
                Ok(request) => client.fetch::<Vec<BatchResult>>(request).await,
                Err(e) => Err(e),
            };
            *gate = Some(Instant::now());
            drop(gate);
            match sent.and_then(|results| match_results(chunk.len(), results)) {
                Ok(chunk_outcomes) => outcomes.extend(chunk_outcomes),
                Err(source) => return Err(stopped(index, outcomes, source)),
            }
        }
        Ok(outcomes)
    }
}

/// The error of a batch call whose request `index` did not complete, after
/// the earlier requests gave `outcomes`.
fn stopped(index: usize, outcomes: Vec<BatchOutcome>, source: Error) -> Error {
    match index {
        0 => source, // nothing ran before
        _ => Error::Partial {
            failed_chunk: index,
            applied: outcomes.len(),
            applied_ids: Vec::new(),
            outcomes,
            source: Box::new(source),
        },
    }
}

impl Client {
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
