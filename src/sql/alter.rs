//! ALTER TABLE: ADD COLUMN, RENAME COLUMN, RENAME TO and DROP COLUMN, planned as a new
//! schema plus what happens to every row; the executor rebuilds the table with them.

use std::sync::Arc;

use super::ast::{AlterAction, ColumnConstraint, CreateTable, Expr};
use super::parser::parse_expr;
use super::plan::{DefaultPlan, Plan, RowChange};
use super::planner::plan_create;
use crate::error::{closest, Error, ErrorKind, Result};
use crate::storage::schema::{CheckConstraint, Generated};
use crate::storage::{History, State, TableSchema, Value, WriteOp, WriteSet};

pub fn plan_alter(state: &State, table: &str, action: &AlterAction, history: &dyn History) -> Result<Plan> {
    let t = state.table_or_err(table)?;
    let mut schema: TableSchema = (*t.schema).clone();
    let key = schema.name.to_ascii_lowercase();
    let column = |name: &str| {
        schema.column_index(name).ok_or_else(|| ErrorKind::NoSuchColumn {
            name: name.to_string(),
            suggestion: closest(name, schema.columns.iter().map(|c| c.name.as_str())),
        })
    };
    let mut defaults = Vec::new();
    let rows = match action {
        AlterAction::AddColumn(def) => {
            if schema.column_index(&def.name).is_some() {
                return Err(Error::invalid(format!("duplicate column name: {}", def.name)));
            }
            // A generated column's expression reads the other columns: it is bound
            // against the whole table below.
            let generated = def.constraints.iter().find_map(|c| match c {
                ColumnConstraint::Generated { expr, stored } => Some((expr.clone(), *stored)),
                _ => None,
            });
            let mut plain = def.clone();
            plain.constraints.retain(|c| !matches!(c, ColumnConstraint::Generated { .. }));
            // Planned as a table of its own under a name no table has, so that a
            // REFERENCES to this table finds the table as it is.
            let single = CreateTable {
                name: format!("{}\u{0}added", schema.name),
                if_not_exists: false,
                columns: vec![plain],
                constraints: vec![],
                options: vec![],
            };
            let (added, added_defaults) = plan_create(&single, state)?;
            let null_default = def.constraints.iter().all(|c| match c {
                ColumnConstraint::Default(e) => matches!(e, Expr::Literal(Value::Null)),
                _ => true,
            });
            if !added.foreign_keys.is_empty() && !null_default {
                return Err(Error::invalid("cannot add a REFERENCES column with a non-NULL default"));
            }
            if !added.primary_key.is_empty() || !added.uniques.is_empty() {
                return Err(Error::invalid(
                    "ADD COLUMN cannot add a PRIMARY KEY or UNIQUE column; create a unique index instead",
                ));
            }
            let mut col = added.columns.into_iter().next().expect("the added table has the one column");
            let at = schema.columns.len();
            if let Some((expr, stored)) = generated {
                if stored {
                    return Err(Error::invalid("cannot add a STORED column (add it as VIRTUAL)"));
                }
                if col.default.is_some() || !added_defaults.is_empty() {
                    return Err(Error::invalid("cannot use DEFAULT on a generated column"));
                }
                let sql = super::planner::strip_outer_parens(&expr.to_string());
                col.generated = Some(Generated { sql, stored: false });
            }
            defaults = added_defaults.into_iter().map(|d| DefaultPlan { column: at, ..d }).collect();
            schema.columns.push(col);
            if schema.columns[at].generated.is_some() {
                super::planner::check_table_generated(&schema)?;
            }
            for mut fk in added.foreign_keys {
                fk.columns = vec![at];
                fk.name = format!("{}_{}_fkey", schema.name, def.name);
                schema.foreign_keys.push(fk);
            }
            for c in added.checks {
                let name = format!("{}_check{}", schema.name, schema.checks.len() + 1);
                schema.checks.push(CheckConstraint { name, sql: c.sql });
            }
            RowChange::AddColumn
        }
        AlterAction::RenameColumn { from, to } => {
            let i = column(from)?;
            if schema.column_index(to).is_some() {
                return Err(Error::invalid(format!("duplicate column name: {to}")));
            }
            let renamed = |sql: &mut String| -> Result<()> {
                let mut e = parse_expr(sql)?;
                rename(&mut e, from, to);
                *sql = super::planner::strip_outer_parens(&e.to_string());
                Ok(())
            };
            for check in &mut schema.checks {
                renamed(&mut check.sql)?;
            }
            for g in schema.columns.iter_mut().filter_map(|c| c.generated.as_mut()) {
                renamed(&mut g.sql)?;
            }
            for ix in &mut schema.indexes {
                ix.exprs.iter_mut().flatten().try_for_each(&renamed)?;
                ix.predicate.iter_mut().try_for_each(&renamed)?;
            }
            schema.columns[i].name = to.clone();
            RowChange::Keep
        }
        AlterAction::RenameTable(to) => {
            if state.table(to).is_some() {
                return Err(ErrorKind::TableExists(to.clone()).into());
            }
            // A key of the table that references itself follows it.
            for fk in &mut schema.foreign_keys {
                if fk.parent.eq_ignore_ascii_case(&schema.name) {
                    fk.parent = to.clone();
                }
            }
            schema.name = to.clone();
            RowChange::Keep
        }
        AlterAction::SetOptions(options) => return super::soft_delete::plan_set_options(state, table, options),
        AlterAction::DropColumn(name) => {
            let i = column(name)?;
            let in_use = |cols: &[usize]| cols.contains(&i);
            if in_use(&schema.primary_key) || schema.uniques.iter().any(|u| in_use(&u.columns)) {
                return Err(Error::invalid(format!(
                    "cannot drop column {name}: it is part of a PRIMARY KEY or UNIQUE constraint"
                )));
            }
            let reads = |sql: &String| parse_expr(sql).is_ok_and(|e| mentions(&e, name));
            let index_reads = |ix: &&crate::storage::schema::IndexDef| {
                let plain =
                    ix.columns.iter().enumerate().any(|(p, &c)| c == i && ix.exprs.get(p).is_none_or(Option::is_none));
                plain || ix.exprs.iter().flatten().any(reads) || ix.predicate.as_ref().is_some_and(reads)
            };
            if let Some(ix) = schema.indexes.iter().find(index_reads) {
                return Err(Error::invalid(format!("cannot drop column {name}: index {} uses it", ix.name)));
            }
            let generated_from = schema.columns.iter().find(|c| c.generated.as_ref().is_some_and(|g| reads(&g.sql)));
            if let Some(g) = generated_from {
                return Err(Error::invalid(format!("cannot drop column {name}: generated column {} uses it", g.name)));
            }
            if schema.checks.iter().any(|c| parse_expr(&c.sql).is_ok_and(|e| mentions(&e, name))) {
                return Err(Error::invalid(format!("cannot drop column {name}: a CHECK constraint uses it")));
            }
            if schema.columns.len() == 1 {
                return Err(Error::invalid(format!("cannot drop column {name}: it is the table's only column")));
            }
            schema.columns.remove(i);
            let shift = |c: &mut usize| {
                if *c > i {
                    *c -= 1
                }
            };
            schema.primary_key.iter_mut().for_each(shift);
            schema.uniques.iter_mut().for_each(|u| u.columns.iter_mut().for_each(shift));
            schema.indexes.iter_mut().for_each(|ix| ix.columns.iter_mut().for_each(shift));
            used_elsewhere(state, &key, &schema, name, history)?;
            RowChange::Remove(i)
        }
    };
    Ok(Plan::AlterTable { table: key, schema: Arc::new(schema), rows, defaults })
}

