//! Webhook verification and parsing.
//!
//! The signature vector was computed with Python 3's standard library only:
//!
//! ```python
//! key = b"sk_test_AbCdEf0123456789"
//! ts = b"1700000000123"
//! body = '{"type":"message.sent","data":{"message":{"id":"msg_1","text":"h\u00e9llo"}}}'.encode()
//! hmac.new(key, ts + b"." + body, hashlib.sha256).hexdigest().upper()
//! ```
//!
//! The body holds a non-ASCII character so that the raw UTF-8 bytes, not some
//! re-encoding, are what is signed.

// The example receiver over loopback HTTP, alone and with the emulator
// delivering to it.
mod emulator_delivery;
mod example_receiver;

// The example's `main` is not used here.
#[allow(dead_code)]
#[path = "../../examples/webhook_receiver.rs"]
mod webhook_receiver;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use serde_json::{Value, json};
use talkjs::WebhookError;
use talkjs::webhooks::{SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookEvent, WebhookVerifier};

const KEY: &str = "sk_test_AbCdEf0123456789";
const TS: &str = "1700000000123";
const TS_MS: u64 = 1_700_000_000_123;
const BODY: &[u8] =
    "{\"type\":\"message.sent\",\"data\":{\"message\":{\"id\":\"msg_1\",\"text\":\"h\u{e9}llo\"}}}"
        .as_bytes();
/// Python vector, see the module comment.
const SIG: &str = "6EAB023650C01A12B9ACB4A6F7A597246E2D1000900C0836855AB6D4196E1AEB";

fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SecretString::from(KEY))
}

fn ms(t: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(t)
}

fn headers(ts: &str, sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(TIMESTAMP_HEADER, ts.parse().unwrap());
    h.insert(SIGNATURE_HEADER, sig.parse().unwrap());
    h
}

fn webhook_err(r: Result<impl std::fmt::Debug, WebhookError>) -> WebhookError {
    match r {
        Err(e) => e,
        other => panic!("expected a webhook error, got {other:?}"),
    }
}

/// Signs `body` at `TS` with the (vector-checked) verifier and parses it.
fn signed(body: &Value) -> WebhookEvent {
    let v = verifier();
    let bytes = serde_json::to_vec(body).unwrap();
    v.verify_at(&headers(TS, &v.sign(TS, &bytes)), &bytes, ms(TS_MS))
        .unwrap()
}

#[test]
fn signature_matches_python_vector() {
    let v = verifier();
    assert_eq!(v.sign(TS, BODY), SIG);
    v.verify_signature(TS, SIG, BODY).unwrap();
    // Lowercase hex is the same bytes.
    v.verify_signature(TS, &SIG.to_lowercase(), BODY).unwrap();

    let event = v.verify_at(&headers(TS, SIG), BODY, ms(TS_MS)).unwrap();
    let WebhookEvent::MessageSent(ev) = event else {
        panic!("wrong variant: {event:?}");
    };
    let msg = ev.data.message.unwrap();
    assert_eq!(msg.id.as_deref(), Some("msg_1"));
    assert_eq!(msg.text.as_deref(), Some("h\u{e9}llo"));
}

#[test]
fn header_names_are_case_insensitive() {
    let mut h = HeaderMap::new();
    h.insert("x-talkjs-timestamp", TS.parse().unwrap());
    h.insert("X-TALKJS-SIGNATURE", SIG.parse().unwrap());
    verifier().verify_at(&h, BODY, ms(TS_MS)).unwrap();
}

