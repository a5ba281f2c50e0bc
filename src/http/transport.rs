//! The one place every request passes through: authentication, retries,
//! timeouts and tracing. What a request is comes from its description
//! ([`super::request::Request`]) or, for the raw client, from progenitor
//! (`super::raw_hooks`); what its answer means is [`super::answer`]'s job.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use reqwest::{Method, Response, StatusCode, header};
use tracing::Instrument;

use super::{
    answer::{Answer, describe},
    rate_limit::{Limiter, RateLimit},
    request::Repeat,
};
use crate::{Error, TimeoutKind, authorization::Authorizer, retry::RetryPolicy};

/// The transport's share of [`crate::ClientConfig`].
pub(crate) struct Settings {
    pub(crate) retry: RetryPolicy,
    pub(crate) connect_timeout: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) overall_timeout: Duration,
    pub(crate) max_response_bytes: usize,
    pub(crate) rest_version: Option<header::HeaderValue>,
    pub(crate) rate_limit: RateLimit,
}

/// What a client's requests met so far, for progress reports
/// ([`crate::Client::stats`]): counted across all its clones.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// Attempts that were retries.
    pub retries: u64,
    /// 429 answers (rate limited).
    pub throttled: u64,
}

impl ClientStats {
    /// What happened between `earlier` and this snapshot.
    pub fn since(&self, earlier: &ClientStats) -> ClientStats {
        ClientStats {
            retries: self.retries.saturating_sub(earlier.retries),
            throttled: self.throttled.saturating_sub(earlier.throttled),
        }
    }
}

#[derive(Debug, Default)]
// Only rare events are counted: a counter every call bumps would be one
// cache line all of a client's in-flight calls write to.
struct Counters {
    retries: AtomicU64,
    throttled: AtomicU64,
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
    /// Shared by every clone: one client, one pace.
    limiter: Option<Limiter>,
    counters: Counters,
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

/// How one call may be retried: from its request's description.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub(crate) operation: &'static str,
    /// Whether an ambiguous failure may be repeated.
    pub(crate) repeat: Repeat,
    /// The least wait before a retry.
    pub(crate) min_retry_delay: Duration,
    /// Whether a later attempt can be made at all (a streaming body can be
    /// sent once only).
    pub(crate) retries: bool,
}

/// How a call ended.
#[derive(Debug)]
pub(crate) enum Sent {
    /// A response (of any status) to read.
    Answered(Answer),
    /// A 404 to a DELETE whose earlier attempt's answer was lost: that
    /// attempt most likely deleted it, and it is gone either way.
    AlreadyDeleted(Answer),
    /// The call failed: `error` says how, `last` is what the last attempt
    /// got (which the raw client reports as it is).
    Failed { error: Error, last: Last },
}

/// What the last attempt of a failed call got.
#[derive(Debug)]
pub(crate) enum Last {
    Response(Response),
    Transport(reqwest::Error),
}

/// Whether a retryable `status` may come after the request was applied: a
/// gateway (nginx, Envoy, a cloud load balancer) answers 502, 503 or 504
/// when the upstream connection drops or times out after it forwarded the
/// request, and any 5xx may hide the same. Only a refusal on purpose is
/// known to have applied nothing: 429, and 503 with `Retry-After`.
fn answered_after_apply(status: StatusCode, has_retry_after: bool) -> bool {
    status.is_server_error() && !(status == StatusCode::SERVICE_UNAVAILABLE && has_retry_after)
}

fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 500 | 502 | 503 | 504)
}

/// When a call began, and when its overall timeout ends.
#[derive(Clone, Copy)]
struct Clock {
    started: Instant,
    deadline: Instant,
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
                limiter: Limiter::new(&settings.rate_limit),
                counters: Counters::default(),
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

