//! From the lines of `talkjs export` (and of `users sync`) to the SDK's
//! inputs: a user line to a `UserInput`, a conversation line to a
//! `ConversationInput` and its participants' settings, a message line to an
//! `ImportMessageInput`. Each refusal says which field is wrong.

use serde_json::{Map, Value};
use talkjs::{
    Access, Notify,
    bulk::ImportItem,
    raw::types::{ConversationInput, ImportMessageInput, UserInput},
};

/// A conversation to create, and the participants whose settings differ
/// from TalkJS's defaults (read-write, notified of everything).
#[derive(Debug)]
pub struct ConversationPlan {
    /// The conversation's id.
    pub id: String,
    /// Its data, with every participant's id.
    pub input: ConversationInput,
    /// Participants to set after it is created.
    pub settings: Vec<(String, Access, Notify)>,
}

/// A message to import into `conversation`.
#[derive(Debug)]
pub struct MessagePlan {
    /// The conversation's id.
    pub conversation: String,
    /// Its original time, to put a conversation's messages in order.
    pub timestamp: i64,
    /// The message.
    pub message: ImportMessageInput,
}

/// The id and input of a user object (`{"id": ..., ...fields}`, an export's
/// user line included).
pub fn user(mut object: Map<String, Value>) -> Result<(String, UserInput), String> {
    let id = match object.remove("id") {
        Some(Value::String(id)) if !id.is_empty() => id,
        _ => return Err("\"id\" (a non-empty string) is missing".into()),
    };
    // What an export adds that an input does not take.
    for read_only in ["kind", "createdAt"] {
        object.remove(read_only);
    }
    Ok((id, typed(object, "user")?))
}

/// The plan of an export's conversation line.
pub fn conversation(object: &Map<String, Value>) -> Result<ConversationPlan, String> {
    let id = string(object, "id")?;
    let mut input = Map::new();
    for field in ["subject", "photoUrl", "welcomeMessages", "custom"] {
        if let Some(value) = object.get(field) {
            input.insert(field.to_owned(), value.clone());
        }
    }
    let participants = match object.get("participants") {
        Some(Value::Object(participants)) => participants.clone(),
        None | Some(Value::Null) => Map::new(),
        Some(_) => return Err("\"participants\" is not an object".into()),
    };
    let mut settings = Vec::new();
    for (user, participant) in &participants {
        let access = match participant.get("access").and_then(Value::as_str) {
            None | Some("ReadWrite") => Access::ReadWrite,
            Some("Read") => Access::Read,
            Some("None") => Access::None,
            Some(other) => return Err(format!("participant {user:?}: unknown access {other:?}")),
        };
        let notify = match participant.get("notify") {
            None | Some(Value::Null) | Some(Value::Bool(true)) => Notify::All,
            Some(Value::Bool(false)) => Notify::Off,
            Some(Value::String(s)) if s == "MentionsOnly" => Notify::MentionsOnly,
            Some(other) => return Err(format!("participant {user:?}: unknown notify {other}")),
        };
        if (access, notify) != (Access::ReadWrite, Notify::All) {
            settings.push((user.clone(), access, notify));
        }
    }
    input.insert(
        "participants".into(),
        Value::Array(participants.keys().cloned().map(Value::String).collect()),
    );
    Ok(ConversationPlan {
        id,
        input: typed(input, "conversation")?,
        settings,
    })
}

/// The plan of an export's message line; `None` for a system message,
/// which TalkJS's import does not take.
pub fn message(object: &Map<String, Value>) -> Result<Option<MessagePlan>, String> {
    let conversation = string(object, "conversationId")?;
    let message = match object.get("message") {
        Some(Value::Object(message)) => message,
        _ => return Err("\"message\" (an object) is missing".into()),
    };
    if message.get("type").and_then(Value::as_str) == Some("SystemMessage") {
        return Ok(None);
    }
    let timestamp = message
        .get("createdAt")
        .and_then(Value::as_i64)
        .ok_or("message.createdAt (Unix milliseconds) is missing")?;
    let mut input = Map::new();
    input.insert("type".into(), "UserMessage".into());
    input.insert("timestamp".into(), timestamp.into());
    let renamed = [
        ("senderId", "sender"),
        ("text", "text"),
        ("readBy", "readBy"),
    ];
    for (from, to) in renamed.into_iter().chain([("custom", "custom")]) {
        if let Some(value) = message.get(from).filter(|v| !v.is_null()) {
            input.insert(to.to_owned(), value.clone());
        }
    }
    input
        .entry("readBy")
        .or_insert_with(|| Value::Array(Vec::new()));
    let message = serde_json::from_value(Value::Object(input))
        .map_err(|e| format!("the message cannot be imported: {e}"))?;
    Ok(Some(MessagePlan {
        conversation,
        timestamp,
        message,
    }))
}

