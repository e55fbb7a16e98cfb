//! A page: up to [`MAX_ROWS`] rows in key order, their keys in one vector and their
//! encoded bytes one after another in one buffer.

use super::*;

/// A page's keys in order: plain integers when they all are (an integer primary key or
/// hidden rowid: 8 bytes a key, copied as one block), row keys otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Keys {
    Int(Vec<i64>),
    Any(Vec<RowKey>),
}

impl Default for Keys {
    fn default() -> Keys {
        Keys::Int(Vec::new())
    }
}

/// Where `k` is (or would go) among ascending integers. Keys are often dense (a rowid,
/// an autoincrement id), so the place the first and last key point to is tried first:
/// one cache line instead of the several a binary search of a page's keys touches.
/// Replaces `data[start..end]` with `bytes`, moving what follows by one copy (what
/// `Vec::splice` does a byte at a time through an iterator).
pub(super) fn splice_bytes(data: &mut Vec<u8>, start: usize, end: usize, bytes: &[u8]) {
    let len = data.len();
    let (old, new) = (end - start, bytes.len());
    if new > old {
        data.resize(len + new - old, 0);
        data.copy_within(end..len, start + new);
    } else if new < old {
        data.copy_within(end..len, start + new);
        data.truncate(len - (old - new));
    }
    data[start..start + new].copy_from_slice(bytes);
}

pub(super) fn find_int(v: &[i64], k: i64) -> Result<usize, usize> {
    if let (Some(&lo), Some(&hi)) = (v.first(), v.last()) {
        // Past the last key: an append, the usual insert.
        if k > hi {
            return Err(v.len());
        }
        if lo < k && k < hi {
            let guess = ((k as i128 - lo as i128) * (v.len() as i128 - 1) / (hi as i128 - lo as i128)) as usize;
            if v.get(guess) == Some(&k) {
                return Ok(guess);
            }
        }
    }
    v.binary_search(&k)
}

