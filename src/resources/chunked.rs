//! Lists longer than one request may carry (10 messages, 100 users) go out
//! as consecutive requests; these are the splitting and the error for a
//! request that fails part-way.

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

/// `items` in consecutive chunks of at most `size`, moved rather than cloned
/// (the common single chunk is `items` itself). Chunks are taken lazily
/// from one iterator, so each item is moved once and each chunk holds only
/// its own capacity.
pub(crate) fn owned_chunks<T>(items: Vec<T>, size: usize) -> impl Iterator<Item = Vec<T>> {
    let size = size.max(1);
    let (mut whole, mut rest) = if items.len() <= size {
        (
            Some(items).filter(|v| !v.is_empty()),
            Vec::new().into_iter(),
        )
    } else {
        (None, items.into_iter())
    };
    std::iter::from_fn(move || {
        whole.take().or_else(|| {
            let chunk: Vec<T> = rest.by_ref().take(size).collect();
            (!chunk.is_empty()).then_some(chunk)
        })
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owned_chunks_keep_every_item_in_order_in_full_chunks() {
        for len in 0..=35usize {
            for size in 1..=12usize {
                let items: Vec<usize> = (0..len).collect();
                let chunks: Vec<Vec<usize>> = owned_chunks(items.clone(), size).collect();
                assert_eq!(chunks.concat(), items, "len {len}, size {size}");
                assert_eq!(chunks.len(), len.div_ceil(size), "len {len}, size {size}");
                let (last, full) = chunks
                    .split_last()
                    .map_or((0, &[][..]), |(l, f)| (l.len(), f));
                assert!(full.iter().all(|c| c.len() == size));
                // No chunk keeps the capacity of what followed it.
                assert!(
                    chunks.iter().all(|c| c.capacity() <= size),
                    "len {len}, size {size}"
                );
                assert!((len == 0 && last == 0) || (1..=size).contains(&last));
            }
        }
    }
}
