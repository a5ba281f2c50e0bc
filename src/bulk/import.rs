//! Importing history into many conversations exactly once: chunks of 10,
//! each conversation's in order, recorded in a checkpoint, and an unknown
//! outcome resolved by reading the conversation back.

use std::collections::HashSet;

use futures::{Stream, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};

use super::{
    Bulk, BulkReport,
    checkpoint::{Checkpoint, CheckpointEvent, resume_points},
    chunks::{Chunk, Conversation, Piece, pieces},
    fingerprint::{chained, fingerprint},
    progress::{Outcome, Tracker},
};
use crate::{
    Client, Error,
    raw::types::{Custom, ImportMessageInput},
};

/// One message of history and the conversation it goes to: a line of a
/// migration's JSONL file.
///
/// ```
/// let line = r#"{"conversation": "order-42", "message": {"type": "UserMessage", "sender": "alice", "text": "hi", "timestamp": 1600000000000, "readBy": []}}"#;
/// let item: talkjs::bulk::ImportItem = serde_json::from_str(line).unwrap();
/// assert_eq!(item.conversation, "order-42");
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportItem {
    /// The conversation's id.
    pub conversation: String,
    /// The message, with its original timestamp.
    pub message: ImportMessageInput,
}

impl Bulk<'_> {
    /// Imports `items` (each a message and its conversation), exactly
    /// once across retries, ambiguous failures and crashes.
    ///
    /// Each conversation's messages go in input order, 10 per request
    /// (consecutive input lines of one conversation share a request: sort
    /// the input by conversation for the fewest requests); different
    /// conversations go concurrently. Before a request, `checkpoint`
    /// records it as started; when TalkJS answers, as acknowledged. A run
    /// over the same input and checkpoint skips what was acknowledged and
    /// resolves what was started but not acknowledged by reading the
    /// conversation back: every message carries a marker in its `custom`
    /// data ([`Bulk::marker`], `"{job}/{place}/{fingerprint}"`, the last
    /// part a hash of the message's content), and only the messages whose
    /// marker is missing are imported. The same reading back resolves a
    /// request whose answer was lost while the job runs. Either reading
    /// waits [`Bulk::settle`] first (on resume, from the job's start): a
    /// request of the earlier run may still be on its way. Without a marker
    /// ([`Bulk::without_marker`]) such a request is reported as a failure
    /// with [`Error::OutcomeUnknown`], in this run or a later one: never
    /// sent again on a guess.
    ///
    /// The checkpoint also records a hash of each conversation's messages
    /// so far: a run over other input (other messages, another order,
    /// fewer) refuses the conversations whose recorded messages differ,
    /// with [`Error::Validation`] on `input`, instead of skipping messages
    /// by their count.
    ///
    /// A conversation whose request failed (TalkJS refused it, or an
    /// unknown outcome could not be resolved) is left there: its later
    /// messages are reported as failed too, and a later run resumes it in
    /// order. A checkpoint that cannot be written ends the job with that
    /// error. See [`crate::bulk`] for a migration.
    pub async fn import<S>(self, items: S, checkpoint: &dyn Checkpoint) -> Result<BulkReport, Error>
    where
        S: Stream<Item = ImportItem> + Send,
    {
        let Bulk {
            client,
            concurrency,
            total,
            on_progress,
            marker,
            job,
            settle,
        } = self;
        let resume = resume_points(&checkpoint.load()?);
        let job = Job {
            client,
            checkpoint,
            marker,
            job: job.unwrap_or_else(|| "import".to_owned()),
            settle,
            started: tokio::time::Instant::now(),
        };
        let job = &job;
        let outcomes = pieces(items.map(|item| (item.conversation, item.message)), resume)
            .map(|piece| async move {
                match piece {
                    Piece::Settled(outcome) => Ok(outcome),
                    Piece::Chunk(chunk) => job.run(chunk).await,
                }
            })
            .buffer_unordered(concurrency);
        Tracker::new(client, total, on_progress)
            .consume(outcomes)
            .await
    }
}

/// What every chunk of one job shares.
struct Job<'a> {
    client: &'a Client,
    checkpoint: &'a dyn Checkpoint,
    /// The marker's key.
    marker: Option<String>,
    /// The job's name.
    job: String,
    /// The wait before an unknown outcome is read back.
    settle: std::time::Duration,
    /// When the job started: a chunk the checkpoint leaves in doubt is
    /// read back no earlier than `settle` after it.
    started: tokio::time::Instant,
}

/// Outcomes that may have been applied although no answer says so.
fn unknown_outcome(error: &Error) -> bool {
    matches!(
        error,
        Error::OutcomeUnknown { .. }
            | Error::Timeout { .. }
            | Error::Transport {
                maybe_sent: true,
                ..
            }
    )
}

