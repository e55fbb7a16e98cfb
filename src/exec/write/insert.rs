//! INSERT: rows from VALUES or a query, their defaults and keys, `OR IGNORE|REPLACE|…`,
//! and upsert (`ON CONFLICT … DO NOTHING | DO UPDATE`).

use std::sync::Arc;

use super::{clashing, kept_for, new_key, remove_rows, returned_row, under_conflict, validate, Changer, Work, Written};
use crate::error::Result;
use crate::exec::eval::{eval, is_true, push_value, Ctx, Env};
use crate::exec::select::run_select;
use crate::exec::trigger::{Event, Triggers};
use crate::sql::plan::{BExpr, ConflictTarget, InsertPlan, InsertSourcePlan, UpsertPlan, UpsertUpdatePlan};
use crate::storage::{Change, ColumnDefault, Row, RowKey, State, Table, TableSchema, TriggerTiming, Value, WriteOp};

/// What became of one row an INSERT was given.
enum Stored {
    /// Left out: by a BEFORE trigger, or by an upsert's DO NOTHING or its DO UPDATE's
    /// WHERE.
    Skipped,
    /// Stored under its key (the row comes back when something is to read it).
    Inserted(RowKey, Option<Row>),
    /// An upsert's DO UPDATE changed the row it clashed with into this one.
    Updated(Row),
}

pub fn run_insert(plan: &InsertPlan, state: State, ctx: &Ctx) -> Result<(Written, Vec<Vec<Value>>)> {
    let schema = &plan.schema;
    let source = insert_source(&plan.source, &state, &Ctx { state: Some(&state), ..*ctx })?;
    let upsert_exprs = plan
        .upserts
        .iter()
        .filter_map(|u| u.update.as_ref())
        .flat_map(|u| u.assignments.iter().map(|(_, e)| e).chain(&u.filter));
    let returning = plan.returning.iter().flat_map(|r| &r.exprs);
    let kept = kept_for(&state, plan.checks.iter().map(|c| &c.expr).chain(upsert_exprs).chain(returning));
    let ctx = &Ctx { state: kept.as_ref(), ..*ctx };
    let triggers = Triggers::load(&state, &plan.table, Event::Insert, ctx)?;
    // An upsert's DO UPDATE fires the table's UPDATE triggers for the columns it sets.
    let updates = plan.upserts.iter().filter_map(|u| u.update.as_ref());
    let mut set: Vec<usize> = updates.flat_map(|u| u.assignments.iter().map(|(c, _)| *c)).collect();
    let update_triggers = match set.is_empty() || !state.has_triggers_on(&plan.table) {
        true => None,
        false => {
            set.sort_unstable();
            set.dedup();
            Triggers::load(&state, &plan.table, Event::Update(&set), ctx)?
        }
    };
    let changer = Changer {
        table: &plan.table,
        schema,
        checks: &plan.checks,
        ttl: None,
        triggers: update_triggers.as_ref(),
        replace: false,
    };
    let multi = source.len() > 1;
    let mut work = Work::new(state);
    let mut count = 0;
    let mut returned = Vec::new();
    work.writes.ops.reserve_exact(source.len());
    for (n, src) in source.into_iter().enumerate() {
        if n % 4096 == 0 {
            ctx.check_interrupt()?;
            if let (Some(history), true) = (ctx.history, n > 0) {
                // Each row costs at least its values, its key and its place in a page.
                let row: u64 = src.iter().map(|v| v.to_string().len() as u64 + 2).sum::<u64>() + 16;
                history.check_growth(row * n as u64)?;
            }
        }
        let one = || -> Result<()> {
            // OR IGNORE leaves out a row that breaks a constraint with everything its
            // BEFORE triggers did.
            let stored = under_conflict(plan.conflict, &mut work, |work| {
                insert_row(plan, schema, src, work, triggers.as_ref(), &changer, ctx).map(Some)
            })?;
            let row = match stored.unwrap_or(Stored::Skipped) {
                Stored::Skipped => return Ok(()),
                Stored::Updated(row) => Some(row),
                Stored::Inserted(key, row) => {
                    if let (RowKey::Int(rowid), Some(c), None) = (&key, ctx.counters, ctx.firing) {
                        c.inserted(*rowid);
                    }
                    work.fks.stored(schema, &plan.table, &key);
                    if let Some(ttl) = plan.ttl.unwrap_or(schema.ttl) {
                        let at = Some(ctx.now().saturating_add(ttl));
                        let op = WriteOp::Expire { table: plan.table.clone(), key, at };
                        work.working.apply(&op)?;
                        work.writes.ops.push(op);
                    }
                    if let (Some(t), Some(row)) = (&triggers, &row) {
                        let (working, ops, reads) = (&mut work.working, &mut work.writes.ops, &mut work.reads);
                        t.fire(TriggerTiming::After, None, Some(row), working, ops, reads, ctx)?;
                    }
                    row
                }
            };
            if let (Some(r), Some(row)) = (&plan.returning, row) {
                returned.push(returned_row(r, &row, ctx)?);
            }
            count += 1;
            Ok(())
        };
        one().map_err(|e| if multi { e.in_row(n + 1) } else { e })?;
        if let Some(e) = work.failed.take() {
            // OR FAIL: the rows before this one stand.
            work.failed = Some(if multi { e.in_row(n + 1) } else { e });
            break;
        }
    }
    Ok((work.done(count)?, returned))
}

