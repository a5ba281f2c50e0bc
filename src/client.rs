//! The configured client: the entry point of the SDK.

use crate::{ClientConfig, raw};

/// A TalkJS REST client for one app, configured once and cheap to clone.
///
/// Every call carries a fresh app token (the token a mint at that second
/// gives, signed at most once a second: [`crate::AuthMode::AppToken`]) or,
/// in legacy mode, the secret key; it retries what is safe to retry and
/// maps failures to [`crate::Error`].
///
/// ```no_run
/// # async fn demo() -> Result<(), talkjs::Error> {
/// let client = talkjs::Client::from_env()?;
/// let page = client.users().list().limit(50).send().await?;
/// println!("{} users", page.items.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) raw: raw::Client,
    /// The raw client's base URL, parsed once: typed calls append their
    /// paths to it.
    pub(crate) api_url: reqwest::Url,
    pub(crate) config: ClientConfig,
    /// When this client last sent a batch: TalkJS takes one per second.
    pub(crate) batch_gate: std::sync::Arc<tokio::sync::Mutex<Option<std::time::Instant>>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("api_url", &self.raw.baseurl())
            .field("config", &self.config)
            .finish()
    }
}

impl Client {
    /// A client for `app_id` with `secret_key` and the default settings.
    pub fn new(
        app_id: impl Into<String>,
        secret_key: impl Into<String>,
    ) -> Result<Self, crate::ConfigError> {
        ClientConfig::new(app_id, secret_key).build()
    }

    /// A client from `TALKJS_APP_ID`, `TALKJS_SECRET_KEY` and optionally
    /// `TALKJS_API_URL`.
    pub fn from_env() -> Result<Self, crate::ConfigError> {
        ClientConfig::from_env()?.build()
    }

    pub(crate) fn from_parts(
        raw: raw::Client,
        api_url: reqwest::Url,
        config: ClientConfig,
    ) -> Self {
        Client {
            raw,
            api_url,
            config,
            batch_gate: Default::default(),
        }
    }

    /// The generated client, already authenticated and retrying, for
    /// anything this layer does not cover.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) {
    /// let presence = client.raw().get_user_presence().user_id("alice").send().await;
    /// # }
    /// ```
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// A handle whose calls use `policy` instead of the configured retry
    /// policy; it shares the connection pool and the batch pacing.
    ///
    /// ```no_run
    /// # async fn demo(client: &talkjs::Client) -> Result<(), talkjs::Error> {
    /// // Fail fast for this one call.
    /// let user = client.with_retry(talkjs::RetryPolicy::none()).users().get("alice").await?;
    /// # Ok(()) }
    /// ```
    pub fn with_retry(&self, policy: crate::RetryPolicy) -> Client {
        self.with_transport(self.raw.inner().with_retry(policy))
    }

    /// This client with every request ending by `deadline`: the handle one
    /// public call that takes several requests runs them through
    /// ([`crate::chunked::CallDeadline`]).
    pub(crate) fn until(&self, deadline: std::time::Instant) -> Client {
        self.with_transport(self.raw.inner().until(deadline))
    }

    /// This client with its own generated client around `transport`: the
    /// connection pool and the base URL are shared.
    fn with_transport(&self, transport: crate::Transport) -> Client {
        Client {
            raw: raw::Client::new_with_client(
                self.raw.baseurl(),
                self.raw.client().clone(),
                transport,
            ),
            ..self.clone()
        }
    }

    /// What this client's requests (across its clones) met so far:
    /// retries and 429s. Take two snapshots and
    /// [`ClientStats::since`](crate::ClientStats::since) for a job's share.
    pub fn stats(&self) -> crate::ClientStats {
        progenitor_client::ClientInfo::inner(&self.raw).stats()
    }

    /// The app id this client talks to.
    pub fn app_id(&self) -> &str {
        &self.config.app_id
    }
}

use progenitor_client::ClientInfo as _;
