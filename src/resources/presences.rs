//! Who is online: `POST /presences`, TalkJS's documented presence call
//! (<https://talkjs.com/docs/Reference/REST_API/User_Presence>).

use std::collections::HashMap;

use reqwest::Method;

use crate::{
    Error, Users,
    http::request::{Repeat, Request},
    raw::types::{PresenceList, PresencesQuery, UserPresence},
};

impl Users<'_> {
    /// The presence of the users matching `query` that have a visible
    /// session (TalkJS answers no others), by user id. A read: repeated
    /// after an ambiguous failure like any GET.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use talkjs::types::PresencesQuery;
    /// let typing = PresencesQuery::default().user_ids(["alice", "bob"]).is_typing(true);
    /// for (user, presence) in client.users().presences(&typing).await? {
    ///     println!("{user} is typing in {} window(s)", presence.widgets.map_or(0, |w| w.len()));
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn presences(
        &self,
        query: &PresencesQuery,
    ) -> Result<HashMap<String, UserPresence>, Error> {
        let list: PresenceList = self.client().fetch(presences(query)?).await?;
        Ok(list.data.unwrap_or_default())
    }
}

/// `POST /presences`: a query, so repeatable.
pub(crate) fn presences(query: &PresencesQuery) -> Result<Request, Error> {
    Ok(Request::new(Method::POST, "query_presences")
        .at("presences")
        .json(query)?
        .repeat(Repeat::Always))
}
