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

mod insert;
mod trash;

pub(super) use insert::insert_source;
pub use insert::run_insert;

use super::access::{Check, Columns, RowRef};
use super::eval::{eval, is_true, truth, Ctx, Env};
use super::foreign::ForeignKeys;
use super::trigger::{Event, Triggers};
use crate::error::{Error, ErrorKind, Result};
use crate::exec::ResultSet;
use crate::sql::ast::Conflict;
use crate::sql::plan::{
    Access, BExpr, CheckPlan, DefaultPlan, DeletePlan, ReturningPlan, RowChange, RowLimitPlan, SelectPlan, SortExpr,
    UpdatePlan,
};
use crate::storage::convert::{fits, store_value};
use crate::storage::schema::literal_sql;
use crate::storage::{
    Change, Column, ColumnDefault, DataType, Row, RowKey, State, Table, TableSchema, TriggerTiming, Value, WriteOp,
    WriteSet,
};

/// A write statement's result: the new state, what changed, and how many rows.
pub struct Written {
    pub state: State,
    pub writes: WriteSet,
    pub count: usize,
    /// What the statement's foreign key checks relied on; a transaction's commit
    /// verifies that none of it changed meanwhile.
    pub reads: Vec<Read>,
    /// `OR FAIL`: the error the statement stopped at; the changes before it stand, and
    /// the caller keeps them before reporting it.
    pub failed: Option<Error>,
}

/// Something a statement read to check a constraint.
#[derive(Clone, Debug, PartialEq)]
pub enum Read {
    /// One row (present) of a table.
    Key(String, RowKey),
    /// Every row of a table.
    Table(String),
}

fn not_null_error(schema: &TableSchema, col: &crate::storage::Column) -> crate::error::Error {
    ErrorKind::Constraint {
        kind: "NOT NULL",
        table: schema.name.clone(),
        columns: col.name.clone(),
        detail: String::new(),
    }
    .into()
}

