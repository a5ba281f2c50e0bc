//! `token user`, `webhook verify`, `users sync` and `anonymise`.

use serde_json::Value;
use talkjs::{SecretString, webhooks::WebhookVerifier};

use crate::common::{client, dir, emulator, message, ok, parts, run, seed_conversation, talkjs};

/// A JWT's payload, decoded (base64url without padding).
fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut bits, mut count, mut bytes) = (0u32, 0, Vec::new());
    for c in part.bytes() {
        let value = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            bytes.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_token_is_signed_for_the_app() {
    let emu = emulator().await;
    let mut command = talkjs(&emu);
    command.args(["token", "user", "alice", "--expires-in", "3600"]);
    let jwt = ok(&run(command).await);
    let claims = payload(jwt.trim());
    assert_eq!(
        (claims["sub"].as_str(), claims["iss"].as_str()),
        (Some("alice"), Some(emu.app_id()))
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    // A bad argument is a usage error (2), not a credentials one (6).
    for bad in [
        &["token", "user", ""][..],
        &["token", "user", "alice", "--expires-in", "0"],
    ] {
        let mut command = talkjs(&emu);
        command.args(bad);
        let (code, _, stderr) = parts(&run(command).await);
        assert_eq!(code, Some(2), "{bad:?}: {stderr}");
    }
}

/// A reader that stopped before the output (`talkjs token .. | true`) is
/// not an error: no panic, exit 0.
#[tokio::test(flavor = "multi_thread")]
async fn output_to_a_closed_pipe_is_not_a_failure() {
    let emu = emulator().await;
    let (reader, writer) = std::io::pipe().unwrap();
    // Closed before the binary starts: its first write meets EPIPE.
    drop(reader);
    let mut command = talkjs(&emu);
    command
        .args(["token", "user", "alice"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped());
    let output = run(command).await;
    let (code, _, stderr) = parts(&output);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_to_a_closed_pipe_stops_quietly() {
    let emu = emulator().await;
    let sdk = client(&emu);
    seed_conversation(&sdk, "c1", &["alice", "bob"]).await;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = talkjs(&emu);
    command
        .arg("export")
        .stdout(writer)
        .stderr(std::process::Stdio::piped());
    let (code, _, stderr) = parts(&run(command).await);
    assert_eq!(code, Some(0), "stderr: {stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn progress_to_a_closed_stderr_is_not_a_failure() {
    let emu = emulator().await;
    let files = dir("closed-stderr");
    let lines: String = (0..300)
        .map(|n| format!("{{\"id\": \"u{n}\", \"name\": \"User {n}\"}}\n"))
        .collect();
    std::fs::write(files.join("users.jsonl"), lines).unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    // Closed before the binary starts: every progress line meets EPIPE.
    drop(reader);
    let mut command = talkjs(&emu);
    command
        .args(["users", "sync"])
        .arg(files.join("users.jsonl"))
        .stderr(writer);
    let output = run(command).await;
    assert_eq!(output.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&output.stdout).contains("\"done\":300"));
    assert_eq!(emu.user_count(), 300);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_webhook_request_is_verified() {
    let emu = emulator().await;
    let files = dir("webhook");
    let body = br#"{"type":"message.sent","id":"evt_1","createdAt":1700000000000,"data":{}}"#;
    std::fs::write(files.join("body.json"), body).unwrap();
    let verifier = WebhookVerifier::new(SecretString::from(emu.secret_key().to_owned()));
    let signature = verifier.sign("1700000000000", body);
    let verify = |signature: &str, timestamp: &str| {
        let mut command = talkjs(&emu);
        command
            .args(["webhook", "verify", "--body"])
            .arg(files.join("body.json"))
            .args(["--signature", signature, "--timestamp", timestamp]);
        command
    };
    let stdout = ok(&run(verify(&signature, "1700000000000")).await);
    assert!(
        stdout.contains("\"valid\":true") && stdout.contains("message.sent"),
        "{stdout}"
    );

    let (code, _, stderr) = parts(&run(verify(&signature, "1700000000001")).await);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("byte for byte"), "{stderr}");
    let mut old = verify(&signature, "1700000000000");
    old.args(["--max-age", "300"]);
    assert_eq!(run(old).await.status.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn users_sync_upserts_csv_and_jsonl() {
    let emu = emulator().await;
    let files = dir("sync");
    std::fs::write(
        files.join("users.csv"),
        "id,name,email,role,custom.tier\nalice,Alice,a@x.com;alice@y.com,buyer,gold\nbob,Bob,,,\n",
    )
    .unwrap();
    let mut command = talkjs(&emu);
    command.args(["users", "sync"]).arg(files.join("users.csv"));
    let summary = ok(&run(command).await);
    assert!(summary.contains("\"done\":2"), "{summary}");
    let alice = emu.user("alice").unwrap();
    assert_eq!(
        alice["email"],
        serde_json::json!(["a@x.com", "alice@y.com"])
    );
    assert_eq!(
        (alice["role"].as_str(), alice["custom"]["tier"].as_str()),
        (Some("buyer"), Some("gold"))
    );
    assert!(emu.user("bob").unwrap()["role"].is_null());

    let lines: String = (0..250)
        .map(|n| format!("{{\"id\": \"u{n}\", \"name\": \"User {n}\"}}\n"))
        .collect();
    std::fs::write(files.join("users.jsonl"), lines).unwrap();
    let mut command = talkjs(&emu);
    command
        .args(["users", "sync"])
        .arg(files.join("users.jsonl"));
    ok(&run(command).await);
    assert_eq!(emu.user_count(), 252);
    assert_eq!(emu.user("u249").unwrap()["name"], "User 249");

    // A CSV whose name does not say so.
    std::fs::write(files.join("users.txt"), "id,name\ncarol,Carol\n").unwrap();
    let mut command = talkjs(&emu);
    command
        .args(["users", "sync", "--format", "csv"])
        .arg(files.join("users.txt"));
    ok(&run(command).await);
    assert_eq!(emu.user("carol").unwrap()["name"], "Carol");
}

#[tokio::test(flavor = "multi_thread")]
async fn anonymise_is_a_dry_run_until_yes() {
    let emu = emulator().await;
    let sdk = client(&emu);
    seed_conversation(&sdk, "c1", &["alice", "bob"]).await;
    sdk.messages("c1")
        .import(vec![
            message("alice", "my address", 1),
            message("bob", "ok", 2),
        ])
        .await
        .unwrap();
    let anonymise = |extra: &[&str]| {
        let mut command = talkjs(&emu);
        command.args(["anonymise", "alice"]).args(extra);
        command
    };
    let (code, stdout, stderr) = parts(&run(anonymise(&[])).await);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("\"dryRun\":true") && stdout.contains("\"messagesEdited\":1"),
        "{stdout}"
    );
    assert!(stderr.contains("--yes"), "{stderr}");
    assert_eq!(emu.user("alice").unwrap()["name"], "alice");

    let files = dir("anonymise");
    let mut apply = anonymise(&["--yes", "--every-message", "--resume"]);
    apply.arg(files.join("done"));
    ok(&run(apply).await);
    assert_eq!(emu.user("alice").unwrap()["name"], "[DELETED]");
    let texts: Vec<Value> = emu
        .messages("c1")
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, ["[DELETED]", "[DELETED]"]);
    assert_eq!(std::fs::read_to_string(files.join("done")).unwrap(), "c1\n");

    let (code, _, stderr) = parts(
        &run({
            let mut c = talkjs(&emu);
            c.args(["anonymise", "nobody"]);
            c
        })
        .await,
    );
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("no user \"nobody\""), "{stderr}");
}