#[test]
fn wrong_signatures_are_refused() {
    let v = verifier();
    let mut flipped = SIG.to_owned();
    flipped.replace_range(0..1, "7"); // first digit 6 -> 7
    let tampered_body =
        "{\"type\":\"message.sent\",\"data\":{\"message\":{\"id\":\"msg_1\",\"text\":\"hallo\"}}}";
    let other_key = WebhookVerifier::new(SecretString::from("sk_test_other"));

    let cases: Vec<(&str, String, &[u8], &WebhookVerifier)> = vec![
        ("one hex digit changed", flipped, BODY, &v),
        ("body changed", SIG.into(), tampered_body.as_bytes(), &v),
        ("other secret key", SIG.into(), BODY, &other_key),
        ("not hex", "zz".repeat(32), BODY, &v),
        ("too short", SIG[..62].into(), BODY, &v),
        ("too long", format!("{SIG}00"), BODY, &v),
        ("empty", String::new(), BODY, &v),
    ];
    for (what, sig, body, verifier) in cases {
        assert_eq!(
            webhook_err(verifier.verify_signature(TS, &sig, body)),
            WebhookError::BadSignature,
            "{what}"
        );
    }
    // The timestamp is part of what is signed.
    assert_eq!(
        webhook_err(v.verify_signature("1700000000124", SIG, BODY)),
        WebhookError::BadSignature
    );
    // And through the header path.
    assert_eq!(
        webhook_err(v.verify_at(&headers("1700000000124", SIG), BODY, ms(TS_MS))),
        WebhookError::BadSignature
    );
}

#[test]
fn missing_or_unreadable_headers_are_named() {
    let v = verifier();
    let mut only_sig = HeaderMap::new();
    only_sig.insert(SIGNATURE_HEADER, SIG.parse().unwrap());
    assert_eq!(
        webhook_err(v.verify_at(&only_sig, BODY, ms(TS_MS))),
        WebhookError::MissingHeader(TIMESTAMP_HEADER)
    );

    let mut only_ts = HeaderMap::new();
    only_ts.insert(TIMESTAMP_HEADER, TS.parse().unwrap());
    assert_eq!(
        webhook_err(v.verify_at(&only_ts, BODY, ms(TS_MS))),
        WebhookError::MissingHeader(SIGNATURE_HEADER)
    );

    // A value that is not visible ASCII counts as unreadable.
    let mut bad = headers(TS, SIG);
    bad.insert(
        SIGNATURE_HEADER,
        HeaderValue::from_bytes(b"\xe9\xe9").unwrap(),
    );
    assert_eq!(
        webhook_err(v.verify_at(&bad, BODY, ms(TS_MS))),
        WebhookError::MissingHeader(SIGNATURE_HEADER)
    );

    // An empty timestamp header is missing too.
    assert_eq!(
        webhook_err(v.verify_at(&headers("", SIG), BODY, ms(TS_MS))),
        WebhookError::MissingHeader(TIMESTAMP_HEADER)
    );
}

#[test]
fn stale_and_future_timestamps_are_refused_when_max_age_is_set() {
    let v = verifier().max_age(Duration::from_secs(300));
    let h = headers(TS, SIG);

    // Exactly at the limit, either side: accepted.
    v.verify_at(&h, BODY, ms(TS_MS + 300_000)).unwrap();
    v.verify_at(&h, BODY, ms(TS_MS - 300_000)).unwrap();

    // One millisecond past it: a replay (old) ...
    assert_eq!(
        webhook_err(v.verify_at(&h, BODY, ms(TS_MS + 300_001))),
        WebhookError::Stale {
            age_ms: 300_001,
            max_age_ms: 300_000
        }
    );
    // ... or a timestamp from the future.
    assert_eq!(
        webhook_err(v.verify_at(&h, BODY, ms(TS_MS - 3_600_000))),
        WebhookError::Stale {
            age_ms: 3_600_000,
            max_age_ms: 300_000
        }
    );

    // A bad signature is reported as such, even when also stale.
    let mut flipped = SIG.to_owned();
    flipped.replace_range(0..1, "7");
    assert_eq!(
        webhook_err(v.verify_at(&headers(TS, &flipped), BODY, ms(TS_MS + 3_600_000))),
        WebhookError::BadSignature
    );

    // With any_age any correctly signed timestamp passes.
    verifier()
        .any_age()
        .verify_at(&h, BODY, ms(TS_MS + 365 * 86_400_000))
        .unwrap();
}

