//! AST to [`Plan`]: resolves tables and columns against the state's schemas, expands
//! `*`, binds every clause, and turns CREATE TABLE into a checked schema.

use std::sync::Arc;

use super::access;
use super::ast::*;
use super::binder::{has_aggregate, ordinal, Binder, Nesting, OuterScope, Scope, ScopeTable, SubqueryPlanner};
use super::join;
use super::plan::*;
use crate::error::{closest, Error, ErrorKind, Result};
use crate::storage::rows::Mask;
use crate::storage::schema::{CheckConstraint, ForeignKey, IndexDef, UniqueConstraint};
use crate::storage::{Column, ColumnDefault, DataType, History, State, TableSchema};

/// Plans one statement against the schemas of `state`; `history` provides the schemas of
/// past versions for `AS OF`.
pub fn plan(stmt: &Statement, state: &State, history: &dyn History) -> Result<Plan> {
    let cx = Cx { state, history };
    Ok(match stmt {
        Statement::Select(s) if s.calls("write_message") => Plan::WritingSelect(plan_select(s, &cx)?),
        Statement::Select(s) => Plan::Select(plan_select(s, &cx)?),
        Statement::Explain(s) => Plan::Explain(plan_select(s, &cx)?),
        Statement::ExplainWrite(s) => Plan::ExplainWrite(Box::new(plan(s, state, history)?)),
        Statement::Insert(i) if state.view(&i.table).is_some() => plan_view_write(stmt, &i.table, &cx)?,
        Statement::Update(u) if state.view(&u.table).is_some() => plan_view_write(stmt, &u.table, &cx)?,
        Statement::Delete(d) if state.view(&d.table).is_some() => plan_view_write(stmt, &d.table, &cx)?,
        Statement::Insert(i) => Plan::Insert(plan_insert(i, &cx)?),
        Statement::Update(u) => Plan::Update(plan_update(u, &cx)?),
        Statement::Delete(d) => Plan::Delete(plan_delete(d, &cx)?),
        Statement::CreateTable(c) => {
            let (schema, defaults) = plan_create(c, state)?;
            Plan::CreateTable { schema: Arc::new(schema), if_not_exists: c.if_not_exists, defaults }
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
            Plan::DropTable { name: name.clone(), if_exists: *if_exists }
        }
        Statement::CreateIndex { name, table, columns, unique, if_not_exists } => {
            let (scope, key) = table_scope(state, table, None)?;
            let cols = columns.iter().map(|(c, _)| scope.resolve(None, c)).collect::<Result<Vec<_>>>()?;
            if let Some(owner) = state.index_owner(name) {
                if !if_not_exists {
                    return Err(Error::invalid(format!("index {name} already exists on table {owner}")));
                }
            }
            let index = IndexDef {
                name: name.clone(),
                columns: cols,
                desc: columns.iter().map(|c| c.1).collect(),
                unique: *unique,
            };
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
        Statement::Begin { serializable } => Plan::Begin { serializable: *serializable },
        Statement::Commit => Plan::Commit,
        Statement::Rollback => Plan::Rollback,
        Statement::Savepoint(n) => Plan::Savepoint(n.clone()),
        Statement::RollbackTo(n) => Plan::RollbackTo(n.clone()),
        Statement::Release(n) => Plan::Release(n.clone()),
        Statement::CreateSnapshot(n) => Plan::CreateSnapshot(n.clone()),
        Statement::DropSnapshot { name, if_exists } => Plan::DropSnapshot { name: name.clone(), if_exists: *if_exists },
        Statement::RestoreSnapshot(n) => Plan::RestoreSnapshot(n.clone()),
        Statement::Diff(a, b) => Plan::Diff(a.clone(), b.clone()),
        Statement::CheckDatabase => Plan::CheckDatabase,
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
            let plan = plan_select(query, &cx)?;
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
        Statement::CreateTrigger(t) => plan_create_trigger(t, &cx)?,
        Statement::DropTrigger { name, if_exists } => {
            if !if_exists && state.trigger(name).is_none() {
                let hint = closest(name, state.triggers().map(|t| t.name.as_str()));
                let hint = hint.map(|s| format!(" (did you mean {s}?)")).unwrap_or_default();
                return Err(Error::invalid(format!("no such trigger: {name}{hint}")));
            }
            Plan::DropTrigger { name: name.clone(), if_exists: *if_exists }
        }
        Statement::Checkpoint => Plan::Checkpoint,
        Statement::Reindex(name) => {
            if let Some(n) = name {
                if state.table(n).is_none() && state.index_owner(n).is_none() {
                    return Err(Error::invalid(format!("unable to identify the object to be reindexed: {n}")));
                }
            }
            Plan::Nothing
        }
        Statement::Backup(dir) => Plan::Backup(dir.clone()),
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
        Statement::Use(name) => Plan::Use(name.clone()),
        Statement::AlterTable { table, action } => super::alter::plan_alter(state, table, action)?,
    })
}

/// Turns a trigger's `NEW.c` and `OLD.c` into parameters: the new row's columns are
/// the first `width`, the old row's the next `width`. A row the event lacks (`NEW` of a
/// DELETE, `OLD` of an INSERT) or a column the table lacks is an error.
pub fn bind_trigger_rows(t: &mut CreateTrigger, columns: &[String]) -> Result<()> {
    let (has_new, has_old) = match t.event {
        TriggerEvent::Insert => (true, false),
        TriggerEvent::Delete => (false, true),
        TriggerEvent::Update(_) => (true, true),
    };
    let width = columns.len();
    let mut bad: Option<Error> = None;
    let mut bind = |e: &mut Expr| {
        let Expr::Column { table: Some(q), name } = e else { return };
        let (is_new, is_old) = (q.eq_ignore_ascii_case("new"), q.eq_ignore_ascii_case("old"));
        if !is_new && !is_old {
            return;
        }
        match columns.iter().position(|c| c.eq_ignore_ascii_case(name)) {
            Some(i) if (is_new && has_new) || (is_old && has_old) => {
                *e = Expr::Param(if is_new { i + 1 } else { width + i + 1 })
            }
            _ => {
                bad.get_or_insert(ErrorKind::NoSuchColumn { name: format!("{q}.{name}"), suggestion: None }.into());
            }
        }
    };
    if let Some(w) = &mut t.when {
        w.walk_mut(&mut bind);
    }
    for step in &mut t.body {
        step.walk_exprs_mut(&mut bind);
    }
    bad.map_or(Ok(()), Err)
}

/// Checks a trigger against the catalog and keeps its text. Its body is planned where
/// it fires, so that it may name tables created after it, as in SQLite.
fn plan_create_trigger(t: &CreateTrigger, cx: &Cx) -> Result<Plan> {
    let state = cx.state;
    if state.trigger(&t.name).is_some() && !t.if_not_exists {
        return Err(Error::invalid(format!("trigger {} already exists", t.name)));
    }
    let on_view = state.view(&t.table).is_some();
    match (t.timing, on_view) {
        (TriggerTiming::InsteadOf, false) => {
            return Err(Error::invalid(format!("cannot create INSTEAD OF trigger on table {}", t.table)))
        }
        (TriggerTiming::Before | TriggerTiming::After, true) => {
            return Err(Error::invalid(format!("cannot create {} trigger on view {}", t.timing.sql(), t.table)))
        }
        _ => {}
    }
    let columns: Vec<String> = if on_view {
        view_columns(&t.table, cx)?
    } else {
        state.table_or_err(&t.table)?.schema.columns.iter().map(|c| c.name.clone()).collect()
    };
    if let TriggerEvent::Update(names) = &t.event {
        for c in names {
            view_column(&columns, c, &t.table)?;
        }
    }
    bind_trigger_rows(&mut t.clone(), &columns)?;
    let stored = CreateTrigger { if_not_exists: false, table: t.table.to_ascii_lowercase(), ..t.clone() };
    let trigger = crate::storage::TriggerDef {
        name: t.name.clone(),
        table: stored.table.clone(),
        timing: t.timing,
        event: t.event.clone(),
        sql: stored.to_string(),
    };
    Ok(Plan::CreateTrigger { trigger: Arc::new(trigger), if_not_exists: t.if_not_exists })
}

/// What planning reads: the current schemas and, for `AS OF`, past ones.
struct Cx<'a> {
    state: &'a State,
    history: &'a dyn History,
}

