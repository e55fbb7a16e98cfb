//! INSERT, UPDATE, DELETE and DDL. Each takes the state by value, changes it and
//! returns it with the write set that produced it. On any error the changed state is
//! dropped: a caller that keeps its own clone has it untouched, which is what makes
//! every statement atomic (a transaction instead rebuilds its state from its write
//! set, so that its private copy changes in place without copying B-tree paths).
//!
//! Expressions evaluated while rows change (CHECK, SET) see the state as it was before
//! the statement when they read the database at all (subqueries, stream functions);
//! only then is a copy of it kept for them.

use std::sync::Arc;

use super::access::{Check, Columns, RowRef};
use super::eval::{eval, is_true, push_value, truth, Ctx, Env};
use super::foreign::ForeignKeys;
use super::select::run_select;
use super::trigger::{Event, Triggers};
use crate::error::{Error, ErrorKind, Result};
use crate::sql::ast::Conflict;
use crate::sql::plan::{
    Access, BExpr, CheckPlan, DefaultPlan, DeletePlan, InsertPlan, InsertSourcePlan, RowChange, UpdatePlan,
};
use crate::storage::convert::{fits, store_value};
use crate::storage::schema::literal_sql;
use crate::storage::{
    Change, ColumnDefault, Row, RowKey, State, Table, TableSchema, TriggerTiming, Value, WriteOp, WriteSet,
};

/// A write statement's result: the new state, what changed, and how many rows.
pub struct Written {
    pub state: State,
    pub writes: WriteSet,
    pub count: usize,
    /// What the statement's foreign key checks relied on; a transaction's commit
    /// verifies that none of it changed meanwhile.
    pub reads: Vec<Read>,
}

/// Something a statement read to check a constraint.
#[derive(Clone, Debug, PartialEq)]
pub enum Read {
    /// One row (present) of a table.
    Key(String, RowKey),
    /// Every row of a table.
    Table(String),
}

/// Types, NOT NULL and CHECK for a full row about to be stored.
fn validate(schema: &TableSchema, row: &mut [Value], checks: &[CheckPlan], ctx: &Ctx) -> Result<()> {
    for (col, v) in schema.columns.iter().zip(row.iter_mut()) {
        // A value of the column's type (nearly every one) is left where it is.
        if !fits(v, col.ty) {
            let value = std::mem::replace(v, Value::Null);
            *v = store_value(value, col.ty, &schema.name, &col.name)?;
        }
        if col.not_null && v.is_null() {
            return Err(ErrorKind::Constraint {
                kind: "NOT NULL",
                table: schema.name.clone(),
                columns: col.name.clone(),
                detail: String::new(),
            }
            .into());
        }
    }
    let env = Env { row, aggs: &[], ctx };
    for check in checks {
        if truth(&check.expr, &env)? == Some(false) {
            return Err(ErrorKind::Constraint {
                kind: "CHECK",
                table: schema.name.clone(),
                columns: check.name.clone(),
                detail: format!(
                    "{} is false for row ({})",
                    check.sql,
                    row.iter().map(literal_sql).collect::<Vec<_>>().join(", ")
                ),
            }
            .into());
        }
    }
    Ok(())
}

/// The key for a new row, assigning a rowid (or a NULL integer key) when needed.
fn new_key(table: &mut Table, row: &mut [Value]) -> Result<RowKey> {
    if let Some(k) = table.schema.integer_key() {
        if row[k].is_null() {
            row[k] = Value::Integer(table.allocate_rowid()?);
        }
    }
    match table.key_for(row) {
        Some(key) => Ok(key),
        None => Ok(RowKey::Int(table.allocate_rowid()?)),
    }
}

/// The state before the statement, kept for expressions evaluated while rows change
/// only if one of them reads the database.
fn kept_for<'a>(state: &State, mut exprs: impl Iterator<Item = &'a BExpr>) -> Option<State> {
    exprs.any(BExpr::reads_state).then(|| state.clone())
}

