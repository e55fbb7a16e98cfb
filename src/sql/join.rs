//! Planning FROM lists with joins: the tables in FROM order, each joined to everything
//! before it (left-deep). WHERE and ON terms are split at AND and each is placed where it
//! can first be decided: on one table alone it filters that table's scan (and may pick
//! its index); on several it joins them, and an equality between the new table and the
//! earlier ones makes that join a hash join. A WHERE term on the right side of a LEFT
//! JOIN waits until the unmatched rows have been added.

use std::sync::Arc;

use super::access;
use super::ast::{Expr, JoinKind, Select, TableRef};
use super::binder::{Binder, Nesting, Scope, ScopeTable};
use super::catalog::{self, Listing};
use super::plan::{BExpr, CmpOp, CtePlan, JoinPlan, MessageRead, SelectPlan, Source, TableFn, MESSAGE_COLUMNS};
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{Column, DataType, History, State, Table, TableSchema, Value};

/// One table of a FROM list, with how it joins the ones before it.
#[derive(Clone)]
pub struct FromItem {
    /// The table; for a subquery or view, an empty stand-in with its column names.
    pub table: Table,
    /// The plan of a subquery in FROM, a view or a common table expression.
    pub derived: Option<Derived>,
    /// A message read in FROM, with its arguments (the namespace first).
    pub function: Option<(MessageRead, Vec<BExpr>)>,
    /// `json_each`, `json_tree` or `generate_series`, its arguments in `tref.function`
    /// (bound when the join is planned: they may read the tables before it).
    pub json: Option<TableFn>,
    pub tref: TableRef,
    pub kind: JoinKind,
    pub on: Option<Expr>,
    /// USING columns, NATURAL ones included.
    pub using: Vec<String>,
}

/// Rows that come from a query rather than a table.
#[derive(Clone)]
pub enum Derived {
    /// A subquery in FROM, a view, or a CTE read once: planned in place.
    Query(Arc<SelectPlan>),
    /// A CTE worked out once for the statement, or a recursive one.
    Cte(Arc<CtePlan>),
    /// The working rows of the recursive CTE being planned, by id.
    Working(usize),
}

/// A CTE a FROM item names: its column names and its rows.
pub type CteLookup<'a> = &'a dyn Fn(&TableRef) -> Option<Result<(Vec<String>, Derived)>>;

