//! Messages of a conversation: send (validated, chunked, de-duplicated), list,
//! get, edit, delete, reactions, import.

use reqwest::Method;

use crate::{
    Client, Error,
    chunked::{CallDeadline, partial},
    http::request::{Repeat, Request},
    pagination::List,
    path::check_segment,
    raw::types::{EditMessageBody, ImportMessageInput, Message, SendMessageInput, SentMessage},
};

/// TalkJS takes at most 10 messages per send or import request.
pub const MAX_MESSAGES_PER_REQUEST: usize = 10;

/// The messages of one conversation; from [`Client::messages`].
///
/// ```no_run
/// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
/// use futures::TryStreamExt;
/// let messages = client.messages("order-42");
/// let newest = messages.list().limit(20).send().await?;
/// // Every message, newest first, 100 per request.
/// let all: Vec<_> = messages.list().stream().try_collect().await?;
/// if let Some(id) = newest.items.first().and_then(|m| m.id.as_deref()) {
///     messages.react(id, "👍", "bob").await?;
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Messages<'a> {
    client: &'a Client,
    conversation: String,
}

impl Client {
    /// The messages of `conversation_id`.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::SendMessageInput;
    /// let hello = SendMessageInput::user_text("alice", "Hello!");
    /// let ids = client.messages("order-42").send(vec![hello]).await?;
    /// # Ok(()) }
    /// ```
    pub fn messages(&self, conversation_id: impl Into<String>) -> Messages<'_> {
        Messages {
            client: self,
            conversation: conversation_id.into(),
        }
    }
}

/// A fresh idempotency key: 64 random bits drawn once per process, then a
/// counter. Unlike 128 fresh random bits per key it cannot collide within a
/// process, and costs an atomic increment instead of two hashes and two
/// clock reads per message; across processes the random half keeps keys apart.
fn idempotency_key() -> String {
    use std::sync::{
        LazyLock,
        atomic::{AtomicU64, Ordering},
    };
    static PROCESS: LazyLock<u64> = LazyLock::new(crate::retry::random_u64);
    static NEXT: AtomicU64 = AtomicU64::new(0);
    hex32(*PROCESS, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// `high` then `low` as 32 fixed-width lowercase hex digits. Written into a
/// byte array, then one allocation: pushing 32 chars onto a `String`
/// checked its capacity per digit (about 80 more instructions per key,
/// ten keys per send).
fn hex32(high: u64, low: u64) -> String {
    let mut hex = [0u8; 32];
    let (high_digits, low_digits) = hex.split_at_mut(16);
    for (half, digits) in [(high, high_digits), (low, low_digits)] {
        for (i, digit) in digits.iter_mut().enumerate() {
            *digit = b"0123456789abcdef"[(half >> (60 - 4 * i)) as usize & 0xf];
        }
    }
    std::str::from_utf8(&hex)
        .expect("hex digits are ASCII")
        .to_owned()
}

impl<'a> Messages<'a> {
    fn conversation(&self) -> Result<&str, Error> {
        check_segment("conversationId", &self.conversation)?;
        Ok(&self.conversation)
    }

    /// Sends messages and returns their ids, in order.
    ///
    /// Validated first (see [`crate::validate::messages`]); nothing is sent
    /// if any message is invalid. Each message without an idempotency key
    /// gets one, the same on every retry, so the SDK's own retries never
    /// store a message twice (TalkJS's de-duplication window is unconfirmed;
    /// retries happen within seconds). If you may send again yourself after
    /// an error such as [`Error::Timeout`], set your own keys and reuse them.
    /// More than 10 messages go out as consecutive requests of at most 10;
    /// if one fails, [`Error::Partial`] says which chunk and which ids were
    /// already stored.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::SendMessageInput;
    /// let notice = SendMessageInput::system_text("Your order has shipped.")
    ///     // Your own key: reuse it if you send this message again after an error.
    ///     .idempotency_key("order-42-shipped");
    /// let ids = client.messages("order-42").send(vec![notice]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, messages: Vec<SendMessageInput>) -> Result<Vec<String>, Error> {
        let conversation = self.conversation()?;
        send_in_chunks(self.client, messages, || {
            messages_of(Method::POST, "send_messages", conversation)
        })
        .await
    }

    /// Imports historical messages (kept with their `timestamp`, origin
    /// `import`, no notifications). TalkJS does not de-duplicate imports, so
    /// an ambiguous failure is reported as [`Error::OutcomeUnknown`] and not
    /// retried. More than 10 go out in chunks, like [`Messages::send`]; on
    /// [`Error::Partial`], resume after its `applied` messages. Returns how
    /// many were imported.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::ImportMessageInput;
    /// use std::time::{Duration, SystemTime};
    /// let last_year = SystemTime::now() - Duration::from_secs(365 * 86_400);
    /// let old = ImportMessageInput::user_text("alice", "Imported from the old chat system", last_year)
    ///     .read_by(["bob"]);
    /// let imported = client.messages("order-42").import(vec![old]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn import(&self, messages: Vec<ImportMessageInput>) -> Result<usize, Error> {
        let conversation = self.conversation()?;
        crate::validate::imports(&messages)?;
        let deadline = CallDeadline::start(self.client);
        let client = deadline.client();
        let mut applied = 0;
        for (index, chunk) in messages.chunks(MAX_MESSAGES_PER_REQUEST).enumerate() {
            let len = chunk.len();
            if let Err(source) = deadline.check() {
                return Err(partial(index, applied, Vec::new(), source));
            }
            let result = match import_messages(conversation, chunk) {
                Ok(request) => client.perform(request).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => applied += len,
                Err(source) => return Err(partial(index, applied, Vec::new(), source)),
            }
        }
        Ok(applied)
    }

    /// The conversation's messages, newest first, as a [`List`].
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::TryStreamExt;
    /// let newest = client.messages("order-42").list().limit(20).send().await?;
    /// let all: Vec<_> = client.messages("order-42").list().stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> List<'a, Message> {
        let conversation = self.conversation.clone();
        List::new(self.client, move |_| list_messages(&conversation))
    }

    /// One message; an unknown id is [`Error::NotFound`].
    pub async fn get(&self, message_id: &str) -> Result<Message, Error> {
        self.client
            .fetch(get_message(&self.conversation, message_id)?)
            .await
    }

    /// Edits a message's text and/or custom data (TalkJS sets `editedAt`).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::EditMessageBody;
    /// let fix = EditMessageBody::default().text("Size 43, not 42");
    /// client.messages("order-42").edit("msg_123", fix).await?;
    /// # Ok(()) }
    /// ```
    pub async fn edit(&self, message_id: &str, edit: EditMessageBody) -> Result<(), Error> {
        let request = edit_message(&self.conversation, message_id, &edit)?;
        self.client.perform(request).await
    }

    /// Deletes a message.
    ///
    /// Retried like any DELETE. If an earlier attempt's answer was lost and
    /// the retry finds no message, the call reports success: it is gone
    /// either way. Without such an attempt, an unknown message is
    /// [`Error::NotFound`].
    pub async fn delete(&self, message_id: &str) -> Result<(), Error> {
        self.client
            .perform(delete_message(&self.conversation, message_id)?)
            .await
    }

    /// Adds `user_id`'s `emoji` reaction to a message (example on
    /// [`Messages`]).
    pub async fn react(&self, message_id: &str, emoji: &str, user_id: &str) -> Result<(), Error> {
        let request = reaction(Method::PUT, &self.conversation, message_id, emoji, user_id)?;
        self.client.perform(request).await
    }

    /// Removes `user_id`'s `emoji` reaction from a message.
    pub async fn unreact(&self, message_id: &str, emoji: &str, user_id: &str) -> Result<(), Error> {
        let request = reaction(
            Method::DELETE,
            &self.conversation,
            message_id,
            emoji,
            user_id,
        )?;
        self.client.perform(request).await
    }
}

