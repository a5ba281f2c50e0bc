//! The HTTP/1.1 server. Connections are served by hand (hyper) rather than
//! through a framework so that a fault can close a TCP connection without
//! any response, and so that routing sees the raw, still-encoded path.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::codec::{parse_query, percent_decode};
use crate::ctx::{Ctx, HandledGuard};
use crate::faults::Fault;
use crate::log::RequestRecord;
use crate::reply::Reply;
use crate::router::{ApiRequest, dispatch};
use crate::watch::{RequestGuard, Watch, Watched};

/// Largest JSON body accepted (413 above).
pub const JSON_BODY_LIMIT: usize = 1 << 20;
/// Largest file upload accepted (413 above).
pub const FILE_BODY_LIMIT: usize = 10 << 20;

/// First pause after a failed `accept`, doubled after each further failure.
const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(10);
/// Longest pause after a failed `accept`.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Accepts connections until the emulator stops; each is served by a task
/// that ends when the emulator stops, and that a shutdown waits for.
///
/// A failed `accept` (most often EMFILE: no file descriptor left, while
/// the connection stays queued) is retried after a pause, 10 ms doubling
/// to 1 s, reset by the next success: retried at once, it failed again at
/// once and the loop spun a core.
pub(crate) async fn serve(listener: TcpListener, ctx: Arc<Ctx>) {
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        tokio::select! {
            biased;
            () = ctx.stopping() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    ctx.spawn_until_stopped(connection(stream, ctx.clone()));
                }
                Err(_) => {
                    ctx.accept_errors.fetch_add(1, Ordering::Relaxed);
                    tokio::select! {
                        biased;
                        () = ctx.stopping() => break,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                }
            },
        }
    }
}

/// Serves one connection; `kill` closes it at once, without a response.
async fn connection(stream: TcpStream, ctx: Arc<Ctx>) {
    // Small JSON answers: do not wait for Nagle.
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let watch = Watch::new(ctx.config.header_read_timeout, ctx.config.idle_timeout);
    let service_kill = kill.clone();
    let service_watch = watch.clone();
    let service = service_fn(move |req| {
        let ctx = ctx.clone();
        let kill = service_kill.clone();
        let request = RequestGuard::new(service_watch.clone());
        async move { Ok::<_, Infallible>(handle(ctx, kill, &request, req).await) }
    });
    let io = TokioIo::new(Watched::new(stream, watch.clone()));
    let conn = http1::Builder::new().serve_connection(io, service);
    // Dropping the connection closes it: nothing is in flight when a
    // limit fires (see `crate::watch`).
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
        () = watch.expired() => {}
    }
}

fn response(reply: Reply) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(&reply.body).unwrap_or_else(|_| b"{}".to_vec());
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = resp.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    for (name, value) in reply.headers {
        if let Ok(v) = http::HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    resp
}

/// Closes the connection and never answers.
async fn drop_connection(kill: &Notify) -> Response<Full<Bytes>> {
    kill.notify_one();
    std::future::pending().await
}

async fn handle(
    ctx: Arc<Ctx>,
    kill: Arc<Notify>,
    request: &RequestGuard,
    req: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let limit = if path.ends_with("/files") {
        FILE_BODY_LIMIT
    } else {
        JSON_BODY_LIMIT
    };
    let body = match Limited::new(body, limit).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.is::<LengthLimitError>() => {
            return response(Reply::error(
                413,
                "PayloadTooLarge",
                format!("bodies are limited to {limit} bytes"),
            ));
        }
        Err(e) => return response(Reply::bad_request(format!("could not read the body: {e}"))),
    };
    request.handling();
    if let Some(admin) = path.strip_prefix("/__emulator/") {
        return response(crate::admin::handle(&ctx, &parts.method, admin, &body));
    }
    if parts.method == Method::GET
        && let Some(token) = path.strip_prefix("/files/")
    {
        return serve_file(&ctx, token);
    }
    let is_api = path.starts_with("/v1/");
    if is_api {
        ctx.count_received();
    }
    // The app's own requests (its id, valid credentials) draw from the
    // rate limit; worked out only when the log or the limit needs it.
    let own = is_api
        && (ctx.log.enabled() || ctx.rate_limiter.is_some())
        && admitted(&ctx, &path, &parts.headers);
    // The limit answers before anything else: a throttled request takes
    // no fault and changes nothing.
    let throttled = match &ctx.rate_limiter {
        Some(limiter) if own => limiter.admit().err(),
        _ => None,
    };
    let fault = if is_api && throttled.is_none() {
        ctx.faults.next()
    } else {
        None
    };
    if ctx.log.enabled() {
        let record = record(
            &parts.method,
            &path,
            parts.uri.query(),
            &parts.headers,
            (!own, throttled.is_some()),
            fault.as_ref(),
        );
        ctx.log.push(record, &body);
    }
    if !is_api {
        return response(Reply::not_found("no such route"));
    }
    let mut handled = Some(HandledGuard(ctx.clone()));
    if let Some(reply) = throttled {
        return response(reply);
    }
    match &fault {
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let mut r = Reply::error(
                *status,
                "InjectedFault",
                format!("emulator fault: status {status}"),
            );
            if let Some(ra) = retry_after {
                r = r.with_header("retry-after", ra.clone());
            }
            return response(r);
        }
        Some(Fault::Delay(d)) => {
            // Detached from the connection: hyper cancels the service when
            // the client hangs up, but a delayed request must still apply,
            // unless the emulator stops first (nothing applies after that).
            let (d, guard, task_ctx) = (*d, handled.take(), ctx.clone());
            let task = ctx.spawn_until_stopped(async move {
                let _guard = guard;
                tokio::time::sleep(d).await;
                let (method, query) = (&parts.method, parts.uri.query());
                handle_api(&task_ctx, method, &path, query, &parts.headers, &body)
            });
            return match task.await {
                Ok(Some(reply)) => response(reply),
                Ok(None) => response(Reply::error(503, "Unavailable", "the emulator stopped")),
                Err(_) => response(Reply::error(500, "InternalError", "handler failed")),
            };
        }
        Some(Fault::DropBeforeApply) => return drop_connection(&kill).await,
        _ => {}
    }
    let reply = handle_api(
        &ctx,
        &parts.method,
        &path,
        parts.uri.query(),
        &parts.headers,
        &body,
    );
    match fault {
        Some(Fault::DropAfterApply) => drop_connection(&kill).await,
        Some(Fault::StatusAfterApply { status }) => response(Reply::error(
            status,
            "InjectedFault",
            format!("emulator fault: status {status} after applying"),
        )),
        _ => response(reply),
    }
}

