//! The raw client's side of the transport: progenitor's `exec` hook sends
//! every generated request through [`Transport::send`], and
//! [`Client::call`] reads a raw call's outcome as the typed layer does.
//!
//! The raw client knows an operation only by its method, so a POST is
//! never repeated after an ambiguous failure (the typed layer repeats a
//! message send, whose messages all carry idempotency keys).

use std::time::Duration;

use futures::StreamExt;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo, ResponseValue};
use reqwest::{Request, Response};

use super::{
    answer::Answer,
    answer::body_too_large,
    request::Repeat,
    transport::{Last, Plan, Sent, Transport, answered_after_send, transport_error},
};
use crate::{Client, Error, raw};

impl ClientHooks<Transport> for crate::raw::Client {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        // Generated bodies are buffered JSON, so a copy can be sent again;
        // a streaming body (never generated today) has none, and gets one
        // attempt only.
        let again = request.try_clone();
        let plan = Plan {
            operation: info.operation_id,
            repeat: Repeat::of(request.method()),
            min_retry_delay: Duration::ZERO,
            retries: again.is_some(),
        };
        let mut first = Some(request);
        let make = || match first.take() {
            Some(request) => Ok(request),
            None => Ok(again
                .as_ref()
                .and_then(Request::try_clone)
                .expect("a request with a buffered body clones every time")),
        };
        match self.inner().send(self.client(), plan, make).await {
            Sent::Answered(answer) if !answer.status().is_success() => {
                Ok(error_as_typed(answer.response, answer.cap).await)
            }
            Sent::Answered(answer) | Sent::AlreadyDeleted(answer) => Ok(capped(answer)),
            // A 5xx that may have come after the request was applied: the
            // raw client reports the status as it is.
            Sent::Failed {
                last: Last::Response(response),
                ..
            } => {
                let cap = self.inner().max_response_bytes();
                let mut response = error_as_typed(response, cap).await;
                // The raw client keeps the status; the marker tells
                // `Client::call` it was not retried for fear of applying
                // the request twice.
                response.headers_mut().insert(
                    OUTCOME_UNKNOWN_HEADER,
                    reqwest::header::HeaderValue::from_static("unknown"),
                );
                Ok(response)
            }
            Sent::Failed {
                last: Last::Transport(error),
                ..
            } => Err(error),
        }
    }
}

/// An error response whose body the generated error type can hold: rule
/// `error_responses` (build/rules.rs) types every error body as TalkJS's
/// JSON object or, failing that, the raw text, so a body that is not that
/// object (plain text from a proxy, an empty body) is handed over as a JSON
/// string of its text, and the status always reaches the caller. The body
/// is read up to the size cap, never refused.
async fn error_as_typed(response: Response, cap: usize) -> Response {
    use reqwest::ResponseBuilderExt;
    let status = response.status();
    // Kept, so that the error a program prints says where it was answered
    // (reqwest puts a placeholder in a response built without one).
    let url = response.url().clone();
    let mut headers = response.headers().clone();
    let bytes = super::answer::read_capped(response, cap)
        .await
        .unwrap_or_default();
    let body = if serde_json::from_slice::<raw::types::ErrorBody>(&bytes).is_ok() {
        bytes
    } else {
        let text = String::from_utf8_lossy(&bytes);
        bytes::Bytes::from(serde_json::to_vec(&text).unwrap_or_default())
    };
    headers.remove(reqwest::header::CONTENT_LENGTH);
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    // Only an extension is set, which cannot fail: the default is never used.
    let (mut parts, ()) = http::Response::builder()
        .url(url)
        .body(())
        .unwrap_or_default()
        .into_parts();
    parts.status = status;
    parts.headers = headers;
    Response::from(http::Response::from_parts(parts, reqwest::Body::from(body)))
}