pub(super) fn table_scope(state: &State, name: &str, alias: Option<&String>) -> Result<(Scope, String)> {
    let table = state.table_or_err(name)?;
    let schema = &table.schema;
    let scope = Scope {
        tables: vec![ScopeTable {
            name: schema.name.clone(),
            alias: alias.cloned(),
            columns: schema.columns.iter().map(|c| c.name.clone()).collect(),
            offset: 0,
            hidden: Vec::new(),
        }],
        expiry: None,
    };
    Ok((scope, schema.name.to_ascii_lowercase()))
}

/// The projection after expanding `*` and `t.*`: (expression, output name, alias).
fn expand_columns(items: &[SelectItem], scope: &Scope) -> Result<Vec<(Expr, String, Option<String>)>> {
    let mut out = Vec::new();
    let column = |t: &ScopeTable, c: &String| Expr::Column { table: Some(t.label().to_string()), name: c.clone() };
    for item in items {
        match item {
            SelectItem::Wildcard => {
                if scope.tables.is_empty() {
                    return Err(Error::invalid("SELECT * needs a FROM clause"));
                }
                for t in &scope.tables {
                    let shown = t.columns.iter().filter(|c| !t.hidden.iter().any(|h| h.eq_ignore_ascii_case(c)));
                    out.extend(shown.map(|c| (column(t, c), c.clone(), None)));
                }
            }
            SelectItem::TableWildcard(q) => {
                let t = scope.find_table(q).ok_or_else(|| ErrorKind::NoSuchTable {
                    name: q.clone(),
                    suggestion: closest(q, scope.tables.iter().map(|t| t.label())),
                })?;
                out.extend(t.columns.iter().map(|c| (column(t, c), c.clone(), None)));
            }
            SelectItem::Expr { expr, alias, text } => {
                let name = match (alias, expr) {
                    (Some(a), _) => a.clone(),
                    (None, Expr::Column { name, .. }) => name.clone(),
                    (None, _) => text.clone(),
                };
                out.push((expr.clone(), name, alias.clone()));
            }
        }
    }
    Ok(out)
}

