//! Participants: join (with access and notify), update, leave, and read
//! markers (`mark_read`); participant ids no URL can address.

use std::time::{Duration, UNIX_EPOCH};

use serde_json::json;
use talkjs::types::ParticipationInput;
use talkjs::{Access, BatchOp, Notify, ReadUntil};
use talkjs_emulator::Emulator;

use crate::common::{assert_not_found, assert_validation, emulator, text, with_participants};
use crate::fixtures::{conv_ids, users};
use crate::wire::{assert_request, batch_server, client, exactly, only, server};

// ---------------------------------------------------------- on the wire

#[tokio::test]
async fn join_and_leave() {
    let server = server(json!({})).await;
    let client = client(&server);
    let c = client.conversations();
    c.join("c1", "bob", Access::Read, Notify::MentionsOnly)
        .await
        .unwrap();
    c.join("c1", "bob", Access::ReadWrite, Notify::Off)
        .await
        .unwrap();
    c.join("c1", "bob", Access::ReadWrite, Notify::All)
        .await
        .unwrap();
    c.leave("c1", "bob").await.unwrap();
    let r = exactly(&server, 4).await;
    let path = "/v1/app/conversations/c1/participants/bob";
    assert_request(
        &r[0],
        "PUT",
        path,
        &[],
        Some(json!({"access": "Read", "notify": "MentionsOnly"})),
    );
    assert_request(
        &r[1],
        "PUT",
        path,
        &[],
        Some(json!({"access": "ReadWrite", "notify": false})),
    );
    assert_request(
        &r[2],
        "PUT",
        path,
        &[],
        Some(json!({"access": "ReadWrite", "notify": true})),
    );
    assert_request(&r[3], "DELETE", path, &[], None);
}

#[tokio::test]
async fn mark_read_sent_and_at_on_the_wire() {
    let server = server(json!({})).await;
    let client = client(&server);
    let c = client.conversations();
    c.mark_read("c1", "bob", ReadUntil::Sent).await.unwrap();
    c.mark_read("c1", "bob", ReadUntil::At(1_700_000_000_000i64.into()))
        .await
        .unwrap();
    let at = UNIX_EPOCH + Duration::from_millis(1_650_000_000_001);
    c.mark_read("c1", "bob", ReadUntil::At(at.into()))
        .await
        .unwrap();
    let r = exactly(&server, 3).await;
    let path = "/v1/app/users/bob/conversations/c1";
    assert_request(
        &r[0],
        "PATCH",
        path,
        &[],
        Some(json!({"readUntil": "sent"})),
    );
    assert_request(
        &r[1],
        "PATCH",
        path,
        &[],
        Some(json!({"readUntil": 1_700_000_000_000i64})),
    );
    assert_request(
        &r[2],
        "PATCH",
        path,
        &[],
        Some(json!({"readUntil": 1_650_000_000_001i64})),
    );
}

#[tokio::test]
async fn update_participant_sends_only_the_given_fields() {
    let server = server(json!({})).await;
    let client = client(&server);
    let c = client.conversations();
    c.update_participant(
        "c 1",
        "bob/2",
        ParticipationInput::default().notify(Notify::Off),
    )
    .await
    .unwrap();
    c.update_participant(
        "c 1",
        "bob/2",
        ParticipationInput::default().access(Access::Read),
    )
    .await
    .unwrap();
    let both = ParticipationInput::default()
        .access(Access::ReadWrite)
        .notify(Notify::MentionsOnly);
    c.update_participant("c 1", "bob/2", both).await.unwrap();
    // Neither field, or an id no URL can carry: refused, nothing sent.
    assert_validation(
        c.update_participant("c 1", "bob", ParticipationInput::default())
            .await,
        "access, notify",
    );
    assert_validation(
        c.update_participant(
            "..",
            "bob",
            ParticipationInput::default().access(Access::Read),
        )
        .await,
        "conversationId",
    );
    // TalkJS's PATCH changes only the fields given (its PUT overwrites).
    c.update_participant(
        "c 1",
        "bob/2",
        ParticipationInput::default().access(Access::None),
    )
    .await
    .unwrap();
    c.join("c 1", "bob/2", Access::Read, Notify::All)
        .await
        .unwrap();
    let r = exactly(&server, 5).await;
    let path = "/v1/app/conversations/c%201/participants/bob%2F2";
    assert_request(&r[0], "PATCH", path, &[], Some(json!({"notify": false})));
    assert_request(&r[1], "PATCH", path, &[], Some(json!({"access": "Read"})));
    assert_request(
        &r[2],
        "PATCH",
        path,
        &[],
        Some(json!({"access": "ReadWrite", "notify": "MentionsOnly"})),
    );
    assert_request(&r[3], "PATCH", path, &[], Some(json!({"access": "None"})));
    assert_request(
        &r[4],
        "PUT",
        path,
        &[],
        Some(json!({"access": "Read", "notify": true})),
    );
}

