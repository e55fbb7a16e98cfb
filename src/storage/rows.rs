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

use std::ops::{Bound, RangeBounds};
use std::sync::Arc;

use super::pagemap::PageMap;

use super::table::{Row, RowKey};
use super::text::Text;
use super::value::{Num, Value};

/// Most rows a page holds.
pub const MAX_ROWS: usize = 64;
/// A page of more encoded bytes than this is split (unless it holds one row).
pub const MAX_BYTES: usize = 4096;

const NULL: u8 = 0;
const INT8: u8 = 1;
const INT16: u8 = 2;
const INT32: u8 = 3;
const INT64: u8 = 4;
const REAL: u8 = 5;
const FALSE: u8 = 6;
const TRUE: u8 = 7;
const TIMESTAMP: u8 = 8;
const TEXT: u8 = 9;
const BLOB: u8 = 10;
/// Text of up to `SHORT_TEXT_MAX` bytes: the tag is `SHORT_TEXT + length`.
const SHORT_TEXT: u8 = 16;
const SHORT_TEXT_MAX: usize = (u8::MAX - SHORT_TEXT) as usize;

thread_local! {
    /// Where rows are encoded on their way into a page.
    static SCRATCH: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Calls `f` with a row's encoding.
fn with_encoded<T>(row: &[Value], f: impl FnOnce(&[u8]) -> T) -> T {
    SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
        Ok(mut buf) => {
            buf.clear();
            encode(row, &mut buf);
            f(&buf)
        }
        // Only a nested call finds it taken; it gets a buffer of its own.
        Err(_) => {
            let mut buf = Vec::new();
            encode(row, &mut buf);
            f(&buf)
        }
    })
}

/// Appends the encoding of a row's values.
pub fn encode(row: &[Value], out: &mut Vec<u8>) {
    for v in row {
        match v {
            Value::Null => out.push(NULL),
            Value::Integer(i) => {
                let i = *i;
                if let Ok(b) = i8::try_from(i) {
                    out.push(INT8);
                    out.extend_from_slice(&b.to_le_bytes());
                } else if let Ok(b) = i16::try_from(i) {
                    out.push(INT16);
                    out.extend_from_slice(&b.to_le_bytes());
                } else if let Ok(b) = i32::try_from(i) {
                    out.push(INT32);
                    out.extend_from_slice(&b.to_le_bytes());
                } else {
                    out.push(INT64);
                    out.extend_from_slice(&i.to_le_bytes());
                }
            }
            Value::Real(r) => {
                out.push(REAL);
                out.extend_from_slice(&r.to_bits().to_le_bytes());
            }
            Value::Boolean(b) => out.push(if *b { TRUE } else { FALSE }),
            Value::Timestamp(t) => {
                out.push(TIMESTAMP);
                out.extend_from_slice(&t.to_le_bytes());
            }
            Value::Text(t) => bytes_of(TEXT, Some(SHORT_TEXT), t.as_bytes(), out),
            Value::Blob(b) => bytes_of(BLOB, None, b, out),
        }
    }
}

fn bytes_of(tag: u8, short: Option<u8>, bytes: &[u8], out: &mut Vec<u8>) {
    match short {
        Some(short) if bytes.len() <= SHORT_TEXT_MAX => out.push(short + bytes.len() as u8),
        _ => {
            out.push(tag);
            // A value is far below 4 GiB: statements and files refuse anything near it.
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        }
    }
    out.extend_from_slice(bytes);
}

/// The value whose tag is `tag`, its payload starting at `*pos` (moved past it). The
/// bytes come from [`encode`]: anything else is a broken invariant of this module.
#[inline(always)]
fn read_value(tag: u8, bytes: &[u8], pos: &mut usize) -> Value {
    fn array<const N: usize>(bytes: &[u8], pos: &mut usize) -> [u8; N] {
        let out = bytes[*pos..*pos + N].try_into().expect("a slice of N bytes");
        *pos += N;
        out
    }
    fn take<'a>(bytes: &'a [u8], pos: &mut usize, n: usize) -> &'a [u8] {
        let out = &bytes[*pos..*pos + n];
        *pos += n;
        out
    }
    match tag {
        NULL => Value::Null,
        INT8 => Value::Integer(i8::from_le_bytes(array(bytes, pos)) as i64),
        INT16 => Value::Integer(i16::from_le_bytes(array(bytes, pos)) as i64),
        INT32 => Value::Integer(i32::from_le_bytes(array(bytes, pos)) as i64),
        INT64 => Value::Integer(i64::from_le_bytes(array(bytes, pos))),
        REAL => Value::Real(f64::from_bits(u64::from_le_bytes(array(bytes, pos)))),
        FALSE => Value::Boolean(false),
        TRUE => Value::Boolean(true),
        TIMESTAMP => Value::Timestamp(i64::from_le_bytes(array(bytes, pos))),
        TEXT => {
            let n = u32::from_le_bytes(array(bytes, pos)) as usize;
            Value::Text(text(bytes, pos, n))
        }
        BLOB => {
            let n = u32::from_le_bytes(array(bytes, pos)) as usize;
            Value::Blob(Arc::new(take(bytes, pos, n).to_vec()))
        }
        short => Value::Text(text(bytes, pos, (short - SHORT_TEXT) as usize)),
    }
}

