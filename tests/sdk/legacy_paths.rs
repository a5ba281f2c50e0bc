//! The deprecated `participants={ids}[;topic={topic}]` conversation paths
//! (`conversation_by_participants`). Hostile ids in them: `ids::proptests`.

use futures::TryStreamExt;
use serde_json::{Value, json};
use talkjs::raw::types::{ConversationInput, NullableString, SendMessageInput};
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

use crate::common::{assert_validation, emulator, text};
use crate::fixtures::{assert_partial_400, ids_of, requests_to, users};
use crate::wire::{
    assert_chunked_sends, assert_distinct_keys, assert_request, client, exactly,
    one_id_per_message, only, server, take_keys, with_keys,
};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn legacy_participants_paths() {
    let server = server(json!({"id": "c", "data": []})).await;
    let client = client(&server);
    let legacy = client
        .conversation_by_participants(&["a", "b"])
        .and_then(|c| c.topic("t"))
        .unwrap();
    legacy.get().await.unwrap();
    let input = ConversationInput {
        subject: Some(NullableString(Some("S".into()))),
        ..Default::default()
    };
    legacy.upsert(&input).await.unwrap();
    legacy
        .messages()
        .limit(10)
        .starting_after("m1")
        .send()
        .await
        .unwrap();
    let r = exactly(&server, 3).await;
    let path = "/v1/app/conversations/participants=a,b;topic=t";
    assert_request(&r[0], "GET", path, &[], None);
    assert_request(&r[1], "PUT", path, &[], Some(json!({"subject": "S"})));
    assert_request(
        &r[2],
        "GET",
        &format!("{path}/messages"),
        &[("limit", "10"), ("startingAfter", "m1")],
        None,
    );

    // Other characters are percent-encoded inside the list.
    let odd = client
        .conversation_by_participants(&["a b", "ü/1"])
        .unwrap();
    assert_eq!(odd.path(), "/conversations/participants=a%20b,%C3%BC%2F1");
}

#[tokio::test]
async fn legacy_send() {
    let server = server(json!([{"id": "m1"}])).await;
    let client = client(&server);
    let legacy = client
        .conversation_by_participants(&["a", "b"])
        .and_then(|c| c.topic("t"))
        .unwrap();
    let ids = legacy.send(vec![text("a", "hi")]).await.unwrap();
    assert_eq!(ids, ["m1"]);
    let r = only(&server).await;
    let mut body: Value = serde_json::from_slice(&r.body).unwrap();
    let keys = take_keys(&mut body);
    assert_distinct_keys(&keys);
    let expected = json!([{"type": "UserMessage", "sender": "a", "text": "hi"}]);
    assert_eq!(body, expected);
    assert_request(
        &r,
        "POST",
        "/v1/app/conversations/participants=a,b;topic=t/messages",
        &[],
        Some(with_keys(expected, &keys)),
    );
}

