//! Batch: typed operations in one `POST /batch`, results in your order,
//! at most one batch request per second.
//!
//! ```sh
//! cargo run --example batch
//! ```
//!
//! A [`talkjs::BatchOp`] is built from the same input types and path
//! encoding as the direct calls. `Client::batch` numbers the operations
//! (their sequence numbers), sends at most 10 per request, and puts each
//! answer back in the position of its operation, whatever order TalkJS ran
//! and answered them in. TalkJS accepts one batch request per second per
//! app: the client waits as needed, so several batches just take longer.
//!
//! Runs against the in-process emulator unless `TALKJS_APP_ID` and
//! `TALKJS_SECRET_KEY` are set; then it creates users `ba-alice`, `ba-bob`,
//! `ba-carol` and conversation `ba-chat` in your app.

mod common;

use std::time::Instant;

use common::{connect, step};
use talkjs::{
    BatchOp, BatchOutcome,
    types::{ConversationInput, SendMessageInput, UserInput},
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, emulator) = connect().await?;
    let started = Instant::now();

    step("Batch 1: three user upserts in one request");
    let mut ops = Vec::new();
    for (id, name) in [
        ("ba-alice", "Alice"),
        ("ba-bob", "Bob"),
        ("ba-carol", "Carol"),
    ] {
        ops.push(BatchOp::put_user(id, &UserInput::named(name))?);
    }
    let outcomes = client.batch(ops).await?;
    report(
        &["PUT ba-alice", "PUT ba-bob", "PUT ba-carol"],
        &outcomes,
        started,
    );

    step("Batch 2: mixed operations; the client waits until a second has passed");
    let chat = ConversationInput::with_participants(["ba-alice", "ba-bob"]).subject("Batch demo");
    let labels = [
        "PUT ba-chat",
        "GET ba-carol",
        "GET ba-nobody",
        "GET no-such-chat",
    ];
    let ops = vec![
        BatchOp::put_conversation("ba-chat", &chat)?,
        BatchOp::get_user("ba-carol")?,
        BatchOp::get_user("ba-nobody")?,
        BatchOp::get_conversation("no-such-chat")?,
    ];
    if let Some(emulator) = &emulator {
        emulator.clear_log();
    }
    let outcomes = client.batch(ops).await?;
    report(&labels, &outcomes, started);
    // One failed operation doesn't fail the batch: each has its own status.
    let carol = &outcomes[1];
    println!("  outcome 1 is ba-carol's: name {}", carol.body["name"]);
    if let Some(emulator) = &emulator {
        // On the wire each operation carries its sequence number; TalkJS's
        // answer carries it too, which is how outcome i finds operation i.
        for request in emulator.requests() {
            for op in request
                .json()
                .unwrap_or_default()
                .as_array()
                .into_iter()
                .flatten()
            {
                let body = if op.get(3).is_some() { " + body" } else { "" };
                println!("  sent [{}, {}, {}{body}]", op[0], op[1], op[2]);
            }
        }
    }

    step("Batch 3: 12 message sends become 2 requests (10 + 2), a second apart");
    let mut ops = Vec::new();
    for i in 0..12 {
        let message = SendMessageInput::user_text("ba-alice", format!("batched message #{i}"));
        // Validated and given an idempotency key, like a direct send.
        ops.push(BatchOp::send_messages("ba-chat", vec![message])?);
    }
    let outcomes = client.batch(ops).await?;
    let ok = outcomes.iter().filter(|o| o.is_success()).count();
    println!(
        "  {ok} of {} sends succeeded, done at {} ms (requests at >= 2 s and >= 3 s)",
        outcomes.len(),
        started.elapsed().as_millis()
    );
    let page = client.messages("ba-chat").list().limit(100).send().await?;
    println!("  ba-chat now holds {} messages", page.items.len());

    println!("\nDone: three batch calls, four requests, each at least a second after the last.");
    Ok(())
}

fn report(labels: &[&str], outcomes: &[BatchOutcome], started: Instant) {
    println!(
        "  answered at {} ms since the start",
        started.elapsed().as_millis()
    );
    for (i, (label, outcome)) in labels.iter().zip(outcomes).enumerate() {
        println!("  outcome {i} ({label}): {}", outcome.status);
    }
}
