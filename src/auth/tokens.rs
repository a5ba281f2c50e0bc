//! Tokens: app tokens for the REST API, user tokens for the frontend, legacy signatures.
//!
//! * [`AppTokenMinter`] / [`app_token`]: the short-lived "app-scoped" JWT that
//!   TalkJS recommends for every REST call (`Authorization: Bearer <jwt>`).
//! * [`UserToken`]: the JWT a frontend passes to the TalkJS SDKs to prove who
//!   the user is.
//! * [`identity_signature`]: the legacy identity verification signature.
//!
//! All JWTs are HS256, signed with the app's secret key, with the header
//! `{"alg":"HS256","typ":"JWT"}`. They are assembled here with the SDK's own
//! HMAC-SHA256 (`hmac_sha256.rs`) rather than through `jsonwebtoken::encode`:
//! that avoids a boxed signer and several allocations per token (the client
//! mints one per request) and does not depend on which `jsonwebtoken` crypto
//! provider the final binary selects.
//!
//! Nothing defined here shows the secret key in `Debug` output or errors.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::hmac_sha256::{HmacKey, hex};
use crate::ConfigError;

/// base64url (no padding) of `{"alg":"HS256","typ":"JWT"}`, the one header
/// every token uses; a constant so that it is not re-encoded per token.
const HEADER_B64: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// The lifetime [`AppTokenMinter::new`] uses: TalkJS's documentation suggests
/// about 30 seconds for a token minted per request.
pub const DEFAULT_APP_TOKEN_LIFETIME: Duration = Duration::from_secs(30);

/// Mints app-scoped REST API tokens; build it once, call [`mint`](Self::mint)
/// for every request.
///
/// Claims: `{"tokenType":"app","iss":<app id>,"iat":<now>,"exp":<now + lifetime>}`
/// (Unix seconds). The keyed HMAC state is computed once in [`new`](Self::new),
/// so minting costs two hash compressions plus the claims' bytes.
///
/// ```
/// use talkjs::{ExposeSecret, SecretString};
/// use std::time::Duration;
/// use talkjs::tokens::AppTokenMinter;
///
/// let secret = SecretString::from("sk_test_example");
/// let minter = AppTokenMinter::new("tPvL1XWg", &secret)?
///     .lifetime(Duration::from_secs(60))?;
/// let token = minter.mint()?;
/// let header = format!("Bearer {}", token.expose_secret());
/// assert!(header.starts_with("Bearer eyJ"));
/// // The secret never shows in Debug output.
/// assert!(!format!("{minter:?}").contains("sk_test_example"));
/// # Ok::<(), talkjs::Error>(())
/// ```
#[derive(Clone)]
pub struct AppTokenMinter {
    app_id: String,
    mac: HmacKey,
    lifetime_secs: u64,
}

impl fmt::Debug for AppTokenMinter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppTokenMinter")
            .field("app_id", &crate::config::shown(&self.app_id))
            .field("key", &"[REDACTED]")
            .field("lifetime_secs", &self.lifetime_secs)
            .finish()
    }
}

impl AppTokenMinter {
    /// A minter for `app_id` signing with `secret_key`, with the
    /// [default lifetime](DEFAULT_APP_TOKEN_LIFETIME).
    ///
    /// Fails with [`ConfigError::Token`] when the app id or the key is empty.
    pub fn new(app_id: impl Into<String>, secret_key: &SecretString) -> Result<Self, ConfigError> {
        let app_id = app_id.into();
        if app_id.is_empty() {
            return Err(ConfigError::Token("the app id is empty".into()));
        }
        Ok(AppTokenMinter {
            app_id,
            mac: keyed_mac(secret_key)?,
            lifetime_secs: DEFAULT_APP_TOKEN_LIFETIME.as_secs(),
        })
    }

    /// Sets how long each token stays valid, rounded up to whole seconds
    /// (JWT times are whole seconds). Fails with [`ConfigError::Token`] for zero.
    pub fn lifetime(mut self, lifetime: Duration) -> Result<Self, ConfigError> {
        self.lifetime_secs = whole_secs(lifetime)?;
        Ok(self)
    }

    /// The app id the tokens are issued for (`iss`).
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// Mints a token valid from now for the configured lifetime.
    pub fn mint(&self) -> Result<SecretString, ConfigError> {
        self.mint_at(SystemTime::now())
    }

