//! Credentials and the client: the app id, the secret key and the API URL
//! from flags or the environment, and the client's pacing.
//!
//! The secret key is read from `TALKJS_SECRET_KEY` or a file
//! (`--secret-key-file`), never from a flag's value (shell history,
//! `ps`), and is only ever handed to the SDK, whose `Debug`, `Display` and
//! errors never show it.

use talkjs::{Client, ClientConfig, RateLimit, SecretString};

use crate::{args::Connection, failure::Failure};

/// The environment variables read.
const APP_ID_ENV: &str = "TALKJS_APP_ID";
const SECRET_KEY_ENV: &str = "TALKJS_SECRET_KEY";
const API_URL_ENV: &str = "TALKJS_API_URL";

/// How a client paces its requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pacing {
    /// A single request or a few: unpaced unless `--rate-limit`.
    Single,
    /// A bulk job: adaptive unless `--rate-limit`.
    Bulk,
}

/// An environment variable, trimmed; `None` when unset or blank.
fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|value| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

impl Connection {
    /// The app id: `--app-id`, else `TALKJS_APP_ID`.
    pub fn app_id(&self) -> Result<String, Failure> {
        self.app_id
            .clone()
            .or_else(|| env(APP_ID_ENV))
            .ok_or_else(|| {
                Failure::config(format!(
                    "no app id: set {APP_ID_ENV} or pass --app-id ID (TalkJS dashboard, Settings)"
                ))
            })
    }

    /// The secret key: the file of `--secret-key-file`, else
    /// `TALKJS_SECRET_KEY`.
    pub fn secret_key(&self) -> Result<SecretString, Failure> {
        if let Some(path) = &self.secret_key_file {
            // The file's contents never reach a message: only its path and
            // the I/O error do.
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::config(format!(
                    "cannot read the secret key file {}: {e}",
                    path.display()
                ))
            })?;
            // Trimmed: a key file usually ends in a newline, and one saved
            // by some Windows editors starts with a byte order mark.
            let key = text.trim_start_matches('\u{feff}').trim();
            if key.is_empty() {
                return Err(Failure::config(format!(
                    "the secret key file {} is empty: put the app's secret key in it (TalkJS \
                     dashboard, Settings)",
                    path.display()
                )));
            }
            return Ok(SecretString::from(key.to_owned()));
        }
        env(SECRET_KEY_ENV).map(SecretString::from).ok_or_else(|| {
            Failure::config(format!(
                "no secret key: set {SECRET_KEY_ENV} or pass --secret-key-file PATH (a file \
                 holding only the key); no flag takes the key itself, so that it stays out of \
                 shell history"
            ))
        })
    }

    /// A client of the app, paced as `pacing` says unless `--rate-limit`
    /// is given. Plain `http://` is refused for hosts other than loopback
    /// by the SDK's own check.
    pub fn client(&self, pacing: Pacing) -> Result<Client, Failure> {
        use talkjs::ExposeSecret;
        let app_id = self.app_id()?;
        let secret = self.secret_key()?;
        let mut config = ClientConfig::new(app_id, secret.expose_secret());
        if let Some(url) = self.api_url.clone().or_else(|| env(API_URL_ENV)) {
            config = config.base_url(url);
        }
        let limit = match (self.rate_limit, pacing) {
            (Some(rate), _) => RateLimit::fixed(rate, self.burst.unwrap_or(rate)),
            (None, Pacing::Bulk) => RateLimit::adaptive(),
            (None, Pacing::Single) => RateLimit::Off,
        };
        config
            .rate_limit(limit)
            .user_agent(concat!("talkjs-cli/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| match e {
                // The SDK's own advice names a library setting; on the
                // command line there is no opting in to plain http.
                talkjs::ConfigError::InsecureUrl(_) => Failure::config(format!(
                    "the API URL (--api-url or {API_URL_ENV}) is plain http to a host that is \
                     not loopback: the credentials would travel in clear text; use https:// \
                     (plain http is taken only for loopback: 127.0.0.1, ::1 or localhost, e.g. a local emulator)"
                )),
                other => Failure::config(format!(
                    "{other} (the URL comes from --api-url or {API_URL_ENV})"
                )),
            })
    }
}