/// Resolves a GROUP BY or ORDER BY term that is an ordinal or an output alias to the
/// position of an output column.
fn output_ref(e: &Expr, cols: &[(Expr, String, Option<String>)], clause: &str) -> Result<Option<usize>> {
    if let Some(k) = ordinal(e) {
        if k < 1 || k as usize > cols.len() {
            return Err(Error::invalid(format!("{clause} term out of range: should be between 1 and {}", cols.len())));
        }
        return Ok(Some(k as usize - 1));
    }
    if let Expr::Column { table: None, name } = e {
        let by_alias = cols.iter().position(|(_, _, a)| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(name)));
        return Ok(by_alias);
    }
    Ok(None)
}

/// A compound SELECT: each part planned on its own, then ORDER BY over output columns
/// and LIMIT for the whole.
fn plan_compound(s: &Select, cx: &Cx, outer: &[OuterScope]) -> Result<SelectPlan> {
    let core =
        |sel: &Select| Select { compound: Vec::new(), order_by: Vec::new(), limit: None, offset: None, ..sel.clone() };
    let mut first = plan_select_in(&core(s), cx, outer)?;
    let mut arms = Vec::with_capacity(s.compound.len());
    for (op, arm) in &s.compound {
        let plan = plan_select_in(&core(arm), cx, outer)?;
        if plan.columns.len() != first.columns.len() {
            return Err(Error::invalid(format!(
                "SELECTs to the left and right of {op} do not have the same number of result columns"
            )));
        }
        arms.push((*op, plan));
    }
    let names = first.columns.clone();
    let mut order_by = Vec::new();
    for (n, o) in s.order_by.iter().enumerate() {
        let by_name = |name: &str| names.iter().position(|c| c.eq_ignore_ascii_case(name));
        let i = match (ordinal(&o.expr), &o.expr) {
            (Some(k), _) if k >= 1 && (k as usize) <= names.len() => Some(k as usize - 1),
            (Some(_), _) => None,
            (None, Expr::Column { name, .. }) => by_name(name),
            (None, e) => by_name(&e.to_string()),
        };
        let i = i.ok_or_else(|| {
            Error::invalid(format!("ORDER BY term {} does not match any column in the result set", n + 1))
        })?;
        order_by.push(SortKey {
            expr: SortExpr::Output(i),
            desc: o.desc,
            nulls_first: o.nulls_first.unwrap_or(!o.desc),
        });
    }
    let empty = Scope::default();
    let mut constant = Binder::new(&empty, "not allowed in LIMIT");
    first.limit = s.limit.as_ref().map(|l| constant.bind(l)).transpose()?;
    first.offset = s.offset.as_ref().map(|l| constant.bind(l)).transpose()?;
    first.order_by = order_by;
    first.ordered = false;
    first.compound = arms;
    Ok(first)
}

fn plan_select(s: &Select, cx: &Cx) -> Result<SelectPlan> {
    plan_select_in(s, cx, &[])
}

impl SubqueryPlanner for Cx<'_> {
    fn plan_subquery(&self, query: &Select, outer: &[OuterScope]) -> Result<SelectPlan> {
        plan_select_in(query, self, outer)
    }
}

