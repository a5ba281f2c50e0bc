//! The proxy variables never carry the credentials in clear text: a plain
//! http base URL (the emulator on loopback) is reached directly, and an
//! https one only through a `CONNECT` tunnel, whose first bytes hold no
//! `Authorization`. Its own test binary: the variables are process-wide,
//! and reqwest reads them when a client is built.

mod common;

use std::{
    io::Read,
    net::TcpListener,
    sync::{Arc, Mutex},
    time::Duration,
};

use talkjs::{AuthMode, ClientConfig, RetryPolicy};

const SECRET: &str = "sk_test_ProxyMustNeverSeeThis";

/// A fake proxy on loopback that records every byte of every connection,
/// answers nothing and closes each connection after a short read.
fn recording_proxy() -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            stream
                .set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let mut bytes = Vec::new();
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = stream.read(&mut buf) {
                bytes.extend_from_slice(&buf[..n]);
            }
            record.lock().unwrap().push(bytes);
        }
    });
    (url, seen)
}

#[tokio::test]
async fn the_proxy_variables_never_see_the_credentials() {
    let (proxy, seen) = recording_proxy();
    // SAFETY: this binary's only test sets them before any client exists,
    // and nothing else here reads the environment concurrently.
    unsafe {
        for name in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
            std::env::set_var(name, &proxy);
            std::env::set_var(name.to_lowercase(), &proxy);
        }
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }

    // Plain http to loopback (the emulator): direct, the proxy gets nothing.
    let emulator = talkjs_emulator::Emulator::start(talkjs_emulator::EmulatorConfig::new())
        .await
        .unwrap();
    for auth in [
        AuthMode::SecretKey,
        AuthMode::AppToken {
            lifetime: Duration::from_secs(30),
        },
    ] {
        let client = common::config_of(&emulator).auth(auth).build().unwrap();
        client
            .users()
            .upsert("alice", common::named("Alice"))
            .await
            .unwrap();
        assert_eq!(
            client.users().get("alice").await.unwrap().name.as_deref(),
            Some("Alice")
        );
    }
    assert_eq!(emulator.requests().len(), 4);
    {
        let seen = seen.lock().unwrap();
        let all: Vec<_> = seen.iter().map(|b| String::from_utf8_lossy(b)).collect();
        assert!(
            !all.iter()
                .any(|b| b.contains(emulator.secret_key()) || b.contains("Bearer")),
            "the proxy received the credentials: {all:?}"
        );
        assert!(seen.is_empty(), "the proxy received {all:?}");
    }

    // https: only a CONNECT tunnel; the TLS handshake then fails against
    // the fake proxy, which is expected.
    let client = ClientConfig::new("app", SECRET)
        .base_url("https://api.talkjs.example")
        .auth(AuthMode::SecretKey)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let error = client.users().get("alice").await.unwrap_err();
    assert!(
        matches!(error, talkjs::Error::Transport { .. }),
        "{error:?}"
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    let first = String::from_utf8_lossy(&seen[0]);
    assert!(
        first.starts_with("CONNECT api.talkjs.example:443 HTTP/1.1\r\n"),
        "{first}"
    );
    for leak in [SECRET, "Bearer", "authorization", "Authorization"] {
        assert!(!first.contains(leak), "{leak} in {first}");
    }
}
