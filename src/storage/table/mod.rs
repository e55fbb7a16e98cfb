//! Tables: rows in a persistent ordered map by key, plus their indexes.
//!
//! Rows are stored packed into pages ([`super::rows`]); a row read or written on its own
//! is an `Arc<[Value]>`. The row key is the integer primary key (or a hidden rowid) when
//! there is one, compared as a plain `i64`; a composite or non-integer primary key is a
//! tuple of values. Every UNIQUE constraint has an index,
//! an ordered set of `(key values, row key)` entries, updated in the same step as the row.
//!
//! - this file — [`Table`]: its rows and indexes, reads and writes
//! - `keys` — row keys, index keys and index entries, and their order
//! - `index` — an index and building its entries

use std::ops::Bound;
use std::sync::Arc;

use imbl::{OrdMap, OrdSet};
use serde::{Deserialize, Serialize};

use super::pagemap::{fraction, Guess, KeySet};
use super::rows::{decode_into, decode_some, Mask, Rows, RowsBuilder};
use super::schema::{IndexDef, TableSchema};
use super::value::Value;
use crate::error::{Error, ErrorKind, Result};

mod index;
mod keys;

use index::*;
pub use index::{set_expr_compiler, Computed, ExprCompiler, Index, IndexExprs};
use keys::*;
pub use keys::{IndexEntry, IndexKey, Row, RowKey, Slot};

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

/// What a table holds that a [`Footprint`](crate::storage::memory::Footprint) had not
/// counted yet.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableBytes {
    /// The row pages and the tree above them.
    pub rows: usize,
    /// Each index's entries and tree, by name.
    pub indexes: Vec<(String, usize)>,
    /// The maps of row expiry times (counted whole: they are `imbl` maps, whose nodes
    /// the count cannot see).
    pub expiry: usize,
}

impl Table {
    /// Counts the table's rows and indexes into `fp` (see [`TableBytes`]).
    pub fn footprint(&self, fp: &mut crate::storage::memory::Footprint) -> TableBytes {
        let rows = self.rows.footprint(fp);
        let indexes = self.indexes.iter().map(|i| (i.name.clone(), i.entries.footprint(fp))).collect();
        let entry = std::mem::size_of::<(RowKey, i64)>();
        TableBytes { rows, indexes, expiry: (self.expiry.len() + self.expiry_order.len()) * entry }
    }

    /// An empty table; an error when an index's expressions do not compile.
    pub fn new(schema: TableSchema) -> Result<Table> {
        let uniques = schema.uniques.iter().map(|u| Ok(Index::new(u.name.clone(), u.columns.clone(), true)));
        let secondary = schema.indexes.iter().map(|i| Index::of_def(i, &schema));
        let indexes = uniques.chain(secondary).collect::<Result<Vec<_>>>()?;
        Ok(Table::with_indexes(schema, indexes))
    }

    /// An empty table of the schema's columns with no index: what a subquery or view
    /// stands in as while a query is planned.
    pub fn stand_in(mut schema: TableSchema) -> Table {
        schema.uniques.clear();
        schema.indexes.clear();
        Table::with_indexes(schema, Vec::new())
    }

