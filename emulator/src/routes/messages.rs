//! `/conversations/{id}/messages...` and `/import/...`: send, list, get,
//! edit, delete, reactions and imports.

use serde_json::{Value, json};

use super::conversations::{not_found, start, would_start};
use super::paging::{ListParams, page, unknown_cursor};
use crate::ctx::Ctx;
use crate::ids::now_ms;
use crate::reply::{Reply, Result};
use crate::router::{ApiRequest, ConvTarget};
use crate::state::messages::{
    Message, MessageEdit, READ_BY_PARTICIPANT_LIMIT, parse_import, parse_send,
};
use crate::state::{Conversation, Indexed, MessageLog, Store, User};

/// Most messages one send or import request may carry.
const MESSAGES_PER_REQUEST: usize = 10;

fn message_not_found(id: &str) -> Reply {
    Reply::not_found(format!("message {id:?} not found"))
}

/// The body as an array of 1..=10 elements.
fn message_array(req: &ApiRequest) -> Result<Vec<Value>> {
    match req.require_json()? {
        Value::Array(items) if (1..=MESSAGES_PER_REQUEST).contains(&items.len()) => Ok(items),
        Value::Array(items) => Err(Reply::bad_request(format!(
            "send between 1 and {MESSAGES_PER_REQUEST} messages per request, got {}",
            items.len()
        ))),
        _ => Err(Reply::bad_request(
            "the body must be a JSON array of messages",
        )),
    }
}

/// Moves `user`'s read marker forward to `at` (never back).
fn mark_read_up_to(conv: &mut Conversation, user: &str, at: i64) {
    if let Some(p) = conv.participants.get_mut(user) {
        p.read_until = Some(p.read_until.map_or(at, |r| r.max(at)));
    }
}

/// TalkJS's data for a message event, `{message, conversation, sender}`,
/// as the REST API shows them: `conversation` is `conv` already serialised
/// (so a caller emitting several events can reuse it) and `sender` is the
/// sender's user object, `null` for system messages or a sender no longer
/// stored.
fn message_event(
    users: &Indexed<User>,
    conv: &Conversation,
    conversation: &Value,
    msg: &Message,
) -> Value {
    json!({
        "message": msg.to_json(conv),
        "conversation": conversation,
        "sender": msg.sender.as_deref().and_then(|id| users.get(id)).map(User::to_json),
    })
}

/// Emits `kind` (`message.sent`, `message.updated`, `message.deleted`)
/// with [`message_event`]'s data for `msg` in `conv`, whose stored messages
/// are `log`. Does nothing without a webhook URL.
fn emit_message(
    ctx: &Ctx,
    kind: &str,
    users: &Indexed<User>,
    conv: &Conversation,
    log: &MessageLog,
    msg: &Message,
) {
    if ctx.webhooks.enabled() {
        let conversation = conv.to_json(Some(log));
        ctx.webhooks
            .emit(kind, message_event(users, conv, &conversation, msg));
    }
}

/// Emits one `message.read` per message of `conv_id` that `reader`'s read
/// marker newly covers: created after `after` (everything when `None`) up to
/// `until`, oldest first, skipping the reader's own messages. Each carries
/// the message, its conversation, its sender (`null` for system messages
/// or a sender no longer stored) and the reader (`recipient`), serialised
/// as the REST API shows them, so call this after moving the marker.
/// Does nothing without a webhook URL, nor for a conversation with 301 or
/// more participants: TalkJS sends no `message.read` for those
/// (<https://talkjs.com/docs/Reference/Webhooks/>).
pub fn emit_read(
    ctx: &Ctx,
    store: &Store,
    conv_id: &str,
    reader: &str,
    after: Option<i64>,
    until: i64,
) {
    if !ctx.webhooks.enabled() {
        return;
    }
    let (Some(conv), Some(log)) = (
        store.conversations.get(conv_id),
        store.messages.get(conv_id),
    ) else {
        return;
    };
    if conv.participants.len() > READ_BY_PARTICIPANT_LIMIT {
        return;
    }
    let recipient = store.users.get(reader).map(User::to_json);
    let mut conversation = None;
    for msg in log.created_between(after, until) {
        if msg.sender.as_deref() == Some(reader) {
            continue;
        }
        let conversation = conversation.get_or_insert_with(|| conv.to_json(Some(log)));
        let mut data = message_event(&store.users, conv, conversation, msg);
        data["recipient"] = json!(recipient);
        ctx.webhooks.emit("message.read", data);
    }
}

