//! HS256 JSON Web Token verification for app tokens.
//!
//! Hand-written with `hmac`, `sha2` and `base64` rather than taken from
//! `jsonwebtoken`: jsonwebtoken has no HMAC-only feature, and its
//! `rust_crypto` feature pulls its whole RSA and elliptic-curve stack (about
//! 40 crates, among them `rsa` 0.9 with advisory RUSTSEC-2023-0071, which has
//! no fixed version) into every project that uses the emulator.
//!
//! It accepts and refuses the same tokens as the `jsonwebtoken` 11.1
//! `decode` the emulator used before, with the same validation (HS256
//! only, `iss` the app id, `exp` and `iss` required, no leeway), in the
//! same order, and words refusals the same way. For that, the header and
//! the claims are read with serde types shaped like jsonwebtoken's own
//! (`Header`, `ClaimsForValidation`), so a member of the wrong type
//! refuses a token just where it did before, quirks included (noted
//! below).

use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{KeyInit, Mac};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, de::DeserializeOwned};

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// Why a token is refused. `Display` is jsonwebtoken's wording for the
/// same error.
#[derive(Debug)]
pub(super) enum Error {
    /// Not three `.`-separated segments.
    InvalidToken,
    /// The header's `alg` is a known algorithm other than HS256.
    InvalidAlgorithm,
    /// The MAC does not match.
    InvalidSignature,
    /// `exp` is before now.
    ExpiredSignature,
    /// `iss` is not the app id (nor, as an array, contains it).
    InvalidIssuer,
    /// An `aud` claim is present (none is expected).
    InvalidAudience,
    /// `exp` or `iss` is missing or unusable.
    MissingRequiredClaim(&'static str),
    /// A segment is not unpadded base64url.
    Base64(base64::DecodeError),
    /// The header or the claims are not the JSON expected.
    Json(serde_json::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidToken => f.write_str("InvalidToken"),
            Error::InvalidAlgorithm => f.write_str("InvalidAlgorithm"),
            Error::InvalidSignature => f.write_str("InvalidSignature"),
            Error::ExpiredSignature => f.write_str("ExpiredSignature"),
            Error::InvalidIssuer => f.write_str("InvalidIssuer"),
            Error::InvalidAudience => f.write_str("InvalidAudience"),
            Error::MissingRequiredClaim(claim) => write!(f, "Missing required claim: {claim}"),
            // base64 0.23 words this one longer than the 0.22 that
            // jsonwebtoken used: worded here as 0.22 did.
            Error::Base64(base64::DecodeError::InvalidLastSymbol { offset, symbol, .. }) => {
                write!(
                    f,
                    "Base64 error: Invalid last symbol {symbol}, offset {offset}."
                )
            }
            Error::Base64(e) => write!(f, "Base64 error: {e}"),
            Error::Json(e) => write!(f, "JSON error: {e}"),
        }
    }
}

impl From<base64::DecodeError> for Error {
    fn from(e: base64::DecodeError) -> Self {
        Error::Base64(e)
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::Json(e)
    }
}

/// What a verified token says.
#[derive(Debug, PartialEq)]
pub(super) struct Verified {
    /// The `tokenType` claim.
    pub token_type: Option<String>,
    /// `exp` in Unix seconds, a decimal rounded to the nearest second.
    pub exp: u64,
}

/// Verifies app tokens for one app id and secret key.
pub(super) struct Hs256 {
    /// Keyed with the secret key; cloned for each token.
    mac: HmacSha256,
    app_id: String,
}

impl Hs256 {
    pub(super) fn new(app_id: &str, secret_key: &str) -> Self {
        Hs256 {
            mac: HmacSha256::new_from_slice(secret_key.as_bytes())
                .expect("HMAC accepts any key length"),
            app_id: app_id.to_owned(),
        }
    }

