//! Retries: what is retried (statuses, dropped connections, `Retry-After`)
//! and what is not (an import or a batch whose outcome is unknown), the
//! retry policy per client and per call, and that a retry repeats the same
//! request, applied once. Timeouts are in `timeouts`.

use std::time::Duration;

use serde_json::{Value, json};
use talkjs::{Error, RetryPolicy};
use talkjs_emulator::{Emulator, Fault};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

use crate::common;
use crate::common::{config_of, emulator, import, text};
use crate::fixtures::{requests_to, setup, users};
use crate::wire::{client, header, requests};

// ---------------------------------------------------------- on the wire

/// A server answering 503 to the first request and `body` to every later one.
async fn failing_once(body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// Method, URL, every header but `Authorization` (a fresh token may be
/// minted between attempts), and the body.
fn attempt(r: &Request) -> (String, String, Vec<(String, String)>, Vec<u8>) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(name, _)| *name != "authorization")
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (
        r.method.to_string(),
        r.url.to_string(),
        headers,
        r.body.clone(),
    )
}

/// Later attempts are rebuilt from a record of the first request
/// (`Resend` in src/transport.rs), not cloned: they must match it exactly,
/// with and without a body.
#[tokio::test]
async fn a_retried_request_is_the_same_request() {
    let server = failing_once(json!({"id": "alice"})).await;
    client(&server).users().get("a/b c").await.unwrap();
    let [first, second] = <[Request; 2]>::try_from(requests(&server).await).unwrap();
    assert_eq!(attempt(&first), attempt(&second));
    assert!(header(&second, "authorization").is_some());

    let server = failing_once(json!([{"id": "m1"}])).await;
    client(&server)
        .messages("c1")
        .send(vec![text("alice", "hi")])
        .await
        .unwrap();
    let [first, second] = <[Request; 2]>::try_from(requests(&server).await).unwrap();
    assert_eq!(attempt(&first), attempt(&second));
    assert_eq!(header(&second, "content-type"), Some("application/json"));
    assert!(!second.body.is_empty());
}

// ------------------------------------------------- against the emulator

/// Imports one old message into `c1` (imports are not de-duplicated: the
/// tests below check when it is sent again).
async fn import_one(client: &talkjs::Client) -> Result<usize, Error> {
    client
        .messages("c1")
        .import(vec![import("u1", "old", 1_600_000_000_000)])
        .await
}

