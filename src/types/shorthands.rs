//! Constructors for the inputs most calls need, on the generated types, so
//! that a message, a named user or a conversation's participants take one
//! line instead of a builder and a fallible conversion.

use crate::raw::types::{
    ConversationInput, ImportMessageInput, ImportMessageInputType, NullableString,
    SendMessageInput, SendMessageInputType, UserInput,
};
use crate::types::UnixMillis;

impl SendMessageInput {
    /// A `UserMessage` of `text` from `sender`.
    ///
    /// ```
    /// use talkjs::types::SendMessageInput;
    /// let hello = SendMessageInput::user_text("alice", "Hello, Bob");
    /// assert!(talkjs::validate::messages(&[hello]).is_ok());
    /// ```
    pub fn user_text(sender: impl Into<String>, text: impl Into<String>) -> Self {
        let (sender, text) = (Some(sender.into()), Some(text.into()));
        message(SendMessageInputType::UserMessage, sender, text, None)
    }

    /// A `UserMessage` from `sender` carrying the file uploaded as
    /// `attachment_token` ([`crate::Client::upload_file`]).
    ///
    /// ```
    /// use talkjs::types::SendMessageInput;
    /// let file = SendMessageInput::user_attachment("alice", "attachment-token");
    /// assert_eq!(file.attachment_token.as_deref(), Some("attachment-token"));
    /// ```
    pub fn user_attachment(sender: impl Into<String>, attachment_token: impl Into<String>) -> Self {
        let (sender, token) = (Some(sender.into()), Some(attachment_token.into()));
        message(SendMessageInputType::UserMessage, sender, None, token)
    }

    /// A `SystemMessage` of `text` (no sender).
    ///
    /// ```
    /// use talkjs::types::SendMessageInput;
    /// let notice = SendMessageInput::system_text("Order shipped");
    /// assert!(notice.sender.is_none());
    /// ```
    pub fn system_text(text: impl Into<String>) -> Self {
        message(
            SendMessageInputType::SystemMessage,
            None,
            Some(text.into()),
            None,
        )
    }
}

/// A message with these four fields and every other one unset. Built with
/// the generated builder, since the type has no `Default` (its `type_` is
/// required), so that a field the spec adds is left unset here instead of
/// breaking the build. A free function, not an associated one, so that no
/// method the generator may add to the type can collide with it.
fn message(
    type_: SendMessageInputType,
    sender: Option<String>,
    text: Option<String>,
    attachment_token: Option<String>,
) -> SendMessageInput {
    SendMessageInput::builder()
        .type_(type_)
        .sender(sender)
        .text(text)
        .attachment_token(attachment_token)
        .try_into()
        // Cannot fail: every setter above takes its field's own type (an
        // infallible conversion), and `type_`, the only required field, is
        // set. The unit test below runs every caller.
        .expect("a message with its type set builds")
}

impl ImportMessageInput {
    /// A historical `UserMessage` of `text` from `sender`, sent at `at`
    /// (a `SystemTime`, Unix milliseconds, or with the `chrono` feature a
    /// `chrono::DateTime<Utc>`).
    ///
    /// ```
    /// use talkjs::types::ImportMessageInput;
    /// use std::time::{Duration, SystemTime};
    /// let last_year = SystemTime::now() - Duration::from_secs(365 * 86_400);
    /// let old = ImportMessageInput::user_text("alice", "From the old system", last_year)
    ///     .read_by(["bob"]);
    /// assert!(talkjs::validate::imports(&[old]).is_ok());
    /// ```
    pub fn user_text(
        sender: impl Into<String>,
        text: impl Into<String>,
        at: impl Into<UnixMillis>,
    ) -> Self {
        ImportMessageInput::builder()
            .type_(ImportMessageInputType::UserMessage)
            .sender(sender.into())
            .timestamp(at.into().0)
            .text(Some(text.into()))
            .read_by(Vec::new())
            .try_into()
            // Cannot fail: as in `message` below, every setter takes its
            // field's own type and every required field is set.
            .expect("an import with its type, sender and timestamp builds")
    }
}

impl UserInput {
    /// A user with only a name: what creating a user needs.
    ///
    /// ```
    /// use talkjs::types::UserInput;
    /// let alice = UserInput::named("Alice");
    /// assert_eq!(serde_json::to_value(&alice).unwrap(), serde_json::json!({"name": "Alice"}));
    /// ```
    pub fn named(name: impl Into<String>) -> Self {
        UserInput {
            name: Some(NullableString(Some(name.into()))),
            ..Default::default()
        }
    }
}

impl ConversationInput {
    /// A conversation input that adds these participants and sets nothing
    /// else.
    ///
    /// ```
    /// use talkjs::types::ConversationInput;
    /// let chat = ConversationInput::with_participants(["alice", "bob"]);
    /// assert_eq!(chat.participants, ["alice", "bob"]);
    /// ```
    pub fn with_participants<I>(ids: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        ConversationInput {
            participants: ids.into_iter().map(Into::into).collect(),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::to_value;

    use super::*;

    /// Each shorthand puts on the wire exactly what the generated builder
    /// does for the same fields.
    #[test]
    fn shorthands_serialise_like_the_builders() {
        let built = |b: crate::raw::types::builder::SendMessageInput| {
            to_value(SendMessageInput::try_from(b).unwrap()).unwrap()
        };
        let user = SendMessageInput::builder().type_(SendMessageInputType::UserMessage);
        let system = SendMessageInput::builder().type_(SendMessageInputType::SystemMessage);
        let pairs = [
            (
                to_value(SendMessageInput::user_text("a", "hi")).unwrap(),
                built(
                    user.clone()
                        .sender(Some("a".to_string()))
                        .text(Some("hi".to_string())),
                ),
            ),
            (
                to_value(SendMessageInput::user_attachment("a", "tok")).unwrap(),
                built(
                    user.sender(Some("a".to_string()))
                        .attachment_token(Some("tok".to_string())),
                ),
            ),
            (
                to_value(SendMessageInput::system_text("note")).unwrap(),
                built(system.text(Some("note".to_string()))),
            ),
            (
                to_value(UserInput::named("Al")).unwrap(),
                to_value(
                    UserInput::try_from(UserInput::builder().name(Some("Al".into()))).unwrap(),
                )
                .unwrap(),
            ),
            (
                to_value(ConversationInput::with_participants(["a", "b"])).unwrap(),
                to_value(
                    ConversationInput::try_from(
                        ConversationInput::builder().participants(vec!["a".into(), "b".into()]),
                    )
                    .unwrap(),
                )
                .unwrap(),
            ),
        ];
        let import = ImportMessageInput::user_text("a", "old", 5);
        assert_eq!(
            to_value(import).unwrap(),
            serde_json::json!({"type": "UserMessage", "sender": "a", "text": "old", "timestamp": 5, "readBy": []})
        );
        for (shorthand, builder) in pairs {
            assert_eq!(shorthand, builder);
        }
    }
}
