//! Message streams with Message DB's semantics, held in the versioned state.
//!
//! A namespace has one [`MessageStore`]: every message in global order (global position
//! `g` sits at index `g - 1`), and for each stream and each category its messages in
//! order. Committed messages sit in a log that only grows, shared by every version, so a
//! snapshot of the state holds its streams as they were at no cost and an append copies
//! nothing; a transaction's own messages sit in `imbl` maps until it commits.
//!
//! Stream names follow Message DB: the category is the part before the first `-`, the
//! id the rest, and the cardinal id the id before its first `+`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock};

use imbl::{OrdMap, Vector};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// One message, as Message DB's `messages` table holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: Arc<str>,
    pub stream_name: Arc<str>,
    /// The message type (`type` in SQL).
    pub kind: Arc<str>,
    /// Position within its stream, from 0.
    pub position: i64,
    /// Position among all messages of the namespace, from 1; assigned when the message
    /// is stored.
    pub global_position: i64,
    /// JSON text.
    pub data: Arc<str>,
    /// JSON text, or none.
    pub metadata: Option<Arc<str>>,
    /// Microseconds since the epoch (UTC), when it was written.
    pub time: i64,
    /// `hash_64` of the stream's cardinal id, for consumer groups; worked out when the
    /// message is stored, not kept on disk.
    #[serde(skip)]
    pub group_hash: i64,
}

/// The 128 bits of a UUID written `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, if it is one.
pub fn uuid_bits(id: &str) -> Option<u128> {
    let bytes = id.as_bytes();
    if bytes.len() != 36 {
        return None;
    }
    let mut bits: u128 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if b != b'-' {
                return None;
            }
            continue;
        }
        let digit = (b as char).to_digit(16)?;
        bits = bits << 4 | digit as u128;
    }
    Some(bits)
}

/// The part of a stream name before the first `-` (the whole name when there is none).
pub fn category(stream: &str) -> &str {
    stream.split_once('-').map_or(stream, |(c, _)| c)
}

/// The part after the first `-`, if there is one.
pub fn stream_id(stream: &str) -> Option<&str> {
    stream.split_once('-').map(|(_, id)| id)
}

/// The id before its first `+` (the id of a compound id's first part).
pub fn cardinal_id(stream: &str) -> Option<&str> {
    stream_id(stream).map(|id| id.split_once('+').map_or(id, |(c, _)| c))
}

/// A name without `-` names a category, not a stream.
pub fn is_category(name: &str) -> bool {
    !name.contains('-')
}

/// Message DB's `hash_64`: the first 8 bytes of the MD5 of the text, as a big-endian
/// signed 64-bit integer.
pub fn hash_64(text: &str) -> i64 {
    let digest = Md5::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// The member of a consumer group of `size` members that a stream belongs to: Message
/// DB's `@hash_64(cardinal_id(stream_name)) % size`.
pub fn consumer_group_member(stream: &str, size: i64) -> i64 {
    member_of(group_hash(stream), size)
}

/// The hash a stream's consumer group member follows: of its cardinal id, or of the
/// whole name when it has no id.
pub fn group_hash(stream: &str) -> i64 {
    hash_64(cardinal_id(stream).unwrap_or(stream))
}

/// `@hash % size`.
pub fn member_of(hash: i64, size: i64) -> i64 {
    ((hash as i128).abs() % size as i128) as i64
}

/// The category of `metadata.correlationStreamName`, if the metadata names one.
pub fn correlation_category(metadata: Option<&str>) -> Option<String> {
    let doc: serde_json::Value = serde_json::from_str(metadata?).ok()?;
    let name = doc.get("correlationStreamName")?.as_str()?;
    Some(category(name).to_string())
}

/// The messages of one namespace, as one version of the state sees them.
///
/// Committed messages live in a [`Log`] that only grows and is shared by every version
/// of the namespace: a version holds the log and how many of its messages it sees, so
/// keeping a version costs nothing and appending copies nothing. Messages written since
/// the version was last made the head (a transaction's, until it commits) sit in
/// [`Unsealed`], persistent maps private to the version, and move into the log when the
/// version is published ([`MessageStore::seal`]).
#[derive(Clone, Default)]
pub struct MessageStore {
    log: Arc<Log>,
    /// The first `upto` messages of the log are this version's.
    upto: usize,
    unsealed: Unsealed,
}

impl std::fmt::Debug for MessageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MessageStore({} sealed, {} unsealed)", self.upto, self.unsealed.messages.len())
    }
}

