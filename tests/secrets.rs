//! The secret key and minted tokens never appear in Debug or Display output,
//! errors or log lines, whatever fails. Every failure kind is driven with
//! tracing on at TRACE level for every crate (statuses, retries, dropped
//! connections, attempt and connect timeouts, validation, 401, uploads,
//! batches, the deprecated participants= paths, oversized and garbage
//! bodies), and everything printed is searched for the key and for anything
//! shaped like a JWT.

mod common;

use std::time::Duration;

use talkjs::{AuthMode, BatchOp, ClientConfig, RetryPolicy};
use talkjs_emulator::{Emulator, EmulatorConfig, Fault};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

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
                .upload_file("a.txt", b"secret-free".to_vec(), Some("text/plain"))
                .await
                .unwrap_err(),
        );
        emulator.inject_faults(Fault::DropBeforeApply, 2);
        errors.push(
            client
                .upload_file("a.txt", b"x".to_vec(), None)
                .await
                .unwrap_err(),
        );
        client
            .upload_file("a.txt", b"fine".to_vec(), None)
            .await
            .unwrap();
        errors.push(
            client
                .upload_file("", b"x".to_vec(), None)
                .await
                .unwrap_err(),
        );

        // Batch: a non-repeatable batch whose answer was lost (one batch per
        // client: the SDK paces batches one a second).
        emulator.inject_fault(Fault::DropAfterApply);
        let import = BatchOp::custom(
            http::Method::POST,
            "/import/conversations/nowhere/messages",
            Some(serde_json::json!([])),
        );
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
            .conversation_by_participants(&["a", "b"], Some(&format!("{auth:?}")))
            .unwrap();
        errors.push(legacy.get().await.unwrap_err());
        emulator.inject_faults(Fault::status(503), 2);
        errors.push(legacy.messages_page(10, None).await.unwrap_err());
        emulator.inject_fault(Fault::DropAfterApply);
        emulator.inject_fault(Fault::status(500));
        errors.push(
            legacy
                .send(vec![common::text("a", "legacy")])
                .await
                .unwrap_err(),
        );
        errors.push(
            client
                .conversation_by_participants(&["a,b"], None)
                .unwrap_err(),
        );

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

#[test]
fn tokens_and_minters_do_not_debug_print_the_key() {
    let secret = secrecy::SecretString::from(SECRET.to_string());
    let minter = talkjs::tokens::AppTokenMinter::new("app", &secret).unwrap();
    let printed = format!("{minter:?} {:?}", minter.mint().unwrap());
    assert!(
        !printed.contains(SECRET) && !printed.contains("eyJ"),
        "{printed}"
    );
}

#[test]
fn an_empty_webhook_key_refuses_every_request() {
    let verifier =
        talkjs::webhooks::WebhookVerifier::new(secrecy::SecretString::from(String::new()));
    let body = br#"{"type":"message.sent","data":{}}"#;
    let forged = verifier.sign("1700000000000", body);
    let error = verifier
        .verify_signature("1700000000000", &forged, body)
        .unwrap_err();
    assert!(
        matches!(error, talkjs::WebhookError::EmptySecret),
        "{error:?}"
    );
}

#[test]
fn configuration_errors_redact_userinfo_and_query_values_parsable_or_not() {
    for (url, secret) in [
        // Does not parse (a space in the host).
        ("https://user:PASSWORD@exa mple.com", "PASSWORD"),
        ("https://user:PASSWORD@exa mple.com/?token=T0KEN", "T0KEN"),
        // Parses, refused for its query.
        ("https://api.talkjs.com/?token=T0KEN", "T0KEN"),
        ("https://api.talkjs.com/#access_token=T0KEN", "T0KEN"),
        // Parses, refused for its credentials.
        ("https://user:PASSWORD@api.talkjs.com", "PASSWORD"),
        // Parses, refused for plain http or its scheme.
        ("http://user:PASSWORD@example.com/?token=T0KEN", "PASSWORD"),
        ("ftp://example.com/?token=T0KEN", "T0KEN"),
    ] {
        let config = ClientConfig::new("app", SECRET).base_url(url);
        for result in [
            config.clone().build().map(|_| ()),
            config.api_url().map(|_| ()),
        ] {
            let error = result.expect_err(url);
            assert!(
                matches!(error, talkjs::ConfigError::Invalid(_)),
                "{error:?}"
            );
            let (display, debug) = (error.to_string(), format!("{error:?}"));
            for shown in [&display, &debug, &format!("{config:?}")] {
                assert!(!shown.contains(secret), "{url}: {shown}");
                assert!(
                    !shown.contains("T0KEN") && !shown.contains("PASSWORD"),
                    "{shown}"
                );
            }
            assert!(display.contains("[redacted]"), "{display}");
        }
    }
}
