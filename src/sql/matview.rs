//! Materialized views. `CREATE MATERIALIZED VIEW v AS SELECT …` stores the query's rows
//! in an ordinary table `v` (so it is read, indexed, versioned, logged and checkpointed
//! as any table is) and the query itself in the catalog table `amber$matviews`. A plain
//! one changes only on `REFRESH MATERIALIZED VIEW v`. One made `WITH (incremental)` is
//! kept equal to its query by every commit: `exec::matview` turns the rows the commit
//! changed in the view's tables into changes of the view, from a [`Maint`] compiled
//! here, without running the query again.
//!
//! What can be kept that way: selections and projections of one table, inner joins
//! (each row of the view is identified by the keys of the rows it joins), GROUP BY with
//! count, sum, total, avg, min and max (and HAVING), and DISTINCT (a GROUP BY of every
//! column). A grouped view keeps, per group, the counts and sums its aggregates need in
//! a second table, `v$groups`; a min or max is looked for again in its group's rows
//! only when a row holding the extreme goes away. Anything else is refused with the
//! reason, naming what to change.

use std::sync::Arc;

use super::ast::{Expr, JoinKind, Select, SelectItem};
use super::binder::{Binder, Scope, ScopeTable};
use super::plan::{AggCall, AggFunc, BExpr, Func};
use crate::error::{Error, Result};
use crate::storage::schema::Column;
use crate::storage::table::RowKey;
use crate::storage::{DataType, State, TableSchema, Value};

/// The catalog: one row per materialized view (its stored name, query and kind).
pub const CATALOG: &str = "amber$matviews";
/// What the name of a grouped view's accumulators adds to the view's.
pub const GROUPS: &str = "$groups";

/// A materialized view as the catalog holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Def {
    /// The view's stored name (lower case, namespace and all).
    pub name: String,
    pub sql: String,
    pub incremental: bool,
}

pub fn catalog_schema() -> TableSchema {
    TableSchema {
        name: CATALOG.to_string(),
        columns: vec![
            Column::plain("name", DataType::Text),
            Column::plain("sql", DataType::Text),
            Column::plain("incremental", DataType::Boolean),
        ],
        primary_key: vec![0],
        ..TableSchema::default()
    }
}

/// The catalog row of a view.
pub fn catalog_row(def: &Def) -> (RowKey, Box<[Value]>) {
    let name = Value::text(&def.name);
    let key = RowKey::Tuple(Arc::new(vec![name.clone()]));
    (key, vec![name, Value::text(&def.sql), Value::Boolean(def.incremental)].into_boxed_slice())
}

/// The key of a view's catalog row.
pub fn catalog_key(name: &str) -> RowKey {
    RowKey::Tuple(Arc::new(vec![Value::text(&name.to_ascii_lowercase())]))
}

/// The stored name of a grouped view's accumulators.
pub fn groups_name(view: &str) -> String {
    format!("{}{GROUPS}", view.to_ascii_lowercase())
}

/// Whether a table is the catalog or a view's accumulators: tables only the engine
/// writes.
pub fn is_internal(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == CATALOG || lower.ends_with(GROUPS)
}

/// The materialized view stored under `name`, if it is one.
pub fn definition(state: &State, name: &str) -> Option<Def> {
    let row = state.table(CATALOG)?.rows.get(&catalog_key(name))?;
    decode(&row)
}

fn decode(row: &[Value]) -> Option<Def> {
    match row {
        [Value::Text(name), Value::Text(sql), incremental] => Some(Def {
            name: name.to_string(),
            sql: sql.to_string(),
            incremental: matches!(incremental, Value::Boolean(true) | Value::Integer(1)),
        }),
        _ => None,
    }
}

/// Every materialized view, by name.
pub fn all(state: &State) -> Vec<Def> {
    let Some(t) = state.table(CATALOG) else { return Vec::new() };
    t.rows.iter().filter_map(|(_, row)| decode(&row)).collect()
}

/// The materialized views whose query reads `table`.
pub fn readers(state: &State, table: &str) -> Vec<String> {
    let table = table.to_ascii_lowercase();
    all(state)
        .into_iter()
        .filter(|d| match super::parser::parse(&d.sql) {
            Ok(super::ast::Statement::Select(s)) => tables_of(&s).contains(&table),
            _ => false,
        })
        .map(|d| d.name)
        .collect()
}

