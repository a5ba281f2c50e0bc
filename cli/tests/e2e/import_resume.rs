//! An import stopped halfway (killed, or Ctrl-C) and run again stores each
//! message exactly once, in order.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Stdio},
};

use crate::common::{client, dir, emulator, items_file, ok, run, seed_conversation, talkjs, texts};

const CONVERSATIONS: [(&str, &str); 3] = [("c1", "alice"), ("c2", "bob"), ("c3", "alice")];
const PER_CONVERSATION: usize = 40;

/// Starts an import paced at 5 requests a second (12 requests: over two
/// seconds), and waits for `lines` progress lines on its stderr.
/// The child and the rest of its stderr (kept open: a closed pipe would
/// make its next progress line fail).
fn start_slow(command: &mut std::process::Command, lines: usize) -> (Child, Vec<String>, Stderr) {
    command
        .args(["--rate-limit", "5", "--burst", "1", "--plain"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in stderr.by_ref() {
        let line = line.unwrap();
        let progress = line.starts_with("import: ");
        seen.push(line);
        if progress && seen.iter().filter(|l| l.starts_with("import: ")).count() == lines {
            return (child, seen, stderr);
        }
    }
    let status = child.wait();
    panic!("the import ended ({status:?}) before {lines} progress lines: {seen:?}");
}

type Stderr = std::io::Lines<BufReader<std::process::ChildStderr>>;

async fn setup(name: &str) -> (talkjs_emulator::Emulator, std::path::PathBuf) {
    let emu = emulator().await;
    let client = client(&emu);
    for (id, _) in CONVERSATIONS {
        seed_conversation(&client, id, &["alice", "bob"]).await;
    }
    let files = dir(name);
    items_file(
        &files.join("history.jsonl"),
        &CONVERSATIONS,
        PER_CONVERSATION,
    );
    (emu, files)
}

fn import(emu: &talkjs_emulator::Emulator, files: &std::path::Path) -> std::process::Command {
    let mut command = talkjs(emu);
    command
        .arg("import")
        .arg(files.join("history.jsonl"))
        .arg("--checkpoint")
        .arg(files.join("history.checkpoint"));
    command
}

fn assert_exactly_once(emu: &talkjs_emulator::Emulator) {
    for (id, _) in CONVERSATIONS {
        let expected: Vec<String> = (0..PER_CONVERSATION).map(|n| format!("{id}-{n}")).collect();
        assert_eq!(texts(emu, id), expected, "conversation {id}");
    }
}

fn stored(emu: &talkjs_emulator::Emulator) -> usize {
    CONVERSATIONS
        .iter()
        .map(|(id, _)| emu.messages(id).len())
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_killed_halfway_resumes_exactly_once() {
    let (emu, files) = setup("killed").await;
    let (mut child, _, _stderr) = start_slow(&mut import(&emu, &files), 3);
    child.kill().unwrap();
    child.wait().unwrap();
    let before = stored(&emu);
    assert!(
        before > 0 && before < 120,
        "{before} stored before the kill"
    );

    let summary = ok(&run(import(&emu, &files)).await);
    assert!(summary.contains("\"skipped\""), "{summary}");
    assert_exactly_once(&emu);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_after_the_current_chunk_and_says_how_to_resume() {
    let (emu, files) = setup("ctrl-c").await;
    let mut command = import(&emu, &files);
    let (mut child, mut lines, rest) = start_slow(&mut command, 2);
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let (status, stderr) = tokio::task::spawn_blocking(move || {
        lines.extend(rest.map(Result::unwrap));
        (child.wait().unwrap(), lines.join("\n"))
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("run the same command again to resume"),
        "{stderr}"
    );
    assert!(stderr.contains("history.checkpoint"), "{stderr}");
    assert!(stored(&emu) < 120);

    ok(&run(import(&emu, &files)).await);
    assert_exactly_once(&emu);
}
