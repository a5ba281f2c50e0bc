//! Cursor pagination: a list call is a [`List`] builder that ends in
//! [`List::send`] (one [`Page`], which knows the cursor of the next) or
//! [`List::stream`] (every item, page after page).
//!
//! The lists: [`Users::list`](crate::Users::list),
//! [`Users::conversations`](crate::Users::conversations) and
//! [`Conversations::list`](crate::Conversations::list) (both with the
//! conversation filters of [`List::after`] and its siblings),
//! [`Messages::list`](crate::Messages::list) and
//! [`ConversationByParticipants::messages`](crate::ConversationByParticipants::messages).
//!
//! A page holds at most [`List::limit`] items (1..=100, 100 unless set);
//! anything else is [`Error::Validation`] and nothing is sent (a stream
//! yields that error first). A stream fetches the next page only when the
//! items of the one before are consumed, each page starting after the last
//! id of the one before; it stops on a short page, and ends with
//! [`Error::Protocol`] rather than loop forever if the server hands out a
//! cursor twice.
//!
//! ```no_run
//! # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
//! use futures::TryStreamExt;
//!
//! // One page, then the next.
//! let first = client.conversations().list().limit(50).send().await?;
//! if let Some(cursor) = first.next_cursor() {
//!     let next = client.conversations().list().limit(50).starting_after(cursor).send().await?;
//! }
//!
//! // Every item, processed as it arrives: only one page is held at a time.
//! let mut users = std::pin::pin!(client.users().list().stream());
//! while let Some(user) = users.try_next().await? {
//!     println!("{:?}", user.id);
//! }
//!
//! // Or collected.
//! let everyone: Vec<_> = client.users().list().stream().try_collect().await?;
//!
//! // Out of range: refused before sending.
//! let refused = client.users().list().limit(0).send().await;
//! assert!(matches!(refused, Err(talkjs::Error::Validation { .. })));
//! # Ok(()) }
//! ```

use std::{marker::PhantomData, sync::Arc};

use futures::{Stream, TryStreamExt, stream};
use serde::de::DeserializeOwned;

use crate::{
    Client, Error,
    filters::ConversationFilter,
    http::request::Request,
    raw::types::{Conversation, ConversationList, Message, MessageList, User, UserList},
};

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

/// The first page's request of a list, given its filter: built again for
/// every page, so that an id no URL can carry is refused by each `send`.
type Describe = Arc<dyn Fn(&ConversationFilter) -> Result<Request, Error> + Send + Sync>;

/// A list call: set [`List::limit`] and [`List::starting_after`] (and, for
/// conversations, filters), then [`List::send`] for one page or
/// [`List::stream`] for every item. From the list methods of the resources
/// (see [`crate::pagination`]); a [`crate::BatchOp::list`] carries one page.
///
/// ```no_run
/// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
/// let page = client.messages("order-42").list().limit(20).send().await?;
/// for message in &page.items {
///     println!("{:?}: {:?}", message.sender_id, message.text);
/// }
/// # Ok(()) }
/// ```
#[must_use = "a list sends nothing until `.send()` or `.stream()`"]
pub struct List<'a, T> {
    client: &'a Client,
    describe: Describe,
    filter: ConversationFilter,
    limit: u32,
    starting_after: Option<String>,
    item: PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for List<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("List")
            .field("item", &std::any::type_name::<T>())
            .field("filter", &self.filter)
            .field("limit", &self.limit)
            .field("starting_after", &self.starting_after)
            .finish_non_exhaustive()
    }
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        List {
            client: self.client,
            describe: self.describe.clone(),
            filter: self.filter.clone(),
            limit: self.limit,
            starting_after: self.starting_after.clone(),
            item: PhantomData,
        }
    }
}

/// One page of a list.
///
/// ```no_run
/// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
/// let page = client.users().list().limit(10).send().await?;
/// println!("{} users; more after this page: {}", page.items.len(), page.next_cursor().is_some());
/// for user in page {
///     println!("{:?}", user.name);
/// }
/// # Ok(()) }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in TalkJS's order.
    pub items: Vec<T>,
    /// Where the next page starts: the last item's id when the page is
    /// full, `None` when it is short (the last page).
    next: Option<String>,
}

impl<T> Page<T> {
    /// The cursor to pass to [`List::starting_after`] for the next page;
    /// `None` on the last page.
    pub fn next_cursor(&self) -> Option<&str> {
        self.next.as_deref()
    }
}

