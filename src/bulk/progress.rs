//! What a bulk job reports while it runs and when it ends.

use crate::{Client, ClientStats, Error};

/// The caller's progress callback.
pub(crate) type OnProgress<'a> = Box<dyn FnMut(&BulkProgress) + Send + 'a>;

/// How far a bulk job is: after each request, and in its
/// [`BulkReport`].
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkProgress {
    /// Items applied (users upserted, messages imported or sent).
    pub done: u64,
    /// Items not applied because their request failed (see
    /// [`BulkReport::failures`]).
    pub failed: u64,
    /// Items left out as already applied (a checkpoint, or found in the
    /// conversation when its outcome was unknown).
    pub skipped: u64,
    /// Attempts the client repeated during the job.
    pub retried: u64,
    /// 429 answers the client got during the job.
    pub throttled: u64,
    /// All items, when known ([`super::Bulk::total`]).
    pub total: Option<u64>,
}

/// Items of a job that were not applied, and why.
#[non_exhaustive]
#[derive(Debug)]
pub struct BulkFailure {
    /// The conversation, for imports and sends.
    pub conversation_id: Option<String>,
    /// The items: user ids, or the places (0-based, in the input) of a
    /// conversation's messages.
    pub items: Vec<String>,
    /// What failed.
    pub error: Error,
}

/// How a bulk job ended.
#[non_exhaustive]
#[derive(Debug, Default)]
pub struct BulkReport {
    /// The final counts.
    pub progress: BulkProgress,
    /// What was not applied; empty when everything was.
    pub failures: Vec<BulkFailure>,
}

/// A job's running counts and its callback.
pub(crate) struct Tracker<'a> {
    client: &'a Client,
    start: ClientStats,
    pub(crate) report: BulkReport,
    on_progress: Option<OnProgress<'a>>,
}

impl<'a> Tracker<'a> {
    pub(crate) fn new(
        client: &'a Client,
        total: Option<u64>,
        on_progress: Option<OnProgress<'a>>,
    ) -> Self {
        let report = BulkReport {
            progress: BulkProgress {
                total,
                ..Default::default()
            },
            failures: Vec::new(),
        };
        Tracker {
            client,
            start: client.stats(),
            report,
            on_progress,
        }
    }

    /// Counts `done` applied, `skipped` left out, and a failure if any,
    /// then reports.
    pub(crate) fn update(&mut self, done: u64, skipped: u64, failure: Option<BulkFailure>) {
        let progress = &mut self.report.progress;
        progress.done += done;
        progress.skipped += skipped;
        if let Some(failure) = failure {
            progress.failed += failure.items.len() as u64;
            self.report.failures.push(failure);
        }
        let job = self.client.stats().since(&self.start);
        (progress.retried, progress.throttled) = (job.retries, job.throttled);
        if let Some(report) = &mut self.on_progress {
            report(progress);
        }
    }

    pub(crate) fn finish(mut self) -> BulkReport {
        self.update(0, 0, None);
        self.report
    }
}
