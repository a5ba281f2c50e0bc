//! Bulk jobs against the emulator: users upserted, history imported and
//! messages sent into many conversations, exactly once under heavy faults
//! and across a job killed halfway; exports that hold everything.

use std::collections::HashMap;
use std::time::Duration;

use futures::{TryStreamExt, stream};
use talkjs::bulk::{
    BulkReport, Checkpoint, CheckpointEvent, Exported, ImportItem, MemoryCheckpoint,
};
use talkjs::types::{ImportMessageInput, SendMessageInput, UserInput};
use talkjs::{Client, Error, RetryPolicy};
use talkjs_emulator::{Emulator, Fault};

use crate::common::{config_of, emulator, with_participants};

const CONVERSATIONS: usize = 6;
const PER_CONVERSATION: usize = 23;

/// `PER_CONVERSATION` messages for each of `CONVERSATIONS` conversations,
/// interleaved (as a file sorted by time would be): place `i` of
/// conversation `c` says `"c{c} #{i}"`.
fn history() -> Vec<ImportItem> {
    let mut items = Vec::new();
    // Runs of three messages of one conversation, so that a request holds
    // several, and conversations interleaved, as a file sorted by time is.
    for run in (0..PER_CONVERSATION).step_by(3) {
        for c in 0..CONVERSATIONS {
            for i in run..(run + 3).min(PER_CONVERSATION) {
                items.push(ImportItem {
                    conversation: format!("c{c}"),
                    message: ImportMessageInput::user_text(
                        "alice",
                        format!("c{c} #{i}"),
                        1_600_000_000_000 + i as i64,
                    ),
                });
            }
        }
    }
    items
}

async fn setup(client: &Client) {
    for id in ["alice", "bob"] {
        client
            .users()
            .upsert(id, UserInput::named(id))
            .await
            .unwrap();
    }
    for c in 0..CONVERSATIONS {
        let id = format!("c{c}");
        client
            .conversations()
            .upsert(&id, with_participants(&["alice", "bob"]))
            .await
            .unwrap();
    }
}

/// Every conversation holds each of its messages exactly once, in order.
fn assert_exactly_once(emulator: &Emulator) {
    for c in 0..CONVERSATIONS {
        let stored = emulator.messages(&format!("c{c}"));
        let mut texts: Vec<String> = stored
            .iter()
            .map(|m| m["text"].as_str().unwrap_or_default().to_owned())
            .collect();
        let expected: Vec<String> = (0..PER_CONVERSATION)
            .map(|i| format!("c{c} #{i}"))
            .collect();
        texts.sort_by_key(|t| t.rsplit('#').next().unwrap().parse::<usize>().unwrap());
        assert_eq!(texts, expected, "conversation c{c}");
    }
}

/// A client that retries a lot (the faults below hit a third of requests)
/// and settles an unknown outcome quickly.
fn patient(emulator: &Emulator) -> Client {
    let retry = RetryPolicy::default()
        .max_attempts(10)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(20));
    config_of(emulator)
        .retry(retry)
        .attempt_timeout(Duration::from_millis(150))
        .build()
        .unwrap()
}

/// Imports `history()` with `checkpoint` until nothing fails (a failed
/// conversation is resumed by the next run), at most `runs` times.
async fn import_until_done(
    client: &Client,
    checkpoint: &dyn Checkpoint,
    runs: usize,
) -> Vec<BulkReport> {
    let mut reports = Vec::new();
    for _ in 0..runs {
        let report = client
            .bulk()
            .settle(Duration::from_millis(400))
            .concurrency(4)
            .import(stream::iter(history()), checkpoint)
            .await
            .unwrap();
        let clean = report.failures.is_empty();
        reports.push(report);
        if clean {
            return reports;
        }
    }
    panic!(
        "still failing after {runs} runs: {:?}",
        reports.last().unwrap().failures
    );
}

