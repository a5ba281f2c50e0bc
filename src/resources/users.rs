//! Users: upsert (one or many), get, list, their conversations, presence.

use std::collections::HashMap;

use futures::Stream;

use reqwest::Method;

use crate::{
    Client, Error,
    chunked::{CallDeadline, partial},
    http::request::Request,
    pagination::{page, stream_pages},
    path::check_segment,
    raw::types::{
        Conversation, ConversationList, Presence, PresenceInput, User, UserInput, UserList,
    },
    types::UnixMillis,
};

/// TalkJS upserts at most 100 users per batch request.
pub const MAX_USERS_PER_REQUEST: usize = 100;

/// The users of the app; from [`Client::users`].
///
/// ```no_run
/// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
/// use futures::TryStreamExt;
/// let alice = client.users().get("alice").await?;
/// println!("{:?} <{:?}>", alice.name, alice.email);
/// // Every user of the app, 100 per request.
/// let everyone: Vec<_> = client.users().stream(100).try_collect().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    client: &'a Client,
}

impl Client {
    /// Users.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::{NullableString, UserInput};
    /// let alice = UserInput::builder().name(Some("Alice".into()));
    /// client.users().upsert("alice", alice.try_into()?).await?;
    /// // Clear a field with an explicit null; unset fields are left alone.
    /// let no_photo = UserInput::builder().photo_url(Some(NullableString::NULL));
    /// client.users().upsert("alice", no_photo.try_into()?).await?;
    /// # Ok(()) }
    /// ```
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

/// Filters and order of a conversation list: `lastMessageBefore`,
/// `lastMessageAfter`, (a user's list only) `unreadsOnly`, and
/// `orderBy`/`orderDirection`. The default filters nothing and leaves the
/// order to TalkJS: last activity, latest first.
///
/// ```
/// use talkjs::ConversationFilter;
/// let week_ago = chrono::Utc::now() - chrono::Duration::days(7);
/// // Active in the past week, but not in the last hour (Unix ms work too).
/// let hour_ago = chrono::Utc::now().timestamp_millis() - 3_600_000;
/// let filter = ConversationFilter::default().after(week_ago).before(hour_ago);
/// assert!(filter.last_message_after.is_some() && !filter.unreads_only);
/// ```
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    /// Only conversations whose last message is older than this.
    pub last_message_before: Option<UnixMillis>,
    /// Only conversations whose last message is newer than this.
    pub last_message_after: Option<UnixMillis>,
    /// Only conversations with unread messages (a user's list only).
    pub unreads_only: bool,
    /// The sort key (`orderBy`); `None` leaves TalkJS's default, last
    /// activity.
    pub order_by: Option<ConversationOrder>,
    /// The direction (`orderDirection`); `None` leaves TalkJS's default,
    /// latest first.
    pub direction: Option<OrderDirection>,
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
    /// Last message before `at`.
    pub fn before(mut self, at: impl Into<UnixMillis>) -> Self {
        self.last_message_before = Some(at.into());
        self
    }
    /// Last message after `at`.
    pub fn after(mut self, at: impl Into<UnixMillis>) -> Self {
        self.last_message_after = Some(at.into());
        self
    }
    /// Unread conversations only.
    pub fn unreads_only(mut self) -> Self {
        self.unreads_only = true;
        self
    }
    /// Sorted by `order`, in `direction`.
    ///
    /// ```
    /// use talkjs::{ConversationFilter, ConversationOrder, OrderDirection};
    /// let oldest_first = ConversationFilter::default()
    ///     .order(ConversationOrder::CreatedAt, OrderDirection::Ascending);
    /// assert_eq!(oldest_first.order_by.unwrap().as_str(), "createdAt");
    /// ```
    pub fn order(mut self, order: ConversationOrder, direction: OrderDirection) -> Self {
        self.order_by = Some(order);
        self.direction = Some(direction);
        self
    }

    /// The time bounds and the order as query parameters of `request`
    /// (`unreads_only` is the caller's: the app's list refuses it).
    pub(crate) fn apply(&self, mut request: Request) -> Request {
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
        request
    }

