//! Helpers shared by the integration tests (`mod common;` in each binary).
#![allow(dead_code)]

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use talkjs::raw::types::{
    ConversationInput, ImportMessageInput, ImportMessageInputType, PresenceInput,
    PresenceInputAvailability, SendMessageInput, UserInput,
};
use talkjs_emulator::{Emulator, EmulatorConfig};

/// A fresh emulator on loopback (no batch rate limit) and a client for it.
pub async fn emulator() -> (Emulator, talkjs::Client) {
    let emu = Emulator::start(EmulatorConfig::new().batch_interval(Duration::ZERO))
        .await
        .expect("emulator starts");
    let client = client_of(&emu);
    (emu, client)
}

/// A client of `emu` with the default settings. Each client paces its own
/// batches (one a second), so a second client's batch does not wait for
/// the first's.
pub fn client_of(emu: &Emulator) -> talkjs::Client {
    config_of(emu).build().expect("client builds")
}

/// The configuration of a client of `emu` (its app, key and URL), for a
/// test to set more on.
pub fn config_of(emu: &Emulator) -> talkjs::ClientConfig {
    talkjs::ClientConfig::new(emu.app_id(), emu.secret_key()).base_url(emu.base_url())
}

/// A user input with only a name.
pub fn named(name: &str) -> UserInput {
    UserInput::named(name)
}

/// A conversation input with these participants.
pub fn with_participants(ids: &[&str]) -> ConversationInput {
    ConversationInput::with_participants(ids.iter().copied())
}

/// A presence input: visible and online.
pub fn online() -> PresenceInput {
    PresenceInput::builder()
        .availability(PresenceInputAvailability::Online)
        .visible(true)
        .try_into()
        .unwrap()
}

/// A user text message.
pub fn text(sender: &str, text: &str) -> SendMessageInput {
    SendMessageInput::user_text(sender, text)
}

/// A system text message.
pub fn system(text: &str) -> SendMessageInput {
    SendMessageInput::system_text(text)
}

/// A message to import.
pub fn import(sender: &str, text: &str, timestamp: i64) -> ImportMessageInput {
    ImportMessageInput::builder()
        .type_(ImportMessageInputType::UserMessage)
        .sender(sender)
        .text(text.to_string())
        .timestamp(timestamp)
        .read_by(Vec::new())
        .try_into()
        .unwrap()
}

/// Asserts that `result` is a validation error of `field`.
#[track_caller]
pub fn assert_validation<T: std::fmt::Debug>(result: Result<T, talkjs::Error>, field: &str) {
    match result {
        Err(talkjs::Error::Validation { field: f, rule }) => {
            assert_eq!(f, field, "wrong field (rule: {rule})")
        }
        other => panic!("expected a validation error of {field}, got {other:?}"),
    }
}

/// Asserts that `result` is `Error::NotFound`.
#[track_caller]
pub fn assert_not_found<T: std::fmt::Debug>(result: Result<T, talkjs::Error>) {
    match result {
        Err(talkjs::Error::NotFound { body }) => assert_eq!(body.status, 404),
        other => panic!("expected NotFound, got {other:?}"),
    }
}

/// A loopback listener that never accepts, its backlog already full: the
/// kernel drops further SYNs, so connecting to `addr` hangs until the
/// client's connect timeout. Connecting hangs only while this is alive.
pub struct Unconnectable {
    pub addr: std::net::SocketAddr,
    _listener: tokio::net::TcpListener,
    _fillers: Vec<tokio::net::TcpStream>,
}

pub async fn unconnectable() -> Unconnectable {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    for _ in 0..8 {
        let connect = tokio::net::TcpStream::connect(addr);
        match tokio::time::timeout(Duration::from_millis(200), connect).await {
            Ok(Ok(stream)) => fillers.push(stream),
            _ => break, // the queue is full
        }
    }
    Unconnectable {
        addr,
        _listener: listener,
        _fillers: fillers,
    }
}

/// The error of `users().get` through a client of `config` whose server
/// never accepts the connection ([`unconnectable`]): connect timeout
/// `connect`, a 20 s attempt timeout, no retries. Asserts that it is a
/// connect timeout.
pub async fn connect_timeout_error(
    config: talkjs::ClientConfig,
    connect: Duration,
) -> talkjs::Error {
    let listener = unconnectable().await;
    let client = config
        .base_url(format!("http://{}", listener.addr))
        .connect_timeout(connect)
        .attempt_timeout(Duration::from_secs(20))
        .retry(talkjs::RetryPolicy::none())
        .build()
        .expect("client builds");
    let error = client.users().get("nobody").await.unwrap_err();
    assert!(
        matches!(
            error,
            talkjs::Error::Timeout {
                which: talkjs::TimeoutKind::Connect,
                ..
            }
        ),
        "{error:?}"
    );
    drop(listener);
    error
}

/// The outcomes and the cause of a partial batch error whose second
/// request failed after the first (ten operations, each answered 200).
#[track_caller]
pub fn first_ten_applied(error: &talkjs::Error) -> (&[talkjs::BatchOutcome], &talkjs::Error) {
    match error {
        talkjs::Error::Partial {
            failed_chunk,
            applied,
            outcomes,
            source,
            ..
        } => {
            assert_eq!(*failed_chunk, 1);
            assert_eq!((*applied, outcomes.len()), (10, 10));
            for outcome in outcomes {
                assert_eq!(outcome.status, 200, "{outcome:?}");
            }
            (outcomes, source)
        }
        other => panic!("expected a partial batch, got {other:?}"),
    }
}

/// A writer for a tracing subscriber that keeps everything written to it:
/// give the subscriber clones (`.with_writer(move || writer.clone())`) and
/// read the log lines back with [`Capture::text`].
#[derive(Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Everything written so far (it must be UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A loopback reverse proxy in front of `upstream`, as nginx or a cloud load
/// balancer is: each request is forwarded as it came, and when the upstream
/// connection fails (e.g. it dropped after applying the request), the
/// gateway answers 502 Bad Gateway.
pub async fn gateway(upstream: String) -> String {
    use axum::response::IntoResponse;
    // Its own reqwest client may be built before any TalkJS client.
    talkjs::install_default_crypto_provider();
    let forward = reqwest::Client::builder().no_proxy().build().unwrap();
    let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
        let (forward, upstream) = (forward.clone(), upstream.clone());
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let url = format!("{upstream}{}", parts.uri);
            let mut outgoing = forward.request(parts.method, url).body(body);
            for (name, value) in &parts.headers {
                if name != "host" && name != "content-length" {
                    outgoing = outgoing.header(name, value);
                }
            }
            match outgoing.send().await {
                Ok(answer) => {
                    let status = answer.status();
                    let body = answer.bytes().await.unwrap_or_default();
                    (status, body).into_response()
                }
                Err(_) => (
                    axum::http::StatusCode::BAD_GATEWAY,
                    "<html>502 Bad Gateway</html>",
                )
                    .into_response(),
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
