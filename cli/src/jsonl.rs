//! Reading JSON lines with their line numbers, so that every complaint
//! names the line to fix.

use std::{
    fs::File,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
};

use serde::de::DeserializeOwned;

use crate::failure::Failure;

/// The non-blank lines of a file, each with its 1-based number.
pub struct Lines {
    path: PathBuf,
    lines: std::io::Lines<BufReader<File>>,
    number: usize,
}

impl Lines {
    /// Opens `path`.
    pub fn open(path: &Path) -> Result<Self, Failure> {
        let file = File::open(path)
            .map_err(|e| Failure::input(format!("cannot open {}: {e}", path.display())))?;
        Ok(Lines {
            path: path.to_owned(),
            lines: BufReader::new(file).lines(),
            number: 0,
        })
    }
}

impl Iterator for Lines {
    type Item = Result<(usize, String), Failure>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.number += 1;
            match self.lines.next()? {
                Ok(line) if line.trim().is_empty() => continue,
                Ok(line) => return Some(Ok((self.number, line))),
                Err(e) => {
                    return Some(Err(Failure::input(format!(
                        "{}:{}: cannot read the line: {e}",
                        self.path.display(),
                        self.number
                    ))));
                }
            }
        }
    }
}

/// `line` (number `number` of `path`) as a `T`, or an error naming the line,
/// the column and what to do.
pub fn parse<T: DeserializeOwned>(
    path: &Path,
    number: usize,
    line: &str,
    what: &str,
) -> Result<T, Failure> {
    serde_json::from_str(line).map_err(|e| bad_line(path, number, what, &e.to_string()))
}

/// The error of a line that is not `what`.
pub fn bad_line(path: &Path, number: usize, what: &str, why: &str) -> Failure {
    Failure::input(format!(
        "{}:{number}: not {what}: {why}; fix the line and run the same command again \
         (nothing of this file was sent)",
        path.display()
    ))
}
