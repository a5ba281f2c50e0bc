//! End-to-end tests of the `talkjs` binary against in-process emulators on
//! 127.0.0.1: each test runs the built binary with the emulator's
//! credentials in its environment and checks its output, its exit code and
//! what the emulator stores.

mod api;
mod bad_input;
mod common;
mod export;
mod import_resume;
mod migration;
mod operator;
