//! Shared by the bench binaries: one minimal fixed-response HTTP/1.1 server on
//! loopback, the hand-written `reqwest` + `serde_json` baseline client, the
//! fixtures both sides send and decode, and the statistics.
//!
//! The server is deliberately not the emulator: it answers from precomputed
//! bytes (or, for the pagination stream, generates a page from the cursor
//! with one `String`), so that what is measured is the client's cost.
#![allow(dead_code)] // each bench binary uses a different part

pub mod memory;

use std::{
    convert::Infallible,
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use reqwest::header::{self, HeaderValue};
use talkjs::raw::types::{
    Conversation, ConversationList, SendMessageInput, SendMessageInputType, SentMessage, User,
};

pub const APP_ID: &str = "benchapp";
pub const SECRET: &str = "sk_test_benchmark_secret_key_0123456789";

/// A running fixed-response server: its address and how many TCP
/// connections it has accepted so far.
pub struct Server {
    pub addr: SocketAddr,
    pub accepted: Arc<AtomicUsize>,
}

impl Server {
    /// Binds 127.0.0.1 on a free port and serves on a thread of its own
    /// (a current-thread runtime: one core for the server, one for the
    /// client on the 2-core reference machine). The thread ends with the
    /// process.
    pub fn start() -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = accepted.clone();
        std::thread::Builder::new()
            .name("fixed-server".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let fixtures = Arc::new(Fixtures::new());
                    loop {
                        let Ok((stream, _)) = listener.accept().await else {
                            continue;
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                        let _ = stream.set_nodelay(true);
                        let fixtures = fixtures.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |req| {
                                let fixtures = fixtures.clone();
                                async move { Ok::<_, Infallible>(fixtures.answer(req).await) }
                            });
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                })
            })
            .unwrap();
        Server { addr, accepted }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::Relaxed)
    }
}

/// The answers, precomputed once.
struct Fixtures {
    user: Bytes,
    sent: Bytes,
    page: Bytes,
}

