//! File attachments: upload, send, read back.
//!
//! ```sh
//! cargo run --example files
//! ```
//!
//! TalkJS's `POST /files` is missing from its OpenAPI spec; the SDK adds it
//! as [`talkjs::Client::upload_file`] (bytes in memory) and
//! [`talkjs::Client::upload_path`] (a file on disk). Both return an
//! attachment token, which a message then carries as `attachmentToken`.
//!
//! Runs against the in-process emulator unless `TALKJS_APP_ID` and
//! `TALKJS_SECRET_KEY` are set; then it creates users `fx-alice`, `fx-bob`
//! and conversation `fx-files` in your app.

mod common;

use common::{connect, step};
use talkjs::types::{ConversationInput, SendMessageInput, UserInput};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (client, _emulator) = connect().await?;

    step("Setup: two users and their conversation");
    for (id, name) in [("fx-alice", "Alice"), ("fx-bob", "Bob")] {
        client.users().upsert(id, UserInput::named(name)).await?;
    }
    let conversation =
        ConversationInput::with_participants(["fx-alice", "fx-bob"]).subject("Invoices");
    client
        .conversations()
        .upsert("fx-files", conversation)
        .await?;
    println!("  fx-alice and fx-bob in conversation fx-files");

    step("Upload bytes from memory, with a filename and a MIME type");
    let csv = b"item,price\nboots,89.00\n".to_vec();
    let csv_token = client
        .upload_file("invoice.csv", csv)
        .mime("text/csv")
        .send()
        .await?;
    println!("  invoice.csv -> attachment token {}", short(&csv_token));

    step("Upload a file from disk (its file name becomes the filename)");
    let path = std::env::temp_dir().join(format!("talkjs-example-{}.txt", std::process::id()));
    std::fs::write(&path, "Delivery note: leave at the door.\n")?;
    // The MIME type is optional; this upload goes without one.
    let uploaded = client.upload_path(&path).send().await;
    std::fs::remove_file(&path)?;
    let note_token = uploaded?;
    println!(
        "  {} -> attachment token {}",
        path.display(),
        short(&note_token)
    );

    step("Validation: an empty filename or a malformed MIME type is refused locally");
    for (name, mime) in [("", "text/plain"), ("a.txt", "not a mime")] {
        match client
            .upload_file(name, b"x".to_vec())
            .mime(mime)
            .send()
            .await
        {
            Err(e) => println!("  {e}"),
            Ok(_) => println!("  unexpectedly accepted"),
        }
    }

    step("Send a message carrying each attachment");
    let mut ids = Vec::new();
    for token in [csv_token, note_token] {
        // A message carries exactly one of text, attachment, content or
        // location: an attachment message has no text.
        let message = SendMessageInput::user_attachment("fx-alice", token);
        ids.extend(client.messages("fx-files").send(vec![message]).await?);
    }
    println!("  sent messages {ids:?}");

    step("Fetch the messages: each shows its attachment's URL and size");
    for id in &ids {
        let message = client.messages("fx-files").get(id).await?;
        match message.attachment {
            Some(file) => println!(
                "  {id}: {} bytes at {}",
                file.size.unwrap_or_default(),
                file.url.as_deref().unwrap_or("?")
            ),
            None => println!("  {id}: no attachment"),
        }
    }

    println!("\nDone.");
    Ok(())
}

/// An attachment token is long; its start is enough to show.
fn short(token: &str) -> String {
    format!("{}...", token.chars().take(12).collect::<String>())
}
