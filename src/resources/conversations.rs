//! Conversations and their participants.

use reqwest::Method;

use crate::{
    Client, Error,
    filters::ConversationFilter,
    http::request::{Body, Request},
    pagination::List,
    path::check_segment,
    raw::types::{
        Conversation, ConversationInput, MarkConversationReadBody,
        MarkConversationReadBodyReadUntil, MarkConversationReadBodyReadUntilString,
        ParticipantEmail, ParticipationInput, ParticipationInputAccess, ParticipationInputNotify,
        ParticipationInputNotifyString,
    },
};

/// The conversations of the app; from [`Client::conversations`].
#[derive(Debug, Clone, Copy)]
pub struct Conversations<'a> {
    client: &'a Client,
}

impl Client {
    /// Conversations and participants.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::{Access, Notify};
    /// use talkjs::types::ConversationInput;
    /// let order = ConversationInput::with_participants(["alice", "bob"]).subject("Order #42");
    /// client.conversations().upsert("order-42", order).await?;
    /// client.conversations().join("order-42", "carol", Access::Read, Notify::MentionsOnly).await?;
    /// # Ok(()) }
    /// ```
    pub fn conversations(&self) -> Conversations<'_> {
        Conversations { client: self }
    }
}

/// A participant's access right.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// May read and write (TalkJS's default).
    ReadWrite,
    /// May only read.
    Read,
    /// May not read the messages, and is not shown in the conversation's
    /// header, but keeps the history; since TalkJS API version 2021-07-30 a
    /// user removed with [`Conversations::leave`] loses the conversation
    /// from their list instead
    /// (<https://talkjs.com/docs/Reference/REST_API/Participation>).
    None,
}

/// A participant's notification setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notify {
    /// Notified of every message (TalkJS's default).
    All,
    /// Never notified.
    Off,
    /// Notified only when mentioned.
    MentionsOnly,
}

/// Up to where a user has read a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadUntil {
    /// Everything sent so far.
    Sent,
    /// Messages up to this Unix time in milliseconds.
    At(crate::UnixMillis),
}

/// The generated input's access right of an [`Access`], so that
/// [`ParticipationInput::access`] takes either.
impl From<Access> for ParticipationInputAccess {
    fn from(access: Access) -> Self {
        match access {
            Access::ReadWrite => ParticipationInputAccess::ReadWrite,
            Access::Read => ParticipationInputAccess::Read,
            Access::None => ParticipationInputAccess::None,
        }
    }
}

/// The generated input's notification setting of a [`Notify`], so that
/// [`ParticipationInput::notify`] takes either.
impl From<Notify> for ParticipationInputNotify {
    fn from(notify: Notify) -> Self {
        match notify {
            Notify::All => ParticipationInputNotify::Boolean(true),
            Notify::Off => ParticipationInputNotify::Boolean(false),
            Notify::MentionsOnly => {
                ParticipationInputNotify::String(ParticipationInputNotifyString::MentionsOnly)
            }
        }
    }
}

/// The body of `PATCH /users/{uid}/conversations/{cid}`; shared with
/// [`crate::BatchOp`].
#[allow(clippy::needless_update)] // as in `participation`
pub(crate) fn read_marker(until: ReadUntil) -> MarkConversationReadBody {
    let read_until = match until {
        ReadUntil::Sent => {
            MarkConversationReadBodyReadUntil::String(MarkConversationReadBodyReadUntilString::Sent)
        }
        ReadUntil::At(at) => MarkConversationReadBodyReadUntil::Int64(at.0),
    };
    MarkConversationReadBody {
        read_until: Some(read_until),
        ..Default::default()
    }
}

