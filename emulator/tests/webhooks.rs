//! Webhooks: signed, in order, retried once after a non-200.

mod common;

use std::time::Duration;

use common::Api;
use serde_json::{Value, json};
use talkjs_emulator::{EmulatorConfig, webhook_signature};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Reads one HTTP request from a fresh connection and answers `status`.
async fn receive(listener: &TcpListener, status: u16) -> (String, Vec<u8>) {
    let (mut sock, _) = listener.accept().await.unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed early");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
    let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    sock.write_all(reply.as_bytes()).await.unwrap();
    (head, buf[head_end..head_end + len].to_vec())
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} header"))
}

#[tokio::test]
async fn events_are_signed_ordered_and_retried() {
    let hook = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", hook.local_addr().unwrap());
    let config = EmulatorConfig::default()
        .webhook_url(url)
        .webhook_retry_delay(Duration::ZERO);
    let api = Api::with(config).await;
    api.users(&["a"]).await;
    api.put("/users/a", json!({"role": "x"})).await;
    api.conversation("c1", &["a"]).await;
    let id = api.say("c1", "a", "hello").await;

    let deadline = Duration::from_secs(10);
    // First delivery refused: the same event comes again.
    let (head1, body1) = tokio::time::timeout(deadline, receive(&hook, 500))
        .await
        .unwrap();
    let (head2, body2) = tokio::time::timeout(deadline, receive(&hook, 200))
        .await
        .unwrap();
    assert!(head1.starts_with("POST /hook "));
    assert_eq!(body1, body2, "retried once with the same body");
    let ts = header(&head2, "x-talkjs-timestamp");
    assert!(ts.parse::<i64>().unwrap() > 0);
    assert_eq!(
        header(&head2, "x-talkjs-signature"),
        webhook_signature(api.emu.secret_key(), ts, &body2)
    );
    assert_ne!(
        header(&head2, "x-talkjs-signature"),
        webhook_signature("wrong", ts, &body2)
    );
    let created: Value = serde_json::from_slice(&body2).unwrap();
    assert_eq!(created["type"], "user.created");
    assert_eq!(created["data"]["user"]["id"], "a");
    assert!(
        created["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("evt_"))
    );

    let (_, b) = tokio::time::timeout(deadline, receive(&hook, 200))
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&b).unwrap()["type"],
        "user.updated"
    );
    let (_, b) = tokio::time::timeout(deadline, receive(&hook, 200))
        .await
        .unwrap();
    let sent: Value = serde_json::from_slice(&b).unwrap();
    assert_eq!(sent["type"], "message.sent");
    assert_eq!(sent["data"]["message"]["id"], id.as_str());
    assert_eq!(sent["data"]["conversation"]["id"], "c1");
}
