//! [`KeySet`]: the entries of an index, a page map whose values are nothing.

use std::ops::Bound;

use super::*;

/// Keys alone, in order: an index's entries.
#[derive(Clone)]
pub struct KeySet<K>(PageMap<K, ()>);

impl<K: crate::storage::memory::HeapSize> KeySet<K> {
    /// The bytes of the set's nodes and keys not counted in `fp` yet.
    pub fn footprint(&self, fp: &mut crate::storage::memory::Footprint) -> usize {
        self.0.footprint(fp, &mut |_, _| 0)
    }
}

impl<K> Default for KeySet<K> {
    fn default() -> Self {
        KeySet(PageMap::default())
    }
}

impl<K: Ord + Clone + Guess> KeySet<K> {
    pub fn new() -> Self {
        Self::default()
    }

    /// A set of keys given in strictly ascending order, in full nodes.
    pub fn from_sorted(keys: impl IntoIterator<Item = K>) -> Self {
        KeySet(PageMap::from_sorted(keys.into_iter().map(|k| (k, ()))))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds a key; false when it was there already.
    pub fn insert(&mut self, key: K) -> bool {
        self.0.insert(key, ()).is_none()
    }

    /// Removes a key; false when it was not there.
    pub fn remove(&mut self, key: &K) -> bool {
        self.0.remove(key).is_some()
    }

    pub fn contains(&self, key: &K) -> bool {
        self.0.get(key).is_some()
    }

    /// Adds keys given in strictly ascending order; how many were not there.
    pub fn insert_sorted(&mut self, keys: Vec<K>) -> usize {
        // Collected in place: a key and a key with `()` are laid out alike.
        self.0.insert_sorted(keys.into_iter().map(|k| (k, ())).collect())
    }

    /// Removes keys given in strictly ascending order; how many were there.
    pub fn remove_sorted(&mut self, keys: &[K]) -> usize {
        self.0.remove_sorted(keys)
    }

    /// The keys in the range, in order (or from the back).
    pub fn range(&self, lo: Bound<&K>, hi: Bound<&K>) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.0.range(lo, hi).map(|(k, _)| k)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &K> + '_ {
        self.0.iter().map(|(k, _)| k)
    }
}

impl<K: Ord + Clone + Guess> PartialEq for KeySet<K> {
    fn eq(&self, other: &Self) -> bool {
        self.0.ptr_eq(&other.0) || (self.len() == other.len() && self.iter().eq(other.iter()))
    }
}

impl<K: Ord + Clone + Guess + std::fmt::Debug> std::fmt::Debug for KeySet<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
