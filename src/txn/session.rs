//! Sessions: statement execution, autocommit, transactions with savepoints, snapshot
//! isolation (optionally SERIALIZABLE), snapshots and diffs.

use std::cell::OnceCell;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::cluster::CLUSTER_RETRIES;
use super::database::Database;
use super::monitor::{Counter, Finished, ShapeStats};
use super::stream::{context, RowStream};
use crate::error::{Error, ErrorKind, Result};
use crate::exec::{self, Counters, Ctx, Output, Read, ResultSet, Written};
use crate::sql::plan::{Plan, SelectPlan};
use crate::storage::state::MAIN;
use crate::storage::{AsOf, History, Joined, State, Value, WriteSet};

/// What a statement did.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Rows(ResultSet),
    /// Rows inserted, updated or deleted.
    Changed {
        verb: &'static str,
        count: usize,
    },
    /// A statement that reports by name: CREATE, DROP, BEGIN, COMMIT, ROLLBACK…
    Done(&'static str),
}

struct Savepoint {
    name: String,
    working: State,
    writes: usize,
}

struct Txn {
    base: State,
    base_version: u64,
    working: State,
    /// Each statement's write set, in order.
    writes: Vec<WriteSet>,
    serializable: bool,
    /// Tables read, for SERIALIZABLE validation.
    reads: BTreeSet<String>,
    /// What foreign key checks relied on; checked at commit at every isolation level.
    constraint_reads: Vec<Read>,
    savepoints: Vec<Savepoint>,
}

/// A statement parsed and planned once, run many times with different parameters.
///
/// ```
/// use amberdb::{Database, Value};
/// let db = Database::open_in_memory();
/// let mut s = db.session();
/// s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", &[]).unwrap();
/// let insert = s.prepare("INSERT INTO t (name) VALUES (?)").unwrap();
/// for name in ["ada", "bob"] {
///     s.execute_prepared(&insert, &[Value::text(name)]).unwrap();
/// }
/// assert_eq!(s.query("SELECT count(*) FROM t", &[]).unwrap().rows[0][0], Value::Integer(2));
/// ```
#[derive(Clone, Debug)]
pub struct Prepared {
    sql: String,
    plan: Arc<Plan>,
    shape: Arc<ShapeStats>,
    schema_id: u64,
    namespace: String,
}

/// A prepared statement's result columns (name and type, when one type holds all
/// its values) and parameter types, from [`Session::describe`].
#[derive(Clone, Debug, PartialEq)]
pub struct Description {
    pub columns: Option<Vec<(String, Option<crate::storage::DataType>)>>,
    pub params: Vec<Option<crate::storage::DataType>>,
}

impl Prepared {
    /// The statement's text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// Whether running it may change the database.
    pub fn is_write(&self) -> bool {
        self.plan.is_write()
    }

    /// Whether it begins, ends or marks a transaction (BEGIN, COMMIT, ROLLBACK,
    /// SAVEPOINT, RELEASE).
    pub fn controls_transaction(&self) -> bool {
        matches!(&*self.plan, Plan::Control(c) if c.is_transaction_control())
    }
}

/// One connection: its open transaction, if any, and its interrupt flag.
pub struct Session {
    db: Database,
    txn: Option<Txn>,
    interrupt: Arc<AtomicBool>,
    last_commit: Option<u64>,
    /// The namespace unqualified names refer to (`USE`).
    namespace: String,
    /// The committed state this session's last read ran on, and its version, kept for
    /// the next statement: while no commit has come since, it is the head, and reading
    /// it takes neither the head's lock nor a reference count.
    seen: Option<(State, u64)>,
    /// `last_insert_rowid()`, `changes()` and `total_changes()`.
    counters: Counters,
    /// What this session may run.
    access: Access,
    /// Statements run, for timing one in `monitor::TIME_EVERY`.
    tick: u32,
    /// Recorded with each of its commits (`SET application_name`, the server's user).
    label: Option<String>,
}

