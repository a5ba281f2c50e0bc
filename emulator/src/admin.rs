//! The emulator's own routes under `/__emulator/`, outside TalkJS's
//! `/v1/...` (so they cannot collide with it), for test suites in any
//! language. They take no credentials, are not logged, and no fault
//! applies to them.
//!
//! - `GET health`: `{"status": "ok", "appId", "apiUrl"}`, always served.
//!
//! With [`crate::EmulatorConfig::admin_routes`] (`--admin`) only:
//! - `POST reset`: [`crate::Emulator::reset`]; answers `{}`.
//! - `GET requests`: the request log, `{"data": [record...]}` (see
//!   [`RequestRecord::to_json`]); `DELETE requests` empties it.
//! - `GET webhooks`: the webhook events sent, `{"data": [{id, type, data,
//!   createdAt, status, attempts}...]}`; `DELETE webhooks` empties it.
//! - `GET notifications`: `{"data": [...]}`, as [`crate::Emulator::notifications`].
//! - `faults`: `GET` counters, `POST {"next": [fault...]}` and/or
//!   `{"rate": 0.1, "seed": 1, "kinds": [fault...]}`, `DELETE` clears.
//! - `GET rate-limit`: the rate limit and its counters, `{"enabled",
//!   "perSecond", "burst", "retryAfter", "admitted", "throttled"}` (the
//!   settings `null` without a limit), as
//!   [`crate::Emulator::rate_limit_stats`].

use http::Method;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::faults::{Fault, FaultSpec};
use crate::log::RequestRecord;
use crate::rate_limit::RateLimiter;
use crate::reply::Reply;

/// Answers `/__emulator/{path}`.
pub(crate) fn handle(ctx: &Ctx, method: &Method, path: &str, body: &[u8]) -> Reply {
    if path == "health" {
        return match *method {
            Method::GET => Reply::ok(json!({
                "status": "ok",
                "appId": ctx.config.app_id,
                "apiUrl": format!("{}/v1/{}", ctx.base_url, ctx.config.app_id),
            })),
            _ => only("GET"),
        };
    }
    if !ctx.config.admin_routes {
        return Reply::not_found("no such route (admin routes need --admin)");
    }
    let list = |items: Vec<Value>| Reply::ok(json!({ "data": items }));
    match (path, method) {
        ("reset", &Method::POST) => {
            ctx.reset();
            Reply::empty()
        }
        ("reset", _) => only("POST"),
        ("requests", &Method::GET) => list(
            ctx.log
                .snapshot()
                .iter()
                .map(RequestRecord::to_json)
                .collect(),
        ),
        ("requests", &Method::DELETE) => {
            ctx.log.clear();
            Reply::empty()
        }
        ("webhooks", &Method::GET) => list(
            ctx.webhooks
                .log
                .snapshot()
                .iter()
                .map(|r| r.to_json())
                .collect(),
        ),
        ("webhooks", &Method::DELETE) => {
            ctx.webhooks.log.clear();
            Reply::empty()
        }
        ("requests" | "webhooks", _) => only("GET or DELETE"),
        ("notifications", &Method::GET) => list(ctx.store().notifications.all()),
        ("notifications", _) => only("GET"),
        ("faults", _) => faults(ctx, method, body),
        ("rate-limit", &Method::GET) => rate_limit(ctx),
        ("rate-limit", _) => only("GET"),
        _ => Reply::not_found("no such route"),
    }
}

/// The 405 naming the methods a route takes.
fn only(methods: &str) -> Reply {
    Reply::error(405, "MethodNotAllowed", format!("use {methods}"))
}

/// `GET /__emulator/rate-limit`: the settings and the counters.
fn rate_limit(ctx: &Ctx) -> Reply {
    let limiter = ctx.rate_limiter.as_ref();
    let limit = limiter.map(RateLimiter::limit);
    let stats = limiter.map(RateLimiter::stats).unwrap_or_default();
    Reply::ok(json!({
        "enabled": limit.is_some(),
        "perSecond": limit.map(|l| l.per_second),
        "burst": limit.map(|l| l.burst),
        "retryAfter": limit.map(|l| l.retry_after),
        "admitted": stats.admitted,
        "throttled": stats.throttled,
    }))
}

/// `/__emulator/faults`: GET counters, POST `{"next": [fault...]}` and/or
/// `{"rate": 0.1, "seed": 1, "kinds": [fault...]}`, DELETE clears.
fn faults(ctx: &Ctx, method: &Method, body: &[u8]) -> Reply {
    let counts = |c: crate::FaultCounts| {
        json!({
            "status": c.status, "delay": c.delay,
            "dropBeforeApply": c.drop_before_apply, "dropAfterApply": c.drop_after_apply,
            "statusAfterApply": c.status_after_apply,
            "total": c.total(),
        })
    };
    match *method {
        Method::GET => Reply::ok(counts(ctx.faults.counts())),
        Method::DELETE => {
            ctx.faults.clear();
            Reply::empty()
        }
        Method::POST => {
            let v: Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(e) => return Reply::invalid_json(e.to_string()),
            };
            let specs = |key: &str| -> Result<Vec<Fault>, String> {
                match v.get(key) {
                    None => Ok(Vec::new()),
                    Some(list) => serde_json::from_value::<Vec<FaultSpec>>(list.clone())
                        .map(|l| l.into_iter().map(Fault::from).collect())
                        .map_err(|e| format!("{key}: {e}")),
                }
            };
            let (next, kinds) = match (specs("next"), specs("kinds")) {
                (Ok(n), Ok(k)) => (n, k),
                (Err(e), _) | (_, Err(e)) => return Reply::bad_request(e),
            };
            for f in next {
                ctx.faults.push(f, 1);
            }
            if let Some(rate) = v.get("rate").and_then(Value::as_f64) {
                let seed = v.get("seed").and_then(Value::as_u64).unwrap_or(0);
                ctx.faults.set_rate(rate, kinds, seed);
            }
            Reply::empty()
        }
        _ => only("GET, POST or DELETE"),
    }
}
