//! A table's rows, packed into pages.
//!
//! Rows are kept in key order in pages of up to [`MAX_ROWS`] rows (or about
//! [`MAX_BYTES`] bytes). A page holds its keys in one vector and its rows encoded one
//! after another in one byte buffer, so a row costs its encoded bytes, its key and one
//! offset — no allocation and no map entry of its own. The pages sit in a persistent
//! B+ tree ([`super::pagemap`]) under a fence key (no key of a page is below its fence,
//! and every key below the next page's fence), so a copy of the rows is O(1), a change
//! copies one page and the path to it, and a key's page is found in one walk down.
//!
//! A row is encoded as a tag byte per value followed by its payload: integers in the
//! fewest of 1, 2, 4 or 8 bytes, reals and timestamps in 8, booleans and NULL in the tag
//! alone, text and blobs as their bytes after a length (a short text's length rides in
//! its tag). The encoding is canonical: two rows are the same values of the same types
//! exactly when their bytes are equal.
//!
//! Reading decodes: a scan decodes each row into one reused buffer, a point read into a
//! new row.
//!
//! - this file — [`Rows`]: the pages of a table, reads, writes, ranges, diffs
//! - `encoding` — a row's bytes
//! - `page` — one page of rows

use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use super::pagemap::PageMap;
use super::table::{Row, RowKey};
use super::text::Text;
use super::value::{Num, Value};

mod encoding;
mod page;

pub(crate) use encoding::num_at;
use encoding::*;
pub use encoding::{decode, decode_into, decode_some, encode, Mask};
use page::*;

/// Most rows a page holds.
pub const MAX_ROWS: usize = 64;
/// A page of more encoded bytes than this is split (unless it holds one row).
pub const MAX_BYTES: usize = 4096;

thread_local! {
    /// Where rows are encoded on their way into a page.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

type Pages = PageMap<RowKey, Arc<Page>>;

/// The fence and page that hold `key` (if any page does). A key at or past the last
/// page's fence (rows arriving in key order) is found without a search.
fn fence_of<'a>(pages: &'a Pages, key: &RowKey) -> Option<(&'a RowKey, &'a Arc<Page>)> {
    match pages.last() {
        Some((fence, page)) if fence <= key => Some((fence, page)),
        Some(_) => pages.floor(key),
        None => None,
    }
}

/// The page that holds `key`, to change, with its fence.
fn page_mut<'a>(pages: &'a mut Pages, key: &RowKey) -> Option<(RowKey, &'a mut Arc<Page>)> {
    let (fence, page) = pages.floor_mut(key)?;
    Some((fence.clone(), page))
}

/// A table's rows by key.
#[derive(Clone, Default)]
pub struct Rows {
    pages: Pages,
    len: usize,
}

/// Rows pushed one at a time in strictly ascending key order, packed into full pages:
/// what loading a checkpoint fills, a batch of rows at a time.
#[derive(Default)]
pub struct RowsBuilder {
    rows: Rows,
    page: Page,
    scratch: Vec<u8>,
}

impl RowsBuilder {
    /// Appends a row; its key must be greater than every key pushed before.
    pub fn push(&mut self, key: &RowKey, row: &[Value]) {
        if self.page.len() >= MAX_ROWS || self.page.data.len() >= MAX_BYTES {
            self.rows.push_page(std::mem::take(&mut self.page));
        }
        self.scratch.clear();
        encode(row, &mut self.scratch);
        let i = self.page.len();
        self.page.insert_at(i, key.clone(), &self.scratch);
        self.rows.len += 1;
    }

    /// Appends rows built apart, every key of which is greater than every key pushed
    /// before (a part of a table loaded on another thread); their pages are kept as
    /// they are.
    pub fn append(&mut self, rows: Rows) {
        if self.page.len() > 0 {
            self.rows.push_page(std::mem::take(&mut self.page));
        }
        self.rows.len += rows.len;
        for (fence, page) in rows.pages.iter() {
            self.rows.pages.insert(fence.clone(), Arc::clone(page));
        }
    }

    pub fn finish(mut self) -> Rows {
        if self.page.len() > 0 {
            self.rows.push_page(self.page);
        }
        self.rows
    }
}

