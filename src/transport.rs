//! The one place every request passes through: authentication, retries,
//! timeouts, the response size cap, error-body normalisation and tracing.
//!
//! Generated operations reach it through progenitor's `ClientHooks::exec`;
//! the hand-written multipart upload calls [`Transport::send`] directly with a
//! closure that rebuilds its form for every attempt.

use std::{
    cell::RefCell,
    sync::Arc,
    time::{Duration, Instant, SystemTime},
};

use bytes::Bytes;
use futures::StreamExt;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Method, Request, Response, StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::{Error, TimeoutKind, retry::RetryPolicy, tokens::AppTokenMinter};

/// How the client authenticates.
#[derive(Clone)]
pub(crate) enum Auth {
    /// A fresh short-lived app JWT per request, as TalkJS recommends.
    AppToken(Arc<AppTokenMinter>),
    /// The secret key itself as the bearer token (legacy).
    SecretKey(SecretString),
}

/// Everything a request needs besides the `reqwest::Client`: the inner value
/// of [`crate::raw::Client`].
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
}

struct Inner {
    auth: Auth,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    overall_timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match self.inner.auth {
            Auth::AppToken(_) => "app token (HS256, per request)",
            Auth::SecretKey(_) => "secret key (legacy)",
        };
        f.debug_struct("Transport")
            .field("auth", &auth)
            .field("retry", &self.inner.retry)
            .field("attempt_timeout", &self.inner.attempt_timeout)
            .field("overall_timeout", &self.inner.overall_timeout)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish()
    }
}

tokio::task_local! {
    /// Per-call state set by the hand-written layer around a generated call:
    /// a retry override, and the failure detail that `reqwest::Error` cannot
    /// carry (which timeout fired, an unknown outcome, an oversized body).
    static CALL: Call;
}

/// Per-call options and the record of what went wrong.
#[derive(Default)]
pub(crate) struct Call {
    pub(crate) retry: Option<RetryPolicy>,
    pub(crate) failure: RefCell<Option<Error>>,
    /// The last error response's body exactly as the server sent it (the
    /// generated decoder may drop fields the spec doesn't know).
    pub(crate) error_body: RefCell<Option<Bytes>>,
}

/// What the transport recorded during a call.
pub(crate) struct Recorded {
    pub(crate) failure: Option<Error>,
    pub(crate) error_body: Option<Bytes>,
}

impl Call {
    /// Runs `fut` with this call state visible to the transport.
    pub(crate) async fn scope<F: Future>(self, fut: F) -> (F::Output, Recorded) {
        CALL.scope(self, async move {
            let out = fut.await;
            let recorded = CALL.with(|c| Recorded {
                failure: c.failure.borrow_mut().take(),
                error_body: c.error_body.borrow_mut().take(),
            });
            (out, recorded)
        })
        .await
    }
}

fn record(failure: Error) {
    // Outside a layer call (raw use) there is nowhere to put detail; the
    // reqwest error or the response status still reaches the caller.
    let _ = CALL.try_with(|c| *c.failure.borrow_mut() = Some(failure));
}

/// Whether a request may be sent again after an ambiguous failure (a timeout
/// or a connection lost after sending): TalkJS must de-duplicate it.
fn repeatable(method: &Method, operation: &str, body: Option<&[u8]>) -> bool {
    if *method != Method::POST {
        return true; // GET, PUT, PATCH and DELETE are idempotent.
    }
    let json = || body.and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok());
    match operation {
        "upload_file" => true, // a repeated upload only leaves an unused file
        "send_messages" => json().is_some_and(|messages| all_have_idempotency_keys(&messages)),
        "batch_requests" => json().is_some_and(|ops| batch_repeatable(&ops)),
        _ => false, // import: TalkJS applies it again
    }
}

fn all_have_idempotency_keys(messages: &serde_json::Value) -> bool {
    messages.as_array().is_some_and(|items| {
        items.iter().all(|m| {
            m.get("idempotencyKey")
                .and_then(|k| k.as_str())
                .is_some_and(|k| !k.is_empty())
        })
    })
}