pub fn run_insert(plan: &InsertPlan, state: State, ctx: &Ctx) -> Result<Written> {
    let schema = &plan.schema;
    let source = insert_source(&plan.source, &state, &Ctx { state: Some(&state), ..*ctx })?;
    let kept = kept_for(&state, plan.checks.iter().map(|c| &c.expr));
    let ctx = &Ctx { state: kept.as_ref(), ..*ctx };
    let triggers = Triggers::load(&state, &plan.table, Event::Insert, ctx)?;
    let multi = source.len() > 1;
    let mut working = state;
    let mut writes = WriteSet::default();
    let mut fks = ForeignKeys::default();
    let mut reads = Vec::new();
    let mut count = 0;
    writes.ops.reserve_exact(source.len());
    for (n, src) in source.into_iter().enumerate() {
        if n % 4096 == 0 {
            ctx.check_interrupt()?;
        }
        let one = || -> Result<()> {
            // OR IGNORE: a row that breaks a constraint is left out with everything its
            // BEFORE triggers did (the state is persistent: keeping it is a clone).
            let before = (plan.conflict == Conflict::Ignore).then(|| (working.clone(), writes.ops.len(), reads.len()));
            let stored = insert_row(plan, schema, src, &mut working, &mut writes, &mut reads, triggers.as_ref(), ctx);
            let stored = match (stored, before) {
                (Err(e), Some((state, ops, read))) if e.breaks_row_constraint() => {
                    working = state;
                    writes.ops.truncate(ops);
                    reads.truncate(read);
                    return Ok(());
                }
                (Err(e), _) if plan.conflict == Conflict::Rollback && e.breaks_row_constraint() => {
                    return Err(ErrorKind::RolledBack(e).into());
                }
                (stored, _) => stored?,
            };
            let Some((key, row)) = stored else {
                return Ok(());
            };
            if let (RowKey::Int(rowid), Some(c), None) = (&key, ctx.counters, ctx.firing) {
                c.inserted(*rowid);
            }
            fks.stored(schema, &plan.table, &key);
            if let Some(ttl) = plan.ttl.unwrap_or(schema.ttl) {
                let op = WriteOp::Expire { table: plan.table.clone(), key, at: Some(ctx.now().saturating_add(ttl)) };
                working.apply(&op)?;
                writes.ops.push(op);
            }
            if let (Some(t), Some(row)) = (&triggers, row) {
                t.fire(TriggerTiming::After, None, Some(&row), &mut working, &mut writes.ops, &mut reads, ctx)?;
            }
            count += 1;
            Ok(())
        };
        one().map_err(|e| if multi { e.in_row(n + 1) } else { e })?;
    }
    fks.finish(&working)?;
    reads.extend(fks.reads);
    Ok(Written { state: working, writes, count, reads })
}

/// The rows an INSERT stores (into a table or, through its triggers, a view), evaluated
/// before any is stored.
pub(super) fn insert_source(source: &InsertSourcePlan, state: &State, ctx: &Ctx) -> Result<Vec<Vec<Value>>> {
    // Each row's values go into a vector of exactly their number (it becomes the row);
    // parameters and constants are copied without an evaluation.
    let values = |r: &[BExpr], env: &Env| -> Result<Vec<Value>> {
        let mut vals = Vec::with_capacity(r.len());
        for e in r {
            push_value(e, env, &mut vals)?;
        }
        Ok(vals)
    };
    Ok(match source {
        InsertSourcePlan::Values(rows) => {
            let env = Env { row: &[], aggs: &[], ctx };
            let multi = rows.len() > 1;
            let mut out = Vec::with_capacity(rows.len());
            for (n, r) in rows.iter().enumerate() {
                out.push(values(r, &env).map_err(|e| if multi { e.in_row(n + 1) } else { e })?);
            }
            out
        }
        InsertSourcePlan::Select(p) => run_select(p, state, ctx)?.rows,
    })
}

