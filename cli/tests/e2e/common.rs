//! Helpers: emulators, running the binary, reading its output.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    time::Duration,
};

use talkjs::raw::types::{ImportMessageInput, ImportMessageInputType};
use talkjs_emulator::{Emulator, EmulatorConfig};

/// A fresh emulator on loopback.
pub async fn emulator() -> Emulator {
    Emulator::start(EmulatorConfig::new().batch_interval(Duration::ZERO))
        .await
        .expect("emulator starts")
}

/// An SDK client of `emu`, to seed and read its data.
pub fn client(emu: &Emulator) -> talkjs::Client {
    talkjs::ClientConfig::new(emu.app_id(), emu.secret_key())
        .base_url(emu.base_url())
        .build()
        .expect("client builds")
}

/// The binary, with `emu`'s credentials in its environment and no other
/// TalkJS variable.
pub fn talkjs(emu: &Emulator) -> Command {
    let mut command = bare();
    command
        .env("TALKJS_APP_ID", emu.app_id())
        .env("TALKJS_SECRET_KEY", emu.secret_key())
        .env("TALKJS_API_URL", emu.base_url());
    command
}

/// The binary without credentials.
pub fn bare() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_talkjs"));
    for name in ["TALKJS_APP_ID", "TALKJS_SECRET_KEY", "TALKJS_API_URL"] {
        command.env_remove(name);
    }
    command.stdin(Stdio::null());
    command
}

/// Runs `command` to its end off the async runtime (the emulator serves
/// it meanwhile).
pub async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("joined")
}

/// The exit code, stdout and stderr of `output`.
pub fn parts(output: &Output) -> (Option<i32>, String, String) {
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Asserts success and returns stdout.
#[track_caller]
pub fn ok(output: &Output) -> String {
    let (code, stdout, stderr) = parts(output);
    assert_eq!(code, Some(0), "stdout: {stdout}\nstderr: {stderr}");
    stdout
}

/// A fresh directory for a test's files.
pub fn dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("talkjs-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A message to seed with `import`.
pub fn message(sender: &str, text: &str, timestamp: i64) -> ImportMessageInput {
    ImportMessageInput::builder()
        .type_(ImportMessageInputType::UserMessage)
        .sender(sender)
        .text(text.to_owned())
        .timestamp(timestamp)
        .read_by(Vec::new())
        .try_into()
        .unwrap()
}

/// Writes JSON lines of import items: `count` messages per conversation,
/// texts `"{conversation}-{n}"`, interleaved in chunks of 5.
pub fn items_file(path: &Path, conversations: &[(&str, &str)], count: usize) {
    let mut lines = Vec::new();
    for start in (0..count).step_by(5) {
        for (conversation, sender) in conversations {
            for n in start..(start + 5).min(count) {
                lines.push(
                    serde_json::json!({
                        "conversation": conversation,
                        "message": {"type": "UserMessage", "sender": sender,
                                    "text": format!("{conversation}-{n}"),
                                    "timestamp": 1_600_000_000_000i64 + n as i64, "readBy": []}
                    })
                    .to_string(),
                );
            }
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").unwrap();
}

/// The texts of a conversation's messages in the emulator, oldest first.
pub fn texts(emu: &Emulator, conversation: &str) -> Vec<String> {
    let mut messages = emu.messages(conversation);
    messages.sort_by_key(|m| m["createdAt"].as_i64());
    messages
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// Users `ids` and a conversation of them, through the SDK.
pub async fn seed_conversation(client: &talkjs::Client, id: &str, users: &[&str]) {
    for user in users {
        client
            .users()
            .upsert(user, talkjs::types::UserInput::named(*user))
            .await
            .unwrap();
    }
    let input = talkjs::types::ConversationInput::with_participants(users.iter().copied());
    client.conversations().upsert(id, input).await.unwrap();
}
