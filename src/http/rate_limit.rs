//! Pacing every request of one client (and its clones) to the app's rate
//! limit: a fixed rate and burst when the limit is known, or an adaptive
//! rate that slows down on 429 and speeds up again while TalkJS accepts.
//!
//! Written here rather than with `governor`: its quota is fixed when the
//! limiter is built, and the adaptive mode changes the rate at run time
//! (as aws-sdk-rust's adaptive retry does), and pauses every waiting call
//! for a `Retry-After`; one small token bucket serves both modes.

use std::{sync::Mutex, time::Duration};

// tokio's clock, so that a test with paused time sees the pacing.
use tokio::time::Instant;

/// How a client paces its requests; set with
/// [`crate::ClientConfig::rate_limit`].
///
/// TalkJS rate-limits its REST API per app without publishing the figure
/// for every plan; batches are limited to one per second on their own
/// (the SDK paces those whatever this says). The limiter is per client
/// (its clones share it): several processes sharing one app should each
/// take a share of the limit (`RateLimit::fixed(limit / processes, ..)`);
/// one limit shared across machines would need a shared store (a Redis
/// token bucket, say), which this crate does not provide.
///
/// ```
/// use talkjs::{ClientConfig, RateLimit};
/// let known = ClientConfig::new("app", "sk_test_x").rate_limit(RateLimit::fixed(20, 10));
/// let unknown = ClientConfig::new("app", "sk_test_x").rate_limit(RateLimit::adaptive());
/// # let _ = (known, unknown);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq)]
pub enum RateLimit {
    /// No pacing (the default): requests go out as the program makes them,
    /// and a 429 is retried as [`crate::RetryPolicy`] says.
    #[default]
    Off,
    /// At most `per_second` requests a second on average, and at most
    /// `burst` at once after a quiet spell. Paced a little under both (3 %
    /// under the rate, one under the burst), so that network jitter never
    /// lands a request before the server's bucket holds a token for it: a
    /// 429 costs every waiting call its `Retry-After`.
    Fixed {
        /// The sustained rate.
        per_second: f64,
        /// How many may go at once.
        burst: u32,
    },
    /// The limit is not known: start at `initial` requests a second and
    /// double the rate every second of accepted requests until the first
    /// 429, which halves it (slow start, as TCP's). After that, each 429
    /// sets the rate to 95 % of the limit measured since the previous one
    /// (between two 429s the server's bucket went from empty to empty, so
    /// what it accepted in between is what it refilled), slowing by at
    /// least a tenth and at most a half; while requests are accepted the
    /// rate grows by 2 % a second, between `min` and `max`. A 429 pauses
    /// every call for its `Retry-After`.
    ///
    /// What that costs against the limit's bound (`BENCHMARKS.md`, with a
    /// `Retry-After` of a whole second): finding the limit takes about a
    /// second once per client (slow start, then the first 429's pause,
    /// during which the server's bucket fills only to its burst), so a job
    /// of a hundred requests runs at about 0.8 of what the limit allows;
    /// after that the margin and a probing 429 now and then keep a long
    /// job at about 0.9. Keep one client for several jobs, and give the
    /// limit with [`RateLimit::fixed`] when it is known (about 0.97).
    Adaptive {
        /// The first rate.
        initial: f64,
        /// The least rate it slows to.
        min: f64,
        /// The most it speeds up to.
        max: f64,
    },
}

impl RateLimit {
    /// A known limit: `per_second` on average, bursts of `burst`.
    pub fn fixed(per_second: u32, burst: u32) -> Self {
        RateLimit::Fixed {
            per_second: f64::from(per_second.max(1)),
            burst: burst.max(1),
        }
    }

    /// An unknown limit: from 10 requests a second, between 1 and 1,000.
    pub fn adaptive() -> Self {
        RateLimit::Adaptive {
            initial: 10.0,
            min: 1.0,
            max: 1_000.0,
        }
    }
}