/// The payload size of each tag below `SHORT_TEXT` whose size is fixed (text and blob
/// have a length instead). A table rather than a `match`: integers of mixed widths in
/// one column would make a jump mispredict.
const FIXED_SIZE: [u8; SHORT_TEXT as usize] = {
    let mut sizes = [0u8; SHORT_TEXT as usize];
    sizes[INT8 as usize] = 1;
    sizes[INT16 as usize] = 2;
    sizes[INT32 as usize] = 4;
    sizes[INT64 as usize] = 8;
    sizes[REAL as usize] = 8;
    sizes[TIMESTAMP as usize] = 8;
    sizes
};

/// How many payload bytes follow a tag (whose payload starts at `pos`).
#[inline(always)]
fn payload_len(tag: u8, bytes: &[u8], pos: usize) -> usize {
    if tag >= SHORT_TEXT {
        (tag - SHORT_TEXT) as usize
    } else if tag == TEXT || tag == BLOB {
        4 + u32::from_le_bytes(bytes[pos..pos + 4].try_into().expect("four bytes")) as usize
    } else {
        FIXED_SIZE[tag as usize] as usize
    }
}

/// The text of `n` bytes at `*pos` (moved past it).
fn text(bytes: &[u8], pos: &mut usize, n: usize) -> Text {
    let text = Text::from_stored(&bytes[*pos..], n);
    *pos += n;
    text
}

/// Decodes a row into `out` (replacing what it held).
pub fn decode_into(bytes: &[u8], out: &mut Vec<Value>) {
    out.clear();
    let mut pos = 0;
    while let Some(&tag) = bytes.get(pos) {
        pos += 1;
        out.push(read_value(tag, bytes, &mut pos));
    }
}

/// A set of columns among a row's first 64, as bits (column `c` is bit `c`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mask(u64);

impl Mask {
    pub const EMPTY: Mask = Mask(0);

    /// The columns listed; `None` when one is past the 64th.
    pub fn of(columns: impl IntoIterator<Item = usize>) -> Option<Mask> {
        let mut bits = 0u64;
        for c in columns {
            bits |= 1u64.checked_shl(u32::try_from(c).ok()?)?;
        }
        Some(Mask(bits))
    }

    /// Every column of a row this wide; `None` past 64.
    pub fn all(width: usize) -> Option<Mask> {
        Mask::of(0..width)
    }

    pub fn and(self, other: Option<Mask>) -> Mask {
        other.map_or(self, |o| Mask(self.0 & o.0))
    }

    pub fn without(self, other: Mask) -> Mask {
        Mask(self.0 & !other.0)
    }

    pub fn union(self, other: Mask) -> Mask {
        Mask(self.0 | other.0)
    }
}

/// Decodes only the columns `wanted` holds into `out`, which already has the row's
/// width; the others keep what they held. Decoding stops after the last one wanted.
pub fn decode_some(bytes: &[u8], wanted: Mask, out: &mut [Value]) {
    let mut pos = 0;
    let mut left = wanted.0;
    for slot in out.iter_mut() {
        if left == 0 {
            return;
        }
        let Some(&tag) = bytes.get(pos) else { return };
        pos += 1;
        if left & 1 == 1 {
            *slot = read_value(tag, bytes, &mut pos);
        } else {
            pos += payload_len(tag, bytes, pos);
        }
        left >>= 1;
    }
}

