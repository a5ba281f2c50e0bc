//! The passes of an import from `talkjs export` lines: users (bulk
//! upsert), conversations (created with their participants' settings),
//! then the message items, each conversation's oldest first; and how every
//! pass reports what failed.

use std::{collections::VecDeque, path::Path};

use futures::{StreamExt, stream};
use serde_json::{Map, Value, json};
use talkjs::{
    Client,
    bulk::{BulkReport, ImportItem},
    raw::types::UserInput,
};

use crate::{
    convert::{self, ConversationPlan, MessagePlan},
    failure::{Failure, code},
    interrupt::Interrupt,
    progress::{Counts, Progress},
    records::{Slot, records},
};

/// What an export file's passes share.
pub struct Passes<'a> {
    /// The client of the target app.
    pub client: &'a Client,
    /// The export file.
    pub file: &'a Path,
    /// Plain progress lines.
    pub plain: bool,
    /// Ctrl-C.
    pub interrupt: &'a Interrupt,
}

/// How one pass ended.
#[derive(Debug, Default)]
pub struct PassReport {
    /// Items applied.
    pub done: u64,
    /// Items left out as already applied.
    pub skipped: u64,
    /// Items not applied.
    pub failed: u64,
    /// Retries and 429s met.
    pub retried: u64,
    /// 429 answers.
    pub throttled: u64,
    /// One line per failure: what, and why.
    pub failures: Vec<String>,
}

impl PassReport {
    /// A bulk job's report, its failures described.
    pub fn of_bulk(report: &BulkReport) -> Self {
        let p = &report.progress;
        let failures = report
            .failures
            .iter()
            .map(|failure| {
                let items = &failure.items;
                match &failure.conversation_id {
                    Some(conversation) => format!(
                        "conversation {conversation:?}: {} message(s) from place {} of its input \
                         not imported: {}",
                        items.len(),
                        items.first().map_or("?", String::as_str),
                        failure.error
                    ),
                    None => format!(
                        "users {}{} not upserted: {}",
                        items.iter().take(5).cloned().collect::<Vec<_>>().join(", "),
                        if items.len() > 5 {
                            format!(" and {} more", items.len() - 5)
                        } else {
                            String::new()
                        },
                        failure.error
                    ),
                }
            })
            .collect();
        PassReport {
            done: p.done,
            skipped: p.skipped,
            failed: p.failed,
            retried: p.retried,
            throttled: p.throttled,
            failures,
        }
    }

    /// The counts, for the JSON summary on stdout.
    /// A pass an earlier run completed over the same lines: `items` left
    /// out.
    pub fn skipped(items: u64) -> Self {
        PassReport {
            skipped: items,
            ..PassReport::default()
        }
    }

    /// The report as JSON, for the summary.
    pub fn json(&self) -> Value {
        json!({"done": self.done, "skipped": self.skipped, "failed": self.failed,
               "retried": self.retried, "throttled": self.throttled})
    }

    /// `Ok` when nothing failed; else the failures (partial when anything
    /// was applied, now or by an earlier run) and how to go on.
    pub fn check(&self, what: &str, resume: &str) -> Result<(), Failure> {
        if self.failures.is_empty() {
            return Ok(());
        }
        let code = if self.done + self.skipped > 0 {
            code::PARTIAL
        } else {
            code::API
        };
        Err(Failure::new(
            code,
            format!(
                "{what}: {} failed:\n  {}\nfix the cause (e.g. a sender who is not a participant \
                 of the conversation, or a user that does not exist: create it with `talkjs \
                 users sync`), then {resume}",
                self.failed,
                self.failures.join("\n  ")
            ),
        ))
    }
}

/// The kind of an export line.
fn kind(object: &Map<String, Value>) -> Option<&str> {
    object.get("kind").and_then(Value::as_str)
}

