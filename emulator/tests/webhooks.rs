//! Webhooks: signed, in order, retried once after a non-200 or 5 s of
//! silence; no `message.read` from 301 participants.

mod common;

use std::time::Duration;

use common::Api;
use serde_json::{Value, json};
use talkjs_emulator::{EmulatorConfig, webhook_signature};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Reads one HTTP request from a fresh connection and answers `status`.
async fn receive(listener: &TcpListener, status: u16) -> (String, Vec<u8>) {
    let (mut sock, head, body) = read_request(listener).await;
    let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    sock.write_all(reply.as_bytes()).await.unwrap();
    (head, body)
}

/// Accepts a connection and reads one HTTP request from it, unanswered.
async fn read_request(listener: &TcpListener) -> (tokio::net::TcpStream, String, Vec<u8>) {
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
    let len = common::content_length(&head);
    while buf.len() < head_end + len {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0);
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = buf[head_end..head_end + len].to_vec();
    (sock, head, body)
}

fn header<'a>(head: &'a str, name: &str) -> &'a str {
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// A webhook receiver on a free loopback port, and a configuration that
/// sends events to it.
async fn hook() -> (TcpListener, EmulatorConfig) {
    let hook = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", hook.local_addr().unwrap());
    (hook, EmulatorConfig::default().webhook_url(url))
}

#[tokio::test]
async fn events_are_signed_ordered_and_retried() {
    let (hook, config) = hook().await;
    let api = Api::with(config.webhook_retry_delay(Duration::ZERO)).await;
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
    assert_eq!(sent["data"]["sender"]["id"], "a");
}

/// The next delivered event, accepted with a 200.
async fn next_event(hook: &TcpListener) -> Value {
    let (_, body) = tokio::time::timeout(Duration::from_secs(10), receive(hook, 200))
        .await
        .expect("an event within 10 s");
    serde_json::from_slice(&body).unwrap()
}

/// A webhook receiver and an emulator sending to it, with users a and b
/// in conversation c1 (their two `user.created` events already taken).
async fn hooked_c1() -> (TcpListener, Api) {
    let (hook, config) = hook().await;
    let api = Api::with(config).await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    for _ in 0..2 {
        assert_eq!(next_event(&hook).await["type"], "user.created");
    }
    (hook, api)
}

/// Sends a system message to c1; returns its id.
async fn system_message(api: &Api) -> String {
    let (s, sys) = api
        .post(
            "/conversations/c1/messages",
            json!([{"type": "SystemMessage", "text": "system"}]),
        )
        .await;
    assert_eq!(s, 200, "{sys}");
    sys[0]["id"].as_str().unwrap().to_owned()
}

