//! Pagination: one page, a stream over every page, limits and time filters.
//!
//! ```sh
//! cargo run --example pagination
//! ```
//!
//! Every list (users, conversations, a user's conversations, messages) has
//! `page(limit, starting_after)` for one page and `stream(limit)` for every
//! item: the stream asks for each next page starting after the last id it
//! got, and stops on a short page.
//!
//! Runs against the in-process emulator unless `TALKJS_APP_ID` and
//! `TALKJS_SECRET_KEY` are set; then it creates user `pg-alice` and
//! conversations `pg-000` to `pg-249` in your app (and counts only those).

mod common;

use std::time::{Duration, SystemTime};

use common::{connect, step};
use futures::{StreamExt, TryStreamExt, stream};
use talkjs::{
    Error,
    pagination::List,
    types::{Conversation, ConversationInput, ImportMessageInput, UnixMillis, UserInput},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, emulator) = connect().await?;

    step("Setup: 250 conversations, upserted 8 at a time");
    let alice = UserInput::named("Alice");
    client.users().upsert("pg-alice", alice).await?;
    let ids: Vec<String> = (0..250).map(|i| format!("pg-{i:03}")).collect();
    let input = ConversationInput::with_participants(["pg-alice"]);
    let (client, input) = (&client, &input);
    stream::iter(&ids)
        .map(|id| async move { client.conversations().upsert(id, input.clone()).await })
        .buffer_unordered(8)
        .try_collect::<()>()
        .await?;

    step("One page of at most `limit`, then the page after its last id");
    let first = client.conversations().list().limit(100).send().await?;
    let cursor = first.next_cursor().unwrap_or("none (the last page)");
    println!(
        "  page 1: {} conversations, next cursor {cursor}",
        first.items.len()
    );
    if let Some(cursor) = first.next_cursor() {
        let second = client
            .conversations()
            .list()
            .starting_after(cursor)
            .send()
            .await?;
        println!("  page 2, starting after it: {}", second.items.len());
    }

    step("A stream over every page");
    if let Some(emulator) = &emulator {
        emulator.clear_log();
    }
    println!(
        "  streamed {} of ours",
        count(client.conversations().list()).await?
    );
    if let Some(emulator) = &emulator {
        // 100 + 100 + 50: the short third page ends the stream.
        println!("  in {} requests of 100", emulator.requests().len());
    }

    step("limit must be 1..=100; anything else fails before sending");
    for limit in [0, 101] {
        if let Err(e) = client.users().list().limit(limit).send().await {
            println!("  limit {limit}: {e}");
        }
    }
    // A stream checks its limit when first polled, and yields the error.
    let mut bad = Box::pin(client.messages("pg-000").list().limit(0).stream());
    if let Some(Err(e)) = bad.next().await {
        println!("  stream(0): {e}");
    }

    step("Time filters: lastMessageBefore / lastMessageAfter");
    let month_ago = SystemTime::now() - Duration::from_secs(30 * 86_400);
    for (i, id) in ids[..15].iter().enumerate() {
        // Imports keep their timestamp: 10 conversations went quiet a
        // month ago, 5 had a message just now.
        let at = if i < 10 { month_ago } else { SystemTime::now() };
        let message = ImportMessageInput::user_text("pg-alice", "News", at);
        client.messages(id.as_str()).import(vec![message]).await?;
    }
    println!("  pg-000..009: last message a month ago; pg-010..014: now; others: none");
    // A SystemTime or Unix milliseconds (or, with the `chrono` feature, a
    // chrono::DateTime<Utc>).
    let day_ago = SystemTime::now() - Duration::from_secs(86_400);
    let recent = client.conversations().list().after(day_ago);
    println!("  after(a day ago): {}", count(recent).await?);
    let quiet = client
        .conversations()
        .list()
        .before(UnixMillis::from(day_ago));
    println!("  before(a day ago, in ms): {}", count(quiet).await?);

    println!("\nDone.");
    Ok(())
}

/// Streams every conversation of `list`, 100 per request, and counts this
/// example's (a real app has others).
async fn count(list: List<'_, Conversation>) -> Result<usize, Error> {
    let all: Vec<_> = list.stream().try_collect().await?;
    let ours = all
        .iter()
        .filter(|c| c.id.as_deref().is_some_and(|id| id.starts_with("pg-")));
    Ok(ours.count())
}
