//! Drives the `webhook_receiver` example's router over loopback HTTP.
//!
//! The first request uses the Python-computed vector of the parent module,
//! `webhooks` (`hmac.new(b"sk_test_AbCdEf0123456789", b"1700000000123." +
//! body, hashlib.sha256).hexdigest().upper()`), so the whole HTTP path is
//! checked against a value computed outside this crate.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::SecretString;
use talkjs::webhooks::{SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookEvent, WebhookVerifier};

use super::webhook_receiver;

const KEY: &str = "sk_test_AbCdEf0123456789";
const TS: &str = "1700000000123";
const BODY: &str =
    "{\"type\":\"message.sent\",\"data\":{\"message\":{\"id\":\"msg_1\",\"text\":\"h\u{e9}llo\"}}}";
const SIG: &str = "6EAB023650C01A12B9ACB4A6F7A597246E2D1000900C0836855AB6D4196E1AEB";

type Seen = Arc<Mutex<Vec<WebhookEvent>>>;

/// Serves the example's router on 127.0.0.1:0; returns the endpoint URL and
/// the events the handler received. The handler runs before the response is
/// sent, so a test can look at `Seen` as soon as it has the response.
async fn start(verifier: WebhookVerifier) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let app = webhook_receiver::router_with_handler(verifier, move |event| {
        sink.lock().unwrap().push(event);
    });
    (serve(app).await, seen)
}

async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}{}", webhook_receiver::PATH)
}

fn http() -> reqwest::Client {
    // With the default `rustls-ring` feature reqwest has no process-wide
    // crypto provider of its own; the SDK's client installs it the same way.
    talkjs::install_default_crypto_provider();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// The test vector, signed as it is, to `url`.
async fn post_vector(url: &str) -> u16 {
    post(
        url,
        &[(TIMESTAMP_HEADER, TS), (SIGNATURE_HEADER, SIG)],
        BODY,
    )
    .await
}

async fn post(url: &str, headers: &[(&str, &str)], body: &str) -> u16 {
    let mut req = http().post(url).body(body.to_owned());
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.send().await.unwrap().status().as_u16()
}

fn now_ms() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    ms.to_string()
}

/// The fixed vectors below were signed in 2023: these tests are about
/// dispatch, so the verifier accepts any age (the age check has its own
/// tests here and in `webhooks.rs`).
fn verifier() -> WebhookVerifier {
    WebhookVerifier::new(SecretString::from(KEY)).any_age()
}

#[tokio::test]
async fn signed_request_is_accepted_and_dispatched() {
    let (url, seen) = start(verifier()).await;
    let status = post(
        &url,
        &[(TIMESTAMP_HEADER, TS), (SIGNATURE_HEADER, SIG)],
        BODY,
    )
    .await;
    assert_eq!(status, 200);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let WebhookEvent::MessageSent(e) = &seen[0] else {
        panic!("{:?}", seen[0]);
    };
    let text = e.data.message.as_ref().and_then(|m| m.text.as_deref());
    assert_eq!(text, Some("h\u{e9}llo"));
}

#[tokio::test]
async fn tampered_or_unsigned_requests_get_401_and_are_not_dispatched() {
    let (url, seen) = start(verifier()).await;
    let tampered = BODY.replace("h\u{e9}llo", "hallo");
    assert_eq!(
        post(
            &url,
            &[(TIMESTAMP_HEADER, TS), (SIGNATURE_HEADER, SIG)],
            &tampered
        )
        .await,
        401
    );
    // Same body, other timestamp.
    assert_eq!(
        post(
            &url,
            &[(TIMESTAMP_HEADER, "1700000000124"), (SIGNATURE_HEADER, SIG)],
            BODY
        )
        .await,
        401
    );
    assert_eq!(post(&url, &[(TIMESTAMP_HEADER, TS)], BODY).await, 401);
    assert_eq!(post(&url, &[(SIGNATURE_HEADER, SIG)], BODY).await, 401);
    assert_eq!(post(&url, &[], BODY).await, 401);
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn stale_request_gets_401_under_max_age() {
    let v = verifier().max_age(Duration::from_secs(300));
    let (url, seen) = start(v.clone()).await;
    // The vector's timestamp is from 2023: a replay by now.
    assert_eq!(post_vector(&url).await, 401);
    // The same body signed with the current time passes.
    let ts = now_ms();
    let sig = v.sign(&ts, BODY.as_bytes());
    assert_eq!(
        post(
            &url,
            &[(TIMESTAMP_HEADER, &ts), (SIGNATURE_HEADER, &sig)],
            BODY
        )
        .await,
        200
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn signed_malformed_body_gets_400() {
    let v = verifier();
    let (url, seen) = start(v.clone()).await;
    for body in ["not json", "{\"data\":{}}", "[]"] {
        let sig = v.sign(TS, body.as_bytes());
        assert_eq!(
            post(
                &url,
                &[(TIMESTAMP_HEADER, TS), (SIGNATURE_HEADER, &sig)],
                body
            )
            .await,
            400,
            "{body}"
        );
    }
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unknown_event_type_is_accepted_raw() {
    let v = verifier();
    let (url, seen) = start(v.clone()).await;
    let body = r#"{"type":"reaction.added","id":"evt_9","data":{"emoji":"x"}}"#;
    let sig = v.sign(TS, body.as_bytes());
    assert_eq!(
        post(
            &url,
            &[(TIMESTAMP_HEADER, TS), (SIGNATURE_HEADER, &sig)],
            body
        )
        .await,
        200
    );
    let seen = seen.lock().unwrap();
    let WebhookEvent::Unknown {
        event_type,
        payload,
    } = &seen[0]
    else {
        panic!("{:?}", seen[0]);
    };
    assert_eq!(event_type, "reaction.added");
    assert_eq!(payload["data"]["emoji"], "x");
}

#[tokio::test]
async fn the_printing_router_answers_like_the_dispatching_one() {
    // `router` is what the example's `main` serves.
    let url = serve(webhook_receiver::router(verifier())).await;
    assert_eq!(post_vector(&url).await, 200);
    assert_eq!(
        post(
            &url,
            &[(TIMESTAMP_HEADER, TS), (SIGNATURE_HEADER, "00")],
            BODY
        )
        .await,
        401
    );
}
