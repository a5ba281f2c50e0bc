//! Fault injection for clients' reliability tests: error statuses, delays,
//! and connections dropped before or after a request is applied.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

use crate::ids::SplitMix64;

/// One fault applied to one `/v1/...` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status (e.g. 500, 502, 503, 429) without applying the
    /// request, with a `Retry-After` header when given.
    Status {
        /// HTTP status code.
        status: u16,
        /// `Retry-After` header value, verbatim.
        retry_after: Option<String>,
    },
    /// Wait this long, then process the request normally: a client that
    /// times out meanwhile leaves the request applied. If the emulator
    /// stops first, the request is dropped without applying.
    Delay(Duration),
    /// Close the TCP connection without applying the request or answering.
    DropBeforeApply,
    /// Apply the request, then close the connection without answering.
    DropAfterApply,
    /// Apply the request, then answer this status (e.g. 502): what a
    /// gateway in front of TalkJS answers when its upstream connection
    /// drops after the request was forwarded.
    StatusAfterApply {
        /// HTTP status code.
        status: u16,
    },
}

impl Fault {
    /// A status fault without `Retry-After`.
    pub fn status(status: u16) -> Self {
        Fault::Status {
            status,
            retry_after: None,
        }
    }

    /// A status fault with a `Retry-After` header value.
    pub fn status_with_retry_after(status: u16, retry_after: impl Into<String>) -> Self {
        Fault::Status {
            status,
            retry_after: Some(retry_after.into()),
        }
    }

    /// Short name, used in the request log: `status:503`,
    /// `status:429+retry-after` (a status fault with a `Retry-After` header,
    /// whatever its value), `delay:400ms`, `dropBeforeApply`,
    /// `dropAfterApply`. Faults that a client must handle differently have
    /// different names.
    pub fn name(&self) -> String {
        match self {
            Fault::Status {
                status,
                retry_after,
            } => {
                let suffix = retry_after.as_ref().map_or("", |_| "+retry-after");
                format!("status:{status}{suffix}")
            }
            Fault::Delay(d) => format!("delay:{}ms", d.as_millis()),
            Fault::DropBeforeApply => "dropBeforeApply".into(),
            Fault::DropAfterApply => "dropAfterApply".into(),
            Fault::StatusAfterApply { status } => format!("statusAfterApply:{status}"),
        }
    }
}

/// How many faults of each kind have been injected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultCounts {
    /// Status faults.
    pub status: u64,
    /// Delays.
    pub delay: u64,
    /// Connections dropped before applying.
    pub drop_before_apply: u64,
    /// Connections dropped after applying.
    pub drop_after_apply: u64,
    /// Statuses answered after applying.
    pub status_after_apply: u64,
}

impl FaultCounts {
    /// All injected faults.
    pub fn total(&self) -> u64 {
        self.status
            + self.delay
            + self.drop_before_apply
            + self.drop_after_apply
            + self.status_after_apply
    }
}

/// The JSON form of a fault for the admin route, e.g.
/// `{"kind": "status", "status": 503, "retryAfter": "1"}`,
/// `{"kind": "delay", "ms": 500}`, `{"kind": "dropBeforeApply"}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum FaultSpec {
    Status {
        status: u16,
        #[serde(rename = "retryAfter")]
        retry_after: Option<String>,
    },
    Delay {
        ms: u64,
    },
    DropBeforeApply,
    DropAfterApply,
    StatusAfterApply {
        status: u16,
    },
}

impl From<FaultSpec> for Fault {
    fn from(s: FaultSpec) -> Self {
        match s {
            FaultSpec::Status {
                status,
                retry_after,
            } => Fault::Status {
                status,
                retry_after,
            },
            FaultSpec::Delay { ms } => Fault::Delay(Duration::from_millis(ms)),
            FaultSpec::DropBeforeApply => Fault::DropBeforeApply,
            FaultSpec::DropAfterApply => Fault::DropAfterApply,
            FaultSpec::StatusAfterApply { status } => Fault::StatusAfterApply { status },
        }
    }
}

