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
    /// The client configuration is unusable (bad base URL, plain http to a
    /// non-loopback host, missing environment variable, empty secret key,
    /// ...): the message says what.
    #[error("invalid configuration: {0}")]
    Invalid(String),
    /// A token could not be minted or signed (empty app id, user id or key,
    /// zero lifetime, a clock before 1970).
    #[error("cannot mint a token: {0}")]
    Token(String),
}
