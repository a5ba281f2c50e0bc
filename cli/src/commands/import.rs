//! `talkjs import FILE`: history from JSON lines, exactly once
//! (`talkjs::bulk`'s import with a `FileCheckpoint`), from either format:
//! `ImportItem` lines, or the lines of `talkjs export` (users upserted,
//! conversations created with their participants, then messages oldest
//! first). Every line is checked before anything is sent.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
};

use futures::{StreamExt, stream};
use serde_json::{Map, Value};
use talkjs::{Client, bulk::FileCheckpoint};

use super::{
    import_export::{self, PassReport, Passes},
    import_passes::{Digest, DonePasses},
};
use crate::{
    args::ImportArgs,
    convert,
    failure::{Failure, code},
    interrupt::Interrupt,
    jsonl::{self, Lines},
    progress::Progress,
    records::{Slot, records},
};

/// The two formats a file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `{"conversation": ..., "message": {...}}` lines.
    Items,
    /// `talkjs export`'s `{"kind": ...}` lines.
    Export,
}

/// What the check of a file found.
#[derive(Debug)]
struct Checked {
    format: Format,
    users: u64,
    conversations: u64,
    messages: u64,
    /// System messages of an export, left out.
    system: u64,
    /// The user lines' digest.
    user_lines: Digest,
    /// The conversation lines' digest.
    conversation_lines: Digest,
}

/// Runs the import.
pub async fn run(
    client: &Client,
    args: &ImportArgs,
    plain: bool,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let checkpoint_path = args.checkpoint.clone().unwrap_or_else(|| {
        let mut name = OsString::from(args.file.as_os_str());
        name.push(".checkpoint");
        PathBuf::from(name)
    });
    let job = args.job.clone().unwrap_or_else(|| {
        checkpoint_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "import".into())
    });
    let checked = check(&args.file)?;
    if checked.system > 0 {
        crate::output::note(format_args!(
            "import: {} system message(s) left out: TalkJS's import takes user messages only",
            checked.system
        ));
    }
    let resume = format!(
        "run the same command again to resume: the checkpoint {} records what TalkJS stored, \
         and nothing is imported twice",
        checkpoint_path.display()
    );
    // Opened (and locked) before anything is sent: a checkpoint that
    // cannot be written must stop the job while nothing is changed yet.
    let checkpoint = FileCheckpoint::open(&checkpoint_path).map_err(|e| {
        Failure::input(format!(
            "cannot open the checkpoint {}: {e}",
            checkpoint_path.display()
        ))
    })?;
    let mut summary = Map::new();
    if checked.format == Format::Export {
        let passes = Passes {
            client,
            file: &args.file,
            plain,
            interrupt,
        };
        // A pass an earlier run completed over the same lines is not
        // sent again.
        let mut done = DonePasses::open(&checkpoint_path);
        let users = if done.done("users", &checked.user_lines) {
            PassReport::skipped(checked.users)
        } else {
            passes.users(checked.users).await?
        };
        summary.insert("users".into(), users.json());
        users.check("users", &resume)?;
        if interrupt.requested() {
            return Err(interrupted(&resume));
        }
        done.record("users", &checked.user_lines);
        let conversations = if done.done("conversations", &checked.conversation_lines) {
            PassReport::skipped(checked.conversations)
        } else {
            passes.conversations(checked.conversations).await?
        };
        summary.insert("conversations".into(), conversations.json());
        conversations.check("conversations", &resume)?;
        if interrupt.requested() {
            return Err(interrupted(&resume));
        }
        done.record("conversations", &checked.conversation_lines);
    }
    let slot = Slot::default();
    let progress = Progress::new("import", "messages", Some(checked.messages), plain);
    let bulk = client
        .bulk()
        .job(job)
        .total(checked.messages)
        .on_progress(|p| progress.bulk(p));
    let stop = interrupt.clone();
    let report = match checked.format {
        Format::Items => {
            let items = records(&args.file, "an import line", &slot, |object| {
                convert::item(object).map(Some)
            })?;
            let items =
                stream::iter(items).take_while(move |_| std::future::ready(!stop.requested()));
            bulk.import(items, &checkpoint).await
        }
        Format::Export => {
            let items = import_export::messages(&args.file, &slot)?;
            let items =
                stream::iter(items).take_while(move |_| std::future::ready(!stop.requested()));
            bulk.import(items, &checkpoint).await
        }
    };
    progress.finish();
    let report = report.map_err(|e| {
        let mut failure = Failure::api("import", e);
        failure.message = format!("{}; {resume}", failure.message);
        failure
    })?;
    slot.take()?;
    let report = PassReport::of_bulk(&report);
    summary.insert("messages".into(), report.json());
    crate::output::print_line("the summary", Value::Object(summary))?;
    report.check("messages", &resume)?;
    if interrupt.requested() {
        return Err(interrupted(&resume));
    }
    Ok(())
}

fn interrupted(resume: &str) -> Failure {
    Failure::new(code::INTERRUPTED, format!("interrupted: {resume}"))
}

/// Checks every line of `path` and tells its format: nothing is sent
/// unless the whole file is usable.
fn check(path: &Path) -> Result<Checked, Failure> {
    let mut checked: Option<Checked> = None;
    for line in Lines::open(path)? {
        let (number, line) = line?;
        let object: Map<String, Value> = jsonl::parse(path, number, &line, "a JSON object")?;
        let format = if object.contains_key("kind") {
            Format::Export
        } else {
            Format::Items
        };
        let checked = checked.get_or_insert(Checked {
            format,
            users: 0,
            conversations: 0,
            messages: 0,
            system: 0,
            user_lines: Digest::default(),
            conversation_lines: Digest::default(),
        });
        let bad = |why: &str| jsonl::bad_line(path, number, "an import line", why);
        if format != checked.format {
            return Err(bad(
                "the file mixes `talkjs export` lines ({\"kind\": ...}) with \
                 {\"conversation\", \"message\"} lines",
            ));
        }
        match format {
            Format::Items => {
                convert::item(&object).map_err(|e| bad(&e))?;
                checked.messages += 1;
            }
            Format::Export => match object.get("kind").and_then(Value::as_str) {
                Some("user") => {
                    convert::user(object).map_err(|e| bad(&e))?;
                    checked.users += 1;
                    checked.user_lines.add(&line);
                }
                Some("conversation") => {
                    convert::conversation(&object).map_err(|e| bad(&e))?;
                    checked.conversations += 1;
                    checked.conversation_lines.add(&line);
                }
                Some("message") => match convert::message(&object).map_err(|e| bad(&e))? {
                    Some(_) => checked.messages += 1,
                    None => checked.system += 1,
                },
                _ => return Err(bad("\"kind\" is not user, conversation or message")),
            },
        }
    }
    checked.ok_or_else(|| Failure::input(format!("{} holds no lines", path.display())))
}
