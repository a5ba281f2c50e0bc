//! State shared by all connections of one emulator.

use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use crate::config::EmulatorConfig;
use crate::faults::Faults;
use crate::log::RequestLog;
use crate::state::Store;
use crate::webhooks::Webhooks;

/// Everything a request handler may need.
#[derive(Debug)]
pub(crate) struct Ctx {
    pub config: EmulatorConfig,
    pub base_url: String,
    pub store: Mutex<Store>,
    pub faults: Faults,
    pub log: RequestLog,
    pub webhooks: Webhooks,
    pub last_batch: Mutex<Option<Instant>>,
}

impl Ctx {
    /// The store; a panicked holder cannot leave it half-written because
    /// handlers validate everything before mutating, so poison is ignored.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }
}
