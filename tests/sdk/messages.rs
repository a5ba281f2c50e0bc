//! Messages: send (chunked, with idempotency keys), list, get, edit,
//! delete, react and unreact; messages refused before sending. Imports are
//! in `import`, uploads in `files`.

use std::collections::HashSet;

use futures::TryStreamExt;
use serde_json::{Value, json};
use talkjs::raw::types::{EditMessageBody, SendMessageInput, SendMessageInputType};
use wiremock::{Mock, MockServer, matchers::any};

use crate::common::{assert_not_found, assert_validation, emulator, system, text};
use crate::fixtures::{chat, requests_to, user_message};
use crate::wire::{
    assert_chunked_sends, assert_distinct_keys, assert_request, client, exactly,
    one_id_per_message, only, requests, server, take_keys, with_keys,
};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn send_messages() {
    let server = server(json!([{"id": "m1"}, {"id": "m2"}, {"id": "m3"}])).await;
    let client = client(&server);
    let keyed = SendMessageInput {
        idempotency_key: Some("my-key".to_string()),
        ..text("bob", "mine")
    };
    let ids = client
        .messages("c1")
        .send(vec![text("alice", "hi"), system("Order shipped"), keyed])
        .await
        .unwrap();
    assert_eq!(ids, ["m1", "m2", "m3"]);
    let r = only(&server).await;
    let mut body: Value = serde_json::from_slice(&r.body).unwrap();
    let keys = take_keys(&mut body);
    assert_distinct_keys(&keys);
    assert_eq!(keys[2], "my-key", "a given key is kept");
    let expected = json!([
        {"type": "UserMessage", "sender": "alice", "text": "hi"},
        {"type": "SystemMessage", "text": "Order shipped"},
        {"type": "UserMessage", "sender": "bob", "text": "mine"},
    ]);
    assert_eq!(body, expected);
    assert_request(
        &r,
        "POST",
        "/v1/app/conversations/c1/messages",
        &[],
        Some(with_keys(expected, &keys)),
    );
}

#[tokio::test]
async fn send_many_messages_in_chunks_with_distinct_keys() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(one_id_per_message)
        .mount(&server)
        .await;
    let messages = (0..11).map(|i| text("alice", &i.to_string())).collect();
    client(&server).messages("c1").send(messages).await.unwrap();
    let r = requests(&server).await;
    let path = "/v1/app/conversations/c1/messages";
    assert_chunked_sends(&r, path, "alice", &[10, 1]);
}

#[tokio::test]
async fn list_get_edit_delete_messages() {
    let server = server(json!({"id": "m1", "data": []})).await;
    let client = client(&server);
    let m = client.messages("c1");
    m.list()
        .limit(20)
        .starting_after("m5")
        .send()
        .await
        .unwrap();
    m.get("m1").await.unwrap();
    m.edit(
        "m1",
        EditMessageBody::builder()
            .text("new".to_string())
            .custom(talkjs::raw::types::Custom(Some(
                [("k".to_string(), "v".to_string())].into(),
            )))
            .try_into()
            .unwrap(),
    )
    .await
    .unwrap();
    m.delete("m1").await.unwrap();
    let r = exactly(&server, 4).await;
    assert_request(
        &r[0],
        "GET",
        "/v1/app/conversations/c1/messages",
        &[("limit", "20"), ("startingAfter", "m5")],
        None,
    );
    let path = "/v1/app/conversations/c1/messages/m1";
    assert_request(&r[1], "GET", path, &[], None);
    assert_request(
        &r[2],
        "PUT",
        path,
        &[],
        Some(json!({"text": "new", "custom": {"k": "v"}})),
    );
    assert_request(&r[3], "DELETE", path, &[], None);
}

#[tokio::test]
async fn react_and_unreact_percent_encode_the_emoji() {
    let server = server(json!({})).await;
    let client = client(&server);
    client
        .messages("c1")
        .react("m1", "👍", "bob")
        .await
        .unwrap();
    client
        .messages("c1")
        .unreact("m1", "👍", "bob")
        .await
        .unwrap();
    let r = exactly(&server, 2).await;
    let path = "/v1/app/conversations/c1/messages/m1/reactions/%F0%9F%91%8D/bob";
    assert_request(&r[0], "PUT", path, &[], None);
    assert_request(&r[1], "DELETE", path, &[], None);
}

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn send_a_user_and_a_system_message() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    let ids = client
        .messages("chat")
        .send(vec![text("alice", "hi"), system("Order shipped")])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1]);
    let stored = emu.messages("chat");
    let stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(stored_ids, ids);
    assert_eq!(stored[0]["type"], "UserMessage");
    assert_eq!(stored[0]["senderId"], "alice");
    assert_eq!(stored[0]["text"], "hi");
    assert_eq!(stored[0]["origin"], "rest");
    assert_eq!(stored[1]["type"], "SystemMessage");
    assert_eq!(stored[1]["senderId"], Value::Null);
    assert_eq!(stored[1]["text"], "Order shipped");
}

