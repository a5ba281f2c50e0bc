//! The inputs and responses of everyday calls: every type the generated
//! client has (the same types as [`crate::raw::types`], re-exported here so
//! that a program needs no `raw` path for them), with the shorthands this
//! crate adds to them (`UserInput::named`, `SendMessageInput::user_text`,
//! `ConversationInput::with_participants`, `NullableString::NULL`, ...),
//! chained setters named after the fields (`UserInput::named("Alice").email("a@example.com")`),
//! and the SDK's own argument types.
//!
//! ```
//! use talkjs::types::{ConversationInput, SendMessageInput, UserInput};
//! let alice = UserInput::named("Alice");
//! let chat = ConversationInput::with_participants(["alice", "bob"]);
//! let hello = SendMessageInput::user_text("alice", "Hello, Bob");
//! # let _ = (alice, chat, hello);
//! ```
//!
//! A glob of the generated types rather than a list: a type a newer spec
//! adds is here too, and one it renames breaks no path of this crate.

mod fields;
mod nullable;
mod setters;
mod shorthands;

pub use crate::raw::types::*;
pub use crate::resources::conversations::{Access, Notify, ReadUntil};
pub use crate::resources::filters::{ConversationOrder, OrderDirection};
pub use fields::{MessageType, ParticipantAccess, ParticipantNotify, UnixMillis};
