//! Maps `/v1/{appId}/...` requests to handlers. Matching works on the raw
//! path split at `/`, then each segment is percent-decoded exactly once, so
//! an id `a/b` (sent as `a%2Fb`) stays one segment.

use http::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::codec::{hex_lower, percent_decode};
use crate::ctx::Ctx;
use crate::reply::{Reply, Result};
use crate::routes::{app, batch, conversations, files, messages, notifications, presences, users};

/// A request below `/v1/{appId}`, from the network or from `POST /batch`.
#[derive(Debug)]
pub(crate) struct ApiRequest<'a> {
    pub method: Method,
    /// Raw (still percent-encoded) path segments after `/v1/{appId}`.
    pub segments: Vec<&'a str>,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Raw body.
    pub body: &'a [u8],
    /// Content type of the body, if any.
    pub content_type: Option<&'a str>,
    /// Whether this is an operation inside `POST /batch`.
    pub in_batch: bool,
    /// The `TalkJS-REST-Version` header (for a batch operation, its own
    /// `api_version`, else the batch request's header).
    pub rest_version: Option<&'a str>,
}

impl ApiRequest<'_> {
    /// The body as JSON; `None` when empty. Unparsable bodies are TalkJS's
    /// 400 "Invalid JSON".
    pub fn json(&self) -> Result<Option<Value>> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(self.body)
            .map(Some)
            .map_err(|e| Reply::invalid_json(e.to_string()))
    }

    /// The body as JSON, required.
    pub fn require_json(&self) -> Result<Value> {
        self.json()?
            .ok_or_else(|| Reply::invalid_json("a JSON body is required"))
    }
}

/// A conversation addressed by id or by the deprecated
/// `participants={ids}[;topic={topic}]` segment.
#[derive(Debug, Clone)]
pub(crate) struct ConvTarget {
    /// The conversation id (derived from participants and topic for the
    /// deprecated form).
    pub id: String,
    /// Participants and topic of the deprecated form.
    pub deprecated: Option<(Vec<String>, Option<String>)>,
}

/// Resolves a raw conversation segment. For the deprecated form the raw
/// segment is split at literal `;`, `=` and `,` first and each piece is
/// decoded afterwards, so encoded separators inside ids survive.
pub(crate) fn conv_target(raw: &str) -> Result<ConvTarget> {
    let Some(rest) = raw.strip_prefix("participants=") else {
        return Ok(ConvTarget {
            id: decode(raw)?,
            deprecated: None,
        });
    };
    let mut parts = rest.split(';');
    let mut ids = parts
        .next()
        .unwrap_or("")
        .split(',')
        .map(decode)
        .collect::<Result<Vec<_>>>()?;
    if ids.iter().any(String::is_empty) {
        return Err(Reply::bad_request(
            "participants= needs a comma-separated list of user ids",
        ));
    }
    let mut topic = None;
    for part in parts {
        match part.split_once('=') {
            Some(("topic", t)) if topic.is_none() => topic = Some(decode(t)?),
            _ => {
                return Err(Reply::bad_request(format!(
                    "unexpected {part:?} in conversation path"
                )));
            }
        }
    }
    ids.sort();
    ids.dedup();
    let mut h = Sha256::new();
    for id in &ids {
        h.update(id.as_bytes());
        h.update([0]);
    }
    if let Some(t) = &topic {
        h.update([1]);
        h.update(t.as_bytes());
    }
    let id = format!("participants_{}", &hex_lower(&h.finalize())[..24]);
    Ok(ConvTarget {
        id,
        deprecated: Some((ids, topic)),
    })
}

fn decode(raw: &str) -> Result<String> {
    percent_decode(raw).map_err(Reply::bad_request)
}

fn method_not_allowed(req: &ApiRequest) -> Reply {
    Reply::error(
        405,
        "MethodNotAllowed",
        format!("{} is not supported on this path", req.method),
    )
}

/// Runs one request and returns its answer.
pub(crate) fn dispatch(ctx: &Ctx, req: &ApiRequest) -> Reply {
    route(ctx, req).unwrap_or_else(|e| e)
}