/// Plans a SELECT nested in the given queries (none for a statement's own SELECT).
fn plan_select_in(s: &Select, cx: &Cx, outer: &[OuterScope]) -> Result<SelectPlan> {
    if !s.compound.is_empty() {
        return plan_compound(s, cx, outer);
    }
    let nest = Some(Nesting { planner: cx, outer });
    let items = join::from_items(s, cx.state, cx.history, &|q: &Select| plan_select_in(q, cx, &[]))?;
    let mut scope = join::scope_of(&items);
    let table = match items.as_slice() {
        [only] if only.derived.is_none() && only.function.is_none() => Some(&only.table),
        _ => None,
    };
    // `ttl_remaining()` reads an extra column the scan adds: when each row expires.
    let expiry = table.is_some() && s.calls("ttl_remaining");
    if let (true, Some(t)) = (expiry, table) {
        scope.expiry = Some(t.schema.columns.len());
    }
    let cols = expand_columns(&s.columns, &scope)?;
    let filter =
        s.filter.as_ref().map(|w| Binder::new(&scope, "not allowed in WHERE").nested(nest).bind(w)).transpose()?;

    let is_aggregate = !s.group_by.is_empty()
        || cols.iter().any(|(e, ..)| has_aggregate(e))
        || s.having.as_ref().is_some_and(has_aggregate)
        || s.order_by.iter().any(|o| has_aggregate(&o.expr));
    if s.having.is_some() && !is_aggregate {
        return Err(Error::invalid("HAVING needs GROUP BY or an aggregate"));
    }

    let mut calls = Vec::new();
    let mut group_by = Vec::new();
    for g in &s.group_by {
        let term = match output_ref(g, &cols, "GROUP BY")? {
            Some(i) => &cols[i].0,
            None => g,
        };
        group_by.push(Binder::new(&scope, "not allowed in GROUP BY").nested(nest).bind(term)?);
    }

    let mut binder = if is_aggregate {
        Binder::with_aggregates(&scope, &mut calls, "not allowed here").nested(nest)
    } else {
        Binder::new(&scope, "not allowed here").nested(nest)
    };
    let projection = cols.iter().map(|(e, ..)| binder.bind(e)).collect::<Result<Vec<_>>>()?;
    let having = s.having.as_ref().map(|h| binder.bind(h)).transpose()?;
    let mut order_by = Vec::new();
    for o in &s.order_by {
        let expr = match output_ref(&o.expr, &cols, "ORDER BY")? {
            Some(i) => SortExpr::Output(i),
            None => SortExpr::Expr(binder.bind(&o.expr)?),
        };
        let nulls_first = o.nulls_first.unwrap_or(!o.desc);
        order_by.push(SortKey { expr, desc: o.desc, nulls_first });
    }
    let empty = Scope::default();
    let mut constant = Binder::new(&empty, "not allowed in LIMIT");
    let limit = s.limit.as_ref().map(|l| constant.bind(l)).transpose()?;
    let offset = s.offset.as_ref().map(|l| constant.bind(l)).transpose()?;

    let mut ordered = false;
    let mut covering = false;
    let mut filter = filter;
    let source = match (items.first(), table) {
        (Some(t), Some(table)) => {
            let mut access = access::choose(table, filter.as_ref());
            // ORDER BY … LIMIT k over a key or index order reads k rows instead of sorting.
            if matches!(access, Access::Full { .. }) && limit.is_some() && !is_aggregate && !s.distinct {
                if let Some((columns, desc)) = order_columns(&order_by, &projection) {
                    if let Some(path) = access::ordered(table, &columns, desc) {
                        access = path;
                        ordered = true;
                    }
                }
            }
            Source::Scan {
                table: table.schema.name.to_ascii_lowercase(),
                as_of: t.tref.as_of.clone(),
                access,
                filter: None,
                expiry,
                reads: None,
            }
        }
        (Some(_), None) => {
            let (source, rest) = join::join_source(&items, &scope, filter.take(), nest)?;
            filter = rest;
            source
        }
        _ => Source::Single,
    };
    // An index holding every column the statement reads serves rows by itself (a
    // covering scan), and stored rows are decoded only as far as the statement reads
    // them. A subquery may read any column through its outer references: then neither.
    let mut source = source;
    let exprs = || {
        let sorts = order_by.iter().filter_map(|k| match &k.expr {
            SortExpr::Expr(e) => Some(e),
            SortExpr::Output(_) => None,
        });
        let aggs = calls.iter().flat_map(|c| c.arg.iter().chain(c.separator.iter()));
        filter.iter().chain(&projection).chain(having.iter()).chain(sorts).chain(&group_by).chain(aggs)
    };
    if !exprs().any(BExpr::has_subquery) {
        let mut used = Vec::new();
        exprs().for_each(|e| used.extend(e.columns()));
        if let (Source::Scan { access, .. }, Some(table)) = (&source, table) {
            covering = !expiry && access::covers(table, access, &used);
        }
        let mut needed = vec![false; scope.width()];
        used.iter().for_each(|&c| needed.get_mut(c).into_iter().for_each(|n| *n = true));
        source.restrict_reads(&needed);
    }

    Ok(SelectPlan {
        source,
        input_columns: scope.tables.iter().flat_map(|t| t.columns.iter().cloned()).collect(),
        ordered,
        covering,
        filter_reads: filter.as_ref().map_or(Some(Mask::EMPTY), BExpr::reads),
        filter,
        aggregate: is_aggregate.then_some(Aggregate { group_by, calls }),
        having,
        projection,
        columns: cols.into_iter().map(|(_, name, _)| name).collect::<Vec<_>>().into(),
        distinct: s.distinct,
        order_by,
        limit,
        offset,
        compound: Vec::new(),
    })
}

/// The plain columns an ORDER BY sorts by, when every key is a column in the same
/// direction with NULLs where the index order puts them.
fn order_columns(keys: &[SortKey], projection: &[BExpr]) -> Option<(Vec<usize>, bool)> {
    let desc = keys.first()?.desc;
    let mut columns = Vec::new();
    for k in keys {
        let expr = match &k.expr {
            SortExpr::Output(i) => &projection[*i],
            SortExpr::Expr(e) => e,
        };
        match expr {
            BExpr::Column(c) if k.desc == desc && k.nulls_first != desc => columns.push(*c),
            _ => return None,
        }
    }
    Some((columns, desc))
}

