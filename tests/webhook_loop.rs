//! The whole webhook loop on one machine: the emulator delivers signed
//! events to the example receiver, which verifies them with the SDK.

#[path = "../examples/webhook_receiver.rs"]
#[allow(dead_code)]
mod webhook_receiver;

use std::time::Duration;

use secrecy::SecretString;
use talkjs::{
    ClientConfig,
    raw::types::{
        ConversationInput, NullableString, SendMessageInput, SendMessageInputType, UserInput,
    },
    webhooks::{WebhookEvent, WebhookVerifier},
};
use talkjs_emulator::{Emulator, EmulatorConfig};
use tokio::sync::mpsc;

#[tokio::test]
async fn emulator_events_verify_and_parse() {
    let secret = "sk_test_webhook_loop";
    let (tx, mut rx) = mpsc::unbounded_channel();
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
    let client = ClientConfig::new(emulator.app_id(), secret)
        .base_url(emulator.base_url())
        .build()
        .unwrap();
    let alice: UserInput = UserInput::builder()
        .name(Some(NullableString(Some("Alice".into()))))
        .try_into()
        .unwrap();
    client.users().upsert("alice", alice).await.unwrap();
    let conversation: ConversationInput = ConversationInput::builder()
        .participants(vec!["alice".to_string()])
        .try_into()
        .unwrap();
    client
        .conversations()
        .upsert("c1", conversation)
        .await
        .unwrap();
    let hello: SendMessageInput = SendMessageInput::builder()
        .type_(SendMessageInputType::UserMessage)
        .sender(Some("alice".to_string()))
        .text(Some("hello webhooks".to_string()))
        .try_into()
        .unwrap();
    let ids = client.messages("c1").send(vec![hello]).await.unwrap();

    // Events arrive in order; each was verified by the receiver (it answers
    // 401 and does not dispatch otherwise).
    match next(&mut rx).await {
        WebhookEvent::UserCreated(e) => {
            assert_eq!(e.data.user.unwrap().id.as_deref(), Some("alice"))
        }
        other => panic!("expected user.created, got {other:?}"),
    }
    match next(&mut rx).await {
        WebhookEvent::MessageSent(e) => {
            let message = e.data.message.unwrap();
            assert_eq!(message.id.as_deref(), Some(ids[0].as_str()));
            assert_eq!(message.text.as_deref(), Some("hello webhooks"));
            assert!(e.id.is_some_and(|id| id.starts_with("evt_")));
        }
        other => panic!("expected message.sent, got {other:?}"),
    }
}

/// The next event; a timeout, not a sleep, bounds the wait.
async fn next(rx: &mut mpsc::UnboundedReceiver<WebhookEvent>) -> WebhookEvent {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("an event within 10 s")
        .expect("channel open")
}
