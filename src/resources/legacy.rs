//! The deprecated `participants=` paths, still served for apps that started
//! conversations with `getOrStartConversation` (the "Deprecated" sections of
//! <https://talkjs.com/docs/Reference/REST_API/Conversations/> and
//! <https://talkjs.com/docs/Reference/REST_API/Messages/>).

use reqwest::Method;

use crate::{
    Client, Error,
    http::request::Request,
    messages::send_in_chunks,
    pagination::List,
    path::encode_path,
    raw::types::{Conversation, ConversationInput, Message, SendMessageInput},
};

/// A conversation addressed by its participants (and topic), not its id.
/// From [`Client::conversation_by_participants`].
#[derive(Debug, Clone)]
pub struct ConversationByParticipants<'a> {
    client: &'a Client,
    path: String,
}

/// `,` separates ids and `;` starts the topic: an id or topic holding one
/// would be read differently by a server that decodes before splitting, so
/// it is refused rather than guessed at.
fn check_part(field: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::validation(field, "must not be empty"));
    }
    if value.contains([',', ';']) {
        return Err(Error::validation(
            field,
            "must not contain ',' or ';': the participants= path cannot carry them unambiguously",
        ));
    }
    Ok(())
}

impl Client {
    /// The deprecated conversation path `participants={ids}`, with
    /// [`ConversationByParticipants::topic`] for `;topic={topic}`. Use only
    /// for conversations created by `getOrStartConversation`. An empty
    /// list, and an id holding `,` or `;`, are refused
    /// ([`Error::Validation`]).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let legacy = client.conversation_by_participants(&["42", "98"])?.topic("612")?;
    /// let conversation = legacy.get().await?;
    /// # Ok(()) }
    /// ```
    pub fn conversation_by_participants(
        &self,
        user_ids: &[&str],
    ) -> Result<ConversationByParticipants<'_>, Error> {
        if user_ids.is_empty() {
            return Err(Error::validation(
                "participants",
                "must name at least one user",
            ));
        }
        let mut path = String::from("/conversations/participants=");
        for (i, id) in user_ids.iter().enumerate() {
            check_part(&format!("participants[{i}]"), id)?;
            if i > 0 {
                path.push(',');
            }
            path.push_str(&encode_path(id));
        }
        Ok(ConversationByParticipants { client: self, path })
    }
}

impl<'a> ConversationByParticipants<'a> {
    /// The conversation of these participants with this `topic`
    /// (`;topic={topic}`); a topic that is empty or holds `,` or `;` is
    /// refused.
    pub fn topic(mut self, topic: &str) -> Result<Self, Error> {
        check_part("topic", topic)?;
        if self.path.contains(";topic=") {
            return Err(Error::validation("topic", "is already set"));
        }
        self.path.push_str(";topic=");
        self.path.push_str(&encode_path(topic));
        Ok(self)
    }

    /// The path, relative to `/v1/{appId}`, percent-encoded.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// GET the conversation.
    pub async fn get(&self) -> Result<Conversation, Error> {
        self.client
            .fetch(self.request(Method::GET, "get_conversation_by_participants", ""))
            .await
    }

    /// PUT the conversation (creates it if needed; fields merge; validated:
    /// [`crate::validate::conversation`]).
    pub async fn upsert(&self, input: &ConversationInput) -> Result<(), Error> {
        crate::validate::conversation(input)?;
        let request = self.request(Method::PUT, "put_conversation_by_participants", "");
        self.client.perform(request.json(input)?).await
    }

    /// Its messages, newest first, as a [`List`] (pages, cursors and
    /// stopping rules as every other list of the crate).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::TryStreamExt;
    /// let legacy = client.conversation_by_participants(&["42", "98"])?;
    /// let all: Vec<_> = legacy.messages().stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn messages(&self) -> List<'a, Message> {
        let path = self.path.clone();
        List::new(self.client, move |_| {
            Ok(Request::new(Method::GET, "list_messages_by_participants")
                .encoded_path(format!("{path}/messages")))
        })
    }

    /// Sends messages and returns their ids, in order, exactly as
    /// [`crate::Messages::send`] does: validated first (nothing is sent if
    /// any is invalid), an idempotency key added to each message without
    /// one, and more than 10 sent as consecutive requests of at most 10. If
    /// a request after the first fails, [`Error::Partial`] names it and
    /// carries the ids already stored.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::SendMessageInput;
    /// let legacy = client.conversation_by_participants(&["42", "98"])?.topic("612")?;
    /// let ids = legacy.send(vec![SendMessageInput::user_text("42", "Hello!")]).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send(&self, messages: Vec<SendMessageInput>) -> Result<Vec<String>, Error> {
        send_in_chunks(self.client, messages, || {
            Ok(self.request(Method::POST, "send_messages", "/messages"))
        })
        .await
    }

    /// The request `operation` to this conversation's path and `tail`.
    fn request(&self, method: Method, operation: &'static str, tail: &str) -> Request {
        Request::new(method, operation).encoded_path(format!("{}{tail}", self.path))
    }
}
