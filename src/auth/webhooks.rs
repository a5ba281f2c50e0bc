//! Webhooks: signature verification and typed events.
//!
//! TalkJS POSTs each event as JSON with two headers:
//!
//! * `X-TalkJS-Timestamp`: the time of sending, Unix milliseconds;
//! * `X-TalkJS-Signature`: uppercase hex HMAC-SHA256, keyed with the app's
//!   secret key, of `timestamp + "." + raw body bytes`.
//!
//! [`WebhookVerifier`] checks both (in constant time, upper- or lowercase hex)
//! and parses the body into a [`WebhookEvent`]. Verify the **raw** bytes as
//! received: re-serialized JSON does not match the signature.
//!
//! TalkJS waits 5 s for the endpoint's answer and, without a 200 in that
//! time, retries once shortly after (the delay is not published), so
//! answer quickly and be ready to see an event twice. It sends no
//! `message.read` for conversations with 301 or more participants
//! (<https://talkjs.com/docs/Reference/Webhooks/>).
//!
//! ```
//! use talkjs::SecretString;
//! use std::time::Duration;
//! use talkjs::webhooks::{WebhookEvent, WebhookVerifier};
//!
//! // Refuses timestamps more than 5 minutes away (`max_age` changes that).
//! let verifier = WebhookVerifier::new(SecretString::from("sk_test_example"));
//!
//! // In a real handler these come from the HTTP request.
//! let body = br#"{"id":"evt_1","createdAt":1700000000000,"type":"message.sent",
//!     "data":{"message":{"id":"msg_1","text":"hi"},"conversation":{"id":"c1"}}}"#;
//! let now = std::time::SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_500);
//! let mut headers = http::HeaderMap::new();
//! headers.insert("X-TalkJS-Timestamp", "1700000000000".parse().unwrap());
//! headers.insert(
//!     "X-TalkJS-Signature",
//!     verifier.sign("1700000000000", body).parse().unwrap(),
//! );
//!
//! match verifier.verify_at(&headers, body, now)? {
//!     WebhookEvent::MessageSent(ev) => {
//!         let text = ev.data.message.as_ref().and_then(|m| m.text.as_deref());
//!         assert_eq!(text, Some("hi"));
//!     }
//!     other => println!("ignored {}", other.event_type()),
//! }
//! # Ok::<(), talkjs::Error>(())
//! ```

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::hmac_sha256::{Hmac, HmacKey, decode_hex, hex};
use crate::WebhookError;
use crate::raw::types::{Conversation, Message, User};

/// The header carrying the signature.
pub const SIGNATURE_HEADER: &str = "X-TalkJS-Signature";
/// The header carrying the timestamp (Unix milliseconds).
pub const TIMESTAMP_HEADER: &str = "X-TalkJS-Timestamp";

/// Checks that webhook requests come from TalkJS and parses them.
///
/// Built from the app's secret key. A request whose timestamp is more than
/// [`DEFAULT_MAX_AGE`] (5 minutes) away from the current time is refused as
/// stale, so a captured request cannot be replayed later; TalkJS waits 5 s
/// for an answer and retries a failed delivery once, shortly after, well
/// inside that window. [`max_age`](Self::max_age) changes the window (e.g. for clocks
/// that drift more), [`any_age`](Self::any_age) turns the check off.
///
/// ```
/// use talkjs::SecretString;
/// use talkjs::webhooks::WebhookVerifier;
///
/// let verifier = WebhookVerifier::new(SecretString::from("sk_test_example"));
/// let sig = verifier.sign("1700000000000", b"{}");
/// verifier.verify_signature("1700000000000", &sig, b"{}")?;
/// // Lowercase hex is accepted too.
/// verifier.verify_signature("1700000000000", &sig.to_lowercase(), b"{}")?;
/// assert!(verifier.verify_signature("1700000000001", &sig, b"{}").is_err());
/// # Ok::<(), talkjs::Error>(())
/// ```
#[derive(Clone)]
pub struct WebhookVerifier {
    /// HMAC key prepared once from the secret key, started per request.
    mac: HmacKey,
    max_age: Option<Duration>,
    /// An empty key would let anyone compute a valid signature.
    empty_key: bool,
}

