//! JSON request bodies serialised into one allocation of about the right
//! size.
//!
//! `serde_json::to_vec`, which reqwest's `RequestBuilder::json` uses, starts
//! at 128 bytes and doubles: a send of ten messages (about 1.3 KB) grew
//! through four reallocations, copying 1.9 KB on the way, on every call
//! (BENCHMARKS.md). A program tends to send bodies of similar sizes, so the
//! buffer starts a quarter above the size of the last body this thread
//! serialised; a larger body still grows as before, and a buffer more than
//! twice the size of its body is shrunk, so that no body holds more slack
//! than doubling would have left it (a retried request keeps its body until
//! the last attempt). No crate offers this: it is a capacity hint kept in a
//! thread-local.

use std::cell::Cell;

/// The smallest starting capacity: serde_json's own.
const MIN_CAPACITY: usize = 128;
/// The largest starting capacity: after one large body, the next (small)
/// one reserves at most this much before it is shrunk, and allocators
/// serve blocks this size from their heap (glibc maps 128 KiB and more
/// separately, by default).
const MAX_CAPACITY: usize = 64 * 1024;

thread_local! {
    /// The length of the last body serialised on this thread (a thread
    /// local, so that concurrent calls on other threads do not contend).
    static LAST_LEN: Cell<usize> = const { Cell::new(0) };
}

/// `value` as JSON bytes, in a buffer sized from the last body.
pub(crate) fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let last = LAST_LEN.get();
    let capacity = last
        .saturating_add(last / 4)
        .clamp(MIN_CAPACITY, MAX_CAPACITY);
    let mut bytes = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut bytes, value)?;
    LAST_LEN.set(bytes.len());
    if bytes.capacity() / 2 > bytes.len() {
        bytes.shrink_to_fit();
    }
    Ok(bytes)
}

/// `value` as the JSON body of a hand-written request
/// ([`crate::Client::json_request`]); a value that cannot be JSON is
/// refused before sending.
pub(crate) fn bytes(value: &impl serde::Serialize) -> Result<bytes::Bytes, crate::Error> {
    to_vec(value)
        .map(bytes::Bytes::from)
        .map_err(|e| crate::Error::validation("body", e.to_string()))
}

/// What `builder.json(value)` does, with the body from [`to_vec`]:
/// `build.rs` points every generated `.json(&body)` here.
///
/// On a serialisation error (a map with non-string keys, say) it hands the
/// value to reqwest's own `json`, which fails the same way and stores the
/// error in the builder for `build()` to return: the error a generated
/// call reports is unchanged.
pub(crate) fn attach<T: serde::Serialize + ?Sized>(
    builder: reqwest::RequestBuilder,
    value: &T,
) -> reqwest::RequestBuilder {
    match to_vec(value) {
        // Generated builders set no Content-Type of their own; reqwest's
        // `json` sets it the same way when it is missing.
        Ok(bytes) => builder
            .header(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            )
            .body(bytes),
        Err(_) => builder.json(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_serde_jsons_and_the_buffer_is_sized_from_the_last_body() {
        let big: Vec<String> = (0..300).map(|i| format!("message {i}")).collect();
        let bytes = to_vec(&big).unwrap();
        assert_eq!(bytes, serde_json::to_vec(&big).unwrap());
        let again = to_vec(&big).unwrap();
        assert_eq!(again, bytes);
        // A quarter above the last body: not one of the powers of two
        // that serde_json's doubling from 128 bytes gives.
        assert_eq!(again.capacity(), bytes.len() + bytes.len() / 4);
        assert!(!again.capacity().is_power_of_two());
        // A small body after it is shrunk rather than keep that buffer.
        let small = to_vec("x").unwrap();
        assert_eq!(small, b"\"x\"");
        assert!(small.capacity() <= 2 * small.len(), "{}", small.capacity());
        // And the next one starts at the minimum.
        let next = to_vec(&"y".repeat(100)).unwrap();
        assert_eq!(next.capacity(), MIN_CAPACITY);
    }

    #[test]
    fn a_huge_body_does_not_raise_the_next_capacity_above_the_cap() {
        let huge = "x".repeat(MAX_CAPACITY * 3);
        assert_eq!(to_vec(&huge).unwrap().len(), huge.len() + 2);
        // 40 KiB after it: the capped hint, and no shrinking.
        let large = "y".repeat(40 * 1024);
        assert_eq!(to_vec(&large).unwrap().capacity(), MAX_CAPACITY);
    }

    #[test]
    fn attach_matches_reqwests_json_and_keeps_its_errors() {
        crate::install_default_crypto_provider();
        let client = reqwest::Client::new();
        // What a generated operation builds before its body.
        let post = || {
            client
                .post("http://127.0.0.1/x")
                .header(reqwest::header::ACCEPT, "application/json")
        };
        let value = serde_json::json!({"text": "hi", "n": [1, 2]});
        let ours = attach(post(), &value).build().unwrap();
        let theirs = post().json(&value).build().unwrap();
        assert_eq!(ours.headers().len(), 2);
        // In the same order: the transport's retry record relies on it.
        let names = |r: &reqwest::Request| {
            r.headers()
                .iter()
                .map(|(n, v)| format!("{n}: {v:?}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&ours), names(&theirs));
        assert_eq!(
            ours.body().and_then(|b| b.as_bytes()),
            theirs.body().and_then(|b| b.as_bytes())
        );
        // A map with non-string keys cannot be JSON: the builder fails.
        let bad: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let error = attach(post(), &bad).build().unwrap_err();
        assert!(error.is_builder(), "{error}");
    }
}
