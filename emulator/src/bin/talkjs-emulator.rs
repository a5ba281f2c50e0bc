//! `talkjs-emulator --bind 127.0.0.1:8080 --app-id APP --secret-key SK [--admin] [--webhook-url URL]
//! [--request-log N] [--batch-interval-ms MS] [--strict-content-type]
//! [--header-read-timeout-ms MS] [--idle-timeout-ms MS]
//! [--rate-limit RATE[/s] [--burst N] [--no-retry-after]]`:
//! serves the emulator until SIGINT or SIGTERM, then stops cleanly (exit 0).
//! The first stdout line is `listening on http://ADDR`, printed once the
//! port accepts connections, so scripts can find a port chosen with `:0`
//! and need not poll. See the crate's README for running it under a test
//! suite.

use std::io::Write;
use std::process::ExitCode;

use talkjs_emulator::{Emulator, EmulatorConfig, RateLimit};

const USAGE: &str = "usage: talkjs-emulator [--bind ADDR] [--app-id APP] [--secret-key SK] [--admin] [--webhook-url URL] [--request-log N] [--batch-interval-ms MS] [--strict-content-type] [--header-read-timeout-ms MS] [--idle-timeout-ms MS] [--rate-limit RATE[/s] [--burst N] [--no-retry-after]]";

fn parse(args: &[String]) -> Result<EmulatorConfig, String> {
    // The binary is for load tests and scripts: no request log unless asked.
    let mut config = EmulatorConfig::default().request_log_capacity(0);
    // The rate limit's flags may come in any order: gathered, then checked.
    let (mut rate, mut burst, mut retry_after) = (None, None, true);
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
            "--rate-limit" => {
                rate = Some(per_second(&value()?)?);
                config
            }
            "--burst" => {
                burst = Some(value()?.parse().map_err(|e| format!("--burst: {e}"))?);
                config
            }
            "--no-retry-after" => {
                retry_after = false;
                config
            }
            "--admin" => config.admin_routes(true),
            "--strict-content-type" => config.strict_content_type(true),
            // The default since bodiless requests need no Content-Type;
            // still accepted, so scripts that pass it keep working.
            "--lenient-content-type" => config.strict_content_type(false),
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        };
    }
    let Some(per_second) = rate else {
        if burst.is_some() || !retry_after {
            return Err("--burst and --no-retry-after need --rate-limit".into());
        }
        return Ok(config);
    };
    // By default the bucket holds one second's worth of requests.
    let burst = burst.unwrap_or_else(|| (per_second.ceil() as u32).max(1));
    if burst == 0 {
        return Err("--burst: must be at least 1".into());
    }
    Ok(config.rate_limit(RateLimit::new(per_second, burst).retry_after(retry_after)))
}

/// `--rate-limit`'s value: requests per second, as `20`, `20/s` or `0.5/s`.
fn per_second(value: &str) -> Result<f64, String> {
    let number = value.strip_suffix("/s").unwrap_or(value);
    match number.parse::<f64>() {
        Ok(rate) if rate.is_finite() && rate > 0.0 => Ok(rate),
        _ => Err(format!(
            "--rate-limit: {value:?} is not a rate above 0 such as 20/s"
        )),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    /// The rate limit as `Debug` shows it: `EmulatorConfig` has no getter.
    fn limit_of(line: &str) -> String {
        let config = parse(&args(line)).unwrap();
        let debug = format!("{config:?}");
        let start = debug.find("rate_limit: ").expect("shown by Debug");
        debug[start..].trim_end_matches(" }").to_owned()
    }

    #[test]
    fn rate_limit_flags() {
        assert_eq!(limit_of("--admin"), "rate_limit: None");
        assert_eq!(
            limit_of("--rate-limit 20/s --burst 10 --no-retry-after"),
            "rate_limit: Some(RateLimit { per_second: 20.0, burst: 10, retry_after: false })"
        );
        // Any order; `/s` optional; the burst defaults to a second's worth.
        assert_eq!(
            limit_of("--no-retry-after --rate-limit 2.5"),
            "rate_limit: Some(RateLimit { per_second: 2.5, burst: 3, retry_after: false })"
        );
        assert_eq!(
            limit_of("--burst 1 --rate-limit 0.5/s"),
            "rate_limit: Some(RateLimit { per_second: 0.5, burst: 1, retry_after: true })"
        );
    }

    #[test]
    fn bad_rate_limit_flags_are_refused() {
        for line in [
            "--rate-limit",
            "--rate-limit 0/s",
            "--rate-limit -1",
            "--rate-limit fast",
            "--rate-limit inf",
            "--rate-limit 20/m",
            "--rate-limit 20 --burst 0",
            "--rate-limit 20 --burst -1",
            "--burst 5",
            "--no-retry-after",
        ] {
            assert!(parse(&args(line)).is_err(), "{line}");
        }
    }
}
