//! The one place every request passes through: authentication, retries,
//! timeouts, the response size cap, error-body normalisation and tracing.
//!
//! Generated operations reach it through progenitor's `ClientHooks::exec`;
//! the hand-written multipart upload calls [`Transport::send`] directly with a
//! closure that rebuilds its form for every attempt.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use futures::{StreamExt, future::Either};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Method, Request, Response, StatusCode, header};
use tracing::Instrument;

use crate::{
    Error, TimeoutKind,
    record::{self, Answered},
    retry::RetryPolicy,
};

use crate::authorization::Authorizer;

/// The transport's share of [`crate::ClientConfig`].
pub(crate) struct Settings {
    pub(crate) retry: RetryPolicy,
    pub(crate) connect_timeout: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) overall_timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) rest_version: Option<header::HeaderValue>,
}

/// Everything a request needs besides the `reqwest::Client`: the `inner`
/// value of a [`crate::raw::Client`], which its constructors take. It
/// authenticates every request (a fresh app token, or the secret key),
/// retries what is safe to retry, and applies the overall timeout and the
/// response size cap.
///
/// The raw client of [`crate::Client::raw`] has one already. To build one over
/// your own `reqwest::Client`, get a transport from
/// [`crate::ClientConfig::transport`] (which has an example).
#[derive(Clone)]
pub struct Transport {
    inner: Arc<Inner>,
    /// The policy of a [`crate::Client::with_retry`] handle, instead of the
    /// configured one.
    retry: Option<Arc<RetryPolicy>>,
    /// The end of the public call this transport serves, when one call
    /// takes several requests (chunks, batch pacing): no attempt or retry
    /// runs past it.
    deadline: Option<Instant>,
}

struct Inner {
    auth: Authorizer,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    overall_timeout: Duration,
    connect_timeout: Duration,
    max_response_bytes: usize,
    rest_version: Option<header::HeaderValue>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("auth", &self.inner.auth.describe())
            .field("retry", self.policy())
            .field("attempt_timeout", &self.inner.attempt_timeout)
            .field("overall_timeout", &self.inner.overall_timeout)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish()
    }
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
            || (is_send_path(path) && op.get(3).is_some_and(all_have_idempotency_keys))
    })
}

/// Exactly `/conversations/{id}/messages`, with an id that is one real
/// segment (a `..` would make it another endpoint, such as import).
fn is_send_path(path: &str) -> bool {
    matches!(
        path.split('/').collect::<Vec<_>>().as_slice(),
        ["", "conversations", id, "messages"] if !matches!(*id, "" | "." | "..")
            && !id.eq_ignore_ascii_case("%2e")
            && !id.eq_ignore_ascii_case("%2e%2e")
            && !id.eq_ignore_ascii_case(".%2e")
            && !id.eq_ignore_ascii_case("%2e.")
    )
}

/// Whether a retryable `status` may come after the request was applied: a
/// gateway (nginx, Envoy, a cloud load balancer) answers 502, 503 or 504
/// when the upstream connection drops or times out after it forwarded the
/// request, and any 5xx may hide the same. Only a refusal on purpose is
/// known to have applied nothing: 429, and 503 with `Retry-After`.
fn answered_after_apply(status: StatusCode, has_retry_after: bool) -> bool {
    status.is_server_error() && !(status == StatusCode::SERVICE_UNAVAILABLE && has_retry_after)
}

