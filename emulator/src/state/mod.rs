//! The in-memory data of one TalkJS app, with indexes that keep every list
//! page proportional to the page size rather than to the data size.

pub mod app;
pub mod conversations;
pub mod files;
pub mod indexed;
pub mod messages;
pub mod notifications;
pub mod order;
pub mod sessions;
pub mod users;
pub mod validate;

use std::collections::HashMap;

use crate::ids::SplitMix64;
pub use app::AppMeta;
pub use conversations::Conversation;
pub use files::StoredFile;
pub use indexed::Indexed;
pub use messages::MessageLog;
pub use notifications::NotificationLog;
pub use order::ConversationOrder;
pub use sessions::Session;
pub use users::{Presence, User};

/// Everything one app stores. Guarded by a single mutex: requests are short.
#[derive(Debug)]
pub struct Store {
    /// Users in creation order.
    pub users: Indexed<User>,
    /// Conversations by id. Add and remove them with
    /// [`Store::add_conversation`] and [`Store::remove_conversation`], which
    /// keep [`Store::order`] in step.
    pub conversations: Indexed<Conversation>,
    /// Messages per conversation id.
    pub messages: HashMap<String, MessageLog>,
    /// The conversation lists' orders, for all conversations and per
    /// user, so a page is a seek plus a range scan.
    pub order: ConversationOrder,
    /// Uploaded files by attachment token.
    pub files: HashMap<String, StoredFile>,
    /// Presence per user id.
    pub presence: HashMap<String, Presence>,
    /// The app's metadata (`GET`/`PUT /v1/{appId}`).
    pub app: AppMeta,
    /// Notifications triggered through the REST API.
    pub notifications: NotificationLog,
    /// Sessions per user id, set by tests (`POST /presences` reads them).
    pub sessions: HashMap<String, Vec<Session>>,
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
            order: ConversationOrder::default(),
            files: HashMap::new(),
            presence: HashMap::new(),
            app: AppMeta::default(),
            notifications: NotificationLog::default(),
            sessions: HashMap::new(),
            ids: SplitMix64::new(seed),
        }
    }

    /// Records `user` as a participant of conversation `conversation_id` in
    /// the per-user order.
    pub fn index_participation(&mut self, user: &str, conversation_id: &str) {
        self.order.join(user, conversation_id);
    }

    /// Removes `user`'s participation in `conversation_id` from the order.
    pub fn unindex_participation(&mut self, user: &str, conversation_id: &str) {
        self.order.unjoin(user, conversation_id);
    }

    /// A conversation's last activity: its newest message's `createdAt`,
    /// or its own while it has none.
    pub fn last_activity(&self, id: &str) -> Option<i64> {
        let c = self.conversations.get(id)?;
        let newest = self.messages.get(id).and_then(MessageLog::newest);
        Some(newest.map_or(c.created_at, |m| m.created_at))
    }

    /// Stores a new conversation and indexes it and its participants (one
    /// with the same id is replaced, its messages kept).
    pub fn add_conversation(&mut self, conv: Conversation) {
        let id = conv.id.clone();
        if let Some(old) = self.conversations.get(&id) {
            self.order
                .remove(&id, old.participants.keys().map(String::as_str));
        }
        self.conversations.insert(id.clone(), conv);
        let activity = self.last_activity(&id).expect("inserted above");
        let c = self.conversations.get(&id).expect("inserted above");
        self.order.add(
            &id,
            c.created_at,
            activity,
            c.participants.keys().map(String::as_str),
        );
    }

    /// Removes a conversation from the store and the orders; its messages
    /// are forgotten (their idempotency keys stay, see the README).
    pub fn remove_conversation(&mut self, id: &str) -> Option<Conversation> {
        let c = self.conversations.remove(id)?;
        self.order
            .remove(id, c.participants.keys().map(String::as_str));
        if let Some(log) = self.messages.get_mut(id) {
            log.forget_messages();
        }
        Some(c)
    }

    /// Re-sorts conversation `id` after its messages changed (send,
    /// import, delete).
    pub fn touch_activity(&mut self, id: &str) {
        if let (Some(activity), Some(c)) = (self.last_activity(id), self.conversations.get(id)) {
            self.order
                .set_activity(id, activity, c.participants.keys().map(String::as_str));
        }
    }
}
