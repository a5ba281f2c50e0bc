//! Users: PATCH-like PUT, null clears, batch all-or-nothing, lists, presence.

mod common;

use common::Api;
use serde_json::json;

#[tokio::test]
async fn put_merges_and_null_clears() {
    let api = Api::start().await;
    let (s, u) = api
        .put("/users/u1", json!({"name": "Ann", "email": ["a@x.io"], "role": "buyer", "custom": {"a": "1", "b": "2"}}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(u["id"], "u1");
    assert!(u["createdAt"].as_i64().unwrap() > 0);
    let (s, _) = api
        .put(
            "/users/u1",
            json!({"role": null, "custom": {"a": null, "c": "3"}, "locale": "nl-NL"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, u) = api.get("/users/u1").await;
    assert_eq!(s, 200);
    assert_eq!(u["name"], "Ann", "absent fields stay");
    assert_eq!(u["email"], json!(["a@x.io"]));
    assert_eq!(u["role"], json!(null), "null clears");
    assert_eq!(u["locale"], "nl-NL");
    assert_eq!(u["custom"], json!({"b": "2", "c": "3"}));
    for key in [
        "phone",
        "photoUrl",
        "welcomeMessage",
        "availabilityText",
        "pushTokens",
    ] {
        assert!(u.get(key).is_some(), "{key} present");
    }
}

#[tokio::test]
async fn user_validation() {
    let api = Api::start().await;
    assert_eq!(
        api.put("/users/u1", json!({"email": ["x"]})).await.0,
        400,
        "new user needs a name"
    );
    assert_eq!(api.put("/users/u1", json!({"name": 5})).await.0, 400);
    assert_eq!(api.put("/users/u1", json!(["not an object"])).await.0, 400);
    assert_eq!(
        api.put("/users/u1", json!({"name": "A", "custom": {"k": 1}}))
            .await
            .0,
        400
    );
    assert_eq!(api.get("/users/u1").await.0, 404, "nothing stored");
    assert_eq!(
        api.put("/users/u1", json!({"name": null})).await.0,
        400,
        "a new user needs a name, not null"
    );
    assert_eq!(api.get("/users/u1").await.0, 404, "nothing stored");
    api.users(&["u1"]).await;
    let (s, _) = api
        .put("/users/u1", json!({"pushTokens": {"fcm:T": true}}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        api.get("/users/u1").await.1["pushTokens"],
        json!({"fcm:T": true})
    );
}

/// TalkJS's GDPR flow: PUT the user with nulls; each field sent as null is
/// cleared (`name` included), fields not sent stay.
#[tokio::test]
async fn null_clears_every_field_including_name() {
    let api = Api::start().await;
    let full = json!({
        "name": "Alice", "email": ["a@example.com"], "phone": ["+1"],
        "photoUrl": "https://p", "role": "admin", "welcomeMessage": "hi",
        "availabilityText": "away", "locale": "en-US",
        "custom": {"k": "v"}, "pushTokens": {"fcm:T": true},
    });
    assert_eq!(api.put("/users/u1", full).await.0, 200);
    let (s, b) = api
        .put(
            "/users/u1",
            json!({
                "name": null, "email": null, "phone": null, "photoUrl": null,
                "welcomeMessage": null, "availabilityText": null,
                "custom": null, "pushTokens": null,
            }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    for (k, v) in [
        ("name", json!(null)),
        ("email", json!(null)),
        ("phone", json!(null)),
        ("photoUrl", json!(null)),
        ("welcomeMessage", json!(null)),
        ("availabilityText", json!(null)),
        ("custom", json!({})),
        ("pushTokens", json!(null)),
        ("role", json!("admin")),
        ("locale", json!("en-US")),
    ] {
        assert_eq!(b[k], v, "{k} in the PUT answer");
    }
    let (_, got) = api.get("/users/u1").await;
    assert_eq!(got, b, "GET shows the cleared user");
    // A cleared name can be set again; a user without one can still be
    // updated without sending a name.
    assert_eq!(api.put("/users/u1", json!({"role": null})).await.0, 200);
    let (s, b) = api.put("/users/u1", json!({"name": "Anon"})).await;
    assert_eq!((s, &b["name"]), (200, &json!("Anon")));
    // Batch PUT clears the same way.
    let (s, _) = api.put("/users", json!({"u1": {"name": null}})).await;
    assert_eq!(s, 200);
    assert_eq!(api.get("/users/u1").await.1["name"], json!(null));
}

#[tokio::test]
async fn batch_put_is_all_or_nothing() {
    let api = Api::start().await;
    let (s, b) = api
        .put(
            "/users",
            json!({"a": {"name": "A"}, "b": {"name": 7}, "c": {}}),
        )
        .await;
    assert_eq!(s, 400);
    assert!(
        b["errors"]["b"].is_string() && b["errors"]["c"].is_string(),
        "{b}"
    );
    assert!(b["errors"].get("a").is_none());
    assert_eq!(api.emu.user_count(), 0, "nothing applied");
    let (s, b) = api
        .put("/users", json!({"a": {"name": "A"}, "b": {"name": "B"}}))
        .await;
    assert_eq!((s, b), (200, json!({})));
    assert_eq!(api.emu.user_count(), 2);
    let many: serde_json::Map<_, _> = (0..101)
        .map(|i| (format!("u{i}"), json!({"name": "x"})))
        .collect();
    assert_eq!(api.put("/users", many.into()).await.0, 400, "more than 100");
    let hundred: serde_json::Map<_, _> = (0..100)
        .map(|i| (format!("u{i}"), json!({"name": "x"})))
        .collect();
    assert_eq!(api.put("/users", hundred.into()).await.0, 200);
}

#[tokio::test]
async fn list_users_pages() {
    let api = Api::start().await;
    let ids: Vec<String> = (0..25).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    api.users(&refs).await;
    let (s, p) = api.get("/users").await;
    assert_eq!(s, 200);
    assert_eq!(p.as_object().unwrap().len(), 1, "only data");
    assert_eq!(p["data"].as_array().unwrap().len(), 10, "default limit");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/users?limit=7&startingAfter={c}"),
            None => "/users?limit=7".into(),
        };
        let (s, p) = api.get(&path).await;
        assert_eq!(s, 200);
        let data = p["data"].as_array().unwrap().clone();
        seen.extend(data.iter().map(|u| u["id"].as_str().unwrap().to_owned()));
        if data.len() < 7 {
            break;
        }
        cursor = Some(data.last().unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen, ids);
    for bad in ["0", "101", "ten", "-1"] {
        assert_eq!(
            api.get(&format!("/users?limit={bad}")).await.0,
            400,
            "limit={bad}"
        );
    }
    assert_eq!(api.get("/users?limit=100").await.0, 200);
    assert_eq!(
        api.get("/users?startingAfter=nobody").await.0,
        400,
        "unknown cursor"
    );
}

#[tokio::test]
async fn presence() {
    let api = Api::start().await;
    assert_eq!(api.get("/users/u1/presence").await.0, 404);
    api.users(&["u1"]).await;
    let (s, p) = api.get("/users/u1/presence").await;
    assert_eq!(s, 200);
    assert_eq!(p["availability"], "offline");
    assert_eq!(p["visible"], false);
    assert_eq!(
        api.put(
            "/users/u1/presence",
            json!({"visible": true, "availability": "online"})
        )
        .await,
        (200, json!({}))
    );
    let (_, p) = api.get("/users/u1/presence").await;
    assert_eq!(
        (p["visible"].clone(), p["availability"].clone()),
        (json!(true), json!("online"))
    );
    assert_eq!(
        api.put("/users/u1/presence", json!({"availability": "away"}))
            .await
            .0,
        400
    );
}
