//! First committer wins: what a transaction's commit checks against the newest state.

use std::sync::Arc;

use super::Txn;
use crate::error::{ErrorKind, Result};
use crate::exec::Read;
use crate::storage::{Joined, State, WriteOp};

/// First committer wins: every key this transaction wrote must be as it was when it
/// began; under SERIALIZABLE, so must every table it read.
pub(super) fn validate(txn: &Txn, head: &State) -> Result<()> {
    for op in Joined(&txn.writes).ops() {
        match op {
            WriteOp::Row { table, key, .. } => {
                let schema = |s: &State| s.table(table).map(|t| t.schema.clone());
                let same_schema = match (schema(&txn.base), schema(head)) {
                    (Some(a), Some(b)) => Arc::ptr_eq(&a, &b) || a == b,
                    (None, None) => true,
                    _ => false,
                };
                if !same_schema {
                    return Err(ErrorKind::Conflict(format!(
                        "table {table} was created, dropped or altered by another transaction since this one began"
                    ))
                    .into());
                }
                let before = txn.base.table(table).and_then(|t| t.rows.get_bytes(key));
                let now = head.table(table).and_then(|t| t.rows.get_bytes(key));
                let same = match (before, now) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => head.table(table).is_some(),
                    _ => false,
                };
                if !same {
                    return Err(ErrorKind::Conflict(format!(
                        "row {key} of table {table} was changed by another transaction since this one began"
                    ))
                    .into());
                }
            }
            WriteOp::CreateTable(_)
            | WriteOp::CreateTableV1(_)
            | WriteOp::CreateTableV2(_)
            | WriteOp::CreateTableV3(_)
            | WriteOp::CreateIndexV1 { .. }
            | WriteOp::DropTable(_)
            | WriteOp::CreateIndex { .. }
            | WriteOp::DropIndex { .. }
            | WriteOp::CreateView(_)
            | WriteOp::DropView(_)
            | WriteOp::CreateTrigger(_)
            | WriteOp::DropTrigger(_)
            | WriteOp::CreateNamespace(_)
            | WriteOp::DropNamespace(_) => {
                if head.schema_id() != txn.base.schema_id() {
                    return Err(ErrorKind::Conflict(
                        "the schema was changed by another transaction since this one began".into(),
                    )
                    .into());
                }
            }
            // Appending checks the stream's position when the write set is applied to
            // the newest state; an expiry goes with a row write checked above.
            WriteOp::Message { .. }
            | WriteOp::TruncateMessages { .. }
            | WriteOp::Expire { .. }
            | WriteOp::Commit(_) => {}
        }
    }
    for read in &txn.constraint_reads {
        let unchanged = match read {
            Read::Key(table, key) => {
                let before = txn.base.table(table).and_then(|t| t.rows.get_bytes(key));
                let now = head.table(table).and_then(|t| t.rows.get_bytes(key));
                before.is_none() || before == now
            }
            Read::Table(table) => match (txn.base.table(table), head.table(table)) {
                (Some(a), Some(b)) => a.rows.ptr_eq(&b.rows),
                (a, b) => a.is_none() == b.is_none(),
            },
        };
        if !unchanged {
            let what = match read {
                Read::Key(table, key) => format!("row {key} of table {table}"),
                Read::Table(table) => format!("table {table}"),
            };
            return Err(ErrorKind::Conflict(format!(
                "{what}, which a foreign key of this transaction relies on, was changed by another transaction"
            ))
            .into());
        }
    }
    if txn.serializable {
        for table in &txn.reads {
            let unchanged = match (txn.base.table(table), head.table(table)) {
                (Some(a), Some(b)) => a.rows.ptr_eq(&b.rows),
                (None, None) => true,
                _ => false,
            };
            if !unchanged {
                return Err(ErrorKind::Conflict(format!(
                    "table {table}, which this SERIALIZABLE transaction read, was changed by another transaction"
                ))
                .into());
            }
        }
    }
    Ok(())
}