/// The number column `column` of a row holds, if it holds one: read from the bytes (no
/// value decoded), the columns before it skipped by their tags.
pub(crate) fn num_at(bytes: &[u8], column: usize) -> Option<Num> {
    let mut pos = 0;
    for _ in 0..column {
        let tag = *bytes.get(pos)?;
        pos += 1 + payload_len(tag, bytes, pos + 1);
    }
    let tag = *bytes.get(pos)?;
    let p = bytes.get(pos + 1..)?;
    Some(match tag {
        INT8 => Num::Int(i8::from_le_bytes(p.get(..1)?.try_into().ok()?) as i64),
        INT16 => Num::Int(i16::from_le_bytes(p.get(..2)?.try_into().ok()?) as i64),
        INT32 => Num::Int(i32::from_le_bytes(p.get(..4)?.try_into().ok()?) as i64),
        INT64 => Num::Int(i64::from_le_bytes(p.get(..8)?.try_into().ok()?)),
        REAL => Num::Real(f64::from_bits(u64::from_le_bytes(p.get(..8)?.try_into().ok()?))),
        _ => return None,
    })
}

/// Decodes a row into a new one.
pub fn decode(bytes: &[u8]) -> Row {
    let mut out = Vec::with_capacity(8);
    decode_into(bytes, &mut out);
    Row::from(out)
}

