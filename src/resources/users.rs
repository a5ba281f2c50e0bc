//! Users: upsert (one or many), get, list, their conversations, presence.

use std::collections::HashMap;

use reqwest::Method;

use crate::{
    Client, Error,
    chunked::{CallDeadline, partial},
    filters::ConversationFilter,
    http::request::Request,
    pagination::List,
    path::check_segment,
    raw::types::{Conversation, Presence, PresenceInput, User, UserInput},
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
/// let everyone: Vec<_> = client.users().list().stream().try_collect().await?;
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
    /// let alice = UserInput::named("Alice").email("alice@example.com");
    /// client.users().upsert("alice", alice).await?;
    /// // Clear a field with an explicit null; unset fields are left alone.
    /// let no_photo = UserInput::default().photo_url(NullableString::NULL);
    /// client.users().upsert("alice", no_photo).await?;
    /// # Ok(()) }
    /// ```
    pub fn users(&self) -> Users<'_> {
        Users { client: self }
    }
}

impl<'a> Users<'a> {
    /// The client the calls go through.
    pub(crate) fn client(&self) -> &'a Client {
        self.client
    }

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

    /// The app's users, as a [`List`]: `.send()` for a page, `.stream()`
    /// for all of them.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let first = client.users().list().limit(50).send().await?;
    /// if let Some(cursor) = first.next_cursor() {
    ///     let second = client.users().list().limit(50).starting_after(cursor).send().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> List<'a, User> {
        List::new(self.client, |_| Ok(list_users()))
    }

    /// The conversations of `user_id`, as a [`List`] with the conversation
    /// filters ([`List::unreads_only`], ...). An unknown user is
    /// [`Error::NotFound`].
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::TryStreamExt;
    /// let unread = client.users().conversations("alice").unreads_only().limit(20).send().await?;
    /// println!("alice has {} unread conversation(s) on the first page", unread.items.len());
    /// let day_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(86_400);
    /// let recent: Vec<_> = client.users().conversations("alice").after(day_ago).stream().try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn conversations(&self, user_id: &str) -> List<'a, Conversation> {
        let user_id = user_id.to_owned();
        List::new(self.client, move |filter| {
            list_user_conversations(&user_id, filter)
        })
    }

    /// A user's presence, as the bundled spec describes
    /// `GET /users/{userId}/presence`. TalkJS documents no such endpoint:
    /// its presence call is [`Users::presences`].
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

    /// Sets a user's presence, as the bundled spec describes
    /// `PUT /users/{userId}/presence`. TalkJS documents no such endpoint
    /// (presence comes from the user's sessions: [`Users::presences`]).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::{PresenceInput, PresenceInputAvailability};
    /// let away = PresenceInput::default().availability(PresenceInputAvailability::Offline);
    /// client.users().set_presence("alice", away).await?;
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

/// `GET /users` (a [`List`] adds the page's limit and cursor).
pub(crate) fn list_users() -> Request {
    Request::new(Method::GET, "list_users").at("users")
}

/// `GET /users/{userId}/conversations`, filtered.
pub(crate) fn list_user_conversations(
    user_id: &str,
    filter: &ConversationFilter,
) -> Result<Request, Error> {
    let request = Request::new(Method::GET, "list_user_conversations")
        .at("users")
        .id("userId", user_id)?
        .at("conversations");
    filter.apply(request, true)
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