#[test]
fn by_default_a_timestamp_more_than_five_minutes_away_is_stale() {
    let v = verifier();
    let h = headers(TS, SIG);
    for now in [TS_MS - 300_000, TS_MS, TS_MS + 300_000] {
        v.verify_at(&h, BODY, ms(now)).unwrap();
    }
    for now in [TS_MS - 300_001, TS_MS + 300_001] {
        assert_eq!(
            webhook_err(v.verify_at(&h, BODY, ms(now))),
            WebhookError::Stale {
                age_ms: 300_001,
                max_age_ms: 300_000
            }
        );
    }
    assert_eq!(talkjs::webhooks::DEFAULT_MAX_AGE, Duration::from_secs(300));
}

#[test]
fn a_signed_but_non_numeric_timestamp_is_refused_under_max_age() {
    let v = verifier().max_age(Duration::from_secs(300));
    let ts = "yesterday";
    let sig = v.sign(ts, BODY);
    assert_eq!(
        webhook_err(v.verify_at(&headers(ts, &sig), BODY, ms(TS_MS))),
        WebhookError::MissingHeader(TIMESTAMP_HEADER)
    );
}

#[test]
fn malformed_bodies_are_refused() {
    let v = verifier();
    for body in [
        &b"not json"[..],
        b"",
        b"[1,2]",
        b"\"message.sent\"",
        br#"{"data":{}}"#,
        br#"{"type":7,"data":{}}"#,
        br#"{"type":null}"#,
    ] {
        // Correctly signed, so only the body is at fault.
        let h = headers(TS, &v.sign(TS, body));
        let err = webhook_err(v.verify_at(&h, body, ms(TS_MS)));
        assert!(
            matches!(err, WebhookError::MalformedBody(_)),
            "{:?}: {err:?}",
            String::from_utf8_lossy(body)
        );
        assert!(matches!(
            WebhookEvent::parse(body),
            Err(WebhookError::MalformedBody(_))
        ));
    }
}

fn user(id: &str) -> Value {
    json!({"id": id, "name": format!("User {id}"), "email": [format!("{id}@example.com")],
           "custom": {"plan": "pro"}, "createdAt": 1_600_000_000_000i64, "role": "default"})
}

fn conversation() -> Value {
    json!({"id": "conv_1", "subject": "Order #42", "custom": {"order": "42"},
           "participants": {"alice": {"access": "ReadWrite", "notify": true},
                            "bob": {"access": "Read", "notify": "MentionsOnly"}},
           "createdAt": 1_600_000_000_000i64})
}

fn message(id: &str) -> Value {
    json!({"id": id, "conversationId": "conv_1", "type": "UserMessage", "senderId": "alice",
           "text": "hello", "readBy": ["bob"], "origin": "web", "createdAt": 1_700_000_000_000i64,
           "custom": {}, "attachment": null, "location": null})
}

fn envelope(event_type: &str, data: Value) -> Value {
    json!({"id": "evt_AVZ1", "createdAt": 1_700_000_000_999i64, "type": event_type, "data": data})
}

#[test]
fn user_events_are_typed() {
    for t in ["user.created", "user.updated"] {
        let ev = signed(&envelope(t, json!({"user": user("alice")})));
        assert_eq!(ev.event_type(), t);
        assert_eq!(ev.id(), Some("evt_AVZ1"));
        assert_eq!(ev.created_at(), Some(1_700_000_000_999));
        let (WebhookEvent::UserCreated(e) | WebhookEvent::UserUpdated(e)) = &ev else {
            panic!("{t}: {ev:?}");
        };
        assert_eq!(
            matches!(ev, WebhookEvent::UserCreated(_)),
            t == "user.created"
        );
        let u = e.data.user.as_ref().unwrap();
        assert_eq!(u.id.as_deref(), Some("alice"));
        assert_eq!(u.name.as_deref(), Some("User alice"));
        assert_eq!(
            u.email.as_deref(),
            Some(&["alice@example.com".to_owned()][..])
        );
        assert_eq!(e.id.as_deref(), Some("evt_AVZ1"));
    }
}

