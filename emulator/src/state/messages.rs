//! Messages of one conversation: input checks for sending and importing,
//! storage ordered by creation time, and the spec's `Message` shape.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use serde_json::{Map, Value, json};

use super::conversations::Conversation;
use super::files::StoredFile;
use super::validate::{self, Patch};

/// Above this many participants TalkJS answers `readBy: []` ("For
/// conversations with 301 or more participants, the readBy field is
/// empty", <https://talkjs.com/docs/Reference/Concepts/Messages/>) and
/// sends no `message.read` webhook
/// (<https://talkjs.com/docs/Reference/Webhooks/>).
///
/// Only the answers and events change: read markers are still stored and
/// moved (so `isUnread` works as before), and `readBy` shows them again,
/// and `message.read` comes again, once the conversation is back to 300 or
/// fewer. Whether TalkJS itself keeps read state for such a conversation is
/// not documented; this is the simplest rule consistent with `readBy` being
/// derived from the markers on every answer (get, list, `lastMessage`,
/// webhook payloads).
pub(crate) const READ_BY_PARTICIPANT_LIMIT: usize = 300;

/// A stored message.
#[derive(Debug, Clone)]
pub struct Message {
    /// `msg_...` id.
    pub id: String,
    /// Conversation id.
    pub conversation_id: String,
    /// `UserMessage` or `SystemMessage`.
    pub kind: String,
    /// Sender id; `None` for system messages.
    pub sender: Option<String>,
    /// Text, for text messages.
    pub text: Option<String>,
    /// Rich content blocks, for content messages.
    pub content: Option<Value>,
    /// `(url, size)` of the attached file, for file messages.
    pub attachment: Option<(String, usize)>,
    /// `[number, number]`, for location messages.
    pub location: Option<Value>,
    /// `rest` or `import`.
    pub origin: &'static str,
    /// Creation time (Unix ms); an import's `timestamp`.
    pub created_at: i64,
    /// Last edit time (Unix ms).
    pub edited_at: Option<i64>,
    /// Custom string map.
    pub custom: BTreeMap<String, String>,
    /// The message this one replies to.
    pub referenced_message_id: Option<String>,
    /// Emoji -> user ids who reacted with it.
    pub reactions: BTreeMap<String, Vec<String>>,
    /// Idempotency key sent with the message.
    pub idempotency_key: Option<String>,
    /// Ordering key within the conversation.
    key: (i64, u64),
}

impl Message {
    /// The message as the API shows it; `readBy` derives from participants'
    /// read markers.
    pub fn to_json(&self, conv: &Conversation) -> Value {
        let read_by: Vec<&String> = if conv.participants.len() > READ_BY_PARTICIPANT_LIMIT {
            Vec::new()
        } else {
            conv.participants
                .iter()
                .filter(|(uid, p)| {
                    self.sender.as_deref() != Some(uid.as_str()) && p.has_read(self.created_at)
                })
                .map(|(uid, _)| uid)
                .collect()
        };
        let mut v = json!({
            "id": self.id,
            "type": self.kind,
            "conversationId": self.conversation_id,
            "senderId": self.sender,
            "text": self.text,
            "attachment": self.attachment.as_ref().map(|(url, size)| json!({"url": url, "size": size})),
            "location": self.location,
            "origin": self.origin,
            "createdAt": self.created_at,
            "editedAt": self.edited_at,
            "readBy": read_by,
            "custom": validate::custom_json(&self.custom),
            "referencedMessageId": self.referenced_message_id,
            "reactions": self.reactions,
        });
        if let (Some(content), Some(obj)) = (&self.content, v.as_object_mut()) {
            obj.insert("content".into(), content.clone());
        }
        v
    }
}

