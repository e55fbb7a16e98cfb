//! Sessions: statement execution, autocommit and explicit transactions.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::database::Database;
use crate::error::{Error, Result};
use crate::exec::{self, Ctx, Output, ResultSet};
use crate::sql::plan::Plan;
use crate::storage::{State, Value, WriteOp, WriteSet};

/// What a statement did.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Rows(ResultSet),
    /// Rows inserted, updated or deleted.
    Changed {
        verb: &'static str,
        count: usize,
    },
    /// A statement that reports by name: CREATE, DROP, BEGIN, COMMIT, ROLLBACK.
    Done(&'static str),
}

struct Txn {
    base: State,
    working: State,
    writes: WriteSet,
}

/// One connection: its open transaction, if any, and its interrupt flag.
pub struct Session {
    db: Database,
    txn: Option<Txn>,
    interrupt: Arc<AtomicBool>,
}

impl Session {
    pub(crate) fn new(db: Database) -> Session {
        Session {
            db,
            txn: None,
            interrupt: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// Raising this flag stops the running statement, which then changes nothing.
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
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
        self.interrupt.store(false, Ordering::Relaxed);
        let state = self.state();
        let plan = self.db.plan(sql, &state)?;
        self.run(&plan, state, params)
    }

    /// Runs a statement that returns rows.
    pub fn query(&mut self, sql: &str, params: &[Value]) -> Result<ResultSet> {
        match self.execute(sql, params)? {
            Outcome::Rows(rows) => Ok(rows),
            _ => Err(Error::invalid("the statement returns no rows; use execute")),
        }
    }

    fn run(&mut self, plan: &Plan, state: State, params: &[Value]) -> Result<Outcome> {
        let now = crate::storage::time::now_micros();
        let ctx = Ctx {
            params,
            now,
            interrupt: Some(&self.interrupt),
        };
        match plan {
            Plan::Begin => return self.begin(),
            Plan::Commit => return self.commit(),
            Plan::Rollback => return self.rollback(),
            _ => {}
        }
        if !plan.is_write() {
            return finish(exec::execute(plan, &state, &ctx)?);
        }
        if let Some(txn) = &mut self.txn {
            let out = exec::execute(plan, &txn.working, &ctx)?;
            if let Output::Written(w, _) = &out {
                txn.working = w.state.clone();
                txn.writes.extend(w.writes.clone());
            }
            return finish(out);
        }
        // Autocommit: run against the newest head under the commit lock, then publish.
        let _guard = self.db.lock_commits();
        let head = self.db.head().state;
        let out = exec::execute(plan, &head, &ctx)?;
        if let Output::Written(w, _) = &out {
            if !w.writes.is_empty() {
                self.db.publish(w.state.clone());
            }
        }
        finish(out)
    }

    fn begin(&mut self) -> Result<Outcome> {
        if self.txn.is_some() {
            return Err(Error::Transaction(
                "a transaction is already open; COMMIT or ROLLBACK it first".into(),
            ));
        }
        let base = self.db.state();
        self.txn = Some(Txn {
            working: base.clone(),
            base,
            writes: WriteSet::default(),
        });
        Ok(Outcome::Done("BEGIN"))
    }

    fn rollback(&mut self) -> Result<Outcome> {
        match self.txn.take() {
            Some(_) => Ok(Outcome::Done("ROLLBACK")),
            None => Err(Error::Transaction("no transaction is open".into())),
        }
    }

    fn commit(&mut self) -> Result<Outcome> {
        let Some(txn) = self.txn.take() else {
            return Err(Error::Transaction("no transaction is open".into()));
        };
        if txn.writes.is_empty() {
            return Ok(Outcome::Done("COMMIT"));
        }
        let _guard = self.db.lock_commits();
        let head = self.db.head().state;
        validate(&txn, &head)?;
        let next = head.applied(&txn.writes).map_err(|e| {
            Error::Transaction(format!(
                "could not commit, and the transaction was rolled back: {e}"
            ))
        })?;
        self.db.publish(next);
        Ok(Outcome::Done("COMMIT"))
    }
}

/// First committer wins: every key this transaction wrote must be as it was when the
/// transaction began.
fn validate(txn: &Txn, head: &State) -> Result<()> {
    for op in &txn.writes.ops {
        match op {
            WriteOp::Row { table, key, .. } => {
                let before = txn.base.table(table).and_then(|t| t.rows.get(key));
                let now = head.table(table).and_then(|t| t.rows.get(key));
                let same = match (before, now) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b) || a == b,
                    (None, None) => head.table(table).is_some(),
                    _ => false,
                };
                if !same {
                    return Err(Error::Transaction(format!(
                        "could not commit: row {key} of table {table} was changed by another transaction since this one began; the transaction was rolled back"
                    )));
                }
            }
            WriteOp::CreateTable(_) | WriteOp::DropTable(_) => {
                if head.schema_id() != txn.base.schema_id() {
                    return Err(Error::Transaction(
                        "could not commit: the schema was changed by another transaction since this one began; the transaction was rolled back".into(),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn finish(out: Output) -> Result<Outcome> {
    Ok(match out {
        Output::Rows(r) => Outcome::Rows(r),
        Output::Written(_, verb @ ("created" | "dropped")) => Outcome::Done(if verb == "created" {
            "CREATE TABLE"
        } else {
            "DROP TABLE"
        }),
        Output::Written(w, verb) => Outcome::Changed {
            verb,
            count: w.count,
        },
        Output::Nothing => Outcome::Done("OK"),
    })
}