fn plan_checks(schema: &TableSchema, scope: &Scope) -> Result<Vec<CheckPlan>> {
    schema
        .checks
        .iter()
        .map(|c| {
            let expr = super::parser::parse_expr(&c.sql)?;
            let expr = Binder::new(scope, "not allowed in CHECK").bind(&expr)?;
            Ok(CheckPlan { name: c.name.clone(), sql: c.sql.clone(), expr })
        })
        .collect()
}

/// The rows an INSERT's source gives, each `width` values; `None` for DEFAULT VALUES.
fn insert_source(
    source: &InsertSource,
    width: usize,
    width_error: &dyn Fn(usize) -> Error,
    cx: &Cx,
) -> Result<Option<InsertSourcePlan>> {
    Ok(Some(match source {
        InsertSource::Values(rows) => {
            let empty = Scope::default();
            let nest = Some(Nesting { planner: cx, outer: &[] });
            let mut binder = Binder::new(&empty, "not allowed in VALUES").nested(nest);
            let mut bound = Vec::with_capacity(rows.len());
            for (n, row) in rows.iter().enumerate() {
                if row.len() != width {
                    let e = width_error(row.len());
                    return Err(if rows.len() > 1 { e.in_row(n + 1) } else { e });
                }
                bound.push(row.iter().map(|e| binder.bind(e)).collect::<Result<Vec<_>>>()?);
            }
            InsertSourcePlan::Values(bound)
        }
        InsertSource::Select(s) => {
            let plan = plan_select(s, cx)?;
            if plan.columns.len() != width {
                return Err(width_error(plan.columns.len()));
            }
            InsertSourcePlan::Select(Box::new(plan))
        }
        InsertSource::DefaultValues => return Ok(None),
    }))
}

/// A write to a view: its INSTEAD OF triggers do the work, once for each row it names.
fn plan_view_write(stmt: &Statement, view: &str, cx: &Cx) -> Result<Plan> {
    let columns = view_columns(view, cx)?;
    let (event, kind) = match stmt {
        Statement::Insert(i) => {
            if i.replace || i.ttl.is_some() {
                return Err(Error::invalid(format!("cannot use OR REPLACE or WITH TTL to insert into view {view}")));
            }
            let mut mapping = vec![None; columns.len()];
            let width = match &i.columns {
                Some(names) => {
                    for (pos, name) in names.iter().enumerate() {
                        let col = view_column(&columns, name, view)?;
                        if mapping[col].replace(pos).is_some() {
                            return Err(Error::invalid(format!("column {name} is named twice in INSERT")));
                        }
                    }
                    names.len()
                }
                None => {
                    mapping.iter_mut().enumerate().for_each(|(c, m)| *m = Some(c));
                    columns.len()
                }
            };
            let width_error = |got: usize| Error::invalid(format!("{got} values for {width} columns of view {view}"));
            let source = match insert_source(&i.source, width, &width_error, cx)? {
                Some(source) => source,
                None => {
                    mapping.iter_mut().for_each(|m| *m = None);
                    InsertSourcePlan::Values(vec![vec![]])
                }
            };
            ("INSERT", ViewWrite::Insert { mapping, source })
        }
        Statement::Update(u) => {
            if u.ttl.is_some() {
                return Err(Error::invalid(format!("cannot use WITH TTL to update view {view}")));
            }
            // The view's rows that match, each followed by its new values.
            let mut items = vec![SelectItem::Wildcard];
            let mut set = Vec::with_capacity(u.assignments.len());
            for (name, e) in &u.assignments {
                set.push(view_column(&columns, name, view)?);
                items.push(SelectItem::Expr { expr: e.clone(), alias: None, text: String::new() });
            }
            let query =
                Select { columns: items, from: vec![from_view(view)], filter: u.filter.clone(), ..Select::default() };
            ("UPDATE", ViewWrite::Update { rows: plan_select(&query, cx)?, set })
        }
        Statement::Delete(d) => {
            let query = Select {
                columns: vec![SelectItem::Wildcard],
                from: vec![from_view(view)],
                filter: d.filter.clone(),
                ..Select::default()
            };
            ("DELETE", ViewWrite::Delete { rows: plan_select(&query, cx)? })
        }
        _ => return Err(Error::invalid(format!("cannot write to view {view}"))),
    };
    let key = view.to_ascii_lowercase();
    let set: &[usize] = match &kind {
        ViewWrite::Update { set, .. } => set,
        _ => &[],
    };
    let fires =
        cx.state.triggers().filter(|t| t.table == key && t.timing == TriggerTiming::InsteadOf).any(|t| {
            match &t.event {
                TriggerEvent::Insert => event == "INSERT",
                TriggerEvent::Delete => event == "DELETE",
                TriggerEvent::Update(cols) => {
                    event == "UPDATE"
                        && (cols.is_empty()
                            || cols.iter().any(|c| view_column(&columns, c, view).is_ok_and(|i| set.contains(&i))))
                }
            }
        });
    if !fires {
        return Err(Error::invalid(format!(
            "cannot modify {view} because it is a view (it has no INSTEAD OF {event} trigger)"
        )));
    }
    Ok(Plan::ViewWrite(Box::new(ViewWritePlan { view: key, columns, kind })))
}

