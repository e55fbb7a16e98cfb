//! A read whose rows are handed out as they are made, away from its session: what a
//! server streams to a client that fetches a big result in parts; and the context any
//! statement of a session evaluates in.

use std::cell::OnceCell;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::database::Database;
use crate::error::Result;
use crate::exec::{self, Counters, Ctx};
use crate::sql::plan::Plan;
use crate::storage::{State, Value};

/// A read running away from its session (see [`Session::stream_prepared`]).
pub struct RowStream {
    pub(super) db: Database,
    pub(super) plan: Arc<Plan>,
    pub(super) state: State,
    pub(super) version: u64,
    pub(super) params: Vec<Value>,
    pub(super) interrupt: Arc<AtomicBool>,
    pub(super) counters: Counters,
    /// The statement's text and its shape's figures, which the run adds to.
    pub(super) sql: String,
    pub(super) shape: Arc<super::monitor::ShapeStats>,
}

impl std::fmt::Debug for RowStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowStream").field("version", &self.version).finish_non_exhaustive()
    }
}

impl RowStream {
    /// The result's column names.
    pub fn columns(&self) -> Arc<[String]> {
        match &*self.plan {
            Plan::Select(s) => s.columns.clone(),
            _ => Arc::from(Vec::new()),
        }
    }

    /// Bit `c` is set when column `c` holds JSON documents (as `ResultSet::json`).
    pub fn json(&self) -> u64 {
        match &*self.plan {
            Plan::Select(s) => s.json,
            _ => 0,
        }
    }

    /// Hands each row to `f` as it is made, until `f` returns false or the rows run
    /// out; stops with `Interrupted` when the session's interrupt flag is raised.
    pub fn run(self, f: &mut dyn FnMut(Vec<Value>) -> bool) -> Result<()> {
        let Plan::Select(select) = &*self.plan else { return Ok(()) };
        let now = OnceCell::new();
        let clock = || self.db.now();
        let ctx = context(&self.db, &self.interrupt, &self.counters, &self.params, &now, &clock, self.version);
        let started = self.db.monitor().start(None);
        let mut rows = 0u64;
        let out = exec::query_each(select, &self.state, ctx, &mut |row| {
            rows += 1;
            Ok(f(row))
        });
        let Some(started) = started else { return out };
        let done = super::monitor::Finished { sql: &self.sql, params: &self.params, rows, error: out.as_ref().err() };
        let state = &self.state;
        self.db.monitor().finish(started, &self.shape, done, || crate::sql::explain::explain(select, state).join("\n"));
        out
    }
}

/// The context a session's statement runs in (the session's database and interrupt
/// flag are borrowed alone, leaving its transaction free to change).
pub(super) fn context<'a>(
    db: &'a Database,
    interrupt: &'a AtomicBool,
    counters: &'a Counters,
    params: &'a [Value],
    now: &'a OnceCell<i64>,
    clock: &'a dyn Fn() -> i64,
    version: u64,
) -> Ctx<'a> {
    Ctx {
        params,
        now,
        clock: Some(clock),
        interrupt: Some(interrupt),
        version,
        history: Some(db),
        state: None,
        sub: None,
        firing: None,
        triggers: Some(db.trigger_cache()),
        max_length: db.max_length(),
        max_cte_rows: db.max_cte_rows(),
        counters: Some(counters),
        probe: None,
    }
}