    /// Mints a token as if the clock read `now` (`iat = now`,
    /// `exp = now + lifetime`). Fails with [`ConfigError::Token`] when `now` is
    /// before 1970.
    pub fn mint_at(&self, now: SystemTime) -> Result<SecretString, ConfigError> {
        let iat = unix_secs(now)?;
        let claims = AppClaims {
            token_type: "app",
            iss: &self.app_id,
            iat,
            exp: iat.saturating_add(self.lifetime_secs),
        };
        sign_jwt(&self.mac, &claims).map(SecretString::from)
    }
}

/// One app-scoped REST API token valid for `lifetime` from now.
///
/// A convenience over [`AppTokenMinter`], which is cheaper when minting many
/// tokens with the same key.
///
/// ```
/// use talkjs::SecretString;
/// use std::time::Duration;
///
/// let secret = SecretString::from("sk_test_example");
/// let token = talkjs::tokens::app_token("tPvL1XWg", &secret, Duration::from_secs(30))?;
/// # Ok::<(), talkjs::Error>(())
/// ```
pub fn app_token(
    app_id: &str,
    secret_key: &SecretString,
    lifetime: Duration,
) -> Result<SecretString, ConfigError> {
    let lifetime_secs = whole_secs(lifetime)?;
    if app_id.is_empty() {
        return Err(ConfigError::Token("the app id is empty".into()));
    }
    let iat = unix_secs(SystemTime::now())?;
    let claims = AppClaims {
        token_type: "app",
        iss: app_id,
        iat,
        exp: iat.saturating_add(lifetime_secs),
    };
    sign_jwt(&keyed_mac(secret_key)?, &claims).map(SecretString::from)
}

/// A user token for the TalkJS frontend SDKs ("authentication" / identity
/// verification with JWTs).
///
/// Claims: `{"tokenType":"user","iss":<app id>,"sub":<user id>,"iat":<now>}`
/// plus `"exp"` when [`expires_in`](Self::expires_in) was called. Without an
/// expiry the token is valid until the secret key is rotated.
///
/// ```
/// use talkjs::SecretString;
/// use std::time::Duration;
/// use talkjs::tokens::UserToken;
///
/// let secret = SecretString::from("sk_test_example");
/// let jwt = UserToken::new("alice")
///     .expires_in(Duration::from_secs(24 * 3600))
///     .sign("tPvL1XWg", &secret)?;
/// assert_eq!(jwt.split('.').count(), 3);
/// # Ok::<(), talkjs::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserToken {
    user_id: String,
    expires_in: Option<Duration>,
}

impl UserToken {
    /// A token for the user `user_id` (`sub`), without expiry.
    pub fn new(user_id: impl Into<String>) -> Self {
        UserToken {
            user_id: user_id.into(),
            expires_in: None,
        }
    }

    /// Adds an `exp` claim `lifetime` after the signing time (rounded up to
    /// whole seconds).
    pub fn expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = Some(lifetime);
        self
    }

    /// Signs the token for `app_id` with `secret_key`, at the current time.
    ///
    /// Fails with [`ConfigError::Token`] when the user id, app id or key is empty,
    /// or the lifetime is zero.
    pub fn sign(&self, app_id: &str, secret_key: &SecretString) -> Result<String, ConfigError> {
        self.sign_at(app_id, secret_key, SystemTime::now())
    }

    /// Like [`sign`](Self::sign), as if the clock read `now`.
    pub fn sign_at(
        &self,
        app_id: &str,
        secret_key: &SecretString,
        now: SystemTime,
    ) -> Result<String, ConfigError> {
        if self.user_id.is_empty() {
            return Err(ConfigError::Token("the user id is empty".into()));
        }
        if app_id.is_empty() {
            return Err(ConfigError::Token("the app id is empty".into()));
        }
        let iat = unix_secs(now)?;
        let exp = match self.expires_in {
            Some(lifetime) => Some(iat.saturating_add(whole_secs(lifetime)?)),
            None => None,
        };
        let claims = UserClaims {
            token_type: "user",
            iss: app_id,
            sub: &self.user_id,
            iat,
            exp,
        };
        sign_jwt(&keyed_mac(secret_key)?, &claims)
    }
}

/// The legacy identity verification signature of `user_id`: lowercase hex
/// HMAC-SHA256 keyed with the secret key.
///
/// TalkJS's own examples show both cases of hex; compare case-insensitively
/// if you check one.
///
/// ```
/// use talkjs::SecretString;
///
/// let secret = SecretString::from("sk_test_example");
/// let sig = talkjs::tokens::identity_signature(&secret, "alice");
/// assert_eq!(sig.len(), 64);
/// assert!(sig.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
/// ```
pub fn identity_signature(secret_key: &SecretString, user_id: &str) -> String {
    // HMAC takes keys of any length (long ones are hashed first), so this
    // cannot fail.
    let mut mac = HmacKey::new(secret_key.expose_secret().as_bytes()).start();
    mac.update(user_id.as_bytes());
    hex(&mac.finalize(), false)
}

