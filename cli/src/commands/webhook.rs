//! `talkjs webhook verify`: checks a saved webhook request's signature
//! with the app's secret key (`talkjs::webhooks::WebhookVerifier`).

use std::{
    io::Read,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use serde_json::json;
use talkjs::webhooks::{WebhookEvent, WebhookVerifier};

use crate::{
    args::{Connection, VerifyArgs},
    failure::{Failure, code},
};

/// Verifies; prints the event's type and id on success.
pub fn verify(connection: &Connection, args: &VerifyArgs) -> Result<(), Failure> {
    let body = if args.body.as_os_str() == "-" {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| Failure::input(format!("cannot read the body from stdin: {e}")))?;
        body
    } else {
        std::fs::read(&args.body)
            .map_err(|e| Failure::input(format!("cannot read {}: {e}", args.body.display())))?
    };
    let verifier = WebhookVerifier::new(connection.secret_key()?);
    verifier
        .verify_signature(args.timestamp.trim(), &args.signature, &body)
        .map_err(|e| {
            Failure::new(
                code::CHECK_FAILED,
                format!(
                    "{e}: check that the body file is byte for byte what TalkJS sent (no \
                     reformatting, no newline added), that --timestamp is the \
                     X-TalkJS-Timestamp header's value, and that the secret key is this app's"
                ),
            )
        })?;
    if let Some(max_age) = args.max_age {
        let sent = args.timestamp.trim().parse::<u64>().map_err(|_| {
            Failure::input("--timestamp is not a number of milliseconds".to_owned())
        })?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let age = Duration::from_millis(now.abs_diff(u128::from(sent)) as u64);
        if age > Duration::from_secs(max_age) {
            return Err(Failure::new(
                code::CHECK_FAILED,
                format!(
                    "the signature is valid but the request is {} s old, more than --max-age \
                     {max_age}: a replay, or a clock that is off",
                    age.as_secs()
                ),
            ));
        }
    }
    // The signature is what was asked; the event's type is a courtesy.
    let event = WebhookEvent::parse(&body).ok();
    let summary = json!({
        "valid": true,
        "type": event.as_ref().map(|e| e.event_type().to_owned()),
        "id": event.as_ref().and_then(|e| e.id().map(str::to_owned)),
    });
    crate::output::print_line("the summary", summary)
}
