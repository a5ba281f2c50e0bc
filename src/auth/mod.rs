//! Credentials: the `Authorization` header of every request, the tokens a
//! program mints for itself and its frontend, and webhook verification.

pub(crate) mod authorization;
mod signing;
pub mod tokens;
pub mod webhooks;
