//! How an emulator is set up: address, app credentials, limits, optional
//! admin routes and webhooks.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use crate::rate_limit::RateLimit;

/// Settings for [`crate::Emulator::start`]; build with the setters.
/// `Debug` shows every setting but the secret key.
#[derive(Clone)]
pub struct EmulatorConfig {
    pub(crate) bind: SocketAddr,
    pub(crate) app_id: String,
    pub(crate) secret_key: String,
    pub(crate) batch_interval: Duration,
    pub(crate) admin_routes: bool,
    pub(crate) webhook_url: Option<String>,
    pub(crate) webhook_retry_delay: Duration,
    pub(crate) webhook_timeout: Duration,
    pub(crate) request_log_capacity: usize,
    pub(crate) request_log_max_bytes: usize,
    pub(crate) request_log_body_limit: usize,
    pub(crate) strict_content_type: bool,
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) rate_limit: Option<RateLimit>,
}

/// Default of [`EmulatorConfig::webhook_timeout`]: 5 s, TalkJS's own
/// ("waits for a response from your webhook endpoint for 5 seconds").
const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// Default of [`EmulatorConfig::webhook_retry_delay`]: 1 s, the emulator's
/// choice; TalkJS retries "shortly after" and publishes no delay.
const DEFAULT_WEBHOOK_RETRY_DELAY: Duration = Duration::from_secs(1);
/// Default of [`EmulatorConfig::request_log_body_limit`]: 128 KiB.
pub(crate) const DEFAULT_LOG_BODY_LIMIT: usize = 128 << 10;
/// Default of [`EmulatorConfig::request_log_max_bytes`]: 64 MiB.
pub(crate) const DEFAULT_LOG_MAX_BYTES: usize = 64 << 20;

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Exhaustive destructuring: a new field must be placed here too.
        let EmulatorConfig {
            bind,
            app_id,
            secret_key: _,
            batch_interval,
            admin_routes,
            webhook_url,
            webhook_retry_delay,
            webhook_timeout,
            request_log_capacity,
            request_log_max_bytes,
            request_log_body_limit,
            strict_content_type,
            header_read_timeout,
            idle_timeout,
            rate_limit,
        } = self;
        f.debug_struct("EmulatorConfig")
            .field("bind", bind)
            .field("app_id", app_id)
            .field("secret_key", &"<redacted>")
            .field("batch_interval", batch_interval)
            .field("admin_routes", admin_routes)
            .field("webhook_url", webhook_url)
            .field("webhook_retry_delay", webhook_retry_delay)
            .field("webhook_timeout", webhook_timeout)
            .field("request_log_capacity", request_log_capacity)
            .field("request_log_max_bytes", request_log_max_bytes)
            .field("request_log_body_limit", request_log_body_limit)
            .field("strict_content_type", strict_content_type)
            .field("header_read_timeout", header_read_timeout)
            .field("idle_timeout", idle_timeout)
            .field("rate_limit", rate_limit)
            .finish()
    }
}

impl Default for EmulatorConfig {
    /// Loopback on a free port, app `emulator_app`, a fixed test secret,
    /// TalkJS's one batch per second, no rate limit, no admin routes, no
    /// webhooks.
    fn default() -> Self {
        EmulatorConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            app_id: "emulator_app".into(),
            secret_key: "sk_test_emulator_0123456789abcdef".into(),
            batch_interval: Duration::from_secs(1),
            admin_routes: false,
            webhook_url: None,
            webhook_retry_delay: DEFAULT_WEBHOOK_RETRY_DELAY,
            webhook_timeout: DEFAULT_WEBHOOK_TIMEOUT,
            request_log_capacity: 10_000,
            request_log_max_bytes: DEFAULT_LOG_MAX_BYTES,
            request_log_body_limit: DEFAULT_LOG_BODY_LIMIT,
            strict_content_type: false,
            header_read_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(60),
            rate_limit: None,
        }
    }
}