#[tokio::test]
async fn legacy_send_of_11_goes_out_in_chunks_and_the_stream_pages() {
    // One id per message sent, as TalkJS answers; a full page of 2 for a
    // list without a cursor, then a short page.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(|request: &Request| {
            if request.method.as_str() == "GET" {
                let page = if request.url.query().unwrap_or("").contains("startingAfter") {
                    json!({"data": [{"id": "m1"}]})
                } else {
                    json!({"data": [{"id": "m3"}, {"id": "m2"}]})
                };
                return ResponseTemplate::new(200).set_body_json(page);
            }
            one_id_per_message(request)
        })
        .mount(&server)
        .await;
    let client = client(&server);
    let legacy = client
        .conversation_by_participants(&["a", "b"])
        .and_then(|c| c.topic("t"))
        .unwrap();
    let messages = (0..11).map(|i| text("a", &i.to_string())).collect();
    let ids = legacy.send(messages).await.unwrap();
    assert_eq!(ids.len(), 11);
    let streamed: Vec<_> = futures::TryStreamExt::try_collect(legacy.messages().limit(2).stream())
        .await
        .unwrap();
    let streamed: Vec<_> = streamed.iter().map(|m| m.id.clone().unwrap()).collect();
    assert_eq!(streamed, ["m3", "m2", "m1"]);

    let r = exactly(&server, 4).await;
    let path = "/v1/app/conversations/participants=a,b;topic=t/messages";
    assert_chunked_sends(&r[..2], path, "a", &[10, 1]);
    assert_request(&r[2], "GET", path, &[("limit", "2")], None);
    assert_request(
        &r[3],
        "GET",
        path,
        &[("limit", "2"), ("startingAfter", "m2")],
        None,
    );
}

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn conversation_by_participants_upsert_get_send_list() {
    let (emu, client) = emulator().await;
    users(&client, &["a", "b"]).await;
    let legacy = client
        .conversation_by_participants(&["a", "b"])
        .and_then(|c| c.topic("t"))
        .unwrap();
    assert_eq!(legacy.path(), "/conversations/participants=a,b;topic=t");

    let input = ConversationInput {
        subject: Some(NullableString(Some("legacy".into()))),
        ..Default::default()
    };
    legacy.upsert(&input).await.unwrap();
    let got = legacy.get().await.unwrap();
    assert_eq!(got.subject.as_deref(), Some("legacy"));
    assert_eq!(got.topic_id.as_deref(), Some("t"));
    let mut participants: Vec<_> = got.participants.unwrap().into_keys().collect();
    participants.sort();
    assert_eq!(participants, ["a", "b"]);
    let conv_id = got.id.unwrap();

    let ids = legacy
        .send(vec![text("a", "hi b"), text("b", "hi a")])
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    let page = legacy.messages().limit(10).send().await.unwrap();
    assert_eq!(
        ids_of(&page.items, |m| m.id.as_ref()),
        [ids[1].clone(), ids[0].clone()]
    );
    let page = legacy
        .messages()
        .limit(1)
        .starting_after(&ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(ids_of(&page.items, |m| m.id.as_ref()), [ids[0].clone()]);
    let stored: Vec<Value> = emu.messages(&conv_id);
    assert_eq!(stored.len(), 2);

    let full = format!(
        "/v1/{}/conversations/participants=a,b;topic=t",
        emu.app_id()
    );
    assert!(
        emu.requests()
            .iter()
            .any(|r| r.method == "PUT" && r.path == full),
        "{:#?}",
        emu.requests()
    );

    // Separators inside ids are refused, before anything is sent.
    let sent = emu.requests().len();
    assert_validation(
        client.conversation_by_participants(&["a,b"]).map(|_| ()),
        "participants[0]",
    );
    assert_validation(
        client
            .conversation_by_participants(&["a", "b;c"])
            .map(|_| ()),
        "participants[1]",
    );
    assert_validation(
        client
            .conversation_by_participants(&["a"])
            .and_then(|c| c.topic("x;y"))
            .map(|_| ()),
        "topic",
    );
    assert_validation(
        client.conversation_by_participants(&[]).map(|_| ()),
        "participants",
    );
    // (More than 10 messages are sent in chunks now, as Messages::send does.)
    assert_validation(legacy.send(vec![]).await, "messages");
    assert_validation(legacy.messages().limit(0).send().await, "limit");
    assert_eq!(emu.requests().len(), sent);
}

#[tokio::test]
async fn conversation_by_participants_sends_25_in_3_requests_and_streams_them() {
    let (emu, client) = emulator().await;
    users(&client, &["a", "b"]).await;
    let legacy = client.conversation_by_participants(&["a", "b"]).unwrap();
    legacy.upsert(&ConversationInput::default()).await.unwrap();
    let conv_id = legacy.get().await.unwrap().id.unwrap();
    emu.clear_log();

    let messages = (0..25).map(|i| text("a", &format!("m{i}"))).collect();
    let ids = legacy.send(messages).await.unwrap();
    assert_eq!(ids.len(), 25);
    let posts = requests_to(&emu, "POST", "/conversations/participants=a,b/messages");
    let sizes: Vec<usize> = posts
        .iter()
        .map(|r| r.json().unwrap().as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [10, 10, 5]);
    let stored = emu.messages(&conv_id);
    let stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(stored_ids, ids, "each stored once, in order");
    let texts: Vec<&str> = stored.iter().map(|m| m["text"].as_str().unwrap()).collect();
    assert_eq!(texts[24], "m24");

    // The stream pages through all 25, newest first: 10 + 10 + 5.
    emu.clear_log();
    let streamed: Vec<_> = legacy
        .messages()
        .limit(10)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(ids_of(&streamed, |m| m.id.as_ref()), newest_first);
    assert_eq!(
        requests_to(&emu, "GET", "/conversations/participants=a,b/messages").len(),
        3
    );
    assert_validation(
        legacy
            .messages()
            .limit(101)
            .stream()
            .try_collect::<Vec<_>>()
            .await,
        "limit",
    );

    // A later chunk refused by the server: Partial with the stored ids.
    let mut messages: Vec<SendMessageInput> =
        (0..15).map(|i| text("b", &format!("n{i}"))).collect();
    messages[12] = text("mallory", "not a participant");
    let err = legacy.send(messages).await.unwrap_err();
    assert_partial_400(&err, (1, 10), &emu.messages(&conv_id)[25..]);
}
