//! Client configuration: who we are, where TalkJS is, how patient to be.

use std::{net::IpAddr, time::Duration};

use secrecy::{ExposeSecret, SecretString};

use crate::{
    Client, ConfigError, Error, RetryPolicy,
    authorization::Authorizer,
    http::transport::{self, Transport},
    tokens::AppTokenMinter,
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
    pub(crate) attempt_timeout: Duration,
    overall_timeout: Duration,
    user_agent: String,
    retry: RetryPolicy,
    allow_insecure_http: bool,
    pub(crate) max_response_bytes: usize,
    rest_version: Option<String>,
    rate_limit: crate::RateLimit,
}

impl std::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("app_id", &shown(&self.app_id))
            .field("secret_key", &"[redacted]")
            .field("base_url", &shown(&redacted_url(&self.base_url)))
            .field("auth", &self.auth)
            .field("connect_timeout", &self.connect_timeout)
            .field("attempt_timeout", &self.attempt_timeout)
            .field("overall_timeout", &self.overall_timeout)
            .field("user_agent", &self.user_agent)
            .field("retry", &self.retry)
            .field("allow_insecure_http", &self.allow_insecure_http)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("rest_version", &self.rest_version)
            .field("rate_limit", &self.rate_limit)
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
            rate_limit: crate::RateLimit::Off,
        }
    }

    /// Reads `TALKJS_APP_ID`, `TALKJS_SECRET_KEY` and, optionally,
    /// `TALKJS_API_URL`, taken as [`ClientConfig::base_url`] takes it: the
    /// origin (`https://api.talkjs.com`) or the app's API URL
    /// (`https://api.talkjs.com/v1/APP_ID`).
    pub fn from_env() -> Result<Self, ConfigError> {
        // Trimmed: a key read from a mounted secret file often ends in a
        // newline, which would make every call a puzzling 401.
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    ConfigError::Invalid(format!("the environment variable {name} is not set"))
                })
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
    /// (`https://api.talkjs.com/v1/{appId}`), is accepted too: its
    /// `/v1/{appId}` is taken off. Any other path is kept (a proxy's). A
    /// query, a fragment or credentials in it are refused by
    /// [`ClientConfig::build`].
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

    /// Time for a whole public call, retries included (default 120 s). A
    /// call that takes several requests (a send of more than 10 messages,
    /// more than 100 users, a batch of more than 10 operations) is bounded
    /// as a whole, its waits for the batch gate and pacing included; when
    /// it fires part-way the error is [`crate::Error::Partial`] with what
    /// was applied, around
    /// [`crate::Error::Timeout`] with [`crate::TimeoutKind::Overall`].
    pub fn overall_timeout(mut self, timeout: Duration) -> Self {
        self.overall_timeout = timeout;
        self
    }

    /// The pinned API version, if any ([`ClientConfig::rest_version`]).
    pub(crate) fn pinned_rest_version(&self) -> Option<&str> {
        self.rest_version.as_deref()
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
    /// A plain `http://` base URL, loopback or not, is always reached
    /// directly: the proxy variables (`HTTP_PROXY`, `ALL_PROXY`, ...) are
    /// ignored for it, as a proxy would read the credentials. For `https`
    /// they apply, through a `CONNECT` tunnel the proxy cannot read.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// Pins the API version with TalkJS's `TalkJS-REST-Version` header
    /// (e.g. `"2021-02-09"`), and in each batch operation's
    /// `{"api_version": ...}` unless the operation sets its own
    /// ([`crate::BatchOp::api_version`]); by default the app's configured
    /// version applies.
    pub fn rest_version(mut self, version: impl Into<String>) -> Self {
        self.rest_version = Some(version.into());
        self
    }

    /// Paces every request of the client (and its clones) to the app's
    /// rate limit; off by default. See [`crate::RateLimit`].
    pub fn rate_limit(mut self, limit: crate::RateLimit) -> Self {
        self.rate_limit = limit;
        self
    }

    /// The largest response body read (default 16 MiB).
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Checks the configuration and builds the client. Whatever is wrong
    /// (an empty app id or secret key, a bad base URL, a REST version that
    /// cannot be a header) is a [`ConfigError`] saying what.
    pub fn build(self) -> Result<Client, ConfigError> {
        let api_url = self.api_url()?;
        // Parsed once here: typed calls append their paths to it.
        let parsed = reqwest::Url::parse(&api_url)
            .map_err(|e| ConfigError::Invalid(format!("the API URL is not a URL: {e}")))?;
        let transport = self.transport()?;
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
            // TalkJS never redirects; following one would send the request
            // (an import's body, the credentials) to another origin, maybe
            // in clear text. A 3xx is an `Error::Redirect`.
            .redirect(reqwest::redirect::Policy::none());
        // The proxy variables (HTTP_PROXY, ALL_PROXY, ...) apply to https
        // only, where reqwest tunnels through CONNECT and the proxy sees
        // the encrypted stream. Plain http (loopback, or opted in) would
        // hand the proxy the credentials in clear text: it goes direct.
        let plain_http = parsed.scheme() == "http";
        let http = if plain_http { http.no_proxy() } else { http };
        let http = http
            .build()
            .map_err(|e| ConfigError::Invalid(format!("cannot build the HTTP client: {e}")))?;
        let raw = crate::raw::Client::new_with_client(&api_url, http, transport);
        Ok(Client::from_parts(raw, parsed, self))
    }

    /// The [`Transport`] of this configuration: the `inner` value of a
    /// [`crate::raw::Client`] built by hand, for a raw client over your own
    /// `reqwest::Client` (a proxy, other root certificates). It authenticates
    /// every request, retries, and applies the overall timeout and the
    /// response size cap. The `reqwest::Client` is yours: give it the
    /// [`ClientConfig::attempt_timeout`] as its `timeout` (the transport
    /// relies on it for each attempt), a connect timeout and a user agent, and
    /// turn redirects off (TalkJS never redirects; a followed one carries the
    /// request to another origin), as [`ClientConfig::build`] does. Errors as
    /// [`ClientConfig::build`]'s.
    ///
    /// ```
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// let config = talkjs::ClientConfig::new("tPnqHSLr", "sk_test_...");
    /// talkjs::install_default_crypto_provider(); // before any reqwest client (README, TLS)
    /// let http = reqwest::Client::builder()
    ///     .timeout(Duration::from_secs(30))
    ///     .connect_timeout(Duration::from_secs(10))
    ///     .redirect(reqwest::redirect::Policy::none())
    ///     .build()?;
    /// let (api_url, transport) = (config.api_url()?, config.transport()?);
    /// let raw = talkjs::raw::Client::new_with_client(&api_url, http, transport);
    /// let request = raw.get_user().user_id("alice"); // `.send().await` sends it
    /// # let _ = request;
    /// # Ok(()) }
    /// ```
    pub fn transport(&self) -> Result<Transport, ConfigError> {
        // In either mode: an empty key would make every call a 401.
        if self.secret_key.expose_secret().is_empty() {
            return Err(ConfigError::Invalid("the secret key is empty".into()));
        }
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
                reqwest::header::HeaderValue::from_str(v).map_err(|_| {
                    ConfigError::Invalid("rest_version must be a valid header value".into())
                })
            })
            .transpose()?;
        Ok(Transport::new(
            auth,
            transport::Settings {
                retry: self.retry.clone(),
                connect_timeout: self.connect_timeout,
                attempt_timeout: self.attempt_timeout,
                overall_timeout: self.overall_timeout,
                max_response_bytes: self.max_response_bytes,
                rest_version,
                rate_limit: self.rate_limit.clone(),
            },
        ))
    }

    /// The API URL, `{base URL}/v1/{appId}`: the `baseurl` of a
    /// [`crate::raw::Client`] built by hand ([`ClientConfig::transport`]).
    /// The base URL is checked first: https (or http to loopback, or opted
    /// in), no credentials, no query or fragment; this app's own
    /// `/v1/{appId}` at its end is taken off ([`ClientConfig::base_url`]).
    /// Errors as [`ClientConfig::build`]'s.
    pub fn api_url(&self) -> Result<String, ConfigError> {
        // Refused without echoing them: a key in the wrong setting would
        // otherwise reach an error message, a log or a URL.
        if looks_like_secret_key(&self.app_id) {
            return Err(ConfigError::Invalid(
                "the app id looks like a secret key (it holds sk_test_ or sk_live_): the app id \
                 is the short public id on the TalkJS dashboard; are the two swapped?"
                    .into(),
            ));
        }
        if looks_like_secret_key(&self.base_url) {
            return Err(ConfigError::Invalid(
                "the base URL holds what looks like a secret key (sk_test_ or sk_live_): give \
                 the API's origin, e.g. https://api.talkjs.com, and the key as the secret key"
                    .into(),
            ));
        }
        crate::path::check_segment("app id", &self.app_id).map_err(config_error)?;
        // Only ever echoed redacted, parsable or not: the text may carry a
        // password or a query token.
        let given = &redacted_url(&self.base_url);
        let mut url = reqwest::Url::parse(&self.base_url)
            .map_err(|e| ConfigError::Invalid(format!("base URL {given:?} is not a URL: {e}")))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ConfigError::Invalid(format!(
                "base URL {given:?} carries credentials (user:password@): the client \
                 authenticates with the app's secret key; give the URL without them"
            )));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::Invalid(format!(
                "base URL {given:?} has a query or a fragment, which the paths the client \
                 appends would land in; give the origin, e.g. https://api.talkjs.com"
            )));
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_insecure_http || is_loopback(&url) => {}
            "http" => {
                return Err(ConfigError::InsecureUrl(format!(
                    "base URL {given:?} is plain http to a host that is not loopback: the \
                     secret key would travel in clear text; use https, or \
                     ClientConfig::allow_insecure_http(true) if you really mean it"
                )));
            }
            other => {
                return Err(ConfigError::Invalid(format!(
                    "base URL {given:?} has scheme {other:?}; expected https"
                )));
            }
        }
        url.set_path(&base_path(&url, &self.app_id));
        Ok(format!(
            "{}/v1/{}",
            url.as_str().trim_end_matches('/'),
            crate::path::encode_path(&self.app_id)
        ))
    }
}