#[derive(Debug, Default)]
struct Inner {
    queue: VecDeque<Fault>,
    rate: Option<(f64, Vec<Fault>, SplitMix64)>,
    counts: FaultCounts,
}

/// The fault plan: queued faults first, then a seeded random rate.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    inner: Mutex<Inner>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `fault` for each of the next `n` requests.
    pub fn push(&self, fault: Fault, n: usize) {
        let mut g = self.lock();
        g.queue.extend(std::iter::repeat_n(fault, n));
    }

    /// Sets a random fault rate in `[0, 1]` over `kinds`, reproducible by `seed`.
    pub fn set_rate(&self, rate: f64, kinds: Vec<Fault>, seed: u64) {
        let mut g = self.lock();
        g.rate = (rate > 0.0 && !kinds.is_empty())
            .then(|| (rate.min(1.0), kinds, SplitMix64::new(seed)));
    }

    /// Drops every queued fault and the rate (counters stay).
    pub fn clear(&self) {
        let mut g = self.lock();
        g.queue.clear();
        g.rate = None;
    }

    /// Counters of injected faults.
    pub fn counts(&self) -> FaultCounts {
        self.lock().counts
    }

    /// The fault for the request now arriving, counted as injected.
    pub fn next(&self) -> Option<Fault> {
        let mut g = self.lock();
        let fault = match g.queue.pop_front() {
            Some(f) => Some(f),
            None => match &mut g.rate {
                Some((rate, kinds, rng)) => {
                    let hit = rng.next_f64() < *rate;
                    let i = (rng.next_u64() % kinds.len() as u64) as usize;
                    hit.then(|| kinds[i].clone())
                }
                None => None,
            },
        };
        if let Some(f) = &fault {
            let c = &mut g.counts;
            match f {
                Fault::Status { .. } => c.status += 1,
                Fault::Delay(_) => c.delay += 1,
                Fault::DropBeforeApply => c.drop_before_apply += 1,
                Fault::DropAfterApply => c.drop_after_apply += 1,
                Fault::StatusAfterApply { .. } => c.status_after_apply += 1,
            }
        }
        fault
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_then_seeded_rate() {
        let f = Faults::default();
        f.push(Fault::status(503), 2);
        assert_eq!(f.next(), Some(Fault::status(503)));
        assert_eq!(f.next(), Some(Fault::status(503)));
        assert_eq!(f.next(), None);
        f.set_rate(0.5, vec![Fault::DropBeforeApply], 7);
        let a: Vec<bool> = (0..64).map(|_| f.next().is_some()).collect();
        f.set_rate(0.5, vec![Fault::DropBeforeApply], 7);
        let b: Vec<bool> = (0..64).map(|_| f.next().is_some()).collect();
        assert_eq!(a, b, "same seed, same faults");
        let hits = a.iter().filter(|x| **x).count();
        assert!((16..=48).contains(&hits), "about half: {hits}");
        assert_eq!(f.counts().status, 2);
        assert_eq!(f.counts().drop_before_apply as usize, hits * 2);
    }

    #[test]
    fn names_tell_every_kind_apart() {
        let kinds = [
            (Fault::status(500), "status:500"),
            (Fault::status(502), "status:502"),
            (Fault::status(503), "status:503"),
            (
                Fault::status_with_retry_after(503, "1"),
                "status:503+retry-after",
            ),
            (Fault::status(429), "status:429"),
            (
                Fault::status_with_retry_after(429, "Sun, 06 Nov 1994 08:49:37 GMT"),
                "status:429+retry-after",
            ),
            (Fault::Delay(Duration::from_millis(400)), "delay:400ms"),
            (Fault::DropBeforeApply, "dropBeforeApply"),
            (Fault::DropAfterApply, "dropAfterApply"),
            (
                Fault::StatusAfterApply { status: 502 },
                "statusAfterApply:502",
            ),
        ];
        // The expected names are distinct, so these also show no two kinds
        // share a name.
        for (fault, name) in &kinds {
            assert_eq!(fault.name(), *name);
        }
    }
}
