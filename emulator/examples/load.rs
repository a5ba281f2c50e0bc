//! A loopback load generator for the emulator: N keep-alive HTTP/1.1
//! connections each send `GET /v1/{app}/users/u1` back to back for a fixed
//! time; prints requests per second and the error count.
//!
//! ```text
//! cargo run --release -p talkjs-emulator --example load -- \
//!     [--connections 32] [--seconds 10] [--auth key|jwt] \
//!     [--url http://127.0.0.1:8080/v1/APP --key SK]
//! ```
//!
//! Without `--url` it starts an emulator in-process (request log off, as
//! the binary runs by default), creates user `u1` and loads that. With
//! `--url` it loads a running emulator (the user `u1` must exist or every
//! answer is a 404, counted as an error). `--auth jwt` sends one app token
//! (HS256, `tokenType: "app"`) minted at start instead of the secret key.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Method, Request, Uri};
use http_body_util::{BodyExt, Empty, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use talkjs_emulator::{Emulator, EmulatorConfig};
use tokio::net::TcpStream;

struct Args {
    connections: usize,
    seconds: u64,
    url: Option<String>,
    key: Option<String>,
    jwt: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        connections: 32,
        seconds: 10,
        url: None,
        key: None,
        jwt: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--connections" => a.connections = value()?.parse().map_err(|e| format!("{e}"))?,
            "--seconds" => a.seconds = value()?.parse().map_err(|e| format!("{e}"))?,
            "--url" => a.url = Some(value()?),
            "--key" => a.key = Some(value()?),
            "--auth" => {
                a.jwt = match value()?.as_str() {
                    "jwt" => true,
                    "key" => false,
                    other => return Err(format!("--auth key|jwt, not {other:?}")),
                }
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if a.connections == 0 || a.seconds == 0 {
        return Err("--connections and --seconds must be positive".into());
    }
    Ok(a)
}

/// An HS256 app token valid for an hour, signed like the SDK's.
fn app_token(app_id: &str, secret: &str) -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        + 3600;
    let claims = serde_json::json!({ "tokenType": "app", "iss": app_id, "exp": exp });
    talkjs_emulator::hs256_token(&claims, secret)
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    errors: AtomicU64,
}

/// One keep-alive connection sending GETs until `stop`; reconnects after
/// a failure.
async fn worker(uri: Uri, auth: Arc<str>, stop: Arc<AtomicBool>, counts: Arc<Counts>) {
    let authority = uri.authority().map(|a| a.to_string()).unwrap_or_default();
    let path = uri.path().to_owned();
    'connect: while !stop.load(Ordering::Relaxed) {
        let Ok(stream) = TcpStream::connect(&authority).await else {
            counts.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) = http1::handshake(TokioIo::new(stream)).await else {
            counts.errors.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        tokio::spawn(conn);
        while !stop.load(Ordering::Relaxed) {
            let req = Request::builder()
                .method(Method::GET)
                .uri(path.as_str())
                .header(http::header::HOST, authority.as_str())
                .header(http::header::AUTHORIZATION, &*auth)
                .body(Empty::<Bytes>::new())
                .expect("valid request");
            let ok = match sender.send_request(req).await {
                Ok(resp) => {
                    let status = resp.status();
                    resp.into_body().collect().await.is_ok() && status == 200
                }
                Err(_) => {
                    counts.errors.fetch_add(1, Ordering::Relaxed);
                    continue 'connect;
                }
            };
            let c = if ok { &counts.ok } else { &counts.errors };
            c.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::main]
async fn main() {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("load: {e}");
            std::process::exit(2);
        }
    };
    let mut _emulator = None;
    let (api, app_id, key) = match &a.url {
        Some(url) => {
            let app = url.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            (
                url.trim_end_matches('/').to_owned(),
                app.to_owned(),
                a.key.clone().unwrap_or_default(),
            )
        }
        None => {
            let emu = Emulator::start(EmulatorConfig::default().request_log_capacity(0))
                .await
                .expect("emulator starts");
            let (api, app, key) = (
                emu.api_url(),
                emu.app_id().to_owned(),
                emu.secret_key().to_owned(),
            );
            _emulator = Some(emu);
            (api, app, key)
        }
    };
    let token = if a.jwt {
        app_token(&app_id, &key)
    } else {
        key.clone()
    };
    let auth: Arc<str> = format!("Bearer {token}").into();
    let uri: Uri = format!("{api}/users/u1").parse().expect("valid URL");
    if a.url.is_none() {
        // Create the user the load reads.
        let authority = uri.authority().map(|x| x.to_string()).unwrap_or_default();
        let stream = TcpStream::connect(&authority).await.expect("connect");
        let (mut sender, conn) = http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        let req = Request::builder()
            .method(Method::PUT)
            .uri(uri.path())
            .header(http::header::HOST, authority)
            .header(http::header::AUTHORIZATION, &*auth)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from_static(br#"{"name":"Load Test"}"#)))
            .expect("valid request");
        let resp = sender.send_request(req).await.expect("PUT user");
        assert_eq!(resp.status(), 200, "creating u1");
    }

    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let workers: Vec<_> = (0..a.connections)
        .map(|_| {
            tokio::spawn(worker(
                uri.clone(),
                auth.clone(),
                stop.clone(),
                counts.clone(),
            ))
        })
        .collect();
    // One second of warm-up, then the measured window.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (ok0, err0) = (
        counts.ok.load(Ordering::Relaxed),
        counts.errors.load(Ordering::Relaxed),
    );
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(a.seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (ok, errors) = (
        counts.ok.load(Ordering::Relaxed) - ok0,
        counts.errors.load(Ordering::Relaxed) - err0,
    );
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        let _ = w.await;
    }
    println!(
        "GET {} with {} auth: {} connections, {:.1}s: {} ok, {} errors, {:.0} requests/s",
        uri.path(),
        if a.jwt { "app-token" } else { "secret-key" },
        a.connections,
        elapsed,
        ok,
        errors,
        ok as f64 / elapsed
    );
    if errors > 0 {
        std::process::exit(1);
    }
}