impl Keys {
    pub(super) fn len(&self) -> usize {
        match self {
            Keys::Int(v) => v.len(),
            Keys::Any(v) => v.len(),
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn get(&self, i: usize) -> RowKey {
        match self {
            Keys::Int(v) => RowKey::Int(v[i]),
            Keys::Any(v) => v[i].clone(),
        }
    }

    pub(super) fn first(&self) -> Option<RowKey> {
        (!self.is_empty()).then(|| self.get(0))
    }

    pub(super) fn last(&self) -> Option<RowKey> {
        self.len().checked_sub(1).map(|i| self.get(i))
    }

    pub(super) fn find(&self, key: &RowKey) -> Result<usize, usize> {
        match (self, key) {
            (Keys::Int(v), RowKey::Int(k)) => find_int(v, *k),
            // Tuples sort after every integer.
            (Keys::Int(v), RowKey::Tuple(_)) => Err(v.len()),
            (Keys::Any(v), key) => v.binary_search(key),
        }
    }

    /// Like [`Keys::find`], among the keys from position `from` on.
    pub(super) fn find_from(&self, from: usize, key: &RowKey) -> Result<usize, usize> {
        let found = match (self, key) {
            (Keys::Int(v), RowKey::Int(k)) => find_int(&v[from..], *k),
            (Keys::Int(v), RowKey::Tuple(_)) => Err(v.len() - from),
            (Keys::Any(v), key) => v[from..].binary_search(key),
        };
        found.map(|i| i + from).map_err(|i| i + from)
    }

    /// The keys as row keys, for a key that is not an integer.
    pub(super) fn widen(&mut self) -> &mut Vec<RowKey> {
        if let Keys::Int(v) = self {
            *self = Keys::Any(v.iter().map(|&k| RowKey::Int(k)).collect());
        }
        match self {
            Keys::Any(v) => v,
            Keys::Int(_) => unreachable!("widened above"),
        }
    }

    pub(super) fn insert(&mut self, i: usize, key: RowKey) {
        match (&mut *self, key) {
            (Keys::Int(v), RowKey::Int(k)) => v.insert(i, k),
            (_, key) => self.widen().insert(i, key),
        }
    }

    pub(super) fn remove(&mut self, i: usize) {
        match self {
            Keys::Int(v) => {
                v.remove(i);
            }
            Keys::Any(v) => {
                v.remove(i);
            }
        }
    }

    pub(super) fn pop(&mut self) -> Option<RowKey> {
        match self {
            Keys::Int(v) => v.pop().map(RowKey::Int),
            Keys::Any(v) => v.pop(),
        }
    }

    pub(super) fn push(&mut self, key: RowKey) {
        let i = self.len();
        self.insert(i, key);
    }

    pub(super) fn split_off(&mut self, at: usize) -> Keys {
        match self {
            Keys::Int(v) => Keys::Int(v.split_off(at)),
            Keys::Any(v) => Keys::Any(v.split_off(at)),
        }
    }

    pub(super) fn append(&mut self, other: &Keys) {
        match (&mut *self, other) {
            (Keys::Int(v), Keys::Int(w)) => v.extend_from_slice(w),
            (_, other) => {
                let more: Vec<RowKey> = (0..other.len()).map(|i| other.get(i)).collect();
                self.widen().extend(more);
            }
        }
    }

    pub(super) fn reserve_exact(&mut self, n: usize) {
        match self {
            Keys::Int(v) => v.reserve_exact(n),
            Keys::Any(v) => v.reserve_exact(n),
        }
    }

    pub(super) fn capacity(&self) -> usize {
        match self {
            Keys::Int(v) => v.capacity(),
            Keys::Any(v) => v.capacity(),
        }
    }

    pub(super) fn shrink_to_fit(&mut self) {
        match self {
            Keys::Int(v) => v.shrink_to_fit(),
            Keys::Any(v) => v.shrink_to_fit(),
        }
    }
}

/// Up to `MAX_ROWS` rows in key order: their keys, where each row's bytes end, and the
/// bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Page {
    pub(super) keys: Keys,
    pub(super) ends: Vec<u32>,
    pub(super) data: Vec<u8>,
}

impl Page {
    /// What the page holds outside itself: its keys, row ends and row bytes.
    pub(super) fn heap_bytes(&self, fp: &mut crate::storage::memory::Footprint) -> usize {
        use crate::storage::memory::HeapSize;
        let keys = match &self.keys {
            Keys::Int(k) => k.capacity() * std::mem::size_of::<i64>(),
            Keys::Any(k) => {
                k.capacity() * std::mem::size_of::<RowKey>() + k.iter().map(|k| k.heap_bytes(fp)).sum::<usize>()
            }
        };
        keys + self.ends.capacity() * std::mem::size_of::<u32>() + self.data.capacity()
    }

    pub(super) fn len(&self) -> usize {
        self.keys.len()
    }

