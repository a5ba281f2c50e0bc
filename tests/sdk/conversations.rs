//! Conversations: upsert, get, delete, and the conversation lists (the
//! app's and a user's) with their filters and order. Paging through them
//! is in `pagination`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use serde_json::{Value, json};
use talkjs::pagination::List;
use talkjs::raw::types::{ConversationInput, NullableString};
use talkjs::types::Conversation;
use talkjs::{BatchOp, ConversationOrder, OrderDirection, ReadUntil};
use talkjs_emulator::Emulator;
use wiremock::Request;

use crate::common::{assert_not_found, emulator, import, with_participants};
use crate::fixtures::{conv_ids, requests_to, users};
use crate::wire::{assert_request, batch_server, client, exactly, only, query, server};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn conversation_upsert_get_list_delete() {
    let server = server(json!({"id": "c1", "data": []})).await;
    let client = client(&server);
    let input = ConversationInput {
        subject: Some(NullableString(Some("Order #42".into()))),
        photo_url: Some(NullableString(None)),
        participants: vec!["alice".into(), "bob".into()],
        ..Default::default()
    };
    client.conversations().upsert("c1", input).await.unwrap();
    client.conversations().get("c1").await.unwrap();
    client
        .conversations()
        .list()
        .before(2_000i64)
        .after(1_000i64)
        .limit(50)
        .starting_after("c0")
        .send()
        .await
        .unwrap();
    client.conversations().delete("c1").await.unwrap();
    let r = exactly(&server, 4).await;
    assert_request(
        &r[0],
        "PUT",
        "/v1/app/conversations/c1",
        &[],
        Some(json!({"subject": "Order #42", "photoUrl": null, "participants": ["alice", "bob"]})),
    );
    assert_request(&r[1], "GET", "/v1/app/conversations/c1", &[], None);
    assert_request(
        &r[2],
        "GET",
        "/v1/app/conversations",
        &[
            ("lastMessageBefore", "2000"),
            ("lastMessageAfter", "1000"),
            ("limit", "50"),
            ("startingAfter", "c0"),
        ],
        None,
    );
    assert_request(&r[3], "DELETE", "/v1/app/conversations/c1", &[], None);
}

#[tokio::test]
async fn user_conversations_with_every_filter() {
    let server = server(json!({"data": []})).await;
    client(&server)
        .users()
        .conversations("alice")
        .before(1_700_000_000_000i64)
        .after(UNIX_EPOCH + Duration::from_millis(1_600_000_000_123))
        .unreads_only()
        .limit(5)
        .starting_after("c1")
        .send()
        .await
        .unwrap();
    let r = only(&server).await;
    assert_request(
        &r,
        "GET",
        "/v1/app/users/alice/conversations",
        &[
            ("lastMessageBefore", "1700000000000"),
            ("lastMessageAfter", "1600000000123"),
            ("limit", "5"),
            ("startingAfter", "c1"),
            ("unreadsOnly", "true"),
        ],
        None,
    );
}

/// `orderBy`/`orderDirection` reach both conversation lists and their batch
/// forms, the natural values and a free one alike; none is sent by default.
#[tokio::test]
async fn conversation_list_order_reaches_the_query() {
    let server = server(json!({"data": []})).await;
    let client = client(&server);
    client
        .conversations()
        .list()
        .order(ConversationOrder::CreatedAt, OrderDirection::Ascending)
        .send()
        .await
        .unwrap();
    client
        .users()
        .conversations("u")
        .order(
            ConversationOrder::Other("subject".into()),
            OrderDirection::Other("DESC".into()),
        )
        .send()
        .await
        .unwrap();
    client.conversations().list().send().await.unwrap();
    let r = exactly(&server, 3).await;
    let has = |r: &Request, pair: (&str, &str)| {
        query(r).contains(&(pair.0.to_string(), pair.1.to_string()))
    };
    assert!(has(&r[0], ("orderBy", "createdAt")) && has(&r[0], ("orderDirection", "asc")));
    assert!(has(&r[1], ("orderBy", "subject")) && has(&r[1], ("orderDirection", "DESC")));
    assert!(
        query(&r[2]).iter().all(|(k, _)| !k.starts_with("order")),
        "{:?}",
        query(&r[2])
    );
    let by_activity = client
        .conversations()
        .list()
        .order(ConversationOrder::LastActivity, OrderDirection::Descending)
        .limit(5);
    let op = BatchOp::list(&by_activity).unwrap();
    let batch = batch_server().await;
    self::client(&batch).batch(vec![op]).await.unwrap();
    let sent: Value = serde_json::from_slice(&only(&batch).await.body).unwrap();
    assert_eq!(sent[0][3]["orderBy"], "lastMessageAt");
    assert_eq!(sent[0][3]["orderDirection"], "desc");
}

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn conversation_upsert_get_delete() {
    let (emu, client) = emulator().await;
    users(&client, &["alice", "bob"]).await;
    let input = ConversationInput {
        subject: Some(NullableString(Some("Order #42".into()))),
        participants: vec!["alice".into(), "bob".into()],
        ..Default::default()
    };
    client
        .conversations()
        .upsert("order-42", input)
        .await
        .unwrap();
    let got = client.conversations().get("order-42").await.unwrap();
    assert_eq!(got.id.as_deref(), Some("order-42"));
    assert_eq!(got.subject.as_deref(), Some("Order #42"));
    let mut participants: Vec<_> = got.participants.unwrap().into_keys().collect();
    participants.sort();
    assert_eq!(participants, ["alice", "bob"]);

    // Clearing the subject with an explicit null.
    let clear = ConversationInput {
        subject: Some(NullableString(None)),
        ..Default::default()
    };
    client
        .conversations()
        .upsert("order-42", clear)
        .await
        .unwrap();
    assert_eq!(
        emu.conversation("order-42").unwrap()["subject"],
        Value::Null
    );

    client.conversations().delete("order-42").await.unwrap();
    assert_not_found(client.conversations().get("order-42").await);
    assert!(emu.conversation("order-42").is_none());
    assert_not_found(client.conversations().delete("order-42").await);
}

