//! Cursor pagination: one page, or a stream of every item across pages.
//!
//! Every list has two forms:
//!
//! - `page(limit, starting_after)`: one request, at most `limit` items,
//!   after the item whose id is `starting_after` (TalkJS's `startingAfter`
//!   cursor);
//! - `stream(limit)`: a [`futures::Stream`] of every item, fetching pages of
//!   `limit` as it is polled, each starting after the last id of the one
//!   before. It stops on a short page, and ends with [`Error::Protocol`]
//!   rather than loop forever if the server hands out a cursor twice.
//!
//! `limit` must be 1..=100; anything else is [`Error::Validation`] and
//! nothing is sent (a stream yields that error first). The lists:
//! [`Users::page`](crate::Users::page),
//! [`Users::conversations_page`](crate::Users::conversations_page),
//! [`Conversations::page`](crate::Conversations::page) (with
//! [`ConversationFilter`](crate::ConversationFilter)),
//! [`Messages::page`](crate::Messages::page), and their `stream`s.
//!
//! ```no_run
//! # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
//! use futures::TryStreamExt;
//! use talkjs::ConversationFilter;
//!
//! // One page, then the next.
//! let filter = ConversationFilter::default();
//! let first = client.conversations().page(&filter, 100, None).await?;
//! let cursor = first.last().and_then(|c| c.id.as_deref());
//! let next = client.conversations().page(&filter, 100, cursor).await?;
//!
//! // Every item, processed as it arrives: only one page is held at a time.
//! let mut users = std::pin::pin!(client.users().stream(100));
//! while let Some(user) = users.try_next().await? {
//!     println!("{:?}", user.id);
//! }
//!
//! // Or collected.
//! let everyone: Vec<_> = client.users().stream(100).try_collect().await?;
//!
//! // Out of range: refused before sending.
//! let refused = client.users().page(0, None).await;
//! assert!(matches!(refused, Err(talkjs::Error::Validation { .. })));
//! # Ok(()) }
//! ```

use futures::{Stream, TryStreamExt, stream};

use crate::Error;

/// TalkJS's page size bounds, 1..=100 ("Listing" in
/// <https://talkjs.com/docs/Reference/REST_API/Getting_Started/Introduction/>).
pub(crate) const MAX_LIMIT: u32 = 100;

/// Checks `limit` against 1..=100 before anything is sent.
pub(crate) fn check_limit(limit: u32) -> Result<std::num::NonZeroU32, Error> {
    match std::num::NonZeroU32::new(limit) {
        Some(l) if limit <= MAX_LIMIT => Ok(l),
        _ => Err(Error::validation(
            "limit",
            format!("must be between 1 and {MAX_LIMIT}, got {limit}"),
        )),
    }
}

/// `request` for one page: at most `limit` items (checked against
/// 1..=100), after the item whose id is `starting_after`.
pub(crate) fn page(
    request: crate::http::request::Request,
    limit: u32,
    starting_after: Option<&str>,
) -> Result<crate::http::request::Request, Error> {
    let request = request.query("limit", check_limit(limit)?);
    Ok(match starting_after {
        Some(cursor) => request.query("startingAfter", cursor),
        None => request,
    })
}

/// Items that carry the id used as the `startingAfter` cursor.
#[doc(hidden)]
pub trait Cursor {
    /// The item's id.
    fn cursor(&self) -> Option<&str>;
}

impl Cursor for crate::raw::types::User {
    fn cursor(&self) -> Option<&str> {
        self.id.as_deref()
    }
}
impl Cursor for crate::raw::types::Conversation {
    fn cursor(&self) -> Option<&str> {
        self.id.as_deref()
    }
}
impl Cursor for crate::raw::types::Message {
    fn cursor(&self) -> Option<&str> {
        self.id.as_deref()
    }
}

/// Streams every item: pages of `limit`, each starting after the last id of
/// the one before; stops on a short page, and fails (rather than loop
/// forever) if the server hands back a cursor it already gave.
pub(crate) fn stream_pages<T, F, Fut>(
    limit: u32,
    starting_after: Option<String>,
    fetch: F,
) -> impl Stream<Item = Result<T, Error>>
where
    T: Cursor,
    F: FnMut(u32, Option<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>, Error>>,
{
    struct State<F> {
        fetch: F,
        cursor: Option<String>,
        seen: std::collections::HashSet<String>,
        done: bool,
    }
    let state = State {
        fetch,
        cursor: starting_after,
        seen: Default::default(),
        done: false,
    };
    stream::try_unfold(state, move |mut state| async move {
        if state.done {
            return Ok(None);
        }
        check_limit(limit)?;
        let page = (state.fetch)(limit, state.cursor.clone()).await?;
        if page.len() < limit as usize {
            state.done = true;
        } else {
            let next = page
                .last()
                .and_then(|item| item.cursor())
                .map(str::to_owned);
            match next {
                Some(next) if state.seen.insert(next.clone()) => state.cursor = Some(next),
                Some(next) => {
                    return Err(Error::Protocol(format!(
                        "pagination stopped: the server repeated the cursor {next:?}, \
                         which would loop forever"
                    )));
                }
                None => {
                    // Ending quietly would skip the rest of the list.
                    return Err(Error::Protocol(
                        "a full page ended with an item without an id: no cursor to continue from"
                            .into(),
                    ));
                }
            }
        }
        Ok(Some((stream::iter(page.into_iter().map(Ok)), state)))
    })
    .try_flatten()
}