impl Passes<'_> {
    /// Upserts the file's users (idempotent; `talkjs import` skips the pass
    /// when an earlier run completed it over the same lines).
    pub async fn users(&self, total: u64) -> Result<PassReport, Failure> {
        let slot = Slot::default();
        let users = records(self.file, "an export line", &slot, |object| {
            match kind(object) {
                Some("user") => convert::user(object.clone()).map(Some),
                _ => Ok(None),
            }
        })?;
        let report = upsert(
            self.client,
            users,
            total,
            self.plain,
            self.interrupt,
            "users",
        )
        .await;
        slot.take()?;
        report
    }

    /// Creates or updates the file's conversations with their participants
    /// (idempotent `PUT`s), 8 at once.
    pub async fn conversations(&self, total: u64) -> Result<PassReport, Failure> {
        let slot = Slot::default();
        let plans = records(self.file, "an export line", &slot, |object| {
            match kind(object) {
                Some("conversation") => convert::conversation(object).map(Some),
                _ => Ok(None),
            }
        })?;
        let stop = self.interrupt.clone();
        let client = self.client;
        let progress = Progress::new("conversations", "conversations", Some(total), self.plain);
        let start = client.stats();
        let mut results = std::pin::pin!(
            stream::iter(plans)
                .take_while(move |_| std::future::ready(!stop.requested()))
                .map(|plan| async move { (plan.id.clone(), create(client, plan).await) })
                .buffer_unordered(8)
        );
        let mut report = PassReport::default();
        while let Some((id, result)) = results.next().await {
            match result {
                Ok(()) => report.done += 1,
                Err(error) => {
                    report.failed += 1;
                    report
                        .failures
                        .push(format!("conversation {id:?}: {error}"));
                }
            }
            let stats = client.stats().since(&start);
            (report.retried, report.throttled) = (stats.retries, stats.throttled);
            progress.show(Counts {
                position: report.done + report.failed,
                failed: report.failed,
                retried: report.retried,
                throttled: report.throttled,
                ..Counts::default()
            });
        }
        progress.finish();
        slot.take()?;
        Ok(report)
    }
}

/// Upserts `users` (a bulk job with progress) until they end or Ctrl-C.
pub async fn upsert(
    client: &Client,
    users: impl Iterator<Item = (String, UserInput)> + Send,
    total: u64,
    plain: bool,
    interrupt: &Interrupt,
    label: &'static str,
) -> Result<PassReport, Failure> {
    let stop = interrupt.clone();
    let users = stream::iter(users).take_while(move |_| std::future::ready(!stop.requested()));
    let progress = Progress::new(label, "users", Some(total), plain);
    let report = client
        .bulk()
        .total(total)
        .on_progress(|p| progress.bulk(p))
        .upsert_users(users)
        .await;
    progress.finish();
    let report = report.map_err(|e| Failure::api(label, e))?;
    Ok(PassReport::of_bulk(&report))
}

/// One conversation with its participants, then the participants whose
/// settings are not the defaults.
async fn create(client: &Client, plan: ConversationPlan) -> Result<(), talkjs::Error> {
    let conversations = client.conversations();
    conversations.upsert(&plan.id, plan.input).await?;
    for (user, access, notify) in plan.settings {
        conversations.join(&plan.id, &user, access, notify).await?;
    }
    Ok(())
}

/// The import items of an export file: each conversation's messages
/// (listed newest first in the export) put oldest first, so that the
/// import stores them in their order. One conversation's messages are held
/// at a time; the order is the same on every run over the same file, which
/// the checkpoint's places rely on.
pub fn messages(
    path: &Path,
    slot: &Slot,
) -> Result<impl Iterator<Item = ImportItem> + Send + use<>, Failure> {
    let mut plans = records(path, "an export line", slot, |object| match kind(object) {
        Some("message") => convert::message(object),
        _ => Ok(None),
    })?
    .peekable();
    let mut ready: VecDeque<ImportItem> = VecDeque::new();
    Ok(std::iter::from_fn(move || {
        if ready.is_empty() {
            let first = plans.next()?;
            let mut group: Vec<MessagePlan> = vec![first];
            while let Some(next) = plans.next_if(|p| p.conversation == group[0].conversation) {
                group.push(next);
            }
            // Stable: messages of the same millisecond keep their order,
            // reversed from the export's newest-first.
            group.reverse();
            group.sort_by_key(|p| p.timestamp);
            ready.extend(group.into_iter().map(|p| ImportItem {
                conversation: p.conversation,
                message: p.message,
            }));
        }
        ready.pop_front()
    }))
}