/// The names of a view's columns, as `SELECT *` from it gives them.
fn view_columns(view: &str, cx: &Cx) -> Result<Vec<String>> {
    let all = Select { columns: vec![SelectItem::Wildcard], from: vec![from_view(view)], ..Select::default() };
    Ok(plan_select(&all, cx)?.columns.to_vec())
}

fn from_view(view: &str) -> FromTerm {
    FromTerm { table: TableRef { name: view.to_string(), ..TableRef::default() }, joins: Vec::new() }
}

fn view_column(columns: &[String], name: &str, view: &str) -> Result<usize> {
    columns.iter().position(|c| c.eq_ignore_ascii_case(name)).ok_or_else(|| {
        ErrorKind::NoSuchColumn {
            name: format!("{view}.{name}"),
            suggestion: closest(name, columns.iter().map(String::as_str)),
        }
        .into()
    })
}

fn plan_insert(i: &Insert, cx: &Cx) -> Result<InsertPlan> {
    let state = cx.state;
    let (scope, key) = table_scope(state, &i.table, None)?;
    let schema = &state.table_or_err(&i.table)?.schema;
    let ncols = schema.columns.len();
    let mut mapping = vec![None; ncols];
    let width = match &i.columns {
        Some(names) => {
            for (pos, name) in names.iter().enumerate() {
                let col = scope.resolve(None, name)?;
                if mapping[col].is_some() {
                    return Err(Error::invalid(format!("column {name} is named twice in INSERT")));
                }
                mapping[col] = Some(pos);
            }
            names.len()
        }
        None => {
            mapping.iter_mut().enumerate().for_each(|(c, m)| *m = Some(c));
            ncols
        }
    };
    let width_error = |got: usize| {
        if i.columns.is_some() {
            Error::invalid(format!("{got} values for {width} columns"))
        } else {
            Error::invalid(format!("table {} has {width} columns but {got} values were supplied", schema.name))
        }
    };
    let source = match insert_source(&i.source, width, &width_error, cx)? {
        Some(source) => source,
        None => {
            mapping.iter_mut().for_each(|m| *m = None);
            InsertSourcePlan::Values(vec![vec![]])
        }
    };
    let checks = plan_checks(schema, &scope)?;
    let ttl = plan_ttl(&i.ttl, &key, state)?;
    Ok(InsertPlan { table: key.into(), schema: schema.clone(), replace: i.replace, mapping, source, checks, ttl })
}

fn plan_update(u: &Update, cx: &Cx) -> Result<UpdatePlan> {
    let state = cx.state;
    let (scope, key) = table_scope(state, &u.table, None)?;
    let schema = &state.table_or_err(&u.table)?.schema;
    let mut binder = Binder::new(&scope, "not allowed in UPDATE").nested(Some(Nesting { planner: cx, outer: &[] }));
    let mut assignments = Vec::new();
    for (name, e) in &u.assignments {
        let col = scope.resolve(None, name)?;
        assignments.push((col, binder.bind(e)?));
    }
    let filter = u.filter.as_ref().map(|w| binder.bind(w)).transpose()?;
    let checks = plan_checks(schema, &scope)?;
    let access = access::choose(state.table_or_err(&u.table)?, filter.as_ref());
    let ttl = plan_ttl(&u.ttl, &key, state)?;
    Ok(UpdatePlan { table: key.into(), access, assignments, filter, checks, ttl })
}

/// A duration given as an interval text or a number of seconds.
fn duration(v: &crate::storage::Value, what: &str) -> Result<i64> {
    let micros = match v {
        crate::storage::Value::Text(t) => crate::storage::time::parse_interval(t),
        crate::storage::Value::Integer(i) if *i >= 0 => i.checked_mul(1_000_000),
        crate::storage::Value::Real(r) if *r >= 0.0 && *r < 9.2e12 => Some((r * 1e6).round() as i64),
        _ => None,
    };
    micros.ok_or_else(|| {
        let shown = crate::storage::schema::literal_sql(v);
        Error::invalid(format!("{what}: {shown} is not a duration (try '30 seconds', '10 minutes' or '1 hour')"))
    })
}

/// A table (if any) whose foreign key refers to `table`; with `itself`, the table's own
/// foreign keys count too.
fn referrer(state: &State, table: &str, itself: bool) -> Option<String> {
    state
        .tables()
        .filter(|t| itself || !t.name().eq_ignore_ascii_case(table))
        .find(|t| t.schema.foreign_keys.iter().any(|fk| fk.parent.eq_ignore_ascii_case(table)))
        .map(|t| t.name().to_string())
}

