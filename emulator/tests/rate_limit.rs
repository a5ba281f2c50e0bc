//! The app's rate limit (`EmulatorConfig::rate_limit`, `--rate-limit`): a
//! token bucket in front of every `/v1/...` route, 429 with or without
//! `Retry-After` once it is empty, never on the admin routes; off by
//! default. No test sleeps: a tiny rate makes "no token comes back during
//! the test" certain, and refilling is shown by counting.

mod common;

use std::time::Duration;

use common::Api;
use reqwest::Method;
use serde_json::{Value, json};
use talkjs_emulator::{EmulatorConfig, Fault, RateLimit, RateLimitStats};
use tokio::task::JoinSet;

const LIMIT: Duration = Duration::from_secs(10);

/// One token per 1000 s: none comes back while a test runs.
const TINY: f64 = 0.001;

/// An emulator with `limit`, no batch interval, and the admin routes.
async fn limited(limit: RateLimit) -> Api {
    Api::with(
        EmulatorConfig::default()
            .batch_interval(Duration::ZERO)
            .admin_routes(true)
            .rate_limit(limit),
    )
    .await
}

/// `GET /users`: status, `Retry-After` and body.
async fn get_users(api: &Api) -> (u16, Option<String>, Value) {
    let resp = api
        .http
        .get(format!("{}/users", api.emu.api_url()))
        .bearer_auth(api.emu.secret_key())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, resp.json().await.unwrap())
}

/// `n` `GET /users` at once: their statuses.
async fn concurrent_gets(api: &Api, n: usize) -> Vec<u16> {
    let mut calls = JoinSet::new();
    for _ in 0..n {
        let req = api
            .http
            .get(format!("{}/users", api.emu.api_url()))
            .bearer_auth(api.emu.secret_key());
        calls.spawn(async move { req.send().await.unwrap().status().as_u16() });
    }
    calls.join_all().await
}

/// `method /__emulator/{path}`: status and body.
async fn admin_call(api: &Api, method: Method, path: &str) -> (u16, Value) {
    let url = format!("{}/__emulator/{path}", api.emu.base_url());
    let resp = api.http.request(method, url).send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

/// `GET /__emulator/{path}`: status and body.
async fn admin(api: &Api, path: &str) -> (u16, Value) {
    admin_call(api, Method::GET, path).await
}

fn stats(admitted: u64, throttled: u64) -> RateLimitStats {
    RateLimitStats {
        admitted,
        throttled,
    }
}

#[tokio::test]
async fn the_burst_passes_then_429_with_or_without_retry_after() {
    for retry_after in [true, false] {
        let api = limited(RateLimit::new(TINY, 5).retry_after(retry_after)).await;
        for i in 0..5 {
            assert_eq!(get_users(&api).await.0, 200, "request {i} of the burst");
        }
        let (status, header, body) = get_users(&api).await;
        assert_eq!(status, 429);
        assert_eq!(body["error"], "TooManyRequests");
        assert!(
            body["message"].as_str().unwrap().contains("rate limit"),
            "{body}"
        );
        if retry_after {
            // Whole seconds until the next token: 1000 s at this rate,
            // less the time the test took, rounded up.
            let secs: u64 = header.expect("Retry-After").parse().unwrap();
            assert!((990..=1000).contains(&secs), "{secs}");
        } else {
            assert_eq!(header, None, "no Retry-After when turned off");
        }
        assert_eq!(api.emu.rate_limit_stats(), stats(5, 1));
    }
}

#[tokio::test]
async fn a_throttled_request_changes_nothing_and_is_logged() {
    let api = limited(RateLimit::new(TINY, 1)).await;
    api.users(&["a"]).await;
    api.emu.inject_fault(Fault::status(503));
    let (s, b) = api.put("/users/b", json!({"name": "b"})).await;
    assert_eq!((s, &b["error"]), (429, &json!("TooManyRequests")));
    assert_eq!(api.emu.user("b"), None, "not applied");
    assert_eq!(
        api.emu.fault_counts().total(),
        0,
        "the fault is still queued"
    );
    let log = api.emu.requests();
    let last = log.last().unwrap();
    assert!(last.refused && last.throttled, "{last:?}");
    assert_eq!((last.body.len(), last.body_len), (0, 12), "body not kept");
    assert_eq!(last.fault, None);
    let (_, http_log) = admin(&api, "requests").await;
    assert_eq!(http_log["data"][0]["throttled"], false);
    assert_eq!(http_log["data"][1]["throttled"], true);

    // A reset fills the bucket again; the counters keep counting.
    api.emu.reset();
    api.users(&["c"]).await;
    assert_eq!(api.emu.rate_limit_stats(), stats(2, 1));
}

#[tokio::test]
async fn admin_routes_files_and_refused_requests_never_draw_from_it() {
    let api = limited(RateLimit::new(TINY, 1)).await;
    assert_eq!(get_users(&api).await.0, 200);
    assert_eq!(get_users(&api).await.0, 429);
    for _ in 0..20 {
        for path in ["health", "rate-limit", "requests", "faults"] {
            assert_eq!(admin(&api, path).await.0, 200, "{path}");
        }
    }
    let base = api.emu.base_url();
    let status = |url: String, key: &'static str| {
        let req = api.http.get(url).bearer_auth(key);
        async move { req.send().await.unwrap().status().as_u16() }
    };
    let users = format!("{}/users", api.emu.api_url());
    assert_eq!(status(users, "sk_wrong").await, 401);
    assert_eq!(status(format!("{base}/v1/other/users"), "sk").await, 404);
    assert_eq!(status(format!("{base}/files/none"), "sk").await, 404);
    assert_eq!(api.emu.rate_limit_stats(), stats(1, 1));
    let (s, body) = admin(&api, "rate-limit").await;
    assert_eq!(s, 200);
    assert_eq!(
        body,
        json!({"enabled": true, "perSecond": TINY, "burst": 1, "retryAfter": true,
               "admitted": 1, "throttled": 1})
    );
    assert_eq!(admin_call(&api, Method::POST, "rate-limit").await.0, 405);
}

