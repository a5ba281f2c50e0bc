//! Which passes of an export's import (its users, its conversations)
//! completed, over which content: a rerun skips them rather than sending
//! every upsert again (a conversation is a request of its own: 10,000
//! conversations are over eight minutes at 20 requests a second). Kept
//! beside the checkpoint, as `{checkpoint}.passes`; the messages have the
//! checkpoint itself.

use std::{
    collections::BTreeMap,
    ffi::OsString,
    hash::{DefaultHasher, Hasher},
    path::{Path, PathBuf},
};

/// A digest of some lines of the file: the content a pass went over.
#[derive(Debug, Default)]
pub struct Digest(DefaultHasher);

impl Digest {
    /// Adds a line.
    pub fn add(&mut self, line: &str) {
        self.0.write(line.as_bytes());
        self.0.write_u8(b'\n');
    }

    /// The digest as recorded. The standard library's hash may change
    /// with the toolchain: a rerun built with another one runs the passes
    /// again, which is safe (upserts are idempotent), only slower.
    fn value(&self) -> String {
        format!("{:016x}", self.0.finish())
    }
}

/// The passes completed, by name, with their content's digest.
pub struct DonePasses {
    path: PathBuf,
    done: BTreeMap<String, String>,
}

impl DonePasses {
    /// The record beside `checkpoint`: empty when there is none or it
    /// cannot be read (the passes then run again, which is safe).
    pub fn open(checkpoint: &Path) -> Self {
        let mut name = OsString::from(checkpoint.as_os_str());
        name.push(".passes");
        let path = PathBuf::from(name);
        let done = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        DonePasses { path, done }
    }

    /// Whether `pass` completed over the content `digest` stands for.
    pub fn done(&self, pass: &str, digest: &Digest) -> bool {
        self.done.get(pass) == Some(&digest.value())
    }

    /// Records that `pass` completed over `digest`'s content. Written to a
    /// new file then renamed over the old, so that a crash leaves one or
    /// the other; a record that cannot be written costs only running the
    /// pass again, so it is a warning.
    pub fn record(&mut self, pass: &str, digest: &Digest) {
        let value = digest.value();
        if self.done.get(pass) == Some(&value) {
            // Skipped this run: the record already says so.
            return;
        }
        self.done.insert(pass.to_owned(), value);
        let mut partial = self.path.clone().into_os_string();
        partial.push(".partial");
        let written = serde_json::to_vec(&self.done)
            .map_err(std::io::Error::from)
            .and_then(|bytes| std::fs::write(&partial, bytes))
            .and_then(|()| std::fs::rename(&partial, &self.path));
        if let Err(e) = written {
            crate::output::note(format_args!(
                "warning: cannot record the {pass} pass in {}: a rerun sends it again ({e})",
                self.path.display()
            ));
        }
    }
}
