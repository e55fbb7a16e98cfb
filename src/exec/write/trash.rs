//! Soft delete's half in the executor: the rows a DELETE takes out of a table kept
//! `WITH (soft_delete)` go into its companion (see `sql::soft_delete`), with the time.

use std::sync::Arc;

use super::Work;
use crate::error::Result;
use crate::exec::eval::Ctx;
use crate::sql::soft_delete::{is_trash, trash_name, DELETED_AT};
use crate::storage::table::RowKey;
use crate::storage::{Change, State, TableSchema, Value, WriteOp};

/// A companion table: its stored name and schema.
type Trash = (Arc<str>, Arc<TableSchema>);

/// Moves the rows deleted by the write set's operations from `from` on (a DELETE's,
/// its cascades' and its triggers') into their tables' companions, as each was in
/// `before`, the state the statement began from. A table without a companion is
/// passed over with one lookup per table, not per row.
pub(super) fn keep_deleted(before: &State, work: &mut Work, from: usize, ctx: &Ctx) -> Result<()> {
    let mut soft: Vec<(Arc<str>, Option<Trash>)> = Vec::new();
    let mut moved: Vec<(Arc<str>, Arc<TableSchema>, Vec<Value>)> = Vec::new();
    let now = ctx.now();
    for op in &work.writes.ops[from..] {
        let WriteOp::Row { table, key, change: Change::Delete } = op else { continue };
        let trash = match soft.iter().find(|(t, _)| Arc::ptr_eq(t, table) || **t == **table) {
            Some((_, trash)) => trash.clone(),
            None => {
                let name = trash_name(table);
                let found = match is_trash(table) {
                    true => None,
                    false => work.working.table(&name).map(|t| (Arc::from(name.as_str()), t.schema.clone())),
                };
                soft.push((table.clone(), found.clone()));
                found
            }
        };
        let (Some((name, schema)), Some(source)) = (trash, before.table(table)) else { continue };
        // A row the statement itself made and removed was never live.
        let Some(row) = source.rows.get(key) else { continue };
        let values = schema
            .columns
            .iter()
            .map(|c| match c.name == DELETED_AT {
                true => Value::Timestamp(now),
                false => source.schema.column_index(&c.name).and_then(|i| row.get(i).cloned()).unwrap_or(Value::Null),
            })
            .collect();
        moved.push((name, schema, values));
    }
    for (name, schema, values) in moved {
        let key = RowKey::Int(work.working.allocate_rowid(&name)?);
        let op =
            WriteOp::Row { table: name.clone(), key: key.clone(), change: Change::Insert(values.into_boxed_slice()) };
        work.working.apply(&op)?;
        work.writes.ops.push(op);
        if let Some(ttl) = schema.ttl {
            let op = WriteOp::Expire { table: name, key, at: Some(now.saturating_add(ttl)) };
            work.working.apply(&op)?;
            work.writes.ops.push(op);
        }
    }
    Ok(())
}
