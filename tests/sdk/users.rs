//! Users: upsert (one and many), get, list, presence.

use serde_json::{Value, json};
use talkjs::raw::types::{NullableString, UserInput};
use talkjs::{Error, RetryPolicy};

use crate::common::{assert_not_found, emulator, named, online};
use crate::fixtures::{requests_to, setup, users};
use crate::wire::{assert_request, client, exactly, only, server};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn upsert_user() {
    let server = server(json!({"id": "alice", "name": "Alice"})).await;
    let user = UserInput {
        name: Some(NullableString(Some("Alice".into()))),
        photo_url: Some(NullableString(None)),
        ..Default::default()
    };
    client(&server).users().upsert("alice", user).await.unwrap();
    let r = only(&server).await;
    assert_request(
        &r,
        "PUT",
        "/v1/app/users/alice",
        &[],
        Some(json!({"name": "Alice", "photoUrl": null})),
    );
}

#[tokio::test]
async fn batch_users() {
    let server = server(json!({})).await;
    let users = vec![
        ("alice".to_string(), named("Alice")),
        ("bob".to_string(), named("Bob")),
    ];
    client(&server).users().upsert_many(users).await.unwrap();
    let r = only(&server).await;
    assert_request(
        &r,
        "PUT",
        "/v1/app/users",
        &[],
        Some(json!({"alice": {"name": "Alice"}, "bob": {"name": "Bob"}})),
    );
}

#[tokio::test]
async fn get_and_list_users() {
    let server = server(json!({"id": "alice", "data": [{"id": "bob"}]})).await;
    let client = client(&server);
    client.users().get("alice").await.unwrap();
    let page = client
        .users()
        .list()
        .limit(25)
        .starting_after("alice")
        .send()
        .await
        .unwrap();
    assert_eq!(page.items[0].id.as_deref(), Some("bob"));
    client.users().list().limit(100).send().await.unwrap();
    let r = exactly(&server, 3).await;
    assert_request(&r[0], "GET", "/v1/app/users/alice", &[], None);
    assert_request(
        &r[1],
        "GET",
        "/v1/app/users",
        &[("limit", "25"), ("startingAfter", "alice")],
        None,
    );
    assert_request(&r[2], "GET", "/v1/app/users", &[("limit", "100")], None);
}

#[tokio::test]
async fn presence_get_and_set() {
    let server = server(json!({"availability": "online", "visible": true})).await;
    let client = client(&server);
    client.users().presence("alice").await.unwrap();
    client
        .users()
        .set_presence("alice", online())
        .await
        .unwrap();
    let r = exactly(&server, 2).await;
    assert_request(&r[0], "GET", "/v1/app/users/alice/presence", &[], None);
    assert_request(
        &r[1],
        "PUT",
        "/v1/app/users/alice/presence",
        &[],
        Some(json!({"availability": "online", "visible": true})),
    );
}

// ------------------------------------------------- against the emulator

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

#[tokio::test]
async fn duplicate_user_ids_are_refused_before_sending() {
    let (emulator, client) = setup(RetryPolicy::default()).await;
    let users = vec![
        ("dup".to_string(), UserInput::default()),
        ("dup".to_string(), UserInput::default()),
    ];
    let error = client.users().upsert_many(users).await.unwrap_err();
    assert!(
        matches!(&error, Error::Validation { field, .. } if field == "users[1].id"),
        "{error:?}"
    );
    assert!(emulator.requests().is_empty());
}
