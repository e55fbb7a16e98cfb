//! AST to [`Plan`]: resolves tables and columns against the state's schemas, expands
//! `*`, binds every clause, and turns CREATE TABLE into a checked schema.
//!
//! - this file — which plan a statement becomes; the small statements
//! - `select` — SELECT: columns, clauses, compound selects, access paths
//! - `dml` — INSERT, UPDATE, DELETE, and writes to views
//! - `ddl` — CREATE TABLE and CREATE TRIGGER
//! - `cte` — WITH: common table expressions, recursive ones included
//! - `matview` — CREATE, REFRESH and DROP MATERIALIZED VIEW
//! - `archive` — ARCHIVE and RESTORE FROM ARCHIVE
//! - `projection` — CREATE, REBUILD and DROP PROJECTION

mod archive;
mod cte;
mod ddl;
mod derived;
mod dml;
mod matview;
mod projection;
mod select;

pub use ddl::bind_trigger_rows;
use ddl::*;
pub(in crate::sql) use ddl::{plan_create, strip_outer_parens};
pub use derived::bind_kept_sql;
pub(in crate::sql) use derived::check_generated as check_table_generated;
pub use derived::index_exprs;
use derived::*;
use dml::*;
use select::*;

use std::sync::Arc;

use super::access;
use super::ast::*;
use super::binder::{has_aggregate, ordinal, Binder, Nesting, OuterScope, Scope, ScopeTable, SubqueryPlanner};
use super::join;
use super::plan::*;
use super::{journal, soft_delete};
use crate::error::{closest, Error, ErrorKind, Result};
use crate::storage::rows::Mask;
use crate::storage::schema::{CheckConstraint, ForeignKey, Generated, IndexDef, UniqueConstraint};
use crate::storage::{Column, ColumnDefault, DataType, History, State, TableSchema};

/// Plans one statement against the schemas of `state`; `history` provides the schemas of
/// past versions for `AS OF`.
pub fn plan(stmt: &Statement, state: &State, history: &dyn History) -> Result<Plan> {
    let cx = Cx { state, history, depth: Default::default(), ctes: Default::default() };
    matview::check_statement(stmt, state)?;
    let with = match stmt {
        Statement::Insert(Insert { with: Some(w), table, .. })
        | Statement::Update(Update { with: Some(w), table, .. })
        | Statement::Delete(Delete { with: Some(w), table, .. }) => Some((w, table)),
        _ => None,
    };
    if let Some((w, table)) = with {
        if state.view(table).is_some() {
            return Err(Error::invalid(format!("WITH before a write to view {table} is not supported")));
        }
        return cx.with_ctes(w, None, || plan_in(stmt, &cx));
    }
    plan_in(stmt, &cx)
}

