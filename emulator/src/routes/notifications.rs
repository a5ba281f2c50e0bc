//! `POST /conversations/{cid}/notifications`: triggers email/SMS
//! notifications now
//! ([Notifications](https://talkjs.com/docs/Reference/REST_API/Notifications/)).
//! The emulator sends nothing; it records one notification per recipient
//! ([`crate::Emulator::notifications`]) and emits a
//! `notification.triggered` webhook event for each.

use serde_json::{Value, json};

use super::conversations::not_found;
use crate::ctx::Ctx;
use crate::ids::now_ms;
use crate::reply::{Reply, Result};
use crate::router::{ApiRequest, ConvTarget};
use crate::state::notifications::NotificationRequest;
use crate::state::{Conversation, Store, User};

/// Who is notified. Without `recipients`: "everybody who has unanswered
/// messages", which TalkJS spells out for a one-on-one conversation as
/// "whoever did not write the latest message"; so every participant but
/// the newest message's sender, and nobody before the first message.
/// Given `recipients` must be participants (else 400; TalkJS does not
/// say). Either way a participant with `notify: false` is skipped (a muted
/// user "won't receive any notifications for that conversation",
/// [Email Notifications](https://talkjs.com/docs/Features/Notifications/Email_Notifications/)),
/// and a conversation of two participants gets at most one notification
/// per call ("precisely 1 ... each time you call the API"): the first
/// recipient who did not write the latest message, else the first.
fn recipients(
    store: &Store,
    conv: &Conversation,
    req: &NotificationRequest,
) -> Result<Vec<String>> {
    let latest_sender = store
        .messages
        .get(&conv.id)
        .and_then(|l| l.newest())
        .map(|m| m.sender.clone());
    let mut chosen = match &req.recipients {
        Some(ids) => {
            if let Some(stranger) = ids.iter().find(|id| !conv.participants.contains_key(*id)) {
                return Err(Reply::bad_request(format!(
                    "recipient {stranger:?} is not a participant of conversation {:?}",
                    conv.id
                )));
            }
            ids.clone()
        }
        None => match &latest_sender {
            None => Vec::new(),
            Some(sender) => conv
                .participants
                .keys()
                .filter(|u| Some(*u) != sender.as_ref())
                .cloned()
                .collect(),
        },
    };
    chosen.retain(|u| conv.participants[u].notify != Value::Bool(false));
    if conv.participants.len() == 2 && chosen.len() > 1 {
        let unanswered = chosen
            .iter()
            .position(|u| latest_sender.as_ref().is_none_or(|s| s.as_ref() != Some(u)))
            .unwrap_or(0);
        chosen = vec![chosen.swap_remove(unanswered)];
    }
    Ok(chosen)
}

/// Triggers, records and announces the notifications. TalkJS documents no
/// answer, so it is `{}`, like every call that returns nothing.
pub fn trigger(ctx: &Ctx, target: &ConvTarget, req: &ApiRequest) -> Result<Reply> {
    let body = req.require_json()?;
    let request = NotificationRequest::parse(&body).map_err(Reply::bad_request)?;
    let mut store = ctx.store();
    let conv = store
        .conversations
        .get(&target.id)
        .ok_or_else(|| not_found(&target.id))?;
    let chosen = recipients(&store, conv, &request)?;
    let conversation = ctx
        .webhooks
        .enabled()
        .then(|| conv.to_json(store.messages.get(&target.id)));
    let now = now_ms();
    for user in chosen {
        let id = store.ids.id("ntf_");
        let record = store
            .notifications
            .push(&id, &target.id, &user, &request, now);
        if let Some(conversation) = &conversation {
            // Like `message.read`: the conversation and the recipient as
            // the REST API shows them, plus the notification itself.
            ctx.webhooks.emit(
                "notification.triggered",
                json!({
                    "notification": record,
                    "conversation": conversation,
                    "recipient": store.users.get(&user).map(User::to_json),
                    "channels": request.channels,
                }),
            );
        }
    }
    Ok(Reply::empty())
}