impl fmt::Debug for WebhookVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookVerifier")
            .field("key", &"[REDACTED]")
            .field("max_age", &self.max_age)
            .finish()
    }
}

/// How far a request's timestamp may be from the current time, by default:
/// 5 minutes, the tolerance Stripe's SDKs also default to.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(300);

impl WebhookVerifier {
    /// A verifier for events signed with `secret_key`, refusing timestamps
    /// more than [`DEFAULT_MAX_AGE`] away from the current time.
    pub fn new(secret_key: SecretString) -> Self {
        let mac = HmacKey::new(secret_key.expose_secret().as_bytes());
        WebhookVerifier {
            mac,
            max_age: Some(DEFAULT_MAX_AGE),
            empty_key: secret_key.expose_secret().is_empty(),
        }
    }

    /// Refuses requests whose timestamp is more than `max_age` before or after
    /// the current time, with [`WebhookError::Stale`].
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Accepts a correctly signed request whatever its timestamp, replays
    /// included: only for events verified long after they were sent (e.g.
    /// replayed from a log on purpose).
    pub fn any_age(mut self) -> Self {
        self.max_age = None;
        self
    }

    /// Verifies a request (headers and raw body) and parses its event, using
    /// the system clock for the [`max_age`](Self::max_age) check.
    ///
    /// Errors: [`WebhookError::EmptySecret`] for every request if the
    /// secret key is empty (anyone could sign with it); otherwise
    /// [`WebhookError::MissingHeader`], [`WebhookError::BadSignature`],
    /// [`WebhookError::Stale`] (only for correctly signed requests) or
    /// [`WebhookError::MalformedBody`].
    pub fn verify(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<WebhookEvent, WebhookError> {
        self.verify_at(headers, body, SystemTime::now())
    }

    /// Like [`verify`](Self::verify), as if the clock read `now`.
    pub fn verify_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<WebhookEvent, WebhookError> {
        let timestamp = header(headers, TIMESTAMP_HEADER)?;
        let signature = header(headers, SIGNATURE_HEADER)?;
        // Signature first: an unauthenticated request learns nothing about
        // the clock window.
        self.verify_signature(timestamp, signature, body)?;
        self.check_freshness(timestamp, now)?;
        WebhookEvent::parse(body)
    }

    /// Checks `signature` (hex, either case) against `timestamp` and `body`
    /// in constant time. Does not look at the timestamp's age.
    pub fn verify_signature(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<(), WebhookError> {
        if self.empty_key {
            // Anyone can sign with an empty key (e.g. from an unset
            // environment variable read with `unwrap_or_default`).
            return Err(WebhookError::EmptySecret);
        }
        // HMAC-SHA256 is 32 bytes: 64 hex digits. Anything else cannot match.
        let mut tag = [0u8; 32];
        decode_hex(signature.trim(), &mut tag).ok_or(WebhookError::BadSignature)?;
        if self.mac_for(timestamp, body).verify(&tag) {
            Ok(())
        } else {
            Err(WebhookError::BadSignature)
        }
    }

    /// The signature TalkJS would send for `timestamp` and `body` (uppercase
    /// hex), e.g. to test a receiver.
    pub fn sign(&self, timestamp: &str, body: &[u8]) -> String {
        hex(&self.mac_for(timestamp, body).finalize(), true)
    }

    fn mac_for(&self, timestamp: &str, body: &[u8]) -> Hmac {
        let mut mac = self.mac.start();
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }

    fn check_freshness(&self, timestamp: &str, now: SystemTime) -> Result<(), WebhookError> {
        let Some(max_age) = self.max_age else {
            return Ok(());
        };
        let sent_ms: u64 = timestamp
            .trim()
            .parse()
            .map_err(|_| WebhookError::MissingHeader(TIMESTAMP_HEADER))?;
        let now_ms = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let age_ms = now_ms.abs_diff(sent_ms);
        let max_age_ms = u64::try_from(max_age.as_millis()).unwrap_or(u64::MAX);
        if age_ms > max_age_ms {
            return Err(WebhookError::Stale { age_ms, max_age_ms });
        }
        Ok(())
    }
}

fn header<'a>(headers: &'a http::HeaderMap, name: &'static str) -> Result<&'a str, WebhookError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty())
        .ok_or(WebhookError::MissingHeader(name))
}