impl<'a> Conversations<'a> {
    /// The client the calls go through.
    pub(crate) fn client(&self) -> &'a Client {
        self.client
    }

    /// The address at which `user_id` can answer in the conversation by
    /// email (reply by email): mail sent to it is posted as the user's
    /// message. A user who is not a participant, or an unknown
    /// conversation, is [`Error::NotFound`].
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let address = client.conversations().participant_email("order-42", "bob").await?;
    /// println!("bob can answer at {address}");
    /// # Ok(()) }
    /// ```
    pub async fn participant_email(
        &self,
        conversation_id: &str,
        user_id: &str,
    ) -> Result<String, Error> {
        let answer: ParticipantEmail = self
            .client
            .fetch(participant_email(conversation_id, user_id)?)
            .await?;
        answer.email_address.ok_or_else(|| {
            Error::Protocol("TalkJS answered a participant's email without `emailAddress`".into())
        })
    }

    /// Creates or updates a conversation. Fields merge; `participants` are
    /// only ever added (remove them with [`Conversations::leave`]).
    /// Validated first ([`crate::validate::conversation`]).
    pub async fn upsert(
        &self,
        conversation_id: &str,
        input: ConversationInput,
    ) -> Result<(), Error> {
        self.client
            .perform(put_conversation(conversation_id, &input)?)
            .await
    }

    /// One conversation.
    pub async fn get(&self, conversation_id: &str) -> Result<Conversation, Error> {
        self.client.fetch(get_conversation(conversation_id)?).await
    }

    /// Deletes a conversation and its messages, irrevocably.
    ///
    /// Retried like any DELETE. If an earlier attempt's answer was lost
    /// (connection dropped, timeout, a gateway's 5xx) and the retry finds
    /// no conversation, the call reports success: it is gone either way,
    /// most likely deleted by that attempt. Without such an attempt, an
    /// unknown conversation is [`Error::NotFound`].
    pub async fn delete(&self, conversation_id: &str) -> Result<(), Error> {
        self.client
            .perform(delete_conversation(conversation_id)?)
            .await
    }

    /// The app's conversations, as a [`List`] with the conversation
    /// filters but [`List::unreads_only`], which only a user's list has
    /// ([`crate::Users::conversations`]).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::TryStreamExt;
    /// use std::time::{Duration, SystemTime};
    /// let week_ago = SystemTime::now() - Duration::from_secs(7 * 86_400);
    /// let active: Vec<_> = client.conversations().list().after(week_ago).stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> List<'a, Conversation> {
        List::new(self.client, list_conversations)
    }

    /// Adds `user_id` to a conversation with these settings (TalkJS's
    /// defaults are [`Access::ReadWrite`] and [`Notify::All`]). For a user
    /// who already is a participant, this `PUT` overwrites both settings
    /// (TalkJS: it "always overwrites values set before"); to change only
    /// one, use [`Conversations::update_participant`].
    pub async fn join(
        &self,
        conversation_id: &str,
        user_id: &str,
        access: Access,
        notify: Notify,
    ) -> Result<(), Error> {
        self.client
            .perform(join(conversation_id, user_id, access, notify)?)
            .await
    }

    /// Changes only the settings set in `update` with `PATCH
    /// /conversations/{cid}/participants/{uid}`: the others are not
    /// sent, so they keep their value (TalkJS: it "will only update fields
    /// given in the payload, leaving the old ones as they were",
    /// <https://talkjs.com/docs/Reference/REST_API/Participation>). Giving
    /// neither is refused ([`Error::Validation`] on `access, notify`):
    /// there would be nothing to update. A user who is not a participant is
    /// not added: TalkJS answers 404 ([`Error::NotFound`]); use
    /// [`Conversations::join`] for that.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::Notify;
    /// use talkjs::types::ParticipationInput;
    /// // Mute carol without touching her access right.
    /// let mute = ParticipationInput::default().notify(Notify::Off);
    /// client.conversations().update_participant("order-42", "carol", mute).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_participant(
        &self,
        conversation_id: &str,
        user_id: &str,
        update: ParticipationInput,
    ) -> Result<(), Error> {
        let request = update_participant(conversation_id, user_id, &update)?;
        self.client.perform(request).await
    }

    /// Removes `user_id` from a conversation.
    pub async fn leave(&self, conversation_id: &str, user_id: &str) -> Result<(), Error> {
        self.client.perform(leave(conversation_id, user_id)?).await
    }

    /// Marks a conversation read for `user_id` up to `until`.
    pub async fn mark_read(
        &self,
        conversation_id: &str,
        user_id: &str,
        until: ReadUntil,
    ) -> Result<(), Error> {
        self.client
            .perform(mark_read(conversation_id, user_id, until)?)
            .await
    }
}

