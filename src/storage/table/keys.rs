//! Keys: a row's key (an integer, or a tuple of values), an index's key, and an index
//! entry (index key, row key), each ordered as the tables and indexes need.

use std::cmp::Ordering;
use std::sync::Arc;

use super::*;

pub type Row = Arc<[Value]>;

/// Whether two values are the same value of the same type: an index entry holding one
/// can stand for the other (1 and 1.0 compare equal but print differently).
pub(super) fn same_value(a: &Value, b: &Value) -> bool {
    a.type_name() == b.type_name() && a.total_cmp(b) == Ordering::Equal
}

/// The key a row is stored under.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowKey {
    Int(i64),
    /// Behind a thin pointer: a key is 16 bytes with room in its tag for an index
    /// entry's search sentinels ([`Slot`]), so an entry is 32 bytes.
    Tuple(Arc<Vec<Value>>),
}

impl RowKey {
    /// The key as `rowid` reads it: an integer key's value (a table without a key of
    /// its own has one); NULL for a key of another kind.
    pub fn rowid(&self) -> Value {
        match self {
            RowKey::Int(id) => Value::Integer(*id),
            RowKey::Tuple(_) => Value::Null,
        }
    }
}

impl Ord for RowKey {
    #[inline]
    fn cmp(&self, other: &RowKey) -> Ordering {
        match (self, other) {
            (RowKey::Int(a), RowKey::Int(b)) => a.cmp(b),
            (RowKey::Tuple(a), RowKey::Tuple(b)) => a.iter().cmp(b.iter()),
            (RowKey::Int(_), RowKey::Tuple(_)) => Ordering::Less,
            (RowKey::Tuple(_), RowKey::Int(_)) => Ordering::Greater,
        }
    }
}

impl Guess for RowKey {
    #[inline]
    fn fraction(lo: &RowKey, hi: &RowKey, key: &RowKey) -> Option<f64> {
        match (lo, hi, key) {
            (RowKey::Int(lo), RowKey::Int(hi), RowKey::Int(k)) => fraction(*lo as f64, *hi as f64, *k as f64),
            _ => None,
        }
    }
}

impl PartialOrd for RowKey {
    #[inline]
    fn partial_cmp(&self, other: &RowKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for RowKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowKey::Int(i) => write!(f, "{i}"),
            RowKey::Tuple(vs) => {
                let parts: Vec<String> = vs.iter().map(crate::storage::schema::literal_sql).collect();
                write!(f, "({})", parts.join(", "))
            }
        }
    }
}

/// Where an index entry sits among the entries of equal key values: `Lo` and `Hi`
/// bracket all rows of one key, so a lookup is a range scan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Slot {
    Lo,
    Row(RowKey),
    Hi,
}

impl Ord for Slot {
    #[inline]
    fn cmp(&self, other: &Slot) -> Ordering {
        match (self, other) {
            (Slot::Row(a), Slot::Row(b)) => a.cmp(b),
            (Slot::Lo, Slot::Lo) | (Slot::Hi, Slot::Hi) => Ordering::Equal,
            (Slot::Lo, _) | (_, Slot::Hi) => Ordering::Less,
            (Slot::Hi, _) | (_, Slot::Lo) => Ordering::Greater,
        }
    }
}

impl PartialOrd for Slot {
    #[inline]
    fn partial_cmp(&self, other: &Slot) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The indexed values of one row. A one-column key is held inline, so comparing keys
/// while searching an index follows no pointer for numbers.
#[derive(Clone, Debug)]
pub enum IndexKey {
    One(Value),
    /// Behind a thin pointer, so that a key is 16 bytes (the one-value variant's tag
    /// has room for this one) and an index entry 40 (48 with a slice's fat pointer).
    Many(Arc<Vec<Value>>),
}

impl IndexKey {
    pub fn from_vec(mut values: Vec<Value>) -> IndexKey {
        match values.len() {
            1 => IndexKey::One(values.pop().expect("one value")),
            _ => IndexKey::Many(Arc::new(values)),
        }
    }

    pub fn as_slice(&self) -> &[Value] {
        match self {
            IndexKey::One(v) => std::slice::from_ref(v),
            IndexKey::Many(vs) => vs,
        }
    }
}

impl PartialEq for IndexKey {
    #[inline]
    fn eq(&self, other: &IndexKey) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for IndexKey {}

impl PartialOrd for IndexKey {
    #[inline]
    fn partial_cmp(&self, other: &IndexKey) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IndexKey {
    #[inline]
    fn cmp(&self, other: &IndexKey) -> Ordering {
        match (self, other) {
            // Integers (most indexed values) compare here, inlined into the search.
            (IndexKey::One(Value::Integer(a)), IndexKey::One(Value::Integer(b))) => a.cmp(b),
            (IndexKey::One(a), IndexKey::One(b)) => a.total_cmp(b),
            _ => self.as_slice().cmp(other.as_slice()),
        }
    }
}

/// An index entry: the indexed values, then the row they belong to. Entries compare
/// by both in turn (written out so that searches inline them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexEntry {
    pub key: IndexKey,
    pub slot: Slot,
}

/// Sorts index entries. Those of one integer under an integer row key (the usual index
/// of a rowid table) are sorted as pairs of integers, without a comparison that matches
/// on value kinds at every step: a statement's moved entries are sorted before they go
/// into the index all at once.
pub(super) fn sort_entries(entries: &mut [IndexEntry]) {
    let pair = |e: &IndexEntry| match e {
        IndexEntry { key: IndexKey::One(Value::Integer(v)), slot: Slot::Row(RowKey::Int(k)) } => Some((*v, *k)),
        _ => None,
    };
    let Some(mut pairs) = entries.iter().map(pair).collect::<Option<Vec<(i64, i64)>>>() else {
        entries.sort_unstable();
        return;
    };
    pairs.sort_unstable();
    for (e, (v, k)) in entries.iter_mut().zip(pairs) {
        *e = IndexEntry { key: IndexKey::One(Value::Integer(v)), slot: Slot::Row(RowKey::Int(k)) };
    }
}

impl Ord for IndexEntry {
    #[inline]
    fn cmp(&self, other: &IndexEntry) -> Ordering {
        self.key.cmp(&other.key).then_with(|| self.slot.cmp(&other.slot))
    }
}

impl Guess for IndexEntry {
    /// Entries of one numeric column give an estimate (their rows do not matter to it).
    #[inline]
    fn fraction(lo: &IndexEntry, hi: &IndexEntry, key: &IndexEntry) -> Option<f64> {
        use IndexKey::One;
        match (&lo.key, &hi.key, &key.key) {
            (One(Value::Integer(lo)), One(Value::Integer(hi)), One(Value::Integer(k))) => {
                fraction(*lo as f64, *hi as f64, *k as f64)
            }
            (One(Value::Real(lo)), One(Value::Real(hi)), One(Value::Real(k))) => fraction(*lo, *hi, *k),
            _ => None,
        }
    }
}

impl PartialOrd for IndexEntry {
    #[inline]
    fn partial_cmp(&self, other: &IndexEntry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
