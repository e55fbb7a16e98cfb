//! Keeping materialized views (see `sql::matview`): their statements (CREATE, REFRESH,
//! DROP), the full computation of an incremental view's rows, and the change a commit
//! makes to them, computed from the rows the commit changed in the view's tables.
//!
//! A view's rows are stored under keys that say where they come from: the key of the
//! one row (or the keys of the joined rows) a row of a plain view shows, the group's
//! key values for a grouped one. So a changed table row finds the view rows it made,
//! and a full computation gives every row the key a change would.

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::eval::{eval, truth, Ctx, Env};
use super::write::Written;
use crate::error::{ErrorKind, Result};
use crate::sql::matview::{self, Action, Maint, Shape};
use crate::sql::plan::{AggCall, AggFunc, SelectPlan};
use crate::storage::convert::to_number;
use crate::storage::table::{Row, RowKey};
use crate::storage::{Change, DataType, Joined as JoinedWrites, State, Value, WriteOp, WriteSet};

/// A joined row: the key of each source's row, and their columns side by side.
type JoinedRow = (Vec<RowKey>, Vec<Value>);

/// Runs a materialized-view statement against `state`.
pub fn run(action: &Action, state: &State, ctx: &Ctx) -> Result<Written> {
    let mut w = Writer { state: state.clone(), ops: Vec::new() };
    match action {
        Action::Create { def, schema, query, maint } => {
            if w.state.table(matview::CATALOG).is_none() {
                w.apply(WriteOp::CreateTable(Arc::new(matview::catalog_schema())))?;
            }
            let (key, row) = matview::catalog_row(def);
            w.apply(WriteOp::Row { table: matview::CATALOG.into(), key, change: Change::Insert(row) })?;
            w.apply(WriteOp::CreateTable(schema.clone()))?;
            match maint {
                Some(m) => {
                    if let Some(groups) = m.groups_schema() {
                        w.apply(WriteOp::CreateTable(Arc::new(groups)))?;
                    }
                    populate(&mut w, m)?;
                }
                None => fill(&mut w, &def.name, query, ctx)?,
            }
        }
        Action::Refresh { name, query, maint } => match maint {
            Some(m) => populate(&mut w, m)?,
            None => fill(&mut w, name, query, ctx)?,
        },
        Action::Drop { name } => {
            w.apply(WriteOp::DropTable(name.clone()))?;
            let groups = matview::groups_name(name);
            if w.state.table(&groups).is_some() {
                w.apply(WriteOp::DropTable(groups))?;
            }
            let key = matview::catalog_key(name);
            w.apply(WriteOp::Row { table: matview::CATALOG.into(), key, change: Change::Delete })?;
        }
    }
    let count = match action {
        Action::Drop { .. } => 0,
        Action::Create { def, .. } => w.state.table(&def.name).map_or(0, |t| t.rows.len()),
        Action::Refresh { name, .. } => w.state.table(name).map_or(0, |t| t.rows.len()),
    };
    Ok(Written { state: w.state, writes: WriteSet { ops: w.ops }, count, reads: Vec::new(), failed: None })
}

/// A state being changed, and the changes made to it.
struct Writer {
    state: State,
    ops: Vec<WriteOp>,
}

impl Writer {
    fn apply(&mut self, op: WriteOp) -> Result<()> {
        self.state.apply(&op)?;
        self.ops.push(op);
        Ok(())
    }

    /// Makes the row under `key` be `row` (or none), writing only what differs.
    fn put(&mut self, table: &Arc<str>, key: RowKey, row: Option<Vec<Value>>) -> Result<()> {
        let old = self.state.table(table).and_then(|t| t.rows.get(&key));
        let change = match (old, row) {
            (None, None) => return Ok(()),
            (Some(_), None) => Change::Delete,
            (Some(old), Some(new)) if *old == *new => return Ok(()),
            (Some(_), Some(new)) => Change::Update(Row::from(new)),
            (None, Some(new)) => Change::Insert(new.into_boxed_slice()),
        };
        self.apply(WriteOp::Row { table: table.clone(), key, change })
    }

