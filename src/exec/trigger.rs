//! Row triggers (`CREATE TRIGGER … FOR EACH ROW`), fired by INSERT, UPDATE and DELETE.
//!
//! A write loads the triggers on its table once per statement: each is parsed from its
//! stored text, `NEW.c` and `OLD.c` become parameters (the new row's columns first, then
//! the old row's), and its WHEN clause and body are planned. For each row the write
//! then runs the BEFORE triggers, changes the row, and runs the AFTER triggers, each
//! body statement against the statement's working state, its changes joining the
//! statement's write set — so a trigger's work is as atomic as the statement that
//! fired it.
//!
//! As in SQLite (with `recursive_triggers` off): a trigger does not fire again from
//! inside its own body; `RAISE(IGNORE)` abandons the rest of the row's triggers and, in
//! a BEFORE trigger, the row's change; `RAISE(ABORT|FAIL|ROLLBACK, msg)` fails the
//! statement with `msg`. Triggers on one event run in the order of their names.

use std::sync::{Arc, Mutex, PoisonError};

use super::eval::Ctx;
use super::select::run_select;
use super::write::{Read, Written};
use super::{execute, Output};
use crate::error::{Error, ErrorKind, Result};
use crate::sql::ast::{Expr, Select, SelectItem, Statement};
use crate::sql::plan::{Plan, SelectPlan, ViewWrite, ViewWritePlan};
use crate::sql::planner;
use crate::storage::lru::Lru;
use crate::storage::{AsOf, History, State, TriggerDef, TriggerEvent, TriggerTiming, Value, WriteOp, WriteSet};

/// One trigger running, and those it runs inside.
pub struct Firing<'a> {
    name: &'a str,
    /// How many triggers run, this one included.
    depth: usize,
    outer: Option<&'a Firing<'a>>,
}

/// How deeply triggers may fire one another. Each level runs a statement inside a
/// statement, on the stack of the thread that runs the outermost one: this many fit
/// a 2 MiB thread stack in the dev build four times over (SQLite allows 1,000).
pub const MAX_TRIGGER_DEPTH: usize = 64;

impl Firing<'_> {
    fn runs(&self, name: &str) -> bool {
        self.name == name || self.outer.is_some_and(|o| o.runs(name))
    }
}

/// The error `RAISE(action[, message])` stops with.
pub fn raise(args: &[Value], ctx: &Ctx) -> Error {
    if ctx.firing.is_none() {
        return Error::invalid("RAISE() may only be used within a trigger program");
    }
    let action = |a: &str| matches!(args.first(), Some(Value::Text(t)) if t.as_str() == a);
    let message = args.get(1).map(|m| if m.is_null() { String::new() } else { m.to_string() }).unwrap_or_default();
    ErrorKind::Raise { ignore: action("IGNORE"), rollback: action("ROLLBACK"), message }.into()
}

/// The kind of row change a write makes, with the columns an UPDATE sets.
pub enum Event<'a> {
    Insert,
    Delete,
    Update(&'a [usize]),
}

/// Triggers planned for one catalog version, kept by the database so that a write does
/// not parse and plan its table's triggers again while the schema stays as it is. A
/// state's `schema_id` changes with every catalog change (and is never reused), so it
/// and a trigger's name say which plan fits.
pub struct TriggerCache {
    ready: Mutex<Lru<(u64, String), Arc<Ready>>>,
}

/// The bytes the trigger cache may hold (by its estimate; each schema change leaves old
/// entries, which go least recently used first).
const TRIGGER_CACHE_BYTES: usize = 8 << 20;

impl Default for TriggerCache {
    fn default() -> TriggerCache {
        TriggerCache { ready: Mutex::new(Lru::new(TRIGGER_CACHE_BYTES)) }
    }
}

impl TriggerCache {
    fn get(&self, schema_id: u64, name: &str) -> Option<Arc<Ready>> {
        let mut ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
        ready.get(&(schema_id, name.to_string())).cloned()
    }

    /// Keeps a planned trigger, counted by its text (a plan holds a few times as much).
    fn put(&self, schema_id: u64, def: &TriggerDef, ready: Arc<Ready>) {
        let mut cache = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
        cache.insert((schema_id, def.name.clone()), ready, 1024 + 9 * def.sql.len());
    }
}

/// A trigger ready to fire.
struct Ready {
    name: String,
    timing: TriggerTiming,
    when: Option<SelectPlan>,
    body: Vec<Plan>,
    /// Whether its body can `RAISE(IGNORE)`: only then is the state kept before each
    /// of its statements, to go back to.
    ignores: bool,
}

/// The triggers one write statement fires, planned.
pub struct Triggers {
    ready: Vec<Arc<Ready>>,
    /// Columns of the table: a row's values are this many parameters.
    width: usize,
}

/// No history: a trigger's body reads the current state (AS OF inside it still works
/// through the statement's own history, when it has one).
struct NoHistory;

