//! Client configuration: who we are, where TalkJS is, how patient to be.

use std::{net::IpAddr, time::Duration};

use secrecy::SecretString;

use crate::{
    Client, Error, RetryPolicy, authorization::Authorizer, tokens::AppTokenMinter, transport,
};

/// TalkJS's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.talkjs.com";

/// How requests are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthMode {
    /// A fresh HS256 app token per request, valid for `lifetime` (TalkJS's
    /// recommendation; the default, with 30 s). Its claims are whole seconds
    /// with no nonce, so requests within the same second carry the same
    /// token; the client signs it once per second rather than once per
    /// request, which puts the same bytes on the wire.
    AppToken {
        /// How long each minted token is valid.
        lifetime: Duration,
    },
    /// The secret key itself as the bearer token (legacy, still accepted).
    SecretKey,
}

/// Configuration of a [`Client`], built once.
///
/// ```
/// use std::time::Duration;
/// let client = talkjs::ClientConfig::new("tPnqHSLr", "sk_test_...")
///     .base_url("http://127.0.0.1:8080")
///     .attempt_timeout(Duration::from_secs(10))
///     .build()
///     .unwrap();
/// # let _ = client;
/// ```
#[derive(Clone)]
pub struct ClientConfig {
    pub(crate) app_id: String,
    pub(crate) secret_key: SecretString,
    pub(crate) base_url: String,
    auth: AuthMode,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    overall_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    allow_insecure_http: bool,
    pub(crate) max_response_bytes: usize,
    rest_version: Option<String>,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("app_id", &self.app_id)
            .field("secret_key", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("overall_timeout", &self.overall_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("rest_version", &self.rest_version)
            .finish()
    }
}

impl ClientConfig {
    /// A configuration for `app_id`, authenticated with `secret_key`, talking
    /// to [`DEFAULT_BASE_URL`].
    pub fn new(app_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        ClientConfig {
            app_id: app_id.into(),
            secret_key: SecretString::from(secret_key.into()),
            base_url: DEFAULT_BASE_URL.to_string(),
            auth: AuthMode::AppToken {
                lifetime: Duration::from_secs(30),
            },
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            overall_timeout: Duration::from_secs(120),
            user_agent: concat!("talkjs-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            retry: RetryPolicy::default(),
            allow_insecure_http: false,
            max_response_bytes: 16 * 1024 * 1024,
            rest_version: None,
        }
    }

    /// Reads `TALKJS_APP_ID`, `TALKJS_SECRET_KEY` and, optionally,
    /// `TALKJS_API_URL`, taken as [`ClientConfig::base_url`] takes it: the
    /// origin (`https://api.talkjs.com`) or the app's API URL
    /// (`https://api.talkjs.com/v1/APP_ID`).
    pub fn from_env() -> Result<Self, Error> {
        // Trimmed: a key read from a mounted secret file often ends in a
        // newline, which would make every call a puzzling 401.
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::Config(format!("the environment variable {name} is not set")))
        };
        let mut config = ClientConfig::new(var("TALKJS_APP_ID")?, var("TALKJS_SECRET_KEY")?);
        if let Ok(url) = var("TALKJS_API_URL") {
            config = config.base_url(url);
        }
        Ok(config)
    }

    /// The API's origin, e.g. `https://api.talkjs.com` or an emulator's
    /// `http://127.0.0.1:PORT`; the client appends `/v1/{appId}`. The
    /// app's full API URL, which TalkJS's documents call the base URL
    /// (`https://api.talkjs.com/v1/{appId}`), is accepted too; one ending
    /// in `/v1/` and another app's id is refused by [`ClientConfig::build`].
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The authentication mode (default: a 30 s app token per request).
    pub fn auth(mut self, mode: AuthMode) -> Self {
        self.auth = mode;
        self
    }