impl MessageStore {
    /// The bytes of the messages this version sees that `fp` has not counted: each
    /// message once (the log shared by every version counted once), with its text, its
    /// places in the lists by stream and by category, and its id's entry.
    pub fn footprint(&self, fp: &mut crate::storage::memory::Footprint) -> usize {
        use crate::storage::memory::ARC_HEADER;
        let text = |s: &Arc<str>, fp: &mut crate::storage::memory::Footprint| {
            if fp.first(s) {
                ARC_HEADER + s.len()
            } else {
                0
            }
        };
        // Three list places (all messages, its stream's, its category's) and an id entry.
        let per_message = 3 * std::mem::size_of::<Arc<Message>>() + 2 * std::mem::size_of::<(u128, i64)>();
        self.messages()
            .map(|m| {
                fp.arc(m, |fp| {
                    per_message
                        + text(&m.id, fp)
                        + text(&m.stream_name, fp)
                        + text(&m.kind, fp)
                        + text(&m.data, fp)
                        + m.metadata.as_ref().map_or(0, |t| text(t, fp))
                })
            })
            .sum()
    }

    pub fn len(&self) -> usize {
        self.upto + self.unsealed.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The stream's messages in the log that this version sees.
    fn sealed_list(
        &self,
        lists: &RwLock<HashMap<Arc<str>, usize>>,
        key: &str,
    ) -> Option<(&AppendVec<Arc<Message>>, usize)> {
        let list = self.log.list(lists, key)?;
        let seen = visible(list, self.upto);
        (seen > 0).then_some((list, seen))
    }

    /// The position of the stream's last message; `None` for a stream with none.
    pub fn stream_version(&self, stream: &str) -> Option<i64> {
        if let Some(last) = self.unsealed.streams.get(stream).and_then(|s| s.last()) {
            return Some(last.position);
        }
        self.sealed_list(&self.log.streams, stream).map(|(_, seen)| seen as i64 - 1)
    }

    /// Whether a message with this id was written.
    pub fn has_id(&self, id: &str) -> bool {
        uuid_bits(id).is_some_and(|bits| self.has_bits(bits))
    }

    fn has_bits(&self, bits: u128) -> bool {
        self.unsealed.ids.contains_key(&bits)
            || read(&self.log.ids).get(&bits).is_some_and(|&global| global as usize <= self.upto)
    }

    /// The number of streams with messages.
    pub fn stream_count(&self) -> usize {
        let sealed = read(&self.log.streams)
            .values()
            .filter(|&&i| self.log.lists.get(i).is_some_and(|l| visible(l, self.upto) > 0))
            .count();
        let fresh = self.unsealed.streams.values().filter(|l| l.front().is_some_and(|m| m.position == 0)).count();
        sealed + fresh
    }

    /// The message at a global position.
    pub fn get(&self, global_position: i64) -> Option<&Arc<Message>> {
        let i = usize::try_from(global_position - 1).ok()?;
        if i < self.upto {
            self.log.messages.get(i)
        } else {
            self.unsealed.messages.get(i - self.upto)
        }
    }

    /// Every message in global order.
    pub fn messages(&self) -> impl Iterator<Item = &Arc<Message>> {
        self.messages_from(0)
    }

    /// The messages from index `start` (global position `start + 1`) on.
    fn messages_from(&self, start: usize) -> impl Iterator<Item = &Arc<Message>> {
        let log = &self.log.messages;
        let fresh = start.saturating_sub(self.upto).min(self.unsealed.messages.len());
        (start.min(self.upto)..self.upto)
            .filter_map(move |i| log.get(i))
            .chain(self.unsealed.messages.focus().narrow(fresh..))
    }

    /// Stores a message at the end of its stream, giving it the next global position.
    /// Its `position` must be the stream's next one (else another writer got there
    /// first) and its id must be new.
    pub fn append(&mut self, message: &Message) -> Result<i64> {
        let next = self.stream_version(&message.stream_name).map_or(0, |v| v + 1);
        if message.position != next {
            return Err(ErrorKind::Conflict(format!(
                "stream {} was written by another transaction (this message was for position {}, the stream is at \
                 version {})",
                message.stream_name,
                message.position,
                next - 1
            ))
            .into());
        }
        let Some(bits) = uuid_bits(&message.id) else {
            return Err(Error::invalid(format!("message id {:?} is not a UUID", message.id)));
        };
        if self.has_bits(bits) {
            return Err(Error::invalid(format!("a message with id {} already exists", message.id)));
        }
        let global = self.len() as i64 + 1;
        let group_hash = group_hash(&message.stream_name);
        let stored = Arc::new(Message { global_position: global, group_hash, ..message.clone() });
        self.unsealed.push(bits, stored);
        Ok(global)
    }

    /// Whether this version holds messages not yet in the shared log.
    pub fn has_unsealed(&self) -> bool {
        !self.unsealed.messages.is_empty()
    }

    /// Moves the unsealed messages into the shared log, so that later versions share
    /// them. Called when a version becomes the head. When the log has grown past this
    /// version (a version that was never published wrote to it, or this one was
    /// truncated) the version starts a log of its own.
    pub fn seal(&mut self) {
        if self.unsealed.messages.is_empty() {
            return;
        }
        loop {
            let log = self.log.clone();
            let writer = log.writer.lock().unwrap_or_else(PoisonError::into_inner);
            if log.messages.len() == self.upto {
                for m in self.unsealed.messages.iter() {
                    log.push(m);
                }
                drop(writer);
                self.upto += self.unsealed.messages.len();
                self.unsealed = Unsealed::default();
                return;
            }
            drop(writer);
            let own = Log::default();
            for m in self.messages_from(0).take(self.upto) {
                own.push(m);
            }
            self.log = Arc::new(own);
        }
    }

    /// Removes every message after global position `keep` (restoring a snapshot).
    pub fn truncate(&mut self, keep: usize) {
        if keep <= self.upto {
            self.upto = keep;
            self.unsealed = Unsealed::default();
        } else {
            self.unsealed.truncate(keep - self.upto);
        }
    }

    /// The stream's messages from `position` on, in order.
    pub fn stream_from(&self, stream: &str, position: i64) -> impl Iterator<Item = &Arc<Message>> + '_ {
        let start = position.max(0) as usize;
        let sealed = self.sealed_list(&self.log.streams, stream);
        let seen = sealed.map_or(0, |(_, n)| n);
        let fresh = self.unsealed.streams.get(stream);
        sealed
            .into_iter()
            .flat_map(move |(list, n)| (start.min(n)..n).filter_map(move |i| list.get(i)))
            .chain(from_index(fresh, move |_| start.saturating_sub(seen)))
    }