fn plan_in(stmt: &Statement, cx: &Cx) -> Result<Plan> {
    let (state, history) = (cx.state, cx.history);
    Ok(match stmt {
        Statement::Select(s) if s.calls("write_message") => Plan::WritingSelect(plan_select(s, cx)?),
        Statement::Select(s) => Plan::Select(plan_select(s, cx)?),
        Statement::Explain(s) => Plan::Explain(plan_select(s, cx)?),
        Statement::ExplainWrite(s) => Plan::ExplainWrite(Box::new(plan(s, state, history)?)),
        Statement::ExplainAnalyze { statement, timing } => {
            Plan::ExplainAnalyze { plan: Box::new(plan(statement, state, history)?), timing: *timing }
        }
        Statement::Insert(i) if state.view(&i.table).is_some() => plan_view_write(stmt, &i.table, cx)?,
        Statement::Update(u) if state.view(&u.table).is_some() => plan_view_write(stmt, &u.table, cx)?,
        Statement::Delete(d) if state.view(&d.table).is_some() => plan_view_write(stmt, &d.table, cx)?,
        Statement::Insert(i) => Plan::Insert(plan_insert(i, cx)?),
        Statement::Update(u) => Plan::Update(plan_update(u, cx)?),
        Statement::Delete(d) if d.mode != DeleteMode::Delete => {
            let steps = soft_delete::rewrite(state, d)?.iter().map(|s| plan_in(s, cx)).collect::<Result<Vec<_>>>()?;
            let verb = if d.mode == DeleteMode::Purge { "purged" } else { "restored" };
            Plan::Steps { steps, verb: Some(verb) }
        }
        Statement::Delete(d) => Plan::Delete(plan_delete(d, cx)?),
        Statement::CreateTableAs { name, if_not_exists, query } => {
            if state.table(name).is_some() || state.view(name).is_some() {
                if *if_not_exists {
                    return Ok(Plan::Nothing);
                }
                return Err(Error::invalid(format!("table {name} already exists")));
            }
            let mut declared = declared_types(query, state);
            let query = Box::new(plan_select(query, cx)?);
            // A join by USING or NATURAL shows fewer columns than the tables have.
            if declared.len() != query.columns.len() {
                declared.clear();
            }
            Plan::CreateTableAs { name: name.clone(), query, declared }
        }
        Statement::CreateTable(c) => {
            let (schema, defaults) = plan_create(c, state)?;
            let (soft, purge_after) = soft_delete::options(&c.options)?;
            if purge_after.is_some() && soft != Some(true) {
                return Err(Error::invalid("purge_after keeps deleted rows for a time: it needs soft_delete"));
            }
            let keep = journal::option(&c.options)?.flatten();
            if keep.is_some() && schema.primary_key.is_empty() {
                return Err(journal::no_key(&schema.name));
            }
            let schema = Arc::new(schema);
            let table = Plan::CreateTable { schema: schema.clone(), if_not_exists: c.if_not_exists, defaults };
            if c.if_not_exists && state.table(&c.name).is_some() {
                return Ok(table);
            }
            let table = match soft {
                Some(true) => soft_delete::with_trash(table, &schema, purge_after.flatten())?,
                _ => table,
            };
            match keep {
                Some(keep) => journal::with_journal(table, &schema, keep),
                None => table,
            }
        }
        Statement::DropTable { name, if_exists } => {
            if !if_exists {
                state.table_or_err(name)?;
            }
            if let Some(child) = referrer(state, name, false) {
                return Err(Error::invalid(format!(
                    "cannot drop table {name}: table {child} has a foreign key that references it"
                )));
            }
            let mut steps = vec![Plan::DropTable { name: name.clone(), if_exists: *if_exists }];
            // The table's companions go with it.
            if soft_delete::is_soft(state, name) {
                steps.push(Plan::DropTable { name: soft_delete::trash_name(name), if_exists: false });
            }
            if journal::is_journaled(state, name) {
                steps.push(Plan::DropTable { name: journal::journal_name(name), if_exists: false });
            }
            match steps.len() {
                1 => steps.remove(0),
                _ => Plan::Steps { steps, verb: None },
            }
        }
        Statement::CreateIndex { name, table, columns, unique, if_not_exists, predicate } => {
            let key = state.table_or_err(table)?.schema.name.to_ascii_lowercase();
            let schema = &state.table_or_err(table)?.schema;
            if let Some(owner) = state.index_owner(name) {
                if !if_not_exists {
                    return Err(Error::invalid(format!("index {name} already exists on table {owner}")));
                }
            }
            let index = plan_index(name, schema, columns, *unique, predicate.as_ref())?;
            Plan::CreateIndex { table: key, index, if_not_exists: *if_not_exists }
        }
        Statement::DropIndex { name, if_exists } => {
            let owner = state.index_owner(name);
            let secondary = owner
                .as_ref()
                .and_then(|t| state.table(t))
                .is_some_and(|t| t.schema.indexes.iter().any(|i| i.name.eq_ignore_ascii_case(name)));
            match owner {
                Some(_) if !secondary => {
                    return Err(Error::invalid(format!(
                        "index {name} belongs to a UNIQUE or PRIMARY KEY constraint and cannot be dropped"
                    )))
                }
                None if !if_exists => {
                    let names = state.tables().flat_map(|t| t.indexes.iter().map(|i| i.name.as_str()));
                    let hint = closest(name, names).map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
                    return Err(Error::invalid(format!("no such index: {name}{hint}")));
                }
                owner => Plan::DropIndex { table: owner.map(|t| t.to_ascii_lowercase()), name: name.clone() },
            }
        }
        Statement::Control(c) => Plan::Control(c.clone()),
        Statement::CheckDatabase => Plan::CheckDatabase,
        Statement::CreateProjection { name, if_not_exists, category, table, rules } => {
            projection::plan_create(name, *if_not_exists, category, table, rules, cx)?
        }
        Statement::RebuildProjection { name } => projection::plan_rebuild(name, cx)?,
        Statement::DropProjection { name, if_exists } => projection::plan_drop(name, *if_exists, state)?,
        Statement::Archive { table, filter, path } => archive::plan_archive(table, filter.as_ref(), path, cx)?,
        Statement::RestoreArchive { path, table } => archive::plan_restore(path, table, cx)?,
        Statement::CreateMatView { name, if_not_exists, options, query } => {
            matview::plan_create_matview(name, *if_not_exists, options, query, cx)?
        }
        Statement::RefreshMatView { name } => matview::plan_refresh(name, cx)?,
        Statement::DropMatView { name, if_exists } => matview::plan_drop(name, *if_exists, state)?,
        Statement::CreateView { name, columns, query, if_not_exists } => {
            if !if_not_exists {
                if state.view(name).is_some() {
                    return Err(Error::invalid(format!("view {name} already exists")));
                }
                if state.table(name).is_some() {
                    return Err(ErrorKind::TableExists(name.clone()).into());
                }
            }
            if query.calls("write_message") {
                return Err(Error::invalid("a view cannot write messages (write_message)"));
            }
            // Planned one level down, as a query that reads the view will plan it.
            let plan = cx.nested(|| plan_select(query, cx))?;
            if !columns.is_empty() && columns.len() != plan.columns.len() {
                return Err(Error::invalid(format!(
                    "view {name} has {} columns but its SELECT gives {}",
                    columns.len(),
                    plan.columns.len()
                )));
            }
            let view = crate::storage::ViewDef { name: name.clone(), columns: columns.clone(), sql: query.to_string() };
            Plan::CreateView { view: Arc::new(view), if_not_exists: *if_not_exists }
        }
        Statement::DropView { name, if_exists } => {
            if !if_exists && state.view(name).is_none() {
                return Err(Error::invalid(format!("no such view: {name}")));
            }
            Plan::DropView { name: name.clone(), if_exists: *if_exists }
        }
        Statement::CreateTrigger(t) => plan_create_trigger(t, cx)?,
        Statement::DropTrigger { name, if_exists } => {
            if !if_exists && state.trigger(name).is_none() {
                let hint = closest(name, state.triggers().map(|t| t.name.as_str()));
                let hint = hint.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
                return Err(Error::invalid(format!("no such trigger: {name}{hint}")));
            }
            Plan::DropTrigger { name: name.clone(), if_exists: *if_exists }
        }
        Statement::Reindex(name) => {
            if let Some(n) = name {
                if state.table(n).is_none() && state.index_owner(n).is_none() {
                    return Err(Error::invalid(format!("unable to identify the object to be reindexed: {n}")));
                }
            }
            Plan::Nothing
        }
        Statement::CreateNamespace { name, if_not_exists } => {
            if state.has_namespace(name) && !if_not_exists {
                return Err(Error::invalid(format!("namespace {name} already exists")));
            }
            Plan::CreateNamespace { name: name.to_ascii_lowercase(), if_not_exists: *if_not_exists }
        }
        Statement::DropNamespace { name, if_exists } => {
            if !state.has_namespace(name) && !if_exists {
                return Err(Error::invalid(format!("no such namespace: {name}")));
            }
            Plan::DropNamespace { name: name.to_ascii_lowercase(), if_exists: *if_exists }
        }
        Statement::AlterTable { action: AlterAction::SetOptions(options), table } => {
            let (kept, rest): (Vec<_>, Vec<_>) = options.iter().cloned().partition(|(n, _)| n == "history");
            let mut steps = Vec::new();
            if !rest.is_empty() {
                steps.push(soft_delete::plan_set_options(state, table, &rest)?);
            }
            if let Some(keep) = journal::option(&kept)? {
                steps.push(journal::plan_set(state, table, keep)?);
            }
            Plan::Steps { steps, verb: Some("altered") }
        }
        Statement::AlterTable { table, action }
            if soft_delete::is_soft(state, table) || journal::is_journaled(state, table) =>
        {
            // The table's companions follow the change.
            let first = super::alter::plan_alter(state, table, action, history)?;
            let mut steps = Vec::new();
            if soft_delete::is_soft(state, table) {
                steps.extend(soft_delete::follow_alter(state, table, action, history)?);
            }
            if journal::is_journaled(state, table) {
                steps.extend(journal::follow_alter(state, table, action, &first)?);
            }
            if let AlterAction::RenameTable(to) = action {
                steps.extend(super::alter::follow_rename(state, &state.table_or_err(table)?.schema.name, to)?);
            }
            steps.insert(0, first);
            Plan::Steps { steps, verb: None }
        }
        Statement::AlterTable { table, action: action @ AlterAction::RenameTable(to) } => {
            let first = super::alter::plan_alter(state, table, action, history)?;
            let key = state.table_or_err(table)?.schema.name.clone();
            let mut steps = super::alter::follow_rename(state, &key, to)?;
            if steps.is_empty() {
                return Ok(first);
            }
            steps.insert(0, first);
            Plan::Steps { steps, verb: None }
        }
        Statement::AlterTable { table, action } => super::alter::plan_alter(state, table, action, history)?,
    })
}

