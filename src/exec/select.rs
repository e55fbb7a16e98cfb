//! Runs a select plan: source rows → filter → (aggregate → having) → projection →
//! distinct → sort → offset/limit.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashSet;

use rustc_hash::FxHashMap;

use super::access::{Check, RowRef};
use super::aggregate::Accumulator;
use super::eval::{eval, is_true, push_value, Ctx, Env};
use super::join::{join_key, join_rows, JoinKey, NONE};
pub(super) use super::table_fns::json_table_rows;
use super::window::WinRow;
use super::ResultSet;
use crate::error::{Error, Result};
use crate::sql::plan::{AggFunc, BExpr, SelectPlan, SetOp, SortExpr, SortKey, Source};
use crate::storage::convert::store_as;
use crate::storage::rows::Mask;
use crate::storage::schema::literal_sql;
use crate::storage::{AsOf, DataType, Row, State, Value};

/// Calls `f` with every row the source yields that the WHERE clause (and `extra`, a
/// check the caller may also make) keeps, until it returns `false`.
fn for_each_row(
    plan: &SelectPlan,
    state: &State,
    ctx: &Ctx,
    extra: Option<Check>,
    mut f: impl FnMut(RowRef) -> Result<bool>,
) -> Result<()> {
    let filter = plan.filter.as_ref();
    // The columns the two read, or `None` when either may read any. A point lookup
    // decodes its one row whole and needs no list.
    let point = matches!(&plan.source, Source::Scan { access, .. } if access.is_point());
    let mut reads = if point { None } else { plan.filter_reads };
    if let Some(check) = extra {
        reads = reads.zip(check.columns).map(|(a, b)| a.union(b));
    }
    let keeps = |row: &[Value]| -> Result<bool> {
        if let Some(e) = filter {
            if !is_true(e, &Env { row, aggs: &[], ctx })? {
                return Ok(false);
            }
        }
        extra.map_or(Ok(true), |c| (c.keeps)(row))
    };
    let check = (filter.is_some() || extra.is_some()).then_some(Check { columns: reads, keeps: &keeps, filter });
    let source = SourceRows { source: &plan.source, covering: plan.covering, check };
    let Some(probe) = ctx.probe.filter(|_| filter.is_some()) else {
        return source_rows(source, state, ctx, &mut f).map(|_| ());
    };
    // EXPLAIN ANALYZE: the rows the WHERE clause kept. (A scan decides many rows from
    // their bytes without the clause, so the rows it turned away are not counted.)
    let mut kept = 0u64;
    let out = source_rows(source, state, ctx, &mut |row| {
        kept += 1;
        f(row)
    });
    probe.add(super::probe::key(plan, super::probe::FILTER), kept, 1, std::time::Duration::ZERO);
    out.map(|_| ())
}

/// The rows a source yields for a statement.
#[derive(Clone, Copy)]
pub(super) struct SourceRows<'a> {
    source: &'a Source,
    /// Whether an index holds every column the statement reads.
    covering: bool,
    /// The statement's WHERE clause (and what else the caller checks) over the source's
    /// rows. A table scan decides it from the columns it reads before decoding the rest
    /// of a row.
    check: Option<Check<'a>>,
}

