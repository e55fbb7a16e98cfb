//! Per-table history. A table kept `WITH (history = '90 days')` has a journal,
//! `t$history`: one row per change of one of its rows, written by the commit that made
//! the change (see `txn::changes::journal_ops`), with exactly the columns `history(t)`
//! shows (version, committed_at, operation, label, the key, `old_…`, `new_…`), an index
//! on the key, and the time to keep entries as its TTL. Old versions of the whole
//! database can then be released while this table's changes stay: the journal holds
//! what changed, not the states. `history(t)` reads the journal when there is one.
//!
//! The journal is an ordinary table, so the WAL, checkpoints, exports and the sweeper
//! carry it as they carry any; ALTER TABLE on the table follows into it.

use std::sync::Arc;

use super::ast::AlterAction;
use super::plan::{Plan, RowChange, TableFn};
use crate::error::{Error, Result};
use crate::storage::schema::{Column, IndexDef};
use crate::storage::{DataType, State, TableSchema, Value};

/// What the journal's name adds to its table's.
pub const SUFFIX: &str = "$history";

/// The stored name of the journal of `table` (a stored name, namespace and all).
pub fn journal_name(table: &str) -> String {
    format!("{}{SUFFIX}", table.to_ascii_lowercase())
}

/// Whether `name` is a journal's.
pub fn is_journal(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(SUFFIX)
}

/// Whether `table` keeps a journal of its changes.
pub fn is_journaled(state: &State, table: &str) -> bool {
    !is_journal(table) && state.table(&journal_name(table)).is_some()
}

/// The `history` option among a table's: `None` when not given, `Some(None)` for off,
/// `Some(Some(micros))` for how long changes are kept.
pub fn option(options: &[(String, Value)]) -> Result<Option<Option<i64>>> {
    let Some((_, value)) = options.iter().rev().find(|(n, _)| n == "history") else { return Ok(None) };
    Ok(Some(match value {
        Value::Boolean(false) => None,
        Value::Text(t) if t.eq_ignore_ascii_case("off") => None,
        Value::Text(t) => Some(
            crate::storage::time::parse_interval(t)
                .filter(|d| *d > 0)
                .ok_or_else(|| Error::invalid(format!("history takes a time such as '90 days', not '{t}'")))?,
        ),
        other => {
            let shown = crate::storage::schema::literal_sql(other);
            return Err(Error::invalid(format!("history takes a time such as '90 days' or off, not {shown}")));
        }
    }))
}

/// The journal of a table of this schema, keeping entries for `keep` microseconds.
pub fn journal_schema(schema: &TableSchema, keep: i64) -> TableSchema {
    let ty = |name: &str| -> DataType {
        match name {
            "version" => DataType::Integer,
            "committed_at" => DataType::Timestamp,
            _ => DataType::Text,
        }
    };
    let fixed = crate::sql::plan::HISTORY_COLUMNS.len();
    let names = TableFn::history_columns(schema);
    let typed = |i: usize, name: &String| -> Column {
        let source = match i {
            i if i < fixed => return Column::plain(name.clone(), ty(name)),
            i if i < fixed + schema.primary_key.len() => &schema.columns[schema.primary_key[i - fixed]],
            i => &schema.columns[(i - fixed - schema.primary_key.len()) % schema.columns.len()],
        };
        Column::plain(name.clone(), source.ty)
    };
    let columns: Vec<Column> = names.iter().enumerate().map(|(i, n)| typed(i, n)).collect();
    let name = journal_name(&schema.name);
    // One row's entries are found by its key; without a primary key, by nothing
    // better than a scan.
    let key: Vec<usize> = (fixed..fixed + schema.primary_key.len()).collect();
    let indexes = match key.is_empty() {
        true => vec![],
        false => vec![IndexDef::of_columns(format!("{name}_key"), key, false)],
    };
    TableSchema { name, columns, ttl: Some(keep), indexes, ..TableSchema::default() }
}

