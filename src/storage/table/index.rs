//! An index: its definition and its ordered set of entries, built in bulk from rows
//! (sorted once) or kept up to date one row at a time.

use super::*;

#[derive(Clone, Debug)]
pub struct Index {
    pub name: String,
    pub columns: Vec<usize>,
    pub unique: bool,
    pub entries: KeySet<IndexEntry>,
}

impl Index {
    pub fn new(name: String, columns: Vec<usize>, unique: bool) -> Index {
        Index { name, columns, unique, entries: KeySet::new() }
    }

    pub fn key_of(&self, row: &[Value]) -> IndexKey {
        match self.columns.as_slice() {
            [c] => IndexKey::One(row[*c].clone()),
            cols => IndexKey::Many(Arc::new(cols.iter().map(|&i| row[i].clone()).collect())),
        }
    }

    /// The entry a row stored under `key` has in this index.
    pub fn entry_of(&self, key: &RowKey, row: &[Value]) -> IndexEntry {
        IndexEntry { key: self.key_of(row), slot: Slot::Row(key.clone()) }
    }

    /// The entry a row under `key` leaves and the one it takes when it changes from
    /// `old` to `new`; `None` when its values here stay the same (of the same types).
    pub fn moved(&self, key: &RowKey, old: &[Value], new: &[Value]) -> Option<(IndexEntry, IndexEntry)> {
        let (was, now) = (self.key_of(old), self.key_of(new));
        if was.as_slice().iter().zip(now.as_slice()).all(|(a, b)| same_value(a, b)) {
            return None;
        }
        Some((
            IndexEntry { key: was, slot: Slot::Row(key.clone()) },
            IndexEntry { key: now, slot: Slot::Row(key.clone()) },
        ))
    }

    /// The row keys stored under exactly these key values.
    pub fn lookup<'a>(&'a self, key: &IndexKey) -> impl Iterator<Item = &'a RowKey> + 'a {
        let lo = IndexEntry { key: key.clone(), slot: Slot::Lo };
        let hi = IndexEntry { key: key.clone(), slot: Slot::Hi };
        self.entries.range(Bound::Included(&lo), Bound::Included(&hi)).filter_map(|e| match &e.slot {
            Slot::Row(k) => Some(k),
            _ => None,
        })
    }
}

/// An index's entries taking the rows in the order given by positions, if that order
/// covers every row once and is the index's order.
pub(super) fn entries_in_order(by_row: &[IndexEntry], order: &[u32]) -> Option<Vec<IndexEntry>> {
    if order.len() != by_row.len() {
        return None;
    }
    let entries: Vec<IndexEntry> = order.iter().map(|&p| by_row.get(p as usize).cloned()).collect::<Option<_>>()?;
    // Strictly ascending and as many as the rows: every row exactly once, in order.
    entries.windows(2).all(|w| w[0] < w[1]).then_some(entries)
}

/// Entries sorted by index key, equal keys in the order given, with two threads for a
/// large list: each sorts half, and the halves are merged.
pub(super) fn sort_by_key_stable(mut entries: Vec<IndexEntry>) -> Vec<IndexEntry> {
    const PARALLEL_FROM: usize = 50_000;
    if entries.len() < PARALLEL_FROM {
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        return entries;
    }
    let mut right = entries.split_off(entries.len() / 2);
    let mut left = entries;
    std::thread::scope(|s| {
        s.spawn(|| right.sort_by(|a, b| a.key.cmp(&b.key)));
        left.sort_by(|a, b| a.key.cmp(&b.key));
    });
    let mut merged = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    loop {
        // Ties go to the left half, which holds the earlier rows.
        let take_left = match (l.peek(), r.peek()) {
            (Some(a), Some(b)) => a.key <= b.key,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        merged.extend(if take_left { l.next() } else { r.next() });
    }
    merged
}

/// A one-column index of integers under integer row keys, from its `(value, row key)`
/// pairs in any order, or the value two rows share in a unique index.
pub(super) fn integer_set(mut pairs: Vec<(i64, i64)>, unique: bool) -> Built {
    pairs.sort_unstable();
    if let Some(w) = unique.then(|| pairs.windows(2).find(|w| w[0].0 == w[1].0)).flatten() {
        return Err(vec![Value::Integer(w[0].0)]);
    }
    let entry =
        |(v, k): (i64, i64)| IndexEntry { key: IndexKey::One(Value::Integer(v)), slot: Slot::Row(RowKey::Int(k)) };
    Ok(KeySet::from_sorted(pairs.into_iter().map(entry)))
}

/// An index's entries as a set, or the key values two rows share in a unique index.
pub(super) type Built = std::result::Result<KeySet<IndexEntry>, Vec<Value>>;

/// Builds an index over `len` rows. `rows` hands its visitor each row in row-key order
/// (at least the index's columns filled) until the visitor returns false; it is called
/// a second time when the first pass meets a value that is not an integer.
pub(super) fn index_set(
    index: &Index,
    len: usize,
    mut rows: impl FnMut(&mut dyn FnMut(&RowKey, &[Value]) -> bool),
) -> Built {
    // Integers under integer keys (the common case) sort as plain `(value, row key)`
    // pairs, which is the set's order.
    if let [column] = index.columns[..] {
        let mut pairs = Vec::with_capacity(len);
        let mut integers = true;
        rows(&mut |key, row| match (&row[column], key) {
            (Value::Integer(v), RowKey::Int(k)) => {
                pairs.push((*v, *k));
                true
            }
            _ => {
                integers = false;
                false
            }
        });
        if integers {
            return integer_set(pairs, index.unique);
        }
    }
    // Entries are sorted first, so that the set is built by appending and duplicates sit
    // together. A stable sort by the index key alone leaves equal keys ordered by row
    // key, as the set orders them.
    let mut entries = Vec::with_capacity(len);
    rows(&mut |key, row| {
        entries.push(IndexEntry { key: index.key_of(row), slot: Slot::Row(key.clone()) });
        true
    });
    let entries = sort_by_key_stable(entries);
    if index.unique {
        let clash =
            entries.windows(2).find(|w| w[0].key == w[1].key && !w[0].key.as_slice().iter().any(Value::is_null));
        if let Some(w) = clash {
            return Err(w[0].key.as_slice().to_vec());
        }
    }
    Ok(KeySet::from_sorted(entries))
}

/// An index's entries for a list of rows (tests build sets this way).
#[cfg(test)]
pub(super) fn index_set_of(index: &Index, rows: &[(RowKey, Row)]) -> Built {
    index_set(index, rows.len(), |visit| {
        for (key, row) in rows {
            if !visit(key, row) {
                break;
            }
        }
    })
}