/// The share of a known rate a client paces at (see [`RateLimit::Fixed`]).
const FIXED_HEADROOM: f64 = 0.97;

/// Adaptive: the share of the measured limit paced at after a 429.
const ADAPTIVE_MARGIN: f64 = 0.95;

/// Adaptive, after slow start: what each accepted request adds to the rate
/// (in requests a second). At `r` requests a second that is 2 % of the
/// rate a second: once the limit is measured, the client probes above it
/// slowly, so that a limit that rises is found and one that does not costs
/// a 429 now and then rather than every few seconds.
const ADAPTIVE_GROWTH: f64 = 0.02;

/// The shared state of one client's pacing.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    /// Callers take their turns in the order they ask: tokio's mutex is
    /// fair (first come, first served), and a caller that gives up (its
    /// call dropped) leaves the queue with its guard.
    turns: tokio::sync::Mutex<()>,
    /// The rate changed or a pause began: the caller whose turn it is
    /// works out its wait again, rather than keeping one computed at the
    /// old rate (with many callers waiting, that lag made slow start slow).
    changed: tokio::sync::Notify,
    adaptive: Option<(f64, f64)>,
}

#[derive(Debug)]
struct State {
    /// Requests a second now.
    rate: f64,
    /// How many may go at once.
    burst: f64,
    /// Requests that may go now (a token bucket), as of `at`.
    tokens: f64,
    at: Instant,
    /// No request goes before this (a `Retry-After`).
    paused_until: Instant,
    /// Adaptive: the last slowdown. A 429 of a request sent before it is
    /// of the same flight, and does not slow the client again. `None`
    /// before the first 429: slow start, where the rate doubles every
    /// second.
    slowed_at: Option<Instant>,
    /// Adaptive: requests accepted since the last slowdown.
    accepted: u64,
}

impl State {
    /// Adds what the time since `at` earned (nothing while paused).
    fn refill(&mut self, now: Instant) {
        if now > self.at {
            let earned = now.duration_since(self.at).as_secs_f64() * self.rate;
            self.tokens = (self.tokens + earned).min(self.burst);
            self.at = now;
        }
    }
}

