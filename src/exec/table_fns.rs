//! The rows of table functions in FROM: `json_each` and `json_tree`, `generate_series`,
//! `pg_partition_ancestors`, and the database's reports on itself (`amber_stats()` …).

use super::eval::{is_true, Ctx, Env};
use crate::error::{Error, Result};
use crate::storage::rows::Mask;
use crate::storage::Value;

/// The rows of `json_each` or `json_tree` for its arguments that `filter` (over the
/// function's columns) keeps, each written into `out` after what it holds.
pub(super) fn json_table_rows(
    (kind, reads, ordinality): (crate::sql::plan::TableFn, Option<Mask>, bool),
    args: &[Value],
    filter: Option<&crate::sql::plan::BExpr>,
    ctx: &Ctx,
    out: &mut Vec<Value>,
    f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    use crate::sql::plan::TableFn;
    let prefix = out.len();
    let mut number = 0i64;
    let mut keep = |row: &Vec<Value>| {
        // WITH ORDINALITY: the row's number after its columns.
        let numbered;
        let row = if ordinality {
            number += 1;
            numbered = row.iter().cloned().chain([Value::Integer(number)]).collect::<Vec<_>>();
            &numbered
        } else {
            row
        };
        if let Some(cond) = filter {
            if !is_true(cond, &Env { row: &row[prefix..], aggs: &[], ctx })? {
                return Ok(true);
            }
        }
        f(row)
    };
    match kind {
        TableFn::Series => return series_rows(args, ctx, out, &mut keep),
        // No partitions: a relation is its only ancestor.
        TableFn::Ancestors => {
            let relation = args.first().cloned().map(crate::sql::binder::numeric_affinity).unwrap_or(Value::Null);
            if relation.is_null() {
                return Ok(true);
            }
            out.push(relation);
            let more = keep(out)?;
            out.truncate(prefix);
            return Ok(more);
        }
        TableFn::Archive => {
            let Some(Value::Text(path)) = args.first() else {
                return Err(Error::invalid("archive() takes the name of an archive file"));
            };
            // Only the columns the statement reads are decoded; each value moves into the
            // row handed on, not copied.
            let wanted = |c: usize| reads.is_none_or(|m| m.has(c));
            let (header, mut columns) = crate::storage::archive::read_columns(path, &wanted)?;
            for i in 0..header.rows as usize {
                if i % 1024 == 0 {
                    ctx.check_interrupt()?;
                }
                for column in columns.iter_mut() {
                    out.push(column.as_mut().map_or(Value::Null, |c| std::mem::replace(&mut c[i], Value::Null)));
                }
                let more = keep(out)?;
                out.truncate(prefix);
                if !more {
                    return Ok(false);
                }
            }
            return Ok(true);
        }
        TableFn::JsonEach | TableFn::JsonTree => {}
        TableFn::Settings => {
            // The client's settings, then the database's own that the client has not set.
            let client = ctx.counters.map(|c| c.settings()).unwrap_or_default();
            let own = match ctx.history {
                Some(h) => h.report("pg_settings")?,
                None => Vec::new(),
            };
            // name, setting, unit, category, short_desc, context, vartype, source
            let row = |name: Value, setting: Value, [category, context, source]: [&str; 3]| {
                let text = |s: &str| Value::text(s);
                vec![name, setting, Value::Null, text(category), text(""), text(context), text("string"), text(source)]
            };
            let mut rows: Vec<Vec<Value>> = client
                .iter()
                .map(|(n, v)| row(Value::text(n), Value::text(v), ["Client Connection Defaults", "user", "session"]))
                .collect();
            for r in own {
                if !client.iter().any(|(n, _)| matches!(&r[0], Value::Text(t) if t.eq_ignore_ascii_case(n))) {
                    rows.push(row(r[0].clone(), r[1].clone(), ["AmberDB", "superuser", "database"]));
                }
            }
            return hand_on(rows, out, &mut keep, ctx);
        }
        TableFn::Stats
        | TableFn::Statements
        | TableFn::SlowQueries
        | TableFn::Memory
        | TableFn::Commits
        | TableFn::Cluster
        | TableFn::History => {
            let history = ctx.history.ok_or_else(|| {
                crate::error::Error::invalid(format!("{}() reads a database; there is none here", kind.name()))
            })?;
            let rows = match (kind, args) {
                (TableFn::History, [Value::Text(name)]) => history.changes(name, None)?,
                (TableFn::History, [Value::Text(name), key]) => history.changes(name, Some(key))?,
                (TableFn::History, _) => return Err(Error::invalid("history() takes the name of a table")),
                _ => history.report(kind.name())?,
            };
            return hand_on(rows, out, &mut keep, ctx);
        }
    }
    super::json::table_rows(kind == crate::sql::plan::TableFn::JsonTree, args, reads, ctx, out, &mut keep)
}

/// Hands each of `rows` on to `f` after what `out` holds, until `f` says stop (false).
fn hand_on(
    rows: Vec<Vec<Value>>,
    out: &mut Vec<Value>,
    f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
    ctx: &Ctx,
) -> Result<bool> {
    let prefix = out.len();
    for row in rows {
        ctx.check_interrupt()?;
        out.extend(row);
        let more = f(out)?;
        out.truncate(prefix);
        if !more {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `generate_series(start, stop[, step])`: start, start + step, … while not past
/// stop; none when an argument is NULL, an error for a step of 0.
fn series_rows(
    args: &[Value],
    ctx: &Ctx,
    out: &mut Vec<Value>,
    f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    let int = |i: usize| -> Result<Option<i64>> {
        match args.get(i).cloned().map(crate::sql::binder::numeric_affinity) {
            None if i == 2 => Ok(Some(1)),
            None | Some(Value::Null) => Ok(None),
            Some(Value::Integer(n)) => Ok(Some(n)),
            Some(Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9.0e18 => Ok(Some(r as i64)),
            Some(v) => Err(Error::invalid(format!("generate_series takes integers, not {}", v.type_name()))),
        }
    };
    let (Some(start), Some(stop), Some(step)) = (int(0)?, int(1)?, int(2)?) else { return Ok(true) };
    if step == 0 {
        return Err(Error::invalid("generate_series: the step size cannot be zero"));
    }
    let prefix = out.len();
    let mut n = start;
    let mut count = 0u32;
    while (step > 0 && n <= stop) || (step < 0 && n >= stop) {
        count = count.wrapping_add(1);
        if count.is_multiple_of(1024) {
            ctx.check_interrupt()?;
        }
        out.truncate(prefix);
        out.push(Value::Integer(n));
        if !f(out)? {
            return Ok(false);
        }
        match n.checked_add(step) {
            Some(next) => n = next,
            None => break,
        }
    }
    out.truncate(prefix);
    Ok(true)
}
