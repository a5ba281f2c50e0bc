//! `GET`/`PUT /v1/{appId}` (also with a trailing slash): the app's
//! metadata ([App](https://talkjs.com/docs/Reference/REST_API/App/)).
//! TalkJS says `GET` "can be used without authentication"; the emulator
//! holds it to the same credentials as every other call, which a client
//! that sends them cannot tell apart.

use crate::ctx::Ctx;
use crate::reply::{Reply, Result};
use crate::router::ApiRequest;
use crate::state::app::AppPatch;

/// `GET /v1/{appId}`: `{id, custom, defaultLocale?}`.
pub fn get(ctx: &Ctx) -> Result<Reply> {
    Ok(Reply::ok(ctx.store().app.to_json(&ctx.config.app_id)))
}

/// `PUT /v1/{appId}` with any of `custom`, `defaultLocale` and `id` (which
/// must be the app's own): omitted fields are kept. TalkJS documents no
/// answer, so it is `{}`, like every call that returns nothing.
pub fn put(ctx: &Ctx, req: &ApiRequest) -> Result<Reply> {
    let body = req.require_json()?;
    let patch = AppPatch::parse(&body, &ctx.config.app_id).map_err(Reply::bad_request)?;
    patch.apply(&mut ctx.store().app);
    Ok(Reply::empty())
}
