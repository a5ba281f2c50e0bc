//! Rust SDK for the [TalkJS REST API](https://talkjs.com/docs/Reference/REST_API/).
//!
//! Two layers:
//! - [`raw`]: a client generated at build time from the bundled OpenAPI spec
//!   (with the corrections in `patches/`), covering every operation;
//! - [`Client`]: a thin hand-written layer over it that adds what the spec
//!   lacks: file upload, the deprecated `participants=` paths, validation of
//!   messages before sending, conversation filters, pagination streams,
//!   retries that never duplicate a message, tokens and webhooks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), talkjs::Error> {
//! let client = talkjs::Client::from_env()?; // TALKJS_APP_ID, TALKJS_SECRET_KEY
//! let user = client.raw().get_user().user_id("alice").send().await;
//! # let _ = user;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod client;
mod config;
mod error;
pub mod path;
pub mod raw;
mod retry;
pub mod tokens;
mod transport;
pub mod webhooks;

pub use client::Client;
pub use config::{AuthMode, ClientConfig, DEFAULT_BASE_URL};
pub use error::{ApiBody, Error, TimeoutKind, WebhookError};
pub use retry::RetryPolicy;
pub use transport::Transport;
