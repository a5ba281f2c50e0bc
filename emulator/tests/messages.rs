//! Messages: array bodies, sender rules, payload exclusivity, idempotency,
//! newest-first pages, edit, delete, reactions, files and imports.

mod common;

use common::Api;
use serde_json::json;

async fn setup() -> Api {
    let api = Api::start().await;
    api.users(&["a", "b", "c"]).await;
    api.conversation("c1", &["a", "b"]).await;
    api
}

#[tokio::test]
async fn send_answers_ids_and_stores_shape() {
    let api = setup().await;
    let (s, ids) = api
        .post(
            "/conversations/c1/messages",
            json!([
                {"type": "UserMessage", "sender": "a", "text": "hi", "custom": {"k": "v"}},
                {"type": "SystemMessage", "text": "order received"},
                {"type": "UserMessage", "sender": "b", "content": [{"type": "text", "children": ["x"]}]}
            ]),
        )
        .await;
    assert_eq!(s, 200);
    let ids = ids.as_array().unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(
        |i| i["id"].as_str().unwrap().starts_with("msg_") && i.as_object().unwrap().len() == 1
    ));
    let (s, m) = api
        .get(&format!(
            "/conversations/c1/messages/{}",
            ids[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(s, 200);
    assert_eq!(m["type"], "UserMessage");
    assert_eq!(m["senderId"], "a");
    assert_eq!(m["conversationId"], "c1");
    assert_eq!(m["text"], "hi");
    assert_eq!(m["origin"], "rest");
    assert_eq!(m["attachment"], json!(null));
    assert_eq!(m["location"], json!(null));
    assert_eq!(m["editedAt"], json!(null));
    assert_eq!(m["referencedMessageId"], json!(null));
    assert_eq!(m["reactions"], json!({}));
    assert_eq!(m["custom"], json!({"k": "v"}));
    assert_eq!(
        m["readBy"],
        json!(["b"]),
        "b sent a later message, so has read it"
    );
    let stored = api.emu.messages("c1");
    assert_eq!(stored.len(), 3);
    assert_eq!(stored[1]["senderId"], json!(null));
    assert_eq!(stored[1]["type"], "SystemMessage");
    assert_eq!(stored[2]["content"][0]["type"], "text");
}

#[tokio::test]
async fn send_rejects_bad_bodies_and_stores_nothing() {
    let api = setup().await;
    let ok = json!({"type": "UserMessage", "sender": "a", "text": "x"});
    let cases = [
        json!([]),
        json!({"type": "UserMessage", "sender": "a", "text": "x"}),
        json!(vec![ok.clone(); 11]),
        json!([ok.clone(), {"type": "UserMessage", "text": "no sender"}]),
        json!([{"type": "UserMessage", "sender": "c", "text": "not a participant"}]),
        json!([{"type": "SystemMessage", "sender": "a", "text": "system with sender"}]),
        json!([{"type": "UserMessage", "sender": "a"}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "content": [{"type": "text"}]}]),
        json!([{"type": "UserMessage", "sender": "a", "attachmentToken": "att_nope"}]),
        json!([{"type": "Other", "text": "x"}]),
        json!([{"type": "UserMessage", "sender": "a", "text": 5}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "custom": {"n": 1}}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "referencedMessageId": "msg_missing"}]),
    ];
    for body in cases {
        let (s, e) = api.post("/conversations/c1/messages", body.clone()).await;
        assert_eq!(s, 400, "{body} -> {e}");
        assert!(e["message"].is_string() && e["error"].is_string());
    }
    assert!(api.emu.messages("c1").is_empty());
    assert_eq!(
        api.post("/conversations/none/messages", json!([ok.clone()]))
            .await
            .0,
        404
    );
    assert_eq!(
        api.post("/conversations/c1/messages", json!(vec![ok; 10]))
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn idempotency_key_deduplicates() {
    let api = setup().await;
    let body =
        json!([{"type": "UserMessage", "sender": "a", "text": "once", "idempotencyKey": "k1"}]);
    let (_, first) = api.post("/conversations/c1/messages", body.clone()).await;
    let (s, again) = api.post("/conversations/c1/messages", body).await;
    assert_eq!(s, 200);
    assert_eq!(first, again);
    assert_eq!(api.emu.messages("c1").len(), 1);
    // Another conversation has its own keys.
    api.conversation("c2", &["a"]).await;
    let (_, other) = api
        .post(
            "/conversations/c2/messages",
            json!([{"type": "UserMessage", "sender": "a", "text": "once", "idempotencyKey": "k1"}]),
        )
        .await;
    assert_ne!(other, first);
}

/// The README keeps idempotency keys for the emulator's lifetime, also
/// after the conversation is deleted: a retry of a send into a conversation
/// that was deleted and created again answers the original id and stores
/// nothing (before, the delete forgot the keys and the retry resent).
#[tokio::test]
async fn idempotency_keys_outlive_a_deleted_conversation() {
    let api = setup().await;
    let body =
        json!([{"type": "UserMessage", "sender": "a", "text": "once", "idempotencyKey": "k1"}]);
    let (s, first) = api.post("/conversations/c1/messages", body.clone()).await;
    assert_eq!(s, 200);
    let (s, _) = api.delete("/conversations/c1").await;
    assert_eq!(s, 200);
    assert!(api.emu.conversation("c1").is_none());
    api.conversation("c1", &["a", "b"]).await;
    assert!(
        api.emu.messages("c1").is_empty(),
        "the messages went with it"
    );
    let (s, again) = api.post("/conversations/c1/messages", body).await;
    assert_eq!(s, 200);
    assert_eq!(again, first, "the original id, not a new message");
    assert!(api.emu.messages("c1").is_empty(), "nothing was resent");
    // A new key in the re-created conversation is a new message.
    let (s, new) = api
        .post(
            "/conversations/c1/messages",
            json!([{"type": "UserMessage", "sender": "a", "text": "new", "idempotencyKey": "k2"}]),
        )
        .await;
    assert_eq!(s, 200);
    assert_ne!(new, first);
    assert_eq!(api.emu.messages("c1").len(), 1);
}

/// A retry of an applied send answers the original id even when the
/// message would no longer validate (the sender has left since): the key
/// is looked up before the message is checked. Nothing new is stored.
#[tokio::test]
async fn idempotent_retry_after_sender_left_returns_the_original_id() {
    let api = setup().await;
    let body =
        json!([{"type": "UserMessage", "sender": "b", "text": "hi", "idempotencyKey": "k-left"}]);
    let (s, first) = api.post("/conversations/c1/messages", body.clone()).await;
    assert_eq!(s, 200, "{first}");
    assert_eq!(api.delete("/conversations/c1/participants/b").await.0, 200);
    let (s, again) = api.post("/conversations/c1/messages", body.clone()).await;
    assert_eq!((s, &again), (200, &first));
    assert_eq!(api.emu.messages("c1").len(), 1);
    // A new key from the departed sender is still refused, and a request
    // mixing a retry with an invalid new message stores nothing.
    // The retry above, then a new message from `sender`.
    let retry_and_new = |sender: &str| {
        json!([
            body[0],
            {"type": "UserMessage", "sender": sender, "text": "new", "idempotencyKey": "k-new"}
        ])
    };
    let (s, _) = api
        .post("/conversations/c1/messages", retry_and_new("b"))
        .await;
    assert_eq!(s, 400);
    assert_eq!(api.emu.messages("c1").len(), 1);
    // A retry alongside a valid new message: the original id, then a new one.
    let (s, mixed) = api
        .post("/conversations/c1/messages", retry_and_new("a"))
        .await;
    assert_eq!(s, 200, "{mixed}");
    assert_eq!(mixed[0], first[0]);
    assert_ne!(mixed[1], first[0]);
    assert_eq!(api.emu.messages("c1").len(), 2);
}

/// The same new key twice in one request stores one message.
#[tokio::test]
async fn a_key_repeated_within_one_request_stores_once() {
    let api = setup().await;
    let m = json!({"type": "UserMessage", "sender": "a", "text": "x", "idempotencyKey": "dup"});
    let (s, ids) = api.post("/conversations/c1/messages", json!([m, m])).await;
    assert_eq!(s, 200, "{ids}");
    assert_eq!(ids[0], ids[1]);
    assert_eq!(api.emu.messages("c1").len(), 1);
}

/// A send to a deprecated `participants=` path that fails validation must
/// not start the conversation; a valid one starts it and stores the message.
#[tokio::test]
async fn invalid_send_to_a_deprecated_path_creates_nothing() {
    let api = Api::start().await;
    api.users(&["a", "b", "c"]).await;
    let path = "/conversations/participants=a,b/messages";
    for bad in [
        json!([{"type": "UserMessage", "sender": "c", "text": "not a participant"}]),
        json!([{"type": "UserMessage", "sender": "a"}]),
        json!([{"type": "SystemMessage", "sender": "a", "text": "x"}]),
        json!([
            {"type": "UserMessage", "sender": "a", "text": "fine"},
            {"type": "UserMessage", "sender": "a", "text": 5}
        ]),
    ] {
        let (s, b) = api.post(path, bad.clone()).await;
        assert_eq!(s, 400, "{bad}: {b}");
        assert_eq!(
            api.emu.conversation_count(),
            0,
            "{bad} started a conversation"
        );
        assert_eq!(api.get("/conversations/participants=a,b").await.0, 404);
        assert_eq!(api.get("/users/a/conversations").await.1["data"], json!([]));
    }
    let (s, ids) = api
        .post(
            path,
            json!([{"type": "UserMessage", "sender": "b", "text": "hello"}]),
        )
        .await;
    assert_eq!(s, 200, "{ids}");
    assert_eq!(api.emu.conversation_count(), 1);
    let (s, conv) = api.get("/conversations/participants=b,a").await;
    assert_eq!(s, 200);
    let cid = conv["id"].as_str().unwrap().to_owned();
    assert_eq!(api.emu.messages(&cid).len(), 1);
    assert_eq!(conv["lastMessage"]["text"], "hello");
    assert_eq!(conv["participants"]["b"]["isUnread"], false);
    assert_eq!(conv["participants"]["a"]["isUnread"], true);
    // Both participants are indexed for their conversation lists.
    for u in ["a", "b"] {
        let (_, list) = api.get(&format!("/users/{u}/conversations")).await;
        assert_eq!(list["data"][0]["id"], cid, "{u}");
    }
}

#[tokio::test]
async fn list_newest_first_with_cursor() {
    let api = setup().await;
    let mut sent = Vec::new();
    for i in 0..15 {
        sent.push(
            api.say("c1", if i % 2 == 0 { "a" } else { "b" }, &format!("m{i}"))
                .await,
        );
    }
    sent.reverse();
    let (_, p1) = api.get("/conversations/c1/messages").await;
    let p1: Vec<String> = p1["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(p1, sent[..10]);
    let (_, p2) = api
        .get(&format!(
            "/conversations/c1/messages?startingAfter={}&limit=100",
            p1[9]
        ))
        .await;
    let p2: Vec<String> = p2["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(p2, sent[10..]);
    assert_eq!(
        api.get("/conversations/c1/messages?startingAfter=msg_x")
            .await
            .0,
        400
    );
    assert_eq!(api.get("/conversations/c1/messages?limit=0").await.0, 400);
}

#[tokio::test]
async fn edit_delete_and_reactions() {
    let api = setup().await;
    let id = api.say("c1", "a", "draft").await;
    let path = format!("/conversations/c1/messages/{id}");
    assert_eq!(
        api.put(&path, json!({"text": "final", "custom": {"x": "1"}}))
            .await,
        (200, json!({}))
    );
    let m = api.get(&path).await.1;
    assert_eq!(m["text"], "final");
    assert_eq!(m["custom"], json!({"x": "1"}));
    assert!(m["editedAt"].as_i64().unwrap() >= m["createdAt"].as_i64().unwrap());
    assert_eq!(api.put(&path, json!({"text": 3})).await.0, 400);
    assert_eq!(
        api.put(&format!("{path}/reactions/%F0%9F%91%8D/b"), json!({}))
            .await,
        (200, json!({}))
    );
    api.put(&format!("{path}/reactions/%F0%9F%91%8D/a"), json!({}))
        .await;
    api.put(&format!("{path}/reactions/%F0%9F%91%8D/a"), json!({}))
        .await;
    assert_eq!(
        api.get(&path).await.1["reactions"],
        json!({"👍": ["b", "a"]})
    );
    assert_eq!(
        api.delete(&format!("{path}/reactions/%F0%9F%91%8D/b"))
            .await
            .0,
        200
    );
    assert_eq!(api.get(&path).await.1["reactions"], json!({"👍": ["a"]}));
    assert_eq!(
        api.put(
            "/conversations/c1/messages/msg_none/reactions/x/a",
            json!({})
        )
        .await
        .0,
        404
    );
    assert_eq!(api.delete(&path).await, (200, json!({})));
    assert_eq!(api.get(&path).await.0, 404);
    assert_eq!(api.delete(&path).await.0, 404);
    assert!(api.emu.messages("c1").is_empty());
}

#[tokio::test]
async fn files_and_attachments() {
    let api = setup().await;
    let upload = |part: reqwest::multipart::Part| {
        let form = reqwest::multipart::Form::new().part("file", part);
        api.http
            .post(format!("{}/files", api.emu.api_url()))
            .bearer_auth(api.emu.secret_key())
            .multipart(form)
            .send()
    };
    let r = upload(reqwest::multipart::Part::bytes(b"hello file".to_vec()).file_name("a.txt"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<serde_json::Value>().await.unwrap()["attachmentToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // Names as a client (reqwest here) writes them: `;` inside quotes, and
    // `"`, `\` or non-ASCII percent-encoded in `filename*=utf-8''...`.
    for name in [
        "a;b.txt",
        r#"say "hi".txt"#,
        r"back\slash.txt",
        "€ rates.txt",
    ] {
        let r = upload(reqwest::multipart::Part::bytes(b"n".to_vec()).file_name(name))
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}");
        let t = r.json::<serde_json::Value>().await.unwrap()["attachmentToken"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(api.emu.file(&t).unwrap().0, name);
    }
    // No filename: TalkJS's "Invalid JSON" 400.
    let r = upload(reqwest::multipart::Part::bytes(b"x".to_vec()))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "Invalid JSON"
    );
    // Not multipart at all.
    let (s, _) = api.post("/files", json!({"file": "x"})).await;
    assert_eq!(s, 400);
    let (s, ids) = api
        .post(
            "/conversations/c1/messages",
            json!([{"type": "UserMessage", "sender": "a", "attachmentToken": token}]),
        )
        .await;
    assert_eq!(s, 200);
    let m = api
        .get(&format!(
            "/conversations/c1/messages/{}",
            ids[0]["id"].as_str().unwrap()
        ))
        .await
        .1;
    assert_eq!(m["attachment"]["size"], 10);
    assert_eq!(m["text"], json!(null));
    let url = m["attachment"]["url"].as_str().unwrap();
    assert!(url.starts_with(api.emu.base_url()));
    assert_eq!(
        api.http
            .get(url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .as_ref(),
        b"hello file"
    );
    assert_eq!(api.emu.file(&token).unwrap().0, "a.txt");
}

#[tokio::test]
async fn import_keeps_timestamps_without_dedup() {
    let api = setup().await;
    let body = json!([
        {"type": "UserMessage", "sender": "a", "text": "old", "timestamp": 1_500_000_000_000i64, "readBy": ["b"], "custom": {"src": "legacy"}},
        {"type": "UserMessage", "sender": "b", "text": "older", "timestamp": 1_400_000_000_000i64, "readBy": []}
    ]);
    let (s, ids) = api
        .post("/import/conversations/c1/messages", body.clone())
        .await;
    assert_eq!(s, 200);
    assert_eq!(ids.as_array().unwrap().len(), 2);
    assert_eq!(
        api.post("/import/conversations/c1/messages", body).await.0,
        200
    );
    let stored = api.emu.messages("c1");
    assert_eq!(stored.len(), 4, "no de-duplication");
    assert_eq!(stored[0]["createdAt"], 1_400_000_000_000i64);
    assert_eq!(stored[0]["origin"], "import");
    let page = api.get("/conversations/c1/messages").await.1;
    assert_eq!(page["data"][0]["text"], "old", "newest by createdAt first");
    assert_eq!(page["data"][0]["readBy"], json!(["b"]));
    for bad in [
        json!([{"type": "SystemMessage", "text": "x", "timestamp": 1}]),
        json!([{"type": "UserMessage", "sender": "c", "text": "x", "timestamp": 1}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x"}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "timestamp": "yesterday", "readBy": []}]),
        json!(vec![
            json!({"type": "UserMessage", "sender": "a", "text": "x", "timestamp": 1, "readBy": []});
            11
        ]),
        // readBy is part of TalkJS's import tuple: required (may be empty).
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "timestamp": 1}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "timestamp": 1, "readBy": null}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "timestamp": 1, "readBy": "b"}]),
        // The import tuple has no location (nor content).
        json!([{"type": "UserMessage", "sender": "a", "location": [1.0, 2.0], "timestamp": 1, "readBy": []}]),
        json!([{"type": "UserMessage", "sender": "a", "text": "x", "location": [1.0, 2.0], "timestamp": 1, "readBy": []}]),
        json!([{"type": "UserMessage", "sender": "a", "content": [{"type": "text"}], "timestamp": 1, "readBy": []}]),
        // One bad element: nothing of the request is imported.
        json!([
            {"type": "UserMessage", "sender": "a", "text": "ok", "timestamp": 1, "readBy": []},
            {"type": "UserMessage", "sender": "a", "text": "x", "timestamp": 1}
        ]),
    ] {
        assert_eq!(
            api.post("/import/conversations/c1/messages", bad.clone())
                .await
                .0,
            400,
            "{bad}"
        );
    }
    assert_eq!(api.emu.messages("c1").len(), 4);
}

#[tokio::test]
async fn edit_delete_and_reactions_404_for_the_conversation_first() {
    let api = setup().await;
    api.conversation("c2", &["a"]).await;
    let id = api.say("c1", "a", "kept").await;
    // A missing conversation, one with no messages yet, and a missing
    // message in one that has some.
    for (conv, mid, missing) in [
        ("none", id.as_str(), "conversation \"none\""),
        ("c2", id.as_str(), &*format!("message {id:?}")),
        ("c1", "msg_x", "message \"msg_x\""),
    ] {
        let path = format!("/conversations/{conv}/messages/{mid}");
        let reaction = format!("{path}/reactions/x/a");
        for (s, e) in [
            api.put(&path, json!({"text": "t"})).await,
            api.delete(&path).await,
            api.put(&reaction, json!({})).await,
            api.delete(&reaction).await,
        ] {
            assert_eq!(s, 404, "{path}: {e}");
            assert_eq!(e["message"], format!("{missing} not found"), "{path}");
        }
    }
    let m = api.get(&format!("/conversations/c1/messages/{id}")).await.1;
    assert_eq!(
        (m["text"].as_str(), &m["reactions"]),
        (Some("kept"), &json!({}))
    );
}

/// [`setup`] with c1 grown to exactly 300 participants (a, b and `p1..=p298`)
/// and one message from a that b has read; returns the message id.
async fn c1_at_300_participants_read_by_b() -> (Api, String) {
    let api = setup().await;
    api.add_fillers("c1", 298).await;
    let id = api.say("c1", "a", "hi").await;
    api.read_all("b", "c1").await;
    (api, id)
}

/// Every place a message is answered with its `readBy`: get, list, the
/// conversation's `lastMessage` (by id and in both conversation lists) and
/// the stored messages.
async fn read_by_everywhere(api: &Api, id: &str) -> Vec<serde_json::Value> {
    vec![
        api.get(&format!("/conversations/c1/messages/{id}")).await.1["readBy"].clone(),
        api.get("/conversations/c1/messages").await.1["data"][0]["readBy"].clone(),
        api.get("/conversations/c1").await.1["lastMessage"]["readBy"].clone(),
        api.get("/conversations").await.1["data"][0]["lastMessage"]["readBy"].clone(),
        api.get("/users/a/conversations").await.1["data"][0]["lastMessage"]["readBy"].clone(),
        api.emu.messages("c1")[0]["readBy"].clone(),
    ]
}

/// TalkJS leaves `readBy` empty above 300 participants
/// (<https://talkjs.com/docs/Reference/Concepts/Messages/>); at exactly 300
/// it is kept.
#[tokio::test]
async fn read_by_is_kept_at_300_participants() {
    let (api, m) = c1_at_300_participants_read_by_b().await;
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"].as_object().unwrap().len(), 300);
    for read_by in read_by_everywhere(&api, &m).await {
        assert_eq!(read_by, json!(["b"]));
    }
}

/// Above 300 participants every answer shows `readBy: []`, but the read
/// state is kept: `isUnread` still follows it, reads still count while the
/// conversation is large, and `readBy` shows them again at 300.
#[tokio::test]
async fn read_by_is_empty_above_300_participants_and_returns_at_300() {
    let (api, m) = c1_at_300_participants_read_by_b().await;
    // User c exists since `setup`.
    api.conversation("c1", &["c"]).await;
    let c = api.get("/conversations/c1").await.1;
    assert_eq!(c["participants"].as_object().unwrap().len(), 301);
    for read_by in read_by_everywhere(&api, &m).await {
        assert_eq!(read_by, json!([]));
    }
    // The markers are still there and still move.
    assert_eq!(c["participants"]["b"]["isUnread"], false);
    assert_eq!(c["participants"]["p1"]["isUnread"], true);
    api.read_all("p1", "c1").await;
    for read_by in read_by_everywhere(&api, &m).await {
        assert_eq!(read_by, json!([]));
    }

    let (s, b) = api.delete("/conversations/c1/participants/c").await;
    assert_eq!(s, 200, "{b}");
    for read_by in read_by_everywhere(&api, &m).await {
        assert_eq!(read_by, json!(["b", "p1"]));
    }
}
