//! Test helpers: a started emulator plus a small JSON client.
#![allow(dead_code)]

use reqwest::Method;
use serde_json::Value;
use talkjs_emulator::{Emulator, EmulatorConfig};

/// A reqwest client builder usable whatever TLS features Cargo unified in.
///
/// In a workspace build the SDK's default `rustls-ring` feature turns on
/// reqwest's `rustls-no-provider`, which needs a process-wide crypto
/// provider before any client is built; the tests talk plain http, but
/// reqwest still sets TLS up.
pub fn http_builder() -> reqwest::ClientBuilder {
    // Deprecated in rustls 0.23.48 (ring has no post-quantum key exchange);
    // the tests only talk plain http to loopback.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
}

/// A default reqwest client (see [`http_builder`]).
pub fn http() -> reqwest::Client {
    http_builder().build().expect("reqwest client builds")
}

/// An emulator and a client that authenticates with its secret key.
pub struct Api {
    pub emu: Emulator,
    pub http: reqwest::Client,
}

impl Api {
    /// Starts an emulator with the default config, batch limit off.
    pub async fn start() -> Api {
        Self::with(EmulatorConfig::default().batch_interval(std::time::Duration::ZERO)).await
    }

    /// Starts an emulator with `config`.
    pub async fn with(config: EmulatorConfig) -> Api {
        let emu = Emulator::start(config).await.expect("emulator starts");
        Api { emu, http: http() }
    }

    /// Sends `method path` (relative to the API URL) with an optional JSON body.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{}", self.emu.api_url(), path);
        let mut req = self
            .http
            .request(method.clone(), url)
            .bearer_auth(self.emu.secret_key());
        if let Some(b) = body {
            req = req.json(&b);
        } else if method != Method::GET {
            // TalkJS takes only JSON requests besides GET, bodiless or not.
            req = req.header("content-type", "application/json");
        }
        let resp = req.send().await.expect("request completes");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        let v = serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON answer: {text:?}"));
        (status, v)
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (u16, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// Creates users `ids` with names equal to their ids.
    pub async fn users(&self, ids: &[&str]) {
        for id in ids {
            let (s, _) = self
                .put(&format!("/users/{id}"), serde_json::json!({ "name": id }))
                .await;
            assert_eq!(s, 200);
        }
    }

    /// Creates conversation `id` with `participants`.
    pub async fn conversation(&self, id: &str, participants: &[&str]) {
        let (s, b) = self
            .put(
                &format!("/conversations/{id}"),
                serde_json::json!({ "participants": participants }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    /// Adds participants `p1..=pN` to conversation `conv`, e.g. to grow it
    /// past a size limit.
    pub async fn add_fillers(&self, conv: &str, n: usize) {
        let ids: Vec<String> = (1..=n).map(|i| format!("p{i}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.conversation(conv, &ids).await;
    }

    /// Marks every message of `conv` read by `user` (`readUntil: "sent"`).
    pub async fn read_all(&self, user: &str, conv: &str) {
        let (s, b) = self
            .patch(
                &format!("/users/{user}/conversations/{conv}"),
                serde_json::json!({ "readUntil": "sent" }),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }

    /// Sends one text message from `sender`; returns its id.
    pub async fn say(&self, conv: &str, sender: &str, text: &str) -> String {
        let (s, b) = self
            .post(
                &format!("/conversations/{conv}/messages"),
                serde_json::json!([{ "type": "UserMessage", "sender": sender, "text": text }]),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        b[0]["id"].as_str().expect("id").to_owned()
    }
}

/// Starts the binary with `args` (stdout piped) and returns it with the
/// base URL from its first line, `listening on http://ADDR`. Kill it when
/// done.
pub fn spawn_binary(args: &[&str]) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_talkjs-emulator"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("first line names the address")
        .to_owned();
    (child, base)
}

/// The `Content-Length` of a raw HTTP/1.1 head (panics without one).
pub fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .expect("a Content-Length header")
}
