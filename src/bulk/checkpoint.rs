//! Where an import records what TalkJS acknowledged, so that a later run
//! resumes after it: before a chunk goes out, `Started`; once TalkJS
//! answers, `Acked`. A conversation whose last `Started` has no `Acked`
//! (the process died while it was in flight) is checked by reading it
//! back before anything more is imported into it.

use std::{
    collections::HashMap,
    fs::{File, OpenOptions, TryLockError},
    io::{BufRead, BufReader, Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::Mutex,
};

use serde::{Deserialize, Serialize};

use crate::Error;

/// One record of an import's progress.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum CheckpointEvent {
    /// `count` messages from place `first` of the conversation are about
    /// to be sent.
    Started {
        /// The conversation.
        conversation: String,
        /// The first message's place in the conversation's input (0-based).
        first: u64,
        /// How many.
        count: u64,
        /// The job's name ([`crate::bulk::Bulk::job`]) the chunk was sent
        /// under: a run resuming a chunk in doubt under another name (or
        /// marker) could not find it by reading back, and is refused.
        /// `None`: not recorded (not checked).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        job: Option<String>,
        /// The marker's key ([`crate::bulk::Bulk::marker`]), `None` when
        /// sent without one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        marker: Option<String>,
    },
    /// Every message before place `upto` of the conversation is stored.
    Acked {
        /// The conversation.
        conversation: String,
        /// One past the last stored place.
        upto: u64,
        /// A hash over the content of every message before `upto`, in
        /// order: a later run over an input whose first `upto` messages of
        /// the conversation differ is refused, rather than skipping other
        /// messages by their count. `None` (an event recorded by hand, say):
        /// not checked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chain: Option<String>,
    },
}

/// What a checkpoint says of one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    /// Messages before this place are stored.
    pub(crate) acked: u64,
    /// The content hash of those messages, when recorded.
    pub(crate) chain: Option<String>,
    /// A chunk was sent after the last acknowledgement: its outcome is not
    /// known.
    pub(crate) in_doubt: bool,
    /// What that chunk was sent as, when recorded.
    pub(crate) sent_as: Option<SentAs>,
}

/// The job name and marker key a chunk was sent under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SentAs {
    pub(crate) job: String,
    pub(crate) marker: Option<String>,
}

/// Where an import's progress is kept: a file ([`FileCheckpoint`]), memory
/// ([`MemoryCheckpoint`]), or your own store (a database row per
/// conversation, say).
pub trait Checkpoint: Send + Sync {
    /// Every event recorded so far, in order.
    fn load(&self) -> Result<Vec<CheckpointEvent>, Error>;
    /// Records `event`; it must be durable when this returns (at least
    /// across the process's death).
    fn record(&self, event: &CheckpointEvent) -> Result<(), Error>;
}

/// Folds events into what each conversation needs.
pub(crate) fn resume_points(events: &[CheckpointEvent]) -> HashMap<String, Resume> {
    let mut points: HashMap<String, Resume> = HashMap::new();
    for event in events {
        match event {
            CheckpointEvent::Started {
                conversation,
                first,
                count,
                job,
                marker,
            } => {
                let point = points.entry(conversation.clone()).or_default();
                // Saturating: a hand-edited count must not overflow.
                if first.saturating_add(*count) > point.acked {
                    point.in_doubt = true;
                    point.sent_as = job.clone().map(|job| SentAs {
                        job,
                        marker: marker.clone(),
                    });
                }
            }
            CheckpointEvent::Acked {
                conversation,
                upto,
                chain,
            } => {
                let point = points.entry(conversation.clone()).or_default();
                if *upto >= point.acked {
                    point.acked = *upto;
                    point.chain.clone_from(chain);
                }
                point.in_doubt = false;
                point.sent_as = None;
            }
        }
    }
    points
}

/// A checkpoint in memory: for tests, or a job that need not survive its
/// process.
#[derive(Debug, Default)]
pub struct MemoryCheckpoint {
    events: Mutex<Vec<CheckpointEvent>>,
}