    /// Verifies `token` at `now` (Unix seconds), in jsonwebtoken's order:
    /// shape, header, algorithm, signature, claims, then the validation.
    pub(super) fn verify(&self, token: &str, now: u64) -> Result<Verified, Error> {
        // Split from the right, as jsonwebtoken does: the header is all
        // before the second-last '.', so a token with four segments fails
        // on the header's base64 ('.' is not a base64url symbol).
        let (message, signature) = token.rsplit_once('.').ok_or(Error::InvalidToken)?;
        let (header, payload) = message.rsplit_once('.').ok_or(Error::InvalidToken)?;
        let header: Header = json(&b64(header)?)?;
        if header.alg != Algorithm::HS256 {
            return Err(Error::InvalidAlgorithm);
        }
        let signature = b64(signature)?;
        let mut mac = self.mac.clone();
        mac.update(message.as_bytes());
        // Constant time (and any length refused).
        mac.verify_slice(&signature)
            .map_err(|_| Error::InvalidSignature)?;

        let payload = b64(payload)?;
        // The claims are read twice, as jsonwebtoken did: as the
        // emulator's `Claims`, then as its `ClaimsForValidation`.
        let claims: Claims = json(&payload)?;
        let registered: ClaimsForValidation = json(&payload)?;

        // jsonwebtoken checked its required claims in HashSet order, which
        // varies; both missing is worded here as `exp` missing.
        let TryParse::Parsed(exp) = registered.exp else {
            return Err(Error::MissingRequiredClaim("exp"));
        };
        let TryParse::Parsed(iss) = registered.iss else {
            return Err(Error::MissingRequiredClaim("iss"));
        };
        // No leeway: valid up to and including the second `exp`.
        if exp < now {
            return Err(Error::ExpiredSignature);
        }
        let issued_here = match iss {
            OneOrMany::One(iss) => iss == self.app_id,
            OneOrMany::Many(iss) => iss.contains(&self.app_id),
        };
        if !issued_here {
            return Err(Error::InvalidIssuer);
        }
        // No audience is configured, so any `aud` (even `[]`) is refused.
        if let TryParse::Parsed(_) = registered.aud {
            return Err(Error::InvalidAudience);
        }
        Ok(Verified {
            token_type: claims.token_type,
            exp,
        })
    }
}

/// Unpadded base64url, as jsonwebtoken decodes every segment ('='
/// padding and non-zero trailing bits refused).
fn b64(segment: &str) -> Result<Vec<u8>, base64::DecodeError> {
    URL_SAFE_NO_PAD.decode(segment)
}

fn json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(bytes)
}

/// jsonwebtoken's `Algorithm` (same names, same order, so an unknown
/// `alg` such as `"none"` is refused with the same message).
#[derive(Deserialize, PartialEq)]
#[allow(clippy::upper_case_acronyms)]
enum Algorithm {
    HS256,
    HS384,
    HS512,
    ES256,
    ES384,
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    EdDSA,
}

/// jsonwebtoken's `Header`: only `alg` is used, but every member it names
/// must have its type (`typ` is any string or null, and not checked
/// further); other members may be anything.
#[derive(Deserialize)]
#[allow(dead_code, reason = "read only to check the members' types")]
struct Header {
    typ: Option<String>,
    alg: Algorithm,
    cty: Option<String>,
    jku: Option<String>,
    jwk: Option<Jwk>,
    kid: Option<String>,
    x5u: Option<String>,
    x5c: Option<Vec<String>>,
    x5t: Option<String>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<String>,
    crit: Option<Vec<String>>,
    enc: Option<String>,
    zip: Option<String>,
    url: Option<String>,
    nonce: Option<String>,
    #[serde(flatten)]
    extras: BTreeMap<String, serde_json::Value>,
}

/// jsonwebtoken's `Jwk`: an object whose common parameters are typed; its
/// key parameters end in a catch-all for any object, so any other member
/// is allowed.
#[derive(Deserialize)]
#[allow(dead_code, reason = "read only to check the members' types")]
struct Jwk {
    #[serde(flatten)]
    common: JwkCommon,
    #[serde(flatten)]
    key: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "read only to check the members' types")]
struct JwkCommon {
    #[serde(rename = "use", default)]
    public_key_use: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    alg: Option<KeyAlgorithm>,
    #[serde(default)]
    kid: Option<String>,
    x5u: Option<String>,
    x5c: Option<Vec<String>>,
    x5t: Option<String>,
    #[serde(rename = "x5t#S256")]
    x5t_s256: Option<String>,
}

