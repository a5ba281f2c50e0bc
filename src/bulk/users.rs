//! Upserting users in bulk: 100 per `PUT /users`, requests in parallel.

use futures::{Stream, StreamExt};

use super::{
    Bulk, BulkFailure, BulkReport,
    progress::{Outcome, Tracker},
};
use crate::{Error, MAX_USERS_PER_REQUEST, raw::types::UserInput, users};

impl Bulk<'_> {
    /// Creates or updates every user of `users` (id and fields), 100 per
    /// request, [`Bulk::concurrency`] requests at once. A `PUT` is
    /// idempotent, so every request is retried as the client's policy
    /// allows, and a job that stopped can simply be run again. A request
    /// that fails is reported with its user ids in the report's failures
    /// (an id that appears twice within 100 consecutive users is such a
    /// failure: one request could not say which to apply); the others go
    /// on. Requests run concurrently, so input order is not kept between
    /// them: an id that appears twice further apart ends with either
    /// entry's fields. List each user once (the last entry of each, say).
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// use futures::stream;
    /// use talkjs::types::UserInput;
    /// let users = (0..10_000).map(|i| (format!("user-{i}"), UserInput::named(format!("User {i}"))));
    /// let report = client.bulk().total(10_000).upsert_users(stream::iter(users)).await?;
    /// assert_eq!(report.progress.done, 10_000);
    /// # Ok(()) }
    /// ```
    pub async fn upsert_users<S>(self, users: S) -> Result<BulkReport, Error>
    where
        S: Stream<Item = (String, UserInput)> + Send,
    {
        let client = self.client;
        let outcomes = users
            .chunks(MAX_USERS_PER_REQUEST)
            .map(|chunk| async move {
                let sent =
                    match users::check_user_ids(&chunk).and_then(|()| users::put_users(&chunk)) {
                        Ok(request) => client.perform(request).await,
                        Err(refused) => Err(refused),
                    };
                Ok(match sent {
                    Ok(()) => Outcome::done(chunk.len() as u64),
                    Err(error) => Outcome::failed(BulkFailure {
                        conversation_id: None,
                        items: chunk.into_iter().map(|(id, _)| id).collect(),
                        error,
                    }),
                })
            })
            .buffer_unordered(self.concurrency);
        Tracker::new(client, self.total, self.on_progress)
            .consume(outcomes)
            .await
    }
}