// ------------------------------------------------- against the emulator

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
        .conversation_by_participants(&["alice", "bob"])
        .unwrap();
    assert_validation(
        legacy.upsert(&with_participants(&["alice", "."])).await,
        "participants[1]",
    );
    assert_eq!(emu.received_count(), 0);
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
    assert_eq!(carol.access, Some(talkjs::types::ParticipantAccess::Read));
    assert_eq!(
        carol.notify,
        Some(talkjs::types::ParticipantNotify::MentionsOnly)
    );
    let alice = &got.participants.as_ref().unwrap()["alice"];
    assert_eq!(
        alice.access,
        Some(talkjs::types::ParticipantAccess::ReadWrite)
    );
    assert_eq!(alice.notify, Some(talkjs::types::ParticipantNotify::All));

    // Joining again changes the settings.
    c.join("room", "carol", Access::ReadWrite, Notify::Off)
        .await
        .unwrap();
    let stored = emu.conversation("room").unwrap();
    assert_eq!(stored["participants"]["carol"]["access"], "ReadWrite");
    assert_eq!(stored["participants"]["carol"]["notify"], false);

    let listed = client.users().conversations("carol").send().await.unwrap();
    assert_eq!(conv_ids(&listed.items), ["room"]);

    c.leave("room", "carol").await.unwrap();
    let got = c.get("room").await.unwrap();
    assert!(!got.participants.unwrap().contains_key("carol"));
    let listed = client.users().conversations("carol").send().await.unwrap();
    assert!(listed.items.is_empty());

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

#[tokio::test]
async fn update_participant_changes_only_the_given_setting() {
    let (emu, client) = emulator().await;
    room_with_carol_reading(&client).await;
    let c = client.conversations();

    // Only notify changes; the access right stays Read.
    c.update_participant(
        "room",
        "carol",
        ParticipationInput::default().notify(Notify::Off),
    )
    .await
    .unwrap();
    let stored = emu.conversation("room").unwrap();
    assert_eq!(stored["participants"]["carol"]["access"], "Read");
    assert_eq!(stored["participants"]["carol"]["notify"], false);

    // Only access changes; notify stays off.
    c.update_participant(
        "room",
        "carol",
        ParticipationInput::default().access(Access::ReadWrite),
    )
    .await
    .unwrap();
    let got = c.get("room").await.unwrap();
    let carol = &got.participants.as_ref().unwrap()["carol"];
    assert_eq!(
        carol.access,
        Some(talkjs::types::ParticipantAccess::ReadWrite)
    );
    assert_eq!(carol.notify, Some(talkjs::types::ParticipantNotify::Off));
    // Nobody else was touched.
    let alice = &got.participants.as_ref().unwrap()["alice"];
    assert_eq!(
        alice.access,
        Some(talkjs::types::ParticipantAccess::ReadWrite)
    );
    assert_eq!(alice.notify, Some(talkjs::types::ParticipantNotify::All));

    emu.clear_log();
    assert_validation(
        c.update_participant("room", "carol", ParticipationInput::default())
            .await,
        "access, notify",
    );
    assert!(emu.requests().is_empty(), "nothing was sent");
    assert_not_found(
        c.update_participant(
            "no-such-room",
            "carol",
            ParticipationInput::default().access(Access::Read),
        )
        .await,
    );
    // A PATCH never adds anyone: not a participant, 404.
    assert_not_found(
        c.update_participant(
            "room",
            "alice-not-here",
            ParticipationInput::default().access(Access::Read),
        )
        .await,
    );
    // Access "None": stored and shown.
    c.update_participant(
        "room",
        "carol",
        ParticipationInput::default().access(Access::None),
    )
    .await
    .unwrap();
    let got = c.get("room").await.unwrap();
    assert_eq!(
        got.participants.as_ref().unwrap()["carol"].access,
        Some(talkjs::types::ParticipantAccess::None)
    );
}

#[tokio::test]
async fn participant_email_is_read_from_the_participants_path() {
    let server = server(json!({"emailAddress": "x7@reply.example"})).await;
    let client = client(&server);
    let address = client
        .conversations()
        .participant_email("c 1", "bob/2")
        .await
        .unwrap();
    assert_eq!(address, "x7@reply.example");
    assert_request(
        &only(&server).await,
        "GET",
        "/v1/app/conversations/c%201/participants/bob%2F2/email",
        &[],
        None,
    );
    assert_validation(
        client.conversations().participant_email("c1", "..").await,
        "userId",
    );

    let batch = batch_server().await;
    let op = BatchOp::participant_email("c 1", "bob/2").unwrap();
    self::client(&batch).batch(vec![op]).await.unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&only(&batch).await.body).unwrap();
    assert_eq!(
        sent,
        json!([[0, "GET", "/conversations/c%201/participants/bob%2F2/email"]])
    );
}

#[tokio::test]
async fn the_emulator_gives_each_participant_a_stable_reply_address() {
    let (_emu, client) = emulator().await;
    users(&client, &["alice", "bob", "carol"]).await;
    client
        .conversations()
        .upsert("chat", with_participants(&["alice", "bob"]))
        .await
        .unwrap();
    let c = client.conversations();
    let alice = c.participant_email("chat", "alice").await.unwrap();
    assert_eq!(c.participant_email("chat", "alice").await.unwrap(), alice);
    let bob = c.participant_email("chat", "bob").await.unwrap();
    assert_ne!(alice, bob);
    assert!(alice.contains('@'), "{alice}");
    assert_not_found(c.participant_email("chat", "carol").await);
    assert_not_found(c.participant_email("no-such-chat", "alice").await);
}