    /// Makes `table` hold exactly `rows`.
    fn replace_all(&mut self, table: &Arc<str>, rows: BTreeMap<RowKey, Vec<Value>>) -> Result<()> {
        let gone: Vec<RowKey> = match self.state.table(table) {
            Some(t) => t.rows.iter().map(|(k, _)| k).filter(|k| !rows.contains_key(k)).collect(),
            None => Vec::new(),
        };
        for key in gone {
            self.put(table, key, None)?;
        }
        for (key, row) in rows {
            self.put(table, key, Some(row))?;
        }
        Ok(())
    }
}

/// A plain view's rows: its query's, numbered from 1.
fn fill(w: &mut Writer, name: &str, query: &SelectPlan, ctx: &Ctx) -> Result<()> {
    let result = super::select::run_select(query, &w.state, &Ctx { state: Some(&w.state), ..*ctx })?;
    let rows = result.rows.into_iter().enumerate().map(|(i, r)| (RowKey::Int(i as i64 + 1), r)).collect();
    let table: Arc<str> = name.to_ascii_lowercase().into();
    w.replace_all(&table, rows)
}

/// Computes an incremental view's rows (and a grouped one's accumulators) from all of
/// its tables' rows, writing what differs from what the view holds.
fn populate(w: &mut Writer, m: &Maint) -> Result<()> {
    let now = OnceCell::new();
    let ctx = Ctx::for_constants(&now);
    let joined = all_joined(&w.state, m, &ctx)?;
    let view: Arc<str> = m.view.clone();
    match &m.shape {
        Shape::Rows { outputs } => {
            let mut rows = BTreeMap::new();
            for (keys, row) in joined {
                let env = Env { row: &row, aggs: &[], ctx: &ctx };
                let out = outputs.iter().map(|e| eval(e, &env)).collect::<Result<Vec<_>>>()?;
                rows.insert(view_key(&keys), out);
            }
            w.replace_all(&view, rows)
        }
        Shape::Groups { keys, aggs, global, .. } => {
            let mut groups: BTreeMap<RowKey, Acc> = BTreeMap::new();
            if *global {
                groups.insert(RowKey::Tuple(Arc::new(Vec::new())), Acc::new(aggs.len()));
            }
            for (_, row) in joined {
                let env = Env { row: &row, aggs: &[], ctx: &ctx };
                let key = group_key(keys, &env)?;
                groups.entry(key).or_insert_with(|| Acc::new(aggs.len())).add(aggs, &env)?;
            }
            let groups_table: Arc<str> = matview::groups_name(&m.view).into();
            let mut acc_rows = BTreeMap::new();
            let mut view_rows = BTreeMap::new();
            for (key, acc) in &groups {
                acc_rows.insert(key.clone(), acc.encode(key));
                if let Some(row) = group_row(m, key, acc, &ctx)? {
                    view_rows.insert(key.clone(), row);
                }
            }
            w.replace_all(&groups_table, acc_rows)?;
            w.replace_all(&view, view_rows)
        }
    }
}

/// Computes an incremental view again from all its tables' rows in `state`, writing
/// what differs; the changes are applied to `state` and returned.
pub fn recompute_into(state: &mut State, m: &Maint) -> Result<Vec<WriteOp>> {
    let mut w = Writer { state: std::mem::take(state), ops: Vec::new() };
    let result = populate(&mut w, m);
    *state = w.state;
    result?;
    Ok(w.ops)
}

