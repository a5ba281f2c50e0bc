//! An `https://` base URL speaks TLS. progenitor-client turns reqwest's
//! default features off, so without a TLS feature an https call would fail
//! at run time with "scheme not supported" before any byte is sent. A
//! loopback listener records the first bytes the client sends: a TLS
//! handshake record (0x16, version 0x03 0x0N) carrying a ClientHello.
//!
//! A binary of its own: with the default `rustls-ring` feature, building a
//! reqwest client panics unless a process-wide crypto provider is installed,
//! which `ClientConfig::build` does. In a process shared with other tests
//! (some install it for their own reqwest clients), that would go unseen.

use std::time::Duration;

use talkjs::{ClientConfig, Error, RetryPolicy};
use tokio::{io::AsyncReadExt, net::TcpListener, sync::oneshot};

#[tokio::test]
async fn https_base_urls_open_a_tls_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut first = [0u8; 6];
        socket.read_exact(&mut first).await.unwrap();
        let _ = tx.send(first);
        // Dropping the socket ends the handshake: the call then fails.
    });
    let client = ClientConfig::new("app", "sk_test_tls")
        .base_url(format!("https://127.0.0.1:{port}"))
        .retry(RetryPolicy::none())
        .attempt_timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let error = client.users().get("alice").await.unwrap_err();
    let first = rx.await.expect("the client connected and sent bytes");
    assert_eq!(first[0], 0x16, "not a TLS handshake record: {first:?}");
    assert_eq!(first[1], 0x03, "not a TLS version: {first:?}");
    assert_eq!(first[5], 0x01, "not a ClientHello: {first:?}");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}