/// The tables of a SELECT's FROM list in order (none without FROM).
pub fn from_items(
    s: &Select,
    state: &State,
    history: &dyn History,
    plan_query: &dyn Fn(&Select) -> Result<SelectPlan>,
    cte: CteLookup,
) -> Result<Vec<FromItem>> {
    let mut items: Vec<FromItem> = Vec::new();
    // A subquery (or view) stands in as a table with its columns and no rows.
    let stand_in = |name: &str, names: Vec<String>| {
        let columns = names.into_iter().map(|name| Column::plain(name, DataType::Any)).collect();
        Table::stand_in(TableSchema { name: name.to_string(), columns, ..TableSchema::default() })
    };
    let derived = |name: &str, plan: SelectPlan, columns: &[String]| -> (Table, Option<Derived>) {
        let names: Vec<String> = if columns.is_empty() { plan.columns.to_vec() } else { columns.to_vec() };
        let mut table = stand_in(name, names);
        if plan.collations.iter().any(Option::is_some) {
            let mut schema = (*table.schema).clone();
            for (column, collation) in schema.columns.iter_mut().zip(&plan.collations) {
                column.collation = *collation;
            }
            table.schema = Arc::new(schema);
        }
        (table, Some(Derived::Query(Arc::new(plan))))
    };
    let load = |t: &TableRef| -> Result<(Table, Option<Derived>)> {
        if t.function.is_some() && t.name.eq_ignore_ascii_case(FUNCTIONS) {
            if t.function.as_ref().is_some_and(|a| !a.is_empty()) {
                return Err(ErrorKind::Arity { name: FUNCTIONS.to_string(), expected: "0 arguments".into() }.into());
            }
            let plan = plan_query(&listing_query(function_listing()))?;
            return Ok(derived(FUNCTIONS, plan, &[]));
        }
        if t.function.is_some() && catalog::is_pragma_function(&t.name) {
            let listing = catalog::pragma(&t.name, &constant_args(t)?, state)?;
            let name = t.name.to_ascii_lowercase();
            return Ok(derived(&name, plan_query(&listing_query(listing))?, &[]));
        }
        if t.function.is_none()
            && t.as_of.is_none()
            && catalog::is_schema_table(&t.name)
            && state.table(&t.name).is_none()
        {
            let name = t.name.to_ascii_lowercase();
            return Ok(derived(&name, plan_query(&listing_query(catalog::schema_table(state)))?, &[]));
        }
        if t.function.is_none() && t.as_of.is_none() && state.table(&t.name).is_none() {
            if let Some(listing) = super::pg_catalog::system_table(&t.name, state) {
                let name = super::pg_catalog::short_name(&t.name);
                // Columns holding ids are integers, so that `oid = '16384'` compares
                // as PostgreSQL's clients mean it (the text is an id).
                let types: Vec<DataType> = (0..listing.columns.len())
                    .map(|i| match listing.rows.iter().find_map(|r| r.get(i).filter(|v| !v.is_null())) {
                        Some(Value::Integer(_)) => DataType::Integer,
                        _ => DataType::Any,
                    })
                    .collect();
                let (mut table, rows) = derived(&name, plan_query(&listing_query(listing))?, &[]);
                let mut schema = (*table.schema).clone();
                for (column, ty) in schema.columns.iter_mut().zip(types) {
                    column.ty = ty;
                }
                table.schema = Arc::new(schema);
                return Ok((table, rows));
            }
        }
        if let Some(found) = cte(t) {
            let (columns, rows) = found?;
            return Ok((stand_in(&t.name, columns), Some(rows)));
        }
        if let Some(kind) = json_table(t) {
            let mut columns: Vec<String> = kind.columns().iter().map(|c| c.to_string()).collect();
            if let (TableFn::Series, Some(alias)) = (kind, &t.alias) {
                columns = vec![alias.clone()];
            }
            if kind == TableFn::History {
                let table = match t.function.as_deref() {
                    Some([Expr::Literal(Value::Text(name)), ..]) => state.table_or_err(name)?,
                    _ => return Err(Error::invalid("history() takes the name of a table: history(orders)")),
                };
                columns = TableFn::history_columns(&table.schema);
            }
            if kind == TableFn::Archive {
                let header = match t.function.as_deref() {
                    Some([Expr::Literal(Value::Text(path))]) => crate::storage::archive::read_header(path)?,
                    _ => return Err(Error::invalid("archive() takes the name of an archive file: archive('t.amber')")),
                };
                columns = header.schema.columns.iter().map(|c| c.name.clone()).collect();
            }
            if t.ordinality {
                columns.push("ordinality".to_string());
            }
            name_columns(&mut columns, t)?;
            return Ok((stand_in(kind.name(), columns), None));
        }
        if t.ordinality {
            return Err(Error::invalid(format!(
                "WITH ORDINALITY numbers the rows of json_each, json_tree, generate_series and \
                 pg_partition_ancestors, not of {}",
                t.name
            )));
        }
        if t.function.is_some() {
            let mut columns: Vec<String> = MESSAGE_COLUMNS.iter().map(|c| c.to_string()).collect();
            name_columns(&mut columns, t)?;
            return Ok((stand_in(&t.name.to_ascii_lowercase(), columns), None));
        }
        if let Some(q) = &t.subquery {
            return Ok(derived(t.alias.as_deref().unwrap_or("subquery"), plan_query(q)?, &[]));
        }
        if let Some(period) = &t.period {
            if t.including_deleted {
                return Err(Error::invalid("FOR SYSTEM_TIME and INCLUDING DELETED cannot be used together"));
            }
            let name = state.table_or_err(&t.name)?.schema.name.clone();
            let query = period_query(t, *period, history)?;
            return Ok(derived(&name, plan_query(&query)?, &[]));
        }
        if t.including_deleted {
            let query = super::soft_delete::including_deleted(state, t)?;
            let name = state.table_or_err(&t.name)?.schema.name.clone();
            return Ok(derived(&name, plan_query(&query)?, &[]));
        }
        if t.as_of.is_none() && state.table(&t.name).is_none() {
            if let Some(view) = state.view(&t.name) {
                let query = match super::parser::parse(&view.sql)? {
                    super::ast::Statement::Select(q) => q,
                    _ => return Err(Error::invalid(format!("view {} does not hold a SELECT", view.name))),
                };
                return Ok(derived(&view.name, plan_query(&query)?, &view.columns));
            }
        }
        match &t.as_of {
            Some(at) => Ok((history.state_at(at)?.table_or_err(&t.name)?.clone(), None)),
            None => Ok((state.table_or_err(&t.name)?.clone(), None)),
        }
    };
    for term in &s.from {
        // A comma is a cross join whose conditions come from WHERE.
        let (table, derived) = load(&term.table)?;
        items.push(FromItem {
            table,
            derived,
            function: message_read(&term.table)?,
            json: json_table(&term.table),
            tref: term.table.clone(),
            kind: JoinKind::Cross,
            on: None,
            using: Vec::new(),
        });
        for j in &term.joins {
            let (table, derived) = load(&j.table)?;
            let mut using = j.using.clone();
            if j.natural {
                if j.on.is_some() || !j.using.is_empty() {
                    return Err(Error::invalid("a NATURAL join cannot have an ON or USING clause"));
                }
                using = table
                    .schema
                    .columns
                    .iter()
                    .filter(|c| items.iter().any(|i| i.table.schema.column_index(&c.name).is_some()))
                    .map(|c| c.name.clone())
                    .collect();
            }
            let function = message_read(&j.table)?;
            let (tref, kind, on) = (j.table.clone(), j.kind, j.on.clone());
            let json = json_table(&j.table);
            items.push(FromItem { table, derived, function, json, tref, kind, on, using });
        }
    }
    let mut labels: Vec<String> = Vec::new();
    for item in &items {
        let label = item.tref.alias.as_deref().unwrap_or(&item.table.schema.name).to_ascii_lowercase();
        if labels.contains(&label) {
            return Err(Error::invalid(format!(
                "the table name {label} appears twice in FROM: give one of them an alias (… AS other)"
            )));
        }
        labels.push(label);
    }
    Ok(items)
}