    fn with_indexes(schema: TableSchema, indexes: Vec<Index>) -> Table {
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

    /// Takes the next automatic key, as SQLite does: one past the largest in the table
    /// (a key freed by deleting the last row is given again).
    pub fn allocate_rowid(&mut self) -> Result<i64> {
        let last = match self.rows.max_key() {
            Some(RowKey::Int(k)) => k,
            _ => 0,
        };
        let id = last.saturating_add(1);
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

    /// The rows a row would clash with in a unique index: those under the same key,
    /// none when the key holds a NULL or a partial index leaves the row out.
    pub fn unique_matches(&self, index: &Index, row: &[Value]) -> Vec<RowKey> {
        if !index.unique || !index.covers(row) {
            return Vec::new();
        }
        let key = index.key_of(row);
        if key.as_slice().iter().any(Value::is_null) {
            return Vec::new();
        }
        index.lookup(&key).cloned().collect()
    }

    /// Two rows with the same key in a unique index; an expression part is named by its
    /// SQL.
    fn unique_error(&self, index: &Index, values: &[Value]) -> Error {
        let detail = values.iter().map(super::schema::literal_sql).collect::<Vec<_>>().join(", ");
        ErrorKind::Constraint {
            kind: "UNIQUE",
            table: self.schema.name.clone(),
            columns: self.schema.index_key_names(&index.name, &index.columns),
            detail: format!("duplicate value {detail}"),
        }
        .into()
    }

    fn check_unique(&self, row: &[Value], except: Option<&RowKey>) -> Result<()> {
        for index in self.indexes.iter().filter(|i| i.unique && i.covers(row)) {
            let key = index.key_of(row);
            if key.as_slice().iter().any(Value::is_null) {
                continue;
            }
            if index.lookup(&key).any(|k| Some(k) != except) {
                return Err(self.unique_error(index, key.as_slice()));
            }
        }
        Ok(())
    }

    fn index_add(&mut self, key: &RowKey, row: &[Value]) {
        for index in &mut self.indexes {
            if let Some(entry) = index.entry_of(key, row) {
                index.entries.insert(entry);
            }
        }
    }

    fn index_remove(&mut self, key: &RowKey, row: &[Value]) {
        for index in &mut self.indexes {
            if let Some(entry) = index.entry_of(key, row) {
                index.entries.remove(&entry);
            }
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
        let mut index = Index::of_def(&def, &self.schema)?;
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
        let entries = index_set(index, self.rows.len(), |visit| self.rows.for_each_decoded(&index.reads, width, visit));
        index.entries = entries.map_err(|clash| self.unique_error(index, &clash))?;
        Ok(())
    }

    /// A table from its rows in strictly ascending key order (a checkpoint's).
    pub fn load(
        schema: TableSchema,
        next_rowid: i64,
        rows: Vec<(RowKey, Row)>,
        orders: Vec<Vec<u32>>,
    ) -> Result<Table> {
        Table::load_batches(schema, next_rowid, std::iter::once(Ok(rows)), orders)
    }

    /// A table from its rows in strictly ascending key order, arriving a batch at a time
    /// (decoded as they are needed): besides the pages being filled and the index
    /// entries, only one batch is held decoded. See [`Table::load_parts`].
    pub fn load_batches(
        schema: TableSchema,
        next_rowid: i64,
        batches: impl IntoIterator<Item = Result<Vec<(RowKey, Row)>>>,
        orders: Vec<Vec<u32>>,
    ) -> Result<Table> {
        let table = Table::new(schema)?;
        let mut part = table.part();
        for batch in batches {
            for (key, row) in batch? {
                part.push(key, &row)?;
            }
        }
        let part = part.finish();
        table.load_parts(next_rowid, std::iter::once(Ok(part)), orders)
    }

    /// A builder for part of this (empty) table's rows: a checkpoint's chunk, built on a
    /// thread of its own straight into pages.
    pub fn part(&self) -> PartBuilder<'_> {
        PartBuilder {
            indexes: &self.indexes,
            width: self.schema.columns.len(),
            name: self.name(),
            rows: RowsBuilder::default(),
            entries: self.indexes.iter().map(|_| Vec::new()).collect(),
            first: None,
            last: None,
        }
    }

    /// This empty table filled with its rows, built in parts in ascending key order.
    /// `orders` gives, for each index, the positions of the rows in the index's order,
    /// so that loading need not sort; an order that does not check out is sorted
    /// instead. Loading takes about the memory the table will take: parts are pages
    /// already, and only the index entries are gathered beside them.
    pub fn load_parts(
        mut self,
        next_rowid: i64,
        parts: impl IntoIterator<Item = Result<Part>>,
        orders: Vec<Vec<u32>>,
    ) -> Result<Table> {
        self.schema.check_consistent().map_err(ErrorKind::Invalid)?;
        self.next_rowid = next_rowid;
        let mut builder = RowsBuilder::default();
        let mut by_row: Vec<Vec<IndexEntry>> = self.indexes.iter().map(|_| Vec::new()).collect();
        let mut last: Option<RowKey> = None;
        for part in parts {
            let part = part?;
            if let (Some(l), Some(first)) = (&last, &part.first) {
                if l >= first {
                    return Err(Error::invalid(format!("table {}: row key {first} is out of order", self.name())));
                }
            }
            last = part.last.or(last);
            for (all, mut some) in by_row.iter_mut().zip(part.entries) {
                all.append(&mut some);
            }
            builder.append(part.rows);
        }
        self.rows = builder.finish();
        let mut indexes = std::mem::take(&mut self.indexes);
        for (i, (index, entries)) in indexes.iter_mut().zip(by_row).enumerate() {
            // A partial index's entries are not one per row: its order is not used.
            let order = orders.get(i).filter(|_| !index.is_partial());
            let built = match order.and_then(|o| entries_in_order(&entries, o)) {
                Some(sorted) => Ok(KeySet::from_sorted(sorted)),
                None => {
                    drop(entries);
                    let width = self.schema.columns.len();
                    index_set(index, self.rows.len(), |visit| {
                        self.rows.for_each_decoded(&index.reads, width, |key, row| visit(key, row))
                    })
                }
            };
            index.entries = built.map_err(|clash| self.unique_error(index, &clash))?;
        }
        self.indexes = indexes;
        Ok(self)
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
        if let Some(index) = self.indexes.iter().find(|ix| ix.is_plain() && ix.columns.starts_with(cols)) {
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
        if let Some(max) = self.schema.max_rows {
            if self.rows.len() as u64 >= max {
                return Err(Error::invalid(format!(
                    "table {} is full: it holds at most {max} rows (WITH (max_rows = {max})); delete rows first",
                    self.schema.name
                )));
            }
        }
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
                if let Some(was) = was {
                    index.entries.remove(&was);
                }
                if let Some(now) = now {
                    index.entries.insert(now);
                }
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
                    gone.extend(was);
                    added.extend(now);
                }
            }
        });
        if let Some(key) = missing {
            return Err(self.no_row(&key));
        }
        for (i, (mut gone, mut added)) in moved.into_iter().enumerate() {
            if gone.is_empty() && added.is_empty() {
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
                    return Err(self.unique_error(&self.indexes[i], entry.key.as_slice()));
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
        let columns = Mask::of(self.indexes.iter().flat_map(|i| i.reads.iter().copied()));
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
                entries.extend(index.entry_of(key, &row));
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
        let col = |name: &str, ty| Column::plain(name, ty);
        Table::new(TableSchema {
            name: "users".into(),
            columns: vec![col("id", DataType::Integer), col("email", DataType::Text)],
            primary_key: vec![0],
            uniques: vec![UniqueConstraint { name: "users_email".into(), columns: vec![1] }],
            ..TableSchema::default()
        })
        .unwrap()
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
                one_by_one.insert(index.entry_of(k, r).unwrap());
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

/// Part of a table's rows built apart: their pages, each index's entries for them in row
/// order, and their first and last keys.
pub struct Part {
    rows: Rows,
    entries: Vec<Vec<IndexEntry>>,
    first: Option<RowKey>,
    last: Option<RowKey>,
}

/// Rows of one part pushed in strictly ascending key order (see [`Table::part`]).
pub struct PartBuilder<'a> {
    indexes: &'a [Index],
    width: usize,
    name: &'a str,
    rows: RowsBuilder,
    entries: Vec<Vec<IndexEntry>>,
    first: Option<RowKey>,
    last: Option<RowKey>,
}

impl PartBuilder<'_> {
    /// Adds a row; its key must be greater than the last one's, and it must have as many
    /// values as the table has columns.
    pub fn push(&mut self, key: RowKey, row: &[Value]) -> Result<()> {
        if self.last.as_ref().is_some_and(|l| *l >= key) {
            return Err(Error::invalid(format!("table {}: row key {key} is out of order", self.name)));
        }
        if row.len() != self.width {
            return Err(Error::invalid(format!(
                "table {}: a row of {} values for {} columns",
                self.name,
                row.len(),
                self.width
            )));
        }
        for (entries, index) in self.entries.iter_mut().zip(self.indexes) {
            entries.extend(index.entry_of(&key, row));
        }
        self.rows.push(&key, row);
        if self.first.is_none() {
            self.first = Some(key.clone());
        }
        self.last = Some(key);
        Ok(())
    }

    pub fn finish(self) -> Part {
        Part { rows: self.rows.finish(), entries: self.entries, first: self.first, last: self.last }
    }
}
