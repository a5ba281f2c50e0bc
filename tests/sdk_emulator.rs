//! Every operation of the hand-written layer against a fresh emulator on
//! loopback: what the layer returns, what the emulator stored, and how many
//! requests it took.

mod common;

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde_json::{Value, json};
use talkjs::raw::types::{
    ConversationInput, EditMessageBody, NullableString, SendMessageInput, SendMessageInputType,
    UserInput,
};
use talkjs::{
    Access, BatchOp, ClientConfig, ConfigError, ConversationFilter, ConversationOrder, Error,
    Notify, OrderDirection, ReadUntil,
};
use talkjs_emulator::{Emulator, RequestRecord};

use common::{
    assert_not_found, assert_validation, client_of, config_of, emulator, import, named, online,
    system, text, with_participants,
};

/// Requests with this method whose path (after `/v1/{app}`) is `suffix`.
fn requests_to(emu: &Emulator, method: &str, suffix: &str) -> Vec<RequestRecord> {
    let full = format!("/v1/{}{suffix}", emu.app_id());
    emu.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == full)
        .collect()
}

fn ids_of<T>(items: &[T], id: impl Fn(&T) -> Option<&String>) -> Vec<String> {
    items.iter().map(|i| id(i).cloned().unwrap()).collect()
}

async fn users(client: &talkjs::Client, ids: &[&str]) {
    let users = ids.iter().map(|id| (id.to_string(), named(id))).collect();
    client.users().upsert_many(users).await.unwrap();
}

// -------------------------------------------------------- configuration

/// The app's API URL (`…/v1/{appId}`: what TalkJS's documents call the
/// base URL, and what `Emulator::api_url` gives) works as the base URL as
/// well as the origin: the client does not append `/v1/{appId}` twice.
#[tokio::test]
async fn the_apps_api_url_works_as_the_base_url() {
    let (emu, _) = emulator().await;
    let bases = [emu.api_url(), format!("{}/", emu.api_url())];
    for base in bases {
        let client = config_of(&emu).base_url(base.clone()).build().unwrap();
        client
            .users()
            .upsert("alice", named("Alice"))
            .await
            .unwrap_or_else(|e| panic!("{base}: {e}"));
    }
    assert_eq!(requests_to(&emu, "PUT", "/users/alice").len(), 2);
}

/// Whatever is wrong with a configuration is one variant, `ConfigError::Invalid`,
/// saying what (and never echoing a password).
#[test]
fn every_configuration_error_is_a_config_error() {
    let config = |app: &str, key: &str| ClientConfig::new(app, key).base_url("http://127.0.0.1:9");
    let refused = [
        (config("", "sk_test_x"), "app id must not be empty"),
        (config("app", ""), "the secret key is empty"),
        (
            config("app", "").auth(talkjs::AuthMode::SecretKey),
            "the secret key is empty",
        ),
        (
            config("app", "sk_test_x").rest_version("2\n"),
            "rest_version must be a valid header value",
        ),
        (
            config("app", "sk_test_x").base_url("https://api.talkjs.com?region=eu"),
            "has a query or a fragment",
        ),
        (
            config("app", "sk_test_x").base_url("https://me:hunter2@proxy.example"),
            "carries credentials",
        ),
    ];
    for (config, expected) in refused {
        match config.build() {
            Err(ConfigError::Invalid(message)) => {
                assert!(message.contains(expected), "{message}");
                assert!(!message.contains("hunter2"), "{message}");
            }
            other => panic!("expected a Config error with {expected:?}, got {other:?}"),
        }
    }
}

/// A raw client built by hand over the program's own `reqwest::Client`,
/// from the configuration's API URL and transport, is authenticated like
/// the SDK's own (the emulator answers 401 without a valid token).
#[tokio::test]
async fn a_raw_client_over_your_own_reqwest_client() {
    let (emu, client) = emulator().await;
    client
        .users()
        .upsert("alice", named("Alice"))
        .await
        .unwrap();
    let config = config_of(&emu);
    let (api_url, transport) = (config.api_url().unwrap(), config.transport().unwrap());
    let raw = talkjs::raw::Client::new_with_client(&api_url, reqwest::Client::new(), transport);
    let user = raw.get_user().user_id("alice").send().await.unwrap();
    assert_eq!(user.name.as_deref(), Some("Alice"));
}

// ---------------------------------------------------------------- users

#[tokio::test]
async fn user_upsert_get_and_explicit_null_clears_a_field() {
    let (emu, client) = emulator().await;
    let alice = UserInput {
        name: Some(NullableString(Some("Alice".into()))),
        photo_url: Some(NullableString(Some("https://example.com/a.png".into()))),
        role: Some(NullableString(Some("buyer".into()))),
        email: Some(talkjs::raw::types::NullableStringList(Some(vec![
            "alice@example.com".into(),
        ]))),
        ..Default::default()
    };
    client.users().upsert("alice", alice).await.unwrap();
    let got = client.users().get("alice").await.unwrap();
    assert_eq!(got.id.as_deref(), Some("alice"));
    assert_eq!(got.name.as_deref(), Some("Alice"));
    assert_eq!(got.photo_url.as_deref(), Some("https://example.com/a.png"));
    assert_eq!(got.role.as_deref(), Some("buyer"));
    assert_eq!(got.email, Some(vec!["alice@example.com".to_string()]));

    // Clear the photo with an explicit null; unset fields stay.
    let clear = UserInput {
        photo_url: Some(NullableString(None)),
        ..Default::default()
    };
    client.users().upsert("alice", clear).await.unwrap();
    let body = requests_to(&emu, "PUT", "/users/alice")
        .last()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(body, json!({"photoUrl": null}));
    let got = client.users().get("alice").await.unwrap();
    assert_eq!(got.photo_url, None);
    assert_eq!(got.name.as_deref(), Some("Alice"));
    assert_eq!(got.role.as_deref(), Some("buyer"));
    let stored = emu.user("alice").unwrap();
    assert_eq!(stored["photoUrl"], Value::Null);
    assert_eq!(stored["name"], "Alice");
    assert_eq!(stored["role"], "buyer");

    assert_not_found(client.users().get("nobody").await);
}