/// The table function that lists every function.
const FUNCTIONS: &str = "amber_functions";

/// `amber_functions()`: name, kind, least and most arguments (NULL for any number),
/// one row per function.
fn function_listing() -> Listing {
    let rows = super::binder::function_list()
        .into_iter()
        .map(|(name, kind, min, max)| {
            let max = if max == usize::MAX { Value::Null } else { Value::Integer(max as i64) };
            vec![Value::text(name), Value::text(kind), Value::Integer(min as i64), max]
        })
        .collect();
    Listing { columns: &["name", "kind", "min_args", "max_args"], rows }
}

/// Rows made at planning time as a query: a SELECT of constants per row, joined by
/// UNION ALL (a row of NULLs that WHERE drops when there are none).
fn listing_query(listing: Listing) -> Select {
    use super::ast::SelectItem;
    let select = |cells: Vec<Value>| {
        let columns = cells
            .into_iter()
            .zip(listing.columns)
            .map(|(v, n)| SelectItem::Expr { text: n.to_string(), expr: Expr::Literal(v), alias: Some(n.to_string()) })
            .collect();
        Select { columns, ..Select::default() }
    };
    let mut rows = listing.rows.into_iter().map(select);
    match rows.next() {
        Some(mut first) => {
            first.compound = rows.map(|r| (super::ast::SetOp::UnionAll, r)).collect();
            first
        }
        None => Select {
            filter: Some(Expr::Literal(Value::Boolean(false))),
            ..select(vec![Value::Null; listing.columns.len()])
        },
    }
}

/// Renames a table function's first columns as `AS alias (a, b)` names them.
fn name_columns(columns: &mut [String], t: &TableRef) -> Result<()> {
    if t.columns.len() > columns.len() {
        return Err(Error::invalid(format!(
            "{} has {} columns but {} names are given",
            t.name,
            columns.len(),
            t.columns.len()
        )));
    }
    for (c, name) in columns.iter_mut().zip(&t.columns) {
        c.clone_from(name);
    }
    Ok(())
}

/// The table function a FROM item calls, if it calls `json_each`, `json_tree` or
/// `generate_series` (with or without `pg_catalog.`).
fn json_table(t: &TableRef) -> Option<TableFn> {
    t.function.as_ref()?;
    TableFn::by_name(t.name.strip_prefix("pg_catalog.").unwrap_or(&t.name))
}

