//! What the SDK logs: one `talkjs.request` span per attempt, with the
//! operation, the attempt number, the status and the duration; and never
//! the secret key or a token, whatever fails.
//!
//! A binary of its own: each test captures the SDK's log lines with a
//! thread-local subscriber (`tracing::subscriber::set_default`), but tracing
//! decides once per process whether a callsite is enabled. While only one
//! subscriber is registered, the subscriber of whichever thread reaches the
//! callsite first decides (tracing-core 0.1, `Rebuilder::JustOne`): in the
//! `sdk` binary, a test without one would switch an SDK callsite off for
//! every thread, and the capture would miss its lines. Here every thread
//! that reaches an SDK callsite sets its capturing subscriber first.

mod common;

use std::time::Duration;

use talkjs::{AuthMode, BatchOp, ClientConfig, RetryPolicy};
use talkjs_emulator::{Emulator, EmulatorConfig, Fault};
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

#[tokio::test]
async fn each_attempt_is_a_span_with_operation_attempt_status_and_duration() {
    let capture = common::Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::start(EmulatorConfig::new()).await.unwrap();
    let client = common::config_of(&emulator)
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    emulator.inject_fault(Fault::status(503));
    let error = client.users().get("nobody").await.unwrap_err();
    assert_eq!(error.status(), Some(404));

    let logs = capture.text();
    let closed: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("talkjs.request") && l.contains("close"))
        .collect();
    assert_eq!(closed.len(), 2, "one span per attempt:\n{logs}");
    for (line, (attempt, status)) in closed.iter().zip([(1, 503), (2, 404)]) {
        assert!(line.contains("operation=\"get_user\""), "{line}");
        assert!(line.contains(&format!("attempt={attempt}")), "{line}");
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(line.contains("duration_ms="), "{line}");
        assert!(line.contains("method=GET"), "{line}");
    }
    assert!(logs.contains("retrying"), "the retry is logged:\n{logs}");
}

const SECRET: &str = "sk_test_S3cr3tK3yThatMustNeverLeak";

/// Every request `server` received, whole (method, URL, headers, body),
/// with the `Authorization` value (the key or token, rightly sent) replaced:
/// the key or a token anywhere else in a request is a leak.
async fn seen_by(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .map(|request| {
            let sent = request.headers.get("authorization").unwrap();
            let whole = format!(
                "{} {} {:?} {}",
                request.method,
                request.url,
                request.headers,
                String::from_utf8_lossy(&request.body)
            );
            whole.replace(sent.to_str().unwrap(), "<sent>")
        })
        .collect()
}

