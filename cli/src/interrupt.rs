//! Ctrl-C: the first press asks the running job to stop after its current
//! chunk (so that what was sent is recorded and the job can resume); a
//! second press ends the process at once.

use tokio::sync::watch;

use crate::failure::code;

/// Whether Ctrl-C was pressed; cheap to clone.
#[derive(Debug, Clone)]
pub struct Interrupt(watch::Receiver<bool>);

impl Interrupt {
    /// Takes over Ctrl-C for this process (needs a Tokio runtime).
    pub fn install() -> Self {
        let (pressed, seen) = watch::channel(false);
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_err() {
                // No handler could be installed: Ctrl-C keeps its default
                // (ending the process), which loses only the last chunk's
                // record, never a stored message's.
                return;
            }
            crate::output::note(
                "\nstopping after the current chunk (Ctrl-C again to stop at once)",
            );
            pressed.send_replace(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                crate::output::note("stopped at once: run the same command again to resume");
                std::process::exit(i32::from(code::INTERRUPTED));
            }
        });
        Interrupt(seen)
    }

    /// `true` once Ctrl-C was pressed.
    pub fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once Ctrl-C is pressed.
    pub async fn pressed(&self) {
        let mut seen = self.0.clone();
        // An error means the watcher task ended without a press: never.
        if seen.wait_for(|pressed| *pressed).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
