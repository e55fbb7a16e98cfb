//! Message streams with Message DB's semantics, held in the versioned state.
//!
//! A namespace has one [`MessageStore`]: every message in global order (global position
//! `g` sits at index `g - 1`), and for each stream and each category the global
//! positions of its messages in order. All of it is built from `imbl` vectors and maps,
//! so a snapshot of the state holds its streams as they were at no cost.
//!
//! Stream names follow Message DB: the category is the part before the first `-`, the
//! id the rest, and the cardinal id the id before its first `+`.

use std::sync::Arc;

use imbl::{OrdMap, Vector};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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

/// The messages of one namespace.
#[derive(Clone, Debug, Default)]
pub struct MessageStore {
    messages: Vector<Arc<Message>>,
    /// Stream name to its messages, by stream position. The lists hold the messages
    /// themselves, so a read walks one list without looking each one up again; each
    /// sits behind an `Arc`, so copying a map node on write bumps one count per entry
    /// rather than cloning every list's chunk pointers.
    streams: OrdMap<Arc<str>, Arc<Vector<Arc<Message>>>>,
    /// Category to its messages, by global position.
    categories: OrdMap<Arc<str>, Arc<Vector<Arc<Message>>>>,
    /// Message id (a UUID's bits) to global position: ids are unique.
    ids: OrdMap<u128, i64>,
}

impl MessageStore {
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The position of the stream's last message; `None` for a stream with none.
    pub fn stream_version(&self, stream: &str) -> Option<i64> {
        self.streams.get(stream).map(|s| s.len() as i64 - 1)
    }

    /// Whether a message with this id was written.
    pub fn has_id(&self, id: &str) -> bool {
        uuid_bits(id).is_some_and(|bits| self.ids.contains_key(&bits))
    }

    pub fn stream_count(&self) -> usize {
        self.streams.len()
    }

    /// The message at a global position.
    pub fn get(&self, global_position: i64) -> Option<&Arc<Message>> {
        usize::try_from(global_position - 1).ok().and_then(|i| self.messages.get(i))
    }

    /// Every message in global order.
    pub fn messages(&self) -> impl Iterator<Item = &Arc<Message>> {
        self.messages.iter()
    }

    /// Stores a message at the end of its stream, giving it the next global position.
    /// Its `position` must be the stream's next one (else another writer got there
    /// first) and its id must be new.
    pub fn append(&mut self, message: &Message) -> Result<i64> {
        let next = self.stream_version(&message.stream_name).map_or(0, |v| v + 1);
        if message.position != next {
            return Err(Error::Conflict(format!(
                "stream {} was written by another transaction (this message was for position {}, the stream is at \
                 version {})",
                message.stream_name,
                message.position,
                next - 1
            )));
        }
        let Some(bits) = uuid_bits(&message.id) else {
            return Err(Error::invalid(format!("message id {:?} is not a UUID", message.id)));
        };
        if self.ids.contains_key(&bits) {
            return Err(Error::invalid(format!("a message with id {} already exists", message.id)));
        }
        let global = self.messages.len() as i64 + 1;
        let group_hash = group_hash(&message.stream_name);
        let stored = Arc::new(Message { global_position: global, group_hash, ..message.clone() });
        push_message(&mut self.streams, &stored.stream_name, &stored);
        push_message(&mut self.categories, category(&stored.stream_name), &stored);
        self.ids.insert(bits, global);
        self.messages.push_back(stored);
        Ok(global)
    }

    /// Removes every message after global position `keep` (restoring a snapshot).
    pub fn truncate(&mut self, keep: usize) {
        while self.messages.len() > keep {
            let Some(m) = self.messages.pop_back() else { break };
            remove_last(&mut self.streams, &m.stream_name);
            remove_last(&mut self.categories, category(&m.stream_name));
            if let Some(bits) = uuid_bits(&m.id) {
                self.ids.remove(&bits);
            }
        }
    }

    /// The stream's messages from `position` on, in order.
    pub fn stream_from(&self, stream: &str, position: i64) -> impl Iterator<Item = &Arc<Message>> + '_ {
        let start = position.max(0) as usize;
        from_index(self.streams.get(stream), move |_| start)
    }

    /// The category's messages from global position `from` on, in order.
    pub fn category_from(&self, category: &str, from: i64) -> impl Iterator<Item = &Arc<Message>> + '_ {
        from_index(self.categories.get(category), move |c| {
            c.binary_search_by(|m| m.global_position.cmp(&from)).unwrap_or_else(|i| i)
        })
    }

    /// The stream's messages from the last back.
    pub fn stream_rev(&self, stream: &str) -> impl Iterator<Item = &Arc<Message>> + '_ {
        self.streams.get(stream).into_iter().flat_map(|s| s.iter().rev())
    }

    /// The stream's last message.
    pub fn last_of(&self, stream: &str) -> Option<&Arc<Message>> {
        self.streams.get(stream).and_then(|s| s.last())
    }

    /// The number of messages two stores share from the start (the same writes).
    pub fn common_prefix(&self, other: &MessageStore) -> usize {
        self.messages.iter().zip(other.messages.iter()).take_while(|(a, b)| Arc::ptr_eq(a, b) || a == b).count()
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
}
