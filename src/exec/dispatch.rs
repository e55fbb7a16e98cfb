//! The executor's entry points: which operator a plan runs, and what it produced.

use super::eval::{self, Ctx};
use super::{select, trigger, write, ResultSet, Written};
use crate::error::Result;
use crate::sql::plan::{BExpr, Plan, ReturningPlan, SelectPlan};
use crate::storage::{State, Value, WriteOp};

/// Stack a nested statement keeps free before it runs.
const STACK_RESERVE: usize = 256 * 1024;

/// Triggers and foreign-key actions run statements inside statements, on the stack of
/// the thread that runs the outermost one: each level first checks that room is left,
/// so that a deep chain on a small thread stops with an error instead of overflowing.
pub(crate) fn ensure_stack(what: &str) -> Result<()> {
    match stacker::remaining_stack() {
        Some(left) if left < STACK_RESERVE => {
            Err(crate::error::Error::invalid(format!("{what} nested too deeply for this thread's stack")))
        }
        _ => Ok(()),
    }
}

/// Evaluates an expression that reads no row (a DEFAULT, a constant).
pub fn eval_constant(e: &BExpr) -> Result<Value> {
    let now = std::cell::OnceCell::new();
    eval::eval(e, &eval::Env { row: &[], aggs: &[], ctx: &Ctx::for_constants(&now) })
}

