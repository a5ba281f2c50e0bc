//! An export of one app imported into a second app keeps every user,
//! conversation, participant (with access and notify), message text,
//! timestamp, reader and custom field.

use serde_json::{Value, json};
use talkjs::{
    Access, Notify,
    types::{ConversationInput, UserInput},
};

use crate::common::{client, dir, emulator, message, ok, run, talkjs};

async fn seed(client: &talkjs::Client) {
    let users = [
        (
            "alice",
            json!({"name": "Alice", "email": ["alice@example.com"], "role": "buyer",
                         "photoUrl": "https://example.com/a.png", "locale": "nl-NL",
                         "welcomeMessage": "Hi!", "custom": {"tier": "gold", "country": "NL"}}),
        ),
        (
            "bob",
            json!({"name": "Bob", "phone": ["+31600000000"], "custom": {"tier": "silver"}}),
        ),
        ("carol", json!({"name": "Carol"})),
    ];
    for (id, user) in users {
        let user: UserInput = serde_json::from_value(user).unwrap();
        client.users().upsert(id, user).await.unwrap();
    }
    let c1: ConversationInput = serde_json::from_value(json!({
        "subject": "Order 42", "photoUrl": "https://example.com/c.png",
        "custom": {"order": "42"}, "welcomeMessages": ["Welcome"],
        "participants": ["alice", "bob"]}))
    .unwrap();
    client.conversations().upsert("order-42", c1).await.unwrap();
    let c2 = ConversationInput::with_participants(["alice", "carol"]);
    client.conversations().upsert("support", c2).await.unwrap();
    client
        .conversations()
        .join("support", "carol", Access::Read, Notify::MentionsOnly)
        .await
        .unwrap();
    // 23 messages: more than two import requests' worth, some with custom
    // data and readers.
    let mut history = Vec::new();
    for n in 0..23i64 {
        let sender = if n % 2 == 0 { "alice" } else { "bob" };
        let mut m = message(
            sender,
            &format!("message {n}"),
            1_600_000_000_000 + n * 1000,
        );
        if n % 3 == 0 {
            m = serde_json::from_value(json!({"type": "UserMessage", "sender": sender,
                "text": format!("message {n}"), "timestamp": 1_600_000_000_000 + n * 1000,
                "readBy": ["alice", "bob"], "custom": {"n": n.to_string()}}))
            .unwrap();
        }
        history.push(m);
    }
    client.messages("order-42").import(history).await.unwrap();
    client
        .messages("support")
        .import(vec![
            message("alice", "help", 1_600_000_100_000),
            message("carol", "on it", 1_600_000_200_000),
        ])
        .await
        .unwrap();
    client
        .messages("support")
        .send(vec![talkjs::types::SendMessageInput::user_text(
            "alice", "thanks",
        )])
        .await
        .unwrap();
}

/// What must survive of a message.
fn kept(message: &Value) -> Value {
    let mut custom = message["custom"].clone();
    if let Some(custom) = custom.as_object_mut() {
        custom.remove("talkjsImportKey");
    }
    json!({"type": message["type"], "sender": message["senderId"], "text": message["text"],
           "createdAt": message["createdAt"], "readBy": message["readBy"], "custom": custom})
}

/// What must survive of a conversation.
fn conversation(value: &Value) -> Value {
    let participants: serde_json::Map<String, Value> = value["participants"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, p)| {
            (
                id.clone(),
                json!({"access": p["access"], "notify": p["notify"]}),
            )
        })
        .collect();
    json!({"subject": value["subject"], "photoUrl": value["photoUrl"], "custom": value["custom"],
           "welcomeMessages": value["welcomeMessages"], "participants": participants})
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_imports_into_another_app_with_everything_kept() {
    let (source, target) = (emulator().await, emulator().await);
    seed(&client(&source)).await;
    let files = dir("migration");
    let export = files.join("app.jsonl");

    let mut command = talkjs(&source);
    command.args(["export", "--out"]).arg(&export);
    ok(&run(command).await);
    let import = || async {
        let mut command = talkjs(&target);
        let checkpoint = files.join("cp");
        command
            .arg("import")
            .arg(&export)
            .arg("--checkpoint")
            .arg(checkpoint);
        serde_json::from_str::<Value>(ok(&run(command).await).trim()).unwrap()
    };
    let summary = import().await;
    assert_eq!(summary["users"]["done"], 3, "{summary}");
    assert_eq!(summary["conversations"]["done"], 2, "{summary}");
    assert_eq!(summary["messages"]["done"], 26, "{summary}");

    for id in ["alice", "bob", "carol"] {
        let (mut from, mut to) = (source.user(id).unwrap(), target.user(id).unwrap());
        from.as_object_mut().unwrap().remove("createdAt");
        to.as_object_mut().unwrap().remove("createdAt");
        assert_eq!(from, to, "user {id}");
    }
    for id in ["order-42", "support"] {
        let (from, to) = (
            source.conversation(id).unwrap(),
            target.conversation(id).unwrap(),
        );
        assert_eq!(conversation(&from), conversation(&to), "conversation {id}");
        let from: Vec<Value> = source.messages(id).iter().map(kept).collect();
        let to: Vec<Value> = target.messages(id).iter().map(kept).collect();
        assert_eq!(from, to, "messages of {id}");
    }
    assert_eq!(target.user_count(), 3);
    assert_eq!(target.conversation_count(), 2);

    // The same import again stores nothing twice, and sends no upsert of
    // the users and conversations it already created.
    let summary = import().await;
    assert_eq!(summary["messages"]["skipped"], 26, "{summary}");
    assert_eq!(
        (&summary["users"]["done"], &summary["users"]["skipped"]),
        (&json!(0), &json!(3)),
        "{summary}"
    );
    assert_eq!(summary["conversations"]["skipped"], 2, "{summary}");
    // A user line changed: the users pass runs again.
    let text = std::fs::read_to_string(&export).unwrap();
    std::fs::write(&export, text.replacen("\"Alice\"", "\"Alice B.\"", 1)).unwrap();
    let summary = import().await;
    assert_eq!(summary["users"]["done"], 3, "{summary}");
    assert_eq!(summary["conversations"]["skipped"], 2, "{summary}");
    assert_eq!(target.user("alice").unwrap()["name"], "Alice B.");
    assert_eq!(target.messages("order-42").len(), 23);
    assert_eq!(target.messages("support").len(), 3);
}