/// jsonwebtoken's `KeyAlgorithm` takes any name (`#[serde(other)]`) and all
/// its variants are units, so one catch-all variant accepts the same.
#[derive(Deserialize)]
enum KeyAlgorithm {
    #[serde(other)]
    Any,
}

/// The claims the emulator reads (deserialized first, as before: a
/// missing or non-numeric `exp`, or a non-string `tokenType`, is a JSON
/// error).
#[derive(Deserialize)]
struct Claims {
    #[serde(rename = "tokenType")]
    token_type: Option<String>,
    /// Unix seconds; may be a decimal.
    #[allow(dead_code, reason = "read only to check its type")]
    exp: f64,
}

// What follows mirrors jsonwebtoken 11.1's `src/validation.rs` (MIT):
// the registered claims it reads for validation, each kept as "parsed",
// "present but unusable" or "absent". `nbf` and `sub` are not checked
// (no `nbf` validation, no expected subject) but are read as it read them:
// reading one can still refuse a token, e.g. `"nbf": {"a": 1}` or
// `"sub": [1]` leave serde_json mid-value, and the claims fail to parse.

#[derive(Deserialize)]
#[allow(dead_code, reason = "nbf and sub are read, not checked")]
struct ClaimsForValidation {
    #[serde(deserialize_with = "numeric_type", default)]
    exp: TryParse<u64>,
    #[serde(deserialize_with = "numeric_type", default)]
    nbf: TryParse<u64>,
    sub: TryParse<String>,
    iss: TryParse<OneOrMany>,
    aud: TryParse<OneOrMany>,
}

#[derive(Default)]
enum TryParse<T> {
    Parsed(T),
    FailedToParse,
    #[default]
    NotPresent,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for TryParse<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer) {
            Ok(Some(value)) => TryParse::Parsed(value),
            Ok(None) => TryParse::NotPresent,
            Err(_) => TryParse::FailedToParse,
        })
    }
}

/// `iss` or `aud`: a string or an array of strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// `exp`/`nbf`: a non-negative integer, or a finite decimal below
/// `u64::MAX` rounded to the nearest second; anything else is unusable.
fn numeric_type<'de, D: Deserializer<'de>>(deserializer: D) -> Result<TryParse<u64>, D::Error> {
    struct NumericType(PhantomData<fn() -> TryParse<u64>>);

    impl Visitor<'_> for NumericType {
        type Value = TryParse<u64>;

        fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
            formatter.write_str("A NumericType that can be reasonably coerced into a u64")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
            Ok(TryParse::Parsed(value))
        }

        fn visit_f64<E: de::Error>(self, value: f64) -> Result<Self::Value, E> {
            if value.is_finite() && value >= 0.0 && value < (u64::MAX as f64) {
                Ok(TryParse::Parsed(value.round() as u64))
            } else {
                Err(de::Error::custom(
                    "NumericType must be representable as a u64",
                ))
            }
        }
    }

    match deserializer.deserialize_any(NumericType(PhantomData)) {
        Ok(ok) => Ok(ok),
        Err(_) => Ok(TryParse::FailedToParse),
    }
}

