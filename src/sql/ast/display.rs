//! Every node of the tree printed back as SQL: `parse(x.to_string())` gives `x` again.

use std::fmt;

use super::*;
use crate::storage::schema::{literal_sql, quote_ident, quote_stored};

impl fmt::Display for SetOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetOp::Union => "UNION",
            SetOp::UnionAll => "UNION ALL",
            SetOp::Intersect => "INTERSECT",
            SetOp::Except => "EXCEPT",
        })
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.subquery, &self.function) {
            (Some(q), _) => write!(f, "({q})")?,
            (None, Some(args)) => write!(f, "{}({})", quote_ident(&self.name), comma(args))?,
            (None, None) => f.write_str(&quote_stored(&self.name))?,
        }
        if self.ordinality {
            f.write_str(" WITH ORDINALITY")?;
        }
        if let Some(at) = &self.as_of {
            write!(f, " AS OF {at}")?;
        }
        if let Some(p) = &self.period {
            let (from, to) =
                (crate::storage::time::format_timestamp(p.from), crate::storage::time::format_timestamp(p.to));
            match p.through {
                true => write!(f, " FOR SYSTEM_TIME BETWEEN '{from}' AND '{to}'")?,
                false => write!(f, " FOR SYSTEM_TIME FROM '{from}' TO '{to}'")?,
            }
        }
        if self.including_deleted {
            f.write_str(" INCLUDING DELETED")?;
        }
        if let Some(a) = &self.alias {
            write!(f, " AS {}", quote_ident(a))?;
        }
        if !self.columns.is_empty() {
            let names: Vec<String> = self.columns.iter().map(|c| quote_ident(c)).collect();
            write!(f, " ({})", names.join(", "))?;
        }
        Ok(())
    }
}

impl fmt::Display for FromTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.table)?;
        for j in &self.joins {
            let natural = if j.natural { "NATURAL " } else { "" };
            let kind = match j.kind {
                JoinKind::Inner => "JOIN",
                JoinKind::Left => "LEFT JOIN",
                JoinKind::Cross => "CROSS JOIN",
            };
            write!(f, " {natural}{kind} {}", j.table)?;
            if let Some(on) = &j.on {
                write!(f, " ON {on}")?;
            }
            if !j.using.is_empty() {
                let names: Vec<String> = j.using.iter().map(|u| quote_ident(u)).collect();
                write!(f, " USING ({})", names.join(", "))?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for CreateTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE TRIGGER ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(
            f,
            "{} {} {} ON {} FOR EACH ROW",
            quote_stored(&self.name),
            self.timing.sql(),
            self.event.sql(),
            quote_stored(&self.table)
        )?;
        if let Some(w) = &self.when {
            write!(f, " WHEN {w}")?;
        }
        f.write_str(" BEGIN")?;
        for step in &self.body {
            match step {
                Statement::Select(s) => write!(f, " {s};")?,
                Statement::Insert(i) => write!(f, " {i};")?,
                Statement::Update(u) => write!(f, " {u};")?,
                Statement::Delete(d) => write!(f, " {d};")?,
                _ => return Err(fmt::Error),
            }
        }
        f.write_str(" END")
    }
}

fn ttl_sql(ttl: &Option<Option<String>>) -> String {
    match ttl {
        None => String::new(),
        Some(None) => " WITH TTL NULL".to_string(),
        Some(Some(t)) => format!(" WITH TTL {}", literal_sql(&Value::text(t))),
    }
}

impl fmt::Display for Insert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(w) = &self.with {
            write!(f, "{w} ")?;
        }
        match self.conflict {
            Conflict::Abort => write!(f, "INSERT INTO {}", quote_stored(&self.table))?,
            other => write!(f, "INSERT OR {} INTO {}", other.sql(), quote_stored(&self.table))?,
        }
        if let Some(a) = &self.alias {
            write!(f, " AS {}", quote_ident(a))?;
        }
        if let Some(cols) = &self.columns {
            let names: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
            write!(f, " ({})", names.join(", "))?;
        }
        match &self.source {
            InsertSource::Values(rows) => {
                let rows: Vec<String> = rows.iter().map(|r| format!("({})", comma(r))).collect();
                write!(f, " VALUES {}", rows.join(", "))?;
            }
            InsertSource::Select(s) => write!(f, " {s}")?,
            InsertSource::DefaultValues => f.write_str(" DEFAULT VALUES")?,
        }
        for u in &self.upserts {
            f.write_str(" ON CONFLICT")?;
            if let Some(cols) = &u.target {
                let names: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
                write!(f, " ({})", names.join(", "))?;
            }
            if !u.target_exprs.is_empty() {
                let exprs: Vec<String> = u.target_exprs.iter().map(|e| e.to_string()).collect();
                write!(f, " ({})", exprs.join(", "))?;
            }
            if let Some(w) = &u.target_filter {
                write!(f, " WHERE {w}")?;
            }
            match &u.update {
                None => f.write_str(" DO NOTHING")?,
                Some(up) => {
                    write!(f, " DO UPDATE SET {}", assignments_sql(&up.assignments))?;
                    if let Some(w) = &up.filter {
                        write!(f, " WHERE {w}")?;
                    }
                }
            }
        }
        f.write_str(&ttl_sql(&self.ttl))?;
        f.write_str(&returning_sql(&self.returning))
    }
}

