//! The error of a client or a token that cannot be set up.

/// A client configuration or a token that cannot be used; nothing was
/// sent.
///
/// ```
/// let refused = talkjs::ClientConfig::new("app", "").build();
/// assert!(matches!(refused, Err(talkjs::ConfigError::Invalid(_))));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The client configuration is unusable (bad base URL, missing
    /// environment variable, empty secret key, ...): the message says what.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// The base URL is plain `http://` to a host that is not loopback, so
    /// the credentials would travel in clear text; the message (which
    /// shows the URL redacted) says how to opt in, if that is really meant
    /// ([`crate::ClientConfig::allow_insecure_http`]). A variant of its
    /// own so that a program (a command-line tool, say) can give its own
    /// advice without reading the message.
    #[error("invalid configuration: {0}")]
    InsecureUrl(String),
    /// A token could not be minted or signed (empty app id, user id or key,
    /// zero lifetime, a clock before 1970).
    #[error("cannot mint a token: {0}")]
    Token(String),
}