/// The arguments of the `json_each` or `json_tree` at place `i` of the FROM list: they
/// may read the tables before it (and enclosing queries' rows).
fn json_args(item: &FromItem, i: usize, scope: &Scope, nest: Option<Nesting>) -> Result<Vec<BExpr>> {
    let args = item.tref.function.as_deref().unwrap_or_default();
    let name = item.tref.name.to_ascii_lowercase();
    let (min, max) = item.json.map_or((1, 2), TableFn::arity);
    if args.len() < min || args.len() > max {
        let expected = match (min, max) {
            (0, 0) => "no arguments".to_string(),
            (a, b) if a == b => format!("{a} arguments"),
            (a, b) => format!("{a} or {b} arguments"),
        };
        return Err(ErrorKind::Arity { name, expected }.into());
    }
    let before = Scope { tables: scope.tables[..i.min(scope.tables.len())].to_vec(), ..Scope::default() };
    let mut binder = Binder::new(&before, "not allowed in a table function's arguments").nested(nest);
    args.iter().map(|a| binder.bind(a)).collect()
}

/// The constant arguments of a pragma table function.
fn constant_args(t: &TableRef) -> Result<Vec<Value>> {
    let args = t.function.as_deref().unwrap_or_default();
    args.iter()
        .map(|a| match a {
            Expr::Literal(v) => Ok(v.clone()),
            _ => Err(Error::invalid(format!("the arguments of {}() must be constants", t.name))),
        })
        .collect()
}

/// The message function a FROM item calls, with its arguments bound (they may hold
/// constants and parameters, not columns).
fn message_read(t: &TableRef) -> Result<Option<(MessageRead, Vec<BExpr>)>> {
    let Some(args) = &t.function else { return Ok(None) };
    if t.name.eq_ignore_ascii_case(FUNCTIONS) || catalog::is_pragma_function(&t.name) || json_table(t).is_some() {
        return Ok(None);
    }
    let Some((read, min, max)) = MessageRead::by_name(&t.name) else {
        return Err(Error::invalid(format!(
            "no such table function: {} (there are get_stream_messages, get_category_messages, \
             get_last_stream_message, json_each, json_tree, amber_functions and pragma_table_info, pragma_index_list, \
             pragma_index_info, pragma_foreign_key_list, pragma_table_list)",
            t.name
        )));
    };
    // The first argument is the namespace the resolver added.
    let given = args.len().saturating_sub(1);
    if given < min || given > max {
        return Err(
            ErrorKind::Arity { name: read.name().to_string(), expected: format!("{min} to {max} arguments") }.into()
        );
    }
    let empty = Scope::default();
    let mut binder = Binder::new(&empty, "not allowed in a table function's arguments");
    let bound = args.iter().map(|a| binder.bind(a)).collect::<Result<Vec<_>>>()?;
    Ok(Some((read, bound)))
}

/// The scope the FROM list makes: each table's columns at its offset in the joined row.
pub fn scope_of(items: &[FromItem]) -> Scope {
    let mut scope = Scope::default();
    let mut offset = 0;
    for item in items {
        let columns: Vec<String> = item.table.schema.columns.iter().map(|c| c.name.clone()).collect();
        let width = columns.len();
        scope.tables.push(ScopeTable {
            name: item.table.schema.name.clone(),
            alias: item.tref.alias.clone(),
            columns,
            offset,
            hidden: item.using.clone(),
            rowid: item.table.schema.integer_key(),
            types: item.table.schema.columns.iter().map(|c| c.ty).collect(),
            collations: item.table.schema.columns.iter().map(|c| c.collation).collect(),
        });
        offset += width;
    }
    scope
}

fn conjuncts(e: BExpr, out: &mut Vec<BExpr>) {
    match e {
        BExpr::And(a, b) => {
            conjuncts(*a, out);
            conjuncts(*b, out);
        }
        other => out.push(other),
    }
}

fn and_all(terms: Vec<BExpr>) -> Option<BExpr> {
    terms.into_iter().reduce(|a, b| BExpr::And(Box::new(a), Box::new(b)))
}

