//! Per-connection time limits: a header-read timeout and an idle timeout.
//!
//! Both are kept here rather than with hyper's `header_read_timeout`: that
//! timer starts whenever hyper waits for a request head, also while a
//! kept-alive connection waits for its next request, so it would close
//! every idle pooled connection after the (short) header limit. Hyper has
//! no idle setting for HTTP/1 keep-alive, so the connection's IO is
//! wrapped ([`Watched`]) to note when bytes move, the service notes when a
//! request is being handled, and a watchdog ([`Watch::expired`]) raced
//! against the connection closes it:
//!
//! - between requests, once bytes of a new request head arrived, the head
//!   must be complete within the header-read timeout (slowloris);
//! - while waiting for a request or reading a body, a connection on which
//!   no byte moves for the idle timeout is closed (idle pools, stalled
//!   bodies);
//! - while a request is handled (its body read, e.g. held by
//!   [`crate::Fault::Delay`]), neither applies.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Where a connection is in its request cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for, or reading, a request head.
    Between,
    /// The head is read; the body is being read.
    Body,
    /// The request is being handled: no limit applies.
    Handling,
}

#[derive(Debug)]
struct State {
    phase: Phase,
    /// When a byte last moved either way (or the phase last ended).
    last: Instant,
    /// When the first byte of the request head being read arrived.
    head_started: Option<Instant>,
}

/// The time limits of one connection and what it is doing.
#[derive(Debug)]
pub(crate) struct Watch {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    state: Mutex<State>,
    /// Woken when a deadline may have moved earlier (a head started, the
    /// phase changed); later deadlines are found when the sleep ends.
    changed: Notify,
}

impl Watch {
    pub fn new(header_read_timeout: Duration, idle_timeout: Duration) -> Arc<Self> {
        Arc::new(Watch {
            header_read_timeout,
            idle_timeout,
            state: Mutex::new(State {
                phase: Phase::Between,
                last: Instant::now(),
                head_started: None,
            }),
            changed: Notify::new(),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read(&self) {
        let now = Instant::now();
        let mut s = self.state();
        s.last = now;
        if s.phase == Phase::Between && s.head_started.is_none() {
            s.head_started = Some(now);
            drop(s);
            self.changed.notify_waiters();
        }
    }

    fn wrote(&self) {
        self.state().last = Instant::now();
    }

    /// Enters `phase` (`Body`: the service got a request head, its body is
    /// read next; `Between`: the request ended), restarting the idle clock.
    fn enter(&self, phase: Phase) {
        let mut s = self.state();
        s.phase = phase;
        s.head_started = None;
        s.last = Instant::now();
        drop(s);
        self.changed.notify_waiters();
    }

    /// The body is read: the request is being handled until its
    /// [`RequestGuard`] is dropped.
    fn handling(&self) {
        self.state().phase = Phase::Handling;
        self.changed.notify_waiters();
    }

    /// When the connection is to be closed as things stand; `None` while a
    /// request is handled.
    fn deadline(&self) -> Option<Instant> {
        let s = self.state();
        let idle = s.last + self.idle_timeout;
        match (s.phase, s.head_started) {
            (Phase::Handling, _) => None,
            (Phase::Between, Some(started)) => Some(idle.min(started + self.header_read_timeout)),
            _ => Some(idle),
        }
    }

    /// Resolves once a limit is exceeded: the connection is to be closed.
    pub async fn expired(&self) {
        loop {
            let changed = self.changed.notified();
            tokio::pin!(changed);
            // Register before reading the state, so no change is missed.
            changed.as_mut().enable();
            match self.deadline() {
                Some(deadline) if deadline <= Instant::now() => return,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = changed => {}
                    }
                }
                // A request being handled has no limit.
                None => changed.await,
            }
        }
    }
}

/// Notes a request head as read, and the request as done when dropped,
/// whatever phase it reached: held by the service for the whole request.
pub(crate) struct RequestGuard(Arc<Watch>);

impl RequestGuard {
    pub fn new(watch: Arc<Watch>) -> Self {
        watch.enter(Phase::Body);
        RequestGuard(watch)
    }

    /// The body is read: the request is being handled.
    pub fn handling(&self) {
        self.0.handling();
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        // The request ended (answered, dropped by a fault, or cancelled).
        self.0.enter(Phase::Between);
    }
}

/// An IO that tells its [`Watch`] when bytes move.
pub(crate) struct Watched<T> {
    io: T,
    watch: Arc<Watch>,
}

impl<T> Watched<T> {
    pub fn new(io: T, watch: Arc<Watch>) -> Self {
        Watched { io, watch }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.read();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.wrote();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.watch.wrote();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
