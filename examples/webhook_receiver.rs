//! A TalkJS webhook endpoint with axum: verifies each request, parses the
//! event, prints it.
//!
//! ```text
//! TALKJS_SECRET_KEY=sk_test_... cargo run --example webhook_receiver [-- 127.0.0.1:3000]
//! ```
//!
//! Then set `http://<host>:3000/talkjs/webhook` as the webhook URL in the
//! TalkJS dashboard (through a tunnel such as ngrok when testing locally).
//!
//! Answers: 200 when the event was accepted, 401 when the request is not
//! provably from TalkJS (missing header, wrong signature, too old), 400 when
//! a correctly signed body is not a webhook payload. TalkJS retries once on
//! any non-200 answer, so the handler only hands the event on and returns; do
//! slow work elsewhere (TalkJS waits 5 seconds).
//!
//! `tests/sdk/webhooks/example_receiver.rs` includes this file as a module and drives
//! [`router`] over loopback.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use secrecy::SecretString;
use talkjs::WebhookError;
use talkjs::webhooks::{WebhookEvent, WebhookVerifier};

/// Where the endpoint listens.
pub const PATH: &str = "/talkjs/webhook";

/// The router with the printing handler.
pub fn router(verifier: WebhookVerifier) -> Router {
    router_with_handler(verifier, print_event)
}

/// The router, handing every verified event to `handler`.
pub fn router_with_handler(
    verifier: WebhookVerifier,
    handler: impl Fn(WebhookEvent) + Send + Sync + 'static,
) -> Router {
    let state = Arc::new(Receiver {
        verifier,
        handler: Box::new(handler),
    });
    Router::new().route(PATH, post(receive)).with_state(state)
}

struct Receiver {
    verifier: WebhookVerifier,
    handler: Box<dyn Fn(WebhookEvent) + Send + Sync>,
}

/// `Bytes`, not `Json`: the signature covers the raw body as sent.
async fn receive(
    State(rx): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    match rx.verifier.verify(&headers, &body) {
        Ok(event) => {
            (rx.handler)(event);
            (StatusCode::OK, "ok")
        }
        Err(WebhookError::MalformedBody(why)) => {
            eprintln!("refused a signed but malformed body: {why}");
            (StatusCode::BAD_REQUEST, "malformed payload")
        }
        Err(e) => {
            // Missing header, bad signature, stale timestamp: not provably
            // from TalkJS. The error names no secret.
            eprintln!("refused a webhook request: {e}");
            (StatusCode::UNAUTHORIZED, "unauthorized")
        }
    }
}

/// Prints a one-line summary of an event.
pub fn print_event(event: WebhookEvent) {
    let id = event.id().unwrap_or("-").to_owned();
    match &event {
        WebhookEvent::MessageSent(e) => {
            let m = e.data.message.as_ref();
            println!(
                "[{id}] message.sent in {:?} by {:?}: {:?}",
                m.and_then(|m| m.conversation_id.as_deref()),
                m.and_then(|m| m.sender_id.as_deref()),
                m.and_then(|m| m.text.as_deref()),
            );
        }
        WebhookEvent::UserCreated(e) | WebhookEvent::UserUpdated(e) => {
            let user = e.data.user.as_ref();
            println!(
                "[{id}] {} {:?}",
                event.event_type(),
                user.and_then(|u| u.id.as_deref())
            );
        }
        WebhookEvent::NotificationTriggered(e) => println!(
            "[{id}] notification.triggered for {:?} ({} message(s))",
            e.data.recipient.as_ref().and_then(|u| u.id.as_deref()),
            e.data.messages.as_ref().map_or(0, Vec::len),
        ),
        WebhookEvent::Unknown {
            event_type,
            payload,
        } => println!("[{id}] {event_type} (not modelled): {payload}"),
        other => println!("[{id}] {}", other.event_type()),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = std::env::var("TALKJS_SECRET_KEY")
        .map_err(|_| "set TALKJS_SECRET_KEY to the app's secret key")?;
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    // Five minutes covers TalkJS's single retry and modest clock skew while
    // refusing replays of captured requests.
    let verifier =
        WebhookVerifier::new(SecretString::from(secret)).max_age(Duration::from_secs(300));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}{PATH}", listener.local_addr()?);
    axum::serve(listener, router(verifier)).await?;
    Ok(())
}
