//! HTTP plumbing: how a request is described ([`request`]), sent and
//! retried ([`transport`]), and how its answer is read ([`answer`]); the
//! raw client's hook into the same transport ([`raw_hooks`]).

pub(crate) mod answer;
pub(crate) mod rate_limit;
pub(crate) mod raw_hooks;
pub(crate) mod request;
pub(crate) mod retry;
pub(crate) mod transport;

use bytes::Bytes;
use futures::future::BoxFuture;
use progenitor_client::ClientInfo as _;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

use crate::{Client, Error};
use request::Request;
use transport::{Plan, Sent};

impl Client {
    /// Sends `request` through the transport and says how it ended.
    async fn dispatch(&self, request: &Request) -> Result<Sent, Error> {
        let url = request.url(&self.api_url);
        let plan = Plan {
            operation: request.operation,
            repeat: request.repeat,
            min_retry_delay: request.min_retry_delay,
            retries: true,
        };
        let client = self.raw.client();
        Ok(self
            .raw
            .inner()
            .send(client, plan, || request.attempt(client, &url))
            .await)
    }

    /// Sends `request` and reads the body of its successful answer.
    ///
    /// Boxed, and the same for every operation: the state of a call (the
    /// retry loop, its timers, reqwest's request, the body being read)
    /// lives once on the heap rather than inside every typed method's
    /// future, which therefore stays small and is not copied whole each
    /// time it moves (a `get user` future was 2.5 KB; BENCHMARKS.md), and
    /// the loop is compiled once rather than once per operation.
    fn answer_body(&self, request: Request) -> BoxFuture<'_, Result<(StatusCode, Bytes), Error>> {
        Box::pin(async move {
            match self.dispatch(&request).await? {
                Sent::Answered(answer) => answer.body().await,
                // Only a DELETE ends so, and none decodes a body.
                Sent::AlreadyDeleted(_) => Err(Error::Protocol(format!(
                    "{}: a lost DELETE has no body to decode",
                    request.operation
                ))),
                Sent::Failed { error, .. } => Err(error),
            }
        })
    }

    /// Sends `request` and decodes its JSON answer as `T`.
    pub(crate) async fn fetch<T: DeserializeOwned>(&self, request: Request) -> Result<T, Error> {
        let (status, bytes) = self.answer_body(request).await?;
        answer::decode(status, &bytes)
    }

    /// Sends `request`; its answer's body, if any, is not needed. Boxed,
    /// as [`Client::answer_body`] is.
    pub(crate) fn perform(&self, request: Request) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            match self.dispatch(&request).await? {
                Sent::Answered(answer) => answer.done().await,
                Sent::AlreadyDeleted(_) => Ok(()),
                Sent::Failed { error, .. } => Err(error),
            }
        })
    }
}
