//! JSON request bodies serialised into one allocation of about the right
//! size.
//!
//! `serde_json::to_vec`, which reqwest's `RequestBuilder::json` uses, starts
//! at 128 bytes and doubles: a send of ten messages (about 1.3 KB) grew
//! through four reallocations, copying 1.9 KB on the way, on every call
//! (BENCHMARKS.md). A program tends to send bodies of similar sizes, so the
//! buffer starts at the size of the last body this thread serialised,
//! rounded up to a power of two; a larger body still grows as before. No
//! crate offers this: it is a capacity hint kept in a thread-local.

use std::cell::Cell;

/// The smallest starting capacity: serde_json's own.
const MIN_CAPACITY: usize = 128;
/// The largest starting capacity: one large body must not make every later
/// small one reserve much more than it needs, and glibc serves blocks this
/// size without a system call.
const MAX_CAPACITY: usize = 64 * 1024;

thread_local! {
    /// The length of the last body serialised on this thread (a thread
    /// local, so that concurrent calls on other threads do not contend).
    static LAST_LEN: Cell<usize> = const { Cell::new(0) };
}

/// `value` as JSON bytes, in a buffer sized from the last body.
pub(crate) fn to_vec<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    let capacity = LAST_LEN
        .get()
        .checked_next_power_of_two()
        .unwrap_or(MAX_CAPACITY)
        .clamp(MIN_CAPACITY, MAX_CAPACITY);
    let mut bytes = Vec::with_capacity(capacity);
    serde_json::to_writer(&mut bytes, value)?;
    LAST_LEN.set(bytes.len());
    Ok(bytes)
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
        assert_eq!(again.capacity(), bytes.len().next_power_of_two());
        // A small body after it reserves the larger size, and no more.
        let small = to_vec("x").unwrap();
        assert_eq!(small, b"\"x\"");
        assert_eq!(small.capacity(), bytes.len().next_power_of_two());
        // And the next one is back at the minimum.
        assert_eq!(to_vec("y").unwrap().capacity(), MIN_CAPACITY);
    }

    #[test]
    fn a_huge_body_does_not_raise_the_next_capacity_above_the_cap() {
        let huge = "x".repeat(MAX_CAPACITY * 3);
        assert_eq!(to_vec(&huge).unwrap().len(), huge.len() + 2);
        assert_eq!(to_vec("y").unwrap().capacity(), MAX_CAPACITY);
    }

    #[test]
    fn attach_matches_reqwests_json_and_keeps_its_errors() {
        crate::install_default_crypto_provider();
        let client = reqwest::Client::new();
        let value = serde_json::json!({"text": "hi", "n": [1, 2]});
        let ours = attach(client.post("http://127.0.0.1/x"), &value)
            .build()
            .unwrap();
        let theirs = client
            .post("http://127.0.0.1/x")
            .json(&value)
            .build()
            .unwrap();
        assert_eq!(ours.headers(), theirs.headers());
        assert_eq!(
            ours.body().and_then(|b| b.as_bytes()),
            theirs.body().and_then(|b| b.as_bytes())
        );
        // A map with non-string keys cannot be JSON: the builder fails.
        let bad: std::collections::HashMap<(u8, u8), u8> = [((1, 2), 3)].into();
        let error = attach(client.post("http://127.0.0.1/x"), &bad)
            .build()
            .unwrap_err();
        assert!(error.is_builder(), "{error}");
    }
}