/// Brings an incremental view up to date after `writes`, which made `after` from
/// `before` and changed none of the view's own tables nor its tables' schemas. The
/// changes are applied to `after` and returned.
pub fn apply_delta(before: &State, after: &mut State, writes: JoinedWrites, m: &Maint) -> Result<Vec<WriteOp>> {
    let mut changed: BTreeSet<(usize, &RowKey)> = BTreeSet::new();
    for op in writes.ops() {
        if let WriteOp::Row { table, key, .. } = op {
            if let Some(s) = m.reads(table) {
                changed.insert((s, key));
            }
        }
    }
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let now = OnceCell::new();
    let ctx = Ctx::for_constants(&now);
    // The joined rows each side holds with a changed row in them, each once.
    let side = |state: &State| -> Result<BTreeMap<Vec<RowKey>, Vec<Value>>> {
        let mut out = BTreeMap::new();
        for &(s, key) in &changed {
            let Some(row) = state.table(&m.sources[s].table).and_then(|t| t.rows.get(key)) else { continue };
            let mut found = Vec::new();
            join_from(state, m, s, key, &row, &ctx, &mut found)?;
            out.extend(found);
        }
        Ok(out)
    };
    let (old, new) = (side(before)?, side(after)?);
    let mut w = Writer { state: std::mem::take(after), ops: Vec::new() };
    let result = delta_into(&mut w, m, old, new, &ctx);
    *after = w.state;
    result?;
    Ok(w.ops)
}

fn delta_into(
    w: &mut Writer,
    m: &Maint,
    old: BTreeMap<Vec<RowKey>, Vec<Value>>,
    new: BTreeMap<Vec<RowKey>, Vec<Value>>,
    ctx: &Ctx,
) -> Result<()> {
    let view = m.view.clone();
    match &m.shape {
        Shape::Rows { outputs } => {
            for keys in old.keys().filter(|k| !new.contains_key(*k)) {
                w.put(&view, view_key(keys), None)?;
            }
            for (keys, row) in new {
                let env = Env { row: &row, aggs: &[], ctx };
                let out = outputs.iter().map(|e| eval(e, &env)).collect::<Result<Vec<_>>>()?;
                w.put(&view, view_key(&keys), Some(out))?;
            }
            Ok(())
        }
        Shape::Groups { keys, aggs, .. } => {
            let groups_table: Arc<str> = matview::groups_name(&m.view).into();
            let mut touched: BTreeMap<RowKey, (Acc, bool)> = BTreeMap::new();
            let load = |w: &Writer, key: &RowKey| -> (Acc, bool) {
                let stored = w.state.table(&groups_table).and_then(|t| t.rows.get(key));
                (stored.map_or_else(|| Acc::new(aggs.len()), |r| Acc::decode(&r, aggs.len())), false)
            };
            for (sign, rows) in [(false, old), (true, new)] {
                for (_, row) in rows {
                    let env = Env { row: &row, aggs: &[], ctx };
                    let key = group_key(keys, &env)?;
                    let entry = match touched.get_mut(&key) {
                        Some(e) => e,
                        None => {
                            let loaded = load(w, &key);
                            touched.entry(key).or_insert(loaded)
                        }
                    };
                    if sign {
                        entry.0.add(aggs, &env)?;
                    } else {
                        entry.1 |= entry.0.remove(aggs, &env)?;
                    }
                }
            }
            for (key, (mut acc, lost_extreme)) in touched {
                if lost_extreme && acc.rows > 0 {
                    acc = recompute(&w.state, m, &key, ctx)?;
                }
                let keep = acc.rows > 0 || matches!(m.shape, Shape::Groups { global: true, .. });
                let row = if keep { group_row(m, &key, &acc, ctx)? } else { None };
                w.put(&groups_table, key.clone(), keep.then(|| acc.encode(&key)))?;
                w.put(&view, key, row)?;
            }
            Ok(())
        }
    }
}

/// The group's accumulators computed again from its rows (a min or max lost the row
/// that held it).
fn recompute(state: &State, m: &Maint, key: &RowKey, ctx: &Ctx) -> Result<Acc> {
    let Shape::Groups { keys, aggs, .. } = &m.shape else { return Ok(Acc::new(0)) };
    let RowKey::Tuple(values) = key else { return Ok(Acc::new(aggs.len())) };
    let mut acc = Acc::new(aggs.len());
    // Rows of the group are found through a grouped column where one is a plain column.
    let seeded = keys.iter().zip(values.iter()).find_map(|(k, v)| match k {
        crate::sql::plan::BExpr::Column(c) => {
            let s = m.sources.iter().rposition(|s| s.offset <= *c)?;
            Some((s, c - m.sources[s].offset, v))
        }
        _ => None,
    });
    let mut found = Vec::new();
    match seeded {
        Some((s, col, v)) => {
            let table = state.table_or_err(&m.sources[s].table)?;
            for k in lookup(table, col, v) {
                if let Some(row) = table.rows.get(&k) {
                    join_from(state, m, s, &k, &row, ctx, &mut found)?;
                }
            }
        }
        None => found = all_joined(state, m, ctx)?,
    }
    for (_, row) in found {
        let env = Env { row: &row, aggs: &[], ctx };
        if group_key(keys, &env)? == *key {
            acc.add(aggs, &env)?;
        }
    }
    Ok(acc)
}

