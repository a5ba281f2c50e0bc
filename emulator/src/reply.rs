//! The JSON answer every handler produces, kept independent of hyper so that
//! `POST /batch` can reuse the handlers' answers verbatim.

use std::time::Duration;

use serde_json::{Value, json};

/// A handler's answer: status, JSON body and any extra headers.
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status code.
    pub status: u16,
    /// JSON body; TalkJS answers `{}` when there is nothing to return.
    pub body: Value,
    /// Extra headers, such as `Retry-After`.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// 200 with the given body.
    pub fn ok(body: Value) -> Self {
        Reply {
            status: 200,
            body,
            headers: Vec::new(),
        }
    }

    /// 200 with `{}`: TalkJS's answer for calls that return nothing.
    pub fn empty() -> Self {
        Self::ok(json!({}))
    }

    /// An error in the spec's `{error, message}` shape (the shape itself is
    /// unconfirmed by TalkJS's documents).
    pub fn error(status: u16, error: &str, message: impl Into<String>) -> Self {
        Reply {
            status,
            body: json!({ "error": error, "message": message.into() }),
            headers: Vec::new(),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::error(400, "BadRequest", message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::error(404, "NotFound", message)
    }

    /// 400 with TalkJS's "Invalid JSON" text, which it answers whenever it
    /// cannot parse a request (also for broken multipart uploads).
    pub fn invalid_json(detail: impl Into<String>) -> Self {
        Self::error(400, "Invalid JSON", detail)
    }

    /// 429 `TooManyRequests`, with `Retry-After: wait` in whole seconds
    /// (rounded up, at least 1) when `wait` is given.
    pub fn too_many_requests(message: impl Into<String>, wait: Option<Duration>) -> Self {
        let reply = Self::error(429, "TooManyRequests", message);
        match wait {
            Some(wait) => {
                let secs = wait
                    .as_secs()
                    .saturating_add(u64::from(wait.subsec_nanos() > 0));
                reply.with_header("retry-after", secs.max(1).to_string())
            }
            None => reply,
        }
    }

    /// Adds a header to the answer.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
}

/// Shorthand for handler results where the error is itself a reply.
pub type Result<T> = std::result::Result<T, Reply>;