/// What planning reads: the current schemas and, for `AS OF`, past ones.
struct Cx<'a> {
    state: &'a State,
    history: &'a dyn History,
    /// How many queries (subqueries, views) the one being planned sits inside.
    depth: std::cell::Cell<usize>,
    /// The common table expressions in scope, innermost last.
    ctes: std::cell::RefCell<Vec<std::rc::Rc<cte::CteBinding>>>,
}

/// How deeply subqueries and views may nest in one statement (a view over a view over
/// … counts a level for each).
pub const MAX_QUERY_DEPTH: usize = 1000;

impl Cx<'_> {
    /// Plans a query nested in the current one: one level deeper, refused past
    /// [`MAX_QUERY_DEPTH`], and on more stack when little is left (planning a chain of
    /// views recurses once per view).
    fn nested<T>(&self, plan: impl FnOnce() -> Result<T>) -> Result<T> {
        let depth = self.depth.get();
        if depth >= MAX_QUERY_DEPTH {
            return Err(Error::invalid(format!(
                "subqueries and views nested too deeply (more than {MAX_QUERY_DEPTH} levels)"
            )));
        }
        self.depth.set(depth + 1);
        let planned = crate::storage::stack::grow(plan);
        self.depth.set(depth);
        planned
    }
}

pub(in crate::sql) fn table_scope(state: &State, name: &str, alias: Option<&String>) -> Result<(Scope, String)> {
    let table = state.table_or_err(name)?;
    let schema = &table.schema;
    let scope = Scope {
        tables: vec![ScopeTable {
            name: schema.name.clone(),
            alias: alias.cloned(),
            columns: schema.columns.iter().map(|c| c.name.clone()).collect(),
            offset: 0,
            hidden: Vec::new(),
            rowid: schema.integer_key(),
            types: schema.columns.iter().map(|c| c.ty).collect(),
            collations: schema.columns.iter().map(|c| c.collation).collect(),
        }],
        expiry: None,
    };
    Ok((scope, schema.name.to_ascii_lowercase()))
}