#[test]
fn user_event_whose_data_is_the_user_itself_is_accepted() {
    // The shape this crate's emulator sends (data = the user object).
    let ev = signed(&envelope("user.created", user("carol")));
    let WebhookEvent::UserCreated(e) = ev else {
        panic!("{ev:?}");
    };
    assert_eq!(e.data.user.unwrap().id.as_deref(), Some("carol"));
    assert!(e.data.extra.is_empty());
}

#[test]
fn message_events_are_typed() {
    for t in [
        "message.sent",
        "message.read",
        "message.updated",
        "message.deleted",
    ] {
        let data = json!({"message": message("msg_9"), "conversation": conversation(),
                          "sender": user("alice"), "recipient": user("bob")});
        let ev = signed(&envelope(t, data));
        assert_eq!(ev.event_type(), t);
        assert_eq!(ev.created_at(), Some(1_700_000_000_999));
        let e = match &ev {
            WebhookEvent::MessageSent(e) if t == "message.sent" => e,
            WebhookEvent::MessageRead(e) if t == "message.read" => e,
            WebhookEvent::MessageUpdated(e) if t == "message.updated" => e,
            WebhookEvent::MessageDeleted(e) if t == "message.deleted" => e,
            other => panic!("{t}: {other:?}"),
        };
        let m = e.data.message.as_ref().unwrap();
        assert_eq!(m.id.as_deref(), Some("msg_9"));
        assert_eq!(m.text.as_deref(), Some("hello"));
        assert_eq!(m.sender_id.as_deref(), Some("alice"));
        assert_eq!(m.read_by.as_deref(), Some(&["bob".to_owned()][..]));
        let c = e.data.conversation.as_ref().unwrap();
        assert_eq!(c.id.as_deref(), Some("conv_1"));
        assert_eq!(c.participants.as_ref().unwrap().len(), 2);
        assert_eq!(e.data.sender.as_ref().unwrap().id.as_deref(), Some("alice"));
        assert_eq!(
            e.data.recipient.as_ref().unwrap().id.as_deref(),
            Some("bob")
        );
    }
}

#[test]
fn system_message_without_sender_is_typed() {
    let mut m = message("msg_sys");
    m["type"] = json!("SystemMessage");
    m["senderId"] = Value::Null;
    let ev = signed(&envelope(
        "message.sent",
        json!({"message": m, "conversation": {"id": "conv_1"}, "sender": null}),
    ));
    let WebhookEvent::MessageSent(e) = ev else {
        panic!("{ev:?}");
    };
    assert!(e.data.sender.is_none());
    assert_eq!(
        e.data.message.unwrap().type_,
        Some(talkjs::types::MessageType::SystemMessage)
    );
}

#[test]
fn conversation_deleted_is_typed() {
    let ev = signed(&envelope(
        "conversation.deleted",
        json!({"conversation": {"id": "conv_1"}}),
    ));
    let WebhookEvent::ConversationDeleted(e) = ev else {
        panic!("{ev:?}");
    };
    assert_eq!(e.data.conversation.unwrap().id.as_deref(), Some("conv_1"));
}

