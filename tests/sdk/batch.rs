//! Batches (`Client::batch`, `BatchOp`): the tuples sent, outcomes in
//! order, chunks of ten paced one a second, API versions, and batches that
//! fail part-way or come back broken.

use serde_json::{Value, json};
use talkjs::pagination::List;
use talkjs::raw::types::{ConversationInput, EditMessageBody, NullableString, PresenceInput};
use talkjs::types::{Conversation, ParticipationInput};
use talkjs::{Access, BatchOp, Error, Notify, ReadUntil};
use talkjs_emulator::Emulator;
use wiremock::{Mock, MockServer, Request, ResponseTemplate, matchers::any};

use crate::common;
use crate::common::{
    assert_validation, client_of, config_of, emulator, import, named, online, text,
    with_participants,
};
use crate::fixtures::{chat, requests_to, users};
use crate::wire::{
    APP, SECRET, answering, assert_distinct_keys, assert_request, batch_server, client, exactly,
    header, only, server, take_keys, with_keys,
};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn batch_tuples_and_outcomes_by_sequence() {
    // Answered out of order: outcomes still come back in the order given.
    let server = server(json!([
        [2, 200, [{"id": "m1"}]],
        [0, 200, {"id": "alice"}],
        [1, 404, {"error": "NotFound"}],
    ]))
    .await;
    let ops = vec![
        BatchOp::get_user("alice").unwrap(),
        BatchOp::put_user("a/b", &named("Bob")).unwrap(),
        BatchOp::send_messages("c 1", vec![text("alice", "hi")]).unwrap(),
    ];
    let outcomes = client(&server).batch(ops).await.unwrap();
    assert_eq!(
        outcomes.iter().map(|o| o.status).collect::<Vec<_>>(),
        [200, 404, 200]
    );
    assert_eq!(outcomes[0].body, json!({"id": "alice"}));
    assert_eq!(outcomes[2].body, json!([{"id": "m1"}]));

    let r = only(&server).await;
    let mut body: Value = serde_json::from_slice(&r.body).unwrap();
    let keys = take_keys(&mut body[2][3]);
    assert_distinct_keys(&keys);
    let mut expected = json!([
        [0, "GET", "/users/alice"],
        [1, "PUT", "/users/a%2Fb", {"name": "Bob"}],
        [2, "POST", "/conversations/c%201/messages", [
            {"type": "UserMessage", "sender": "alice", "text": "hi"}
        ]],
    ]);
    assert_eq!(body, expected);
    // The whole request, with the key the message carried back in place.
    expected[2][3] = with_keys(expected[2][3].take(), &keys);
    assert_request(&r, "POST", "/v1/app/batch", &[], Some(expected));
}

/// TalkJS's per-operation `{"api_version": ...}`: an operation's own
/// version wins, the client's pinned REST version fills in the others, and
/// an operation without a payload gets `null` in its place.
#[tokio::test]
async fn batch_operations_carry_their_api_version() {
    let server = batch_server().await;
    let ops = || {
        vec![
            BatchOp::get_user("a").unwrap(),
            BatchOp::get_user("b").unwrap().api_version("2021-02-09"),
            BatchOp::join("c", "a", Access::Read, Notify::All).unwrap(),
        ]
    };
    client(&server).batch(ops()).await.unwrap();
    let pinned = talkjs::ClientConfig::new(APP, SECRET)
        .base_url(server.uri())
        .rest_version("2024-01-01")
        .build()
        .unwrap();
    pinned.batch(ops()).await.unwrap();
    let r = exactly(&server, 2).await;
    let body = |r: &Request| serde_json::from_slice::<Value>(&r.body).unwrap();
    assert_eq!(
        body(&r[0]),
        json!([
            [0, "GET", "/users/a"],
            [1, "GET", "/users/b", null, {"api_version": "2021-02-09"}],
            [2, "PUT", "/conversations/c/participants/a", {"access": "Read", "notify": true}],
        ])
    );
    assert_eq!(
        body(&r[1]),
        json!([
            [0, "GET", "/users/a", null, {"api_version": "2024-01-01"}],
            [1, "GET", "/users/b", null, {"api_version": "2021-02-09"}],
            [2, "PUT", "/conversations/c/participants/a", {"access": "Read", "notify": true},
                {"api_version": "2024-01-01"}],
        ])
    );
    assert_eq!(header(&r[1], "talkjs-rest-version"), Some("2024-01-01"));
}