fn fast_retries(emu: &Emulator) -> talkjs::Client {
    config_of(emu)
        .retry(talkjs::RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn status_faults_are_retried_and_mapped() {
    let (emu, client) = emulator().await;
    users(&client, &["alice"]).await;
    let client = fast_retries(&emu);
    emu.clear_log();
    emu.inject_faults(talkjs_emulator::Fault::status(503), 2);
    assert_eq!(
        client.users().get("alice").await.unwrap().id.as_deref(),
        Some("alice")
    );
    assert_eq!(emu.requests().len(), 3);

    emu.inject_fault(talkjs_emulator::Fault::status(400));
    let err = client.users().get("alice").await.unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    assert_eq!(err.status(), Some(400));

    let wrong_key = talkjs::ClientConfig::new(emu.app_id(), "sk_test_wrong")
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let err = wrong_key.users().get("alice").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn a_send_whose_answer_was_lost_is_retried_with_the_same_key_and_stored_once() {
    let (emulator, client) = setup(RetryPolicy::default()).await;
    emulator.inject_fault(Fault::DropAfterApply);
    let ids = client
        .messages("c1")
        .send(vec![text("u1", "hello"), text("u2", "twice?")])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let stored = emulator.messages("c1");
    let stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(stored_ids, ids, "each stored once, in order: {stored:?}");
    let sends = requests_to(&emulator, "POST", "/conversations/c1/messages");
    assert_eq!(sends.len(), 2, "one lost answer, one retry");
    assert_eq!(
        sends[0].body, sends[1].body,
        "the retry is the same request"
    );
    for i in 0..2 {
        let key = |send: usize| sends[send].json().unwrap()[i]["idempotencyKey"].clone();
        assert!(key(0).is_string());
        assert_eq!(
            key(0),
            key(1),
            "a retry must carry the same idempotency key"
        );
    }
}

#[tokio::test]
async fn an_import_whose_answer_was_lost_is_not_retried_and_says_so() {
    let (emulator, client) = setup(RetryPolicy::default()).await;
    emulator.inject_fault(Fault::DropAfterApply);
    let error = import_one(&client).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::OutcomeUnknown {
                operation: "import_messages",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("not retried"), "{error}");
    assert_eq!(emulator.messages("c1").len(), 1, "applied once, not twice");
    assert_eq!(emulator.requests().len(), 1);
}

#[tokio::test]
async fn an_import_refused_on_purpose_is_retried() {
    // 429, and 503 with Retry-After, refuse the request without applying
    // it; a bare 5xx may come from a gateway after it was applied.
    let (emulator, client) = setup(RetryPolicy::default()).await;
    emulator.inject_fault(Fault::status(429));
    emulator.inject_fault(Fault::status_with_retry_after(503, "0"));
    assert_eq!(import_one(&client).await.unwrap(), 1);
    assert_eq!(emulator.messages("c1").len(), 1);
    assert_eq!(emulator.requests().len(), 3);

    for status in [500, 502, 503, 504] {
        emulator.clear_log();
        emulator.inject_fault(Fault::status(status));
        let error = import_one(&client).await.unwrap_err();
        assert!(
            matches!(error, Error::OutcomeUnknown { .. }),
            "{status}: {error:?}"
        );
        assert!(error.to_string().contains(&status.to_string()), "{error}");
        assert_eq!(emulator.requests().len(), 1, "{status} was retried");
        // A read is repeatable: the same status is retried.
        emulator.inject_fault(Fault::status(status));
        client.users().get("u1").await.unwrap();
    }
}

#[tokio::test]
async fn a_dropped_import_is_ambiguous_even_if_the_server_never_applied_it() {
    // The client cannot tell "dropped before applying" from "dropped after":
    // both close the connection after the request was written.
    let (emulator, client) = setup(RetryPolicy::default()).await;
    emulator.inject_fault(Fault::DropBeforeApply);
    let error = import_one(&client).await.unwrap_err();
    assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert!(emulator.messages("c1").is_empty());
    assert_eq!(emulator.requests().len(), 1);
}

#[tokio::test]
async fn a_batch_with_a_post_is_not_retried_after_an_ambiguous_failure() {
    let (emulator, client) = setup(RetryPolicy::default()).await;
    emulator.inject_fault(Fault::DropAfterApply);
    let imports = vec![import("u1", "batched", 1_600_000_000_000)];
    let ops = vec![
        talkjs::BatchOp::custom(reqwest_method("POST"), "/import/conversations/c1/messages")
            .payload(serde_json::to_value(imports).unwrap()),
    ];
    let error = client.batch(ops).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::OutcomeUnknown {
                operation: "batch_requests",
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(emulator.requests().len(), 1);

    // Only reads and puts: safe to repeat, so retried.
    emulator.inject_fault(Fault::DropAfterApply);
    let outcomes = client
        .batch(vec![talkjs::BatchOp::get_user("u1").unwrap()])
        .await
        .unwrap();
    assert_eq!(outcomes[0].status, 200);
}

fn reqwest_method(name: &str) -> http::Method {
    name.parse().unwrap()
}

#[tokio::test]
async fn retry_after_beyond_the_limit_ends_retries_with_the_hint() {
    let (emulator, client) =
        setup(RetryPolicy::default().max_retry_after(Duration::from_secs(5))).await;
    emulator.inject_fault(Fault::status_with_retry_after(429, "120"));
    let error = client.users().get("u1").await.unwrap_err();
    match error {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(retry_after, Some(Duration::from_secs(120)))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        emulator.requests().len(),
        1,
        "a 120 s hint is not waited for"
    );
}

#[tokio::test]
async fn retry_after_as_a_past_http_date_retries_after_the_minimum_backoff() {
    let (emulator, client) = setup(RetryPolicy::default()).await;
    emulator.inject_fault(Fault::status_with_retry_after(
        503,
        "Wed, 21 Oct 2015 07:28:00 GMT",
    ));
    client.users().get("u1").await.unwrap();
    assert_eq!(emulator.requests().len(), 2);
}

#[tokio::test]
async fn retries_stop_at_the_attempt_cap_and_keep_the_last_status() {
    let (emulator, client) = setup(RetryPolicy::default().max_attempts(3)).await;
    emulator.inject_faults(Fault::status(502), 10);
    let error = client.users().get("u1").await.unwrap_err();
    assert_eq!(error.status(), Some(502), "{error:?}");
    assert_eq!(emulator.requests().len(), 3);
}

#[tokio::test]
async fn the_raw_client_goes_through_the_same_retries() {
    let (emulator, client) = setup(RetryPolicy::default().max_attempts(5)).await;
    emulator.inject_faults(Fault::status(500), 2);
    // The raw client goes through the same transport: retried.
    let user = client.raw().get_user().user_id("u1").send().await.unwrap();
    assert_eq!(user.name.as_deref(), Some("u1"));
    assert_eq!(emulator.requests().len(), 3);
}

#[tokio::test]
async fn a_per_call_retry_policy_overrides_the_client_policy() {
    let (emulator, client) = setup(RetryPolicy::default().max_attempts(5)).await;
    emulator.inject_faults(Fault::status(500), 2);
    let error = client
        .with_retry(RetryPolicy::none())
        .users()
        .get("u1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(500));
    assert_eq!(emulator.requests().len(), 1);
    // The client itself keeps its policy: the second fault is retried.
    client.users().get("u1").await.unwrap();
    assert_eq!(emulator.requests().len(), 3);
}

#[tokio::test]
async fn an_upload_rides_through_a_503_and_a_drop_before_applying_with_full_bodies() {
    let (emulator, client) = setup(RetryPolicy::default()).await;
    // 64 KiB that are not all the same byte: a truncated or shifted body
    // would not match.
    let contents: Vec<u8> = (0..64 * 1024u32).map(|i| (i * 7 % 251) as u8).collect();
    emulator.inject_fault(Fault::status(503));
    emulator.inject_fault(Fault::DropBeforeApply);
    let token = client
        .upload_file("report.bin", contents.clone())
        .mime("application/octet-stream")
        .send()
        .await
        .unwrap();

    // Stored once, exactly the bytes sent.
    let (name, stored) = emulator.file(&token).expect("the upload is stored");
    assert_eq!(name, "report.bin");
    assert_eq!(stored, contents);

    let log = emulator.requests();
    let faults: Vec<_> = log.iter().map(|r| r.fault.as_deref()).collect();
    assert_eq!(
        faults,
        [Some("status:503"), Some("dropBeforeApply"), None],
        "two faulted attempts, then the one that succeeded"
    );
    // Every attempt carried the whole form: rebuilt, not a drained stream.
    for (i, record) in log.iter().enumerate() {
        assert_eq!(record.method, "POST");
        assert!(record.path.ends_with("/files"), "{}", record.path);
        let content_type = record.header("content-type").unwrap();
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap_or_else(|| panic!("attempt {i}: {content_type}"));
        let body = &record.body[..];
        let head = format!("--{boundary}\r\n");
        let tail = format!("\r\n--{boundary}--\r\n");
        assert!(
            body.starts_with(head.as_bytes()),
            "attempt {i}: no opening boundary"
        );
        assert!(
            body.ends_with(tail.as_bytes()),
            "attempt {i}: body cut short"
        );
        let headers_end = body
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("part headers");
        let part_headers = String::from_utf8_lossy(&body[head.len()..headers_end]);
        assert!(
            part_headers.contains(r#"name="file"; filename="report.bin""#),
            "attempt {i}: {part_headers}"
        );
        assert_eq!(
            &body[headers_end + 4..body.len() - tail.len()],
            &contents[..],
            "attempt {i}: the file part is not the whole file"
        );
        if let Some(length) = record.header("content-length") {
            assert_eq!(length.parse::<usize>().unwrap(), body.len(), "attempt {i}");
        }
    }
}

/// `RetryPolicy::max_elapsed` caps the total time of one call's retries,
/// also for a per-call policy (`Client::with_retry`), below the client's
/// overall timeout. The transport reads the cap through
/// `RetryPolicy::elapsed_cap`.
#[tokio::test]
async fn a_per_call_total_time_cap_stops_retries_that_would_pass_it() {
    let (emulator, client) = setup(RetryPolicy::default().max_attempts(5)).await;
    // A 1 s hint, within max_retry_after (60 s) and the overall timeout
    // (120 s): only the per-call 300 ms cap stops the retry, at once.
    emulator.inject_faults(Fault::status_with_retry_after(503, "1"), 2);
    let capped = RetryPolicy::default()
        .max_attempts(5)
        .max_elapsed(Duration::from_millis(300));
    let error = client
        .with_retry(capped)
        .users()
        .get("u1")
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503), "{error:?}");
    assert_eq!(emulator.requests().len(), 1, "the retry would pass the cap");

    // Without the cap the same hint is waited for, and the call succeeds.
    let generous = RetryPolicy::default()
        .max_attempts(5)
        .max_elapsed(Duration::from_secs(30));
    client.with_retry(generous).users().get("u1").await.unwrap();
    assert_eq!(emulator.requests().len(), 3);
}

/// Through a gateway, a dropped upstream connection after the request was
/// applied arrives as a 502: an import (and a batch holding one) is then
/// reported as an unknown outcome and never sent twice, while a send (its
/// messages carry idempotency keys) and an upload are retried and applied
/// once.
#[tokio::test]
async fn behind_a_gateway_a_502_after_apply_never_duplicates() {
    let (emulator, _) = setup(RetryPolicy::default()).await;
    let client = config_of(&emulator)
        .base_url(common::gateway(emulator.base_url().to_owned()).await)
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();

    emulator.inject_fault(Fault::DropAfterApply);
    let error = client
        .messages("c1")
        .import(vec![import("u1", "imported", 1_600_000_000_000)])
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::OutcomeUnknown { .. }), "{error:?}");
    assert!(error.to_string().contains("502"), "{error}");
    assert_eq!(
        emulator.messages("c1").len(),
        1,
        "applied once, not retried"
    );

    emulator.inject_fault(Fault::DropAfterApply);
    let op =
        talkjs::BatchOp::import_messages("c1", vec![import("u1", "batched", 1_600_000_000_001)])
            .unwrap();
    let error = client.batch(vec![op]).await.unwrap_err();
    assert!(error.to_string().contains("unknown"), "{error}");
    assert_eq!(emulator.messages("c1").len(), 2, "the batch applied once");

    emulator.inject_fault(Fault::DropAfterApply);
    client
        .messages("c1")
        .send(vec![text("u1", "sent")])
        .await
        .unwrap();
    assert_eq!(emulator.messages("c1").len(), 3, "the send applied once");

    emulator.inject_fault(Fault::DropAfterApply);
    client
        .upload_file("a.txt", b"hello".to_vec())
        .mime("text/plain")
        .send()
        .await
        .unwrap();
}

/// A DELETE whose answer was lost after it applied is retried, finds
/// nothing, and reports success: the resource is gone either way. Without
/// an earlier ambiguous attempt, a 404 is still `NotFound`.
#[tokio::test]
async fn a_delete_whose_answer_was_lost_succeeds_when_the_retry_finds_nothing() {
    let (emulator, client) = setup(RetryPolicy::default()).await;
    let ids = client
        .messages("c1")
        .send(vec![text("u1", "to delete")])
        .await
        .unwrap();

    emulator.inject_fault(Fault::DropAfterApply);
    client.messages("c1").delete(&ids[0]).await.unwrap();
    assert!(emulator.messages("c1").is_empty());

    emulator.inject_fault(Fault::DropAfterApply);
    client.conversations().delete("c1").await.unwrap();
    assert!(emulator.conversation("c1").is_none());
    let deletes = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .count();
    assert_eq!(deletes, 4, "each DELETE was sent twice: lost, then retried");

    common::assert_not_found(client.conversations().delete("c1").await);
}
