//! `POST /batch`: tuples dispatched to the ordinary handlers, and the
//! one-batch-per-interval limit.

mod common;

use std::time::Duration;

use common::Api;
use serde_json::json;
use talkjs_emulator::EmulatorConfig;

#[tokio::test]
async fn runs_operations_through_handlers() {
    let api = Api::start().await;
    let (s, r) = api
        .post(
            "/batch",
            json!([
                [1, "PUT", "/users/u1", {"name": "One"}],
                ["two", "PUT", "/users/u2", {"name": "Two"}, {"api_version": "2021-02-09"}],
                [3, "PUT", "/conversations/c%2F1", {"participants": ["u1", "u2"]}],
                [4, "POST", "/conversations/c%2F1/messages", [{"type": "UserMessage", "sender": "u1", "text": "hi"}]],
                [5, "GET", "/users", {"limit": "1"}],
                [6, "GET", "/users/missing"],
                [7, "DELETE", "/conversations/c%2F1/participants/u2"],
                [8, "PUT", "/users/u3", {"name": 3}]
            ]),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let r = r.as_array().unwrap();
    assert_eq!(r.len(), 8);
    assert_eq!(r[0][0], 1);
    assert_eq!(r[0][1], 200);
    assert_eq!(r[0][2]["name"], "One");
    assert_eq!(r[1][0], "two");
    assert_eq!(
        r[3][2][0]["id"].as_str().map(|s| s.starts_with("msg_")),
        Some(true)
    );
    assert_eq!(
        r[4][2]["data"].as_array().unwrap().len(),
        1,
        "GET payload is the query"
    );
    assert_eq!(r[5][1], 404);
    assert_eq!((r[6][1].clone(), r[6][2].clone()), (json!(200), json!({})));
    assert_eq!(r[7][1], 400);
    assert_eq!(api.emu.messages("c/1").len(), 1);
    assert!(
        api.emu.conversation("c/1").unwrap()["participants"]
            .get("u2")
            .is_none()
    );
}

#[tokio::test]
async fn rejects_malformed_batches() {
    let api = Api::start().await;
    for bad in [
        json!({"ops": []}),
        json!(vec![json!([1, "GET", "/users"]); 11]),
        json!([[1, "GET"]]),
        json!([[1, "FETCH", "/users"]]),
        json!([[1, "GET", "users"]]),
        json!([[null, "GET", "/users"]]),
        json!([[1, "GET", "/users", {"limit": ["x"]}]]),
    ] {
        assert_eq!(api.post("/batch", bad.clone()).await.0, 400, "{bad}");
    }
    let (s, r) = api.post("/batch", json!([[1, "POST", "/batch", []]])).await;
    assert_eq!((s, r[0][1].clone()), (200, json!(400)), "no nesting");
}

#[tokio::test]
async fn one_batch_per_interval() {
    let api = Api::with(EmulatorConfig::default().batch_interval(Duration::from_secs(3600))).await;
    assert_eq!(
        api.post("/batch", json!([[1, "GET", "/users"]])).await.0,
        200
    );
    let url = format!("{}/batch", api.emu.api_url());
    let r = api
        .http
        .post(url)
        .bearer_auth(api.emu.secret_key())
        .json(&json!([[1, "GET", "/users"]]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.json::<serde_json::Value>().await.unwrap()["message"].is_string());
    // Other requests are not limited.
    assert_eq!(api.get("/users").await.0, 200);
}

/// The app metadata (path `/`), notifications, reply-by-email addresses
/// and presences are reachable from a batch like any other operation.
#[tokio::test]
async fn reaches_the_app_notifications_email_and_presences() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    api.say("c1", "a", "hi").await;
    let (s, r) = api
        .post(
            "/batch",
            json!([
                [1, "PUT", "/", {"defaultLocale": "de-DE"}],
                [2, "GET", "/"],
                [3, "POST", "/conversations/c1/notifications", {"channels": ["email"]}],
                [4, "GET", "/conversations/c1/participants/b/email"],
                [5, "POST", "/presences", {}],
                [6, "POST", "/conversations/c1/notifications", {"channels": []}]
            ]),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    let r = r.as_array().unwrap();
    assert_eq!(r[0], json!([1, 200, {}]));
    assert_eq!(r[1][2]["defaultLocale"], "de-DE");
    assert_eq!(r[2], json!([3, 200, {}]));
    assert_eq!(api.emu.notifications().len(), 1);
    let (_, direct) = api.get("/conversations/c1/participants/b/email").await;
    assert_eq!(r[3][2], direct);
    assert_eq!(r[4], json!([5, 200, {"data": {}}]));
    assert_eq!(r[5][1], 400);
}