// The requests of this file, each described once: the methods above send
// them, and `BatchOp` carries them.

pub(crate) fn conversation(
    method: Method,
    operation: &'static str,
    id: &str,
) -> Result<Request, Error> {
    Request::new(method, operation)
        .at("conversations")
        .id("conversationId", id)
}

/// `PUT /conversations/{conversationId}` (validated:
/// [`crate::validate::conversation`]).
pub(crate) fn put_conversation(id: &str, input: &ConversationInput) -> Result<Request, Error> {
    let request = conversation(Method::PUT, "create_or_update_conversation", id)?;
    crate::validate::conversation(input)?;
    request.json(input)
}

/// `GET /conversations/{conversationId}`.
pub(crate) fn get_conversation(id: &str) -> Result<Request, Error> {
    conversation(Method::GET, "get_conversation", id)
}

/// `DELETE /conversations/{conversationId}`.
pub(crate) fn delete_conversation(id: &str) -> Result<Request, Error> {
    conversation(Method::DELETE, "delete_conversation", id)
}

/// `GET /conversations`, filtered (`unreadsOnly` is refused: it applies to
/// a user's list only).
pub(crate) fn list_conversations(filter: &ConversationFilter) -> Result<Request, Error> {
    let request = Request::new(Method::GET, "list_conversations").at("conversations");
    filter.apply(request, false)
}

fn participant(
    method: Method,
    operation: &'static str,
    conversation_id: &str,
    user_id: &str,
) -> Result<Request, Error> {
    conversation(method, operation, conversation_id)?
        .at("participants")
        .id("userId", user_id)
}

/// `PUT /conversations/{conversationId}/participants/{userId}`, both
/// settings (a PUT overwrites both).
pub(crate) fn join(
    conversation_id: &str,
    user_id: &str,
    access: Access,
    notify: Notify,
) -> Result<Request, Error> {
    participant(Method::PUT, "join_conversation", conversation_id, user_id)?
        .json(&ParticipationInput::default().access(access).notify(notify))
}

/// `PATCH /conversations/{conversationId}/participants/{userId}`, only the
/// settings given (giving neither is refused).
pub(crate) fn update_participant(
    conversation_id: &str,
    user_id: &str,
    update: &ParticipationInput,
) -> Result<Request, Error> {
    let request = participant(
        Method::PATCH,
        "update_participation",
        conversation_id,
        user_id,
    )?
    .json(update)?;
    // An update must change something. Any field set counts, one a newer
    // spec adds too: the body is `{}` only when none is.
    if matches!(&request.body, Body::Json(body) if body.as_ref() == b"{}") {
        return Err(Error::validation(
            "access, notify",
            "an update needs at least one of them: with neither there is nothing to change",
        ));
    }
    Ok(request)
}

/// `GET /conversations/{conversationId}/participants/{userId}/email`.
pub(crate) fn participant_email(conversation_id: &str, user_id: &str) -> Result<Request, Error> {
    Ok(participant(
        Method::GET,
        "get_participant_email",
        conversation_id,
        user_id,
    )?
    .at("email"))
}

/// `DELETE /conversations/{conversationId}/participants/{userId}`.
pub(crate) fn leave(conversation_id: &str, user_id: &str) -> Result<Request, Error> {
    participant(
        Method::DELETE,
        "leave_conversation",
        conversation_id,
        user_id,
    )
}

/// `PATCH /users/{userId}/conversations/{conversationId}`: the read marker.
pub(crate) fn mark_read(
    conversation_id: &str,
    user_id: &str,
    until: ReadUntil,
) -> Result<Request, Error> {
    // The conversation id is checked first, as in every other call of a
    // conversation, so that a call with two bad ids names the same field.
    check_segment("conversationId", conversation_id)?;
    Request::new(Method::PATCH, "mark_conversation_read")
        .at("users")
        .id("userId", user_id)?
        .at("conversations")
        .id("conversationId", conversation_id)?
        .json(&read_marker(until))
}
