//! Every id reaches exactly its resource, or is refused before sending.
//! Ids go through the raw client to a loopback server that records the path,
//! and through the typed layer to the emulator; `proptests` does the same
//! with random ids through every path-taking call.

mod proptests;

use percent_encoding::percent_decode_str;
use serde_json::json;
use talkjs::Error;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

use crate::common::{assert_validation, emulator, named, text, with_participants};

async fn recorder() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "x"})))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> talkjs::Client {
    talkjs::ClientConfig::new("app", "sk_test_path")
        .base_url(server.uri())
        .build()
        .unwrap()
}

fn matrix() -> Vec<String> {
    let mut ids: Vec<String> = [
        "a/b", r"a\b", "?x", "#x", "%2e%2e", "%2E%2E", "..%2f", "a b+c", "😀", "ü", ";", ",", "=",
        "a;b,c=d", "%", "%00", "...", ". ", " ..", "a/../b", "./a", "\u{0}", "\n", "\t\r",
        "\u{7f}", "\u{202e}", "\u{feff}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ids.push("k".repeat(1024));
    ids.push("/".repeat(1024));
    ids.push("é".repeat(512));
    ids
}

#[tokio::test]
async fn ids_reach_exactly_their_resource() {
    let server = recorder().await;
    let client = client(&server);
    for id in matrix() {
        client
            .raw()
            .get_user()
            .user_id(id.as_str())
            .send()
            .await
            .unwrap();
        let requests = server.received_requests().await.unwrap();
        let path = requests.last().unwrap().url.path().to_string();
        let segments: Vec<&str> = path.split('/').collect();
        assert_eq!(
            segments.len(),
            5,
            "id {id:?} changed the path shape: {path}"
        );
        assert_eq!(
            &segments[..4],
            ["", "v1", "app", "users"],
            "id {id:?}: {path}"
        );
        let decoded = percent_decode_str(segments[4]).decode_utf8().unwrap();
        assert_eq!(decoded, id, "id {id:?} arrived as {path}");
    }
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        matrix().len()
    );
}

#[tokio::test]
async fn ids_in_every_position_and_the_emoji_segment() {
    let server = recorder().await;
    let client = client(&server);
    let (c, m, e, u) = ("c/1", "m?2", "👍🏽", r"u\3");
    client
        .raw()
        .add_reaction()
        .conversation_id(c)
        .message_id(m)
        .emoji(e)
        .user_id(u)
        .send()
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let path = requests[0].url.path();
    let segments: Vec<String> = path
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8().unwrap().into_owned())
        .collect();
    assert_eq!(
        segments,
        [
            "",
            "v1",
            "app",
            "conversations",
            c,
            "messages",
            m,
            "reactions",
            e,
            u
        ]
    );
    assert!(requests[0].url.query().is_none(), "{}", requests[0].url);
}

#[tokio::test]
async fn unaddressable_ids_are_refused_before_sending() {
    let server = recorder().await;
    let client = client(&server);
    for id in ["", ".", ".."] {
        let result = client.raw().get_user().user_id(id).send().await;
        // The conversion's own message, naming the field and the rule
        // (build/rewrites.rs, `state_id_rule`).
        match result {
            Err(talkjs::raw::Error::InvalidRequest(message)) => assert_eq!(
                message,
                "conversion to `ResourceId` for user_id failed: must not be empty, \".\" or \"..\" \
                 (no URL can address such an id)"
            ),
            other => panic!("id {id:?} was not refused: {other:?}"),
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// The generated builders keep "not initialized" as an empty marker until
/// `send` (build.rs, `defer_missing_parameter_messages`): a raw call that
/// skips a setter still names the parameter, and sends nothing. (A set
/// value its conversion refuses keeps its own message: see
/// `unaddressable_ids_are_refused_before_sending`.)
#[tokio::test]
async fn a_raw_call_without_a_required_parameter_names_it() {
    let server = recorder().await;
    let client = client(&server);
    let api = client.raw();
    let missing = [
        ("user_id", api.get_user().send().await.map(drop)),
        (
            "conversation_id",
            api.send_messages().body(Vec::new()).send().await.map(drop),
        ),
        (
            "body",
            api.send_messages()
                .conversation_id("c1")
                .send()
                .await
                .map(drop),
        ),
    ];
    for (name, result) in missing {
        match result {
            Err(talkjs::raw::Error::InvalidRequest(message)) => {
                assert_eq!(message, format!("{name} was not initialized"))
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn ids_with_delimiters_reach_exactly_their_resource() {
    let (emu, client) = emulator().await;
    let ids = [
        "a/b",
        "?q=1",
        "#frag",
        "100%",
        "%2F",
        "😀",
        "a b",
        "a;b,c=d",
        r"back\slash",
        "...",
    ];
    for (i, id) in ids.iter().enumerate() {
        let name = format!("name {i}");
        client.users().upsert(id, named(&name)).await.unwrap();
        let got = client.users().get(id).await.unwrap();
        assert_eq!(got.id.as_deref(), Some(*id));
        assert_eq!(got.name.as_deref(), Some(name.as_str()));
        assert_eq!(emu.user(id).unwrap()["name"], name, "id {id:?}");
    }
    assert_eq!(emu.user_count(), ids.len());

    // The same through a conversation and a message's sub-resources.
    let (conv, user) = ("c/1?#%", "😀");
    client
        .conversations()
        .upsert(conv, with_participants(&[user, "a/b"]))
        .await
        .unwrap();
    let id = client
        .messages(conv)
        .send(vec![text(user, "odd ids")])
        .await
        .unwrap()
        .remove(0);
    client.messages(conv).react(&id, "👍🏽", "a/b").await.unwrap();
    assert_eq!(emu.messages(conv)[0]["reactions"], json!({"👍🏽": ["a/b"]}));
    assert_eq!(emu.conversation_count(), 1);

    for bad in ["", ".", ".."] {
        assert_validation(client.users().get(bad).await, "userId");
        assert!(matches!(
            client.conversations().get(bad).await,
            Err(Error::Validation { .. })
        ));
    }
}
