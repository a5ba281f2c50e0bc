//! Anonymising a user as TalkJS's GDPR script does, against the emulator:
//! nothing of the user's personal data stays readable through the API, a
//! dry run changes nothing, a failed run resumes without redoing finished
//! conversations, and the options reach what they name.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use talkjs::types::{ConversationInput, NullableCustom, SendMessageInput, UserInput};
use talkjs::{AnonymiseReport, Client, Error};
use talkjs_emulator::{Emulator, Fault};

use crate::common::{emulator, text};

/// What identifies alice: none of it may be readable afterwards.
const PERSONAL: [&str; 9] = [
    "Alice Liddell",
    "alice@example.com",
    "+44 20 7946 0000",
    "https://img.example/alice.png",
    "secret-role",
    "alice-custom-value",
    "Hello from Alice",
    "Alice is away",
    "my card ends in 4242",
];

/// alice in `c1` (130 messages of hers and bob's: two pages) and `c2`; bob
/// and carol alone in `c3`.
async fn setup(client: &Client) {
    let alice = UserInput::named(PERSONAL[0])
        .email(PERSONAL[1])
        .phone(PERSONAL[2])
        .photo_url(PERSONAL[3])
        .role(PERSONAL[4])
        .custom(NullableCustom::from(HashMap::from([(
            "note".to_string(),
            PERSONAL[5].to_string(),
        )])))
        .welcome_message(PERSONAL[6])
        .availability_text(PERSONAL[7])
        .locale("en-GB");
    client.users().upsert("alice", alice).await.unwrap();
    for id in ["bob", "carol"] {
        client
            .users()
            .upsert(id, UserInput::named(id))
            .await
            .unwrap();
    }
    let about_alice = ConversationInput::with_participants(["alice", "bob"])
        .subject(format!("{}'s order", PERSONAL[0]))
        .photo_url(PERSONAL[3]);
    for id in ["c1", "c2"] {
        client
            .conversations()
            .upsert(id, about_alice.clone())
            .await
            .unwrap();
    }
    let others = ConversationInput::with_participants(["bob", "carol"]).subject("untouched");
    client.conversations().upsert("c3", others).await.unwrap();
    let history: Vec<SendMessageInput> = (0..130)
        .map(|i| match i % 2 {
            0 => text("alice", &format!("{} #{i}", PERSONAL[8])),
            _ => text("bob", &format!("bob #{i}")),
        })
        .collect();
    client.messages("c1").send(history).await.unwrap();
    let keyed = SendMessageInput::user_text("alice", PERSONAL[8]).custom(HashMap::from([(
        "card".to_string(),
        PERSONAL[8].to_string(),
    )]));
    client.messages("c2").send(vec![keyed]).await.unwrap();
    client
        .messages("c3")
        .send(vec![text("bob", "bob to carol")])
        .await
        .unwrap();
}

/// Every message of a conversation, newest first.
async fn messages(client: &Client, id: &str) -> Vec<talkjs::types::Message> {
    let all = client.messages(id).list().stream().try_collect().await;
    all.unwrap()
}

/// Everything the API gives back about alice, her conversations and their
/// messages, as one string to search.
async fn readable(client: &Client) -> String {
    let mut seen = vec![serde_json::to_value(client.users().get("alice").await.unwrap()).unwrap()];
    let users: Vec<_> = client.users().list().stream().try_collect().await.unwrap();
    seen.push(serde_json::to_value(users).unwrap());
    for id in ["c1", "c2"] {
        seen.push(serde_json::to_value(client.conversations().get(id).await.unwrap()).unwrap());
        seen.push(serde_json::to_value(messages(client, id).await).unwrap());
    }
    serde_json::Value::Array(seen).to_string()
}

fn puts(emulator: &Emulator) -> Vec<String> {
    emulator
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.path)
        .collect()
}