#[tokio::test]
async fn an_import_stores_every_message_once_in_order_and_a_rerun_skips_it_all() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let checkpoint = MemoryCheckpoint::new();
    let total = (CONVERSATIONS * PER_CONVERSATION) as u64;
    let mut seen = Vec::new();
    let report = client
        .bulk()
        .total(total)
        .on_progress(|p| seen.push(p.clone()))
        .import(stream::iter(history()), &checkpoint)
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(
        (report.progress.done, report.progress.total),
        (total, Some(total))
    );
    assert!(
        seen.windows(2).all(|w| w[0].done <= w[1].done),
        "progress only grows"
    );
    assert_exactly_once(&emulator);
    // Each imported message carries its place and its content's
    // fingerprint, for reading back.
    let first = &emulator.messages("c0")[0];
    let marker = first["custom"]["talkjsImportKey"].as_str().unwrap();
    let fingerprint = marker.strip_prefix("import/0/").expect(marker);
    assert!(
        fingerprint.len() == 16 && fingerprint.bytes().all(|b| b.is_ascii_hexdigit()),
        "{first}"
    );
    // Every request was started, then acknowledged.
    let events = checkpoint.events();
    let acked = events
        .iter()
        .filter(|e| matches!(e, CheckpointEvent::Acked { .. }))
        .count();
    let started = events
        .iter()
        .filter(|e| matches!(e, CheckpointEvent::Started { .. }))
        .count();
    assert_eq!(acked, started);

    // The same input again: everything is skipped, nothing is sent.
    emulator.clear_log();
    let again = client
        .bulk()
        .import(stream::iter(history()), &checkpoint)
        .await
        .unwrap();
    assert_eq!((again.progress.done, again.progress.skipped), (0, total));
    assert!(emulator.requests().is_empty(), "{:?}", emulator.requests());
    assert_exactly_once(&emulator);
}

#[tokio::test]
async fn a_third_of_requests_faulted_still_imports_everything_exactly_once() {
    let (emulator, plain) = emulator().await;
    setup(&plain).await;
    let client = patient(&emulator);
    emulator.clear_log();
    emulator.set_fault_rate(
        0.35,
        vec![
            Fault::status(500),
            Fault::status(502),
            Fault::status(503),
            Fault::status(429),
            Fault::DropBeforeApply,
            Fault::DropAfterApply,
            Fault::StatusAfterApply { status: 502 },
            // Longer than the attempt timeout: applied after the client
            // gave up on it.
            Fault::Delay(Duration::from_millis(250)),
        ],
        7,
    );
    let checkpoint = MemoryCheckpoint::new();
    let reports = import_until_done(&client, &checkpoint, 10).await;
    // Users too, through the same faults.
    let users = (0..250).map(|i| (format!("u{i}"), UserInput::named(format!("User {i}"))));
    let mut user_reports = Vec::new();
    for _ in 0..10 {
        let report = client
            .bulk()
            .upsert_users(stream::iter(users.clone()))
            .await
            .unwrap();
        let clean = report.failures.is_empty();
        user_reports.push(report);
        if clean {
            break;
        }
    }
    let faults = emulator.fault_counts();
    let requests = emulator.requests().len() as u64;
    emulator.set_fault_rate(0.0, Vec::new(), 0);
    // Let any delayed request finish before reading.
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert!(
        faults.total() * 5 >= requests,
        "at least 20 % faulted: {faults:?} of {requests}"
    );
    assert!(
        faults.drop_after_apply + faults.status_after_apply > 0,
        "{faults:?}"
    );
    let retried: u64 = reports.iter().map(|r| r.progress.retried).sum();
    assert!(retried > 0, "the faults were retried");
    // Requests applied without an answer were found by reading back.
    let found: u64 = reports.iter().map(|r| r.progress.skipped).sum();
    assert!(
        found > 0,
        "{:?}",
        reports.iter().map(|r| &r.progress).collect::<Vec<_>>()
    );
    assert_exactly_once(&emulator);
    let everyone: Vec<_> = plain.users().list().stream().try_collect().await.unwrap();
    assert_eq!(everyone.len(), 252, "250 and alice and bob");
}