/// The fields every event carries besides its type, plus the typed `data`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// The event's id (`evt_...`), when TalkJS sent one.
    pub id: Option<String>,
    /// When the event happened, Unix milliseconds (`createdAt`).
    #[serde(rename = "createdAt")]
    pub created_at: Option<i64>,
    /// The event's `data`.
    pub data: T,
}

/// `data` of `user.created` and `user.updated`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserEventData {
    /// The user as it is now.
    pub user: Option<User>,
    /// Fields not modelled here, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of `message.sent`, `message.read`, `message.updated` and
/// `message.deleted`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MessageEventData {
    /// The message.
    pub message: Option<Message>,
    /// The conversation it belongs to.
    pub conversation: Option<Conversation>,
    /// The sender (absent for system messages).
    pub sender: Option<User>,
    /// For `message.read`: the user who read the message.
    pub recipient: Option<User>,
    /// Fields not modelled here, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of `conversation.deleted`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ConversationEventData {
    /// The deleted conversation (TalkJS may send only its id).
    pub conversation: Option<Conversation>,
    /// Fields not modelled here, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `data` of the `notification.*` events.
///
/// Only the fields seen in TalkJS's documentation and examples are typed;
/// the rest (delivery channel details, bounce reasons, ...) stay in `extra`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NotificationEventData {
    /// Identifies one notification across its triggered / sent / delivered /
    /// opened / clicked events.
    #[serde(rename = "notificationId")]
    pub notification_id: Option<String>,
    /// The user being notified.
    pub recipient: Option<User>,
    /// The sender of the (last) message the notification is about.
    pub sender: Option<User>,
    /// The conversation the notification is about.
    pub conversation: Option<Conversation>,
    /// The messages the notification is about.
    pub messages: Option<Vec<Message>>,
    /// For `notification.link.clicked`: the link that was clicked.
    pub url: Option<String>,
    /// Fields not modelled here, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A webhook event, by type.