// The requests of this file, each described once: the methods above send
// them, and `BatchOp` carries them.

fn messages_of(
    method: Method,
    operation: &'static str,
    conversation_id: &str,
) -> Result<Request, Error> {
    Ok(Request::new(method, operation)
        .at("conversations")
        .id("conversationId", conversation_id)?
        .at("messages"))
}

/// `POST /conversations/{conversationId}/messages`: up to 10 messages.
pub(crate) fn send_messages(
    conversation_id: &str,
    messages: &[SendMessageInput],
) -> Result<Request, Error> {
    message_send(
        messages_of(Method::POST, "send_messages", conversation_id)?,
        messages,
    )
}

/// `to` (a `POST` to a conversation's messages, by id or by participants)
/// carrying `messages`: repeatable when each has an idempotency key (the
/// callers add them), since TalkJS then de-duplicates a repeat.
pub(crate) fn message_send(to: Request, messages: &[SendMessageInput]) -> Result<Request, Error> {
    let keyed = messages
        .iter()
        .all(|m| m.idempotency_key.as_deref().is_some_and(|k| !k.is_empty()));
    let request = to.json(&messages)?;
    Ok(if keyed {
        request.repeat(Repeat::WithIdempotencyKeys)
    } else {
        request
    })
}

/// `POST /import/conversations/{conversationId}/messages` (validated by
/// the caller): never repeated, TalkJS does not de-duplicate imports.
pub(crate) fn import_messages(
    conversation_id: &str,
    messages: &[ImportMessageInput],
) -> Result<Request, Error> {
    Ok(Request::new(Method::POST, "import_messages")
        .at("import")
        .at("conversations")
        .id("conversationId", conversation_id)?
        .at("messages")
        .json(&messages)?
        .repeat(Repeat::Never))
}

