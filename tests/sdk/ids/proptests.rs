//! Property test: random ids through every path-taking call reach exactly
//! that id in the emulator, or are refused before anything is sent.
//!
//! Covered: users (upsert, get, presence, set_presence, conversations),
//! conversations (upsert, get, delete, join, leave, mark_read), messages
//! (send, import, page, get, edit, delete, react, unreact, with hostile
//! conversation, message, emoji and user ids, and a hostile `startingAfter`),
//! and the deprecated `participants=` paths (get, upsert, messages page,
//! send). 256 cases per property.

use std::{collections::BTreeSet, time::Duration};

use proptest::prelude::*;
use talkjs::{
    Access, Client, Error, Notify, ReadUntil,
    raw::types::{ConversationInput, EditMessageBody, NullableString},
};
use talkjs_emulator::{Emulator, EmulatorConfig};

use crate::common;
use crate::common::{config_of, import, named, online, text, with_participants};

/// Ids built from the characters that break naive path building, plus
/// arbitrary Unicode and control characters, up to long ones.
fn hostile_id() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::collection::vec(
            prop_oneof![
                Just("/".to_string()), Just("\\".to_string()), Just(".".to_string()),
                Just("..".to_string()), Just("%".to_string()), Just("%2e".to_string()),
                Just("%2F".to_string()), Just("?".to_string()), Just("#".to_string()),
                Just(";".to_string()), Just(",".to_string()), Just("=".to_string()),
                Just("&".to_string()), Just("+".to_string()), Just(" ".to_string()),
                Just("\u{0}".to_string()), Just("\n".to_string()), Just("😀".to_string()),
                "[a-z0-9]{1,3}",
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat()),
        2 => any::<String>(),
        1 => "\\PC{200,600}",
        1 => Just(".".to_string()),
        1 => Just("..".to_string()),
    ]
}

fn unaddressable(id: &str) -> bool {
    matches!(id, "" | "." | "..")
}

struct Env {
    rt: tokio::runtime::Runtime,
    emulator: Emulator,
    client: Client,
}

/// One emulator and one client per property, shared by its cases: building
/// a client costs ~100 ms in a debug build (reqwest's TLS set-up), which at
/// 256 cases per property made this test take minutes. Each case starts
/// with an empty request log, names its own fixtures uniquely, and asserts
/// on the state of its ids only, so earlier cases cannot make it pass.
fn env() -> &'static Env {
    thread_local! {
        static ENV: &'static Env = Box::leak(Box::new(new_env()));
    }
    let env = ENV.with(|env| *env);
    env.emulator.clear_log();
    env
}

/// A number unique to this case, for fixture ids and texts.
fn case() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn new_env() -> Env {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let emulator = rt
        .block_on(Emulator::start(
            EmulatorConfig::new().request_log_capacity(16),
        ))
        .unwrap();
    let client = config_of(&emulator)
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Env {
        rt,
        emulator,
        client,
    }
}

/// Refused with a validation error, or else nothing at all was sent.
fn assert_refused_all<T: std::fmt::Debug>(results: Vec<Result<T, Error>>, env: &Env, id: &str) {
    for result in results {
        assert!(
            matches!(result, Err(Error::Validation { .. })),
            "id {id:?} was not refused: {result:?}"
        );
    }
    assert!(
        env.emulator.requests().is_empty(),
        "id {id:?} reached the server: {:?}",
        env.emulator.requests()
    );
}

