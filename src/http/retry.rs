//! When and how long to wait before trying a request again.

use std::time::{Duration, Instant, SystemTime};

/// Retry policy: exponential backoff with full jitter, capped in attempts and
/// in total time, honouring `Retry-After`.
///
/// Retried: connection failures before the request was sent, 429, 500, 502,
/// 503, 504, and timeouts or dropped connections for operations that are safe
/// to repeat (see [`crate::Client`]). An operation that is not safe to repeat
/// (an import, a batch holding one) is retried only after 429 or 503 with
/// `Retry-After`; any other 5xx, lost connection or timeout after sending is
/// [`crate::Error::OutcomeUnknown`]. A DELETE whose earlier attempt may have
/// applied and whose retry gets 404 reports success (the resource is gone
/// either way).
///
/// ```
/// use std::time::Duration;
/// let policy = talkjs::RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(100))
///     .max_backoff(Duration::from_secs(5));
/// assert_eq!(policy.attempts(), 5);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
    max_elapsed: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy::DEFAULT
    }
}

impl RetryPolicy {
    const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(10),
        max_retry_after: Duration::from_secs(60),
        max_elapsed: None,
    };

    /// [`RetryPolicy::none`] as a constant, so that `&RetryPolicy::NONE` is
    /// a `'static` reference.
    pub(crate) const NONE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::DEFAULT
    };

    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy::NONE
    }

    /// Total attempts, the first included (at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Upper bound of the first backoff; it doubles per attempt.
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// Upper bound of any single backoff.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// Longest `Retry-After` the client waits for; a longer hint ends the
    /// retries and reports the response (a 429 as
    /// [`crate::Error::RateLimited`] with the hint).
    pub fn max_retry_after(mut self, limit: Duration) -> Self {
        self.max_retry_after = limit;
        self
    }

    /// Longest total time, from the first attempt's start, within which a
    /// retry may still begin: no retry is made when waiting for it would end
    /// at or after this cap. It shortens the retry window of
    /// [`crate::ClientConfig::overall_timeout`] (the shorter of the two
    /// wins), so a per-call [`crate::Client::with_retry`] can tighten it; it
    /// does not cut an attempt already under way short (that is the attempt
    /// and overall timeouts' job). Unset by default: only the overall
    /// timeout bounds the retries.
    ///
    /// ```
    /// use std::time::Duration;
    /// let policy = talkjs::RetryPolicy::default().max_elapsed(Duration::from_secs(2));
    /// assert_eq!(policy.elapsed_cap(), Some(Duration::from_secs(2)));
    /// assert_eq!(talkjs::RetryPolicy::default().elapsed_cap(), None);
    /// ```
    pub fn max_elapsed(mut self, limit: Duration) -> Self {
        self.max_elapsed = Some(limit);
        self
    }

    /// The configured number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The total-time cap set by [`RetryPolicy::max_elapsed`], if any.
    pub fn elapsed_cap(&self) -> Option<Duration> {
        self.max_elapsed
    }

    /// The instant before which a retry must start: the call's overall
    /// `deadline`, or [`RetryPolicy::max_elapsed`] after the first attempt
    /// `started`, whichever comes first.
    pub(crate) fn retry_by(&self, started: Instant, deadline: Instant) -> Instant {
        self.max_elapsed
            .and_then(|cap| started.checked_add(cap))
            .map_or(deadline, |cap| cap.min(deadline))
    }

    /// The wait before attempt `attempt + 1` (`attempt` counts from 1).
    ///
    /// `Retry-After` wins when present and within `max_retry_after`, but is
    /// never shorter than half this attempt's backoff ceiling; `None` means:
    /// do not retry.
    pub(crate) fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let ceiling = self
            .initial_backoff
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(self.max_backoff);
        if let Some(hint) = retry_after {
            // The server's wait, but never less than half of this attempt's
            // backoff: `Retry-After: 0` must not turn backoff off, or a
            // storm of 429s would fire every attempt at once.
            return (hint <= self.max_retry_after).then_some(hint.max(ceiling / 2));
        }
        // Full jitter: uniform in [0, ceiling], so that many clients retrying
        // at once spread out instead of hitting the server in waves.
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Some(Duration::from_nanos(match nanos.checked_add(1) {
            Some(bound) => random_u64() % bound,
            None => random_u64(),
        }))
    }
}

/// A random number from the standard library's per-process hasher seeds: the
/// jitter needs no cryptographic quality and this avoids a `rand` dependency.
pub(crate) fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    hasher.finish()
}

/// The wait a response's `Retry-After` header asks for, if it has a usable
/// one (see [`parse_retry_after`]).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()
        .and_then(|v| parse_retry_after(v, SystemTime::now()))
}