/// The tables a query names in its FROM clauses (subqueries included), lower case.
fn tables_of(s: &Select) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |q: &Select| {
        for term in &q.from {
            for t in std::iter::once(&term.table).chain(term.joins.iter().map(|j| &j.table)) {
                if t.subquery.is_none() && t.function.is_none() {
                    out.push(t.name.to_ascii_lowercase());
                }
            }
        }
    };
    add(s);
    s.compound.iter().for_each(|(_, c)| add(c));
    let mut nested = Vec::new();
    let mut visit = |e: &Expr| {
        if let Expr::Subquery(q) | Expr::Exists(q) | Expr::InSelect { query: q, .. } = e {
            nested.extend(tables_of(q));
        }
        false
    };
    s.any_expr(&mut visit);
    for term in &s.from {
        for t in std::iter::once(&term.table).chain(term.joins.iter().map(|j| &j.table)) {
            if let Some(q) = &t.subquery {
                nested.extend(tables_of(q));
            }
        }
    }
    out.extend(nested);
    out
}

/// What a materialized-view statement does.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Create { def: Def, schema: Arc<TableSchema>, query: Box<super::plan::SelectPlan>, maint: Option<Arc<Maint>> },
    Refresh { name: String, query: Box<super::plan::SelectPlan>, maint: Option<Arc<Maint>> },
    Drop { name: String },
}

/// One table a view reads, and where its columns sit in the joined row.
#[derive(Clone, Debug, PartialEq)]
pub struct Source {
    /// Its stored name, lower case.
    pub table: Arc<str>,
    pub offset: usize,
    pub width: usize,
}

/// `table.column = expr`, where `expr` reads other tables: how a row of `table` is found
/// from theirs.
#[derive(Clone, Debug, PartialEq)]
pub struct Equality {
    pub source: usize,
    pub column: usize,
    pub value: BExpr,
    /// The sources `value` reads.
    pub needs: Vec<usize>,
}

/// How a view's rows follow from its tables' rows.
#[derive(Clone, Debug, PartialEq)]
pub enum Shape {
    /// One row of the view per joined row that passes the filter, stored under the
    /// joined rows' keys.
    Rows { outputs: Vec<BExpr> },
    /// One row per group, stored under the group's key. Outputs and HAVING read the
    /// group's key values as columns `width + k` and its aggregates as `Agg` slots.
    Groups { keys: Vec<BExpr>, aggs: Vec<AggCall>, outputs: Vec<BExpr>, having: Option<BExpr>, global: bool },
}

/// A view compiled for incremental maintenance.
#[derive(Clone, Debug, PartialEq)]
pub struct Maint {
    pub view: Arc<str>,
    pub sources: Vec<Source>,
    /// The joined row's width: every source's columns, in FROM order.
    pub width: usize,
    /// WHERE and every ON condition.
    pub filter: Option<BExpr>,
    pub equalities: Vec<Equality>,
    pub shape: Shape,
}

impl Maint {
    /// Whether the view reads `table` (a stored name).
    pub fn reads(&self, table: &str) -> Option<usize> {
        self.sources.iter().position(|s| s.table.eq_ignore_ascii_case(table))
    }

    /// The accumulators' table, for a grouped view.
    pub fn groups(&self) -> Option<String> {
        matches!(self.shape, Shape::Groups { .. }).then(|| groups_name(&self.view))
    }

    /// The columns of the accumulators' table: the group's key values, its row count,
    /// and four per aggregate (values counted, reals among them, the integer sum, and
    /// the real sum or the extreme).
    pub fn groups_schema(&self) -> Option<TableSchema> {
        let Shape::Groups { keys, aggs, .. } = &self.shape else { return None };
        let mut columns: Vec<Column> = (0..keys.len()).map(|k| Column::plain(format!("k{k}"), DataType::Any)).collect();
        columns.push(Column::plain("rows", DataType::Integer));
        for i in 0..aggs.len() {
            for part in ["n", "reals", "int", "value"] {
                columns.push(Column::plain(format!("a{i}_{part}"), DataType::Any));
            }
        }
        Some(TableSchema { name: groups_name(&self.view), columns, ..TableSchema::default() })
    }
}

/// Why a view cannot be kept incrementally, in words.
fn refuse(view: &str, why: impl std::fmt::Display) -> Error {
    Error::invalid(format!(
        "materialized view {view} cannot be kept incrementally: {why} (leave out WITH (incremental) and use REFRESH MATERIALIZED VIEW)"
    ))
}

const CLAUSE: &str = "not allowed in an incremental materialized view";

