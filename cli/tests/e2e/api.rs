//! `talkjs api`: every operation of the spec, bodies from the flag, a file
//! or stdin, JSON on stdout, API errors as exit code 3.

use std::io::Write;
use std::process::Stdio;

use serde_json::Value;

use talkjs_emulator::Emulator;

use crate::common::{dir, emulator, ok, parts, run, talkjs};

#[tokio::test(flavor = "multi_thread")]
async fn operations_take_bodies_from_the_flag_a_file_or_stdin() {
    let emu = emulator().await;
    let mut command = talkjs(&emu);
    command.args([
        "api",
        "create-or-update-user",
        "--user-id",
        "alice",
        "--body",
    ]);
    command.arg(r#"{"name": "Alice", "custom": {"k": "v"}}"#);
    ok(&run(command).await);

    let files = dir("api");
    std::fs::write(files.join("bob.json"), r#"{"name": "Bob"}"#).unwrap();
    let mut command = talkjs(&emu);
    command.args(["api", "create-or-update-user", "--user-id", "bob", "--body"]);
    command.arg(format!("@{}", files.join("bob.json").display()));
    ok(&run(command).await);

    let mut command = talkjs(&emu);
    command
        .args([
            "api",
            "create-or-update-conversation",
            "--conversation-id",
            "c1",
            "--body",
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(br#"{"participants": ["alice", "bob"], "subject": "Hi"}"#)
            .unwrap();
        drop(stdin);
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    ok(&output);

    let mut command = talkjs(&emu);
    command.args(["api", "get-user", "--user-id", "alice"]);
    let user: Value = serde_json::from_str(&ok(&run(command).await)).unwrap();
    assert_eq!(
        (user["name"].as_str(), user["custom"]["k"].as_str()),
        (Some("Alice"), Some("v"))
    );
    let mut command = talkjs(&emu);
    command.args([
        "api",
        "list-user-conversations",
        "--user-id",
        "bob",
        "--limit",
        "5",
    ]);
    let list: Value = serde_json::from_str(&ok(&run(command).await)).unwrap();
    assert_eq!(list["data"][0]["subject"], "Hi");
}

/// Runs `talkjs ARGS` and asserts its exit code and a piece of its stderr.
async fn fails(emu: &Emulator, args: &[&str], code: i32, says: &str) {
    let mut command = talkjs(emu);
    command.args(args);
    let (got, _, stderr) = parts(&run(command).await);
    assert_eq!(got, Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(says), "{args:?}: {stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_have_exit_codes_and_say_what_to_do() {
    let emu = emulator().await;
    let mut command = talkjs(&emu);
    command.args(["api", "get-user", "--user-id", "nobody"]);
    let (code, stdout, stderr) = parts(&run(command).await);
    assert_eq!((code, stdout.as_str()), (Some(3), ""), "{stderr}");
    assert!(
        stderr.contains("404") && stderr.contains("check the ids"),
        "{stderr}"
    );

    let bad_body = [
        "api",
        "create-or-update-user",
        "--user-id",
        "a",
        "--body",
        "{not json",
    ];
    fails(&emu, &bad_body, 5, "--body is not JSON").await;
    // A value its type cannot take is a usage error, before anything is sent.
    let bad_limit = [
        "api",
        "list-user-conversations",
        "--user-id",
        "bob",
        "--limit",
        "five",
    ];
    fails(&emu, &bad_limit, 2, "not an integer").await;

    // Usage errors are clap's: exit code 2.
    let mut command = talkjs(&emu);
    command.args(["api", "get-user"]);
    assert_eq!(run(command).await.status.code(), Some(2));
    let mut command = talkjs(&emu);
    command.args(["api", "no-such-operation"]);
    assert_eq!(run(command).await.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_operations_help_names_its_body_fields() {
    let emu = emulator().await;
    let mut command = talkjs(&emu);
    command.args(["api", "import-messages", "--help"]);
    let help = ok(&run(command).await)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        help.contains("an array (at most 10) of objects with")
            && help.contains("timestamp*")
            && help.contains("(* required)"),
        "{help}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_operation_of_the_spec_is_a_subcommand() {
    let emu = emulator().await;
    let mut command = talkjs(&emu);
    command.args(["api", "--help"]);
    let help = ok(&run(command).await);
    let spec: Value = serde_json::from_str(talkjs::raw::PATCHED_SPEC).unwrap();
    let mut count = 0;
    for item in spec["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut kebab = String::new();
            for c in id.chars() {
                if c.is_uppercase() {
                    kebab.push('-');
                }
                kebab.extend(c.to_lowercase());
            }
            assert!(
                help.contains(&format!("  {kebab} ")),
                "{kebab} missing from\n{help}"
            );
            count += 1;
        }
    }
    assert!(count >= 20, "{count}");
}