/// An import line, `{"conversation": ..., "message": {...}}`, any field of
/// either that TalkJS's import does not know refused by name (a misspelt
/// `"txt"` would otherwise be dropped, and TalkJS refuse the request).
pub fn item(object: &Map<String, Value>) -> Result<ImportItem, String> {
    if let Some(unknown) = object
        .keys()
        .find(|key| !matches!(key.as_str(), "conversation" | "message"))
    {
        return Err(format!(
            "unknown field {unknown:?} of an import line: it has \"conversation\" and \"message\""
        ));
    }
    let conversation = string(object, "conversation")?;
    let message = match object.get("message") {
        Some(Value::Object(message)) => message.clone(),
        _ => return Err("\"message\" (an object) is missing".into()),
    };
    Ok(ImportItem {
        conversation,
        message: typed(message, "message")?,
    })
}

fn string(object: &Map<String, Value>, field: &str) -> Result<String, String> {
    match object.get(field) {
        Some(Value::String(value)) if !value.is_empty() => Ok(value.clone()),
        _ => Err(format!("\"{field}\" (a non-empty string) is missing")),
    }
}

/// `object` as a `T`, with `null`s left out (nothing to set in a new
/// record) and any field `T` does not know refused by name: serde would
/// drop it silently, and a misspelt column would be lost data.
fn typed<T>(mut object: Map<String, Value>, what: &str) -> Result<T, String>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    object.retain(|_, value| !value.is_null());
    let parsed: T = serde_json::from_value(Value::Object(object.clone()))
        .map_err(|e| format!("not a valid {what}: {e}"))?;
    let known = serde_json::to_value(&parsed).unwrap_or_default();
    if let Some(unknown) = object.keys().find(|key| known.get(key.as_str()).is_none()) {
        return Err(format!(
            "unknown field {unknown:?} of a {what}: check its spelling (fields are named as in \
             TalkJS's API, e.g. photoUrl, welcomeMessage, readBy)"
        ));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn an_export_user_line_becomes_an_input() {
        let line = json!({"kind": "user", "id": "a", "name": "A", "createdAt": 1, "role": null,
                          "custom": {"k": "v"}, "email": ["a@x"]});
        let (id, input) = user(object(line)).unwrap();
        assert_eq!(id, "a");
        let sent = serde_json::to_value(&input).unwrap();
        assert_eq!(
            sent,
            json!({"name": "A", "custom": {"k": "v"}, "email": ["a@x"]})
        );
    }

    #[test]
    fn a_misspelt_field_is_refused_by_name() {
        let error = user(object(json!({"id": "a", "name": "A", "photoURL": "x"}))).unwrap_err();
        assert!(error.contains("\"photoURL\""), "{error}");
        assert!(
            user(object(json!({"name": "A"})))
                .unwrap_err()
                .contains("\"id\"")
        );
    }

    #[test]
    fn participants_keep_their_settings() {
        let line = json!({"kind": "conversation", "id": "c", "subject": "S",
            "participants": {"a": {"access": "ReadWrite", "notify": true},
                             "b": {"access": "Read", "notify": "MentionsOnly"}}});
        let plan = conversation(&object(line)).unwrap();
        assert_eq!(
            plan.input.participants,
            vec!["a".to_owned(), "b".to_owned()]
        );
        assert_eq!(
            plan.settings,
            vec![("b".to_owned(), Access::Read, Notify::MentionsOnly)]
        );
    }

    #[test]
    fn a_message_keeps_sender_text_time_readers_and_custom() {
        let line = json!({"kind": "message", "conversationId": "c", "message": {
            "id": "m1", "type": "UserMessage", "senderId": "a", "text": "hi", "createdAt": 5,
            "readBy": ["b"], "custom": {"k": "v"}, "origin": "web", "reactions": {}}});
        let plan = message(&object(line)).unwrap().unwrap();
        let sent = serde_json::to_value(&plan.message).unwrap();
        assert_eq!(
            sent,
            json!({"type": "UserMessage", "sender": "a", "text": "hi", "timestamp": 5,
                   "readBy": ["b"], "custom": {"k": "v"}})
        );
        let system = json!({"kind": "message", "conversationId": "c",
                            "message": {"type": "SystemMessage", "text": "x", "createdAt": 1}});
        assert!(message(&object(system)).unwrap().is_none());
    }
}