/// What a statement produced.
pub enum Output {
    Rows(ResultSet),
    Written(Written, &'static str),
    /// A SELECT that wrote messages: its rows and its writes.
    RowsWritten(ResultSet, Written),
    /// The statement changed nothing (`CREATE TABLE IF NOT EXISTS` on an existing table).
    Nothing,
}

/// EXPLAIN's lines as a one-column result.
fn plan_rows(lines: Vec<String>) -> Output {
    let rows = lines.into_iter().map(|l| vec![Value::text(&l)]).collect();
    Output::Rows(ResultSet { json: 0, columns: vec!["plan".to_string()].into(), rows })
}

/// Runs a data plan (not a transaction-control one) against a state.
///
/// The state is taken by value: a write changes it in place where nothing else holds
/// it (a transaction's private copy), so that no B-tree path is copied per statement.
/// On error the state is gone; a caller that needs it again keeps its own clone (at
/// the price of that copying) or rebuilds it (a transaction replays its write set).
/// When the output holds no state (a read, a statement that changed nothing), the
/// state comes back unchanged beside it.
pub fn execute(plan: &Plan, state: State, ctx: &Ctx) -> Result<(Output, Option<State>)> {
    let sub = eval::SubState::default();
    let ctx = &Ctx { sub: Some(&sub), ..*ctx };
    let (out, state) = run(plan, state, ctx)?;
    // Messages written by `write_message` join the statement's writes.
    let messages = sub.take_messages();
    if messages.is_empty() {
        return Ok((out, state));
    }
    let with_messages = |mut w: Written| -> Result<Written> {
        for op in &messages {
            w.state.apply(op)?;
        }
        w.count += messages.len();
        w.writes.ops.extend(messages.iter().cloned());
        Ok(w)
    };
    Ok(match (out, state) {
        (Output::Rows(rows), Some(state)) => {
            let w = Written { state, writes: Default::default(), count: 0, reads: Vec::new(), failed: None };
            (Output::RowsWritten(rows, with_messages(w)?), None)
        }
        (Output::RowsWritten(rows, w), state) => (Output::RowsWritten(rows, with_messages(w)?), state),
        (Output::Written(w, verb), state) => (Output::Written(with_messages(w)?, verb), state),
        (out, state) => (out, state),
    })
}

/// Runs a SELECT that writes nothing (`Plan::Select`; a `WritingSelect` goes through
/// [`execute`]): its rows, with no output or messages to sort out after it.
#[inline]
pub fn query(plan: &SelectPlan, state: &State, ctx: Ctx) -> Result<ResultSet> {
    let sub = eval::SubState::default();
    let rows = select::run_select(plan, state, &Ctx { state: Some(state), sub: Some(&sub), ..ctx })?;
    // The planner makes every SELECT that can reach write_message() a WritingSelect
    // (a view cannot call it); should one get here all the same, it fails rather than
    // drop what it wrote.
    if !sub.take_messages().is_empty() {
        return Err(crate::error::Error::invalid("write_message() ran in a statement planned as a read"));
    }
    Ok(rows)
}

/// Runs a SELECT that writes nothing, handing its rows to `f` as they are made (see
/// [`select::for_each_result_row`]).
pub fn query_each(
    plan: &SelectPlan,
    state: &State,
    ctx: Ctx,
    f: &mut dyn FnMut(Vec<Value>) -> Result<bool>,
) -> Result<()> {
    let sub = eval::SubState::default();
    select::for_each_result_row(plan, state, &Ctx { state: Some(state), sub: Some(&sub), ..ctx }, f)?;
    if !sub.take_messages().is_empty() {
        return Err(crate::error::Error::invalid("write_message() ran in a statement planned as a read"));
    }
    Ok(())
}

/// Runs a plan; a read hands the state back (a SELECT that writes messages needs it).
pub(super) fn run(plan: &Plan, state: State, ctx: &Ctx) -> Result<(Output, Option<State>)> {
    let written = |w: Written, verb| Ok((Output::Written(w, verb), None));
    // A write with RETURNING gives its rows beside its changes.
    let returning = |(w, rows): (Written, Vec<Vec<Value>>), plan: &Option<ReturningPlan>, verb| match plan {
        Some(r) => Ok((Output::RowsWritten(ResultSet { json: 0, columns: r.columns.clone(), rows }, w), None)),
        None => written(w, verb),
    };
    match plan {
        Plan::Insert(p) => {
            let verb = if p.upserts.is_empty() { "inserted" } else { "inserted or updated" };
            return returning(write::run_insert(p, state, ctx)?, &p.returning, verb);
        }
        Plan::Update(p) => return returning(write::run_update(p, state, ctx)?, &p.returning, "updated"),
        Plan::Delete(p) => return returning(write::run_delete(p, state, ctx)?, &p.returning, "deleted"),
        Plan::Steps { steps, verb: named } => {
            let mut done: Option<(Written, &'static str)> = None;
            let mut state = state;
            for step in steps {
                let (w, verb) = match run(step, state.clone(), ctx)?.0 {
                    Output::Written(Written { failed: Some(e), .. }, _) => return Err(e),
                    Output::Written(w, verb) => (w, verb),
                    Output::Nothing => continue,
                    _ => return Err(crate::error::Error::invalid("a step of a statement returned rows")),
                };
                state = w.state.clone();
                done = Some(match done {
                    None => (w, verb),
                    Some((mut first, verb)) => {
                        first.state = w.state;
                        first.writes.extend(w.writes);
                        first.reads.extend(w.reads);
                        (first, verb)
                    }
                });
            }
            return Ok(match done {
                Some((w, verb)) => (Output::Written(w, named.unwrap_or(verb)), None),
                None => (Output::Nothing, Some(state)),
            });
        }
        Plan::Archive { table, path, query, delete } => {
            return written(super::archive::run(table, path, query, delete, state, ctx)?, "archived");
        }
        Plan::ViewWrite(p) => {
            let verb = match p.kind {
                crate::sql::plan::ViewWrite::Insert { .. } => "inserted",
                crate::sql::plan::ViewWrite::Update { .. } => "updated",
                crate::sql::plan::ViewWrite::Delete { .. } => "deleted",
            };
            return written(trigger::run_view_write(p, state, ctx)?, verb);
        }
        _ => {}
    }
    let out = run_on(plan, &state, &Ctx { state: Some(&state), ..*ctx })?;
    Ok(match out {
        Output::Rows(_) | Output::Nothing => (out, Some(state)),
        Output::Written(..) | Output::RowsWritten(..) => (out, None),
    })
}

/// A catalog change, or nothing when IF [NOT] EXISTS says there is nothing to do.
fn ddl(skip: bool, op: impl FnOnce() -> WriteOp, verb: &'static str, state: &State) -> Result<Output> {
    Ok(if skip { Output::Nothing } else { Output::Written(write::run_ddl(op(), state)?, verb) })
}

fn run_on(plan: &Plan, state: &State, ctx: &Ctx) -> Result<Output> {
    Ok(match plan {
        Plan::Select(p) | Plan::WritingSelect(p) => Output::Rows(select::run_select(p, state, ctx)?),
        Plan::Explain(p) => plan_rows(crate::sql::explain::explain(p, state)),
        Plan::ExplainWrite(p) => plan_rows(crate::sql::explain::explain_write(p, state)),
        Plan::CreateTable { schema, if_not_exists, defaults } => {
            if *if_not_exists && state.table(&schema.name).is_some() {
                Output::Nothing
            } else {
                let op = WriteOp::CreateTable(write::with_defaults(schema, defaults)?);
                Output::Written(write::run_ddl(op, state)?, "created")
            }
        }
        Plan::CreateTableAs { name, query, declared } => {
            let rows = select::run_select(query, state, ctx)?;
            Output::Written(write::create_table_as(name, rows, declared, state)?, "created")
        }
        Plan::Projection(action) => {
            let verb = match &**action {
                crate::sql::projection::Action::Create(_) => "projection created",
                crate::sql::projection::Action::Reset { .. } => "projection reset",
                crate::sql::projection::Action::Drop { .. } => "projection dropped",
            };
            Output::Written(super::projection::run(action, state)?, verb)
        }
        Plan::MatView(action) => {
            let verb = match &**action {
                crate::sql::matview::Action::Create { .. } => "materialized view created",
                crate::sql::matview::Action::Refresh { .. } => "materialized view refreshed",
                crate::sql::matview::Action::Drop { .. } => "materialized view dropped",
            };
            Output::Written(super::matview::run(action, state, ctx)?, verb)
        }
        Plan::CreateIndex { table, index, if_not_exists } => ddl(
            *if_not_exists && state.index_owner(&index.name).is_some(),
            || WriteOp::CreateIndex { table: table.clone(), index: Box::new(index.clone()) },
            "index created",
            state,
        )?,
        Plan::DropIndex { table: None, .. } => Output::Nothing,
        Plan::DropIndex { table: Some(table), name } => {
            let op = WriteOp::DropIndex { table: table.clone(), name: name.clone() };
            Output::Written(write::run_ddl(op, state)?, "index dropped")
        }
        Plan::AlterTable { table, schema, rows, defaults } => {
            let schema = write::with_defaults(schema, defaults)?;
            Output::Written(write::run_alter(table, &schema, rows, state)?, "altered")
        }
        Plan::CheckDatabase => {
            let problems = crate::storage::check::check(state);
            if problems.is_empty() {
                Output::Rows(ResultSet {
                    json: 0,
                    columns: vec!["check".to_string()].into(),
                    rows: vec![vec![Value::text("ok")]],
                })
            } else {
                let rows = problems
                    .into_iter()
                    .map(|p| vec![Value::text(&p.table), Value::text(&p.key), Value::text(&p.what)])
                    .collect();
                let columns = ["table", "key", "problem"].map(String::from).to_vec().into();
                Output::Rows(ResultSet { json: 0, columns, rows })
            }
        }
        Plan::Nothing => Output::Nothing,
        Plan::CreateView { view, if_not_exists } => ddl(
            *if_not_exists && state.view(&view.name).is_some(),
            || WriteOp::CreateView(view.clone()),
            "view created",
            state,
        )?,
        Plan::DropView { name, if_exists } => {
            ddl(*if_exists && state.view(name).is_none(), || WriteOp::DropView(name.clone()), "view dropped", state)?
        }
        Plan::CreateTrigger { trigger, if_not_exists } => ddl(
            *if_not_exists && state.trigger(&trigger.name).is_some(),
            || WriteOp::CreateTrigger(trigger.clone()),
            "trigger created",
            state,
        )?,
        Plan::DropTrigger { name, if_exists } => ddl(
            *if_exists && state.trigger(name).is_none(),
            || WriteOp::DropTrigger(name.clone()),
            "trigger dropped",
            state,
        )?,
        Plan::CreateNamespace { name, if_not_exists } => ddl(
            *if_not_exists && state.has_namespace(name),
            || WriteOp::CreateNamespace(name.clone()),
            "namespace created",
            state,
        )?,
        Plan::DropNamespace { name, if_exists } => ddl(
            *if_exists && !state.has_namespace(name),
            || WriteOp::DropNamespace(name.clone()),
            "namespace dropped",
            state,
        )?,
        Plan::DropTable { name, if_exists } => {
            ddl(*if_exists && state.table(name).is_none(), || WriteOp::DropTable(name.clone()), "dropped", state)?
        }
        _ => return Err(crate::error::ErrorKind::Transaction("transaction control needs a session".to_string()).into()),
    })
}
