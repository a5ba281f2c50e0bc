//! The `Authorization` header of every request.
//!
//! TalkJS recommends a fresh short-lived app token per request. An app
//! token's claims are `tokenType`, `iss`, `iat` and `exp`, with times in whole
//! seconds and no nonce, so every token minted during the same second of the
//! clock is byte for byte the same JWT. The header is therefore minted once
//! per second and reused within it: what goes on the wire is exactly what
//! minting per request sends, without an HMAC, a JSON serialisation and a
//! base64 pass on every call (BENCHMARKS.md).

use std::{
    sync::Mutex,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use crate::{ConfigError, tokens::AppTokenMinter};

/// How the client authenticates: produces the header value for each
/// request.
pub(crate) enum Authorizer {
    /// The same header for every request: the legacy secret key, checked
    /// and encoded once by `ClientConfig::build` (see [`bearer`]).
    Fixed(HeaderValue),
    /// A short-lived app JWT per request, as TalkJS recommends, minted at
    /// most once per second of the clock.
    Minted {
        minter: AppTokenMinter,
        /// The last header minted, while its second of the clock lasts.
        last: Mutex<Option<Cached>>,
    },
}

/// A minted header and the end of the wall clock's second it was minted in,
/// measured on the monotonic clock: checking it costs a comparison with the
/// call's own clock reading, rather than a reading of the wall clock and a
/// conversion to seconds on every request (BENCHMARKS.md). Should the wall
/// clock be stepped, a header is still never reused for longer than the
/// second it was minted in lasts.
pub(crate) struct Cached {
    until: Instant,
    value: HeaderValue,
}

impl Authorizer {
    /// App tokens from `minter`, nothing minted yet.
    pub(crate) fn minted(minter: AppTokenMinter) -> Self {
        Authorizer::Minted {
            minter,
            last: Mutex::new(None),
        }
    }

    /// Whether the tokens are minted (for `Debug`, which names the mode).
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Authorizer::Minted { .. } => "app token (HS256, minted once per second)",
            Authorizer::Fixed(_) => "secret key (legacy)",
        }
    }

    /// The `Authorization` header for a request sent `now` (a reading of
    /// the monotonic clock the caller has just taken).
    ///
    /// Never fails: a minted token's header is ASCII by construction, and
    /// the one thing minting can refuse, a wall clock before 1970, gets a
    /// token minted at 1970 instead, which TalkJS refuses with a 401 that
    /// reaches the caller.
    pub(crate) fn header(&self, now: Instant) -> HeaderValue {
        match self {
            Authorizer::Fixed(value) => value.clone(),
            Authorizer::Minted { minter, last } => {
                // A poisoned lock only means another thread panicked while
                // holding it; the cached header is still whole.
                let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(cached) = last.as_ref()
                    && now < cached.until
                {
                    return cached.value.clone();
                }
                // The monotonic clock first: `until` then falls at or before
                // the wall clock's next second, never after it.
                let minted_at = Instant::now();
                let wall = SystemTime::now();
                let value = minted_header(minter, wall);
                if let Ok(since_epoch) = wall.duration_since(UNIX_EPOCH) {
                    let rest_of_second = Duration::from_secs(1)
                        - Duration::from_nanos(since_epoch.subsec_nanos().into());
                    *last = Some(Cached {
                        until: minted_at + rest_of_second,
                        value: value.clone(),
                    });
                }
                value
            }
        }
    }
}

/// The header of a token minted at `wall` (at 1970 if the clock reads
/// earlier).
fn minted_header(minter: &AppTokenMinter, wall: SystemTime) -> HeaderValue {
    let token = minter.mint_at(wall).or_else(|_| minter.mint_at(UNIX_EPOCH));
    match token.map(|token| bearer(&token)) {
        Ok(Ok(value)) => value,
        // Base64url and dots only: a minted token is always a header value.
        _ => HeaderValue::from_static("Bearer"),
    }
}

/// `Bearer {token}`, marked sensitive so that it stays out of reqwest's and
/// hyper's `Debug` output. A token no header can carry (only a secret key
/// given by the user can be one) is a configuration error.
pub(crate) fn bearer(token: &SecretString) -> Result<HeaderValue, ConfigError> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).map_err(|_| {
            ConfigError::Invalid(
                "the secret key contains characters that cannot be sent in a header".into(),
            )
        })?;
    value.set_sensitive(true);
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minted() -> Authorizer {
        let minter = AppTokenMinter::new("app", &SecretString::from("sk_test_unit")).unwrap();
        Authorizer::minted(minter)
    }

    #[test]
    fn a_reused_header_is_the_token_minting_would_give_now() {
        let authorizer = minted();
        let Authorizer::Minted { minter, .. } = &authorizer else {
            unreachable!()
        };
        // Retried across a second boundary, the two may legitimately differ;
        // within one second they must be equal.
        for _ in 0..3 {
            let before = SystemTime::now();
            let minted = authorizer.header(Instant::now());
            let reused = authorizer.header(Instant::now());
            let fresh = bearer(&minter.mint_at(before).unwrap()).unwrap();
            let after = SystemTime::now();
            let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_secs();
            if secs(before) == secs(after) {
                assert_eq!(minted, fresh);
                assert_eq!(reused, fresh);
                assert!(reused.is_sensitive());
                return;
            }
        }
        panic!("the clock crossed a second boundary three times in a row");
    }

    #[test]
    fn a_cached_header_serves_until_its_second_ends_and_no_longer() {
        let authorizer = minted();
        let Authorizer::Minted { last, .. } = &authorizer else {
            unreachable!()
        };
        let now = Instant::now();
        let cached = HeaderValue::from_static("Bearer cached");
        *last.lock().unwrap() = Some(Cached {
            until: now + Duration::from_millis(500),
            value: cached.clone(),
        });
        assert_eq!(authorizer.header(now), cached);
        assert_eq!(authorizer.header(now + Duration::from_millis(499)), cached);
        assert_ne!(authorizer.header(now + Duration::from_millis(500)), cached);
    }

    #[test]
    fn a_minted_header_is_cached_no_later_than_the_wall_clocks_next_second() {
        let authorizer = minted();
        let Authorizer::Minted { last, .. } = &authorizer else {
            unreachable!()
        };
        authorizer.header(Instant::now());
        let wall = SystemTime::now();
        let now = Instant::now();
        let to_next_second = Duration::from_secs(1)
            - Duration::from_nanos(
                wall.duration_since(UNIX_EPOCH)
                    .unwrap()
                    .subsec_nanos()
                    .into(),
            );
        let until = last.lock().unwrap().as_ref().unwrap().until;
        assert!(
            until <= now + to_next_second,
            "{until:?} > {now:?} + {to_next_second:?}"
        );
    }

    #[test]
    fn a_key_no_header_can_carry_is_a_config_error() {
        assert!(matches!(
            bearer(&SecretString::from("bad\nkey")),
            Err(ConfigError::Invalid(_))
        ));
    }
}