/// Stores one row (after the BEFORE triggers), adding its change to the write set;
/// its key (and the row, when there are triggers to read it), or `None` when a trigger
/// said to leave it out.
#[allow(clippy::too_many_arguments)]
fn insert_row(
    plan: &InsertPlan,
    schema: &TableSchema,
    src: Vec<Value>,
    working: &mut State,
    writes: &mut WriteSet,
    reads: &mut Vec<Read>,
    triggers: Option<&Triggers>,
    ctx: &Ctx,
) -> Result<Option<(RowKey, Option<Row>)>> {
    // Keyed and checked as a vector, which the write set then keeps. The source values
    // become the row as they are when they are every column in order.
    let in_order = src.len() == plan.mapping.len() && plan.mapping.iter().enumerate().all(|(i, m)| *m == Some(i));
    let mut row: Vec<Value> = if in_order {
        src
    } else {
        let env = Env { row: &[], aggs: &[], ctx };
        plan.mapping
            .iter()
            .zip(&schema.columns)
            .zip(&plan.defaults)
            .map(|((m, col), expr)| match (m, &col.default, expr) {
                (Some(i), ..) => Ok(src[*i].clone()),
                (None, Some(ColumnDefault::Value(v)), _) => Ok(v.clone()),
                (None, Some(ColumnDefault::Now), _) => Ok(Value::Timestamp(ctx.now())),
                (None, Some(ColumnDefault::Expr(_)), Some(e)) => eval(e, &env),
                (None, ..) => Ok(Value::Null),
            })
            .collect::<Result<_>>()?
    };
    if let Some(t) = triggers {
        if !t.fire(TriggerTiming::Before, None, Some(&row), working, &mut writes.ops, reads, ctx)? {
            return Ok(None);
        }
    }
    // The table is looked up once for the key, the checks and the row itself.
    let table = working.table_mut(&plan.table)?;
    let key = new_key(table, &mut row)?;
    validate(schema, &mut row, &plan.checks, ctx)?;
    // The values move into the write set as they are (a vector made to their number).
    let stored = row.into_boxed_slice();
    // INSERT OR REPLACE deletes the rows the new one clashes with; so does every insert
    // for clashing rows that have expired (they are gone for every reader already).
    if !plan.replaces() && !table.has_expired_by(|| ctx.now()) {
        table.insert(key.clone(), &stored)?;
    } else {
        replace_clashing(plan, &key, &stored, working, writes, ctx)?;
        working.table_mut(&plan.table)?.insert(key.clone(), &stored)?;
    }
    // The row is handed back only for the AFTER triggers to read.
    let done = (key.clone(), triggers.map(|_| Row::from(&stored[..])));
    writes.ops.push(WriteOp::Row { table: plan.table.clone(), key, change: Change::Insert(stored) });
    Ok(Some(done))
}

/// Deletes the rows a new row under `key` clashes with: all of them for INSERT OR
/// REPLACE, otherwise those that have expired.
fn replace_clashing(
    plan: &InsertPlan,
    key: &RowKey,
    row: &[Value],
    working: &mut State,
    writes: &mut WriteSet,
    ctx: &Ctx,
) -> Result<()> {
    let table = working.table_or_err(&plan.table)?;
    let mut doomed = clashing(table, key, row, None);
    if !plan.replaces() {
        let now = ctx.now();
        doomed.retain(|k| !table.is_live(k, now));
    }
    remove_rows(working, &plan.table, doomed, writes)
}

/// The rows a row stored under `key` would clash with, by key or by any unique column
/// set (other than the row under `except`).
fn clashing(table: &Table, key: &RowKey, row: &[Value], except: Option<&RowKey>) -> Vec<RowKey> {
    let schema = &table.schema;
    let mut out: Vec<RowKey> = Vec::new();
    if table.rows.contains_key(key) && Some(key) != except {
        out.push(key.clone());
    }
    let uniques = schema.uniques.iter().map(|u| &u.columns);
    for cols in uniques.chain(schema.indexes.iter().filter(|i| i.unique).map(|i| &i.columns)) {
        let vals: Vec<Value> = cols.iter().map(|&c| row[c].clone()).collect();
        if vals.iter().any(Value::is_null) {
            continue;
        }
        for k in table.keys_where(cols, &vals) {
            if !out.contains(&k) && Some(&k) != except {
                out.push(k);
            }
        }
    }
    out
}

fn remove_rows(working: &mut State, table: &str, keys: Vec<RowKey>, writes: &mut WriteSet) -> Result<()> {
    for k in keys {
        let op = WriteOp::Row { table: table.into(), key: k, change: Change::Delete };
        working.apply(&op)?;
        writes.ops.push(op);
    }
    Ok(())
}

