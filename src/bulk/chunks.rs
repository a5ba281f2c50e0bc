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

use super::{BulkFailure, checkpoint::Resume, progress::Outcome};
use crate::MAX_MESSAGES_PER_REQUEST;

/// What the input becomes: a message left out as acknowledged, or a
/// request's worth of messages.
pub(crate) enum Piece<M> {
    Skipped,
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
}

impl Conversation {
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
/// left out, consecutive messages of one conversation grouped by up to 10.
pub(crate) fn pieces<M, S>(
    items: S,
    resume: HashMap<String, Resume>,
) -> impl Stream<Item = Piece<M>> + Send
where
    M: Send,
    S: Stream<Item = (String, M)> + Send,
{
    struct State<S, M> {
        items: std::pin::Pin<Box<S>>,
        resume: HashMap<String, Resume>,
        /// Per conversation: its turn-taking and the next place.
        seen: HashMap<String, (Arc<Conversation>, u64)>,
        open: Option<Chunk<M>>,
        ended: bool,
    }
    let state = State {
        items: Box::pin(items),
        resume,
        seen: HashMap::new(),
        open: None,
        ended: false,
    };
    stream::unfold(state, |mut state| async move {
        loop {
            if state.ended {
                return state.open.take().map(|chunk| (Piece::Chunk(chunk), state));
            }
            let Some(item) = state.items.next().await else {
                state.ended = true;
                continue;
            };
            let (conversation, place) = {
                let resume = state.resume.get(&item.0).copied().unwrap_or_default();
                let (conversation, next) = state.seen.entry(item.0.clone()).or_insert_with(|| {
                    let (turn, _) = watch::channel(Some(resume.acked));
                    let conversation = Conversation {
                        id: item.0.clone(),
                        turn,
                        present: Mutex::new(None),
                        in_doubt: resume.in_doubt,
                    };
                    (Arc::new(conversation), 0)
                });
                let place = *next;
                *next += 1;
                if place < resume.acked {
                    return Some((Piece::Skipped, state));
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