/// The view's row of a group, or none when HAVING leaves it out.
fn group_row(m: &Maint, key: &RowKey, acc: &Acc, ctx: &Ctx) -> Result<Option<Vec<Value>>> {
    let Shape::Groups { aggs, outputs, having, .. } = &m.shape else { return Ok(None) };
    let RowKey::Tuple(values) = key else { return Ok(None) };
    let mut row = vec![Value::Null; m.width];
    row.extend(values.iter().cloned());
    let finished = aggs.iter().zip(&acc.aggs).map(|(a, s)| s.finish(a.func)).collect::<Result<Vec<_>>>()?;
    let env = Env { row: &row, aggs: &finished, ctx };
    if let Some(h) = having {
        if truth(h, &env)? != Some(true) {
            return Ok(None);
        }
    }
    outputs.iter().map(|e| eval(e, &env)).collect::<Result<Vec<_>>>().map(Some)
}

fn group_key(keys: &[crate::sql::plan::BExpr], env: &Env) -> Result<RowKey> {
    Ok(RowKey::Tuple(Arc::new(keys.iter().map(|k| eval(k, env)).collect::<Result<Vec<_>>>()?)))
}

/// The key a plain view stores a joined row under: the one row's own key, or the
/// joined rows' keys side by side.
fn view_key(keys: &[RowKey]) -> RowKey {
    if let [one] = keys {
        return one.clone();
    }
    let mut values = Vec::new();
    for k in keys {
        match k {
            RowKey::Int(i) => values.push(Value::Integer(*i)),
            RowKey::Tuple(t) => values.extend(t.iter().cloned()),
        }
    }
    RowKey::Tuple(Arc::new(values))
}

/// Every joined row of the view's tables that passes its conditions.
fn all_joined(state: &State, m: &Maint, ctx: &Ctx) -> Result<Vec<JoinedRow>> {
    let first = state.table_or_err(&m.sources[0].table)?;
    let mut out = Vec::new();
    for (key, row) in first.rows.iter() {
        ctx.check_interrupt()?;
        join_from(state, m, 0, &key, &row, ctx, &mut out)?;
    }
    Ok(out)
}

/// Every joined row that has `row` (of source `seed`) in it and passes the view's
/// conditions, added to `out`.
fn join_from(
    state: &State,
    m: &Maint,
    seed: usize,
    key: &RowKey,
    row: &[Value],
    ctx: &Ctx,
    out: &mut Vec<JoinedRow>,
) -> Result<()> {
    let mut joined = vec![Value::Null; m.width];
    let s = &m.sources[seed];
    check_width(s, row)?;
    joined[s.offset..s.offset + s.width].clone_from_slice(row);
    let mut keys = vec![RowKey::Int(0); m.sources.len()];
    keys[seed] = key.clone();
    let order: Vec<usize> = (0..m.sources.len()).filter(|&i| i != seed).collect();
    let mut bound = vec![false; m.sources.len()];
    bound[seed] = true;
    extend(state, m, &order, &mut bound, &mut keys, &mut joined, ctx, out)
}

