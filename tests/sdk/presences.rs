//! Who is online (`POST /presences`, TalkJS's documented presence call):
//! the query on the wire, the answer by user id, the batch form, and
//! retries (a read may be sent again).

use serde_json::json;
use talkjs::BatchOp;
use talkjs::types::PresencesQuery;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::wire::{assert_request, batch_server, client, exactly, only, server};

#[tokio::test]
async fn presences_send_the_query_and_answer_by_user() {
    let server = server(json!({"data": {"alice": {
        "status": "online",
        "backgroundSessions": [],
        "widgets": [{"sessionId": "s1", "selectedConversationId": "c1", "hasFocus": true, "isTyping": false, "custom": {}}]
    }}}))
    .await;
    let query = PresencesQuery::default()
        .user_ids(["alice", "bob"])
        .include_background_sessions(true)
        .selected_conversation_id("c1")
        .has_focus(true)
        .is_typing(false);
    let online = client(&server).users().presences(&query).await.unwrap();
    assert_eq!(online.len(), 1);
    let alice = &online["alice"];
    assert_eq!(alice.status.as_deref(), Some("online"));
    let widget = &alice.widgets.as_ref().unwrap()[0];
    assert_eq!(widget.selected_conversation_id.as_deref(), Some("c1"));
    assert_request(
        &only(&server).await,
        "POST",
        "/v1/app/presences",
        &[],
        Some(json!({
            "userIds": ["alice", "bob"],
            "includeBackgroundSessions": true,
            "selectedConversationId": "c1",
            "hasFocus": true,
            "isTyping": false,
        })),
    );

    // Nobody with a visible session: an empty map, and an empty query.
    let server = self::server(json!({"data": {}})).await;
    let none = client(&server)
        .users()
        .presences(&PresencesQuery::default())
        .await
        .unwrap();
    assert!(none.is_empty());
    assert_request(
        &only(&server).await,
        "POST",
        "/v1/app/presences",
        &[],
        Some(json!({})),
    );
}

#[tokio::test]
async fn a_presence_query_is_a_read_and_is_retried() {
    // A 503, then the answer: unlike other POSTs, the query is sent again.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {}})))
        .mount(&server)
        .await;
    let fast = talkjs::RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1));
    let answer = client(&server)
        .with_retry(fast)
        .users()
        .presences(&PresencesQuery::default())
        .await;
    assert!(answer.unwrap().is_empty());
    exactly(&server, 2).await;
}

#[tokio::test]
async fn the_batch_form_carries_the_query() {
    let server = batch_server().await;
    let op = BatchOp::presences(&PresencesQuery::default().user_ids(["alice"])).unwrap();
    client(&server).batch(vec![op]).await.unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&only(&server).await.body).unwrap();
    assert_eq!(
        sent,
        json!([[0, "POST", "/presences", {"userIds": ["alice"]}]])
    );
}

#[tokio::test]
async fn the_emulator_answers_users_with_a_visible_session() {
    use talkjs_emulator::Session;
    let (emu, client) = crate::common::emulator().await;
    // No sessions: nobody is online.
    let none = client
        .users()
        .presences(&PresencesQuery::default())
        .await
        .unwrap();
    assert!(none.is_empty());

    emu.set_session(
        "alice",
        Session::widget("s1").conversation("c1").focused(true),
    );
    emu.set_session("bob", Session::widget("s2").typing(true));
    let all = client
        .users()
        .presences(&PresencesQuery::default())
        .await
        .unwrap();
    let mut online: Vec<_> = all.keys().cloned().collect();
    online.sort();
    assert_eq!(online, ["alice", "bob"]);
    let alice = client
        .users()
        .presences(&PresencesQuery::default().user_ids(["alice"]))
        .await
        .unwrap();
    let widgets = alice["alice"].widgets.clone().unwrap();
    assert_eq!(widgets[0].session_id.as_deref(), Some("s1"));
    assert_eq!(widgets[0].selected_conversation_id.as_deref(), Some("c1"));
    assert_eq!(widgets[0].has_focus, Some(true));
    assert_eq!(all.len(), 2);
}
