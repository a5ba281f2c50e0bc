//! The final response of a call, and what it means: the decoded value, or
//! the error its status, its body or the failure to read that body says.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::{Response, StatusCode};
use serde::de::DeserializeOwned;

use crate::{Error, TimeoutKind};

/// A response the retry loop ended with, and what its reading needs.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) response: Response,
    /// The timeout that bounded the attempt, and so reading its body.
    pub(crate) timeout: (TimeoutKind, Duration),
    /// Whether the request may change data (not a GET or HEAD).
    pub(crate) write: bool,
    pub(crate) operation: &'static str,
    /// The response size cap ([`crate::ClientConfig::max_response_bytes`]).
    pub(crate) cap: usize,
}

impl Answer {
    pub(crate) fn status(&self) -> StatusCode {
        self.response.status()
    }

    /// `Ok` for a success, whatever its body; an error status is the
    /// matching [`Error`].
    pub(crate) async fn done(self) -> Result<(), Error> {
        self.body().await.map(drop)
    }

    /// The whole body of a 200, at most the cap; an error status is the
    /// matching [`Error`], with TalkJS's body as it was sent.
    pub(crate) async fn body(self) -> Result<(StatusCode, Bytes), Error> {
        let status = self.status();
        if status != StatusCode::OK {
            return Err(self.into_error().await);
        }
        let too_large = || body_too_large(status.as_u16(), self.cap);
        if self
            .response
            .content_length()
            .is_some_and(|n| n > self.cap as u64)
        {
            return Err(too_large());
        }
        let mut response = self.response;
        let mut body = BytesMut::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) if body.len() + chunk.len() > self.cap => return Err(too_large()),
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                Ok(None) => return Ok((status, body.freeze())),
                Err(e) => {
                    return Err(body_failure(
                        &e,
                        status,
                        self.timeout,
                        self.write,
                        self.operation,
                    ));
                }
            }
        }
    }

    /// The error a status other than 200 means, with its body read up to
    /// the cap (never refused, so that the status always arrives). Every
    /// operation documents 200: another success status is a server (or a
    /// proxy) that does not speak this API, reported rather than silently
    /// taken for the documented answer.
    pub(crate) async fn into_error(self) -> Error {
        let status = self.status();
        let headers = self.response.headers().clone();
        let bytes = read_capped(self.response, self.cap)
            .await
            .unwrap_or_default();
        if status.is_success() {
            return Error::Decode {
                status: status.as_u16(),
                message: "a success status the API does not document".into(),
                excerpt: crate::error::excerpt(&bytes, 512),
            };
        }
        Error::from_status(status.as_u16(), &bytes, &headers)
    }
}

/// A success whose body is larger than the configured cap.
pub(crate) fn body_too_large(status: u16, cap: usize) -> Error {
    Error::Decode {
        status,
        message: format!(
            "the response body is larger than the {cap}-byte cap (ClientConfig::max_response_bytes)"
        ),
        excerpt: String::new(),
    }
}

/// A response whose status arrived but whose body did not: the attempt's
/// timeout fired while reading it, or the connection closed before the
/// declared length (a truncated body).
fn body_failure(
    error: &reqwest::Error,
    status: StatusCode,
    (which, after): (TimeoutKind, Duration),
    write: bool,
    operation: &'static str,
) -> Error {
    if error.is_timeout() && write && status.is_success() {
        // The status says it was applied; what it returned never came
        // (for a batch: which operations succeeded).
        return Error::OutcomeUnknown {
            operation,
            reason: format!(
                "TalkJS answered {status}, so the request was applied, but its body stalled until \
                 the {which} timeout ({} ms) fired and what it returned is unknown",
                after.as_millis()
            ),
        };
    }
    if error.is_timeout() {
        return Error::Timeout { which, after };
    }
    Error::Decode {
        status: status.as_u16(),
        message: format!(
            "the body could not be read to its end ({}); the status line had arrived, \
             so the request was handled",
            describe(error)
        ),
        excerpt: String::new(),
    }
}

/// The body of a success (answered `status`) decoded as `T`.
pub(crate) fn decode<T: DeserializeOwned>(status: StatusCode, bytes: &[u8]) -> Result<T, Error> {
    serde_json::from_slice(bytes).map_err(|e| Error::Decode {
        status: status.as_u16(),
        message: e.to_string(),
        excerpt: crate::error::excerpt(bytes, 512),
    })
}

/// Reads at most `cap` bytes of a body; the rest is dropped.
pub(crate) async fn read_capped(mut response: Response, cap: usize) -> reqwest::Result<Bytes> {
    let mut out = BytesMut::new();
    while let Some(chunk) = response.chunk().await? {
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= cap {
            break;
        }
    }
    Ok(out.freeze())
}

/// A transport error's description with its causes, without the URL's
/// secrets (reqwest errors never hold headers).
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, chunks: &[&'static str], cap: usize) -> Answer {
        let chunks: Vec<Result<Bytes, std::io::Error>> = chunks
            .iter()
            .map(|c| Ok(Bytes::from_static(c.as_bytes())))
            .collect();
        let body = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
        let mut response = http::Response::new(body);
        *response.status_mut() = StatusCode::from_u16(status).unwrap();
        Answer {
            response: Response::from(response),
            timeout: (TimeoutKind::Attempt, Duration::from_secs(1)),
            write: false,
            operation: "get_user",
            cap,
        }
    }

    /// What `Client::fetch` does with an answer.
    async fn json<T: DeserializeOwned>(answer: Answer) -> Result<T, Error> {
        let (status, bytes) = answer.body().await?;
        decode(status, &bytes)
    }

    #[tokio::test]
    async fn decodes_a_body_in_any_number_of_chunks() {
        for chunks in [
            &[r#"{"a":1,"b":"xy"}"#][..],
            &[r#"{"a":1,"#, r#""b":"xy"}"#],
            &["", r#"{"a""#, r#":1,"b""#, r#":"x"#, r#"y"}"#, ""],
        ] {
            let value: serde_json::Value = json(answer(200, chunks, 1024)).await.unwrap();
            assert_eq!(value, serde_json::json!({"a": 1, "b": "xy"}), "{chunks:?}");
        }
    }

    #[tokio::test]
    async fn a_body_of_another_shape_keeps_its_status_and_bytes() {
        match json::<u32>(answer(200, &["\"no", "t a number\""], 1024)).await {
            Err(Error::Decode {
                status, excerpt, ..
            }) => assert_eq!((status, &*excerpt), (200, "\"not a number\"")),
            other => panic!("{other:?}"),
        }
        // A success the API does not document is reported, body and all.
        match answer(202, &["{}"], 1024).done().await {
            Err(Error::Decode {
                status, excerpt, ..
            }) => assert_eq!((status, &*excerpt), (202, "{}")),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_success_over_the_cap_is_refused_and_an_error_body_is_cut() {
        let too_large = json::<u64>(answer(200, &["12345", "67890"], 8)).await;
        assert!(
            matches!(too_large, Err(Error::Decode { status: 200, ref message, .. }) if message.contains("8-byte cap")),
            "{too_large:?}"
        );
        match answer(404, &["{\"error\":", "\"gone\"}"], 9).done().await {
            Err(Error::NotFound { body }) => assert_eq!(body.text, "{\"error\":"),
            other => panic!("{other:?}"),
        }
    }
}