    /// The category's messages from global position `from` on, in order.
    pub fn category_from(&self, category: &str, from: i64) -> impl Iterator<Item = &Arc<Message>> + '_ {
        let sealed = self.sealed_list(&self.log.categories, category);
        let fresh = self.unsealed.categories.get(category);
        sealed
            .into_iter()
            .flat_map(move |(list, n)| {
                let start = partition(n, |i| list.get(i).is_some_and(|m| m.global_position < from));
                (start..n).filter_map(move |i| list.get(i))
            })
            .chain(from_index(fresh, move |c| {
                c.binary_search_by(|m| m.global_position.cmp(&from)).unwrap_or_else(|i| i)
            }))
    }

    /// The stream's messages from the last back.
    pub fn stream_rev(&self, stream: &str) -> impl Iterator<Item = &Arc<Message>> + '_ {
        let sealed = self.sealed_list(&self.log.streams, stream);
        let fresh = self.unsealed.streams.get(stream);
        fresh
            .into_iter()
            .flat_map(|s| s.iter().rev())
            .chain(sealed.into_iter().flat_map(|(list, n)| (0..n).rev().filter_map(move |i| list.get(i))))
    }

    /// The stream's last message.
    pub fn last_of(&self, stream: &str) -> Option<&Arc<Message>> {
        self.stream_rev(stream).next()
    }

    /// The number of messages two stores share from the start (the same writes).
    pub fn common_prefix(&self, other: &MessageStore) -> usize {
        let shared = if Arc::ptr_eq(&self.log, &other.log) { self.upto.min(other.upto) } else { 0 };
        shared
            + self
                .messages_from(shared)
                .zip(other.messages_from(shared))
                .take_while(|(a, b)| Arc::ptr_eq(a, b) || a == b)
                .count()
    }
}