impl MemoryCheckpoint {
    /// An empty checkpoint.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events recorded so far.
    pub fn events(&self) -> Vec<CheckpointEvent> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Checkpoint for MemoryCheckpoint {
    fn load(&self) -> Result<Vec<CheckpointEvent>, Error> {
        Ok(self.events())
    }
    fn record(&self, event: &CheckpointEvent) -> Result<(), Error> {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(event.clone());
        Ok(())
    }
}

/// A checkpoint in a file of JSON lines, appended to and synced to disk
/// (`fsync`) at every event, so that a record survives the machine's crash
/// as well as the process's: a chunk recorded as started before a power
/// cut is checked against TalkJS on resume, never sent blindly a second
/// time. A last line cut short by a crash is ignored.
#[derive(Debug)]
pub struct FileCheckpoint {
    path: PathBuf,
    file: Mutex<File>,
}

impl FileCheckpoint {
    /// Opens (or creates) the checkpoint at `path`, and locks it for this
    /// job: a second job over the same checkpoint, in this process or
    /// another, is refused (both would import everything) until this one
    /// is dropped. A last line cut short by a crash is cut off.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let path = path.as_ref().to_path_buf();
        let io = |source: std::io::Error| Error::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(io(std::io::Error::new(
                    std::io::ErrorKind::WouldBlock,
                    "another job holds this checkpoint (two jobs over one checkpoint would \
                     both import everything): wait for it to end, or give this job its own",
                )));
            }
            // A file system without locks: the job goes on unlocked.
            Err(TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Unsupported => {}
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        let len = file.metadata().map_err(io)?.len();
        let whole = whole_lines_len(&file, len).map_err(io)?;
        if whole < len {
            // A whole event without its newline (added by hand) is kept and
            // ended; anything else after the last newline is a line cut
            // short by a crash, never acknowledged to anyone: cut off.
            let mut tail = Vec::new();
            (&file)
                .seek(SeekFrom::Start(whole))
                .and_then(|_| (&file).read_to_end(&mut tail))
                .map_err(io)?;
            if serde_json::from_slice::<CheckpointEvent>(&tail).is_ok() {
                (&file).write_all(b"\n").map_err(io)?;
            } else {
                file.set_len(whole).map_err(io)?;
            }
        }
        // A new file is durable only once its directory entry is.
        sync_parent(&path).map_err(io)?;
        Ok(FileCheckpoint {
            path,
            file: Mutex::new(file),
        })
    }

    fn io(&self, source: std::io::Error) -> Error {
        Error::Io {
            path: self.path.clone(),
            source,
        }
    }
}

impl Checkpoint for FileCheckpoint {
    fn load(&self) -> Result<Vec<CheckpointEvent>, Error> {
        let file = File::open(&self.path).map_err(|e| self.io(e))?;
        let mut events = Vec::new();
        for (number, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| self.io(e))?;
            // A blank line (an editor's, after an event added by hand).
            if line.trim().is_empty() {
                continue;
            }
            // `open` cut a torn last line off and every record is a whole
            // line: a line that is not an event was damaged, and guessing
            // past it could send a started chunk again unchecked.
            let event = serde_json::from_str(&line).map_err(|e| {
                self.io(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "line {} is not a checkpoint event ({e}): the file was changed by \
                         something else than this job; restore it, or remove that line if \
                         you know what it recorded",
                        number + 1
                    ),
                ))
            })?;
            events.push(event);
        }
        Ok(events)
    }

    fn record(&self, event: &CheckpointEvent) -> Result<(), Error> {
        let mut line = serde_json::to_vec(event).map_err(|e| Error::Protocol(e.to_string()))?;
        line.push(b'\n');
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        // One write per line: with O_APPEND, lines never interleave.
        // `sync_data`: the event must be on disk before the chunk it
        // announces is sent (a few ms a chunk, against 50 ms a request at
        // a rate limit of 20/s).
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| self.io(e))
    }
}