#[tokio::test]
async fn upsert_many_sends_250_users_in_3_requests() {
    let (emu, client) = emulator().await;
    let batch: Vec<(String, UserInput)> = (0..250)
        .map(|i| (format!("u{i:03}"), named(&format!("User {i}"))))
        .collect();
    client.users().upsert_many(batch).await.unwrap();
    let puts = requests_to(&emu, "PUT", "/users");
    let sizes: Vec<usize> = puts
        .iter()
        .map(|r| r.json().unwrap().as_object().unwrap().len())
        .collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert_eq!(emu.requests().len(), 3);
    assert_eq!(emu.user_count(), 250);
    assert_eq!(emu.user("u249").unwrap()["name"], "User 249");
    assert_eq!(emu.user("u000").unwrap()["name"], "User 0");
}

#[tokio::test]
async fn users_page_and_stream_list_every_user_once() {
    let (emu, client) = emulator().await;
    let ids: Vec<String> = (0..25).map(|i| format!("user{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    users(&client, &refs).await;

    let first = client.users().page(10, None).await.unwrap();
    assert_eq!(first.len(), 10);
    let cursor = first.last().unwrap().id.clone().unwrap();
    let second = client.users().page(10, Some(&cursor)).await.unwrap();
    assert_eq!(second.len(), 10);
    let first_ids = ids_of(&first, |u| u.id.as_ref());
    let second_ids = ids_of(&second, |u| u.id.as_ref());
    assert!(first_ids.iter().all(|id| !second_ids.contains(id)));
    let list = requests_to(&emu, "GET", "/users");
    assert_eq!(
        list.last().unwrap().query.as_deref(),
        Some(format!("limit=10&startingAfter={cursor}").as_str())
    );

    emu.clear_log();
    let all: Vec<_> = client.users().stream(10).try_collect().await.unwrap();
    let streamed = ids_of(&all, |u| u.id.as_ref());
    assert_eq!(streamed.len(), 25, "{streamed:?}");
    let unique: HashSet<&String> = streamed.iter().collect();
    assert_eq!(unique.len(), 25, "duplicates: {streamed:?}");
    assert_eq!(unique, ids.iter().collect::<HashSet<_>>());
    // 10 + 10 + 5: the short page ends the stream.
    assert_eq!(requests_to(&emu, "GET", "/users").len(), 3);
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

fn conv_ids(convs: &[talkjs::raw::types::Conversation]) -> Vec<String> {
    ids_of(convs, |c| c.id.as_ref())
}

#[tokio::test]
async fn user_conversations_with_filters() {
    let (emu, client) = emulator().await;
    three_conversations(&emu, &client).await;
    let u = client.users();

    // By default, latest activity first: c3 (created now, no messages),
    // then c2 and c1 by their imported messages.
    let all = u
        .conversations_page("alice", &ConversationFilter::default(), 10, None)
        .await
        .unwrap();
    assert_eq!(conv_ids(&all), ["c3", "c2", "c1"]);
    let oldest_first = ConversationFilter::default()
        .order(ConversationOrder::CreatedAt, OrderDirection::Ascending);
    let all = u
        .conversations_page("alice", &oldest_first, 10, None)
        .await
        .unwrap();
    assert_eq!(conv_ids(&all), ["c1", "c2", "c3"]);

    let unread = ConversationFilter::default().unreads_only();
    let page = u
        .conversations_page("alice", &unread, 10, None)
        .await
        .unwrap();
    assert_eq!(conv_ids(&page), ["c1"]);

    let before = ConversationFilter::default().before(1_500_000i64);
    let page = u
        .conversations_page("alice", &before, 10, None)
        .await
        .unwrap();
    assert_eq!(conv_ids(&page), ["c1"]);

    let at: DateTime<Utc> = DateTime::from_timestamp_millis(1_500_000).unwrap();
    let after = ConversationFilter::default().after(at);
    let page = u
        .conversations_page("alice", &after, 10, None)
        .await
        .unwrap();
    assert_eq!(conv_ids(&page), ["c2"]);
    let query = requests_to(&emu, "GET", "/users/alice/conversations")
        .last()
        .unwrap()
        .query
        .clone()
        .unwrap();
    assert!(query.contains("lastMessageAfter=1500000"), "{query}");

    let window = ConversationFilter::default()
        .after(500_000i64)
        .before(DateTime::from_timestamp_millis(3_000_000).unwrap());
    let page = u
        .conversations_page("alice", &window, 10, None)
        .await
        .unwrap();
    assert_eq!(conv_ids(&page), ["c2", "c1"], "latest activity first");

    // The stream pages with the filters and the order kept on every page.
    let streamed: Vec<_> = u
        .conversations("alice", window.clone(), 1)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conv_ids(&streamed), ["c2", "c1"]);
    let streamed: Vec<_> = u
        .conversations("alice", ConversationFilter::default(), 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conv_ids(&streamed), ["c3", "c2", "c1"]);
    let streamed: Vec<_> = u
        .conversations("alice", oldest_first, 2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conv_ids(&streamed), ["c1", "c2", "c3"]);
    let streamed: Vec<_> = u
        .conversations("bob", unread, 10)
        .try_collect()
        .await
        .unwrap();
    assert!(streamed.is_empty(), "bob sent both messages: {streamed:?}");
}

#[tokio::test]
async fn unknown_users_conversations_are_not_found() {
    let (_emu, client) = emulator().await;
    assert_not_found(
        client
            .users()
            .conversations_page("ghost", &ConversationFilter::default(), 10, None)
            .await,
    );
    let streamed: Result<Vec<_>, _> = client
        .users()
        .conversations("ghost", ConversationFilter::default(), 10)
        .try_collect()
        .await;
    assert_not_found(streamed);
}

#[tokio::test]
async fn presence_set_and_get() {
    let (emu, client) = emulator().await;
    users(&client, &["alice"]).await;
    let before = client.users().presence("alice").await.unwrap();
    assert_eq!(before.availability.as_deref(), Some("offline"));
    assert_eq!(before.visible, Some(false));

    client
        .users()
        .set_presence("alice", online())
        .await
        .unwrap();
    let put = requests_to(&emu, "PUT", "/users/alice/presence");
    assert_eq!(
        put[0].json().unwrap(),
        json!({"availability": "online", "visible": true})
    );
    let after = client.users().presence("alice").await.unwrap();
    assert_eq!(after.availability.as_deref(), Some("online"));
    assert_eq!(after.visible, Some(true));
    assert!(after.last_changed.unwrap() >= before.last_changed.unwrap());

    assert_not_found(client.users().presence("ghost").await);
}

// -------------------------------------------------------- conversations

/// A participant id that no URL can address names no user: refused before
/// sending, by every way of writing a conversation.
#[tokio::test]
async fn participants_that_no_url_can_address_are_refused_before_sending() {
    let (emu, client) = emulator().await;
    assert_validation(
        client
            .conversations()
            .upsert("c", with_participants(&["alice", ""]))
            .await,
        "participants[1]",
    );
    assert_validation(
        BatchOp::put_conversation("c", &with_participants(&[".."])),
        "participants[0]",
    );
    let legacy = client
        .conversation_by_participants(&["alice", "bob"], None)
        .unwrap();
    assert_validation(
        legacy.upsert(&with_participants(&["alice", "."])).await,
        "participants[1]",
    );
    assert_eq!(emu.received_count(), 0);
}

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

#[tokio::test]
async fn conversations_page_and_stream_with_filters() {
    let (emu, client) = emulator().await;
    users(&client, &["alice"]).await;
    let ids: Vec<String> = (0..25).map(|i| format!("conv{i:02}")).collect();
    for id in &ids {
        client
            .conversations()
            .upsert(id, with_participants(&["alice"]))
            .await
            .unwrap();
    }
    // Last messages at 1_000, 2_000, 3_000 in conv00..conv02.
    for (i, id) in ids.iter().take(3).enumerate() {
        client
            .messages(id.as_str())
            .import(vec![import("alice", "x", 1_000 * (i as i64 + 1))])
            .await
            .unwrap();
    }
    let c = client.conversations();
    // Creation order, oldest first, so that pages follow `ids`.
    let by_creation = ConversationFilter::default()
        .order(ConversationOrder::CreatedAt, OrderDirection::Ascending);

    let first = c.page(&by_creation, 10, None).await.unwrap();
    assert_eq!(conv_ids(&first), ids[..10]);
    let second = c.page(&by_creation, 10, Some("conv09")).await.unwrap();
    assert_eq!(conv_ids(&second), ids[10..20]);

    emu.clear_log();
    let all: Vec<_> = c
        .stream(by_creation.clone(), 10)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conv_ids(&all), ids);
    assert_eq!(requests_to(&emu, "GET", "/conversations").len(), 3);
    // The default order is TalkJS's: last activity, latest first, so the
    // three conversations with 1970 messages come last, newest of them first.
    let latest: Vec<_> = c
        .stream(ConversationFilter::default(), 10)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conv_ids(&latest)[22..], ["conv02", "conv01", "conv00"]);

    let before = by_creation.clone().before(2_500i64);
    let page = c.page(&before, 10, None).await.unwrap();
    assert_eq!(conv_ids(&page), ["conv00", "conv01"]);
    let after = by_creation.after(DateTime::from_timestamp_millis(1_500).unwrap());
    let streamed: Vec<_> = c.stream(after, 1).try_collect().await.unwrap();
    assert_eq!(conv_ids(&streamed), ["conv01", "conv02"]);

    // unreadsOnly is refused on the app-wide list, before sending.
    let sent = emu.requests().len();
    assert_validation(
        c.page(&ConversationFilter::default().unreads_only(), 10, None)
            .await,
        "unreadsOnly",
    );
    assert_validation(
        c.page(&ConversationFilter::default(), 0, None).await,
        "limit",
    );
    assert_eq!(emu.requests().len(), sent);
}

