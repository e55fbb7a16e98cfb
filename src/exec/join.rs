//! Joins at run time: the right side read once into one vector of values and, when
//! the join has equality keys, chained by key (a hash table, or an array for dense
//! integer keys); each left row then walks only its key's chain.

use rustc_hash::FxHashMap;

use super::access::RowRef;
use super::eval::{eval, in_place, is_true, Ctx, Env};
use super::select::{json_table_rows, source_rows, SourceRows};
use crate::error::Result;
use crate::sql::plan::{BExpr, JoinPlan, Source};
use crate::storage::{State, Value};

/// A value as a hash key that two values share whenever `=` holds between them: numbers
/// by numeric value, text that reads as a timestamp by its time. Rows found by the key
/// are checked against the whole condition, so sharing a key is not enough to match.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum JoinKey {
    Int(i64),
    Real(u64),
    Time(i64),
    Text(crate::storage::text::Text),
    Blob(std::sync::Arc<Vec<u8>>),
}

pub(super) fn join_key(v: &Value) -> Option<JoinKey> {
    Some(match v {
        Value::Null => return None,
        Value::Integer(i) => JoinKey::Int(*i),
        Value::Boolean(b) => JoinKey::Int(*b as i64),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.2e18 => JoinKey::Int(*r as i64),
        Value::Real(r) => JoinKey::Real(r.to_bits()),
        Value::Timestamp(t) => JoinKey::Time(*t),
        Value::Text(s) => match crate::storage::time::parse_timestamp(s) {
            Some(t) => JoinKey::Time(t),
            None => JoinKey::Text(s.clone()),
        },
        Value::Blob(b) => JoinKey::Blob(b.clone()),
    })
}

/// The end of a chain of rows sharing a join key.
pub(super) const NONE: usize = usize::MAX;