impl std::fmt::Debug for Rows {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// A row that differs between two versions of the rows.
#[derive(Clone, Debug, PartialEq)]
pub enum RowDelta {
    Added(RowKey, Row),
    Removed(RowKey, Row),
    Changed { key: RowKey, old: Row, new: Row },
}

impl Rows {
    /// The bytes of the pages and the tree above them not counted in `fp` yet.
    pub fn footprint(&self, fp: &mut crate::storage::memory::Footprint) -> usize {
        self.pages.footprint(fp, &mut |page, fp| fp.arc(page, |fp| page.heap_bytes(fp)))
    }

    pub fn new() -> Rows {
        Rows::default()
    }

    /// Rows from a list in strictly ascending key order, in full pages.
    pub fn from_sorted<'a>(rows: impl IntoIterator<Item = (&'a RowKey, &'a [Value])>) -> Rows {
        let mut builder = RowsBuilder::default();
        for (key, row) in rows {
            builder.push(key, row);
        }
        builder.finish()
    }

    fn push_page(&mut self, mut page: Page) {
        page.shrink();
        self.pages.insert(page.first_key(), Arc::new(page));
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether both are the same version of the rows (shared, not compared).
    pub fn ptr_eq(&self, other: &Rows) -> bool {
        self.pages.ptr_eq(&other.pages)
    }

    /// The page that holds `key`, for a read: the one under the nearest fence at or
    /// below it.
    fn page_of(&self, key: &RowKey) -> Option<&Page> {
        self.pages.floor(key).map(|(_, p)| &**p)
    }

    /// The encoded row under a key: equal bytes are the same row.
    pub fn get_bytes(&self, key: &RowKey) -> Option<&[u8]> {
        let page = self.page_of(key)?;
        page.find(key).ok().map(|i| page.bytes(i))
    }

    /// Whether a row is stored under `key`: asked before each insert, so a key past the
    /// last fence (rows arriving in key order) is answered without a search.
    pub fn contains_key(&self, key: &RowKey) -> bool {
        fence_of(&self.pages, key).is_some_and(|(_, p)| p.find(key).is_ok())
    }

    /// The row under a key, decoded.
    pub fn get(&self, key: &RowKey) -> Option<Row> {
        self.get_bytes(key).map(decode)
    }

    pub fn max_key(&self) -> Option<RowKey> {
        self.pages.last().and_then(|(_, p)| p.keys.last())
    }

    /// Stores a row under a key, replacing the row there; true when it replaced one.
    pub fn insert(&mut self, key: RowKey, row: &[Value]) -> bool {
        with_encoded(row, |bytes| self.insert_bytes(key, bytes, true))
    }

    /// Adds a row under a key no row has yet; false (and nothing changed) when one has.
    /// One walk down, where asking first and then inserting would take two.
    pub fn insert_new(&mut self, key: RowKey, row: &[Value]) -> bool {
        with_encoded(row, |bytes| !self.insert_bytes(key, bytes, false))
    }

    /// Replaces the row stored under a key; false (and nothing changed) when there is none.
    pub fn replace(&mut self, key: &RowKey, row: &[Value]) -> bool {
        self.swap(key, row, false).is_some()
    }

    /// Replaces the row stored under a key and returns the old one decoded; `None`
    /// (and nothing changed) when there is none. One walk down for both.
    pub fn replace_returning(&mut self, key: &RowKey, row: &[Value]) -> Option<Row> {
        self.swap(key, row, true).flatten()
    }

    /// Replaces the row under a key; `Some` when there was one, with it if `decoded`.
    fn swap(&mut self, key: &RowKey, row: &[Value], decoded: bool) -> Option<Option<Row>> {
        let (_, page) = page_mut(&mut self.pages, key)?;
        let i = page.find(key).ok()?;
        let old = decoded.then(|| decode(page.bytes(i)));
        let page = Arc::make_mut(page);
        with_encoded(row, |bytes| page.replace_at(i, bytes));
        if page.full() {
            let right = page.split_off(page.len() / 2);
            self.pages.insert(right.first_key(), Arc::new(right));
        }
        Some(old)
    }

    /// Stores a row's bytes under a key, replacing the row there only if `replace`;
    /// whether a row was there.
    fn insert_bytes(&mut self, key: RowKey, bytes: &[u8], replace: bool) -> bool {
        let Some((_, page)) = page_mut(&mut self.pages, &key) else {
            // Below every fence (or no page at all): the first page takes it and its key
            // becomes the fence.
            let mut page = match self.pages.first().map(|(f, _)| f.clone()) {
                Some(first) => self.pages.remove(&first).map(Arc::unwrap_or_clone).unwrap_or_default(),
                None => Page::default(),
            };
            page.insert_at(0, key.clone(), bytes);
            self.len += 1;
            let split = page.full().then(|| page.split_off(page.len() / 2));
            self.pages.insert(key, Arc::new(page));
            if let Some(right) = split {
                self.pages.insert(right.first_key(), Arc::new(right));
            }
            return false;
        };
        let page = Arc::make_mut(page);
        match page.find(&key) {
            Ok(_) if !replace => true,
            Ok(i) => {
                page.replace_at(i, bytes);
                if !page.full() {
                    return true;
                }
                let right = page.split_off(page.len() / 2);
                self.pages.insert(right.first_key(), Arc::new(right));
                true
            }
            Err(i) => {
                self.len += 1;
                let appending = i == page.len();
                page.insert_at(i, key, bytes);
                if !page.full() {
                    return false;
                }
                // Rows arriving in key order leave full pages behind them.
                let at = if appending { page.len() - 1 } else { page.len() / 2 };
                let right = page.split_off(at);
                self.pages.insert(right.first_key(), Arc::new(right));
                false
            }
        }
    }

    /// Removes the row under a key, returning it.
    pub fn remove(&mut self, key: &RowKey) -> Option<Row> {
        self.take(key, true).flatten()
    }

    /// Removes the row under a key without decoding it; false when there is none.
    pub fn discard(&mut self, key: &RowKey) -> bool {
        self.take(key, false).is_some()
    }

    /// Removes the row under a key; `Some` when there was one, with the row if `decoded`.
    fn take(&mut self, key: &RowKey, decoded: bool) -> Option<Option<Row>> {
        let (fence, page) = page_mut(&mut self.pages, key)?;
        let i = page.find(key).ok()?;
        let page = Arc::make_mut(page);
        let old = decoded.then(|| decode(page.bytes(i)));
        page.remove_at(i);
        self.len -= 1;
        if page.len() == 0 {
            self.pages.remove(&fence);
        } else if page.len() < MAX_ROWS / 4 {
            self.merge_after(&fence);
        }
        Some(old)
    }

    /// Removes the rows under `keys` (strictly ascending), calling `gone` with each one
    /// removed (its key and bytes); how many were. Each page that holds some is copied
    /// (or changed, when nothing shares it) once, its other rows packed in one pass: for
    /// many rows spread over the table, where one removal at a time would walk down and
    /// shift a page's bytes once per row.
    pub fn remove_sorted(&mut self, keys: &[RowKey], mut gone: impl FnMut(&RowKey, &[u8])) -> usize {
        debug_assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys in ascending order");
        let mut rest = keys;
        let mut removed = 0;
        let mut at = Vec::new();
        while let Some(first) = rest.first() {
            // The keys that fall in this page: from its fence up to its last key.
            let Some((fence, page)) = page_mut(&mut self.pages, first) else {
                rest = &rest[1..];
                continue;
            };
            let last = page.keys.last().expect("a page holds a row");
            let end = rest.partition_point(|k| *k <= last).max(1);
            let (mine, after) = rest.split_at(end);
            rest = after;
            at.clear();
            let mut from = 0;
            for key in mine {
                match page.keys.find_from(from, key) {
                    Ok(i) => {
                        gone(key, page.bytes(i));
                        at.push(i);
                        from = i + 1;
                    }
                    Err(i) => from = i,
                }
            }
            if at.is_empty() {
                continue;
            }
            removed += at.len();
            if at.len() == page.len() {
                self.pages.remove(&fence);
                continue;
            }
            let packed = page.without(&at);
            match Arc::get_mut(page) {
                Some(p) => *p = packed,
                None => *page = Arc::new(packed),
            }
            if page.len() < MAX_ROWS / 4 {
                self.merge_after(&fence);
            }
        }
        self.len -= removed;
        removed
    }

    /// Replaces the rows under the keys of `rows` (strictly ascending), calling `old`
    /// with each key, the bytes it held and its new row; each page that holds some is
    /// copied (when shared) and found once. The first key with no row, if any: the
    /// rows before it were replaced.
    pub fn replace_sorted(
        &mut self,
        rows: &[(RowKey, Row)],
        mut old: impl FnMut(&RowKey, &[u8], &[Value]),
    ) -> Option<RowKey> {
        debug_assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "keys in ascending order");
        let mut rest = rows;
        while let Some((first, _)) = rest.first() {
            let Some((_, page)) = page_mut(&mut self.pages, first) else { return Some(first.clone()) };
            let page = Arc::make_mut(page);
            let last = page.keys.last().expect("a page holds a row");
            let end = rest.partition_point(|(k, _)| *k <= last);
            let mut from = 0;
            for (key, row) in &rest[..end] {
                let Ok(i) = page.keys.find_from(from, key) else { return Some(key.clone()) };
                old(key, page.bytes(i), row);
                with_encoded(row, |bytes| page.replace_at(i, bytes));
                from = i + 1;
            }
            if end == 0 {
                return Some(first.clone());
            }
            rest = &rest[end..];
            for piece in split_full(page) {
                self.pages.insert(piece.first_key(), Arc::new(piece));
            }
        }
        None
    }

