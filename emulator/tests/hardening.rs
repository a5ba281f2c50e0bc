//! What a hostile or careless client cannot do to the emulator that users
//! run inside their own test processes: read the secret through `Debug`,
//! grow the request log without bound, keep connections open forever.

mod common;

use common::Api;
use std::time::{Duration, Instant};

use serde_json::json;
use talkjs_emulator::{Emulator, EmulatorConfig, Fault};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

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

/// Upper bound for anything awaited here; never reached when things work.
const LIMIT: Duration = Duration::from_secs(10);

/// Sends a raw `GET path` on `stream` and reads one whole answer; returns
/// its status line.
async fn get(stream: &mut TcpStream, emu: &Emulator, path: &str) -> String {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n\r\n",
        emu.addr(),
        emu.secret_key()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = timeout(LIMIT, stream.read(&mut chunk))
            .await
            .unwrap()
            .unwrap();
        assert!(
            n > 0,
            "closed before the answer: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&got);
        if let Some(head_end) = text.find("\r\n\r\n") {
            let length = common::content_length(&text[..head_end]);
            if got.len() >= head_end + 4 + length {
                return text.lines().next().unwrap().to_owned();
            }
        }
    }
}

/// Reads until the server closes the connection; how long that took.
async fn closed_by_server(stream: &mut TcpStream) -> Duration {
    let start = Instant::now();
    let mut chunk = [0u8; 1024];
    loop {
        match timeout(LIMIT, stream.read(&mut chunk))
            .await
            .expect("closed within the limit")
        {
            Ok(0) | Err(_) => return start.elapsed(),
            Ok(_) => {}
        }
    }
}

/// A connection that sends nothing, and one kept alive after a request,
/// are closed once idle for the idle timeout (not before). Before, 300
/// idle connections stayed open for 40 s and more.
#[tokio::test]
async fn idle_connections_are_closed() {
    let idle = Duration::from_millis(300);
    let emu = Emulator::start(EmulatorConfig::default().idle_timeout(idle))
        .await
        .unwrap();
    let start = Instant::now();
    let mut silent = TcpStream::connect(emu.addr()).await.unwrap();
    closed_by_server(&mut silent).await;
    assert!(start.elapsed() >= idle, "{:?}", start.elapsed());

    let mut used = TcpStream::connect(emu.addr()).await.unwrap();
    let status = get(
        &mut used,
        &emu,
        &format!("/v1/{}/users/nobody", emu.app_id()),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 404"), "{status}");
    let waited = closed_by_server(&mut used).await;
    assert!(waited >= idle, "{waited:?}");
}

/// A client trickling a request head (a header line every 20 ms, so the
/// connection is never idle) is cut off by the header-read timeout.
/// Before, 50 such slowloris connections stayed open for 40 s and more.
#[tokio::test]
async fn a_slow_request_head_is_cut_off() {
    let header = Duration::from_millis(200);
    let config = EmulatorConfig::default()
        .header_read_timeout(header)
        .idle_timeout(Duration::from_secs(3600));
    let emu = Emulator::start(config).await.unwrap();
    let stream = TcpStream::connect(emu.addr()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let start = Instant::now();
    writer.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let trickle = tokio::spawn(async move {
        for i in 0.. {
            tokio::time::sleep(Duration::from_millis(20)).await;
            let line = format!("X-Slow-{i}: 1\r\n");
            if writer.write_all(line.as_bytes()).await.is_err() {
                return;
            }
        }
    });
    let mut rest = Vec::new();
    let _ = timeout(LIMIT, reader.read_to_end(&mut rest))
        .await
        .expect("cut off within the limit");
    assert!(start.elapsed() >= header, "{:?}", start.elapsed());
    trickle.abort();
}

/// The header-read timeout starts with a request's first byte: a
/// kept-alive connection waiting far longer than it between requests is
/// still served; and a request being handled longer than the idle timeout
/// (held by a delay) is answered, not cut off.
#[tokio::test]
async fn limits_spare_kept_alive_connections_and_handled_requests() {
    let config = EmulatorConfig::default()
        .header_read_timeout(Duration::from_millis(100))
        .idle_timeout(Duration::from_millis(300));
    let emu = Emulator::start(config).await.unwrap();
    let path = format!("/v1/{}/users/nobody", emu.app_id());
    let mut stream = TcpStream::connect(emu.addr()).await.unwrap();
    // Longer than the idle timeout: only handling time, no byte moves.
    emu.inject_fault(Fault::Delay(Duration::from_millis(900)));
    assert!(
        get(&mut stream, &emu, &path)
            .await
            .starts_with("HTTP/1.1 404")
    );
    drop(stream);

    let config = EmulatorConfig::default()
        .header_read_timeout(Duration::from_millis(100))
        .idle_timeout(Duration::from_secs(3600));
    let emu = Emulator::start(config).await.unwrap();
    let mut stream = TcpStream::connect(emu.addr()).await.unwrap();
    assert!(
        get(&mut stream, &emu, &path)
            .await
            .starts_with("HTTP/1.1 404")
    );
    // Ten header-read timeouts between two requests (the scenario, not a
    // synchronisation).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        get(&mut stream, &emu, &path)
            .await
            .starts_with("HTTP/1.1 404")
    );
}