#[tokio::test]
async fn batch_tuples_of_every_operation() {
    let server = batch_server().await;
    // One client per batch: each client waits out the one-per-second limit
    // on its own, so two clients don't wait for each other.
    let (client1, client2) = (client(&server), client(&server));
    fn filtered(list: List<'_, Conversation>) -> List<'_, Conversation> {
        list.before(1_000i64).after(10i64)
    }
    let edit = EditMessageBody {
        text: Some("new".into()),
        ..Default::default()
    };
    let presence = PresenceInput {
        visible: Some(false),
        ..online()
    };
    let users = [
        ("a/b".to_string(), named("A")),
        ("c".to_string(), named("C")),
    ];
    let first = vec![
        BatchOp::put_users(&users).unwrap(),
        BatchOp::list(&client1.users().list().limit(20).starting_after("u 1")).unwrap(),
        BatchOp::get_presence("a/b").unwrap(),
        BatchOp::set_presence("bob", &presence).unwrap(),
        BatchOp::list(&filtered(client1.conversations().list()).limit(5)).unwrap(),
        BatchOp::list(
            &filtered(client1.users().conversations("bob"))
                .unreads_only()
                .starting_after("c9"),
        )
        .unwrap(),
        BatchOp::join("c 1", "bob", Access::Read, Notify::MentionsOnly).unwrap(),
        BatchOp::update_participant(
            "c 1",
            "bob",
            ParticipationInput::default().notify(Notify::Off),
        )
        .unwrap(),
        BatchOp::leave("c 1", "bob").unwrap(),
        BatchOp::mark_read("c 1", "bob", ReadUntil::Sent).unwrap(),
    ];
    let second = vec![
        BatchOp::mark_read("c 1", "bob", ReadUntil::At(1_700i64.into())).unwrap(),
        BatchOp::list(
            &client2
                .messages("c 1")
                .list()
                .limit(10)
                .starting_after("m1"),
        )
        .unwrap(),
        BatchOp::get_message("c 1", "m/1").unwrap(),
        BatchOp::edit_message("c 1", "m1", &edit).unwrap(),
        BatchOp::delete_message("c 1", "m1").unwrap(),
        BatchOp::add_reaction("c 1", "m1", "👍", "bob").unwrap(),
        BatchOp::remove_reaction("c 1", "m1", "👍", "bob").unwrap(),
        BatchOp::import_messages("c 1", vec![import("alice", "old", 1_600_000_000_000)]).unwrap(),
    ];
    let outcomes = client1.batch(first).await.unwrap();
    assert_eq!(outcomes.len(), 10);
    let outcomes = client2.batch(second).await.unwrap();
    assert_eq!(outcomes.len(), 8);

    let r = exactly(&server, 2).await;
    let reaction = "/conversations/c%201/messages/m1/reactions/%F0%9F%91%8D/bob";
    assert_request(
        &r[0],
        "POST",
        "/v1/app/batch",
        &[],
        Some(json!([
            [0, "PUT", "/users", {"a/b": {"name": "A"}, "c": {"name": "C"}}],
            [1, "GET", "/users", {"limit": "20", "startingAfter": "u 1"}],
            [2, "GET", "/users/a%2Fb/presence"],
            [3, "PUT", "/users/bob/presence", {"availability": "online", "visible": false}],
            [4, "GET", "/conversations",
                {"limit": "5", "lastMessageBefore": "1000", "lastMessageAfter": "10"}],
            [5, "GET", "/users/bob/conversations", {
                "limit": "100", "startingAfter": "c9", "unreadsOnly": "true",
                "lastMessageBefore": "1000", "lastMessageAfter": "10",
            }],
            [6, "PUT", "/conversations/c%201/participants/bob",
                {"access": "Read", "notify": "MentionsOnly"}],
            [7, "PATCH", "/conversations/c%201/participants/bob", {"notify": false}],
            [8, "DELETE", "/conversations/c%201/participants/bob"],
            [9, "PATCH", "/users/bob/conversations/c%201", {"readUntil": "sent"}],
        ])),
    );
    assert_request(
        &r[1],
        "POST",
        "/v1/app/batch",
        &[],
        Some(json!([
            [0, "PATCH", "/users/bob/conversations/c%201", {"readUntil": 1_700}],
            [1, "GET", "/conversations/c%201/messages", {"limit": "10", "startingAfter": "m1"}],
            [2, "GET", "/conversations/c%201/messages/m%2F1"],
            [3, "PUT", "/conversations/c%201/messages/m1", {"text": "new"}],
            [4, "DELETE", "/conversations/c%201/messages/m1"],
            [5, "PUT", reaction],
            [6, "DELETE", reaction],
            [7, "POST", "/import/conversations/c%201/messages", [{
                "type": "UserMessage",
                "sender": "alice",
                "text": "old",
                "timestamp": 1_600_000_000_000i64,
                "readBy": [],
            }]],
        ])),
    );
}

#[tokio::test]
async fn batch_operations_refuse_what_the_direct_calls_refuse() {
    let server = batch_server().await;
    let client = client(&server);
    assert_validation(BatchOp::list(&client.users().list().limit(0)), "limit");
    assert_validation(
        BatchOp::list(&client.messages("c").list().limit(101)),
        "limit",
    );
    assert_validation(
        BatchOp::list(&client.messages("..").list()),
        "conversationId",
    );
    assert_validation(
        BatchOp::list(&client.conversations().list().unreads_only()),
        "unreadsOnly",
    );
    assert_validation(
        BatchOp::update_participant("c", "bob", ParticipationInput::default()),
        "access, notify",
    );
    assert_validation(
        BatchOp::update_participant("..", "bob", ParticipationInput::default()),
        "conversationId",
    );
    assert_validation(BatchOp::join("c", ".", Access::Read, Notify::All), "userId");
    assert_validation(
        BatchOp::mark_read("", "bob", ReadUntil::Sent),
        "conversationId",
    );
    assert_validation(BatchOp::get_message("c", ".."), "messageId");
    assert_validation(BatchOp::add_reaction("c", "m", "", "bob"), "emoji");
    assert_validation(BatchOp::remove_reaction("c", "m", "👍", ""), "userId");
    assert_validation(BatchOp::get_presence(""), "userId");
    let eleven = (0..11).map(|i| import("alice", "x", i)).collect();
    assert_validation(BatchOp::import_messages("c", eleven), "messages");
    assert_validation(BatchOp::import_messages("c", vec![]), "messages");
    let twice = [("a".to_string(), named("A")), ("a".to_string(), named("B"))];
    assert_validation(BatchOp::put_users(&twice), "users[1].id");
    assert_validation(BatchOp::put_users(&[]), "users");
    let many: Vec<(String, talkjs::raw::types::UserInput)> =
        (0..101).map(|i| (format!("u{i}"), named("U"))).collect();
    assert_validation(BatchOp::put_users(&many), "users");
}

/// A server answering batches of 10 operations with `[seq, 200, {"n": seq}]`
/// each, and any other batch with `other`.
async fn second_batch_fails(other: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(move |r: &Request| {
            let ops: Vec<Value> = serde_json::from_slice(&r.body).unwrap();
            if ops.len() == 10 {
                let results: Vec<Value> = ops
                    .iter()
                    .map(|op| json!([op[0], 200, {"n": op[0]}]))
                    .collect();
                ResponseTemplate::new(200).set_body_json(results)
            } else {
                other.clone()
            }
        })
        .mount(&server)
        .await;
    server
}

fn twelve_gets() -> Vec<BatchOp> {
    (0..12)
        .map(|i| BatchOp::get_user(&format!("u{i}")).unwrap())
        .collect()
}

#[track_caller]
fn assert_first_ten_applied(error: &talkjs::Error) -> &talkjs::Error {
    let (applied, source) = common::first_ten_applied(error);
    for (i, outcome) in applied.iter().enumerate() {
        assert_eq!(outcome.body, json!({"n": i}));
    }
    source
}

#[tokio::test]
async fn a_failed_second_batch_request_keeps_the_outcomes_of_the_first() {
    let server = second_batch_fails(
        ResponseTemplate::new(400).set_body_json(json!({"error": "BadRequest"})),
    )
    .await;
    let error = client(&server).batch(twelve_gets()).await.unwrap_err();
    let source = assert_first_ten_applied(&error);
    assert!(matches!(source, talkjs::Error::Api { .. }), "{source:?}");
    assert_eq!(error.status(), Some(400));
    assert!(
        error.to_string().contains("batch request 1 failed"),
        "{error}"
    );
    exactly(&server, 2).await;
}

#[tokio::test]
async fn a_second_batch_answer_that_breaks_the_protocol_is_partial_too() {
    // Operation 1 of the second request is answered twice, operation 0 never.
    let server = second_batch_fails(
        ResponseTemplate::new(200).set_body_json(json!([[1, 200, {}], [1, 200, {}]])),
    )
    .await;
    let error = client(&server).batch(twelve_gets()).await.unwrap_err();
    let source = assert_first_ten_applied(&error);
    assert!(
        matches!(source, talkjs::Error::Protocol(m) if m.contains("twice")),
        "{source:?}"
    );
    assert_eq!(error.status(), None);
    // The broken answer ends the batch: no third request, no retry.
    exactly(&server, 2).await;
}

#[tokio::test]
async fn batch_results_with_extra_items_decode_and_duplicates_are_refused() {
    let (_server, client) = answering(
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!([[1, 404, {}, "extra"], [0, 200, {"id": "a"}]])),
    )
    .await;
    let ops = vec![
        talkjs::BatchOp::get_user("a").unwrap(),
        talkjs::BatchOp::get_user("b").unwrap(),
    ];
    let outcomes = client.batch(ops.clone()).await.unwrap();
    assert_eq!((outcomes[0].status, outcomes[1].status), (200, 404));

    let (_server, client) = answering(
        ResponseTemplate::new(200).set_body_json(serde_json::json!([[0, 200, {}], [0, 200, {}]])),
    )
    .await;
    let error = client.batch(ops).await.unwrap_err();
    assert!(matches!(error, Error::Protocol(_)), "{error:?}");
}

// ------------------------------------------------- against the emulator

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
            BatchOp::update_participant(
                "chat",
                "carol",
                ParticipationInput::default().notify(Notify::Off),
            )
            .unwrap(),
            BatchOp::edit_message("chat", &id, &edit).unwrap(),
            BatchOp::add_reaction("chat", &id, "👍", "bob").unwrap(),
            BatchOp::import_messages("chat", vec![import("bob", "old", 1_000)]).unwrap(),
            BatchOp::mark_read("chat", "bob", ReadUntil::Sent).unwrap(),
            BatchOp::list(&client.messages("chat").list().limit(10)).unwrap(),
            BatchOp::get_message("chat", &id).unwrap(),
            BatchOp::list(&client.users().conversations("carol").limit(10)).unwrap(),
            BatchOp::list(&client.users().list().limit(2)).unwrap(),
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
    ops.push(BatchOp::custom(reqwest::Method::OPTIONS, "/users/q0"));
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
