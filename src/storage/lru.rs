//! A cache bounded in bytes, evicting the least recently used entries first: what keeps
//! the plan cache (and the trigger cache) from growing with a workload whose every
//! statement is new. The bytes of an entry are its caller's estimate.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

pub struct Lru<K, V> {
    entries: HashMap<K, Entry<V>>,
    tick: u64,
    bytes: usize,
    limit: usize,
}

struct Entry<V> {
    value: V,
    bytes: usize,
    /// When it was last used (ticks only grow).
    used: u64,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    /// An empty cache that holds at most `limit` bytes.
    pub fn new(limit: usize) -> Lru<K, V> {
        Lru { entries: HashMap::new(), tick: 0, bytes: 0, limit }
    }

    /// The value under `key`, now the most recently used. A hit costs one hash lookup
    /// and a store: the order of use is worked out only when something must go.
    pub fn get<Q>(&mut self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.tick += 1;
        let entry = self.entries.get_mut(key)?;
        entry.used = self.tick;
        Some(&entry.value)
    }

    /// Keeps `value` under `key`, counted as `bytes`, evicting the least recently used
    /// entries until it fits (each found by one pass over the entries: a miss that
    /// evicts pays for keeping hits to one hash lookup); a value larger than the whole
    /// cache is not kept.
    pub fn insert(&mut self, key: K, value: V, bytes: usize) {
        if let Some(old) = self.entries.remove(&key) {
            self.bytes -= old.bytes;
        }
        if bytes > self.limit {
            return;
        }
        while self.bytes + bytes > self.limit {
            let Some(oldest) = self.entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else { break };
            if let Some(e) = self.entries.remove(&oldest) {
                self.bytes -= e.bytes;
            }
        }
        self.tick += 1;
        self.entries.insert(key, Entry { value, bytes, used: self.tick });
        self.bytes += bytes;
    }

    /// The bytes held, by the callers' estimates.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_go_first_and_the_bytes_stay_bounded() {
        let mut lru: Lru<String, u32> = Lru::new(100);
        for i in 0..10 {
            lru.insert(format!("k{i}"), i, 30);
            assert!(lru.bytes() <= 100);
        }
        assert_eq!(lru.len(), 3);
        assert!(lru.get("k9").is_some() && lru.get("k6").is_none());
        // Using k7 keeps it past the next insert; k8 goes instead.
        assert_eq!(lru.get("k7"), Some(&7));
        lru.insert("new".into(), 99, 30);
        assert!(lru.get("k7").is_some() && lru.get("k8").is_none());
        // Replacing an entry counts its bytes once; one too big for the cache is not kept.
        lru.insert("new".into(), 100, 40);
        assert!(lru.bytes() <= 100);
        lru.insert("huge".into(), 1, 101);
        assert!(lru.get("huge").is_none());
        assert_eq!(lru.get("new"), Some(&100));
    }
}
