//! Rust SDK for the [TalkJS REST API](https://talkjs.com/docs/Reference/REST_API/).
//!
//! Two layers:
//! - [`raw`]: a client generated at build time from the bundled OpenAPI spec
//!   (with the corrections in `patches/`), covering every operation;
//! - [`Client`]: a thin hand-written layer over it that adds what the spec
//!   lacks: file upload, the deprecated `participants=` paths, validation of
//!   messages and participants before sending, conversation filters,
//!   pagination streams,
//!   retries that don't duplicate messages (every send carries idempotency
//!   keys; imports and batches with POSTs are not retried after an ambiguous
//!   failure), tokens and webhooks.
//!
//! # In your program
//!
//! ```no_run
//! # async fn demo() -> Result<(), talkjs::Error> {
//! // TALKJS_APP_ID, TALKJS_SECRET_KEY and, optionally, TALKJS_API_URL.
//! let client = talkjs::Client::from_env()?;
//! let alice = talkjs::types::UserInput::named("Alice");
//! client.users().upsert("alice", alice).await?;
//! # Ok(()) }
//! ```
//!
//! # The tour in short
//!
//! Runs as it stands against the local emulator: the crate
//! `talkjs-emulator`, in this repository's `emulator/` (not published on
//! crates.io: depend on it by path or git, as a dev-dependency). Against
//! TalkJS, build the client with [`Client::from_env`] as above.
//!
//! ```
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::TryStreamExt;
//! use talkjs::{BatchOp, ClientConfig};
//! use talkjs::types::{ConversationInput, SendMessageInput, UserInput};
//!
//! let emulator = talkjs_emulator::Emulator::start(Default::default()).await?;
//! let client = ClientConfig::new(emulator.app_id(), emulator.secret_key())
//!     .base_url(emulator.base_url())
//!     .build()?;
//!
//! for (id, name) in [("alice", "Alice"), ("bob", "Bob")] {
//!     client.users().upsert(id, UserInput::named(name)).await?;
//! }
//! let chat = ConversationInput::with_participants(["alice", "bob"]);
//! client.conversations().upsert("chat", chat).await?;
//!
//! // Every generated input also has a builder, for the fields these
//! // shorthands leave out.
//! let token = client.upload_file("hi.txt", b"hello".to_vec()).mime("text/plain").send().await?;
//! let text = SendMessageInput::user_text("alice", "Hello, Bob");
//! let file = SendMessageInput::user_attachment("alice", token);
//! let ids = client.messages("chat").send(vec![text, file]).await?;
//!
//! // Every message, newest first, across pages of 50.
//! let all: Vec<_> = client.messages("chat").list().limit(50).stream().try_collect().await?;
//! assert_eq!((all.len(), ids.len()), (2, 2));
//!
//! let outcomes = client.batch(vec![BatchOp::get_user("bob")?, BatchOp::get_user("nobody")?]).await?;
//! assert_eq!((outcomes[0].status, outcomes[1].status), (200, 404));
//! # Ok(()) }
//! ```
//!
//! # What is where
//!
//! - Resources, each a handle borrowed from the [`Client`]: [`Client::users`]
//!   ([`Users`]), [`Client::conversations`] ([`Conversations`]: also
//!   participants and read marks), [`Client::messages`] ([`Messages`]: send,
//!   import, list, edit, reactions), [`Client::upload_file`] and
//!   [`Client::upload_path`] ([`Upload`]), [`Client::batch`] ([`BatchOp`]), and
//!   [`Client::conversation_by_participants`] for the deprecated paths;
//!   [`Client::app`] ([`AppMetadata`]) for the app's own metadata.
//!   Conversations also trigger notifications and give a participant's
//!   reply-by-email address; [`Users::presences`] says who is online;
//!   [`Users::anonymise`] ([`Anonymise`]) erases a user's personal data.
//! - [`types`]: the inputs and responses of the calls (the generated
//!   types, with shorthands such as `UserInput::named`), and the SDK's own
//!   argument types ([`Access`], [`Notify`], ...).
//! - [`raw`]: every operation of the spec, builder-style, through
//!   [`Client::raw`], already authenticated and retrying.
//! - [`pagination`]: every list is a [`pagination::List`] builder
//!   (`client.users().list().limit(50)`) ending in `.send()` for one
//!   [`pagination::Page`] (with its next cursor) or `.stream()` for every item.
//! - [`tokens`]: the app tokens the client mints per request, frontend user
//!   tokens ([`tokens::UserToken`], or [`Client::sign_user_token`] with the
//!   client's own key), legacy identity signatures.
//! - [`webhooks`]: signature verification and typed events.
//! - Errors: [`Error`] for a call ([`Error::Validation`] means nothing was
//!   sent, [`Error::Partial`] that a call of several requests stopped
//!   part-way, with what was applied), [`ConfigError`] for a client or
//!   token that cannot be set up, [`WebhookError`] for a refused webhook
//!   request; both convert into [`Error`].
//! - Retries: [`RetryPolicy`], set in [`ClientConfig::retry`] or per call
//!   with [`Client::with_retry`]; with timeouts, user agent and auth mode in
//!   [`ClientConfig`].
//! - [`validate`] and [`path`]: the checks applied before sending.
//!
//! Runnable examples (each against the emulator unless the environment names
//! a TalkJS app): `cargo run --example quickstart` (the whole tour), and one
//! per capability: `files`, `pagination`, `import`, `batch`,
//! `webhook_receiver`. Setup, features and TLS choices:
//! [README](https://github.com/talkjs-rs/talkjs#readme); performance:
//! [BENCHMARKS.md](https://github.com/talkjs-rs/talkjs/blob/main/BENCHMARKS.md).
#![warn(missing_docs)]

// Generated: the raw client, and the everyday types it defines.
pub mod raw;
pub mod types;

// Hand-written: HTTP plumbing, resources, credentials, errors.
mod auth;
pub mod bulk;
mod client;
mod config;
mod error;
mod http;
pub mod path;
mod resources;

pub use auth::{tokens, webhooks};
pub use resources::{pagination, validate};
// Crate-internal short paths (`crate::users::get_user`, ...).
use auth::authorization;
use http::retry;
use resources::{
    anonymise, app, batch, chunked, conversations, files, filters, legacy, messages, notifications,
    presences, users,
};

pub use anonymise::{Anonymise, AnonymiseProgress, AnonymiseReport};
pub use app::AppMetadata;
pub use batch::{BATCH_INTERVAL, BatchOp, BatchOutcome, MAX_BATCH_OPERATIONS};
pub use conversations::{Access, Conversations, Notify, ReadUntil};
pub use files::Upload;
pub use filters::{ConversationOrder, OrderDirection};
pub use legacy::ConversationByParticipants;
pub use messages::{MAX_MESSAGES_PER_REQUEST, Messages};
pub use users::{MAX_USERS_PER_REQUEST, Users};

pub use client::Client;
pub use config::{AuthMode, ClientConfig, DEFAULT_BASE_URL, install_default_crypto_provider};
pub use error::{ApiBody, ConfigError, Error, TimeoutKind, WebhookError};
pub use http::rate_limit::RateLimit;
pub use http::transport::{ClientStats, Transport};
pub use retry::RetryPolicy;
/// The secret types of [`tokens`] and [`webhooks`], so that no direct
/// dependency on `secrecy` is needed to call them.
pub use secrecy::{ExposeSecret, SecretString};
pub use types::UnixMillis;
