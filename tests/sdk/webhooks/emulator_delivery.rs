//! The whole webhook loop on one machine: the emulator delivers signed
//! events to the example receiver, which verifies them with the SDK. Every
//! event the emulator produces (user.created, user.updated, message.sent,
//! message.updated, message.read, message.deleted, conversation.deleted)
//! must verify and parse into its typed variant.

use std::time::Duration;

use secrecy::SecretString;
use talkjs::{
    ReadUntil,
    raw::types::EditMessageBody,
    webhooks::{WebhookEvent, WebhookVerifier},
};
use talkjs_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;

use super::webhook_receiver;
use crate::common::{client_of, named, text, with_participants};

/// A receiver (the example's router) on a loopback port, an emulator that
/// delivers to it, and a client of that emulator.
async fn start(
    secret: &str,
) -> (
    mpsc::UnboundedReceiver<WebhookEvent>,
    Emulator,
    talkjs::Client,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let verifier = WebhookVerifier::new(SecretString::from(secret.to_string()))
        .max_age(Duration::from_secs(300));
    let app = webhook_receiver::router_with_handler(verifier, move |event| {
        let _ = tx.send(event);
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        webhook_receiver::PATH
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let emulator = Emulator::start(EmulatorConfig::new().secret_key(secret).webhook_url(url))
        .await
        .unwrap();
    let client = client_of(&emulator);
    (rx, emulator, client)
}

#[tokio::test]
async fn emulator_events_verify_and_parse() {
    let (mut rx, _emulator, client) = start("sk_test_webhook_loop").await;
    let ids = drive_every_event(&client).await;

    // Events arrive in order; each was verified by the receiver (it answers
    // 401 and does not dispatch otherwise) and parsed into its typed variant.
    for expected in ["alice", "bob"] {
        match next(&mut rx).await {
            WebhookEvent::UserCreated(e) => {
                assert_eq!(e.data.user.unwrap().id.as_deref(), Some(expected));
                assert!(e.id.is_some_and(|id| id.starts_with("evt_")));
                assert!(e.created_at.is_some());
            }
            other => panic!("expected user.created for {expected}, got {other:?}"),
        }
    }
    match next(&mut rx).await {
        WebhookEvent::MessageSent(e) => {
            let message = e.data.message.unwrap();
            assert_eq!(message.id.as_deref(), Some(ids[0].as_str()));
            assert_eq!(message.text.as_deref(), Some("hello webhooks"));
            assert_eq!(message.sender_id.as_deref(), Some("alice"));
            let conversation = e.data.conversation.unwrap();
            assert_eq!(conversation.id.as_deref(), Some("c1"));
            assert!(
                conversation
                    .participants
                    .is_some_and(|p| p.contains_key("bob"))
            );
            let last = conversation.last_message.and_then(|m| m.id);
            assert_eq!(last.as_deref(), Some(ids[0].as_str()));
            let sender = e.data.sender.unwrap();
            assert_eq!(sender.id.as_deref(), Some("alice"));
            assert_eq!(sender.name.as_deref(), Some("Alice"));
            assert!(e.id.is_some_and(|id| id.starts_with("evt_")));
        }
        other => panic!("expected message.sent, got {other:?}"),
    }
    match next(&mut rx).await {
        WebhookEvent::UserUpdated(e) => {
            let user = e.data.user.unwrap();
            assert_eq!(user.id.as_deref(), Some("alice"));
            assert_eq!(user.name.as_deref(), Some("Alice Renamed"));
        }
        other => panic!("expected user.updated, got {other:?}"),
    }
    match next(&mut rx).await {
        WebhookEvent::MessageUpdated(e) => {
            let message = e.data.message.unwrap();
            assert_eq!(message.id.as_deref(), Some(ids[0].as_str()));
            assert_eq!(message.text.as_deref(), Some("edited"));
            assert!(message.edited_at.is_some());
            assert_eq!(e.data.conversation.unwrap().id.as_deref(), Some("c1"));
        }
        other => panic!("expected message.updated, got {other:?}"),
    }
    match next(&mut rx).await {
        // TalkJS documents `message.read` as one event per message read,
        // with `data.message`, `data.conversation`, `data.sender` and
        // `data.recipient` (the reader), which is what
        // [`talkjs::webhooks::MessageEventData`] types.
        WebhookEvent::MessageRead(e) => {
            assert!(e.id.is_some_and(|id| id.starts_with("evt_")));
            let message = e.data.message.expect("data.message");
            assert_eq!(message.id.as_deref(), Some(ids[0].as_str()));
            assert_eq!(e.data.conversation.unwrap().id.as_deref(), Some("c1"));
            assert_eq!(e.data.sender.unwrap().id.as_deref(), Some("alice"));
            assert_eq!(e.data.recipient.unwrap().id.as_deref(), Some("bob"));
        }
        other => panic!("expected message.read, got {other:?}"),
    }
    match next(&mut rx).await {
        WebhookEvent::MessageDeleted(e) => {
            assert_eq!(e.data.message.unwrap().id.as_deref(), Some(ids[0].as_str()));
            assert_eq!(e.data.conversation.unwrap().id.as_deref(), Some("c1"));
        }
        other => panic!("expected message.deleted, got {other:?}"),
    }
    match next(&mut rx).await {
        WebhookEvent::ConversationDeleted(e) => {
            assert_eq!(e.data.conversation.unwrap().id.as_deref(), Some("c1"));
        }
        other => panic!("expected conversation.deleted, got {other:?}"),
    }
}

/// Every action that makes the emulator emit an event, in this order:
/// user.created (alice, bob), message.sent, user.updated, message.updated,
/// message.read (bob reads), message.deleted, conversation.deleted.
/// Returns the sent message's id.
async fn drive_every_event(client: &talkjs::Client) -> Vec<String> {
    for (id, name) in [("alice", "Alice"), ("bob", "Bob")] {
        client.users().upsert(id, named(name)).await.unwrap();
    }
    client
        .conversations()
        .upsert("c1", with_participants(&["alice", "bob"]))
        .await
        .unwrap();
    let hello = text("alice", "hello webhooks");
    let ids = client.messages("c1").send(vec![hello]).await.unwrap();
    let renamed = named("Alice Renamed");
    client.users().upsert("alice", renamed).await.unwrap();
    let edit: EditMessageBody = EditMessageBody::builder()
        .text(Some("edited".to_string()))
        .try_into()
        .unwrap();
    client.messages("c1").edit(&ids[0], edit).await.unwrap();
    client
        .conversations()
        .mark_read("c1", "bob", ReadUntil::Sent)
        .await
        .unwrap();
    client.messages("c1").delete(&ids[0]).await.unwrap();
    client.conversations().delete("c1").await.unwrap();
    ids
}

/// The next event; a timeout, not a sleep, bounds the wait.
async fn next(rx: &mut mpsc::UnboundedReceiver<WebhookEvent>) -> WebhookEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("channel open")
}