/// A page's keys in order: plain integers when they all are (an integer primary key or
/// hidden rowid: 8 bytes a key, copied as one block), row keys otherwise.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Keys {
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
fn splice_bytes(data: &mut Vec<u8>, start: usize, end: usize, bytes: &[u8]) {
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

fn find_int(v: &[i64], k: i64) -> Result<usize, usize> {
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
    fn len(&self) -> usize {
        match self {
            Keys::Int(v) => v.len(),
            Keys::Any(v) => v.len(),
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, i: usize) -> RowKey {
        match self {
            Keys::Int(v) => RowKey::Int(v[i]),
            Keys::Any(v) => v[i].clone(),
        }
    }

    fn first(&self) -> Option<RowKey> {
        (!self.is_empty()).then(|| self.get(0))
    }

    fn last(&self) -> Option<RowKey> {
        self.len().checked_sub(1).map(|i| self.get(i))
    }

    fn find(&self, key: &RowKey) -> Result<usize, usize> {
        match (self, key) {
            (Keys::Int(v), RowKey::Int(k)) => find_int(v, *k),
            // Tuples sort after every integer.
            (Keys::Int(v), RowKey::Tuple(_)) => Err(v.len()),
            (Keys::Any(v), key) => v.binary_search(key),
        }
    }

    /// Like [`Keys::find`], among the keys from position `from` on.
    fn find_from(&self, from: usize, key: &RowKey) -> Result<usize, usize> {
        let found = match (self, key) {
            (Keys::Int(v), RowKey::Int(k)) => find_int(&v[from..], *k),
            (Keys::Int(v), RowKey::Tuple(_)) => Err(v.len() - from),
            (Keys::Any(v), key) => v[from..].binary_search(key),
        };
        found.map(|i| i + from).map_err(|i| i + from)
    }

    /// The keys as row keys, for a key that is not an integer.
    fn widen(&mut self) -> &mut Vec<RowKey> {
        if let Keys::Int(v) = self {
            *self = Keys::Any(v.iter().map(|&k| RowKey::Int(k)).collect());
        }
        match self {
            Keys::Any(v) => v,
            Keys::Int(_) => unreachable!("widened above"),
        }
    }

    fn insert(&mut self, i: usize, key: RowKey) {
        match (&mut *self, key) {
            (Keys::Int(v), RowKey::Int(k)) => v.insert(i, k),
            (_, key) => self.widen().insert(i, key),
        }
    }

    fn remove(&mut self, i: usize) {
        match self {
            Keys::Int(v) => {
                v.remove(i);
            }
            Keys::Any(v) => {
                v.remove(i);
            }
        }
    }

    fn pop(&mut self) -> Option<RowKey> {
        match self {
            Keys::Int(v) => v.pop().map(RowKey::Int),
            Keys::Any(v) => v.pop(),
        }
    }

    fn push(&mut self, key: RowKey) {
        let i = self.len();
        self.insert(i, key);
    }

    fn split_off(&mut self, at: usize) -> Keys {
        match self {
            Keys::Int(v) => Keys::Int(v.split_off(at)),
            Keys::Any(v) => Keys::Any(v.split_off(at)),
        }
    }

    fn append(&mut self, other: &Keys) {
        match (&mut *self, other) {
            (Keys::Int(v), Keys::Int(w)) => v.extend_from_slice(w),
            (_, other) => {
                let more: Vec<RowKey> = (0..other.len()).map(|i| other.get(i)).collect();
                self.widen().extend(more);
            }
        }
    }

    fn reserve_exact(&mut self, n: usize) {
        match self {
            Keys::Int(v) => v.reserve_exact(n),
            Keys::Any(v) => v.reserve_exact(n),
        }
    }

    fn capacity(&self) -> usize {
        match self {
            Keys::Int(v) => v.capacity(),
            Keys::Any(v) => v.capacity(),
        }
    }

    fn shrink_to_fit(&mut self) {
        match self {
            Keys::Int(v) => v.shrink_to_fit(),
            Keys::Any(v) => v.shrink_to_fit(),
        }
    }
}

/// Up to `MAX_ROWS` rows in key order: their keys, where each row's bytes end, and the
/// bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Page {
    keys: Keys,
    ends: Vec<u32>,
    data: Vec<u8>,
}

impl Page {
    fn len(&self) -> usize {
        self.keys.len()
    }

    fn start(&self, i: usize) -> usize {
        if i == 0 {
            0
        } else {
            self.ends[i - 1] as usize
        }
    }

    fn bytes(&self, i: usize) -> &[u8] {
        &self.data[self.start(i)..self.ends[i] as usize]
    }

    fn find(&self, key: &RowKey) -> Result<usize, usize> {
        self.keys.find(key)
    }

    fn full(&self) -> bool {
        self.len() > MAX_ROWS || (self.data.len() > MAX_BYTES && self.len() > 1)
    }

    fn insert_at(&mut self, i: usize, key: RowKey, bytes: &[u8]) {
        let at = self.start(i);
        splice_bytes(&mut self.data, at, at, bytes);
        let n = bytes.len() as u32;
        self.ends[i..].iter_mut().for_each(|e| *e += n);
        self.ends.insert(i, at as u32 + n);
        self.keys.insert(i, key);
    }

    fn replace_at(&mut self, i: usize, bytes: &[u8]) {
        let (start, end) = (self.start(i), self.ends[i] as usize);
        if end - start == bytes.len() {
            self.data[start..end].copy_from_slice(bytes);
            return;
        }
        splice_bytes(&mut self.data, start, end, bytes);
        let (old, new) = ((end - start) as i64, bytes.len() as i64);
        self.ends[i..].iter_mut().for_each(|e| *e = (*e as i64 - old + new) as u32);
    }

    fn remove_at(&mut self, i: usize) {
        let (start, end) = (self.start(i), self.ends[i] as usize);
        self.data.drain(start..end);
        let n = (end - start) as u32;
        self.ends.remove(i);
        self.ends[i..].iter_mut().for_each(|e| *e -= n);
        self.keys.remove(i);
    }

    /// A copy without the rows at the positions `gone` (ascending), its bytes packed:
    /// the rows between two that go are copied as one run.
    fn without(&self, gone: &[usize]) -> Page {
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
    fn split_off(&mut self, at: usize) -> Page {
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
    fn append(&mut self, next: &Page) {
        let base = self.data.len() as u32;
        self.data.extend_from_slice(&next.data);
        self.ends.extend(next.ends.iter().map(|e| e + base));
        self.keys.append(&next.keys);
    }

    /// Gives back room the page will not use soon (more than an eighth of its size).
    fn shrink(&mut self) {
        if self.data.capacity() > self.data.len() + self.data.len() / 8 {
            self.data.shrink_to_fit();
        }
        if self.keys.capacity() > self.keys.len() + self.keys.len() / 8 {
            self.ends.shrink_to_fit();
            self.keys.shrink_to_fit();
        }
    }

    fn rows(&self) -> impl DoubleEndedIterator<Item = (RowKey, &[u8])> + '_ {
        (0..self.len()).map(move |i| (self.keys.get(i), self.bytes(i)))
    }

    /// The first key (a page is never left empty).
    fn first_key(&self) -> RowKey {
        self.keys.first().expect("a page holds a row")
    }
}

/// Splits a page grown past its limits in halves until each fits: the first stays, the
/// others are returned in key order.
fn split_full(page: &mut Page) -> Vec<Page> {
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
    pub fn new() -> Rows {
        Rows::default()
    }

    /// Rows from a list in strictly ascending key order, in full pages.
    pub fn from_sorted<'a>(rows: impl IntoIterator<Item = (&'a RowKey, &'a [Value])>) -> Rows {
        let mut out = Rows::new();
        let mut page = Page::default();
        let mut scratch = Vec::new();
        for (key, row) in rows {
            if page.len() >= MAX_ROWS || page.data.len() >= MAX_BYTES {
                out.push_page(std::mem::take(&mut page));
            }
            scratch.clear();
            encode(row, &mut scratch);
            let i = page.len();
            page.insert_at(i, key.clone(), &scratch);
            out.len += 1;
        }
        if page.len() > 0 {
            out.push_page(page);
        }
        out
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
