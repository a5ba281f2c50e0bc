//! Sending messages to many conversations: each conversation's in order,
//! 10 per request, conversations in parallel.

use futures::{Stream, StreamExt};

use super::{
    Bulk, BulkReport,
    chunks::{Piece, pieces},
    fingerprint::fingerprint,
    progress::{Outcome, Tracker},
};
use crate::{Error, raw::types::SendMessageInput, validate::MAX_IDEMPOTENCY_KEY_LEN};

impl Bulk<'_> {
    /// Sends every `(conversation id, message)` of `messages`: each
    /// conversation's in input order, up to 10 consecutive ones per
    /// request, conversations in parallel. Every message carries an
    /// idempotency key, so retries never store it twice: its own, or
    /// `"{job}:{conversation}:{place}:{fingerprint}"` ([`Bulk::job`], the
    /// message's place among its conversation's in the input, a hash of
    /// its content). The job's name is random unless given: name it, and
    /// running the same job again over the same input after a crash stores
    /// nothing twice either, within TalkJS's de-duplication window
    /// (unconfirmed); a send under a new name is new messages, even with
    /// the same text. A key that would pass 255 bytes is left to the SDK's
    /// random one. A conversation whose request failed is left there: its
    /// later messages are reported as [`Error::NotSent`].
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::stream;
    /// use talkjs::types::SendMessageInput;
    /// let notices = (0..500).map(|i| (format!("order-{i}"), SendMessageInput::system_text("We have moved!")));
    /// let report = client.bulk().send(stream::iter(notices)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn send<S>(self, messages: S) -> Result<BulkReport, Error>
    where
        S: Stream<Item = (String, SendMessageInput)> + Send,
    {
        let client = self.client;
        let job = self
            .job
            .unwrap_or_else(|| format!("send-{:016x}", crate::retry::random_u64()));
        let job = job.as_str();
        let outcomes = pieces(messages, Default::default())
            .map(|piece| async move {
                // No checkpoint, so nothing is settled before sending.
                let chunk = match piece {
                    Piece::Settled(outcome) => return Ok(outcome),
                    Piece::Chunk(chunk) => chunk,
                };
                let conversation = chunk.conversation;
                let places = chunk.first..chunk.first + chunk.messages.len() as u64;
                if !conversation.turn_of(chunk.first).await {
                    return Ok(conversation.after_failure(places));
                }
                let mut messages = chunk.messages;
                for (message, place) in messages.iter_mut().zip(places.clone()) {
                    if message.idempotency_key.is_none() {
                        let fingerprint = match fingerprint(message) {
                            Ok(fingerprint) => fingerprint,
                            Err(error) => return Ok(conversation.failed(places, error)),
                        };
                        let key = format!("{job}:{}:{place}:{fingerprint}", conversation.id);
                        if key.len() <= MAX_IDEMPOTENCY_KEY_LEN {
                            message.idempotency_key = Some(key);
                        }
                    }
                }
                let sent = client
                    .messages(conversation.id.as_str())
                    .send(messages)
                    .await;
                Ok(match sent {
                    Ok(ids) => {
                        conversation.done_upto(places.end);
                        Outcome::done(ids.len() as u64)
                    }
                    Err(error) => conversation.failed(places, error),
                })
            })
            .buffer_unordered(self.concurrency);
        Tracker::new(client, self.total, self.on_progress)
            .consume(outcomes)
            .await
    }
}