/// `GET /conversations/{id}/messages`: newest first.
pub fn list(ctx: &Ctx, target: &ConvTarget, req: &ApiRequest) -> Result<Reply> {
    let p = ListParams::parse(&req.query)?;
    let store = ctx.store();
    let conv = store
        .conversations
        .get(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    let Some(log) = store.messages.get(&target.id) else {
        return match &p.starting_after {
            Some(c) => Err(unknown_cursor(c)),
            None => Ok(page(Vec::new())),
        };
    };
    let iter = log
        .newest_first_after(p.starting_after.as_deref())
        .map_err(|()| unknown_cursor(p.starting_after.as_deref().unwrap_or_default()))?;
    Ok(page(
        iter.inspect(|_| ctx.visit())
            .take(p.limit)
            .map(|m| m.to_json(conv))
            .collect(),
    ))
}

/// The original id of a message whose `idempotencyKey` this conversation
/// has already seen, whatever else the element holds.
fn already_sent<'a>(v: &Value, log: Option<&'a MessageLog>) -> Option<&'a str> {
    let key = v.get("idempotencyKey")?.as_str()?;
    log?.by_idempotency_key(key)
}

/// `POST /conversations/{id}/messages`: 1..=10 messages, all checked
/// before anything is stored (also before a deprecated `participants=`
/// path starts its conversation). A repeated `idempotencyKey` answers the
/// original id and stores nothing; it is looked up before the message is
/// validated, so a retry of an applied send succeeds even when the
/// conversation changed since (e.g. the sender left).
pub fn send(ctx: &Ctx, target: &ConvTarget, req: &ApiRequest) -> Result<Reply> {
    let items = message_array(req)?;
    let mut store = ctx.store();
    let starting = would_start(&store, target, now_ms());
    let Store {
        conversations,
        messages,
        files,
        ..
    } = &mut *store;
    let conv = match &starting {
        Some(c) => c,
        None => conversations
            .get(&target.id)
            .ok_or_else(|| not_found(&target.id))?,
    };
    let log = messages.get(&target.id);
    // `None`: a retry of an applied message (answered from the log below).
    let parsed = items
        .iter()
        .enumerate()
        .map(|(i, v)| match already_sent(v, log) {
            Some(_) => Ok(None),
            None => parse_send(v, conv, files, log)
                .map(Some)
                .map_err(|e| Reply::bad_request(format!("message {i}: {e}"))),
        })
        .collect::<Result<Vec<Option<Message>>>>()?;
    if let Some(conv) = starting {
        start(&mut store, conv);
    }
    let Store {
        users,
        conversations,
        messages,
        ids,
        ..
    } = &mut *store;
    let conv = conversations
        .get_mut(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    let log = messages.entry(target.id.clone()).or_default();
    let mut answer = Vec::with_capacity(parsed.len());
    for (item, msg) in items.iter().zip(parsed) {
        // Also catches a key repeated within this request.
        if let Some(existing) = already_sent(item, Some(log)) {
            answer.push(json!({ "id": existing }));
            continue;
        }
        // `None` only for a key the log held at parsing time; the log only
        // gains keys since (same lock, and deletes keep keys), so it was
        // answered just above.
        let mut msg = msg.expect("a retry's key is still in the log");
        msg.id = ids.id("msg_");
        msg.created_at = now_ms();
        if let Some(sender) = &msg.sender {
            mark_read_up_to(conv, sender, msg.created_at);
        }
        let id = msg.id.clone();
        log.insert(msg);
        // The conversation as it stands once this message is stored.
        let msg = log.get(&id).expect("the message was just inserted");
        emit_message(ctx, "message.sent", users, conv, log, msg);
        answer.push(json!({ "id": id }));
    }
    store.touch_activity(&target.id);
    Ok(Reply::ok(Value::Array(answer)))
}

/// `GET /conversations/{cid}/messages/{mid}`.
pub fn get(ctx: &Ctx, target: &ConvTarget, mid: &str) -> Result<Reply> {
    let store = ctx.store();
    let conv = store
        .conversations
        .get(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    let msg = store
        .messages
        .get(&target.id)
        .and_then(|l| l.get(mid))
        .ok_or_else(|| message_not_found(mid))?;
    Ok(Reply::ok(msg.to_json(conv)))
}

/// The users, the conversation and its message log for a request on
/// message `mid` of `target`, once both exist (404 for the conversation
/// first, then for the message, whether or not the log exists).
fn message_scope<'s>(
    store: &'s mut Store,
    target: &ConvTarget,
    mid: &str,
) -> Result<(&'s Indexed<User>, &'s Conversation, &'s mut MessageLog)> {
    let Store {
        users,
        conversations,
        messages,
        ..
    } = store;
    let conv = conversations
        .get(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    let log = messages
        .get_mut(&target.id)
        .filter(|l| l.get(mid).is_some())
        .ok_or_else(|| message_not_found(mid))?;
    Ok((users, conv, log))
}

/// `PUT /conversations/{cid}/messages/{mid}` with `{text?, custom?}`;
/// stamps `editedAt`.
pub fn edit(ctx: &Ctx, target: &ConvTarget, mid: &str, req: &ApiRequest) -> Result<Reply> {
    let edit = MessageEdit::parse(&req.require_json()?).map_err(Reply::bad_request)?;
    let mut store = ctx.store();
    let (users, conv, log) = message_scope(&mut store, target, mid)?;
    let msg = log.get_mut(mid).expect("message_scope found it");
    edit.apply(msg, now_ms());
    // Looked up again for a shared borrow of the log beside it.
    let msg = log.get(mid).expect("message_scope found it; edits keep it");
    emit_message(ctx, "message.updated", users, conv, log, msg);
    Ok(Reply::empty())
}

/// `DELETE /conversations/{cid}/messages/{mid}`. `message.deleted`
/// carries the message as it was just before and the conversation as it is
/// after.
pub fn delete(ctx: &Ctx, target: &ConvTarget, mid: &str) -> Result<Reply> {
    let mut store = ctx.store();
    let (users, conv, log) = message_scope(&mut store, target, mid)?;
    let msg = log.remove(mid).expect("message_scope found it");
    emit_message(ctx, "message.deleted", users, conv, log, &msg);
    store.touch_activity(&target.id);
    Ok(Reply::empty())
}

/// `PUT`/`DELETE .../messages/{mid}/reactions/{emoji}/{uid}`: adds or
/// removes `uid` under `emoji` in the message's `reactions`.
pub fn react(
    ctx: &Ctx,
    target: &ConvTarget,
    mid: &str,
    emoji: &str,
    uid: &str,
    add: bool,
) -> Result<Reply> {
    let mut store = ctx.store();
    let (_, _, log) = message_scope(&mut store, target, mid)?;
    let msg = log.get_mut(mid).expect("message_scope found it");
    if add {
        let users = msg.reactions.entry(emoji.to_owned()).or_default();
        if !users.iter().any(|u| u == uid) {
            users.push(uid.to_owned());
        }
    } else if let Some(users) = msg.reactions.get_mut(emoji) {
        users.retain(|u| u != uid);
        if users.is_empty() {
            msg.reactions.remove(emoji);
        }
    }
    Ok(Reply::empty())
}

/// `POST /import/conversations/{id}/messages`: participants' user messages
/// with their original `timestamp` as `createdAt`, `origin: "import"`,
/// no de-duplication and no webhooks (imports notify nobody). Answers the
/// new ids like a send.
pub fn import(ctx: &Ctx, target: &ConvTarget, req: &ApiRequest) -> Result<Reply> {
    let items = message_array(req)?;
    let mut store = ctx.store();
    let Store {
        conversations,
        messages,
        files,
        ids,
        ..
    } = &mut *store;
    let conv = conversations
        .get_mut(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    let parsed = items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            parse_import(v, conv, files)
                .map_err(|e| Reply::bad_request(format!("message {i}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let log = messages.entry(target.id.clone()).or_default();
    let mut answer = Vec::with_capacity(parsed.len());
    for (mut msg, read_by) in parsed {
        msg.id = ids.id("msg_");
        for u in msg.sender.iter().chain(read_by.iter()) {
            mark_read_up_to(conv, u, msg.created_at);
        }
        answer.push(json!({ "id": msg.id }));
        log.insert(msg);
    }
    store.touch_activity(&target.id);
    Ok(Reply::ok(Value::Array(answer)))
}