/// The keys of an event's `data`, sorted.
fn data_keys(event: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = event["data"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// Checks the next event is `kind` with exactly TalkJS's
/// `{message, conversation, sender}`, equal to the given REST answers.
async fn expect_message_event(
    hook: &TcpListener,
    kind: &str,
    message: &Value,
    conversation: &Value,
    sender: &Value,
) {
    let event = next_event(hook).await;
    assert_eq!(event["type"], kind);
    assert_eq!(
        data_keys(&event),
        ["conversation", "message", "sender"],
        "{kind}"
    );
    let data = &event["data"];
    assert_eq!(&data["message"], message, "{kind}");
    assert_eq!(&data["conversation"], conversation, "{kind}");
    assert_eq!(&data["sender"], sender, "{kind}");
}

/// `message.sent`, `message.updated` and `message.deleted` carry TalkJS's
/// `{message, conversation, sender}` as the REST API shows them: the full
/// conversation, the sender's user (`null` for system messages); a deleted
/// message as it was just before, its conversation as it is after.
/// Deleting a conversation sends no events for its messages.
#[tokio::test]
async fn message_events_carry_conversation_and_sender() {
    let (hook, api) = hooked_c1().await;
    let author = api.get("/users/a").await.1;
    let message = |id: &str| format!("/conversations/c1/messages/{id}");

    // Sent: the conversation as it stands with the message stored.
    let id = api.say("c1", "a", "hello").await;
    let conversation = api.get("/conversations/c1").await.1;
    assert_eq!(conversation["lastMessage"]["id"], id.as_str());
    let sent = api.get(&message(&id)).await.1;
    expect_message_event(&hook, "message.sent", &sent, &conversation, &author).await;

    let sys = &system_message(&api).await;
    let conversation = api.get("/conversations/c1").await.1;
    let sys_message = api.get(&message(sys)).await.1;
    expect_message_event(
        &hook,
        "message.sent",
        &sys_message,
        &conversation,
        &Value::Null,
    )
    .await;

    let (s, b) = api.put(&message(&id), json!({"text": "edited"})).await;
    assert_eq!(s, 200, "{b}");
    let edited = api.get(&message(&id)).await.1;
    assert_eq!(edited["text"], "edited");
    let conversation = api.get("/conversations/c1").await.1;
    expect_message_event(&hook, "message.updated", &edited, &conversation, &author).await;

    let (s, b) = api.delete(&message(&id)).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(api.get(&message(&id)).await.0, 404);
    let conversation = api.get("/conversations/c1").await.1;
    expect_message_event(&hook, "message.deleted", &edited, &conversation, &author).await;

    // The system message goes with its conversation, silently.
    let (s, b) = api.delete("/conversations/c1").await;
    assert_eq!(s, 200, "{b}");
    let deleted = next_event(&hook).await;
    assert_eq!(deleted["type"], "conversation.deleted");
    assert_eq!(deleted["data"]["conversation"]["id"], "c1");
}

/// `message.read` comes once per message a read marker newly covers, oldest
/// first, never for the reader's own messages, with TalkJS's
/// `{message, conversation, sender, recipient}` exactly as the REST API
/// shows them after the read.
#[tokio::test]
async fn message_read_is_one_event_per_newly_read_message() {
    let (hook, api) = hooked_c1().await;
    // Imports notify nobody. b's reply at 2000 moves b's marker to 2000.
    let (s, ids) = api
        .post(
            "/import/conversations/c1/messages",
            json!([
                {"type": "UserMessage", "sender": "a", "text": "m1", "timestamp": 1000, "readBy": []},
                {"type": "UserMessage", "sender": "b", "text": "m2", "timestamp": 2000, "readBy": []},
                {"type": "UserMessage", "sender": "a", "text": "m3", "timestamp": 3000, "readBy": []},
                {"type": "UserMessage", "sender": "a", "text": "m4", "timestamp": 4000, "readBy": []}
            ]),
        )
        .await;
    assert_eq!(s, 200, "{ids}");
    let ids: Vec<&str> = ids
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap())
        .collect();
    let sys = &system_message(&api).await;
    assert_eq!(next_event(&hook).await["type"], "message.sent");

    // Each step: b moves its marker; the expected messages, in order.
    let steps: [(Value, Vec<&str>); 5] = [
        (json!(3000), vec![ids[2]]),
        (json!("sent"), vec![ids[3], sys]),
        (json!("sent"), vec![]),
        (json!(0), vec![]),
        // Marked unread, then read again: m1 again, not b's own m2.
        (json!(2500), vec![ids[0]]),
    ];
    for (read_until, expected) in steps {
        let (s, b) = api
            .patch(
                "/users/b/conversations/c1",
                json!({ "readUntil": read_until }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let conversation = api.get("/conversations/c1").await.1;
        let reader = api.get("/users/b").await.1;
        let author = api.get("/users/a").await.1;
        for id in expected {
            let event = next_event(&hook).await;
            assert_eq!(event["type"], "message.read", "readUntil {read_until}");
            assert_eq!(
                data_keys(&event),
                ["conversation", "message", "recipient", "sender"]
            );
            let data = event["data"].as_object().unwrap();
            let message = api.get(&format!("/conversations/c1/messages/{id}")).await.1;
            assert_eq!(data["message"], message, "readUntil {read_until}");
            assert!(
                data["message"]["readBy"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("b"))
            );
            assert_eq!(data["conversation"], conversation);
            assert_eq!(data["recipient"], reader);
            let sender = if id == sys {
                Value::Null
            } else {
                author.clone()
            };
            assert_eq!(data["sender"], sender, "message {id}");
        }
    }
    // Nothing else was queued before this.
    api.put("/users/a", json!({"role": "x"})).await;
    assert_eq!(next_event(&hook).await["type"], "user.updated");
}

/// TalkJS sends no `message.read` for conversations with 301 or more
/// participants (<https://talkjs.com/docs/Reference/Webhooks/>) and leaves
/// their `readBy` empty (<https://talkjs.com/docs/Reference/Concepts/Messages/>);
/// webhook payloads show messages as the REST API does, so `message.sent`'s
/// `readBy` is empty too. At 300 both are as usual, and they are again once
/// the conversation is back to 300.
#[tokio::test]
async fn no_message_read_from_301_participants() {
    let (hook, api) = hooked_c1().await;
    let message = |id: &str| format!("/conversations/c1/messages/{id}");

    // 300 participants (a, b, p1..p298): message.read comes, readBy shows b.
    api.add_fillers("c1", 298).await;
    let id = api.say("c1", "a", "at 300").await;
    assert_eq!(next_event(&hook).await["type"], "message.sent");
    api.read_all("b", "c1").await;
    let read = next_event(&hook).await;
    assert_eq!(read["type"], "message.read");
    assert_eq!(read["data"]["recipient"]["id"], "b");
    assert_eq!(read["data"]["message"]["id"], id.as_str());
    assert_eq!(read["data"]["message"]["readBy"], json!(["b"]));

    // 301: b's marker still moves, but no message.read is sent.
    api.add_fillers("c1", 299).await;
    let id = api.say("c1", "a", "at 301").await;
    let sent = next_event(&hook).await;
    assert_eq!(sent["type"], "message.sent");
    assert_eq!(sent["data"]["message"]["id"], id.as_str());
    assert_eq!(sent["data"]["message"]["readBy"], json!([]));
    assert_eq!(
        sent["data"]["conversation"]["lastMessage"]["readBy"],
        json!([])
    );
    api.read_all("b", "c1").await;
    let conversation = api.get("/conversations/c1").await.1;
    assert_eq!(conversation["participants"]["b"]["isUnread"], false);
    assert_eq!(api.get(&message(&id)).await.1["readBy"], json!([]));
    // Events come in order: the next one is this update, nothing between.
    api.put("/users/a", json!({"role": "x"})).await;
    assert_eq!(next_event(&hook).await["type"], "user.updated");

    // Back to 300: message.read again, for the newly read message only.
    assert_eq!(
        api.delete("/conversations/c1/participants/p299").await.0,
        200
    );
    let id = api.say("c1", "a", "at 300 again").await;
    assert_eq!(next_event(&hook).await["type"], "message.sent");
    api.read_all("b", "c1").await;
    let read = next_event(&hook).await;
    assert_eq!(read["type"], "message.read");
    assert_eq!(read["data"]["message"]["id"], id.as_str());
    api.put("/users/a", json!({"role": "y"})).await;
    assert_eq!(next_event(&hook).await["type"], "user.updated");
}

/// The defaults: TalkJS's 5 s wait for the receiver, and one retry 1 s
/// after a failure (the emulator's choice: TalkJS retries "shortly after"
/// and publishes no delay).
#[test]
fn webhook_timing_defaults() {
    let config = format!("{:?}", EmulatorConfig::default());
    assert!(config.contains("webhook_timeout: 5s,"), "{config}");
    assert!(config.contains("webhook_retry_delay: 1s,"), "{config}");
}

/// With the default timing, the first delivery of `user.created` is
/// answered `status`, or never when `None` (the connection stays open);
/// returns how long after reading that attempt the retry came.
async fn default_retry_after(status: Option<u16>) -> Duration {
    let (hook, config) = hook().await;
    let api = Api::with(config).await;
    api.users(&["a"]).await;
    let deadline = Duration::from_secs(20);
    let (mut first_conn, _, first) = tokio::time::timeout(deadline, read_request(&hook))
        .await
        .unwrap();
    // The attempt began a moment before its request was read here.
    let read = std::time::Instant::now();
    if let Some(status) = status {
        let reply =
            format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        first_conn.write_all(reply.as_bytes()).await.unwrap();
    }
    let (_, second) = tokio::time::timeout(deadline, receive(&hook, 200))
        .await
        .unwrap();
    let waited = read.elapsed();
    assert_eq!(first, second, "the same event, retried once");
    waited
}

/// With the defaults, a refused event comes again about 1 s after the
/// refusal (not 5 s, the former default).
#[tokio::test]
async fn by_default_a_refused_event_is_retried_a_second_later() {
    let waited = default_retry_after(Some(500)).await;
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(4),
        "retried after {waited:?}"
    );
}

/// With the defaults, a receiver that never answers is given up on after
/// 5 s and the event comes again 1 s later (not after 10 s + 5 s).
#[tokio::test]
async fn by_default_a_silent_receiver_is_given_5_s() {
    let waited = default_retry_after(None).await;
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(9),
        "retried after {waited:?}"
    );
}

#[tokio::test]
async fn a_receiver_that_never_answers_times_out_and_the_event_is_retried() {
    let (hook, config) = hook().await;
    let config = config
        .webhook_retry_delay(Duration::ZERO)
        .webhook_timeout(Duration::from_millis(200));
    let api = Api::with(config).await;
    api.users(&["a"]).await;

    let deadline = Duration::from_secs(10);
    // The first attempt is read and never answered; the connection stays
    // open, so only the emulator's timeout can end the attempt.
    let (_silent, _, first) = tokio::time::timeout(deadline, read_request(&hook))
        .await
        .unwrap();
    let (_, second) = tokio::time::timeout(deadline, receive(&hook, 200))
        .await
        .expect("the silent attempt timed out and the event came again");
    assert_eq!(first, second, "the same event, retried once");
    let event: Value = serde_json::from_slice(&second).unwrap();
    assert_eq!(event["type"], "user.created");
}
