//! What an earlier run of `talkjs export --out FILE` completed: the users
//! and conversations whose lines are whole, and where to cut the file so
//! that the conversation it was writing (whose messages may be missing)
//! is written again.

use std::{
    collections::HashSet,
    fs::File,
    io::{BufRead, BufReader},
    path::Path,
};

use serde_json::Value;

use crate::failure::Failure;

/// What a file already holds.
#[derive(Debug, Default)]
pub struct Written {
    /// Users written whole.
    pub users: HashSet<String>,
    /// Conversations written with all their messages.
    pub conversations: HashSet<String>,
    /// The bytes to keep; the rest is written again.
    pub keep: u64,
}

/// Reads `path` (absent: nothing written). A conversation counts as
/// complete once another conversation follows it: the last one may have
/// been cut short, so it is cut off and written again, with any line after
/// it; a line cut short by a crash is cut off too.
pub fn scan(path: &Path) -> Result<Written, Failure> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Written::default()),
        Err(e) => {
            return Err(Failure::input(format!(
                "cannot read {} to resume it: {e}",
                path.display()
            )));
        }
    };
    let mut reader = BufReader::new(file);
    // (offset of the line, kind, id) of each user and conversation line.
    let mut entries: Vec<(u64, bool, String)> = Vec::new();
    let mut offset = 0u64;
    let mut whole_until = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", path.display())))?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        let Ok(value) = serde_json::from_slice::<Value>(&line) else {
            break;
        };
        let id = value.get("id").and_then(Value::as_str).map(str::to_owned);
        match (value.get("kind").and_then(Value::as_str), id) {
            (Some("user"), Some(id)) => entries.push((offset, false, id)),
            (Some("conversation"), Some(id)) => entries.push((offset, true, id)),
            _ => {}
        }
        offset += read as u64;
        whole_until = offset;
    }
    let keep = entries
        .iter()
        .rev()
        .find(|(_, conversation, _)| *conversation)
        .map_or(whole_until, |(at, _, _)| *at);
    let mut written = Written {
        keep,
        ..Written::default()
    };
    for (at, conversation, id) in entries {
        if at >= keep {
            break;
        }
        if conversation {
            written.conversations.insert(id);
        } else {
            written.users.insert(id);
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_conversation_and_a_torn_line_are_written_again() {
        let path = std::env::temp_dir().join(format!("talkjs-cli-scan-{}", std::process::id()));
        let lines = [
            r#"{"kind":"user","id":"a"}"#,
            r#"{"kind":"conversation","id":"c1"}"#,
            r#"{"kind":"message","conversationId":"c1"}"#,
            r#"{"kind":"user","id":"b"}"#,
            r#"{"kind":"conversation","id":"c2"}"#,
            r#"{"kind":"message","conversationId":"c2"}"#,
        ];
        let text = lines.join("\n") + "\n{\"kind\":\"mess";
        std::fs::write(&path, &text).unwrap();
        let written = scan(&path).unwrap();
        assert_eq!(
            written.users,
            HashSet::from(["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(written.conversations, HashSet::from(["c1".to_owned()]));
        assert_eq!(
            written.keep as usize,
            text.find(r#"{"kind":"conversation","id":"c2"}"#).unwrap()
        );

        std::fs::write(&path, lines[..1].join("\n") + "\n{\"kind\":\"us").unwrap();
        let written = scan(&path).unwrap();
        assert_eq!(
            (written.users.len(), written.keep as usize),
            (1, lines[0].len() + 1)
        );
        std::fs::remove_file(&path).unwrap();
        assert_eq!(scan(&path).unwrap().keep, 0);
    }
}
