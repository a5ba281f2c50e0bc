//! The raw client, generated at build time by progenitor from
//! `talkjs-openapi.yml` with the RFC 6902 corrections in `patches/` and the
//! rules of `build/rules.rs` applied (every operation has the same error
//! responses; response enums are tolerant strings; see the README's "The
//! spec and its patches").
//!
//! Every operation of the spec is a method of [`Client`] returning a builder
//! (`client.get_user().user_id("alice").send().await`); request and response
//! types are in [`types`], their builders in [`types::builder`]. Builders
//! mean that an optional parameter added to the spec later is one more
//! setter, never a broken call.
//!
//! Get an authenticated instance from [`crate::Client::raw`]: its requests go
//! through the SDK's transport (fresh app token per request, retries,
//! timeouts, response size cap), or build one over your own
//! `reqwest::Client` with [`Client::new_with_client`], the
//! [`crate::ClientConfig::api_url`] and the [`crate::ClientConfig::transport`]
//! (an example is there). Ids are checked ([`crate::path::ResourceId`]
//! refuses empty, `.` and `..`) and percent-encoded as
//! [`crate::path::encode_path`] does, so an id reaches exactly that resource.
//!
//! `build.rs` changes progenitor's output in two places only, both for
//! correctness: ids are percent-encoded by the SDK's encoder, which also
//! encodes `.`, `..` and `\` (progenitor's leaves them, and a URL parser
//! would then resolve them); and a refused id's message states the rule it
//! broke (progenitor's generic conversion error drops it). Each is
//! explained, with the upstream change it stands in for, where it is done.
//!
//! A POST is never sent twice after an ambiguous failure: a 5xx that may
//! have come after it was applied is returned as it is, with the header
//! `x-talkjs-sdk-outcome: unknown` added (and [`crate::Client::call`]
//! reports it as [`crate::Error::OutcomeUnknown`]).
//!
//! Error responses decode into [`types::Error`]: the JSON object TalkJS sent,
//! or the raw text when it was not JSON, always with the status.
//!
//! # Bounds the raw client does not check
//!
//! The patches write TalkJS's bounds into the spec, but progenitor ignores
//! them (`maximum`, `minItems`, `maxItems`): the raw client sends whatever it
//! is given, and TalkJS answers 400. It does **not** refuse
//!
//! - a `limit` above 100 (only 0 is refused, by the `NonZeroU32` type),
//! - an empty array, or more than 10 messages, in a send or an import
//!   ([`crate::MAX_MESSAGES_PER_REQUEST`]),
//! - more than 10 operations in a batch ([`crate::MAX_BATCH_OPERATIONS`]),
//! - more than 100 users in a batch upsert ([`crate::MAX_USERS_PER_REQUEST`]).
//!
//! Only the typed layer ([`crate::Client`]) checks these before sending, and
//! splits longer lists of messages, users or batch operations into requests
//! of the allowed size. Use the raw client for these operations only if you
//! keep to the bounds yourself.
//!
//! [`PATCHED_SPEC`] is the spec after the patches, as JSON.
#![allow(
    missing_docs,
    clippy::all,
    rustdoc::bare_urls,
    rustdoc::broken_intra_doc_links,
    rustdoc::invalid_html_tags
)]

include!(concat!(env!("OUT_DIR"), "/raw.rs"));

/// The OpenAPI document the raw client was generated from: the bundled spec
/// (or `TALKJS_OPENAPI_SPEC`) after every patch in `patches/`, as JSON.
pub const PATCHED_SPEC: &str =
    include_str!(concat!(env!("OUT_DIR"), "/talkjs-openapi.patched.json"));