#[cfg(test)]
impl Message {
    /// A text message for tests that fill the store directly.
    pub fn for_tests(
        id: &str,
        conversation_id: &str,
        sender: Option<&str>,
        created_at: i64,
    ) -> Self {
        Message {
            id: id.to_owned(),
            conversation_id: conversation_id.to_owned(),
            kind: if sender.is_some() {
                "UserMessage"
            } else {
                "SystemMessage"
            }
            .into(),
            sender: sender.map(str::to_owned),
            text: Some("x".into()),
            content: None,
            attachment: None,
            location: None,
            origin: "rest",
            created_at,
            edited_at: None,
            custom: BTreeMap::new(),
            referenced_message_id: None,
            reactions: BTreeMap::new(),
            idempotency_key: None,
            key: (0, 0),
        }
    }
}

/// The messages of one conversation, ordered by `(createdAt, arrival)` so a
/// newest-first page is a reverse range scan.
#[derive(Debug, Default)]
pub struct MessageLog {
    order: BTreeMap<(i64, u64), String>,
    items: HashMap<String, Message>,
    idempotency: HashMap<String, String>,
    next_seq: u64,
}

impl MessageLog {
    /// The newest message.
    pub fn newest(&self) -> Option<&Message> {
        self.order
            .values()
            .next_back()
            .and_then(|id| self.items.get(id))
    }

    /// A message by id.
    pub fn get(&self, id: &str) -> Option<&Message> {
        self.items.get(id)
    }

    /// A message by id, mutably.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut Message> {
        self.items.get_mut(id)
    }

    /// The id of the message sent earlier with this idempotency key.
    pub fn by_idempotency_key(&self, key: &str) -> Option<&str> {
        self.idempotency.get(key).map(String::as_str)
    }

    /// Stores a new message.
    pub fn insert(&mut self, mut msg: Message) {
        msg.key = (msg.created_at, self.next_seq);
        self.next_seq += 1;
        if let Some(k) = &msg.idempotency_key {
            self.idempotency.insert(k.clone(), msg.id.clone());
        }
        self.order.insert(msg.key, msg.id.clone());
        self.items.insert(msg.id.clone(), msg);
    }

    /// Deletes a message. Its idempotency key stays remembered, so a retry
    /// after a delete still does not resend.
    pub fn remove(&mut self, id: &str) -> Option<Message> {
        let msg = self.items.remove(id)?;
        self.order.remove(&msg.key);
        Some(msg)
    }

    /// Forgets every message (the conversation was deleted) but keeps the
    /// idempotency keys, which are remembered for the emulator's lifetime:
    /// a retry of a send after its conversation was deleted and created
    /// again still does not resend.
    pub fn forget_messages(&mut self) {
        self.order.clear();
        self.items.clear();
    }

    /// Messages newest first, starting after the message `after`.
    /// `Err(())` when `after` is not a message of this conversation.
    #[allow(clippy::result_unit_err)]
    pub fn newest_first_after(
        &self,
        after: Option<&str>,
    ) -> Result<impl Iterator<Item = &Message> + '_, ()> {
        let end = match after {
            Some(id) => Bound::Excluded(self.items.get(id).ok_or(())?.key),
            None => Bound::Unbounded,
        };
        Ok(self
            .order
            .range((Bound::Unbounded, end))
            .rev()
            .filter_map(|(_, id)| self.items.get(id)))
    }

    /// Messages created after `after` (from the first when `None`) up to
    /// and including `until`, oldest first.
    pub fn created_between(
        &self,
        after: Option<i64>,
        until: i64,
    ) -> impl Iterator<Item = &Message> + '_ {
        // `range` panics when start > end; `min` keeps the start at or
        // before the end (an empty range when `after >= until`).
        let lo = after.map_or(Bound::Unbounded, |a| {
            Bound::Excluded((a.min(until), u64::MAX))
        });
        self.order
            .range((lo, Bound::Included((until, u64::MAX))))
            .filter_map(|(_, id)| self.items.get(id))
    }

    /// All messages, oldest first.
    pub fn all(&self) -> impl Iterator<Item = &Message> + '_ {
        self.order.values().filter_map(|id| self.items.get(id))
    }
}

/// A message's payload: text, content blocks, attachment `(url, size)`,
/// location; exactly one is set.
type Payload = (
    Option<String>,
    Option<Value>,
    Option<(String, usize)>,
    Option<Value>,
);

