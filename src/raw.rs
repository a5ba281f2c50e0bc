//! The raw client, generated at build time by progenitor from
//! `talkjs-openapi.yml` with the RFC 6902 corrections in `patches/` applied.
//!
//! Every operation of the spec is a method of [`Client`] returning a builder
//! (`client.get_user().user_id("alice").send().await`); request and response
//! types are in [`types`], their builders in [`types::builder`]. Builders
//! mean that an optional parameter added to the spec later is one more
//! setter, never a broken call.
//!
//! Get an authenticated instance from [`crate::Client::raw`]: its requests go
//! through the SDK's transport (fresh app token per request, retries,
//! timeouts, response size cap). Ids are checked ([`types::ResourceId`]
//! refuses empty, `.` and `..`) and percent-encoded by
//! [`crate::path::encode_path`], so an id reaches exactly that resource.
//!
//! Error responses decode into [`types::Error`]: the JSON object TalkJS sent,
//! or the raw text when it was not JSON, always with the status.
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
