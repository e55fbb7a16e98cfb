//! Counting the bytes a state holds, sharing counted once.
//!
//! Every version of the database shares most of its structure with the others: a
//! table's pages and tree nodes sit behind `Arc`s, and a change copies only the page and
//! the path to it. [`Footprint`] remembers every shared allocation it has counted (by
//! address), so walking the head and then an older version or a snapshot counts only
//! what that version holds on its own. The sizes are those the program asks the
//! allocator for: each allocation's bytes, and the reference counts in front of an
//! `Arc`'s value.

use std::collections::HashSet;
use std::sync::Arc;

use super::table::{IndexEntry, IndexKey, RowKey, Slot};
use super::text::Text;
use super::value::Value;

/// The two reference counts in front of every `Arc`'s value.
pub const ARC_HEADER: usize = 2 * std::mem::size_of::<usize>();

/// The shared allocations counted so far.
#[derive(Default)]
pub struct Footprint {
    seen: HashSet<usize>,
}

impl Footprint {
    pub fn new() -> Footprint {
        Footprint::default()
    }

    /// Whether the allocation behind `a` is seen for the first time (and so is to be
    /// counted now).
    pub fn first<T: ?Sized>(&mut self, a: &Arc<T>) -> bool {
        self.seen.insert(Arc::as_ptr(a) as *const u8 as usize)
    }

    /// The bytes of the `Arc` `a` (its counts and value, plus `heap` of what the value
    /// holds), or 0 when it was counted already.
    pub fn arc<T>(&mut self, a: &Arc<T>, heap: impl FnOnce(&mut Footprint) -> usize) -> usize {
        if self.first(a) {
            ARC_HEADER + std::mem::size_of::<T>() + heap(self)
        } else {
            0
        }
    }
}

/// What a value holds outside itself, counted into a [`Footprint`].
pub trait HeapSize {
    fn heap_bytes(&self, fp: &mut Footprint) -> usize;
}

impl HeapSize for () {
    fn heap_bytes(&self, _: &mut Footprint) -> usize {
        0
    }
}

impl HeapSize for Text {
    fn heap_bytes(&self, fp: &mut Footprint) -> usize {
        match self.shared() {
            Some(s) => fp.arc(s, |fp| if fp.first(&**s) { ARC_HEADER + s.len() } else { 0 }),
            None => 0,
        }
    }
}

impl HeapSize for Value {
    fn heap_bytes(&self, fp: &mut Footprint) -> usize {
        match self {
            Value::Text(t) => t.heap_bytes(fp),
            Value::Blob(b) => fp.arc(b, |_| b.capacity()),
            _ => 0,
        }
    }
}

fn values_bytes(values: &Arc<Vec<Value>>, fp: &mut Footprint) -> usize {
    fp.arc(values, |fp| {
        values.capacity() * std::mem::size_of::<Value>() + values.iter().map(|v| v.heap_bytes(fp)).sum::<usize>()
    })
}

impl HeapSize for RowKey {
    fn heap_bytes(&self, fp: &mut Footprint) -> usize {
        match self {
            RowKey::Int(_) => 0,
            RowKey::Tuple(values) => values_bytes(values, fp),
        }
    }
}

impl HeapSize for IndexKey {
    fn heap_bytes(&self, fp: &mut Footprint) -> usize {
        match self {
            IndexKey::One(v) => v.heap_bytes(fp),
            IndexKey::Many(values) => values_bytes(values, fp),
        }
    }
}

impl HeapSize for IndexEntry {
    fn heap_bytes(&self, fp: &mut Footprint) -> usize {
        let slot = match &self.slot {
            Slot::Row(k) => k.heap_bytes(fp),
            Slot::Lo | Slot::Hi => 0,
        };
        self.key.heap_bytes(fp) + slot
    }
}

/// Where the allocator's own figure comes from, when the program installed one (the
/// `amberdb` binary: mimalloc's committed bytes).
static ALLOCATOR_PROBE: std::sync::OnceLock<fn() -> u64> = std::sync::OnceLock::new();

/// Installs the function that reads the allocator's committed bytes.
pub fn set_allocator_probe(probe: fn() -> u64) {
    let _ = ALLOCATOR_PROBE.set(probe);
}

/// The allocator's committed bytes, where a probe is installed.
pub fn allocator_bytes() -> Option<u64> {
    ALLOCATOR_PROBE.get().map(|probe| probe())
}

/// The process's resident set, in bytes (Linux: `/proc/self/statm`; elsewhere `None`).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// A byte count in words: `1.5 MB`, `812 KB`, `96 B` (powers of 1024).
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Reads `2GB`, `512 MB`, `100kb`, `1.5G` or a plain number of bytes.
pub fn parse_bytes(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    let bytes = number * scale as f64;
    (bytes.is_finite() && bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arc_is_counted_once() {
        let mut fp = Footprint::new();
        let a = Arc::new(vec![Value::text("a text long enough to be shared, not inline")]);
        let first = values_bytes(&a, &mut fp);
        assert!(first > ARC_HEADER + std::mem::size_of::<Vec<Value>>());
        assert_eq!(values_bytes(&a, &mut fp), 0);
    }

    #[test]
    fn byte_sizes_read_and_print() {
        assert_eq!(parse_bytes("2GB"), Some(2 << 30));
        assert_eq!(parse_bytes("512 mb"), Some(512 << 20));
        assert_eq!(parse_bytes("1.5k"), Some(1536));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_bytes("-1"), None);
        assert_eq!(human_bytes(96), "96 B");
        assert_eq!(human_bytes(1536), "1.5 KB");
    }
}