/// Users alice and carol; conversation `room` of alice, which carol joins
/// read-only, notified on mentions only.
async fn room_with_carol_reading(client: &talkjs::Client) {
    users(client, &["alice", "carol"]).await;
    let c = client.conversations();
    c.upsert("room", with_participants(&["alice"]))
        .await
        .unwrap();
    c.join("room", "carol", Access::Read, Notify::MentionsOnly)
        .await
        .unwrap();
}

#[tokio::test]
async fn join_with_access_and_notify_then_leave() {
    let (emu, client) = emulator().await;
    room_with_carol_reading(&client).await;
    let c = client.conversations();
    let got = c.get("room").await.unwrap();
    let carol = &got.participants.as_ref().unwrap()["carol"];
    assert_eq!(carol.access.as_deref(), Some("Read"));
    assert_eq!(carol.notify, Some(json!("MentionsOnly")));
    let alice = &got.participants.as_ref().unwrap()["alice"];
    assert_eq!(alice.access.as_deref(), Some("ReadWrite"));
    assert_eq!(alice.notify, Some(json!(true)));

    // Joining again changes the settings.
    c.join("room", "carol", Access::ReadWrite, Notify::Off)
        .await
        .unwrap();
    let stored = emu.conversation("room").unwrap();
    assert_eq!(stored["participants"]["carol"]["access"], "ReadWrite");
    assert_eq!(stored["participants"]["carol"]["notify"], false);

    let listed = client
        .users()
        .conversations_page("carol", &ConversationFilter::default(), 10, None)
        .await
        .unwrap();
    assert_eq!(conv_ids(&listed), ["room"]);

    c.leave("room", "carol").await.unwrap();
    let got = c.get("room").await.unwrap();
    assert!(!got.participants.unwrap().contains_key("carol"));
    let listed = client
        .users()
        .conversations_page("carol", &ConversationFilter::default(), 10, None)
        .await
        .unwrap();
    assert!(listed.is_empty());

    assert_not_found(
        c.join("no-such-room", "carol", Access::Read, Notify::All)
            .await,
    );
}

