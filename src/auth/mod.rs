//! Credentials: the `Authorization` header of every request, the tokens a
//! program mints for itself and its frontend, and webhook verification.

pub(crate) mod authorization;
pub(crate) mod hmac_sha256;
mod signing;
pub mod tokens;
pub mod webhooks;
