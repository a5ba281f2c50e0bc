//! Bad input gets an error naming the line or field and what to do, and
//! nothing already imported is lost.

use crate::common::{
    bare, client, dir, emulator, items_file, ok, parts, run, seed_conversation, talkjs, texts,
};

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_line_is_named_and_nothing_stored_is_lost() {
    let emu = emulator().await;
    seed_conversation(&client(&emu), "c1", &["alice", "bob"]).await;
    let files = dir("malformed");
    let good = files.join("good.jsonl");
    items_file(&good, &[("c1", "alice")], 4);
    let import = |file: &str| {
        let mut command = talkjs(&emu);
        command
            .arg("import")
            .arg(files.join(file))
            .arg("--checkpoint")
            .arg(files.join("cp"));
        command
    };
    ok(&run(import("good.jsonl")).await);

    // The same lines with a broken one and more after it.
    let mut text = std::fs::read_to_string(&good).unwrap();
    text.push_str("{\"conversation\": \"c1\", \"message\": {\"type\": \n");
    text.push_str(&text.lines().next().unwrap().replace("c1-0", "c1-new"));
    std::fs::write(files.join("bad.jsonl"), text + "\n").unwrap();
    let (code, _, stderr) = parts(&run(import("bad.jsonl")).await);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(stderr.contains("bad.jsonl:5:"), "{stderr}");
    assert!(
        stderr.contains("fix the line and run the same command again"),
        "{stderr}"
    );
    assert_eq!(texts(&emu, "c1"), ["c1-0", "c1-1", "c1-2", "c1-3"]);

    // A line that is JSON but not an import item names the field.
    std::fs::write(files.join("field.jsonl"), "{\"conversation\": \"c1\"}\n").unwrap();
    let (code, _, stderr) = parts(&run(import("field.jsonl")).await);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("field.jsonl:1:") && stderr.contains("message"),
        "{stderr}"
    );

    // A misspelt field is named, and nothing of the file is sent.
    let typo = text_of_first_line(&good).replace("\"text\"", "\"txt\"");
    std::fs::write(files.join("typo.jsonl"), typo + "\n").unwrap();
    let (code, _, stderr) = parts(&run(import("typo.jsonl")).await);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("typo.jsonl:1:") && stderr.contains("\"txt\""),
        "{stderr}"
    );
    assert_eq!(texts(&emu, "c1"), ["c1-0", "c1-1", "c1-2", "c1-3"]);
}