/// The join tree for the FROM list, and what is left of `filter` to apply on top (terms
/// that could not be placed). Inner joins of three or more tables are done in the
/// order that keeps intermediate results small (see [`join_order`]); the rows are put
/// back in FROM order at the end.
pub fn join_source(
    items: &[FromItem],
    scope: &Scope,
    filter: Option<BExpr>,
    nest: Option<Nesting>,
) -> Result<(Source, Option<BExpr>)> {
    // A table function reading earlier tables stays after them: no reordering then.
    let reorderable =
        items.len() >= 3 && items.iter().all(|i| i.kind != JoinKind::Left && i.using.is_empty() && i.json.is_none());
    if !reorderable {
        return join_in_order(items, scope, filter, nest);
    }
    // Every ON term of an inner join is a WHERE term.
    let mut terms = Vec::new();
    if let Some(f) = filter {
        conjuncts(f, &mut terms);
    }
    for item in items {
        if let Some(e) = &item.on {
            conjuncts(Binder::new(scope, "not allowed in ON").nested(nest).bind(e)?, &mut terms);
        }
    }
    let order = join_order(items, scope, &terms);
    if order.iter().enumerate().all(|(k, &i)| k == i) {
        let plain: Vec<FromItem> = items.iter().map(|i| FromItem { on: None, ..i.clone() }).collect();
        return join_in_order(&plain, scope, and_all(terms), nest);
    }
    let reordered: Vec<FromItem> = order.iter().map(|&i| FromItem { on: None, ..items[i].clone() }).collect();
    let inner = scope_of(&reordered);
    // Where each column of the FROM-order row sits in the join-order row, and back.
    let mut to_join = vec![0; scope.width()];
    for (k, &i) in order.iter().enumerate() {
        for c in 0..scope.tables[i].columns.len() {
            to_join[scope.tables[i].offset + c] = inner.tables[k].offset + c;
        }
    }
    let mut to_from = vec![0; scope.width()];
    for (p, &q) in to_join.iter().enumerate() {
        to_from[q] = p;
    }
    let filter = and_all(terms).map(|mut f| {
        f.map_columns(&|c| to_join[c]);
        f
    });
    let (source, rest) = join_in_order(&reordered, &inner, filter, nest)?;
    let rest = rest.map(|mut r| {
        r.map_columns(&|c| to_from[c]);
        r
    });
    Ok((Source::Reorder { source: Box::new(source), columns: to_join }, rest))
}

/// A join order for inner joins: start from a table pinned by an equality with a
/// constant (or else filtered, or else the smallest), then keep adding a table that a
/// term connects to the ones joined so far, preferring pinned, filtered and small
/// tables; a table nothing connects comes last.
pub fn join_order(items: &[FromItem], scope: &Scope, terms: &[BExpr]) -> Vec<usize> {
    let table_of = |c: usize| scope.tables.iter().rposition(|t| t.offset <= c).unwrap_or(0);
    let tables: Vec<Vec<usize>> = terms
        .iter()
        .map(|t| {
            let mut ts: Vec<usize> = t.columns().into_iter().map(table_of).collect();
            ts.sort_unstable();
            ts.dedup();
            ts
        })
        .collect();
    let n = items.len();
    let mut pinned = vec![false; n];
    let mut filtered = vec![false; n];
    for (term, ts) in terms.iter().zip(&tables) {
        if let [t] = ts.as_slice() {
            filtered[*t] = true;
            if let BExpr::Compare(CmpOp::Eq, a, b) = term {
                if a.columns().is_empty() || b.columns().is_empty() {
                    pinned[*t] = true;
                }
            }
        }
    }
    let rank = |t: usize| (!pinned[t], !filtered[t], items[t].table.rows.len(), t);
    let mut order = Vec::with_capacity(n);
    let mut joined = vec![false; n];
    while order.len() < n {
        let connected = |t: usize| {
            tables
                .iter()
                .any(|ts| ts.contains(&t) && ts.iter().any(|&u| joined[u]) && ts.iter().all(|&u| u == t || joined[u]))
        };
        let remaining = (0..n).filter(|&t| !joined[t]);
        let pick = remaining
            .clone()
            .filter(|&t| connected(t))
            .min_by_key(|&t| rank(t))
            .or_else(|| remaining.min_by_key(|&t| rank(t)));
        let Some(t) = pick else { break };
        joined[t] = true;
        order.push(t);
    }
    order
}