/// Parses `Retry-After`: delta seconds or an HTTP date (RFC 9110 §10.2.3)
/// in any of the three forms a recipient must accept (§5.6.7): IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37
/// GMT`) and asctime (`Sun Nov  6 08:49:37 1994`). A date in the past means
/// no wait; anything else is `None` (no usable hint).
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // delay-seconds is 1*DIGIT; a value too large for u64 is still "a
        // very long time", which `max_retry_after` then refuses.
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    use chrono::{Datelike, Timelike};
    use proptest::prelude::*;

    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];

    /// The three RFC 9110 §5.6.7 forms of a Unix time, written by hand from
    /// chrono's calendar fields (independent of the parser under test).
    fn forms(secs: i64) -> [String; 3] {
        let t = chrono::DateTime::from_timestamp(secs, 0).unwrap();
        let day = DAYS[t.weekday().num_days_from_monday() as usize];
        let month = MONTHS[t.month0() as usize];
        let (h, m, s) = (t.hour(), t.minute(), t.second());
        [
            format!(
                "{}, {:02} {month} {:04} {h:02}:{m:02}:{s:02} GMT",
                &day[..3],
                t.day(),
                t.year()
            ),
            format!(
                "{day}, {:02}-{month}-{:02} {h:02}:{m:02}:{s:02} GMT",
                t.day(),
                t.year() % 100
            ),
            format!(
                "{} {month} {:>2} {h:02}:{m:02}:{s:02} {:04}",
                &day[..3],
                t.day(),
                t.year()
            ),
        ]
    }

    fn at(secs: i64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(secs as u64)
    }

    /// 2070-01-01T00:00:00Z: RFC 850's two-digit years cover 1970..=2069.
    const RFC850_END: i64 = 3_155_760_000;
    /// 9999-12-31T23:59:59Z, the last time an HTTP date can carry.
    const YEAR_9999_END: i64 = 253_402_300_799;

    #[test]
    fn rfc_9110_examples() {
        // RFC 9110 §5.6.7's example, in its three forms: 784111777 is
        // Sun, 06 Nov 1994 08:49:37 GMT (`date -u -d @784111777`).
        let now = at(784_111_777 - 30);
        for form in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(form, now),
                Some(Duration::from_secs(30)),
                "{form}"
            );
            assert_eq!(
                parse_retry_after(&format!("  {form} "), now),
                Some(Duration::from_secs(30)),
                "surrounding whitespace: {form}"
            );
        }
        assert_eq!(forms(784_111_777)[0], "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(forms(784_111_777)[1], "Sunday, 06-Nov-94 08:49:37 GMT");
        assert_eq!(forms(784_111_777)[2], "Sun Nov  6 08:49:37 1994");
    }

    #[test]
    fn garbage_is_no_hint() {
        let now = at(784_111_777);
        for garbage in [
            "",
            "   ",
            "soon",
            "-1",
            "+5",
            "1.5",
            "5s",
            "0x10",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 08:49:37 +0000",
            "Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            "Sun, 31 Nov 1994 08:49:37 GMT", // no such day
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 06 08:49:37 1994 GMT",
            "1994-11-06T08:49:37Z",
            "\u{0}",
        ] {
            assert_eq!(parse_retry_after(garbage, now), None, "{garbage:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Every form of every representable date parses to the time left
        /// until it, and a date in the past to no wait at all.
        #[test]
        fn all_three_forms(date in 0..YEAR_9999_END, now in 0..YEAR_9999_END) {
            let [imf, rfc850, asctime] = forms(date);
            let expected = Some(Duration::from_secs(date.saturating_sub(now).max(0) as u64));
            prop_assert_eq!(parse_retry_after(&imf, at(now)), expected, "{}", imf);
            prop_assert_eq!(parse_retry_after(&asctime, at(now)), expected, "{}", asctime);
            if date < RFC850_END {
                prop_assert_eq!(parse_retry_after(&rfc850, at(now)), expected, "{}", rfc850);
            }
        }

        #[test]
        fn past_dates_mean_no_wait(date in 0..YEAR_9999_END, ago in 0..1_000_000_000i64) {
            for (i, form) in forms(date).iter().enumerate() {
                if i == 1 && date >= RFC850_END {
                    continue; // two-digit years stop at 2069
                }
                prop_assert_eq!(
                    parse_retry_after(form, at(date + ago)),
                    Some(Duration::ZERO),
                    "{}", form
                );
            }
        }

        /// A date cut short, or with one character replaced by a letter, is
        /// never mistaken for another date or a number of seconds.
        #[test]
        fn damaged_dates_are_no_hint(date in 0..RFC850_END, cut in 0usize..32, form in 0usize..3) {
            let text = &forms(date)[form];
            let cut = cut % text.len();
            prop_assert_eq!(parse_retry_after(&text[..cut], at(0)), None, "{:?}", &text[..cut]);
            let mut damaged = text.clone().into_bytes();
            if damaged[cut].is_ascii_digit() {
                damaged[cut] = b'x';
                let damaged = String::from_utf8(damaged).unwrap();
                prop_assert_eq!(parse_retry_after(&damaged, at(0)), None, "{:?}", damaged);
            }
        }

        #[test]
        fn delta_seconds(seconds: u64) {
            prop_assert_eq!(
                parse_retry_after(&seconds.to_string(), at(0)),
                Some(Duration::from_secs(seconds))
            );
        }
    }

    #[test]
    fn max_elapsed_stops_retries_that_would_pass_it() {
        let p = RetryPolicy::default()
            .max_attempts(10)
            .max_elapsed(Duration::from_secs(1));
        assert_eq!(p.elapsed_cap(), Some(Duration::from_secs(1)));
        let started = Instant::now();
        let deadline = started + Duration::from_secs(100 * 365 * 86_400);
        // What the transport does: the policy's delay, kept only if the retry
        // would start before `retry_by` (here `elapsed` after `started`).
        let next = |p: &RetryPolicy, attempt: u32, hint: Option<Duration>, elapsed: Duration| {
            let retry_by = p.retry_by(started, deadline);
            p.delay(attempt, hint).filter(|&d| {
                started
                    .checked_add(elapsed)
                    .and_then(|now| now.checked_add(d))
                    .is_some_and(|at| at < retry_by)
            })
        };
        let hint = Some(Duration::from_millis(300));
        assert_eq!(
            next(&p, 1, hint, Duration::from_millis(600)),
            Some(Duration::from_millis(300))
        );
        // Would start exactly at, or after, the cap: no retry.
        assert_eq!(next(&p, 1, hint, Duration::from_millis(700)), None);
        assert_eq!(next(&p, 1, hint, Duration::from_secs(5)), None);
        assert_eq!(next(&p, 1, None, Duration::from_secs(1)), None);
        assert_eq!(next(&p, 1, hint, Duration::MAX), None);
        // Attempts still count.
        assert_eq!(next(&p, 10, hint, Duration::ZERO), None);
        // Jittered delays under the cap pass; the cap never lets one end past it.
        let jittered = p.clone().initial_backoff(Duration::from_secs(4));
        for _ in 0..200 {
            if let Some(d) = next(&jittered, 3, None, Duration::from_millis(500)) {
                assert!(d < Duration::from_millis(500), "{d:?}");
            }
        }
        // Without a cap only the attempts (and the client's overall timeout) bound it.
        let unbounded = RetryPolicy::default();
        assert_eq!(unbounded.elapsed_cap(), None);
        assert_eq!(
            next(&unbounded, 1, hint, Duration::from_secs(1_000_000)),
            hint
        );
        assert_eq!(unbounded.retry_by(started, deadline), deadline);
        // The overall deadline wins when it is nearer than the cap.
        let near = started + Duration::from_millis(100);
        assert_eq!(p.retry_by(started, near), near);
        assert_ne!(
            p,
            RetryPolicy::default().max_attempts(10),
            "part of equality"
        );
        assert!(format!("{p:?}").contains("max_elapsed"));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_445_412_480);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        // 1445412480 is Wed, 21 Oct 2015 07:28:00 GMT.
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_is_bounded_and_stops() {
        let p = RetryPolicy::default()
            .max_attempts(3)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(150));
        for _ in 0..100 {
            assert!(p.delay(1, None).unwrap() <= Duration::from_millis(100));
            assert!(p.delay(2, None).unwrap() <= Duration::from_millis(150));
        }
        assert_eq!(p.delay(3, None), None);
        assert_eq!(
            p.delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(p.delay(1, Some(Duration::from_secs(3600))), None);
    }

    /// `Retry-After: 0` (or a past date) still leaves a backoff that grows
    /// with the attempts, half of each attempt's ceiling.
    #[test]
    fn a_zero_retry_after_keeps_a_minimum_backoff() {
        let p = RetryPolicy::default()
            .max_attempts(100)
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_secs(2));
        let waits: Vec<Duration> = (1..6)
            .map(|attempt| p.delay(attempt, Some(Duration::ZERO)).unwrap())
            .collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(waits, [ms(50), ms(100), ms(200), ms(400), ms(800)]);
        assert_eq!(p.delay(30, Some(Duration::ZERO)), Some(ms(1000)));
        // A longer hint is kept as given.
        assert_eq!(p.delay(1, Some(ms(700))), Some(ms(700)));
    }

    #[test]
    fn extreme_settings_do_not_overflow() {
        let p = RetryPolicy::default()
            .initial_backoff(Duration::MAX)
            .max_backoff(Duration::MAX)
            .max_retry_after(Duration::MAX);
        for attempt in 1..4 {
            p.delay(attempt, None).unwrap();
            p.delay(attempt, Some(Duration::MAX)).unwrap();
        }
        let tiny = RetryPolicy::default().initial_backoff(Duration::ZERO);
        assert_eq!(tiny.delay(1, None), Some(Duration::ZERO));
    }
}