mod access;
mod analyze;
mod control;
mod validate;

pub use access::Access;

fn no_txn() -> Error {
    ErrorKind::Transaction("no transaction is open".into()).into()
}

impl Session {
    pub(crate) fn new(db: Database, number: i64) -> Session {
        Session {
            db,
            txn: None,
            interrupt: Arc::new(AtomicBool::new(false)),
            last_commit: None,
            namespace: MAIN.to_string(),
            seen: None,
            counters: Counters::new(number),
            access: Access::Admin,
            label: None,
            tick: 0,
        }
    }

    /// Limits what this session may run from now on (checked on every planned
    /// statement, prepared ones included).
    /// Labels this session's commits (`commits()`, `history(t)`): an application's or
    /// a user's name; `None` or an empty name for none.
    pub fn set_label(&mut self, label: Option<&str>) {
        self.label = label.filter(|l| !l.is_empty()).map(str::to_string);
    }

    /// The settings of the session's client (a Postgres connection's `SET`s), which
    /// `current_setting()` and `pg_settings` read; they replace those before.
    pub fn set_client_settings(&self, settings: Vec<(String, String)>) {
        self.counters.set_settings(settings);
    }

    /// The label recorded with this session's commits.
    pub fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }

    pub fn set_access(&mut self, access: Access) {
        self.access = access;
    }

    pub fn access(&self) -> Access {
        self.access
    }

    /// Runs a read against the database as it was at `version` (one still kept, see
    /// [`Database::set_history_limit`]). Only SELECT runs there; anything else is an
    /// error that changes nothing.
    pub fn query_at(&mut self, version: u64, sql: &str, params: &[Value]) -> Result<ResultSet> {
        let state = self.db.state_at(&AsOf::Version(version))?;
        let (plan, _) = self.db.plan(sql, &state, &self.namespace)?;
        let Plan::Select(select) = &*plan else {
            return Err(ErrorKind::ReadOnly(format!("only SELECT reads the database as of version {version}")).into());
        };
        self.interrupt.store(false, Ordering::Relaxed);
        let now = OnceCell::new();
        let clock = || self.db.now();
        exec::query(select, &state, context(&self.db, &self.interrupt, &self.counters, params, &now, &clock, version))
    }

    /// The rows this session's statements have read from tables so far (the shell's
    /// `.timer on` shows each statement's).
    pub fn rows_read(&self) -> u64 {
        self.counters.rows_read()
    }

    /// The session's number, unique in its database: `pg_backend_pid()`, and the
    /// process id a server gives its client.
    pub fn id(&self) -> i64 {
        self.counters.session_id()
    }

    /// The namespace unqualified names refer to.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// The version this session's last commit created (autocommit or COMMIT).
    pub fn last_commit_version(&self) -> Option<u64> {
        self.last_commit
    }

    /// Raising this flag stops the running statement, which then changes nothing.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    /// Makes this session stop on another flag (the shell shares one among its sessions).
    pub fn set_interrupt_flag(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = flag;
    }

    /// The state this session reads: its transaction's copy, or the committed head.
    pub fn state(&self) -> State {
        match &self.txn {
            Some(t) => t.working.clone(),
            None => self.db.state(),
        }
    }

    /// Runs one statement with parameters (`?`, `?N`, `$N`; the first is `params[0]`).
    pub fn execute(&mut self, sql: &str, params: &[Value]) -> Result<Outcome> {
        let (state, version) = self.take_snapshot();
        // Statements that differ only in their values share the plan of their shape;
        // a shape that does not plan leaves the text to be planned as written, so that
        // its errors are the statement's own.
        if params.is_empty() {
            if let Some(shape) = crate::sql::shape::shape(sql) {
                if let Ok((plan, stats)) = self.db.plan(&shape.text, &state, &self.namespace) {
                    return self.run(&shape.text, &plan, &stats, Some(state), version, &shape.values);
                }
            }
        }
        let (plan, stats) = self.db.plan(sql, &state, &self.namespace).inspect_err(|_| self.db.count_failed())?;
        self.run(sql, &plan, &stats, Some(state), version, params)
    }

    /// Runs a statement that returns rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<ResultSet> {
        rows_of(self.execute(sql, params)?)
    }

    /// Parses and plans a statement for repeated use.
    pub fn prepare(&mut self, sql: &str) -> Result<Prepared> {
        let state = self.state();
        let (plan, shape) = self.db.plan(sql, &state, &self.namespace).inspect_err(|_| self.db.count_failed())?;
        Ok(Prepared {
            sql: sql.to_string(),
            plan,
            shape,
            schema_id: state.schema_id(),
            namespace: self.namespace.clone(),
        })
    }

    /// What a client preparing `p` is told before it runs: its result columns (or
    /// `None` for a statement that returns no rows) and its parameters' types, where
    /// the statement shows them (see `sql::plan::types` and `sql::params`).
    pub fn describe(&self, p: &Prepared) -> Description {
        let state = self.state();
        let columns = self.result_columns(p);
        let params = crate::sql::parser::parse(&p.sql)
            .map(|s| crate::sql::params::param_types(&s, &state, &self.namespace))
            .unwrap_or_default();
        Description { columns, params }
    }

    /// A prepared statement's result columns, each with its type when one type holds
    /// all its values; `None` for a statement that returns no rows.
    pub fn result_columns(&self, p: &Prepared) -> Option<Vec<(String, Option<crate::storage::DataType>)>> {
        crate::sql::plan::result_types(&p.plan, &self.state()).map(|types| {
            let names = p.plan.columns().unwrap_or_default();
            names.iter().cloned().zip(types.into_iter().chain(std::iter::repeat(None))).collect()
        })
    }

    /// Runs a prepared statement; it is planned again only if the schema changed.
    pub fn execute_prepared(&mut self, p: &Prepared, params: &[Value]) -> Result<Outcome> {
        // A write in a transaction changes the transaction's own state, so it takes no
        // copy of it (a copy is a reference counted up and down again).
        if let Some(t) = &self.txn {
            if p.plan.is_write() && self.fits(p, &t.working) {
                let version = t.base_version;
                return self.run(&p.sql, &p.plan, &p.shape, None, version, params);
            }
        }
        let (state, version) = self.take_snapshot();
        if self.fits(p, &state) {
            self.run(&p.sql, &p.plan, &p.shape, Some(state), version, params)
        } else {
            let (plan, shape) = self.db.plan(&p.sql, &state, &self.namespace)?;
            self.run(&p.sql, &plan, &shape, Some(state), version, params)
        }
    }

    /// Runs a prepared statement that returns rows.
    pub fn query_prepared(&mut self, p: &Prepared, params: &[Value]) -> Result<ResultSet> {
        if let Plan::Select(select) = &*p.plan {
            let (state, version) = self.take_snapshot();
            if self.fits(p, &state) {
                let started = self.db.monitor().start(Some(&mut self.tick));
                let out = self.select(select, state, version, params);
                if let Some(started) = started {
                    self.measured(started, &p.sql, &p.plan, &p.shape, params, out.as_ref().map(|r| r.rows.len()));
                }
                return out;
            }
            self.keep(state, version);
        }
        rows_of(self.execute_prepared(p, params)?)
    }

    /// A prepared read whose rows are handed out as they are made, away from the
    /// session: the stream reads the snapshot the statement would have read (the
    /// transaction's own changes included) and holds no lock, so the session runs other
    /// statements meanwhile. `None` for a statement that is no plain read (a write, or a
    /// plan the schema has moved under): run it as usual.
    pub fn stream_prepared(&mut self, p: &Prepared, params: &[Value]) -> Option<RowStream> {
        let Plan::Select(select) = &*p.plan else { return None };
        let (state, version) = self.take_snapshot();
        if !self.fits(p, &state) {
            self.keep(state, version);
            return None;
        }
        self.interrupt.store(false, Ordering::Relaxed);
        self.note_reads(|| select.read_tables());
        self.keep(state.clone(), version);
        Some(RowStream {
            db: self.db.clone(),
            plan: p.plan.clone(),
            state,
            version,
            params: params.to_vec(),
            interrupt: self.interrupt.clone(),
            counters: self.counters.snapshot(),
            sql: p.sql.clone(),
            shape: p.shape.clone(),
        })
    }

    /// Whether a prepared plan still holds for `state`: made against its schema, in
    /// the namespace the session is in now.
    fn fits(&self, p: &Prepared, state: &State) -> bool {
        state.schema_id() == p.schema_id && p.namespace == self.namespace
    }

    /// The state this session's next statement reads: its transaction's private copy, or
    /// the newest committed state.
    pub fn working_state(&self) -> State {
        self.snapshot().0
    }

    /// The state this session reads and its version, from one look at the head.
    fn snapshot(&self) -> (State, u64) {
        match &self.txn {
            Some(t) => (t.working.clone(), t.base_version),
            None => {
                let head = self.db.head();
                (head.state, head.version)
            }
        }
    }

    /// [`Session::snapshot`], taking the state kept from the last read when it is still
    /// the head; a read gives it back when it is done ([`Session::keep`]).
    fn take_snapshot(&mut self) -> (State, u64) {
        if self.txn.is_none() {
            let head = self.db.head_version();
            if let Some((state, version)) = self.seen.take().filter(|(_, v)| *v == head) {
                return (state, version);
            }
        }
        self.snapshot()
    }

    /// Keeps the committed state a read ran on for the next statement.
    fn keep(&mut self, state: State, version: u64) {
        if self.txn.is_none() {
            self.seen = Some((state, version));
        }
    }

    /// Runs a plan made against `state` (`None`: the transaction's own state, for a
    /// write in a transaction, which reads nothing else).
    fn run(
        &mut self,
        sql: &str,
        plan: &Plan,
        shape: &ShapeStats,
        state: Option<State>,
        version: u64,
        params: &[Value],
    ) -> Result<Outcome> {
        let started = self.db.monitor().start(Some(&mut self.tick));
        let out = self.run_counted(sql, plan, state, version, params);
        if let Some(started) = started {
            let rows = out.as_ref().map(|o| match o {
                Outcome::Rows(r) => r.rows.len(),
                Outcome::Changed { count, .. } => *count,
                Outcome::Done(_) => 0,
            });
            self.measured(started, sql, plan, shape, params, rows);
        }
        match &out {
            Ok(Outcome::Changed { count, .. }) => self.counters.finished(Some(*count)),
            // A write with RETURNING gives one row for each row it changed.
            Ok(Outcome::Rows(r)) if matches!(plan, Plan::Insert(_) | Plan::Update(_) | Plan::Delete(_)) => {
                self.counters.finished(Some(r.rows.len()))
            }
            Ok(_) => self.counters.finished(None),
            Err(_) => self.counters.failed(plan.is_write()),
        }
        out
    }

    /// Adds a finished statement to the database's figures.
    #[inline]
    fn measured(
        &self,
        started: super::monitor::Started,
        sql: &str,
        plan: &Plan,
        shape: &ShapeStats,
        params: &[Value],
        rows: std::result::Result<usize, &Error>,
    ) {
        let (rows, error) = match rows {
            Ok(n) => (n as u64, None),
            Err(e) => (0, Some(e)),
        };
        let done = Finished { sql, params, rows, error };
        self.db
            .monitor()
            .finish(started, shape, done, || crate::sql::explain::explain_any(plan, &self.state()).join("\n"));
    }

    fn run_counted(
        &mut self,
        sql: &str,
        plan: &Plan,
        state: Option<State>,
        version: u64,
        params: &[Value],
    ) -> Result<Outcome> {
        if self.access != Access::Admin {
            self.access.check(plan)?;
        }
        if let Plan::Select(select) = plan {
            let state = state.unwrap_or_else(|| self.snapshot().0);
            return self.select(select, state, version, params).map(Outcome::Rows);
        }
        if let Plan::ExplainAnalyze { plan, timing } = plan {
            return self.explain_analyze(plan, *timing, version, params);
        }
        self.interrupt.store(false, Ordering::Relaxed);
        if let Some(out) = self.run_control(plan)? {
            return Ok(out);
        }
        self.note_reads(|| plan.read_tables());
        let now = OnceCell::new();
        let db = &self.db;
        let clock = || db.now();
        let ctx = context(db, &self.interrupt, &self.counters, params, &now, &clock, version);
        if !plan.is_write() {
            let state = state.unwrap_or_else(|| self.snapshot().0);
            let (out, state) = exec::execute(plan, state, &ctx)?;
            if let Some(state) = state {
                self.keep(state, version);
            }
            return finish(out, &self.counters);
        }
        if let Some(txn) = &mut self.txn {
            drop(state);
            return match txn.run(plan, &ctx) {
                Ok(out) => finish(out, &self.counters),
                Err(Failed::Statement(e)) => Err(e),
                Err(Failed::Transaction(e)) => {
                    self.txn = None;
                    self.db.monitor().add(Counter::Rollbacks, 1);
                    Err(e)
                }
            };
        }
        // Autocommit: run against the newest head under the commit lock, then publish;
        // a plan made before a concurrent schema change is made again.
        // In a cluster, a commit another node made first (and this one had not applied
        // yet) refuses the publish; the statement then runs again on the newer head.
        let planned_for = state.map(|s| s.schema_id());
        let mut attempt = 0;
        loop {
            let guard = self.db.lock_commits();
            let head = guard.state.clone();
            let replanned;
            let plan = if planned_for.is_none_or(|id| head.schema_id() == id) {
                plan
            } else {
                replanned = self.db.plan(sql, &head, &self.namespace)?.0;
                &*replanned
            };
            let (out, _) = exec::execute(plan, head, &ctx)?;
            if let Output::Written(w, _) | Output::RowsWritten(_, w) = &out {
                if !w.writes.is_empty() {
                    match self.db.publish(guard, w.state.clone(), Joined::one(&w.writes), self.label.as_deref()) {
                        Ok(v) => self.last_commit = Some(v),
                        Err(e) if attempt < CLUSTER_RETRIES && self.db.retry_in_cluster(&e) => {
                            attempt += 1;
                            continue;
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            return finish(out, &self.counters);
        }
    }

    /// A SELECT that writes nothing: its rows go straight back from the select
    /// pipeline, with no output to sort out after it, and the state it read is kept
    /// for the next statement.
    fn select(&mut self, plan: &SelectPlan, state: State, version: u64, params: &[Value]) -> Result<ResultSet> {
        self.interrupt.store(false, Ordering::Relaxed);
        self.note_reads(|| plan.read_tables());
        let now = OnceCell::new();
        let clock = || self.db.now();
        let rows = exec::query(
            plan,
            &state,
            context(&self.db, &self.interrupt, &self.counters, params, &now, &clock, version),
        )?;
        self.keep(state, version);
        Ok(rows)
    }

    /// A serializable transaction remembers the tables its statements read.
    fn note_reads<'p>(&mut self, tables: impl FnOnce() -> Vec<&'p str>) {
        if let Some(txn) = &mut self.txn {
            if txn.serializable {
                txn.reads.extend(tables().into_iter().map(str::to_string));
            }
        }
    }
}

/// How a statement in a transaction failed.
enum Failed {
    /// The statement changed nothing; the transaction goes on.
    Statement(Error),
    /// The transaction's state could not be rebuilt: it is over.
    Transaction(Error),
}

impl Txn {
    /// Runs a write on the private copy, which changes in place: nothing else holds
    /// it, so no B-tree path is copied (a savepoint's copy is shared until touched).
    /// A statement that fails has left the copy half changed; it is rebuilt from the
    /// state at BEGIN and the write set so far, so the statement changes nothing.
    fn run(&mut self, plan: &Plan, ctx: &Ctx) -> std::result::Result<Output, Failed> {
        let working = std::mem::take(&mut self.working);
        match exec::execute(plan, working, ctx) {
            Ok((mut out, unchanged)) => {
                if let Output::Written(w, _) | Output::RowsWritten(_, w) = &mut out {
                    std::mem::swap(&mut self.working, &mut w.state);
                    self.writes.push(std::mem::take(&mut w.writes));
                    self.constraint_reads.append(&mut w.reads);
                }
                if let Some(state) = unchanged {
                    self.working = state;
                }
                Ok(out)
            }
            // RAISE(ROLLBACK) in a trigger ends the transaction, as ROLLBACK would.
            Err(e) if e.rolls_back() => Err(Failed::Transaction(e)),
            Err(e) => match self.base.applied_all(Joined(&self.writes)) {
                Ok(state) => {
                    self.working = state;
                    Err(Failed::Statement(e))
                }
                Err(replay) => Err(Failed::Transaction(
                    ErrorKind::Transaction(format!(
                        "{e}; the transaction could not be restored ({replay}) and was rolled back"
                    ))
                    .into(),
                )),
            },
        }
    }
}

fn rows_of(out: Outcome) -> Result<ResultSet> {
    match out {
        Outcome::Rows(rows) => Ok(rows),
        _ => Err(Error::invalid("the statement returns no rows; use execute")),
    }
}

fn finish(out: Output, counters: &Counters) -> Result<Outcome> {
    // OR FAIL: the changes before the error were kept (published, or added to the
    // transaction) before the error is reported.
    let out = match out {
        Output::Written(Written { failed: Some(e), count, .. }, _)
        | Output::RowsWritten(_, Written { failed: Some(e), count, .. }) => {
            counters.stopped(count);
            return Err(e);
        }
        out => out,
    };
    Ok(match out {
        Output::Rows(r) | Output::RowsWritten(r, _) => Outcome::Rows(r),
        Output::Written(_, "created") => Outcome::Done("CREATE TABLE"),
        Output::Written(_, "dropped") => Outcome::Done("DROP TABLE"),
        Output::Written(_, "index created") => Outcome::Done("CREATE INDEX"),
        Output::Written(_, "index dropped") => Outcome::Done("DROP INDEX"),
        Output::Written(_, "altered") => Outcome::Done("ALTER TABLE"),
        Output::Written(_, "view created") => Outcome::Done("CREATE VIEW"),
        Output::Written(_, "view dropped") => Outcome::Done("DROP VIEW"),
        Output::Written(_, "materialized view created") => Outcome::Done("CREATE MATERIALIZED VIEW"),
        Output::Written(_, "materialized view refreshed") => Outcome::Done("REFRESH MATERIALIZED VIEW"),
        Output::Written(_, "materialized view dropped") => Outcome::Done("DROP MATERIALIZED VIEW"),
        Output::Written(_, "projection created") => Outcome::Done("CREATE PROJECTION"),
        Output::Written(_, "projection dropped") => Outcome::Done("DROP PROJECTION"),
        Output::Written(_, "rebuilt") => Outcome::Done("REBUILD PROJECTION"),
        Output::Written(_, "trigger created") => Outcome::Done("CREATE TRIGGER"),
        Output::Written(_, "trigger dropped") => Outcome::Done("DROP TRIGGER"),
        Output::Written(_, "namespace created") => Outcome::Done("CREATE NAMESPACE"),
        Output::Written(_, "namespace dropped") => Outcome::Done("DROP NAMESPACE"),
        Output::Written(w, verb) => Outcome::Changed { verb, count: w.count },
        Output::Nothing => Outcome::Done("OK"),
    })
}
