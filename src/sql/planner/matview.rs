//! CREATE, REFRESH and DROP MATERIALIZED VIEW (see `sql::matview`), and what the
//! other statements may not do to a materialized view or the tables one reads.

use super::*;
use crate::sql::matview::{self, Action, Def};

pub(super) fn plan_create_matview(
    name: &str,
    if_not_exists: bool,
    options: &[(String, crate::storage::Value)],
    query: &Select,
    cx: &Cx,
) -> Result<Plan> {
    let state = cx.state;
    if state.table(name).is_some() || state.view(name).is_some() {
        if if_not_exists && matview::definition(state, name).is_some() {
            return Ok(Plan::Nothing);
        }
        return Err(ErrorKind::TableExists(name.to_string()).into());
    }
    if matview::is_internal(name) || name.contains('$') {
        return Err(Error::invalid(format!("{name} cannot name a materialized view")));
    }
    let mut incremental = false;
    for (option, value) in options {
        match (option.as_str(), value) {
            ("incremental", crate::storage::Value::Boolean(b)) => incremental = *b,
            ("incremental", crate::storage::Value::Integer(n @ (0 | 1))) => incremental = *n == 1,
            ("incremental", crate::storage::Value::Text(t)) if t.eq_ignore_ascii_case("on") => incremental = true,
            ("incremental", crate::storage::Value::Text(t)) if t.eq_ignore_ascii_case("off") => incremental = false,
            ("incremental", _) => return Err(Error::invalid("incremental takes on or off")),
            (other, _) => {
                return Err(Error::invalid(format!("unknown option for a materialized view: {other} (incremental)")))
            }
        }
    }
    if query.calls("write_message") {
        return Err(Error::invalid("a materialized view cannot write messages (write_message)"));
    }
    let mut declared = declared_types(query, state);
    let plan = cx.nested(|| plan_select(query, cx))?;
    if declared.len() != plan.columns.len() {
        declared.clear();
    }
    let names = crate::storage::schema::numbered_names(&plan.columns);
    let columns: Vec<Column> = names
        .into_iter()
        .enumerate()
        .map(|(i, col)| Column::plain(col, declared.get(i).copied().flatten().unwrap_or(DataType::Any)))
        .collect();
    let schema = Arc::new(TableSchema { name: name.to_string(), columns, ..TableSchema::default() });
    let maint = if incremental { Some(Arc::new(matview::compile(name, query, state)?)) } else { None };
    let def = Def { name: name.to_ascii_lowercase(), sql: query.to_string(), incremental };
    Ok(Plan::MatView(Box::new(Action::Create { def, schema, query: Box::new(plan), maint })))
}

/// The stored query of a materialized view, planned again (for REFRESH).
pub(super) fn plan_refresh(name: &str, cx: &Cx) -> Result<Plan> {
    let def = definition_or_err(cx.state, name)?;
    let query = stored_query(&def)?;
    let plan = cx.nested(|| plan_select(&query, cx))?;
    let maint = if def.incremental { Some(Arc::new(matview::compile(&def.name, &query, cx.state)?)) } else { None };
    Ok(Plan::MatView(Box::new(Action::Refresh { name: def.name, query: Box::new(plan), maint })))
}

pub(super) fn plan_drop(name: &str, if_exists: bool, state: &State) -> Result<Plan> {
    match matview::definition(state, name) {
        Some(def) => Ok(Plan::MatView(Box::new(Action::Drop { name: def.name }))),
        None if if_exists && state.table(name).is_none() => Ok(Plan::Nothing),
        None => definition_or_err(state, name).map(|_| Plan::Nothing),
    }
}

fn definition_or_err(state: &State, name: &str) -> Result<Def> {
    matview::definition(state, name).ok_or_else(|| {
        let what = if state.table(name).is_some() { "is a table, not a materialized view" } else { "does not exist" };
        Error::invalid(format!("materialized view {name} {what}"))
    })
}

fn stored_query(def: &Def) -> Result<Select> {
    match crate::sql::parser::parse(&def.sql)? {
        Statement::Select(s) => Ok(*s),
        _ => Err(Error::invalid(format!("materialized view {}: its stored text is not a SELECT", def.name))),
    }
}

/// Refuses a write, DROP or ALTER of a materialized view's table (the engine keeps
/// those), and a DROP or ALTER of a table a materialized view reads.
pub(super) fn check_statement(stmt: &Statement, state: &State) -> Result<()> {
    if state.table(matview::CATALOG).is_none() {
        return Ok(());
    }
    let written = match stmt {
        Statement::Insert(i) => Some(&i.table),
        Statement::Update(u) => Some(&u.table),
        Statement::Delete(d) => Some(&d.table),
        _ => None,
    };
    if let Some(t) = written {
        if matview::definition(state, t).is_some() || matview::is_internal(t) {
            return Err(Error::invalid(format!(
                "{t} is kept by the engine (a materialized view): change the tables its query reads, or REFRESH it"
            )));
        }
    }
    let (altered, verb) = match stmt {
        Statement::DropTable { name, .. } => (name, "drop"),
        Statement::AlterTable { table, .. } => (table, "alter"),
        _ => return Ok(()),
    };
    if matview::definition(state, altered).is_some() || matview::is_internal(altered) {
        return Err(Error::invalid(format!(
            "cannot {verb} {altered}: it is a materialized view (DROP MATERIALIZED VIEW {altered})"
        )));
    }
    if let Some(view) = matview::readers(state, altered).first() {
        return Err(Error::invalid(format!(
            "cannot {verb} table {altered}: materialized view {view} reads it (drop the view first)"
        )));
    }
    Ok(())
}
