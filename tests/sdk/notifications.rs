//! Triggering a conversation's notifications: the body on the wire, the
//! refusal of no channel, the batch form, and one send after an ambiguous
//! failure.

use serde_json::json;
use talkjs::BatchOp;
use talkjs::types::{
    EmailNotificationSettings, NotificationChannel, NotificationsInput, SmsNotificationSettings,
};
use wiremock::ResponseTemplate;

use crate::common::assert_validation;
use crate::wire::{answering, assert_request, batch_server, client, only, requests, server};

#[tokio::test]
async fn notifications_go_out_with_their_channels_recipients_and_settings() {
    let server = server(json!({})).await;
    let input = NotificationsInput::via([NotificationChannel::Email, NotificationChannel::Sms])
        .recipients(["bob", "carol"])
        .email_settings(
            EmailNotificationSettings::default()
                .subject("{{sender.name}} is waiting")
                .inbox_url("https://shop.example/inbox"),
        )
        .sms_settings(SmsNotificationSettings::default().sms_template("New: {{messages}}"));
    client(&server)
        .conversations()
        .trigger_notifications("order 42", &input)
        .await
        .unwrap();
    assert_request(
        &only(&server).await,
        "POST",
        "/v1/app/conversations/order%2042/notifications",
        &[],
        Some(json!({
            "channels": ["email", "sms"],
            "recipients": ["bob", "carol"],
            "emailSettings": {"subject": "{{sender.name}} is waiting", "inboxUrl": "https://shop.example/inbox"},
            "smsSettings": {"smsTemplate": "New: {{messages}}"},
        })),
    );

    // Only the channel is required: nothing else goes out unset.
    let server = self::server(json!({})).await;
    let email = NotificationsInput::via([NotificationChannel::Email]);
    client(&server)
        .conversations()
        .trigger_notifications("c1", &email)
        .await
        .unwrap();
    let r = only(&server).await;
    assert_request(
        &r,
        "POST",
        "/v1/app/conversations/c1/notifications",
        &[],
        Some(json!({"channels": ["email"]})),
    );
}

#[tokio::test]
async fn no_channel_or_a_bad_id_is_refused_before_sending() {
    let server = server(json!({})).await;
    let client = client(&server);
    let none = NotificationsInput::via([]);
    assert_validation(
        client
            .conversations()
            .trigger_notifications("c1", &none)
            .await,
        "channels",
    );
    assert_validation(BatchOp::trigger_notifications("c1", &none), "channels");
    let email = NotificationsInput::via([NotificationChannel::Email]);
    assert_validation(
        client
            .conversations()
            .trigger_notifications("..", &email)
            .await,
        "conversationId",
    );
    assert!(requests(&server).await.is_empty());
}

#[tokio::test]
async fn a_lost_answer_is_an_unknown_outcome_and_not_sent_again() {
    // Every call notifies again: after a 502 the SDK cannot know.
    let (server, client) = answering(ResponseTemplate::new(502)).await;
    let email = NotificationsInput::via([NotificationChannel::Email]);
    let error = client
        .with_retry(talkjs::RetryPolicy::default())
        .conversations()
        .trigger_notifications("c1", &email)
        .await
        .unwrap_err();
    assert!(
        matches!(error, talkjs::Error::OutcomeUnknown { .. }),
        "{error}"
    );
    assert_eq!(requests(&server).await.len(), 1);
}

#[tokio::test]
async fn the_batch_form_carries_the_same_path_and_body() {
    let server = batch_server().await;
    let sms = NotificationsInput::via([NotificationChannel::Sms]).recipients(["bob"]);
    let op = BatchOp::trigger_notifications("c 1", &sms).unwrap();
    client(&server).batch(vec![op]).await.unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&only(&server).await.body).unwrap();
    assert_eq!(
        sent,
        json!([[0, "POST", "/conversations/c%201/notifications", {"channels": ["sms"], "recipients": ["bob"]}]])
    );
}

// ------------------------------------------------- against the emulator

#[tokio::test]
async fn the_emulator_records_a_notification_per_recipient() {
    let (emu, client) = crate::common::emulator().await;
    crate::fixtures::chat(&client).await;
    let email = NotificationsInput::via([NotificationChannel::Email]).recipients(["bob"]);
    client
        .conversations()
        .trigger_notifications("chat", &email)
        .await
        .unwrap();
    let sent = emu.notifications();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0]["conversationId"], "chat");
    assert_eq!(sent[0]["recipientId"], "bob");
    assert_eq!(sent[0]["channels"], json!(["email"]));

    // In a batch too; an unknown conversation is not found.
    let op = BatchOp::trigger_notifications("chat", &email).unwrap();
    let outcomes = client.batch(vec![op]).await.unwrap();
    assert_eq!(outcomes[0].status, 200, "{outcomes:?}");
    assert_eq!(emu.notifications().len(), 2);
    crate::common::assert_not_found(
        client
            .conversations()
            .trigger_notifications("no-such-chat", &email)
            .await,
    );
}
