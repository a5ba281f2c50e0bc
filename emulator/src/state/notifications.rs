//! Triggered notifications
//! ([Notifications](https://talkjs.com/docs/Reference/REST_API/Notifications/)):
//! the validated request, and the bounded record of what was triggered.
//! The emulator sends no email and no SMS; it only records.

use std::collections::VecDeque;

use serde_json::{Map, Value, json};

/// Most notification records kept; the oldest go first, so a client
/// cannot grow the record without bound.
const RECORD_CAPACITY: usize = 10_000;

/// A validated `POST /conversations/{cid}/notifications` body.
#[derive(Debug, Clone)]
pub struct NotificationRequest {
    /// `email` and/or `sms`, at least one, each once.
    pub channels: Vec<String>,
    /// Explicit recipients (deduplicated, in the given order), or `None`
    /// for everyone with unanswered messages.
    pub recipients: Option<Vec<String>>,
    /// `smsSettings`, kept as sent.
    pub sms_settings: Option<Value>,
    /// `emailSettings`, kept as sent.
    pub email_settings: Option<Value>,
}

impl NotificationRequest {
    /// Checks a body: `channels` is required and non-empty, each `"email"`
    /// or `"sms"`; the settings are objects whose documented fields are
    /// strings (`smsTemplate`; `subject`, `header`, `footer`, `inboxUrl`);
    /// other settings fields are kept unchecked, since TalkJS's list ends
    /// with "...".
    pub fn parse(body: &Value) -> Result<Self, String> {
        let map = super::validate::object(body, "notification request")?;
        let mut channels = Vec::new();
        match map.get("channels") {
            Some(Value::Array(list)) if !list.is_empty() => {
                for c in list {
                    match c.as_str() {
                        Some(c @ ("email" | "sms")) if !channels.iter().any(|k| k == c) => {
                            channels.push(c.to_owned());
                        }
                        Some("email" | "sms") => {}
                        _ => return Err(format!("channels: {c} is not \"email\" or \"sms\"")),
                    }
                }
            }
            _ => {
                return Err(
                    "channels is required: a non-empty array of \"email\" and/or \"sms\"".into(),
                );
            }
        }
        let recipients = match map.get("recipients") {
            None => None,
            Some(Value::Array(ids)) => {
                let mut out: Vec<String> = Vec::new();
                for id in ids {
                    let id = id
                        .as_str()
                        .ok_or("recipients must be an array of user ids")?;
                    if !out.iter().any(|o| o == id) {
                        out.push(id.to_owned());
                    }
                }
                Some(out)
            }
            Some(_) => return Err("recipients must be an array of user ids".into()),
        };
        Ok(NotificationRequest {
            channels,
            recipients,
            sms_settings: settings(map, "smsSettings", &["smsTemplate"])?,
            email_settings: settings(
                map,
                "emailSettings",
                &["subject", "header", "footer", "inboxUrl"],
            )?,
        })
    }
}

/// An optional settings object whose `strings` fields, if present, are strings.
fn settings(
    map: &Map<String, Value>,
    key: &str,
    strings: &[&str],
) -> Result<Option<Value>, String> {
    match map.get(key) {
        None => Ok(None),
        Some(v @ Value::Object(o)) => {
            if let Some(bad) = strings
                .iter()
                .find(|f| o.get(**f).is_some_and(|v| !v.is_string()))
            {
                return Err(format!("{key}.{bad} must be a string"));
            }
            Ok(Some(v.clone()))
        }
        Some(_) => Err(format!("{key} must be an object")),
    }
}

/// The notifications triggered so far, one record per recipient, oldest
/// first, at most [`RECORD_CAPACITY`].
#[derive(Debug, Default)]
pub struct NotificationLog {
    records: VecDeque<Value>,
}

impl NotificationLog {
    /// Records one triggered notification.
    pub fn push(
        &mut self,
        id: &str,
        conversation_id: &str,
        recipient: &str,
        req: &NotificationRequest,
        at: i64,
    ) -> Value {
        if self.records.len() >= RECORD_CAPACITY {
            self.records.pop_front();
        }
        let mut record = json!({
            "id": id,
            "conversationId": conversation_id,
            "recipientId": recipient,
            "channels": req.channels,
            "createdAt": at,
        });
        if let Some(s) = &req.sms_settings {
            record["smsSettings"] = s.clone();
        }
        if let Some(s) = &req.email_settings {
            record["emailSettings"] = s.clone();
        }
        self.records.push_back(record.clone());
        record
    }

    /// Every record, oldest first.
    pub fn all(&self) -> Vec<Value> {
        self.records.iter().cloned().collect()
    }
}
