//! Cursor pagination: one page, or a stream of every item across pages.

use futures::{Stream, TryStreamExt, stream};

use crate::Error;

/// TalkJS's page size bounds (seed 003).
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

/// Applies a limit, a cursor and [`crate::ConversationFilter`]'s time bounds
/// to a generated list builder. The generated list builders are distinct
/// types with the same setters, so a macro serves all of them.
macro_rules! list_params {
    ($request:expr, $limit:expr, $starting_after:expr) => {{
        let mut request = $request.limit($crate::pagination::check_limit($limit)?);
        if let Some(cursor) = $starting_after {
            request = request.starting_after(cursor);
        }
        request
    }};
    ($request:expr, $limit:expr, $starting_after:expr, $filter:expr) => {{
        let mut request = list_params!($request, $limit, $starting_after);
        if let Some(at) = $filter.last_message_before {
            request = request.last_message_before(at.0);
        }
        if let Some(at) = $filter.last_message_after {
            request = request.last_message_after(at.0);
        }
        request
    }};
}
pub(crate) use list_params;

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
