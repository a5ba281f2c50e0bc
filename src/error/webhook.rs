//! The error of a webhook request that fails verification.

/// Why a webhook request was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    /// A required header is absent or not valid ASCII.
    #[error("missing or unreadable header {0}")]
    MissingHeader(&'static str),
    /// The signature does not match the body and timestamp.
    #[error("the signature does not match")]
    BadSignature,
    /// The timestamp is older (or further in the future) than allowed.
    #[error("the timestamp is {age_ms} ms away from now, more than the {max_age_ms} ms allowed")]
    Stale {
        /// Distance between the timestamp and now.
        age_ms: u64,
        /// The configured maximum.
        max_age_ms: u64,
    },
    /// The body is not a webhook payload.
    #[error("malformed payload: {0}")]
    MalformedBody(String),
    /// The verifier's secret key is empty: anyone could sign with it, so
    /// every request is refused.
    #[error("the webhook secret key is empty: every request is refused")]
    EmptySecret,
}