/// What else `ALTER TABLE from RENAME TO to` changes, as SQLite does: views and
/// triggers that read or write the table name it anew (each dropped and made again
/// with its SQL rewritten), and other tables' foreign keys reference it anew.
pub fn follow_rename(state: &State, from: &str, to: &str) -> Result<Vec<Plan>> {
    use super::ast::Statement;
    let mut steps = Vec::new();
    for v in state.views() {
        let mut stmt = super::parser::parse(&v.sql)?;
        if super::namespace::rename_table(&mut stmt, from, to, state)? {
            let Statement::Select(query) = stmt else { continue };
            let view = crate::storage::ViewDef { sql: query.to_string(), ..(**v).clone() };
            steps.push(Plan::DropView { name: v.name.clone(), if_exists: false });
            steps.push(Plan::CreateView { view: Arc::new(view), if_not_exists: false });
        }
    }
    for t in state.triggers() {
        let mut stmt = super::parser::parse(&t.sql)?;
        if super::namespace::rename_table(&mut stmt, from, to, state)? {
            let Statement::CreateTrigger(def) = stmt else { continue };
            let trigger = crate::storage::TriggerDef {
                table: def.table.to_ascii_lowercase(),
                sql: def.to_string(),
                ..(**t).clone()
            };
            steps.push(Plan::DropTrigger { name: t.name.clone(), if_exists: false });
            steps.push(Plan::CreateTrigger { trigger: Arc::new(trigger), if_not_exists: false });
        }
    }
    for t in state.tables() {
        let refers = |fk: &crate::storage::schema::ForeignKey| fk.parent.eq_ignore_ascii_case(from);
        if t.name().eq_ignore_ascii_case(from) || !t.schema.foreign_keys.iter().any(refers) {
            continue;
        }
        let mut schema = (*t.schema).clone();
        for fk in schema.foreign_keys.iter_mut().filter(|fk| refers(fk)) {
            fk.parent = to.to_string();
        }
        let table = schema.name.to_ascii_lowercase();
        steps.push(Plan::AlterTable { table, schema: Arc::new(schema), rows: RowChange::Keep, defaults: Vec::new() });
    }
    Ok(steps)
}

