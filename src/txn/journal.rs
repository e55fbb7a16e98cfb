//! Writing and reading per-table history (`WITH (history = …)`, see `sql::journal`):
//! each commit adds to a journaled table's journal one entry per row it changed, made
//! while the commit is published (when its version and time are known), and
//! `history(t)` reads those entries back in its own columns.

use std::sync::Arc;

use crate::error::Result;
use crate::sql::journal::{is_journal, journal_name};
use crate::sql::plan::{TableFn, HISTORY_COLUMNS};
use crate::sql::soft_delete::{is_trash, DELETED_AT, DELETED_VERSION};
use crate::storage::table::{Row, RowKey, Table};
use crate::storage::{Change, CommitInfo, Joined, State, Value, WriteOp};

/// The entries the commit of `writes` (which turned `before` into `after`) adds to the
/// journals of the tables it changed, applied to `after` as they are made. One entry
/// per changed row, comparing the row before and after the whole commit (a row
/// inserted and deleted in one transaction leaves none); a table whose schema the
/// commit changed is left out (its rows were rewritten, not changed).
pub(crate) fn journal_ops(
    before: &State,
    after: &mut State,
    writes: Joined,
    version: u64,
    commit: &CommitInfo,
) -> Result<Vec<WriteOp>> {
    // Per table touched: its journal's name, or None when it keeps none.
    let mut journals: Vec<(Arc<str>, Option<Arc<str>>)> = Vec::new();
    let mut changed: Vec<(Arc<str>, Arc<str>, RowKey)> = Vec::new();
    for op in writes.ops() {
        let WriteOp::Row { table, key, .. } = op else { continue };
        let journal = match journals.iter().find(|(t, _)| Arc::ptr_eq(t, table) || **t == **table) {
            Some((_, j)) => j.clone(),
            None => {
                let name = journal_name(table);
                let same_schema = match (before.table(table), after.table(table)) {
                    (Some(a), Some(b)) => Arc::ptr_eq(&a.schema, &b.schema),
                    _ => false,
                };
                let found = (!is_journal(table) && same_schema && after.table(&name).is_some())
                    .then(|| Arc::<str>::from(name.as_str()));
                journals.push((table.clone(), found.clone()));
                found
            }
        };
        if let Some(journal) = journal {
            changed.push((journal, table.clone(), key.clone()));
        }
    }
    let mut out = stamp_deleted(after, writes, version, commit)?;
    // In key order within each table, once per row, as history(t) lists a version's.
    changed.sort_by(|a, b| (&a.0, &a.2).cmp(&(&b.0, &b.2)));
    changed.dedup_by(|a, b| a.0 == b.0 && a.2 == b.2);
    for (journal, table, key) in changed {
        let (Some(old_table), Some(new_table)) = (before.table(&table), after.table(&table)) else { continue };
        let (old, new) = (old_table.rows.get(&key), new_table.rows.get(&key));
        let operation = match (&old, &new) {
            (None, Some(_)) => "insert",
            (Some(_), None) => "delete",
            (Some(o), Some(n)) if o != n => "update",
            _ => continue,
        };
        let Some(j) = after.table(&journal) else { continue };
        let values = entry(j, new_table, version, commit, operation, old.as_ref(), new.as_ref());
        let keep = j.schema.ttl;
        let key = RowKey::Int(after.allocate_rowid(&journal)?);
        let insert = WriteOp::Row { table: journal.clone(), key: key.clone(), change: Change::Insert(values) };
        after.apply(&insert)?;
        out.push(insert);
        if let Some(keep) = keep {
            let expire = WriteOp::Expire { table: journal, key, at: Some(commit.at.saturating_add(keep)) };
            after.apply(&expire)?;
            out.push(expire);
        }
    }
    Ok(out)
}