/// `GET /conversations/{conversationId}/messages`, one page.
pub(crate) fn list_messages(conversation_id: &str) -> Result<Request, Error> {
    messages_of(Method::GET, "list_messages", conversation_id)
}

fn message(
    method: Method,
    operation: &'static str,
    conversation_id: &str,
    message_id: &str,
) -> Result<Request, Error> {
    messages_of(method, operation, conversation_id)?.id("messageId", message_id)
}

/// `GET /conversations/{conversationId}/messages/{messageId}`.
pub(crate) fn get_message(conversation_id: &str, message_id: &str) -> Result<Request, Error> {
    message(Method::GET, "get_message", conversation_id, message_id)
}

/// `PUT /conversations/{conversationId}/messages/{messageId}`.
pub(crate) fn edit_message(
    conversation_id: &str,
    message_id: &str,
    edit: &EditMessageBody,
) -> Result<Request, Error> {
    message(Method::PUT, "edit_message", conversation_id, message_id)?.json(edit)
}

/// `DELETE /conversations/{conversationId}/messages/{messageId}`.
pub(crate) fn delete_message(conversation_id: &str, message_id: &str) -> Result<Request, Error> {
    message(
        Method::DELETE,
        "delete_message",
        conversation_id,
        message_id,
    )
}

/// `PUT` (add) or `DELETE` (remove)
/// `/conversations/{cid}/messages/{mid}/reactions/{emoji}/{userId}`.
pub(crate) fn reaction(
    method: Method,
    conversation_id: &str,
    message_id: &str,
    emoji: &str,
    user_id: &str,
) -> Result<Request, Error> {
    let operation = if method == Method::DELETE {
        "remove_reaction"
    } else {
        "add_reaction"
    };
    message(method, operation, conversation_id, message_id)?
        .at("reactions")
        .id("emoji", emoji)?
        .id("userId", user_id)
}

/// The send loop of a message array, for both the conversation path and the
/// deprecated `participants=` path (`to` makes the request's address):
/// validates the array, adds idempotency keys, sends chunks of at most
/// [`MAX_MESSAGES_PER_REQUEST`] in order within one overall deadline,
/// checks that each answer holds one id per message, and reports a failure
/// after the first chunk as [`Error::Partial`] with the ids already stored.
pub(crate) async fn send_in_chunks(
    client: &Client,
    mut messages: Vec<SendMessageInput>,
    to: impl Fn() -> Result<Request, Error>,
) -> Result<Vec<String>, Error> {
    crate::validate::messages(&messages)?;
    add_idempotency_keys(&mut messages);
    let deadline = CallDeadline::start(client);
    let mut ids = Vec::with_capacity(messages.len());
    for (index, chunk) in messages.chunks(MAX_MESSAGES_PER_REQUEST).enumerate() {
        let len = chunk.len();
        if let Err(source) = deadline.check() {
            return Err(partial(index, ids.len(), ids, source));
        }
        let sent: Result<Vec<SentMessage>, Error> =
            match to().and_then(|to| message_send(to, chunk)) {
                Ok(request) => deadline.client().fetch(request).await,
                Err(e) => Err(e),
            };
        match sent {
            Ok(sent) if sent.len() == len => ids.extend(sent.into_iter().map(|m| m.id)),
            Ok(sent) => {
                let source = Error::Protocol(format!(
                    "sent {len} messages, TalkJS answered {} ids",
                    sent.len()
                ));
                return Err(partial(index, ids.len(), ids, source));
            }
            Err(source) => return Err(partial(index, ids.len(), ids, source)),
        }
    }
    Ok(ids)
}

/// Gives every message without an idempotency key a fresh one; the body is
/// then fixed, so every retry carries the same keys.
pub(crate) fn add_idempotency_keys(messages: &mut [SendMessageInput]) {
    for m in messages {
        m.idempotency_key.get_or_insert_with(idempotency_key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idempotency_keys_are_distinct_32_hex_digits() {
        let keys: std::collections::HashSet<String> =
            (0..10_000).map(|_| idempotency_key()).collect();
        assert_eq!(keys.len(), 10_000);
        assert!(
            keys.iter()
                .all(|k| k.len() == 32 && k.bytes().all(|b| b.is_ascii_hexdigit()))
        );
        // The process's random half, then the counter.
        let [a, b] = [idempotency_key(), idempotency_key()];
        assert_eq!(a[..16], b[..16]);
        let count = |k: &str| u64::from_str_radix(&k[16..], 16).unwrap();
        assert!(count(&b) > count(&a), "{a} then {b}");
        // Most significant digit first, zero-padded.
        assert_eq!(
            hex32(0x0123_4567_89ab_cdef, 0xf),
            "0123456789abcdef000000000000000f"
        );
        assert_eq!(hex32(u64::MAX, 0), format!("{:016x}{:016x}", u64::MAX, 0));
    }
}