#[tokio::test]
async fn mark_read_sent_and_at() {
    let (emu, client) = emulator().await;
    users(&client, &["alice", "bob"]).await;
    let c = client.conversations();
    c.upsert("chat", with_participants(&["alice", "bob"]))
        .await
        .unwrap();
    let ids = client
        .messages("chat")
        .send(vec![text("alice", "hello bob")])
        .await
        .unwrap();
    let created = emu.messages("chat")[0]["createdAt"].as_i64().unwrap();
    let unread = |emu: &Emulator| {
        emu.conversation("chat").unwrap()["participants"]["bob"]["isUnread"].clone()
    };
    assert_eq!(unread(&emu), true);

    c.mark_read("chat", "bob", ReadUntil::At((created - 1).into()))
        .await
        .unwrap();
    assert_eq!(unread(&emu), true, "read until before the message");

    c.mark_read("chat", "bob", ReadUntil::At(created.into()))
        .await
        .unwrap();
    assert_eq!(unread(&emu), false);
    let message = client.messages("chat").get(&ids[0]).await.unwrap();
    assert_eq!(message.read_by, Some(vec!["bob".to_string()]));

    // Moving the marker back marks it unread again; "sent" reads everything.
    c.mark_read("chat", "bob", ReadUntil::At(0i64.into()))
        .await
        .unwrap();
    assert_eq!(unread(&emu), true);
    c.mark_read("chat", "bob", ReadUntil::Sent).await.unwrap();
    assert_eq!(unread(&emu), false);
    let got = c.get("chat").await.unwrap();
    assert_eq!(got.participants.unwrap()["bob"].is_unread, Some(false));
}

// ------------------------------------------------------------- messages

async fn chat(client: &talkjs::Client) {
    users(client, &["alice", "bob"]).await;
    client
        .conversations()
        .upsert("chat", with_participants(&["alice", "bob"]))
        .await
        .unwrap();
}

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

fn user_message() -> talkjs::raw::types::builder::SendMessageInput {
    SendMessageInput::builder()
        .type_(SendMessageInputType::UserMessage)
        .sender(Some("alice".to_string()))
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
    assert_validation(m.page(0, None).await, "limit");
    assert_validation(m.page(101, None).await, "limit");
    let streamed: Result<Vec<_>, _> = m.stream(0).try_collect().await;
    assert_validation(streamed, "limit");
    assert_validation(client.users().page(101, None).await, "limit");
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
async fn messages_page_and_stream_newest_first() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    let messages = (0..12).map(|i| text("alice", &format!("m{i}"))).collect();
    let mut ids = client.messages("chat").send(messages).await.unwrap();
    ids.reverse();

    let m = client.messages("chat");
    let page = m.page(5, None).await.unwrap();
    assert_eq!(ids_of(&page, |m| m.id.as_ref()), ids[..5]);
    let page = m.page(5, Some(&ids[4])).await.unwrap();
    assert_eq!(ids_of(&page, |m| m.id.as_ref()), ids[5..10]);

    emu.clear_log();
    let all: Vec<_> = m.stream(5).try_collect().await.unwrap();
    assert_eq!(ids_of(&all, |m| m.id.as_ref()), ids);
    assert_eq!(
        requests_to(&emu, "GET", "/conversations/chat/messages").len(),
        3
    );
    assert_eq!(all[0].text.as_deref(), Some("m11"));
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

// ---------------------------------------------------------------- files

#[tokio::test]
async fn upload_file_and_path_then_send_the_attachment() {
    let (emu, client) = emulator().await;
    chat(&client).await;

    let token = client
        .upload_file("hello.txt", b"hello world".to_vec(), Some("text/plain"))
        .await
        .unwrap();
    assert_eq!(
        emu.file(&token),
        Some(("hello.txt".to_string(), b"hello world".to_vec()))
    );
    let upload = requests_to(&emu, "POST", "/files").remove(0);
    let content_type = upload.header("content-type").unwrap();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&upload.body);
    assert!(body.contains("Content-Type: text/plain"), "{body}");

    let name = format!(
        "talkjs-sdk-emulator-{}-{}.bin",
        std::process::id(),
        Utc::now().timestamp_nanos_opt().unwrap()
    );
    let path = std::env::temp_dir().join(&name);
    let bytes: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    std::fs::write(&path, &bytes).unwrap();
    let uploaded = client
        .upload_path(&path, Some("application/octet-stream"))
        .await;
    std::fs::remove_file(&path).unwrap();
    let path_token = uploaded.unwrap();
    assert_ne!(path_token, token);
    assert_eq!(emu.file(&path_token), Some((name, bytes.clone())));

    let with_file: SendMessageInput = user_message()
        .attachment_token(Some(path_token.clone()))
        .try_into()
        .unwrap();
    let id = client
        .messages("chat")
        .send(vec![with_file])
        .await
        .unwrap()
        .remove(0);
    let stored = &emu.messages("chat")[0];
    assert_eq!(stored["id"], id.as_str());
    assert_eq!(
        stored["attachment"],
        json!({"url": format!("{}/files/{path_token}", emu.base_url()), "size": 3000})
    );
    let got = client.messages("chat").get(&id).await.unwrap();
    let attachment = got.attachment.unwrap();
    assert_eq!(attachment.size, Some(3000));
    assert!(attachment.url.unwrap().ends_with(&path_token));

    // Refused before sending.
    let sent = emu.requests().len();
    assert_validation(
        client.upload_file("", b"x".to_vec(), None).await,
        "filename",
    );
    assert_validation(
        client
            .upload_file("a.txt", b"x".to_vec(), Some("text"))
            .await,
        "mime",
    );
    let missing = std::env::temp_dir().join(format!("{}-missing", std::process::id()));
    match client.upload_path(&missing, None).await {
        Err(Error::Io { path, source }) => {
            assert_eq!(
                (path, source.kind()),
                (missing, std::io::ErrorKind::NotFound)
            );
        }
        other => panic!("expected Error::Io, got {other:?}"),
    }
    assert_eq!(emu.requests().len(), sent);
}

