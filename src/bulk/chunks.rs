//! Turning a stream of (conversation, message) into requests' worth of
//! messages: places counted per conversation, consecutive messages of one
//! conversation grouped by up to 10, and each conversation's chunks taking
//! turns so that they go in input order while conversations run
//! concurrently.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use futures::{Stream, StreamExt, stream};
use tokio::sync::watch;

use super::{
    BulkFailure,
    checkpoint::{Resume, SentAs},
    progress::Outcome,
};
use crate::MAX_MESSAGES_PER_REQUEST;

/// What the input becomes: an outcome known without sending (messages
/// left out as acknowledged, or refused as not the input the checkpoint
/// recorded), or a request's worth of messages.
pub(crate) enum Piece<M> {
    Settled(Outcome),
    Chunk(Chunk<M>),
}

/// Up to 10 consecutive messages of one conversation, from place `first`.
pub(crate) struct Chunk<M> {
    pub(crate) conversation: Arc<Conversation>,
    pub(crate) first: u64,
    pub(crate) messages: Vec<M>,
}

/// A conversation's turn-taking: its chunks go one after another, in
/// input order; after a failure, the rest of it is not imported (a later
/// run resumes it in order).
pub(crate) struct Conversation {
    pub(crate) id: String,
    /// Where the next chunk starts, or `None` after a failure.
    pub(crate) turn: watch::Sender<Option<u64>>,
    /// The markers already in the conversation, once read back.
    pub(crate) present: Mutex<Option<HashSet<String>>>,
    /// The checkpoint says a chunk's outcome is unknown: read it back
    /// before importing more.
    pub(crate) in_doubt: bool,
    /// What the chunk in doubt was sent as, when the checkpoint says.
    pub(crate) sent_as: Option<SentAs>,
    /// The content hash of the messages before the next chunk
    /// ([`super::fingerprint::chained`]), for the checkpoint.
    pub(crate) chain: Mutex<String>,
}

/// [`pieces`]'s state between two pieces.
struct State<S, M> {
    items: std::pin::Pin<Box<S>>,
    resume: HashMap<String, Resume>,
    /// Per conversation: its turn-taking and the next place.
    seen: HashMap<String, (Arc<Conversation>, u64)>,
    open: Option<Chunk<M>>,
    /// After the input's end: what is left to report.
    left: Option<Vec<Piece<M>>>,
}

impl<S, M> State<S, M> {
    /// Conversations whose input ended before the place the checkpoint
    /// acknowledged: that input is not the one recorded.
    fn left_at_end(&mut self) -> Vec<Piece<M>> {
        let mut left: Vec<Piece<M>> = self
            .seen
            .values()
            .filter_map(|(conversation, next)| {
                let acked = self.resume.get(&conversation.id)?.acked;
                (*next < acked).then(|| {
                    Piece::Settled(conversation.not_the_input(
                        *next,
                        format!("the input has {next} messages for it, fewer than the {acked} the checkpoint records as imported"),
                    ))
                })
            })
            .collect();
        // Popped from the end: the open chunk goes first.
        left.extend(self.open.take().map(Piece::Chunk));
        left
    }
}

impl Conversation {
    /// Takes in the message at `place`, below `acked` (so stored by an
    /// earlier run): its content joins the conversation's hash, and at the
    /// last of them the hash is checked against the `recorded` one. The
    /// outcome of all `acked` messages, once known.
    fn skip<M: serde::Serialize>(
        &self,
        place: u64,
        acked: u64,
        recorded: Option<&str>,
        message: &M,
    ) -> Option<Outcome> {
        let mut chain = self.chain.lock().unwrap_or_else(|e| e.into_inner());
        // A message that cannot be encoded (none of TalkJS's can fail)
        // hashes as empty: the check below then refuses the input.
        let fingerprint = super::fingerprint::fingerprint(message).unwrap_or_default();
        *chain = super::fingerprint::chained(&chain, &fingerprint);
        if place + 1 < acked {
            return None;
        }
        Some(match recorded {
            Some(recorded) if recorded != *chain => self.not_the_input(
                acked,
                format!("its first {acked} messages differ from those the checkpoint records as imported"),
            ),
            _ => Outcome::skipped(acked),
        })
    }