/// Refuses to drop a column that a trigger names or without which a view no longer plans
/// (`SELECT *` goes on working), as SQLite does.
fn used_elsewhere(state: &State, table: &str, schema: &TableSchema, column: &str, history: &dyn History) -> Result<()> {
    use super::ast::Statement;
    for t in state.triggers() {
        let Ok(Statement::CreateTrigger(mut def)) = super::parser::parse(&t.sql) else { continue };
        let on_table = def.table.eq_ignore_ascii_case(table);
        let mut named = def.when.as_ref().is_some_and(|w| mentions(w, column));
        for step in &mut def.body {
            let target = match step {
                Statement::Insert(i) => {
                    named |= i.columns.iter().flatten().any(|c| c.eq_ignore_ascii_case(column));
                    Some(&i.table)
                }
                Statement::Update(u) => {
                    named |= u.assignments.iter().any(|(c, _)| c.eq_ignore_ascii_case(column));
                    Some(&u.table)
                }
                Statement::Delete(d) => Some(&d.table),
                _ => None,
            };
            let writes_table = target.is_some_and(|t| t.eq_ignore_ascii_case(table));
            let mut found = false;
            step.walk_exprs_mut(&mut |e| {
                if let Expr::Column { name, .. } = e {
                    found |= name.eq_ignore_ascii_case(column);
                }
            });
            if (on_table || writes_table) && (named || found) {
                return Err(Error::invalid(format!("cannot drop column {column}: trigger {} uses it", t.name)));
            }
        }
        if on_table && named {
            return Err(Error::invalid(format!("cannot drop column {column}: trigger {} uses it", t.name)));
        }
    }
    if state.views().next().is_none() {
        return Ok(());
    }
    let ops = vec![WriteOp::DropTable(table.to_string()), WriteOp::CreateTable(Arc::new(schema.clone()))];
    let after = state.applied(&WriteSet { ops })?;
    for v in state.views() {
        let query = format!("SELECT * FROM {}", crate::storage::schema::quote_stored(&v.name));
        let planned = super::parser::parse(&query).and_then(|stmt| super::planner::plan(&stmt, &after, history));
        if let Err(e) = planned {
            return Err(Error::invalid(format!("cannot drop column {column}: view {} uses it ({e})", v.name)));
        }
    }
    Ok(())
}

/// Renames every reference to a column.
fn rename(e: &mut Expr, from: &str, to: &str) {
    visit(e, &mut |e| {
        if let Expr::Column { name, .. } = e {
            if name.eq_ignore_ascii_case(from) {
                *name = to.to_string();
            }
        }
    });
}

fn mentions(e: &Expr, column: &str) -> bool {
    let mut found = false;
    let mut e = e.clone();
    visit(&mut e, &mut |e| {
        if let Expr::Column { name, .. } = e {
            found |= name.eq_ignore_ascii_case(column);
        }
    });
    found
}

fn visit(e: &mut Expr, f: &mut impl FnMut(&mut Expr)) {
    f(e);
    match e {
        Expr::Literal(_) | Expr::Column { .. } | Expr::Param(_) | Expr::Subquery(_) | Expr::Exists(_) => {}
        Expr::InSelect { expr, .. } => visit(expr, f),
        Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } | Expr::Collate { expr, .. } => {
            visit(expr, f)
        }
        Expr::Binary { left, right, .. } => {
            visit(left, f);
            visit(right, f);
        }
        Expr::Between { expr, low, high, .. } => {
            visit(expr, f);
            visit(low, f);
            visit(high, f);
        }
        Expr::InList { expr, list, .. } => {
            visit(expr, f);
            list.iter_mut().for_each(|x| visit(x, f));
        }
        Expr::Case { operand, whens, else_ } => {
            if let Some(o) = operand {
                visit(o, f);
            }
            for (w, t) in whens {
                visit(w, f);
                visit(t, f);
            }
            if let Some(x) = else_ {
                visit(x, f);
            }
        }
        Expr::Function { args, .. } => args.iter_mut().for_each(|x| visit(x, f)),
    }
}