pub fn run_update(plan: &UpdatePlan, state: State, ctx: &Ctx) -> Result<Written> {
    let table = state.table_or_err(&plan.table)?;
    let schema = table.schema.clone();
    let at = &Ctx { state: Some(&state), ..*ctx };
    let exprs = plan.assignments.iter().map(|(_, e)| e).chain(plan.checks.iter().map(|c| &c.expr));
    let kept = kept_for(&state, exprs);
    let ctx = &Ctx { state: kept.as_ref(), ..*ctx };
    let triggers = match state.has_triggers_on(&plan.table) {
        true => {
            let set: Vec<usize> = plan.assignments.iter().map(|(c, _)| *c).collect();
            Triggers::load(&state, &plan.table, Event::Update(&set), ctx)?
        }
        false => None,
    };
    // The rows to change are those of the statement's own snapshot (`state`), read while
    // the changes go to a copy of it: each is changed as the scan meets it, and the scan
    // never sees a change.
    let mut working = state.clone();
    let mut writes = WriteSet::default();
    let mut fks = ForeignKeys::default();
    let mut reads = Vec::new();
    let mut count = 0;
    // When nothing fires, no foreign key is involved, no row expires and no unique key
    // is assigned (so no row's change can clash with another's), rows that keep their
    // key are changed all at once, after the scan or before a row that needs more: each
    // page and index node then changes once. The order of checks and errors is a
    // row-at-a-time update's.
    let assigned = |cols: &[usize]| cols.iter().any(|c| plan.assignments.iter().any(|(a, _)| a == c));
    let batched = triggers.is_none()
        && plan.ttl.is_none()
        && schema.foreign_keys.is_empty()
        && table.expiry.is_empty()
        && !table.indexes.iter().any(|i| i.unique && assigned(&i.columns))
        && !fks.is_referenced(&state, &plan.table);
    let mut pending: Vec<(RowKey, Row)> = Vec::new();
    let flush = |working: &mut State, pending: &mut Vec<(RowKey, Row)>| -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        if !pending.is_sorted_by(|a, b| a.0 < b.0) {
            // A row met twice (by an access path that finds it twice) was changed from
            // the same old row both times: once is enough.
            pending.sort_by(|a, b| a.0.cmp(&b.0));
            pending.dedup_by(|a, b| a.0 == b.0);
        }
        working.table_mut(&plan.table)?.update_sorted(pending)?;
        pending.clear();
        Ok(())
    };
    let mut each = |key: &RowKey, row: &[Value]| -> Result<()> {
        let env = Env { row, aggs: &[], ctx };
        // The new row is allocated once, as what is stored, and changed in place while
        // nobody else holds it.
        let mut new = Row::from(row);
        let values = Arc::get_mut(&mut new).expect("a row just copied is held by nobody else");
        for (col, e) in &plan.assignments {
            values[*col] = eval(e, &env)?;
        }
        if let Some(t) = &triggers {
            if !t.fire(TriggerTiming::Before, Some(row), Some(&new), &mut working, &mut writes.ops, &mut reads, ctx)? {
                return Ok(());
            }
        }
        let values = Arc::get_mut(&mut new).expect("a row just copied is held by nobody else");
        validate(&schema, values, &plan.checks, ctx)?;
        let row_op = |key: &RowKey, change| WriteOp::Row { table: plan.table.clone(), key: key.clone(), change };
        if batched {
            if table.key_for(&new).is_none_or(|k| &k == key) {
                writes.ops.push(row_op(key, Change::Update(new.clone())));
                pending.push((key.clone(), new));
                count += 1;
                return Ok(());
            }
            // A new key: the rows before it are changed first, as they would have been.
            flush(&mut working, &mut pending)?;
        }
        let table_now = working.table_mut(&plan.table)?;
        let new_key = table_now.key_for(&new).unwrap_or_else(|| key.clone());
        let old_expiry = table_now.expiry.get(key).copied();
        let expired = table_now.has_expired_by(|| ctx.now());
        if &new_key == key && !expired {
            // The usual change: the row keeps its key and no row has expired, so the
            // table found above takes it.
            table_now.update(key.clone(), &new)?;
            writes.ops.push(row_op(key, Change::Update(new.clone())));
        } else {
            if expired {
                let now = ctx.now();
                let mut expired = clashing(table_now, &new_key, &new, Some(key));
                expired.retain(|k| !table_now.is_live(k, now));
                remove_rows(&mut working, &plan.table, expired, &mut writes)?;
            }
            if &new_key != key {
                let op = row_op(key, Change::Delete);
                working.apply(&op)?;
                writes.ops.push(op);
            }
            let change = if &new_key == key { Change::Update(new.clone()) } else { Change::Insert(new[..].into()) };
            let op = row_op(&new_key, change);
            working.apply(&op)?;
            writes.ops.push(op);
        }
        // WITH TTL sets a new expiry; otherwise a row keeps its own, also under a new key.
        let expiry = match plan.ttl {
            Some(ttl) => Some(ttl.map(|t| ctx.now().saturating_add(t))),
            None if new_key != *key => old_expiry.map(Some),
            None => None,
        };
        if let Some(at) = expiry {
            let op = WriteOp::Expire { table: plan.table.clone(), key: new_key.clone(), at };
            working.apply(&op)?;
            writes.ops.push(op);
        }
        fks.stored(&schema, &plan.table, &new_key);
        fks.parent_changed(&mut working, &plan.table, row, Some(&new), &mut writes.ops, ctx)?;
        if let Some(t) = &triggers {
            t.fire(TriggerTiming::After, Some(row), Some(&new), &mut working, &mut writes.ops, &mut reads, ctx)?;
        }
        count += 1;
        Ok(())
    };
    matching(table, &plan.access, plan.filter.as_ref(), Columns::All, at, |key, row| each(key, &row))?;
    flush(&mut working, &mut pending)?;
    fks.finish(&working)?;
    reads.extend(fks.reads);
    Ok(Written { state: working, writes, count, reads })
}