fn join_in_order(
    items: &[FromItem],
    scope: &Scope,
    filter: Option<BExpr>,
    nest: Option<Nesting>,
) -> Result<(Source, Option<BExpr>)> {
    let offsets: Vec<usize> = scope.tables.iter().map(|t| t.offset).collect();
    let widths: Vec<usize> = scope.tables.iter().map(|t| t.columns.len()).collect();
    let table_of = |c: usize| offsets.iter().rposition(|&o| o <= c).unwrap_or(0);
    // The last table a term reads (0 when it reads none), and whether it reads only that one.
    let reach = |e: &BExpr| {
        let tables: Vec<usize> = e.columns().into_iter().map(table_of).collect();
        let last = tables.iter().copied().max().unwrap_or(0);
        (last, tables.iter().all(|&t| t == last))
    };
    let n = items.len();
    let json: Vec<Option<Vec<BExpr>>> = items
        .iter()
        .enumerate()
        .map(|(i, item)| item.json.map(|_| json_args(item, i, scope, nest)).transpose())
        .collect::<Result<_>>()?;
    let mut scan_filters: Vec<Vec<BExpr>> = vec![Vec::new(); n];
    let mut on: Vec<Vec<BExpr>> = vec![Vec::new(); n];
    let mut after: Vec<Vec<BExpr>> = vec![Vec::new(); n];

    for (i, item) in items.iter().enumerate() {
        let mut terms = Vec::new();
        if let Some(e) = &item.on {
            conjuncts(Binder::new(scope, "not allowed in ON").nested(nest).bind(e)?, &mut terms);
        }
        for name in &item.using {
            let right = scope.tables[i].columns.iter().position(|c| c.eq_ignore_ascii_case(name)).ok_or_else(|| {
                Error::invalid(format!("cannot join using column {name}: table {} has no such column", item.tref.name))
            })?;
            let left = (0..i)
                .find_map(|t| {
                    let cols = &scope.tables[t].columns;
                    cols.iter().position(|c| c.eq_ignore_ascii_case(name)).map(|p| offsets[t] + p)
                })
                .ok_or_else(|| Error::invalid(format!("cannot join using column {name}: no earlier table has it")))?;
            terms.push(BExpr::Compare(
                CmpOp::Eq,
                Box::new(BExpr::Column(left)),
                Box::new(BExpr::Column(offsets[i] + right)),
            ));
        }
        for term in terms {
            let (last, alone) = reach(&term);
            if item.kind == JoinKind::Left && last > i {
                return Err(Error::invalid(format!(
                    "the ON clause of the join with {} reads a table that comes later in FROM",
                    item.tref.name
                )));
            }
            if item.kind == JoinKind::Left {
                // ON terms decide which rows match; on the new table alone they can
                // filter its scan.
                if alone && last == i && !term.columns().is_empty() {
                    scan_filters[i].push(term);
                } else {
                    on[i].push(term);
                }
            } else if i == 0 {
                scan_filters[0].push(term);
            } else {
                place_where(term, last, alone, items, &mut scan_filters, &mut on, &mut after);
            }
        }
    }
    let mut rest = Vec::new();
    if let Some(f) = filter {
        let mut terms = Vec::new();
        conjuncts(f, &mut terms);
        for term in terms {
            if term.columns().is_empty() || term.has_subquery() {
                // Constant terms (parameters, literals) are decided once, on top; so are
                // terms with subqueries, which may read any column of the joined row.
                rest.push(term);
                continue;
            }
            let (last, alone) = reach(&term);
            place_where(term, last, alone, items, &mut scan_filters, &mut on, &mut after);
        }
    }

    let scan = |i: usize, terms: Vec<BExpr>| -> Source {
        let local = and_all(terms).map(|mut e| {
            let base = offsets[i];
            e.map_columns(&|c| c - base);
            e
        });
        match &items[i].derived {
            Some(Derived::Query(plan)) => return Source::Derived { plan: Arc::clone(plan), filter: local },
            Some(Derived::Cte(cte)) => return Source::Cte { cte: Arc::clone(cte), filter: local },
            Some(Derived::Working(id)) => {
                return Source::Working { id: *id, width: widths[i], filter: local };
            }
            None => {}
        }
        if let (Some(kind), Some(args)) = (items[i].json, &json[i]) {
            let ordinality = items[i].tref.ordinality;
            return Source::JsonTable { kind, ordinality, args: args.clone(), filter: local, reads: None };
        }
        if let Some((read, args)) = &items[i].function {
            let as_of = items[i].tref.as_of.clone();
            return Source::Messages { read: *read, args: args.clone(), filter: local, as_of };
        }
        let access = access::choose(&items[i].table, local.as_ref());
        Source::Scan {
            table: items[i].table.schema.name.to_ascii_lowercase(),
            as_of: items[i].tref.as_of.clone(),
            access,
            filter: local,
            expiry: false,
            rowid: false,
            reads: None,
        }
    };
    let mut scan_filters = scan_filters.into_iter();
    let mut source = scan(0, scan_filters.next().unwrap_or_default());
    for (i, terms) in scan_filters.enumerate().map(|(k, t)| (k + 1, t)) {
        let right = scan(i, terms);
        let mut keys = Vec::new();
        for term in &on[i] {
            if let BExpr::Compare(CmpOp::Eq, a, b) = term {
                let side = |e: &BExpr| {
                    let cols = e.columns();
                    if cols.is_empty() {
                        None
                    } else if cols.iter().all(|&c| table_of(c) == i) {
                        Some(true)
                    } else if cols.iter().all(|&c| table_of(c) < i) {
                        Some(false)
                    } else {
                        None
                    }
                };
                let pair = match (side(a), side(b)) {
                    (Some(false), Some(true)) => Some(((**a).clone(), (**b).clone())),
                    (Some(true), Some(false)) => Some(((**b).clone(), (**a).clone())),
                    _ => None,
                };
                if let Some((left, mut right)) = pair {
                    let base = offsets[i];
                    right.map_columns(&|c| c - base);
                    keys.push((left, right));
                }
            }
        }
        source = Source::Join(Box::new(JoinPlan {
            left: source,
            right,
            left_join: items[i].kind == JoinKind::Left,
            left_width: offsets[i],
            right_width: widths[i],
            keys,
            on: and_all(std::mem::take(&mut on[i])),
            after: and_all(std::mem::take(&mut after[i])),
        }));
    }
    Ok((source, and_all(rest)))
}

