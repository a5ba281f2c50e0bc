//! Pacing every request of one client (and its clones) to the app's rate
//! limit: a fixed rate and burst when the limit is known, or an adaptive
//! rate that slows down on 429 and speeds up again while TalkJS accepts.
//!
//! Written here rather than with `governor`: its quota is fixed when the
//! limiter is built, and the adaptive mode changes the rate at run time
//! (as aws-sdk-rust's adaptive retry does), and pauses every waiting call
//! for a `Retry-After`; one small scheduler serves both modes.

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
    /// 429, which halves it (slow start, as TCP's); after that, multiply it
    /// by 0.8 on a 429 and add back up to 1 request a second for every
    /// second of accepted requests, between `min` and `max`. A 429 pauses
    /// every call for its `Retry-After`.
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

/// The shared state of one client's pacing.
#[derive(Debug)]
pub(crate) struct Limiter {
    state: Mutex<State>,
    adaptive: Option<(f64, f64)>,
}

#[derive(Debug)]
struct State {
    /// Requests a second now.
    rate: f64,
    /// How many may go at once.
    burst: f64,
    /// The theoretical arrival time of the next request (GCRA): a request
    /// may go when `tat - burst_window <= now`.
    tat: Instant,
    /// No request goes before this (a `Retry-After`).
    paused_until: Instant,
    /// The last slowdown: 429s of requests already in flight do not slow
    /// the client again within one interval.
    slowed_at: Option<Instant>,
    /// Adaptive, before its first 429: the rate doubles every second.
    slow_start: bool,
}

impl State {
    /// The time between two requests at the current rate.
    fn interval(&self) -> Duration {
        Duration::from_secs_f64(1.0 / self.rate)
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
                burst: burst.max(1.0),
                tat: now,
                paused_until: now,
                slowed_at: None,
                slow_start: adaptive.is_some(),
            }),
            adaptive,
        })
    }

    /// Waits for this request's turn. Turns are handed out in the order
    /// callers ask (each reserves the next slot), so no caller starves.
    pub(crate) async fn acquire(&self) {
        loop {
            let (slot, paused) = {
                let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let interval = s.interval();
                let window = interval.mul_f64(s.burst - 1.0);
                let start = s.tat.max(now).max(s.paused_until);
                let slot = start
                    .checked_sub(window)
                    .map_or(now, |earliest| earliest.max(now))
                    .max(s.paused_until);
                s.tat = start + interval;
                (slot, s.paused_until)
            };
            tokio::time::sleep_until(slot).await;
            // A pause that began while this call waited holds it too.
            let pause = self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .paused_until;
            if pause <= paused || pause <= Instant::now() {
                return;
            }
        }
    }

    /// A 429 came back: pause everyone for `retry_after` (or one interval),
    /// and in adaptive mode slow down.
    pub(crate) fn throttled(&self, retry_after: Option<Duration>) {
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let interval = s.interval();
        if let Some((min, _)) = self.adaptive
            && s.slowed_at
                .is_none_or(|at| now.duration_since(at) >= interval)
        {
            let factor = if s.slow_start { 0.5 } else { 0.8 };
            s.rate = (s.rate * factor).max(min);
            s.slowed_at = Some(now);
            s.slow_start = false;
        }
        // After the slowdown: the pause without a Retry-After is one
        // interval of the new rate.
        let until = now + retry_after.unwrap_or(s.interval());
        s.paused_until = s.paused_until.max(until);
        // The bucket is empty: the next turn starts after the pause.
        s.tat = s.tat.max(s.paused_until);
    }

    /// A request was accepted: in adaptive mode, speed up by one
    /// interval's share of what a second earns (in slow start, ln 2 per
    /// request doubles the rate every second; after it, 1 / rate per
    /// request adds 1 a second).
    pub(crate) fn accepted(&self) {
        if let Some((_, max)) = self.adaptive {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let step = if s.slow_start {
                std::f64::consts::LN_2
            } else {
                1.0 / s.rate
            };
            s.rate = (s.rate + step).min(max);
        }
    }

    /// The current rate.
    #[cfg(test)]
    fn rate(&self) -> f64 {
        self.state.lock().unwrap().rate
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
        limiter.acquire().await;
        let start = tokio::time::Instant::now();
        limiter.throttled(Some(Duration::from_secs(2)));
        limiter.acquire().await;
        assert!(
            start.elapsed() >= Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
    }

    #[test]
    fn adaptive_slows_on_429_once_per_interval_and_recovers() {
        let limiter = Limiter::new(&RateLimit::Adaptive {
            initial: 20.0,
            min: 1.0,
            max: 40.0,
        })
        .unwrap();
        // Slow start: the first 429 halves the rate.
        limiter.throttled(None);
        limiter.throttled(None); // a second 429 of the same flight
        assert_eq!(limiter.rate(), 10.0);
        // After it: 0.8, once per interval.
        limiter.state.lock().unwrap().slowed_at = None;
        limiter.throttled(None);
        assert_eq!(limiter.rate(), 8.0);
        for _ in 0..1_000 {
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