#[tokio::test]
async fn an_import_killed_halfway_resumes_and_stores_each_message_once() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let path = std::env::temp_dir().join(format!("talkjs-bulk-kill-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let total = (CONVERSATIONS * PER_CONVERSATION) as u64;
    {
        let checkpoint = talkjs::bulk::FileCheckpoint::open(&path).unwrap();
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let mut kill = Some(kill);
        let job = client
            .bulk()
            .concurrency(4)
            .on_progress(move |p| {
                if p.done >= total / 2
                    && let Some(kill) = kill.take()
                {
                    let _ = kill.send(());
                }
            })
            .import(stream::iter(history()), &checkpoint);
        // The job is dropped mid-flight: requests in flight are cut off,
        // as a killed process's would be.
        tokio::select! {
            _ = job => panic!("the job ended before it was killed"),
            _ = killed => {}
        }
    }
    let stored: usize = (0..CONVERSATIONS)
        .map(|c| emulator.messages(&format!("c{c}")).len())
        .sum();
    assert!(
        stored >= total as usize / 2 && stored < total as usize,
        "{stored}"
    );

    let checkpoint = talkjs::bulk::FileCheckpoint::open(&path).unwrap();
    let report = client
        .bulk()
        .settle(Duration::ZERO)
        .import(stream::iter(history()), &checkpoint)
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.progress.done + report.progress.skipped, total);
    assert_exactly_once(&emulator);
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn without_a_marker_an_unknown_outcome_is_reported_not_guessed() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    emulator.inject_fault(Fault::DropAfterApply);
    let one = vec![ImportItem {
        conversation: "c0".into(),
        message: ImportMessageInput::user_text("alice", "once", 1_600_000_000_000),
    }];
    let checkpoint = MemoryCheckpoint::new();
    // The run that lost the answer, and a run resuming it: neither knows
    // whether TalkJS stored the message, and neither sends it again.
    for run in 0..2 {
        let report = client
            .bulk()
            .without_marker()
            .import(stream::iter(one.clone()), &checkpoint)
            .await
            .unwrap();
        assert_eq!(report.failures.len(), 1, "run {run}");
        assert!(
            matches!(report.failures[0].error, Error::OutcomeUnknown { .. }),
            "run {run}: {:?}",
            report.failures
        );
        assert_eq!(report.failures[0].items, ["0"]);
        assert_eq!(
            emulator.messages("c0").len(),
            1,
            "applied once, never sent again"
        );
    }
}

#[tokio::test]
async fn without_a_marker_a_refused_conversation_is_not_left_in_doubt() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let items = || {
        stream::iter([ImportItem {
            conversation: "late".into(),
            message: ImportMessageInput::user_text("alice", "hello", 1_600_000_000_000),
        }])
    };
    let checkpoint = MemoryCheckpoint::new();
    let import = || client.bulk().without_marker().import(items(), &checkpoint);
    // The conversation does not exist yet: TalkJS refuses, storing nothing.
    let report = import().await.unwrap();
    assert!(
        matches!(&report.failures[..], [f] if matches!(f.error, Error::NotFound { .. })),
        "{:?}",
        report.failures
    );
    client
        .conversations()
        .upsert("late", with_participants(&["alice"]))
        .await
        .unwrap();
    // So the rerun sends it, rather than reporting an unknown outcome.
    let report = import().await.unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.progress.done, 1);
    assert_eq!(emulator.messages("late").len(), 1);
}

#[tokio::test]
async fn a_chunk_in_doubt_is_resumed_only_under_the_job_and_marker_that_sent_it() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let checkpoint = MemoryCheckpoint::new();
    // An earlier run, job "jan", sent c0's first two messages and died.
    checkpoint
        .record(&CheckpointEvent::Started {
            conversation: "c0".into(),
            first: 0,
            count: 2,
            job: Some("jan".into()),
            marker: Some(talkjs::bulk::DEFAULT_MARKER.into()),
        })
        .unwrap();
    let items = || {
        stream::iter((0..2).map(|i| ImportItem {
            conversation: "c0".into(),
            message: ImportMessageInput::user_text("alice", format!("m{i}"), 1_600_000_000_000 + i),
        }))
    };
    // Resumed under the default name, reading back could not find them.
    let report = client
        .bulk()
        .settle(Duration::ZERO)
        .import(items(), &checkpoint)
        .await
        .unwrap();
    assert!(
        matches!(&report.failures[..], [f] if matches!(&f.error, Error::Validation { field, .. } if field == "job")),
        "{:?}",
        report.failures
    );
    assert!(emulator.messages("c0").is_empty(), "nothing was sent");
    let report = client
        .bulk()
        .job("jan")
        .settle(Duration::ZERO)
        .import(items(), &checkpoint)
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.progress.done, 2);
}

