//! The record of one call: what the transport learns that `reqwest::Error`
//! and the generated decoder cannot carry (which timeout fired, an unknown
//! outcome, an oversized body, the error body as sent, the status of the
//! response being decoded), and the future that makes it reachable from the
//! transport while the call is polled.
//!
//! Hand-written rather than a `tokio::task_local!`: tokio's scope future
//! passes every poll's result through three closures, and with the
//! operation's output (a decoded user is over 400 bytes) that was three
//! copies per poll, whether ready or not; this one returns the inner
//! future's poll as it is (BENCHMARKS.md). It works the same way: the
//! record is swapped into a thread-local for the duration of each poll and
//! back out afterwards, also when the poll panics.

use std::{
    cell::Cell,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use reqwest::StatusCode;

use crate::{Error, TimeoutKind};

thread_local! {
    /// The record of the call being polled on this thread, if that call
    /// runs in a [`Scoped`] future.
    static CURRENT: Cell<Option<Call>> = const { Cell::new(None) };
}

/// The record of a call. Kept to a few words: it is swapped in and out on
/// every poll of the call, so its size is paid many times per call
/// (BENCHMARKS.md); what only a failure needs is boxed on demand.
#[derive(Default)]
pub(crate) struct Call {
    detail: Option<Box<Detail>>,
    /// The status of the response handed to the decoder, and the timeout
    /// that bounded its attempt: a body that fails to read or decode is
    /// reported with them.
    answered: Option<Answered>,
}

/// What a failed call records.
#[derive(Default)]
struct Detail {
    failure: Option<Error>,
    /// The last error response's body exactly as the server sent it (the
    /// generated decoder may drop fields the spec doesn't know).
    error_body: Option<Bytes>,
}

/// The status of the last response and the timeout that bounded reading it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Answered {
    pub(crate) status: StatusCode,
    pub(crate) timeout: (TimeoutKind, Duration),
    /// Whether the request may change data (not a GET or HEAD).
    pub(crate) write: bool,
    /// The operation id, for messages.
    pub(crate) operation: &'static str,
}

/// What the transport recorded during a call.
#[derive(Default)]
pub(crate) struct Recorded {
    pub(crate) failure: Option<Error>,
    pub(crate) error_body: Option<Bytes>,
    pub(crate) answered: Option<Answered>,
}

impl Call {
    fn into_recorded(self) -> Recorded {
        let detail = self.detail.map(|d| *d).unwrap_or_default();
        Recorded {
            failure: detail.failure,
            error_body: detail.error_body,
            answered: self.answered,
        }
    }
}

/// Changes the record of the call being polled, if it runs in a
/// [`Scoped`] future: a raw call has nowhere to put it, and the reqwest
/// error or the response status still reaches the caller.
fn with_call(change: impl FnOnce(&mut Call)) {
    // A `Cell`, not a `RefCell`: taken out and put back, with no borrow
    // flag to check and no borrow failure to handle (the changes are plain
    // assignments that cannot panic or re-enter).
    let _ = CURRENT.try_with(|current| {
        let mut call = current.take();
        if let Some(call) = &mut call {
            change(call);
        }
        current.set(call);
    });
}

/// Records why the call failed; a later record replaces it.
pub(crate) fn fail(failure: Error) {
    with_call(|c| c.detail.get_or_insert_default().failure = Some(failure));
}

/// Forgets a failure recorded earlier: a later attempt may succeed.
pub(crate) fn forget_failure() {
    with_call(|c| {
        if let Some(detail) = &mut c.detail {
            detail.failure = None;
        }
    });
}

/// Keeps an error response's body exactly as it arrived.
pub(crate) fn error_body(body: Bytes) {
    with_call(|c| c.detail.get_or_insert_default().error_body = Some(body));
}

/// Records the response handed to the decoder.
pub(crate) fn answered(answer: Answered) {
    with_call(|c| c.answered = Some(answer));
}

pin_project_lite::pin_project! {
    /// `fut` with a call record that the transport reaches while `fut` is
    /// polled; [`Scoped::take_recorded`] gives it back afterwards.
    pub(crate) struct Scoped<F> {
        #[pin]
        fut: F,
        call: Option<Call>,
    }
}

impl<F> Scoped<F> {
    /// `fut` with a fresh record.
    pub(crate) fn new(fut: F) -> Self {
        Scoped {
            fut,
            call: Some(Call::default()),
        }
    }