/// Places a WHERE term (or an inner join's ON term, which means the same) at the last
/// table it reads: the table's scan when it reads no other, the join otherwise. When a
/// LEFT JOIN brings that table in, the term waits until unmatched rows have their NULLs.
fn place_where(
    term: BExpr,
    last: usize,
    alone: bool,
    items: &[FromItem],
    scan_filters: &mut [Vec<BExpr>],
    on: &mut [Vec<BExpr>],
    after: &mut [Vec<BExpr>],
) {
    let outer = last > 0 && items[last].kind == JoinKind::Left;
    if outer {
        after[last].push(term);
    } else if alone || last == 0 {
        scan_filters[last].push(term);
    } else {
        on[last].push(term);
    }
}

/// `t FOR SYSTEM_TIME BETWEEN a AND b` as a query: the distinct rows of `t` in each
/// kept version current at some time in the range (UNION of `t AS OF VERSION v`); no
/// rows when no kept version is.
fn period_query(t: &TableRef, period: super::ast::Period, history: &dyn History) -> Result<Select> {
    if period.to < period.from {
        return Err(Error::invalid("FOR SYSTEM_TIME: the range ends before it starts"));
    }
    let from = |v: Option<u64>| {
        let table =
            TableRef { name: t.name.clone(), as_of: v.map(crate::storage::AsOf::Version), ..TableRef::default() };
        Select {
            columns: vec![super::ast::SelectItem::Wildcard],
            from: vec![super::ast::FromTerm { table, joins: vec![] }],
            ..Select::default()
        }
    };
    // Versions from before the table was made have none of its rows.
    let has_table =
        |v: &u64| history.state_at(&crate::storage::AsOf::Version(*v)).is_ok_and(|s| s.table(&t.name).is_some());
    let mut versions = history.versions_in(period.from, period.to, period.through)?.into_iter().filter(has_table);
    let Some(first) = versions.next() else {
        let mut none = from(None);
        none.filter = Some(super::ast::Expr::Literal(Value::Boolean(false)));
        return Ok(none);
    };
    let mut query = from(Some(first));
    query.compound.extend(versions.map(|v| (super::ast::SetOp::Union, from(Some(v)))));
    Ok(query)
}
