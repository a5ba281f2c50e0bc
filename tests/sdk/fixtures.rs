//! Helpers of the emulator tests (no tests here): fixtures, request-log
//! queries and assertions.

use std::time::Duration;

use talkjs::raw::types::{SendMessageInput, SendMessageInputType};
use talkjs::{Client, Error, RetryPolicy};
use talkjs_emulator::{Emulator, EmulatorConfig, RequestRecord};

use crate::common::{config_of, named, with_participants};

/// Requests with this method whose path (after `/v1/{app}`) is `suffix`.
pub fn requests_to(emu: &Emulator, method: &str, suffix: &str) -> Vec<RequestRecord> {
    let full = format!("/v1/{}{suffix}", emu.app_id());
    emu.requests()
        .into_iter()
        .filter(|r| r.method == method && r.path == full)
        .collect()
}

pub fn ids_of<T>(items: &[T], id: impl Fn(&T) -> Option<&String>) -> Vec<String> {
    items.iter().map(|i| id(i).cloned().unwrap()).collect()
}

pub async fn users(client: &talkjs::Client, ids: &[&str]) {
    let users = ids.iter().map(|id| (id.to_string(), named(id))).collect();
    client.users().upsert_many(users).await.unwrap();
}

pub fn conv_ids(convs: &[talkjs::raw::types::Conversation]) -> Vec<String> {
    ids_of(convs, |c| c.id.as_ref())
}

pub async fn chat(client: &talkjs::Client) {
    users(client, &["alice", "bob"]).await;
    client
        .conversations()
        .upsert("chat", with_participants(&["alice", "bob"]))
        .await
        .unwrap();
}

pub fn user_message() -> talkjs::raw::types::builder::SendMessageInput {
    SendMessageInput::builder()
        .type_(SendMessageInputType::UserMessage)
        .sender(Some("alice".to_string()))
}

/// Asserts that `error` is `Error::Partial` at `(failed_chunk, applied)`,
/// refused with a 400, whose `applied_ids` are those of `stored`, in order.
#[track_caller]
pub fn assert_partial_400(error: &Error, expected: (usize, usize), stored: &[serde_json::Value]) {
    match error {
        Error::Partial {
            failed_chunk,
            applied,
            applied_ids,
            outcomes,
            source,
            ..
        } => {
            assert_eq!((*failed_chunk, *applied), expected);
            assert!(outcomes.is_empty(), "not a batch: {outcomes:?}");
            let stored_ids: Vec<&str> = stored.iter().map(|m| m["id"].as_str().unwrap()).collect();
            assert_eq!(applied_ids, &stored_ids);
            assert_eq!(source.status(), Some(400));
            // Where the failed request's items start: TalkJS's answer
            // numbers them from there.
            let from = format!("items from index {} on", expected.1);
            assert!(error.to_string().contains(&from), "{error}");
        }
        other => panic!("expected Partial, got {other:?}"),
    }
}

pub async fn setup(retry: RetryPolicy) -> (Emulator, Client) {
    let emulator = Emulator::start(EmulatorConfig::new().batch_interval(Duration::ZERO))
        .await
        .unwrap();
    let client = config_of(&emulator)
        .attempt_timeout(Duration::from_millis(300))
        .retry(
            retry
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    for id in ["u1", "u2"] {
        client.users().upsert(id, named(id)).await.unwrap();
    }
    let input = with_participants(&["u1", "u2"]);
    client.conversations().upsert("c1", input).await.unwrap();
    emulator.clear_log();
    (emulator, client)
}
