//! `/conversations...`: create/update, get, list, delete, and joining or
//! leaving (participants).

use serde_json::json;
use sha2::{Digest, Sha256};

use super::paging::{ListParams, list_order, page, unknown_cursor};
use crate::codec::hex_lower;
use crate::ctx::Ctx;
use crate::ids::now_ms;
use crate::reply::{Reply, Result};
use crate::router::{ApiRequest, ConvTarget};
use crate::state::conversations::{ConversationPatch, Participant, ParticipationPatch};
use crate::state::order::ListOrder;
use crate::state::{Conversation, Store};

/// The 404 for a missing conversation.
pub fn not_found(id: &str) -> Reply {
    Reply::not_found(format!("conversation {id:?} not found"))
}

/// The 404 for a user who is not a participant of conversation `conv`.
fn not_a_participant(uid: &str, conv: &str) -> Reply {
    Reply::not_found(format!(
        "user {uid:?} is not a participant of conversation {conv:?}"
    ))
}

/// Adds `user` as a participant with default settings unless present.
pub fn add_participant(store: &mut Store, conv_id: &str, user: &str, now: i64) -> bool {
    let Some(c) = store.conversations.get_mut(conv_id) else {
        return false;
    };
    if c.participants.contains_key(user) {
        return false;
    }
    c.participants
        .insert(user.to_owned(), Participant::new(now));
    store.index_participation(user, conv_id);
    true
}

/// The conversation a deprecated `participants=...` path would start, when
/// it does not exist yet (that path means "get or start"); `None` for an
/// ordinary id or an existing conversation. Nothing is stored.
pub fn would_start(store: &Store, target: &ConvTarget, now: i64) -> Option<Conversation> {
    let (ids, topic) = target.deprecated.as_ref()?;
    if store.conversations.get(&target.id).is_some() {
        return None;
    }
    Some(Conversation {
        id: target.id.clone(),
        topic_id: topic.clone(),
        created_at: now,
        participants: ids
            .iter()
            .map(|u| (u.clone(), Participant::new(now)))
            .collect(),
        ..Conversation::default()
    })
}

/// Stores a conversation built by [`would_start`] and indexes its
/// participants.
pub fn start(store: &mut Store, conv: Conversation) {
    store.add_conversation(conv);
}

/// Creates the conversation of a deprecated `participants=...` path if it
/// does not exist yet.
pub fn ensure_deprecated(store: &mut Store, target: &ConvTarget) {
    if let Some(conv) = would_start(store, target, now_ms()) {
        start(store, conv);
    }
}