    /// What the transport recorded, leaving an empty record.
    pub(crate) fn take_recorded(self: Pin<&mut Self>) -> Recorded {
        self.project()
            .call
            .replace(Call::default())
            .map(Call::into_recorded)
            .unwrap_or_default()
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        // Dropped after the poll, panicking or not: the record goes back
        // into this future and the thread-local gets what it held before
        // (another call's record, when scopes nest).
        let _entered = Entered::swap(this.call);
        this.fut.poll(cx)
    }
}

/// A record swapped into the thread-local for one poll.
struct Entered<'a> {
    /// Holds what the thread-local held before, while entered.
    slot: &'a mut Option<Call>,
    entered: bool,
}

impl<'a> Entered<'a> {
    fn swap(slot: &'a mut Option<Call>) -> Self {
        // Fails only while the thread's locals are being destroyed: the call
        // then runs unrecorded, as a raw call does.
        let entered = swap_current(slot);
        Entered { slot, entered }
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        if self.entered {
            swap_current(self.slot);
        }
    }
}

fn swap_current(slot: &mut Option<Call>) -> bool {
    CURRENT
        .try_with(|current| *slot = current.replace(slot.take()))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;

    /// Whether a call record is reachable here.
    fn recording() -> bool {
        let mut reached = false;
        with_call(|_| reached = true);
        reached
    }

    fn recorded_status(recorded: &Recorded) -> Option<u16> {
        recorded.answered.map(|a| a.status.as_u16())
    }

    fn answer(status: u16) -> Answered {
        Answered {
            status: StatusCode::from_u16(status).unwrap(),
            timeout: (TimeoutKind::Attempt, Duration::from_secs(1)),
            write: false,
            operation: "get_user",
        }
    }

    #[test]
    fn outside_a_scope_nothing_is_recorded() {
        answered(answer(200));
        assert!(!recording());
    }

    #[tokio::test]
    async fn nested_scopes_keep_their_own_records() {
        let mut outer = pin!(Scoped::new(async {
            answered(answer(201));
            let mut inner = pin!(Scoped::new(async {
                answered(answer(404));
                recording()
            }));
            assert!((&mut inner).await);
            let inner = inner.take_recorded();
            // The inner record was swapped back out: the outer one is current again.
            fail(Error::Config("outer".into()));
            inner
        }));
        let inner = (&mut outer).await;
        let outer = outer.take_recorded();
        assert_eq!(recorded_status(&inner), Some(404));
        assert!(inner.failure.is_none());
        assert_eq!(recorded_status(&outer), Some(201));
        assert!(matches!(outer.failure, Some(Error::Config(ref m)) if m == "outer"));
        assert!(!recording(), "the record left with the last poll");
    }

    #[tokio::test]
    async fn a_record_survives_pending_polls_between_other_calls() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mut waiting = pin!(Scoped::new(async {
            answered(answer(200));
            rx.await.unwrap();
            fail(Error::Config("after waking".into()));
        }));
        // First poll: records, then waits.
        assert!(futures::poll!(&mut waiting).is_pending());
        // Another call polled meanwhile on the same thread sees its own record.
        let mut other = pin!(Scoped::new(async {
            answered(answer(500));
            recording()
        }));
        assert!((&mut other).await);
        assert_eq!(recorded_status(&other.take_recorded()), Some(500));
        tx.send(()).unwrap();
        (&mut waiting).await;
        let recorded = waiting.take_recorded();
        assert_eq!(recorded_status(&recorded), Some(200));
        assert!(recorded.failure.is_some());
    }

    #[test]
    fn a_panicking_poll_puts_the_record_back() {
        let mut scoped = Box::pin(Scoped::new(futures::future::poll_fn(|_| -> Poll<()> {
            answered(answer(503));
            panic!("inner future panics");
        })));
        let waker = futures::task::noop_waker();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = scoped.as_mut().poll(&mut Context::from_waker(&waker));
        }));
        assert!(outcome.is_err());
        assert!(!recording(), "the thread-local is empty again");
        assert_eq!(recorded_status(&scoped.as_mut().take_recorded()), Some(503));
    }

    #[test]
    fn a_forgotten_failure_is_gone_and_the_body_stays() {
        let mut scoped = pin!(Scoped::new(async {
            fail(Error::Config("first attempt".into()));
            error_body(Bytes::from_static(b"{}"));
            forget_failure();
        }));
        futures::executor::block_on(&mut scoped);
        let recorded = scoped.take_recorded();
        assert!(recorded.failure.is_none());
        assert_eq!(recorded.error_body.as_deref(), Some(&b"{}"[..]));
    }
}
