//! Pacing and its counters on the wire: a 429 is counted, retried after
//! its `Retry-After`, and reaches the client's stats; a paced client sends
//! every call. (The pacing itself is timed in `src/http/rate_limit.rs`'s
//! tests with tokio's paused clock, and measured in `benches/bulk.rs`.)

use serde_json::json;
use talkjs::{ClientStats, RateLimit, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::wire::{APP, SECRET, exactly};

async fn throttling_once() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "alice"})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_429_is_counted_retried_and_shared_by_clones() {
    for limit in [
        RateLimit::Off,
        RateLimit::fixed(1_000, 10),
        RateLimit::adaptive(),
    ] {
        let server = throttling_once().await;
        let client = talkjs::ClientConfig::new(APP, SECRET)
            .base_url(server.uri())
            .rate_limit(limit.clone())
            .retry(RetryPolicy::default().initial_backoff(std::time::Duration::from_millis(1)))
            .build()
            .unwrap();
        let before = client.stats();
        let clone = client.clone();
        clone.users().get("alice").await.unwrap();
        client.users().get("alice").await.unwrap();
        let job = client.stats().since(&before);
        let mut expected = ClientStats::default();
        (expected.retries, expected.throttled) = (1, 1);
        assert_eq!(job, expected, "{limit:?}");
        exactly(&server, 3).await;
    }
}