/// `GET /conversations/{id}`.
pub fn get(ctx: &Ctx, target: &ConvTarget) -> Result<Reply> {
    let store = ctx.store();
    let c = store
        .conversations
        .get(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    Ok(Reply::ok(c.to_json(store.messages.get(&target.id))))
}

/// `PUT /conversations/{id}`: merges fields; `participants` only adds.
pub fn put(ctx: &Ctx, target: &ConvTarget, req: &ApiRequest) -> Result<Reply> {
    let body = req.require_json()?;
    let patch = ConversationPatch::parse(&body).map_err(Reply::bad_request)?;
    let mut store = ctx.store();
    ensure_deprecated(&mut store, target);
    let now = now_ms();
    if store.conversations.get(&target.id).is_none() {
        store.add_conversation(Conversation {
            id: target.id.clone(),
            created_at: now,
            ..Conversation::default()
        });
    }
    let c = store
        .conversations
        .get_mut(&target.id)
        .expect("inserted above");
    let added = patch.apply_fields(c);
    for u in added {
        add_participant(&mut store, &target.id, &u, now);
    }
    let c = store.conversations.get(&target.id).expect("inserted above");
    Ok(Reply::ok(c.to_json(store.messages.get(&target.id))))
}

/// `DELETE /conversations/{id}`: the conversation and all its messages.
pub fn delete(ctx: &Ctx, target: &ConvTarget) -> Result<Reply> {
    let mut store = ctx.store();
    // The messages go; their idempotency keys stay (see the README).
    if store.remove_conversation(&target.id).is_none() {
        return Err(not_found(&target.id));
    }
    ctx.webhooks.emit(
        "conversation.deleted",
        json!({ "conversation": { "id": target.id } }),
    );
    Ok(Reply::empty())
}

/// `GET /conversations`: by last activity, latest first, unless
/// `orderBy`/`orderDirection` (or an old `TalkJS-REST-Version`) say
/// otherwise; with last-message filters.
pub fn list(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    let p = ListParams::parse(&req.query)?;
    let order = list_order(&req.query, req.rest_version)?;
    let store = ctx.store();
    let after = cursor(&store, order, p.starting_after.as_deref())?;
    let items = store
        .order
        .all()
        .after(order, after)
        .filter_map(|id| store.conversations.get(id))
        .inspect(|_| ctx.visit())
        .map(|c| (c, store.messages.get(&c.id)))
        .filter(|(_, log)| {
            p.last_message_matches(log.and_then(|l| l.newest()).map(|m| m.created_at))
        })
        .take(p.limit)
        .map(|(c, log)| c.to_json(log))
        .collect();
    Ok(page(items))
}

/// The position of a conversation list's `startingAfter` cursor in
/// `order`; a 400 when it names no conversation.
pub fn cursor(store: &Store, order: ListOrder, id: Option<&str>) -> Result<Option<(i64, String)>> {
    id.map(|id| {
        store
            .order
            .position(order, id)
            .ok_or_else(|| unknown_cursor(id))
    })
    .transpose()
}

/// `PUT /conversations/{cid}/participants/{uid}` with optional
/// `{access, notify}`: joins, or overwrites the settings of a participant;
/// an omitted setting gets its default (ReadWrite / true).
pub fn join(ctx: &Ctx, target: &ConvTarget, uid: &str, req: &ApiRequest) -> Result<Reply> {
    let body = req.json()?;
    let patch = ParticipationPatch::parse(body.as_ref()).map_err(Reply::bad_request)?;
    let mut store = ctx.store();
    if store.conversations.get(&target.id).is_none() {
        return Err(not_found(&target.id));
    }
    add_participant(&mut store, &target.id, uid, now_ms());
    let c = store
        .conversations
        .get_mut(&target.id)
        .expect("checked above");
    patch.overwrite(c.participants.get_mut(uid).expect("added above"));
    Ok(Reply::empty())
}

/// `PATCH /conversations/{cid}/participants/{uid}` with optional
/// `{access, notify}`: changes only the given settings of an existing
/// participant; 404 for a user who is not one.
pub fn update_participant(
    ctx: &Ctx,
    target: &ConvTarget,
    uid: &str,
    req: &ApiRequest,
) -> Result<Reply> {
    let body = req.json()?;
    let patch = ParticipationPatch::parse(body.as_ref()).map_err(Reply::bad_request)?;
    let mut store = ctx.store();
    let c = store
        .conversations
        .get_mut(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    let p = c
        .participants
        .get_mut(uid)
        .ok_or_else(|| not_a_participant(uid, &target.id))?;
    patch.apply(p);
    Ok(Reply::empty())
}

/// `DELETE /conversations/{cid}/participants/{uid}`; succeeds also when
/// the user had already left, so a retried leave is harmless.
pub fn leave(ctx: &Ctx, target: &ConvTarget, uid: &str) -> Result<Reply> {
    let mut store = ctx.store();
    let c = store
        .conversations
        .get_mut(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    if c.participants.remove(uid).is_some() {
        store.unindex_participation(uid, &target.id);
    }
    Ok(Reply::empty())
}

/// `GET /conversations/{cid}/participants/{uid}/email`: the participant's
/// reply-by-email address, `{"emailAddress": ...}`
/// ([Participation](https://talkjs.com/docs/Reference/REST_API/Participation)).
/// TalkJS's addresses are opaque; the emulator's is
/// `<24 hex>@reply.talkjs.local`, a hash of the app, conversation and
/// user ids: the same on every call (and after a reset), different for
/// each pair. 404 for an unknown conversation or a non-participant.
pub fn reply_email(ctx: &Ctx, target: &ConvTarget, uid: &str) -> Result<Reply> {
    let store = ctx.store();
    let c = store
        .conversations
        .get(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    if !c.participants.contains_key(uid) {
        return Err(not_a_participant(uid, &target.id));
    }
    let mut h = Sha256::new();
    for part in [ctx.config.app_id.as_str(), &target.id, uid] {
        h.update(part.as_bytes());
        h.update([0]);
    }
    let local = &hex_lower(&h.finalize())[..24];
    Ok(Reply::ok(
        json!({ "emailAddress": format!("{local}@reply.talkjs.local") }),
    ))
}