/// The log's record of a request; `(refused, throttled)`: refused before
/// routing for its app or credentials, or by the rate limit.
fn record(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    (refused, throttled): (bool, bool),
    fault: Option<&Fault>,
) -> RequestRecord {
    let headers = headers
        .iter()
        .map(|(n, v)| {
            let v = if n == AUTHORIZATION {
                "<redacted>".to_owned()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            };
            (n.as_str().to_owned(), v)
        })
        .collect();
    RequestRecord {
        method: method.to_string(),
        path: path.to_owned(),
        query: query.map(str::to_owned),
        headers,
        // Set by the log, which keeps at most its limit of the body.
        body: Bytes::new(),
        body_len: 0,
        refused: refused || throttled,
        throttled,
        fault: fault.map(Fault::name),
    }
}

/// Whether the `/v1/...` request at `path` names the app served and has
/// valid credentials, i.e. is not refused before routing. For the log and
/// the rate limit only:
/// the answer is [`handle_api`]'s.
fn admitted(ctx: &Ctx, path: &str, headers: &HeaderMap) -> bool {
    serves_app(ctx, path)
        && ctx
            .auth
            .check(headers.get(AUTHORIZATION).map(|v| v.as_bytes()))
            .is_ok()
}

/// Whether `/v1/{appId}/...` names the app served.
fn serves_app(ctx: &Ctx, path: &str) -> bool {
    let rest = &path["/v1/".len()..];
    let app = rest.split_once('/').map_or(rest, |(app, _)| app);
    percent_decode(app).ok().as_deref() == Some(ctx.config.app_id.as_str())
}

/// `/v1/{appId}/...`: app, authentication and content type, then routing.
fn handle_api(
    ctx: &Ctx,
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Reply {
    if !serves_app(ctx, path) {
        return Reply::not_found("no such app");
    }
    let rest = &path["/v1/".len()..];
    let tail = rest.split_once('/').map_or("", |(_, tail)| tail);
    if let Err(reason) = ctx
        .auth
        .check(headers.get(AUTHORIZATION).map(|v| v.as_bytes()))
    {
        return Reply::error(401, "Unauthorized", reason);
    }
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let is_json = content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    // TalkJS: "Only requests with Content-type: application/json are
    // accepted (except for HTTP GET requests, which have no content)";
    // its own example code sends a bodiless DELETE without the header
    // (talkjs-examples, how-to-delete-a-conversation/server.js). So by
    // default only a request with a body is held to it, on any method;
    // strict mode (`EmulatorConfig::strict_content_type`) holds every
    // non-GET request to it.
    if !is_json && tail != "files" {
        if !body.is_empty() {
            return Reply::bad_request(
                "requests with a body must have Content-Type: application/json",
            );
        }
        if ctx.config.strict_content_type && method != Method::GET {
            return Reply::bad_request(
                "non-GET requests must have Content-Type: application/json (strict mode)",
            );
        }
    }
    let query = match parse_query(query) {
        Ok(q) => q,
        Err(e) => return Reply::bad_request(e),
    };
    let req = ApiRequest {
        method: method.clone(),
        segments: tail.split('/').collect(),
        query,
        body,
        content_type,
        in_batch: false,
        rest_version: headers
            .get("talkjs-rest-version")
            .and_then(|v| v.to_str().ok())
            .map(str::trim),
    };
    dispatch(ctx, &req)
}

/// `GET /files/{token}`: the uploaded bytes (no authentication, like a
/// CDN URL).
fn serve_file(ctx: &Ctx, token: &str) -> Response<Full<Bytes>> {
    let store = ctx.store();
    let Some(file) = store.files.get(token) else {
        return response(Reply::not_found("no such file"));
    };
    let mut resp = Response::new(Full::new(file.bytes.clone()));
    let ct = file
        .content_type
        .as_deref()
        .unwrap_or("application/octet-stream");
    if let Ok(v) = http::HeaderValue::from_str(ct) {
        resp.headers_mut().insert(CONTENT_TYPE, v);
    }
    resp
}
