//! Lists longer than one request may carry (10 messages, 100 users) go out
//! as consecutive requests (`slice::chunks`); these are the deadline that
//! bounds all of them and the error for a request that fails part-way.

use std::time::{Duration, Instant};

use progenitor_client::ClientInfo as _;

use crate::{Client, Error, TimeoutKind};

/// The clock of one public call that takes several requests (chunks, batch
/// pacing): the configured overall timeout bounds all of it, not each
/// request on its own.
pub(crate) struct CallDeadline {
    at: Instant,
    after: Duration,
    /// A handle of the client whose requests end by `at`.
    client: Client,
}

impl CallDeadline {
    /// Starts the clock of a call made on `client`.
    pub(crate) fn start(client: &Client) -> Self {
        let after = client.raw.inner().overall_timeout();
        let at = crate::http::transport::deadline_after(Instant::now(), after);
        CallDeadline {
            at,
            after,
            client: client.until(at),
        }
    }

    /// The client to send this call's requests with.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// When the call must end.
    pub(crate) fn at(&self) -> Instant {
        self.at
    }

    /// `Err` (the overall timeout) once the deadline has passed: no further
    /// request of the call may start.
    pub(crate) fn check(&self) -> Result<(), Error> {
        if Instant::now() >= self.at {
            return Err(self.expired());
        }
        Ok(())
    }

    /// The error of a call that ran out of time.
    pub(crate) fn expired(&self) -> Error {
        Error::Timeout {
            which: TimeoutKind::Overall,
            after: self.after,
        }
    }
}

/// Chunk `index` failed after `applied` items (with `ids`, when known) were
/// stored by the chunks before it.
pub(crate) fn partial(index: usize, applied: usize, ids: Vec<String>, source: Error) -> Error {
    if index == 0 {
        return source; // nothing was applied: the plain error says it all
    }
    Error::Partial {
        failed_chunk: index,
        applied,
        applied_ids: ids,
        outcomes: Vec::new(),
        source: Box::new(source),
    }
}