fn text_of_first_line(path: &std::path::Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let first = text.lines().next().unwrap().replace("c1-0", "c1-typo");
    assert!(first.contains("\"text\""), "{first}");
    first
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_sender_fails_its_conversation_only_and_a_rerun_finishes() {
    let emu = emulator().await;
    let sdk = client(&emu);
    seed_conversation(&sdk, "c1", &["alice", "bob"]).await;
    seed_conversation(&sdk, "c2", &["alice", "bob"]).await;
    let files = dir("unknown-user");
    let history = files.join("history.jsonl");
    items_file(&history, &[("c1", "alice"), ("c2", "zed")], 12);
    let import = || {
        let mut command = talkjs(&emu);
        command
            .arg("import")
            .arg(&history)
            .arg("--checkpoint")
            .arg(files.join("cp"));
        command
    };
    let (code, stdout, stderr) = parts(&run(import()).await);
    assert_eq!(code, Some(4), "{stdout}\n{stderr}");
    assert!(stderr.contains("conversation \"c2\""), "{stderr}");
    assert!(stderr.contains("zed"), "{stderr}");
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    assert_eq!(texts(&emu, "c1").len(), 12);
    assert!(texts(&emu, "c2").is_empty());

    // Fixed: zed joins c2; the rerun imports c2 and nothing of c1 again.
    sdk.users()
        .upsert("zed", talkjs::types::UserInput::named("Zed"))
        .await
        .unwrap();
    let c2 = talkjs::types::ConversationInput::with_participants(["zed"]);
    sdk.conversations().upsert("c2", c2).await.unwrap();
    ok(&run(import()).await);
    let expected = |c: &str| (0..12).map(|n| format!("{c}-{n}")).collect::<Vec<_>>();
    assert_eq!(texts(&emu, "c1"), expected("c1"));
    assert_eq!(texts(&emu, "c2"), expected("c2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_credentials_say_which_and_how() {
    let emu = emulator().await;
    let mut command = bare();
    command.args(["api", "get-user", "--user-id", "a"]);
    let (code, _, stderr) = parts(&run(command).await);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(
        stderr.contains("TALKJS_APP_ID") && stderr.contains("--app-id"),
        "{stderr}"
    );

    let mut command = bare();
    command
        .args(["--app-id", emu.app_id(), "--api-url", emu.base_url()])
        .args(["import", "x.jsonl"]);
    let (code, _, stderr) = parts(&run(command).await);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(
        stderr.contains("TALKJS_SECRET_KEY") && stderr.contains("--secret-key-file"),
        "{stderr}"
    );

    // A key file works (a Windows editor's byte order mark and line end
    // too); a missing one is named.
    let files = dir("credentials");
    std::fs::write(
        files.join("key"),
        format!("\u{feff}{}\r\n", emu.secret_key()),
    )
    .unwrap();
    let mut command = bare();
    command
        .args([
            "--app-id",
            emu.app_id(),
            "--api-url",
            emu.base_url(),
            "--secret-key-file",
        ])
        .arg(files.join("key"))
        .args(["api", "list-users"]);
    ok(&run(command).await);
    let mut command = bare();
    command
        .args(["--app-id", emu.app_id(), "--secret-key-file"])
        .arg(files.join("nope"))
        .args(["token", "user", "alice"]);
    let (code, _, stderr) = parts(&run(command).await);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_secret_key_is_never_printed_and_plain_http_is_refused() {
    let emu = emulator().await;
    let secret = "sk_test_do_not_print_me";
    let mut outputs = Vec::new();
    // A wrong key (401), the help, an import's failure and a refused URL.
    let mut command = talkjs(&emu);
    command
        .env("TALKJS_SECRET_KEY", secret)
        .args(["api", "get-user", "--user-id", "a"]);
    outputs.push(run(command).await);
    let mut command = talkjs(&emu);
    command.env("TALKJS_SECRET_KEY", secret).arg("--help");
    outputs.push(run(command).await);
    let mut command = talkjs(&emu);
    command
        .env("TALKJS_SECRET_KEY", secret)
        .env("TALKJS_API_URL", "http://example.com")
        .args(["api", "list-users"]);
    let refused = run(command).await;
    let (code, _, stderr) = parts(&refused);
    assert_eq!(code, Some(6), "{stderr}");
    assert!(
        stderr.contains("plain http") && stderr.contains("https://"),
        "{stderr}"
    );
    outputs.push(refused);
    for output in &outputs {
        let (_, stdout, stderr) = parts(output);
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "{stdout}\n{stderr}"
        );
    }
    assert_eq!(outputs[0].status.code(), Some(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_csv_row_names_its_line_and_field() {
    let emu = emulator().await;
    let files = dir("bad-csv");
    let csv = files.join("users.csv");
    std::fs::write(
        &csv,
        "id,name,photoURL\nalice,Alice,\nbob,Bob,https://x/b.png\n",
    )
    .unwrap();
    let mut command = talkjs(&emu);
    command.args(["users", "sync"]).arg(&csv);
    let (code, _, stderr) = parts(&run(command).await);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("users.csv:3:") && stderr.contains("photoURL"),
        "{stderr}"
    );
    assert_eq!(emu.user_count(), 0, "nothing of a bad file is sent");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_checkpoint_that_cannot_be_opened_stops_the_import_before_anything_is_sent() {
    let emu = emulator().await;
    let files = dir("bad-checkpoint");
    let export = files.join("export.jsonl");
    std::fs::write(
        &export,
        "{\"kind\": \"user\", \"id\": \"alice\", \"name\": \"Alice\"}\n",
    )
    .unwrap();
    let mut command = talkjs(&emu);
    command
        .arg("import")
        .arg(&export)
        .arg("--checkpoint")
        .arg(files.join("no-such-dir").join("cp"));
    let (code, _, stderr) = parts(&run(command).await);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(stderr.contains("cannot open the checkpoint"), "{stderr}");
    assert_eq!(
        emu.user_count(),
        0,
        "the users pass waits for the checkpoint"
    );
}