impl Fixtures {
    fn new() -> Self {
        let sent: Vec<String> = (1..=10).map(|i| format!(r#"{{"id":"m{i}"}}"#)).collect();
        Fixtures {
            user: Bytes::from_static(USER_JSON.as_bytes()),
            sent: Bytes::from(format!("[{}]", sent.join(","))),
            page: Bytes::from(conversation_page(0, 100, u64::MAX)),
        }
    }

    async fn answer(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        let is_post = req.method() == hyper::Method::POST;
        // Read the whole request body, as any server does.
        let _ = req.into_body().collect().await;
        // /v1/{app}/{rest}
        let mut parts = path.splitn(4, '/').skip(2);
        let app = parts.next().unwrap_or("");
        let rest = parts.next().unwrap_or("");
        let body = if !is_post && rest.starts_with("users/") {
            self.user.clone()
        } else if is_post && rest.starts_with("conversations/") && rest.ends_with("/messages") {
            self.sent.clone()
        } else if rest == "users" || rest.starts_with("import/") {
            // benches/bulk.rs: a bulk upsert or import, answered at once.
            Bytes::from_static(b"{}")
        } else if !is_post && rest == "conversations" {
            let mut limit = 100u64;
            let mut after = 0u64;
            for pair in query.split('&') {
                match pair.split_once('=') {
                    Some(("limit", v)) => limit = v.parse().unwrap_or(100),
                    Some(("startingAfter", v)) => {
                        after = v.trim_start_matches('c').parse().unwrap_or(0)
                    }
                    _ => {}
                }
            }
            // App "n{N}" has N conversations c1..cN; any other app has
            // (practically) unlimited ones and its first page is cached.
            match app.strip_prefix('n').and_then(|n| n.parse::<u64>().ok()) {
                Some(total) => Bytes::from(conversation_page(after, limit, total)),
                None if after == 0 && limit == 100 => self.page.clone(),
                None => Bytes::from(conversation_page(after, limit, u64::MAX)),
            }
        } else {
            let mut r = Response::new(Full::new(Bytes::from_static(
                br#"{"errorCode":"NOT_FOUND","reason":"no such route in the bench server"}"#,
            )));
            *r.status_mut() = hyper::StatusCode::NOT_FOUND;
            return r;
        };
        let mut response = Response::new(Full::new(body));
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

pub const USER_JSON: &str = r#"{"id":"alice","name":"Alice Example","email":["alice@example.com"],"phone":["+15551234567"],"photoUrl":"https://example.com/alice.png","welcomeMessage":"Hi, how can I help?","role":"customer","locale":"en-US","availabilityText":"Usually replies within an hour","custom":{"plan":"pro","country":"NL"},"pushTokens":null,"createdAt":1700000000000}"#;

/// `{"data":[...]}` with the conversations after `c{after}`, at most `limit`,
/// up to `c{total}`.
pub fn conversation_page(after: u64, limit: u64, total: u64) -> String {
    use std::fmt::Write;
    let end = after.saturating_add(limit).min(total);
    let mut out = String::with_capacity(((end.saturating_sub(after)) * 420 + 16) as usize);
    out.push_str(r#"{"data":["#);
    for n in after + 1..=end {
        if n > after + 1 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"id":"c{n}","subject":"Order #{n}","topicId":"orders","photoUrl":null,"welcomeMessages":["Welcome to order {n}"],"custom":{{"status":"open","priority":"normal"}},"participants":{{"alice":{{"access":"ReadWrite","notify":true,"joinedAt":1700000000000}},"bob":{{"access":"Read","notify":"MentionsOnly","joinedAt":1700000000001}}}},"createdAt":1700000000000,"everyoneReadUntil":1700000000500}}"#
        );
    }
    out.push_str("]}");
    out
}

/// The 10 messages of the `send 10 messages` case (no idempotency keys: the
/// SDK adds them, the baseline adds its own).
pub fn ten_messages() -> Vec<SendMessageInput> {
    (0..10)
        .map(|i| {
            SendMessageInput::builder()
                .type_(SendMessageInputType::UserMessage)
                .sender(Some("alice".to_string()))
                .text(Some(format!(
                    "Message {i}: your order has shipped and should arrive on Thursday."
                )))
                .try_into()
                .expect("a valid message")
        })
        .collect()
}

/// The SDK client under test, with its default configuration (a fresh app
/// token per request) or the legacy secret-key mode (no minting).
pub fn sdk_client(server: &Server, mint_per_request: bool) -> talkjs::Client {
    let mut config = talkjs::ClientConfig::new(APP_ID, SECRET).base_url(server.base_url());
    if !mint_per_request {
        config = config.auth(talkjs::AuthMode::SecretKey);
    }
    config.build().expect("SDK client")
}

pub fn sdk_client_for_app(server: &Server, app: &str) -> talkjs::Client {
    talkjs::ClientConfig::new(app, SECRET)
        .base_url(server.base_url())
        .build()
        .expect("SDK client")
}

/// What a careful hand-written client does: one `reqwest::Client` (pooled),
/// the same timeouts and user agent as the SDK's defaults, a bearer token
/// minted once and reused (so the SDK's per-request minting counts as SDK
/// cost), the same method, path, query and headers, percent-encoded ids, a
/// status check, and `serde_json` into the same types.
pub struct Baseline {
    http: reqwest::Client,
    api: String,
    auth: HeaderValue,
}

#[derive(Debug)]
pub enum BaselineError {
    Http(reqwest::Error),
    Status(u16),
    Json(serde_json::Error),
}

impl From<reqwest::Error> for BaselineError {
    fn from(e: reqwest::Error) -> Self {
        BaselineError::Http(e)
    }
}
impl From<serde_json::Error> for BaselineError {
    fn from(e: serde_json::Error) -> Self {
        BaselineError::Json(e)
    }
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn seg(id: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(id, SEGMENT)
}

impl Baseline {
    pub fn new(base_url: &str, app: &str) -> Baseline {
        talkjs::install_default_crypto_provider();
        let http = reqwest::Client::builder()
            .user_agent("hand-written/1.0")
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(30))
            .pool_idle_timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        // Minted once, valid for an hour: the cheapest correct bearer token.
        let token = talkjs::tokens::app_token(
            app,
            &secrecy::SecretString::from(SECRET),
            Duration::from_secs(3600),
        )
        .unwrap();
        use secrecy::ExposeSecret;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).unwrap();
        auth.set_sensitive(true);
        Baseline {
            http,
            api: format!("{base_url}/v1/{app}"),
            auth,
        }
    }

    fn request(&self, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header(header::ACCEPT, HeaderValue::from_static("application/json"))
            .header(header::AUTHORIZATION, self.auth.clone())
    }

    async fn decode<T: serde::de::DeserializeOwned>(
        response: reqwest::Response,
    ) -> Result<T, BaselineError> {
        let status = response.status();
        if !status.is_success() {
            return Err(BaselineError::Status(status.as_u16()));
        }
        let bytes = response.bytes().await?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    pub async fn get_user(&self, id: &str) -> Result<User, BaselineError> {
        let url = format!("{}/users/{}", self.api, seg(id));
        Self::decode(self.request(reqwest::Method::GET, url).send().await?).await
    }

    pub async fn send_messages(
        &self,
        conversation: &str,
        mut messages: Vec<SendMessageInput>,
    ) -> Result<Vec<String>, BaselineError> {
        for m in &mut messages {
            m.idempotency_key
                .get_or_insert_with(|| format!("{:016x}{:016x}", rand64(), rand64()));
        }
        let url = format!("{}/conversations/{}/messages", self.api, seg(conversation));
        let response = self
            .request(reqwest::Method::POST, url)
            .json(&messages)
            .send()
            .await?;
        let sent: Vec<SentMessage> = Self::decode(response).await?;
        Ok(sent.into_iter().map(|m| m.id).collect())
    }

    pub async fn conversations_page(
        &self,
        limit: u32,
        starting_after: Option<&str>,
    ) -> Result<Vec<Conversation>, BaselineError> {
        let url = format!("{}/conversations", self.api);
        let mut request = self
            .request(reqwest::Method::GET, url)
            .query(&[("limit", limit)]);
        if let Some(cursor) = starting_after {
            request = request.query(&[("startingAfter", cursor)]);
        }
        let list: ConversationList = Self::decode(request.send().await?).await?;
        Ok(list.data.unwrap_or_default())
    }
}

/// A cheap random 64-bit number (xorshift seeded from the clock) for the
/// baseline's idempotency keys.
fn rand64() -> u64 {
    use std::cell::Cell;
    thread_local!(static STATE: Cell<u64> = Cell::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    ));
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    })
}