/// alice is in c1 (last message at 1_000_000, unread), c2 (last message at
/// 2_000_000, read) and c3 (no message).
async fn three_conversations(emu: &Emulator, client: &talkjs::Client) {
    users(client, &["alice", "bob"]).await;
    for c in ["c1", "c2", "c3"] {
        client
            .conversations()
            .upsert(c, with_participants(&["alice", "bob"]))
            .await
            .unwrap();
    }
    client
        .messages("c1")
        .import(vec![import("bob", "old", 1_000_000)])
        .await
        .unwrap();
    client
        .messages("c2")
        .import(vec![import("bob", "newer", 2_000_000)])
        .await
        .unwrap();
    client
        .conversations()
        .mark_read("c2", "alice", ReadUntil::Sent)
        .await
        .unwrap();
    assert_eq!(emu.messages("c1")[0]["createdAt"], 1_000_000);
}

#[tokio::test]
async fn user_conversations_with_filters() {
    let (emu, client) = emulator().await;
    three_conversations(&emu, &client).await;
    let u = client.users();

    // By default, latest activity first: c3 (created now, no messages),
    // then c2 and c1 by their imported messages.
    let alice = || u.conversations("alice").limit(10);
    let all = alice().send().await.unwrap();
    assert_eq!(conv_ids(&all.items), ["c3", "c2", "c1"]);
    fn oldest_first(list: List<'_, Conversation>) -> List<'_, Conversation> {
        list.order(ConversationOrder::CreatedAt, OrderDirection::Ascending)
    }
    let all = oldest_first(alice()).send().await.unwrap();
    assert_eq!(conv_ids(&all.items), ["c1", "c2", "c3"]);

    let page = alice().unreads_only().send().await.unwrap();
    assert_eq!(conv_ids(&page.items), ["c1"]);

    let page = alice().before(1_500_000i64).send().await.unwrap();
    assert_eq!(conv_ids(&page.items), ["c1"]);

    let at: SystemTime = UNIX_EPOCH + Duration::from_millis(1_500_000);
    let page = alice().after(at).send().await.unwrap();
    assert_eq!(conv_ids(&page.items), ["c2"]);
    let query = requests_to(&emu, "GET", "/users/alice/conversations")
        .last()
        .unwrap()
        .query
        .clone()
        .unwrap();
    assert!(query.contains("lastMessageAfter=1500000"), "{query}");

    let window = alice()
        .after(500_000i64)
        .before(UNIX_EPOCH + Duration::from_millis(3_000_000));
    let page = window.clone().send().await.unwrap();
    assert_eq!(conv_ids(&page.items), ["c2", "c1"], "latest activity first");

    // The stream pages with the filters and the order kept on every page.
    let streamed: Vec<_> = window.limit(1).stream().try_collect().await.unwrap();
    assert_eq!(conv_ids(&streamed), ["c2", "c1"]);
    let streamed: Vec<_> = alice().limit(2).stream().try_collect().await.unwrap();
    assert_eq!(conv_ids(&streamed), ["c3", "c2", "c1"]);
    let streamed: Vec<_> = oldest_first(alice().limit(2))
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conv_ids(&streamed), ["c1", "c2", "c3"]);
    let streamed: Vec<_> = u
        .conversations("bob")
        .unreads_only()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert!(streamed.is_empty(), "bob sent both messages: {streamed:?}");
}

#[tokio::test]
async fn unknown_users_conversations_are_not_found() {
    let (_emu, client) = emulator().await;
    assert_not_found(client.users().conversations("ghost").send().await);
    let streamed: Result<Vec<_>, _> = client
        .users()
        .conversations("ghost")
        .stream()
        .try_collect()
        .await;
    assert_not_found(streamed);
}
