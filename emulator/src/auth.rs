//! `Authorization` checks: the secret key itself (legacy) or an app token,
//! an HS256 JWT signed with the secret key whose claims are
//! `tokenType: "app"`, `iss: <appId>` and a future `exp`.
//!
//! Verified app tokens are remembered (token -> `exp`) so that a client
//! reusing a token pays the signature check once; a remembered token is
//! still refused from the second its `exp` has passed.
//!
//! The JWT itself is checked by [`jwt`], written by hand on `hmac`/`sha2`
//! (see there why not `jsonwebtoken`).

mod jwt;

use std::collections::HashMap;
use std::sync::Mutex;

use crate::ids::now_ms;

/// An HS256 JWT of `claims` signed with `secret_key`, under the header
/// TalkJS's tokens carry (`{"typ":"JWT","alg":"HS256"}`): for a client under
/// test that mints no tokens of its own (curl, another language), and for
/// tests of the emulator's token rules (`claims` need not be valid ones).
///
/// ```
/// let exp = 4_102_444_800u64; // 2100-01-01
/// let claims = serde_json::json!({"tokenType": "app", "iss": "my_app", "exp": exp});
/// let token = talkjs_emulator::hs256_token(&claims, "sk_test_secret");
/// assert_eq!(token.split('.').count(), 3);
/// ```
pub fn hs256_token(claims: &serde_json::Value, secret_key: &str) -> String {
    jwt::sign(
        r#"{"typ":"JWT","alg":"HS256"}"#,
        &claims.to_string(),
        secret_key.as_bytes(),
    )
}

/// Most verified tokens remembered; the cache is emptied when full (a
/// client minting a token per request just misses, at no extra cost).
const CACHE_CAPACITY: usize = 4096;

/// Checks `Authorization` headers for one app.
pub struct Verifier {
    secret_key: String,
    jwt: jwt::Hs256,
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
        Verifier {
            secret_key: secret_key.to_owned(),
            jwt: jwt::Hs256::new(app_id, secret_key),
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
            // Same rule as a fresh check (no leeway): valid while exp >= now.
            return if exp >= now_secs() {
                Ok(())
            } else {
                Err("invalid app token: ExpiredSignature".into())
            };
        }
        let claims = self
            .jwt
            .verify(token, now_secs())
            .map_err(|e| format!("invalid app token: {e}"))?;
        match claims.token_type.as_deref() {
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
        // `exp` as the check read it (a decimal rounded to the nearest
        // second, as jsonwebtoken 11 did), so a remembered token expires
        // exactly when a fresh check would refuse it.
        cache.insert(token.into(), claims.exp);
        Ok(())
    }
}

/// Compares without an early exit, so timing does not leak the key.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{KeyInit, Mac};
    use serde_json::json;

    use super::*;

    /// An HS256 token signed with "sk", as jsonwebtoken's `encode` made
    /// them (same header, same bytes).
    fn token(claims: serde_json::Value) -> String {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let message = format!(
            "{}.{}",
            b64(br#"{"typ":"JWT","alg":"HS256"}"#),
            b64(claims.to_string().as_bytes())
        );
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"sk").expect("any key length");
        mac.update(message.as_bytes());
        format!("{message}.{}", b64(&mac.finalize().into_bytes()))
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

    /// A decimal `exp` is accepted (rounded for the check, as jsonwebtoken
    /// 11 did); the cache remembers it rounded the same way. A decimal `exp` in the
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

    /// The 401 reasons, in jsonwebtoken's words as before.
    #[test]
    fn refusals_are_worded_as_before() {
        let v = Verifier::new("app", "sk");
        let reason = |t: &str| v.check(Some(&bearer(t))).unwrap_err();
        let exp = now_secs() + 60;
        assert_eq!(
            reason(&token(
                json!({"tokenType": "app", "iss": "app", "exp": now_secs() - 1})
            )),
            "invalid app token: ExpiredSignature"
        );
        assert_eq!(
            reason(&token(
                json!({"tokenType": "app", "iss": "other", "exp": exp})
            )),
            "invalid app token: InvalidIssuer"
        );
        assert_eq!(
            reason(&token(json!({"tokenType": "app", "exp": exp}))),
            "invalid app token: Missing required claim: iss"
        );
        assert!(
            reason(&token(json!({"tokenType": "app", "iss": "app"})))
                .starts_with("invalid app token: JSON error: missing field `exp`")
        );
        assert_eq!(
            reason(&token(
                json!({"tokenType": "user", "iss": "app", "exp": exp})
            )),
            "token must have tokenType \"app\", found Some(\"user\")"
        );
        assert_eq!(
            reason(&token(json!({"iss": "app", "exp": exp}))),
            "token must have tokenType \"app\", found None"
        );
        let good = token(json!({"tokenType": "app", "iss": "app", "exp": exp}));
        let (message, _) = good.rsplit_once('.').unwrap();
        assert_eq!(
            reason(&format!("{message}.AAAA")),
            "invalid app token: InvalidSignature"
        );
        assert_eq!(reason("a.b"), "invalid app token: InvalidToken");
        assert!(reason("not.a.jwt").starts_with("invalid app token: Base64 error: "));
        assert!(v.verified.lock().unwrap().is_empty());
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