/// Answers that say TalkJS applied nothing: a 4xx, or a 503 the transport
/// did not take for a gateway's (it carried `Retry-After`: a refusal on
/// purpose). Not a 2xx whose body could not be read, nor any other 5xx.
fn refused(error: &Error) -> bool {
    // `body()` is the error response's: a `Decode` (a 2xx) has none, and a
    // `Partial` was applied in part.
    !matches!(error, Error::Partial { .. })
        && error
            .body()
            .is_some_and(|body| matches!(body.status, 300..=499 | 503))
}

impl Job<'_> {
    /// Imports one chunk when its conversation's turn comes.
    async fn run(&self, chunk: Chunk<ImportMessageInput>) -> Result<Outcome, Error> {
        let conversation = chunk.conversation.clone();
        let places = chunk.first..chunk.first + chunk.messages.len() as u64;
        if !conversation.turn_of(chunk.first).await {
            return Ok(conversation.after_failure(places));
        }
        let fingerprints: Vec<String> = match chunk.messages.iter().map(fingerprint).collect() {
            Ok(fingerprints) => fingerprints,
            Err(error) => return Ok(conversation.failed(places, error)),
        };
        match self.import(&conversation, chunk, &fingerprints).await {
            Ok((done, skipped)) => {
                self.acknowledge(&conversation, places.end, &fingerprints)?;
                conversation.done_upto(places.end);
                Ok(Outcome {
                    done,
                    skipped,
                    failure: None,
                })
            }
            Err(Failed::Checkpoint(error)) => Err(error),
            Err(Failed::Request(error)) => Ok(conversation.failed(places, error)),
            Err(Failed::Refused(error)) => {
                // Nothing of the chunk is stored: its start is answered, so
                // that a later run sends it again without doubt (and, with
                // no marker, is not left with an unknown outcome).
                self.acknowledge(&conversation, places.start, &[])?;
                Ok(conversation.failed(places, error))
            }
        }
    }

    /// Records that the conversation is stored up to `upto`, the messages
    /// with `fingerprints` being the last stored: with the content hash up
    /// to there, for a later run to check its input against.
    fn acknowledge(
        &self,
        conversation: &Conversation,
        upto: u64,
        fingerprints: &[String],
    ) -> Result<(), Error> {
        let mut chain = conversation.chain.lock().unwrap_or_else(|e| e.into_inner());
        let after = fingerprints
            .iter()
            .fold(chain.clone(), |chain, next| chained(&chain, next));
        self.checkpoint.record(&CheckpointEvent::Acked {
            conversation: conversation.id.clone(),
            upto,
            chain: Some(after.clone()),
        })?;
        *chain = after;
        Ok(())
    }

    /// Sends the chunk's messages that are not stored yet; `(imported,
    /// found already stored)`.
    async fn import(
        &self,
        conversation: &Conversation,
        chunk: Chunk<ImportMessageInput>,
        fingerprints: &[String],
    ) -> Result<(u64, u64), Failed> {
        let mut pending: Vec<(String, ImportMessageInput)> = chunk
            .messages
            .into_iter()
            .zip(chunk.first..)
            .zip(fingerprints)
            .map(|((message, place), fingerprint)| self.marked(message, place, fingerprint))
            .collect::<Result<_, _>>()
            .map_err(Failed::Request)?;
        let total = pending.len() as u64;
        if conversation.in_doubt {
            if let Some(sent_as) = &conversation.sent_as
                && (sent_as.job != self.job || sent_as.marker != self.marker)
            {
                return Err(Failed::Request(Error::validation(
                    "job",
                    format!(
                        "conversation {:?}: the checkpoint's chunk in doubt (from place {}) was \
                         sent by job {:?} with marker {:?}, and this run is job {:?} with marker \
                         {:?}; resume with the same Bulk::job and Bulk::marker, so that reading \
                         back can find it",
                        conversation.id,
                        chunk.first,
                        sent_as.job,
                        sent_as.marker,
                        self.job,
                        self.marker
                    ),
                )));
            }
            if self.marker.is_none() {
                return Err(Failed::Request(Error::OutcomeUnknown {
                    operation: "import_messages",
                    reason: format!(
                        "an earlier run sent messages from place {} of conversation {:?} and \
                         recorded no answer, and without a marker the SDK cannot tell whether \
                         TalkJS stored them; read the conversation, then record what is there \
                         as acknowledged in the checkpoint (CheckpointEvent::Acked) or import \
                         with a marker",
                        chunk.first, conversation.id
                    ),
                }));
            }
            // A request of the earlier run (a dropped future, a killed
            // process) may still be applied: read back after it settles.
            tokio::time::sleep_until(self.started + self.settle).await;
            self.drop_present(conversation, &mut pending, false).await?;
        }
        // An unknown outcome is read back and only the rest sent again; a
        // few rounds, as each round is a fresh chance to lose an answer.
        for round in 0..3 {
            if pending.is_empty() {
                break;
            }
            let first = chunk.first;
            self.checkpoint
                .record(&CheckpointEvent::Started {
                    conversation: conversation.id.clone(),
                    first,
                    count: total,
                    job: Some(self.job.clone()),
                    marker: self.marker.clone(),
                })
                .map_err(Failed::Checkpoint)?;
            let messages: Vec<ImportMessageInput> =
                pending.iter().map(|(_, m)| m.clone()).collect();
            let request = crate::messages::import_messages(&conversation.id, &messages)
                .map_err(Failed::Request)?;
            match self.client.perform(request).await {
                Ok(()) => {
                    let imported = pending.len() as u64;
                    return Ok((imported, total - imported));
                }
                Err(error) if unknown_outcome(&error) && self.marker.is_some() => {
                    tracing::info!(conversation = %conversation.id, %error, "import outcome unknown: reading the conversation back");
                    tokio::time::sleep(self.settle).await;
                    self.drop_present(conversation, &mut pending, true).await?;
                }
                // Refused outright, in the first round, with nothing of the
                // chunk found stored: TalkJS stored none of it.
                Err(error) if round == 0 && pending.len() as u64 == total && refused(&error) => {
                    return Err(Failed::Refused(error));
                }
                Err(error) => return Err(Failed::Request(error)),
            }
        }
        if pending.is_empty() {
            return Ok((0, total));
        }
        Err(Failed::Request(Error::OutcomeUnknown {
            operation: "import_messages",
            reason: "three attempts in a row lost their answer".into(),
        }))
    }

    /// `message` with its marker, and the marker's value. A message that
    /// already sets the marker's key (one exported from an earlier import,
    /// say) is refused rather than having its value replaced.
    fn marked(
        &self,
        mut message: ImportMessageInput,
        place: u64,
        fingerprint: &str,
    ) -> Result<(String, ImportMessageInput), Error> {
        let (Some(key), job) = (&self.marker, &self.job) else {
            return Ok((String::new(), message));
        };
        // The content's fingerprint (of the message as given, without the
        // marker): a different message at this place (another import
        // under the same job name) is never taken for this one.
        let value = format!("{job}/{place}/{fingerprint}");
        let mut custom = message.custom.take().and_then(|c| c.0).unwrap_or_default();
        if custom.contains_key(key) {
            return Err(Error::validation(
                format!("custom.{key}"),
                format!(
                    "message {place} of its conversation already sets it, and the import's \
                     marker would replace its value; choose another key with Bulk::marker, \
                     or import with Bulk::without_marker"
                ),
            ));
        }
        custom.insert(key.clone(), value.clone());
        message.custom = Some(Custom(Some(custom)));
        Ok((value, message))
    }

    /// Leaves out of `pending` what the conversation already holds (read
    /// back once, or again when `fresh`).
    async fn drop_present(
        &self,
        conversation: &Conversation,
        pending: &mut Vec<(String, ImportMessageInput)>,
        fresh: bool,
    ) -> Result<(), Failed> {
        let (Some(key), job) = (&self.marker, &self.job) else {
            return Ok(());
        };
        let cached = conversation
            .present
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let present = match cached {
            Some(present) if !fresh => present,
            _ => {
                let prefix = format!("{job}/");
                let present: HashSet<String> = self
                    .client
                    .messages(conversation.id.as_str())
                    .list()
                    .stream()
                    .try_filter_map(|message| {
                        let value = message
                            .custom
                            .and_then(|custom| custom.0)
                            .and_then(|mut custom| custom.remove(key))
                            .filter(|value| value.starts_with(&prefix));
                        futures::future::ready(Ok(value))
                    })
                    .try_collect()
                    .await
                    .map_err(Failed::Request)?;
                *conversation
                    .present
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) = Some(present.clone());
                present
            }
        };
        pending.retain(|(marker, _)| !present.contains(marker));
        Ok(())
    }
}

/// Why a chunk stopped.
enum Failed {
    /// The job cannot go on.
    Checkpoint(Error),
    /// This conversation cannot go on.
    Request(Error),
    /// TalkJS refused the chunk, storing none of it; the conversation
    /// cannot go on.
    Refused(Error),
}