#[tokio::test]
async fn filenames_with_control_characters_are_refused_before_sending() {
    let (emu, client) = emulator().await;
    let dir = std::env::temp_dir().join(format!("talkjs-ctl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "a\r\nX-Injected: 1.txt",
        "a\n.txt",
        "a\r.txt",
        "a\0.txt",
        "a\t.txt",
        "a\u{7f}.txt",
        "a\u{85}.txt",
    ] {
        assert_validation(
            client.upload_file(name, b"x".to_vec(), None).await,
            "filename",
        );
        // The same name from disk, where Unix allows it (not NUL).
        if !name.contains('\0') {
            let path = dir.join(name);
            std::fs::write(&path, b"x").unwrap();
            assert_validation(client.upload_path(&path, None).await, "filename");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

// --------------------------------------------------------------- legacy

#[tokio::test]
async fn conversation_by_participants_upsert_get_send_list() {
    let (emu, client) = emulator().await;
    users(&client, &["a", "b"]).await;
    let legacy = client
        .conversation_by_participants(&["a", "b"], Some("t"))
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
    let page = legacy.messages_page(10, None).await.unwrap();
    assert_eq!(
        ids_of(&page, |m| m.id.as_ref()),
        [ids[1].clone(), ids[0].clone()]
    );
    let page = legacy.messages_page(1, Some(&ids[1])).await.unwrap();
    assert_eq!(ids_of(&page, |m| m.id.as_ref()), [ids[0].clone()]);
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
        client
            .conversation_by_participants(&["a,b"], None)
            .map(|_| ()),
        "participants[0]",
    );
    assert_validation(
        client
            .conversation_by_participants(&["a", "b;c"], None)
            .map(|_| ()),
        "participants[1]",
    );
    assert_validation(
        client
            .conversation_by_participants(&["a"], Some("x;y"))
            .map(|_| ()),
        "topic",
    );
    assert_validation(
        client.conversation_by_participants(&[], None).map(|_| ()),
        "participants",
    );
    // (More than 10 messages are sent in chunks now, as Messages::send does.)
    assert_validation(legacy.send(vec![]).await, "messages");
    assert_validation(legacy.messages_page(0, None).await, "limit");
    assert_eq!(emu.requests().len(), sent);
}

// ---------------------------------------------------------------- batch

#[tokio::test]
async fn batch_of_three_operations_answers_in_order() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    emu.clear_log();
    let ops = vec![
        BatchOp::get_user("alice").unwrap(),
        BatchOp::put_user("carol", &named("Carol")).unwrap(),
        BatchOp::send_messages("chat", vec![text("bob", "from a batch")]).unwrap(),
    ];
    let outcomes = client.batch(ops).await.unwrap();
    assert_eq!(outcomes.len(), 3);
    assert!(outcomes.iter().all(|o| o.is_success()), "{outcomes:?}");
    assert_eq!(
        outcomes.iter().map(|o| o.status).collect::<Vec<_>>(),
        [200, 200, 200]
    );
    assert_eq!(outcomes[0].body["id"], "alice");
    assert_eq!(outcomes[0].body["name"], "alice");
    assert_eq!(outcomes[1].body["id"], "carol");
    let stored = emu.messages("chat");
    assert_eq!(stored.len(), 1);
    assert_eq!(outcomes[2].body, json!([{"id": stored[0]["id"]}]));
    assert_eq!(stored[0]["text"], "from a batch");
    assert_eq!(emu.user("carol").unwrap()["name"], "Carol");
    assert_eq!(requests_to(&emu, "POST", "/batch").len(), 1);
    assert_eq!(emu.requests().len(), 1);

    // A failing operation is an outcome, not an error.
    let outcomes = client
        .batch(vec![
            BatchOp::get_user("ghost").unwrap(),
            BatchOp::get_conversation("chat").unwrap(),
        ])
        .await
        .unwrap();
    assert_eq!(outcomes[0].status, 404);
    assert!(!outcomes[0].is_success());
    assert_eq!(outcomes[1].status, 200);
    assert_eq!(outcomes[1].body["id"], "chat");
}

#[tokio::test]
async fn batch_of_twelve_operations_takes_two_requests() {
    let (emu, client) = emulator().await;
    let ops = (0..12)
        .map(|i| BatchOp::put_user(&format!("b{i:02}"), &named(&format!("B {i}"))).unwrap())
        .collect();
    let outcomes = client.batch(ops).await.unwrap();
    assert_eq!(outcomes.len(), 12);
    for (i, o) in outcomes.iter().enumerate() {
        assert_eq!(o.status, 200, "{o:?}");
        assert_eq!(o.body["id"], format!("b{i:02}"));
    }
    let posts = requests_to(&emu, "POST", "/batch");
    let sizes: Vec<usize> = posts
        .iter()
        .map(|r| r.json().unwrap().as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [10, 2]);
    assert_eq!(emu.user_count(), 12);
    assert_eq!(emu.user("b11").unwrap()["name"], "B 11");
}

// ------------------------------------------------------------------ ids

#[tokio::test]
async fn ids_with_delimiters_reach_exactly_their_resource() {
    let (emu, client) = emulator().await;
    let ids = [
        "a/b",
        "?q=1",
        "#frag",
        "100%",
        "%2F",
        "😀",
        "a b",
        "a;b,c=d",
        r"back\slash",
        "...",
    ];
    for (i, id) in ids.iter().enumerate() {
        let name = format!("name {i}");
        client.users().upsert(id, named(&name)).await.unwrap();
        let got = client.users().get(id).await.unwrap();
        assert_eq!(got.id.as_deref(), Some(*id));
        assert_eq!(got.name.as_deref(), Some(name.as_str()));
        assert_eq!(emu.user(id).unwrap()["name"], name, "id {id:?}");
    }
    assert_eq!(emu.user_count(), ids.len());

    // The same through a conversation and a message's sub-resources.
    let (conv, user) = ("c/1?#%", "😀");
    client
        .conversations()
        .upsert(conv, with_participants(&[user, "a/b"]))
        .await
        .unwrap();
    let id = client
        .messages(conv)
        .send(vec![text(user, "odd ids")])
        .await
        .unwrap()
        .remove(0);
    client.messages(conv).react(&id, "👍🏽", "a/b").await.unwrap();
    assert_eq!(emu.messages(conv)[0]["reactions"], json!({"👍🏽": ["a/b"]}));
    assert_eq!(emu.conversation_count(), 1);

    for bad in ["", ".", ".."] {
        assert_validation(client.users().get(bad).await, "userId");
        assert!(matches!(
            client.conversations().get(bad).await,
            Err(Error::Validation { .. })
        ));
    }
}

// ---------------------------------------------------- failures and retries

fn fast_retries(emu: &Emulator) -> talkjs::Client {
    config_of(emu)
        .retry(talkjs::RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1)))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_send_retried_after_a_lost_answer_is_stored_once() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    let client = fast_retries(&emu);
    emu.clear_log();
    emu.inject_fault(talkjs_emulator::Fault::DropAfterApply);
    let ids = client
        .messages("chat")
        .send(vec![text("alice", "once"), text("bob", "twice?")])
        .await
        .unwrap();
    let posts = requests_to(&emu, "POST", "/conversations/chat/messages");
    assert_eq!(posts.len(), 2, "one retry");
    assert_eq!(posts[0].body, posts[1].body, "same idempotency keys");
    let stored = emu.messages("chat");
    let stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(stored_ids, ids);
}

