//! What a hostile or careless client cannot do to the emulator that users
//! run inside their own test processes: read the secret through `Debug`,
//! grow the request log without bound, keep connections open forever.

mod common;

use common::Api;
use serde_json::json;
use talkjs_emulator::EmulatorConfig;

const SECRET: &str = "sk_test_debug_must_not_show_this";

/// `Debug` of the configuration, the emulator (which holds the store) and
/// a logged request shows no secret key; the emulator's is short (it used
/// to print the whole store).
#[tokio::test]
async fn debug_redacts_the_secret() {
    let config = EmulatorConfig::default().secret_key(SECRET);
    let shown = format!("{config:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(
        shown.contains("emulator_app"),
        "other settings stay: {shown}"
    );

    let api = Api::with(config.request_log_capacity(10)).await;
    api.users(&["a", "b"]).await;
    api.conversation("c1", &["a", "b"]).await;
    let shown = format!("{:?}", api.emu);
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.len() < 300, "no store in it: {shown}");
    let (s, _) = api.get("/users/a").await;
    assert_eq!(s, 200);
    let records = api.emu.requests();
    assert!(!records.is_empty());
    for r in &records {
        let shown = format!("{r:?}");
        assert!(!shown.contains(SECRET), "{shown}");
    }
}

/// The request log is bounded in bytes: refused requests (unknown route,
/// unknown app, bad credentials) are kept without their bodies, an
/// admitted body is cut to the body limit with its length kept, a small
/// one stays whole, and the oldest records go once the byte bound is
/// reached. Before, every body was kept whole: 60 unauthenticated 9 MiB
/// POSTs to `/nothing/N/files` grew the process by 577 MiB.
#[tokio::test]
async fn the_request_log_is_bounded_in_bytes() {
    const BODY_LIMIT: usize = 4096;
    const MAX_BYTES: usize = 1 << 20;
    let api = Api::with(
        EmulatorConfig::default()
            .request_log_body_limit(BODY_LIMIT)
            .request_log_max_bytes(MAX_BYTES),
    )
    .await;
    let big = vec![b'x'; 9 << 20];
    let refused = [
        format!("{}/nothing/1/files", api.emu.base_url()),
        format!("{}/v1/other_app/files", api.emu.base_url()),
        format!("{}/files", api.emu.api_url()),
    ];
    for url in &refused {
        let r = api
            .http
            .post(url)
            .bearer_auth("sk_wrong")
            .header("content-type", "multipart/form-data; boundary=x")
            .body(big.clone())
            .send()
            .await
            .unwrap();
        assert!(matches!(r.status().as_u16(), 401 | 404), "{url}");
    }
    let log = api.emu.requests();
    assert_eq!(log.len(), refused.len());
    for r in &log {
        assert!(r.refused, "{}", r.path);
        assert!(r.body.is_empty(), "{}", r.path);
        assert_eq!(r.body_len, big.len(), "{}", r.path);
    }
    api.emu.clear_log();

    // A small admitted body is whole; a large one is cut, its length kept.
    let (s, _) = api.put("/users/small", json!({"name": "S"})).await;
    assert_eq!(s, 200);
    let large = json!({"name": "L", "custom": {"k": "y".repeat(10_000)}});
    let (s, _) = api.put("/users/large", large.clone()).await;
    assert_eq!(s, 200);
    let log = api.emu.requests();
    assert_eq!(log[0].json(), Some(json!({"name": "S"})));
    assert!(!log[0].refused && !log[0].body_truncated());
    assert_eq!(log[1].body.len(), BODY_LIMIT);
    assert_eq!(log[1].body_len, large.to_string().len());
    assert!(log[1].body_truncated());
    assert_eq!(
        &log[1].body[..],
        &large.to_string().as_bytes()[..BODY_LIMIT]
    );

    // 400 cut bodies hold more than the byte bound: the oldest go.
    for i in 0..400 {
        let (s, _) = api.put(&format!("/users/u{i}"), large.clone()).await;
        assert_eq!(s, 200);
    }
    let log = api.emu.requests();
    let held: usize = log
        .iter()
        .map(|r| {
            r.body.len()
                + r.path.len()
                + r.headers
                    .iter()
                    .map(|(n, v)| n.len() + v.len())
                    .sum::<usize>()
        })
        .sum();
    assert!(held <= MAX_BYTES, "{held} bytes held");
    assert!(log.len() < 400, "the oldest went: {} kept", log.len());
    assert!(
        log.len() > 100,
        "but the bound is bytes, not a few records: {}",
        log.len()
    );
    assert_eq!(
        log.last().unwrap().path,
        format!("/v1/{}/users/u399", api.emu.app_id())
    );
}
