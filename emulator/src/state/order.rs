//! The orders of the two conversation lists (`GET /conversations` and
//! `GET /users/{id}/conversations`): by last activity (the newest message's
//! `createdAt`, or the conversation's own `createdAt` while it has no
//! message) or by creation time, either direction, ties broken by id.
//!
//! Why two B-tree sets keyed by `(time, id)`, for all conversations and
//! per user: a page must cost the page, not the list (`page_cost.rs`), so
//! the order has to be kept, not computed per request. Last activity
//! changes with every message, but only at a few places (send, import,
//! message delete, conversation create/delete), and each change is one
//! remove and one insert per set holding the conversation: O(participants
//! · log n). The id in the key makes the order total, so a
//! `startingAfter` seek lands exactly after the cursor and paging visits
//! every conversation once while nothing changes. A skip list or a sorted
//! `Vec` would be no simpler; one `BTreeSet` per order is the plainest
//! structure with an O(log n) seek.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;

/// What a conversation list is sorted by (`orderBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    /// `lastMessageAt`: last activity (the default).
    LastActivity,
    /// `createdAt`.
    CreatedAt,
}

/// A conversation list's order: key and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOrder {
    /// Sort key.
    pub by: OrderBy,
    /// Latest first (`orderDirection=desc`, the default).
    pub descending: bool,
}

impl Default for ListOrder {
    fn default() -> Self {
        ListOrder {
            by: OrderBy::LastActivity,
            descending: true,
        }
    }
}

/// The sort keys of one conversation, as currently indexed.
#[derive(Debug, Clone, Copy)]
struct Keys {
    created: i64,
    activity: i64,
}

/// One set of conversations in both orders.
#[derive(Debug, Default)]
pub struct Orders {
    by_activity: BTreeSet<(i64, String)>,
    by_created: BTreeSet<(i64, String)>,
}

impl Orders {
    fn insert(&mut self, id: &str, k: Keys) {
        self.by_activity.insert((k.activity, id.to_owned()));
        self.by_created.insert((k.created, id.to_owned()));
    }

    fn remove(&mut self, id: &str, k: Keys) {
        self.by_activity.remove(&(k.activity, id.to_owned()));
        self.by_created.remove(&(k.created, id.to_owned()));
    }

    fn is_empty(&self) -> bool {
        self.by_created.is_empty()
    }

    /// Conversation ids in `order`, strictly after the position `after`
    /// (all when `None`): a seek, then one step per id.
    pub fn after<'s>(
        &'s self,
        order: ListOrder,
        after: Option<(i64, String)>,
    ) -> Box<dyn Iterator<Item = &'s str> + 's> {
        let set = match order.by {
            OrderBy::LastActivity => &self.by_activity,
            OrderBy::CreatedAt => &self.by_created,
        };
        let ids = |(_, id): &'s (i64, String)| id.as_str();
        match (order.descending, after) {
            (true, None) => Box::new(set.iter().rev().map(ids)),
            (false, None) => Box::new(set.iter().map(ids)),
            (true, Some(k)) => Box::new(
                set.range((Bound::Unbounded, Bound::Excluded(k)))
                    .rev()
                    .map(ids),
            ),
            (false, Some(k)) => {
                Box::new(set.range((Bound::Excluded(k), Bound::Unbounded)).map(ids))
            }
        }
    }
}

/// Every conversation, and each user's own, in both orders.
#[derive(Debug, Default)]
pub struct ConversationOrder {
    keys: HashMap<String, Keys>,
    all: Orders,
    per_user: HashMap<String, Orders>,
}

impl ConversationOrder {
    /// Indexes a new conversation and its participants.
    pub fn add<'u>(
        &mut self,
        id: &str,
        created: i64,
        activity: i64,
        users: impl IntoIterator<Item = &'u str>,
    ) {
        let k = Keys { created, activity };
        self.keys.insert(id.to_owned(), k);
        self.all.insert(id, k);
        for u in users {
            self.per_user.entry(u.to_owned()).or_default().insert(id, k);
        }
    }

    /// Forgets a conversation (its participants are `users`).
    pub fn remove<'u>(&mut self, id: &str, users: impl IntoIterator<Item = &'u str>) {
        let Some(k) = self.keys.remove(id) else {
            return;
        };
        self.all.remove(id, k);
        for u in users {
            self.leave(u, id, k);
        }
    }

    /// Moves a conversation (participants `users`) to a new last activity.
    pub fn set_activity<'u>(
        &mut self,
        id: &str,
        activity: i64,
        users: impl IntoIterator<Item = &'u str>,
    ) {
        let Some(old) = self.keys.get(id).copied() else {
            return;
        };
        if old.activity == activity {
            return;
        }
        let new = Keys { activity, ..old };
        self.keys.insert(id.to_owned(), new);
        self.all.remove(id, old);
        self.all.insert(id, new);
        for u in users {
            if let Some(o) = self.per_user.get_mut(u) {
                o.remove(id, old);
                o.insert(id, new);
            }
        }
    }

    /// Adds `user`'s participation in conversation `id`.
    pub fn join(&mut self, user: &str, id: &str) {
        if let Some(k) = self.keys.get(id).copied() {
            self.per_user
                .entry(user.to_owned())
                .or_default()
                .insert(id, k);
        }
    }

    /// Removes `user`'s participation in conversation `id`.
    pub fn unjoin(&mut self, user: &str, id: &str) {
        if let Some(k) = self.keys.get(id).copied() {
            self.leave(user, id, k);
        }
    }

    fn leave(&mut self, user: &str, id: &str, k: Keys) {
        if let Some(o) = self.per_user.get_mut(user) {
            o.remove(id, k);
            if o.is_empty() {
                self.per_user.remove(user);
            }
        }
    }

    /// The position of conversation `id` in `order`, for a
    /// `startingAfter` seek; `None` for an unknown conversation.
    pub fn position(&self, order: ListOrder, id: &str) -> Option<(i64, String)> {
        let k = self.keys.get(id)?;
        let t = match order.by {
            OrderBy::LastActivity => k.activity,
            OrderBy::CreatedAt => k.created,
        };
        Some((t, id.to_owned()))
    }

    /// All conversations.
    pub fn all(&self) -> &Orders {
        &self.all
    }

    /// `user`'s conversations; `None` when they are in none.
    pub fn of_user(&self, user: &str) -> Option<&Orders> {
        self.per_user.get(user)
    }
}
