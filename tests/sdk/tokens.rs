//! Tokens checked against values computed outside this crate.
//!
//! Every literal below was computed with Python 3's standard library only
//! (`hmac`, `hashlib`, `base64`, `json`), with
//!
//! ```python
//! key = b"sk_test_AbCdEf0123456789"
//! b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
//! def jwt(claims):
//!     h = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
//!     p = b64(json.dumps(claims, separators=(",", ":")).encode())
//!     return h + "." + p + "." + b64(hmac.new(key, (h + "." + p).encode(), hashlib.sha256).digest())
//! ```
//!
//! and, for identity signatures, `hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()`.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use talkjs::ConfigError;
use talkjs::tokens::{AppTokenMinter, UserToken, app_token, identity_signature};
use talkjs::webhooks::WebhookVerifier;

const KEY: &str = "sk_test_AbCdEf0123456789";
const APP_ID: &str = "tAppId123";
/// 2023-11-14T22:13:20Z, the `iat` of the fixed vectors.
const IAT: u64 = 1_700_000_000;

fn key() -> SecretString {
    SecretString::from(KEY)
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

/// A base64url decoder written for the test, independent of the crate's
/// encoder, so a shared bug cannot hide.
fn b64url_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c:?}"),
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for &c in s.as_bytes() {
        acc = (acc << 6) | val(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// The header and payload of a JWT, decoded by hand.
fn parts(jwt: &str) -> (Value, Value) {
    let mut it = jwt.split('.');
    let header = serde_json::from_slice(&b64url_decode(it.next().unwrap())).unwrap();
    let payload = serde_json::from_slice(&b64url_decode(it.next().unwrap())).unwrap();
    assert_eq!(
        it.next().map(|s| b64url_decode(s).len()),
        Some(32),
        "HS256 signature"
    );
    assert!(it.next().is_none());
    (header, payload)
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Verifies signature, `iss` and (when present) `exp` with jsonwebtoken and
/// returns the claims.
fn jwt_decode(jwt: &str, secret: &str, require_exp: bool) -> jsonwebtoken::errors::Result<Value> {
    // Pin the provider so the test does not depend on feature unification.
    let _ = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.install_default();
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[APP_ID]);
    v.leeway = 0;
    if require_exp {
        v.set_required_spec_claims(&["exp", "iss"]);
    } else {
        v.set_required_spec_claims(&["iss"]);
        v.validate_exp = false;
    }
    jsonwebtoken::decode::<Value>(jwt, &DecodingKey::from_secret(secret.as_bytes()), &v)
        .map(|d| d.claims)
}

#[test]
fn identity_signature_matches_python_vectors() {
    // hmac.new(key, b"user_42", hashlib.sha256).hexdigest()
    assert_eq!(
        identity_signature(&key(), "user_42"),
        "fcbef51a2e74eb6c874dff6b6c33bc5d91f5825d5056db1b5588b88ede8fac29"
    );
    // Non-ASCII ids are signed as UTF-8: hmac.new(key, "Zoë".encode(), ...)
    assert_eq!(
        identity_signature(&key(), "Zoë"),
        "16cc88302ba286d1b59d0dfdec85ab74bd4364c979a2bd954ef3635ecbffca98"
    );
}

#[test]
fn app_token_at_fixed_time_matches_python_jwt() {
    // jwt({"tokenType":"app","iss":"tAppId123","iat":1700000000,"exp":1700000030})
    const WANT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlblR5cGUiOiJhcHAiLCJpc3MiOiJ0QXBwSWQxMjMiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDAzMH0.jV6EierNeCHpa3ydHVf63d6w7iAibvtcUHV5j_arduo";
    let minter = AppTokenMinter::new(APP_ID, &key()).unwrap();
    // The default lifetime is the documented ~30 s.
    assert_eq!(minter.mint_at(at(IAT)).unwrap().expose_secret(), WANT);
    // Sub-second parts of "now" are truncated, as JWT times are whole seconds.
    let almost = at(IAT) + Duration::from_millis(999);
    assert_eq!(minter.mint_at(almost).unwrap().expose_secret(), WANT);
}

#[test]
fn user_tokens_at_fixed_time_match_python_jwts() {
    // jwt({"tokenType":"user","iss":"tAppId123","sub":"user_42","iat":1700000000,"exp":1700086400})
    const WITH_EXP: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlblR5cGUiOiJ1c2VyIiwiaXNzIjoidEFwcElkMTIzIiwic3ViIjoidXNlcl80MiIsImlhdCI6MTcwMDAwMDAwMCwiZXhwIjoxNzAwMDg2NDAwfQ.4uAXlWaiXbwILCdu5a6fXSklJTPHlRhFQUy16YGOQLY";
    // jwt({"tokenType":"user","iss":"tAppId123","sub":"user_42","iat":1700000000})
    const NO_EXP: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlblR5cGUiOiJ1c2VyIiwiaXNzIjoidEFwcElkMTIzIiwic3ViIjoidXNlcl80MiIsImlhdCI6MTcwMDAwMDAwMH0.aDzufm0TZg8_3xqeidMzKZJg7aLU1R8iQ8molxAY8oo";
    let day = Duration::from_secs(86_400);
    let with_exp = UserToken::new("user_42").expires_in(day);
    assert_eq!(with_exp.sign_at(APP_ID, &key(), at(IAT)).unwrap(), WITH_EXP);
    let no_exp = UserToken::new("user_42");
    assert_eq!(no_exp.sign_at(APP_ID, &key(), at(IAT)).unwrap(), NO_EXP);
}

#[test]
fn app_token_now_has_every_claim_and_verifies() {
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let token = app_token(APP_ID, &key(), Duration::from_secs(45)).unwrap();
    let after = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let jwt = token.expose_secret();

    let (header, payload) = parts(jwt);
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(
        keys(&payload),
        BTreeSet::from(["tokenType", "iss", "iat", "exp"])
    );
    assert_eq!(payload["tokenType"], "app");
    assert_eq!(payload["iss"], APP_ID);
    let iat = payload["iat"].as_u64().unwrap();
    assert!(
        (before..=after).contains(&iat),
        "iat {iat} not in {before}..={after}"
    );
    assert_eq!(payload["exp"].as_u64().unwrap(), iat + 45);

    let claims = jwt_decode(jwt, KEY, true).expect("jsonwebtoken accepts the token");
    assert_eq!(claims, payload);
}

#[test]
fn minter_tokens_verify_and_use_the_configured_lifetime() {
    let minter = AppTokenMinter::new(APP_ID, &key())
        .unwrap()
        .lifetime(Duration::from_secs(120))
        .unwrap();
    assert_eq!(minter.app_id(), APP_ID);
    let token = minter.mint().unwrap();
    let claims = jwt_decode(token.expose_secret(), KEY, true).unwrap();
    assert_eq!(claims["tokenType"], "app");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        120
    );
}

#[test]
fn tokens_signed_with_another_key_are_rejected() {
    let token = app_token(APP_ID, &key(), Duration::from_secs(30)).unwrap();
    assert!(jwt_decode(token.expose_secret(), "sk_test_other", true).is_err());
}

#[test]
fn expired_app_token_is_rejected_by_a_verifier() {
    // Minted "two minutes ago" with a 30 s lifetime: exp is in the past.
    let minter = AppTokenMinter::new(APP_ID, &key()).unwrap();
    let old = SystemTime::now() - Duration::from_secs(120);
    let err = jwt_decode(minter.mint_at(old).unwrap().expose_secret(), KEY, true).unwrap_err();
    assert_eq!(
        err.kind(),
        &jsonwebtoken::errors::ErrorKind::ExpiredSignature
    );
}

#[test]
fn user_token_claims_with_and_without_expiry() {
    let jwt = UserToken::new("alice")
        .expires_in(Duration::from_secs(3600))
        .sign(APP_ID, &key())
        .unwrap();
    let (header, payload) = parts(&jwt);
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    assert_eq!(
        keys(&payload),
        BTreeSet::from(["tokenType", "iss", "sub", "iat", "exp"])
    );
    assert_eq!(payload["tokenType"], "user");
    assert_eq!(payload["iss"], APP_ID);
    assert_eq!(payload["sub"], "alice");
    assert_eq!(
        payload["exp"].as_u64().unwrap(),
        payload["iat"].as_u64().unwrap() + 3600
    );
    assert_eq!(jwt_decode(&jwt, KEY, true).unwrap(), payload);

    let jwt = UserToken::new("alice").sign(APP_ID, &key()).unwrap();
    let (_, payload) = parts(&jwt);
    // No expiry requested: no `exp` claim at all (not `null`).
    assert_eq!(
        keys(&payload),
        BTreeSet::from(["tokenType", "iss", "sub", "iat"])
    );
    assert_eq!(jwt_decode(&jwt, KEY, false).unwrap(), payload);
}

#[test]
fn lifetimes_round_up_to_whole_seconds_and_zero_is_refused() {
    let minter = AppTokenMinter::new(APP_ID, &key())
        .unwrap()
        .lifetime(Duration::from_millis(1500))
        .unwrap();
    let (_, payload) = parts(minter.mint_at(at(IAT)).unwrap().expose_secret());
    assert_eq!(payload["exp"].as_u64(), Some(IAT + 2));

    let jwt = UserToken::new("u")
        .expires_in(Duration::from_millis(1))
        .sign_at(APP_ID, &key(), at(IAT))
        .unwrap();
    assert_eq!(parts(&jwt).1["exp"].as_u64(), Some(IAT + 1));

    assert!(matches!(
        AppTokenMinter::new(APP_ID, &key())
            .unwrap()
            .lifetime(Duration::ZERO),
        Err(ConfigError::Token(_))
    ));
    assert!(matches!(
        app_token(APP_ID, &key(), Duration::ZERO),
        Err(ConfigError::Token(_))
    ));
    assert!(matches!(
        UserToken::new("u")
            .expires_in(Duration::ZERO)
            .sign(APP_ID, &key()),
        Err(ConfigError::Token(_))
    ));
}

#[test]
fn empty_inputs_and_pre_1970_clocks_are_token_errors() {
    let empty = SecretString::from("");
    let cases: Vec<Result<(), ConfigError>> = vec![
        AppTokenMinter::new("", &key()).map(drop),
        AppTokenMinter::new(APP_ID, &empty).map(drop),
        app_token("", &key(), Duration::from_secs(30)).map(drop),
        app_token(APP_ID, &empty, Duration::from_secs(30)).map(drop),
        UserToken::new("").sign(APP_ID, &key()).map(drop),
        UserToken::new("u").sign("", &key()).map(drop),
        UserToken::new("u").sign(APP_ID, &empty).map(drop),
        AppTokenMinter::new(APP_ID, &key())
            .unwrap()
            .mint_at(UNIX_EPOCH - Duration::from_secs(1))
            .map(drop),
    ];
    for (i, r) in cases.into_iter().enumerate() {
        match r {
            Err(e @ ConfigError::Token(_)) => assert!(!e.to_string().contains(KEY)),
            other => panic!("case {i}: expected ConfigError::Token, got {other:?}"),
        }
    }
}

#[test]
fn debug_output_never_shows_the_secret_or_the_token() {
    let minter = AppTokenMinter::new(APP_ID, &key()).unwrap();
    let debug = format!("{minter:?}");
    assert!(!debug.contains(KEY), "{debug}");
    assert!(debug.contains(APP_ID), "{debug}");
    let token = minter.mint().unwrap();
    let shown = format!("{token:?}");
    assert!(!shown.contains(token.expose_secret()), "{shown}");
}

#[test]
fn the_client_signs_user_tokens_and_verifies_webhooks_with_its_own_key() {
    let client = talkjs::ClientConfig::new(APP_ID, KEY)
        .base_url("http://127.0.0.1:9")
        .build()
        .unwrap();
    let jwt = client
        .sign_user_token(&UserToken::new("alice").expires_in(Duration::from_secs(60)))
        .unwrap();
    let claims = jwt_decode(&jwt, KEY, true).unwrap();
    assert_eq!(
        (&claims["iss"], &claims["sub"]),
        (&json!(APP_ID), &json!("alice"))
    );

    let (timestamp, body) = ("1700000000000", br#"{"type":"user.created"}"#);
    let signed = |key: &str| WebhookVerifier::new(SecretString::from(key)).sign(timestamp, body);
    let verifier = client.webhook_verifier();
    verifier
        .verify_signature(timestamp, &signed(KEY), body)
        .unwrap();
    assert!(
        verifier
            .verify_signature(timestamp, &signed("sk_test_other"), body)
            .is_err()
    );
}