#[allow(clippy::too_many_arguments)]
fn extend(
    state: &State,
    m: &Maint,
    order: &[usize],
    bound: &mut [bool],
    keys: &mut [RowKey],
    joined: &mut [Value],
    ctx: &Ctx,
    out: &mut Vec<JoinedRow>,
) -> Result<()> {
    let Some((&next, rest)) = order.split_first() else {
        let passes = match &m.filter {
            Some(f) => truth(f, &Env { row: joined, aggs: &[], ctx })? == Some(true),
            None => true,
        };
        if passes {
            out.push((keys.to_vec(), joined.to_vec()));
        }
        return Ok(());
    };
    let source = &m.sources[next];
    let table = state.table_or_err(&source.table)?;
    // A row of the next table is found by an equality with what is joined already.
    let by = m.equalities.iter().find(|e| e.source == next && e.needs.iter().all(|&n| bound[n]));
    let candidates: Vec<RowKey> = match by {
        Some(e) => {
            let v = eval(&e.value, &Env { row: joined, aggs: &[], ctx })?;
            lookup(table, e.column, &v)
        }
        None => table.rows.iter().map(|(k, _)| k).collect(),
    };
    bound[next] = true;
    for k in candidates {
        let Some(row) = table.rows.get(&k) else { continue };
        check_width(source, &row)?;
        joined[source.offset..source.offset + source.width].clone_from_slice(&row);
        keys[next] = k;
        extend(state, m, rest, bound, keys, joined, ctx, out)?;
    }
    bound[next] = false;
    Ok(())
}

/// Refuses a row of another width than the view was compiled for (a table altered
/// under it), instead of misreading it.
fn check_width(source: &matview::Source, row: &[Value]) -> Result<()> {
    if row.len() == source.width {
        return Ok(());
    }
    Err(ErrorKind::Conflict(format!("table {} changed shape under a materialized view", source.table)).into())
}

/// The keys of the rows whose column `col` may equal `v`: by key or index when the
/// value is of the column's type (so that stored and looked-for values compare as
/// equal bytes), else every row (the view's conditions decide).
fn lookup(table: &crate::storage::table::Table, col: usize, v: &Value) -> Vec<RowKey> {
    let ty = table.schema.columns.get(col).map_or(DataType::Any, |c| c.ty);
    let same = matches!(
        (ty, v),
        (DataType::Integer, Value::Integer(_))
            | (DataType::Real, Value::Real(_))
            | (DataType::Text, Value::Text(_))
            | (DataType::Boolean, Value::Boolean(_))
            | (DataType::Timestamp, Value::Timestamp(_))
    );
    match (v, same) {
        (Value::Null, _) => Vec::new(),
        (_, true) => table.keys_where(&[col], std::slice::from_ref(v)),
        _ => table.rows.iter().map(|(k, _)| k).collect(),
    }
}

/// One group's accumulators: its rows, and per aggregate the values counted, the reals
/// among them, the integer sum, and the real sum (sum, total, avg) or the extreme (min,
/// max).
#[derive(Clone, Debug)]
struct Acc {
    rows: i64,
    aggs: Vec<AggState>,
}

#[derive(Clone, Debug)]
struct AggState {
    n: i64,
    reals: i64,
    int: i64,
    value: Value,
}

impl Acc {
    fn new(n: usize) -> Acc {
        Acc { rows: 0, aggs: vec![AggState { n: 0, reals: 0, int: 0, value: Value::Null }; n] }
    }

    fn encode(&self, key: &RowKey) -> Vec<Value> {
        let mut row: Vec<Value> = match key {
            RowKey::Tuple(values) => values.to_vec(),
            RowKey::Int(i) => vec![Value::Integer(*i)],
        };
        row.push(Value::Integer(self.rows));
        for a in &self.aggs {
            row.extend([Value::Integer(a.n), Value::Integer(a.reals), Value::Integer(a.int), a.value.clone()]);
        }
        row
    }

    fn decode(row: &[Value], n: usize) -> Acc {
        // Read with `get`: a row of another width (a damaged file) reads as zeros.
        let int = |v: Option<&Value>| match v {
            Some(Value::Integer(i)) => *i,
            _ => 0,
        };
        let base = row.len().saturating_sub(1 + 4 * n);
        let aggs = (0..n)
            .map(|i| {
                let at = base + 1 + 4 * i;
                AggState {
                    n: int(row.get(at)),
                    reals: int(row.get(at + 1)),
                    int: int(row.get(at + 2)),
                    value: row.get(at + 3).cloned().unwrap_or(Value::Null),
                }
            })
            .collect();
        Acc { rows: int(row.get(base)), aggs }
    }

