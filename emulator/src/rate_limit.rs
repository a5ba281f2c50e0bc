//! The app's rate limit: a token bucket in front of every `/v1/...` route
//! (see [`RateLimit`]).

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::reply::Reply;

/// A rate limit on the app's REST API, as a token bucket: it holds at most
/// `burst` tokens, starts full, and refills at `per_second` tokens a
/// second. Each `/v1/{appId}/...` request with valid credentials takes one
/// token before it is routed (a `POST /batch` takes one, whatever it
/// holds, and still keeps its own one-batch-per-interval limit,
/// [`crate::EmulatorConfig::batch_interval`]); when the bucket is empty it
/// is answered `429 {"error": "TooManyRequests", "message": ...}` and
/// changes nothing. The `/__emulator/` admin routes, `GET /files/...`,
/// unknown apps and requests without valid credentials never draw from it.
///
/// TalkJS rate-limits its REST API but does not document the limits, nor
/// whether a 429 carries `Retry-After`; `retry_after` chooses, so that a
/// client can be tested against both. With it, the header holds whole
/// seconds until the next token, rounded up, at least 1.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use talkjs_emulator::{Emulator, EmulatorConfig, RateLimit};
/// // 20 requests a second after a burst of 10, 429s without Retry-After.
/// let limit = RateLimit::new(20.0, 10).retry_after(false);
/// let emu = Emulator::start(EmulatorConfig::default().rate_limit(limit)).await?;
/// // ... run a client against emu.api_url() ...
/// let stats = emu.rate_limit_stats();
/// println!("{} admitted, {} throttled", stats.admitted, stats.throttled);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Tokens added per second: the sustained rate, in requests per second
    /// (finite and above 0; fractions such as 0.5 are allowed).
    pub per_second: f64,
    /// Most tokens the bucket holds, and holds at the start: how many
    /// requests may come at once after a quiet spell (at least 1).
    pub burst: u32,
    /// Whether a 429 carries `Retry-After`.
    pub retry_after: bool,
}

impl RateLimit {
    /// `per_second` after a burst of `burst`, 429s with `Retry-After`.
    pub fn new(per_second: f64, burst: u32) -> Self {
        RateLimit {
            per_second,
            burst,
            retry_after: true,
        }
    }

    /// Whether a 429 carries `Retry-After` (default `true`).
    pub fn retry_after(mut self, send: bool) -> Self {
        self.retry_after = send;
        self
    }

    /// Why this limit cannot be served, if it cannot.
    pub(crate) fn check(&self) -> Result<(), String> {
        if !(self.per_second.is_finite() && self.per_second > 0.0) {
            return Err(format!(
                "the rate must be a finite number of requests per second above 0, not {}",
                self.per_second
            ));
        }
        if self.burst == 0 {
            return Err("the burst must be at least 1".into());
        }
        Ok(())
    }
}

/// What the rate limit did so far (see
/// [`crate::Emulator::rate_limit_stats`]); both stay 0 without a limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RateLimitStats {
    /// Requests that took a token and went on to their route.
    pub admitted: u64,
    /// Requests answered 429 by the limit (not those the batch route's own
    /// limit refused, nor injected 429 faults).
    pub throttled: u64,
}

/// The bucket and its counters, behind one lock so that concurrent
/// requests take tokens exactly.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: RateLimit,
    state: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    refilled: Instant,
    stats: RateLimitStats,
}

impl RateLimiter {
    /// A full bucket for `limit`, which must pass [`RateLimit::check`].
    pub fn new(limit: RateLimit) -> Self {
        RateLimiter {
            state: Mutex::new(Bucket {
                tokens: f64::from(limit.burst),
                refilled: Instant::now(),
                stats: RateLimitStats::default(),
            }),
            limit,
        }
    }

    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Bucket> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a token for a request arriving now, or answers its 429.
    pub fn admit(&self) -> Result<(), Reply> {
        self.take_at(Instant::now()).map_err(|wait| {
            let RateLimit {
                per_second,
                burst,
                retry_after,
            } = self.limit;
            // With or without `Retry-After`, as configured: TalkJS documents
            // neither, so a client is best tested against both.
            Reply::too_many_requests(
                format!(
                    "rate limit exceeded: {per_second} requests per second after a burst of {burst}"
                ),
                retry_after.then_some(wait),
            )
        })
    }

