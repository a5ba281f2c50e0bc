//! The `/__emulator/` routes a test suite in any language uses: health
//! (always), and with `--admin` reset, the request log, the webhook
//! events sent and the notifications.

mod common;

use std::time::Duration;

use common::Api;
use serde_json::{Value, json};
use talkjs_emulator::{EmulatorConfig, Session};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(10);

/// `method /__emulator/{path}`, without credentials.
async fn admin(api: &Api, method: reqwest::Method, path: &str) -> (u16, Value) {
    let url = format!("{}/__emulator/{path}", api.emu.base_url());
    let resp = api.http.request(method, url).send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap())
}

fn admin_config() -> EmulatorConfig {
    EmulatorConfig::default().admin_routes(true)
}

#[tokio::test]
async fn health_is_always_served_the_rest_only_with_admin() {
    let api = Api::start().await;
    let (s, b) = admin(&api, reqwest::Method::GET, "health").await;
    assert_eq!(s, 200);
    assert_eq!(
        b,
        json!({"status": "ok", "appId": api.emu.app_id(), "apiUrl": api.emu.api_url()})
    );
    for path in [
        "reset",
        "requests",
        "webhooks",
        "notifications",
        "faults",
        "rate-limit",
    ] {
        assert_eq!(
            admin(&api, reqwest::Method::GET, path).await.0,
            404,
            "{path}"
        );
    }
    assert_eq!(admin(&api, reqwest::Method::POST, "reset").await.0, 404);
    assert_eq!(admin(&api, reqwest::Method::POST, "health").await.0, 405);
}

#[tokio::test]
async fn reset_forgets_what_clients_did() {
    let api = Api::with(admin_config()).await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    api.say("c1", "a", "hi").await;
    api.post(
        "/conversations/c1/notifications",
        json!({"channels": ["sms"]}),
    )
    .await;
    api.put("", json!({"defaultLocale": "fr-FR"})).await;
    api.emu.set_session("a", Session::widget("w"));
    let (s, notes) = admin(&api, reqwest::Method::GET, "notifications").await;
    assert_eq!(s, 200);
    assert_eq!(notes["data"][0]["recipientId"], "b");

    let (s, b) = admin(&api, reqwest::Method::POST, "reset").await;
    assert_eq!((s, b), (200, json!({})));
    assert_eq!(admin(&api, reqwest::Method::GET, "reset").await.0, 405);
    assert_eq!(api.get("/users/a").await.0, 404);
    assert_eq!(api.get("/conversations/c1").await.0, 404);
    assert_eq!(api.get("/users").await.1, json!({"data": []}));
    assert_eq!(
        api.get("").await.1,
        json!({"id": api.emu.app_id(), "custom": {}})
    );
    assert_eq!(
        api.post("/presences", json!({})).await.1,
        json!({"data": {}})
    );
    assert!(api.emu.notifications().is_empty());
    // The log holds only what came after the reset: the five calls above.
    let (_, log) = admin(&api, reqwest::Method::GET, "requests").await;
    assert_eq!(log["data"].as_array().unwrap().len(), 5, "{log}");
    // The same id can be used again at once.
    api.users(&["a"]).await;
    api.emu.reset();
    assert_eq!(api.emu.user_count(), 0, "Emulator::reset does the same");
}

#[tokio::test]
async fn the_request_log_over_http() {
    let api = Api::with(admin_config()).await;
    api.users(&["a"]).await;
    let (_, log) = admin(&api, reqwest::Method::GET, "requests").await;
    let records = log["data"].as_array().unwrap();
    assert_eq!(records.len(), 1, "admin calls are not logged");
    let r = &records[0];
    assert_eq!(r["method"], "PUT");
    assert_eq!(r["path"], format!("/v1/{}/users/a", api.emu.app_id()));
    assert_eq!(r["query"], json!(null));
    assert_eq!(r["body"], json!({"name": "a"}));
    assert_eq!(r["bodyLen"], 12);
    assert_eq!(r["bodyTruncated"], false);
    assert_eq!(r["refused"], false);
    assert_eq!(r["throttled"], false);
    assert_eq!(r["fault"], json!(null));
    assert_eq!(r["headers"]["authorization"], "<redacted>");
    assert_eq!(r["headers"]["content-type"], "application/json");

    let (s, b) = admin(&api, reqwest::Method::DELETE, "requests").await;
    assert_eq!((s, b), (200, json!({})));
    assert_eq!(api.emu.requests().len(), 0);
    assert_eq!(admin(&api, reqwest::Method::POST, "requests").await.0, 405);
}

/// A webhook receiver that answers 200 to each request and passes the
/// parsed bodies on, in order.
async fn sink() -> (String, mpsc::UnboundedReceiver<Value>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let (head_end, len) = loop {
                let n = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).into_owned();
                    break (i + 4, common::content_length(&head));
                }
            };
            while buf.len() < head_end + len {
                let n = sock.read(&mut chunk).await.unwrap();
                buf.extend_from_slice(&chunk[..n]);
            }
            let reply = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            sock.write_all(reply.as_bytes()).await.unwrap();
            let _ = tx.send(serde_json::from_slice(&buf[head_end..head_end + len]).unwrap());
        }
    });
    (url, rx)
}

#[tokio::test]
async fn the_webhook_events_sent_over_http() {
    let (url, mut received) = sink().await;
    let api = Api::with(admin_config().webhook_url(url)).await;
    api.users(&["a"]).await;
    api.put("/users/a", json!({"role": "buyer"})).await;
    // Events go out one at a time: once the second arrives, the first's
    // outcome is recorded.
    for _ in 0..2 {
        tokio::time::timeout(LIMIT, received.recv())
            .await
            .unwrap()
            .unwrap();
    }
    let (s, events) = admin(&api, reqwest::Method::GET, "webhooks").await;
    assert_eq!(s, 200);
    let events = events["data"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["type"], "user.created");
    assert_eq!(events[0]["data"]["user"]["id"], "a");
    assert_eq!(events[0]["id"], "evt_emulator_1");
    assert_eq!(
        (events[0]["status"].clone(), events[0]["attempts"].clone()),
        (json!("delivered"), json!(1))
    );
    assert_eq!(events[1]["type"], "user.updated");
    let record = &api.emu.webhook_events()[0];
    assert_eq!(record.payload()["createdAt"], events[0]["createdAt"]);

    let (s, b) = admin(&api, reqwest::Method::DELETE, "webhooks").await;
    assert_eq!((s, b), (200, json!({})));
    assert!(api.emu.webhook_events().is_empty());
}
