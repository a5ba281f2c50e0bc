//! Importing messages with their timestamps, in chunks. What happens when
//! an import's answer is lost is in `retries` and `timeouts`.

use serde_json::json;

use crate::common::{assert_validation, emulator, import};
use crate::fixtures::{chat, requests_to};
use crate::wire::{assert_request, client, only, server};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn import_messages() {
    let server = server(json!([{"id": "m1"}])).await;
    let applied = client(&server)
        .messages("c1")
        .import(vec![import("alice", "old", 1_600_000_000_000)])
        .await
        .unwrap();
    assert_eq!(applied, 1);
    let r = only(&server).await;
    assert_request(
        &r,
        "POST",
        "/v1/app/import/conversations/c1/messages",
        &[],
        Some(json!([{
            "type": "UserMessage",
            "sender": "alice",
            "text": "old",
            "timestamp": 1_600_000_000_000i64,
            "readBy": [],
        }])),
    );
}

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn import_12_messages_in_2_requests_with_their_timestamps() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    emu.clear_log();
    let base = 1_600_000_000_000i64;
    let messages = (0..12)
        .map(|i| {
            import(
                if i % 2 == 0 { "alice" } else { "bob" },
                &format!("old {i}"),
                base + i * 1000,
            )
        })
        .collect();
    let applied = client.messages("chat").import(messages).await.unwrap();
    assert_eq!(applied, 12);
    let posts = requests_to(&emu, "POST", "/import/conversations/chat/messages");
    let sizes: Vec<usize> = posts
        .iter()
        .map(|r| r.json().unwrap().as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [10, 2]);
    assert_eq!(emu.requests().len(), 2);

    let stored = emu.messages("chat");
    assert_eq!(stored.len(), 12);
    for (i, m) in stored.iter().enumerate() {
        assert_eq!(m["createdAt"], base + i as i64 * 1000, "{m}");
        assert_eq!(m["origin"], "import");
        assert_eq!(m["text"], format!("old {i}"));
    }

    let sent = emu.requests().len();
    let mut bad = import("alice", "x", -1);
    assert_validation(
        client.messages("chat").import(vec![bad.clone()]).await,
        "messages[0].timestamp",
    );
    bad.timestamp = 1;
    bad.text = None;
    assert_validation(
        client.messages("chat").import(vec![bad]).await,
        "messages[0].text",
    );
    assert_validation(client.messages("chat").import(Vec::new()).await, "messages");
    assert_eq!(emu.requests().len(), sent);
}