fn route(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    let s = req.segments.as_slice();
    let m = &req.method;
    let get = m == Method::GET;
    let put = m == Method::PUT;
    // The app itself: `/v1/{appId}` and `/v1/{appId}/` both leave one
    // empty segment, and so does a batch operation's path `/`.
    if s == [""] {
        return match *m {
            Method::GET => app::get(ctx),
            Method::PUT => app::put(ctx, req),
            _ => Ok(method_not_allowed(req)),
        };
    }
    if s.iter().any(|seg| seg.is_empty()) {
        return Err(Reply::not_found("no such route"));
    }
    let post = m == Method::POST;
    let delete = m == Method::DELETE;
    let reply = match s {
        ["users"] if get => users::list(ctx, req)?,
        ["users"] if put => users::batch_put(ctx, req)?,
        ["users", u] if get => users::get(ctx, &decode(u)?)?,
        ["users", u] if put => users::put(ctx, &decode(u)?, req)?,
        ["users", u, "conversations"] if get => users::conversations(ctx, &decode(u)?, req)?,
        ["users", u, "presence"] if get => users::presence(ctx, &decode(u)?)?,
        ["users", u, "presence"] if put => users::set_presence(ctx, &decode(u)?, req)?,
        ["users", u, "conversations", c] if m == Method::PATCH => {
            users::mark_read(ctx, &decode(u)?, &conv_target(c)?, req)?
        }
        ["conversations"] if get => conversations::list(ctx, req)?,
        ["conversations", c] if get => conversations::get(ctx, &conv_target(c)?)?,
        ["conversations", c] if put => conversations::put(ctx, &conv_target(c)?, req)?,
        ["conversations", c] if delete => conversations::delete(ctx, &conv_target(c)?)?,
        ["conversations", c, "participants", u] if put => {
            conversations::join(ctx, &conv_target(c)?, &decode(u)?, req)?
        }
        ["conversations", c, "participants", u] if m == Method::PATCH => {
            conversations::update_participant(ctx, &conv_target(c)?, &decode(u)?, req)?
        }
        ["conversations", c, "participants", u] if delete => {
            conversations::leave(ctx, &conv_target(c)?, &decode(u)?)?
        }
        ["conversations", c, "participants", u, "email"] if get => {
            conversations::reply_email(ctx, &conv_target(c)?, &decode(u)?)?
        }
        ["conversations", c, "notifications"] if post => {
            notifications::trigger(ctx, &conv_target(c)?, req)?
        }
        ["conversations", c, "messages"] if get => messages::list(ctx, &conv_target(c)?, req)?,
        ["conversations", c, "messages"] if post => messages::send(ctx, &conv_target(c)?, req)?,
        ["conversations", c, "messages", mid] if get => {
            messages::get(ctx, &conv_target(c)?, &decode(mid)?)?
        }
        ["conversations", c, "messages", mid] if put => {
            messages::edit(ctx, &conv_target(c)?, &decode(mid)?, req)?
        }
        ["conversations", c, "messages", mid] if delete => {
            messages::delete(ctx, &conv_target(c)?, &decode(mid)?)?
        }
        ["conversations", c, "messages", mid, "reactions", e, u] if put || delete => {
            messages::react(
                ctx,
                &conv_target(c)?,
                &decode(mid)?,
                &decode(e)?,
                &decode(u)?,
                put,
            )?
        }
        ["import", "conversations", c, "messages"] if post => {
            messages::import(ctx, &conv_target(c)?, req)?
        }
        ["presences"] if post => presences::query(ctx, req)?,
        ["batch"] if post => batch::run(ctx, req)?,
        ["files"] if post => files::upload(ctx, req)?,
        ["users"]
        | ["users", _]
        | ["users", _, "conversations" | "presence"]
        | ["users", _, "conversations", _]
        | ["conversations"]
        | ["conversations", _]
        | ["conversations", _, "participants", _]
        | ["conversations", _, "participants", _, "email"]
        | ["conversations", _, "notifications"]
        | ["conversations", _, "messages"]
        | ["conversations", _, "messages", _]
        | ["conversations", _, "messages", _, "reactions", _, _]
        | ["import", "conversations", _, "messages"]
        | ["presences"]
        | ["batch"]
        | ["files"] => method_not_allowed(req),
        _ => Reply::not_found("no such route"),
    };
    Ok(reply)
}
