//! A file's records for a streaming job, read again after every line was
//! checked: the job streams them without holding the file in memory. A
//! line that fails now (the file changed during the run) ends the stream
//! and is reported after the job, never skipped.

use std::{
    path::Path,
    sync::{Arc, Mutex},
};

use serde_json::{Map, Value};

use crate::{
    failure::Failure,
    jsonl::{self, Lines},
};

/// Where a stream leaves the error that ended it.
#[derive(Debug, Clone, Default)]
pub struct Slot(Arc<Mutex<Option<Failure>>>);

impl Slot {
    /// Leaves `failure` for [`Slot::take`].
    pub fn put(&self, failure: Failure) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(failure);
    }

    /// The error that ended the stream, if one did.
    pub fn take(&self) -> Result<(), Failure> {
        match self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}

/// The records `pick` makes of the lines of `path` (each a JSON object;
/// `pick` returns `None` for a line that is not its kind).
pub fn records<T, F>(
    path: &Path,
    what: &'static str,
    slot: &Slot,
    mut pick: F,
) -> Result<impl Iterator<Item = T> + Send + use<T, F>, Failure>
where
    T: Send,
    F: FnMut(&Map<String, Value>) -> Result<Option<T>, String> + Send,
{
    let path = path.to_owned();
    let slot = slot.clone();
    let mut lines = Lines::open(&path)?;
    let mut ended = false;
    Ok(std::iter::from_fn(move || {
        while !ended {
            let outcome = lines.next()?.and_then(|(number, line)| {
                let object: Map<String, Value> = jsonl::parse(&path, number, &line, what)?;
                pick(&object).map_err(|why| jsonl::bad_line(&path, number, what, &why))
            });
            match outcome {
                Ok(Some(record)) => return Some(record),
                Ok(None) => continue,
                Err(failure) => {
                    slot.put(failure);
                    ended = true;
                }
            }
        }
        None
    }))
}
