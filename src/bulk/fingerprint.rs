//! A short, stable fingerprint of a message's content. Import markers and
//! bulk send's default idempotency keys carry it, so that a message at
//! some place of a conversation is never taken for a different message at
//! the same place (another import into that conversation under the same
//! job name, or another send).

use std::sync::LazyLock;

use serde::Serialize;
use serde_json::Value;

use crate::{
    Error,
    auth::hmac_sha256::{self, HmacKey},
};

/// 16 hex digits (64 bits) of HMAC-SHA256, under a fixed key, over the
/// message's JSON with every object's keys sorted (a `custom` map's own
/// order differs from one process to the next). It is the same in every
/// process and on every platform. Only messages at the same place of the
/// same job are ever compared, so 64 bits leave no practical room for a
/// collision.
///
/// The `attachmentToken` is left out: uploading the same file again (as a
/// rerun of a migration must) gives a new token, and the message is still
/// the one the earlier run sent.
pub(crate) fn fingerprint(message: &impl Serialize) -> Result<String, Error> {
    let mut value = serde_json::to_value(message)
        .map_err(|e| Error::Protocol(format!("cannot encode a message: {e}")))?;
    if let Value::Object(fields) = &mut value {
        fields.remove("attachmentToken");
    }
    // Sorted (a no-op unless a crate in the build turns on serde_json's
    // `preserve_order`), the compact text is canonical.
    value.sort_all_objects();
    // The HMAC only as a hash (a fixed, public key): the crate already has
    // it under every TLS feature.
    static KEY: LazyLock<HmacKey> =
        LazyLock::new(|| HmacKey::new(b"talkjs bulk message fingerprint v1"));
    let mut hash = KEY.start();
    hash.update(value.to_string().as_bytes());
    Ok(hmac_sha256::hex(&hash.finalize()[..8], false))
}

/// The content hash of a conversation's messages up to one more message:
/// `previous` (of the messages before it; `""` for none) and the new one's
/// [`fingerprint`]. Recorded with each acknowledgement in a checkpoint, so
/// that a resumed run can tell that its input is the one recorded.
pub(crate) fn chained(previous: &str, fingerprint: &str) -> String {
    static KEY: LazyLock<HmacKey> =
        LazyLock::new(|| HmacKey::new(b"talkjs bulk conversation chain v1"));
    let mut hash = KEY.start();
    hash.update(previous.as_bytes());
    hash.update(b"/");
    hash.update(fingerprint.as_bytes());
    hmac_sha256::hex(&hash.finalize()[..8], false)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::raw::types::{Custom, ImportMessageInput};

    fn message(text: &str, custom: &[(&str, &str)]) -> ImportMessageInput {
        let mut message = ImportMessageInput::user_text("alice", text, 1_600_000_000_000);
        let custom: HashMap<String, String> = custom
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        message.custom = Some(Custom(Some(custom)));
        message
    }

    #[test]
    fn the_same_content_has_the_same_fingerprint_whatever_the_map_order() {
        let pairs: Vec<(String, String)> = (0..40)
            .map(|i| (format!("k{i}"), format!("v{i}")))
            .collect();
        let forward: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let backward: Vec<(&str, &str)> = forward.iter().rev().copied().collect();
        let a = fingerprint(&message("hi", &forward)).unwrap();
        assert_eq!(a, fingerprint(&message("hi", &backward)).unwrap());
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn a_file_uploaded_again_leaves_the_fingerprint_as_it_was() {
        let mut first = message("", &[]);
        first.text = None;
        first.attachment_token = Some("tok_first_upload".into());
        let mut again = first.clone();
        again.attachment_token = Some("tok_second_upload".into());
        assert_eq!(fingerprint(&first).unwrap(), fingerprint(&again).unwrap());
    }

    #[test]
    fn different_content_has_a_different_fingerprint() {
        let base = fingerprint(&message("hi", &[])).unwrap();
        assert_ne!(base, fingerprint(&message("hi!", &[])).unwrap());
        assert_ne!(base, fingerprint(&message("hi", &[("a", "b")])).unwrap());
        let mut later = message("hi", &[]);
        later.timestamp += 1;
        assert_ne!(base, fingerprint(&later).unwrap());
    }

    #[test]
    fn the_fingerprint_is_pinned() {
        // A change here changes every marker and default key: a job
        // resumed across the change would not recognise its own messages.
        // The value is HMAC-SHA256 by any implementation (Python's
        // `hmac.new(key, b'{"text":"hi"}', sha256)` gives the same), so
        // every TLS feature's backend agrees.
        assert_eq!(
            fingerprint(&serde_json::json!({"b": [1, "x"], "a": null})).unwrap(),
            fingerprint(&serde_json::json!({"a": null, "b": [1, "x"]})).unwrap()
        );
        assert_eq!(
            fingerprint(&serde_json::json!({"text": "hi"})).unwrap(),
            "0b8a5b0454823fd4"
        );
    }
}