    /// Ends the conversation, its first `count` messages refused: the
    /// input is not the one the checkpoint recorded.
    fn not_the_input(&self, count: u64, why: String) -> Outcome {
        let error = crate::Error::validation(
            "input",
            format!(
                "conversation {:?}: {why}; resume with the same input, or import a new input \
                 with a new checkpoint and a new job name",
                self.id
            ),
        );
        self.failed(0..count, error)
    }

    /// Waits until the chunk starting at `first` may go: `false` when an
    /// earlier chunk of the conversation failed.
    pub(crate) async fn turn_of(&self, first: u64) -> bool {
        let mut turn = self.turn.subscribe();
        turn.wait_for(|next| next.is_none_or(|next| next == first))
            .await
            .map(|next| next.is_some())
            .unwrap_or(false)
    }

    /// The next chunk, from `next`, may go.
    pub(crate) fn done_upto(&self, next: u64) {
        self.turn.send_replace(Some(next));
    }

    /// Ends the conversation here: `places` (and every later chunk) are
    /// reported as failed with `error`.
    pub(crate) fn failed(&self, places: std::ops::Range<u64>, error: crate::Error) -> Outcome {
        self.turn.send_replace(None);
        Outcome::failed(BulkFailure {
            conversation_id: Some(self.id.clone()),
            items: places.map(|place| place.to_string()).collect(),
            error,
        })
    }

    /// The outcome of a chunk that may not go.
    pub(crate) fn after_failure(&self, places: std::ops::Range<u64>) -> Outcome {
        let error = crate::Error::NotSent {
            reason: format!(
                "an earlier request of conversation {:?} failed (reported with its own error); \
                 a later run resumes the conversation from there",
                self.id
            ),
        };
        self.failed(places, error)
    }
}

/// The items in pieces: places counted per conversation, acknowledged ones
/// left out (once their content is found to be what the checkpoint
/// recorded), consecutive messages of one conversation grouped by up to 10.
pub(crate) fn pieces<M, S>(
    items: S,
    resume: HashMap<String, Resume>,
) -> impl Stream<Item = Piece<M>> + Send
where
    M: Send + serde::Serialize,
    S: Stream<Item = (String, M)> + Send,
{
    let state = State {
        items: Box::pin(items),
        resume,
        seen: HashMap::new(),
        open: None,
        left: None,
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if let Some(left) = &mut state.left {
                return left.pop().map(|piece| (piece, state));
            }
            let Some(item) = state.items.next().await else {
                state.left = Some(state.left_at_end());
                continue;
            };
            let (conversation, place) = {
                let resume = state.resume.get(&item.0);
                let acked = resume.map_or(0, |resume| resume.acked);
                let (conversation, next) = state.seen.entry(item.0.clone()).or_insert_with(|| {
                    let (turn, _) = watch::channel(Some(acked));
                    let conversation = Conversation {
                        id: item.0.clone(),
                        turn,
                        present: Mutex::new(None),
                        in_doubt: resume.is_some_and(|resume| resume.in_doubt),
                        sent_as: resume.and_then(|resume| resume.sent_as.clone()),
                        chain: Mutex::new(String::new()),
                    };
                    (Arc::new(conversation), 0)
                });
                let place = *next;
                *next += 1;
                if place < acked {
                    let recorded = resume.and_then(|resume| resume.chain.as_deref());
                    if let Some(settled) = conversation.skip(place, acked, recorded, &item.1) {
                        return Some((Piece::Settled(settled), state));
                    }
                    continue;
                }
                (conversation.clone(), place)
            };
            let fits = state.open.as_ref().is_some_and(|open| {
                Arc::ptr_eq(&open.conversation, &conversation)
                    && open.messages.len() < MAX_MESSAGES_PER_REQUEST
            });
            if fits {
                if let Some(open) = &mut state.open {
                    open.messages.push(item.1);
                }
                continue;
            }
            let full = state.open.replace(Chunk {
                conversation,
                first: place,
                messages: vec![item.1],
            });
            if let Some(full) = full {
                return Some((Piece::Chunk(full), state));
            }
        }
    })
}
