//! `POST /batch`: up to 10 operations `[seq, method, path, payload?,
//! {"api_version": ...}?]`, each run by the ordinary handlers; answers
//! `[[seq, status, response], ...]`. TalkJS allows one batch per second.

use std::time::Instant;

use http::Method;
use serde_json::Value;

use crate::codec::parse_query;
use crate::ctx::Ctx;
use crate::reply::{Reply, Result};
use crate::router::{ApiRequest, dispatch};

/// Most operations in one batch.
const OPERATIONS_PER_BATCH: usize = 10;

/// Enforces the configured minimum interval between batches.
fn rate_limit(ctx: &Ctx) -> Result<()> {
    let interval = ctx.config.batch_interval;
    if interval.is_zero() {
        return Ok(());
    }
    let mut last = ctx.last_batch.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    if let Some(prev) = *last {
        let elapsed = now.duration_since(prev);
        if elapsed < interval {
            return Err(Reply::too_many_requests(
                "at most one batch request per interval",
                Some(interval - elapsed),
            ));
        }
    }
    *last = Some(now);
    Ok(())
}

/// One checked operation.
struct Operation {
    seq: Value,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Vec<u8>,
    /// The operation's own `{"api_version": ...}`.
    api_version: Option<String>,
}

fn parse_operation(i: usize, op: &Value) -> std::result::Result<Operation, String> {
    let t = op
        .as_array()
        .filter(|t| (3..=5).contains(&t.len()))
        .ok_or_else(|| {
            format!("operation {i} must be [sequence, method, path, payload?, options?]")
        })?;
    let seq = match &t[0] {
        v @ (Value::Number(_) | Value::String(_)) => v.clone(),
        _ => {
            return Err(format!(
                "operation {i}: the sequence number must be a number or string"
            ));
        }
    };
    let method = match t[1].as_str().map(str::to_ascii_uppercase).as_deref() {
        Some("GET") => Method::GET,
        Some("PUT") => Method::PUT,
        Some("POST") => Method::POST,
        Some("PATCH") => Method::PATCH,
        Some("DELETE") => Method::DELETE,
        _ => return Err(format!("operation {i}: unsupported method {}", t[1])),
    };
    let full = t[2]
        .as_str()
        .filter(|p| p.starts_with('/'))
        .ok_or_else(|| format!("operation {i}: path must start with /"))?;
    let (path, raw_query) = match full.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (full, None),
    };
    let mut query = parse_query(raw_query).map_err(|e| format!("operation {i}: {e}"))?;
    let payload = t.get(3).filter(|p| !p.is_null());
    if let Some(opts) = t.get(4)
        && !opts.is_object()
        && !opts.is_null()
    {
        return Err(format!("operation {i}: options must be an object"));
    }
    let api_version = t
        .get(4)
        .and_then(|o| o.get("api_version"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let mut body = Vec::new();
    if let Some(payload) = payload {
        if method == Method::GET {
            let params = payload.as_object().ok_or_else(|| {
                format!("operation {i}: GET payload must be an object of query parameters")
            })?;
            for (k, v) in params {
                let v = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    _ => {
                        return Err(format!(
                            "operation {i}: query parameter {k} must be a string"
                        ));
                    }
                };
                query.push((k.clone(), v));
            }
        } else {
            body = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
        }
    }
    Ok(Operation {
        seq,
        method,
        path: path.to_owned(),
        query,
        body,
        api_version,
    })
}

/// Runs a batch.
pub fn run(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    if req.in_batch {
        return Err(Reply::bad_request("batches cannot be nested"));
    }
    rate_limit(ctx)?;
    let ops = match req.require_json()? {
        Value::Array(ops) if ops.len() <= OPERATIONS_PER_BATCH => ops,
        Value::Array(ops) => {
            return Err(Reply::bad_request(format!(
                "at most {OPERATIONS_PER_BATCH} operations per batch, got {}",
                ops.len()
            )));
        }
        _ => {
            return Err(Reply::bad_request(
                "the body must be an array of operations",
            ));
        }
    };
    let ops = ops
        .iter()
        .enumerate()
        .map(|(i, op)| parse_operation(i, op))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Reply::bad_request)?;
    let results = ops
        .into_iter()
        .map(|op| {
            let sub = ApiRequest {
                method: op.method,
                segments: op.path[1..].split('/').collect(),
                query: op.query,
                body: &op.body,
                content_type: Some("application/json"),
                in_batch: true,
                rest_version: op.api_version.as_deref().or(req.rest_version),
            };
            let r = dispatch(ctx, &sub);
            Value::Array(vec![op.seq, r.status.into(), r.body])
        })
        .collect();
    Ok(Reply::ok(Value::Array(results)))
}