/// The length of the first `len` bytes of `file` up to its last newline:
/// without a last line cut short by a crash. Read backwards by blocks, so
/// that opening a long checkpoint reads only its end.
fn whole_lines_len(mut file: &File, len: u64) -> std::io::Result<u64> {
    let mut block = [0u8; 4096];
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let bytes = &mut block[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(bytes)?;
        if let Some(at) = bytes.iter().rposition(|&b| b == b'\n') {
            return Ok(start + at as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Syncs the directory that holds `path`, so that a file created there
/// survives a crash. Unix only: elsewhere the standard library cannot open
/// a directory, and the file system's journal is all there is.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        File::open(parent)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn started(c: &str, first: u64, count: u64) -> CheckpointEvent {
        CheckpointEvent::Started {
            conversation: c.into(),
            first,
            count,
            job: Some("import".into()),
            marker: None,
        }
    }
    /// A checkpoint file of this test process's own.
    fn temp_path(test: &str) -> PathBuf {
        std::env::temp_dir().join(format!("talkjs-checkpoint-{test}-{}", std::process::id()))
    }

    fn acked(c: &str, upto: u64) -> CheckpointEvent {
        CheckpointEvent::Acked {
            conversation: c.into(),
            upto,
            chain: Some(format!("chain-{upto}")),
        }
    }

    #[test]
    fn a_start_without_its_ack_is_in_doubt() {
        let points = resume_points(&[
            started("a", 0, 10),
            acked("a", 10),
            started("a", 10, 10),
            started("b", 0, 5),
            acked("b", 5),
        ]);
        assert_eq!(
            points["a"],
            Resume {
                acked: 10,
                chain: Some("chain-10".into()),
                in_doubt: true,
                sent_as: Some(SentAs {
                    job: "import".into(),
                    marker: None
                }),
            }
        );
        assert_eq!(
            points["b"],
            Resume {
                acked: 5,
                chain: Some("chain-5".into()),
                in_doubt: false,
                sent_as: None,
            }
        );
    }

    #[test]
    fn a_file_checkpoint_survives_reopening_and_a_torn_last_line() {
        let path = temp_path("torn");
        let _ = std::fs::remove_file(&path);
        let checkpoint = FileCheckpoint::open(&path).unwrap();
        checkpoint.record(&started("a", 0, 10)).unwrap();
        checkpoint.record(&acked("a", 10)).unwrap();
        drop(checkpoint);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"event\":\"sta")
            .unwrap();
        let reopened = FileCheckpoint::open(&path).unwrap();
        reopened.record(&started("a", 10, 5)).unwrap();
        assert_eq!(
            reopened.load().unwrap(),
            vec![started("a", 0, 10), acked("a", 10), started("a", 10, 5)]
        );
        drop(reopened);
        // Reopened again: the torn line was cut off, not left in the middle.
        assert_eq!(
            FileCheckpoint::open(&path).unwrap().load().unwrap().len(),
            3
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_hand_edited_count_does_not_overflow() {
        let points = resume_points(&[started("a", 5, u64::MAX)]);
        assert!(points["a"].in_doubt);
    }

    #[test]
    fn blank_lines_and_a_whole_last_event_without_its_newline_are_kept() {
        let path = temp_path("hand");
        let line = |event: &CheckpointEvent| serde_json::to_string(event).unwrap();
        let text = line(&started("a", 0, 10)) + "\n\n" + &line(&acked("a", 10));
        std::fs::write(&path, text).unwrap();
        let checkpoint = FileCheckpoint::open(&path).unwrap();
        checkpoint.record(&started("a", 10, 5)).unwrap();
        assert_eq!(
            checkpoint.load().unwrap(),
            vec![started("a", 0, 10), acked("a", 10), started("a", 10, 5)]
        );
        drop(checkpoint);
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_file_checkpoint_is_held_by_one_job_at_a_time() {
        let path = temp_path("lock");
        let _ = std::fs::remove_file(&path);
        let first = FileCheckpoint::open(&path).unwrap();
        let second = FileCheckpoint::open(&path).unwrap_err();
        assert!(
            matches!(&second, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::WouldBlock),
            "{second:?}"
        );
        assert!(second.to_string().contains("another job"), "{second}");
        drop(first);
        FileCheckpoint::open(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_damaged_line_before_the_last_is_refused_not_skipped() {
        let path = temp_path("damaged");
        let line = |event: &CheckpointEvent| serde_json::to_string(event).unwrap() + "\n";
        let text = line(&started("a", 0, 10)) + "{\"event\":\"sta\n" + &line(&acked("b", 3));
        std::fs::write(&path, text).unwrap();
        let error = FileCheckpoint::open(&path).unwrap().load().unwrap_err();
        assert!(error.to_string().contains("line 2"), "{error}");
        std::fs::remove_file(&path).unwrap();
    }
}
