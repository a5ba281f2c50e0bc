//! Runs a generated operation and maps its outcome to [`crate::Error`].

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
};

use progenitor_client::ResponseValue;

use crate::{
    Client, Error, raw,
    record::{Answered, Recorded, Scoped},
};

type RawResult<T> = Result<ResponseValue<T>, raw::Error<raw::types::Error>>;

impl Client {
    /// Runs any operation of the raw client and reports its outcome as this
    /// layer does: the value, or an [`Error`] with the status and TalkJS's
    /// body (`NotFound`, `RateLimited`, `Api` for a 400 or 5xx, ...).
    ///
    /// This is how to call an operation that has no typed method, such as
    /// one a newer spec adds (`TALKJS_OPENAPI_SPEC`, README): the raw
    /// client already sends through this client's transport (app token,
    /// retries, timeouts, response size cap); `call` adds the error
    /// mapping.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// let user = client.call(client.raw().get_user().user_id("alice").send()).await?;
    /// # let _ = user;
    /// # Ok(()) }
    /// ```
    pub fn call<'a, T: Send + 'a>(
        &'a self,
        send: impl Future<Output = RawResult<T>> + Send + 'a,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'a {
        self.run(send)
    }

    /// Runs `fut` (a generated `send()`) with the transport's per-call state
    /// and maps the result.
    ///
    /// `fut` is held once, in place, by a hand-written future ([`Run`]):
    /// an `async` block or `async fn` in between would keep a second copy of
    /// it (rustc keeps the storage of a captured value after moving it into
    /// an awaited future, rust-lang/rust#62958), and combinators would copy
    /// its large output once per layer. Moving, copying or boxing those
    /// bytes made a call slower than a hand-written one (BENCHMARKS.md).
    pub(crate) fn run<'a, T: Send + 'a>(
        &'a self,
        fut: impl Future<Output = RawResult<T>> + Send + 'a,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'a {
        Run::Calling {
            call: Scoped::new(fut),
            cap: self.config.max_response_bytes,
        }
    }
}

/// A boxed, sendable future that maps a failed call's error.
type Mapping = Pin<Box<dyn Future<Output = Error> + Send>>;

pin_project_lite::pin_project! {
    /// The future of [`Client::run`]: the call, then, only if it failed, the
    /// mapping of its error (which may read a body, so it is boxed).
    #[project = RunState]
    enum Run<F> {
        Calling { #[pin] call: Scoped<F>, cap: usize },
        Mapping { error: Mapping },
    }
}

impl<F, T> Future for Run<F>
where
    F: Future<Output = RawResult<T>>,
{
    type Output = Result<T, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let (error, recorded, cap) = match self.as_mut().project() {
            RunState::Calling { mut call, cap } => {
                let error = match ready!(call.as_mut().poll(cx)) {
                    Ok(value) => return Poll::Ready(Ok(value.into_inner())),
                    Err(error) => error,
                };
                (error, call.take_recorded(), *cap)
            }
            RunState::Mapping { error } => return error.as_mut().poll(cx).map(Err),
        };
        self.set(Run::Mapping {
            error: Box::pin(map_error(error, recorded, cap)),
        });
        self.poll(cx)
    }
}

/// The transport's own record (a timeout, an unknown outcome, an oversized
/// body) wins over the generic reqwest error it travelled as.
pub(crate) async fn map_error(
    error: raw::Error<raw::types::Error>,
    recorded: Recorded,
    cap: usize,
) -> Error {
    if let Some(failure) = recorded.failure {
        return failure;
    }
    let answered = recorded.answered;
    match error {
        raw::Error::InvalidRequest(message) => invalid_request(&message),
        // The server answered, then the body failed: keep its status.
        raw::Error::ResponseBodyError(e) => match answered {
            Some(answered) => body_failure(&e, answered),
            None => transport_error(&e),
        },
        raw::Error::CommunicationError(e) => transport_error(&e),
        raw::Error::InvalidUpgrade(e) => Error::Transport {
            maybe_sent: true,
            message: e.to_string(),
        },
        raw::Error::ErrorResponse(value) => {
            let status = value.status().as_u16();
            let headers = value.headers().clone();
            // The body as sent: the decoded one may have lost fields.
            let bytes = match (recorded.error_body, value.into_inner()) {
                (Some(raw), _) => raw.to_vec(),
                (None, raw::types::Error::String(text)) => text.into_bytes(),
                (None, body) => serde_json::to_vec(&body).unwrap_or_default(),
            };
            Error::from_status(status, &bytes, &headers)
        }
        raw::Error::InvalidResponsePayload(bytes, e) => Error::Decode {
            status: answered.map_or(200, |a| a.status.as_u16()),
            message: e.to_string(),
            excerpt: crate::error::excerpt(&bytes, 512),
        },
        raw::Error::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = match recorded.error_body {
                Some(raw) => raw,
                None => crate::transport::read_capped(response, cap)
                    .await
                    .unwrap_or_default(),
            };
            if (200..300).contains(&status) {
                Error::Decode {
                    status,
                    message: "a success status the API does not document".into(),
                    excerpt: crate::error::excerpt(&bytes, 512),
                }
            } else {
                Error::from_status(status, &bytes, &headers)
            }
        }
        raw::Error::Custom(message) => Error::Config(message),
    }
}

fn transport_error(e: &reqwest::Error) -> Error {
    Error::Transport {
        maybe_sent: !e.is_connect() && !e.is_builder(),
        message: e.to_string(),
    }
}

/// A response whose status arrived but whose body did not: the attempt's
/// timeout fired while reading it, or the connection closed before the
/// declared length (a truncated body).
fn body_failure(error: &reqwest::Error, answered: Answered) -> Error {
    let (which, after) = answered.timeout;
    if error.is_timeout() && answered.write && answered.status.is_success() {
        // The status says it was applied; what it returned never came
        // (for a batch: which operations succeeded).
        return Error::OutcomeUnknown {
            operation: answered.operation,
            reason: format!(
                "TalkJS answered {}, so the request was applied, but its body stalled until \
                 the {which} timeout ({} ms) fired and what it returned is unknown",
                answered.status,
                after.as_millis()
            ),
        };
    }
    if error.is_timeout() {
        return Error::Timeout { which, after };
    }
    Error::Decode {
        status: answered.status.as_u16(),
        message: format!(
            "the body could not be read to its end ({}); the status line had arrived, \
             so the request was handled",
            crate::transport::describe(error)
        ),
        excerpt: String::new(),
    }
}

/// progenitor reports a refused builder value as "conversion to `T` for
/// field failed: reason"; keep the field and the reason.
fn invalid_request(message: &str) -> Error {
    if let Some((field, rule)) = message
        .split(" for ")
        .nth(1)
        .and_then(|rest| rest.split_once(" failed"))
    {
        let rule = rule.trim_start_matches(':').trim();
        return Error::validation(field, if rule.is_empty() { message } else { rule });
    }
    Error::validation("request", message)
}

impl Client {
    /// Sends a hand-written request (paths the spec lacks) through the same
    /// transport as the generated operations, decodes a JSON answer the way
    /// they do, and maps a failure as [`Client::run`] does: a status other
    /// than 2xx is an unexpected response, whose body the transport kept.
    pub(crate) async fn send_custom<T: serde::de::DeserializeOwned + Send>(
        &self,
        operation: &'static str,
        make: impl FnMut() -> reqwest::Request + Send,
    ) -> Result<T, Error> {
        use progenitor_client::ClientInfo as _;
        self.run(async move {
            let response = self
                .raw
                .inner()
                .send(self.raw.client(), operation, true, make)
                .await
                .map_err(raw::Error::CommunicationError)?;
            if response.status().is_success() {
                crate::decode::from_response(response).await
            } else {
                Err(raw::Error::UnexpectedResponse(response))
            }
        })
        .await
    }

    /// A JSON request to `{api_url}{path}` (path already encoded) with a
    /// body from [`crate::json_body::bytes`], serialised once for every
    /// attempt.
    pub(crate) fn json_request(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&bytes::Bytes>,
    ) -> reqwest::Request {
        use progenitor_client::ClientInfo as _;
        let mut builder = self
            .raw
            .client()
            .request(method, format!("{}{path}", self.raw.baseurl()))
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(body) = body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        // Only an unparsable URL fails here, and the base URL was checked
        // when the client was built and every segment is encoded.
        builder.build().expect("checked base URL and encoded path")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_id_message_parses_into_its_field_and_the_id_rule() {
        // The message build.rs's `state_id_rule` makes a raw setter give.
        let message = format!(
            "conversion to `ResourceId` for user_id failed: {}",
            crate::path::ID_RULE
        );
        match invalid_request(&message) {
            Error::Validation { field, rule } => {
                assert_eq!(field, "user_id");
                assert_eq!(rule, crate::path::ID_RULE);
            }
            other => panic!("{other:?}"),
        }
    }
}
