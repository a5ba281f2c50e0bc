//! Where JSON lines go: stdout, or a file that a rerun continues.

use std::{
    fs::{File, OpenOptions},
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use serde::Serialize;

use crate::failure::Failure;

/// A JSON-lines sink.
pub struct JsonLines {
    out: Box<dyn Write>,
    name: String,
    /// The file, when there is one (to say where to resume).
    pub path: Option<PathBuf>,
}

impl JsonLines {
    /// Lines to stdout.
    pub fn stdout() -> Self {
        JsonLines {
            out: Box::new(BufWriter::new(std::io::stdout())),
            name: "stdout".into(),
            path: None,
        }
    }

    /// Lines appended to `path` from byte `keep` on (what follows is cut
    /// off first: an incomplete tail of an earlier run).
    pub fn file(path: &Path, keep: u64) -> Result<Self, Failure> {
        let name = path.display().to_string();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Failure::input(format!("cannot open {name}: {e}")))?;
        file.set_len(keep)
            .map_err(|e| Failure::input(format!("cannot cut {name} to resume it: {e}")))?;
        drop(file);
        let file: File = OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| Failure::input(format!("cannot open {name}: {e}")))?;
        Ok(JsonLines {
            out: Box::new(BufWriter::new(file)),
            name,
            path: Some(path.to_owned()),
        })
    }

    /// Writes `item` as one line.
    pub fn write(&mut self, item: &impl Serialize) -> Result<(), Failure> {
        serde_json::to_writer(&mut self.out, item)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| Failure::output(&self.name, e))
    }

    /// Flushes what was written (a line is either whole or cut, and a cut
    /// one is dropped on resume).
    pub fn flush(&mut self) -> Result<(), Failure> {
        self.out.flush().map_err(|e| Failure::output(&self.name, e))
    }
}