///
/// Envelope fields are reachable on every variant through
/// [`id`](Self::id), [`created_at`](Self::created_at) and
/// [`event_type`](Self::event_type).
///
/// **Nothing is dropped.** A type this SDK does not know becomes
/// [`Unknown`](Self::Unknown) with the whole payload. A known type whose
/// `data` does not fit its struct (a field of an unexpected JSON type, should
/// TalkJS change a shape) also becomes `Unknown`, with its original
/// `event_type`, rather than an error: TalkJS retries only once, and failing
/// the request would lose the event. All typed fields are optional and
/// unknown fields are kept in each struct's `extra`, so this only happens
/// when a known field changes type.
///
/// ```
/// use talkjs::webhooks::WebhookEvent;
///
/// let ev = WebhookEvent::parse(br#"{"type":"user.created","id":"evt_1",
///     "data":{"user":{"id":"alice","name":"Alice"}}}"#)?;
/// match &ev {
///     WebhookEvent::UserCreated(e) => {
///         assert_eq!(e.data.user.as_ref().unwrap().name.as_deref(), Some("Alice"));
///     }
///     _ => unreachable!(),
/// }
/// assert_eq!(ev.id(), Some("evt_1"));
///
/// let later = WebhookEvent::parse(br#"{"type":"reaction.added","data":{"x":1}}"#)?;
/// assert!(matches!(later, WebhookEvent::Unknown { ref event_type, .. } if event_type == "reaction.added"));
/// # Ok::<(), talkjs::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum WebhookEvent {
    /// `user.created`: a user was created.
    UserCreated(Envelope<UserEventData>),
    /// `user.updated`: a user was updated.
    UserUpdated(Envelope<UserEventData>),
    /// `message.sent`: a message was sent in a conversation.
    MessageSent(Envelope<MessageEventData>),
    /// `message.read`: a participant other than the sender saw the message
    /// (sent only for conversations of at most 300 participants).
    MessageRead(Envelope<MessageEventData>),
    /// `message.updated`: a message's content or metadata changed.
    MessageUpdated(Envelope<MessageEventData>),
    /// `message.deleted`: a message was deleted.
    MessageDeleted(Envelope<MessageEventData>),
    /// `conversation.deleted`: a conversation was deleted via the REST API.
    ConversationDeleted(Envelope<ConversationEventData>),
    /// `notification.triggered`: TalkJS decided to notify a user (also when
    /// the user has no email or phone, so you can notify them yourself).
    NotificationTriggered(Envelope<NotificationEventData>),
    /// `notification.sent`: a notification was sent (email or SMS; not push).
    NotificationSent(Envelope<NotificationEventData>),
    /// `notification.delivered`: an email notification was delivered.
    NotificationDelivered(Envelope<NotificationEventData>),
    /// `notification.bounced`: an email notification bounced or was marked
    /// as spam.
    NotificationBounced(Envelope<NotificationEventData>),
    /// `notification.opened`: an email notification was opened (not always
    /// reported: clients may block tracking pixels).
    NotificationOpened(Envelope<NotificationEventData>),
    /// `notification.link.clicked`: a link in an email notification was
    /// clicked.
    NotificationLinkClicked(Envelope<NotificationEventData>),
    /// An event type this SDK does not model, or a known type whose `data`
    /// did not fit (see the type's documentation).
    Unknown {
        /// The event's `type`.
        event_type: String,
        /// The whole JSON payload (`type`, `data`, `id`, `createdAt`, ...).
        payload: Value,
    },
}

impl WebhookEvent {
    /// Parses a webhook body without checking any signature (use
    /// [`WebhookVerifier::verify`] for requests from the network).
    ///
    /// Fails with [`WebhookError::MalformedBody`] when the body is not a JSON
    /// object with a string `type`.
    pub fn parse(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        let payload: Value = serde_json::from_slice(body)
            .map_err(|e| WebhookError::MalformedBody(format!("not JSON: {e}")))?;
        Self::from_value(payload)
    }

    /// Like [`parse`](Self::parse), from an already decoded JSON value.
    pub fn from_value(payload: Value) -> Result<WebhookEvent, WebhookError> {
        let Some(obj) = payload.as_object() else {
            return Err(WebhookError::MalformedBody("not a JSON object".into()));
        };
        let Some(event_type) = obj.get("type").and_then(Value::as_str) else {
            return Err(WebhookError::MalformedBody(
                "no string field \"type\"".into(),
            ));
        };
        let typed = match event_type {
            "user.created" => user(obj).map(WebhookEvent::UserCreated),
            "user.updated" => user(obj).map(WebhookEvent::UserUpdated),
            "message.sent" => envelope(obj).map(WebhookEvent::MessageSent),
            "message.read" => envelope(obj).map(WebhookEvent::MessageRead),
            "message.updated" => envelope(obj).map(WebhookEvent::MessageUpdated),
            "message.deleted" => envelope(obj).map(WebhookEvent::MessageDeleted),
            "conversation.deleted" => envelope(obj).map(WebhookEvent::ConversationDeleted),
            "notification.triggered" => envelope(obj).map(WebhookEvent::NotificationTriggered),
            "notification.sent" => envelope(obj).map(WebhookEvent::NotificationSent),
            "notification.delivered" => envelope(obj).map(WebhookEvent::NotificationDelivered),
            "notification.bounced" => envelope(obj).map(WebhookEvent::NotificationBounced),
            "notification.opened" => envelope(obj).map(WebhookEvent::NotificationOpened),
            "notification.link.clicked" => envelope(obj).map(WebhookEvent::NotificationLinkClicked),
            _ => None,
        };
        Ok(match typed {
            Some(event) => event,
            None => WebhookEvent::Unknown {
                event_type: event_type.to_owned(),
                payload,
            },
        })
    }

