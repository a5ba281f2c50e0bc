//! Rust SDK for the [TalkJS REST API](https://talkjs.com/docs/Reference/REST_API/).
//!
//! Two layers:
//! - [`raw`]: a client generated at build time from the bundled OpenAPI spec
//!   (with the corrections in `patches/`), covering every operation;
//! - [`Client`]: a thin hand-written layer over it that adds what the spec
//!   lacks: file upload, the deprecated `participants=` paths, validation of
//!   messages before sending, conversation filters, pagination streams,
//!   retries that don't duplicate messages (every send carries idempotency
//!   keys; imports and batches with POSTs are not retried after an ambiguous
//!   failure), tokens and webhooks.
//!
//! ```no_run
//! # async fn demo() -> Result<(), talkjs::Error> {
//! let client = talkjs::Client::from_env()?; // TALKJS_APP_ID, TALKJS_SECRET_KEY
//! let user = client.raw().get_user().user_id("alice").send().await;
//! # let _ = user;
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

mod batch;
mod call;
mod client;
mod config;
mod conversations;
mod error;
mod files;
mod legacy;
pub mod messages;
mod nullable;
pub mod pagination;
pub mod path;
pub mod raw;
mod retry;
pub mod tokens;
mod transport;
mod users;
pub mod validate;
pub mod webhooks;

pub use batch::{BATCH_INTERVAL, BatchOp, BatchOutcome, MAX_BATCH_OPERATIONS};
pub use conversations::{Access, Conversations, Notify, ReadUntil};
pub use legacy::ConversationByParticipants;
pub use messages::{MAX_MESSAGES_PER_REQUEST, Messages};
pub use users::{ConversationFilter, MAX_USERS_PER_REQUEST, UnixMillis, Users};

pub use client::Client;
pub use config::{AuthMode, ClientConfig, DEFAULT_BASE_URL, install_default_crypto_provider};
pub use error::{ApiBody, Error, TimeoutKind, WebhookError};
pub use retry::RetryPolicy;
#[doc(hidden)]
pub use transport::Transport;