impl<T> IntoIterator for Page<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'p, T> IntoIterator for &'p Page<T> {
    type Item = &'p T;
    type IntoIter = std::slice::Iter<'p, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// What a list holds: a generated type with the id used as the cursor,
/// and the generated envelope of its pages.
#[doc(hidden)]
pub trait Item: DeserializeOwned + Send + 'static {
    /// The generated page envelope (`UserList`, ...).
    type Envelope: DeserializeOwned;
    /// The items of a page.
    fn items(envelope: Self::Envelope) -> Vec<Self>;
    /// The item's id.
    fn cursor(&self) -> Option<&str>;
}

/// `Item` for a generated type whose pages come in the generated
/// `$envelope` (`{"data": [...]}`) and whose cursor is its `id`.
macro_rules! item {
    ($($item:ty => $envelope:ty),+ $(,)?) => {$(
        impl Item for $item {
            type Envelope = $envelope;
            fn items(envelope: $envelope) -> Vec<Self> {
                envelope.data.unwrap_or_default()
            }
            fn cursor(&self) -> Option<&str> {
                self.id.as_deref()
            }
        }
    )+};
}

item!(User => UserList, Conversation => ConversationList, Message => MessageList);

impl<'a, T: Item> List<'a, T> {
    /// A list whose pages `describe` gives (limit and cursor added here).
    pub(crate) fn new(
        client: &'a Client,
        describe: impl Fn(&ConversationFilter) -> Result<Request, Error> + Send + Sync + 'static,
    ) -> Self {
        List {
            client,
            describe: Arc::new(describe),
            filter: ConversationFilter::default(),
            limit: MAX_LIMIT,
            starting_after: None,
            item: PhantomData,
        }
    }

    /// At most `limit` items per page, 1..=100 (100 unless set: the fewest
    /// requests).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }

    /// Starts after the item whose id is `cursor` (TalkJS's
    /// `startingAfter`), such as a page's [`Page::next_cursor`].
    pub fn starting_after(mut self, cursor: impl Into<String>) -> Self {
        self.starting_after = Some(cursor.into());
        self
    }

    /// Changes the filter (conversation lists; see [`crate::ConversationOrder`]).
    pub(crate) fn filter(mut self, change: impl FnOnce(&mut ConversationFilter)) -> Self {
        change(&mut self.filter);
        self
    }

    /// The request of the page after `cursor`.
    pub(crate) fn request(&self, cursor: Option<&str>) -> Result<Request, Error> {
        let limit = check_limit(self.limit)?;
        let mut request = (self.describe)(&self.filter)?;
        // The page's own parameters first, then the filters.
        let mut page = vec![("limit", limit.to_string())];
        page.extend(cursor.map(|cursor| ("startingAfter", cursor.to_owned())));
        request.query.splice(0..0, page);
        Ok(request)
    }

    /// The request [`List::send`] sends.
    pub(crate) fn first_request(&self) -> Result<Request, Error> {
        self.request(self.starting_after.as_deref())
    }

    /// The page after `cursor`.
    async fn fetch(&self, cursor: Option<&str>) -> Result<Page<T>, Error> {
        let envelope: T::Envelope = self.client.fetch(self.request(cursor)?).await?;
        let items = T::items(envelope);
        let next = if items.len() < self.limit as usize {
            None
        } else {
            match items.last().and_then(Item::cursor) {
                Some(id) => Some(id.to_owned()),
                // Calling it the last page would skip the rest of the list.
                None => {
                    return Err(Error::Protocol(
                        "a full page ended with an item without an id: no cursor to continue from"
                            .into(),
                    ));
                }
            }
        };
        Ok(Page { items, next })
    }

    /// Sends the request for one page.
    pub async fn send(self) -> Result<Page<T>, Error> {
        self.fetch(self.starting_after.as_deref()).await
    }

    /// Every item from [`List::starting_after`] on (or from the start),
    /// fetched a page of [`List::limit`] at a time as the stream is polled.
    pub fn stream(self) -> impl Stream<Item = Result<T, Error>> + Send + 'a {
        struct State<'a, T> {
            list: List<'a, T>,
            cursor: Option<String>,
            seen: std::collections::HashSet<String>,
            done: bool,
        }
        let state = State {
            cursor: self.starting_after.clone(),
            list: self,
            seen: Default::default(),
            done: false,
        };
        stream::try_unfold(state, |mut state| async move {
            if state.done {
                return Ok(None);
            }
            let page = state.list.fetch(state.cursor.as_deref()).await?;
            match page.next {
                None => state.done = true,
                Some(next) if state.seen.insert(next.clone()) => state.cursor = Some(next),
                Some(next) => {
                    return Err(Error::Protocol(format!(
                        "pagination stopped: the server repeated the cursor {next:?}, \
                         which would loop forever"
                    )));
                }
            }
            Ok(Some((stream::iter(page.items.into_iter().map(Ok)), state)))
        })
        .try_flatten()
    }
}