/// The rows an INSERT stores (into a table or, through its triggers, a view), evaluated
/// before any is stored.
pub(in crate::exec) fn insert_source(source: &InsertSourcePlan, state: &State, ctx: &Ctx) -> Result<Vec<Vec<Value>>> {
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

/// Stores one row (after the BEFORE triggers), adding its change to the write set; or,
/// when it clashes with a row an ON CONFLICT clause answers for, does what the clause
/// says instead.
fn insert_row(
    plan: &InsertPlan,
    schema: &TableSchema,
    src: Vec<Value>,
    work: &mut Work,
    triggers: Option<&Triggers>,
    changer: &Changer,
    ctx: &Ctx,
) -> Result<Stored> {
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
        if !t.fire(
            TriggerTiming::Before,
            None,
            Some(&row),
            &mut work.working,
            &mut work.writes.ops,
            &mut work.reads,
            ctx,
        )? {
            return Ok(Stored::Skipped);
        }
    }
    // The table is looked up once for the key, the checks and the row itself.
    let table = work.working.table_mut(&plan.table)?;
    let (key, allocated) = new_key(table, &mut row)?;
    validate(schema, &mut row, &plan.checks, ctx)?;
    if !plan.upserts.is_empty() {
        if let Some((clause, existing, old)) = upsert_conflict(plan, table, &key, allocated.is_some(), &row, ctx) {
            return match &clause.update {
                None => Ok(Stored::Skipped),
                Some(update) => upsert_update(update, changer, &existing, old, &row, work, ctx),
            };
        }
    }
    // The values move into the write set as they are (a vector made to their number).
    let stored = row.into_boxed_slice();
    // INSERT OR REPLACE deletes the rows the new one clashes with; so does every insert
    // for clashing rows that have expired (they are gone for every reader already).
    if !plan.replaces() && !table.has_expired_by(|| ctx.now()) {
        table.insert(key.clone(), &stored)?;
    } else {
        replace_clashing(plan, &key, &stored, work, ctx)?;
        work.working.table_mut(&plan.table)?.insert(key.clone(), &stored)?;
    }
    // The row is handed back only for AFTER triggers or RETURNING to read.
    let wanted = triggers.is_some() || plan.returning.is_some();
    let done = Stored::Inserted(key.clone(), wanted.then(|| Row::from(&stored[..])));
    work.writes.ops.push(WriteOp::Row { table: plan.table.clone(), key, change: Change::Insert(stored) });
    Ok(done)
}

