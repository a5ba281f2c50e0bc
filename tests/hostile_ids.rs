//! Property test: random ids through every path-taking call reach exactly
//! that id in the emulator, or are refused before anything is sent.

use std::time::Duration;

use proptest::prelude::*;
use talkjs::{
    Access, Client, ClientConfig, Error, Notify, ReadUntil,
    raw::types::{
        ConversationInput, NullableString, SendMessageInput, SendMessageInputType, UserInput,
    },
};
use talkjs_emulator::{Emulator, EmulatorConfig};

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

fn env() -> Env {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let emulator = rt
        .block_on(Emulator::start(
            EmulatorConfig::new().request_log_capacity(16),
        ))
        .unwrap();
    let client = ClientConfig::new(emulator.app_id(), emulator.secret_key())
        .base_url(emulator.base_url())
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    Env {
        rt,
        emulator,
        client,
    }
}

fn assert_refused(result: Result<impl std::fmt::Debug, Error>, env: &Env, id: &str) {
    match result {
        Err(Error::Validation { .. }) => {}
        other => panic!("id {id:?} was not refused: {other:?}"),
    }
    assert!(
        env.emulator.requests().is_empty(),
        "id {id:?} reached the server"
    );
}

fn user(name: &str) -> UserInput {
    UserInput::builder()
        .name(Some(NullableString(Some(name.to_string()))))
        .try_into()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn user_ids(id in hostile_id()) {
        let env = env();
        let name = format!("name of {id:?}");
        let result = env.rt.block_on(env.client.users().upsert(&id, user(&name)));
        if unaddressable(&id) {
            assert_refused(result, &env, &id);
            return Ok(());
        }
        result.unwrap();
        // Stored under exactly this id, and read back through it.
        let stored = env.emulator.user(&id).unwrap();
        prop_assert_eq!(stored["name"].as_str(), Some(name.as_str()));
        let fetched = env.rt.block_on(env.client.users().get(&id)).unwrap();
        prop_assert_eq!(fetched.id.as_deref(), Some(id.as_str()));
        prop_assert_eq!(fetched.name.as_deref(), Some(name.as_str()));
        prop_assert_eq!(env.emulator.user_count(), 1);
        let presence = env.rt.block_on(env.client.users().presence(&id));
        prop_assert!(presence.is_ok(), "{:?}", presence);
    }

    #[test]
    fn conversation_message_and_participant_ids(conversation in hostile_id(), member in hostile_id()) {
        let env = env();
        let result = env.rt.block_on(async {
            env.client.users().upsert("sender", user("Sender")).await?;
            let input: ConversationInput = ConversationInput::builder()
                .participants(vec!["sender".to_string()])
                .try_into()
                .unwrap();
            env.client.conversations().upsert(&conversation, input).await
        });
        if unaddressable(&conversation) {
            prop_assert!(matches!(result, Err(Error::Validation { .. })), "{:?}", result);
            prop_assert_eq!(env.emulator.conversation_count(), 0);
            return Ok(());
        }
        result.unwrap();
        prop_assert!(env.emulator.conversation(&conversation).is_some());
        prop_assert_eq!(env.emulator.conversation_count(), 1);

        let message: SendMessageInput = SendMessageInput::builder()
            .type_(SendMessageInputType::UserMessage)
            .sender(Some("sender".to_string()))
            .text(Some("hi".to_string()))
            .try_into()
            .unwrap();
        let ids = env.rt.block_on(env.client.messages(&conversation).send(vec![message])).unwrap();
        let stored = env.emulator.messages(&conversation);
        prop_assert_eq!(stored.len(), 1);
        let got = env.rt.block_on(env.client.messages(&conversation).get(&ids[0])).unwrap();
        prop_assert_eq!(got.conversation_id.as_deref(), Some(conversation.as_str()));

        // The member id in the participant path.
        let joined = env.rt.block_on(async {
            env.client.users().upsert(&member, user("Member")).await?;
            env.client.conversations().join(&conversation, &member, Access::Read, Notify::Off).await?;
            env.client.conversations().mark_read(&conversation, &member, ReadUntil::Sent).await
        });
        if unaddressable(&member) {
            prop_assert!(matches!(joined, Err(Error::Validation { .. })), "{:?}", joined);
        } else {
            joined.unwrap();
            let c = env.emulator.conversation(&conversation).unwrap();
            prop_assert!(c["participants"].get(&member).is_some(), "{} not in {}", member, c);
            env.rt.block_on(env.client.conversations().leave(&conversation, &member)).unwrap();
            let c = env.emulator.conversation(&conversation).unwrap();
            prop_assert!(c["participants"].get(&member).is_none());
            prop_assert!(c["participants"].get("sender").is_some(), "leave removed someone else");
        }
    }

    #[test]
    fn reaction_emoji(emoji in hostile_id()) {
        let env = env();
        let ids = env.rt.block_on(async {
            env.client.users().upsert("u", user("U")).await.unwrap();
            let input: ConversationInput = ConversationInput::builder()
                .participants(vec!["u".to_string()])
                .try_into()
                .unwrap();
            env.client.conversations().upsert("c", input).await.unwrap();
            let m: SendMessageInput = SendMessageInput::builder()
                .type_(SendMessageInputType::UserMessage)
                .sender(Some("u".to_string()))
                .text(Some("react to me".to_string()))
                .try_into()
                .unwrap();
            env.client.messages("c").send(vec![m]).await.unwrap()
        });
        let result = env.rt.block_on(env.client.messages("c").react(&ids[0], &emoji, "u"));
        if unaddressable(&emoji) {
            prop_assert!(matches!(result, Err(Error::Validation { .. })), "{:?}", result);
            return Ok(());
        }
        result.unwrap();
        let stored = &env.emulator.messages("c")[0];
        prop_assert_eq!(&stored["reactions"][&emoji], &serde_json::json!(["u"]), "{}", stored);
    }
}