    /// What this client's requests met so far.
    pub(crate) fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        ClientStats {
            retries: c.retries.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
        }
    }

    /// The configured overall timeout of one call.
    pub(crate) fn overall_timeout(&self) -> Duration {
        self.inner.overall_timeout
    }

    /// The response size cap.
    pub(crate) fn max_response_bytes(&self) -> usize {
        self.inner.max_response_bytes
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

    /// The clock of a call starting now.
    fn clock(&self) -> Clock {
        let started = Instant::now();
        let own = deadline_after(started, self.inner.overall_timeout);
        Clock {
            started,
            deadline: self.deadline.map_or(own, |call| call.min(own)),
        }
    }

    /// Sends the requests `make` builds (one per attempt), retrying as the
    /// policy and `plan` allow, and says how the call ended.
    pub(crate) async fn send(
        &self,
        client: &reqwest::Client,
        plan: Plan,
        mut make: impl FnMut() -> reqwest::Result<reqwest::Request>,
    ) -> Sent {
        let clock = self.clock();
        let policy = if plan.retries {
            self.policy()
        } else {
            &RetryPolicy::NONE
        };
        // The wait before the next attempt, if one may still start before
        // the overall deadline and within the policy's elapsed-time cap.
        let next_delay = |attempt: u32, hint: Option<Duration>| {
            policy
                .delay(attempt, hint)
                .map(|d| d.max(plan.min_retry_delay))
                .filter(|&d| before(policy.retry_by(clock.started, clock.deadline), d))
        };
        let mut attempt = 0u32;
        // Whether an earlier attempt may have been applied (its answer was
        // lost, or a gateway answered 5xx after forwarding it).
        let mut maybe_applied = false;
        loop {
            attempt += 1;
            let request = match make() {
                Ok(request) => request,
                Err(e) => {
                    return Sent::Failed {
                        error: transport_error(&e),
                        last: Last::Transport(e),
                    };
                }
            };
            let delete = request.method() == Method::DELETE;
            let write = !matches!(*request.method(), Method::GET | Method::HEAD);
            // The app's pace, before the token is minted and the attempt's
            // time measured.
            let turn = match &self.inner.limiter {
                Some(limiter) => Some(limiter.acquire().await),
                None => None,
            };
            let counters = &self.inner.counters;
            if attempt > 1 {
                counters.retries.fetch_add(1, Ordering::Relaxed);
            }
            let (request, timeout) = self.prepare(request, attempt, clock, turn.is_some());
            let span = tracing::info_span!(
                "talkjs.request",
                operation = plan.operation,
                attempt,
                method = %request.method(),
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let sent_at = Instant::now();
            let result = client.execute(request).instrument(span.clone()).await;
            span.record("duration_ms", sent_at.elapsed().as_millis() as u64);
            let answer = |response| Answer {
                response,
                timeout,
                write,
                operation: plan.operation,
                cap: self.inner.max_response_bytes,
            };
            let delay = match result {
                Ok(response) => {
                    let status = response.status();
                    span.record("status", status.as_u16());
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        counters.throttled.fetch_add(1, Ordering::Relaxed);
                        if let (Some(limiter), Some(turn)) = (&self.inner.limiter, turn) {
                            limiter.throttled(turn, crate::retry::retry_after(response.headers()));
                        }
                    } else if let Some(limiter) = &self.inner.limiter {
                        limiter.accepted();
                    }
                    if status == StatusCode::NOT_FOUND && maybe_applied && delete {
                        tracing::info!(parent: &span, "404 after an ambiguous DELETE: already deleted");
                        return Sent::AlreadyDeleted(answer(response));
                    }
                    if !retryable_status(status) {
                        return Sent::Answered(answer(response));
                    }
                    let retry_after = crate::retry::retry_after(response.headers());
                    let after_apply = answered_after_apply(status, retry_after.is_some());
                    maybe_applied |= after_apply;
                    if after_apply && !plan.repeat.allowed() {
                        // It may have been applied, and it is not
                        // de-duplicated: never sent twice.
                        return Sent::Failed {
                            error: answered_after_send(plan.operation, status),
                            last: Last::Response(response),
                        };
                    }
                    match next_delay(attempt, retry_after) {
                        Some(delay) => {
                            tracing::info!(parent: &span, status = status.as_u16(), delay_ms = delay.as_millis() as u64, "retrying");
                            delay
                        }
                        None => return Sent::Answered(answer(response)),
                    }
                }
                Err(error) => {
                    maybe_applied |= !error.is_connect();
                    match self.after_failure(&error, plan, timeout, || next_delay(attempt, None)) {
                        Ok(delay) => {
                            tracing::info!(parent: &span, error = %describe(&error), delay_ms = delay.as_millis() as u64, "retrying");
                            delay
                        }
                        Err(verdict) => {
                            return Sent::Failed {
                                error: verdict,
                                last: Last::Transport(error),
                            };
                        }
                    }
                }
            };
            tokio::time::sleep(delay).await;
        }
    }

    /// Prepares `request` as attempt number `attempt`: headers and the
    /// timeout that bounds it.
    fn prepare(
        &self,
        mut request: reqwest::Request,
        attempt: u32,
        clock: Clock,
        paced: bool,
    ) -> (reqwest::Request, (TimeoutKind, Duration)) {
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
        let now = if attempt == 1 && !paced {
            clock.started
        } else {
            Instant::now()
        };
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, self.inner.auth.header(now));
        let remaining = clock.deadline.saturating_duration_since(now);
        // The client's own timeout is the attempt timeout (see
        // `ClientConfig::build`); a request gets its own only when the
        // overall deadline is nearer.
        if remaining < self.inner.attempt_timeout {
            *request.timeout_mut() = Some(remaining);
            (request, (TimeoutKind::Overall, self.inner.overall_timeout))
        } else {
            (request, (TimeoutKind::Attempt, self.inner.attempt_timeout))
        }
    }

    /// What follows a failed attempt: the wait before the next one, or the
    /// error the call ends with.
    fn after_failure(
        &self,
        error: &reqwest::Error,
        plan: Plan,
        timeout: (TimeoutKind, Duration),
        next_delay: impl FnOnce() -> Option<Duration>,
    ) -> Result<Duration, Error> {
        let before_sending = error.is_connect();
        if !before_sending && !plan.repeat.allowed() {
            let reason = if error.is_timeout() {
                // Which timeout fired stays in the message.
                format!(
                    "the {} timeout ({} ms) fired after the request was sent",
                    timeout.0,
                    timeout.1.as_millis()
                )
            } else {
                describe(error)
            };
            return Err(Error::OutcomeUnknown {
                operation: plan.operation,
                reason,
            });
        }
        if let Some(delay) = next_delay() {
            return Ok(delay);
        }
        Err(if error.is_timeout() {
            let (which, after) = if before_sending {
                (TimeoutKind::Connect, self.inner.connect_timeout)
            } else {
                timeout
            };
            Error::Timeout { which, after }
        } else {
            transport_error(error)
        })
    }
}

