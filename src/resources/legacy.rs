//! The deprecated `participants=` paths, still served for apps that started
//! conversations with `getOrStartConversation` (the "Deprecated" sections of
//! <https://talkjs.com/docs/Reference/REST_API/Conversations/> and
//! <https://talkjs.com/docs/Reference/REST_API/Messages/>).

use futures::Stream;
use reqwest::Method;

use crate::{
    Client, Error,
    http::request::Request,
    messages::send_in_chunks,
    pagination::{page, stream_pages},
    path::encode_path,
    raw::types::{Conversation, ConversationInput, Message, MessageList, SendMessageInput},
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
    /// The deprecated conversation path `participants={ids}[;topic={topic}]`.
    /// Use only for conversations created by `getOrStartConversation`.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let legacy = client.conversation_by_participants(&["42", "98"], Some("612"))?;
    /// let conversation = legacy.get().await?;
    /// # Ok(()) }
    /// ```
    pub fn conversation_by_participants(
        &self,
        user_ids: &[&str],
        topic: Option<&str>,
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
        if let Some(topic) = topic {
            check_part("topic", topic)?;
            path.push_str(";topic=");
            path.push_str(&encode_path(topic));
        }
        Ok(ConversationByParticipants { client: self, path })
    }
}

impl<'a> ConversationByParticipants<'a> {
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

    /// One page of its messages, newest first.
    pub async fn messages_page(
        &self,
        limit: u32,
        starting_after: Option<&str>,
    ) -> Result<Vec<Message>, Error> {
        let request = self.request(Method::GET, "list_messages_by_participants", "/messages");
        let page: MessageList = self
            .client
            .fetch(page(request, limit, starting_after)?)
            .await?;
        Ok(page.data.unwrap_or_default())
    }

    /// Every message, newest first, fetched `limit` at a time (pages as
    /// [`ConversationByParticipants::messages_page`], cursors and stopping
    /// rules as every other stream of the crate).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::TryStreamExt;
    /// let legacy = client.conversation_by_participants(&["42", "98"], None)?;
    /// let all: Vec<_> = legacy.messages_stream(100).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn messages_stream(&self, limit: u32) -> impl Stream<Item = Result<Message, Error>> + 'a {
        let this = self.clone();
        stream_pages(limit, None, move |limit, cursor| {
            let this = this.clone();
            async move { this.messages_page(limit, cursor.as_deref()).await }
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
    /// let legacy = client.conversation_by_participants(&["42", "98"], Some("612"))?;
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