#[tokio::test]
async fn a_message_that_already_sets_the_marker_key_is_refused_not_overwritten() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    // Exported after an earlier import: it carries that import's marker.
    let exported = || {
        ImportMessageInput::user_text("alice", "from before", 1_600_000_000_000).custom(
            HashMap::from([("talkjsImportKey".to_owned(), "old/7".to_owned())]),
        )
    };
    let items = vec![
        ImportItem {
            conversation: "c0".into(),
            message: exported(),
        },
        ImportItem {
            conversation: "c1".into(),
            message: ImportMessageInput::user_text("alice", "plain", 1_600_000_000_000),
        },
    ];
    let report = client
        .bulk()
        .import(stream::iter(items), &MemoryCheckpoint::new())
        .await
        .unwrap();
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    assert!(
        matches!(&report.failures[0].error, Error::Validation { field, .. } if field == "custom.talkjsImportKey"),
        "{:?}",
        report.failures
    );
    assert!(emulator.messages("c0").is_empty(), "nothing sent for it");
    assert_eq!(
        emulator.messages("c1").len(),
        1,
        "other conversations go on"
    );
    // With a key of its own, the job imports it and keeps the old value.
    let report = client
        .bulk()
        .marker("migrationKey")
        .import(
            stream::iter(vec![ImportItem {
                conversation: "c0".into(),
                message: exported(),
            }]),
            &MemoryCheckpoint::new(),
        )
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    let stored = emulator.messages("c0");
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0]["custom"]["talkjsImportKey"], "old/7",
        "{}",
        stored[0]
    );
    assert!(
        stored[0]["custom"]["migrationKey"]
            .as_str()
            .is_some_and(|marker| marker.starts_with("import/0/")),
        "{}",
        stored[0]
    );
}

#[tokio::test]
async fn users_are_upserted_100_per_request_and_a_bad_chunk_is_reported() {
    let (emulator, client) = emulator().await;
    let users: Vec<_> = (0..250)
        .map(|i| (format!("u{i}"), UserInput::named(format!("User {i}"))))
        .collect();
    let report = client
        .bulk()
        .upsert_users(stream::iter(users))
        .await
        .unwrap();
    assert_eq!(report.progress.done, 250);
    let puts = emulator
        .requests()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with("/users"))
        .count();
    assert_eq!(puts, 3);

    // An id twice within one request's 100: that request is reported, the
    // others go.
    let mut twice: Vec<_> = (0..150)
        .map(|i| (format!("v{i}"), UserInput::named("V")))
        .collect();
    twice[1].0 = "v0".into();
    let report = client
        .bulk()
        .upsert_users(stream::iter(twice))
        .await
        .unwrap();
    assert_eq!((report.progress.done, report.progress.failed), (50, 100));
    assert!(matches!(report.failures[0].error, Error::Validation { .. }));
}

#[tokio::test]
async fn two_unnamed_sends_are_two_messages_even_with_the_same_text() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let notice = || {
        stream::iter([(
            "c0".to_owned(),
            SendMessageInput::user_text("bob", "We have moved!"),
        )])
    };
    for _ in 0..2 {
        let report = client.bulk().send(notice()).await.unwrap();
        assert_eq!(report.progress.done, 1);
    }
    // And under one name, a different text at the same place is a new
    // message too (the key carries the content's fingerprint).
    let other = stream::iter([(
        "c0".to_owned(),
        SendMessageInput::user_text("bob", "We are back!"),
    )]);
    client.bulk().job("notices").send(notice()).await.unwrap();
    client.bulk().job("notices").send(other).await.unwrap();
    let texts: Vec<_> = emulator
        .messages("c0")
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(
        texts,
        [
            "We have moved!",
            "We have moved!",
            "We have moved!",
            "We are back!"
        ],
    );
}

