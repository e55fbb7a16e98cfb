//! Text values: short text held inline, longer text shared.
//!
//! A `Value` is 16 bytes (a decoded row, a parameter, a result). Text of up to 14 bytes
//! (most names, codes and keys) lives inside the value itself and costs no allocation
//! and no pointer to follow; longer text is one shared, reference-counted string behind
//! a thin pointer, so copying a value never copies bytes. (Stored rows keep their text
//! as bytes in their page: see [`super::rows`].)
//!
//! ```
//! use amberdb::storage::text::Text;
//! let short = Text::new("ada");
//! let long = Text::new("a text longer than fourteen bytes");
//! assert_eq!((short.as_str(), long.len()), ("ada", 33));
//! assert!(long < short); // byte order: "a " before "ad"
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// How many bytes of text fit inside a value.
const INLINE: usize = 14;

#[derive(Clone)]
pub struct Text(Repr);

#[derive(Clone)]
enum Repr {
    Inline {
        len: u8,
        bytes: [u8; INLINE],
    },
    /// An `Arc<str>` behind one more (thin) pointer, so that text shared with other
    /// holders of an `Arc<str>` (message fields) is not copied.
    Shared(Arc<Arc<str>>),
}

impl Text {
    /// The shared text behind a long one; `None` for text held inline.
    pub fn shared(&self) -> Option<&Arc<Arc<str>>> {
        match &self.0 {
            Repr::Shared(s) => Some(s),
            Repr::Inline { .. } => None,
        }
    }

    pub fn new(s: &str) -> Text {
        Text::inline(s).unwrap_or_else(|| Text(Repr::Shared(Arc::new(Arc::from(s)))))
    }

    /// Text of `len` bytes at the start of `bytes`, which were a `str` when they were
    /// stored (a row's encoding); more bytes may follow. Short text is copied as is:
    /// reading it as a `str` checks it, as for any inline text. When enough bytes
    /// follow, a fixed 14 are copied in one move (what follows the text is never read).
    pub fn from_stored(bytes: &[u8], len: usize) -> Text {
        if len <= INLINE {
            let mut inline = [0u8; INLINE];
            match bytes.get(..INLINE) {
                Some(fixed) => inline.copy_from_slice(fixed),
                None => inline[..len].copy_from_slice(&bytes[..len]),
            }
            return Text(Repr::Inline { len: len as u8, bytes: inline });
        }
        Text::new(std::str::from_utf8(&bytes[..len]).expect("stored text was a str"))
    }

    fn inline(s: &str) -> Option<Text> {
        if s.len() > INLINE {
            return None;
        }
        let mut bytes = [0u8; INLINE];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Text(Repr::Inline { len: s.len() as u8, bytes }))
    }

    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, bytes } => &bytes[..*len as usize],
            Repr::Shared(s) => s.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..*len as usize]).expect("inline text is copied from a str")
            }
            Repr::Shared(s) => s,
        }
    }

    /// The text as a shared string: the same allocation when it has one.
    pub fn to_arc(&self) -> Arc<str> {
        match &self.0 {
            Repr::Inline { .. } => Arc::from(self.as_str()),
            Repr::Shared(s) => Arc::clone(s),
        }
    }
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::new(&s)
    }
}

/// Keeps the shared string (no copy) unless the text fits inline.
impl From<Arc<str>> for Text {
    fn from(s: Arc<str>) -> Text {
        Text::inline(&s).unwrap_or_else(|| Text(Repr::Shared(Arc::new(s))))
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Text {}

impl PartialOrd for Text {
    fn partial_cmp(&self, other: &Text) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Byte order, as SQLite compares text by default.
impl Ord for Text {
    fn cmp(&self, other: &Text) -> Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

/// Hashes as `str` does, from the bytes (no UTF-8 check on the way).
impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
        state.write_u8(0xff);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Written as a plain string, as an `Arc<str>` was: logs and checkpoints keep their format.
impl Serialize for Text {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text::new(s))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<Text>(), 16);
        assert_eq!(std::mem::size_of::<crate::storage::Value>(), 16);
    }

    #[test]
    fn inline_and_shared_text_read_and_compare_the_same() {
        let cases = ["", "a", "fourteen bytes", "fifteen bytes!!", "ünïcödé ✓ text that is long", "ü"];
        for a in cases {
            let t = Text::new(a);
            assert_eq!(t.as_str(), a);
            assert_eq!(t.as_bytes(), a.as_bytes());
            assert_eq!(Text::from(Arc::<str>::from(a)), t);
            assert_eq!(&*t.to_arc(), a);
            for b in cases {
                assert_eq!(t.cmp(&Text::new(b)), a.as_bytes().cmp(b.as_bytes()), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn text_hashes_as_its_str() {
        use std::hash::BuildHasher;
        let h = std::collections::hash_map::RandomState::new();
        for s in ["", "ada", "a text longer than fourteen bytes"] {
            assert_eq!(h.hash_one(Text::new(s)), h.hash_one(s));
        }
    }

    #[test]
    fn shared_text_keeps_its_allocation() {
        let s: Arc<str> = Arc::from("a message body longer than fourteen bytes");
        let t = Text::from(s.clone());
        assert!(Arc::ptr_eq(&t.to_arc(), &s));
    }

    #[test]
    fn text_is_written_as_a_string() {
        let t = Text::new("hello, world, at length");
        let as_text = postcard::to_allocvec(&t).expect("encodes");
        let as_str = postcard::to_allocvec(&"hello, world, at length").expect("encodes");
        assert_eq!(as_text, as_str);
        assert_eq!(postcard::from_bytes::<Text>(&as_str).expect("decodes"), t);
    }
}
