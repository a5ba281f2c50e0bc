//! `POST /presences`: empty without sessions; sessions set through
//! `Emulator::set_session`, filtered as TalkJS's User Presence page says.

mod common;

use common::Api;
use serde_json::{Value, json};
use talkjs_emulator::Session;

async fn presences(api: &Api, body: Value) -> Value {
    let (s, b) = api.post("/presences", body).await;
    assert_eq!(s, 200, "{b}");
    b
}

/// The user ids answered, sorted.
fn users(answer: &Value) -> Vec<String> {
    let mut ids: Vec<_> = answer["data"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn without_sessions_nobody_is_online() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    assert_eq!(presences(&api, json!({})).await, json!({"data": {}}));
    let all = json!({"includeBackgroundSessions": true, "userIds": ["a"]});
    assert_eq!(presences(&api, all).await, json!({"data": {}}));
    let (s, b) = api.call(reqwest::Method::POST, "/presences", None).await;
    assert_eq!((s, b), (200, json!({"data": {}})), "no body, no filters");
    assert_eq!(api.get("/presences").await.0, 405);
}

/// u1: a focused widget on c1; u2: a background session only; u3: an
/// unfocused widget with no conversation, typing, plus a background one.
fn sessions(api: &Api) {
    api.emu.set_session(
        "u1",
        Session::widget("w1")
            .conversation("c1")
            .focused(true)
            .custom("k", "v"),
    );
    api.emu.set_session("u2", Session::background("b2"));
    api.emu
        .set_session("u3", Session::widget("w3").typing(true));
    api.emu.set_session("u3", Session::background("b3"));
}

#[tokio::test]
async fn answers_users_with_a_visible_session() {
    let api = Api::start().await;
    sessions(&api);
    let all = presences(&api, json!({})).await;
    assert_eq!(users(&all), ["u1", "u3"], "not u2: background only");
    assert_eq!(
        all["data"]["u1"],
        json!({
            "status": "online",
            "backgroundSessions": [],
            "widgets": [{"sessionId": "w1", "selectedConversationId": "c1",
                         "hasFocus": true, "isTyping": false, "custom": {"k": "v"}}],
        })
    );
    assert_eq!(all["data"]["u3"]["backgroundSessions"], json!([]));

    let with_bg = presences(&api, json!({"includeBackgroundSessions": true})).await;
    assert_eq!(users(&with_bg), ["u1", "u2", "u3"]);
    assert_eq!(with_bg["data"]["u2"]["widgets"], json!([]));
    assert_eq!(
        with_bg["data"]["u2"]["backgroundSessions"][0]["sessionId"],
        "b2"
    );
    assert_eq!(
        with_bg["data"]["u3"]["backgroundSessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn filters_by_user_conversation_focus_and_typing() {
    let api = Api::start().await;
    sessions(&api);
    for (filter, expected) in [
        (json!({"userIds": ["u1", "u2", "nobody"]}), vec!["u1"]),
        (json!({"userIds": []}), vec![]),
        (json!({"selectedConversationId": "c1"}), vec!["u1"]),
        (json!({"selectedConversationId": "c2"}), vec![]),
        (json!({"selectedConversationId": null}), vec!["u3"]),
        (json!({"hasFocus": true}), vec!["u1"]),
        (json!({"hasFocus": false}), vec!["u3"]),
        (json!({"isTyping": true}), vec!["u3"]),
        (json!({"isTyping": false, "hasFocus": true}), vec!["u1"]),
        (
            json!({"isTyping": false, "includeBackgroundSessions": true}),
            vec!["u1", "u2", "u3"],
        ),
    ] {
        assert_eq!(
            users(&presences(&api, filter.clone()).await),
            expected,
            "{filter}"
        );
    }
    assert!(api.emu.remove_session("u1", "w1"));
    assert!(!api.emu.remove_session("u1", "w1"));
    assert_eq!(users(&presences(&api, json!({})).await), ["u3"]);
}

#[tokio::test]
async fn refuses_bad_filters() {
    let api = Api::start().await;
    for bad in [
        json!({"userIds": "u1"}),
        json!({"userIds": [1]}),
        json!({"hasFocus": "yes"}),
        json!({"isTyping": null}),
        json!({"includeBackgroundSessions": 1}),
        json!({"selectedConversationId": 7}),
        json!([]),
    ] {
        assert_eq!(api.post("/presences", bad.clone()).await.0, 400, "{bad}");
    }
}
