//! The errors of the SDK: [`Error`] for a call, [`ConfigError`] for a
//! client or token that cannot be set up, [`WebhookError`] for a webhook
//! request that fails verification. A caller that mixes them gets `From`
//! into [`Error`].

mod config;
mod webhook;

pub use config::ConfigError;
pub use webhook::WebhookError;

use std::time::Duration;

/// Everything that can go wrong in a call.
///
/// Every case that came from a response keeps the HTTP status and TalkJS's
/// body ([`ApiBody`]). No case ever contains the secret key or a token.
///
/// ```
/// # async fn demo(client: &talkjs::Client) {
/// use talkjs::Error;
/// match client.users().get("alice").await {
///     Ok(user) => println!("{:?}", user.name),
///     Err(Error::NotFound { .. }) => println!("no such user"),
///     // Refused before sending: nothing reached TalkJS.
///     Err(Error::Validation { field, rule }) => println!("{field}: {rule}"),
///     // Already retried by the client's policy; try again later.
///     Err(Error::RateLimited { retry_after, .. }) => println!("slow down ({retry_after:?})"),
///     // Any other answer keeps its status and TalkJS's body.
///     Err(e) if e.status() == Some(400) => println!("TalkJS refused it: {e}"),
///     Err(e) => eprintln!("{e}"),
/// }
/// # }
/// ```
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An argument broke a rule of the API; nothing was sent.
    #[error("invalid {field}: {rule} (nothing was sent)")]
    Validation {
        /// The field, with its index for arrays, e.g. `messages[3].sender`.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// 401: the Authorization header was missing or wrong.
    #[error(
        "TalkJS answered 401 Unauthorized: check the app id and the secret key \
         (TalkJS dashboard, Settings){}",
        .body.suffix()
    )]
    Unauthorized {
        /// TalkJS's response.
        body: ApiBody,
    },
    /// 404: the resource does not exist (or the app id is wrong).
    #[error("TalkJS answered 404 Not Found{}", .body.suffix())]
    NotFound {
        /// TalkJS's response.
        body: ApiBody,
    },
    /// 429: rate limited; retries were exhausted or disabled.
    #[error(
        "TalkJS answered 429 Too Many Requests{}{}",
        .retry_after.map(|d| format!(" (retry after {} ms)", d.as_millis())).unwrap_or_default(),
        .body.suffix()
    )]
    RateLimited {
        /// The server's `Retry-After` hint, if it sent one.
        retry_after: Option<Duration>,
        /// TalkJS's response.
        body: ApiBody,
    },
    /// Any other non-success status (400, 5xx, ...).
    #[error("TalkJS answered {}{}", .body.status, .body.suffix())]
    Api {
        /// TalkJS's response, including its status.
        body: ApiBody,
    },
    /// A redirect (3xx). TalkJS never redirects, so the client follows
    /// none: the base URL points at something else (a proxy, a load
    /// balancer, a moved host). Nothing was sent to the new location, and
    /// the request was not retried.
    #[error(
        "TalkJS answered {} with a redirect to {}, which the client does not follow \
         (TalkJS never redirects): check the base URL",
        .body.status,
        .location.as_deref().unwrap_or("no location")
    )]
    Redirect {
        /// The `Location` header, with its userinfo and query values
        /// redacted.
        location: Option<String>,
        /// The response, including its status.
        body: ApiBody,
    },
    /// The request could not be completed at the connection level.
    #[error("could not reach TalkJS: {message}")]
    Transport {
        /// What failed, without secrets.
        message: String,
        /// `false` when the failure happened before the request was sent, so
        /// the server certainly did not apply it.
        maybe_sent: bool,
    },
    /// A timeout fired.
    #[error("the {which} timeout ({} ms) fired", .after.as_millis())]
    Timeout {
        /// Which of the configured timeouts.
        which: TimeoutKind,
        /// Its configured length.
        after: Duration,
    },
    /// A request that TalkJS does not de-duplicate (import, a batch with
    /// non-idempotent operations) may or may not have been applied; it was
    /// not retried, so that nothing is applied twice.
    #[error(
        "the outcome of {operation} is unknown: {reason}; it was not retried because \
         TalkJS does not de-duplicate it: check the data before sending again"
    )]
    OutcomeUnknown {
        /// The operation id.
        operation: &'static str,
        /// What happened (timeout, connection lost after sending, ...).
        reason: String,
    },
    /// Not sent, because an earlier request of the same bulk job failed:
    /// the later messages of a conversation whose request failed (that
    /// failure is reported on its own). A later run resumes the
    /// conversation in order.
    #[error("not sent: {reason}")]
    NotSent {
        /// Which failure held it back.
        reason: String,
    },
    /// A response body that could not be read as the API promises: not the
    /// documented JSON, or larger than the configured cap.
    #[error("cannot decode TalkJS's {status} response: {message}; body starts with {excerpt:?}")]
    Decode {
        /// The HTTP status.
        status: u16,
        /// The decoder's message.
        message: String,
        /// The first bytes of the body (at most 512, lossy UTF-8).
        excerpt: String,
    },
    /// The server broke the API's contract in a way that would make the SDK
    /// misbehave (e.g. a pagination cursor handed out twice).
    #[error("TalkJS broke the API contract: {0}")]
    Protocol(String),
    /// A local file could not be read ([`crate::Client::upload_path`]);
    /// nothing was sent. `source` says why (e.g. `NotFound`).
    #[error("cannot read {}: {source} (nothing was sent)", .path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
    /// The client or a token could not be set up; see [`ConfigError`].
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A webhook request failed verification; see [`WebhookError`].
    #[error("webhook rejected: {0}")]
    Webhook(#[from] WebhookError),
    /// A call that went out as several requests failed part-way: the
    /// requests before `failed_chunk` were applied. Messages and users go
    /// out 10 and 100 per request ([`crate::Messages::send`],
    /// [`crate::Users::upsert_many`]); batch operations 10 per `POST
    /// /batch` ([`crate::Client::batch`]), whose earlier outcomes are in
    /// `outcomes`. The requests after the failed one were not sent. An
    /// anonymisation ([`crate::Anonymise`]) counts conversations: those
    /// finished are in `applied_ids`.
    #[error("{}", partial_message(*.failed_chunk, *.applied, .outcomes.is_empty(), .source))]
    Partial {
        /// Index of the request (chunk) that failed, 0-based.
        failed_chunk: usize,
        /// How many items (messages, users, batch operations) the earlier
        /// requests applied; the failed request held the items from this
        /// index on.
        applied: usize,
        /// Ids of what was applied (message ids), when the API returns them.
        applied_ids: Vec<String>,
        /// For a batch, the outcome of every operation of the earlier
        /// requests, in the order given (each succeeded or failed on its
        /// own: check its status); empty otherwise.
        outcomes: Vec<crate::BatchOutcome>,
        /// Why the request failed. Its items may have been applied all the
        /// same when the failure came after sending (a timeout,
        /// [`Error::OutcomeUnknown`], an answer that broke the protocol).
        #[source]
        source: Box<Error>,
    },
}

