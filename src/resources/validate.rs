//! Checks of message arrays before anything is sent, by TalkJS's rules for
//! sending (<https://talkjs.com/docs/Reference/REST_API/Messages/>) and
//! importing (<https://talkjs.com/docs/Reference/REST_API/Importing_Messages/>).

use crate::{
    Error,
    path::check_segment,
    raw::types::{ConversationInput, ImportMessageInput, SendMessageInput, SendMessageInputType},
};

/// Longest idempotency key accepted (TalkJS's bound is unconfirmed; this one
/// keeps keys sane without refusing any realistic key).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

fn field(index: usize, name: &str) -> String {
    format!("messages[{index}].{name}")
}

fn non_empty(index: usize, name: &str, value: Option<&str>) -> Result<(), Error> {
    match value {
        Some("") => Err(Error::validation(field(index, name), "must not be empty")),
        _ => Ok(()),
    }
}

/// Validates a batch of messages to send: `UserMessage` has a sender and
/// `SystemMessage` has none; exactly one of text, attachment token, content
/// or location; system messages carry no location; a location is two finite
/// numbers in range; text is not empty; idempotency keys are non-empty and
/// at most [`MAX_IDEMPOTENCY_KEY_LEN`] bytes.
///
/// ```
/// use talkjs::types::SendMessageInput;
/// let ok = SendMessageInput::system_text("Order shipped");
/// let mut bad = SendMessageInput::user_text("alice", "hi");
/// bad.sender = None; // a user message without a sender
/// let messages = [ok, bad];
/// let err = talkjs::validate::messages(&messages).unwrap_err();
/// assert!(err.to_string().contains("messages[1].sender"));
/// ```
pub fn messages(messages: &[SendMessageInput]) -> Result<(), Error> {
    if messages.is_empty() {
        return Err(Error::validation(
            "messages",
            "must hold at least one message",
        ));
    }
    messages
        .iter()
        .enumerate()
        .try_for_each(|(i, m)| message(i, m))
}

fn message(i: usize, m: &SendMessageInput) -> Result<(), Error> {
    let system = matches!(m.type_, SendMessageInputType::SystemMessage);
    match (&m.sender, system) {
        (None, false) => {
            return Err(Error::validation(
                field(i, "sender"),
                "a UserMessage needs a sender",
            ));
        }
        (Some(_), true) => {
            return Err(Error::validation(
                field(i, "sender"),
                "a SystemMessage must not have a sender",
            ));
        }
        _ => {}
    }
    non_empty(i, "sender", m.sender.as_deref())?;
    non_empty(i, "text", m.text.as_deref())?;
    non_empty(i, "attachmentToken", m.attachment_token.as_deref())?;
    non_empty(i, "referencedMessageId", m.referenced_message_id.as_deref())?;
    let bodies = [
        m.text.is_some(),
        m.attachment_token.is_some(),
        !m.content.is_empty(),
        m.location.is_some(),
    ];
    match bodies.iter().filter(|b| **b).count() {
        1 => {}
        0 => {
            return Err(Error::validation(
                field(i, "text"),
                "a message needs one of text, attachmentToken, content or location",
            ));
        }
        _ => {
            return Err(Error::validation(
                field(i, "text"),
                "text, attachmentToken, content and location are mutually exclusive",
            ));
        }
    }
    if let Some([a, b]) = m.location {
        if system {
            return Err(Error::validation(
                field(i, "location"),
                "a SystemMessage cannot carry a location",
            ));
        }
        // Which of the two is the latitude is ambiguous upstream (see the
        // spec patch); either order must be a valid coordinate pair.
        let lat = |v: f64| (-90.0..=90.0).contains(&v);
        let lon = |v: f64| (-180.0..=180.0).contains(&v);
        if !(a.is_finite() && b.is_finite() && lon(a) && lon(b) && (lat(a) || lat(b))) {
            return Err(Error::validation(
                field(i, "location"),
                "must be two finite numbers: a latitude in -90..=90 and a longitude in -180..=180",
            ));
        }
    }
    if let Some(key) = &m.idempotency_key {
        idempotency_key(i, key)?;
    }
    Ok(())
}

fn idempotency_key(i: usize, key: &str) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN || key.chars().any(char::is_control) {
        return Err(Error::validation(
            field(i, "idempotencyKey"),
            format!("must be 1..={MAX_IDEMPOTENCY_KEY_LEN} bytes without control characters"),
        ));
    }
    Ok(())
}

/// Validates a conversation to create or update: each participant is a
/// user id that a URL can address (see [`crate::path::check_segment`]).
/// Every TalkJS user is created and reached at `/users/{id}`, so an id that
/// no URL can carry names no user; refused here, it is never sent.
///
/// ```
/// use talkjs::types::ConversationInput;
/// let input = ConversationInput::with_participants(["alice", ".."]);
/// let err = talkjs::validate::conversation(&input).unwrap_err();
/// assert!(err.to_string().contains("participants[1]"));
/// ```
pub fn conversation(input: &ConversationInput) -> Result<(), Error> {
    input
        .participants
        .iter()
        .enumerate()
        .try_for_each(|(i, id)| {
            // The indexed field name is only formatted for an id refused.
            check_segment("participants", id).map_err(|error| match error {
                Error::Validation { rule, .. } => {
                    Error::validation(format!("participants[{i}]"), rule)
                }
                other => other,
            })
        })
}

/// Validates messages to import: a sender, text or an attachment token (not
/// both), a non-negative timestamp.
pub fn imports(messages: &[ImportMessageInput]) -> Result<(), Error> {
    if messages.is_empty() {
        return Err(Error::validation(
            "messages",
            "must hold at least one message",
        ));
    }
    for (i, m) in messages.iter().enumerate() {
        non_empty(i, "sender", Some(&m.sender))?;
        non_empty(i, "text", m.text.as_deref())?;
        non_empty(i, "attachmentToken", m.attachment_token.as_deref())?;
        if m.text.is_some() == m.attachment_token.is_some() {
            return Err(Error::validation(
                field(i, "text"),
                "an imported message has exactly one of text and attachmentToken",
            ));
        }
        if m.timestamp < 0 {
            return Err(Error::validation(
                field(i, "timestamp"),
                "must be Unix milliseconds >= 0",
            ));
        }
    }
    Ok(())
}