impl History for NoHistory {
    fn state_at(&self, _: &AsOf) -> Result<State> {
        Err(ErrorKind::NoSuchVersion("no past versions are available here".into()).into())
    }
}

impl Triggers {
    /// The triggers on `table` for `event`, or `None` when there are none (the common
    /// case, which costs one look at the catalog).
    pub fn load(state: &State, table: &str, event: Event, ctx: &Ctx) -> Result<Option<Triggers>> {
        if !state.has_triggers_on(table) {
            return Ok(None);
        }
        let columns: Vec<String> = state.table_or_err(table)?.schema.columns.iter().map(|c| c.name.clone()).collect();
        Triggers::load_on(state, table, &columns, event, ctx)
    }

    /// The triggers on a table or view whose rows have these columns.
    fn load_on(state: &State, table: &str, columns: &[String], event: Event, ctx: &Ctx) -> Result<Option<Triggers>> {
        let mut ready = Vec::new();
        for def in state.triggers().filter(|t| t.table == table) {
            let fires = match (&def.event, &event) {
                (TriggerEvent::Insert, Event::Insert) | (TriggerEvent::Delete, Event::Delete) => true,
                (TriggerEvent::Update(cols), Event::Update(set)) => {
                    let position = |c: &String| columns.iter().position(|n| n.eq_ignore_ascii_case(c));
                    cols.is_empty() || cols.iter().any(|c| position(c).is_some_and(|i| set.contains(&i)))
                }
                _ => false,
            };
            if !fires || ctx.firing.is_some_and(|f| f.runs(&def.name)) {
                continue;
            }
            let cached = ctx.triggers.and_then(|c| c.get(state.schema_id(), &def.name));
            let prepared = match cached {
                Some(r) => r,
                None => {
                    let r = Arc::new(prepare(def, columns, state, ctx).map_err(|e| in_trigger(&def.name, e))?);
                    // Plans that read past versions are made afresh, as statements' are.
                    let cacheable =
                        r.when.as_ref().is_none_or(|w| !w.source.reads_past()) && r.body.iter().all(Plan::cacheable);
                    if let (Some(c), true) = (ctx.triggers, cacheable) {
                        c.put(state.schema_id(), def, r.clone());
                    }
                    r
                }
            };
            ready.push(prepared);
        }
        Ok((!ready.is_empty()).then_some(Triggers { ready, width: columns.len() }))
    }

