//! Importing message history: chunking, original timestamps, partial failure.
//!
//! ```sh
//! cargo run --example import
//! ```
//!
//! `Messages::import` stores messages with the `timestamp` you give (for
//! history moved over from another chat system) and notifies nobody. TalkJS
//! takes at most 10 per request, so the SDK sends longer lists as
//! consecutive requests of 10, in order. TalkJS does not de-duplicate
//! imports: if a request fails part-way, `Error::Partial` says how many
//! messages the earlier requests stored, so you resume from there.
//!
//! Runs against the in-process emulator unless `TALKJS_APP_ID` and
//! `TALKJS_SECRET_KEY` are set; then it creates users `im-alice`, `im-bob`,
//! `im-outsider` and conversations `im-history`, `im-partial` in your app.

mod common;

use std::time::{Duration, SystemTime};

use common::{connect, step};
use talkjs::{
    Error,
    types::{ConversationInput, ImportMessageInput, UnixMillis, UserInput},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, emulator) = connect().await?;

    step("Setup: users and two conversations between im-alice and im-bob");
    for id in ["im-alice", "im-bob", "im-outsider"] {
        client.users().upsert(id, UserInput::named(id)).await?;
    }
    for id in ["im-history", "im-partial"] {
        let input = ConversationInput::with_participants(["im-alice", "im-bob"]);
        client.conversations().upsert(id, input).await?;
    }

    step("Import 25 messages, one an hour, starting two days ago");
    let start = SystemTime::now() - Duration::from_secs(2 * 86_400);
    let history = (0..25)
        .map(|i| {
            let sender = if i % 2 == 0 { "im-alice" } else { "im-bob" };
            let at = start + Duration::from_secs(3_600 * i);
            ImportMessageInput::user_text(sender, format!("old message #{i}"), at)
        })
        .collect::<Vec<_>>();
    if let Some(emulator) = &emulator {
        emulator.clear_log();
    }
    let imported_count = client.messages("im-history").import(history).await?;
    println!("  imported {imported_count} messages");
    if let Some(emulator) = &emulator {
        let sizes: Vec<usize> = emulator
            .requests()
            .iter()
            .filter_map(|r| r.json()?.as_array().map(Vec::len))
            .collect();
        println!("  in {} requests of {sizes:?} messages", sizes.len());
    }

    step("Read them back: createdAt is the imported timestamp, origin is \"import\"");
    let messages = client
        .messages("im-history")
        .list()
        .limit(100)
        .send()
        .await?;
    // Newest first; show the two ends.
    for m in [messages.items.first(), messages.items.last()]
        .into_iter()
        .flatten()
    {
        let at = m
            .created_at
            // chrono (a dev-dependency here) only to print the time.
            .and_then(|t| chrono::DateTime::from_timestamp_millis(t.0))
            .unwrap_or_default();
        let text = m.text.as_deref().unwrap_or_default();
        let sender = m.sender_id.as_deref().unwrap_or_default();
        let origin = m.origin.as_deref().unwrap_or_default();
        println!("  {text:?} by {sender} at {at}, origin {origin:?}");
    }

    step("A failure part-way: message 12 is from a non-participant");
    let t0 = UnixMillis::from(start).0;
    let mut batch = (0..15)
        .map(|i| ImportMessageInput::user_text("im-alice", format!("batch #{i}"), t0 + i))
        .collect::<Vec<_>>();
    // Local validation can't know who takes part; TalkJS refuses it.
    batch[12].sender = "im-outsider".into();
    match client.messages("im-partial").import(batch.clone()).await {
        Err(Error::Partial {
            failed_chunk,
            applied,
            source,
            ..
        }) => {
            println!("  request {failed_chunk} (0-based) failed: {source}");
            println!("  (TalkJS counts within the request: its message 2 is our message 12)");
            println!("  the requests before it stored {applied} messages");
            // Imports are not de-duplicated: fix the rest and resume after them.
            batch[12].sender = "im-bob".into();
            let rest = batch.split_off(applied);
            let resumed = client.messages("im-partial").import(rest).await?;
            println!("  fixed message 12, resumed: {resumed} more imported");
        }
        Err(e) => println!("  failed before anything was stored: {e}"),
        Ok(n) => println!("  TalkJS accepted all {n} messages"),
    }
    let stored = client
        .messages("im-partial")
        .list()
        .limit(100)
        .send()
        .await?;
    println!(
        "  im-partial holds {} messages, none twice",
        stored.items.len()
    );

    step("Validation runs first: an invalid message means nothing is sent");
    let empty = ImportMessageInput::user_text("im-alice", "", t0);
    match client.messages("im-partial").import(vec![empty]).await {
        Err(e) => println!("  {e}"),
        Ok(_) => println!("  unexpectedly accepted"),
    }

    println!("\nDone.");
    Ok(())
}
