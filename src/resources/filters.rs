//! The filters and order of a conversation list (`lastMessageBefore`,
//! `lastMessageAfter`, `unreadsOnly`, `orderBy`, `orderDirection`), set on
//! a [`List`] of conversations.

use crate::{
    Error, http::request::Request, pagination::List, raw::types::Conversation, types::UnixMillis,
};

/// What a conversation list filters on; the default filters nothing and
/// leaves the order to TalkJS: last activity, latest first.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConversationFilter {
    pub(crate) last_message_before: Option<UnixMillis>,
    pub(crate) last_message_after: Option<UnixMillis>,
    /// A user's list only.
    pub(crate) unreads_only: bool,
    pub(crate) order_by: Option<ConversationOrder>,
    pub(crate) direction: Option<OrderDirection>,
}

/// What a conversation list is sorted by
/// (<https://talkjs.com/docs/Reference/REST_API/Users>: "by creation date
/// or by the last activity"). TalkJS does not publish the parameter's
/// values: these are the natural reading, `"lastMessageAt"` and
/// `"createdAt"`, and [`ConversationOrder::Other`] sends any other value
/// as it is.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationOrder {
    /// Last activity (`lastMessageAt`): TalkJS's default since API version
    /// 2021-02-09.
    LastActivity,
    /// Creation time (`createdAt`).
    CreatedAt,
    /// Any other value, sent as given.
    Other(String),
}

impl ConversationOrder {
    /// The query value.
    pub fn as_str(&self) -> &str {
        match self {
            ConversationOrder::LastActivity => "lastMessageAt",
            ConversationOrder::CreatedAt => "createdAt",
            ConversationOrder::Other(value) => value,
        }
    }
}

/// The direction of a conversation list's order. The values (`"desc"`,
/// `"asc"`) are the natural reading of TalkJS's `orderDirection`, which
/// TalkJS does not publish; [`OrderDirection::Other`] sends any other
/// value as it is.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderDirection {
    /// Latest (or largest) first: TalkJS's default.
    Descending,
    /// Oldest first.
    Ascending,
    /// Any other value, sent as given.
    Other(String),
}

impl OrderDirection {
    /// The query value.
    pub fn as_str(&self) -> &str {
        match self {
            OrderDirection::Descending => "desc",
            OrderDirection::Ascending => "asc",
            OrderDirection::Other(value) => value,
        }
    }
}

impl ConversationFilter {
    /// The filters as query parameters of `request`: `unreadsOnly` only if
    /// `user_list`, and refused otherwise (the app's list has no unread
    /// state).
    pub(crate) fn apply(&self, mut request: Request, user_list: bool) -> Result<Request, Error> {
        if self.unreads_only && !user_list {
            return Err(Error::validation(
                "unreadsOnly",
                "only a user's conversation list can filter unread conversations",
            ));
        }
        if let Some(at) = self.last_message_before {
            request = request.query("lastMessageBefore", at.0);
        }
        if let Some(at) = self.last_message_after {
            request = request.query("lastMessageAfter", at.0);
        }
        if let Some(order) = &self.order_by {
            request = request.query("orderBy", order.as_str());
        }
        if let Some(direction) = &self.direction {
            request = request.query("orderDirection", direction.as_str());
        }
        if self.unreads_only {
            request = request.query("unreadsOnly", "true");
        }
        Ok(request)
    }
}

/// The filters and order of a conversation list.
///
/// ```no_run
/// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
/// use talkjs::{ConversationOrder, OrderDirection};
/// use std::time::{Duration, SystemTime};
/// use talkjs::types::UnixMillis;
/// let week_ago = SystemTime::now() - Duration::from_secs(7 * 86_400);
/// let hour_ago = UnixMillis::from(SystemTime::now()).0 - 3_600_000; // Unix ms work too
/// let page = client
///     .users()
///     .conversations("alice")
///     .after(week_ago)
///     .before(hour_ago)
///     .unreads_only()
///     .order(ConversationOrder::CreatedAt, OrderDirection::Ascending)
///     .send()
///     .await?;
/// # Ok(()) }
/// ```
impl<'a> List<'a, Conversation> {
    /// Only conversations whose last message is older than `at`
    /// (`lastMessageBefore`).
    pub fn before(self, at: impl Into<UnixMillis>) -> Self {
        self.filter(|f| f.last_message_before = Some(at.into()))
    }

    /// Only conversations whose last message is newer than `at`
    /// (`lastMessageAfter`).
    pub fn after(self, at: impl Into<UnixMillis>) -> Self {
        self.filter(|f| f.last_message_after = Some(at.into()))
    }

    /// Only conversations with unread messages (`unreadsOnly`): a user's
    /// list only; the app's list refuses it with [`Error::Validation`] and
    /// sends nothing.
    pub fn unreads_only(self) -> Self {
        self.filter(|f| f.unreads_only = true)
    }

    /// Sorted by `order`, in `direction` (`orderBy`, `orderDirection`);
    /// unset, TalkJS sorts by last activity, latest first.
    pub fn order(self, order: ConversationOrder, direction: OrderDirection) -> Self {
        self.filter(|f| {
            f.order_by = Some(order);
            f.direction = Some(direction);
        })
    }
}
