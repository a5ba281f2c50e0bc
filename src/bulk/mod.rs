//! Bulk jobs at the app's rate limit: upserting users, importing history,
//! sending to many conversations, and exporting everything, each over a
//! [`Stream`](futures::Stream) of any length with bounded memory and
//! bounded concurrency, reporting progress as it goes.
//!
//! Pair a bulk job with a paced client ([`crate::RateLimit`]): the job
//! keeps [`Bulk::concurrency`] requests in flight, and the limiter spaces
//! them to the app's limit, so the job runs as fast as TalkJS allows and
//! meets few 429s.
//!
//! A migration in a dozen lines: read a JSONL file of
//! `{"conversation": ..., "message": {...}}` lines, import it with progress,
//! and after a crash run the same program again: the checkpoint file says
//! what is stored, and what TalkJS may or may not have stored is checked by
//! reading the conversation back ([`Bulk::import`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use futures::{StreamExt, stream};
//! use std::io::BufRead;
//! use talkjs::bulk::{FileCheckpoint, ImportItem};
//!
//! let client = talkjs::ClientConfig::from_env()?.rate_limit(talkjs::RateLimit::adaptive()).build()?;
//! let lines = std::io::BufReader::new(std::fs::File::open("history.jsonl")?).lines();
//! let items = stream::iter(lines.map(|line| -> Result<ImportItem, Box<dyn std::error::Error>> {
//!     Ok(serde_json::from_str(&line?)?)
//! }));
//! let items = items.map(|item| item.expect("a valid line")); // or stop at the first bad one
//! let checkpoint = FileCheckpoint::open("history.checkpoint")?;
//! let report = client
//!     .bulk()
//!     .on_progress(|p| eprintln!("{} imported, {} throttled", p.done, p.throttled))
//!     .import(items, &checkpoint)
//!     .await?;
//! assert!(report.failures.is_empty(), "{:?}", report.failures);
//! # Ok(()) }
//! ```

mod checkpoint;
mod chunks;
mod export;
mod fingerprint;
mod import;
mod progress;
mod send;
mod users;

pub use checkpoint::{Checkpoint, CheckpointEvent, FileCheckpoint, MemoryCheckpoint};
pub use export::Exported;
pub use import::ImportItem;
pub use progress::{BulkFailure, BulkProgress, BulkReport};

use crate::Client;

/// Bulk jobs of a client; from [`Client::bulk`].
#[must_use = "a bulk handle does nothing until one of its jobs runs"]
pub struct Bulk<'a> {
    client: &'a Client,
    concurrency: usize,
    total: Option<u64>,
    on_progress: Option<progress::OnProgress<'a>>,
    marker: Option<String>,
    /// `None` until [`Bulk::job`] names it.
    job: Option<String>,
    settle: std::time::Duration,
}

impl std::fmt::Debug for Bulk<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bulk")
            .field("concurrency", &self.concurrency)
            .field("total", &self.total)
            .field("marker", &self.marker)
            .field("job", &self.job)
            .field("settle", &self.settle)
            .finish_non_exhaustive()
    }
}

/// The `custom` key an imported message carries by default
/// ([`Bulk::marker`]).
pub const DEFAULT_MARKER: &str = "talkjsImportKey";

impl Client {
    /// Bulk jobs: [`Bulk::upsert_users`], [`Bulk::import`],
    /// [`Bulk::send`], [`Bulk::export`].
    pub fn bulk(&self) -> Bulk<'_> {
        Bulk {
            client: self,
            concurrency: 8,
            total: None,
            on_progress: None,
            marker: Some(DEFAULT_MARKER.to_owned()),
            job: None,
            settle: std::time::Duration::from_secs(5),
        }
    }
}

impl<'a> Bulk<'a> {
    /// Requests in flight at once (default 8, at least 1). With a rate
    /// limit, a few more than the rate times a request's latency keeps
    /// the limit busy.
    pub fn concurrency(mut self, requests: usize) -> Self {
        self.concurrency = requests.max(1);
        self
    }

    /// The number of items, when known, for [`BulkProgress::total`].
    pub fn total(mut self, items: u64) -> Self {
        self.total = Some(items);
        self
    }

    /// Calls `report` after each request of the job.
    pub fn on_progress(mut self, report: impl FnMut(&BulkProgress) + Send + 'a) -> Self {
        self.on_progress = Some(Box::new(report));
        self
    }

    /// The `custom` key that marks each imported message with its place in
    /// the job and its content (`"{job}/{n}/{fingerprint}"`: the n-th
    /// message of its conversation in the input, and 16 hex digits of a
    /// hash of the message, its attachment token left out since uploading
    /// the same file again gives a new one), so that an import whose
    /// outcome is unknown
    /// can be checked by reading the conversation back; default
    /// [`DEFAULT_MARKER`]. A message whose `custom` already sets this key
    /// (one exported after an earlier import, say) is not imported, and the
    /// value is never replaced: its chunk is reported as an
    /// [`crate::Error::Validation`] naming `custom.{key}`, and the rest of
    /// its conversation as [`crate::Error::NotSent`].
    pub fn marker(mut self, key: impl Into<String>) -> Self {
        self.marker = Some(key.into());
        self
    }

    /// Imports without a marker: an outcome the SDK cannot know is then
    /// reported as such ([`crate::Error::OutcomeUnknown`] in the report's
    /// failures), never guessed.
    pub fn without_marker(mut self) -> Self {
        self.marker = None;
        self
    }

    /// How long an import whose outcome is unknown is left to settle
    /// before the conversation is read back (default 5 s): a request
    /// whose answer timed out may still be applied meanwhile, and reading
    /// too early would send it again.
    pub fn settle(mut self, wait: std::time::Duration) -> Self {
        self.settle = wait;
        self
    }

    /// The job's name: in each import marker (default `"import"`), and in
    /// each default idempotency key of [`Bulk::send`] (default a random
    /// name, new for every send). A run that resumes a job must use the
    /// same name: name a send to make running it again after a crash store
    /// nothing twice. Markers and keys also carry a hash of the message,
    /// so a different message is never taken for another job's; give
    /// distinct imports into the same conversations their own names all
    /// the same, so that a message imported again on purpose is not taken
    /// for the earlier copy.
    pub fn job(mut self, name: impl Into<String>) -> Self {
        self.job = Some(name.into());
        self
    }
}
