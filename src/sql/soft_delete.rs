//! Soft delete. A table kept `WITH (soft_delete)` has a companion table, `t$deleted`,
//! holding the rows DELETE took out of it: the same columns (without constraints),
//! `deleted_at` and `deleted_version`, the time and version of the commit that deleted
//! them (stamped as the commit is published). The live table is an ordinary table, so
//! queries, joins, indexes, unique constraints and foreign keys see only live rows and
//! a deleted row costs an indexed lookup nothing; the companion is an ordinary table
//! too, so versions, the log, checkpoints and exports carry deleted rows as they carry
//! any. `purge_after` is the companion's TTL: the sweeper purges old deleted rows.
//!
//! Statements: `SELECT … FROM t INCLUDING DELETED` (live rows with `deleted_at` NULL,
//! then deleted ones), `UNDELETE FROM t WHERE …` (back into `t`, through its
//! constraints), `PURGE FROM t WHERE …` (gone for good), and `ALTER TABLE t SET
//! (soft_delete [= off], purge_after = '30 days')`.

use std::sync::Arc;

use super::ast::{
    AlterAction, ColumnDef, Delete, DeleteMode, Expr, FromTerm, Insert, InsertSource, Select, SelectItem, SetOp,
    TableRef,
};
use super::plan::Plan;
use crate::error::{Error, Result};
use crate::storage::schema::Column;
use crate::storage::{DataType, History, State, TableSchema, Value};

/// What the companion's name adds to its table's.
pub const SUFFIX: &str = "$deleted";
/// The companion's column for when the row was deleted (the commit's time).
pub const DELETED_AT: &str = "deleted_at";
/// The companion's last column: the version whose commit deleted the row.
pub const DELETED_VERSION: &str = "deleted_version";

/// The stored name of the companion of `table` (a stored name, namespace and all).
pub fn trash_name(table: &str) -> String {
    format!("{}{SUFFIX}", table.to_ascii_lowercase())
}

/// Whether `table` keeps its deleted rows (it has a companion).
pub fn is_soft(state: &State, table: &str) -> bool {
    !is_trash(table) && state.table(&trash_name(table)).is_some()
}

/// Whether `name` is a companion's.
pub fn is_trash(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(SUFFIX)
}

/// The soft-delete options among a table's: `(soft_delete, purge_after)`, where
/// `soft_delete` is `None` when not given. Other options are left to the caller.
pub fn options(options: &[(String, Value)]) -> Result<(Option<bool>, Option<Option<i64>>)> {
    let mut soft = None;
    let mut purge = None;
    for (name, value) in options {
        match name.as_str() {
            "soft_delete" => {
                soft = Some(match value {
                    Value::Boolean(b) => *b,
                    Value::Integer(n @ (0 | 1)) => *n == 1,
                    Value::Text(t) if ["on", "true"].contains(&t.to_ascii_lowercase().as_str()) => true,
                    Value::Text(t) if ["off", "false"].contains(&t.to_ascii_lowercase().as_str()) => false,
                    other => {
                        let shown = crate::storage::schema::literal_sql(other);
                        return Err(Error::invalid(format!("soft_delete is on or off, not {shown}")));
                    }
                })
            }
            "purge_after" => {
                purge = Some(match value {
                    Value::Boolean(false) => None,
                    Value::Text(t) if t.eq_ignore_ascii_case("off") => None,
                    Value::Text(t) => {
                        Some(crate::storage::time::parse_interval(t).filter(|d| *d > 0).ok_or_else(|| {
                            Error::invalid(format!("purge_after takes a time such as '30 days', not '{t}'"))
                        })?)
                    }
                    other => {
                        let shown = crate::storage::schema::literal_sql(other);
                        return Err(Error::invalid(format!("purge_after takes a time such as '30 days', not {shown}")));
                    }
                })
            }
            _ => {}
        }
    }
    Ok((soft, purge))
}

