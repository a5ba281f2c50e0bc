//! `POST /presences`: who is online, as TalkJS's
//! [User Presence](https://talkjs.com/docs/Reference/REST_API/User_Presence)
//! page documents it, from the sessions tests set with
//! [`crate::Emulator::set_session`]. Without any, `data` is `{}`.

use serde_json::{Map, Value, json};

use crate::ctx::Ctx;
use crate::reply::{Reply, Result};
use crate::router::ApiRequest;
use crate::state::sessions::PresenceQuery;

/// Answers `{"data": {userId: {status, backgroundSessions, widgets}}}`
/// for each user with a session that passes the body's filters (see
/// [`PresenceQuery::answer`]); a body-less request has no filters.
pub fn query(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    let body = req.json()?;
    let q = PresenceQuery::parse(body.as_ref()).map_err(Reply::bad_request)?;
    let store = ctx.store();
    let data: Map<String, Value> = store
        .sessions
        .iter()
        .filter(|(user, _)| q.user_ids.as_ref().is_none_or(|ids| ids.contains(user)))
        .filter_map(|(user, sessions)| Some((user.clone(), q.answer(sessions)?)))
        .collect();
    Ok(Reply::ok(json!({ "data": data })))
}