fn create(schema: &TableSchema, keep: i64) -> Plan {
    Plan::CreateTable { schema: Arc::new(journal_schema(schema, keep)), if_not_exists: false, defaults: vec![] }
}

/// CREATE TABLE … WITH (history = …): the table (with whatever else it makes), then
/// its journal.
pub fn with_journal(table: Plan, schema: &TableSchema, keep: i64) -> Plan {
    match table {
        Plan::Steps { mut steps, verb } => {
            steps.push(create(schema, keep));
            Plan::Steps { steps, verb }
        }
        table => Plan::Steps { steps: vec![table, create(schema, keep)], verb: None },
    }
}

/// `ALTER TABLE t SET (history = …)`: starts a journal, stops it (its entries
/// dropped), or changes how long entries are kept (from the next change on).
pub fn plan_set(state: &State, table: &str, keep: Option<i64>) -> Result<Plan> {
    let t = state.table_or_err(table)?;
    if t.schema.primary_key.is_empty() {
        return Err(no_key(&t.schema.name));
    }
    let name = journal_name(&t.schema.name);
    Ok(match (keep, state.table(&name)) {
        (None, Some(_)) => Plan::DropTable { name, if_exists: false },
        (None, None) => Plan::Nothing,
        (Some(keep), None) => create(&t.schema, keep),
        (Some(keep), Some(journal)) => Plan::AlterTable {
            table: name,
            schema: Arc::new(TableSchema { ttl: Some(keep), ..(*journal.schema).clone() }),
            rows: RowChange::Keep,
            defaults: vec![],
        },
    })
}

/// The error for a journal on a table without a primary key.
pub fn no_key(table: &str) -> Error {
    Error::invalid(format!(
        "WITH (history = …) names each row's changes by its primary key, and table {table} has none"
    ))
}

/// The step that keeps the journal in step with an ALTER TABLE of its table, planned
/// as `altered` (the table's own step): an added column adds its `old_` and `new_`
/// columns (NULL in earlier entries), a renamed column or table renames theirs; a
/// dropped column stays, holding what its changes had.
pub fn follow_alter(state: &State, table: &str, action: &AlterAction, altered: &Plan) -> Result<Option<Plan>> {
    let t = state.table_or_err(table)?;
    let journal = state.table_or_err(&journal_name(table))?;
    let mut schema = (*journal.schema).clone();
    let rows = match action {
        AlterAction::AddColumn(def) => {
            let Plan::AlterTable { schema: new, .. } = altered else { return Ok(None) };
            let ty = new.columns.last().map_or(DataType::Any, |c| c.ty);
            for side in ["old", "new"] {
                let name = format!("{side}_{}", def.name);
                if schema.column_index(&name).is_some() {
                    return Err(Error::invalid(format!(
                        "table {}'s history already has a column {name} (from a column dropped before): \
                         name the new column otherwise",
                        t.schema.name
                    )));
                }
                schema.columns.push(Column::plain(name, ty));
            }
            RowChange::Widen
        }
        AlterAction::RenameColumn { from, to } => {
            let is_key = t.schema.primary_key.iter().any(|&i| t.schema.columns[i].name.eq_ignore_ascii_case(from));
            let mut renames: Vec<(String, String)> =
                ["old", "new"].iter().map(|s| (format!("{s}_{from}"), format!("{s}_{to}"))).collect();
            if is_key {
                renames.push((from.clone(), to.clone()));
            }
            for (from, to) in renames {
                if let Some(i) = schema.column_index(&from) {
                    schema.columns[i].name = to;
                }
            }
            RowChange::Keep
        }
        AlterAction::RenameTable(to) => {
            schema.name = journal_name(to);
            for ix in &mut schema.indexes {
                ix.name = format!("{}_key", schema.name);
            }
            RowChange::Keep
        }
        AlterAction::DropColumn(_) | AlterAction::SetOptions(_) => return Ok(None),
    };
    Ok(Some(Plan::AlterTable { table: journal.schema.name.clone(), schema: Arc::new(schema), rows, defaults: vec![] }))
}
