//! How a command fails: a message that says what to do, and the exit code
//! that tells a script which kind of failure it was.

use std::fmt;

/// The exit codes, documented in `--help` ([`EXIT_CODES_HELP`]) and the
/// README; a script tells the kinds of failure apart by them.
pub mod code {
    /// A check said no (`webhook verify`: the signature does not match).
    pub const CHECK_FAILED: u8 = 1;
    /// TalkJS refused a request, or could not be reached.
    pub const API: u8 = 3;
    /// Part of a job was applied and part was not (the report says which).
    pub const PARTIAL: u8 = 4;
    /// A local input (a file, a line, a flag's value) is unusable; nothing
    /// of it was sent.
    pub const INPUT: u8 = 5;
    /// Credentials or the API URL are missing or refused.
    pub const CONFIG: u8 = 6;
    /// Stopped by Ctrl-C after the current chunk (128 + SIGINT, as shells
    /// report it).
    pub const INTERRUPTED: u8 = 130;
}

/// The exit codes, as `--help` shows them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0    done
  1    a check failed (webhook verify: the signature does not match)
  2    usage error (unknown command or flag, missing argument)
  3    TalkJS refused a request or could not be reached
  4    partial: some items were applied, others not (listed on stderr)
  5    a local input is unusable (file, line, value); nothing of it was sent
  6    credentials or API URL missing or refused
  130  interrupted by Ctrl-C after the current chunk; the message says how to resume

Credentials: TALKJS_APP_ID (or --app-id), TALKJS_SECRET_KEY (or --secret-key-file
PATH; no flag takes the key itself, so it stays out of shell history), and
optionally TALKJS_API_URL (or --api-url).";

/// A failed command.
#[derive(Debug)]
pub struct Failure {
    /// The process's exit code ([`code`]).
    pub code: u8,
    /// What went wrong and what to do about it.
    pub message: String,
}

impl Failure {
    /// A failure of kind `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A local input problem ([`code::INPUT`]).
    pub fn input(message: impl Into<String>) -> Self {
        Failure::new(code::INPUT, message)
    }

    /// Credentials or configuration ([`code::CONFIG`]).
    pub fn config(message: impl Into<String>) -> Self {
        Failure::new(code::CONFIG, message)
    }

    /// Failed writing to the output (stdout or `--out`).
    pub fn output(what: &str, error: std::io::Error) -> Self {
        Failure::input(format!("cannot write {what}: {error}"))
    }

    /// `error` with `context` (what was being done) before it.
    pub fn api(context: &str, error: talkjs::Error) -> Self {
        let mut failure = Failure::from(error);
        failure.message = format!("{context}: {}", failure.message);
        failure
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<talkjs::Error> for Failure {
    fn from(error: talkjs::Error) -> Self {
        use talkjs::Error as E;
        // The SDK's messages never carry the secret key (its tests search
        // every failure's text for it), so they are shown as they are, with
        // what to do next where the SDK's own text does not say it.
        let (code, hint) = match &error {
            E::Validation { .. } | E::Io { .. } => (code::INPUT, ""),
            E::Config(_) => (code::CONFIG, ""),
            E::Partial { .. } => (code::PARTIAL, ""),
            E::RateLimited { .. } => (
                code::API,
                "; TalkJS's rate limit was reached after the retries: wait, or pass a lower \
                 --rate-limit",
            ),
            E::Transport { .. } | E::Timeout { .. } => (
                code::API,
                "; check the network and the API URL (--api-url or TALKJS_API_URL), then run \
                 the command again",
            ),
            _ => (code::API, ""),
        };
        Failure::new(code, format!("{error}{hint}"))
    }
}

impl From<talkjs::ConfigError> for Failure {
    fn from(error: talkjs::ConfigError) -> Self {
        Failure::config(error.to_string())
    }
}