/// `header.payload.signature` for the JSON texts `header` and `claims`,
/// the signature an HMAC-SHA256 over the first two with `key`: an HS256
/// JWT, well formed or not as the texts are.
pub(super) fn sign(header: &str, claims: &str, key: &[u8]) -> String {
    let message = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(message.as_bytes());
    format!(
        "{message}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const NOW: u64 = 1_700_000_000;
    const HS256_HEADER: &str = r#"{"typ":"JWT","alg":"HS256"}"#;

    fn enc(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn app_claims() -> serde_json::Value {
        json!({"tokenType": "app", "iss": "app", "exp": NOW + 60})
    }

    fn good() -> String {
        sign(HS256_HEADER, &app_claims().to_string(), b"sk")
    }

    /// The verdict as text: "ok <tokenType> <exp>" or the refusal.
    fn verdict(token: &str) -> String {
        match Hs256::new("app", "sk").verify(token, NOW) {
            Ok(v) => format!("ok {:?} {}", v.token_type, v.exp),
            Err(e) => e.to_string(),
        }
    }

    fn claims_verdict(claims: &str) -> String {
        verdict(&sign(HS256_HEADER, claims, b"sk"))
    }

    fn header_verdict(header: &str) -> String {
        verdict(&sign(header, &app_claims().to_string(), b"sk"))
    }

    #[test]
    fn a_good_token_is_accepted() {
        assert_eq!(verdict(&good()), format!("ok Some(\"app\") {}", NOW + 60));
    }

    #[test]
    fn algorithms_other_than_hs256_are_refused() {
        for alg in ["HS384", "HS512", "RS256", "ES256", "PS512", "EdDSA"] {
            // Signed with HMAC-SHA256 all the same: the header decides.
            let header = format!(r#"{{"typ":"JWT","alg":"{alg}"}}"#);
            assert_eq!(header_verdict(&header), "InvalidAlgorithm", "{alg}");
        }
        for alg in [r#""none""#, r#""hs256""#, r#""""#, "null", "256"] {
            let header = format!(r#"{{"alg":{alg}}}"#);
            let v = header_verdict(&header);
            assert!(v.starts_with("JSON error: "), "{alg}: {v}");
        }
        assert!(header_verdict(r#"{"alg":"none"}"#).contains("unknown variant `none`"));
        // alg "none" with the empty signature such tokens carry.
        let unsigned = format!(
            "{}.{}.",
            enc(br#"{"alg":"none","typ":"JWT"}"#),
            enc(app_claims().to_string().as_bytes())
        );
        assert!(verdict(&unsigned).contains("unknown variant `none`"));
        assert!(header_verdict(r#"{"typ":"JWT"}"#).contains("missing field `alg`"));
    }

    #[test]
    fn header_members_are_typed_as_jsonwebtoken_typed_them() {
        let ok = format!("ok Some(\"app\") {}", NOW + 60);
        for header in [
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"HS256","typ":"anything"}"#,
            r#"{"alg":"HS256","typ":null}"#,
            r#"{"alg":"HS256","custom":[1,{"a":null}]}"#,
            r#"{"alg":"HS256","crit":["exp"],"kid":"k"}"#,
            r#"{"alg":"HS256","jwk":{"kty":"oct","k":"AA","alg":"whatever"}}"#,
            r#"{"alg":{"HS256":null}}"#,
        ] {
            assert_eq!(header_verdict(header), ok, "{header}");
        }
        for header in [
            r#"{"alg":"HS256","typ":1}"#,
            r#"{"alg":"HS256","kid":{}}"#,
            r#"{"alg":"HS256","crit":"exp"}"#,
            r#"{"alg":"HS256","jwk":[]}"#,
            r#"{"alg":"HS256","jwk":{"kid":1}}"#,
            r#"{"alg":"HS256","alg":"HS256"}"#,
            r#"["HS256"]"#,
            "",
            "{}x",
        ] {
            let v = header_verdict(header);
            assert!(v.starts_with("JSON error: "), "{header}: {v}");
        }
    }

    #[test]
    fn signatures_are_checked() {
        let t = good();
        let (message, signature) = t.rsplit_once('.').unwrap();
        let (header, _) = message.rsplit_once('.').unwrap();

        // Another key.
        assert_eq!(
            verdict(&sign(HS256_HEADER, &app_claims().to_string(), b"sk2")),
            "InvalidSignature"
        );
        // Tampered payload: other claims, same signature.
        let other = enc(json!({"tokenType": "app", "iss": "app", "exp": NOW + 6000})
            .to_string()
            .as_bytes());
        assert_eq!(
            verdict(&format!("{header}.{other}.{signature}")),
            "InvalidSignature"
        );
        // Tampered header.
        let header2 = enc(br#"{"alg":"HS256"}"#);
        let payload = message.rsplit_once('.').unwrap().1;
        assert_eq!(
            verdict(&format!("{header2}.{payload}.{signature}")),
            "InvalidSignature"
        );
        // Tampered signature: one symbol changed, truncated, extended, empty.
        let mut flipped = signature.to_owned().into_bytes();
        flipped[3] = if flipped[3] == b'A' { b'B' } else { b'A' };
        let flipped = String::from_utf8(flipped).unwrap();
        for sig in [
            flipped.as_str(),
            &signature[..signature.len() - 3],
            &format!("{signature}AAAA"),
            "",
        ] {
            assert_eq!(verdict(&format!("{message}.{sig}")), "InvalidSignature");
        }
    }

    #[test]
    fn malformed_tokens_are_refused() {
        let t = good();
        let (message, signature) = t.rsplit_once('.').unwrap();
        let (header, payload) = message.rsplit_once('.').unwrap();
        for token in ["", "abc", "a.b", &format!("{header}.{payload}")] {
            assert_eq!(verdict(token), "InvalidToken", "{token}");
        }
        // Four or more segments: the header (all before the second-last
        // '.') holds a '.', which is not base64url.
        for token in [
            format!("{header}.{header}.{payload}.{signature}"),
            format!("{t}.{signature}"),
            "a.b.c.d".to_owned(),
        ] {
            let v = verdict(&token);
            assert!(v.starts_with("Base64 error: "), "{token}: {v}");
        }
        // Not base64url: other alphabets, padding, stray symbols, a
        // length no base64 has, non-zero trailing bits.
        let bad = ["a+b", "a/b", "ab==", "ab=", "!!", "é", "a", "ab c", "AB"];
        assert_eq!(
            verdict(&format!("{header}.{payload}.AB")),
            "Base64 error: Invalid last symbol 66, offset 1.",
            "worded as base64 0.22 (jsonwebtoken's) did"
        );
        for b in bad {
            let v = verdict(&format!("{b}.{payload}.{signature}"));
            assert!(v.starts_with("Base64 error: "), "header {b}: {v}");
            let v = verdict(&format!("{header}.{payload}.{b}"));
            assert!(v.starts_with("Base64 error: "), "signature {b}: {v}");
        }
        // A bad payload is only seen once the signature over it matches.
        let mut mac = HmacSha256::new_from_slice(b"sk").unwrap();
        mac.update(format!("{header}.a+b").as_bytes());
        let sig = enc(&mac.finalize().into_bytes());
        let v = verdict(&format!("{header}.a+b.{sig}"));
        assert!(v.starts_with("Base64 error: "), "{v}");
        assert_eq!(
            verdict(&format!("{header}.a+b.{signature}")),
            "InvalidSignature"
        );
    }

    #[test]
    fn claims_are_validated_as_jsonwebtoken_validated_them() {
        let ok = |exp: u64| format!("ok Some(\"app\") {exp}");
        let cases: &[(serde_json::Value, &str)] = &[
            // exp: no leeway; `exp == now` is still valid.
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW}),
                &ok(NOW),
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW - 1}),
                "ExpiredSignature",
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW as f64 - 0.5}),
                &ok(NOW),
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW as f64 - 0.6}),
                "ExpiredSignature",
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": -5}),
                "Missing required claim: exp",
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": 1e300}),
                "Missing required claim: exp",
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": u64::MAX}),
                &ok(u64::MAX),
            ),
            // iss: required, the app id, or an array holding it.
            (
                json!({"tokenType": "app", "exp": NOW + 60}),
                "Missing required claim: iss",
            ),
            (
                json!({"tokenType": "app", "iss": null, "exp": NOW + 60}),
                "Missing required claim: iss",
            ),
            (
                json!({"tokenType": "app", "iss": 7, "exp": NOW + 60}),
                "Missing required claim: iss",
            ),
            (
                json!({"tokenType": "app", "iss": [7], "exp": NOW + 60}),
                "Missing required claim: iss",
            ),
            (
                json!({"tokenType": "app", "iss": "other", "exp": NOW + 60}),
                "InvalidIssuer",
            ),
            (
                json!({"tokenType": "app", "iss": "App", "exp": NOW + 60}),
                "InvalidIssuer",
            ),
            (
                json!({"tokenType": "app", "iss": [], "exp": NOW + 60}),
                "InvalidIssuer",
            ),
            (
                json!({"tokenType": "app", "iss": ["x", "app"], "exp": NOW + 60}),
                &ok(NOW + 60),
            ),
            // Issuer is checked after expiry.
            (
                json!({"tokenType": "app", "iss": "other", "exp": NOW - 1}),
                "ExpiredSignature",
            ),
            // aud: none expected, so any present one is refused.
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW + 60, "aud": "app"}),
                "InvalidAudience",
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW + 60, "aud": []}),
                "InvalidAudience",
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW + 60, "aud": null}),
                &ok(NOW + 60),
            ),
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW + 60, "aud": 1}),
                &ok(NOW + 60),
            ),
            // nbf, sub and iat are not checked.
            (
                json!({"tokenType": "app", "iss": "app", "exp": NOW + 60, "nbf": NOW + 999, "sub": 1, "iat": "x"}),
                &ok(NOW + 60),
            ),
            // tokenType is the caller's to check.
            (json!({"iss": "app", "exp": NOW + 60}), "ok None 1700000060"),
            (
                json!({"tokenType": "user", "iss": "app", "exp": NOW + 60}),
                "ok Some(\"user\") 1700000060",
            ),
        ];
        for (claims, expected) in cases {
            assert_eq!(claims_verdict(&claims.to_string()), *expected, "{claims}");
        }
        // JSON errors: exp missing or not a number, tokenType not a
        // string, a repeated claim, not an object, and jsonwebtoken's
        // quirk of refusing an `nbf` object or a `sub` array.
        for claims in [
            r#"{"tokenType":"app","iss":"app"}"#,
            r#"{"tokenType":"app","iss":"app","exp":"1800000000"}"#,
            r#"{"tokenType":"app","iss":"app","exp":null}"#,
            r#"{"tokenType":1,"iss":"app","exp":1800000000}"#,
            r#"{"tokenType":"app","iss":"app","exp":1800000000,"exp":1800000000}"#,
            r#"{"tokenType":"app","iss":"app","iss":"app","exp":1800000000}"#,
            r#"{"tokenType":"app","iss":"app","exp":1800000000,"nbf":{"a":1}}"#,
            r#"{"tokenType":"app","iss":"app","exp":1800000000,"sub":[1]}"#,
            r#"["app",1800000000]"#,
            "1800000000",
            "",
            "{",
        ] {
            let v = claims_verdict(claims);
            assert!(v.starts_with("JSON error: "), "{claims}: {v}");
        }
    }

    /// Random mutations of tokens never panic.
    #[test]
    fn no_input_panics() {
        let v = Hs256::new("app", "sk");
        let mut rng = crate::ids::SplitMix64::new(16);
        let symbols = b"AZaz09-_+/=.!\"{}[]:, \\\x00\xff";
        let seeds = [
            good(),
            sign(
                r#"{"alg":"HS256","jwk":{}}"#,
                r#"{"exp":1,"iss":["a"]}"#,
                b"sk",
            ),
            sign(HS256_HEADER, r#"{"exp":1e999}"#, b"sk"),
            "...".to_owned(),
        ];
        for _ in 0..10_000 {
            let mut bytes = seeds[(rng.next_u64() % 4) as usize].clone().into_bytes();
            for _ in 0..=rng.next_u64() % 4 {
                let at = (rng.next_u64() as usize) % (bytes.len() + 1);
                let symbol = symbols[(rng.next_u64() as usize) % symbols.len()];
                match rng.next_u64() % 3 {
                    0 if at < bytes.len() => bytes[at] = symbol,
                    1 if at < bytes.len() => {
                        bytes.remove(at);
                    }
                    _ => bytes.insert(at, symbol),
                }
            }
            let token = String::from_utf8_lossy(&bytes);
            let _ = v.verify(&token, NOW);
            // Signed garbage reaches the claims parsing.
            let _ = v.verify(&sign(HS256_HEADER, &token, b"sk"), NOW);
            let _ = v.verify(&sign(&token, "{}", b"sk"), NOW);
        }
    }
}
