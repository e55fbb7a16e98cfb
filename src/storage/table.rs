//! Tables: rows in a persistent ordered map by key, plus their indexes.
//!
//! Rows are stored packed into pages ([`super::rows`]); a row read or written on its own
//! is an `Arc<[Value]>`. The row key is the integer primary key (or a hidden rowid) when
//! there is one, compared as a plain `i64`; a composite or non-integer primary key is a
//! tuple of values. Every UNIQUE constraint has an index,
//! an ordered set of `(key values, row key)` entries, updated in the same step as the row.

use std::cmp::Ordering;
use std::ops::Bound;
use std::sync::Arc;

use imbl::{OrdMap, OrdSet};
use serde::{Deserialize, Serialize};

use super::pagemap::{fraction, Guess, KeySet};
use super::rows::{decode_into, decode_some, Mask, Rows};
use super::schema::{IndexDef, TableSchema};
use super::value::Value;
use crate::error::{Error, ErrorKind, Result};

pub type Row = Arc<[Value]>;

/// Whether two values are the same value of the same type: an index entry holding one
/// can stand for the other (1 and 1.0 compare equal but print differently).
fn same_value(a: &Value, b: &Value) -> bool {
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
                let parts: Vec<String> = vs.iter().map(super::schema::literal_sql).collect();
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
fn sort_entries(entries: &mut [IndexEntry]) {
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

#[derive(Clone, Debug)]
pub struct Table {
    pub schema: Arc<TableSchema>,
    pub rows: Rows,
    pub indexes: Vec<Index>,
    /// The next hidden rowid (or integer key when inserted as NULL).
    pub next_rowid: i64,
    /// When rows expire (microseconds since the epoch), for the rows that do.
    pub expiry: OrdMap<RowKey, i64>,
    /// The same, ordered by time: the sweeper's index.
    pub expiry_order: OrdSet<(i64, RowKey)>,
}

/// An index's entries taking the rows in the order given by positions, if that order
/// covers every row once and is the index's order.
fn entries_in_order(index: &Index, rows: &[(RowKey, Row)], order: &[u32]) -> Option<Vec<IndexEntry>> {
    if order.len() != rows.len() {
        return None;
    }
    let entries: Vec<IndexEntry> =
        order.iter().map(|&p| rows.get(p as usize).map(|(k, r)| index.entry_of(k, r))).collect::<Option<_>>()?;
    // Strictly ascending and as many as the rows: every row exactly once, in order.
    entries.windows(2).all(|w| w[0] < w[1]).then_some(entries)
}

/// Entries sorted by index key, equal keys in the order given, with two threads for a
/// large list: each sorts half, and the halves are merged.
fn sort_by_key_stable(mut entries: Vec<IndexEntry>) -> Vec<IndexEntry> {
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
fn integer_set(mut pairs: Vec<(i64, i64)>, unique: bool) -> Built {
    pairs.sort_unstable();
    if let Some(w) = unique.then(|| pairs.windows(2).find(|w| w[0].0 == w[1].0)).flatten() {
        return Err(vec![Value::Integer(w[0].0)]);
    }
    let entry =
        |(v, k): (i64, i64)| IndexEntry { key: IndexKey::One(Value::Integer(v)), slot: Slot::Row(RowKey::Int(k)) };
    Ok(KeySet::from_sorted(pairs.into_iter().map(entry)))
}

/// An index's entries as a set, or the key values two rows share in a unique index.
type Built = std::result::Result<KeySet<IndexEntry>, Vec<Value>>;

/// Builds an index over `len` rows. `rows` hands its visitor each row in row-key order
/// (at least the index's columns filled) until the visitor returns false; it is called
/// a second time when the first pass meets a value that is not an integer.
fn index_set(index: &Index, len: usize, mut rows: impl FnMut(&mut dyn FnMut(&RowKey, &[Value]) -> bool)) -> Built {
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

/// [`index_set`] over rows held in a list, in row-key order.
fn index_set_of(index: &Index, rows: &[(RowKey, Row)]) -> Built {
    index_set(index, rows.len(), |visit| {
        for (key, row) in rows {
            if !visit(key, row) {
                break;
            }
        }
    })
}

impl Table {
    pub fn new(schema: TableSchema) -> Table {
        let uniques = schema.uniques.iter().map(|u| Index::new(u.name.clone(), u.columns.clone(), true));
        let secondary = schema.indexes.iter().map(|i| Index::new(i.name.clone(), i.columns.clone(), i.unique));
        let indexes = uniques.chain(secondary).collect();
        Table {
            schema: Arc::new(schema),
            rows: Rows::new(),
            indexes,
            next_rowid: 1,
            expiry: OrdMap::new(),
            expiry_order: OrdSet::new(),
        }
    }

    pub fn name(&self) -> &str {
        &self.schema.name
    }

    /// The key a row is stored under; `None` for a hidden rowid, which the caller assigns.
    pub fn key_for(&self, row: &[Value]) -> Option<RowKey> {
        if let Some(i) = self.schema.integer_key() {
            return match row[i] {
                Value::Integer(k) => Some(RowKey::Int(k)),
                _ => None,
            };
        }
        if self.schema.primary_key.is_empty() {
            return None;
        }
        Some(RowKey::Tuple(Arc::new(self.schema.primary_key.iter().map(|&i| row[i].clone()).collect())))
    }

    /// Takes the next automatic key, as SQLite does: one past the largest used.
    pub fn allocate_rowid(&mut self) -> Result<i64> {
        let last = match self.rows.max_key() {
            Some(RowKey::Int(k)) => k,
            _ => 0,
        };
        let id = self.next_rowid.max(last.saturating_add(1));
        if id == i64::MAX {
            return Err(Error::invalid(format!("table {} has run out of row ids", self.name())));
        }
        self.next_rowid = id + 1;
        Ok(id)
    }

    fn constraint_error(&self, kind: &'static str, cols: &[usize], values: &[Value]) -> Error {
        let detail = values.iter().map(super::schema::literal_sql).collect::<Vec<_>>().join(", ");
        ErrorKind::Constraint {
            kind,
            table: self.schema.name.clone(),
            columns: self.schema.column_names(cols),
            detail: format!("duplicate value {detail}"),
        }
        .into()
    }

    fn check_unique(&self, row: &[Value], except: Option<&RowKey>) -> Result<()> {
        for index in self.indexes.iter().filter(|i| i.unique) {
            let key = index.key_of(row);
            if key.as_slice().iter().any(Value::is_null) {
                continue;
            }
            if index.lookup(&key).any(|k| Some(k) != except) {
                return Err(self.constraint_error("UNIQUE", &index.columns, key.as_slice()));
            }
        }
        Ok(())
    }

    fn index_add(&mut self, key: &RowKey, row: &[Value]) {
        for index in &mut self.indexes {
            index.entries.insert(index.entry_of(key, row));
        }
    }

    fn index_remove(&mut self, key: &RowKey, row: &[Value]) {
        for index in &mut self.indexes {
            index.entries.remove(&index.entry_of(key, row));
        }
    }

    pub fn index(&self, name: &str) -> Option<&Index> {
        // Plans name an index as it is stored: an exact match is found first, without
        // folding case byte by byte.
        self.indexes
            .iter()
            .find(|i| i.name == name)
            .or_else(|| self.indexes.iter().find(|i| i.name.eq_ignore_ascii_case(name)))
    }

    /// Builds a new secondary index over the existing rows (refusing duplicates when it
    /// is unique).
    pub fn add_index(&mut self, def: IndexDef) -> Result<()> {
        let mut index = Index::new(def.name.clone(), def.columns.clone(), def.unique);
        self.build_index(&mut index)?;
        let mut schema = (*self.schema).clone();
        schema.indexes.push(def);
        self.schema = Arc::new(schema);
        self.indexes.push(index);
        Ok(())
    }

    /// Fills an empty index from the table's rows, checking uniqueness.
    fn build_index(&self, index: &mut Index) -> Result<()> {
        // Only the index's columns are decoded.
        let width = self.schema.columns.len();
        let entries =
            index_set(index, self.rows.len(), |visit| self.rows.for_each_decoded(&index.columns, width, visit));
        index.entries = entries.map_err(|clash| self.constraint_error("UNIQUE", &index.columns, &clash))?;
        Ok(())
    }

    /// A table rebuilt from stored rows (a checkpoint), which must be in ascending key
    /// order; its indexes are built from them. `orders` may give, for each index, the
    /// positions of the rows in the index's order; an order that turns out wrong (or is
    /// missing) is replaced by sorting.
    pub fn load(
        schema: TableSchema,
        next_rowid: i64,
        rows: Vec<(RowKey, Row)>,
        orders: Vec<Vec<u32>>,
    ) -> Result<Table> {
        schema.check_consistent().map_err(ErrorKind::Invalid)?;
        let mut table = Table::new(schema);
        if let Some(w) = rows.windows(2).find(|w| w[0].0 >= w[1].0) {
            return Err(Error::invalid(format!("table {}: row key {} is out of order", table.name(), w[1].0)));
        }
        for (_, row) in &rows {
            table.check_width(row)?;
        }
        table.next_rowid = next_rowid;
        // The row map and each index are built on threads of their own: on load they are
        // most of the time it takes to open a database.
        let mut indexes = std::mem::take(&mut table.indexes);
        let (map, built) = std::thread::scope(|s| {
            let workers: Vec<_> = indexes
                .iter()
                .enumerate()
                .map(|(i, index)| {
                    let (rows, order) = (&rows, orders.get(i));
                    s.spawn(move || match order.and_then(|o| entries_in_order(index, rows, o)) {
                        Some(entries) => Ok(KeySet::from_sorted(entries)),
                        None => index_set_of(index, rows),
                    })
                })
                .collect();
            let map = Rows::from_sorted(rows.iter().map(|(k, r)| (k, &r[..])));
            let built: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
            (map, built)
        });
        table.rows = map;
        for (index, entries) in indexes.iter_mut().zip(built) {
            let entries = entries.map_err(|_| Error::invalid("building an index failed"))?;
            index.entries = entries.map_err(|clash| table.constraint_error("UNIQUE", &index.columns, &clash))?;
        }
        table.indexes = indexes;
        Ok(table)
    }

    /// Removes a secondary index.
    pub fn drop_index(&mut self, name: &str) -> Result<()> {
        let mut schema = (*self.schema).clone();
        let before = schema.indexes.len();
        schema.indexes.retain(|i| !i.name.eq_ignore_ascii_case(name));
        if schema.indexes.len() == before {
            return Err(Error::invalid(format!("no such index: {name}")));
        }
        self.schema = Arc::new(schema);
        self.indexes.retain(|i| !i.name.eq_ignore_ascii_case(name));
        Ok(())
    }

    /// The keys of rows whose `cols` equal `vals`: by key, through an index that starts
    /// with those columns, or by a scan.
    pub fn keys_where(&self, cols: &[usize], vals: &[Value]) -> Vec<RowKey> {
        let pk = &self.schema.primary_key;
        if !pk.is_empty() && pk.as_slice() == cols {
            let key = match self.schema.integer_key() {
                Some(_) => match vals[0] {
                    Value::Integer(i) => RowKey::Int(i),
                    _ => return Vec::new(),
                },
                None => RowKey::Tuple(Arc::new(vals.to_vec())),
            };
            return if self.rows.contains_key(&key) { vec![key] } else { Vec::new() };
        }
        if let Some(index) = self.indexes.iter().find(|ix| ix.columns.starts_with(cols)) {
            let from = IndexEntry { key: IndexKey::from_vec(vals.to_vec()), slot: Slot::Lo };
            return index
                .entries
                .range(Bound::Included(&from), Bound::Unbounded)
                .take_while(|e| e.key.as_slice().starts_with(vals))
                .filter_map(|e| match &e.slot {
                    Slot::Row(k) => Some(k.clone()),
                    _ => None,
                })
                .collect();
        }
        let mut keys = Vec::new();
        self.rows.for_each_decoded(cols, self.schema.columns.len(), |key, row| {
            if cols.iter().zip(vals).all(|(&c, v)| row[c] == *v) {
                keys.push(key.clone());
            }
            true
        });
        keys
    }

    fn no_row(&self, key: &RowKey) -> Error {
        Error::invalid(format!("no row with key {key} in table {}", self.name()))
    }

    /// Refuses a row whose width does not match the schema (a write planned against
    /// another version of the table).
    fn check_width(&self, row: &[Value]) -> Result<()> {
        if row.len() == self.schema.columns.len() {
            Ok(())
        } else {
            Err(ErrorKind::Conflict(format!("table {} was altered while the statement ran", self.name())).into())
        }
    }

    /// Adds a row under a key that must be new.
    pub fn insert(&mut self, key: RowKey, row: &[Value]) -> Result<()> {
        self.check_width(row)?;
        // The key is checked first (by the insert itself), as SQLite does for an integer
        // key; a row that then breaks a unique index is taken out again.
        if !self.rows.insert_new(key.clone(), row) {
            let pk = &self.schema.primary_key;
            let values: Vec<Value> = pk.iter().map(|&i| row[i].clone()).collect();
            return Err(self.constraint_error("PRIMARY KEY", pk, &values));
        }
        if let Err(e) = self.check_unique(row, None) {
            self.rows.discard(&key);
            return Err(e);
        }
        if let RowKey::Int(k) = key {
            self.next_rowid = self.next_rowid.max(k.saturating_add(1));
        }
        self.index_add(&key, row);
        Ok(())
    }

    /// Replaces the row stored under an existing key.
    pub fn update(&mut self, key: RowKey, row: &[Value]) -> Result<()> {
        self.check_width(row)?;
        if self.indexes.is_empty() {
            // No index entry to move: the row is replaced in one step.
            return if self.rows.replace(&key, row) { Ok(()) } else { Err(self.no_row(&key)) };
        }
        self.check_unique(row, Some(&key))?;
        let Some(old) = self.rows.replace_returning(&key, row) else {
            return Err(self.no_row(&key));
        };
        // Only the indexes whose columns changed move their entry.
        for index in &mut self.indexes {
            if let Some((was, now)) = index.moved(&key, &old, row) {
                index.entries.remove(&was);
                index.entries.insert(now);
            }
        }
        Ok(())
    }

    /// Replaces the rows under the keys of `rows` (strictly ascending), as many
    /// [`Table::update`]s would, but each page once, and each index's moved entries
    /// removed and added all at once (see [`KeySet::remove_sorted`]). Unique keys are
    /// checked when all rows are changed: a clash is one the new rows have among
    /// themselves or with the others.
    pub fn update_sorted(&mut self, rows: &[(RowKey, Row)]) -> Result<()> {
        for (_, row) in rows {
            self.check_width(row)?;
        }
        let mut moved: Vec<(Vec<IndexEntry>, Vec<IndexEntry>)> =
            self.indexes.iter().map(|_| (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()))).collect();
        let indexes = &self.indexes;
        let mut old = Vec::new();
        let missing = self.rows.replace_sorted(rows, |key, bytes, row| {
            if indexes.is_empty() {
                return;
            }
            decode_into(bytes, &mut old);
            for (index, (gone, added)) in indexes.iter().zip(&mut moved) {
                if let Some((was, now)) = index.moved(key, &old, row) {
                    gone.push(was);
                    added.push(now);
                }
            }
        });
        if let Some(key) = missing {
            return Err(self.no_row(&key));
        }
        for (i, (mut gone, mut added)) in moved.into_iter().enumerate() {
            if gone.is_empty() {
                continue;
            }
            sort_entries(&mut gone);
            sort_entries(&mut added);
            let index = &mut self.indexes[i];
            index.entries.remove_sorted(&gone);
            if !index.unique {
                index.entries.insert_sorted(added);
                continue;
            }
            index.entries.insert_sorted(added.clone());
            for entry in &added {
                if !entry.key.as_slice().iter().any(Value::is_null) && index.lookup(&entry.key).nth(1).is_some() {
                    return Err(self.constraint_error("UNIQUE", &self.indexes[i].columns, entry.key.as_slice()));
                }
            }
        }
        Ok(())
    }

    /// Removes the row stored under a key; removing a missing row is an error.
    pub fn delete(&mut self, key: &RowKey) -> Result<()> {
        if self.discard(key) {
            Ok(())
        } else {
            Err(self.no_row(key))
        }
    }

    /// Removes the row stored under a key, if there is one, without handing it back.
    pub fn discard(&mut self, key: &RowKey) -> bool {
        if !self.indexes.is_empty() {
            return self.remove(key).is_some();
        }
        // No index entry to remove: the row need not be decoded.
        let found = self.rows.discard(key);
        self.set_expiry(key, None);
        found
    }

    /// Removes the rows under `keys` (strictly ascending), calling `removed` with the key
    /// of each one there was; how many. Each page and index node is changed once however
    /// many of its rows go (see [`Rows::remove_sorted`]).
    pub fn remove_sorted(&mut self, keys: &[RowKey], mut removed: impl FnMut(&RowKey)) -> usize {
        let mut entries: Vec<Vec<IndexEntry>> = self.indexes.iter().map(|_| Vec::with_capacity(keys.len())).collect();
        // Only the indexes' columns are decoded.
        let columns = Mask::of(self.indexes.iter().flat_map(|i| i.columns.iter().copied()));
        let mut row = vec![Value::Null; self.schema.columns.len()];
        let indexes = &self.indexes;
        let count = self.rows.remove_sorted(keys, |key, bytes| {
            removed(key);
            if indexes.is_empty() {
                return;
            }
            match columns {
                Some(columns) => decode_some(bytes, columns, &mut row),
                None => decode_into(bytes, &mut row),
            }
            for (index, entries) in indexes.iter().zip(&mut entries) {
                entries.push(index.entry_of(key, &row));
            }
        });
        for (index, mut entries) in self.indexes.iter_mut().zip(entries) {
            sort_entries(&mut entries);
            index.entries.remove_sorted(&entries);
        }
        if !self.expiry.is_empty() {
            for key in keys {
                self.set_expiry(key, None);
            }
        }
        count
    }

    /// Removes the row stored under a key, if there is one.
    pub fn remove(&mut self, key: &RowKey) -> Option<Row> {
        let old = self.rows.remove(key)?;
        self.index_remove(key, &old);
        self.set_expiry(key, None);
        Some(old)
    }

    /// Sets (or with `None` clears) the time a stored row expires.
    pub fn set_expiry(&mut self, key: &RowKey, at: Option<i64>) {
        if let Some(old) = self.expiry.remove(key) {
            self.expiry_order.remove(&(old, key.clone()));
        }
        if let Some(at) = at {
            self.expiry.insert(key.clone(), at);
            self.expiry_order.insert((at, key.clone()));
        }
    }

    /// Whether the row under `key` is visible at `now`: not expired.
    #[inline]
    pub fn is_live(&self, key: &RowKey, now: i64) -> bool {
        self.expiry.is_empty() || self.expiry.get(key).is_none_or(|&at| at > now)
    }

    /// True when some row has expired by `now`.
    pub fn has_expired(&self, now: i64) -> bool {
        self.has_expired_by(|| now)
    }

    /// Like [`Table::has_expired`], reading the clock only when some row can expire.
    pub fn has_expired_by(&self, now: impl FnOnce() -> i64) -> bool {
        self.expiry_order.get_min().is_some_and(|(at, _)| *at <= now())
    }

    /// The keys of the rows expired by `now`, soonest first: the cost follows their
    /// number, not the table's size.
    pub fn expired_keys(&self, now: i64) -> Vec<RowKey> {
        self.expiry_order.iter().take_while(|(at, _)| *at <= now).map(|(_, k)| k.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::schema::{Column, DataType, UniqueConstraint};

    fn users() -> Table {
        let col = |name: &str, ty| Column { name: name.into(), ty, not_null: false, default: None };
        Table::new(TableSchema {
            name: "users".into(),
            columns: vec![col("id", DataType::Integer), col("email", DataType::Text)],
            primary_key: vec![0],
            uniques: vec![UniqueConstraint { name: "users_email".into(), columns: vec![1] }],
            ..TableSchema::default()
        })
    }

    fn row(id: i64, email: &str) -> Row {
        Arc::from(vec![Value::Integer(id), Value::text(email)])
    }

    #[test]
    fn index_builds_agree_with_inserting_one_by_one() {
        let ints: Vec<(RowKey, Row)> =
            (0..1_000).map(|i| (RowKey::Int(i), Arc::from(vec![Value::Integer((i * 7919) % 97 - 40)]))).collect();
        // Mixed keys, enough of them for the two-thread sort.
        let mixed: Vec<(RowKey, Row)> = (0..60_000)
            .map(|i| {
                let v = match i % 3 {
                    0 => Value::Integer(i % 501),
                    1 => Value::Real((i % 307) as f64 / 2.0),
                    _ => Value::text(&format!("k{}", i % 211)),
                };
                (RowKey::Int(i), Arc::from(vec![v]))
            })
            .collect();
        // Integer values under composite row keys.
        let tuples: Vec<(RowKey, Row)> = (0..1_000)
            .map(|i| {
                (
                    RowKey::Tuple(Arc::new(vec![Value::text(&format!("{i:04}"))])),
                    Arc::from(vec![Value::Integer(i % 10)]),
                )
            })
            .collect();
        let index = Index::new("i".into(), vec![0], false);
        for rows in [ints, mixed, tuples] {
            let built = index_set_of(&index, &rows).unwrap();
            let mut one_by_one = KeySet::new();
            for (k, r) in &rows {
                one_by_one.insert(index.entry_of(k, r));
            }
            assert_eq!(built, one_by_one);
            let unique = Index::new("u".into(), vec![0], true);
            assert!(index_set_of(&unique, &rows).is_err(), "keys repeat");
        }
    }

    #[test]
    fn unique_index_follows_rows() {
        let mut t = users();
        t.insert(RowKey::Int(1), &row(1, "a")).unwrap();
        let err = t.insert(RowKey::Int(2), &row(2, "a")).unwrap_err();
        assert!(err.to_string().contains("UNIQUE constraint failed: users.email"), "{err}");
        t.update(RowKey::Int(1), &row(1, "b")).unwrap();
        t.insert(RowKey::Int(2), &row(2, "a")).unwrap();
        t.delete(&RowKey::Int(1)).unwrap();
        t.insert(RowKey::Int(3), &row(3, "b")).unwrap();
        assert_eq!(t.indexes[0].entries.len(), 2);
    }

    #[test]
    fn removing_many_rows_at_once_agrees_with_removing_them_one_by_one() {
        let tuple = |i: i64| RowKey::Tuple(Arc::new(vec![Value::text(&format!("{i:05}"))]));
        for key in [RowKey::Int as fn(i64) -> RowKey, tuple] {
            let mut t = users();
            for i in 0..3_000 {
                t.insert(key(i), &row(i, &format!("user{}", i * 7 % 3_000))).unwrap();
            }
            let before = t.clone();
            // Keys not there are passed over; every third row and a long run go.
            let gone: Vec<RowKey> = (0..3_100).filter(|i| i % 3 == 0 || (1_000..1_900).contains(i)).map(key).collect();
            let mut seen = Vec::new();
            let mut many = t.clone();
            assert_eq!(many.remove_sorted(&gone, |k| seen.push(k.clone())), 1_600);
            let mut one_by_one = t;
            for k in &gone {
                one_by_one.discard(k);
            }
            assert_eq!(seen.len(), 1_600);
            assert!(seen.iter().all(|k| before.rows.get(k).is_some() && many.rows.get(k).is_none()));
            assert!(many.rows.iter().eq(one_by_one.rows.iter()));
            assert_eq!(many.rows.len(), 1_400);
            assert_eq!(many.indexes[0].entries, one_by_one.indexes[0].entries);
            assert_eq!(many.indexes[0].entries.len(), 1_400);
            // The copy taken before is untouched.
            assert_eq!(before.rows.len(), 3_000);
            assert_eq!(before.indexes[0].entries.len(), 3_000);
            assert!(before.rows.iter().all(|(k, r)| many.rows.get(&k).is_none_or(|m| m == r)));
        }
    }

    #[test]
    fn changing_many_rows_at_once_moves_their_index_entries_and_checks_unique_keys() {
        let mut t = users();
        for i in 0..500 {
            t.insert(RowKey::Int(i), &row(i, &format!("user{i}"))).unwrap();
        }
        let before = t.clone();
        // Every other row gets a long new email: pages grow past their size and split.
        let long = |i: i64| format!("someone.with.a.rather.long.address.number.{i}@example.com");
        let changes: Vec<(RowKey, Row)> = (0..500).step_by(2).map(|i| (RowKey::Int(i), row(i, &long(i)))).collect();
        let mut many = t.clone();
        many.update_sorted(&changes).unwrap();
        let mut one_by_one = t.clone();
        for (k, r) in &changes {
            one_by_one.update(k.clone(), r).unwrap();
        }
        assert!(many.rows.iter().eq(one_by_one.rows.iter()));
        assert_eq!(many.indexes[0].entries, one_by_one.indexes[0].entries);
        assert_eq!(many.rows.get(&RowKey::Int(4)), Some(row(4, &long(4))));
        assert_eq!(before.rows.get(&RowKey::Int(4)), Some(row(4, "user4")));
        // Two rows given one email, or a row given another's, break the unique key.
        for clash in [
            vec![(RowKey::Int(1), row(1, "x")), (RowKey::Int(3), row(3, "x"))],
            vec![(RowKey::Int(1), row(1, "user2"))],
        ] {
            let err = t.clone().update_sorted(&clash).unwrap_err();
            assert!(err.to_string().contains("UNIQUE constraint failed: users.email"), "{err}");
        }
        // A key with no row is named.
        let err = t.update_sorted(&[(RowKey::Int(9_999), row(9_999, "z"))]).unwrap_err();
        assert!(err.to_string().contains("no row with key 9999"), "{err}");
    }

    #[test]
    fn duplicate_primary_key_is_refused() {
        let mut t = users();
        t.insert(RowKey::Int(1), &row(1, "a")).unwrap();
        let err = t.insert(RowKey::Int(1), &row(1, "z")).unwrap_err();
        assert!(err.to_string().starts_with("PRIMARY KEY constraint failed: users.id"), "{err}");
        assert_eq!(t.allocate_rowid().unwrap(), 2);
    }
}

#[cfg(test)]
mod layout {
    #[test]
    fn an_index_entry_is_four_words() {
        assert_eq!(std::mem::size_of::<super::IndexKey>(), 16);
        assert_eq!(std::mem::size_of::<super::RowKey>(), 16);
        assert_eq!(std::mem::size_of::<super::IndexEntry>(), 32);
    }
}