pub fn run_delete(plan: &DeletePlan, state: State, ctx: &Ctx) -> Result<Written> {
    let table = state.table_or_err(&plan.table)?;
    let at = &Ctx { state: Some(&state), ..*ctx };
    // Only the keys are kept: no column is decoded but those WHERE reads.
    let mut keys = Vec::new();
    matching(
        table,
        &plan.access,
        plan.filter.as_ref(),
        Columns::Some(crate::storage::rows::Mask::EMPTY),
        at,
        |k, _| {
            keys.push(k.clone());
            Ok(())
        },
    )?;
    let triggers = Triggers::load(&state, &plan.table, Event::Delete, ctx)?;
    let mut working = state;
    let mut writes = WriteSet::default();
    writes.ops.reserve_exact(keys.len());
    let mut fks = ForeignKeys::default();
    let mut count = 0;
    if triggers.is_none() && !fks.is_referenced(&working, &plan.table) {
        // Nothing fires and nothing refers to the rows: they go from the table found
        // once, in key order and all at once (each page and index node changes once),
        // each change naming the table by the plan's shared name.
        if !keys.is_sorted_by(|a, b| a < b) {
            keys.sort_unstable();
            keys.dedup();
        }
        // One pass, not stopped part way (a pass per chunk would change each page once
        // per chunk): Ctrl-C during it is answered as it ends, and nothing is kept.
        ctx.check_interrupt()?;
        let table = working.table_mut(&plan.table)?;
        count = table.remove_sorted(&keys, |key| {
            writes.ops.push(WriteOp::Row { table: plan.table.clone(), key: key.clone(), change: Change::Delete });
        });
        ctx.check_interrupt()?;
        return Ok(Written { state: working, writes, count, reads: fks.reads });
    }
    for (n, key) in keys.iter().enumerate() {
        if n % 4096 == 4095 {
            ctx.check_interrupt()?;
        }
        if fks.delete_firing(&mut working, &plan.table, key, triggers.as_ref(), &mut writes.ops, ctx)? {
            count += 1;
        }
    }
    fks.finish(&working)?;
    Ok(Written { state: working, writes, count, reads: fks.reads })
}