    /// The event's `type`, e.g. `"message.sent"`.
    pub fn event_type(&self) -> &str {
        match self {
            WebhookEvent::UserCreated(_) => "user.created",
            WebhookEvent::UserUpdated(_) => "user.updated",
            WebhookEvent::MessageSent(_) => "message.sent",
            WebhookEvent::MessageRead(_) => "message.read",
            WebhookEvent::MessageUpdated(_) => "message.updated",
            WebhookEvent::MessageDeleted(_) => "message.deleted",
            WebhookEvent::ConversationDeleted(_) => "conversation.deleted",
            WebhookEvent::NotificationTriggered(_) => "notification.triggered",
            WebhookEvent::NotificationSent(_) => "notification.sent",
            WebhookEvent::NotificationDelivered(_) => "notification.delivered",
            WebhookEvent::NotificationBounced(_) => "notification.bounced",
            WebhookEvent::NotificationOpened(_) => "notification.opened",
            WebhookEvent::NotificationLinkClicked(_) => "notification.link.clicked",
            WebhookEvent::Unknown { event_type, .. } => event_type,
        }
    }

    /// The event's `id`, when TalkJS sent one.
    pub fn id(&self) -> Option<&str> {
        match self {
            WebhookEvent::Unknown { payload, .. } => payload.get("id").and_then(Value::as_str),
            _ => self.envelope_fields().0,
        }
    }

    /// The event's `createdAt` (Unix milliseconds), when TalkJS sent one.
    pub fn created_at(&self) -> Option<i64> {
        match self {
            WebhookEvent::Unknown { payload, .. } => {
                payload.get("createdAt").and_then(Value::as_i64)
            }
            _ => self.envelope_fields().1,
        }
    }

    fn envelope_fields(&self) -> (Option<&str>, Option<i64>) {
        fn f<T>(e: &Envelope<T>) -> (Option<&str>, Option<i64>) {
            (e.id.as_deref(), e.created_at)
        }
        match self {
            WebhookEvent::UserCreated(e) | WebhookEvent::UserUpdated(e) => f(e),
            WebhookEvent::MessageSent(e)
            | WebhookEvent::MessageRead(e)
            | WebhookEvent::MessageUpdated(e)
            | WebhookEvent::MessageDeleted(e) => f(e),
            WebhookEvent::ConversationDeleted(e) => f(e),
            WebhookEvent::NotificationTriggered(e)
            | WebhookEvent::NotificationSent(e)
            | WebhookEvent::NotificationDelivered(e)
            | WebhookEvent::NotificationBounced(e)
            | WebhookEvent::NotificationOpened(e)
            | WebhookEvent::NotificationLinkClicked(e) => f(e),
            WebhookEvent::Unknown { .. } => (None, None),
        }
    }
}

/// The envelope fields are read leniently (a field of another JSON type reads
/// as absent) so that only `data` decides whether the typed variant applies.
fn envelope<T: serde::de::DeserializeOwned>(obj: &Map<String, Value>) -> Option<Envelope<T>> {
    let data = T::deserialize(obj.get("data").unwrap_or(&Value::Null)).ok()?;
    Some(Envelope {
        id: obj.get("id").and_then(Value::as_str).map(str::to_owned),
        created_at: obj.get("createdAt").and_then(Value::as_i64),
        data,
    })
}

/// `user.*` events: TalkJS documents `data.user`; a `data` that is the user
/// object itself (no `user` key but an `id`) is accepted too, as some senders
/// (e.g. this crate's emulator) emit it that way.
fn user(obj: &Map<String, Value>) -> Option<Envelope<UserEventData>> {
    let mut ev: Envelope<UserEventData> = envelope(obj)?;
    if ev.data.user.is_none() && ev.data.extra.contains_key("id") {
        let user = User::deserialize(&Value::Object(std::mem::take(&mut ev.data.extra))).ok()?;
        ev.data.user = Some(user);
    }
    Some(ev)
}