fn assignments_sql(assignments: &[(String, Expr)]) -> String {
    assignments.iter().map(|(c, e)| format!("{} = {e}", quote_ident(c))).collect::<Vec<_>>().join(", ")
}

fn returning_sql(items: &[SelectItem]) -> String {
    match items.is_empty() {
        true => String::new(),
        false => format!(" RETURNING {}", comma(items)),
    }
}

impl fmt::Display for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(w) = &self.with {
            write!(f, "{w} ")?;
        }
        f.write_str("UPDATE ")?;
        if self.conflict != Conflict::Abort {
            write!(f, "OR {} ", self.conflict.sql())?;
        }
        write!(f, "{} SET {}", quote_stored(&self.table), assignments_sql(&self.assignments))?;
        if !self.from.is_empty() {
            write!(f, " FROM {}", comma(&self.from))?;
        }
        if let Some(w) = &self.filter {
            write!(f, " WHERE {w}")?;
        }
        f.write_str(&ttl_sql(&self.ttl))?;
        f.write_str(&returning_sql(&self.returning))?;
        f.write_str(&limit_sql(&self.limit))
    }
}

fn limit_sql(limit: &Option<RowLimit>) -> String {
    let Some(l) = limit else { return String::new() };
    let mut out = String::new();
    if !l.order_by.is_empty() {
        out += &format!(" ORDER BY {}", comma(&l.order_by));
    }
    out += &format!(" LIMIT {}", l.limit);
    if let Some(o) = &l.offset {
        out += &format!(" OFFSET {o}");
    }
    out
}

impl fmt::Display for Delete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(w) = &self.with {
            write!(f, "{w} ")?;
        }
        write!(f, "{} FROM {}", self.mode.keyword(), quote_stored(&self.table))?;
        if let Some(w) = &self.filter {
            write!(f, " WHERE {w}")?;
        }
        f.write_str(&returning_sql(&self.returning))?;
        f.write_str(&limit_sql(&self.limit))
    }
}

fn comma<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(v) => f.write_str(&literal_sql(v)),
            Expr::Column { table: Some(t), name } => {
                write!(f, "{}.{}", quote_ident(t), quote_ident(name))
            }
            Expr::Column { table: None, name } => f.write_str(&quote_ident(name)),
            Expr::Param(n) => write!(f, "?{n}"),
            Expr::Unary { op, expr } => match op {
                UnaryOp::Not => write!(f, "(NOT {expr})"),
                UnaryOp::Neg => write!(f, "(- {expr})"),
                UnaryOp::Plus => write!(f, "(+ {expr})"),
                UnaryOp::BitNot => write!(f, "(~ {expr})"),
            },
            Expr::Binary { op, left, right } => write!(f, "({left} {} {right})", op.sql()),
            Expr::IsNull { expr, negated } => {
                write!(f, "({expr} {})", if *negated { "NOTNULL" } else { "ISNULL" })
            }
            Expr::Between { expr, low, high, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}BETWEEN {low} AND {high})")
            }
            Expr::InList { expr, list, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}IN ({}))", comma(list))
            }
            Expr::InSelect { expr, query, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}IN ({query}))")
            }
            Expr::Subquery(q) => write!(f, "({q})"),
            Expr::Exists(q) => write!(f, "EXISTS ({q})"),
            Expr::Case { operand, whens, else_ } => {
                f.write_str("CASE")?;
                if let Some(o) = operand {
                    write!(f, " {o}")?;
                }
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(e) = else_ {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END")
            }
            Expr::Cast { expr, type_name } => write!(f, "CAST({expr} AS {type_name})"),
            Expr::Collate { expr, collation } => write!(f, "{expr} COLLATE {}", collation.name()),
            // RAISE(action[, message]) prints as it is written.
            Expr::Function { name, args, .. } if raise_action(name, args).is_some() => {
                let action = raise_action(name, args).unwrap_or_default();
                match args.get(1) {
                    Some(message) => write!(f, "RAISE({action}, {message})"),
                    None => write!(f, "RAISE({action})"),
                }
            }
            Expr::Function { name, args, distinct, star, filter, over } => {
                let d = if *distinct { "DISTINCT " } else { "" };
                if *star {
                    write!(f, "{}(*)", quote_ident(name))?;
                } else {
                    write!(f, "{}({d}{})", quote_ident(name), comma(args))?;
                }
                if let Some(w) = filter {
                    write!(f, " FILTER (WHERE {w})")?;
                }
                if let Some(w) = over {
                    write!(f, " OVER ({w})")?;
                }
                Ok(())
            }
        }
    }
}