/// The committed messages of a namespace, shared by all its versions. It only grows:
/// one writer at a time appends (holding `writer`), while readers read without locks
/// the prefix their version sees.
#[derive(Default)]
struct Log {
    messages: AppendVec<Arc<Message>>,
    /// Each stream's and each category's messages in order; `streams` and `categories`
    /// name their list here.
    lists: AppendVec<AppendVec<Arc<Message>>>,
    streams: RwLock<HashMap<Arc<str>, usize>>,
    categories: RwLock<HashMap<Arc<str>, usize>>,
    /// Message id (a UUID's bits) to global position.
    ids: RwLock<HashMap<u128, i64>>,
    writer: Mutex<()>,
}

impl Log {
    fn list(&self, lists: &RwLock<HashMap<Arc<str>, usize>>, key: &str) -> Option<&AppendVec<Arc<Message>>> {
        let i = *read(lists).get(key)?;
        self.lists.get(i)
    }

    /// Appends a message (its global position the next one); the caller holds `writer`.
    fn push(&self, m: &Arc<Message>) {
        self.push_to(&self.streams, &m.stream_name, m);
        self.push_to(&self.categories, category(&m.stream_name), m);
        if let Some(bits) = uuid_bits(&m.id) {
            self.ids.write().unwrap_or_else(PoisonError::into_inner).insert(bits, m.global_position);
        }
        self.messages.push(m.clone());
    }

    fn push_to(&self, lists: &RwLock<HashMap<Arc<str>, usize>>, key: &str, m: &Arc<Message>) {
        let found = read(lists).get(key).copied();
        let i = match found {
            Some(i) => i,
            None => {
                let i = self.lists.push(AppendVec::default());
                lists.write().unwrap_or_else(PoisonError::into_inner).insert(Arc::from(key), i);
                i
            }
        };
        if let Some(list) = self.lists.get(i) {
            list.push(m.clone());
        }
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// How many of a log list's messages a version that sees the log's first `upto` sees.
fn visible(list: &AppendVec<Arc<Message>>, upto: usize) -> usize {
    let upto = upto as i64;
    let n = list.len();
    if n == 0 || list.get(n - 1).is_some_and(|m| m.global_position <= upto) {
        return n;
    }
    partition(n, |i| list.get(i).is_some_and(|m| m.global_position <= upto))
}

/// The first index in `0..n` for which `before` is false (`before` holds for a prefix).
fn partition(n: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1
        } else {
            hi = mid
        }
    }
    lo
}

/// Slots per bucket of the first [`AppendVec`] bucket; each next bucket doubles.
const FIRST_BUCKET: usize = 8;
const BUCKETS: usize = 40;

/// A list that only grows and never moves what it holds: buckets of doubling size,
/// each slot filled once. One writer appends at a time; readers read any filled slot
/// without a lock.
struct AppendVec<T> {
    buckets: [OnceLock<Box<[OnceLock<T>]>>; BUCKETS],
    len: AtomicUsize,
}

impl<T> Default for AppendVec<T> {
    fn default() -> Self {
        AppendVec { buckets: [const { OnceLock::new() }; BUCKETS], len: AtomicUsize::new(0) }
    }
}

impl<T> AppendVec<T> {
    /// Bucket and slot of index `i`.
    fn locate(i: usize) -> (usize, usize) {
        let j = i + FIRST_BUCKET;
        let bucket = (usize::BITS - 1 - j.leading_zeros()) as usize - FIRST_BUCKET.trailing_zeros() as usize;
        (bucket, j - (FIRST_BUCKET << bucket))
    }

    fn len(&self) -> usize {
        self.len.load(AtomicOrdering::Acquire)
    }

    fn get(&self, i: usize) -> Option<&T> {
        if i >= self.len() {
            return None;
        }
        let (bucket, slot) = Self::locate(i);
        self.buckets.get(bucket)?.get()?.get(slot)?.get()
    }

    /// Appends a value and returns its index. Only one thread may push at a time (the
    /// log's writer lock); a slot already filled keeps its value.
    fn push(&self, value: T) -> usize {
        let i = self.len.load(AtomicOrdering::Relaxed);
        let (bucket, slot) = Self::locate(i);
        if let Some(b) = self.buckets.get(bucket) {
            let slots = b.get_or_init(|| (0..FIRST_BUCKET << bucket).map(|_| OnceLock::new()).collect());
            if let Some(s) = slots.get(slot) {
                let _ = s.set(value);
            }
        }
        self.len.store(i + 1, AtomicOrdering::Release);
        i
    }
}

