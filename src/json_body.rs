//! The JSON bodies of the hand-written requests (the deprecated
//! `participants=` paths, [`crate::Client::json_request`]).

/// `value` as the JSON body of a hand-written request; a value that cannot
/// be JSON (a map with non-string keys, say) is refused before sending.
pub(crate) fn bytes(value: &impl serde::Serialize) -> Result<bytes::Bytes, crate::Error> {
    serde_json::to_vec(value)
        .map(bytes::Bytes::from)
        .map_err(|e| crate::Error::validation("body", e.to_string()))
}
