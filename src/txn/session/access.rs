//! What a session may do: read only, read and write, or everything (an HTTP API key's
//! role). The engine checks each planned statement, so no spelling of a write gets
//! past a read-only session.

use crate::error::{ErrorKind, Result};
use crate::sql::ast::Control;
use crate::sql::plan::Plan;

/// What a session may run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Reads only: every statement runs as in a read-only transaction.
    Read,
    /// Reads and writes, but nothing that touches the server's files (BACKUP,
    /// CHECKPOINT) or replaces the whole database (RESTORE SNAPSHOT).
    Write,
    /// Everything: the shell's and a local library user's sessions.
    #[default]
    Admin,
}

impl Access {
    /// The error for a statement this access does not allow, if it does not.
    pub(super) fn check(self, plan: &Plan) -> Result<()> {
        let needs = needs(plan);
        if needs <= self {
            return Ok(());
        }
        let what = match self {
            Access::Read => "this session is read-only: it cannot change the database",
            _ => "this statement needs admin access (it acts on the server's files or the whole database)",
        };
        Err(ErrorKind::ReadOnly(what.to_string()).into())
    }
}

/// The least access a plan needs.
fn needs(plan: &Plan) -> Access {
    match plan {
        Plan::Control(c) => match c {
            Control::Begin { .. }
            | Control::Commit
            | Control::Rollback
            | Control::Savepoint(_)
            | Control::RollbackTo(_)
            | Control::Release(_)
            | Control::Diff(..)
            | Control::Use(_)
            | Control::Show(_) => Access::Read,
            Control::CreateSnapshot(_) | Control::DropSnapshot { .. } | Control::CreateCollection { .. } => {
                Access::Write
            }
            Control::RestoreSnapshot(_) | Control::Checkpoint | Control::Backup(_) | Control::Set { .. } => {
                Access::Admin
            }
        },
        Plan::ExplainAnalyze { plan, .. } => needs(plan),
        p if p.is_write() => Access::Write,
        _ => Access::Read,
    }
}

#[cfg(test)]
mod tests {
    use super::Access;
    use crate::{Database, ErrorKind, Value};

    #[test]
    fn a_read_only_session_reads_and_refuses_every_write() {
        let db = Database::open_in_memory();
        let mut admin = db.session();
        admin.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
        admin.execute("INSERT INTO t VALUES (1)", &[]).unwrap();
        let mut s = db.session();
        s.set_access(Access::Read);
        assert_eq!(s.query("SELECT a FROM t", &[]).unwrap().rows, vec![vec![Value::Integer(1)]]);
        for sql in [
            "INSERT INTO t VALUES (2)",
            "UPDATE t SET a = 3",
            "DELETE FROM t",
            "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
            "CREATE TABLE u (b INTEGER)",
            "DROP TABLE t",
            "CREATE SNAPSHOT s",
            "CREATE COLLECTION docs",
            "BACKUP TO '/tmp/nowhere'",
        ] {
            let e = s.execute(sql, &[]).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::ReadOnly(_)), "{sql}: {e}");
        }
        // Transactions still work for reads, and the table is as it was.
        s.execute("BEGIN", &[]).unwrap();
        assert!(s.execute("INSERT INTO t VALUES (2)", &[]).is_err());
        s.execute("COMMIT", &[]).unwrap();
        assert_eq!(admin.query("SELECT count(*) FROM t", &[]).unwrap().rows[0][0], Value::Integer(1));
    }

    #[test]
    fn writers_may_not_touch_the_servers_files() {
        let db = Database::open_in_memory();
        let mut s = db.session();
        s.set_access(Access::Write);
        s.execute("CREATE TABLE t (a INTEGER)", &[]).unwrap();
        s.execute("CREATE SNAPSHOT one", &[]).unwrap();
        for sql in ["BACKUP TO '/tmp/nowhere'", "CHECKPOINT", "RESTORE SNAPSHOT one"] {
            let e = s.execute(sql, &[]).unwrap_err();
            assert!(matches!(e.kind(), ErrorKind::ReadOnly(_)), "{sql}: {e}");
        }
    }
}
