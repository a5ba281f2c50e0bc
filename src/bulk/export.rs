//! Exporting an app: every user, every conversation, and each
//! conversation's messages, as one stream.

use futures::{Stream, StreamExt, TryStreamExt, stream};
use serde::Serialize;

use super::Bulk;
use crate::{
    Error,
    raw::types::{Conversation, Message, User},
};

/// One item of an export, in the order [`Bulk::export`] gives them; as
/// JSON, `{"kind": "user" | "conversation" | "message", ...}` with the
/// item's fields (a message's as `{"kind": "message", "conversationId",
/// "message"}`), a JSONL line per item, say.
#[non_exhaustive]
#[derive(Debug, Clone, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Exported {
    /// A user.
    User(Box<User>),
    /// A conversation (its messages follow it).
    Conversation(Box<Conversation>),
    /// A message of the conversation before it.
    Message {
        /// The conversation's id.
        conversation_id: String,
        /// The message.
        message: Box<Message>,
    },
}

impl<'a> Bulk<'a> {
    /// Every user, then every conversation each followed by its messages
    /// (newest first), fetched a page of 100 at a time as the stream is
    /// polled: memory holds one page whatever the app's size. An error
    /// ends the stream; the items before it were complete.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use futures::TryStreamExt;
    /// use std::io::Write;
    /// let mut out = std::io::BufWriter::new(std::fs::File::create("export.jsonl")?);
    /// let mut items = std::pin::pin!(client.bulk().export());
    /// while let Some(item) = items.try_next().await? {
    ///     serde_json::to_writer(&mut out, &item)?;
    ///     out.write_all(b"\n")?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn export(self) -> impl Stream<Item = Result<Exported, Error>> + Send + 'a {
        let client = self.client;
        let users = client
            .users()
            .list()
            .stream()
            .map_ok(|user| Exported::User(Box::new(user)));
        let conversations = client
            .conversations()
            .list()
            .stream()
            .map_ok(move |conversation| {
                let id = conversation.id.clone().unwrap_or_default();
                let messages =
                    client
                        .messages(id.as_str())
                        .list()
                        .stream()
                        .map_ok(move |message| Exported::Message {
                            conversation_id: id.clone(),
                            message: Box::new(message),
                        });
                stream::once(async { Ok(Exported::Conversation(Box::new(conversation))) })
                    .chain(messages)
            })
            .try_flatten();
        users.chain(conversations)
    }
}
