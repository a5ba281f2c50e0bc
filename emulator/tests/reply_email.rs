//! `GET /conversations/{cid}/participants/{uid}/email`: a stable
//! reply-by-email address per conversation and participant.

mod common;

use common::Api;

async fn address(api: &Api, conv: &str, user: &str) -> (u16, serde_json::Value) {
    api.get(&format!("/conversations/{conv}/participants/{user}/email"))
        .await
}

#[tokio::test]
async fn one_stable_address_per_conversation_and_participant() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    api.conversation("c2", &["a"]).await;
    let (s, first) = address(&api, "c1", "a").await;
    assert_eq!(s, 200);
    let email = first["emailAddress"].as_str().unwrap().to_owned();
    assert!(email.ends_with("@reply.talkjs.local"), "{email}");
    assert_eq!(first.as_object().unwrap().len(), 1, "{first}");
    assert_eq!(
        address(&api, "c1", "a").await.1,
        first,
        "same on every call"
    );
    let others = [
        address(&api, "c1", "b").await.1,
        address(&api, "c2", "a").await.1,
    ];
    for other in &others {
        assert_ne!(other["emailAddress"], first["emailAddress"]);
    }
    assert_ne!(others[0], others[1]);
}

#[tokio::test]
async fn unknown_conversation_or_non_participant_is_404() {
    let api = Api::start().await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a"]).await;
    assert_eq!(address(&api, "nope", "a").await.0, 404);
    assert_eq!(address(&api, "c1", "b").await.0, 404);
    assert_eq!(address(&api, "c1", "ghost").await.0, 404);
    api.delete("/conversations/c1/participants/a").await;
    assert_eq!(address(&api, "c1", "a").await.0, 404, "after leaving");
    let (s, _) = api
        .put(
            "/conversations/c1/participants/a/email",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(s, 405);
}
