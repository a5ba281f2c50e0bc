//! `POST /conversations/{cid}/notifications`: validation, who is notified
//! (unanswered messages, explicit recipients, one per call in a one-on-one
//! conversation, muted participants skipped), the record and the
//! `notification.triggered` events.

mod common;

use std::time::Duration;

use common::Api;
use serde_json::{Value, json};
use talkjs_emulator::EmulatorConfig;

/// An emulator whose webhook URL refuses connections: events are still
/// emitted and recorded (`webhook_events`), their delivery fails.
async fn with_hooks() -> Api {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    Api::with(
        EmulatorConfig::default()
            .webhook_url(url)
            .webhook_retry_delay(Duration::ZERO),
    )
    .await
}

/// The recipients of the recorded notifications, in order.
fn recipients(api: &Api) -> Vec<String> {
    api.emu
        .notifications()
        .iter()
        .map(|n| n["recipientId"].as_str().unwrap().to_owned())
        .collect()
}

async fn notify(api: &Api, conv: &str, body: Value) -> (u16, Value) {
    api.post(&format!("/conversations/{conv}/notifications"), body)
        .await
}

#[tokio::test]
async fn refuses_bad_requests_and_unknown_conversations() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    for bad in [
        json!({}),
        json!({"channels": []}),
        json!({"channels": "email"}),
        json!({"channels": ["push"]}),
        json!({"channels": ["Email"]}),
        json!({"channels": ["email", 1]}),
        json!({"channels": ["email"], "recipients": "a"}),
        json!({"channels": ["email"], "recipients": [1]}),
        json!({"channels": ["email"], "recipients": ["stranger"]}),
        json!({"channels": ["sms"], "smsSettings": "x"}),
        json!({"channels": ["sms"], "smsSettings": {"smsTemplate": 1}}),
        json!({"channels": ["email"], "emailSettings": {"subject": null}}),
        json!([]),
    ] {
        assert_eq!(notify(&api, "c1", bad.clone()).await.0, 400, "{bad}");
    }
    let (s, b) = api
        .call(
            reqwest::Method::POST,
            "/conversations/c1/notifications",
            None,
        )
        .await;
    assert_eq!((s, b["error"].clone()), (400, json!("Invalid JSON")));
    let (s, _) = notify(&api, "nope", json!({"channels": ["email"]})).await;
    assert_eq!(s, 404);
    assert!(api.emu.notifications().is_empty(), "nothing was triggered");
}

#[tokio::test]
async fn without_recipients_everyone_but_the_latest_writer_is_notified() {
    let api = Api::start().await;
    api.users(&["a", "b", "c"]).await;
    api.conversation("g", &["a", "b", "c"]).await;
    let (s, b) = notify(&api, "g", json!({"channels": ["email"]})).await;
    assert_eq!((s, b), (200, json!({})));
    assert!(
        recipients(&api).is_empty(),
        "no message, nothing unanswered"
    );

    api.say("g", "a", "anyone?").await;
    api.say("g", "b", "me").await;
    let (s, b) = notify(&api, "g", json!({"channels": ["email", "sms", "email"]})).await;
    assert_eq!((s, b), (200, json!({})));
    assert_eq!(recipients(&api), ["a", "c"]);
    let n = &api.emu.notifications()[0];
    assert_eq!(n["conversationId"], "g");
    assert_eq!(n["channels"], json!(["email", "sms"]), "each channel once");
    assert!(n["id"].as_str().unwrap().starts_with("ntf_"));
    assert!(n.get("smsSettings").is_none());
}

#[tokio::test]
async fn one_on_one_gets_one_notification_per_call() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("dm", &["a", "b"]).await;
    api.say("dm", "a", "hi").await;
    notify(&api, "dm", json!({"channels": ["email"]})).await;
    assert_eq!(recipients(&api), ["b"], "whoever did not write the latest");
    let (s, _) = notify(
        &api,
        "dm",
        json!({"channels": ["sms"], "recipients": ["a", "b"]}),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(recipients(&api), ["b", "b"], "one, to the unanswered side");
    notify(
        &api,
        "dm",
        json!({"channels": ["sms"], "recipients": ["a"]}),
    )
    .await;
    assert_eq!(
        recipients(&api),
        ["b", "b", "a"],
        "a named recipient is notified"
    );
}

#[tokio::test]
async fn explicit_recipients_settings_and_muted_participants() {
    let api = Api::start().await;
    api.users(&["a", "b", "c"]).await;
    api.conversation("g", &["a", "b", "c"]).await;
    let (s, _) = api
        .patch("/conversations/g/participants/c", json!({"notify": false}))
        .await;
    assert_eq!(s, 200);
    let settings = json!({
        "channels": ["email"],
        "recipients": ["b", "c", "a", "b"],
        "smsSettings": {"smsTemplate": "{{messages}}"},
        "emailSettings": {"subject": "S", "header": "H", "footer": "F",
                          "inboxUrl": "https://x/inbox", "extra": true},
    });
    let (s, b) = notify(&api, "g", settings.clone()).await;
    assert_eq!((s, b), (200, json!({})));
    assert_eq!(recipients(&api), ["b", "a"], "muted c is skipped, b once");
    let n = &api.emu.notifications()[0];
    assert_eq!(n["emailSettings"], settings["emailSettings"]);
    assert_eq!(n["smsSettings"], settings["smsSettings"]);

    api.say("g", "a", "hello").await;
    notify(&api, "g", json!({"channels": ["sms"]})).await;
    assert_eq!(
        recipients(&api),
        ["b", "a", "b"],
        "muted c is skipped again"
    );
}

#[tokio::test]
async fn each_recipient_gets_a_notification_triggered_event() {
    let api = with_hooks().await;
    api.users(&["a", "b", "c"]).await;
    api.conversation("g", &["a", "b", "c"]).await;
    api.say("g", "a", "hi").await;
    notify(&api, "g", json!({"channels": ["email"]})).await;
    let events: Vec<_> = api
        .emu
        .webhook_events()
        .into_iter()
        .filter(|e| e.kind == "notification.triggered")
        .collect();
    assert_eq!(events.len(), 2);
    for (event, user) in events.iter().zip(["b", "c"]) {
        assert_eq!(event.data["recipient"]["id"], user);
        assert_eq!(event.data["recipient"]["name"], user);
        assert_eq!(event.data["conversation"]["id"], "g");
        assert_eq!(event.data["channels"], json!(["email"]));
        assert_eq!(event.data["notification"]["recipientId"], user);
        assert_eq!(event.payload()["type"], "notification.triggered");
    }
}
