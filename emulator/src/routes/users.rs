//! `/users...`: create/update (single and batch), get, list, a user's
//! conversations, presence, and marking a conversation read.

use serde_json::{Map, Value, json};

use super::conversations::cursor;
use super::paging::{ListParams, list_order, page, unknown_cursor};
use crate::ctx::Ctx;
use crate::ids::now_ms;
use crate::reply::{Reply, Result};
use crate::router::{ApiRequest, ConvTarget};
use crate::state::users::UserPatch;
use crate::state::{Presence, Store, User};

/// Most users one `PUT /users` may carry.
const BATCH_LIMIT: usize = 100;

fn user_not_found(id: &str) -> Reply {
    Reply::not_found(format!("user {id:?} not found"))
}

/// Applies a validated patch, creating the user if needed; emits the webhook.
fn upsert(ctx: &Ctx, store: &mut Store, id: &str, patch: UserPatch) -> Value {
    let created = store.users.get(id).is_none();
    if created {
        store.users.insert(
            id.to_owned(),
            User {
                id: id.to_owned(),
                created_at: now_ms(),
                ..User::default()
            },
        );
    }
    let user = store.users.get_mut(id).expect("inserted above");
    patch.apply(user);
    let v = user.to_json();
    ctx.webhooks.emit(
        if created {
            "user.created"
        } else {
            "user.updated"
        },
        // TalkJS's documented shape: the user under `data.user`.
        json!({ "user": v.clone() }),
    );
    v
}

/// `GET /users/{id}`.
pub fn get(ctx: &Ctx, id: &str) -> Result<Reply> {
    let store = ctx.store();
    let user = store.users.get(id).ok_or_else(|| user_not_found(id))?;
    Ok(Reply::ok(user.to_json()))
}

/// `PUT /users/{id}`: merges like PATCH; answers the stored user.
pub fn put(ctx: &Ctx, id: &str, req: &ApiRequest) -> Result<Reply> {
    let body = req.require_json()?;
    let mut store = ctx.store();
    let patch =
        UserPatch::parse(&body, store.users.get(id).is_some()).map_err(Reply::bad_request)?;
    Ok(Reply::ok(upsert(ctx, &mut store, id, patch)))
}

/// `PUT /users`: up to 100 users keyed by id; nothing is applied unless
/// every entry is valid (400 with per-user errors otherwise).
pub fn batch_put(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    let body = req.require_json()?;
    let map = body
        .as_object()
        .ok_or_else(|| Reply::bad_request("body must be an object of userId -> user"))?;
    if map.len() > BATCH_LIMIT {
        return Err(Reply::bad_request(format!(
            "at most {BATCH_LIMIT} users per request, got {}",
            map.len()
        )));
    }
    let mut store = ctx.store();
    let mut errors = Map::new();
    let mut patches = Vec::with_capacity(map.len());
    for (id, user) in map {
        if id.is_empty() {
            errors.insert(id.clone(), "user id must not be empty".into());
            continue;
        }
        match UserPatch::parse(user, store.users.get(id).is_some()) {
            Ok(p) => patches.push((id, p)),
            Err(e) => {
                errors.insert(id.clone(), e.into());
            }
        }
    }
    if !errors.is_empty() {
        let mut r = Reply::bad_request(format!(
            "{} invalid user(s); nothing was applied",
            errors.len()
        ));
        r.body["errors"] = Value::Object(errors);
        return Err(r);
    }
    for (id, patch) in patches {
        upsert(ctx, &mut store, id, patch);
    }
    Ok(Reply::empty())
}

/// `GET /users`: creation order.
pub fn list(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    let p = ListParams::parse(&req.query)?;
    let store = ctx.store();
    let after = match &p.starting_after {
        Some(id) => Some(store.users.seq_of(id).ok_or_else(|| unknown_cursor(id))?),
        None => None,
    };
    Ok(page(
        store
            .users
            .iter_after(after)
            .inspect(|_| ctx.visit())
            .take(p.limit)
            .map(|(_, u)| u.to_json())
            .collect(),
    ))
}