#[tokio::test]
async fn an_import_whose_answer_is_lost_is_not_retried() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    let client = fast_retries(&emu);
    emu.clear_log();
    emu.inject_fault(talkjs_emulator::Fault::DropAfterApply);
    let result = client
        .messages("chat")
        .import(vec![import("alice", "x", 5)])
        .await;
    assert!(
        matches!(result, Err(Error::OutcomeUnknown { .. })),
        "{result:?}"
    );
    assert_eq!(emu.requests().len(), 1);
    assert_eq!(emu.messages("chat").len(), 1);
}

#[tokio::test]
async fn status_faults_are_retried_and_mapped() {
    let (emu, client) = emulator().await;
    users(&client, &["alice"]).await;
    let client = fast_retries(&emu);
    emu.clear_log();
    emu.inject_faults(talkjs_emulator::Fault::status(503), 2);
    assert_eq!(
        client.users().get("alice").await.unwrap().id.as_deref(),
        Some("alice")
    );
    assert_eq!(emu.requests().len(), 3);

    emu.inject_fault(talkjs_emulator::Fault::status(400));
    let err = client.users().get("alice").await.unwrap_err();
    assert!(matches!(err, Error::Api { .. }), "{err:?}");
    assert_eq!(err.status(), Some(400));

    let wrong_key = talkjs::ClientConfig::new(emu.app_id(), "sk_test_wrong")
        .base_url(emu.base_url())
        .build()
        .unwrap();
    let err = wrong_key.users().get("alice").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

/// Asserts that `error` is `Error::Partial` at `(failed_chunk, applied)`,
/// refused with a 400, whose `applied_ids` are those of `stored`, in order.
#[track_caller]
fn assert_partial_400(error: &Error, expected: (usize, usize), stored: &[serde_json::Value]) {
    match error {
        Error::Partial {
            failed_chunk,
            applied,
            applied_ids,
            outcomes,
            source,
            ..
        } => {
            assert_eq!((*failed_chunk, *applied), expected);
            assert!(outcomes.is_empty(), "not a batch: {outcomes:?}");
            let stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
            assert_eq!(applied_ids, &stored_ids);
            assert_eq!(source.status(), Some(400));
            // Where the failed request's items start: TalkJS's answer
            // numbers them from there.
            let from = format!("items from index {} on", expected.1);
            assert!(error.to_string().contains(&from), "{error}");
        }
        other => panic!("expected Partial, got {other:?}"),
    }
}

#[tokio::test]
async fn a_chunk_refused_by_the_server_is_a_partial_failure() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    // "mallory" is not a participant: the server refuses the third chunk.
    let mut messages: Vec<SendMessageInput> =
        (0..25).map(|i| text("alice", &format!("m{i}"))).collect();
    messages[22] = text("mallory", "not a participant");
    let err = client.messages("chat").send(messages).await.unwrap_err();
    assert_partial_400(&err, (2, 20), &emu.messages("chat"));
    assert_eq!(err.status(), Some(400));

    // Users: the third request holds a user without a name.
    let mut batch: Vec<(String, UserInput)> =
        (0..250).map(|i| (format!("p{i:03}"), named("P"))).collect();
    batch[230].1 = UserInput::default();
    let err = client.users().upsert_many(batch).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Partial {
                failed_chunk: 2,
                applied: 200,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(emu.user_count(), 2 + 200);
}

/// The first batch reaches the server late (as after a slow connect); the
/// next one must still arrive a full interval after it.
#[tokio::test]
async fn batches_wait_for_the_servers_one_per_second_limit() {
    let emu = Emulator::start(talkjs_emulator::EmulatorConfig::new())
        .await
        .unwrap();
    let client = config_of(&emu)
        .retry(talkjs::RetryPolicy::none())
        .build()
        .unwrap();
    emu.inject_fault(talkjs_emulator::Fault::Delay(
        std::time::Duration::from_millis(300),
    ));
    let ops = (0..12)
        .map(|i| BatchOp::get_user(&format!("nobody{i}")).unwrap())
        .collect();
    let outcomes = client.batch(ops).await.unwrap();
    assert_eq!(outcomes.len(), 12);
    assert!(outcomes.iter().all(|o| o.status == 404), "{outcomes:?}");
    let again = client
        .batch(vec![BatchOp::get_user("x").unwrap()])
        .await
        .unwrap();
    assert_eq!(again[0].status, 404);
    assert_eq!(requests_to(&emu, "POST", "/batch").len(), 3);
}

#[tokio::test]
async fn update_participant_changes_only_the_given_setting() {
    let (emu, client) = emulator().await;
    room_with_carol_reading(&client).await;
    let c = client.conversations();

    // Only notify changes; the access right stays Read.
    c.update_participant("room", "carol", None, Some(Notify::Off))
        .await
        .unwrap();
    let stored = emu.conversation("room").unwrap();
    assert_eq!(stored["participants"]["carol"]["access"], "Read");
    assert_eq!(stored["participants"]["carol"]["notify"], false);

    // Only access changes; notify stays off.
    c.update_participant("room", "carol", Some(Access::ReadWrite), None)
        .await
        .unwrap();
    let got = c.get("room").await.unwrap();
    let carol = &got.participants.as_ref().unwrap()["carol"];
    assert_eq!(carol.access.as_deref(), Some("ReadWrite"));
    assert_eq!(carol.notify, Some(json!(false)));
    // Nobody else was touched.
    let alice = &got.participants.as_ref().unwrap()["alice"];
    assert_eq!(alice.access.as_deref(), Some("ReadWrite"));
    assert_eq!(alice.notify, Some(json!(true)));

    emu.clear_log();
    assert_validation(
        c.update_participant("room", "carol", None, None).await,
        "access, notify",
    );
    assert!(emu.requests().is_empty(), "nothing was sent");
    assert_not_found(
        c.update_participant("no-such-room", "carol", Some(Access::Read), None)
            .await,
    );
    // A PATCH never adds anyone: not a participant, 404.
    assert_not_found(
        c.update_participant("room", "alice-not-here", Some(Access::Read), None)
            .await,
    );
    // Access "None": stored and shown.
    c.update_participant("room", "carol", Some(Access::None), None)
        .await
        .unwrap();
    let got = c.get("room").await.unwrap();
    assert_eq!(
        got.participants.as_ref().unwrap()["carol"]
            .access
            .as_deref(),
        Some("None")
    );
}

#[tokio::test]
async fn batch_puts_then_deletes_a_conversation() {
    let (emu, client) = emulator().await;
    users(&client, &["alice", "bob"]).await;
    let room = ConversationInput {
        subject: Some(NullableString(Some("Batched".into()))),
        ..with_participants(&["alice", "bob"])
    };
    let outcomes = client
        .batch(vec![
            BatchOp::put_conversation("a/room", &room).unwrap(),
            BatchOp::get_conversation("a/room").unwrap(),
        ])
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.is_success()), "{outcomes:?}");
    assert_eq!(outcomes[1].body["id"], "a/room");
    assert_eq!(outcomes[1].body["subject"], "Batched");
    let stored = emu.conversation("a/room").unwrap();
    assert_eq!(stored["subject"], "Batched");
    assert_eq!(
        stored["participants"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["alice", "bob"]
    );

    // A second client: its batch doesn't wait for the first client's.
    let outcomes = client_of(&emu)
        .batch(vec![
            BatchOp::delete_conversation("a/room").unwrap(),
            BatchOp::get_conversation("a/room").unwrap(),
            BatchOp::delete_conversation("no-such-room").unwrap(),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes.iter().map(|o| o.status).collect::<Vec<_>>(),
        [200, 404, 404]
    );
    assert!(emu.conversation("a/room").is_none());
    assert_eq!(emu.conversation_count(), 0);
}

#[tokio::test]
async fn batch_participant_message_and_import_operations_reach_the_emulator() {
    let (emu, client) = emulator().await;
    chat(&client).await;
    users(&client, &["carol"]).await;
    let id = client
        .messages("chat")
        .send(vec![text("alice", "hello")])
        .await
        .unwrap()
        .remove(0);
    let edit = EditMessageBody {
        text: Some("edited".into()),
        ..Default::default()
    };
    let outcomes = client
        .batch(vec![
            BatchOp::join("chat", "carol", Access::Read, Notify::MentionsOnly).unwrap(),
            BatchOp::update_participant("chat", "carol", None, Some(Notify::Off)).unwrap(),
            BatchOp::edit_message("chat", &id, &edit).unwrap(),
            BatchOp::add_reaction("chat", &id, "👍", "bob").unwrap(),
            BatchOp::import_messages("chat", vec![import("bob", "old", 1_000)]).unwrap(),
            BatchOp::mark_read("chat", "bob", ReadUntil::Sent).unwrap(),
            BatchOp::list_messages("chat", 10, None).unwrap(),
            BatchOp::get_message("chat", &id).unwrap(),
            BatchOp::list_user_conversations("carol", &ConversationFilter::default(), 10, None)
                .unwrap(),
            BatchOp::list_users(2, None).unwrap(),
        ])
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.is_success()), "{outcomes:?}");
    let carol = &emu.conversation("chat").unwrap()["participants"]["carol"];
    assert_eq!(carol["access"], "Read");
    assert_eq!(carol["notify"], false);
    let listed = outcomes[6].body["data"].as_array().unwrap();
    assert_eq!(listed.len(), 2, "the sent and the imported message");
    assert_eq!(outcomes[7].body["text"], "edited");
    assert_eq!(outcomes[7].body["reactions"], json!({"👍": ["bob"]}));
    assert_eq!(outcomes[8].body["data"][0]["id"], "chat");
    assert_eq!(outcomes[9].body["data"].as_array().unwrap().len(), 2);

    // A second client: its batch doesn't wait for the first client's. The
    // message is read back between removing its reaction and deleting it.
    let outcomes = client_of(&emu)
        .batch(vec![
            BatchOp::remove_reaction("chat", &id, "👍", "bob").unwrap(),
            BatchOp::get_message("chat", &id).unwrap(),
            BatchOp::leave("chat", "carol").unwrap(),
            BatchOp::delete_message("chat", &id).unwrap(),
            BatchOp::set_presence("alice", &online()).unwrap(),
            BatchOp::get_presence("alice").unwrap(),
        ])
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.is_success()), "{outcomes:?}");
    assert_eq!(outcomes[1].body["id"], id.as_str());
    assert_eq!(outcomes[1].body["reactions"], json!({}), "{outcomes:?}");
    assert_eq!(outcomes[5].body["visible"], true, "{outcomes:?}");
    assert_eq!(outcomes[5].body["availability"], "online", "{outcomes:?}");
    assert!(
        !emu.conversation("chat").unwrap()["participants"]
            .as_object()
            .unwrap()
            .contains_key("carol")
    );
    let stored = emu.messages("chat");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0]["text"], "old");
}

