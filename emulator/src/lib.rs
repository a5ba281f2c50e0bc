//! A stateful local emulator of the TalkJS REST API, written from TalkJS's
//! documents (not from any client), so that a client can be tested against
//! it over real loopback HTTP.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use talkjs_emulator::{Emulator, EmulatorConfig, Fault};
//! let emu = Emulator::start(EmulatorConfig::default()).await?;
//! println!("{} with key {}", emu.api_url(), emu.secret_key());
//! emu.inject_fault(Fault::status(503)); // the next request gets a 503
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Choices where TalkJS's documents are silent are documented on the
//! handlers (see the crate's README for a summary).

mod admin;
mod auth;
mod codec;
mod config;
mod ctx;
mod emulator;
mod faults;
mod ids;
mod log;
mod rate_limit;
mod reply;
mod router;
mod routes;
mod server;
mod state;
mod watch;
mod webhook_log;
mod webhooks;

pub use auth::hs256_token;
pub use config::EmulatorConfig;
pub use emulator::Emulator;
pub use faults::{Fault, FaultCounts};
pub use log::RequestRecord;
pub use rate_limit::{RateLimit, RateLimitStats};
pub use server::{FILE_BODY_LIMIT, JSON_BODY_LIMIT};
pub use state::Session;
pub use webhook_log::{WebhookRecord, WebhookStatus};
pub use webhooks::signature as webhook_signature;
