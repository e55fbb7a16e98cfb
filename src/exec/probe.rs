//! What `EXPLAIN ANALYZE` counts while a statement runs: for each part of the plan
//! (keyed by the address of the plan node, which the printed tree finds again), the
//! rows it gave, how many times it ran, and the time spent in it and below it (the
//! time its rows spent in the parts above is taken out).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// One part's counts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub rows: u64,
    pub loops: u64,
    pub time: Duration,
}

/// The counts of every part that ran, by the address of its plan node (and a tag for
/// the parts of one SELECT: its filter, groups and output).
#[derive(Debug, Default)]
pub struct Probe {
    parts: Mutex<HashMap<(usize, u8), Counts>>,
}

/// What a tag on a plan node's address names (shared with the printed tree).
pub use crate::sql::explain::{FILTER, GROUPS, OUTPUT, SOURCE};

/// The key of a plan node.
pub fn key<T>(node: &T, tag: u8) -> (usize, u8) {
    (node as *const T as usize, tag)
}

impl Probe {
    pub fn add(&self, key: (usize, u8), rows: u64, loops: u64, time: Duration) {
        let mut parts = self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let c = parts.entry(key).or_default();
        c.rows += rows;
        c.loops += loops;
        c.time += time;
    }

    pub fn get(&self, key: (usize, u8)) -> Option<Counts> {
        self.parts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(&key).copied()
    }
}