/// Calls `f` with each row an UPDATE or DELETE changes: those its access path finds that
/// pass WHERE, with the columns asked for (WHERE's own are decoded first).
fn matching(
    table: &Table,
    access: &Access,
    filter: Option<&BExpr>,
    columns: Columns,
    ctx: &Ctx,
    mut f: impl FnMut(&RowKey, RowRef) -> Result<()>,
) -> Result<()> {
    let keeps = |row: &[Value]| filter.map_or(Ok(true), |f| is_true(f, &Env { row, aggs: &[], ctx }));
    let check = filter.map(|f| Check { columns: f.reads(), keeps: &keeps, filter: Some(f) });
    super::access::scan(table, access, columns, check, ctx, |key, row| f(key, row).map(|()| true))
}

/// The schema with its DEFAULT expressions evaluated and stored (each once, as the
/// table is created or the column added).
pub fn with_defaults(schema: &Arc<TableSchema>, defaults: &[DefaultPlan]) -> Result<Arc<TableSchema>> {
    if defaults.is_empty() {
        return Ok(Arc::clone(schema));
    }
    let mut filled = (**schema).clone();
    for d in defaults {
        let value = super::eval_constant(&d.expr)?;
        let col = &filled.columns[d.column];
        let stored = store_value(value, col.ty, &filled.name, &col.name)?;
        filled.columns[d.column].default = Some(ColumnDefault::Value(stored));
    }
    Ok(Arc::new(filled))
}

/// Rebuilds a table under a new schema: drop, create, and every row again (changed as
/// the ALTER says), all in one write set.
pub fn run_alter(table: &str, schema: &Arc<TableSchema>, change: &RowChange, state: &State) -> Result<Written> {
    let old = state.table_or_err(table)?;
    let fill = match schema.columns.last().and_then(|c| c.default.as_ref()) {
        _ if *change != RowChange::AddColumn => Value::Null,
        Some(ColumnDefault::Value(v)) => v.clone(),
        Some(ColumnDefault::Now) => Value::Timestamp(crate::storage::time::now_micros()),
        Some(ColumnDefault::Expr(sql)) => {
            return Err(Error::invalid(format!(
                "cannot add a column with a non-constant default ({sql}): add it without one, then UPDATE"
            )))
        }
        None => Value::Null,
    };
    if let (RowChange::AddColumn, Some(col)) = (change, schema.columns.last()) {
        if col.not_null && fill.is_null() && !old.rows.is_empty() {
            return Err(Error::invalid(format!("cannot add NOT NULL column {} without a default value", col.name)));
        }
    }
    let new_name: Arc<str> = schema.name.to_ascii_lowercase().into();
    let mut ops = vec![WriteOp::DropTable(table.to_string()), WriteOp::CreateTable(schema.clone())];
    for (key, row) in old.rows.iter() {
        let row: Box<[Value]> = match change {
            RowChange::Keep => row[..].into(),
            RowChange::AddColumn => row.iter().cloned().chain([fill.clone()]).collect(),
            RowChange::Remove(i) => row.iter().enumerate().filter(|(c, _)| c != i).map(|(_, v)| v.clone()).collect(),
        };
        ops.push(WriteOp::Row { table: Arc::clone(&new_name), key: key.clone(), change: Change::Insert(row) });
    }
    // Dropping the table dropped its triggers: they come back, on its new name.
    let old_name = table.to_ascii_lowercase();
    for t in state.triggers().filter(|t| t.table == old_name) {
        let mut def = (**t).clone();
        if *new_name != *old_name {
            let crate::sql::ast::Statement::CreateTrigger(mut stmt) = crate::sql::parser::parse(&def.sql)? else {
                return Err(Error::invalid(format!("trigger {}: its stored text is not CREATE TRIGGER", def.name)));
            };
            stmt.table = new_name.to_string();
            def.sql = stmt.to_string();
            def.table = new_name.to_string();
        }
        ops.push(WriteOp::CreateTrigger(Arc::new(def)));
    }
    let writes = WriteSet { ops };
    Ok(Written { state: state.applied(&writes)?, writes, count: 0, reads: Vec::new() })
}

/// Applies one catalog change (CREATE/DROP) to a copy of the state.
pub fn run_ddl(op: WriteOp, state: &State) -> Result<Written> {
    let mut working = state.clone();
    working.apply(&op)?;
    Ok(Written { state: working, writes: WriteSet { ops: vec![op] }, count: 0, reads: Vec::new() })
}