/// Messages a version wrote that are not in the shared log yet.
#[derive(Clone, Debug, Default)]
struct Unsealed {
    messages: Vector<Arc<Message>>,
    /// Stream name to its unsealed messages, by stream position; each list behind an
    /// `Arc`, so copying a map node bumps one count per entry.
    streams: Lists,
    /// Category to its unsealed messages, by global position.
    categories: Lists,
    ids: OrdMap<u128, i64>,
}

impl Unsealed {
    fn push(&mut self, bits: u128, stored: Arc<Message>) {
        push_message(&mut self.streams, &stored.stream_name, &stored);
        push_message(&mut self.categories, category(&stored.stream_name), &stored);
        self.ids.insert(bits, stored.global_position);
        self.messages.push_back(stored);
    }

    fn truncate(&mut self, keep: usize) {
        while self.messages.len() > keep {
            let Some(m) = self.messages.pop_back() else { break };
            remove_last(&mut self.streams, &m.stream_name);
            remove_last(&mut self.categories, category(&m.stream_name));
            if let Some(bits) = uuid_bits(&m.id) {
                self.ids.remove(&bits);
            }
        }
    }
}

type Lists = OrdMap<Arc<str>, Arc<Vector<Arc<Message>>>>;

/// The messages of a list from index `start(list)` on; a focus walks the list without
/// copying it.
fn from_index<'a>(
    list: Option<&'a Arc<Vector<Arc<Message>>>>,
    start: impl FnOnce(&Vector<Arc<Message>>) -> usize,
) -> impl Iterator<Item = &'a Arc<Message>> + 'a {
    let list = list.map(|l| &**l);
    let from = list.map(|l| start(l).min(l.len()));
    list.zip(from).into_iter().flat_map(|(l, from)| l.focus().narrow(from..).into_iter())
}

fn push_message(map: &mut Lists, key: &str, message: &Arc<Message>) {
    match map.get_mut(key) {
        Some(list) => Arc::make_mut(list).push_back(message.clone()),
        None => {
            map.insert(Arc::from(key), Arc::new(Vector::unit(message.clone())));
        }
    }
}

