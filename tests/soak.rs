//! Retries lose nothing and duplicate nothing: 2,000 message sends across 50
//! conversations while the emulator faults a quarter of all requests
//! (statuses, `Retry-After`, delays beyond the attempt timeout, connections
//! dropped before and after the request is applied).
//!
//! The backoff is shrunk for the test, not the logic: the same retry loop
//! runs with millisecond waits.

use std::{collections::BTreeMap, time::Duration};

use futures::{StreamExt, stream};
use talkjs::{
    ClientConfig, RetryPolicy,
    raw::types::{ConversationInput, SendMessageInputType},
};
use talkjs_emulator::{Emulator, EmulatorConfig, Fault};

const CONVERSATIONS: usize = 50;
const SENDS: usize = 2_000;
const FAULT_RATE: f64 = 0.25;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_sends_through_faults_store_each_message_once() {
    let emulator = Emulator::start(EmulatorConfig::new().request_log_capacity(100_000))
        .await
        .unwrap();
    let client = ClientConfig::new(emulator.app_id(), emulator.secret_key())
        .base_url(emulator.base_url())
        .attempt_timeout(Duration::from_millis(250))
        .overall_timeout(Duration::from_secs(60))
        .retry(
            RetryPolicy::default()
                .max_attempts(30)
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap();

    let users: Vec<(String, talkjs::raw::types::UserInput)> = (0..2)
        .map(|i| {
            let user = talkjs::raw::types::UserInput::builder()
                .name(Some(talkjs::raw::types::NullableString(Some(format!(
                    "Soak {i}"
                )))))
                .try_into()
                .unwrap();
            (format!("soak-user-{i}"), user)
        })
        .collect();
    client.users().upsert_many(users).await.unwrap();
    for c in 0..CONVERSATIONS {
        let input: ConversationInput = ConversationInput::builder()
            .participants(vec!["soak-user-0".to_string(), "soak-user-1".to_string()])
            .try_into()
            .unwrap();
        client
            .conversations()
            .upsert(&format!("soak-{c}"), input)
            .await
            .unwrap();
    }
    emulator.clear_log();

    emulator.set_fault_rate(
        FAULT_RATE,
        vec![
            Fault::status(500),
            Fault::status(502),
            Fault::status(503),
            Fault::status(429),
            Fault::status_with_retry_after(429, "0"),
            Fault::status_with_retry_after(503, "0"),
            Fault::Delay(Duration::from_millis(400)),
            Fault::DropBeforeApply,
            Fault::DropAfterApply,
        ],
        0x5eed,
    );

    let results: Vec<Result<Vec<String>, talkjs::Error>> = stream::iter(0..SENDS)
        .map(|i| {
            let client = &client;
            async move {
                let text = format!("soak message {i}");
                let message = talkjs::raw::types::SendMessageInput::builder()
                    .type_(SendMessageInputType::UserMessage)
                    .sender(Some(format!("soak-user-{}", i % 2)))
                    .text(Some(text))
                    .try_into()
                    .unwrap();
                client
                    .messages(format!("soak-{}", i % CONVERSATIONS))
                    .send(vec![message])
                    .await
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    emulator.clear_faults();

    let failures: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} sends failed, first: {}",
        failures.len(),
        failures[0]
    );

    // Every message stored exactly once.
    let mut stored: BTreeMap<String, usize> = BTreeMap::new();
    for c in 0..CONVERSATIONS {
        for m in emulator.messages(&format!("soak-{c}")) {
            *stored
                .entry(m["text"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let duplicates = stored.values().filter(|n| **n > 1).count();
    let lost = (0..SENDS)
        .filter(|i| !stored.contains_key(&format!("soak message {i}")))
        .count();

    let log = emulator.requests();
    let mut faults: BTreeMap<String, usize> = BTreeMap::new();
    for record in &log {
        if let Some(fault) = &record.fault {
            *faults.entry(fault.clone()).or_default() += 1;
        }
    }
    let injected: usize = faults.values().sum();
    println!(
        "soak: {SENDS} sends, {} requests, {injected} faults ({:.1}%) {faults:?}, {} retries, \
         {} messages stored, duplicates {duplicates}, lost {lost}",
        log.len(),
        100.0 * injected as f64 / log.len() as f64,
        log.len() - SENDS,
        stored.values().sum::<usize>(),
    );
    assert_eq!(duplicates, 0);
    assert_eq!(lost, 0);
    assert_eq!(stored.values().sum::<usize>(), SENDS);
    assert!(
        injected as f64 >= 0.2 * log.len() as f64,
        "only {injected} of {} requests faulted",
        log.len()
    );
    for kind in [
        "status:500",
        "status:429",
        "dropAfterApply",
        "dropBeforeApply",
    ] {
        assert!(
            faults.contains_key(kind),
            "no {kind} fault was injected: {faults:?}"
        );
    }
    assert!(faults.keys().any(|k| k.starts_with("delay")), "{faults:?}");
}