    fn add(&mut self, calls: &[AggCall], env: &Env) -> Result<()> {
        self.rows += 1;
        for (call, state) in calls.iter().zip(&mut self.aggs) {
            if let Some(v) = counted(call, env)? {
                state.add(call.func, v)?;
            }
        }
        Ok(())
    }

    /// Takes a row out; true when a min or max lost the value it held.
    fn remove(&mut self, calls: &[AggCall], env: &Env) -> Result<bool> {
        self.rows -= 1;
        let mut lost = false;
        for (call, state) in calls.iter().zip(&mut self.aggs) {
            if let Some(v) = counted(call, env)? {
                lost |= state.remove(call.func, v)?;
            }
        }
        Ok(lost)
    }
}

/// The value a row gives an aggregate, or none when it counts for nothing there.
fn counted(call: &AggCall, env: &Env) -> Result<Option<Value>> {
    if let Some(f) = &call.filter {
        if truth(f, env)? != Some(true) {
            return Ok(None);
        }
    }
    let v = match &call.arg {
        Some(e) => eval(e, env)?,
        None => Value::Integer(1),
    };
    Ok((!v.is_null() || call.func == AggFunc::CountStar).then_some(v))
}

fn overflow() -> crate::error::Error {
    ErrorKind::IntegerOverflow.into()
}

impl AggState {
    fn add(&mut self, func: AggFunc, v: Value) -> Result<()> {
        self.n += 1;
        match func {
            AggFunc::Sum | AggFunc::Total | AggFunc::Avg => match to_number(&v) {
                Value::Integer(i) => self.int = self.int.checked_add(i).ok_or_else(overflow)?,
                Value::Real(r) => {
                    self.reals += 1;
                    self.value = Value::Real(real(&self.value) + r);
                }
                _ => {}
            },
            AggFunc::Min | AggFunc::Max => {
                let better = self.n == 1 || {
                    let o = v.total_cmp(&self.value);
                    if func == AggFunc::Min {
                        o.is_lt()
                    } else {
                        o.is_gt()
                    }
                };
                if better {
                    self.value = v;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn remove(&mut self, func: AggFunc, v: Value) -> Result<bool> {
        self.n -= 1;
        match func {
            AggFunc::Sum | AggFunc::Total | AggFunc::Avg => match to_number(&v) {
                Value::Integer(i) => self.int = self.int.checked_sub(i).ok_or_else(overflow)?,
                Value::Real(r) => {
                    self.reals -= 1;
                    self.value = if self.reals == 0 { Value::Null } else { Value::Real(real(&self.value) - r) };
                }
                _ => {}
            },
            AggFunc::Min | AggFunc::Max => {
                if self.n == 0 {
                    self.value = Value::Null;
                } else if v.total_cmp(&self.value).is_eq() {
                    return Ok(true);
                }
            }
            _ => {}
        }
        Ok(false)
    }

    fn finish(&self, func: AggFunc) -> Result<Value> {
        let total = self.int as f64 + real(&self.value);
        Ok(match func {
            AggFunc::CountStar | AggFunc::Count => Value::Integer(self.n),
            AggFunc::Sum if self.n == 0 => Value::Null,
            AggFunc::Sum if self.reals > 0 => Value::Real(total),
            AggFunc::Sum => Value::Integer(self.int),
            AggFunc::Total => Value::Real(total),
            AggFunc::Avg if self.n == 0 => Value::Null,
            AggFunc::Avg => Value::Real(total / self.n as f64),
            AggFunc::Min | AggFunc::Max if self.n == 0 => Value::Null,
            _ => self.value.clone(),
        })
    }
}

fn real(v: &Value) -> f64 {
    match v {
        Value::Real(r) => *r,
        _ => 0.0,
    }
}