#[tokio::test]
async fn a_batch_takes_one_token_and_keeps_its_own_limit() {
    let config = EmulatorConfig::default().rate_limit(RateLimit::new(TINY, 3));
    let api = Api::with(config).await;
    let batch = json!([
        [1, "PUT", "/users/u1", {"name": "One"}],
        [2, "PUT", "/users/u2", {"name": "Two"}]
    ]);
    let (s, b) = api.post("/batch", batch.clone()).await;
    assert_eq!(s, 200, "{b}");
    // The batch limit (one a second) refuses the next batch; it took a
    // token all the same.
    let (s, b) = api.post("/batch", batch).await;
    assert_eq!(s, 429);
    assert!(b["message"].as_str().unwrap().contains("batch"), "{b}");
    assert_eq!(get_users(&api).await.0, 200, "the third token");
    let (s, _, b) = get_users(&api).await;
    assert_eq!(s, 429);
    assert!(b["message"].as_str().unwrap().contains("rate limit"), "{b}");
    assert_eq!(api.emu.rate_limit_stats(), stats(3, 1));
}

#[tokio::test]
async fn off_by_default_a_hundred_quick_requests_pass() {
    let api = Api::with(EmulatorConfig::default().admin_routes(true)).await;
    assert_eq!(concurrent_gets(&api, 100).await, [200; 100]);
    assert_eq!(api.emu.rate_limit_stats(), stats(0, 0));
    assert_eq!(
        admin(&api, "rate-limit").await.1,
        json!({"enabled": false, "perSecond": null, "burst": null, "retryAfter": null,
               "admitted": 0, "throttled": 0})
    );
}

/// 200 requests at once against a burst of 50: exactly 50 pass.
#[tokio::test]
async fn exact_under_concurrency() {
    let api = limited(RateLimit::new(TINY, 50)).await;
    let mut statuses = concurrent_gets(&api, 200).await;
    statuses.sort_unstable();
    assert_eq!(statuses[..50], [200; 50]);
    assert_eq!(statuses[50..], [429; 150]);
    assert_eq!(api.emu.rate_limit_stats(), stats(50, 150));
}

/// At 1000 tokens a second with a burst of 1, more than one request
/// passes only if tokens come back; a 429 meanwhile says to retry in 1 s
/// (the wait is under 1 ms, rounded up to a whole second).
#[tokio::test]
async fn tokens_come_back_at_the_rate() {
    let api = limited(RateLimit::new(1000.0, 1)).await;
    let sent = tokio::time::timeout(LIMIT, async {
        let (mut sent, mut passed) = (0, 0);
        while passed < 3 {
            let (status, retry_after, _) = get_users(&api).await;
            sent += 1;
            match status {
                200 => passed += 1,
                429 => assert_eq!(retry_after.as_deref(), Some("1")),
                other => panic!("status {other}"),
            }
        }
        sent
    })
    .await
    .expect("tokens come back");
    let got = api.emu.rate_limit_stats();
    assert_eq!((got.admitted, got.admitted + got.throttled), (3, sent));
}

#[tokio::test]
async fn the_binary_takes_the_rate_limit_flags() {
    let (mut child, base) = common::spawn_binary(&[
        "--bind",
        "127.0.0.1:0",
        "--app-id",
        "app",
        "--secret-key",
        "sk",
        "--admin",
        "--rate-limit",
        "0.001/s",
        "--burst",
        "2",
        "--no-retry-after",
    ]);
    let http = common::http();
    let mut answers = Vec::new();
    for _ in 0..3 {
        let resp = http
            .get(format!("{base}/v1/app/users"))
            .bearer_auth("sk")
            .send()
            .await;
        answers.push(resp.map(|r| (r.status().as_u16(), r.headers().contains_key("retry-after"))));
    }
    let stats = async {
        let url = format!("{base}/__emulator/rate-limit");
        http.get(url).send().await?.json::<Value>().await
    }
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    let answers: Vec<_> = answers.into_iter().map(Result::unwrap).collect();
    assert_eq!(answers, [(200, false), (200, false), (429, false)]);
    let stats = stats.unwrap();
    assert_eq!(
        stats,
        json!({"enabled": true, "perSecond": 0.001, "burst": 2, "retryAfter": false,
               "admitted": 2, "throttled": 1})
    );
}
