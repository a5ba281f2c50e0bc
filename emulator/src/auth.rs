//! `Authorization` checks: the secret key itself (legacy) or an app token,
//! an HS256 JWT signed with the secret key whose claims are
//! `tokenType: "app"`, `iss: <appId>` and a future `exp`.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

#[derive(Deserialize)]
struct Claims {
    #[serde(rename = "tokenType")]
    token_type: Option<String>,
}

/// `Ok` when the header authorises requests to `app_id`; otherwise the
/// reason, for the 401 body.
pub fn check(header: Option<&[u8]>, app_id: &str, secret_key: &str) -> Result<(), String> {
    let header = header.ok_or("missing Authorization header")?;
    let header = std::str::from_utf8(header).map_err(|_| "Authorization header is not text")?;
    let token = header
        .strip_prefix("Bearer ")
        .ok_or("Authorization must be \"Bearer <secret key or app token>\"")?
        .trim();
    if token.is_empty() {
        return Err("empty bearer token".into());
    }
    if constant_time_eq(token.as_bytes(), secret_key.as_bytes()) {
        return Ok(());
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[app_id]);
    validation.set_required_spec_claims(&["exp", "iss"]);
    // "exp in the future" exactly: no grace period.
    validation.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(secret_key.as_bytes()),
        &validation,
    )
    .map_err(|e| format!("invalid app token: {e}"))?;
    match data.claims.token_type.as_deref() {
        Some("app") => Ok(()),
        other => Err(format!(
            "token must have tokenType \"app\", found {other:?}"
        )),
    }
}

/// Compares without an early exit, so timing does not leak the key.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
