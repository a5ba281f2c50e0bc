//! One request, described once: the typed call sends it, and
//! [`crate::BatchOp`] carries the same method, path, query and body inside
//! a `POST /batch`.
//!
//! Each endpoint's description is a function next to its typed method (for
//! example `users::get_user`); adding an operation means writing that one
//! function, the method that sends it and, if a batch may carry it, a
//! one-line `BatchOp` constructor.

use std::time::Duration;

use bytes::Bytes;
use reqwest::{Method, Url, header};

use crate::{
    Error,
    path::{check_segment, encode_path},
};

/// `application/json`, the one media type TalkJS reads and writes.
const JSON: header::HeaderValue = header::HeaderValue::from_static("application/json");

/// Whether a request may be sent again after an ambiguous failure (a
/// timeout or a lost connection after sending, a gateway's 5xx): only if
/// applying it twice leaves the same result as once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeat {
    /// Idempotent by its method (GET, PUT, PATCH, DELETE), or harmless to
    /// repeat (a repeated upload leaves an unused file).
    Always,
    /// A POST that TalkJS de-duplicates because every message in it carries
    /// an idempotency key (the SDK adds one to each message it sends).
    WithIdempotencyKeys,
    /// TalkJS would apply it again (an import, a POST it does not
    /// de-duplicate): it is sent once, and an ambiguous failure is
    /// [`Error::OutcomeUnknown`].
    Never,
}

impl Repeat {
    /// The default of a method: every method but POST is idempotent.
    pub(crate) fn of(method: &Method) -> Repeat {
        if *method == Method::POST {
            Repeat::Never
        } else {
            Repeat::Always
        }
    }

    /// Whether a repeat is allowed.
    pub(crate) fn allowed(self) -> bool {
        !matches!(self, Repeat::Never)
    }

    /// The class of a request that carries all of `parts` (a batch): it may
    /// be repeated only if every part may.
    pub(crate) fn all(parts: impl IntoIterator<Item = Repeat>) -> Repeat {
        if parts.into_iter().all(Repeat::allowed) {
            Repeat::Always
        } else {
            Repeat::Never
        }
    }
}

/// What a request carries.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Empty,
    /// JSON, serialised once: every attempt sends the same bytes.
    Json(Bytes),
    /// A multipart form with one file part named `file`, rebuilt for every
    /// attempt (a form is a stream and can be sent only once).
    Upload {
        filename: String,
        contents: Bytes,
        mime: Option<String>,
    },
}

/// One HTTP request of the REST API, relative to `/v1/{appId}`.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    /// The operation id, for spans and messages.
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    /// Below `/v1/{appId}`, every id percent-encoded.
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: Body,
    pub(crate) repeat: Repeat,
    /// The least wait before a retry: a retried batch is another batch, and
    /// waits out TalkJS's one-per-second limit rather than earn a 429.
    pub(crate) min_retry_delay: Duration,
}

impl Request {
    /// A request of `method` to the API's root, named `operation`.
    pub(crate) fn new(method: Method, operation: &'static str) -> Self {
        Request {
            operation,
            repeat: Repeat::of(&method),
            method,
            path: String::new(),
            query: Vec::new(),
            body: Body::Empty,
            min_retry_delay: Duration::ZERO,
        }
    }

    /// The fixed path segment `segment` (no encoding: a literal of the API).
    pub(crate) fn at(mut self, segment: &str) -> Self {
        self.path.push('/');
        self.path.push_str(segment);
        self
    }

    /// The id `value` of `field` as one path segment: refused if no URL can
    /// carry it ([`check_segment`]), percent-encoded otherwise, so that it
    /// reaches exactly its resource.
    pub(crate) fn id(mut self, field: &str, value: &str) -> Result<Self, Error> {
        check_segment(field, value)?;
        self.path.push('/');
        self.path.push_str(&encode_path(value));
        Ok(self)
    }

    /// A path built and encoded by the caller (the `participants=` paths).
    pub(crate) fn encoded_path(mut self, path: String) -> Self {
        self.path = path;
        self
    }

