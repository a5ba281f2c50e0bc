//! `talkjs export`: one conversation, one user, and an export to a file
//! that a rerun continues after a cut.

use serde_json::Value;

use crate::common::{client, dir, emulator, message, ok, run, seed_conversation, talkjs};

fn kinds(jsonl: &str) -> Vec<(String, String)> {
    jsonl
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line).unwrap();
            let id = v["id"]
                .as_str()
                .or(v["conversationId"].as_str())
                .unwrap_or("");
            (v["kind"].as_str().unwrap().to_owned(), id.to_owned())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_cut_short_is_continued_by_a_rerun() {
    let emu = emulator().await;
    let sdk = client(&emu);
    for c in ["c1", "c2", "c3"] {
        seed_conversation(&sdk, c, &["alice", "bob"]).await;
        let history = (0..5)
            .map(|n| message("alice", &format!("{c}-{n}"), n))
            .collect();
        sdk.messages(c).import(history).await.unwrap();
    }
    let files = dir("export");
    let out = files.join("app.jsonl");
    let mut command = talkjs(&emu);
    command.args(["export", "--out"]).arg(&out);
    ok(&run(command).await);
    let whole = std::fs::read_to_string(&out).unwrap();
    assert_eq!(whole.lines().count(), 2 + 3 * 6);

    // Cut in the middle of the second conversation, through a line.
    let cut = whole.match_indices('\n').nth(9).unwrap().0 + 10;
    std::fs::write(&out, &whole[..cut]).unwrap();
    let mut command = talkjs(&emu);
    command.args(["export", "--out"]).arg(&out);
    let stderr = String::from_utf8(run(command).await.stderr).unwrap();
    assert!(stderr.contains("already in the file"), "{stderr}");
    assert_eq!(
        kinds(&std::fs::read_to_string(&out).unwrap()),
        kinds(&whole)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_conversation_or_one_user_comes_with_its_participants() {
    let emu = emulator().await;
    let sdk = client(&emu);
    seed_conversation(&sdk, "c1", &["alice", "bob"]).await;
    seed_conversation(&sdk, "c2", &["carol", "dan"]).await;
    sdk.messages("c1")
        .import(vec![message("bob", "hi", 1)])
        .await
        .unwrap();

    let mut command = talkjs(&emu);
    command.args(["export", "--conversation", "c1"]);
    let lines = kinds(&ok(&run(command).await));
    let expected = [
        ("user", "alice"),
        ("user", "bob"),
        ("conversation", "c1"),
        ("message", "c1"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, i)| (k.to_string(), i.to_string()))
        .collect();
    assert_eq!(lines, expected);

    let mut command = talkjs(&emu);
    command.args(["export", "--user", "carol"]);
    let lines = kinds(&ok(&run(command).await));
    assert!(lines.contains(&("user".into(), "dan".into())), "{lines:?}");
    assert!(
        lines.contains(&("conversation".into(), "c2".into())),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|(_, id)| id == "c1" || id == "alice"),
        "{lines:?}"
    );
}