impl EmulatorConfig {
    /// The default configuration (same as [`Default::default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Address to listen on; port 0 picks a free port.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// The app id served under `/v1/{app_id}`; other app ids get 404.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The secret key: accepted as a bearer token and as the HS256 key of
    /// app tokens; also keys webhook signatures.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = secret_key.into();
        self
    }

    /// Minimum time between two `POST /batch` requests (TalkJS: 1 s);
    /// a batch arriving sooner gets 429. `Duration::ZERO` disables the limit.
    pub fn batch_interval(mut self, interval: Duration) -> Self {
        self.batch_interval = interval;
        self
    }

    /// Serve the `/__emulator/...` admin routes: reset, the request log,
    /// the webhook events sent, the notifications and fault injection, over
    /// HTTP for test suites in any language (see the README).
    /// `GET /__emulator/health` is served either way.
    pub fn admin_routes(mut self, enabled: bool) -> Self {
        self.admin_routes = enabled;
        self
    }

    /// POST webhook events to this `http://` URL.
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// Delay before the single retry of a webhook that did not get a 200
    /// (default 1 s). TalkJS retries once "shortly after" a failure and
    /// publishes no delay, so the default is the emulator's choice; tests
    /// that provoke retries usually set `Duration::ZERO`.
    pub fn webhook_retry_delay(mut self, delay: Duration) -> Self {
        self.webhook_retry_delay = delay;
        self
    }

    /// How long one webhook delivery attempt may take, up to the response
    /// status, before it counts as failed, like a non-200, and is retried
    /// once (default 5 s: TalkJS "waits for a response from your webhook
    /// endpoint for 5 seconds"). A receiver that answers 200 only after the
    /// timeout therefore gets the event twice, with the same `id`: delivery
    /// is at least once.
    pub fn webhook_timeout(mut self, timeout: Duration) -> Self {
        self.webhook_timeout = timeout;
        self
    }

    /// How many requests the request log keeps (oldest dropped first);
    /// 0 turns the log off, e.g. for load tests.
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.request_log_capacity = capacity;
        self
    }

    /// How many bytes the request log may hold in all (default 64 MiB),
    /// counting bodies as kept, paths, queries and headers; the oldest
    /// records go first. With [`Self::request_log_body_limit`] this bounds
    /// what a client can make the emulator keep, whatever it sends.
    pub fn request_log_max_bytes(mut self, max_bytes: usize) -> Self {
        self.request_log_max_bytes = max_bytes;
        self
    }

    /// How many bytes of each body the request log keeps (default 128 KiB);
    /// [`crate::RequestRecord::body_len`] keeps the full length. Bodies of
    /// refused requests (unknown route or app, bad credentials) are never
    /// kept. The default keeps every JSON request a client normally sends
    /// whole, and an upload of 64 KiB with its multipart framing.
    pub fn request_log_body_limit(mut self, limit: usize) -> Self {
        self.request_log_body_limit = limit;
        self
    }

    /// How long a client may take to send a request head once its first
    /// byte arrived (default 5 s); the connection is closed after it, so
    /// a client trickling headers (slowloris) cannot hold it.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a connection may stay without a byte moving while no
    /// request is being handled (default 60 s): a kept-alive connection
    /// waiting for its next request, or a stalled body. It is closed after
    /// it. A request being handled (e.g. held by [`crate::Fault::Delay`])
    /// is not limited.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Rate-limit the app's REST API with a token bucket (see
    /// [`RateLimit`]); off by default. Also `--rate-limit`, `--burst` and
    /// `--no-retry-after`.
    ///
    /// ```
    /// use talkjs_emulator::{EmulatorConfig, RateLimit};
    /// let config = EmulatorConfig::default().rate_limit(RateLimit {
    ///     per_second: 20.0,
    ///     burst: 10,
    ///     retry_after: true,
    /// });
    /// ```
    ///
    /// # Panics
    ///
    /// If `limit.per_second` is not a finite number above 0, or
    /// `limit.burst` is 0.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        if let Err(e) = limit.check() {
            panic!("EmulatorConfig::rate_limit: {e}");
        }
        self.rate_limit = Some(limit);
        self
    }

    /// Refuse every non-GET request without `Content-Type: application/json`
    /// (`POST /files` aside) with 400, also when it has no body. Off by
    /// default: a request without a body needs no `Content-Type` on any
    /// method, as with TalkJS, whose own example code deletes a
    /// conversation with no body and no header (talkjs-examples,
    /// `howtos/how-to-delete-a-conversation/server.js`). A request with a
    /// body needs `application/json` (multipart for `POST /files`) either
    /// way. Turn it on (`--strict-content-type`) to hold a client to the
    /// strictest reading of TalkJS's "Only requests with Content-type:
    /// application/json are accepted (except for HTTP GET requests)".
    pub fn strict_content_type(mut self, strict: bool) -> Self {
        self.strict_content_type = strict;
        self
    }
}