/// The message of [`Error::Partial`]: a batch counts operations that ran
/// (each with its own outcome), a chunked call the items applied.
fn partial_message(failed_chunk: usize, applied: usize, not_batch: bool, source: &Error) -> String {
    if not_batch {
        format!(
            "chunk {failed_chunk} failed after {applied} item(s) were applied; it held the \
             items from index {applied} on: {source}"
        )
    } else {
        format!(
            "batch request {failed_chunk} failed after earlier requests ran {applied} \
             operation(s): {source}"
        )
    }
}

/// Which timeout fired.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutKind {
    /// Establishing the TCP/TLS connection.
    Connect,
    /// One attempt (request sent, response read).
    Attempt,
    /// The whole call, all retries included.
    Overall,
}

impl std::fmt::Display for TimeoutKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TimeoutKind::Connect => "connect",
            TimeoutKind::Attempt => "per-attempt",
            TimeoutKind::Overall => "overall",
        })
    }
}

/// An error response as TalkJS sent it.
#[derive(Debug, Clone)]
pub struct ApiBody {
    /// The HTTP status code.
    pub status: u16,
    /// The body as text (lossy UTF-8, capped at the client's body limit).
    pub text: String,
    /// The body decoded as JSON, when it is JSON.
    pub json: Option<serde_json::Value>,
}