    fn take_at(&self, now: Instant) -> Result<(), Duration> {
        let RateLimit {
            per_second, burst, ..
        } = self.limit;
        let mut b = self.lock();
        // A clock read before another request's may be seen after it:
        // `saturating_duration_since` then adds nothing.
        let elapsed = now.saturating_duration_since(b.refilled).as_secs_f64();
        b.tokens = (b.tokens + elapsed * per_second).min(f64::from(burst));
        b.refilled = b.refilled.max(now);
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            b.stats.admitted += 1;
            Ok(())
        } else {
            b.stats.throttled += 1;
            // Beyond `Duration`'s range (a rate near 0) is "never".
            let wait = (1.0 - b.tokens) / per_second;
            Err(Duration::try_from_secs_f64(wait).unwrap_or(Duration::MAX))
        }
    }

    pub fn stats(&self) -> RateLimitStats {
        self.lock().stats
    }

    /// Fills the bucket again; the counters stay.
    pub fn refill(&self) {
        let mut b = self.lock();
        b.tokens = f64::from(self.limit.burst);
        b.refilled = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_bucket_then_one_token_per_interval() {
        let limiter = RateLimiter::new(RateLimit::new(4.0, 3));
        let t0 = limiter.lock().refilled;
        for _ in 0..3 {
            assert_eq!(limiter.take_at(t0), Ok(()));
        }
        assert_eq!(limiter.take_at(t0), Err(Duration::from_millis(250)));
        // Half a token later, half the wait is left.
        let half = t0 + Duration::from_millis(125);
        assert_eq!(limiter.take_at(half), Err(Duration::from_millis(125)));
        let one = t0 + Duration::from_millis(250);
        assert_eq!(limiter.take_at(one), Ok(()));
        assert_eq!(limiter.take_at(one), Err(Duration::from_millis(250)));
        // A long quiet spell refills up to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.take_at(later), Ok(()));
        }
        assert!(limiter.take_at(later).is_err());
        assert_eq!(
            limiter.stats(),
            RateLimitStats {
                admitted: 7,
                throttled: 4
            }
        );
    }

    #[test]
    fn an_earlier_clock_reading_adds_nothing() {
        let limiter = RateLimiter::new(RateLimit::new(1.0, 1));
        let t0 = limiter.lock().refilled;
        let t1 = t0 + Duration::from_secs(1);
        assert_eq!(limiter.take_at(t1), Ok(()));
        assert_eq!(limiter.take_at(t0), Err(Duration::from_secs(1)));
        assert_eq!(limiter.take_at(t1), Err(Duration::from_secs(1)));
    }

    #[test]
    fn refill_fills_the_bucket_and_keeps_the_counters() {
        let limiter = RateLimiter::new(RateLimit::new(0.001, 2));
        assert!(limiter.admit().is_ok() && limiter.admit().is_ok());
        let refused = limiter.admit().unwrap_err();
        assert_eq!(refused.status, 429);
        assert_eq!(refused.body["error"], "TooManyRequests");
        // 1000 s until the next token, give or take the test's own time.
        let wait: u64 = refused.headers[0].1.parse().unwrap();
        assert!((999..=1000).contains(&wait), "{wait}");
        limiter.refill();
        assert!(limiter.admit().is_ok() && limiter.admit().is_ok());
        assert_eq!(
            limiter.stats(),
            RateLimitStats {
                admitted: 4,
                throttled: 1
            }
        );
    }

    #[test]
    fn check_refuses_what_cannot_be_served() {
        assert!(RateLimit::new(0.5, 1).check().is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(RateLimit::new(bad, 1).check().is_err(), "{bad}");
        }
        assert!(RateLimit::new(1.0, 0).check().is_err());
    }
}