/// Compiles a view's query for incremental maintenance, or says why it cannot be.
pub fn compile(view: &str, q: &Select, state: &State) -> Result<Maint> {
    if q.with.is_some() {
        return Err(refuse(view, "it has a WITH clause"));
    }
    if !q.compound.is_empty() {
        return Err(refuse(view, "it is a compound SELECT (UNION, INTERSECT or EXCEPT)"));
    }
    if q.limit.is_some() || q.offset.is_some() {
        return Err(refuse(view, "it has LIMIT or OFFSET"));
    }
    if !q.windows.is_empty() || q.any_expr(&mut |e| matches!(e, Expr::Function { over: Some(_), .. })) {
        return Err(refuse(view, "it calls window functions"));
    }
    if q.from.is_empty() {
        return Err(refuse(view, "it reads no table"));
    }
    let mut scope = Scope::default();
    let mut sources = Vec::new();
    let mut conditions: Vec<&Expr> = q.filter.iter().collect();
    for term in &q.from {
        let mut refs = vec![(&term.table, None)];
        for j in &term.joins {
            if j.kind == JoinKind::Left {
                return Err(refuse(view, "it has an outer join (only inner joins are kept)"));
            }
            if j.natural || !j.using.is_empty() {
                return Err(refuse(view, "it joins with USING or NATURAL (write the condition with ON)"));
            }
            refs.push((&j.table, j.on.as_ref()));
        }
        for (t, on) in refs {
            conditions.extend(on);
            if t.subquery.is_some() || t.function.is_some() {
                return Err(refuse(view, "it reads a subquery or a table function in FROM"));
            }
            if t.as_of.is_some() || t.period.is_some() || t.including_deleted {
                return Err(refuse(view, "it reads a past version of a table"));
            }
            if state.view(&t.name).is_some() {
                return Err(refuse(view, format!("it reads view {} (name its tables instead)", t.name)));
            }
            if definition(state, &t.name).is_some() {
                return Err(refuse(view, format!("it reads materialized view {}", t.name)));
            }
            let table = state.table_or_err(&t.name)?;
            let schema = &table.schema;
            let offset = scope.width();
            scope.tables.push(ScopeTable {
                name: schema.name.clone(),
                alias: t.alias.clone(),
                columns: schema.columns.iter().map(|c| c.name.clone()).collect(),
                offset,
                hidden: Vec::new(),
                rowid: schema.integer_key(),
                types: schema.columns.iter().map(|c| c.ty).collect(),
                collations: schema.columns.iter().map(|c| c.collation).collect(),
            });
            sources.push(Source {
                table: schema.name.to_ascii_lowercase().into(),
                offset,
                width: schema.columns.len(),
            });
        }
    }
    let width = scope.width();
    let mut conjuncts = Vec::new();
    for c in conditions {
        split_and(c, &mut conjuncts);
    }
    let mut filter: Option<BExpr> = None;
    let mut equalities = Vec::new();
    for c in &conjuncts {
        let bound = Binder::new(&scope, CLAUSE).bind(c)?;
        check_pure(view, &bound)?;
        if let BExpr::Compare(crate::sql::plan::CmpOp::Eq, a, b) = &bound {
            for (col, other) in [(a, b), (b, a)] {
                let BExpr::Column(c) = **col else { continue };
                let source = sources.iter().rposition(|s| s.offset <= c).unwrap_or(0);
                let needs = sources_read(&sources, other);
                if !needs.is_empty() && !needs.contains(&source) {
                    let column = c - sources[source].offset;
                    equalities.push(Equality { source, column, value: (**other).clone(), needs });
                }
            }
        }
        filter = Some(match filter {
            None => bound,
            Some(f) => BExpr::And(Box::new(f), Box::new(bound)),
        });
    }
    let items = expand(q, &scope)?;
    let grouped = !q.group_by.is_empty() || q.having.is_some() || items.iter().any(super::binder::has_aggregate);
    let shape = if !grouped && !q.distinct {
        let mut outputs = Vec::new();
        for e in &items {
            let b = Binder::new(&scope, CLAUSE).bind(e)?;
            check_pure(view, &b)?;
            outputs.push(b);
        }
        Shape::Rows { outputs }
    } else {
        // DISTINCT is a GROUP BY of every column shown.
        let key_exprs: Vec<Expr> = if grouped { q.group_by.clone() } else { items.clone() };
        if q.distinct && grouped {
            return Err(refuse(view, "it is both DISTINCT and grouped"));
        }
        let mut keys = Vec::new();
        for e in &key_exprs {
            if matches!(e, Expr::Collate { .. }) || super::binder::ordinal(e).is_some() {
                return Err(refuse(view, "it groups by a collation or a column number"));
            }
            let b = Binder::new(&scope, CLAUSE).bind(e)?;
            check_pure(view, &b)?;
            keys.push(b);
        }
        let mut aggs = Vec::new();
        let mut outputs = Vec::new();
        for e in &items {
            let b = Binder::with_aggregates(&scope, &mut aggs, CLAUSE).bind(e)?;
            outputs.push(grouped_expr(view, b, &keys, width)?);
        }
        let having = match &q.having {
            Some(h) => {
                let b = Binder::with_aggregates(&scope, &mut aggs, CLAUSE).bind(h)?;
                Some(grouped_expr(view, b, &keys, width)?)
            }
            None => None,
        };
        for a in &aggs {
            if a.distinct {
                return Err(refuse(view, "it has an aggregate over DISTINCT values"));
            }
            if !matches!(
                a.func,
                AggFunc::CountStar
                    | AggFunc::Count
                    | AggFunc::Sum
                    | AggFunc::Total
                    | AggFunc::Avg
                    | AggFunc::Min
                    | AggFunc::Max
            ) {
                return Err(refuse(view, "only count, sum, total, avg, min and max are kept"));
            }
            for e in a.arg.iter().chain(&a.filter) {
                check_pure(view, e)?;
            }
        }
        let global = q.group_by.is_empty() && grouped;
        Shape::Groups { keys, aggs, outputs, having, global }
    };
    Ok(Maint { view: view.to_ascii_lowercase().into(), sources, width, filter, equalities, shape })
}