/// `WITH TTL …` of an INSERT or UPDATE.
fn plan_ttl(spec: &Option<Option<String>>, table: &str, state: &State) -> Result<Option<Option<i64>>> {
    let Some(spec) = spec else { return Ok(None) };
    let Some(text) = spec else { return Ok(Some(None)) };
    let micros = duration(&crate::storage::Value::text(text), "WITH TTL")?;
    // Rows that expire are removed without foreign key actions, so a referenced table
    // (even by itself) cannot have them.
    if let Some(child) = referrer(state, table, true) {
        return Err(Error::invalid(format!(
            "rows of {table} cannot expire: table {child} has a foreign key that references it"
        )));
    }
    Ok(Some(Some(micros)))
}

fn plan_delete(d: &Delete, cx: &Cx) -> Result<DeletePlan> {
    let state = cx.state;
    let (scope, key) = table_scope(state, &d.table, None)?;
    let nest = Some(Nesting { planner: cx, outer: &[] });
    let filter =
        d.filter.as_ref().map(|w| Binder::new(&scope, "not allowed in WHERE").nested(nest).bind(w)).transpose()?;
    let access = access::choose(state.table_or_err(&d.table)?, filter.as_ref());
    Ok(DeletePlan { table: key.into(), access, filter })
}

/// A column DEFAULT: `now()` is a marker kept in the schema; anything else is bound
/// and left to the executor to evaluate once, at CREATE time.
fn default_of(e: &Expr, column: usize, col: &str) -> Result<Default> {
    if let Expr::Function { name, args, .. } = e {
        let lower = name.to_ascii_lowercase();
        if args.is_empty() && (lower == "now" || lower == "current_timestamp") {
            return Ok(Default::Marker(ColumnDefault::Now));
        }
    }
    let empty = Scope::default();
    let expr = Binder::new(&empty, "not allowed in DEFAULT").bind(e)?;
    if !super::binder::is_constant(&expr) {
        return Err(Error::invalid(format!("default value of column {col} is not constant")));
    }
    Ok(Default::Expr(DefaultPlan { column, expr }))
}

enum Default {
    Marker(ColumnDefault),
    Expr(DefaultPlan),
}

/// A table's schema, and the DEFAULT expressions the executor fills into it.
pub(super) fn plan_create(c: &CreateTable, state: &State) -> Result<(TableSchema, Vec<DefaultPlan>)> {
    let mut defaults = Vec::new();
    let mut schema =
        TableSchema { name: c.name.clone(), columns: Vec::new(), primary_key: Vec::new(), ..TableSchema::default() };
    let mut pk_declared = false;
    let mut foreign: Vec<ForeignKeyDef> = Vec::new();
    let mut set_pk = |schema: &mut TableSchema, cols: Vec<usize>| -> Result<()> {
        if pk_declared {
            return Err(Error::invalid(format!("table {} has more than one primary key", c.name)));
        }
        pk_declared = true;
        schema.primary_key = cols;
        Ok(())
    };
    for def in &c.columns {
        if schema.column_index(&def.name).is_some() {
            return Err(Error::invalid(format!("duplicate column name: {}", def.name)));
        }
        let ty = DataType::from_declared(&def.type_name)
            .ok_or_else(|| ErrorKind::UnknownType { column: def.name.clone(), ty: def.type_name.clone() })?;
        schema.columns.push(Column { name: def.name.clone(), ty, not_null: false, default: None });
    }
    let names: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    let scope = Scope {
        tables: vec![ScopeTable { name: c.name.clone(), alias: None, columns: names, offset: 0, hidden: Vec::new() }],
        expiry: None,
    };
    let resolve = |list: &[String]| list.iter().map(|n| scope.resolve(None, n)).collect::<Result<Vec<_>>>();
    let check = |schema: &mut TableSchema, e: &Expr| -> Result<()> {
        Binder::new(&scope, "not allowed in CHECK").bind(e)?;
        let name = format!("{}_check{}", c.name, schema.checks.len() + 1);
        schema.checks.push(CheckConstraint { name, sql: strip_outer_parens(&e.to_string()) });
        Ok(())
    };
    for (i, def) in c.columns.iter().enumerate() {
        for cons in &def.constraints {
            match cons {
                ColumnConstraint::PrimaryKey => set_pk(&mut schema, vec![i])?,
                ColumnConstraint::NotNull => schema.columns[i].not_null = true,
                ColumnConstraint::Null => {}
                ColumnConstraint::Unique => schema
                    .uniques
                    .push(UniqueConstraint { name: format!("{}_{}_unique", c.name, def.name), columns: vec![i] }),
                ColumnConstraint::Default(e) => match default_of(e, i, &def.name)? {
                    Default::Marker(marker) => schema.columns[i].default = Some(marker),
                    Default::Expr(pending) => defaults.push(pending),
                },
                ColumnConstraint::Check(e) => check(&mut schema, e)?,
                ColumnConstraint::References(fk) => {
                    let fk = ForeignKeyDef { columns: vec![def.name.clone()], ..fk.clone() };
                    foreign.push(fk);
                }
            }
        }
    }
    for cons in &c.constraints {
        match cons {
            TableConstraint::PrimaryKey(list) => {
                let cols = resolve(list)?;
                set_pk(&mut schema, cols)?;
            }
            TableConstraint::Unique(list) => {
                let columns = resolve(list)?;
                let name = format!("{}_{}_unique", c.name, list.join("_"));
                schema.uniques.push(UniqueConstraint { name, columns });
            }
            TableConstraint::Check(e) => check(&mut schema, e)?,
            TableConstraint::ForeignKey(fk) => foreign.push(fk.clone()),
        }
    }
    // Primary key columns never hold NULL (an INTEGER key inserted as NULL is assigned).
    for &k in &schema.primary_key.clone() {
        schema.columns[k].not_null = true;
    }
    for fk in &foreign {
        let columns = resolve(&fk.columns)?;
        let resolved = foreign_key(&schema, columns, fk, state)?;
        let parent = state.table(&resolved.parent);
        if parent.is_some_and(|p| p.schema.ttl.is_some() || !p.expiry.is_empty()) {
            return Err(Error::invalid(format!(
                "table {} has rows that expire (TTL), so a foreign key cannot reference it",
                resolved.parent
            )));
        }
        schema.foreign_keys.push(resolved);
    }
    for (name, value) in &c.options {
        match name.as_str() {
            "ttl" => schema.ttl = Some(duration(value, "WITH (ttl = …)")?),
            other => return Err(Error::invalid(format!("unknown table option {other} (known: ttl)"))),
        }
    }
    if schema.ttl.is_some() && schema.foreign_keys.iter().any(|fk| fk.parent.eq_ignore_ascii_case(&c.name)) {
        return Err(Error::invalid(format!("table {} refers to itself, so its rows cannot expire (TTL)", c.name)));
    }
    Ok((schema, defaults))
}