impl Limiter {
    /// The limiter of `limit`, or `None` when it is off.
    pub(crate) fn new(limit: &RateLimit) -> Option<Limiter> {
        let (rate, burst, adaptive) = match *limit {
            RateLimit::Off => return None,
            RateLimit::Fixed { per_second, burst } => (
                per_second * FIXED_HEADROOM,
                f64::from(burst.max(2) - 1),
                None,
            ),
            RateLimit::Adaptive { initial, min, max } => {
                let (min, max) = (min.max(0.01), max.max(min.max(0.01)));
                (initial.clamp(min, max), 1.0, Some((min, max)))
            }
        };
        let now = Instant::now();
        Some(Limiter {
            state: Mutex::new(State {
                rate: rate.max(0.01),
                burst,
                tokens: burst,
                at: now,
                paused_until: now,
                slowed_at: None,
                accepted: 0,
            }),
            turns: tokio::sync::Mutex::new(()),
            changed: tokio::sync::Notify::new(),
            adaptive,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked holding it;
        // the numbers in it are whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this request's turn and takes it; returns when, for
    /// [`Limiter::throttled`].
    pub(crate) async fn acquire(&self) -> Instant {
        let _turn = self.turns.lock().await;
        loop {
            // Created before the state is read, so a change made after
            // the read still wakes this caller.
            let changed = self.changed.notified();
            let ready_at = {
                let mut s = self.state();
                let now = Instant::now();
                s.refill(now);
                // A hair under one: the sleep below ends when the bucket
                // holds one, give or take the float's rounding.
                if now >= s.paused_until && s.tokens >= 1.0 - 1e-9 {
                    s.tokens -= 1.0;
                    return now;
                }
                let missing = (1.0 - s.tokens).max(0.0);
                s.at.max(now) + Duration::from_secs_f64(missing / s.rate)
            };
            let _ = tokio::time::timeout_at(ready_at, changed).await;
        }
    }

    /// A 429 came back for a request whose turn came at `sent_at` (what
    /// [`Limiter::acquire`] returned): the server's bucket
    /// is empty, so this one is too, and every caller waits out
    /// `retry_after` (or one interval). In adaptive mode, the first 429 of
    /// a flight slows the client down: in slow start to half the rate;
    /// after it, to [`ADAPTIVE_MARGIN`] of the limit measured since the
    /// last 429 (between two 429s the server's bucket went from empty to
    /// empty, so what it accepted in between is what it refilled), but by
    /// no more than half and no less than a tenth.
    pub(crate) fn throttled(&self, sent_at: Instant, retry_after: Option<Duration>) {
        let mut s = self.state();
        let now = Instant::now();
        if let Some((min, _)) = self.adaptive
            && s.slowed_at.is_none_or(|at| sent_at > at)
        {
            s.rate = match s.slowed_at {
                None => s.rate * 0.5,
                Some(at) => {
                    let since = now.duration_since(at).as_secs_f64();
                    let measured = if since > 0.0 {
                        ADAPTIVE_MARGIN * s.accepted as f64 / since
                    } else {
                        0.0
                    };
                    measured.clamp(s.rate * 0.5, s.rate * 0.9)
                }
            }
            .max(min);
            s.slowed_at = Some(now);
            s.accepted = 0;
        }
        let pause = retry_after.unwrap_or_else(|| Duration::from_secs_f64(1.0 / s.rate));
        s.paused_until = s.paused_until.max(now + pause);
        s.tokens = 0.0;
        s.at = s.at.max(s.paused_until);
        drop(s);
        self.changed.notify_waiters();
    }

    /// A request was accepted: in adaptive mode, speed up (in slow start,
    /// ln 2 per request doubles the rate every second; after it, each adds
    /// [`ADAPTIVE_GROWTH`] of the rate a second).
    pub(crate) fn accepted(&self) {
        if let Some((_, max)) = self.adaptive {
            let mut s = self.state();
            s.accepted += 1;
            let step = if s.slowed_at.is_none() {
                std::f64::consts::LN_2
            } else {
                ADAPTIVE_GROWTH
            };
            s.rate = (s.rate + step).min(max);
            drop(s);
            self.changed.notify_waiters();
        }
    }

    /// The current rate.
    #[cfg(test)]
    fn rate(&self) -> f64 {
        self.state().rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_fixed_limit_lets_the_burst_go_then_paces() {
        let limiter = Limiter::new(&RateLimit::fixed(10, 5)).unwrap();
        let start = tokio::time::Instant::now();
        // One under the burst at once.
        for _ in 0..4 {
            limiter.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst goes at once");
        for _ in 0..10 {
            limiter.acquire().await;
        }
        // 10 more at 97 % of 10 a second: a little over a second.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(1_000) && took <= Duration::from_millis(1_100),
            "{took:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_every_caller_for_its_retry_after() {
        let limiter = Limiter::new(&RateLimit::fixed(100, 100)).unwrap();
        let sent = limiter.acquire().await;
        let start = tokio::time::Instant::now();
        limiter.throttled(sent, Some(Duration::from_secs(2)));
        limiter.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_that_begins_while_a_caller_waits_holds_it_too() {
        let limiter = std::sync::Arc::new(Limiter::new(&RateLimit::fixed(10, 2)).unwrap());
        let sent = limiter.acquire().await;
        let start = tokio::time::Instant::now();
        // Its turn is 0.1 s away; the pause begins first.
        let waiter = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire().await }
        });
        tokio::task::yield_now().await;
        limiter.throttled(sent, Some(Duration::from_secs(1)));
        let went = waiter.await.unwrap();
        assert!(went.duration_since(start) >= Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_faster_rate_reaches_a_caller_already_waiting() {
        let limiter = std::sync::Arc::new(
            Limiter::new(&RateLimit::Adaptive {
                initial: 1.0,
                min: 1.0,
                max: 1_000.0,
            })
            .unwrap(),
        );
        let start = limiter.acquire().await;
        // At 1 a second the next turn is a second away...
        let waiter = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire().await }
        });
        tokio::task::yield_now().await;
        // ...until the rate grows past 100 a second.
        for _ in 0..200 {
            limiter.accepted();
        }
        let went = waiter.await.unwrap();
        assert!(
            went.duration_since(start) < Duration::from_millis(20),
            "{:?}",
            went.duration_since(start)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn turns_are_taken_in_the_order_asked() {
        let limiter = std::sync::Arc::new(Limiter::new(&RateLimit::fixed(100, 2)).unwrap());
        let order = std::sync::Arc::new(Mutex::new(Vec::new()));
        let callers: Vec<_> = (0..5)
            .map(|i| {
                let (limiter, order) = (limiter.clone(), order.clone());
                tokio::spawn(async move {
                    limiter.acquire().await;
                    order.lock().unwrap().push(i);
                })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), [0, 1, 2, 3, 4]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_caller_arriving_as_a_turn_comes_due_does_not_jump_the_queue() {
        use futures::FutureExt;
        let limiter = std::sync::Arc::new(Limiter::new(&RateLimit::fixed(10, 2)).unwrap());
        limiter.acquire().await; // the one token of the burst
        let first = tokio::spawn({
            let limiter = limiter.clone();
            async move { limiter.acquire().await }
        });
        tokio::task::yield_now().await;
        // The next token is due (1 / 9.7 s); the first caller has not run
        // since its timer fired. A newcomer polled now finds a token in the
        // bucket, but the turn is the first caller's.
        tokio::time::advance(Duration::from_millis(104)).await;
        assert!(
            limiter.acquire().now_or_never().is_none(),
            "the newcomer waits"
        );
        first.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn adaptive_halves_in_slow_start_then_paces_under_the_measured_limit() {
        let limiter = Limiter::new(&RateLimit::Adaptive {
            initial: 20.0,
            min: 1.0,
            max: 40.0,
        })
        .unwrap();
        // Slow start: the first 429 halves the rate; a second 429 of the
        // same flight (sent before the slowdown) does not slow it again.
        let sent = limiter.acquire().await;
        limiter.throttled(sent, None);
        limiter.throttled(sent, None);
        assert_eq!(limiter.rate(), 10.0);
        // 12 accepted over the next 2 s, then a 429: the limit measured
        // is 6 a second, and the client paces at 95 % of it.
        tokio::time::advance(Duration::from_secs(2)).await;
        let sent = limiter.acquire().await;
        let grown = 12.0 * ADAPTIVE_GROWTH;
        for _ in 0..12 {
            limiter.accepted();
        }
        assert!((limiter.rate() - (10.0 + grown)).abs() < 1e-9);
        limiter.throttled(sent, None);
        assert!(
            (limiter.rate() - 0.95 * 6.0).abs() < 1e-6,
            "{}",
            limiter.rate()
        );
        // A 429 right after another measures nothing: at most 0.9 of the
        // rate, at least half.
        let before = limiter.rate();
        let sent = limiter.acquire().await;
        limiter.throttled(sent, None);
        assert!(
            (limiter.rate() - 0.5 * before).abs() < 1e-9,
            "{}",
            limiter.rate()
        );
        for _ in 0..10_000 {
            limiter.accepted();
        }
        assert_eq!(limiter.rate(), 40.0, "capped at max");
    }

    #[test]
    fn off_is_no_limiter() {
        assert!(Limiter::new(&RateLimit::Off).is_none());
        assert!(Limiter::new(&RateLimit::default()).is_none());
    }
}
