//! Where JSON lines go: stdout, or a file that a rerun continues.

use std::{
    fs::{File, OpenOptions},
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use serde::Serialize;

use crate::failure::Failure;

/// Prints `text` and a newline on stdout. A reader that stopped early
/// (`| head`) wanted no more: that is not a failure (and not the panic
/// `println!` gives on a closed pipe).
pub fn print_line(what: &str, text: impl std::fmt::Display) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    stdout_written(what, writeln!(out, "{text}").and_then(|()| out.flush()))
}

/// Prints `text` and a newline on stderr (progress, warnings, the final
/// error). Unlike `eprintln!`, a closed or full stderr is not a panic: a
/// note that cannot be shown has nowhere else to go, and the job's outcome
/// (its exit code, stdout, the files it writes) does not depend on it.
pub fn note(text: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The outcome of writing `what` to stdout: a closed pipe is success.
pub fn stdout_written(what: &str, written: std::io::Result<()>) -> Result<(), Failure> {
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Failure::output(what, e)),
    }
}

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
        let written = serde_json::to_writer(&mut self.out, item)
            .map_err(std::io::Error::from)
            .and_then(|()| self.out.write_all(b"\n"));
        self.outcome(written)
    }

    /// Flushes what was written (a line is either whole or cut, and a cut
    /// one is dropped on resume).
    pub fn flush(&mut self) -> Result<(), Failure> {
        let flushed = self.out.flush();
        self.outcome(flushed)
    }

    /// A write's outcome. On stdout, a reader that stopped early (`| head`)
    /// wanted no more: the process ends at once, successfully, rather than
    /// fetching the rest of the app for nobody (an export to stdout has no
    /// state to keep: it cannot be resumed).
    fn outcome(&self, written: std::io::Result<()>) -> Result<(), Failure> {
        match written {
            Err(e) if self.path.is_none() && e.kind() == std::io::ErrorKind::BrokenPipe => {
                std::process::exit(0)
            }
            other => other.map_err(|e| Failure::output(&self.name, e)),
        }
    }
}
