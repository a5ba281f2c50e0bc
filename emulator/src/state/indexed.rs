//! A map that remembers insertion order: a `BTreeMap` keyed by a sequence
//! number plus a `HashMap` from id to sequence number, so lookups are O(1)
//! and the page after a cursor is a range scan (O(page), not O(total)).

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

/// Items addressed by string id and listed in insertion order.
#[derive(Debug)]
pub struct Indexed<T> {
    order: BTreeMap<u64, String>,
    items: HashMap<String, (u64, T)>,
    next_seq: u64,
}

impl<T> Default for Indexed<T> {
    fn default() -> Self {
        Indexed {
            order: BTreeMap::new(),
            items: HashMap::new(),
            next_seq: 0,
        }
    }
}

impl<T> Indexed<T> {
    /// The item with this id.
    pub fn get(&self, id: &str) -> Option<&T> {
        self.items.get(id).map(|(_, t)| t)
    }

    /// The item with this id, mutably.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        self.items.get_mut(id).map(|(_, t)| t)
    }

    /// The sequence number (listing position) of an id.
    pub fn seq_of(&self, id: &str) -> Option<u64> {
        self.items.get(id).map(|(s, _)| *s)
    }

    /// Inserts a new item at the end of the order; replaces in place when
    /// the id exists (keeping its position).
    pub fn insert(&mut self, id: String, item: T) {
        if let Some(slot) = self.items.get_mut(&id) {
            slot.1 = item;
            return;
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, id.clone());
        self.items.insert(id, (seq, item));
    }

    /// Removes an item.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let (seq, item) = self.items.remove(id)?;
        self.order.remove(&seq);
        Some(item)
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Items after sequence number `after` (all when `None`), in order.
    pub fn iter_after(&self, after: Option<u64>) -> impl Iterator<Item = (u64, &T)> + '_ {
        let start = match after {
            Some(s) => Bound::Excluded(s),
            None => Bound::Unbounded,
        };
        self.order
            .range((start, Bound::Unbounded))
            .filter_map(|(seq, id)| self.items.get(id).map(|(_, t)| (*seq, t)))
    }
}