/// Types, NOT NULL and CHECK for a full row about to be stored.
fn validate(schema: &TableSchema, row: &mut [Value], checks: &[CheckPlan], ctx: &Ctx) -> Result<()> {
    // An integer key set to NULL (by UPDATE: INSERT assigns one) is SQLite's datatype
    // mismatch, which no `OR IGNORE` skips.
    if let Some(k) = schema.integer_key().filter(|&k| row[k].is_null()) {
        let column = &schema.columns[k].name;
        return Err(Error::invalid(format!("datatype mismatch: integer key {}.{column} cannot be NULL", schema.name)));
    }
    // Generated columns come first (they lead the steps), worked out from the other
    // columns once those hold values of their types.
    let generated = checks.iter().take_while(|c| c.generates.is_some());
    if generated.clone().next().is_some() {
        for (col, v) in schema.columns.iter().zip(row.iter_mut()) {
            if col.generated.is_none() && !fits(v, col.ty) {
                let value = std::mem::replace(v, Value::Null);
                *v = store_value(value, col.ty, &schema.name, &col.name)?;
            }
        }
        for step in generated {
            let Some(c) = step.generates else { continue };
            let value = eval(&step.expr, &Env { row, aggs: &[], ctx })?;
            let col = &schema.columns[c];
            row[c] = store_value(value, col.ty, &schema.name, &col.name)?;
        }
    }
    for (col, v) in schema.columns.iter().zip(row.iter_mut()) {
        // A value of the column's type (nearly every one) is left where it is.
        if !fits(v, col.ty) {
            let value = std::mem::replace(v, Value::Null);
            *v = store_value(value, col.ty, &schema.name, &col.name)?;
        }
        if col.not_null && v.is_null() {
            return Err(not_null_error(schema, col));
        }
    }
    let env = Env { row, aggs: &[], ctx };
    for check in checks.iter().filter(|c| c.generates.is_none()) {
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

/// The key for a new row, assigning a rowid (or a NULL integer key) when needed; the
/// rowid assigned, if one was.
fn new_key(table: &mut Table, row: &mut [Value]) -> Result<(RowKey, Option<i64>)> {
    if let Some(k) = table.schema.integer_key() {
        if row[k].is_null() {
            let id = table.allocate_rowid()?;
            row[k] = Value::Integer(id);
            return Ok((RowKey::Int(id), Some(id)));
        }
    }
    match table.key_for(row) {
        Some(key) => Ok((key, None)),
        None => {
            let id = table.allocate_rowid()?;
            Ok((RowKey::Int(id), Some(id)))
        }
    }
}

/// What a statement has changed so far: the state, the write set that made it, its
/// foreign key work and what its constraint checks relied on.
struct Work {
    working: State,
    writes: WriteSet,
    fks: ForeignKeys,
    reads: Vec<Read>,
    /// `OR FAIL`: the error a row broke, after which no row changes.
    failed: Option<Error>,
}

impl Work {
    fn new(state: State) -> Work {
        let (writes, fks) = (WriteSet::default(), ForeignKeys::default());
        Work { working: state, writes, fks, reads: Vec::new(), failed: None }
    }

    /// Where the statement is now, to come back to if the next row is left out (`OR
    /// IGNORE`): the state is persistent, so keeping it is a clone.
    fn mark(&self) -> Mark {
        (self.working.clone(), self.writes.ops.len(), self.reads.len())
    }

    fn restore(&mut self, (state, ops, reads): Mark) {
        self.working = state;
        self.writes.ops.truncate(ops);
        self.reads.truncate(reads);
    }

    /// The statement's result, once its deferred foreign key checks pass.
    fn done(mut self, count: usize) -> Result<Written> {
        self.fks.finish(&self.working)?;
        self.reads.append(&mut self.fks.reads);
        Ok(Written { state: self.working, writes: self.writes, count, reads: self.reads, failed: self.failed })
    }
}

/// A statement's state, and how long its write set and reads were, before a row.
type Mark = (State, usize, usize);

/// Runs one row's change under `OR IGNORE | FAIL | ROLLBACK | ABORT`: a row that breaks
/// a constraint is left out with everything done for it (IGNORE), or is left out and
/// stops the statement, whose earlier rows stand (FAIL), or ends the transaction
/// (ROLLBACK), or fails the statement (ABORT).
fn under_conflict<T>(
    conflict: Conflict,
    work: &mut Work,
    change: impl FnOnce(&mut Work) -> Result<Option<T>>,
) -> Result<Option<T>> {
    let mark = matches!(conflict, Conflict::Ignore | Conflict::Fail).then(|| work.mark());
    match (change(work), mark) {
        (Err(e), Some(mark)) if e.breaks_row_constraint() => {
            work.restore(mark);
            if conflict == Conflict::Fail {
                work.failed = Some(e);
            }
            Ok(None)
        }
        (Err(e), _) if conflict == Conflict::Rollback && e.breaks_row_constraint() => {
            Err(ErrorKind::RolledBack(e).into())
        }
        (done, _) => done,
    }
}

/// One RETURNING row: its expressions over a changed row.
fn returned_row(plan: &ReturningPlan, row: &[Value], ctx: &Ctx) -> Result<Vec<Value>> {
    let env = Env { row, aggs: &[], ctx };
    plan.exprs.iter().map(|e| eval(e, &env)).collect()
}

/// How an UPDATE (or an upsert's DO UPDATE) changes one row.
struct Changer<'a> {
    table: &'a Arc<str>,
    schema: &'a TableSchema,
    checks: &'a [CheckPlan],
    /// `WITH TTL`: a new lifetime for the changed rows.
    ttl: Option<Option<i64>>,
    triggers: Option<&'a Triggers>,
    /// `UPDATE OR REPLACE`: rows the new values clash with are deleted first.
    replace: bool,
}

impl Changer<'_> {
    /// Fires the BEFORE triggers and checks a row's new values (types, NOT NULL, CHECK);
    /// false when a trigger said to leave the row alone.
    fn prepare(&self, row: &[Value], new: &mut Row, work: &mut Work, ctx: &Ctx) -> Result<bool> {
        if let Some(t) = self.triggers {
            let (working, ops, reads) = (&mut work.working, &mut work.writes.ops, &mut work.reads);
            if !t.fire(TriggerTiming::Before, Some(row), Some(new), working, ops, reads, ctx)? {
                return Ok(false);
            }
        }
        let values = Arc::get_mut(new).expect("a row just copied is held by nobody else");
        validate(self.schema, values, self.checks, ctx)?;
        Ok(true)
    }

    /// Stores a prepared row's new values: under a new key when its key changed, with
    /// its expiry, its foreign key actions and its AFTER triggers.
    fn store(&self, key: &RowKey, row: &[Value], new: &Row, work: &mut Work, ctx: &Ctx) -> Result<()> {
        let row_op = |key: &RowKey, change| WriteOp::Row { table: self.table.clone(), key: key.clone(), change };
        let working = &mut work.working;
        let writes = &mut work.writes;
        let table_now = working.table_mut(self.table)?;
        let new_key = table_now.key_for(new).unwrap_or_else(|| key.clone());
        let old_expiry = table_now.expiry.get(key).copied();
        let expired = table_now.has_expired_by(|| ctx.now());
        if self.replace {
            let doomed = clashing(table_now, &new_key, new, Some(key));
            remove_rows(working, self.table, doomed, writes)?;
        }
        let table_now = working.table_mut(self.table)?;
        if &new_key == key && !expired {
            // The usual change: the row keeps its key and no row has expired, so the
            // table found above takes it.
            table_now.update(key.clone(), new)?;
            writes.ops.push(row_op(key, Change::Update(new.clone())));
        } else {
            if expired {
                let now = ctx.now();
                let mut expired = clashing(table_now, &new_key, new, Some(key));
                expired.retain(|k| !table_now.is_live(k, now));
                remove_rows(working, self.table, expired, writes)?;
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
        let expiry = match self.ttl {
            Some(ttl) => Some(ttl.map(|t| ctx.now().saturating_add(t))),
            None if new_key != *key => old_expiry.map(Some),
            None => None,
        };
        if let Some(at) = expiry {
            let op = WriteOp::Expire { table: self.table.clone(), key: new_key.clone(), at };
            working.apply(&op)?;
            writes.ops.push(op);
        }
        work.fks.stored(self.schema, self.table, &new_key);
        work.fks.parent_changed(&mut work.working, self.table, row, Some(new), &mut work.writes.ops, ctx)?;
        if let Some(t) = self.triggers {
            let (working, ops, reads) = (&mut work.working, &mut work.writes.ops, &mut work.reads);
            t.fire(TriggerTiming::After, Some(row), Some(new), working, ops, reads, ctx)?;
        }
        Ok(())
    }
}

/// The state before the statement, kept for expressions evaluated while rows change
/// only if one of them reads the database.
fn kept_for<'a>(state: &State, mut exprs: impl Iterator<Item = &'a BExpr>) -> Option<State> {
    exprs.any(BExpr::reads_state).then(|| state.clone())
}

/// The rows a row stored under `key` would clash with, by key or by any unique column
/// set (other than the row under `except`).
fn clashing(table: &Table, key: &RowKey, row: &[Value], except: Option<&RowKey>) -> Vec<RowKey> {
    let mut out: Vec<RowKey> = Vec::new();
    if table.rows.contains_key(key) && Some(key) != except {
        out.push(key.clone());
    }
    for index in table.indexes.iter().filter(|i| i.unique) {
        for k in table.unique_matches(index, row) {
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

pub fn run_update(plan: &UpdatePlan, state: State, ctx: &Ctx) -> Result<(Written, Vec<Vec<Value>>)> {
    let table = state.table_or_err(&plan.table)?;
    let schema = table.schema.clone();
    let at = &Ctx { state: Some(&state), ..*ctx };
    let exprs = plan.assignments.iter().map(|(_, e)| e).chain(plan.checks.iter().map(|c| &c.expr));
    let kept = kept_for(&state, exprs.chain(plan.returning.iter().flat_map(|r| &r.exprs)));
    let ctx = &Ctx { state: kept.as_ref(), ..*ctx };
    let triggers = match state.has_triggers_on(&plan.table) {
        true => {
            let set: Vec<usize> = plan.assignments.iter().map(|(c, _)| *c).collect();
            Triggers::load(&state, &plan.table, Event::Update(&set), ctx)?
        }
        false => None,
    };
    let changer = Changer {
        table: &plan.table,
        schema: &schema,
        checks: &plan.checks,
        ttl: plan.ttl,
        triggers: triggers.as_ref(),
        replace: plan.conflict == Conflict::Replace,
    };
    // The rows to change are those of the statement's own snapshot (`state`), read while
    // the changes go to a copy of it: each is changed as the scan meets it, and the scan
    // never sees a change.
    let mut work = Work::new(state.clone());
    let mut count = 0;
    let mut returned = Vec::new();
    // When nothing fires, no foreign key is involved, no row expires and no unique key
    // is assigned (so no row's change can clash with another's), rows that keep their
    // key are changed all at once, after the scan or before a row that needs more: each
    // page and index node then changes once. The order of checks and errors is a
    // row-at-a-time update's.
    let assigned = |cols: &[usize]| cols.iter().any(|c| plan.assignments.iter().any(|(a, _)| a == c));
    // A generated column (or an index expression) may change with any column.
    let generated = schema.columns.iter().any(|c| c.generated.is_some());
    let batched = triggers.is_none()
        && matches!(plan.conflict, Conflict::Abort | Conflict::Rollback)
        && plan.ttl.is_none()
        && schema.foreign_keys.is_empty()
        && table.expiry.is_empty()
        && !table.indexes.iter().any(|i| i.unique && (generated || !i.is_plain() || assigned(&i.columns)))
        && !work.fks.is_referenced(&state, &plan.table);
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
    let joined = match &plan.from {
        Some(query) => Some(update_from_matches(query, table, &state, at)?),
        None => None,
    };
    let mut each = |key: &RowKey, row: &[Value]| -> Result<()> {
        if work.failed.is_some() {
            return Ok(());
        }
        // Under OR REPLACE an earlier row's change may have deleted this one, or moved
        // another under its key: the row is read again as it is now, as SQLite does.
        let current;
        let row = match plan.conflict {
            Conflict::Replace => match work.working.table_or_err(&plan.table)?.rows.get(key) {
                Some(now) => {
                    current = now;
                    &current[..]
                }
                None => return Ok(()),
            },
            _ => row,
        };
        // With FROM, a row the join did not match stays as it is; one it did has its
        // SET values after its columns.
        let with_values;
        let eval_row = match &joined {
            None => row,
            Some(matches) => {
                let found = match table.key_for(row) {
                    Some(k) => matches.get(&Ok(k)),
                    None => matches.get(&Err(row.to_vec())),
                };
                let Some(values) = found else { return Ok(()) };
                with_values = [row, values].concat();
                &with_values
            }
        };
        let change = |work: &mut Work| -> Result<Option<Row>> {
            let env = Env { row: eval_row, aggs: &[], ctx };
            // The new row is allocated once, as what is stored, and changed in place
            // while nobody else holds it.
            let mut new = Row::from(row);
            let values = Arc::get_mut(&mut new).expect("a row just copied is held by nobody else");
            for (col, e) in &plan.assignments {
                values[*col] = eval(e, &env)?;
            }
            if !changer.prepare(row, &mut new, work, ctx)? {
                return Ok(None);
            }
            if batched {
                if table.key_for(&new).is_none_or(|k| &k == key) {
                    let change = Change::Update(new.clone());
                    work.writes.ops.push(WriteOp::Row { table: plan.table.clone(), key: key.clone(), change });
                    pending.push((key.clone(), new.clone()));
                    return Ok(Some(new));
                }
                // A new key: the rows before it are changed first, as they would have been.
                flush(&mut work.working, &mut pending)?;
            }
            changer.store(key, row, &new, work, ctx)?;
            Ok(Some(new))
        };
        let Some(new) = under_conflict(plan.conflict, &mut work, change)? else {
            return Ok(());
        };
        if let Some(r) = &plan.returning {
            returned.push(returned_row(r, &new, ctx)?);
        }
        count += 1;
        Ok(())
    };
    match &plan.limit {
        None => matching(table, &plan.access, plan.filter.as_ref(), Columns::All, at, |key, row| each(key, &row))?,
        Some(limit) => {
            for (key, row) in limited(table, &plan.access, plan.filter.as_ref(), limit, at)? {
                each(&key, &row)?;
            }
        }
    }
    flush(&mut work.working, &mut pending)?;
    Ok((work.done(count)?, returned))
}

pub fn run_delete(plan: &DeletePlan, state: State, ctx: &Ctx) -> Result<(Written, Vec<Vec<Value>>)> {
    let before = state.clone();
    let table = state.table_or_err(&plan.table)?;
    let at = &Ctx { state: Some(&state), ..*ctx };
    // Only the keys are kept (no column is decoded but those WHERE reads), and the rows
    // themselves when RETURNING reads them.
    let mut keys = Vec::new();
    let mut olds = Vec::new();
    let columns = match plan.returning {
        Some(_) => Columns::All,
        None => Columns::Some(crate::storage::rows::Mask::EMPTY),
    };
    match &plan.limit {
        None => matching(table, &plan.access, plan.filter.as_ref(), columns, at, |k, row| {
            keys.push(k.clone());
            if plan.returning.is_some() {
                olds.push(Row::from(&row[..]));
            }
            Ok(())
        })?,
        Some(limit) => {
            for (key, row) in limited(table, &plan.access, plan.filter.as_ref(), limit, at)? {
                keys.push(key);
                olds.push(row);
            }
        }
    }
    let triggers = Triggers::load(&state, &plan.table, Event::Delete, ctx)?;
    let kept = plan.returning.as_ref().and_then(|r| kept_for(&state, r.exprs.iter()));
    let returning_ctx = &Ctx { state: kept.as_ref(), ..*ctx };
    let mut work = Work::new(state);
    work.writes.ops.reserve_exact(keys.len());
    let mut count = 0;
    let mut returned = Vec::new();
    if triggers.is_none() && !work.fks.is_referenced(&work.working, &plan.table) {
        // Nothing fires and nothing refers to the rows: they go from the table found
        // once, in key order and all at once (each page and index node changes once),
        // each change naming the table by the plan's shared name.
        if let Some(r) = &plan.returning {
            // Returned in the order the rows were found, each row once.
            let mut seen = std::collections::HashSet::new();
            for (key, old) in keys.iter().zip(&olds) {
                if seen.insert(key) {
                    returned.push(returned_row(r, old, returning_ctx)?);
                }
            }
        }
        if !keys.is_sorted_by(|a, b| a < b) {
            keys.sort_unstable();
            keys.dedup();
        }
        // One pass, not stopped part way (a pass per chunk would change each page once
        // per chunk): Ctrl-C during it is answered as it ends, and nothing is kept.
        ctx.check_interrupt()?;
        let writes = &mut work.writes;
        let table = work.working.table_mut(&plan.table)?;
        count = table.remove_sorted(&keys, |key| {
            writes.ops.push(WriteOp::Row { table: plan.table.clone(), key: key.clone(), change: Change::Delete });
        });
        ctx.check_interrupt()?;
        trash::keep_deleted(&before, &mut work, 0, ctx)?;
        return Ok((work.done(count)?, returned));
    }
    for (n, key) in keys.iter().enumerate() {
        if n % 4096 == 4095 {
            ctx.check_interrupt()?;
        }
        let (working, ops) = (&mut work.working, &mut work.writes.ops);
        if work.fks.delete_firing(working, &plan.table, key, triggers.as_ref(), ops, ctx)? {
            if let (Some(r), Some(old)) = (&plan.returning, olds.get(n)) {
                returned.push(returned_row(r, old, returning_ctx)?);
            }
            count += 1;
        }
    }
    trash::keep_deleted(&before, &mut work, 0, ctx)?;
    Ok((work.done(count)?, returned))
}

/// What `UPDATE … FROM` sets each row it changes to: by the row's key (or, in a table
/// without one, its values), the SET values of the first joined row that matched it.
type Matches = std::collections::BTreeMap<std::result::Result<RowKey, Vec<Value>>, Vec<Value>>;

fn update_from_matches(query: &SelectPlan, table: &Table, state: &State, ctx: &Ctx) -> Result<Matches> {
    let width = table.schema.columns.len();
    let mut matches = Matches::new();
    for mut row in super::select::run_select(query, state, ctx)?.rows {
        let values = row.split_off(width);
        let target = table.key_for(&row).ok_or(row);
        matches.entry(target).or_insert(values);
    }
    Ok(matches)
}

/// The rows an UPDATE or DELETE with `[ORDER BY …] LIMIT` changes: those that pass
/// WHERE (each once), sorted when ORDER BY says so, from OFFSET on and LIMIT of them (a
/// negative LIMIT is none).
fn limited(
    table: &Table,
    access: &Access,
    filter: Option<&BExpr>,
    plan: &RowLimitPlan,
    ctx: &Ctx,
) -> Result<Vec<(RowKey, Row)>> {
    let limit = super::select::bound(Some(&plan.limit), ctx, "LIMIT")?.filter(|l| *l >= 0);
    let offset = super::select::bound(plan.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0).max(0) as usize;
    let mut seen = std::collections::HashSet::new();
    let mut rows: Vec<(Vec<Value>, RowKey, Row)> = Vec::new();
    matching(table, access, filter, Columns::All, ctx, |key, row| {
        if seen.insert(key.clone()) {
            let env = Env { row: &row, aggs: &[], ctx };
            let sort = plan
                .order_by
                .iter()
                .map(|k| match &k.expr {
                    SortExpr::Expr(e) => eval(e, &env),
                    SortExpr::Output(_) => Ok(Value::Null),
                })
                .collect::<Result<_>>()?;
            rows.push((sort, key.clone(), Row::from(&row[..])));
        }
        Ok(())
    })?;
    if !plan.order_by.is_empty() {
        rows.sort_by(|a, b| super::select::compare_keys(&plan.order_by, &a.0, &b.0));
    }
    let taken = rows.into_iter().skip(offset);
    Ok(match limit {
        Some(n) => taken.take(n as usize).map(|(_, k, r)| (k, r)).collect(),
        None => taken.map(|(_, k, r)| (k, r)).collect(),
    })
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
    let width = table.schema.columns.len();
    let keyless = table.schema.primary_key.is_empty();
    if let Some(filter) = filter.filter(|f| keyless && (f.has_subquery() || f.columns().iter().any(|&c| c >= width))) {
        // WHERE reads `rowid` of a table without an integer key: the row key, after the
        // columns (`planner::dml::with_rowid`).
        return super::access::scan(table, access, Columns::All, None, ctx, |key, row| {
            let keyed: Vec<Value> = row.iter().cloned().chain([key.rowid()]).collect();
            if is_true(filter, &Env { row: &keyed, aggs: &[], ctx })? {
                f(key, row)?;
            }
            Ok(true)
        });
    }
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
        if col.not_null && fill.is_null() && !old.rows.is_empty() && col.generated.is_none() {
            return Err(Error::invalid(format!("cannot add NOT NULL column {} without a default value", col.name)));
        }
    }
    // An added generated column is worked out for every row there is.
    let generated = match (change, schema.columns.last().and_then(|c| c.generated.as_ref())) {
        (RowChange::AddColumn, Some(g)) => {
            Some(crate::sql::planner::bind_kept_sql(&g.sql, schema, "generated columns")?)
        }
        _ => None,
    };
    let now = std::cell::OnceCell::new();
    let ctx = Ctx::for_constants(&now);
    let new_name: Arc<str> = schema.name.to_ascii_lowercase().into();
    let mut ops = vec![WriteOp::DropTable(table.to_string()), WriteOp::CreateTable(schema.clone())];
    for (key, row) in old.rows.iter() {
        let row: Box<[Value]> = match change {
            RowChange::Keep => row[..].into(),
            RowChange::AddColumn => {
                let mut new: Vec<Value> = row.iter().cloned().chain([fill.clone()]).collect();
                if let (Some(expr), Some(col)) = (&generated, schema.columns.last()) {
                    let value = eval(expr, &Env { row: &new, aggs: &[], ctx: &ctx })?;
                    let value = store_value(value, col.ty, &schema.name, &col.name)?;
                    if col.not_null && value.is_null() {
                        return Err(not_null_error(schema, col));
                    }
                    if let Some(last) = new.last_mut() {
                        *last = value;
                    }
                }
                new.into()
            }
            RowChange::Remove(i) => row.iter().enumerate().filter(|(c, _)| c != i).map(|(_, v)| v.clone()).collect(),
            RowChange::Widen => {
                row.iter().cloned().chain(std::iter::repeat(Value::Null)).take(schema.columns.len()).collect()
            }
        };
        ops.push(WriteOp::Row { table: Arc::clone(&new_name), key: key.clone(), change: Change::Insert(row) });
    }
    // Rows that expire still do, when they did.
    for (key, at) in old.expiry.iter() {
        ops.push(WriteOp::Expire { table: Arc::clone(&new_name), key: key.clone(), at: Some(*at) });
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
    Ok(Written { state: state.applied(&writes)?, writes, count: 0, reads: Vec::new(), failed: None })
}

/// `CREATE TABLE … AS query`: a table (keyed by a hidden rowid) of the query's columns,
/// each of its declared type or else of the type its values share, and its rows.
pub fn create_table_as(name: &str, result: ResultSet, declared: &[Option<DataType>], state: &State) -> Result<Written> {
    let mut columns: Vec<Column> = Vec::with_capacity(result.columns.len());
    for (i, col) in crate::storage::schema::numbered_names(&result.columns).into_iter().enumerate() {
        let ty = match declared.get(i).copied().flatten() {
            Some(ty) => ty,
            None => shared_type(result.rows.iter().map(|r| &r[i])),
        };
        columns.push(Column::plain(col, ty));
    }
    let schema = Arc::new(TableSchema { name: name.to_string(), columns, ..TableSchema::default() });
    let table: Arc<str> = name.to_ascii_lowercase().into();
    let mut ops = Vec::with_capacity(result.rows.len() + 1);
    ops.push(WriteOp::CreateTable(schema.clone()));
    for (i, row) in result.rows.into_iter().enumerate() {
        let row = row
            .into_iter()
            .zip(&schema.columns)
            .map(|(v, c)| store_value(v, c.ty, name, &c.name))
            .collect::<Result<Box<[Value]>>>()?;
        let key = RowKey::Int(i as i64 + 1);
        ops.push(WriteOp::Row { table: Arc::clone(&table), key, change: Change::Insert(row) });
    }
    let writes = WriteSet { ops };
    Ok(Written { state: state.applied(&writes)?, writes, count: 0, reads: Vec::new(), failed: None })
}

/// The type every non-NULL value has (INTEGER and REAL together make REAL); ANY when
/// they differ or there are none.
fn shared_type<'a>(values: impl Iterator<Item = &'a Value>) -> DataType {
    let mut ty = None;
    for v in values {
        let this = match v {
            Value::Null => continue,
            Value::Integer(_) => DataType::Integer,
            Value::Real(_) => DataType::Real,
            Value::Text(_) => DataType::Text,
            Value::Boolean(_) => DataType::Boolean,
            Value::Timestamp(_) => DataType::Timestamp,
            _ => return DataType::Any,
        };
        ty = match (ty, this) {
            (None, t) => Some(t),
            (Some(a), b) if a == b => Some(a),
            (Some(DataType::Integer | DataType::Real), DataType::Integer | DataType::Real) => Some(DataType::Real),
            _ => return DataType::Any,
        };
    }
    ty.unwrap_or(DataType::Any)
}

/// Applies one catalog change (CREATE/DROP) to a copy of the state.
pub fn run_ddl(op: WriteOp, state: &State) -> Result<Written> {
    let mut working = state.clone();
    working.apply(&op)?;
    Ok(Written { state: working, writes: WriteSet { ops: vec![op] }, count: 0, reads: Vec::new(), failed: None })
}