fn remove_last(map: &mut Lists, key: &str) {
    if let Some(list) = map.get_mut(key) {
        Arc::make_mut(list).pop_back();
        if list.is_empty() {
            map.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(stream: &str, position: i64, id: &str) -> Message {
        Message {
            id: format!("00000000-0000-4000-8000-{id:0>12}").into(),
            stream_name: stream.into(),
            kind: "Ran".into(),
            position,
            global_position: 0,
            data: "{}".into(),
            metadata: None,
            time: 0,
            group_hash: 0,
        }
    }

    #[test]
    fn names_split_as_message_db_does() {
        assert_eq!(category("account-123"), "account");
        assert_eq!(category("account:command-123"), "account:command");
        assert_eq!(category("account"), "account");
        assert_eq!(stream_id("account-123+456"), Some("123+456"));
        assert_eq!(cardinal_id("account-123+456"), Some("123"));
        assert_eq!(cardinal_id("account"), None);
        assert_eq!(stream_id("account-a-b"), Some("a-b"));
        assert!(is_category("account") && !is_category("account-1"));
    }

    #[test]
    fn hash_64_matches_message_db() {
        // md5('abc') = 900150983cd24fb0…; Message DB reads the first 16 hex digits as
        // a signed big-endian 64-bit integer.
        assert_eq!(hash_64("abc"), 0x9001_5098_3cd2_4fb0_u64 as i64);
        assert!(hash_64("abc") < 0);
        for size in 1..8 {
            let m = consumer_group_member("account-abc+x", size);
            assert!((0..size).contains(&m));
            assert_eq!(m, consumer_group_member("account-abc", size));
        }
    }

    #[test]
    fn append_numbers_and_truncate_undoes() {
        let mut store = MessageStore::default();
        assert_eq!(store.append(&message("a-1", 0, "1")).unwrap(), 1);
        assert_eq!(store.append(&message("b-1", 0, "2")).unwrap(), 2);
        assert_eq!(store.append(&message("a-1", 1, "3")).unwrap(), 3);
        assert!(store.append(&message("a-1", 1, "4")).unwrap_err().to_string().contains("version 1"));
        assert!(store.append(&message("a-2", 0, "1")).is_err(), "ids are unique");
        assert_eq!(store.stream_version("a-1"), Some(1));
        let positions: Vec<i64> = store.category_from("a", 2).map(|m| m.global_position).collect();
        assert_eq!(positions, vec![3]);
        let before = store.clone();
        store.truncate(1);
        assert_eq!((store.len(), store.stream_version("a-1"), store.stream_version("b-1")), (1, Some(0), None));
        assert!(!store.has_id("00000000-0000-4000-8000-000000000003"));
        assert!(before.has_id("00000000-0000-4000-8000-000000000003"));
        assert_eq!(before.common_prefix(&store), 1);
    }

    fn positions<'a>(it: impl Iterator<Item = &'a Arc<Message>>) -> Vec<i64> {
        it.map(|m| m.global_position).collect()
    }

    #[test]
    fn sealed_versions_share_the_log_and_see_their_own_prefix() {
        let mut v1 = MessageStore::default();
        v1.append(&message("a-1", 0, "1")).unwrap();
        v1.append(&message("b-1", 0, "2")).unwrap();
        v1.seal();
        assert!(!v1.has_unsealed());
        let mut v2 = v1.clone();
        v2.append(&message("a-1", 1, "3")).unwrap();
        v2.append(&message("a-2", 0, "4")).unwrap();
        v2.seal();
        assert!(Arc::ptr_eq(&v1.log, &v2.log), "appending at the tip shares the log");
        // The older version still sees only its own messages.
        assert_eq!((v1.len(), v1.stream_version("a-1"), v1.stream_count()), (2, Some(0), 2));
        assert!(!v1.has_id("00000000-0000-4000-8000-000000000003"));
        assert_eq!(positions(v1.category_from("a", 1)), vec![1]);
        assert_eq!(positions(v2.category_from("a", 2)), vec![3, 4]);
        assert_eq!(positions(v2.stream_rev("a-1")), vec![3, 1]);
        assert_eq!(v1.last_of("a-1").map(|m| m.global_position), Some(1));
        assert_eq!(v2.common_prefix(&v1), 2);
        // A message unsealed in a transaction on top of the sealed ones.
        let mut txn = v2.clone();
        txn.append(&message("a-1", 2, "5")).unwrap();
        assert_eq!(positions(txn.stream_from("a-1", 1)), vec![3, 5]);
        assert_eq!(positions(txn.messages()), vec![1, 2, 3, 4, 5]);
        assert!(txn.append(&message("c-1", 0, "3")).is_err(), "a sealed id is taken");
        // Another writer seals first: the transaction's stale copy can no longer
        // append at the tip, so it takes a log of its own when sealed.
        let mut other = v2.clone();
        other.append(&message("c-1", 0, "6")).unwrap();
        other.seal();
        txn.seal();
        assert!(!Arc::ptr_eq(&txn.log, &other.log));
        assert_eq!(positions(txn.messages()), vec![1, 2, 3, 4, 5]);
        assert_eq!(positions(other.messages()), vec![1, 2, 3, 4, 5]);
        assert_eq!(txn.get(5).map(|m| &*m.stream_name), Some("a-1"));
        assert_eq!(other.get(5).map(|m| &*m.stream_name), Some("c-1"));
        // Truncating below the sealed part, then appending, forks as well.
        let mut back = other.clone();
        back.truncate(1);
        assert_eq!((back.stream_version("b-1"), back.has_id("00000000-0000-4000-8000-000000000002")), (None, false));
        back.append(&message("b-1", 0, "7")).unwrap();
        back.seal();
        assert_eq!(positions(back.stream_from("b-1", 0)), vec![2]);
        assert_eq!(other.stream_version("b-1"), Some(0));
        assert_eq!(other.get(2).map(|m| &*m.id), Some("00000000-0000-4000-8000-000000000002"));
    }

    #[test]
    fn append_vec_buckets_cover_every_index() {
        let v = AppendVec::default();
        for i in 0..5_000 {
            assert_eq!(v.push(i), i);
        }
        assert_eq!(v.len(), 5_000);
        assert!((0..5_000).all(|i| v.get(i) == Some(&i)));
        assert_eq!(v.get(5_000), None);
        assert_eq!(AppendVec::<u8>::locate(0), (0, 0));
        assert_eq!(AppendVec::<u8>::locate(FIRST_BUCKET), (1, 0));
        assert_eq!(AppendVec::<u8>::locate(3 * FIRST_BUCKET - 1), (1, 2 * FIRST_BUCKET - 1));
    }
}
