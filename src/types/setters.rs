//! Chained setters on the everyday inputs, so that an input reads as one
//! expression without `Some(...)`, `.into()` or a fallible `try_into`:
//!
//! ```
//! use talkjs::types::{NullableString, UserInput};
//! let alice = UserInput::named("Alice")
//!     .email("alice@example.com")
//!     .role("buyer")
//!     .photo_url(NullableString::NULL); // an explicit null clears the field
//! assert_eq!(
//!     serde_json::to_value(&alice).unwrap(),
//!     serde_json::json!({"name": "Alice", "email": ["alice@example.com"], "role": "buyer", "photoUrl": null})
//! );
//! ```
//!
//! The generated builders (`UserInput::builder()`) remain for the fields
//! these setters leave out: progenitor's setters take
//! `TryInto<Option<NullableString>>`, which no impl can give `&str` (the
//! orphan rule: neither `Option` nor `&str` is this crate's), hence these.
//! A setter shares its field's name; the field stays readable as before.

use crate::raw::types::{
    AppInput, ConversationInput, Custom, EditMessageBody, EmailNotificationSettings,
    ImportMessageInput, NotificationsInput, NullableCustom, NullableString, NullableStringList,
    ParticipationInput, ParticipationInputAccess, ParticipationInputNotify, PresenceInput,
    PresenceInputAvailability, PresencesQuery, SendMessageInput, SmsNotificationSettings,
    UserInput,
};

/// `pub fn field(self, value: impl Into<Type>) -> Self` setting
/// `Some(value)`, per field.
macro_rules! setters {
    ($input:ident { $( $(#[doc = $doc:literal])+ $field:ident: $value:ty; )+ }) => {
        impl $input {
            $(
                $(#[doc = $doc])+
                pub fn $field(mut self, value: impl Into<$value>) -> Self {
                    self.$field = Some(value.into());
                    self
                }
            )+
        }
    };
}

setters!(UserInput {
    /// The display name (`&str`, `String`, or [`NullableString::NULL`] to clear it).
    name: NullableString;
    /// The email address(es): one `&str`, a `Vec<String>`, or
    /// [`NullableStringList::NULL`].
    email: NullableStringList;
    /// The phone number(s), as `email`.
    phone: NullableStringList;
    /// The photo's URL.
    photo_url: NullableString;
    /// The locale, such as `"en-US"`.
    locale: NullableString;
    /// The role, defined in the TalkJS dashboard.
    role: NullableString;
    /// The welcome message shown in the user's conversations.
    welcome_message: NullableString;
    /// The availability text shown under the user's name.
    availability_text: NullableString;
    /// Custom data, a string-to-string map (or [`NullableCustom::NULL`]).
    custom: NullableCustom;
});

setters!(ConversationInput {
    /// The subject (or [`NullableString::NULL`] to clear it).
    subject: NullableString;
    /// The photo's URL.
    photo_url: NullableString;
    /// The welcome messages (one `&str` or a `Vec<String>`).
    welcome_messages: NullableStringList;
    /// Custom data, a string-to-string map.
    custom: NullableCustom;
});

/// `pub fn field(self, ids: impl IntoIterator<Item: Into<String>>) -> Self`
/// setting the list of user ids, per field.
macro_rules! id_list_setters {
    ($input:ident { $( $(#[doc = $doc:literal])+ $field:ident; )+ }) => {
        impl $input {
            $(
                $(#[doc = $doc])+
                pub fn $field<I>(mut self, ids: I) -> Self
                where
                    I: IntoIterator,
                    I::Item: Into<String>,
                {
                    self.$field = ids.into_iter().map(Into::into).collect();
                    self
                }
            )+
        }
    };
}

id_list_setters!(ConversationInput {
    /// Adds these participants (participants are only ever added; see
    /// [`crate::Conversations::leave`]).
    ///
    /// ```
    /// use talkjs::types::ConversationInput;
    /// let chat = ConversationInput::default().subject("Order #42").participants(["alice", "bob"]);
    /// assert_eq!(chat.participants, ["alice", "bob"]);
    /// ```
    participants;
});

id_list_setters!(ImportMessageInput {
    /// The users who have read the message.
    ///
    /// ```
    /// use talkjs::types::ImportMessageInput;
    /// let old = ImportMessageInput::user_text("alice", "Hi", 1_600_000_000_000).read_by(["bob"]);
    /// assert_eq!(old.read_by, ["bob"]);
    /// ```
    read_by;
});

setters!(SendMessageInput {
    /// The text.
    text: String;
    /// The sender's user id (a `UserMessage`).
    sender: String;
    /// An attachment token from [`crate::Client::upload_file`].
    attachment_token: String;
    /// Your own idempotency key: reuse it if you send the message again
    /// after an error (the SDK adds one to each message without one).
    idempotency_key: String;
    /// The id of the message this one replies to.
    referenced_message_id: String;
    /// Custom data, a string-to-string map.
    custom: Custom;
    /// A location, `[latitude, longitude]`.
    location: [f64; 2];
});

setters!(ImportMessageInput {
    /// The text.
    text: String;
    /// An attachment token from [`crate::Client::upload_file`].
    attachment_token: String;
    /// Custom data, a string-to-string map.
    custom: Custom;
});

id_list_setters!(NotificationsInput {
    /// The users to notify (unset: everyone with unanswered messages).
    recipients;
});

setters!(NotificationsInput {
    /// How the email reads.
    email_settings: EmailNotificationSettings;
    /// How the SMS reads.
    sms_settings: SmsNotificationSettings;
});

setters!(EmailNotificationSettings {
    /// The subject line.
    subject: String;
    /// The text above the messages.
    header: String;
    /// The text below the messages.
    footer: String;
    /// The link to your app's inbox.
    inbox_url: String;
});

setters!(SmsNotificationSettings {
    /// The SMS text, with TalkJS's placeholders.
    sms_template: String;
});

id_list_setters!(PresencesQuery {
    /// Only these users.
    user_ids;
});

setters!(PresencesQuery {
    /// Also sessions in the background.
    include_background_sessions: bool;
    /// Only sessions with this conversation selected.
    selected_conversation_id: String;
    /// Only sessions whose window has (`true`) or lacks focus.
    has_focus: bool;
    /// Only sessions that are (`true`) or are not typing.
    is_typing: bool;
});

setters!(AppInput {
    /// The app's default locale, such as `"en-US"`.
    default_locale: String;
    /// The app's id: only its own is taken.
    id: String;
});

setters!(ParticipationInput {
    /// The access right ([`crate::Access`] or the generated value).
    access: ParticipationInputAccess;
    /// The notification setting ([`crate::Notify`] or the generated value).
    notify: ParticipationInputNotify;
});

setters!(EditMessageBody {
    /// The new text.
    text: String;
    /// The new custom data.
    custom: Custom;
});

setters!(PresenceInput {
    /// Online or offline.
    availability: PresenceInputAvailability;
    /// Whether the user shows as present.
    visible: bool;
});