/// A batch may be repeated when every operation may: anything but POST, or
/// a message send whose messages all carry idempotency keys.
fn batch_repeatable(ops: &serde_json::Value) -> bool {
    let Some(ops) = ops.as_array() else {
        return false;
    };
    ops.iter().all(|op| {
        let method = op.get(1).and_then(|m| m.as_str()).unwrap_or("POST");
        let path = op.get(2).and_then(|p| p.as_str()).unwrap_or("");
        !method.eq_ignore_ascii_case("POST")
            || (path.starts_with("/conversations/")
                && path.ends_with("/messages")
                && op.get(3).is_some_and(all_have_idempotency_keys))
    })
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

impl Transport {
    pub(crate) fn new(
        auth: Auth,
        retry: RetryPolicy,
        connect_timeout: Duration,
        attempt_timeout: Duration,
        overall_timeout: Duration,
        max_response_bytes: usize,
    ) -> Self {
        Transport {
            inner: Arc::new(Inner {
                auth,
                retry,
                attempt_timeout,
                overall_timeout,
                connect_timeout,
                max_response_bytes,
            }),
        }
    }

    fn authorization(&self) -> Result<header::HeaderValue, Error> {
        let token = match &self.inner.auth {
            Auth::AppToken(minter) => minter.mint()?,
            Auth::SecretKey(key) => key.clone(),
        };
        let mut value = header::HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| {
                Error::Config(
                    "the secret key contains characters that cannot be sent in a header".into(),
                )
            })?;
        // Keeps the token out of reqwest's and hyper's Debug output.
        value.set_sensitive(true);
        Ok(value)
    }

    /// Sends a request built by `make` (called once per attempt), retrying as
    /// the policy allows. Returns the last response or transport error.
    pub(crate) async fn send(
        &self,
        client: &reqwest::Client,
        operation: &'static str,
        repeatable_body: bool,
        mut make: impl FnMut() -> Request,
    ) -> reqwest::Result<Response> {
        let policy = if repeatable_body {
            CALL.try_with(|c| c.retry.clone())
                .ok()
                .flatten()
                .unwrap_or_else(|| self.inner.retry.clone())
        } else {
            RetryPolicy::none()
        };
        let started = Instant::now();
        let deadline = started + self.inner.overall_timeout;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut request = make();
            match self.authorization() {
                Ok(value) => {
                    request.headers_mut().insert(header::AUTHORIZATION, value);
                }
                Err(e) => {
                    record(e);
                    return Err(unsendable(client));
                }
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let overall_bound = remaining < self.inner.attempt_timeout;
            *request.timeout_mut() = Some(remaining.min(self.inner.attempt_timeout));
            let repeat_ok = repeatable(
                request.method(),
                operation,
                request.body().and_then(|b| b.as_bytes()),
            );

            let span = tracing::info_span!(
                "talkjs.request",
                operation,
                attempt,
                method = %request.method(),
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let sent_at = Instant::now();
            // reqwest's and hyper's own events nest under this span.
            let result = client.execute(request).instrument(span.clone()).await;
            span.record("duration_ms", sent_at.elapsed().as_millis() as u64);

            let retry_after;
            match result {
                Ok(response) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    if !retryable_status(status) {
                        return Ok(self.finish(response, operation).await);
                    }
                    retry_after = response
                        .headers()
                        .get(header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| crate::retry::parse_retry_after(v, SystemTime::now()));
                    match policy.delay(attempt, retry_after) {
                        Some(delay) if Instant::now() + delay < deadline => {
                            tracing::info!(parent: &span, status = status.as_u16(), delay_ms = delay.as_millis() as u64, "retrying");
                            drop(response);
                            tokio::time::sleep(delay).await;
                        }
                        _ => return Ok(self.finish(response, operation).await),
                    }
                }
                Err(error) => {
                    let before_sending = error.is_connect();
                    if error.is_timeout() {
                        let (which, after) = if before_sending {
                            (TimeoutKind::Connect, self.inner.connect_timeout)
                        } else if overall_bound {
                            (TimeoutKind::Overall, self.inner.overall_timeout)
                        } else {
                            (TimeoutKind::Attempt, self.inner.attempt_timeout)
                        };
                        record(Error::Timeout { which, after });
                    }
                    if !before_sending && !repeat_ok {
                        record(Error::OutcomeUnknown {
                            operation,
                            reason: describe(&error),
                        });
                        return Err(error);
                    }
                    match policy.delay(attempt, None) {
                        Some(delay) if Instant::now() + delay < deadline => {
                            tracing::info!(parent: &span, error = %describe(&error), delay_ms = delay.as_millis() as u64, "retrying");
                            tokio::time::sleep(delay).await;
                            // A later attempt may succeed: forget this failure.
                            let _ = CALL.try_with(|c| c.failure.borrow_mut().take());
                        }
                        _ => return Err(error),
                    }
                }
            }
        }
    }

    /// Caps the body and makes every error body decodable as the generated
    /// `Error` type: JSON objects pass, anything else becomes a JSON string of
    /// the raw text, so the status is never lost to a decode error.
    async fn finish(&self, response: Response, operation: &'static str) -> Response {
        let cap = self.inner.max_response_bytes;
        let status = response.status();
        if response.content_length().is_some_and(|n| n > cap as u64) {
            record(body_too_large(status, operation, cap));
            return rebuild(
                response,
                reqwest::Body::wrap_stream(futures::stream::once(async {
                    Err::<Bytes, _>(BodyTooLarge)
                })),
            );
        }
        if status.is_success() {
            // Streamed through a counter: a body without Content-Length can
            // still not grow past the cap.
            let mut seen = 0usize;
            let (parts, body) = http::Response::from(response).into_parts();
            let limited = http_body_util::BodyDataStream::new(body).map(move |chunk| {
                let chunk = chunk.map_err(|e| -> BoxError { Box::new(e) })?;
                seen += chunk.len();
                if seen > cap {
                    record(body_too_large(status, operation, cap));
                    return Err(Box::new(BodyTooLarge) as BoxError);
                }
                Ok(chunk)
            });
            return Response::from(http::Response::from_parts(
                parts,
                reqwest::Body::wrap_stream(limited),
            ));
        }
        let headers = response.headers().clone();
        let bytes = match read_capped(response, cap).await {
            Ok(bytes) => bytes,
            Err(_) => Bytes::new(),
        };
        let _ = CALL.try_with(|c| *c.error_body.borrow_mut() = Some(bytes.clone()));
        let body = if matches!(
            serde_json::from_slice(&bytes),
            Ok(serde_json::Value::Object(_))
        ) {
            bytes
        } else {
            // The generated Error type is `ErrorBody | String`: the raw text
            // as a JSON string always decodes, and keeps the text.
            Bytes::from(serde_json::to_vec(&String::from_utf8_lossy(&bytes)).unwrap_or_default())
        };
        let mut rebuilt = http::Response::new(reqwest::Body::from(body));
        *rebuilt.status_mut() = status;
        *rebuilt.headers_mut() = headers;
        rebuilt.headers_mut().remove(header::CONTENT_LENGTH);
        rebuilt.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        Response::from(rebuilt)
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The marker error behind a body cut off at the size cap.
#[derive(Debug)]
struct BodyTooLarge;

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("response body exceeds the configured size cap")
    }
}