/// The outcome of a request answered with `status` (a 5xx) after it was
/// sent, and not sent again because it is not de-duplicated.
pub(crate) fn answered_after_send(operation: &'static str, status: StatusCode) -> Error {
    Error::OutcomeUnknown {
        operation,
        reason: format!(
            "the server answered {status} after the request was sent (a gateway answers so \
             when its upstream connection drops, after the request may have been applied)"
        ),
    }
}

/// A connection-level failure; `maybe_sent` is false only when it came
/// before anything was sent.
pub(crate) fn transport_error(e: &reqwest::Error) -> Error {
    Error::Transport {
        maybe_sent: !e.is_connect() && !e.is_builder(),
        message: describe(e),
    }
}

/// `after` from `start`; `Duration::MAX` means "no limit" and must not
/// overflow the clock, so a deadline past the clock's range is a century.
pub(crate) fn deadline_after(start: Instant, after: Duration) -> Instant {
    start
        .checked_add(after)
        .unwrap_or_else(|| start + Duration::from_secs(100 * 365 * 86_400))
}

/// Whether waiting `delay` from now still ends before `deadline`.
fn before(deadline: Instant, delay: Duration) -> bool {
    Instant::now()
        .checked_add(delay)
        .is_some_and(|at| at < deadline)
}