// ---------------------------------------------------------------- statistics

/// Quantiles of a sample, in the sample's unit.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    pub n: usize,
    pub median: f64,
    pub p25: f64,
    pub p75: f64,
}

pub fn summary(values: &[f64]) -> Summary {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| {
        if v.is_empty() {
            return f64::NAN;
        }
        let i = p * (v.len() - 1) as f64;
        let (lo, hi) = (i.floor() as usize, i.ceil() as usize);
        v[lo] + (v[hi] - v[lo]) * (i - lo as f64)
    };
    Summary {
        n: v.len(),
        median: q(0.5),
        p25: q(0.25),
        p75: q(0.75),
    }
}

pub fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Times one future.
pub async fn timed<F: Future>(f: F) -> (F::Output, Duration) {
    let start = Instant::now();
    let out = f.await;
    (out, start.elapsed())
}

/// `BENCH_QUICK=1` shrinks every sample (a smoke run, not for figures).
pub fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some_and(|v| v != "0")
}

/// The value of the environment variable `var`, if set, which must be one
/// of `choices`: a typo must not run another case than the one asked for,
/// or none, and look like a result.
#[track_caller]
pub fn env_choice(var: &str, choices: &[&str]) -> Option<String> {
    let value = std::env::var(var).ok()?;
    assert!(
        choices.contains(&value.as_str()),
        "{var}={value:?} is not one of {choices:?}"
    );
    Some(value)
}

/// One line describing the machine, for the report.
pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = proc_kb("/proc/meminfo", "MemTotal")
        .map_or("?".into(), |kb| format!("{:.0} GiB", kb / 1048576.0));
    format!("{cpu}, {cores} cores, {mem} RAM")
}

/// The kB figure of the line `key` of a `/proc` file (`MemTotal:  123 kB`).
pub fn proc_kb(path: &str, key: &str) -> Option<f64> {
    std::fs::read_to_string(path).ok().and_then(|s| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
    })
}
