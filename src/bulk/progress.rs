//! What a bulk job reports while it runs and when it ends.

use futures::{Stream, StreamExt};

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
    /// Attempts the client repeated during the job. Counted by the client
    /// (and its clones): another job or call running on it meanwhile
    /// counts here too.
    pub retried: u64,
    /// 429 answers the client got during the job; counted as `retried`.
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

/// How one request of a job ended.
pub(crate) struct Outcome {
    pub(crate) done: u64,
    pub(crate) skipped: u64,
    pub(crate) failure: Option<BulkFailure>,
}

impl Outcome {
    /// `n` items applied.
    pub(crate) fn done(n: u64) -> Self {
        Outcome {
            done: n,
            skipped: 0,
            failure: None,
        }
    }

    /// `n` items left out as already applied.
    pub(crate) fn skipped(n: u64) -> Self {
        Outcome {
            done: 0,
            skipped: n,
            failure: None,
        }
    }

    /// Items not applied.
    pub(crate) fn failed(failure: BulkFailure) -> Self {
        Outcome {
            done: 0,
            skipped: 0,
            failure: Some(failure),
        }
    }
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

    /// Counts each outcome as it comes and reports after it; the first
    /// error ends the job.
    pub(crate) async fn consume<S>(mut self, outcomes: S) -> Result<BulkReport, Error>
    where
        S: Stream<Item = Result<Outcome, Error>>,
    {
        let mut outcomes = std::pin::pin!(outcomes);
        while let Some(outcome) = outcomes.next().await {
            self.update(outcome?);
        }
        // The last report, with the retries and 429s of the last request.
        self.update(Outcome::done(0));
        Ok(self.report)
    }

    fn update(&mut self, outcome: Outcome) {
        let progress = &mut self.report.progress;
        progress.done += outcome.done;
        progress.skipped += outcome.skipped;
        if let Some(failure) = outcome.failure {
            progress.failed += failure.items.len() as u64;
            self.report.failures.push(failure);
        }
        let job = self.client.stats().since(&self.start);
        (progress.retried, progress.throttled) = (job.retries, job.throttled);
        if let Some(report) = &mut self.on_progress {
            report(progress);
        }
    }
}