#[test]
fn notification_events_are_typed() {
    for t in [
        "notification.triggered",
        "notification.sent",
        "notification.delivered",
        "notification.bounced",
        "notification.opened",
        "notification.link.clicked",
    ] {
        let data = json!({"notificationId": "ntf_7", "recipient": user("bob"),
                          "sender": user("alice"), "conversation": conversation(),
                          "messages": [message("m1"), message("m2")],
                          "url": "https://example.com/inbox", "channel": "email"});
        let ev = signed(&envelope(t, data));
        assert_eq!(ev.event_type(), t);
        assert_eq!(ev.id(), Some("evt_AVZ1"));
        let e = match &ev {
            WebhookEvent::NotificationTriggered(e) if t == "notification.triggered" => e,
            WebhookEvent::NotificationSent(e) if t == "notification.sent" => e,
            WebhookEvent::NotificationDelivered(e) if t == "notification.delivered" => e,
            WebhookEvent::NotificationBounced(e) if t == "notification.bounced" => e,
            WebhookEvent::NotificationOpened(e) if t == "notification.opened" => e,
            WebhookEvent::NotificationLinkClicked(e) if t == "notification.link.clicked" => e,
            other => panic!("{t}: {other:?}"),
        };
        let d = &e.data;
        assert_eq!(d.notification_id.as_deref(), Some("ntf_7"));
        assert_eq!(d.recipient.as_ref().unwrap().id.as_deref(), Some("bob"));
        assert_eq!(d.sender.as_ref().unwrap().id.as_deref(), Some("alice"));
        assert_eq!(
            d.conversation.as_ref().unwrap().subject.as_deref(),
            Some("Order #42")
        );
        let ids: Vec<_> = d
            .messages
            .as_ref()
            .unwrap()
            .iter()
            .map(|m| m.id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["m1", "m2"]);
        assert_eq!(d.url.as_deref(), Some("https://example.com/inbox"));
        // Fields without a typed slot are kept.
        assert_eq!(d.extra.get("channel"), Some(&json!("email")));
    }
}

#[test]
fn unknown_event_types_are_kept_raw() {
    let payload = envelope(
        "reaction.added",
        json!({"emoji": "👍", "nested": {"a": [1, 2]}}),
    );
    let ev = signed(&payload);
    assert_eq!(ev.event_type(), "reaction.added");
    assert_eq!(ev.id(), Some("evt_AVZ1"));
    assert_eq!(ev.created_at(), Some(1_700_000_000_999));
    let WebhookEvent::Unknown {
        event_type,
        payload: kept,
    } = ev
    else {
        panic!("not Unknown");
    };
    assert_eq!(event_type, "reaction.added");
    assert_eq!(kept, payload);
}

#[test]
fn known_type_with_misfitting_data_falls_back_to_unknown() {
    // `text` is a number: the typed struct cannot hold it, the event is kept.
    let payload = envelope("message.sent", json!({"message": {"id": "m", "text": 42}}));
    let ev = signed(&payload);
    assert_eq!(ev.event_type(), "message.sent");
    let WebhookEvent::Unknown {
        event_type,
        payload: kept,
    } = ev
    else {
        panic!("expected the Unknown fallback");
    };
    assert_eq!(event_type, "message.sent");
    assert_eq!(kept, payload);

    // A known type without `data` at all is kept the same way.
    let ev = signed(&json!({"type": "user.updated"}));
    assert!(
        matches!(ev, WebhookEvent::Unknown { ref event_type, .. } if event_type == "user.updated")
    );
}

#[test]
fn envelope_fields_are_optional_and_read_leniently() {
    // No id, createdAt of an unexpected type: the typed variant still applies.
    let ev = signed(&json!({"type": "conversation.deleted", "createdAt": "soon",
                            "data": {"conversation": {"id": "c"}, "reason": "api"}}));
    assert_eq!(ev.id(), None);
    assert_eq!(ev.created_at(), None);
    let WebhookEvent::ConversationDeleted(e) = ev else {
        panic!("{ev:?}");
    };
    assert_eq!(e.data.extra.get("reason"), Some(&json!("api")));
}

#[test]
fn nothing_secret_in_debug_or_errors() {
    let v = verifier().max_age(Duration::from_secs(1));
    let debug = format!("{v:?}");
    assert!(!debug.contains(KEY), "{debug}");
    for err in [
        v.verify_at(&headers(TS, "00"), BODY, ms(TS_MS))
            .unwrap_err(),
        v.verify_at(&headers(TS, SIG), BODY, ms(TS_MS + 10_000))
            .unwrap_err(),
        v.verify_at(&HeaderMap::new(), BODY, ms(TS_MS)).unwrap_err(),
    ] {
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(KEY), "{shown}");
    }
}
