//! Conversations and their participants: PATCH-like merging, participation
//! settings, read markers, and the spec's `Conversation` response shape.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::messages::MessageLog;
use super::validate::{self, Patch};

/// A stored conversation.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    /// Conversation id.
    pub id: String,
    /// Subject.
    pub subject: Option<String>,
    /// Photo URL.
    pub photo_url: Option<String>,
    /// Welcome messages.
    pub welcome_messages: Option<Vec<String>>,
    /// Custom string map.
    pub custom: BTreeMap<String, String>,
    /// Topic, set only by the deprecated `participants=...;topic=...` path.
    pub topic_id: Option<String>,
    /// Participants by user id.
    pub participants: BTreeMap<String, Participant>,
    /// Creation time (Unix ms).
    pub created_at: i64,
}

/// One participant's settings and read marker.
#[derive(Debug, Clone)]
pub struct Participant {
    /// `ReadWrite`, `Read` or `None` (stored and shown; see the README for
    /// what `None` does not change).
    pub access: String,
    /// `true`, `false` or `"MentionsOnly"`.
    pub notify: Value,
    /// When the user joined (Unix ms).
    pub joined_at: i64,
    /// Messages created at or before this time are read by this user.
    pub read_until: Option<i64>,
}

impl Participant {
    /// A participant with TalkJS's defaults: ReadWrite, notify true.
    pub fn new(joined_at: i64) -> Self {
        Participant {
            access: "ReadWrite".into(),
            notify: Value::Bool(true),
            joined_at,
            read_until: None,
        }
    }

    /// Whether a message created at `at` counts as read by this user.
    pub fn has_read(&self, at: i64) -> bool {
        self.read_until.is_some_and(|r| r >= at)
    }
}

/// A validated `PUT /conversations/{id}` body.
#[derive(Debug, Clone)]
pub struct ConversationPatch {
    subject: Patch<String>,
    photo_url: Patch<String>,
    welcome_messages: Patch<Vec<String>>,
    custom: Patch<BTreeMap<String, Option<String>>>,
    /// User ids to add (participants are never removed by PUT).
    pub participants: Vec<String>,
}

impl ConversationPatch {
    /// Checks a body.
    pub fn parse(body: &Value) -> Result<Self, String> {
        let map = validate::object(body, "conversation")?;
        let participants = match validate::strings(map, "participants")? {
            Patch::Absent => Vec::new(),
            Patch::Clear => return Err("participants must be an array of user ids".into()),
            Patch::Set(ids) => ids,
        };
        if participants.iter().any(String::is_empty) {
            return Err("participant ids must not be empty".into());
        }
        Ok(ConversationPatch {
            subject: validate::string(map, "subject")?,
            photo_url: validate::string(map, "photoUrl")?,
            welcome_messages: validate::strings(map, "welcomeMessages")?,
            custom: validate::custom(map, "custom")?,
            participants,
        })
    }

    /// Merges the fields (not the participants) into `conv`.
    pub fn apply_fields(self, conv: &mut Conversation) -> Vec<String> {
        validate::apply(&mut conv.subject, self.subject);
        validate::apply(&mut conv.photo_url, self.photo_url);
        validate::apply(&mut conv.welcome_messages, self.welcome_messages);
        validate::apply_custom(&mut conv.custom, self.custom);
        self.participants
    }
}

/// A validated participation body (`access`, `notify`, both optional).
#[derive(Debug, Clone, Default)]
pub struct ParticipationPatch {
    access: Option<String>,
    notify: Option<Value>,
}

impl ParticipationPatch {
    /// Checks a body; an absent body means "defaults".
    pub fn parse(body: Option<&Value>) -> Result<Self, String> {
        let Some(body) = body else {
            return Ok(Self::default());
        };
        let map: &Map<String, Value> = validate::object(body, "participation")?;
        let access = match map.get("access") {
            None => None,
            Some(Value::String(s)) if matches!(s.as_str(), "ReadWrite" | "Read" | "None") => {
                Some(s.clone())
            }
            Some(_) => return Err("access must be \"ReadWrite\", \"Read\" or \"None\"".into()),
        };
        let notify = match map.get("notify") {
            None => None,
            Some(v @ Value::Bool(_)) => Some(v.clone()),
            Some(Value::String(s)) if s == "MentionsOnly" => Some(Value::String(s.clone())),
            Some(_) => return Err("notify must be true, false or \"MentionsOnly\"".into()),
        };
        Ok(ParticipationPatch { access, notify })
    }

    /// `PATCH`: applies only the given settings, keeping the others.
    pub fn apply(self, p: &mut Participant) {
        if let Some(a) = self.access {
            p.access = a;
        }
        if let Some(n) = self.notify {
            p.notify = n;
        }
    }

    /// `PUT`: sets both settings, an omitted one to TalkJS's default
    /// (ReadWrite / true), as the join "always overwrites values set
    /// before". The join time and read marker stay.
    pub fn overwrite(self, p: &mut Participant) {
        p.access = self.access.unwrap_or_else(|| "ReadWrite".into());
        p.notify = self.notify.unwrap_or(Value::Bool(true));
    }
}

impl Conversation {
    /// Whether `user` has an unread message: one newer than their read
    /// marker. A sender's marker moves to their own message, so their own
    /// messages never make a conversation unread for them.
    pub fn is_unread(&self, user: &str, messages: Option<&MessageLog>) -> bool {
        let Some(p) = self.participants.get(user) else {
            return false;
        };
        messages
            .and_then(MessageLog::newest)
            .is_some_and(|m| m.sender.as_deref() != Some(user) && !p.has_read(m.created_at))
    }

    /// The conversation as the API shows it.
    pub fn to_json(&self, messages: Option<&MessageLog>) -> Value {
        let participants: Map<String, Value> = self
            .participants
            .iter()
            .map(|(uid, p)| {
                (
                    uid.clone(),
                    json!({
                        "access": p.access,
                        "notify": p.notify,
                        "isUnread": self.is_unread(uid, messages),
                        "joinedAt": p.joined_at,
                    }),
                )
            })
            .collect();
        let last = messages
            .and_then(MessageLog::newest)
            .map(|m| m.to_json(self));
        json!({
            "id": self.id,
            "subject": self.subject,
            "topicId": self.topic_id,
            "photoUrl": self.photo_url,
            "welcomeMessages": self.welcome_messages,
            "custom": validate::custom_json(&self.custom),
            "participants": participants,
            "lastMessage": last,
            "createdAt": self.created_at,
        })
    }
}