/// Resolves a FOREIGN KEY against its parent (which may be the table being created).
fn foreign_key(schema: &TableSchema, columns: Vec<usize>, fk: &ForeignKeyDef, state: &State) -> Result<ForeignKey> {
    let parent =
        if fk.parent.eq_ignore_ascii_case(&schema.name) { schema } else { &state.table_or_err(&fk.parent)?.schema };
    let parent_columns = if fk.parent_columns.is_empty() {
        if parent.primary_key.is_empty() {
            return Err(Error::invalid(format!(
                "table {} has no primary key: name the columns the foreign key references",
                parent.name
            )));
        }
        parent.primary_key.clone()
    } else {
        fk.parent_columns
            .iter()
            .map(|n| {
                parent.column_index(n).ok_or_else(|| {
                    Error::from(ErrorKind::NoSuchColumn {
                        name: format!("{}.{n}", parent.name),
                        suggestion: closest(n, parent.columns.iter().map(|c| c.name.as_str())),
                    })
                })
            })
            .collect::<Result<Vec<_>>>()?
    };
    if parent_columns.len() != columns.len() {
        return Err(Error::invalid(format!(
            "foreign key has {} columns but references {} columns of {}",
            columns.len(),
            parent_columns.len(),
            parent.name
        )));
    }
    let keyed = parent.primary_key == parent_columns
        || parent.uniques.iter().any(|u| u.columns == parent_columns)
        || parent.indexes.iter().any(|i| i.unique && i.columns == parent_columns);
    if !keyed {
        return Err(Error::invalid(format!(
            "foreign key must reference the primary key or a unique key of {} ({} is neither)",
            parent.name,
            parent.column_names(&parent_columns)
        )));
    }
    let names: Vec<&str> = columns.iter().map(|&c| schema.columns[c].name.as_str()).collect();
    Ok(ForeignKey {
        name: format!("{}_{}_fkey", schema.name, names.join("_")),
        columns,
        parent: parent.name.clone(),
        parent_names: parent_columns.iter().map(|&c| parent.columns[c].name.clone()).collect(),
        parent_columns,
        on_delete: fk.on_delete,
        on_update: fk.on_update,
    })
}

/// `(a > 0)` to `a > 0`, when the first parenthesis closes at the very end.
pub(super) fn strip_outer_parens(sql: &str) -> String {
    let Some(inner) = sql.strip_prefix('(').and_then(|s| s.strip_suffix(')')) else {
        return sql.to_string();
    };
    let mut depth = 0i32;
    let mut in_quote = false;
    for c in inner.chars() {
        match c {
            '\'' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => {
                depth -= 1;
                if depth < 0 {
                    return sql.to_string();
                }
            }
            _ => {}
        }
    }
    inner.to_string()
}