impl std::error::Error for BodyTooLarge {}

fn body_too_large(status: StatusCode, operation: &str, cap: usize) -> Error {
    Error::Decode {
        status: status.as_u16(),
        message: format!(
            "{operation}: the response body is larger than the {cap}-byte cap (ClientConfig::max_response_bytes)"
        ),
        excerpt: String::new(),
    }
}

fn rebuild(response: Response, body: reqwest::Body) -> Response {
    let (parts, _) = http::Response::from(response).into_parts();
    Response::from(http::Response::from_parts(parts, body))
}

/// Reads at most `cap` bytes of a body; the rest is dropped.
pub(crate) async fn read_capped(response: Response, cap: usize) -> reqwest::Result<Bytes> {
    let mut stream = response.bytes_stream();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        let room = cap.saturating_sub(out.len());
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= cap {
            break;
        }
    }
    Ok(Bytes::from(out))
}

/// A reqwest error for a request that was never sent (reqwest errors cannot
/// be built directly; an unparsable URL fails in the builder, offline).
fn unsendable(client: &reqwest::Client) -> reqwest::Error {
    match client.get("not a url").build() {
        Err(e) => e,
        Ok(_) => unreachable!("\"not a url\" is not a URL"),
    }
}

/// A transport error's description without the URL (which is safe, but long)
/// and without anything secret (reqwest errors never hold headers).
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

impl ClientHooks<Transport> for crate::raw::Client {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let transport = self.inner();
        // Generated bodies are buffered JSON, so every attempt gets a copy; a
        // streaming body (never generated today) would get one attempt only.
        let repeatable_body = request.try_clone().is_some();
        let mut original = Some(request);
        transport
            .send(
                self.client(),
                info.operation_id,
                repeatable_body,
                move || match original.as_ref().and_then(Request::try_clone) {
                    Some(copy) => copy,
                    None => original.take().expect("a non-repeatable body is sent once"),
                },
            )
            .await
    }
}
