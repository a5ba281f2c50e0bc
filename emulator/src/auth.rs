//! `Authorization` checks: the secret key itself (legacy) or an app token,
//! an HS256 JWT signed with the secret key whose claims are
//! `tokenType: "app"`, `iss: <appId>` and a future `exp`.
//!
//! Verified app tokens are remembered (token -> `exp`) so that a client
//! reusing a token pays the signature check once; a remembered token is
//! still refused from the second its `exp` has passed.

use std::collections::HashMap;
use std::sync::Mutex;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::ids::now_ms;

/// Most verified tokens remembered; the cache is emptied when full (a
/// client minting a token per request just misses, at no extra cost).
const CACHE_CAPACITY: usize = 4096;

#[derive(Deserialize)]
struct Claims {
    #[serde(rename = "tokenType")]
    token_type: Option<String>,
    /// Unix seconds; may be a decimal (see [`Verifier::check`]).
    exp: f64,
}

/// Checks `Authorization` headers for one app.
pub struct Verifier {
    secret_key: String,
    key: DecodingKey,
    validation: Validation,
    /// Verified app tokens and their `exp` (Unix seconds).
    verified: Mutex<HashMap<Box<str>, u64>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The fields are the secret key and tokens signed with it: not shown.
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

/// Unix seconds, the unit of `exp`.
fn now_secs() -> u64 {
    u64::try_from(now_ms() / 1000).unwrap_or(0)
}

impl Verifier {
    /// A verifier for `app_id` and its secret key.
    pub fn new(app_id: &str, secret_key: &str) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[app_id]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        // "exp in the future" exactly: no grace period.
        validation.leeway = 0;
        Verifier {
            secret_key: secret_key.to_owned(),
            key: DecodingKey::from_secret(secret_key.as_bytes()),
            validation,
            verified: Mutex::new(HashMap::new()),
        }
    }

    /// `Ok` when the header authorises requests to this app; otherwise the
    /// reason, for the 401 body.
    pub fn check(&self, header: Option<&[u8]>) -> Result<(), String> {
        let header = header.ok_or("missing Authorization header")?;
        let header = std::str::from_utf8(header).map_err(|_| "Authorization header is not text")?;
        let token = header
            .strip_prefix("Bearer ")
            .ok_or("Authorization must be \"Bearer <secret key or app token>\"")?
            .trim();
        if token.is_empty() {
            return Err("empty bearer token".into());
        }
        if constant_time_eq(token.as_bytes(), self.secret_key.as_bytes()) {
            return Ok(());
        }
        let cached = self
            .verified
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .copied();
        if let Some(exp) = cached {
            // Same rule as jsonwebtoken with no leeway: valid while exp >= now.
            return if exp >= now_secs() {
                Ok(())
            } else {
                Err("invalid app token: ExpiredSignature".into())
            };
        }
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| format!("invalid app token: {e}"))?;
        match data.claims.token_type.as_deref() {
            Some("app") => {}
            other => {
                return Err(format!(
                    "token must have tokenType \"app\", found {other:?}"
                ));
            }
        }
        let mut cache = self.verified.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        // Validation passed, so `exp` is an integer or a finite decimal in
        // 0..u64::MAX: jsonwebtoken 11 reads the claim with `numeric_type`
        // (its validation.rs), which accepts a decimal and checks it
        // rounded to the nearest second. The cache rounds the same way, so
        // a remembered token expires exactly when a fresh check would
        // refuse it.
        cache.insert(token.into(), data.claims.exp.round() as u64);
        Ok(())
    }
}

/// Compares without an early exit, so timing does not leak the key.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use serde_json::json;

    use super::*;

    fn token(claims: serde_json::Value) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(b"sk"),
        )
        .expect("encodes")
    }

    fn bearer(t: &str) -> Vec<u8> {
        format!("Bearer {t}").into_bytes()
    }

    #[test]
    fn a_remembered_token_is_refused_once_expired() {
        let v = Verifier::new("app", "sk");
        let t = token(json!({"tokenType": "app", "iss": "app", "exp": now_secs() + 60}));
        assert_eq!(v.check(Some(&bearer(&t))), Ok(()));
        assert_eq!(v.verified.lock().unwrap().len(), 1);
        // Second use: answered from the cache.
        assert_eq!(v.check(Some(&bearer(&t))), Ok(()));
        // Pretend the clock passed exp.
        *v.verified.lock().unwrap().get_mut(t.as_str()).unwrap() = now_secs() - 1;
        assert!(v.check(Some(&bearer(&t))).is_err());
    }

    /// jsonwebtoken 11 accepts a decimal `exp` (rounding it for its own
    /// check); the cache remembers it rounded the same way. A decimal `exp` in the
    /// past, or one too large for a u64, is refused and not remembered.
    #[test]
    fn a_decimal_exp_is_accepted_and_remembered_rounded_as_jsonwebtoken_does() {
        let v = Verifier::new("app", "sk");
        let exp = now_secs() + 100;
        for (fraction, remembered) in [(0.4, exp), (0.5, exp + 1)] {
            let t = token(json!({"tokenType": "app", "iss": "app", "exp": exp as f64 + fraction}));
            assert_eq!(v.check(Some(&bearer(&t))), Ok(()));
            assert_eq!(
                v.verified.lock().unwrap().get(t.as_str()),
                Some(&remembered),
                "fraction {fraction}"
            );
            assert_eq!(v.check(Some(&bearer(&t))), Ok(()), "from the cache");
        }

        for exp in [now_secs() as f64 - 100.5, 1e300] {
            let t = token(json!({"tokenType": "app", "iss": "app", "exp": exp}));
            assert!(v.check(Some(&bearer(&t))).is_err(), "exp {exp}");
            assert!(v.verified.lock().unwrap().get(t.as_str()).is_none());
        }
    }

    #[test]
    fn refused_tokens_are_not_remembered() {
        let v = Verifier::new("app", "sk");
        for claims in [
            json!({"tokenType": "user", "iss": "app", "exp": now_secs() + 60}),
            json!({"tokenType": "app", "iss": "other", "exp": now_secs() + 60}),
            json!({"tokenType": "app", "iss": "app", "exp": now_secs() - 10}),
        ] {
            let t = token(claims);
            assert!(v.check(Some(&bearer(&t))).is_err());
            assert!(v.check(Some(&bearer(&t))).is_err());
        }
        assert!(v.verified.lock().unwrap().is_empty());
        assert_eq!(v.check(Some(b"Bearer sk")), Ok(()));
        assert!(v.check(Some(b"Bearer sk2")).is_err());
    }
}
