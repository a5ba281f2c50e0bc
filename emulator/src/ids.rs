//! Identifiers and time: a tiny seeded generator (SplitMix64) so ids and
//! fault rates need no extra dependency, and a millisecond clock.

use std::time::{SystemTime, UNIX_EPOCH};

/// SplitMix64: small, fast and good enough for ids and fault sampling;
/// deterministic for a given seed so fault-rate runs can be reproduced.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform float in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// `prefix` followed by 22 base-62 characters, like TalkJS's `msg_...` ids.
    pub fn id(&mut self, prefix: &str) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        let mut s = String::with_capacity(prefix.len() + 22);
        s.push_str(prefix);
        for _ in 0..22 {
            s.push(ALPHABET[(self.next_u64() % 62) as usize] as char);
        }
        s
    }
}

/// Milliseconds since the Unix epoch, the unit of every TalkJS timestamp.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A seed that differs between runs, for ids only (never for faults).
pub fn time_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x5EED)
}