/// Whether `text` holds a TalkJS secret key, which starts `sk_test_` or
/// `sk_live_` (talkjs.com/docs/Reference/REST_API/Getting_Started/Introduction/):
/// a key given as the app id or in the base URL.
pub(crate) fn looks_like_secret_key(text: &str) -> bool {
    text.contains("sk_test_") || text.contains("sk_live_")
}

/// `text` as `Debug` may show it: redacted when it holds a secret key.
pub(crate) fn shown(text: &str) -> &str {
    if looks_like_secret_key(text) {
        "[redacted: holds a secret key]"
    } else {
        text
    }
}

/// A refused app id as a [`ConfigError`], saying what.
fn config_error(error: Error) -> ConfigError {
    match error {
        Error::Validation { field, rule } => ConfigError::Invalid(format!("{field} {rule}")),
        other => ConfigError::Invalid(other.to_string()),
    }
}

/// The base URL's path, less a trailing `/v1/{app_id}` (`v1` in any case,
/// the id as given or percent-encoded either way): the app's API URL, which
/// TalkJS's documents call the base URL, works as well as the origin, where
/// appending `/v1/{appId}` to it again would answer every call with a 404.
/// Any other path is a proxy's and is kept, even one with a `v1` in it.
fn base_path(url: &reqwest::Url, app_id: &str) -> String {
    let segments: Vec<&str> = url
        .path_segments()
        .into_iter()
        .flatten()
        .filter(|segment| !segment.is_empty())
        .collect();
    let this_app = |segment: &str| {
        percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .is_ok_and(|id| id == app_id)
    };
    let kept = match segments.as_slice() {
        [kept @ .., v1, id] if v1.eq_ignore_ascii_case("v1") && this_app(id) => kept,
        all => all,
    };
    format!("/{}", kept.join("/"))
}