/// What a message carries: exactly one of text, content, file or location.
fn body_of(
    map: &Map<String, Value>,
    files: &HashMap<String, StoredFile>,
    system: bool,
) -> Result<Payload, String> {
    let text = match map.get("text") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err("text must be a string".into()),
    };
    let content = match map.get("content") {
        None | Some(Value::Null) => None,
        Some(Value::Array(blocks)) if !blocks.is_empty() && blocks.iter().all(Value::is_object) => {
            Some(Value::Array(blocks.clone()))
        }
        Some(_) => return Err("content must be a non-empty array of content block objects".into()),
    };
    let attachment = match map.get("attachmentToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) => {
            let f = files
                .get(t)
                .ok_or_else(|| format!("unknown attachmentToken {t:?}"))?;
            Some((f.url.clone(), f.bytes.len()))
        }
        Some(_) => return Err("attachmentToken must be a string".into()),
    };
    let location = match map.get("location") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) if a.len() == 2 && a.iter().all(Value::is_number) => {
            Some(Value::Array(a.clone()))
        }
        Some(_) => return Err("location must be an array of two numbers".into()),
    };
    if system && location.is_some() {
        return Err("system messages cannot carry a location".into());
    }
    let kinds = [
        text.is_some(),
        content.is_some(),
        attachment.is_some(),
        location.is_some(),
    ];
    match kinds.iter().filter(|k| **k).count() {
        1 => Ok((text, content, attachment, location)),
        0 => Err("a message needs one of text, content, attachmentToken or location".into()),
        _ => Err("text, content, attachmentToken and location are mutually exclusive".into()),
    }
}

fn sender_of(
    map: &Map<String, Value>,
    conv: &Conversation,
    system: bool,
) -> Result<Option<String>, String> {
    match (map.get("sender"), system) {
        (None | Some(Value::Null), true) => Ok(None),
        (Some(_), true) => Err("a SystemMessage must not have a sender".into()),
        (Some(Value::String(s)), false) => {
            if conv.participants.contains_key(s) {
                Ok(Some(s.clone()))
            } else {
                Err(format!(
                    "sender {s:?} is not a participant of the conversation"
                ))
            }
        }
        (None | Some(Value::Null), false) => Err("a UserMessage needs a sender".into()),
        (Some(_), false) => Err("sender must be a string".into()),
    }
}

fn custom_of(map: &Map<String, Value>) -> Result<BTreeMap<String, String>, String> {
    let mut custom = BTreeMap::new();
    match validate::custom(map, "custom")? {
        Patch::Set(c) if c.values().any(Option::is_none) => {
            Err("custom values must be strings".into())
        }
        p => {
            validate::apply_custom(&mut custom, p);
            Ok(custom)
        }
    }
}

/// Checks one element of a `POST .../messages` body against the
/// conversation, uploaded files and existing messages.
pub fn parse_send(
    v: &Value,
    conv: &Conversation,
    files: &HashMap<String, StoredFile>,
    log: Option<&MessageLog>,
) -> Result<Message, String> {
    let map = validate::object(v, "each message")?;
    let system = match map.get("type").and_then(Value::as_str) {
        Some("UserMessage") => false,
        Some("SystemMessage") => true,
        _ => return Err("type must be \"UserMessage\" or \"SystemMessage\"".into()),
    };
    let sender = sender_of(map, conv, system)?;
    let (text, content, attachment, location) = body_of(map, files, system)?;
    let referenced_message_id = match map.get("referencedMessageId") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => {
            if log.and_then(|l| l.get(id)).is_none() {
                return Err(format!(
                    "referencedMessageId {id:?} is not a message of this conversation"
                ));
            }
            Some(id.clone())
        }
        Some(_) => return Err("referencedMessageId must be a string or null".into()),
    };
    let idempotency_key = match map.get("idempotencyKey") {
        None | Some(Value::Null) => None,
        Some(Value::String(k)) => Some(k.clone()),
        Some(_) => return Err("idempotencyKey must be a string".into()),
    };
    Ok(Message {
        id: String::new(),
        conversation_id: conv.id.clone(),
        kind: if system {
            "SystemMessage"
        } else {
            "UserMessage"
        }
        .into(),
        sender,
        text,
        content,
        attachment,
        location,
        origin: "rest",
        created_at: 0,
        edited_at: None,
        custom: custom_of(map)?,
        referenced_message_id,
        reactions: BTreeMap::new(),
        idempotency_key,
        key: (0, 0),
    })
}

