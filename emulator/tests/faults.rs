//! Fault injection: statuses, delays, dropped connections before and after
//! applying, seeded rates, counters, the request log and the admin route.

mod common;

use std::time::Duration;

use common::Api;
use serde_json::json;
use talkjs_emulator::{EmulatorConfig, Fault};

fn send_body() -> serde_json::Value {
    json!([{"type": "UserMessage", "sender": "a", "text": "hi", "idempotencyKey": "k"}])
}

async fn setup() -> Api {
    let api = Api::start().await;
    api.users(&["a"]).await;
    api.conversation("c1", &["a"]).await;
    api.emu.clear_log();
    api
}

#[tokio::test]
async fn status_faults_do_not_apply() {
    let api = setup().await;
    api.emu
        .inject_fault(Fault::status_with_retry_after(429, "2"));
    api.emu.inject_faults(Fault::status(503), 2);
    let url = format!("{}/conversations/c1/messages", api.emu.api_url());
    let send = || {
        api.http
            .post(&url)
            .bearer_auth(api.emu.secret_key())
            .json(&send_body())
            .send()
    };
    let r = send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert!(r.json::<serde_json::Value>().await.unwrap().is_object());
    let r = send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_none());
    assert_eq!(send().await.unwrap().status(), 503);
    assert!(
        api.emu.messages("c1").is_empty(),
        "faulted requests are not applied"
    );
    assert_eq!(send().await.unwrap().status(), 200);
    assert_eq!(api.emu.messages("c1").len(), 1);
    assert_eq!(api.emu.fault_counts().status, 3);
    let log = api.emu.requests();
    assert_eq!(log.len(), 4);
    // With and without `Retry-After` are told apart in the log.
    assert_eq!(log[0].fault.as_deref(), Some("status:429+retry-after"));
    assert_eq!(log[1].fault.as_deref(), Some("status:503"));
    assert_eq!(log[2].fault.as_deref(), Some("status:503"));
    assert_eq!(log[3].fault, None);
    assert_eq!(log[3].method, "POST");
    assert_eq!(log[3].path, "/v1/emulator_app/conversations/c1/messages");
    assert_eq!(log[3].header("authorization"), Some("<redacted>"));
    assert_eq!(log[3].json().unwrap(), send_body());
}

#[tokio::test]
async fn dropped_connections() {
    let api = setup().await;
    let url = format!("{}/conversations/c1/messages", api.emu.api_url());
    // A fresh client per request, so a dropped connection is not reused.
    let send = || {
        common::http()
            .post(&url)
            .bearer_auth(api.emu.secret_key())
            .json(&send_body())
            .send()
    };
    api.emu.inject_fault(Fault::DropBeforeApply);
    assert!(send().await.is_err(), "no response");
    assert!(api.emu.messages("c1").is_empty(), "not applied");
    api.emu.inject_fault(Fault::DropAfterApply);
    assert!(send().await.is_err(), "no response");
    assert_eq!(api.emu.messages("c1").len(), 1, "applied");
    // The retry with the same idempotency key does not duplicate.
    let r = send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(api.emu.messages("c1").len(), 1, "exactly once");
    let c = api.emu.fault_counts();
    assert_eq!(
        (c.drop_before_apply, c.drop_after_apply, c.total()),
        (1, 1, 2)
    );
}

/// A gateway's 502 after the request was forwarded: applied, then the
/// status, so a client that retries without a key stores it twice.
#[tokio::test]
async fn a_status_after_applying() {
    let api = setup().await;
    let url = format!("{}/conversations/c1/messages", api.emu.api_url());
    api.emu
        .inject_fault(Fault::StatusAfterApply { status: 502 });
    let r = common::http()
        .post(&url)
        .bearer_auth(api.emu.secret_key())
        .json(&send_body())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 502);
    assert_eq!(api.emu.messages("c1").len(), 1, "applied");
    let c = api.emu.fault_counts();
    assert_eq!((c.status_after_apply, c.total()), (1, 1));
    assert_eq!(
        api.emu.requests().last().unwrap().fault.as_deref(),
        Some("statusAfterApply:502")
    );
}

#[tokio::test]
async fn delay_then_apply_even_if_client_gave_up() {
    let api = setup().await;
    let before = api.emu.handled_count();
    api.emu
        .inject_fault(Fault::Delay(Duration::from_millis(300)));
    let client = common::http_builder()
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let url = format!("{}/conversations/c1/messages", api.emu.api_url());
    let body = json!([{"type": "UserMessage", "sender": "a", "text": "late"}]);
    let err = client
        .post(&url)
        .bearer_auth(api.emu.secret_key())
        .json(&body)
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    tokio::time::timeout(
        Duration::from_secs(10),
        api.emu.wait_until_handled(before + 1),
    )
    .await
    .expect("the delayed request finishes");
    assert_eq!(
        api.emu.messages("c1").len(),
        1,
        "applied although the client gave up"
    );
    assert_eq!(api.emu.fault_counts().delay, 1);
}

#[tokio::test]
async fn seeded_rate_and_admin_route() {
    let api = Api::with(EmulatorConfig::default().admin_routes(true)).await;
    let admin = format!("{}/__emulator/faults", api.emu.base_url());
    let r = api
        .http
        .post(&admin)
        .json(&json!({"next": [{"kind": "status", "status": 502}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(api.get("/users").await.0, 502);
    assert_eq!(api.get("/users").await.0, 200);
    let r = api
        .http
        .post(&admin)
        .json(&json!({"rate": 1.0, "seed": 3, "kinds": [{"kind": "status", "status": 500}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(api.get("/users").await.0, 500);
    let counts: serde_json::Value = api
        .http
        .get(&admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts["status"], 2);
    assert_eq!(api.http.delete(&admin).send().await.unwrap().status(), 200);
    assert_eq!(api.get("/users").await.0, 200);
    assert_eq!(
        api.http
            .post(&admin)
            .json(&json!({"next": [{"kind": "explode"}]}))
            .send()
            .await
            .unwrap()
            .status(),
        400
    );
    // Disabled by default.
    let plain = Api::start().await;
    let r = plain
        .http
        .get(format!("{}/__emulator/faults", plain.emu.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let api = Api::start().await;
    let url = format!("{}/users", api.emu.api_url());
    let Api { emu, http } = api;
    emu.shutdown().await;
    assert!(http.get(url).send().await.is_err());
}