/// The marker error of a body cut off at the size cap, with what the
/// layer reports: found in a raw body error's sources by [`Client::call`].
#[derive(Debug)]
struct BodyTooLarge {
    status: u16,
    cap: usize,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        body_too_large(self.status, self.cap).fmt(f)
    }
}

impl std::error::Error for BodyTooLarge {}

/// Set on a 5xx the raw client returns without retrying because the
/// request may have been applied (a POST; see the module docs): the status
/// is the server's, the header says the outcome is unknown.
pub(crate) const OUTCOME_UNKNOWN_HEADER: &str = "x-talkjs-sdk-outcome";

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The answer's response with its body cut off, as an error, past the cap:
/// the generated decoder reads it whole.
fn capped(answer: Answer) -> Response {
    let cap = answer.cap;
    let status = answer.status().as_u16();
    let (parts, body) = http::Response::from(answer.response).into_parts();
    let mut seen = 0usize;
    let limited = http_body_util::BodyDataStream::new(body).map(move |chunk| {
        let chunk = chunk.map_err(|e| Box::new(e) as BoxError)?;
        seen += chunk.len();
        if seen > cap {
            return Err(Box::new(BodyTooLarge { status, cap }) as BoxError);
        }
        Ok(chunk)
    });
    Response::from(http::Response::from_parts(
        parts,
        reqwest::Body::wrap_stream(limited),
    ))
}

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
    pub async fn call<T>(&self, send: impl Future<Output = RawResult<T>>) -> Result<T, Error> {
        match send.await {
            Ok(value) => Ok(value.into_inner()),
            Err(error) => self.raw_error(error).await,
        }
    }

    async fn raw_error<T>(&self, error: raw::Error<raw::types::Error>) -> Result<T, Error> {
        let cap = self.raw.inner().max_response_bytes();
        Err(match error {
            // A setter refused a value (an id no URL can carry, ...).
            raw::Error::InvalidRequest(message) => Error::validation("request", message),
            raw::Error::ResponseBodyError(e) => match too_large(&e) {
                Some(BodyTooLarge { status, cap }) => body_too_large(*status, *cap),
                None if e.is_timeout() => Error::Timeout {
                    which: crate::TimeoutKind::Attempt,
                    after: self.config.attempt_timeout,
                },
                None => transport_error(&e),
            },
            raw::Error::CommunicationError(e) => transport_error(&e),
            raw::Error::InvalidUpgrade(e) => Error::Transport {
                maybe_sent: true,
                message: e.to_string(),
            },
            raw::Error::ErrorResponse(value)
                if value.headers().contains_key(OUTCOME_UNKNOWN_HEADER) =>
            {
                answered_after_send("raw", value.status())
            }
            raw::Error::ErrorResponse(value) => {
                let status = value.status().as_u16();
                let headers = value.headers().clone();
                let bytes = match value.into_inner() {
                    raw::types::Error::String(text) => text.into_bytes(),
                    body => serde_json::to_vec(&body).unwrap_or_default(),
                };
                Error::from_status(status, &bytes, &headers)
            }
            raw::Error::InvalidResponsePayload(bytes, e) => Error::Decode {
                // The generated decoder keeps no status; a success is the
                // only response it decodes as the operation's type.
                status: 200,
                message: e.to_string(),
                excerpt: crate::error::excerpt(&bytes, 512),
            },
            raw::Error::UnexpectedResponse(response) => {
                let answer = Answer {
                    timeout: (crate::TimeoutKind::Attempt, self.config.attempt_timeout),
                    write: false,
                    operation: "raw",
                    cap,
                    response,
                };
                answer.into_error().await
            }
            raw::Error::Custom(message) => Error::Config(crate::ConfigError::Invalid(message)),
        })
    }
}

/// The size-cap marker among a body error's sources.
fn too_large(error: &reqwest::Error) -> Option<&BodyTooLarge> {
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        if let Some(marker) = s.downcast_ref::<BodyTooLarge>() {
            return Some(marker);
        }
        source = s.source();
    }
    None
}