/// `url` with its userinfo (`user:password@`), its query values and its
/// fragment replaced, for messages and `Debug`. Works on the text, so that a
/// URL that does not parse (`https://user:PASSWORD@exa mple.com`) is
/// redacted as well as one that does: the userinfo is whatever precedes the
/// last `@` of the authority (after `://`, up to the first `/`, `?` or `#`).
pub(crate) fn redacted_url(url: &str) -> String {
    const REDACTED: &str = "[redacted]";
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, _)) => (rest, Some(REDACTED)),
        None => (url, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((rest, query)) => (rest, Some(query)),
        None => (rest, None),
    };
    let start = rest.find("://").map_or(0, |i| i + 3);
    let end = rest[start..].find('/').map_or(rest.len(), |i| start + i);
    let mut out = String::with_capacity(url.len());
    match rest[start..end].rfind('@') {
        Some(at) => {
            out.push_str(&rest[..start]);
            out.push_str(REDACTED);
            out.push_str(&rest[start + at..]);
        }
        None => out.push_str(rest),
    }
    if let Some(query) = query {
        out.push('?');
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((key, _)) => format!("{key}={REDACTED}"),
                None if pair.is_empty() => String::new(),
                None => REDACTED.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
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
    // rustls 0.23.48 deprecated its ring provider (no post-quantum key
    // exchange) and offers no ring replacement: the way out it leaves is
    // its aws-lc-rs provider, which the `rustls-aws-lc-rs` feature uses.
    // `rustls-ring` keeps ring for its faster build (README, "Features").
    #[cfg(feature = "rustls-ring")]
    #[allow(deprecated)]
    {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
}

#[cfg(test)]
mod tests {
    use super::{base_path, redacted_url};

    #[test]
    fn the_apps_api_url_loses_its_v1_and_id_and_any_other_path_is_kept() {
        let app = "my app";
        for (base, path) in [
            ("https://api.talkjs.com", "/"),
            ("https://api.talkjs.com/", "/"),
            ("https://api.talkjs.com/v1/my app", "/"),
            ("https://api.talkjs.com/v1/my%20app/", "/"),
            ("https://api.talkjs.com/V1/my%20app", "/"),
            ("https://proxy.example/talkjs/v1/my%20app", "/talkjs"),
            // Proxies' own paths, `v1` or not; another app's id too (the
            // server says 404, not the client).
            ("https://proxy.example/talkjs", "/talkjs"),
            ("https://gateway.example/api/v1", "/api/v1"),
            ("https://gateway.example/v1/talkjs", "/v1/talkjs"),
            ("https://gateway.example/v1", "/v1"),
            ("https://api.talkjs.com/v1/My%20app", "/v1/My%20app"),
        ] {
            let url = reqwest::Url::parse(base).unwrap();
            assert_eq!(base_path(&url, app), path, "{base}");
        }
    }

    #[test]
    fn userinfo_query_values_and_fragments_are_redacted_whether_or_not_the_url_parses() {
        for (given, redacted) in [
            (
                "https://user:hunter2@proxy.example/x",
                "https://[redacted]@proxy.example/x",
            ),
            (
                "https://user:PASSWORD@exa mple.com",
                "https://[redacted]@exa mple.com",
            ),
            // The last `@` of the authority ends the userinfo; one in the
            // path does not.
            ("https://a@b:c@host/p@q", "https://[redacted]@host/p@q"),
            ("user:pw@host", "[redacted]@host"),
            (
                "https://api.talkjs.com/?token=SECRET&x",
                "https://api.talkjs.com/?token=[redacted]&[redacted]",
            ),
            (
                "http s://h/?a=SECRET#frag",
                "http s://h/?a=[redacted]#[redacted]",
            ),
            ("https://api.talkjs.com", "https://api.talkjs.com"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redacted_url(given), redacted, "{given}");
        }
    }
}
