//! A tour of the TalkJS REST API through this SDK.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! With no environment it starts the local TalkJS emulator in-process, so no
//! account is needed. With `TALKJS_APP_ID` and `TALKJS_SECRET_KEY` (and
//! optionally `TALKJS_API_URL`) set, the same tour runs against that server:
//! it creates users `qs-alice`, `qs-bob`, `qs-carol` and conversation
//! `qs-order-42` in your app.

mod common;

use std::time::{Duration, SystemTime};

use common::{connect, step};
use futures::TryStreamExt;
use talkjs::{
    Access, BatchOp, Notify, ReadUntil,
    types::{ConversationInput, ImportMessageInput, NullableString, SendMessageInput, UserInput},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Keep the emulator alive for the whole tour (it stops when dropped).
    let (client, _emulator) = connect().await?;

    step("Users: create or update (PUT merges like PATCH)");
    for (id, name) in [
        ("qs-alice", "Alice"),
        ("qs-bob", "Bob"),
        ("qs-carol", "Carol"),
    ] {
        let user = UserInput::named(name)
            .email(format!("{}@example.com", name.to_lowercase()))
            .role("buyer");
        client.users().upsert(id, user).await?;
        println!("  upserted {id} ({name})");
    }
    let alice = client.users().get("qs-alice").await?;
    println!(
        "  fetched qs-alice: name {:?}, email {:?}",
        alice.name, alice.email
    );
    // An explicit null clears a field; fields left unset stay as they are.
    let clear_role = UserInput::default().role(NullableString::NULL);
    client.users().upsert("qs-alice", clear_role).await?;
    let alice = client.users().get("qs-alice").await?;
    println!(
        "  cleared qs-alice's role: role {:?}, name still {:?}",
        alice.role, alice.name
    );

    step("A conversation with two participants");
    let order = ConversationInput::with_participants(["qs-alice", "qs-bob"])
        .subject("Order #42: leather boots");
    client.conversations().upsert("qs-order-42", order).await?;
    println!("  upserted qs-order-42 with qs-alice and qs-bob");

    step("Participants: carol joins read-only, notified on mentions only");
    client
        .conversations()
        .join(
            "qs-order-42",
            "qs-carol",
            Access::Read,
            Notify::MentionsOnly,
        )
        .await?;
    let conversation = client.conversations().get("qs-order-42").await?;
    let mut people: Vec<_> = conversation
        .participants
        .unwrap_or_default()
        .into_keys()
        .collect();
    people.sort();
    println!("  participants now: {people:?}");

    step("Messages: a user message and a system message in one request");
    let ids = client
        .messages("qs-order-42")
        .send(vec![
            SendMessageInput::user_text("qs-alice", "Are the boots still available?"),
            SendMessageInput::system_text("Alice opened a support request."),
        ])
        .await?;
    println!("  sent {} messages: {ids:?}", ids.len());

    step("Validation happens before sending");
    let invalid = SendMessageInput {
        sender: None,
        ..SendMessageInput::user_text("qs-alice", "no sender")
    };
    match client.messages("qs-order-42").send(vec![invalid]).await {
        Err(e) => println!("  refused locally: {e}"),
        Ok(_) => println!("  unexpectedly accepted"),
    }

    step("Files: upload, then send the attachment token");
    let token = client
        .upload_file("boots.txt", b"size 42, brown".to_vec())
        .mime("text/plain")
        .send()
        .await?;
    let shown: String = token.chars().take(12).collect();
    println!("  uploaded boots.txt, attachment token {shown}...");
    let with_file = SendMessageInput::user_attachment("qs-bob", token);
    let ids = client.messages("qs-order-42").send(vec![with_file]).await?;
    // `send` returns exactly one id per message sent.
    let id = &ids[0];
    let sent = client.messages("qs-order-42").get(id).await?;
    println!("  message {id} carries attachment {:?}", sent.attachment);

    step("Listing: one page, then a stream over every page");
    let page = client
        .messages("qs-order-42")
        .list()
        .limit(2)
        .send()
        .await?;
    for m in &page {
        println!(
            "  page 1: [{}] {:?}",
            m.type_.as_ref().map_or("?", |t| t.as_str()),
            m.text
        );
    }
    let all: Vec<_> = client
        .messages("qs-order-42")
        .list()
        .limit(2)
        .stream()
        .try_collect()
        .await?;
    println!(
        "  the stream fetched all {} messages, newest first, 2 per request",
        all.len()
    );

    step("A filtered conversation list: last message within the past hour");
    let hour_ago = SystemTime::now() - Duration::from_secs(3_600);
    let recent: Vec<_> = client
        .conversations()
        .list()
        .after(hour_ago)
        .stream()
        .try_collect()
        .await?;
    println!(
        "  {} conversation(s) had a message in the past hour",
        recent.len()
    );
    // Carol joined and has read nothing: the conversation is unread for her.
    let unread = client
        .users()
        .conversations("qs-carol")
        .unreads_only()
        .send()
        .await?;
    println!(
        "  qs-carol has {} unread conversation(s)",
        unread.items.len()
    );

    step("Import history with original timestamps");
    let yesterday = talkjs::types::UnixMillis::from(SystemTime::now()).0 - 86_400_000;
    let welcome =
        ImportMessageInput::user_text("qs-bob", "(imported) Welcome to the shop!", yesterday)
            .read_by(["qs-alice"]);
    let imported = client.messages("qs-order-42").import(vec![welcome]).await?;
    println!("  imported {imported} message(s) dated yesterday");

    step("Batch: several operations in one request");
    let outcomes = client
        .batch(vec![
            BatchOp::get_user("qs-alice")?,
            BatchOp::get_conversation("qs-order-42")?,
            BatchOp::get_user("qs-nobody")?,
        ])
        .await?;
    for (op, outcome) in ["GET qs-alice", "GET qs-order-42", "GET qs-nobody"]
        .iter()
        .zip(&outcomes)
    {
        println!("  {op}: {}", outcome.status);
    }

    step("Mark read");
    client
        .conversations()
        .mark_read("qs-order-42", "qs-bob", ReadUntil::Sent)
        .await?;
    println!("  qs-bob has read everything in qs-order-42");

    step("The deprecated participants= path (getOrStartConversation apps)");
    let legacy = client
        .conversation_by_participants(&["qs-alice", "qs-carol"])?
        .topic("boots")?;
    let subject = ConversationInput::default().subject("Boots, by participants");
    legacy.upsert(&subject).await?;
    let found = legacy.get().await?;
    println!("  {} -> conversation {:?}", legacy.path(), found.id);

    step("Errors keep the status and TalkJS's body");
    match client.users().get("qs-nobody").await {
        Err(e @ talkjs::Error::NotFound { .. }) => println!("  {e}"),
        other => println!("  unexpected: {other:?}"),
    }

    println!(
        "\nDone. The same code runs against TalkJS when TALKJS_APP_ID and TALKJS_SECRET_KEY are set."
    );
    Ok(())
}