    /// Refuses `unreads_only` for the app's conversation list: it applies
    /// to a user's list only.
    pub(crate) fn check_app_list(&self) -> Result<(), Error> {
        if self.unreads_only {
            return Err(Error::validation(
                "unreadsOnly",
                "only a user's conversation list can filter unread conversations",
            ));
        }
        Ok(())
    }
}

impl<'a> Users<'a> {
    /// Creates or updates a user; only the fields set change, an explicit
    /// null clears one. See [`Client::users`] for an example.
    pub async fn upsert(&self, user_id: &str, user: UserInput) -> Result<(), Error> {
        self.client.perform(put_user(user_id, &user)?).await
    }

    /// Upserts many users, 100 per request, in order; if a request fails,
    /// [`Error::Partial`] tells how many were applied before it. TalkJS
    /// applies nothing of a request with an invalid user. An id given twice
    /// is refused before anything is sent.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::UserInput;
    /// let users = (0..250)
    ///     .map(|i| (format!("user-{i}"), UserInput::named(format!("User {i}"))))
    ///     .collect();
    /// match client.users().upsert_many(users).await {
    ///     Ok(()) => println!("all 250 upserted, in 3 requests"),
    ///     Err(talkjs::Error::Partial { applied, .. }) => println!("stopped after {applied}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn upsert_many(&self, users: Vec<(String, UserInput)>) -> Result<(), Error> {
        check_user_ids(&users)?;
        let deadline = CallDeadline::start(self.client);
        let client = deadline.client();
        let mut applied = 0;
        for (index, chunk) in users.chunks(MAX_USERS_PER_REQUEST).enumerate() {
            let len = chunk.len();
            let request = put_users(chunk)?;
            if let Err(source) = deadline.check() {
                return Err(partial(index, applied, Vec::new(), source));
            }
            if let Err(source) = client.perform(request).await {
                return Err(partial(index, applied, Vec::new(), source));
            }
            applied += len;
        }
        Ok(())
    }

    /// One user; an unknown id is [`Error::NotFound`].
    pub async fn get(&self, user_id: &str) -> Result<User, Error> {
        self.client.fetch(get_user(user_id)?).await
    }

    /// One page of users: at most `limit` (1..=100), after the user with id
    /// `starting_after` if given.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let first = client.users().page(50, None).await?;
    /// if let Some(last) = first.last().and_then(|u| u.id.as_deref()) {
    ///     let second = client.users().page(50, Some(last)).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn page(&self, limit: u32, starting_after: Option<&str>) -> Result<Vec<User>, Error> {
        let page: UserList = self
            .client
            .fetch(list_users(limit, starting_after)?)
            .await?;
        Ok(page.data.unwrap_or_default())
    }

    /// Every user, `limit` per request (see [`crate::pagination`]).
    pub fn stream(&self, limit: u32) -> impl Stream<Item = Result<User, Error>> + 'a {
        let this = *self;
        stream_pages(limit, None, move |limit, cursor| async move {
            this.page(limit, cursor.as_deref()).await
        })
    }

    /// One page of a user's conversations. An unknown user is
    /// [`Error::NotFound`].
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::ConversationFilter;
    /// let unread = ConversationFilter::default().unreads_only();
    /// let page = client.users().conversations_page("alice", &unread, 20, None).await?;
    /// println!("alice has {} unread conversation(s) on the first page", page.len());
    /// # Ok(()) }
    /// ```
    pub async fn conversations_page(
        &self,
        user_id: &str,
        filter: &ConversationFilter,
        limit: u32,
        starting_after: Option<&str>,
    ) -> Result<Vec<Conversation>, Error> {
        let request = list_user_conversations(user_id, filter, limit, starting_after)?;
        let page: ConversationList = self.client.fetch(request).await?;
        Ok(page.data.unwrap_or_default())
    }

    /// Every conversation of a user matching `filter`, `limit` per request.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::TryStreamExt;
    /// use talkjs::ConversationFilter;
    /// let day_ago = chrono::Utc::now() - chrono::Duration::days(1);
    /// let recent: Vec<_> = client
    ///     .users()
    ///     .conversations("alice", ConversationFilter::default().after(day_ago), 100)
    ///     .try_collect()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn conversations(
        &self,
        user_id: &str,
        filter: ConversationFilter,
        limit: u32,
    ) -> impl Stream<Item = Result<Conversation, Error>> + 'a {
        let this = *self;
        let user_id = user_id.to_string();
        stream_pages(limit, None, move |limit, cursor| {
            let (user_id, filter) = (user_id.clone(), filter.clone());
            async move {
                this.conversations_page(&user_id, &filter, limit, cursor.as_deref())
                    .await
            }
        })
    }

    /// A user's presence.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let presence = client.users().presence("alice").await?;
    /// println!("alice is {:?}", presence.availability);
    /// # Ok(()) }
    /// ```
    pub async fn presence(&self, user_id: &str) -> Result<Presence, Error> {
        self.client.fetch(get_presence(user_id)?).await
    }

    /// Sets a user's presence.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::{PresenceInput, PresenceInputAvailability};
    /// let away = PresenceInput::builder().availability(Some(PresenceInputAvailability::Offline));
    /// client.users().set_presence("alice", away.try_into()?).await?;
    /// # Ok(()) }
    /// ```
    pub async fn set_presence(&self, user_id: &str, presence: PresenceInput) -> Result<(), Error> {
        self.client.perform(set_presence(user_id, &presence)?).await
    }
}