    /// The query parameter `name=value`.
    pub(crate) fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((name, value.to_string()));
        self
    }

    /// `value` as the JSON body; a value that cannot be JSON (a map with
    /// non-string keys, say) is refused before sending.
    pub(crate) fn json(mut self, value: &impl serde::Serialize) -> Result<Self, Error> {
        let bytes =
            serde_json::to_vec(value).map_err(|e| Error::validation("body", e.to_string()))?;
        self.body = Body::Json(Bytes::from(bytes));
        Ok(self)
    }

    /// A file upload as the body.
    pub(crate) fn upload(mut self, filename: &str, contents: Bytes, mime: Option<&str>) -> Self {
        self.body = Body::Upload {
            filename: filename.to_owned(),
            contents,
            mime: mime.map(str::to_owned),
        };
        self
    }

    /// Overrides the method's default [`Repeat`].
    pub(crate) fn repeat(mut self, repeat: Repeat) -> Self {
        self.repeat = repeat;
        self
    }

    /// The least wait before a retry.
    pub(crate) fn min_retry_delay(mut self, delay: Duration) -> Self {
        self.min_retry_delay = delay;
        self
    }

    /// The URL below `api_url` (`https://api.talkjs.com/v1/{appId}`),
    /// parsed once by the client: only the path is parsed per request, not
    /// the scheme and host (whose IDNA mapping alone costs thousands of
    /// instructions).
    pub(crate) fn url(&self, api_url: &Url) -> Url {
        let mut url = api_url.clone();
        let mut path = String::with_capacity(api_url.path().len() + self.path.len());
        path.push_str(api_url.path());
        path.push_str(&self.path);
        url.set_path(&path);
        if !self.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&self.query);
        }
        url
    }

    /// One attempt of this request to `url`.
    pub(crate) fn attempt(
        &self,
        client: &reqwest::Client,
        url: &Url,
    ) -> reqwest::Result<reqwest::Request> {
        let builder = client
            .request(self.method.clone(), url.clone())
            .header(header::ACCEPT, JSON);
        match &self.body {
            Body::Empty => builder.build(),
            Body::Json(bytes) => builder
                .header(header::CONTENT_TYPE, JSON)
                .body(bytes.clone())
                .build(),
            Body::Upload {
                filename,
                contents,
                mime,
            } => {
                let part = || {
                    reqwest::multipart::Part::stream_with_length(
                        contents.clone(),
                        contents.len() as u64,
                    )
                    .file_name(filename.clone())
                };
                // The MIME type was checked with this very parser before the
                // request was described; the fallback (a part without a
                // type) is there so that no input can panic here.
                let part = match mime {
                    Some(mime) => part().mime_str(mime).unwrap_or_else(|_| part()),
                    None => part(),
                };
                builder
                    .multipart(reqwest::multipart::Form::new().part("file", part))
                    .build()
            }
        }
    }

    /// The batch form of the request's arguments: its JSON body, or for a
    /// GET its query parameters as strings (TalkJS's batch format).
    pub(crate) fn batch_payload(&self) -> Result<Option<serde_json::Value>, Error> {
        match &self.body {
            Body::Json(bytes) => serde_json::from_slice(bytes)
                .map(Some)
                .map_err(|e| Error::validation("body", e.to_string())),
            Body::Upload { .. } => Err(Error::validation(
                "operation",
                format!(
                    "{} uploads a file, which a batch cannot carry",
                    self.operation
                ),
            )),
            Body::Empty if self.query.is_empty() => Ok(None),
            Body::Empty => Ok(Some(serde_json::Value::Object(
                self.query
                    .iter()
                    .map(|(name, value)| (name.to_string(), value.clone().into()))
                    .collect(),
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_one_encoded_path_with_its_query_and_class() {
        let request = Request::new(Method::GET, "list_messages")
            .at("conversations")
            .id("conversationId", "a/b ..")
            .unwrap()
            .at("messages")
            .query("limit", 10)
            .query("startingAfter", "m 1&x");
        assert_eq!(request.path, "/conversations/a%2Fb%20../messages");
        assert_eq!(request.repeat, Repeat::Always);
        let url = request.url(&Url::parse("http://127.0.0.1:1/v1/app").unwrap());
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/v1/app/conversations/a%2Fb%20../messages?limit=10&startingAfter=m+1%26x"
        );
        assert_eq!(
            request.batch_payload().unwrap(),
            Some(serde_json::json!({"limit": "10", "startingAfter": "m 1&x"}))
        );
    }

    #[test]
    fn only_ids_a_url_can_carry_are_taken() {
        for bad in ["", ".", ".."] {
            let refused = Request::new(Method::GET, "get_user")
                .at("users")
                .id("userId", bad);
            assert!(
                matches!(refused, Err(Error::Validation { ref field, .. }) if field == "userId")
            );
        }
    }

    #[test]
    fn posts_are_not_repeated_unless_described_so() {
        assert_eq!(Request::new(Method::POST, "import").repeat, Repeat::Never);
        for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
            assert_eq!(Request::new(method, "op").repeat, Repeat::Always);
        }
        assert_eq!(
            Repeat::all([Repeat::Always, Repeat::WithIdempotencyKeys]),
            Repeat::Always
        );
        assert_eq!(Repeat::all([Repeat::Always, Repeat::Never]), Repeat::Never);
        assert_eq!(Repeat::all([]), Repeat::Always);
    }
}