/// A row's join key into `key`; false when a part of it is NULL (it matches nothing).
fn join_keys<'a>(exprs: impl Iterator<Item = &'a BExpr>, env: &Env, key: &mut Vec<JoinKey>) -> Result<bool> {
    key.clear();
    for e in exprs {
        let k = match in_place(e, env) {
            Some(v) => join_key(v),
            None => join_key(&eval(e, env)?),
        };
        match k {
            Some(k) => key.push(k),
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// The rows of a join's right side, read once: their values one after another in one
/// vector (no allocation per row), each row's start in `starts`.
struct RightRows {
    values: Vec<Value>,
    starts: Vec<usize>,
}

impl RightRows {
    fn len(&self) -> usize {
        self.starts.len()
    }

    fn row(&self, i: usize) -> &[Value] {
        let end = self.starts.get(i + 1).copied().unwrap_or(self.values.len());
        &self.values[self.starts[i]..end]
    }
}

/// The right rows by join key, each key's rows as a chain (see `join_rows`). A single
/// key column (the usual case) is hashed as one key, without a vector per row.
enum KeyTable {
    One(FxHashMap<JoinKey, usize>),
    Many(FxHashMap<Vec<JoinKey>, usize>),
    /// Integer keys spread over a range not much wider than their number (a key column
    /// joined to: an id): the first row of key `k` at `k - min`, found without hashing.
    Dense {
        min: i64,
        first: Vec<usize>,
    },
}

impl KeyTable {
    /// The table for one key column whose keys are all integers in a range at most
    /// twice their number (and a little) wide; `None` otherwise.
    fn dense(keys: &[Option<JoinKey>]) -> Option<KeyTable> {
        let (mut min, mut max) = (i64::MAX, i64::MIN);
        for k in keys.iter().flatten() {
            let JoinKey::Int(k) = k else { return None };
            (min, max) = (min.min(*k), max.max(*k));
        }
        let width = usize::try_from(max.checked_sub(min)?).ok()?.checked_add(1)?;
        (width <= 2 * keys.len() + 1024).then(|| KeyTable::Dense { min, first: vec![NONE; width] })
    }

    /// The first right row under the key, if any.
    fn get(&self, key: &[JoinKey]) -> usize {
        let found = match (self, key) {
            (KeyTable::One(t), [k]) => t.get(k),
            (KeyTable::Many(t), key) => t.get(key),
            (KeyTable::Dense { min, first }, [JoinKey::Int(k)]) => {
                k.checked_sub(*min).and_then(|i| usize::try_from(i).ok()).and_then(|i| first.get(i))
            }
            (KeyTable::One(_) | KeyTable::Dense { .. }, _) => None,
        };
        found.copied().unwrap_or(NONE)
    }

    /// The entry for a single column's key, to put a row in front of its chain.
    fn entry(&mut self, key: JoinKey) -> &mut usize {
        match (self, key) {
            (KeyTable::Dense { min, first }, JoinKey::Int(k)) => &mut first[(k - *min) as usize],
            (KeyTable::One(t), key) => t.entry(key).or_insert(NONE),
            _ => unreachable!("a dense table is made for integer keys only, a one-key table is made for one"),
        }
    }
}

pub(super) fn join_rows(
    j: &JoinPlan,
    state: &State,
    ctx: &Ctx,
    f: &mut dyn FnMut(RowRef) -> Result<bool>,
) -> Result<bool> {
    if !j.lateral_args().is_empty() {
        return lateral_rows(j, state, ctx, f);
    }
    // The right side is read once; with equality keys it is hashed by them.
    let mut right = RightRows { values: Vec::new(), starts: Vec::new() };
    source_rows(SourceRows::of(&j.right), state, ctx, &mut |r| {
        right.starts.push(right.values.len());
        right.values.extend(r.iter().cloned());
        Ok(true)
    })?;
    // Each key's rows as a chain through `next`, in the order of `right` (built from the
    // end so that every row goes in front of the ones after it).
    let mut next = vec![NONE; if j.keys.is_empty() { 0 } else { right.len() }];
    let mut key = Vec::with_capacity(j.keys.len());
    let table = match j.keys.as_slice() {
        [(_, e)] => {
            // One key column: its keys first, to see whether they are dense.
            let mut keys = Vec::with_capacity(right.len());
            for i in 0..right.len() {
                let env = Env { row: right.row(i), aggs: &[], ctx };
                keys.push(if join_keys(std::iter::once(e), &env, &mut key)? { key.pop() } else { None });
            }
            let mut table = KeyTable::dense(&keys).unwrap_or_else(|| KeyTable::One(FxHashMap::default()));
            for (i, k) in keys.into_iter().enumerate().rev() {
                if let Some(k) = k {
                    let first = table.entry(k);
                    next[i] = *first;
                    *first = i;
                }
            }
            table
        }
        // No key: every right row is a candidate, and no table is asked.
        [] => KeyTable::Many(FxHashMap::default()),
        keys => {
            let mut table = FxHashMap::default();
            for i in (0..right.len()).rev() {
                let env = Env { row: right.row(i), aggs: &[], ctx };
                if join_keys(keys.iter().map(|(_, e)| e), &env, &mut key)? {
                    let first = table.entry(key.clone()).or_insert(NONE);
                    next[i] = *first;
                    *first = i;
                }
            }
            KeyTable::Many(table)
        }
    };
    let nulls = vec![Value::Null; j.right_width];
    let mut buf: Vec<Value> = Vec::new();
    let emit = |buf: &Vec<Value>, f: &mut dyn FnMut(RowRef) -> Result<bool>| emit_joined(j, buf, ctx, f);
    let mut seen = 0usize;
    source_rows(SourceRows::of(&j.left), state, ctx, &mut |left| {
        let mut candidate = if j.keys.is_empty() {
            0
        } else if join_keys(j.keys.iter().map(|(e, _)| e), &Env { row: &left, aggs: &[], ctx }, &mut key)? {
            table.get(&key)
        } else {
            NONE
        };
        let mut matched = false;
        // The left row is copied once; each candidate replaces only the right part.
        buf.clear();
        if candidate < right.len() {
            buf.extend(left.iter().cloned());
        }
        let width = buf.len();
        while candidate < right.len() {
            let i = candidate;
            candidate = if j.keys.is_empty() { i + 1 } else { next[i] };
            seen += 1;
            if seen.is_multiple_of(4096) {
                ctx.check_interrupt()?;
            }
            buf.truncate(width);
            buf.extend(right.row(i).iter().cloned());
            if let Some(on) = &j.on {
                if !is_true(on, &Env { row: &buf, aggs: &[], ctx })? {
                    continue;
                }
            }
            matched = true;
            if !emit(&buf, f)? {
                return Ok(false);
            }
        }
        if !matched && j.left_join {
            buf.clear();
            buf.extend(left.iter().cloned());
            buf.extend(nulls.iter().cloned());
            return emit(&buf, f);
        }
        Ok(true)
    })
}

/// A join whose right side is a table function of the left row (`FROM docs,
/// json_each(docs.body)`): the function is called for each left row and its rows
/// joined to that row alone.
fn lateral_rows(j: &JoinPlan, state: &State, ctx: &Ctx, f: &mut dyn FnMut(RowRef) -> Result<bool>) -> Result<bool> {
    let Source::JsonTable { kind, ordinality, args, filter, reads } = &j.right else {
        unreachable!("only a table function's arguments read the left row")
    };
    let mut values = Vec::with_capacity(args.len());
    let mut buf: Vec<Value> = Vec::new();
    source_rows(SourceRows::of(&j.left), state, ctx, &mut |left| {
        values.clear();
        for a in args {
            values.push(eval(a, &Env { row: &left, aggs: &[], ctx })?);
        }
        let mut matched = false;
        buf.clear();
        buf.extend(left.iter().cloned());
        let more =
            json_table_rows((*kind, *reads, *ordinality), &values, filter.as_ref(), ctx, &mut buf, &mut |row| {
                if let Some(on) = &j.on {
                    if !is_true(on, &Env { row, aggs: &[], ctx })? {
                        return Ok(true);
                    }
                }
                matched = true;
                emit_joined(j, row, ctx, f)
            })?;
        if !more {
            return Ok(false);
        }
        if !matched && j.left_join {
            buf.clear();
            buf.extend(left.iter().cloned());
            buf.extend(std::iter::repeat_n(Value::Null, j.right_width));
            return emit_joined(j, &buf, ctx, f);
        }
        Ok(true)
    })
}

/// A joined row to `f`, when the join's WHERE terms keep it.
fn emit_joined(j: &JoinPlan, row: &Vec<Value>, ctx: &Ctx, f: &mut dyn FnMut(RowRef) -> Result<bool>) -> Result<bool> {
    if let Some(after) = &j.after {
        if !is_true(after, &Env { row, aggs: &[], ctx })? {
            return Ok(true);
        }
    }
    f(RowRef::Built(row))
}