/// Soft delete's companions get the commit's time and version on the rows the commit
/// put there (a DELETE wrote them before either was known): one update each.
fn stamp_deleted(after: &mut State, writes: Joined, version: u64, commit: &CommitInfo) -> Result<Vec<WriteOp>> {
    let mut out = Vec::new();
    // Per table inserted into: whether it is a companion (asked once, not per row).
    let mut kinds: Vec<(Arc<str>, bool)> = Vec::new();
    for op in writes.ops() {
        let WriteOp::Row { table, key, change: Change::Insert(_) } = op else { continue };
        let trash = match kinds.iter().find(|(t, _)| Arc::ptr_eq(t, table) || **t == **table) {
            Some((_, trash)) => *trash,
            None => {
                kinds.push((table.clone(), is_trash(table)));
                is_trash(table)
            }
        };
        if !trash {
            continue;
        }
        let Some(t) = after.table(table) else { continue };
        let (Some(at), Some(v)) = (t.schema.column_index(DELETED_AT), t.schema.column_index(DELETED_VERSION)) else {
            continue;
        };
        // Gone again in the same commit (purged), or stamped already.
        let Some(row) = t.rows.get(key) else { continue };
        if !row.get(v).is_some_and(Value::is_null) {
            continue;
        }
        let mut stamped = row.to_vec();
        stamped[at] = Value::Timestamp(commit.at);
        stamped[v] = Value::Integer(i64::try_from(version).unwrap_or(i64::MAX));
        let update = WriteOp::Row { table: table.clone(), key: key.clone(), change: Change::Update(stamped.into()) };
        after.apply(&update)?;
        out.push(update);
    }
    Ok(out)
}

/// One journal entry in the journal's columns: the fixed ones, then the key, then the
/// `old_` and `new_` columns found by name in the table (NULL for a column the table
/// no longer has).
fn entry(
    journal: &Table,
    table: &Table,
    version: u64,
    commit: &CommitInfo,
    operation: &str,
    old: Option<&Row>,
    new: Option<&Row>,
) -> Box<[Value]> {
    let fixed = HISTORY_COLUMNS.len();
    let keys = table.schema.primary_key.len();
    let cell = |row: Option<&Row>, name: &str| -> Value {
        match (row, table.schema.column_index(name)) {
            (Some(r), Some(i)) => r.get(i).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        }
    };
    journal
        .schema
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| match i {
            0 => Value::Integer(i64::try_from(version).unwrap_or(i64::MAX)),
            1 => Value::Timestamp(commit.at),
            2 => Value::text(operation),
            3 => commit.label.as_deref().map_or(Value::Null, Value::text),
            i if i < fixed + keys => cell(new.or(old), &c.name),
            _ => match (c.name.strip_prefix("old_"), c.name.strip_prefix("new_")) {
                (Some(name), _) => cell(old, name),
                (_, Some(name)) => cell(new, name),
                _ => Value::Null,
            },
        })
        .collect()
}

/// `history(t)` from t's journal: its live entries (oldest first), or with `key` the
/// entries of that row found through the journal's key index, in `history(t)`'s
/// columns for t's current schema.
pub(crate) fn read(state: &State, table: &str, key: Option<&Value>, now: i64) -> Option<Vec<Vec<Value>>> {
    let journal = state.table(&journal_name(table))?;
    let schema = &state.table(table)?.schema;
    let names = TableFn::history_columns(schema);
    let fixed = HISTORY_COLUMNS.len() + schema.primary_key.len();
    // Where each output column is in the journal: by position for the fixed columns and
    // the key (renames keep them there), by name for the rest.
    let map: Vec<Option<usize>> = names
        .iter()
        .enumerate()
        .map(|(i, n)| match i < fixed {
            true => Some(i).filter(|&i| i < journal.schema.columns.len()),
            false => journal.schema.column_index(n),
        })
        .collect();
    let mut keys: Vec<RowKey> = match key {
        None => journal.rows.iter().map(|(k, _)| k.clone()).collect(),
        // The key comes converted to the key column's type (`changes::key_value`).
        Some(k) => journal.keys_where(&[HISTORY_COLUMNS.len()], std::slice::from_ref(k)),
    };
    keys.sort();
    let rows = keys
        .iter()
        .filter(|k| journal.is_live(k, now))
        .filter_map(|k| journal.rows.get(k))
        .map(|r| map.iter().map(|i| i.and_then(|i| r.get(i).cloned()).unwrap_or(Value::Null)).collect())
        .collect();
    Some(rows)
}