/// The companion of a table of this schema.
pub fn trash_schema(schema: &TableSchema, purge_after: Option<i64>) -> Result<TableSchema> {
    for name in [DELETED_AT, DELETED_VERSION] {
        if schema.column_index(name).is_some() {
            return Err(Error::invalid(format!(
                "table {} has a column named {name}, which soft delete adds to its deleted rows",
                schema.name
            )));
        }
    }
    let mut columns: Vec<Column> = schema.columns.iter().map(|c| Column::plain(c.name.clone(), c.ty)).collect();
    columns.push(Column::plain(DELETED_AT.to_string(), DataType::Timestamp));
    columns.push(Column::plain(DELETED_VERSION.to_string(), DataType::Integer));
    Ok(TableSchema { name: trash_name(&schema.name), columns, ttl: purge_after, ..TableSchema::default() })
}

/// CREATE TABLE with soft delete: the table, then its companion.
pub fn with_trash(table: Plan, schema: &TableSchema, purge_after: Option<i64>) -> Result<Plan> {
    let trash = Plan::CreateTable {
        schema: Arc::new(trash_schema(schema, purge_after)?),
        if_not_exists: false,
        defaults: vec![],
    };
    Ok(Plan::Steps { steps: vec![table, trash], verb: None })
}

/// `ALTER TABLE t SET (…)`: turns soft delete on (a new companion) or off (the
/// companion and its rows dropped), or sets how long deleted rows are kept.
pub fn plan_set_options(state: &State, table: &str, given: &[(String, Value)]) -> Result<Plan> {
    let t = state.table_or_err(table)?;
    if let Some((name, _)) = given.iter().find(|(n, _)| n != "soft_delete" && n != "purge_after") {
        return Err(Error::invalid(format!(
            "ALTER TABLE … SET takes soft_delete, purge_after and history, not {name}"
        )));
    }
    let (soft, purge) = options(given)?;
    let trash = trash_name(&t.schema.name);
    let existing = state.table(&trash);
    // Whatever it does to the companion, the statement alters the table.
    let altered = |step: Plan| Plan::Steps { steps: vec![step], verb: Some("altered") };
    match (soft, existing) {
        (Some(false), Some(_)) => return Ok(altered(Plan::DropTable { name: trash, if_exists: false })),
        (Some(false), None) => return Ok(Plan::Nothing),
        (Some(true), None) => {
            let schema = trash_schema(&t.schema, purge.flatten())?;
            let create = Plan::CreateTable { schema: Arc::new(schema), if_not_exists: false, defaults: vec![] };
            return Ok(altered(create));
        }
        (None, None) => {
            return Err(Error::invalid(format!(
                "table {} does not keep deleted rows: ALTER TABLE {} SET (soft_delete) first",
                t.schema.name, t.schema.name
            )))
        }
        (Some(true) | None, Some(_)) => {}
    }
    let Some(purge) = purge else { return Ok(Plan::Nothing) };
    // A new TTL for the companion: its rows stay as they are; those deleted from now
    // on expire after the new time.
    let current = state.table_or_err(&trash)?;
    let schema = TableSchema { ttl: purge, ..(*current.schema).clone() };
    Ok(Plan::AlterTable {
        table: trash,
        schema: Arc::new(schema),
        rows: super::plan::RowChange::Keep,
        defaults: vec![],
    })
}