    /// Joins the page under `fence` with the next one when both fit in one.
    fn merge_after(&mut self, fence: &RowKey) {
        let next = self.pages.range(Bound::Excluded(fence), Bound::Unbounded).next();
        let Some((next_fence, next)) = next else { return };
        let Some(page) = self.pages.get(fence) else { return };
        if page.len() + next.len() > MAX_ROWS || page.data.len() + next.data.len() > MAX_BYTES {
            return;
        }
        let (next_fence, next) = (next_fence.clone(), next.clone());
        self.pages.remove(&next_fence);
        if let Some(page) = self.pages.get_mut(fence) {
            Arc::make_mut(page).append(&next);
        }
    }

    /// The pages that hold the keys of `range`, in key order.
    fn pages_in<R: RangeBounds<RowKey>>(
        &self,
        range: &R,
    ) -> impl DoubleEndedIterator<Item = (&RowKey, &Arc<Page>)> + '_ {
        // The first page is the one that holds the range's start; the last, its end.
        let first = match range.start_bound() {
            Bound::Included(k) | Bound::Excluded(k) => match self.pages.floor(k) {
                Some((f, _)) => Bound::Included(f),
                None => Bound::Unbounded,
            },
            Bound::Unbounded => Bound::Unbounded,
        };
        self.pages.range(first, range.end_bound())
    }

    /// Calls `f` with each encoded row whose key falls in `range`, in key order (or
    /// reversed), until it returns false. The hot loop of every table scan.
    pub fn walk<E>(
        &self,
        range: impl RangeBounds<RowKey>,
        reverse: bool,
        mut f: impl FnMut(&RowKey, &[u8]) -> Result<bool, E>,
    ) -> Result<(), E> {
        let pages = self.pages_in(&range);
        // Integer keys are handed on as a row key built for the moment.
        let mut visit = |p: &Page, i: usize, bytes: &[u8]| -> Result<bool, E> {
            match &p.keys {
                Keys::Int(keys) => {
                    let key = RowKey::Int(keys[i]);
                    Ok(!range.contains(&key) || f(&key, bytes)?)
                }
                Keys::Any(keys) => Ok(!range.contains(&keys[i]) || f(&keys[i], bytes)?),
            }
        };
        if reverse {
            for (_, p) in pages.rev() {
                let mut end = p.data.len();
                for i in (0..p.len()).rev() {
                    let start = p.start(i);
                    if !visit(p, i, &p.data[start..end])? {
                        return Ok(());
                    }
                    end = start;
                }
            }
        } else {
            for (_, p) in pages {
                let mut start = 0;
                for (i, &end) in p.ends.iter().enumerate() {
                    let end = end as usize;
                    if !visit(p, i, &p.data[start..end])? {
                        return Ok(());
                    }
                    start = end;
                }
            }
        }
        Ok(())
    }

    /// Calls `f` with each row in key order until it returns false, decoding only
    /// `columns` (every column when one is past the 64th) into one row of `width`
    /// values, reused for each; the other values are not meaningful.
    pub fn for_each_decoded(&self, columns: &[usize], width: usize, mut f: impl FnMut(&RowKey, &[Value]) -> bool) {
        let wanted = Mask::of(columns.iter().copied());
        let mut row = vec![Value::Null; width];
        let walked: Result<(), std::convert::Infallible> = self.walk(.., false, |key, bytes| {
            match wanted {
                Some(wanted) => decode_some(bytes, wanted, &mut row),
                None => decode_into(bytes, &mut row),
            }
            Ok(f(key, &row))
        });
        let Ok(()) = walked;
    }

    /// Every encoded row in key order.
    pub fn iter_bytes(&self) -> impl DoubleEndedIterator<Item = (RowKey, &[u8])> + '_ {
        self.pages.values().flat_map(|p| p.rows())
    }

    /// Every row, decoded, in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (RowKey, Row)> + '_ {
        self.iter_bytes().map(|(k, b)| (k, decode(b)))
    }

    /// The rows that differ from `self` to `new`, in key order. Only pages the two do
    /// not share are decoded.
    pub fn diff(&self, new: &Rows) -> Vec<RowDelta> {
        // The pages either side does not share hold every row that differs. `diff`
        // walks both maps in key order, so each side's pages come in key order and their
        // rows can be merged; rows the two lists both hold unchanged are skipped.
        let (mut old_pages, mut new_pages) = (Vec::new(), Vec::new());
        for (old, new) in self.pages.diff(&new.pages, Arc::ptr_eq) {
            old_pages.extend(old);
            new_pages.extend(new);
        }
        let mut out = Vec::new();
        let mut new_rows = new_pages.iter().flat_map(|p| p.rows()).peekable();
        for (key, old) in old_pages.iter().flat_map(|p| p.rows()) {
            while let Some((k, b)) = new_rows.next_if(|(k, _)| *k < key) {
                out.push(RowDelta::Added(k.clone(), decode(b)));
            }
            match new_rows.next_if(|(k, _)| *k == key) {
                Some((_, b)) if b == old => {}
                Some((_, b)) => out.push(RowDelta::Changed { key: key.clone(), old: decode(old), new: decode(b) }),
                None => out.push(RowDelta::Removed(key.clone(), decode(old))),
            }
        }
        out.extend(new_rows.map(|(k, b)| RowDelta::Added(k.clone(), decode(b))));
        out
    }

    /// How many pages hold the rows.
    #[cfg(test)]
    fn page_count(&self) -> usize {
        self.pages.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::Integer),
            (-300i64..300).prop_map(Value::Integer),
            any::<f64>().prop_map(Value::Real),
            any::<bool>().prop_map(Value::Boolean),
            any::<i64>().prop_map(Value::Timestamp),
            ".{0,40}".prop_map(|s| Value::text(&s)),
            "[a-z]{200,300}".prop_map(|s| Value::text(&s)),
            proptest::collection::vec(any::<u8>(), 0..20).prop_map(|b| Value::Blob(Arc::new(b))),
        ]
    }

    fn same(a: &[Value], b: &[Value]) -> bool {
        a.len() == b.len()
            && a.iter()
                .zip(b)
                .all(|(x, y)| x.type_name() == y.type_name() && x.total_cmp(y) == std::cmp::Ordering::Equal)
    }

    proptest! {
        #[test]
        fn bytes_are_spliced_as_vec_splice_does(
            data in proptest::collection::vec(any::<u8>(), 0..40),
            bytes in proptest::collection::vec(any::<u8>(), 0..40),
            a in 0usize..41,
            b in 0usize..41,
        ) {
            let (start, end) = (a.min(b).min(data.len()), a.max(b).min(data.len()));
            let mut expected = data.clone();
            expected.splice(start..end, bytes.iter().copied());
            let mut got = data;
            splice_bytes(&mut got, start, end, &bytes);
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn a_number_is_read_from_the_bytes_as_it_decodes(row in proptest::collection::vec(value(), 0..8)) {
            let mut bytes = Vec::new();
            encode(&row, &mut bytes);
            for (i, v) in row.iter().enumerate() {
                let expected = match v {
                    Value::Integer(x) => Some(Num::Int(*x)),
                    Value::Real(x) => Some(Num::Real(*x)),
                    _ => None,
                };
                // Bit for bit: a NaN reads back as the NaN it was.
                let bits = |n: Option<Num>| n.map(|n| match n {
                    Num::Int(x) => (0, x as u64),
                    Num::Real(x) => (1, x.to_bits()),
                });
                prop_assert_eq!(bits(num_at(&bytes, i)), bits(expected));
            }
            prop_assert_eq!(num_at(&bytes, row.len()), None);
        }

        #[test]
        fn a_row_decodes_to_what_was_encoded(row in proptest::collection::vec(value(), 0..8)) {
            let mut bytes = Vec::new();
            encode(&row, &mut bytes);
            prop_assert!(same(&decode(&bytes), &row));
            let wanted = Mask::of((0..row.len()).filter(|i| i % 2 == 1)).unwrap();
            let mut some = vec![Value::Null; row.len()];
            decode_some(&bytes, wanted, &mut some);
            for (i, v) in some.iter().enumerate() {
                let expect = if i % 2 == 1 { row[i].clone() } else { Value::Null };
                prop_assert!(same(std::slice::from_ref(v), std::slice::from_ref(&expect)));
            }
        }

        /// Random inserts, replacements and removals agree with an ordered map, and the
        /// pages keep their invariants; a diff against an earlier copy names exactly
        /// the rows that changed.
        #[test]
        fn rows_behave_as_an_ordered_map(
            ops in proptest::collection::vec((0u8..3, -500i64..500, 0usize..300), 0..1500),
            preload in 0usize..400,
            tuples in any::<bool>(),
        ) {
            // Integer keys, or one-value tuples (a composite primary key's keys).
            let key_of = |k: i64| if tuples { RowKey::Tuple(Arc::new(vec![Value::Integer(k)])) } else { RowKey::Int(k) };
            let row = |k: i64, w: usize| vec![Value::Integer(k), Value::text(&"x".repeat(w))];
            let keys: Vec<RowKey> = (0..preload as i64).map(|k| key_of(k * 3 - 600)).collect();
            let first: Vec<Vec<Value>> = (0..preload as i64).map(|k| row(k * 3 - 600, 5)).collect();
            let mut rows = Rows::from_sorted(keys.iter().zip(first.iter().map(|r| r.as_slice())));
            let mut model: BTreeMap<RowKey, Vec<Value>> = keys.into_iter().zip(first).collect();
            let before = rows.clone();
            let model_before = model.clone();
            for (op, k, w) in ops {
                let key = key_of(k);
                match op {
                    0 | 1 => {
                        let replaced = rows.insert(key.clone(), &row(k, w));
                        prop_assert_eq!(replaced, model.insert(key, row(k, w)).is_some());
                    }
                    _ => {
                        let gone = rows.remove(&key);
                        let expect = model.remove(&key);
                        prop_assert_eq!(gone.map(|r| r.to_vec()), expect);
                    }
                }
            }
            prop_assert_eq!(rows.len(), model.len());
            let all: Vec<(RowKey, Vec<Value>)> = rows.iter().map(|(k, r)| (k, r.to_vec())).collect();
            let expect: Vec<(RowKey, Vec<Value>)> = model.iter().map(|(k, r)| (k.clone(), r.clone())).collect();
            prop_assert_eq!(&all, &expect);
            // A walk stops when told to.
            let mut seen = Vec::new();
            rows.walk(.., true, |k, _| -> Result<bool, ()> { seen.push(k.clone()); Ok(false) }).unwrap();
            prop_assert_eq!(seen.first(), model.keys().next_back());
            prop_assert!(seen.len() <= 1);
            let back: Vec<RowKey> = rows.iter().rev().map(|(k, _)| k).collect();
            prop_assert!(back.iter().rev().eq(model.keys()));
            for (fence, page) in rows.pages.iter() {
                prop_assert!(!page.keys.is_empty());
                prop_assert!(page.first_key() >= *fence);
                let keys: Vec<RowKey> = (0..page.len()).map(|i| page.keys.get(i)).collect();
                prop_assert!(keys.windows(2).all(|w| w[0] < w[1]));
                prop_assert!(page.len() <= MAX_ROWS);
            }
            for (lo, hi) in [(-100, 100), (-600, -550), (450, 600), (7, 8)] {
                let (lo, hi) = (key_of(lo), key_of(hi));
                let mut got = Vec::new();
                rows.walk(lo.clone()..=hi.clone(), false, |k, _| -> Result<bool, ()> { got.push(k.clone()); Ok(true) }).unwrap();
                let want: Vec<RowKey> = model.range(lo.clone()..=hi.clone()).map(|(k, _)| k.clone()).collect();
                prop_assert_eq!(&got, &want);
                let mut got = Vec::new();
                let open = (Bound::Excluded(lo.clone()), Bound::Excluded(hi.clone()));
                rows.walk(open, true, |k, _| -> Result<bool, ()> { got.push(k.clone()); Ok(true) }).unwrap();
                let want: Vec<RowKey> = model.range((Bound::Excluded(lo), Bound::Excluded(hi))).rev().map(|(k, _)| k.clone()).collect();
                prop_assert_eq!(got, want);
            }
            let mut expect = Vec::new();
            let keys: std::collections::BTreeSet<&RowKey> = model_before.keys().chain(model.keys()).collect();
            for k in keys {
                match (model_before.get(k), model.get(k)) {
                    (Some(a), Some(b)) if a == b => {}
                    (Some(a), Some(b)) => expect.push(RowDelta::Changed { key: k.clone(), old: a.clone().into(), new: b.clone().into() }),
                    (Some(a), None) => expect.push(RowDelta::Removed(k.clone(), a.clone().into())),
                    (None, Some(b)) => expect.push(RowDelta::Added(k.clone(), b.clone().into())),
                    (None, None) => {}
                }
            }
            prop_assert_eq!(before.diff(&rows), expect);
        }
    }

    #[test]
    fn rows_in_key_order_fill_their_pages() {
        let mut rows = Rows::new();
        for k in 0..10_000 {
            rows.insert(RowKey::Int(k), &[Value::Integer(k), Value::Integer(k % 7)]);
        }
        assert_eq!(rows.page_count(), 10_000usize.div_ceil(MAX_ROWS));
        let mut rows = Rows::new();
        for k in (0..10_000).rev() {
            rows.insert(RowKey::Int(k), &[Value::Integer(k)]);
        }
        assert!(rows.page_count() <= 10_000 / (MAX_ROWS / 2) + 1, "{}", rows.page_count());
    }

    #[test]
    fn a_page_of_integer_keys_takes_a_tuple_key_too() {
        let mut rows = Rows::new();
        for k in [5, 1, 3] {
            rows.insert(RowKey::Int(k), &[Value::Integer(k)]);
        }
        let tuple = RowKey::Tuple(Arc::new(vec![Value::text("a")]));
        rows.insert(tuple.clone(), &[Value::Null]);
        rows.insert(RowKey::Int(2), &[Value::Integer(2)]);
        let keys: Vec<RowKey> = rows.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [RowKey::Int(1), RowKey::Int(2), RowKey::Int(3), RowKey::Int(5), tuple.clone()]);
        assert!(rows.contains_key(&tuple) && !rows.contains_key(&RowKey::Int(4)));
        assert_eq!(rows.remove(&RowKey::Int(3)).map(|r| r.to_vec()), Some(vec![Value::Integer(3)]));
        assert_eq!(rows.len(), 4);
    }

    #[test]
    fn a_large_row_gets_a_page_of_its_own() {
        let mut rows = Rows::new();
        let big = Value::text(&"y".repeat(3 * MAX_BYTES));
        for k in 0..5 {
            rows.insert(RowKey::Int(k), std::slice::from_ref(&big));
        }
        assert_eq!(rows.page_count(), 5);
        assert_eq!(rows.get(&RowKey::Int(3)).unwrap()[0], big);
    }
}