/// The answer a DELETE gets when an earlier attempt may have deleted the
/// resource and a retry finds nothing: success, `{}` as TalkJS answers a
/// call that returns nothing (the resource is gone either way).
fn already_deleted() -> Response {
    let mut answer = http::Response::new(Bytes::from_static(b"{}"));
    answer.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    Response::from(answer)
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

impl Transport {
    pub(crate) fn new(auth: Authorizer, settings: Settings) -> Self {
        Transport {
            inner: Arc::new(Inner {
                auth,
                retry: settings.retry,
                attempt_timeout: settings.attempt_timeout,
                overall_timeout: settings.overall_timeout,
                connect_timeout: settings.connect_timeout,
                max_response_bytes: settings.max_response_bytes,
                rest_version: settings.rest_version,
            }),
            retry: None,
            deadline: None,
        }
    }

    /// This transport with every request ending by `deadline`.
    pub(crate) fn until(&self, deadline: Instant) -> Self {
        Transport {
            deadline: Some(deadline),
            ..self.clone()
        }
    }

    /// The configured overall timeout of one call.
    pub(crate) fn overall_timeout(&self) -> Duration {
        self.inner.overall_timeout
    }

    /// This transport with `policy` in place of the configured retry policy.
    pub(crate) fn with_retry(&self, policy: RetryPolicy) -> Self {
        Transport {
            retry: Some(Arc::new(policy)),
            ..self.clone()
        }
    }

    fn policy(&self) -> &RetryPolicy {
        self.retry.as_deref().unwrap_or(&self.inner.retry)
    }

    /// Sends a request built by `make` (called once per attempt), retrying as
    /// the policy allows. Returns the last response or transport error.
    pub(crate) fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        operation: &'static str,
        repeatable_body: bool,
        make: impl FnMut() -> Request + 'a,
    ) -> impl Future<Output = reqwest::Result<Response>> + 'a {
        // No attempt started yet: the first comes from `make` as well, and
        // the call's clock starts when the future is first polled.
        let none: Option<reqwest::Result<Started<std::future::Pending<_>>>> = None;
        self.send_after(client, operation, repeatable_body, None, none, make)
    }

    /// The clock of a call starting now.
    fn clock(&self) -> Clock {
        let started = Instant::now();
        // `Duration::MAX` means "no limit"; it must not overflow the clock.
        let own = started
            .checked_add(self.inner.overall_timeout)
            .unwrap_or_else(|| started + Duration::from_secs(100 * 365 * 86_400));
        Clock {
            started,
            deadline: self.deadline.map_or(own, |call| call.min(own)),
        }
    }

    /// Prepares `request` as attempt number `attempt` (headers, timeout,
    /// span) and sends it.
    fn start(
        &self,
        client: &reqwest::Client,
        operation: &'static str,
        mut request: Request,
        attempt: u32,
        clock: Clock,
    ) -> reqwest::Result<Started<impl Future<Output = reqwest::Result<Response>> + use<>>> {
        // TalkJS takes only JSON requests besides GET; progenitor sets no
        // Content-Type on a call without a body (DELETE, reactions).
        if request.method() != Method::GET && !request.headers().contains_key(header::CONTENT_TYPE)
        {
            request.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
        }
        if let Some(version) = &self.inner.rest_version {
            request
                .headers_mut()
                .insert("talkjs-rest-version", version.clone());
        }
        // The first attempt starts as the call does, with no clock to read.
        let (now, remaining) = if attempt == 1 {
            (
                clock.started,
                clock.deadline.saturating_duration_since(clock.started),
            )
        } else {
            let now = Instant::now();
            (now, clock.deadline.saturating_duration_since(now))
        };
        match self.inner.auth.header(now) {
            Ok(value) => {
                // Generated requests carry no Authorization of their own, so
                // `append` is `insert` here; it is the code reqwest's own
                // builder runs for every header, already warm in the cache.
                request.headers_mut().append(header::AUTHORIZATION, value);
            }
            Err(e) => {
                record::fail(e);
                return Err(unsendable(client));
            }
        }
        let overall_bound = remaining < self.inner.attempt_timeout;
        let timeout = if overall_bound {
            (TimeoutKind::Overall, self.inner.overall_timeout)
        } else {
            (TimeoutKind::Attempt, self.inner.attempt_timeout)
        };
        // The client's own timeout is the attempt timeout (see
        // `ClientConfig::build`); a request gets its own only when the
        // overall deadline is nearer. Setting it on every request would
        // cost an extension map, and a copy of it per attempt.
        if overall_bound {
            *request.timeout_mut() = Some(remaining);
        }
        let span = tracing::info_span!(
            "talkjs.request",
            operation,
            attempt,
            method = %request.method(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let write = !matches!(*request.method(), Method::GET | Method::HEAD);
        Ok(Started {
            pending: client.execute(request),
            span,
            timeout,
            write,
        })
    }

    /// The retry loop of [`Self::send`], for a call that began at `clock`
    /// (when first polled, if `None`); `first`, when given, is its first
    /// attempt, already started, and `make` builds the later ones.
    ///
    /// Not an `async fn`: its arguments would be stored twice in the future
    /// (rust-lang/rust#62958); an `async move` block keeps one copy of what
    /// it captures.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn would store its arguments twice"
    )]
    fn send_after<'a, P: Future<Output = reqwest::Result<Response>> + 'a>(
        &'a self,
        client: &'a reqwest::Client,
        operation: &'static str,
        repeatable_body: bool,
        clock: Option<Clock>,
        mut first: Option<reqwest::Result<Started<P>>>,
        mut make: impl FnMut() -> Request + 'a,
    ) -> impl Future<Output = reqwest::Result<Response>> + 'a {
        async move {
            let clock = clock.unwrap_or_else(|| self.clock());
            let policy = if repeatable_body {
                self.policy()
            } else {
                &RetryPolicy::NONE
            };
            // The wait before the next attempt, if one may still start before
            // the overall deadline and within the policy's elapsed-time cap.
            let next_delay = |attempt: u32, hint: Option<Duration>| {
                policy
                    .delay(attempt, hint)
                    .map(|d| pace(operation, d))
                    .filter(|&d| before(policy.retry_by(clock.started, clock.deadline), d))
            };
            // Whether an ambiguous failure may be repeated is decided only
            // if one happens, from a fresh copy of the request (for a message
            // send or a batch it parses the body): a successful call pays
            // for neither that copy nor the parsing.
            let repeat_ok = |make: &mut dyn FnMut() -> Request| {
                repeatable_body && {
                    let probe = make();
                    repeatable(
                        probe.method(),
                        operation,
                        probe.body().and_then(|b| b.as_bytes()),
                    )
                }
            };
            let mut attempt = 0u32;
            // Whether an earlier attempt may have been applied (its answer
            // was lost, or a gateway answered 5xx after forwarding it).
            let mut maybe_applied = false;
            // Whether the request the loop ends with may change data.
            let mut write;
            let (response, timeout) = loop {
                attempt += 1;
                let Started {
                    pending,
                    span,
                    timeout,
                    write: writes,
                } = match first.take() {
                    Some(started) => started?.map(Either::Left),
                    None => self
                        .start(client, operation, make(), attempt, clock)?
                        .map(Either::Right),
                };
                write = writes;
                // reqwest's and hyper's own events nest under this span; with no
                // subscriber listening, the wrapper, the clock and the records
                // would only cost time.
                let traced = !span.is_disabled();
                let result = if traced {
                    let sent_at = Instant::now();
                    let result = pending.instrument(span.clone()).await;
                    span.record("duration_ms", sent_at.elapsed().as_millis() as u64);
                    result
                } else {
                    pending.await
                };

                // The wait before the next attempt. The sleep itself comes after
                // this match, so that no response or result is kept in this
                // future across it.
                let delay = match result {
                    Ok(response) => {
                        let status = response.status();
                        if traced {
                            span.record("status", status.as_u16());
                        }
                        if status == StatusCode::NOT_FOUND
                            && maybe_applied
                            && make().method() == Method::DELETE
                        {
                            // The lost attempt deleted it: gone either way.
                            tracing::info!(parent: &span, "404 after an ambiguous DELETE: already deleted");
                            break (already_deleted(), timeout);
                        }
                        if !retryable_status(status) {
                            break (response, timeout);
                        }
                        let retry_after = crate::retry::retry_after(response.headers());
                        let after_apply = answered_after_apply(status, retry_after.is_some());
                        maybe_applied |= after_apply;
                        if after_apply && !repeat_ok(&mut make) {
                            // The request may have been applied, and this
                            // one is not de-duplicated: never sent twice.
                            record::fail(Error::OutcomeUnknown {
                                operation,
                                reason: format!(
                                    "the server answered {status} after the request was sent \
                                     (a gateway answers so when its upstream connection drops, \
                                     after the request may have been applied)"
                                ),
                            });
                            break (response, timeout);
                        }
                        match next_delay(attempt, retry_after) {
                            Some(delay) => {
                                tracing::info!(parent: &span, status = status.as_u16(), delay_ms = delay.as_millis() as u64, "retrying");
                                delay
                            }
                            _ => break (response, timeout),
                        }
                    }
                    Err(error) => {
                        maybe_applied |= !error.is_connect();
                        self.after_failure(
                            error,
                            operation,
                            timeout,
                            &span,
                            || repeat_ok(&mut make),
                            || next_delay(attempt, None),
                        )?
                    }
                };
                // Boxed: a retry is rare, and the timer would otherwise enlarge
                // every call's future.
                Box::pin(tokio::time::sleep(delay)).await;
            };
            match self.finish(response, operation, timeout, write) {
                Finished::Ready(response) => Ok(response),
                // Rare, and it reads a body: boxed, like the timer above.
                Finished::ErrorBody(error) => Ok(Box::pin(self.normalise_error(error)).await),
            }
        }
    }

    /// What follows a failed attempt: the wait before the next one, or the
    /// error to return, with the failure recorded. Out of line and cold:
    /// kept apart, the send loop's usual path is denser code
    /// (BENCHMARKS.md).
    #[cold]
    #[inline(never)]
    fn after_failure(
        &self,
        error: reqwest::Error,
        operation: &'static str,
        timeout: (TimeoutKind, Duration),
        span: &tracing::Span,
        repeat_ok: impl FnOnce() -> bool,
        next_delay: impl FnOnce() -> Option<Duration>,
    ) -> reqwest::Result<Duration> {
        let before_sending = error.is_connect();
        if error.is_timeout() {
            let (which, after) = if before_sending {
                (TimeoutKind::Connect, self.inner.connect_timeout)
            } else {
                timeout
            };
            record::fail(Error::Timeout { which, after });
        }
        if !before_sending && !repeat_ok() {
            let reason = if error.is_timeout() {
                // Which timeout fired stays in the message.
                format!(
                    "the {} timeout ({} ms) fired after the request was sent",
                    timeout.0,
                    timeout.1.as_millis()
                )
            } else {
                describe(&error)
            };
            record::fail(Error::OutcomeUnknown { operation, reason });
            return Err(error);
        }
        match next_delay() {
            Some(delay) => {
                tracing::info!(parent: span, error = %describe(&error), delay_ms = delay.as_millis() as u64, "retrying");
                // A later attempt may succeed: forget this failure.
                record::forget_failure();
                Ok(delay)
            }
            None => Err(error),
        }
    }

    /// Records the answer and caps a success's body; an error response is
    /// handed back for [`Self::normalise_error`].
    fn finish(
        &self,
        response: Response,
        operation: &'static str,
        timeout: (TimeoutKind, Duration),
        write: bool,
    ) -> Finished {
        let cap = self.inner.max_response_bytes;
        let status = response.status();
        record::answered(Answered {
            status,
            timeout,
            write,
            operation,
        });
        if status.is_success() && response.content_length().is_some_and(|n| n > cap as u64) {
            record::fail(body_too_large(status, operation, cap));
            return Finished::Ready(rebuild(
                response,
                reqwest::Body::wrap_stream(futures::stream::once(async {
                    Err::<Bytes, _>(BodyTooLarge)
                })),
            ));
        }
        if status.is_success() {
            if response.content_length().is_some() {
                // Within the cap (checked above), and the body cannot outgrow
                // its declared length (HTTP/1.1 framing; h2 checks it too):
                // nothing to count, so no per-chunk wrapper.
                return Finished::Ready(response);
            }
            // Streamed through a counter: a body without Content-Length can
            // still not grow past the cap.
            let mut seen = 0usize;
            let (parts, body) = http::Response::from(response).into_parts();
            // A read error passes through as it is: a timeout is recognised
            // through the wrapper (reqwest's `is_timeout` looks inside) and
            // reported with the attempt's timeout by the layer, as for a
            // body with a Content-Length.
            let limited = http_body_util::BodyDataStream::new(body).map(move |chunk| {
                let chunk = chunk.map_err(|e| Box::new(e) as BoxError)?;
                seen += chunk.len();
                if seen > cap {
                    record::fail(body_too_large(status, operation, cap));
                    return Err(Box::new(BodyTooLarge) as BoxError);
                }
                Ok(chunk)
            });
            return Finished::Ready(Response::from(http::Response::from_parts(
                parts,
                reqwest::Body::wrap_stream(limited),
            )));
        }
        Finished::ErrorBody(response)
    }

    /// Makes an error body decodable as the generated `Error` type: a body
    /// that decodes as `ErrorBody` passes, anything else becomes a JSON
    /// string of the raw text, so
    /// the status is never lost to a decode error. The body is read only up
    /// to the size cap, never refused, so that the status always arrives.
    async fn normalise_error(&self, response: Response) -> Response {
        let cap = self.inner.max_response_bytes;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = match read_capped(response, cap).await {
            Ok(bytes) => bytes,
            Err(_) => Bytes::new(),
        };
        record::error_body(bytes.clone());
        let body = if serde_json::from_slice::<crate::raw::types::ErrorBody>(&bytes).is_ok() {
            bytes
        } else {
            // The generated Error type is `ErrorBody | String`: a body of
            // any other shape (not JSON, or an object whose fields have
            // other types) would fail to decode and hide the status; as a
            // JSON string it always decodes, and keeps the text.
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

/// When a call began, and when its overall timeout ends.
#[derive(Clone, Copy)]
struct Clock {
    started: Instant,
    deadline: Instant,
}

/// An attempt on its way: what [`Transport::start`] gives back (`P` is
/// reqwest's response future, whose type has no name).
struct Started<P> {
    pending: P,
    span: tracing::Span,
    timeout: (TimeoutKind, Duration),
    /// Whether the request may change data (not a GET or HEAD).
    write: bool,
}

impl<P> Started<P> {
    fn map<Q>(self, f: impl FnOnce(P) -> Q) -> Started<Q> {
        Started {
            pending: f(self.pending),
            span: self.span,
            timeout: self.timeout,
            write: self.write,
        }
    }
}

/// What [`Transport::finish`] makes of a final response.
enum Finished {
    /// For the decoder as it is.
    Ready(Response),
    /// An error response whose body [`Transport::normalise_error`] reads.
    ErrorBody(Response),
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Whether waiting `delay` from now still ends before `deadline`.
fn before(deadline: Instant, delay: Duration) -> bool {
    Instant::now()
        .checked_add(delay)
        .is_some_and(|at| at < deadline)
}

/// A retried batch is another batch: it waits out TalkJS's one-per-second
/// limit rather than earn a 429.
fn pace(operation: &str, delay: Duration) -> Duration {
    if operation == "batch_requests" {
        delay.max(crate::BATCH_INTERVAL)
    } else {
        delay
    }
}

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

/// Only `exec`: build.rs removes the generated awaits of the `pre` and
/// `post` hooks (no-ops by default), so overriding them here would have no
/// effect; per-request work belongs in `exec`.
impl ClientHooks<Transport> for crate::raw::Client {
    // Not an `async fn`: the boxed send loop is built right away, so the
    // generated operation's future holds one pointer here rather than the
    // request as well (BENCHMARKS.md).
    fn exec(
        &self,
        mut request: Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<Response>> {
        let transport = self.inner();
        let operation = info.operation_id;
        // Generated bodies are buffered JSON, so later attempts are rebuilt
        // from a record of the request; a streaming body (never generated
        // today) has none, and gets one attempt only.
        let again = Resend::of(&mut request);
        let repeatable_body = again.is_some();
        let make = move || {
            again
                .as_ref()
                .expect("only a repeatable request is made again")
                .request()
        };
        // The first attempt starts here, so the send loop's future holds
        // the attempt (about 80 bytes), not the request (264).
        let clock = transport.clock();
        let first = transport.start(self.client(), operation, request, 1, clock);
        // Boxed, so that the generated operation's future, and every layer
        // future that holds it, stays small: moving a 13 KB future cost more
        // than this allocation (BENCHMARKS.md). Its size (release build)
        // keeps it within glibc's per-thread cache of small blocks (up to
        // 1,032 bytes), whose slow path cost several hundred instructions
        // per call when it did not.
        Box::pin(transport.send_after(
            self.client(),
            operation,
            repeatable_body,
            Some(clock),
            Some(first),
            make,
        ))
    }
}

/// A buffered body's bytes, moved out of it whole: reqwest hands them over
/// as one frame, ready at once (a unit test checks it). A streaming body is
/// given back untouched.
fn buffered_bytes(mut body: reqwest::Body) -> Result<Bytes, reqwest::Body> {
    use futures::FutureExt as _;
    use http_body_util::BodyExt as _;
    let Some(len) = body.as_bytes().map(<[u8]>::len) else {
        return Err(body);
    };
    if len == 0 {
        return Ok(Bytes::new());
    }
    match body.frame().now_or_never() {
        Some(Some(Ok(frame))) => match frame.into_data() {
            Ok(data) if data.len() == len => Ok(data),
            Ok(data) => Ok(rest_of_body(data, body, len)),
            Err(_) => Ok(rest_of_body(Bytes::new(), body, len)),
        },
        // A buffered body's frame is always ready and never fails
        // (reqwest 0.13; the unit tests pin the hand-over).
        _ => Ok(rest_of_body(Bytes::new(), body, len)),
    }
}

/// The rest of a buffered body handed over in more than one frame (never,
/// with reqwest 0.13): every byte is kept.
#[cold]
#[inline(never)]
fn rest_of_body(first: Bytes, mut body: reqwest::Body, len: usize) -> Bytes {
    use futures::FutureExt as _;
    use http_body_util::BodyExt as _;
    let mut bytes = bytes::BytesMut::with_capacity(len);
    bytes.extend_from_slice(&first);
    while bytes.len() < len {
        match body.frame().now_or_never() {
            Some(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    bytes.extend_from_slice(&data);
                }
            }
            _ => break,
        }
    }
    bytes.freeze()
}

/// What a generated request's later attempts are rebuilt from: the first
/// attempt sends the request itself.
///
/// Not `Request::try_clone`: that one allocates the request's extension map
/// twice whether or not it holds anything (reqwest 0.13), which was a
/// measurable share of a call's cost (BENCHMARKS.md). Generated requests
/// carry no extensions besides a timeout, which is kept.
struct Resend {
    method: Method,
    url: reqwest::Url,
    headers: Headers,
    version: reqwest::Version,
    timeout: Option<Duration>,
    body: Option<Bytes>,
}

/// A generated request's headers, kept for its later attempts. They are
/// almost always `Accept: application/json`, with `Content-Type:
/// application/json` when there is a body: those are kept as a flag, as a
/// header map would cost two allocations per call for a copy that is rarely
/// used.
enum Headers {
    Json {
        content_type: bool,
    },
    /// Boxed: the record lives in the send loop's future, which must stay
    /// small (see `exec`).
    Other(Box<header::HeaderMap>),
}

impl Headers {
    fn of(headers: &header::HeaderMap) -> Headers {
        // In insertion order, without hashing: what progenitor builds.
        let mut all = headers.iter();
        let mut next_is = |name| {
            all.next()
                .is_some_and(|(n, v)| *n == name && v == "application/json")
        };
        match headers.len() {
            1 if next_is(header::ACCEPT) => Headers::Json {
                content_type: false,
            },
            2 if next_is(header::ACCEPT) && next_is(header::CONTENT_TYPE) => {
                Headers::Json { content_type: true }
            }
            _ => Headers::Other(Box::new(headers.clone())),
        }
    }

    fn map(&self) -> header::HeaderMap {
        match *self {
            Headers::Other(ref headers) => (**headers).clone(),
            Headers::Json { content_type } => {
                let json = header::HeaderValue::from_static("application/json");
                let mut headers = header::HeaderMap::with_capacity(2);
                headers.insert(header::ACCEPT, json.clone());
                if content_type {
                    headers.insert(header::CONTENT_TYPE, json);
                }
                headers
            }
        }
    }
}

impl Resend {
    /// `None` for a streaming body, which cannot be sent twice. A buffered
    /// body is shared with `request`, not copied: a message send's body is
    /// a kilobyte or more, and the copy (an allocation outside glibc's small
    /// block cache and the bytes themselves) was a measurable share of a
    /// call (BENCHMARKS.md).
    fn of(request: &mut Request) -> Option<Resend> {
        let body = match request.body_mut().take() {
            Some(body) => match buffered_bytes(body) {
                Ok(bytes) => {
                    *request.body_mut() = Some(reqwest::Body::from(bytes.clone()));
                    Some(bytes)
                }
                Err(streaming) => {
                    *request.body_mut() = Some(streaming);
                    return None;
                }
            },
            None => None,
        };
        Some(Resend {
            method: request.method().clone(),
            url: request.url().clone(),
            headers: Headers::of(request.headers()),
            version: request.version(),
            timeout: request.timeout().copied(),
            body,
        })
    }

    fn request(&self) -> Request {
        let mut request = Request::new(self.method.clone(), self.url.clone());
        *request.headers_mut() = self.headers.map();
        *request.version_mut() = self.version;
        if self.timeout.is_some() {
            *request.timeout_mut() = self.timeout;
        }
        *request.body_mut() = self.body.clone().map(reqwest::Body::from);
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buffered_body_is_shared_whole_not_copied() {
        let sent = Bytes::from(vec![7u8; 4096]);
        let bytes = buffered_bytes(reqwest::Body::from(sent.clone())).unwrap();
        assert_eq!(bytes, sent);
        assert_eq!(bytes.as_ptr(), sent.as_ptr(), "the same bytes, not a copy");
        assert!(
            buffered_bytes(reqwest::Body::from(Vec::new()))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn a_streaming_body_is_given_back() {
        let stream = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"x"))]);
        let body = buffered_bytes(reqwest::Body::wrap_stream(stream)).unwrap_err();
        assert!(body.as_bytes().is_none());
    }

    #[test]
    fn a_resend_record_rebuilds_the_request_and_leaves_the_first_intact() {
        let url = reqwest::Url::parse("http://127.0.0.1/v1/app/conversations/c1/messages").unwrap();
        let mut first = Request::new(Method::POST, url);
        first.headers_mut().insert(
            header::ACCEPT,
            header::HeaderValue::from_static("application/json"),
        );
        first.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        *first.body_mut() = Some(reqwest::Body::from(r#"[{"text":"hi"}]"#));
        let again = Resend::of(&mut first).unwrap();
        let second = again.request();
        for request in [&first, &second] {
            assert_eq!(request.method(), Method::POST);
            assert_eq!(request.url(), first.url());
            assert_eq!(request.headers(), first.headers());
            assert_eq!(
                request.body().and_then(|b| b.as_bytes()),
                Some(&br#"[{"text":"hi"}]"#[..])
            );
        }
    }
}
