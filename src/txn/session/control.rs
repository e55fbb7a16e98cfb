//! Transaction control and the statements a session runs itself: BEGIN, COMMIT
//! (first committer wins), savepoints, USE, SET and SHOW, snapshots, diffs, CHECKPOINT,
//! BACKUP and CREATE COLLECTION.

use std::collections::BTreeSet;

use super::validate::validate;
use super::{no_txn, Savepoint, Session, Txn};
use crate::error::{Error, ErrorKind, Result};
use crate::exec::ResultSet;
use crate::sql::ast::Control;
use crate::sql::plan::Plan;
use crate::storage::diff::{diff, message_diff, write_set_between, RowChange};
use crate::storage::schema::literal_sql;
use crate::storage::state::MAIN;
use crate::storage::{AsOf, History, Joined, Row, Value};
use crate::txn::cluster::CLUSTER_RETRIES;
use crate::txn::monitor::Counter;
use crate::txn::Outcome;

/// The session setting that labels its commits, as PostgreSQL names it.
const LABEL: &str = "application_name";

impl Session {
    /// Transaction control, snapshots and diffs; `None` for every other plan.
    pub(super) fn run_control(&mut self, plan: &Plan) -> Result<Option<Outcome>> {
        let Plan::Control(control) = plan else { return Ok(None) };
        let done = match control {
            Control::Begin { serializable } => self.begin(*serializable)?,
            Control::Commit => self.commit()?,
            Control::Rollback => {
                self.txn.take().ok_or_else(no_txn)?;
                self.db.monitor().add(Counter::Rollbacks, 1);
                "ROLLBACK"
            }
            Control::Savepoint(name) => self.savepoint(name),
            Control::CreateCollection { name, if_not_exists } => self.create_collection(name, *if_not_exists)?,
            Control::Use(name) => {
                if !self.state().has_namespace(name) {
                    return Err(Error::invalid(format!("no such namespace: {name}")));
                }
                self.namespace = name.to_ascii_lowercase();
                "USE"
            }
            Control::RollbackTo(name) => self.rollback_to(name)?,
            Control::Release(name) => self.release(name)?,
            Control::Set { name, value } if name.eq_ignore_ascii_case(LABEL) => {
                self.set_label((!value.is_null()).then(|| value.to_string()).as_deref());
                "SET"
            }
            Control::Set { name, value } => {
                self.db.set_setting(name, value)?;
                "SET"
            }
            Control::Show(name) => {
                let value = match name.eq_ignore_ascii_case(LABEL) {
                    true => self.label.clone().unwrap_or_default(),
                    false => self.db.show_setting(name)?,
                };
                let columns = vec![name.to_ascii_lowercase()].into();
                return Ok(Some(Outcome::Rows(ResultSet { json: 0, columns, rows: vec![vec![Value::text(&value)]] })));
            }
            Control::CreateSnapshot(name) => {
                self.outside_transaction("CREATE SNAPSHOT")?;
                self.db.create_snapshot(name)?;
                "CREATE SNAPSHOT"
            }
            Control::DropSnapshot { name, if_exists } => {
                self.db.drop_snapshot(name, *if_exists)?;
                "DROP SNAPSHOT"
            }
            Control::RestoreSnapshot(name) => self.restore(name)?,
            Control::Diff(a, b) => return Ok(Some(Outcome::Rows(self.diff(a, b)?))),
            Control::Checkpoint => {
                self.outside_transaction("CHECKPOINT")?;
                let done = self.db.checkpoint()?;
                let rows = vec![vec![
                    Value::Integer(done.version as i64),
                    Value::Integer(done.bytes as i64),
                    Value::Real(done.elapsed.as_secs_f64() * 1000.0),
                ]];
                let columns = ["version", "bytes", "ms"].map(String::from).to_vec().into();
                return Ok(Some(Outcome::Rows(ResultSet { json: 0, columns, rows })));
            }
            Control::Backup(dir) => {
                self.outside_transaction("BACKUP")?;
                let version = self.db.backup(dir)?;
                let rows = vec![vec![Value::text(dir), Value::Integer(version as i64)]];
                let columns = ["backup", "version"].map(String::from).to_vec().into();
                return Ok(Some(Outcome::Rows(ResultSet { json: 0, columns, rows })));
            }
        };
        Ok(Some(Outcome::Done(done)))
    }

