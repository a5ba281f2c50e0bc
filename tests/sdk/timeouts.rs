//! Timeouts: connect, per attempt (also while a body stalls) and overall
//! (across retries, chunks and the batch gate), each reported as such; a
//! write cut by one is an unknown outcome.

use std::time::Duration;

use talkjs::{ClientConfig, Error, RetryPolicy, TimeoutKind};
use talkjs_emulator::{Emulator, EmulatorConfig, Fault};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

use crate::common;
use crate::common::{config_of, text};
use crate::fixtures::setup;

#[tokio::test]
async fn the_attempt_timeout_is_reported_as_such() {
    let (emulator, client) = setup(RetryPolicy::none()).await;
    emulator.inject_fault(Fault::Delay(Duration::from_secs(2)));
    let error = client.users().get("u1").await.unwrap_err();
    assert!(
        matches!(error, Error::Timeout { which: TimeoutKind::Attempt, after } if after == Duration::from_millis(300)),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_overall_timeout_is_reported_as_such() {
    let emulator = Emulator::start(EmulatorConfig::new()).await.unwrap();
    let client = config_of(&emulator)
        .attempt_timeout(Duration::from_secs(30))
        .overall_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    emulator.inject_faults(Fault::Delay(Duration::from_secs(2)), 5);
    let error = client.users().get("u1").await.unwrap_err();
    assert!(is_overall_timeout(&error), "{error:?}");
}

#[tokio::test]
async fn the_connect_timeout_is_reported_as_such() {
    let config = ClientConfig::new("app", "sk_test_connect");
    let error = common::connect_timeout_error(config, Duration::from_millis(300)).await;
    assert!(
        matches!(error, Error::Timeout { which: TimeoutKind::Connect, after } if after == Duration::from_millis(300)),
        "{error:?}"
    );
}

/// `overall_timeout` bounds a whole chunked call: a send of 100 messages
/// (10 requests), each answered after 300 ms, with a 1 s overall timeout
/// stops part-way with the overall timeout, saying what was applied.
#[tokio::test]
async fn the_overall_timeout_bounds_a_chunked_send() {
    let (emulator, _) = setup(RetryPolicy::default()).await;
    let client = config_of(&emulator)
        .attempt_timeout(Duration::from_millis(800))
        .overall_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    emulator.inject_faults(Fault::Delay(Duration::from_millis(300)), 100);
    let messages = (0..100).map(|i| text("u1", &format!("m{i}"))).collect();
    let error = client.messages("c1").send(messages).await.unwrap_err();
    let Error::Partial {
        applied, source, ..
    } = &error
    else {
        panic!("expected a partial result, got {error:?}");
    };
    assert!(
        matches!(**source, Error::Timeout { which: TimeoutKind::Overall, after } if after == Duration::from_secs(1)),
        "{source:?}"
    );
    assert!(*applied < 100, "{error}");
    // The request the deadline cut may still have been applied.
    let stored = emulator.messages("c1").len();
    assert!(
        stored == *applied || stored == *applied + 10,
        "{stored} stored, {applied} reported"
    );
}

/// The batch gate (one batch a second) is inside the clock: of five
/// concurrent batch calls with a 500 ms overall timeout, those that would
/// wait for their turn beyond it end with the overall timeout; a call of
/// 45 operations (five requests, paced a second apart) stops part-way.
#[tokio::test]
async fn the_overall_timeout_covers_the_batch_gate_and_pacing() {
    let (emulator, _) = setup(RetryPolicy::default()).await;
    let client = config_of(&emulator)
        .overall_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let calls = (0..5).map(|_| {
        let client = client.clone();
        async move {
            client
                .batch(vec![talkjs::BatchOp::get_user("u1").unwrap()])
                .await
        }
    });
    let results = futures::future::join_all(calls).await;
    let done = results.iter().filter(|r| r.is_ok()).count();
    assert!(done <= 1, "{results:?}");
    for error in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(is_overall_timeout(error), "{error:?}");
    }

    let client = config_of(&emulator)
        .overall_timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    let ops = (0..45)
        .map(|_| talkjs::BatchOp::get_user("u1").unwrap())
        .collect();
    match client.batch(ops).await {
        Err(Error::Partial {
            failed_chunk,
            applied,
            outcomes,
            source,
            ..
        }) => {
            assert!((1..5).contains(&failed_chunk), "{failed_chunk}");
            assert_eq!(
                (applied, outcomes.len()),
                (failed_chunk * 10, failed_chunk * 10)
            );
            assert!(is_overall_timeout(&source), "{source:?}");
        }
        other => panic!("expected a partial batch, got {other:?}"),
    }
}

/// Whether `error` is the overall timeout firing.
fn is_overall_timeout(error: &Error) -> bool {
    matches!(
        error,
        Error::Timeout {
            which: TimeoutKind::Overall,
            ..
        }
    )
}

// ----------------------------------------------------- stalling servers

/// A server that writes `prefix` and then holds the connection open without
/// another byte, until the client gives up.
async fn stalling_server(prefix: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let _ = socket.read(&mut buf).await;
                let _ = socket.write_all(prefix).await;
                // Returns when the client closes the connection.
                while matches!(socket.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    format!("http://{addr}")
}

fn impatient(url: String) -> talkjs::Client {
    ClientConfig::new("app", "sk_test_hostile")
        .base_url(url)
        .retry(RetryPolicy::none())
        .attempt_timeout(Duration::from_millis(300))
        .build()
        .unwrap()
}

/// A `get user` from a server that answers `prefix` and then stalls ends
/// in the [`impatient`] client's attempt timeout.
async fn assert_stall_is_the_attempt_timeout(prefix: &'static [u8]) {
    let url = stalling_server(prefix).await;
    let error = impatient(url).users().get("u1").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                which: talkjs::TimeoutKind::Attempt,
                after,
            } if after == Duration::from_millis(300)
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_body_that_stalls_reports_the_attempt_timeout() {
    assert_stall_is_the_attempt_timeout(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"id\":\"u",
    )
    .await;
}

/// Without a Content-Length the body goes through the size-cap counter; a
/// stall there is the same attempt timeout.
#[tokio::test]
async fn a_chunked_body_that_stalls_reports_the_attempt_timeout() {
    assert_stall_is_the_attempt_timeout(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n8\r\n{\"id\":\"u\r\n",
    )
    .await;
}

#[tokio::test]
async fn an_import_that_times_out_says_its_outcome_is_unknown_and_which_timeout_fired() {
    let url = stalling_server(b"").await;
    let message = common::import("u1", "hello", 1_600_000_000_000);
    let error = impatient(url)
        .messages("c1")
        .import(vec![message])
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { reason, .. } if reason.contains("attempt timeout (300 ms)")),
        "{error:?}"
    );
}

/// A 200 whose body stalls: a write was applied (the status says so), so
/// a batch holding an import is an unknown outcome, not a plain timeout; a
/// read stays a timeout (above). (An import itself reads no body: its 200
/// is its whole answer.)
#[tokio::test]
async fn a_write_whose_200_body_stalls_says_it_was_applied_and_its_result_is_unknown() {
    let url = stalling_server(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n[[0,",
    )
    .await;
    let op = talkjs::BatchOp::import_messages(
        "c1",
        vec![common::import("u1", "hello", 1_600_000_000_000)],
    )
    .unwrap();
    let error = impatient(url).batch(vec![op]).await.unwrap_err();
    assert!(
        matches!(&error, Error::OutcomeUnknown { operation: "batch_requests", reason }
            if reason.contains("200 OK") && reason.contains("applied") && reason.contains("attempt timeout (300 ms)")),
        "{error:?}"
    );
}