/// `GET /users/{id}/conversations`: the user's conversations, ordered as
/// `GET /conversations` is, with `lastMessageBefore/After` and
/// `unreadsOnly` filters.
pub fn conversations(ctx: &Ctx, id: &str, req: &ApiRequest) -> Result<Reply> {
    let p = ListParams::parse(&req.query)?;
    let order = list_order(&req.query, req.rest_version)?;
    let store = ctx.store();
    if store.users.get(id).is_none() {
        return Err(user_not_found(id));
    }
    let after = cursor(&store, order, p.starting_after.as_deref())?;
    let Some(mine) = store.order.of_user(id) else {
        return Ok(page(Vec::new()));
    };
    let items = mine
        .after(order, after)
        .filter_map(|cid| store.conversations.get(cid))
        .inspect(|_| ctx.visit())
        .filter(|c| {
            let log = store.messages.get(&c.id);
            p.last_message_matches(log.and_then(|l| l.newest()).map(|m| m.created_at))
                && (!p.unreads_only || c.is_unread(id, log))
        })
        .take(p.limit)
        .map(|c| c.to_json(store.messages.get(&c.id)))
        .collect();
    Ok(page(items))
}

/// `GET /users/{id}/presence`; offline and invisible until set.
pub fn presence(ctx: &Ctx, id: &str) -> Result<Reply> {
    let store = ctx.store();
    let user = store.users.get(id).ok_or_else(|| user_not_found(id))?;
    let p = store.presence.get(id).cloned().unwrap_or(Presence {
        visible: false,
        availability: "offline".into(),
        last_changed: user.created_at,
    });
    Ok(Reply::ok(p.to_json()))
}

/// `PUT /users/{id}/presence` with `visible` and/or `availability`;
/// `lastChanged` is set by the emulator.
pub fn set_presence(ctx: &Ctx, id: &str, req: &ApiRequest) -> Result<Reply> {
    let body = req.require_json()?;
    let map = body
        .as_object()
        .ok_or_else(|| Reply::bad_request("presence must be an object"))?;
    let visible = match map.get("visible") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(Reply::bad_request("visible must be a boolean")),
    };
    let availability = match map.get("availability") {
        None => None,
        Some(Value::String(s)) if s == "online" || s == "offline" => Some(s.clone()),
        Some(_) => {
            return Err(Reply::bad_request(
                "availability must be \"online\" or \"offline\"",
            ));
        }
    };
    let mut store = ctx.store();
    if store.users.get(id).is_none() {
        return Err(user_not_found(id));
    }
    let now = now_ms();
    let p = store.presence.entry(id.to_owned()).or_insert(Presence {
        visible: false,
        availability: "offline".into(),
        last_changed: now,
    });
    if let Some(v) = visible {
        p.visible = v;
    }
    if let Some(a) = availability {
        p.availability = a;
    }
    p.last_changed = now;
    Ok(Reply::empty())
}

/// `PATCH /users/{uid}/conversations/{cid}` with `readUntil`: Unix ms, or
/// `"sent"` for everything sent so far. Moving it back marks unread.
/// Emits `message.read` for each message the move newly marks read.
pub fn mark_read(ctx: &Ctx, uid: &str, conv: &ConvTarget, req: &ApiRequest) -> Result<Reply> {
    let body = req.require_json()?;
    let read_until = body
        .get("readUntil")
        .ok_or_else(|| Reply::bad_request("readUntil is required"))?;
    let mut store = ctx.store();
    let newest = store
        .messages
        .get(&conv.id)
        .and_then(|l| l.newest())
        .map(|m| m.created_at);
    let until = match read_until {
        Value::String(s) if s == "sent" => newest.unwrap_or(0).max(now_ms()),
        v => v
            .as_i64()
            .filter(|t| *t >= 0)
            .ok_or_else(|| Reply::bad_request("readUntil must be Unix milliseconds or \"sent\""))?,
    };
    let c = store
        .conversations
        .get_mut(&conv.id)
        .ok_or_else(|| Reply::not_found(format!("conversation {:?} not found", conv.id)))?;
    let p = c
        .participants
        .get_mut(uid)
        .ok_or_else(|| Reply::not_found(format!("user {uid:?} is not a participant")))?;
    let previous = p.read_until.replace(until);
    super::messages::emit_read(ctx, &store, &conv.id, uid, previous, until);
    Ok(Reply::empty())
}