    pub(super) fn outside_transaction(&self, what: &str) -> Result<()> {
        match self.txn {
            Some(_) => Err(ErrorKind::Transaction(format!("{what} is not allowed inside a transaction")).into()),
            None => Ok(()),
        }
    }

    pub(super) fn begin(&mut self, serializable: bool) -> Result<&'static str> {
        if self.txn.is_some() {
            return Err(
                ErrorKind::Transaction("a transaction is already open; COMMIT or ROLLBACK it first".into()).into()
            );
        }
        let head = self.db.head();
        self.txn = Some(Txn {
            working: head.state.clone(),
            base: head.state,
            base_version: head.version,
            writes: Vec::new(),
            serializable,
            reads: BTreeSet::new(),
            constraint_reads: Vec::new(),
            savepoints: Vec::new(),
        });
        Ok("BEGIN")
    }

    /// `CREATE COLLECTION`: its table and the trigger that keeps `updated_at`, made
    /// together or not at all (in a savepoint inside a transaction).
    pub(super) fn create_collection(&mut self, name: &str, if_not_exists: bool) -> Result<&'static str> {
        let state = self.state();
        let stored = crate::sql::namespace::stored_name(name, &self.namespace, &state)?;
        if if_not_exists && state.table(&stored).is_some() {
            return Ok("CREATE COLLECTION");
        }
        let own = self.txn.is_none();
        const MARK: &str = "amber_create_collection";
        self.savepoint(MARK);
        let made =
            crate::txn::collection::statements(name).iter().try_for_each(|sql| self.execute(sql, &[]).map(|_| ()));
        match (made, own) {
            (Ok(()), true) => self.commit().map(|_| "CREATE COLLECTION"),
            (Ok(()), false) => self.release(MARK).map(|_| "CREATE COLLECTION"),
            (Err(e), true) => {
                self.txn = None;
                Err(e)
            }
            (Err(e), false) => {
                self.rollback_to(MARK)?;
                self.release(MARK)?;
                Err(e)
            }
        }
    }

    /// `SAVEPOINT` outside a transaction begins one, as in SQLite.
    pub(super) fn savepoint(&mut self, name: &str) -> &'static str {
        if self.txn.is_none() {
            let _ = self.begin(false);
        }
        if let Some(txn) = &mut self.txn {
            txn.savepoints.push(Savepoint {
                name: name.to_string(),
                working: txn.working.clone(),
                writes: txn.writes.len(),
            });
        }
        "SAVEPOINT"
    }

    pub(super) fn find_savepoint(&self, name: &str) -> Result<usize> {
        let txn = self.txn.as_ref().ok_or_else(no_txn)?;
        txn.savepoints
            .iter()
            .rposition(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ErrorKind::Transaction(format!("no such savepoint: {name}")).into())
    }

    /// Undoes everything after the savepoint, which stays in place.
    pub(super) fn rollback_to(&mut self, name: &str) -> Result<&'static str> {
        let i = self.find_savepoint(name)?;
        let txn = self.txn.as_mut().ok_or_else(no_txn)?;
        txn.savepoints.truncate(i + 1);
        let sp = &txn.savepoints[i];
        txn.working = sp.working.clone();
        txn.writes.truncate(sp.writes);
        Ok("ROLLBACK TO")
    }

    /// Forgets the savepoint and the ones after it, keeping their changes.
    pub(super) fn release(&mut self, name: &str) -> Result<&'static str> {
        let i = self.find_savepoint(name)?;
        let txn = self.txn.as_mut().ok_or_else(no_txn)?;
        txn.savepoints.truncate(i);
        Ok("RELEASE")
    }

    pub(super) fn commit(&mut self) -> Result<&'static str> {
        let mut txn = self.txn.take().ok_or_else(no_txn)?;
        if Joined(&txn.writes).is_empty() {
            return Ok("COMMIT");
        }
        // In a cluster, a publish refused because another node committed first is checked
        // and merged again, as against a local commit, once this node has applied it.
        let mut attempt = 0;
        loop {
            let guard = self.db.lock_commits();
            let next = if guard.version == txn.base_version {
                // Nothing committed since BEGIN: the private copy is the next head as it is.
                txn.working.clone()
            } else {
                crate::txn::rekey::rekey_hidden_rows(&mut txn.writes, &txn.base, &guard.state);
                let merged = validate(&txn, &guard.state).and_then(|()| {
                    guard.state.applied_all(Joined(&txn.writes)).map_err(|e| ErrorKind::Conflict(e.to_string()).into())
                });
                merged.inspect_err(|_| {
                    self.db.count_conflict();
                    self.db.monitor().add(Counter::Rollbacks, 1);
                })?
            };
            match self.db.publish(guard, next, Joined(&txn.writes), self.label.as_deref()) {
                Ok(v) => {
                    self.last_commit = Some(v);
                    return Ok("COMMIT");
                }
                Err(e) if attempt < CLUSTER_RETRIES && self.db.retry_in_cluster(&e) => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes the snapshot's state the head again, as a new version (so it can be undone).
    pub(super) fn restore(&mut self, name: &str) -> Result<&'static str> {
        self.outside_transaction("RESTORE SNAPSHOT")?;
        let target = self.db.state_at(&AsOf::Snapshot(name.to_string()))?;
        let guard = self.db.lock_commits();
        let writes = write_set_between(&guard.state, &target);
        let next = guard.state.applied(&writes)?;
        self.last_commit = Some(self.db.publish(guard, next, Joined::one(&writes), self.label.as_deref())?);
        Ok("RESTORE SNAPSHOT")
    }

    pub(super) fn diff(&self, a: &AsOf, b: &AsOf) -> Result<ResultSet> {
        let (old, new) = (self.db.state_at(a)?, self.db.state_at(b)?);
        let text = |r: &Row| format!("({})", r.iter().map(literal_sql).collect::<Vec<_>>().join(", "));
        let rows: Vec<Vec<Value>> = diff(&old, &new)
            .into_iter()
            .map(|d| {
                let (change, old, new) = match &d.change {
                    RowChange::Added(r) => ("added", Value::Null, Value::text(&text(r))),
                    RowChange::Removed(r) => ("removed", Value::text(&text(r)), Value::Null),
                    RowChange::Changed { old, new } => ("changed", Value::text(&text(old)), Value::text(&text(new))),
                };
                vec![Value::text(&d.table), Value::text(change), Value::text(&d.key.to_string()), old, new]
            })
            .collect();
        // Messages written (or undone) between the two show as rows of their stream.
        let mut rows = rows;
        for d in message_diff(&old, &new) {
            let m = &d.message;
            let stream = match d.namespace.as_str() {
                MAIN => format!("stream {}", m.stream_name),
                ns => format!("stream {ns}.{}", m.stream_name),
            };
            let body = Value::text(&format!("({}, {})", literal_sql(&Value::text(&m.kind)), m.data));
            let (change, old, new) =
                if d.added { ("added", Value::Null, body) } else { ("removed", body, Value::Null) };
            rows.push(vec![Value::text(&stream), Value::text(change), Value::Integer(m.position), old, new]);
        }
        let columns = ["table", "change", "key", "old", "new"].map(String::from).to_vec();
        Ok(ResultSet { json: 0, columns: columns.into(), rows })
    }
}
