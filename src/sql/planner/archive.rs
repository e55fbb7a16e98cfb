//! ARCHIVE FROM … TO 'file' and RESTORE FROM ARCHIVE 'file' INTO … (see
//! `storage::archive` for the file, `exec::archive` for the statement).

use super::*;
use crate::storage::schema::{literal_sql, quote_stored};
use crate::storage::Value;

/// The rows to move (`SELECT *` under the statement's WHERE) and the DELETE that takes
/// them out, both of the same table and condition.
pub(super) fn plan_archive(table: &str, filter: Option<&Expr>, path: &str, cx: &Cx) -> Result<Plan> {
    let schema = cx.state.table_or_err(table)?.schema.clone();
    refuse_kept(table, cx.state)?;
    if path.is_empty() {
        return Err(Error::invalid("ARCHIVE … TO takes the name of a file"));
    }
    let name = quote_stored(&schema.name);
    let condition = filter.map(|f| format!(" WHERE {f}")).unwrap_or_default();
    let query = match crate::sql::parser::parse(&format!("SELECT * FROM {name}{condition}"))? {
        Statement::Select(q) => plan_select(&q, cx)?,
        _ => return Err(Error::invalid("ARCHIVE: its rows are not a SELECT")),
    };
    let delete = plan_in(&crate::sql::parser::parse(&format!("DELETE FROM {name}{condition}"))?, cx)?;
    Ok(Plan::Archive {
        table: schema.name.to_ascii_lowercase(),
        path: path.to_string(),
        query: Box::new(query),
        delete: Box::new(delete),
    })
}

/// `INSERT INTO table SELECT * FROM archive('file')`: through the table's constraints.
pub(super) fn plan_restore(path: &str, table: &str, cx: &Cx) -> Result<Plan> {
    cx.state.table_or_err(table)?;
    refuse_kept(table, cx.state)?;
    let sql = format!("INSERT INTO {} SELECT * FROM archive({})", quote_stored(table), literal_sql(&Value::text(path)));
    plan_in(&crate::sql::parser::parse(&sql)?, cx)
}

fn refuse_kept(table: &str, state: &State) -> Result<()> {
    if crate::sql::matview::definition(state, table).is_some() || crate::sql::matview::is_internal(table) {
        return Err(Error::invalid(format!("{table} is kept by the engine (a materialized view)")));
    }
    Ok(())
}