impl<'a> SourceRows<'a> {
    pub(super) fn of(source: &'a Source) -> SourceRows<'a> {
        SourceRows { source, covering: false, check: None }
    }
}

/// Calls `f` with every row of `source` until it returns `false`; returns whether it
/// never did.
pub(super) fn source_rows(
    rows: SourceRows,
    state: &State,
    ctx: &Ctx,
    f: &mut dyn FnMut(RowRef) -> Result<bool>,
) -> Result<bool> {
    let Some(probe) = ctx.probe else { return unprobed_source_rows(rows, state, ctx, f) };
    // EXPLAIN ANALYZE: the source's rows, runs, and time in it (what its rows cost
    // the parts above is taken out).
    let started = std::time::Instant::now();
    let (mut count, mut above) = (0u64, std::time::Duration::ZERO);
    let out = unprobed_source_rows(rows, state, ctx, &mut |row| {
        count += 1;
        let t = std::time::Instant::now();
        let more = f(row);
        above += t.elapsed();
        more
    });
    let time = started.elapsed().saturating_sub(above);
    probe.add(super::probe::key(rows.source, super::probe::SOURCE), count, 1, time);
    out
}

fn unprobed_source_rows(
    rows: SourceRows,
    state: &State,
    ctx: &Ctx,
    f: &mut dyn FnMut(RowRef) -> Result<bool>,
) -> Result<bool> {
    let SourceRows { source, covering, check: outer } = rows;
    if let (Some(check), false) = (outer, matches!(source, Source::Scan { expiry: false, rowid: false, .. })) {
        // Rows other than a plain table's are checked as they come.
        return unprobed_source_rows(SourceRows { check: None, ..rows }, state, ctx, &mut |row| {
            if !(check.keeps)(&row)? {
                return Ok(true);
            }
            f(row)
        });
    }
    match source {
        Source::Single => f(RowRef::Built(&Vec::new())),
        Source::Scan { table, as_of, access, filter, expiry, rowid, reads } => {
            let state = &*state_at(ctx, as_of.as_ref(), state)?;
            let mut more = true;
            let t = state.table_or_err(table)?;
            let columns = match (covering, reads) {
                (true, _) => super::access::Columns::Covering,
                (false, Some(mask)) => super::access::Columns::Some(*mask),
                (false, None) => super::access::Columns::All,
            };
            // A join's condition on this table alone is the scan's check when nothing
            // else is: decided from the columns it reads before the rest are decoded,
            // and from a row's bytes where it compares a column with a number.
            let own = |row: &[Value]| filter.as_ref().map_or(Ok(true), |c| is_true(c, &Env { row, aggs: &[], ctx }));
            let (check, filter) = match (outer, filter) {
                (None, Some(cond)) if !*expiry && !*rowid => {
                    (Some(Check { columns: cond.reads(), keeps: &own, filter: Some(cond) }), None)
                }
                _ => (outer, filter.as_ref()),
            };
            super::access::scan(t, access, columns, check, ctx, |key, row| {
                let extended: Vec<Value>;
                let row = if *expiry || *rowid {
                    let at = t.expiry.get(key).map_or(Value::Null, |&at| Value::Timestamp(at));
                    let extra = [(*expiry).then_some(at), (*rowid).then(|| key.rowid())];
                    extended = row.iter().cloned().chain(extra.into_iter().flatten()).collect();
                    RowRef::Built(&extended)
                } else {
                    row
                };
                if let Some(cond) = filter {
                    if !is_true(cond, &Env { row: &row, aggs: &[], ctx })? {
                        return Ok(true);
                    }
                }
                more = f(row)?;
                Ok(more)
            })?;
            Ok(more)
        }
        Source::Join(j) => join_rows(j, state, ctx, f),
        Source::Messages { read, args, filter, as_of } => {
            let state = &*state_at(ctx, as_of.as_ref(), state)?;
            super::streams::read_messages(*read, args, state, ctx, &mut |row| {
                if let Some(cond) = filter {
                    if !is_true(cond, &Env { row, aggs: &[], ctx })? {
                        return Ok(true);
                    }
                }
                f(RowRef::Stored(row))
            })
        }
        Source::JsonTable { kind, ordinality, args, filter, reads } => {
            let values = args.iter().map(|a| eval(a, &Env { row: &[], aggs: &[], ctx })).collect::<Result<Vec<_>>>()?;
            let mut row = Vec::with_capacity(crate::sql::plan::JSON_TABLE_COLUMNS.len());
            json_table_rows((*kind, *reads, *ordinality), &values, filter.as_ref(), ctx, &mut row, &mut |row| {
                f(RowRef::Built(row))
            })
        }
        Source::Derived { plan, filter } => {
            for values in crate::storage::stack::grow(|| run_select(plan, state, ctx))?.rows {
                if let Some(cond) = filter {
                    if !is_true(cond, &Env { row: &values, aggs: &[], ctx })? {
                        continue;
                    }
                }
                if !f(RowRef::Built(&values))? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Source::Cte { cte, filter } => super::cte::cte_rows(cte, state, ctx, &mut |values| {
            if let Some(cond) = filter {
                if !is_true(cond, &Env { row: values, aggs: &[], ctx })? {
                    return Ok(true);
                }
            }
            f(RowRef::Built(values))
        }),
        Source::Working { id, filter, .. } => {
            let rows = ctx.sub.and_then(|s| s.working(*id)).unwrap_or_default();
            for values in rows.iter() {
                if let Some(cond) = filter {
                    if !is_true(cond, &Env { row: values, aggs: &[], ctx })? {
                        continue;
                    }
                }
                if !f(RowRef::Built(values))? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        Source::Reorder { source, columns } => {
            let mut buf = Vec::with_capacity(columns.len());
            source_rows(SourceRows::of(source), state, ctx, &mut |row| {
                buf.clear();
                buf.extend(columns.iter().map(|&c| row[c].clone()));
                f(RowRef::Built(&buf))
            })
        }
    }
}

/// The groups of an aggregate, in the order they were first met, found by hashing
/// their key. A key hashes as a join key (`join_key`), which equal values share but
/// unequal ones may too (two spellings of one time), so each hash leads to a chain of
/// groups whose keys are compared. A single key column (the usual case) is hashed as
/// one key, without a vector per row.
struct Groups {
    list: Vec<(Vec<Value>, Group)>,
    /// The next group in the chain of each (`NONE` at its end).
    next: Vec<usize>,
    by_hash: GroupHash,
    hashed: Vec<Option<JoinKey>>,
}

enum GroupHash {
    One(FxHashMap<Option<JoinKey>, usize>),
    Many(FxHashMap<Vec<Option<JoinKey>>, usize>),
}

impl Groups {
    fn new(columns: usize) -> Groups {
        let by_hash =
            if columns <= 1 { GroupHash::One(FxHashMap::default()) } else { GroupHash::Many(FxHashMap::default()) };
        Groups { list: Vec::new(), next: Vec::new(), by_hash, hashed: Vec::with_capacity(columns) }
    }

    /// The group of `key`, made with `new` when there is none yet.
    fn get_or_add(&mut self, key: &[Value], new: impl FnOnce() -> Group) -> &mut Group {
        // No GROUP BY: one group, found without hashing.
        if key.is_empty() {
            if self.list.is_empty() {
                self.next.push(NONE);
                self.list.push((Vec::new(), new()));
            }
            return &mut self.list[0].1;
        }
        let head = match &mut self.by_hash {
            GroupHash::One(t) => t.entry(key.first().and_then(join_key)).or_insert(NONE),
            GroupHash::Many(t) => {
                self.hashed.clear();
                self.hashed.extend(key.iter().map(join_key));
                match t.get_mut(self.hashed.as_slice()) {
                    Some(head) => head,
                    None => t.entry(self.hashed.clone()).or_insert(NONE),
                }
            }
        };
        let mut at = *head;
        while at != NONE && self.list[at].0.as_slice() != key {
            at = self.next[at];
        }
        if at == NONE {
            at = self.list.len();
            self.next.push(*head);
            *head = at;
            self.list.push((key.to_vec(), new()));
        }
        &mut self.list[at].1
    }

    /// The groups in key order.
    fn into_sorted(self) -> Vec<(Vec<Value>, Group)> {
        let mut list = self.list;
        list.sort_by(|a, b| a.0.cmp(&b.0));
        list
    }
}

/// The state a source reads: `state` itself (borrowed: a statement reads many sources
/// and each copy would count references), or a past one for `AS OF`.
fn state_at<'a>(ctx: &Ctx, as_of: Option<&AsOf>, state: &'a State) -> Result<std::borrow::Cow<'a, State>> {
    match as_of {
        Some(at) => past_state(ctx, at).map(std::borrow::Cow::Owned),
        None => Ok(std::borrow::Cow::Borrowed(state)),
    }
}

fn past_state(ctx: &Ctx, at: &AsOf) -> Result<State> {
    match ctx.history {
        Some(h) => h.state_at(at),
        None => Err(Error::invalid(format!("AS OF {at} needs a database with history"))),
    }
}

fn source_width(source: &Source, state: &State, ctx: &Ctx) -> Result<usize> {
    Ok(match source {
        Source::Single => 0,
        Source::Join(j) => source_width(&j.left, state, ctx)? + j.right_width,
        Source::Reorder { columns, .. } => columns.len(),
        Source::Derived { plan, .. } => plan.columns.len(),
        Source::Cte { cte, .. } => cte.columns.len(),
        Source::Working { width, .. } => *width,
        Source::Messages { .. } => crate::sql::plan::MESSAGE_COLUMNS.len(),
        Source::JsonTable { kind, ordinality, .. } => kind.columns().len() + usize::from(*ordinality),
        Source::Scan { table, as_of: None, .. } => state.table_or_err(table)?.schema.columns.len(),
        Source::Scan { table, as_of: Some(at), .. } => past_state(ctx, at)?.table_or_err(table)?.schema.columns.len(),
    })
}

/// One output row with the values it sorts by.
struct OutRow {
    values: Vec<Value>,
    keys: Vec<Value>,
}

fn out_row(plan: &SelectPlan, env: &Env) -> Result<OutRow> {
    let values = out_values(plan, env)?;
    // Rows that arrive in ORDER BY order are never sorted: they need no sort keys.
    if plan.ordered {
        return Ok(OutRow { values, keys: Vec::new() });
    }
    let mut keys = Vec::with_capacity(plan.order_by.len());
    for k in &plan.order_by {
        keys.push(match &k.expr {
            SortExpr::Output(i) => values[*i].clone(),
            SortExpr::Expr(e) => eval(e, env)?,
        });
    }
    Ok(OutRow { values, keys })
}

/// The row's output values.
fn out_values(plan: &SelectPlan, env: &Env) -> Result<Vec<Value>> {
    let mut values = Vec::with_capacity(plan.projection.len());
    for e in &plan.projection {
        push_value(e, env, &mut values)?;
    }
    Ok(values)
}

/// The values a row sorts by, worked out into `keys` before the row itself (for top-k).
/// Only for projections of plain columns and constants, which can be evaluated twice.
fn sort_keys(plan: &SelectPlan, env: &Env, keys: &mut Vec<Value>) -> Result<()> {
    keys.clear();
    for k in &plan.order_by {
        let e = match &k.expr {
            SortExpr::Output(i) => match plan.projection.get(*i) {
                Some(e) => e,
                None => {
                    keys.push(Value::Null);
                    continue;
                }
            },
            SortExpr::Expr(e) => e,
        };
        push_value(e, env, keys)?;
    }
    Ok(())
}

/// The row count LIMIT/OFFSET allow: `None` for no limit.
pub(super) fn bound(e: Option<&crate::sql::plan::BExpr>, ctx: &Ctx, what: &str) -> Result<Option<i64>> {
    let Some(e) = e else { return Ok(None) };
    let v = eval(e, &Env { row: &[], aggs: &[], ctx })?;
    match store_as(v.clone(), DataType::Integer) {
        Some(Value::Integer(i)) => Ok(Some(i)),
        _ => Err(Error::invalid(format!("{what} must be an integer, not {}", literal_sql(&v)))),
    }
}

/// A recursive CTE's step that only filters and projects the rows added last (the
/// counter, the walk down a tree): its rows worked out straight from `rows`, without
/// the set-up of a whole select, which each generation would otherwise pay. Only for
/// steps [`is_simple_step`] accepts (checked once, before the first generation); any
/// other (joins, groups, sorts, limits) runs as a select.
pub fn simple_step(plan: &SelectPlan, rows: &[Vec<Value>], ctx: &Ctx) -> Result<Vec<Vec<Value>>> {
    let filter = match &plan.source {
        Source::Working { filter, .. } => filter,
        _ => &None,
    };
    let mut out = Vec::with_capacity(rows.len());
    'rows: for row in rows {
        let env = Env { row, aggs: &[], ctx };
        for cond in [filter, &plan.filter].into_iter().flatten() {
            if !is_true(cond, &env)? {
                continue 'rows;
            }
        }
        out.push(out_values(plan, &env)?);
    }
    Ok(out)
}

/// Whether [`simple_step`] runs the step: it reads only the rows added last, through
/// expressions without subqueries (so nothing else needs to see those rows).
pub fn is_simple_step(plan: &SelectPlan) -> bool {
    let Source::Working { filter, .. } = &plan.source else { return false };
    plan.aggregate.is_none()
        && plan.having.is_none()
        && !plan.distinct
        && plan.order_by.is_empty()
        && plan.limit.is_none()
        && plan.offset.is_none()
        && plan.windows.is_empty()
        && plan.compound.is_empty()
        && [filter, &plan.filter].into_iter().flatten().chain(&plan.projection).all(|e| !e.has_subquery())
}

pub fn run_select(plan: &SelectPlan, state: &State, ctx: &Ctx) -> Result<ResultSet> {
    let Some(probe) = ctx.probe else { return unprobed_select(plan, state, ctx) };
    let started = std::time::Instant::now();
    let out = unprobed_select(plan, state, ctx)?;
    let key = super::probe::key(plan, super::probe::OUTPUT);
    probe.add(key, out.rows.len() as u64, 1, started.elapsed());
    Ok(out)
}

fn unprobed_select(plan: &SelectPlan, state: &State, ctx: &Ctx) -> Result<ResultSet> {
    let limit = bound(plan.limit.as_ref(), ctx, "LIMIT")?.filter(|l| *l >= 0).map(|l| l as usize);
    let offset = bound(plan.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0).max(0) as usize;
    // Rows that come out in their final order stop the scan at the limit; otherwise a
    // LIMIT keeps only the best rows seen so far (top-k) instead of sorting them all.
    let in_order = plan.order_by.is_empty() || plan.ordered;
    let plain = !plan.distinct && plan.aggregate.is_none() && plan.compound.is_empty() && plan.windows.is_empty();
    if plain && in_order {
        // Each row goes straight into the result, the scan stops at the limit, and the
        // rows OFFSET skips are not worked out at all (as in SQLite, where an error in a
        // skipped row's output is never raised).
        let mut rows = Vec::new();
        for_each_result_row(plan, state, ctx, &mut |row| {
            rows.push(row);
            Ok(true)
        })?;
        return Ok(ResultSet { json: plan.json, columns: plan.columns.clone(), rows });
    }
    let keep = match limit {
        Some(l) if plain => Keep::Best(offset.saturating_add(l)),
        _ => Keep::All,
    };
    let mut rows = match &plan.aggregate {
        _ if !plan.windows.is_empty() => window_rows(plan, state, ctx)?,
        None => project_rows(plan, state, ctx, keep)?,
        Some(_) => aggregate_rows(plan, state, ctx)?,
    };
    if plan.distinct {
        let mut seen = HashSet::new();
        // A column with a collation is distinct under it (`'Ann'` and `'ANN'` are one
        // value of a NOCASE column; the first one met is kept).
        let folds = plan.collations.iter().any(|c| c.is_some_and(|c| c != crate::sql::ast::Collation::Binary));
        rows.retain(|r| {
            if !folds {
                return seen.insert(r.values.clone());
            }
            let key: Vec<Value> = r
                .values
                .iter()
                .zip(&plan.collations)
                .map(|(v, c)| c.map_or_else(|| v.clone(), |c| super::functions::collate(c, v)))
                .collect();
            seen.insert(key)
        });
    }
    if !plan.compound.is_empty() {
        rows = combine(plan, rows, state, ctx)?;
    }
    if !in_order {
        rows.sort_by(|a, b| compare_keys(&plan.order_by, &a.keys, &b.keys));
    }
    let rows = rows.into_iter().skip(offset).take(limit.unwrap_or(usize::MAX));
    Ok(ResultSet { json: plan.json, columns: plan.columns.clone(), rows: rows.map(|r| r.values).collect() })
}

/// Hands the rows of a select to `f` one at a time, until `f` says stop: a plain
/// select whose rows arrive in their final order is never held whole (a scan streams
/// through), any other is worked out first (a sort or an aggregate needs every row).
pub fn for_each_result_row(
    plan: &SelectPlan,
    state: &State,
    ctx: &Ctx,
    f: &mut dyn FnMut(Vec<Value>) -> Result<bool>,
) -> Result<()> {
    let limit = bound(plan.limit.as_ref(), ctx, "LIMIT")?.filter(|l| *l >= 0).map(|l| l as usize);
    let offset = bound(plan.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0).max(0) as usize;
    let in_order = plan.order_by.is_empty() || plan.ordered;
    let plain = !plan.distinct && plan.aggregate.is_none() && plan.compound.is_empty() && plan.windows.is_empty();
    if !(plain && in_order) {
        for row in run_select(plan, state, ctx)?.rows {
            if !f(row)? {
                break;
            }
        }
        return Ok(());
    }
    if limit == Some(0) {
        return Ok(());
    }
    let (mut skip, mut sent) = (offset, 0usize);
    for_each_row(plan, state, ctx, None, |row| {
        if skip > 0 {
            skip -= 1;
            return Ok(true);
        }
        let values = out_values(plan, &Env { row: &row, aggs: &[], ctx })?;
        sent += 1;
        Ok(f(values)? && limit.is_none_or(|l| sent < l))
    })?;
    Ok(())
}

/// The rows of a compound SELECT before ORDER BY: each part's rows combined with the
/// ones so far, left to right.
fn combine(plan: &SelectPlan, first: Vec<OutRow>, state: &State, ctx: &Ctx) -> Result<Vec<OutRow>> {
    let distinct = |rows: Vec<Vec<Value>>| {
        let mut seen = HashSet::new();
        rows.into_iter().filter(|r| seen.insert(r.clone())).collect::<Vec<_>>()
    };
    let mut rows: Vec<Vec<Value>> = first.into_iter().map(|r| r.values).collect();
    for (op, arm) in &plan.compound {
        let other = run_select(arm, state, ctx)?.rows;
        rows = match op {
            SetOp::UnionAll => {
                rows.extend(other);
                rows
            }
            SetOp::Union => {
                rows.extend(other);
                distinct(rows)
            }
            SetOp::Intersect => {
                let other: HashSet<Vec<Value>> = other.into_iter().collect();
                distinct(rows).into_iter().filter(|r| other.contains(r)).collect()
            }
            SetOp::Except => {
                let other: HashSet<Vec<Value>> = other.into_iter().collect();
                distinct(rows).into_iter().filter(|r| !other.contains(r)).collect()
            }
        };
    }
    Ok(rows
        .into_iter()
        .map(|values| {
            let keys = plan
                .order_by
                .iter()
                .map(|k| match &k.expr {
                    SortExpr::Output(i) => values.get(*i).cloned().unwrap_or(Value::Null),
                    SortExpr::Expr(_) => Value::Null,
                })
                .collect();
            OutRow { values, keys }
        })
        .collect())
}

/// How many projected rows a select needs to keep.
#[derive(Clone, Copy)]
enum Keep {
    All,
    /// The n that sort first.
    Best(usize),
}

fn project_rows(plan: &SelectPlan, state: &State, ctx: &Ctx, keep: Keep) -> Result<Vec<OutRow>> {
    let mut out = Vec::new();
    // For top-k over plain columns, a row is built only if it sorts before the worst of
    // the best rows kept so far (`bar`); a row that ties with it comes later in scan
    // order and would sort after it.
    let plain_columns =
        plan.projection.iter().all(|e| matches!(e, BExpr::Column(_) | BExpr::Const(_) | BExpr::Param(_)));
    let bar: RefCell<Option<Vec<Value>>> = RefCell::new(None);
    let mut keys = Vec::new();
    // A row that does not sort before the bar is dropped by the scan, from its sort
    // columns alone, before the rest of it is decoded.
    let scratch = RefCell::new(Vec::new());
    let beats_bar = |row: &[Value]| -> Result<bool> {
        let bar = bar.borrow();
        let Some(bar) = bar.as_ref() else { return Ok(true) };
        let mut keys = scratch.borrow_mut();
        sort_keys(plan, &Env { row, aggs: &[], ctx }, &mut keys)?;
        Ok(compare_keys(&plan.order_by, &keys, bar) == Ordering::Less)
    };
    let sort_exprs = plan.order_by.iter().filter_map(|k| match &k.expr {
        SortExpr::Output(i) => plan.projection.get(*i),
        SortExpr::Expr(e) => Some(e),
    });
    let extra = match keep {
        Keep::Best(_) if plain_columns => {
            let reads = sort_exprs.map(BExpr::reads).try_fold(Mask::EMPTY, |all, m| m.map(|m| all.union(m)));
            reads.map(|reads| Check { columns: Some(reads), keeps: &beats_bar, filter: None })
        }
        _ => None,
    };
    for_each_row(plan, state, ctx, extra, |row| {
        let env = Env { row: &row, aggs: &[], ctx };
        if let (Keep::Best(_), true) = (keep, plain_columns) {
            sort_keys(plan, &env, &mut keys)?;
            if bar.borrow().as_ref().is_some_and(|bar| compare_keys(&plan.order_by, &keys, bar) != Ordering::Less) {
                return Ok(true);
            }
            out.push(OutRow { values: out_values(plan, &env)?, keys: std::mem::take(&mut keys) });
        } else {
            out.push(out_row(plan, &env)?);
        }
        match keep {
            Keep::Best(n) if out.len() >= n.saturating_mul(2).max(64) => {
                // A stable sort keeps scan order among equal keys, as the final sort does.
                out.sort_by(|a, b| compare_keys(&plan.order_by, &a.keys, &b.keys));
                out.truncate(n);
                *bar.borrow_mut() = out.last().filter(|_| plain_columns).map(|r| r.keys.clone());
                Ok(true)
            }
            _ => Ok(true),
        }
    })?;
    Ok(out)
}

struct Group {
    accs: Vec<Accumulator>,
    /// The row bare columns read, as SQLite picks it: the group's first row, or with
    /// exactly one min() or max() the row that gave its value.
    row: Row,
}

/// The rows of a query with window functions: its rows (or groups) with each call's
/// value added, then projected.
fn window_rows(plan: &SelectPlan, state: &State, ctx: &Ctx) -> Result<Vec<OutRow>> {
    let mut rows = Vec::new();
    // Room for the window values, so that adding them copies no row.
    let with_room = |row: &[Value]| {
        let mut values = Vec::with_capacity(row.len() + plan.windows.len());
        values.extend_from_slice(row);
        values
    };
    match &plan.aggregate {
        None => for_each_row(plan, state, ctx, None, |row| {
            rows.push(WinRow { row: with_room(&row), aggs: Vec::new() });
            Ok(true)
        })?,
        Some(_) => {
            for (row, aggs) in aggregate_groups(plan, state, ctx)? {
                rows.push(WinRow { row: with_room(&row), aggs });
            }
        }
    }
    super::window::add_windows(&plan.windows, &mut rows, ctx)?;
    rows.iter().map(|r| out_row(plan, &Env { row: &r.row, aggs: &r.aggs, ctx })).collect()
}

fn aggregate_rows(plan: &SelectPlan, state: &State, ctx: &Ctx) -> Result<Vec<OutRow>> {
    aggregate_groups(plan, state, ctx)?
        .into_iter()
        .map(|(row, aggs)| out_row(plan, &Env { row: &row, aggs: &aggs, ctx }))
        .collect()
}

/// Each group's row (as bare columns read it) and its aggregates, HAVING applied.
fn aggregate_groups(plan: &SelectPlan, state: &State, ctx: &Ctx) -> Result<Vec<(Row, Vec<Value>)>> {
    let agg = plan.aggregate.as_ref().expect("aggregate_rows runs aggregate plans");
    let new_group = |row: RowRef| Group { accs: agg.calls.iter().map(Accumulator::new).collect(), row: row.to_row() };
    // Groups are found by hashing their key (as a join's are: equal values hash alike,
    // see `join_key`), and put in key order once at the end.
    let mut groups = Groups::new(agg.group_by.len());
    let extremes = agg.calls.iter().filter(|c| matches!(c.func, AggFunc::Min | AggFunc::Max)).count();
    let follow_extreme = extremes == 1 && reads_group_rows(plan);
    let mut key: Vec<Value> = Vec::with_capacity(agg.group_by.len());
    for_each_row(plan, state, ctx, None, |row| {
        let env = Env { row: &row, aggs: &[], ctx };
        // The key is worked out into one buffer; only a new group copies it.
        key.clear();
        for g in &agg.group_by {
            push_value(g, &env, &mut key)?;
        }
        let group = groups.get_or_add(&key, || new_group(row));
        let mut extreme = false;
        for (acc, call) in group.accs.iter_mut().zip(&agg.calls) {
            extreme |= acc.add(call, &env)?;
        }
        if extreme && follow_extreme {
            group.row = row.to_row();
        }
        Ok(true)
    })?;
    if groups.list.is_empty() && agg.group_by.is_empty() {
        let nulls: Row = vec![Value::Null; source_width(&plan.source, state, ctx)?].into();
        groups.get_or_add(&[], || new_group(RowRef::Stored(&nulls)));
    }
    let groups = groups.into_sorted();
    let mut out = Vec::with_capacity(groups.len());
    for (_, group) in groups {
        let aggs = group.accs.iter().map(Accumulator::finish).collect::<Result<Vec<_>>>()?;
        let env = Env { row: &group.row, aggs: &aggs, ctx };
        if let Some(h) = &plan.having {
            if !is_true(h, &env)? {
                continue;
            }
        }
        out.push((group.row, aggs));
    }
    if let Some(probe) = ctx.probe {
        probe.add(super::probe::key(plan, super::probe::GROUPS), out.len() as u64, 1, std::time::Duration::ZERO);
    }
    Ok(out)
}

/// Whether what is worked out per group (output, HAVING, ORDER BY) reads a column of
/// its rows, or runs a subquery that might: only then does a group follow the row of
/// its min() or max().
fn reads_group_rows(plan: &SelectPlan) -> bool {
    let sort_exprs = plan.order_by.iter().filter_map(|k| match &k.expr {
        SortExpr::Expr(e) => Some(e),
        SortExpr::Output(_) => None,
    });
    let mut exprs = plan.projection.iter().chain(plan.having.iter()).chain(sort_exprs);
    exprs.any(|e| e.has_subquery() || !e.columns().is_empty())
}

pub(super) fn compare_keys(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for (k, (x, y)) in keys.iter().zip(a.iter().zip(b)) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => {
                if k.nulls_first {
                    Ordering::Less
                } else {
                    Ordering::Greater
                }
            }
            (false, true) => {
                if k.nulls_first {
                    Ordering::Greater
                } else {
                    Ordering::Less
                }
            }
            (false, false) => {
                let o = x.total_cmp(y);
                if k.desc {
                    o.reverse()
                } else {
                    o
                }
            }
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}
