//! Users' TalkJS sessions, for `POST /presences`
//! ([User Presence](https://talkjs.com/docs/Reference/REST_API/User_Presence)).
//! TalkJS learns of sessions from its browser SDK, which the emulator does
//! not serve, so sessions exist only when a test sets them
//! ([`crate::Emulator::set_session`]).

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// One session of a user: a visible UI widget (an Inbox, a Chatbox or a
/// Popup) or the background session TalkJS keeps per user.
///
/// ```
/// use talkjs_emulator::Session;
/// let s = Session::widget("tab-1").conversation("c1").focused(true);
/// # let _ = s;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub(crate) id: String,
    pub(crate) background: bool,
    pub(crate) selected_conversation_id: Option<String>,
    pub(crate) has_focus: bool,
    pub(crate) is_typing: bool,
    pub(crate) custom: BTreeMap<String, String>,
}

impl Session {
    fn new(id: impl Into<String>, background: bool) -> Self {
        Session {
            id: id.into(),
            background,
            selected_conversation_id: None,
            has_focus: false,
            is_typing: false,
            custom: BTreeMap::new(),
        }
    }

    /// A visible widget session `id`: no conversation selected, no focus,
    /// not typing.
    pub fn widget(id: impl Into<String>) -> Self {
        Self::new(id, false)
    }

    /// A background session `id` (answered only with
    /// `includeBackgroundSessions: true`).
    pub fn background(id: impl Into<String>) -> Self {
        Self::new(id, true)
    }

    /// The conversation selected in the session.
    pub fn conversation(mut self, conversation_id: impl Into<String>) -> Self {
        self.selected_conversation_id = Some(conversation_id.into());
        self
    }

    /// Whether the user is watching the UI.
    pub fn focused(mut self, has_focus: bool) -> Self {
        self.has_focus = has_focus;
        self
    }

    /// Whether the user is typing.
    pub fn typing(mut self, is_typing: bool) -> Self {
        self.is_typing = is_typing;
        self
    }

    /// A custom field, as set by the browser SDK's `setPresence({custom})`.
    pub fn custom(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom.insert(key.into(), value.into());
        self
    }

    /// The session as `POST /presences` shows it.
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "sessionId": self.id,
            "selectedConversationId": self.selected_conversation_id,
            "hasFocus": self.has_focus,
            "isTyping": self.is_typing,
            "custom": self.custom,
        })
    }
}

/// The filters of a `POST /presences` body; `None` means "not filtered".
#[derive(Debug, Clone, Default)]
pub struct PresenceQuery {
    /// Only these users.
    pub user_ids: Option<Vec<String>>,
    /// Also answer background sessions, and users who have only those.
    pub include_background: bool,
    /// `Some(None)`: sessions with no conversation selected.
    pub selected_conversation_id: Option<Option<String>>,
    /// Only sessions with this focus.
    pub has_focus: Option<bool>,
    /// Only sessions with this typing state.
    pub is_typing: Option<bool>,
}

impl PresenceQuery {
    /// Checks a body (absent: no filters).
    pub fn parse(body: Option<&Value>) -> Result<Self, String> {
        let Some(body) = body else {
            return Ok(Self::default());
        };
        let map = super::validate::object(body, "presence query")?;
        let flag = |key: &str| match map.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(format!("{key} must be a boolean")),
        };
        let user_ids = match map.get("userIds") {
            None => None,
            Some(Value::Array(ids)) => Some(
                ids.iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("userIds must be an array of strings")?,
            ),
            Some(_) => return Err("userIds must be an array of strings".into()),
        };
        let selected_conversation_id = match map.get("selectedConversationId") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(c)) => Some(Some(c.clone())),
            Some(_) => return Err("selectedConversationId must be a string or null".into()),
        };
        Ok(PresenceQuery {
            user_ids,
            include_background: flag("includeBackgroundSessions")?.unwrap_or(false),
            selected_conversation_id,
            has_focus: flag("hasFocus")?,
            is_typing: flag("isTyping")?,
        })
    }

    /// Whether `s` passes the session filters (kind aside).
    fn passes(&self, s: &Session) -> bool {
        self.selected_conversation_id
            .as_ref()
            .is_none_or(|c| *c == s.selected_conversation_id)
            && self.has_focus.is_none_or(|f| f == s.has_focus)
            && self.is_typing.is_none_or(|t| t == s.is_typing)
    }

    /// One user's entry, or `None` when no session of theirs is answered.
    /// The filters apply to each session; background sessions count only
    /// with `includeBackgroundSessions`, and are listed only then (TalkJS's
    /// example answers `backgroundSessions: []` by default).
    pub fn answer(&self, sessions: &[Session]) -> Option<Value> {
        let listed = |background: bool| -> Vec<Value> {
            sessions
                .iter()
                .filter(|s| s.background == background && self.passes(s))
                .map(Session::to_json)
                .collect()
        };
        let widgets = listed(false);
        let background = if self.include_background {
            listed(true)
        } else {
            Vec::new()
        };
        if widgets.is_empty() && background.is_empty() {
            return None;
        }
        Some(json!({
            "status": "online",
            "backgroundSessions": background,
            "widgets": widgets,
        }))
    }
}