/// `t INCLUDING DELETED` as a query: the live rows with a NULL `deleted_at`, then the
/// deleted ones, both read as of the same version.
pub fn including_deleted(state: &State, t: &TableRef) -> Result<Select> {
    let table = match &t.as_of {
        None => state.table_or_err(&t.name)?.schema.clone(),
        Some(_) => state.table(&t.name).map(|t| t.schema.clone()).ok_or_else(|| {
            Error::invalid(format!("INCLUDING DELETED reads {} as it is now, and there is no such table", t.name))
        })?,
    };
    if !is_soft(state, &t.name) {
        return Err(not_soft(&table.name));
    }
    let column = |name: &str| SelectItem::Expr {
        text: name.to_string(),
        expr: Expr::Column { table: None, name: name.to_string() },
        alias: None,
    };
    let from = |name: String| TableRef { name, as_of: t.as_of.clone(), ..TableRef::default() };
    let side = |name: String, deleted_at: Expr| {
        let mut columns: Vec<SelectItem> = table.columns.iter().map(|c| column(&c.name)).collect();
        let version = match &deleted_at {
            Expr::Literal(_) => Expr::Literal(Value::Null),
            _ => Expr::Column { table: None, name: DELETED_VERSION.into() },
        };
        columns.push(SelectItem::Expr { text: DELETED_AT.into(), expr: deleted_at, alias: Some(DELETED_AT.into()) });
        columns.push(SelectItem::Expr {
            text: DELETED_VERSION.into(),
            expr: version,
            alias: Some(DELETED_VERSION.into()),
        });
        Select { columns, from: vec![FromTerm { table: from(name), joins: vec![] }], ..Select::default() }
    };
    let mut live = side(t.name.clone(), Expr::Literal(Value::Null));
    let gone = side(trash_name(&t.name), Expr::Column { table: None, name: DELETED_AT.into() });
    live.compound.push((SetOp::UnionAll, gone));
    Ok(live)
}

/// The error for PURGE, UNDELETE or INCLUDING DELETED on a table without soft delete.
pub fn not_soft(table: &str) -> Error {
    Error::invalid(format!(
        "table {table} does not keep deleted rows: create it WITH (soft_delete) or ALTER TABLE {table} SET (soft_delete)"
    ))
}

/// `PURGE FROM t WHERE …` is a DELETE of the companion's rows; `UNDELETE FROM t WHERE
/// …` an INSERT of them back into `t` followed by that DELETE. The statements they
/// become, in order.
pub fn rewrite(state: &State, d: &Delete) -> Result<Vec<super::ast::Statement>> {
    use super::ast::Statement;
    let t = state.table_or_err(&d.table)?;
    if !is_soft(state, &d.table) {
        return Err(not_soft(&t.schema.name));
    }
    if !d.returning.is_empty() || d.limit.is_some() {
        return Err(Error::invalid(format!("{} takes no RETURNING or LIMIT", d.mode.keyword())));
    }
    let trash = trash_name(&d.table);
    let purge = Delete { mode: DeleteMode::Delete, table: trash.clone(), ..d.clone() };
    if d.mode == DeleteMode::Purge {
        return Ok(vec![Statement::Delete(purge)]);
    }
    let names: Vec<String> =
        t.schema.columns.iter().filter(|c| c.generated.is_none()).map(|c| c.name.clone()).collect();
    let columns = names
        .iter()
        .map(|n| SelectItem::Expr { text: n.clone(), expr: Expr::Column { table: None, name: n.clone() }, alias: None })
        .collect();
    let from = TableRef { name: trash, ..TableRef::default() };
    let from = vec![FromTerm { table: from, joins: vec![] }];
    let select = Select { columns, from, filter: d.filter.clone(), ..Select::default() };
    let restore = Insert {
        with: d.with.clone(),
        conflict: Default::default(),
        table: d.table.clone(),
        alias: None,
        columns: Some(names),
        source: InsertSource::Select(Box::new(select)),
        upserts: vec![],
        ttl: None,
        returning: vec![],
    };
    Ok(vec![Statement::Insert(restore), Statement::Delete(purge)])
}

/// The step that keeps the companion in step with an ALTER TABLE of its table: it
/// follows a new name for the table or a column, and gains an added column (without
/// its constraints). A dropped column stays in the companion, holding what deleted rows
/// had.
pub fn follow_alter(state: &State, table: &str, action: &AlterAction, history: &dyn History) -> Result<Option<Plan>> {
    let trash = trash_name(table);
    let follow = match action {
        AlterAction::AddColumn(def) => {
            let plain = ColumnDef { constraints: vec![], ..def.clone() };
            AlterAction::AddColumn(plain)
        }
        AlterAction::RenameColumn { .. } => action.clone(),
        AlterAction::RenameTable(to) => AlterAction::RenameTable(format!("{to}{SUFFIX}")),
        AlterAction::DropColumn(_) | AlterAction::SetOptions(_) => return Ok(None),
    };
    super::alter::plan_alter(state, &trash, &follow, history).map(Some)
}