#[tokio::test]
async fn two_imports_under_one_name_never_take_each_others_messages() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let item = |text: &str, at: i64| ImportItem {
        conversation: "c0".into(),
        message: ImportMessageInput::user_text("alice", text, 1_600_000_000_000 + at),
    };
    let first = [item("2019 a", 0), item("2019 b", 1)];
    let report = client
        .bulk()
        .import(stream::iter(first), &MemoryCheckpoint::new())
        .await
        .unwrap();
    assert_eq!(report.progress.done, 2);
    // The second import's request is lost before TalkJS applies it: the
    // read-back finds the first import's `import/0` and `import/1`, whose
    // content differs, so it sends its own.
    emulator.inject_fault(Fault::DropBeforeApply);
    let second = [item("2020 a", 10), item("2020 b", 11)];
    let report = client
        .bulk()
        .settle(Duration::ZERO)
        .import(stream::iter(second), &MemoryCheckpoint::new())
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!((report.progress.done, report.progress.skipped), (2, 0));
    let mut texts: Vec<_> = emulator
        .messages("c0")
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    texts.sort_by_key(|t| t.to_string());
    assert_eq!(texts, ["2019 a", "2019 b", "2020 a", "2020 b"]);
}

#[tokio::test]
async fn a_checkpoint_resumed_with_another_input_is_refused_not_skipped_by_count() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let item = |conversation: &str, text: &str| ImportItem {
        conversation: conversation.into(),
        message: ImportMessageInput::user_text("alice", text, 1_600_000_000_000),
    };
    let checkpoint = MemoryCheckpoint::new();
    let first = [item("c0", "jan"), item("c1", "jan"), item("c1", "feb")];
    let report = client
        .bulk()
        .import(stream::iter(first.clone()), &checkpoint)
        .await
        .unwrap();
    assert_eq!(report.progress.done, 3);

    // The next month's file under the same checkpoint: c0's first message
    // is not the one recorded (it used to be skipped by its count), c1's
    // two are in another order; c2 is new to the checkpoint.
    let next = [
        item("c0", "feb"),
        item("c0", "mar"),
        item("c1", "feb"),
        item("c1", "jan"),
        item("c2", "mar"),
    ];
    let report = client
        .bulk()
        .import(stream::iter(next), &checkpoint)
        .await
        .unwrap();
    assert_eq!((report.progress.done, report.progress.skipped), (1, 0));
    // Failures come in the order they complete.
    let mut refused: Vec<_> = report
        .failures
        .iter()
        .map(|f| {
            let kind = match &f.error {
                Error::Validation { field, rule }
                    if field == "input" && rule.contains("differ") =>
                {
                    "not the recorded input"
                }
                Error::NotSent { .. } => "not sent",
                other => panic!("{other:?}"),
            };
            (f.conversation_id.clone().unwrap(), f.items.join(","), kind)
        })
        .collect();
    refused.sort();
    assert_eq!(
        refused,
        [
            ("c0".to_owned(), "0".to_owned(), "not the recorded input"),
            ("c0".to_owned(), "1".to_owned(), "not sent"),
            ("c1".to_owned(), "0,1".to_owned(), "not the recorded input"),
        ]
    );
    let texts = |c: &str| -> Vec<_> {
        emulator
            .messages(c)
            .iter()
            .map(|m| m["text"].clone())
            .collect()
    };
    assert_eq!(texts("c0"), ["jan"]);
    assert_eq!(texts("c1"), ["jan", "feb"]);
    assert_eq!(texts("c2"), ["mar"]);

    // A shorter input is not the recorded one either; the same input is.
    let report = client
        .bulk()
        .import(stream::iter([item("c1", "jan")]), &checkpoint)
        .await
        .unwrap();
    assert!(
        matches!(&report.failures[..], [f] if f.error.to_string().contains("fewer than the 2")),
        "{:?}",
        report.failures
    );
    let report = client
        .bulk()
        .import(stream::iter(first), &checkpoint)
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!((report.progress.done, report.progress.skipped), (0, 3));
}

