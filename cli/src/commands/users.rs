//! `talkjs users sync FILE`: create or update users from CSV or JSON lines
//! (`talkjs::bulk`'s upsert, 100 per request). Every row is checked before
//! anything is sent; upserts are idempotent, so a rerun is always safe.

use std::path::Path;

use serde_json::{Map, Value};
use talkjs::{Client, raw::types::UserInput};

use super::import_export::upsert;
use crate::{
    args::{SyncArgs, UsersFormat},
    convert,
    failure::{Failure, code},
    interrupt::Interrupt,
    jsonl::{self, Lines},
    records::{Slot, records},
};

/// Runs the sync.
pub async fn sync(
    client: &Client,
    args: &SyncArgs,
    plain: bool,
    interrupt: &Interrupt,
) -> Result<(), Failure> {
    let path = args.file.as_path();
    let csv = match args.format {
        Some(format) => format == UsersFormat::Csv,
        None => path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv")),
    };
    // Checked whole first: nothing is sent from a file with a bad row.
    let total = if csv {
        csv_users(path)?.try_fold(0u64, |n, row| row.map(|_| n + 1))?
    } else {
        let mut total = 0;
        for line in Lines::open(path)? {
            let (number, line) = line?;
            let object: Map<String, Value> = jsonl::parse(path, number, &line, "a user line")?;
            if json_user(&object)
                .map_err(|why| jsonl::bad_line(path, number, "a user line", &why))?
                .is_some()
            {
                total += 1;
            }
        }
        total
    };
    let slot = Slot::default();
    let users: Box<dyn Iterator<Item = (String, UserInput)> + Send> = if csv {
        let slot = slot.clone();
        let mut rows = csv_users(path)?;
        Box::new(std::iter::from_fn(move || match rows.next()? {
            Ok(user) => Some(user),
            Err(failure) => {
                slot.put(failure);
                None
            }
        }))
    } else {
        Box::new(records(path, "a user line", &slot, json_user)?)
    };
    let report = upsert(client, users, total, plain, interrupt, "users sync").await;
    slot.take()?;
    let report = report?;
    crate::output::print_line("the summary", report.json())?;
    let again = "run the same command again (upserts are idempotent)";
    report.check("users sync", again)?;
    if interrupt.requested() {
        return Err(Failure::new(
            code::INTERRUPTED,
            format!("interrupted after {} users: {again}", report.done),
        ));
    }
    Ok(())
}

/// A JSON line's user: `{"id": ..., ...fields}`; of `talkjs export`'s
/// lines, the users (the others are not users: `None`).
fn json_user(object: &Map<String, Value>) -> Result<Option<(String, UserInput)>, String> {
    match object.get("kind").and_then(Value::as_str) {
        None | Some("user") => convert::user(object.clone()).map(Some),
        Some(_) => Ok(None),
    }
}

/// The users of a CSV file, each row checked, errors naming the line.
fn csv_users(
    path: &Path,
) -> Result<impl Iterator<Item = Result<(String, UserInput), Failure>> + Send + use<>, Failure> {
    let name = path.display().to_string();
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(|e| Failure::input(format!("cannot open {name}: {e}")))?;
    let header = reader
        .headers()
        .map_err(|e| Failure::input(format!("{name}: cannot read the header row: {e}")))?
        .clone();
    if !header.iter().any(|h| h == "id") {
        return Err(Failure::input(format!(
            "{name}:1: the header row has no \"id\" column: name the columns id,name,email,..."
        )));
    }
    Ok(reader.into_records().map(move |row| {
        let row = row.map_err(|e| Failure::input(format!("{name}: {e}")))?;
        let line = row.position().map_or(0, |p| p.line());
        let mut object = Map::new();
        let mut custom = Map::new();
        for (column, cell) in header.iter().zip(row.iter()) {
            if cell.is_empty() {
                continue;
            }
            if let Some(key) = column.strip_prefix("custom.") {
                custom.insert(key.to_owned(), cell.into());
            } else if column == "email" || column == "phone" {
                let values = cell.split(';').map(|v| Value::from(v.trim())).collect();
                object.insert(column.to_owned(), Value::Array(values));
            } else {
                object.insert(column.to_owned(), cell.into());
            }
        }
        if !custom.is_empty() {
            object.insert("custom".into(), Value::Object(custom));
        }
        convert::user(object).map_err(|why| {
            Failure::input(format!(
                "{name}:{line}: not a user: {why}; fix the row and run the same command again \
                 (nothing of this file was sent)"
            ))
        })
    }))
}