#[tokio::test]
async fn a_batch_request_refused_after_the_first_reports_what_ran() {
    let (emu, client) = emulator().await;
    // The second request holds an operation the server refuses outright.
    let mut ops: Vec<BatchOp> = (0..10)
        .map(|i| BatchOp::put_user(&format!("q{i}"), &named("Q")).unwrap())
        .collect();
    ops.push(BatchOp::get_user("q0").unwrap());
    ops.push(BatchOp::custom(reqwest::Method::OPTIONS, "/users/q0", None));
    let error = client.batch(ops).await.unwrap_err();
    let (applied, source) = common::first_ten_applied(&error);
    for (i, outcome) in applied.iter().enumerate() {
        assert_eq!(outcome.body["id"], format!("q{i}"));
    }
    assert_eq!(source.status(), Some(400));
    assert_eq!(error.status(), Some(400));
    assert_eq!(emu.user_count(), 10);
    assert_eq!(requests_to(&emu, "POST", "/batch").len(), 2);
}

#[tokio::test]
async fn conversation_by_participants_sends_25_in_3_requests_and_streams_them() {
    let (emu, client) = emulator().await;
    users(&client, &["a", "b"]).await;
    let legacy = client
        .conversation_by_participants(&["a", "b"], None)
        .unwrap();
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
    let streamed: Vec<_> = legacy.messages_stream(10).try_collect().await.unwrap();
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(ids_of(&streamed, |m| m.id.as_ref()), newest_first);
    assert_eq!(
        requests_to(&emu, "GET", "/conversations/participants=a,b/messages").len(),
        3
    );
    assert_validation(
        legacy.messages_stream(101).try_collect::<Vec<_>>().await,
        "limit",
    );

    // A later chunk refused by the server: Partial with the stored ids.
    let mut messages: Vec<SendMessageInput> =
        (0..15).map(|i| text("b", &format!("n{i}"))).collect();
    messages[12] = text("mallory", "not a participant");
    let err = legacy.send(messages).await.unwrap_err();
    assert_partial_400(&err, (1, 10), &emu.messages(&conv_id)[25..]);
}

/// The emulator takes TalkJS's five-item batch tuple, with or without a
/// payload before the `{"api_version": ...}`.
#[tokio::test]
async fn batch_operations_with_an_api_version_run() {
    let (_emu, client) = emulator().await;
    users(&client, &["alice"]).await;
    let outcomes = client
        .batch(vec![
            BatchOp::get_user("alice")
                .unwrap()
                .api_version("2021-02-09"),
            BatchOp::put_user("bob", &named("Bob"))
                .unwrap()
                .api_version("2024-01-01"),
        ])
        .await
        .unwrap();
    assert!(outcomes.iter().all(|o| o.is_success()), "{outcomes:?}");
    assert_eq!(outcomes[0].body["id"], "alice");
}