#[tokio::test]
async fn a_resumed_import_reads_back_only_after_the_cut_off_run_s_request_lands() {
    let (emulator, client) = emulator().await;
    setup(&client).await;
    let items = || {
        stream::iter((0..3).map(|i| ImportItem {
            conversation: "c0".into(),
            message: ImportMessageInput::user_text("alice", format!("m{i}"), 1_600_000_000_000 + i),
        }))
    };
    let checkpoint = MemoryCheckpoint::new();
    // TalkJS takes a second to apply the request, and the first run is cut
    // off (a crash, a dropped future) while it waits: the chunk is started,
    // not acknowledged, and still on its way.
    emulator.inject_fault(Fault::Delay(Duration::from_secs(1)));
    let cut = tokio::time::timeout(
        Duration::from_millis(200),
        client.bulk().import(items(), &checkpoint),
    )
    .await;
    assert!(cut.is_err(), "the first run is cut off");
    // Resumed at once: the read-back waits `settle` from the job's start,
    // finds the request applied, and sends nothing again.
    let report = client
        .bulk()
        .settle(Duration::from_secs(3))
        .import(items(), &checkpoint)
        .await
        .unwrap();
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!((report.progress.done, report.progress.skipped), (0, 3));
    let texts: Vec<_> = emulator
        .messages("c0")
        .iter()
        .map(|m| m["text"].clone())
        .collect();
    assert_eq!(texts, ["m0", "m1", "m2"]);
}

#[tokio::test]
async fn sends_reach_many_conversations_in_order_and_an_export_holds_everything() {
    let (_emulator, client) = emulator().await;
    setup(&client).await;
    let messages = (0..40).map(|i| {
        (
            format!("c{}", i % 4),
            SendMessageInput::user_text("bob", format!("n{i}")),
        )
    });
    let messages: Vec<_> = messages.collect();
    let report = client
        .bulk()
        .job("notices")
        .send(stream::iter(messages.clone()))
        .await
        .unwrap();
    assert_eq!(report.progress.done, 40);
    // The named job run again (a rerun after a crash): the same keys, so
    // nothing is stored twice (the order checks below would see it).
    client
        .bulk()
        .job("notices")
        .send(stream::iter(messages))
        .await
        .unwrap();
    for c in 0..4 {
        let stored: Vec<_> = client
            .messages(format!("c{c}"))
            .list()
            .stream()
            .try_collect()
            .await
            .unwrap();
        let texts: Vec<_> = stored.iter().rev().filter_map(|m| m.text.clone()).collect();
        let expected: Vec<_> = (0..10).map(|k| format!("n{}", c + 4 * k)).collect();
        assert_eq!(texts, expected, "c{c} in order");
    }

    let exported: Vec<Exported> = client.bulk().export().try_collect().await.unwrap();
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for item in &exported {
        let kind = match item {
            Exported::User(_) => "user",
            Exported::Conversation(_) => "conversation",
            Exported::Message { .. } => "message",
            _ => "other",
        };
        *kinds.entry(kind).or_default() += 1;
    }
    assert_eq!(kinds["user"], 2);
    assert_eq!(kinds["conversation"], CONVERSATIONS);
    assert_eq!(kinds["message"], 40);
    // Each message follows its conversation.
    let mut current = None;
    for item in &exported {
        match item {
            Exported::Conversation(c) => current = c.id.clone(),
            Exported::Message {
                conversation_id, ..
            } => assert_eq!(Some(conversation_id), current.as_ref()),
            _ => {}
        }
    }
    let line = serde_json::to_value(&exported[0]).unwrap();
    assert_eq!(line["kind"], "user");
    let message = exported
        .iter()
        .find(|e| matches!(e, Exported::Message { .. }))
        .unwrap();
    let line = serde_json::to_value(message).unwrap();
    assert_eq!(
        (&line["kind"], line["conversationId"].is_string()),
        (&serde_json::json!("message"), true),
        "{line}"
    );
}