fn split_and<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::Binary { op: super::ast::BinaryOp::And, left, right } => {
            split_and(left, out);
            split_and(right, out);
        }
        e => out.push(e),
    }
}

/// The sources an expression reads.
fn sources_read(sources: &[Source], e: &BExpr) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    e.visit_columns(&mut |c| {
        let s = sources.iter().rposition(|s| s.offset <= c).unwrap_or(0);
        if !out.contains(&s) {
            out.push(s);
        }
    });
    out
}

/// The SELECT list with `*` and `t.*` written out as columns.
fn expand(q: &Select, scope: &Scope) -> Result<Vec<Expr>> {
    let mut out = Vec::new();
    let column = |t: &ScopeTable, c: &String| Expr::Column { table: Some(t.label().to_string()), name: c.clone() };
    for item in &q.columns {
        match item {
            SelectItem::Wildcard => {
                for t in &scope.tables {
                    out.extend(t.columns.iter().map(|c| column(t, c)));
                }
            }
            SelectItem::TableWildcard(name) => {
                let t = scope.find_table(name).ok_or_else(|| Error::invalid(format!("no such table: {name}")))?;
                out.extend(t.columns.iter().map(|c| column(t, c)));
            }
            SelectItem::Expr { expr, .. } => out.push(expr.clone()),
        }
    }
    Ok(out)
}

/// Refuses what gives another answer each time it is asked (the clock, randomness, the
/// session) or reads the database besides the view's tables.
fn check_pure(view: &str, e: &BExpr) -> Result<()> {
    let mut bad = None;
    visit(e, &mut |e| match e {
        BExpr::Func(f, args) if f.reads_outside() || reads_clock(*f, args) => {
            bad = Some("the clock, randomness or the session")
        }
        BExpr::Subquery(..) | BExpr::ArraySubquery(..) | BExpr::Exists(..) | BExpr::InSubquery { .. } => {
            bad = Some("a subquery")
        }
        BExpr::Param(_) => bad = Some("a parameter"),
        _ => {}
    });
    match bad {
        Some(what) => Err(refuse(view, format!("it reads {what}"))),
        None => Ok(()),
    }
}

/// A date function reads the clock with no time value, or with 'now'.
fn reads_clock(f: Func, args: &[BExpr]) -> bool {
    matches!(f, Func::Date(_))
        && match args.first() {
            None => true,
            Some(BExpr::Const(Value::Text(t))) => t.eq_ignore_ascii_case("now"),
            Some(BExpr::Const(_)) => false,
            Some(_) => true,
        }
}

fn visit(e: &BExpr, f: &mut dyn FnMut(&BExpr)) {
    f(e);
    for c in e.children() {
        visit(c, f);
    }
}

/// An output (or HAVING) of a grouped view with every group key in it read from the
/// group's key values; a column that is neither grouped nor aggregated is refused.
fn grouped_expr(view: &str, mut e: BExpr, keys: &[BExpr], width: usize) -> Result<BExpr> {
    fn replace(e: &mut BExpr, keys: &[BExpr], width: usize) {
        if let Some(k) = keys.iter().position(|k| k == e && !matches!(k, BExpr::Const(_))) {
            *e = BExpr::Column(width + k);
            return;
        }
        for c in e.children_mut() {
            replace(c, keys, width);
        }
    }
    replace(&mut e, keys, width);
    check_pure(view, &e)?;
    let mut stray = false;
    e.visit_columns(&mut |c| stray |= c < width);
    if stray {
        return Err(refuse(view, "it shows a column that is neither grouped nor aggregated"));
    }
    Ok(e)
}