#[derive(Serialize)]
struct AppClaims<'a> {
    #[serde(rename = "tokenType")]
    token_type: &'static str,
    iss: &'a str,
    iat: u64,
    exp: u64,
}

#[derive(Serialize)]
struct UserClaims<'a> {
    #[serde(rename = "tokenType")]
    token_type: &'static str,
    iss: &'a str,
    sub: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    exp: Option<u64>,
}

fn keyed_mac(secret_key: &SecretString) -> Result<HmacKey, ConfigError> {
    let key = secret_key.expose_secret().as_bytes();
    if key.is_empty() {
        return Err(ConfigError::Token("the secret key is empty".into()));
    }
    Ok(HmacKey::new(key))
}

fn unix_secs(now: SystemTime) -> Result<u64, ConfigError> {
    now.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| ConfigError::Token("the clock reads a time before 1970".into()))
}

/// A lifetime in whole seconds, rounded up so that a sub-second lifetime does
/// not yield a token that is already expired.
fn whole_secs(lifetime: Duration) -> Result<u64, ConfigError> {
    if lifetime.is_zero() {
        return Err(ConfigError::Token("the token lifetime is zero".into()));
    }
    Ok(lifetime
        .as_secs()
        .saturating_add(u64::from(lifetime.subsec_nanos() > 0)))
}

/// `HEADER_B64 . base64url(claims) . base64url(HMAC-SHA256(key, first two parts))`
/// in one exactly-sized allocation (plus the claims' JSON).
fn sign_jwt(key: &HmacKey, claims: &impl Serialize) -> Result<String, ConfigError> {
    let json = serde_json::to_vec(claims)
        .map_err(|e| ConfigError::Token(format!("cannot serialize the claims: {e}")))?;
    // 32 bytes of HMAC-SHA256 are 43 base64url characters.
    let mut jwt = String::with_capacity(HEADER_B64.len() + 1 + b64url_len(json.len()) + 1 + 43);
    jwt.push_str(HEADER_B64);
    jwt.push('.');
    b64url_push(&mut jwt, &json);
    let mut mac = key.start();
    mac.update(jwt.as_bytes());
    let sig = mac.finalize();
    jwt.push('.');
    b64url_push(&mut jwt, &sig);
    Ok(jwt)
}

const B64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn b64url_len(n: usize) -> usize {
    (n * 4).div_ceil(3)
}

/// Unpadded base64url (RFC 4648 §5), as JWTs use (RFC 7515 §2).
fn b64url_push(out: &mut String, bytes: &[u8]) {
    let mut chunks = bytes.chunks_exact(3);
    for c in &mut chunks {
        let n = (u32::from(c[0]) << 16) | (u32::from(c[1]) << 8) | u32::from(c[2]);
        for shift in [18, 12, 6, 0] {
            out.push(B64URL[(n >> shift) as usize & 63] as char);
        }
    }
    match *chunks.remainder() {
        [a] => {
            let n = u32::from(a) << 16;
            out.push(B64URL[(n >> 18) as usize & 63] as char);
            out.push(B64URL[(n >> 12) as usize & 63] as char);
        }
        [a, b] => {
            let n = (u32::from(a) << 16) | (u32::from(b) << 8);
            out.push(B64URL[(n >> 18) as usize & 63] as char);
            out.push(B64URL[(n >> 12) as usize & 63] as char);
            out.push(B64URL[(n >> 6) as usize & 63] as char);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constant_is_the_documented_header() {
        let mut s = String::new();
        b64url_push(&mut s, br#"{"alg":"HS256","typ":"JWT"}"#);
        assert_eq!(s, HEADER_B64);
    }

    #[test]
    fn b64url_matches_rfc4648_vectors() {
        // RFC 4648 §10 test vectors (unpadded); the alphabet differences of
        // base64url are covered by 0xfb 0xff -> "-_8".
        for (input, want) in [
            (&b""[..], ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
            (&[0xfb, 0xff], "-_8"),
        ] {
            let mut s = String::new();
            b64url_push(&mut s, input);
            assert_eq!(s, want);
            assert_eq!(b64url_len(input.len()), want.len());
        }
    }
}