/// Checks one element of an import body, TalkJS's documented tuple
/// `{text | attachmentToken, sender, timestamp, readBy, type, custom?}`:
/// a participant's `UserMessage` with a `timestamp` (Unix ms) and a
/// `readBy` array (required; may be empty). `content` and `location` are
/// not part of the import format and are refused. Returns the message and
/// the user ids that have read it.
pub fn parse_import(
    v: &Value,
    conv: &Conversation,
    files: &HashMap<String, StoredFile>,
) -> Result<(Message, Vec<String>), String> {
    let map = validate::object(v, "each message")?;
    if map.get("type").and_then(Value::as_str) != Some("UserMessage") {
        return Err("imported messages must have type \"UserMessage\"".into());
    }
    let sender = sender_of(map, conv, false)?;
    let created_at = map
        .get("timestamp")
        .and_then(Value::as_i64)
        .filter(|t| *t >= 0)
        .ok_or("timestamp (Unix ms) is required")?;
    if map.contains_key("content") || map.contains_key("location") {
        return Err(
            "imported messages carry text or an attachmentToken (no content, no location)".into(),
        );
    }
    let (text, content, attachment, location) = body_of(map, files, false)?;
    let read_by = match validate::strings(map, "readBy")? {
        Patch::Set(ids) => ids,
        _ => return Err("readBy (an array of user ids, possibly empty) is required".into()),
    };
    let msg = Message {
        id: String::new(),
        conversation_id: conv.id.clone(),
        kind: "UserMessage".into(),
        sender,
        text,
        content,
        attachment,
        location,
        origin: "import",
        created_at,
        edited_at: None,
        custom: custom_of(map)?,
        referenced_message_id: None,
        reactions: BTreeMap::new(),
        idempotency_key: None,
        key: (0, 0),
    };
    Ok((msg, read_by))
}

/// A validated `PUT .../messages/{id}` body.
#[derive(Debug)]
pub struct MessageEdit {
    text: Option<String>,
    custom: Patch<BTreeMap<String, Option<String>>>,
}

impl MessageEdit {
    /// Checks an edit body (`text`, `custom`).
    pub fn parse(v: &Value) -> Result<Self, String> {
        let map = validate::object(v, "message edit")?;
        let text = match map.get("text") {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("text must be a string".into()),
        };
        Ok(MessageEdit {
            text,
            custom: validate::custom(map, "custom")?,
        })
    }

    /// Applies the edit and stamps `editedAt`.
    pub fn apply(self, msg: &mut Message, now: i64) {
        if let Some(t) = self.text {
            msg.text = Some(t);
        }
        validate::apply_custom(&mut msg.custom, self.custom);
        msg.edited_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_between_excludes_after_and_includes_until() {
        let mut log = MessageLog::default();
        for (id, at) in [("m1", 1), ("m2", 2), ("m3", 3)] {
            log.insert(Message::for_tests(id, "c", Some("a"), at));
        }
        let ids = |after, until| -> Vec<&str> {
            log.created_between(after, until)
                .map(|m| m.id.as_str())
                .collect()
        };
        assert_eq!(ids(None, 2), ["m1", "m2"]);
        assert_eq!(ids(Some(1), 3), ["m2", "m3"]);
        // Empty, and no panic, when `after` is at or past `until`.
        assert!(ids(Some(2), 2).is_empty());
        assert!(ids(Some(3), 1).is_empty());
    }
}
