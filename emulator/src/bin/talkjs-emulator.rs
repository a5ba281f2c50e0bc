//! `talkjs-emulator --bind 127.0.0.1:8080 --app-id APP --secret-key SK [--admin] [--webhook-url URL]
//! [--request-log N] [--batch-interval-ms MS] [--strict-content-type]
//! [--header-read-timeout-ms MS] [--idle-timeout-ms MS]`:
//! serves the emulator until SIGINT or SIGTERM, then stops cleanly (exit 0).
//! The first stdout line is `listening on http://ADDR`, printed once the
//! port accepts connections, so scripts can find a port chosen with `:0`
//! and need not poll. See the crate's README for running it under a test
//! suite.

use std::io::Write;
use std::process::ExitCode;

use talkjs_emulator::{Emulator, EmulatorConfig};

const USAGE: &str = "usage: talkjs-emulator [--bind ADDR] [--app-id APP] [--secret-key SK] [--admin] [--webhook-url URL] [--request-log N] [--batch-interval-ms MS] [--strict-content-type] [--header-read-timeout-ms MS] [--idle-timeout-ms MS]";

fn parse(args: &[String]) -> Result<EmulatorConfig, String> {
    // The binary is for load tests and scripts: no request log unless asked.
    let mut config = EmulatorConfig::default().request_log_capacity(0);
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        config = match flag.as_str() {
            "--bind" => config.bind(value()?.parse().map_err(|e| format!("--bind: {e}"))?),
            "--app-id" => config.app_id(value()?),
            "--secret-key" => config.secret_key(value()?),
            "--webhook-url" => config.webhook_url(value()?),
            "--request-log" => config.request_log_capacity(
                value()?
                    .parse()
                    .map_err(|e| format!("--request-log: {e}"))?,
            ),
            "--batch-interval-ms" => config.batch_interval(std::time::Duration::from_millis(
                value()?
                    .parse()
                    .map_err(|e| format!("--batch-interval-ms: {e}"))?,
            )),
            "--header-read-timeout-ms" => config.header_read_timeout(millis(flag, &value()?)?),
            "--idle-timeout-ms" => config.idle_timeout(millis(flag, &value()?)?),
            "--admin" => config.admin_routes(true),
            "--strict-content-type" => config.strict_content_type(true),
            // The default since bodiless requests need no Content-Type;
            // still accepted, so scripts that pass it keep working.
            "--lenient-content-type" => config.strict_content_type(false),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        };
    }
    Ok(config)
}

/// A flag's value in milliseconds.
fn millis(flag: &str, value: &str) -> Result<std::time::Duration, String> {
    value
        .parse()
        .map(std::time::Duration::from_millis)
        .map_err(|e| format!("{flag}: {e}"))
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let emulator = match Emulator::start(config).await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("talkjs-emulator: cannot bind: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", emulator.base_url());
    let _ = writeln!(
        out,
        "app id {}, API base {}",
        emulator.app_id(),
        emulator.api_url()
    );
    let _ = out.flush();
    stop_signal().await;
    emulator.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT (Ctrl-C) or, on Unix, SIGTERM: `kill PID` from a test
/// script stops the emulator cleanly (exit status 0), like Ctrl-C.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
