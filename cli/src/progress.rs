//! Progress of long work on stderr: an indicatif bar (rate, ETA, retries,
//! throttling) on a terminal, plain lines otherwise (or with `--plain`),
//! so that logs and pipes get readable text rather than escape codes.

use std::{
    io::IsTerminal,
    sync::Mutex,
    time::{Duration, Instant},
};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use talkjs::bulk::BulkProgress;

/// A progress display for one job.
pub struct Progress {
    label: &'static str,
    unit: &'static str,
    total: Option<u64>,
    view: View,
}

enum View {
    Bar(ProgressBar),
    Plain(Mutex<Plain>),
}

/// The plain view's state: lines are printed at each whole percent (or,
/// without a total, at most once a second), so that a long job writes a
/// bounded number of lines.
struct Plain {
    started: Instant,
    last_line: Option<Instant>,
    last_percent: Option<u64>,
}

/// The counts of a progress line besides the position.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Items done or skipped (the position).
    pub position: u64,
    /// Items that failed.
    pub failed: u64,
    /// Items skipped as already done.
    pub skipped: u64,
    /// Requests retried.
    pub retried: u64,
    /// 429 answers met.
    pub throttled: u64,
}

impl From<&BulkProgress> for Counts {
    fn from(p: &BulkProgress) -> Self {
        Counts {
            position: p.done + p.skipped + p.failed,
            failed: p.failed,
            skipped: p.skipped,
            retried: p.retried,
            throttled: p.throttled,
        }
    }
}

impl Progress {
    /// A display for `label` counting `unit`s, out of `total` when known;
    /// plain lines when `plain` or when stderr is not a terminal.
    pub fn new(label: &'static str, unit: &'static str, total: Option<u64>, plain: bool) -> Self {
        let view = if plain || !std::io::stderr().is_terminal() {
            View::Plain(Mutex::new(Plain {
                started: Instant::now(),
                last_line: None,
                last_percent: None,
            }))
        } else {
            let template = if total.is_some() {
                "{spinner} {prefix} [{bar:30}] {human_pos}/{human_len} {per_sec} ETA {eta} {msg}"
            } else {
                "{spinner} {prefix} {human_pos} {per_sec} {msg}"
            };
            let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(format!("{label} ({unit})"));
            bar.enable_steady_tick(Duration::from_millis(200));
            View::Bar(bar)
        };
        Progress {
            label,
            unit,
            total,
            view,
        }
    }

    /// Shows a bulk job's progress.
    pub fn bulk(&self, progress: &BulkProgress) {
        self.show(Counts::from(progress));
    }

    /// Shows `counts`.
    pub fn show(&self, counts: Counts) {
        let detail = format!(
            "retried {}, throttled {}, failed {}, skipped {}",
            counts.retried, counts.throttled, counts.failed, counts.skipped
        );
        match &self.view {
            View::Bar(bar) => {
                bar.set_position(counts.position);
                bar.set_message(detail);
            }
            View::Plain(plain) => {
                let mut plain = plain.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let due = match self.total {
                    Some(total) if total > 0 => {
                        let percent = counts.position * 100 / total;
                        let due = plain.last_percent != Some(percent);
                        plain.last_percent = Some(percent);
                        due
                    }
                    _ => plain
                        .last_line
                        .is_none_or(|last| now - last >= Duration::from_secs(1)),
                };
                if due {
                    plain.last_line = Some(now);
                    crate::output::note(self.line(&plain, counts, &detail));
                }
            }
        }
    }

    /// A plain line: position, rate, ETA and the counts.
    fn line(&self, plain: &Plain, counts: Counts, detail: &str) -> String {
        let elapsed = plain.started.elapsed().as_secs_f64().max(0.001);
        let rate = counts.position as f64 / elapsed;
        let (label, unit) = (self.label, self.unit);
        match self.total {
            Some(total) => {
                let left = total.saturating_sub(counts.position) as f64;
                let eta = if rate > 0.0 {
                    format!("{:.0}s", left / rate)
                } else {
                    "?".into()
                };
                format!(
                    "{label}: {}/{total} {unit}, {rate:.1}/s, ETA {eta}; {detail}",
                    counts.position
                )
            }
            None => format!("{label}: {} {unit}, {rate:.1}/s; {detail}", counts.position),
        }
    }

    /// Ends the display (the bar stays on screen with its last state).
    pub fn finish(&self) {
        if let View::Bar(bar) = &self.view {
            bar.abandon();
        }
    }
}
