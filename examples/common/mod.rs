//! What every example shares: connect to TalkJS when the environment says
//! so, otherwise to an in-process emulator. Not an example itself (Cargo
//! only builds `examples/*.rs` and `examples/*/main.rs` as examples).

use std::time::Duration;

use talkjs::{Client, ClientConfig};

/// The real service when `TALKJS_APP_ID` is set (with `TALKJS_SECRET_KEY`
/// and optionally `TALKJS_API_URL`), otherwise an in-process emulator.
///
/// Keep the returned emulator alive for as long as the client is used: it
/// stops when dropped.
pub async fn connect()
-> Result<(Client, Option<talkjs_emulator::Emulator>), Box<dyn std::error::Error>> {
    if std::env::var_os("TALKJS_APP_ID").is_some() {
        let config = ClientConfig::from_env()?;
        println!(
            "Using TalkJS at {} (from the environment)",
            std::env::var("TALKJS_API_URL").unwrap_or_else(|_| talkjs::DEFAULT_BASE_URL.into())
        );
        return Ok((config.build()?, None));
    }
    // The emulator, like TalkJS, accepts one batch per second.
    let emulator = talkjs_emulator::Emulator::start(talkjs_emulator::EmulatorConfig::new()).await?;
    println!(
        "No TALKJS_APP_ID set: using the local emulator at {} (app {})",
        emulator.base_url(),
        emulator.app_id()
    );
    let client = ClientConfig::new(emulator.app_id(), emulator.secret_key())
        .base_url(emulator.base_url())
        .attempt_timeout(Duration::from_secs(10))
        .build()?;
    Ok((client, Some(emulator)))
}

/// Prints a step's title.
pub fn step(title: &str) {
    println!("\n== {title}");
}