#[tokio::test]
async fn send_25_messages_in_3_requests_each_stored_once_in_order() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    emu.clear_log();
    let messages = (0..25).map(|i| text("alice", &format!("m{i}"))).collect();
    let ids = client.messages("chat").send(messages).await.unwrap();
    assert_eq!(ids.len(), 25);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 25);

    let posts = requests_to(&emu, "POST", "/conversations/chat/messages");
    let sizes: Vec<usize> = posts
        .iter()
        .map(|r| r.json().unwrap().as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [10, 10, 5]);
    assert_eq!(emu.requests().len(), 3);
    let keys: HashSet<String> = posts
        .iter()
        .flat_map(|r| r.json().unwrap().as_array().unwrap().clone())
        .map(|m| m["idempotencyKey"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 25, "every message has its own idempotency key");

    let stored = emu.messages("chat");
    assert_eq!(stored.len(), 25);
    let stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(stored_ids, ids);
    let texts: Vec<&str> = stored.iter().map(|m| m["text"].as_str().unwrap()).collect();
    let expected: Vec<String> = (0..25).map(|i| format!("m{i}")).collect();
    assert_eq!(texts, expected);
}

#[tokio::test]
async fn invalid_messages_are_refused_before_anything_is_sent() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    let sent = emu.requests().len();
    let m = client.messages("chat");
    let build = |b: talkjs::raw::types::builder::SendMessageInput| -> SendMessageInput {
        b.try_into().unwrap()
    };

    let no_sender = build(
        SendMessageInput::builder()
            .type_(SendMessageInputType::UserMessage)
            .text(Some("hi".to_string())),
    );
    assert_validation(
        m.send(vec![text("alice", "ok"), no_sender]).await,
        "messages[1].sender",
    );

    let system_with_sender = build(
        SendMessageInput::builder()
            .type_(SendMessageInputType::SystemMessage)
            .sender(Some("alice".to_string()))
            .text(Some("hi".to_string())),
    );
    assert_validation(m.send(vec![system_with_sender]).await, "messages[0].sender");

    let text_and_attachment = build(
        user_message()
            .text(Some("hi".to_string()))
            .attachment_token(Some("att_1".to_string())),
    );
    assert_validation(
        m.send(vec![
            text("alice", "ok"),
            text("bob", "ok"),
            text_and_attachment,
        ])
        .await,
        "messages[2].text",
    );

    assert_validation(m.send(vec![text("alice", "")]).await, "messages[0].text");

    for location in [[f64::NAN, 10.0], [200.0, 10.0], [10.0, f64::INFINITY]] {
        let bad = build(user_message().location(Some(location)));
        assert_validation(m.send(vec![bad]).await, "messages[0].location");
    }

    let empty_key = build(
        user_message()
            .text(Some("hi".to_string()))
            .idempotency_key(Some(String::new())),
    );
    assert_validation(m.send(vec![empty_key]).await, "messages[0].idempotencyKey");

    assert_validation(m.send(Vec::new()).await, "messages");
    assert_validation(m.list().limit(0).send().await, "limit");
    assert_validation(m.list().limit(101).send().await, "limit");
    let streamed: Result<Vec<_>, _> = m.list().limit(0).stream().try_collect().await;
    assert_validation(streamed, "limit");
    assert_validation(client.users().list().limit(101).send().await, "limit");
    assert_validation(
        client.messages("..").send(vec![text("a", "b")]).await,
        "conversationId",
    );

    assert_eq!(
        emu.requests().len(),
        sent,
        "{:#?}",
        emu.requests()[sent..].to_vec()
    );
    assert!(emu.messages("chat").is_empty());

    // A valid location (either order) does go out.
    let ok = build(user_message().location(Some([52.37, 4.89])));
    m.send(vec![ok]).await.unwrap();
    assert_eq!(emu.messages("chat")[0]["location"], json!([52.37, 4.89]));
}

#[tokio::test]
async fn message_get_edit_delete_react_unreact() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    let m = client.messages("chat");
    let id = m
        .send(vec![text("alice", "first")])
        .await
        .unwrap()
        .remove(0);

    let got = m.get(&id).await.unwrap();
    assert_eq!(got.id.as_deref(), Some(id.as_str()));
    assert_eq!(got.text.as_deref(), Some("first"));
    assert_eq!(got.sender_id.as_deref(), Some("alice"));
    assert_eq!(got.conversation_id.as_deref(), Some("chat"));
    assert_eq!(got.edited_at, None);

    let edit = EditMessageBody {
        text: Some("second".into()),
        ..Default::default()
    };
    m.edit(&id, edit).await.unwrap();
    let got = m.get(&id).await.unwrap();
    assert_eq!(got.text.as_deref(), Some("second"));
    assert!(got.edited_at.is_some());
    assert!(got.edited_at.unwrap() >= got.created_at.unwrap());

    m.react(&id, "👍", "bob").await.unwrap();
    let got = m.get(&id).await.unwrap();
    assert_eq!(got.reactions.unwrap()["👍"], json!(["bob"]));
    assert_eq!(emu.messages("chat")[0]["reactions"], json!({"👍": ["bob"]}));
    m.unreact(&id, "👍", "bob").await.unwrap();
    let got = m.get(&id).await.unwrap();
    assert!(got.reactions.unwrap_or_default().is_empty());

    m.delete(&id).await.unwrap();
    assert_not_found(m.get(&id).await);
    assert!(emu.messages("chat").is_empty());
    assert_not_found(m.delete(&id).await);
}
