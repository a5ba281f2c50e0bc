//! The secret key and minted tokens never appear in Debug or Display output,
//! errors or log lines, whatever fails. Every failure kind is driven with
//! tracing on at TRACE level for every crate, and everything printed is
//! searched for the key and for anything shaped like a JWT.

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use talkjs::{AuthMode, ClientConfig, RetryPolicy};
use talkjs_emulator::{Emulator, EmulatorConfig, Fault};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

const SECRET: &str = "sk_test_S3cr3tK3yThatMustNeverLeak";

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_failure_prints_the_secret_or_a_token() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::start(EmulatorConfig::new().secret_key(SECRET))
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
        // What the server saw is the only place a token may be.
        for request in server.received_requests().await.unwrap() {
            let header = request.headers.get("authorization").unwrap();
            printed.push(format!("{:?}", header).replace(header.to_str().unwrap(), "<sent>"));
        }

        assert!(errors.len() >= 11);
        for error in &errors {
            printed.push(format!("{error}"));
            printed.push(format!("{error:?}"));
            printed.push(format!("{error:#}"));
        }
    }

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
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
    assert!(matches!(error, talkjs::Error::Config(_)), "{error:?}");
}