#[tokio::test]
async fn no_failure_prints_the_secret_or_a_token() {
    let capture = common::Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::start(
        EmulatorConfig::new()
            .secret_key(SECRET)
            .batch_interval(Duration::ZERO),
    )
    .await
    .unwrap();
    let mut printed = Vec::new();
    for auth in [
        AuthMode::SecretKey,
        AuthMode::AppToken {
            lifetime: Duration::from_secs(30),
        },
    ] {
        let config = ClientConfig::new(emulator.app_id(), SECRET)
            .base_url(emulator.base_url())
            .auth(auth)
            .attempt_timeout(Duration::from_millis(200))
            .retry(
                RetryPolicy::default()
                    .max_attempts(2)
                    .initial_backoff(Duration::from_millis(1)),
            );
        let client = config.clone().build().unwrap();
        printed.push(format!("{config:?}"));
        printed.push(format!("{client:?}"));
        printed.push(format!("{:?}", client.raw()));

        // 404, 500 (retried, exhausted), 429 with a hint, dropped
        // connections, a timeout, validation.
        let mut errors = vec![client.users().get("nobody").await.unwrap_err()];
        emulator.inject_faults(Fault::status(500), 2);
        errors.push(client.users().get("nobody").await.unwrap_err());
        emulator.inject_fault(Fault::status_with_retry_after(429, "3600"));
        errors.push(client.users().get("nobody").await.unwrap_err());
        emulator.inject_faults(Fault::DropAfterApply, 2);
        errors.push(client.users().get("nobody").await.unwrap_err());
        emulator.inject_fault(Fault::DropAfterApply);
        errors.push(client.messages("c").import(vec![]).await.unwrap_err());
        emulator.inject_faults(Fault::Delay(Duration::from_secs(1)), 2);
        errors.push(client.users().get("nobody").await.unwrap_err());
        errors.push(client.users().get("..").await.unwrap_err());

        // Upload: a 500 retried to exhaustion, a dropped connection, then a
        // success.
        emulator.inject_faults(Fault::status(500), 2);
        errors.push(
            client
                .upload_file("a.txt", b"secret-free".to_vec())
                .mime("text/plain")
                .send()
                .await
                .unwrap_err(),
        );
        emulator.inject_faults(Fault::DropBeforeApply, 2);
        errors.push(
            client
                .upload_file("a.txt", b"x".to_vec())
                .send()
                .await
                .unwrap_err(),
        );
        client
            .upload_file("a.txt", b"fine".to_vec())
            .send()
            .await
            .unwrap();
        errors.push(
            client
                .upload_file("", b"x".to_vec())
                .send()
                .await
                .unwrap_err(),
        );

        // Batch: a non-repeatable batch whose answer was lost (one batch per
        // client: the SDK paces batches one a second).
        emulator.inject_fault(Fault::DropAfterApply);
        let import = BatchOp::custom(http::Method::POST, "/import/conversations/nowhere/messages")
            .payload(serde_json::json!([]));
        errors.push(
            client
                .batch(vec![BatchOp::get_user("nobody").unwrap(), import])
                .await
                .unwrap_err(),
        );
        errors.push(BatchOp::get_user("..").unwrap_err());

        // The deprecated participants= paths: 404, 500s, refused ids.
        let legacy = client
            // A topic per round: the first round's send creates its conversation.
            .conversation_by_participants(&["a", "b"])
            .and_then(|legacy| legacy.topic(&format!("{auth:?}")))
            .unwrap();
        errors.push(legacy.get().await.unwrap_err());
        emulator.inject_faults(Fault::status(503), 2);
        errors.push(legacy.messages().limit(10).send().await.unwrap_err());
        emulator.inject_fault(Fault::DropAfterApply);
        emulator.inject_fault(Fault::status(500));
        errors.push(
            legacy
                .send(vec![common::text("a", "legacy")])
                .await
                .unwrap_err(),
        );
        errors.push(client.conversation_by_participants(&["a,b"]).unwrap_err());

        // 401: a client with the wrong key.
        let wrong = ClientConfig::new(emulator.app_id(), "sk_test_wrong")
            .base_url(emulator.base_url())
            .auth(auth)
            .build()
            .unwrap();
        errors.push(wrong.users().get("nobody").await.unwrap_err());

        // Connection refused: a port nobody listens on.
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let refused = config
            .clone()
            .base_url(format!("http://127.0.0.1:{port}"))
            .build()
            .unwrap();
        errors.push(refused.users().get("nobody").await.unwrap_err());

        // Connect timeout: a loopback listener that never accepts, its
        // backlog full, so the kernel drops further connection attempts.
        let timed_out =
            common::connect_timeout_error(config.clone(), Duration::from_millis(200)).await;
        errors.push(timed_out);

        // Oversized bodies: a success over the cap (declared and streamed)
        // and an error body over it.
        let big = MockServer::start().await;
        let huge = "x".repeat(64 * 1024);
        Mock::given(any())
            .respond_with(
                ResponseTemplate::new(200).set_body_string(format!("{{\"id\":\"{huge}\"}}")),
            )
            .up_to_n_times(1)
            .mount(&big)
            .await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(400).set_body_string(huge.clone()))
            .mount(&big)
            .await;
        let capped = config
            .clone()
            .base_url(big.uri())
            .max_response_bytes(1024)
            .build()
            .unwrap();
        let oversized = capped.users().get("x").await.unwrap_err();
        assert!(
            matches!(oversized, talkjs::Error::Decode { status: 200, .. }),
            "{oversized:?}"
        );
        errors.push(oversized);
        errors.push(capped.users().get("x").await.unwrap_err());
        printed.extend(seen_by(&big).await);

        // A garbage success body and a non-JSON error body.
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(200).set_body_string("not json"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(400).set_body_string("<html>bad</html>"))
            .mount(&server)
            .await;
        let mocked = config.clone().base_url(server.uri()).build().unwrap();
        errors.push(mocked.users().get("x").await.unwrap_err());
        errors.push(mocked.users().get("x").await.unwrap_err());
        // What the servers saw holds the key or a token only in the
        // Authorization header.
        printed.extend(seen_by(&server).await);

        assert_eq!(errors.len(), 23, "every failure above was collected");
        for error in &errors {
            printed.push(format!("{error}"));
            printed.push(format!("{error:?}"));
            printed.push(format!("{error:#}"));
        }
    }

    let logs = capture.text();
    assert!(
        logs.contains("talkjs.request"),
        "the tracing spans were not captured"
    );
    printed.push(logs);
    let everything = printed.join("\n");
    assert!(
        !everything.contains(SECRET),
        "the secret key leaked:\n{everything}"
    );
    // Every JWT starts with the base64url of `{"`: "eyJ".
    assert!(!everything.contains("eyJ"), "a token leaked:\n{everything}");
    assert!(!everything.contains("S3cr3t"), "part of the key leaked");
}