/// The first ON CONFLICT clause whose constraint a new row breaks, with the key of the
/// (live) row it clashes with, and that row when finding it read it. A key just
/// allocated for the row clashes with nothing.
fn upsert_conflict<'p>(
    plan: &'p InsertPlan,
    table: &Table,
    key: &RowKey,
    allocated: bool,
    row: &[Value],
    ctx: &Ctx,
) -> Option<(&'p UpsertPlan, RowKey, Option<Row>)> {
    let live = |k: &RowKey| table.expiry.is_empty() || table.is_live(k, ctx.now());
    // A clash on the key reads the row it clashes with: the update needs it next.
    let on_key = || match allocated {
        true => None,
        false => table.rows.get(key).filter(|_| live(key)).map(|old| (key.clone(), Some(old))),
    };
    let on_unique = |cols: &Vec<usize>| {
        let vals: Vec<Value> = cols.iter().map(|&c| row[c].clone()).collect();
        if vals.iter().any(Value::is_null) {
            return None;
        }
        table.keys_where(cols, &vals).into_iter().find(live).map(|k| (k, None))
    };
    let schema = &table.schema;
    for clause in &plan.upserts {
        let found = match &clause.target {
            Some(ConflictTarget::Key) => on_key(),
            Some(ConflictTarget::Unique(cols)) => on_unique(cols),
            Some(ConflictTarget::Index(name)) => {
                let ix = table.index(name)?;
                table.unique_matches(ix, row).into_iter().find(live).map(|k| (k, None))
            }
            // Any constraint, in SQLite's order: an integer key first, then the unique
            // column sets newest first (a key of other columns being the oldest).
            None => {
                let rowid = schema.integer_key().is_some();
                let on_index = |ix: &crate::storage::table::Index| {
                    table.unique_matches(ix, row).into_iter().find(live).map(|k| (k, None))
                };
                let mut sets = table.indexes.iter().rev().filter(|i| i.unique);
                let first = if rowid { on_key() } else { None };
                first.or_else(|| sets.find_map(on_index)).or_else(|| if rowid { None } else { on_key() })
            }
        };
        if let Some((k, old)) = found {
            return Some((clause, k, old));
        }
    }
    None
}

/// DO UPDATE: the stored row under `key` changes as SET says, SET and WHERE reading it
/// and the row that was to be inserted (`excluded`). The change is an UPDATE's: its
/// triggers fire and its constraints hold.
fn upsert_update(
    update: &UpsertUpdatePlan,
    changer: &Changer,
    key: &RowKey,
    old: Option<Row>,
    excluded: &[Value],
    work: &mut Work,
    ctx: &Ctx,
) -> Result<Stored> {
    let old =
        match old {
            Some(old) => old,
            None => work.working.table_or_err(changer.table)?.rows.get(key).ok_or_else(|| {
                crate::error::Error::invalid(format!("no row with key {key} in table {}", changer.table))
            })?,
        };
    let both;
    let row: &[Value] = match update.reads_excluded {
        true => {
            both = [&old[..], excluded].concat();
            &both
        }
        false => &old,
    };
    let env = Env { row, aggs: &[], ctx };
    if let Some(f) = &update.filter {
        if !is_true(f, &env)? {
            return Ok(Stored::Skipped);
        }
    }
    let mut new = Row::from(&old[..]);
    let values = Arc::get_mut(&mut new).expect("a row just copied is held by nobody else");
    for (col, e) in &update.assignments {
        values[*col] = eval(e, &env)?;
    }
    if !changer.prepare(&old, &mut new, work, ctx)? {
        return Ok(Stored::Skipped);
    }
    changer.store(key, &old, &new, work, ctx)?;
    Ok(Stored::Updated(new))
}

/// Deletes the rows a new row under `key` clashes with: all of them for INSERT OR
/// REPLACE, otherwise those that have expired.
fn replace_clashing(plan: &InsertPlan, key: &RowKey, row: &[Value], work: &mut Work, ctx: &Ctx) -> Result<()> {
    let table = work.working.table_or_err(&plan.table)?;
    let mut doomed = clashing(table, key, row, None);
    if !plan.replaces() {
        let now = ctx.now();
        doomed.retain(|k| !table.is_live(k, now));
    }
    remove_rows(&mut work.working, &plan.table, doomed, &mut work.writes)
}