#[tokio::test]
async fn after_anonymising_no_personal_data_is_readable() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let before = readable(&client).await;
    assert!(
        PERSONAL.iter().all(|p| before.contains(p)),
        "the setup holds it all"
    );

    // A dry run reports and changes nothing.
    emulator.clear_log();
    let plan = client
        .users()
        .anonymise("alice")
        .conversations_too()
        .dry_run()
        .send()
        .await
        .unwrap();
    assert!(plan.dry_run);
    assert_eq!(plan.conversations.len(), 2);
    assert_eq!((plan.conversations_erased, plan.messages_edited), (2, 66));
    assert!(puts(&emulator).is_empty(), "{:?}", puts(&emulator));
    assert_eq!(readable(&client).await, before);

    // The run, with progress after each conversation.
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let report = client
        .users()
        .anonymise("alice")
        .conversations_too()
        .on_progress(move |p| {
            log.lock()
                .unwrap()
                .push((p.conversation_id.clone(), p.done, p.total))
        })
        .send()
        .await
        .unwrap();
    assert!(!report.dry_run);
    let counts = |r: &AnonymiseReport| {
        (
            r.conversations.clone(),
            r.skipped,
            r.conversations_erased,
            r.messages_edited,
        )
    };
    assert_eq!(
        counts(&report),
        counts(&plan),
        "the run does what the dry run said"
    );
    let progress = seen.lock().unwrap().clone();
    assert_eq!(progress.len(), 2);
    assert_eq!((progress[1].1, progress[1].2), (2, 2));

    let after = readable(&client).await;
    for personal in PERSONAL {
        assert!(
            !after.contains(personal),
            "{personal:?} is still readable: {after}"
        );
    }
    let alice = client.users().get("alice").await.unwrap();
    assert_eq!(alice.name.as_deref(), Some("[DELETED]"));
    assert!(alice.email.is_none() && alice.phone.is_none() && alice.photo_url.is_none());
    assert!(
        alice
            .custom
            .as_ref()
            .is_none_or(|c| c.0.as_ref().is_none_or(|m| m.is_empty())),
        "{:?}",
        alice.custom
    );
    // Bob's messages and the conversation alice is not in are untouched.
    let c1 = messages(&client, "c1").await;
    let bobs = c1.iter().filter(|m| m.sender_id.as_deref() == Some("bob"));
    assert!(
        bobs.clone().count() == 65
            && bobs
                .into_iter()
                .all(|m| m.text.as_deref() != Some("[DELETED]"))
    );
    let c3 = client.conversations().get("c3").await.unwrap();
    assert_eq!(c3.subject.as_deref(), Some("untouched"));
    assert_eq!(emulator.messages("c3")[0]["text"], "bob to carol");
}

#[tokio::test]
async fn a_failed_run_resumes_without_redoing_finished_conversations() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    // After the first conversation, the next request fails (a 400 is not
    // retried).
    let faults = &emulator;
    let error = client
        .users()
        .anonymise("alice")
        .on_progress(move |p| {
            if p.done == 1 {
                faults.inject_fault(Fault::status(400));
            }
        })
        .send()
        .await
        .unwrap_err();
    let Error::Partial {
        applied,
        applied_ids,
        ..
    } = error
    else {
        panic!("expected Partial, got {error:?}");
    };
    assert_eq!((applied, applied_ids.len()), (1, 1));
    let finished = applied_ids[0].clone();

    emulator.clear_log();
    let report = client
        .users()
        .anonymise("alice")
        .skip_conversations(applied_ids)
        .send()
        .await
        .unwrap();
    assert_eq!(report.skipped, 1);
    assert_eq!(report.conversations.len(), 1);
    assert!(!report.conversations.contains(&finished));
    let again = format!("/conversations/{finished}/");
    assert!(
        puts(&emulator).iter().all(|path| !path.contains(&again)),
        "{:?}",
        puts(&emulator)
    );
    let after = readable(&client).await;
    assert!(!after.contains(PERSONAL[8]), "{after}");
}

#[tokio::test]
async fn every_message_edits_the_others_too_and_an_unknown_user_is_not_found() {
    let (_emulator, client) = emulator().await;
    setup(&client).await;
    let report = client
        .users()
        .anonymise("alice")
        .every_message()
        .send()
        .await
        .unwrap();
    assert_eq!(
        (report.messages_edited, report.conversations_erased),
        (131, 0)
    );
    let c1 = messages(&client, "c1").await;
    assert!(c1.iter().all(|m| m.text.as_deref() == Some("[DELETED]")));
    // Without conversations_too, the subject stays.
    let c1 = client.conversations().get("c1").await.unwrap();
    assert_eq!(c1.subject.as_deref(), Some("Alice Liddell's order"));

    let missing = client.users().anonymise("nobody").send().await;
    assert!(
        matches!(missing, Err(Error::NotFound { .. })),
        "{missing:?}"
    );
}
