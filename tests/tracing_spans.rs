//! One `talkjs.request` span per attempt, with the operation, the attempt
//! number, the status and the duration.

mod common;

use std::time::Duration;

use talkjs::RetryPolicy;
use talkjs_emulator::{Emulator, EmulatorConfig, Fault};
use tracing_subscriber::fmt::format::FmtSpan;

#[tokio::test]
async fn each_attempt_is_a_span_with_operation_attempt_status_and_duration() {
    let capture = common::Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_span_events(FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emulator = Emulator::start(EmulatorConfig::new()).await.unwrap();
    let client = common::config_of(&emulator)
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
        .build()
        .unwrap();
    emulator.inject_fault(Fault::status(503));
    let error = client.users().get("nobody").await.unwrap_err();
    assert_eq!(error.status(), Some(404));

    let logs = capture.text();
    let closed: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("talkjs.request") && l.contains("close"))
        .collect();
    assert_eq!(closed.len(), 2, "one span per attempt:\n{logs}");
    for (line, (attempt, status)) in closed.iter().zip([(1, 503), (2, 404)]) {
        assert!(line.contains("operation=\"get_user\""), "{line}");
        assert!(line.contains(&format!("attempt={attempt}")), "{line}");
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(line.contains("duration_ms="), "{line}");
        assert!(line.contains("method=GET"), "{line}");
    }
    assert!(logs.contains("retrying"), "the retry is logged:\n{logs}");
}
