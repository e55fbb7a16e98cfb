//! `ARCHIVE FROM t WHERE … TO 'file'`: the rows go to a compressed file
//! (`storage::archive`) and are deleted, in one statement. The file is written and
//! fsynced under a pending name before the statement's changes exist; the commit records
//! it in `amber$archives` (name, table, rows, bytes, checksum, when), and only once the
//! commit is durable is the file given its name (`txn`, which also finishes a rename a
//! crash cut short when the database is opened). So a crash either leaves the rows in
//! the table and no archive by that name, or the archive and no rows: nothing lost,
//! nothing twice.

use std::sync::Arc;

use super::eval::Ctx;
use super::write::Written;
use crate::error::{Error, Result};
use crate::sql::plan::{Plan, SelectPlan};
use crate::storage::archive::{self, Header};
use crate::storage::schema::Column;
use crate::storage::table::RowKey;
use crate::storage::{Change, DataType, State, TableSchema, Value, WriteOp};

/// The catalog of archives this database wrote.
pub const CATALOG: &str = "amber$archives";

fn catalog_schema() -> TableSchema {
    TableSchema {
        name: CATALOG.to_string(),
        columns: vec![
            Column::plain("path", DataType::Text),
            Column::plain("source", DataType::Text),
            Column::plain("rows", DataType::Integer),
            Column::plain("bytes", DataType::Integer),
            Column::plain("checksum", DataType::Integer),
            Column::plain("archived_at", DataType::Timestamp),
        ],
        primary_key: vec![0],
        ..TableSchema::default()
    }
}

/// The archives a catalog row names: (path, checksum).
pub fn recorded(row: &[Value]) -> Option<(String, u32)> {
    match row {
        [Value::Text(path), _, _, _, Value::Integer(sum), ..] => Some((path.to_string(), *sum as u32)),
        _ => None,
    }
}

pub(super) fn run(
    table: &str,
    path: &str,
    query: &SelectPlan,
    delete: &Plan,
    state: State,
    ctx: &Ctx,
) -> Result<Written> {
    if std::path::Path::new(path).exists() {
        return Err(Error::invalid(format!("archive file {path} exists already: an archive is never overwritten")));
    }
    let schema = state.table_or_err(table)?.schema.clone();
    let rows = super::select::run_select(query, &state, &Ctx { state: Some(&state), ..*ctx })?.rows;
    let header = Header { schema: (*schema).clone(), rows: rows.len() as u64, written_at: ctx.now() };
    let bytes = archive::encode(&header, &rows)?;
    let sum = archive::checksum(&bytes);
    // The rows are deleted first: a delete that fails (a foreign key) writes no file.
    let mut w = match super::dispatch::run(delete, state, ctx)?.0 {
        super::dispatch::Output::Written(w, _) => w,
        _ => return Err(Error::invalid("ARCHIVE: its DELETE changed nothing")),
    };
    if let Some(e) = w.failed.take() {
        return Err(e);
    }
    if w.count != rows.len() {
        return Err(Error::invalid(format!(
            "ARCHIVE: {} rows were selected but {} deleted (a condition that reads the clock or random()?)",
            rows.len(),
            w.count
        )));
    }
    if w.state.table(CATALOG).is_none() {
        let op = WriteOp::CreateTable(Arc::new(catalog_schema()));
        w.state.apply(&op)?;
        w.writes.ops.push(op);
    }
    let row: Box<[Value]> = vec![
        Value::text(path),
        Value::text(&schema.name),
        Value::Integer(rows.len() as i64),
        Value::Integer(bytes.len() as i64),
        Value::Integer(i64::from(sum)),
        Value::Timestamp(ctx.now()),
    ]
    .into_boxed_slice();
    let key = RowKey::Tuple(Arc::new(vec![Value::text(path)]));
    let exists = w.state.table(CATALOG).is_some_and(|t| t.rows.contains_key(&key));
    let change = if exists { Change::Update(row.into()) } else { Change::Insert(row) };
    let op = WriteOp::Row { table: CATALOG.into(), key, change };
    w.state.apply(&op)?;
    w.writes.ops.push(op);
    archive::write_pending(path, &bytes)?;
    Ok(w)
}
