//! Conversations and their participants.

use futures::Stream;

use crate::{
    Client, Error,
    pagination::{list_params, stream_pages},
    path::check_segment,
    raw::types::{
        Conversation, ConversationInput, MarkConversationReadBody,
        MarkConversationReadBodyReadUntil, MarkConversationReadBodyReadUntilString,
        ParticipationInput, ParticipationInputAccess, ParticipationInputNotify,
        ParticipationInputNotifyString,
    },
    users::ConversationFilter,
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
    /// use talkjs::raw::types::{ConversationInput, NullableString};
    /// let order = ConversationInput::builder()
    ///     .subject(Some("Order #42".into()))
    ///     .participants(vec!["alice".to_string(), "bob".to_string()]);
    /// client.conversations().upsert("order-42", order.try_into()?).await?;
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

/// The body of `PUT` and `PATCH /conversations/{cid}/participants/{uid}`: a
/// field left `None` is not sent at all. Shared with [`crate::BatchOp`], so a batch
/// sends the same body as the direct call.
// `..Default::default()` sets nothing today; it leaves unset any field the
// spec adds, which would otherwise break the build.
#[allow(clippy::needless_update)]
pub(crate) fn participation(access: Option<Access>, notify: Option<Notify>) -> ParticipationInput {
    ParticipationInput {
        access: access.map(|access| match access {
            Access::ReadWrite => ParticipationInputAccess::ReadWrite,
            Access::Read => ParticipationInputAccess::Read,
            Access::None => ParticipationInputAccess::None,
        }),
        notify: notify.map(|notify| match notify {
            Notify::All => ParticipationInputNotify::Boolean(true),
            Notify::Off => ParticipationInputNotify::Boolean(false),
            Notify::MentionsOnly => {
                ParticipationInputNotify::String(ParticipationInputNotifyString::MentionsOnly)
            }
        }),
        ..Default::default()
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

/// An update must change something: a PATCH with neither field changes
/// nothing.
pub(crate) fn check_update(access: Option<Access>, notify: Option<Notify>) -> Result<(), Error> {
    if access.is_none() && notify.is_none() {
        return Err(Error::validation(
            "access, notify",
            "an update needs at least one of them: with neither there is nothing to change",
        ));
    }
    Ok(())
}

impl<'a> Conversations<'a> {
    /// Creates or updates a conversation. Fields merge; `participants` are
    /// only ever added (remove them with [`Conversations::leave`]).
    /// Validated first ([`crate::validate::conversation`]).
    pub async fn upsert(
        &self,
        conversation_id: &str,
        input: ConversationInput,
    ) -> Result<(), Error> {
        check_segment("conversationId", conversation_id)?;
        crate::validate::conversation(&input)?;
        let request = self
            .client
            .raw
            .create_or_update_conversation()
            .conversation_id(conversation_id)
            .body(input);
        self.client.run(request.send()).await.map(drop)
    }

    /// One conversation.
    pub async fn get(&self, conversation_id: &str) -> Result<Conversation, Error> {
        check_segment("conversationId", conversation_id)?;
        let request = self
            .client
            .raw
            .get_conversation()
            .conversation_id(conversation_id);
        self.client.run(request.send()).await
    }

    /// Deletes a conversation and its messages, irrevocably.
    ///
    /// Retried like any DELETE. If an earlier attempt's answer was lost
    /// (connection dropped, timeout, a gateway's 5xx) and the retry finds
    /// no conversation, the call reports success: it is gone either way,
    /// most likely deleted by that attempt. Without such an attempt, an
    /// unknown conversation is [`Error::NotFound`].
    pub async fn delete(&self, conversation_id: &str) -> Result<(), Error> {
        check_segment("conversationId", conversation_id)?;
        let request = self
            .client
            .raw
            .delete_conversation()
            .conversation_id(conversation_id);
        self.client.run(request.send()).await
    }

    /// One page of the app's conversations matching `filter`
    /// (`unreads_only` applies to a user's list only and is refused here).
    pub async fn page(
        &self,
        filter: &ConversationFilter,
        limit: u32,
        starting_after: Option<&str>,
    ) -> Result<Vec<Conversation>, Error> {
        filter.check_app_list()?;
        let request = list_params!(
            self.client.raw.list_conversations(),
            limit,
            starting_after,
            filter
        );
        Ok(self
            .client
            .run(request.send())
            .await?
            .data
            .unwrap_or_default())
    }

    /// Every conversation matching `filter`, `limit` per request.
    pub fn stream(
        &self,
        filter: ConversationFilter,
        limit: u32,
    ) -> impl Stream<Item = Result<Conversation, Error>> + 'a {
        let this = *self;
        stream_pages(limit, None, move |limit, cursor| {
            let filter = filter.clone();
            async move { this.page(&filter, limit, cursor.as_deref()).await }
        })
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
        check_segment("conversationId", conversation_id)?;
        check_segment("userId", user_id)?;
        let request = self
            .client
            .raw
            .join_conversation()
            .conversation_id(conversation_id)
            .user_id(user_id)
            .body(participation(Some(access), Some(notify)));
        self.client.run(request.send()).await
    }

    /// Changes only the given settings of a participant with `PATCH
    /// /conversations/{cid}/participants/{uid}`: `None` fields are not
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
    /// // Mute carol without touching her access right.
    /// client
    ///     .conversations()
    ///     .update_participant("order-42", "carol", None, Some(Notify::Off))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_participant(
        &self,
        conversation_id: &str,
        user_id: &str,
        access: Option<Access>,
        notify: Option<Notify>,
    ) -> Result<(), Error> {
        check_update(access, notify)?;
        check_segment("conversationId", conversation_id)?;
        check_segment("userId", user_id)?;
        let request = self
            .client
            .raw
            .update_participation()
            .conversation_id(conversation_id)
            .user_id(user_id)
            .body(participation(access, notify));
        self.client.run(request.send()).await
    }

    /// Removes `user_id` from a conversation.
    pub async fn leave(&self, conversation_id: &str, user_id: &str) -> Result<(), Error> {
        check_segment("conversationId", conversation_id)?;
        check_segment("userId", user_id)?;
        let request = self
            .client
            .raw
            .leave_conversation()
            .conversation_id(conversation_id)
            .user_id(user_id);
        self.client.run(request.send()).await
    }

    /// Marks a conversation read for `user_id` up to `until`.
    pub async fn mark_read(
        &self,
        conversation_id: &str,
        user_id: &str,
        until: ReadUntil,
    ) -> Result<(), Error> {
        check_segment("conversationId", conversation_id)?;
        check_segment("userId", user_id)?;
        let request = self
            .client
            .raw
            .mark_conversation_read()
            .user_id(user_id)
            .conversation_id(conversation_id)
            .body(read_marker(until));
        self.client.run(request.send()).await
    }
}