impl ApiBody {
    /// Builds the body record from raw bytes.
    pub fn new(status: u16, bytes: &[u8]) -> Self {
        ApiBody {
            status,
            text: String::from_utf8_lossy(bytes).into_owned(),
            json: serde_json::from_slice(bytes).ok(),
        }
    }

    /// TalkJS's own message, if the body has one.
    pub fn message(&self) -> Option<&str> {
        let json = self.json.as_ref()?;
        ["message", "error", "reasons"]
            .iter()
            .find_map(|key| json.get(key).and_then(|v| v.as_str()))
            .or_else(|| json.as_str())
    }

    fn suffix(&self) -> String {
        let text = self.message().unwrap_or(self.text.trim());
        if text.is_empty() || text == "{}" {
            String::new()
        } else {
            format!(": {}", excerpt(text.as_bytes(), 300))
        }
    }
}

impl Error {
    /// The HTTP status, when the error came from a response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Unauthorized { body }
            | Error::NotFound { body }
            | Error::RateLimited { body, .. }
            | Error::Api { body }
            | Error::Redirect { body, .. } => Some(body.status),
            Error::Decode { status, .. } => Some(*status),
            Error::Partial { source, .. } => source.status(),
            _ => None,
        }
    }

    /// TalkJS's response body, when the error came from an error response.
    pub fn body(&self) -> Option<&ApiBody> {
        match self {
            Error::Unauthorized { body }
            | Error::NotFound { body }
            | Error::RateLimited { body, .. }
            | Error::Api { body }
            | Error::Redirect { body, .. } => Some(body),
            Error::Partial { source, .. } => source.body(),
            _ => None,
        }
    }

    /// Maps an error status, its headers and body to the matching case.
    pub(crate) fn from_status(status: u16, bytes: &[u8], headers: &http::HeaderMap) -> Error {
        let body = ApiBody::new(status, bytes);
        let retry_after = crate::retry::retry_after(headers);
        match status {
            300..=399 => Error::Redirect {
                location: headers.get(http::header::LOCATION).map(|value| {
                    crate::config::redacted_url(&String::from_utf8_lossy(value.as_bytes()))
                }),
                body,
            },
            401 => Error::Unauthorized { body },
            404 => Error::NotFound { body },
            429 => Error::RateLimited { retry_after, body },
            _ => Error::Api { body },
        }
    }

    pub(crate) fn validation(field: impl Into<String>, rule: impl Into<String>) -> Error {
        Error::Validation {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// A generated builder's `try_into` that failed (a required field left
/// unset, or a value that did not convert) is a validation error, so `?`
/// takes it in a function returning [`Error`]. progenitor's message names
/// the field ("no value supplied for type_"); it is kept whole as the
/// rule, not parsed, and the field is `input`.
///
/// ```
/// use talkjs::types::SendMessageInput;
/// fn build() -> Result<SendMessageInput, talkjs::Error> {
///     Ok(SendMessageInput::builder().text(Some("no type".to_string())).try_into()?)
/// }
/// let err = build().unwrap_err();
/// assert!(matches!(err, talkjs::Error::Validation { ref rule, .. } if rule.contains("type_")));
/// ```
impl From<crate::raw::types::error::ConversionError> for Error {
    fn from(error: crate::raw::types::error::ConversionError) -> Self {
        Error::validation("input", error.to_string())
    }
}

/// The first `max` bytes of a body as lossy UTF-8, for error messages.
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    let cut = &bytes[..bytes.len().min(max)];
    let mut s = String::from_utf8_lossy(cut).into_owned();
    if bytes.len() > max {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::Error;
    use crate::raw::types::error::ConversionError;

    #[test]
    fn builder_conversion_errors_keep_the_builders_message() {
        let built =
            crate::types::SendMessageInput::try_from(crate::types::SendMessageInput::builder());
        match Error::from(built.unwrap_err()) {
            Error::Validation { field, rule } => {
                assert_eq!(field, "input");
                assert!(rule.contains("type_"), "{rule}");
            }
            other => panic!("{other:?}"),
        }
        match Error::from(ConversionError::from("something else")) {
            Error::Validation { field, rule } => {
                assert_eq!((&*field, &*rule), ("input", "something else"))
            }
            other => panic!("{other:?}"),
        }
    }
}