    /// Runs the triggers of one timing for one row against the statement's working
    /// state, adding their changes to `writes`. False when `RAISE(IGNORE)` said to
    /// leave the row alone.
    #[allow(clippy::too_many_arguments)]
    pub fn fire(
        &self,
        timing: TriggerTiming,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
        working: &mut State,
        writes: &mut Vec<WriteOp>,
        reads: &mut Vec<Read>,
        ctx: &Ctx,
    ) -> Result<bool> {
        let mut params = Vec::with_capacity(2 * self.width);
        for row in [new, old] {
            match row {
                Some(r) => params.extend_from_slice(r),
                None => params.extend(std::iter::repeat_n(Value::Null, self.width)),
            }
        }
        super::ensure_stack("triggers")?;
        let depth = ctx.firing.map_or(1, |f| f.depth + 1);
        if depth > MAX_TRIGGER_DEPTH && self.ready.iter().any(|t| t.timing == timing) {
            return Err(Error::invalid(format!(
                "too many levels of trigger recursion (more than {MAX_TRIGGER_DEPTH} triggers firing one another)"
            )));
        }
        for t in self.ready.iter().filter(|t| t.timing == timing) {
            let firing = Firing { name: &t.name, depth, outer: ctx.firing };
            let ctx = &Ctx { params: &params, firing: Some(&firing), state: None, sub: None, ..*ctx };
            match run_one(t, working, writes, reads, ctx) {
                Ok(()) => {}
                // Only a body that can raise IGNORE keeps the state to go back to.
                Err(e) if t.ignores && matches!(e.kind(), ErrorKind::Raise { ignore: true, .. }) => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// Runs one trigger's WHEN and body. On `RAISE(IGNORE)` the state is as it was before
/// the statement that raised it.
fn run_one(t: &Ready, working: &mut State, writes: &mut Vec<WriteOp>, reads: &mut Vec<Read>, ctx: &Ctx) -> Result<()> {
    if let Some(when) = &t.when {
        let rows = run_select(when, working, &Ctx { state: Some(working), ..*ctx })?.rows;
        let yes = rows.first().and_then(|r| r.first()).and_then(Value::truth);
        if yes != Some(true) {
            return Ok(());
        }
    }
    for plan in &t.body {
        let kept = t.ignores.then(|| working.clone());
        let state = std::mem::take(working);
        let (out, state) = match execute(plan, state, ctx) {
            Ok(done) => done,
            Err(e) => {
                if let Some(k) = kept {
                    *working = k;
                }
                return Err(e);
            }
        };
        match (out, state) {
            (Output::Written(w, _) | Output::RowsWritten(_, w), _) => {
                *working = w.state;
                writes.extend(w.writes.ops);
                reads.extend(w.reads);
                // OR FAIL inside a trigger fails the statement that fired it.
                if let Some(e) = w.failed {
                    return Err(e);
                }
            }
            (_, Some(state)) => *working = state,
            // A statement that writes nothing hands its state back; were one not to,
            // the statement fails rather than go on without it.
            (_, None) => return Err(Error::invalid("a trigger's statement lost the state it ran on")),
        }
    }
    Ok(())
}

fn in_trigger(name: &str, e: Error) -> Error {
    Error::invalid(format!("trigger {name}: {e}"))
}

/// Parses a trigger's text, turns `NEW.c`/`OLD.c` into parameters and plans it.
fn prepare(def: &TriggerDef, columns: &[String], state: &State, ctx: &Ctx) -> Result<Ready> {
    let Statement::CreateTrigger(t) = crate::sql::parser::parse(&def.sql)? else {
        return Err(Error::invalid("its stored text is not a CREATE TRIGGER statement"));
    };
    let mut t = *t;
    planner::bind_trigger_rows(&mut t, columns)?;
    let history: &dyn History = ctx.history.unwrap_or(&NoHistory);
    let (when, mut body) = (t.when, t.body);
    let when = match when {
        Some(expr) => {
            let select = Select {
                columns: vec![SelectItem::Expr { expr, alias: None, text: String::new() }],
                ..Select::default()
            };
            match planner::plan(&Statement::Select(Box::new(select)), state, history)? {
                Plan::Select(p) => Some(p),
                _ => return Err(Error::invalid("its WHEN clause cannot write")),
            }
        }
        None => None,
    };
    let ignores = body.iter_mut().any(|s| {
        let mut found = false;
        s.walk_exprs_mut(&mut |e| found |= raises_ignore(e));
        found
    });
    let body = body.iter().map(|s| planner::plan(s, state, history)).collect::<Result<Vec<_>>>()?;
    Ok(Ready { name: def.name.clone(), timing: def.timing, when, body, ignores })
}

/// INSERT, UPDATE or DELETE on a view: its INSTEAD OF triggers run for each row the
/// statement names, and their changes are the statement's.
pub fn run_view_write(plan: &ViewWritePlan, state: State, ctx: &Ctx) -> Result<Written> {
    let event = match &plan.kind {
        ViewWrite::Insert { .. } => Event::Insert,
        ViewWrite::Update { set, .. } => Event::Update(set),
        ViewWrite::Delete { .. } => Event::Delete,
    };
    let triggers = Triggers::load_on(&state, &plan.view, &plan.columns, event, ctx)?;
    let at = &Ctx { state: Some(&state), ..*ctx };
    let width = plan.columns.len();
    type Pair = (Option<Vec<Value>>, Option<Vec<Value>>);
    let pairs: Vec<Pair> = match &plan.kind {
        ViewWrite::Insert { mapping, source } => {
            let rows = super::write::insert_source(source, &state, at)?;
            let new = |src: &[Value]| mapping.iter().map(|m| m.map_or(Value::Null, |i| src[i].clone())).collect();
            rows.iter().map(|src| (None, Some(new(src)))).collect()
        }
        ViewWrite::Update { rows, set } => run_select(rows, &state, at)?
            .rows
            .into_iter()
            .map(|mut r| {
                let values = r.split_off(width);
                let mut new = r.clone();
                for (&c, v) in set.iter().zip(values) {
                    new[c] = v;
                }
                (Some(r), Some(new))
            })
            .collect(),
        ViewWrite::Delete { rows } => run_select(rows, &state, at)?.rows.into_iter().map(|r| (Some(r), None)).collect(),
    };
    let mut working = state;
    let mut writes = WriteSet::default();
    let mut reads = Vec::new();
    let mut count = 0;
    if let Some(t) = triggers {
        let multi = pairs.len() > 1;
        for (n, (old, new)) in pairs.iter().enumerate() {
            t.fire(
                TriggerTiming::InsteadOf,
                old.as_deref(),
                new.as_deref(),
                &mut working,
                &mut writes.ops,
                &mut reads,
                ctx,
            )
            .map_err(|e| if multi { e.in_row(n + 1) } else { e })?;
            count += 1;
        }
    }
    Ok(Written { state: working, writes, count, reads, failed: None })
}

fn raises_ignore(e: &Expr) -> bool {
    matches!(e, Expr::Function { name, args, .. }
        if name.eq_ignore_ascii_case("raise")
            && matches!(args.first(), Some(Expr::Literal(Value::Text(t))) if t.as_str().eq_ignore_ascii_case("ignore")))
}
