//! `talkjs anonymise USER`: the SDK's GDPR erasure (`Users::anonymise`),
//! a dry run unless `--yes`; with `--resume FILE`, finished conversations
//! are recorded and skipped by the next run.

use std::{
    fs::OpenOptions,
    io::Write,
    path::{Path, PathBuf},
};

use serde_json::json;
use talkjs::{AnonymiseReport, Client};

use crate::{
    args::AnonymiseArgs,
    failure::{Failure, code},
    interrupt::Interrupt,
    progress::{Counts, Progress},
};

/// Runs the anonymisation (or its dry run).
pub async fn run(
    client: &Client,
    args: &AnonymiseArgs,
    plain: bool,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let user = args.user.as_str();
    let skip = match &args.resume {
        Some(path) => finished(path)?,
        None => Vec::new(),
    };
    let mut job = client.users().anonymise(user).skip_conversations(skip);
    if args.every_message {
        job = job.every_message();
    }
    if args.conversations {
        job = job.conversations_too();
    }
    let failed = |e: talkjs::Error| match e {
        talkjs::Error::NotFound { .. } => Failure::new(
            code::API,
            format!("no user {user:?} in this app: check the id (and the app id)"),
        ),
        e => Failure::api(&format!("anonymising {user:?}"), e),
    };
    if !args.yes {
        let report = job.dry_run().send().await.map_err(failed)?;
        crate::output::print_line("the summary", summary(user, &report))?;
        crate::output::note(format_args!(
            "dry run: nothing was changed; to apply it, run the same command with --yes \
             ({} message(s) in {} conversation(s) would be edited to [DELETED])",
            report.messages_edited,
            report.conversations.len()
        ));
        return Ok(());
    }

    let progress = Progress::new("anonymise", "conversations", None, plain);
    let mut record = args.resume.as_deref().map(Recorder::new);
    let (tick, ticks) = tokio::sync::watch::channel(0usize);
    let job = job.on_progress(|p| {
        if let Some(record) = &mut record {
            record.finished(&p.conversation_id);
        }
        progress.show(Counts {
            position: p.done as u64,
            ..Counts::default()
        });
        tick.send_replace(p.done);
    });
    // Ctrl-C stops after the conversation in progress: the job is dropped
    // once the next one is finished (every change is an idempotent PUT, so
    // the request dropped with it is harmless either way).
    let stop = async {
        interrupt.pressed().await;
        let mut ticks = ticks.clone();
        ticks.borrow_and_update();
        let _ = ticks.changed().await;
    };
    let resume = match &args.resume {
        Some(path) => format!(
            "run the same command again: the conversations recorded in {} are skipped",
            path.display()
        ),
        None => "run the same command again (its changes are idempotent; with --resume FILE \
                 the finished conversations are skipped)"
            .into(),
    };
    let outcome = tokio::select! {
        outcome = job.send() => Some(outcome),
        () = stop => None,
    };
    progress.finish();
    match outcome {
        Some(Ok(report)) => crate::output::print_line("the summary", summary(user, &report)),
        Some(Err(talkjs::Error::Partial {
            applied_ids,
            source,
            ..
        })) => Err(Failure::new(
            code::PARTIAL,
            format!(
                "anonymising {user:?} stopped after {} conversation(s): {source}; {resume}",
                applied_ids.len()
            ),
        )),
        Some(Err(e)) => Err(failed(e)),
        None => Err(Failure::new(
            code::INTERRUPTED,
            format!("interrupted: the profile is erased, some conversations are not; {resume}"),
        )),
    }
}

/// The JSON summary on stdout.
fn summary(user: &str, report: &AnonymiseReport) -> serde_json::Value {
    json!({
        "user": user,
        "dryRun": report.dry_run,
        "conversations": report.conversations,
        "skipped": report.skipped,
        "conversationsErased": report.conversations_erased,
        "messagesEdited": report.messages_edited,
    })
}

/// The conversation ids a resume file holds (none when it does not exist).
fn finished(path: &Path) -> Result<Vec<String>, Failure> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Failure::input(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

/// Appends finished conversation ids to the resume file.
struct Recorder {
    path: PathBuf,
    warned: bool,
}

impl Recorder {
    fn new(path: &Path) -> Self {
        Recorder {
            path: path.to_owned(),
            warned: false,
        }
    }

    fn finished(&mut self, conversation: &str) {
        let written = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut file| writeln!(file, "{conversation}"));
        // A resume file that cannot be written costs only redoing some
        // idempotent edits: warned once, the job goes on.
        if let Err(e) = written
            && !self.warned
        {
            self.warned = true;
            crate::output::note(format_args!(
                "warning: cannot record progress in {}: {e}",
                self.path.display()
            ));
        }
    }
}
