//! Expressions a table keeps and works out from its own rows: generated columns, and
//! the key parts and WHERE of expression and partial indexes. Each is kept as SQL text,
//! bound over the table's columns (numbered as stored) and must give the same value for
//! the same row every time: no subqueries, parameters, aggregates, or functions whose
//! answer varies between calls.

use super::*;
use crate::storage::Value;

/// A scope of one table's columns, numbered as the row stores them.
pub(in crate::sql) fn schema_scope(schema: &TableSchema) -> Scope {
    Scope {
        tables: vec![ScopeTable {
            name: schema.name.clone(),
            alias: None,
            columns: schema.columns.iter().map(|c| c.name.clone()).collect(),
            offset: 0,
            hidden: Vec::new(),
            rowid: schema.integer_key(),
            types: schema.columns.iter().map(|c| c.ty).collect(),
            collations: schema.columns.iter().map(|c| c.collation).collect(),
        }],
        expiry: None,
    }
}

/// Binds an expression a table keeps over its columns; `what` names the place in
/// errors ("generated columns", "index expressions").
pub(in crate::sql) fn bind_kept(e: &Expr, schema: &TableSchema, what: &'static str) -> Result<BExpr> {
    let scope = schema_scope(schema);
    let clause = match what {
        "generated columns" => "not allowed in generated columns",
        "index expressions" => "not allowed in index expressions",
        _ => "not allowed in partial index WHERE clauses",
    };
    let mut binder = Binder::new(&scope, clause);
    // An index keys `name COLLATE NOCASE` by the folded text, so that its entries (and a
    // UNIQUE index's duplicates) compare under the collation, as SQLite's do.
    let bound = if what == "index expressions" { binder.bind_key(e)? } else { binder.bind(e)? };
    check_kept(&bound, what)?;
    Ok(bound)
}

/// [`bind_kept`] of an expression's SQL text.
pub fn bind_kept_sql(sql: &str, schema: &TableSchema, what: &'static str) -> Result<BExpr> {
    bind_kept(&crate::sql::parser::parse_expr(sql)?, schema, what)
}

fn check_kept(e: &BExpr, what: &str) -> Result<()> {
    let refuse = |thing: &str| Err(Error::invalid(format!("{thing} prohibited in {what}")));
    match e {
        BExpr::Subquery(..)
        | BExpr::ArraySubquery(..)
        | BExpr::Exists(..)
        | BExpr::InSubquery { .. }
        | BExpr::Outer { .. } => return refuse("subqueries"),
        BExpr::Param(_) => return refuse("parameters"),
        BExpr::Agg(_) => return refuse("aggregate functions"),
        BExpr::Func(f, args) if varies(f, args) => return refuse("non-deterministic functions"),
        _ => {}
    }
    e.children().into_iter().try_for_each(|c| check_kept(c, what))
}

/// True for a call whose answer may differ between two calls with the same arguments.
fn varies(f: &Func, args: &[BExpr]) -> bool {
    match f {
        f if f.reads_outside() => true,
        // The date functions read the clock with no time value or with 'now'.
        Func::Date(_) => {
            args.is_empty()
                || args.iter().any(|a| matches!(a, BExpr::Const(Value::Text(t)) if t.eq_ignore_ascii_case("now")))
        }
        _ => false,
    }
}

/// Checks a new table's generated columns: none in the primary key, none with a
/// DEFAULT, at least one column that is not generated, and no column that (through
/// others) is worked out from itself.
pub(in crate::sql) fn check_generated(schema: &TableSchema) -> Result<()> {
    if schema.columns.iter().all(|c| c.generated.is_some()) {
        return Err(Error::invalid("a table must have at least one non-generated column"));
    }
    if schema.primary_key.iter().any(|&k| schema.columns[k].generated.is_some()) {
        return Err(Error::invalid("generated columns cannot be part of the PRIMARY KEY"));
    }
    if schema.columns.iter().any(|c| c.generated.is_some() && c.default.is_some()) {
        return Err(Error::invalid("cannot use DEFAULT on a generated column"));
    }
    plan_generated(schema).map(drop)
}

/// A table's generated columns as steps of its writes, in an order where each column
/// comes after the generated columns it reads.
pub(super) fn plan_generated(schema: &TableSchema) -> Result<Vec<CheckPlan>> {
    let mut pending: Vec<(usize, String, BExpr)> = Vec::new();
    for (i, c) in schema.columns.iter().enumerate() {
        if let Some(g) = &c.generated {
            pending.push((i, g.sql.clone(), bind_kept_sql(&g.sql, schema, "generated columns")?));
        }
    }
    let mut done = vec![true; schema.columns.len()];
    for (i, ..) in &pending {
        done[*i] = false;
    }
    let mut steps = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready =
            pending.iter().position(|(_, _, e)| e.columns().iter().all(|&c| done.get(c).copied().unwrap_or(true)));
        let Some(at) = ready else {
            let name = &schema.columns[pending[0].0].name;
            return Err(Error::invalid(format!("generated column loop on \"{name}\"")));
        };
        let (col, sql, expr) = pending.remove(at);
        done[col] = true;
        steps.push(CheckPlan { name: schema.columns[col].name.clone(), sql, expr, generates: Some(col) });
    }
    Ok(steps)
}

/// The refusal of a write that names a generated column.
pub(super) fn refuse_generated(schema: &TableSchema, col: usize, verb: &str) -> Result<()> {
    match schema.columns.get(col) {
        Some(c) if c.generated.is_some() => {
            Err(Error::invalid(format!("cannot {verb} generated column \"{}\"", c.name)))
        }
        _ => Ok(()),
    }
}

/// `CREATE [UNIQUE] INDEX name ON table (parts) [WHERE …]` as a definition: a part that
/// is a column of the table is a plain column, any other expression is kept as SQL.
pub(super) fn plan_index(
    name: &str,
    schema: &TableSchema,
    parts: &[(Expr, bool)],
    unique: bool,
    predicate: Option<&Expr>,
) -> Result<IndexDef> {
    let mut columns = Vec::with_capacity(parts.len());
    let mut exprs = Vec::with_capacity(parts.len());
    for (part, _) in parts {
        let bound = bind_kept(part, schema, "index expressions")?;
        match bound {
            BExpr::Column(c) => {
                columns.push(c);
                exprs.push(None);
            }
            other => {
                columns.push(other.columns().first().copied().unwrap_or(0));
                exprs.push(Some(strip_outer_parens(&part.to_string())));
            }
        }
    }
    if exprs.iter().all(Option::is_none) {
        exprs.clear();
    }
    let predicate = predicate
        .map(|p| {
            bind_kept(p, schema, "partial index WHERE clauses")?;
            Ok::<_, Error>(strip_outer_parens(&p.to_string()))
        })
        .transpose()?;
    let desc = parts.iter().map(|p| p.1).collect();
    Ok(IndexDef { name: name.to_string(), columns, desc, unique, exprs, predicate })
}

/// An index definition's expression parts (`None` for a plain column) and WHERE, bound
/// over its table's columns.
pub fn index_exprs(schema: &TableSchema, def: &IndexDef) -> Result<(Vec<Option<BExpr>>, Option<BExpr>)> {
    let parts = def
        .exprs
        .iter()
        .map(|e| e.as_deref().map(|sql| bind_kept_sql(sql, schema, "index expressions")).transpose())
        .collect::<Result<Vec<_>>>()?;
    let predicate =
        def.predicate.as_deref().map(|sql| bind_kept_sql(sql, schema, "partial index WHERE clauses")).transpose()?;
    Ok((parts, predicate))
}
