//! An index: its definition and its ordered set of entries, built in bulk from rows
//! (sorted once) or kept up to date one row at a time.

use super::*;

/// What the SQL layer works out for an index whose key parts include expressions or
/// which holds only some rows (a partial index). Nothing here can fail: an expression
/// that cannot be worked out for a row gives NULL, and a WHERE that cannot be worked out
/// leaves the row out.
pub trait IndexExprs: Send + Sync + std::fmt::Debug {
    /// The value of key part `part`, an expression, for a row.
    fn part(&self, part: usize, row: &[Value]) -> Value;
    /// Whether a row belongs in the index (true for an index that is not partial).
    fn covers(&self, row: &[Value]) -> bool;
    /// The columns the expressions and the WHERE read.
    fn reads(&self) -> &[usize];
    /// The SQL layer's own form of these expressions (for the planner).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// Compiles an index definition's expressions against its table.
pub type ExprCompiler = fn(&TableSchema, &IndexDef) -> std::result::Result<Arc<dyn IndexExprs>, String>;

static COMPILER: std::sync::OnceLock<ExprCompiler> = std::sync::OnceLock::new();

/// Installs the compiler of index expressions (the SQL layer does, when a database is
/// opened); the first one installed stays.
pub fn set_expr_compiler(compiler: ExprCompiler) {
    let _ = COMPILER.set(compiler);
}

/// An expression or partial index's compiled expressions.
#[derive(Clone, Debug)]
pub struct Computed {
    pub exprs: Arc<dyn IndexExprs>,
    /// Per key part: true when it is an expression.
    pub parts: Vec<bool>,
    pub partial: bool,
}

#[derive(Clone, Debug)]
pub struct Index {
    pub name: String,
    /// The key parts' columns; an expression part's is the first column it reads.
    pub columns: Vec<usize>,
    pub unique: bool,
    pub entries: KeySet<IndexEntry>,
    /// Set for an index with expression parts or a WHERE.
    pub computed: Option<Computed>,
    /// Every column an entry is worked out from.
    pub reads: Vec<usize>,
}

impl Index {
    pub fn new(name: String, columns: Vec<usize>, unique: bool) -> Index {
        let reads = columns.clone();
        Index { name, columns, unique, entries: KeySet::new(), computed: None, reads }
    }

    /// The (empty) index a definition describes, its expressions compiled.
    pub fn of_def(def: &IndexDef, schema: &TableSchema) -> Result<Index> {
        let mut index = Index::new(def.name.clone(), def.columns.clone(), def.unique);
        if def.is_computed() {
            let compile = COMPILER
                .get()
                .ok_or_else(|| Error::invalid(format!("index {}: expression indexes need the SQL layer", def.name)))?;
            let exprs = compile(schema, def).map_err(|e| Error::invalid(format!("index {}: {e}", def.name)))?;
            let parts = match def.exprs.len() {
                0 => vec![false; def.columns.len()],
                _ => def.exprs.iter().map(Option::is_some).collect(),
            };
            let mut reads: Vec<usize> = def.columns.iter().zip(&parts).filter(|(_, &e)| !e).map(|(&c, _)| c).collect();
            reads.extend_from_slice(exprs.reads());
            reads.sort_unstable();
            reads.dedup();
            index.reads = reads;
            index.computed = Some(Computed { exprs, parts, partial: def.predicate.is_some() });
        }
        Ok(index)
    }

    /// True for an index of plain columns over every row.
    pub fn is_plain(&self) -> bool {
        self.computed.is_none()
    }

    /// True for an index that holds only the rows its WHERE is true for.
    pub fn is_partial(&self) -> bool {
        self.computed.as_ref().is_some_and(|c| c.partial)
    }

    /// The column of key part `i` when it is a plain column.
    pub fn plain_column(&self, i: usize) -> Option<usize> {
        match &self.computed {
            Some(c) if c.parts.get(i).copied().unwrap_or(false) => None,
            _ => self.columns.get(i).copied(),
        }
    }

    /// Whether a row belongs in this index.
    pub fn covers(&self, row: &[Value]) -> bool {
        self.computed.as_ref().is_none_or(|c| !c.partial || c.exprs.covers(row))
    }

    pub fn key_of(&self, row: &[Value]) -> IndexKey {
        if let Some(c) = self.computed.as_ref().filter(|c| c.parts.iter().any(|&e| e)) {
            let part = |i: usize, col: usize| if c.parts[i] { c.exprs.part(i, row) } else { row[col].clone() };
            return match self.columns.as_slice() {
                [col] => IndexKey::One(part(0, *col)),
                cols => IndexKey::Many(Arc::new(cols.iter().enumerate().map(|(i, &col)| part(i, col)).collect())),
            };
        }
        match self.columns.as_slice() {
            [c] => IndexKey::One(row[*c].clone()),
            cols => IndexKey::Many(Arc::new(cols.iter().map(|&i| row[i].clone()).collect())),
        }
    }

    /// The entry a row stored under `key` has in this index; `None` when a partial index
    /// leaves it out.
    pub fn entry_of(&self, key: &RowKey, row: &[Value]) -> Option<IndexEntry> {
        self.covers(row).then(|| IndexEntry { key: self.key_of(row), slot: Slot::Row(key.clone()) })
    }

    /// The entry a row under `key` leaves and the one it takes when it changes from
    /// `old` to `new` (either may be missing in a partial index); `None` when its values
    /// here stay the same (of the same types).
    pub fn moved(
        &self,
        key: &RowKey,
        old: &[Value],
        new: &[Value],
    ) -> Option<(Option<IndexEntry>, Option<IndexEntry>)> {
        if self.is_partial() {
            let (was, now) = (self.entry_of(key, old), self.entry_of(key, new));
            return match (&was, &now) {
                (None, None) => None,
                (Some(a), Some(b)) if a.key.as_slice().iter().zip(b.key.as_slice()).all(|(a, b)| same_value(a, b)) => {
                    None
                }
                _ => Some((was, now)),
            };
        }
        let (was, now) = (self.key_of(old), self.key_of(new));
        if was.as_slice().iter().zip(now.as_slice()).all(|(a, b)| same_value(a, b)) {
            return None;
        }
        Some((
            Some(IndexEntry { key: was, slot: Slot::Row(key.clone()) }),
            Some(IndexEntry { key: now, slot: Slot::Row(key.clone()) }),
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
    if let (true, [column]) = (index.is_plain(), &index.columns[..]) {
        let column = *column;
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
        entries.extend(index.entry_of(key, row));
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