    pub(super) fn start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1] as usize
        }
    }

    pub(super) fn bytes(&self, i: usize) -> &[u8] {
        &self.data[self.start(i)..self.ends[i] as usize]
    }

    pub(super) fn find(&self, key: &RowKey) -> Result<usize, usize> {
        self.keys.find(key)
    }

    pub(super) fn full(&self) -> bool {
        self.len() > MAX_ROWS || (self.data.len() > MAX_BYTES && self.len() > 1)
    }

    pub(super) fn insert_at(&mut self, i: usize, key: RowKey, bytes: &[u8]) {
        let at = self.start(i);
        splice_bytes(&mut self.data, at, at, bytes);
        let n = bytes.len() as u32;
        self.ends[i..].iter_mut().for_each(|e| *e += n);
        self.ends.insert(i, at as u32 + n);
        self.keys.insert(i, key);
    }

    pub(super) fn replace_at(&mut self, i: usize, bytes: &[u8]) {
        let (start, end) = (self.start(i), self.ends[i] as usize);
        if end - start == bytes.len() {
            self.data[start..end].copy_from_slice(bytes);
            return;
        }
        splice_bytes(&mut self.data, start, end, bytes);
        let (old, new) = ((end - start) as i64, bytes.len() as i64);
        self.ends[i..].iter_mut().for_each(|e| *e = (*e as i64 - old + new) as u32);
    }

    pub(super) fn remove_at(&mut self, i: usize) {
        let (start, end) = (self.start(i), self.ends[i] as usize);
        self.data.drain(start..end);
        let n = (end - start) as u32;
        self.ends.remove(i);
        self.ends[i..].iter_mut().for_each(|e| *e -= n);
        self.keys.remove(i);
    }

    /// A copy without the rows at the positions `gone` (ascending), its bytes packed:
    /// the rows between two that go are copied as one run.
    pub(super) fn without(&self, gone: &[usize]) -> Page {
        let n = self.len() - gone.len();
        let dropped: usize = gone.iter().map(|&i| self.ends[i] as usize - self.start(i)).sum();
        let mut page = Page {
            keys: match &self.keys {
                Keys::Int(_) => Keys::Int(Vec::with_capacity(n)),
                Keys::Any(_) => Keys::Any(Vec::with_capacity(n)),
            },
            ends: Vec::with_capacity(n),
            data: Vec::with_capacity(self.data.len() - dropped),
        };
        let mut from = 0;
        for end in gone.iter().copied().chain([self.len()]) {
            if from < end {
                let shift = (self.start(from) - page.data.len()) as u32;
                page.data.extend_from_slice(&self.data[self.start(from)..self.start(end)]);
                page.ends.extend(self.ends[from..end].iter().map(|e| e - shift));
                match (&mut page.keys, &self.keys) {
                    (Keys::Int(to), Keys::Int(keys)) => to.extend_from_slice(&keys[from..end]),
                    (Keys::Any(to), Keys::Any(keys)) => to.extend_from_slice(&keys[from..end]),
                    _ => unreachable!("made of the same kind above"),
                }
            }
            from = end + 1;
        }
        page
    }

    /// Moves the rows from `at` on into a new page.
    pub(super) fn split_off(&mut self, at: usize) -> Page {
        let cut = self.start(at);
        let mut right = if at + 1 == self.len() {
            // A page split off at its last row takes the rows that arrive after it: it
            // gets room for as many as this page holds, so it grows without copying.
            let mut page = Page::default();
            page.keys.reserve_exact(MAX_ROWS + 1);
            page.ends.reserve_exact(MAX_ROWS + 1);
            page.data.reserve_exact(cut + cut / 8);
            page.data.extend_from_slice(&self.data[cut..]);
            self.data.truncate(cut);
            page.keys.push(self.keys.pop().expect("the page has a row at `at`"));
            page.ends.push(self.ends.pop().expect("the page has a row at `at`"));
            page
        } else {
            Page { data: self.data.split_off(cut), ends: self.ends.split_off(at), keys: self.keys.split_off(at) }
        };
        right.ends.iter_mut().for_each(|e| *e -= cut as u32);
        self.shrink();
        right
    }

    /// Takes every row of `next`, whose keys all follow this page's.
    pub(super) fn append(&mut self, next: &Page) {
        let base = self.data.len() as u32;
        self.data.extend_from_slice(&next.data);
        self.ends.extend(next.ends.iter().map(|e| e + base));
        self.keys.append(&next.keys);
    }

    /// Gives back room the page will not use soon (more than an eighth of its size).
    pub(super) fn shrink(&mut self) {
        if self.data.capacity() > self.data.len() + self.data.len() / 8 {
            self.data.shrink_to_fit();
        }
        if self.keys.capacity() > self.keys.len() + self.keys.len() / 8 {
            self.ends.shrink_to_fit();
            self.keys.shrink_to_fit();
        }
    }

    pub(super) fn rows(&self) -> impl DoubleEndedIterator<Item = (RowKey, &[u8])> + '_ {
        (0..self.len()).map(move |i| (self.keys.get(i), self.bytes(i)))
    }

    /// The first key (a page is never left empty).
    pub(super) fn first_key(&self) -> RowKey {
        self.keys.first().expect("a page holds a row")
    }
}

/// Splits a page grown past its limits in halves until each fits: the first stays, the
/// others are returned in key order.
pub(super) fn split_full(page: &mut Page) -> Vec<Page> {
    if !page.full() {
        return Vec::new();
    }
    let mut right = page.split_off(page.len() / 2);
    let mut out = split_full(page);
    let more = split_full(&mut right);
    out.push(right);
    out.extend(more);
    out
}