const BYSTANDER: &str = "bystander-\u{1}";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn user_ids(id in hostile_id()) {
        prop_assume!(id != BYSTANDER);
        let env = env();
        let n = case();
        let name = format!("name {n} of {id:?}");
        if unaddressable(&id) {
            let users = env.client.users();
            let results = env.rt.block_on(async {
                vec![
                    users.upsert(&id, named(&name)).await,
                    users.get(&id).await.map(drop),
                    users.presence(&id).await.map(drop),
                    users.set_presence(&id, online()).await,
                    users.conversations(&id).limit(10).send().await.map(drop),
                ]
            });
            assert_refused_all(results, env, &id);
            return Ok(());
        }
        // Someone else, who must not be touched.
        env.rt.block_on(env.client.users().upsert(BYSTANDER, named("Bystander"))).unwrap();
        let existed = env.emulator.user(&id).is_some();
        let count = env.emulator.user_count();
        env.rt.block_on(env.client.users().upsert(&id, named(&name))).unwrap();
        // Stored under exactly this id, and read back through it.
        let stored = env.emulator.user(&id).unwrap();
        prop_assert_eq!(stored["name"].as_str(), Some(name.as_str()));
        let fetched = env.rt.block_on(env.client.users().get(&id)).unwrap();
        prop_assert_eq!(fetched.id.as_deref(), Some(id.as_str()));
        prop_assert_eq!(fetched.name.as_deref(), Some(name.as_str()));
        prop_assert_eq!(env.emulator.user_count(), count + usize::from(!existed));
        let bystander = env.emulator.user(BYSTANDER).unwrap();
        prop_assert_eq!(bystander["name"].as_str(), Some("Bystander"));

        // Presence: set through this id, seen through it, nobody else's.
        if !existed {
            let before = env.rt.block_on(env.client.users().presence(&id)).unwrap();
            prop_assert_eq!(before.visible, Some(false));
        }
        env.rt.block_on(env.client.users().set_presence(&id, online())).unwrap();
        let after = env.rt.block_on(env.client.users().presence(&id)).unwrap();
        prop_assert_eq!(after.visible, Some(true));
        prop_assert_eq!(after.availability.as_deref(), Some("online"));
        let other = env.rt.block_on(env.client.users().presence(BYSTANDER)).unwrap();
        prop_assert_eq!(other.visible, Some(false));

        // The user's conversations: theirs, none of the bystander's.
        let theirs = format!("theirs-{n}");
        env.rt.block_on(async {
            let conversations = env.client.conversations();
            conversations.upsert(&theirs, with_participants(&[&id])).await?;
            conversations.upsert(&format!("not-theirs-{n}"), with_participants(&[BYSTANDER])).await
        }).unwrap();
        let page = env.rt.block_on(
            env.client.users().conversations(&id).send(),
        ).unwrap();
        prop_assert!(page.items.iter().any(|c| c.id.as_deref() == Some(theirs.as_str())), "{:?}", page);
        for c in &page {
            let member = c.participants.as_ref().is_some_and(|p| p.contains_key(&id));
            prop_assert!(member, "{:?} is not {:?}'s", c.id, id);
        }
    }

    #[test]
    fn conversation_message_and_participant_ids(conversation in hostile_id(), member in hostile_id()) {
        prop_assume!(conversation != BYSTANDER && member != "sender");
        let env = env();
        let n = case();
        env.rt.block_on(async {
            env.client.users().upsert("sender", named("Sender")).await?;
            env.client.conversations().upsert(BYSTANDER, with_participants(&["sender"])).await?;
            if env.emulator.messages(BYSTANDER).is_empty() {
                env.client.messages(BYSTANDER).send(vec![text("sender", "bystander")]).await?;
            }
            Ok::<_, Error>(())
        }).unwrap();
        env.emulator.clear_log();
        // Every case deletes its conversation at the end: none left over.
        prop_assert_eq!(env.emulator.conversation_count(), 1);
        let (hi, old) = (format!("hi {n}"), format!("old {n}"));
        let conversations = env.client.conversations();
        let messages = env.client.messages(&conversation);
        if unaddressable(&conversation) {
            let results = env.rt.block_on(async {
                vec![
                    conversations.upsert(&conversation, with_participants(&["sender"])).await.map(drop),
                    conversations.get(&conversation).await.map(drop),
                    conversations.delete(&conversation).await,
                    conversations.join(&conversation, "sender", Access::Read, Notify::Off).await,
                    conversations.leave(&conversation, "sender").await,
                    conversations.mark_read(&conversation, "sender", ReadUntil::Sent).await,
                    messages.send(vec![text("sender", "hi")]).await.map(drop),
                    messages.import(vec![import("sender", "old", 1_600_000_000_000)]).await.map(drop),
                    messages.list().limit(10).send().await.map(drop),
                    messages.get("msg_x").await.map(drop),
                    messages.delete("msg_x").await,
                    messages.react("msg_x", "👍", "sender").await,
                ]
            });
            assert_refused_all(results, env, &conversation);
            prop_assert_eq!(env.emulator.conversation_count(), 1);
            return Ok(());
        }
        env.rt.block_on(conversations.upsert(&conversation, with_participants(&["sender"]))).unwrap();
        prop_assert!(env.emulator.conversation(&conversation).is_some());
        prop_assert_eq!(env.emulator.conversation_count(), 2);
        let got = env.rt.block_on(conversations.get(&conversation)).unwrap();
        prop_assert_eq!(got.id.as_deref(), Some(conversation.as_str()));

        let ids = env.rt.block_on(messages.send(vec![text("sender", &hi)])).unwrap();
        let stored = env.emulator.messages(&conversation);
        prop_assert_eq!(stored.len(), 1);
        let got = env.rt.block_on(messages.get(&ids[0])).unwrap();
        prop_assert_eq!(got.conversation_id.as_deref(), Some(conversation.as_str()));
        prop_assert_eq!(env.rt.block_on(messages.import(vec![import("sender", &old, 1_600_000_000_000)])).unwrap(), 1);
        let page = env.rt.block_on(messages.list().limit(10).send()).unwrap();
        let texts: Vec<_> = page.items.iter().map(|m| m.text.as_deref()).collect();
        prop_assert_eq!(texts, vec![Some(hi.as_str()), Some(old.as_str())]);
        prop_assert_eq!(env.emulator.messages(&conversation).len(), 2);

        // The member id in the participant path.
        if unaddressable(&member) {
            // Each participant-path call on its own: none reaches the server
            // or changes the participants (only "sender" stays).
            let before = env.emulator.conversation(&conversation).unwrap();
            env.emulator.clear_log();
            let results = env.rt.block_on(async {
                vec![
                    env.client.users().upsert(&member, named("Member")).await,
                    conversations.join(&conversation, &member, Access::Read, Notify::Off).await,
                    conversations.mark_read(&conversation, &member, ReadUntil::Sent).await,
                    conversations.leave(&conversation, &member).await,
                ]
            });
            assert_refused_all(results, env, &member);
            let after = env.emulator.conversation(&conversation).unwrap();
            prop_assert_eq!(&after, &before);
            let participants: Vec<&str> = after["participants"]
                .as_object()
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            prop_assert_eq!(participants, vec!["sender"]);
        } else {
            env.rt.block_on(async {
                env.client.users().upsert(&member, named("Member")).await?;
                conversations.join(&conversation, &member, Access::Read, Notify::Off).await?;
                conversations.mark_read(&conversation, &member, ReadUntil::Sent).await
            }).unwrap();
            let c = env.emulator.conversation(&conversation).unwrap();
            prop_assert!(c["participants"].get(&member).is_some(), "{} not in {}", member, c);
            env.rt.block_on(conversations.leave(&conversation, &member)).unwrap();
            let c = env.emulator.conversation(&conversation).unwrap();
            prop_assert!(c["participants"].get(&member).is_none());
            prop_assert!(c["participants"].get("sender").is_some(), "leave removed someone else");
        }

        // Deleting it deletes exactly it.
        env.rt.block_on(conversations.delete(&conversation)).unwrap();
        prop_assert!(env.emulator.conversation(&conversation).is_none());
        prop_assert!(env.emulator.messages(&conversation).is_empty());
        prop_assert_eq!(env.emulator.conversation_count(), 1);
        prop_assert_eq!(env.emulator.messages(BYSTANDER).len(), 1);
        let gone = env.rt.block_on(conversations.get(&conversation));
        prop_assert!(matches!(gone, Err(Error::NotFound { .. })), "{:?}", gone);
    }

    #[test]
    fn reaction_emoji_and_user_ids(emoji in hostile_id(), reactor in hostile_id()) {
        let env = env();
        let ids = env.rt.block_on(async {
            env.client.users().upsert("u", named("U")).await.unwrap();
            env.client.conversations().upsert("c", with_participants(&["u"])).await.unwrap();
            env.client.messages("c").send(vec![text("u", "react to me")]).await.unwrap()
        });
        env.emulator.clear_log();
        let find = || {
            env.emulator
                .messages("c")
                .into_iter()
                .find(|m| m["id"] == ids[0].as_str())
                .unwrap()
        };
        let messages = env.client.messages("c");
        if unaddressable(&emoji) || unaddressable(&reactor) {
            let results = env.rt.block_on(async {
                vec![
                    messages.react(&ids[0], &emoji, &reactor).await,
                    messages.unreact(&ids[0], &emoji, &reactor).await,
                ]
            });
            assert_refused_all(results, env, &format!("{emoji:?} / {reactor:?}"));
            return Ok(());
        }
        env.rt.block_on(messages.react(&ids[0], &emoji, &reactor)).unwrap();
        let stored = &find();
        prop_assert_eq!(
            stored["reactions"].as_object().map(|r| r.len()),
            Some(1),
            "{}", stored
        );
        prop_assert_eq!(&stored["reactions"][&emoji], &serde_json::json!([reactor]), "{}", stored);
        // A bystander's reaction under the same emoji stays when this one goes.
        prop_assume!(reactor != "u");
        env.rt.block_on(messages.react(&ids[0], &emoji, "u")).unwrap();
        env.rt.block_on(messages.unreact(&ids[0], &emoji, &reactor)).unwrap();
        let stored = &find();
        prop_assert_eq!(&stored["reactions"][&emoji], &serde_json::json!(["u"]), "{}", stored);
    }

    /// Hostile message ids, alone or wrapped around a real one (`../msg_1`,
    /// `msg_1/..`, `msg_1%2F`, `msg_1?x`): exactly that message, or
    /// NotFound, never another message; a hostile cursor reaches the server
    /// verbatim.
    #[test]
    fn message_ids(raw in hostile_id(), prefix in hostile_id(), suffix in hostile_id(), wrap in any::<bool>()) {
        let env = env();
        let (real, other) = env.rt.block_on(async {
            env.client.users().upsert("u", named("U")).await.unwrap();
            let conversations = env.client.conversations();
            conversations.upsert("c", with_participants(&["u"])).await.unwrap();
            conversations.upsert("d", with_participants(&["u"])).await.unwrap();
            let real = env.client.messages("c").send(vec![text("u", "in c")]).await.unwrap();
            let other = env.client.messages("d").send(vec![text("u", "in d")]).await.unwrap();
            (real[0].clone(), other[0].clone())
        });
        let mid = if wrap { format!("{prefix}{real}{suffix}") } else { raw };
        env.emulator.clear_log();
        let find = |conversation: &str, id: &str| {
            env.emulator
                .messages(conversation)
                .into_iter()
                .find(|m| m["id"] == id)
        };
        let snapshot = || (env.emulator.messages("c"), env.emulator.messages("d"));
        let before = snapshot();
        let messages = env.client.messages("c");
        let edit = || EditMessageBody::builder().text(Some("edited".to_string())).try_into().unwrap();

        // The cursor is a query parameter: it always goes out, verbatim.
        let page = env.rt.block_on(messages.list().limit(10).starting_after(&mid).send());
        match &page {
            Err(Error::Validation { .. }) => prop_assert!(env.emulator.requests().is_empty()),
            _ => {
                let log = env.emulator.requests();
                prop_assert_eq!(log.len(), 1);
                let query = log[0].query.clone().unwrap_or_default();
                let cursor = url::form_urlencoded::parse(query.as_bytes())
                    .find(|(k, _)| k == "startingAfter")
                    .map(|(_, v)| v.into_owned());
                prop_assert_eq!(cursor.as_deref(), Some(mid.as_str()), "{}", query);
                if mid == real {
                    // Older messages of earlier cases, never the cursor's own.
                    let page = page.as_ref().unwrap();
                    prop_assert!(page.items.iter().all(|m| m.id.as_deref() != Some(real.as_str())));
                } else {
                    prop_assert_eq!(page.as_ref().err().and_then(Error::status), Some(400), "{:?}", page);
                }
            }
        }
        env.emulator.clear_log();

        if unaddressable(&mid) {
            let results = env.rt.block_on(async {
                vec![
                    messages.get(&mid).await.map(drop),
                    messages.edit(&mid, edit()).await,
                    messages.delete(&mid).await,
                    messages.react(&mid, "👍", "u").await,
                    messages.unreact(&mid, "👍", "u").await,
                ]
            });
            assert_refused_all(results, env, &mid);
            prop_assert_eq!(snapshot(), before);
            return Ok(());
        }
        if mid == real {
            let got = env.rt.block_on(messages.get(&mid)).unwrap();
            prop_assert_eq!(got.id.as_deref(), Some(real.as_str()));
            env.rt.block_on(messages.edit(&mid, edit())).unwrap();
            let edited = find("c", &real).unwrap();
            prop_assert_eq!(edited["text"].as_str(), Some("edited"));
            env.rt.block_on(messages.delete(&mid)).unwrap();
            prop_assert!(find("c", &real).is_none());
            prop_assert_eq!(env.emulator.messages("c").len(), before.0.len() - 1);
            prop_assert_eq!(env.emulator.messages("d"), before.1);
            return Ok(());
        }
        prop_assume!(mid != other);
        env.rt.block_on(async {
            common::assert_not_found(messages.get(&mid).await);
            common::assert_not_found(messages.edit(&mid, edit()).await);
            common::assert_not_found(messages.react(&mid, "👍", "u").await);
            common::assert_not_found(messages.unreact(&mid, "👍", "u").await);
            common::assert_not_found(messages.delete(&mid).await);
        });
        prop_assert_eq!(snapshot(), before, "another message changed");
        prop_assert_eq!(env.emulator.requests().len(), 5);
    }

    /// The deprecated `participants={ids}[;topic={topic}]` paths: ids and
    /// topics without `,` or `;` reach exactly the conversation of those
    /// participants and that topic; with one, or empty, they are refused
    /// before anything is sent.
    #[test]
    fn legacy_participants_paths(a in hostile_id(), b in hostile_id(), topic in proptest::option::of(hostile_id())) {
        let env = env();
        let refused = |v: &str| v.is_empty() || v.contains([',', ';']);
        let legacy = env.client.conversation_by_participants(&[&a, &b]).and_then(|legacy| match &topic {
            Some(topic) => legacy.topic(topic),
            None => Ok(legacy),
        });
        if refused(&a) || refused(&b) || topic.as_deref().is_some_and(refused) {
            prop_assert!(matches!(legacy, Err(Error::Validation { .. })), "{:?}", legacy.map(|l| l.path().to_string()));
            prop_assert!(env.emulator.requests().is_empty());
            return Ok(());
        }
        let legacy = legacy.unwrap();
        let subject = format!("case {} between {a:?} and {b:?}", case());
        let count = env.emulator.conversation_count();
        let input: ConversationInput = ConversationInput::builder()
            .subject(Some(NullableString(Some(subject.clone()))))
            .try_into()
            .unwrap();
        env.rt.block_on(legacy.upsert(&input)).unwrap();
        // One conversation more, or one updated (the same participants and
        // topic in an earlier case).
        let count_after = env.emulator.conversation_count();
        prop_assert!(count_after == count || count_after == count + 1);
        let got = env.rt.block_on(legacy.get()).unwrap();
        let participants: BTreeSet<&str> = got
            .participants
            .as_ref()
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        prop_assert_eq!(participants, BTreeSet::from([a.as_str(), b.as_str()]));
        prop_assert_eq!(got.topic_id.as_deref(), topic.as_deref());
        prop_assert_eq!(got.subject.as_deref(), Some(subject.as_str()));
        let id = got.id.clone().unwrap();
        let stored = env.emulator.conversation(&id).unwrap();
        prop_assert_eq!(stored["subject"].as_str(), Some(subject.as_str()));

        let stored_before = env.emulator.messages(&id).len();
        let sent = env.rt.block_on(legacy.send(vec![text(&a, "legacy hi")])).unwrap();
        let stored = env.emulator.messages(&id);
        prop_assert_eq!(stored.len(), stored_before + 1);
        let last = stored.last().unwrap();
        prop_assert_eq!(last["id"].as_str(), Some(sent[0].as_str()));
        prop_assert_eq!(last["senderId"].as_str(), Some(a.as_str()));
        let page = env.rt.block_on(legacy.messages().limit(10).send()).unwrap();
        prop_assert_eq!(page.items.len(), (stored_before + 1).min(10));
        prop_assert_eq!(page.items[0].id.as_deref(), Some(sent[0].as_str()));
        prop_assert_eq!(env.emulator.conversation_count(), count_after);

        // Another topic (or none) is another conversation.
        let elsewhere = match &topic {
            Some(_) => None,
            None => Some("elsewhere"),
        };
        let other = env.client.conversation_by_participants(&[&a, &b]).unwrap();
        let other = match elsewhere {
            Some(topic) => other.topic(topic).unwrap(),
            None => other,
        };
        match env.rt.block_on(other.get()) {
            Err(Error::NotFound { .. }) => {}
            // Made by an earlier case: still another conversation.
            Ok(c) => {
                prop_assert_ne!(c.id.as_deref(), Some(id.as_str()));
                prop_assert_eq!(c.topic_id.as_deref(), elsewhere);
            }
            Err(e) => prop_assert!(false, "{:?}", e),
        }

        // Every request went to this one path.
        let prefix = format!("/v1/{}{}", env.emulator.app_id(), legacy.path());
        for record in env.emulator.requests().iter().rev().skip(1) {
            prop_assert!(
                record.path == prefix || record.path == format!("{prefix}/messages"),
                "{} is not below {}", record.path, prefix
            );
        }
    }
}
