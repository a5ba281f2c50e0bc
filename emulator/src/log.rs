//! The request log: what arrived, so tests can assert on it. Bounded in
//! records and in bytes, so that a client cannot grow it without limit:
//! bodies are cut beyond a limit (their length is kept) and refused
//! requests are kept without their bodies.

use std::collections::VecDeque;
use std::sync::Mutex;

use bytes::Bytes;
use serde_json::Value;

/// One request as it arrived (Authorization redacted).
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Raw (still percent-encoded) path.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: Option<String>,
    /// Header names (lower case) and values; `authorization` is `<redacted>`.
    pub headers: Vec<(String, String)>,
    /// The request body, at most the log's body limit
    /// ([`crate::EmulatorConfig::request_log_body_limit`]) of its first
    /// bytes; empty for a refused request.
    pub body: Bytes,
    /// The length of the body as received: larger than `body.len()` when
    /// the log cut the body or did not keep it.
    pub body_len: usize,
    /// The request was refused before routing (not under `/v1/{appId}/`,
    /// without valid credentials, or throttled): its body is not kept.
    pub refused: bool,
    /// The request was answered 429 by the rate limit
    /// ([`crate::EmulatorConfig::rate_limit`]); `refused` is set too.
    pub throttled: bool,
    /// The fault injected into this request, if any (see [`crate::Fault::name`]).
    pub fault: Option<String>,
}

impl RequestRecord {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, if it is JSON (and was kept whole).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Whether `body` holds less than the request carried.
    pub fn body_truncated(&self) -> bool {
        self.body.len() < self.body_len
    }

    /// The record as `GET /__emulator/requests` shows it: `{method, path,
    /// query, headers, body, bodyLen, bodyTruncated, refused, throttled,
    /// fault}`.
    /// `headers` maps lower-case names to values (repeated headers joined
    /// with `, `); `body` is the JSON value when the kept body is JSON,
    /// else its text (lossy UTF-8), `null` when empty.
    pub(crate) fn to_json(&self) -> Value {
        let mut headers = serde_json::Map::new();
        for (name, value) in &self.headers {
            match headers.get_mut(name) {
                Some(Value::String(joined)) => {
                    joined.push_str(", ");
                    joined.push_str(value);
                }
                _ => {
                    headers.insert(name.clone(), Value::String(value.clone()));
                }
            }
        }
        let body = if self.body.is_empty() {
            Value::Null
        } else {
            self.json()
                .unwrap_or_else(|| String::from_utf8_lossy(&self.body).into_owned().into())
        };
        serde_json::json!({
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": headers,
            "body": body,
            "bodyLen": self.body_len,
            "bodyTruncated": self.body_truncated(),
            "refused": self.refused,
            "throttled": self.throttled,
            "fault": self.fault,
        })
    }

    /// Bytes this record holds, roughly: what the log's byte bound counts.
    fn size(&self) -> usize {
        // The fixed part: the struct, the allocations' headers.
        const OVERHEAD: usize = 256;
        OVERHEAD
            + self.method.len()
            + self.path.len()
            + self.query.as_ref().map_or(0, String::len)
            + self
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 48)
                .sum::<usize>()
            + self.body.len()
            + self.fault.as_ref().map_or(0, String::len)
    }
}

/// A bounded log: the oldest entries go first.
#[derive(Debug)]
pub(crate) struct RequestLog {
    capacity: usize,
    max_bytes: usize,
    body_limit: usize,
    entries: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    records: VecDeque<(usize, RequestRecord)>,
    bytes: usize,
}

impl RequestLog {
    /// At most `capacity` records of `max_bytes` in all, each body cut to
    /// `body_limit` bytes.
    pub fn new(capacity: usize, max_bytes: usize, body_limit: usize) -> Self {
        RequestLog {
            capacity,
            max_bytes,
            body_limit,
            entries: Mutex::new(Entries::default()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0 && self.max_bytes > 0
    }

    /// Keeps `body` (or, for a refused request, nothing of it) with
    /// `record`, cut to the body limit, and drops the oldest records until
    /// both bounds hold. A record larger than the whole byte bound is not
    /// kept.
    pub fn push(&self, mut record: RequestRecord, body: &[u8]) {
        if !self.enabled() {
            return;
        }
        record.body_len = body.len();
        let kept = if record.refused {
            &[][..]
        } else {
            &body[..body.len().min(self.body_limit)]
        };
        // A copy: the received buffer may share a larger allocation.
        record.body = Bytes::copy_from_slice(kept);
        let size = record.size();
        if size > self.max_bytes {
            return;
        }
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        while e.records.len() >= self.capacity || e.bytes + size > self.max_bytes {
            let Some((old, _)) = e.records.pop_front() else {
                break;
            };
            e.bytes -= old;
        }
        e.bytes += size;
        e.records.push_back((size, record));
    }

    pub fn snapshot(&self) -> Vec<RequestRecord> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .records
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    pub fn clear(&self) {
        *self.entries.lock().unwrap_or_else(|e| e.into_inner()) = Entries::default();
    }
}
