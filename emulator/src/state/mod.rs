//! The in-memory data of one TalkJS app, with indexes that keep every list
//! page proportional to the page size rather than to the data size.

pub mod conversations;
pub mod files;
pub mod indexed;
pub mod messages;
pub mod users;
pub mod validate;

use std::collections::{BTreeMap, HashMap};

use crate::ids::SplitMix64;
pub use conversations::Conversation;
pub use files::StoredFile;
pub use indexed::Indexed;
pub use messages::MessageLog;
pub use users::{Presence, User};

/// Everything one app stores. Guarded by a single mutex: requests are short.
#[derive(Debug)]
pub struct Store {
    /// Users in creation order.
    pub users: Indexed<User>,
    /// Conversations in creation order.
    pub conversations: Indexed<Conversation>,
    /// Messages per conversation id.
    pub messages: HashMap<String, MessageLog>,
    /// Per user: conversation sequence number -> conversation id, so a
    /// user's conversations page is a range scan.
    pub user_conversations: HashMap<String, BTreeMap<u64, String>>,
    /// Uploaded files by attachment token.
    pub files: HashMap<String, StoredFile>,
    /// Presence per user id.
    pub presence: HashMap<String, Presence>,
    /// Random source for generated ids.
    pub ids: SplitMix64,
}

impl Store {
    /// An empty store whose ids come from `seed`.
    pub fn new(seed: u64) -> Self {
        Store {
            users: Indexed::default(),
            conversations: Indexed::default(),
            messages: HashMap::new(),
            user_conversations: HashMap::new(),
            files: HashMap::new(),
            presence: HashMap::new(),
            ids: SplitMix64::new(seed),
        }
    }

    /// Records `user` as a participant of conversation `conversation_id` in
    /// the per-user index.
    pub fn index_participation(&mut self, user: &str, conversation_id: &str) {
        if let Some(seq) = self.conversations.seq_of(conversation_id) {
            self.user_conversations
                .entry(user.to_owned())
                .or_default()
                .insert(seq, conversation_id.to_owned());
        }
    }

    /// Removes `user`'s participation in `conversation_id` from the index.
    pub fn unindex_participation(&mut self, user: &str, conversation_id: &str) {
        if let Some(seq) = self.conversations.seq_of(conversation_id)
            && let Some(map) = self.user_conversations.get_mut(user)
        {
            map.remove(&seq);
            if map.is_empty() {
                self.user_conversations.remove(user);
            }
        }
    }
}
