//! The SDK's integration tests, one module per area: a test is where a
//! reader looking for its feature would look, whether it checks the exact
//! requests on the wire (a loopback mock server, helpers in `wire`) or the
//! behaviour against the emulator (helpers in `fixtures`).
//!
//! Separate binaries hold only tests that need a process of their own
//! (each says why): `from_env` and `proxy` set environment variables,
//! `logs` captures the SDK's log lines, `tls` needs the SDK to install its
//! TLS crypto provider first, and `soak` loads the machine for seconds.
//! `spec_evolution` (ignored: it builds scratch crates) and `schemars` (its
//! feature) are run on their own by `.ci/run`.

// Helpers shared with the other test binaries.
#[path = "../common/mod.rs"]
mod common;
// Helpers of this binary.
mod fixtures;
mod wire;

mod anonymise;
mod app_metadata;
mod batch;
mod build_errors;
mod bulk;
mod config;
mod conversations;
mod errors;
mod files;
mod ids;
mod import;
mod legacy_paths;
mod messages;
mod notifications;
mod pagination;
mod participants;
mod presences;
mod rate_limit;
mod retries;
mod secrets;
mod spec_patches;
mod timeouts;
mod tokens;
mod users;
mod webhooks;