/// The action of a `RAISE(…)` call, as the parser builds it.
fn raise_action<'a>(name: &str, args: &'a [Expr]) -> Option<&'a str> {
    let Some(Expr::Literal(Value::Text(action))) = args.first() else { return None };
    let action = action.as_str();
    let known = ["IGNORE", "ROLLBACK", "ABORT", "FAIL"].contains(&action);
    let arity = if action == "IGNORE" { 1 } else { 2 };
    (name.eq_ignore_ascii_case("raise") && known && args.len() == arity).then_some(action)
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Wildcard => f.write_str("*"),
            SelectItem::TableWildcard(t) => write!(f, "{}.*", quote_ident(t)),
            SelectItem::Expr { expr, alias: Some(a), .. } => write!(f, "{expr} AS {}", quote_ident(a)),
            SelectItem::Expr { expr, alias: None, .. } => write!(f, "{expr}"),
        }
    }
}

impl fmt::Display for OrderItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if self.desc {
            f.write_str(" DESC")?;
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for With {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.recursive { "WITH RECURSIVE " } else { "WITH " })?;
        for (i, c) in self.ctes.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&quote_ident(&c.name))?;
            if !c.columns.is_empty() {
                let names: Vec<String> = c.columns.iter().map(|c| quote_ident(c)).collect();
                write!(f, " ({})", names.join(", "))?;
            }
            f.write_str(" AS ")?;
            match c.materialized {
                Some(true) => f.write_str("MATERIALIZED ")?,
                Some(false) => f.write_str("NOT MATERIALIZED ")?,
                None => {}
            }
            write!(f, "({})", c.query)?;
        }
        Ok(())
    }
}

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(b) = &self.base {
            parts.push(quote_ident(b));
        }
        if !self.partition_by.is_empty() {
            parts.push(format!("PARTITION BY {}", comma(&self.partition_by)));
        }
        if !self.order_by.is_empty() {
            parts.push(format!("ORDER BY {}", comma(&self.order_by)));
        }
        if let Some(frame) = &self.frame {
            let units = match frame.units {
                FrameUnits::Rows => "ROWS",
                FrameUnits::Range => "RANGE",
                FrameUnits::Groups => "GROUPS",
            };
            let bound = |b: &FrameBound| match b {
                FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".to_string(),
                FrameBound::Preceding(e) => format!("{e} PRECEDING"),
                FrameBound::CurrentRow => "CURRENT ROW".to_string(),
                FrameBound::Following(e) => format!("{e} FOLLOWING"),
                FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".to_string(),
            };
            let exclude = match frame.exclude {
                FrameExclude::NoOthers => "",
                FrameExclude::CurrentRow => " EXCLUDE CURRENT ROW",
                FrameExclude::Group => " EXCLUDE GROUP",
                FrameExclude::Ties => " EXCLUDE TIES",
            };
            parts.push(format!("{units} BETWEEN {} AND {}{exclude}", bound(&frame.start), bound(&frame.end)));
        }
        f.write_str(&parts.join(" "))
    }
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(w) = &self.with {
            write!(f, "{w} ")?;
        }
        f.write_str("SELECT ")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        f.write_str(&comma(&self.columns))?;
        if !self.from.is_empty() {
            write!(f, " FROM {}", comma(&self.from))?;
        }
        if let Some(w) = &self.filter {
            write!(f, " WHERE {w}")?;
        }
        if !self.group_by.is_empty() {
            write!(f, " GROUP BY {}", comma(&self.group_by))?;
        }
        if let Some(h) = &self.having {
            write!(f, " HAVING {h}")?;
        }
        if !self.windows.is_empty() {
            let defs: Vec<String> = self.windows.iter().map(|(n, w)| format!("{} AS ({w})", quote_ident(n))).collect();
            write!(f, " WINDOW {}", defs.join(", "))?;
        }
        for (op, s) in &self.compound {
            write!(f, " {op} {s}")?;
        }
        if !self.order_by.is_empty() {
            write!(f, " ORDER BY {}", comma(&self.order_by))?;
        }
        if let Some(l) = &self.limit {
            write!(f, " LIMIT {l}")?;
        }
        if let Some(o) = &self.offset {
            write!(f, " OFFSET {o}")?;
        }
        Ok(())
    }
}