// The requests of this file, each described once: the methods above send
// them, and `BatchOp` carries them.

/// `PUT /users/{userId}`.
pub(crate) fn put_user(user_id: &str, user: &UserInput) -> Result<Request, Error> {
    Request::new(Method::PUT, "create_or_update_user")
        .at("users")
        .id("userId", user_id)?
        .json(user)
}

/// `PUT /users`: up to 100 users at once, in a map by id (ids checked by
/// the caller).
pub(crate) fn put_users(users: &[(String, UserInput)]) -> Result<Request, Error> {
    let body: HashMap<&str, &UserInput> = users.iter().map(|(id, u)| (id.as_str(), u)).collect();
    Request::new(Method::PUT, "batch_update_users")
        .at("users")
        .json(&body)
}

/// `GET /users/{userId}`.
pub(crate) fn get_user(user_id: &str) -> Result<Request, Error> {
    Request::new(Method::GET, "get_user")
        .at("users")
        .id("userId", user_id)
}

/// `GET /users`, one page.
pub(crate) fn list_users(limit: u32, starting_after: Option<&str>) -> Result<Request, Error> {
    page(
        Request::new(Method::GET, "list_users").at("users"),
        limit,
        starting_after,
    )
}

/// `GET /users/{userId}/conversations`, one page.
pub(crate) fn list_user_conversations(
    user_id: &str,
    filter: &ConversationFilter,
    limit: u32,
    starting_after: Option<&str>,
) -> Result<Request, Error> {
    let request = Request::new(Method::GET, "list_user_conversations")
        .at("users")
        .id("userId", user_id)?
        .at("conversations");
    let mut request = filter.apply(page(request, limit, starting_after)?);
    if filter.unreads_only {
        request = request.query("unreadsOnly", "true");
    }
    Ok(request)
}

/// `GET /users/{userId}/presence`.
pub(crate) fn get_presence(user_id: &str) -> Result<Request, Error> {
    Request::new(Method::GET, "get_user_presence")
        .at("users")
        .id("userId", user_id)
        .map(|r| r.at("presence"))
}

/// `PUT /users/{userId}/presence`.
pub(crate) fn set_presence(user_id: &str, presence: &PresenceInput) -> Result<Request, Error> {
    Request::new(Method::PUT, "set_user_presence")
        .at("users")
        .id("userId", user_id)?
        .at("presence")
        .json(presence)
}

/// Refuses, before anything is sent, an id no URL path segment can carry and
/// an id given twice (an upsert body is a map and could keep only one).
pub(crate) fn check_user_ids(users: &[(String, UserInput)]) -> Result<(), Error> {
    let mut seen = std::collections::HashSet::new();
    for (i, (id, _)) in users.iter().enumerate() {
        check_segment(&format!("users[{i}].id"), id)?;
        if !seen.insert(id.as_str()) {
            return Err(Error::validation(
                format!("users[{i}].id"),
                format!("{id:?} appears twice: one request could not say which to apply"),
            ));
        }
    }
    Ok(())
}
