//! Constructors for the inputs most calls need, on the generated types, so
//! that a message, a named user or a conversation's participants take one
//! line instead of a builder and a fallible conversion.

use crate::raw::types::{
    ConversationInput, NullableString, SendMessageInput, SendMessageInputType, UserInput,
};

impl SendMessageInput {
    /// A `UserMessage` of `text` from `sender`.
    ///
    /// ```
    /// use talkjs::raw::types::SendMessageInput;
    /// let hello = SendMessageInput::user_text("alice", "Hello, Bob");
    /// assert!(talkjs::validate::messages(&[hello]).is_ok());
    /// ```
    pub fn user_text(sender: impl Into<String>, text: impl Into<String>) -> Self {
        Self::new(
            SendMessageInputType::UserMessage,
            Some(sender.into()),
            |m| {
                m.text = Some(text.into());
            },
        )
    }

    /// A `UserMessage` from `sender` carrying the file uploaded as
    /// `attachment_token` ([`crate::Client::upload_file`]).
    pub fn user_attachment(sender: impl Into<String>, attachment_token: impl Into<String>) -> Self {
        Self::new(
            SendMessageInputType::UserMessage,
            Some(sender.into()),
            |m| {
                m.attachment_token = Some(attachment_token.into());
            },
        )
    }

    /// A `SystemMessage` of `text` (no sender).
    pub fn system_text(text: impl Into<String>) -> Self {
        Self::new(SendMessageInputType::SystemMessage, None, |m| {
            m.text = Some(text.into());
        })
    }

    /// Every field unset but the type and the sender, then `set`. Written
    /// out field by field because the type has no `Default` (its `type_`
    /// is required): a field the spec adds is a compile error here, not a
    /// value left out.
    fn new(
        type_: SendMessageInputType,
        sender: Option<String>,
        set: impl FnOnce(&mut Self),
    ) -> Self {
        let mut message = SendMessageInput {
            attachment_token: None,
            content: Vec::new(),
            custom: None,
            idempotency_key: None,
            location: None,
            referenced_message_id: None,
            sender,
            text: None,
            type_,
        };
        set(&mut message);
        message
    }
}

impl UserInput {
    /// A user with only a name: what creating a user needs.
    ///
    /// ```
    /// use talkjs::raw::types::UserInput;
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
    /// use talkjs::raw::types::ConversationInput;
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