    /// Time to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time for one attempt, from sending to the end of the body (default 30 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Time for a whole call, retries included (default 120 s).
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.overall_timeout = timeout;
        self
    }

    /// The `User-Agent` header (default `talkjs-rust/VERSION`).
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// The retry policy for every call (a call can override it).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Allows a plain `http://` base URL for a host that is not loopback.
    /// Off by default, so that a typo never sends the key in clear text.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Pins the API version with TalkJS's `TalkJS-REST-Version` header
    /// (e.g. `"2021-02-09"`); by default the app's configured version applies.
    pub fn rest_version(mut self, version: impl Into<String>) -> Self {
        self.rest_version = Some(version.into());
        self
    }

    /// The largest response body read (default 16 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Checks the configuration and builds the client. Whatever is wrong
    /// (an empty app id or secret key, a bad base URL, a REST version that
    /// cannot be a header) is an [`Error::Config`] saying what.
    pub fn build(self) -> Result<Client, Error> {
        self.checked_build().map_err(|error| match error {
            Error::Config(_) => error,
            Error::Validation { field, rule } => Error::Config(format!("{field} {rule}")),
            other => Error::Config(other.to_string()),
        })
    }

    fn checked_build(self) -> Result<Client, Error> {
        crate::path::check_segment("app id", &self.app_id)?;
        let api_url = self.api_url()?;
        install_default_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent(&self.user_agent)
            .connect_timeout(self.connect_timeout)
            // Every attempt's bound; the transport sets a request's own
            // timeout only when the overall deadline is nearer.
            .timeout(self.attempt_timeout)
            // Idle connections are reused across calls; many in flight each
            // get their own.
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let auth = match self.auth {
            AuthMode::AppToken { lifetime } => {
                let minter = AppTokenMinter::new(self.app_id.as_str(), &self.secret_key)?
                    .lifetime(lifetime)?;
                // Fails here, at configuration time, rather than on a request.
                minter.mint()?;
                Authorizer::minted(minter)
            }
            // Encoded once, here: a key that cannot travel in a header fails
            // at configuration time, not on every request.
            AuthMode::SecretKey => {
                Authorizer::Fixed(crate::authorization::bearer(&self.secret_key)?)
            }
        };
        let rest_version = self
            .rest_version
            .as_deref()
            .map(|v| {
                reqwest::header::HeaderValue::from_str(v)
                    .map_err(|_| Error::validation("rest_version", "must be a valid header value"))
            })
            .transpose()?;
        let transport = transport::Transport::new(
            auth,
            transport::Settings {
                retry: self.retry.clone(),
                connect_timeout: self.connect_timeout,
                attempt_timeout: self.attempt_timeout,
                overall_timeout: self.overall_timeout,
                max_response_bytes: self.max_response_bytes,
                rest_version,
            },
        );
        let raw = crate::raw::Client::new_with_client(&api_url, http, transport);
        Ok(Client::from_parts(raw, self))
    }

    /// `{base_url}/v1/{appId}`, after checking the scheme.
    fn api_url(&self) -> Result<String, Error> {
        let base = origin_of(self.base_url.trim_end_matches('/'), &self.app_id)?;
        let url = reqwest::Url::parse(base)
            .map_err(|e| Error::Config(format!("base URL {base:?} is not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(Error::Config(format!(
                    "base URL {base:?} is plain http to a host that is not loopback: the \
                     secret key would travel in clear text; use https, or \
                     ClientConfig::allow_insecure_http(true) if you really mean it"
                )));
            }
            other => {
                return Err(Error::Config(format!(
                    "base URL {base:?} has scheme {other:?}; expected https"
                )));
            }
        }
        Ok(format!(
            "{base}/v1/{}",
            crate::path::encode_path(&self.app_id)
        ))
    }
}

/// `base` without a trailing `/v1/{app_id}` (the app id as given or
/// percent-encoded): the API URL that TalkJS's documents call the base URL
/// works as well as the origin, where appending `/v1/{appId}` to it again
/// would answer every call with a 404. A base ending in `/v1` or in `/v1/`
/// and another segment is refused: it names another app, or a path the
/// client would put a second `/v1` after.
fn origin_of<'a>(base: &'a str, app_id: &str) -> Result<&'a str, Error> {
    let encoded = crate::path::encode_path(app_id);
    let stripped = [app_id, encoded.as_str()].into_iter().find_map(|id| {
        base.strip_suffix(id)
            .and_then(|rest| rest.strip_suffix("/v1/"))
    });
    if let Some(origin) = stripped {
        return Ok(origin);
    }
    let mut segments = base.rsplit('/');
    let (last, before) = (segments.next(), segments.next());
    if last == Some("v1") || before == Some("v1") {
        return Err(Error::Config(format!(
            "base URL {base:?} ends in a /v1/ path that is not this app's \
             (/v1/{encoded}); give the origin, e.g. https://api.talkjs.com: \
             the client appends /v1/{{appId}} itself"
        )));
    }
    Ok(base)
}

fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Installs the TLS crypto provider this build of the SDK uses as the
/// process default, unless the program already installed one.
///
/// [`ClientConfig::build`] calls it, so a program that only uses this SDK
/// never needs to. Why it exists: the default `rustls-ring` feature turns on
/// reqwest's `rustls-no-provider`, and Cargo unifies features, so every other
/// `reqwest::Client` in the same program then needs a process-wide provider
/// too. Call this before building such a client if it may be built before
/// the first TalkJS client (or choose the `rustls-aws-lc-rs` feature, which
/// brings its own provider at a slower build).
///
/// ```
/// talkjs::install_default_crypto_provider();
/// let other = reqwest::Client::new(); // never panics for want of a provider
/// # let _ = other;
/// ```
pub fn install_default_crypto_provider() {
    #[cfg(feature = "rustls-ring")]
    {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn the_apps_api_url_gives_its_origin_and_another_path_is_refused() {
        let app = "my app";
        for (base, origin) in [
            ("https://api.talkjs.com", "https://api.talkjs.com"),
            ("https://api.talkjs.com/v1/my app", "https://api.talkjs.com"),
            (
                "https://api.talkjs.com/v1/my%20app",
                "https://api.talkjs.com",
            ),
            (
                "https://proxy.example/talkjs/v1/my%20app",
                "https://proxy.example/talkjs",
            ),
            (
                "https://proxy.example/talkjs",
                "https://proxy.example/talkjs",
            ),
        ] {
            assert_eq!(origin_of(base, app).unwrap(), origin, "{base}");
        }
        for base in [
            "https://api.talkjs.com/v1",
            "https://api.talkjs.com/v1/other",
        ] {
            let refused = origin_of(base, app).unwrap_err().to_string();
            assert!(refused.contains("/v1/my%20app"), "{base}: {refused}");
        }
    }
}
