//! `EXPLAIN`: a select plan printed as a tree, outermost operator first.
//!
//! ```text
//! Limit 10
//! └─ Sort: #1 DESC
//!    └─ Project: name, score
//!       └─ Filter: (#2 > 3)
//!          └─ Scan: users
//! ```
//! Columns of the input row are shown by position (`#0` is the first).

use std::fmt;

use super::plan::*;

impl fmt::Display for BExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BExpr::Const(v) => f.write_str(&crate::storage::schema::literal_sql(v)),
            BExpr::Column(i) => write!(f, "#{i}"),
            BExpr::Param(i) => write!(f, "?{}", i + 1),
            BExpr::Agg(i) => write!(f, "agg#{i}"),
            BExpr::Not(a) => write!(f, "(NOT {a})"),
            BExpr::Neg(a) => write!(f, "(- {a})"),
            BExpr::BitNot(a) => write!(f, "(~ {a})"),
            BExpr::And(a, b) => write!(f, "({a} AND {b})"),
            BExpr::Or(a, b) => write!(f, "({a} OR {b})"),
            BExpr::Compare(op, a, b) => {
                let s = match op {
                    CmpOp::Eq => "=",
                    CmpOp::NotEq => "<>",
                    CmpOp::Lt => "<",
                    CmpOp::LtEq => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::GtEq => ">=",
                };
                write!(f, "({a} {s} {b})")
            }
            BExpr::Is(a, b, neg) => write!(f, "({a} IS {}{b})", if *neg { "NOT " } else { "" }),
            BExpr::Arith(op, a, b) => write!(f, "({a} {op:?} {b})"),
            BExpr::Concat(a, b) => write!(f, "({a} || {b})"),
            BExpr::IsNull(a, neg) => write!(f, "({a} {})", if *neg { "NOTNULL" } else { "ISNULL" }),
            BExpr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                write!(
                    f,
                    "({expr} {}BETWEEN {low} AND {high})",
                    if *negated { "NOT " } else { "" }
                )
            }
            BExpr::InList {
                expr,
                list,
                negated,
            } => {
                let items: Vec<String> = list.iter().map(|e| e.to_string()).collect();
                write!(
                    f,
                    "({expr} {}IN ({}))",
                    if *negated { "NOT " } else { "" },
                    items.join(", ")
                )
            }
            BExpr::Like {
                expr,
                pattern,
                negated,
            } => {
                write!(
                    f,
                    "({expr} {}LIKE {pattern})",
                    if *negated { "NOT " } else { "" }
                )
            }
            BExpr::Case { .. } => f.write_str("CASE … END"),
            BExpr::Cast(a, ty) => write!(f, "CAST({a} AS {ty})"),
            BExpr::Func(func, args) => {
                let items: Vec<String> = args.iter().map(|e| e.to_string()).collect();
                write!(
                    f,
                    "{}({})",
                    format!("{func:?}").to_ascii_lowercase(),
                    items.join(", ")
                )
            }
        }
    }
}

/// The plan as lines of a tree.
pub fn explain(plan: &SelectPlan) -> Vec<String> {
    let mut nodes = Vec::new();
    if plan.limit.is_some() || plan.offset.is_some() {
        let mut s = String::from("Limit");
        if let Some(l) = &plan.limit {
            s.push_str(&format!(" {l}"));
        }
        if let Some(o) = &plan.offset {
            s.push_str(&format!(" offset {o}"));
        }
        nodes.push(s);
    }
    if !plan.order_by.is_empty() {
        let keys: Vec<String> = plan
            .order_by
            .iter()
            .map(|k| {
                let e = match &k.expr {
                    SortExpr::Output(i) => plan.columns[*i].clone(),
                    SortExpr::Expr(e) => e.to_string(),
                };
                if k.desc {
                    format!("{e} DESC")
                } else {
                    e
                }
            })
            .collect();
        nodes.push(format!("Sort: {}", keys.join(", ")));
    }
    if plan.distinct {
        nodes.push("Distinct".into());
    }
    nodes.push(format!("Project: {}", plan.columns.join(", ")));
    if let Some(h) = &plan.having {
        nodes.push(format!("Filter: {h}"));
    }
    if let Some(agg) = &plan.aggregate {
        let groups: Vec<String> = agg.group_by.iter().map(|g| g.to_string()).collect();
        let calls: Vec<String> = agg
            .calls
            .iter()
            .map(|c| {
                let arg = c.arg.as_ref().map_or("*".to_string(), |a| a.to_string());
                format!(
                    "{:?}({}{arg})",
                    c.func,
                    if c.distinct { "DISTINCT " } else { "" }
                )
                .to_ascii_lowercase()
            })
            .collect();
        let by = if groups.is_empty() {
            String::new()
        } else {
            format!(" by {}", groups.join(", "))
        };
        nodes.push(format!("Aggregate: {}{by}", calls.join(", ")));
    }
    if let Some(w) = &plan.filter {
        nodes.push(format!("Filter: {w}"));
    }
    nodes.push(match &plan.source {
        Source::Single => "Values: one row".to_string(),
        Source::Scan { table, as_of: None } => format!("Scan: {table}"),
        Source::Scan {
            table,
            as_of: Some(at),
        } => format!("Scan: {table} as of {at}"),
    });
    nodes
        .into_iter()
        .enumerate()
        .map(|(depth, n)| {
            if depth == 0 {
                n
            } else {
                format!("{}└─ {n}", "   ".repeat(depth - 1))
            }
        })
        .collect()
}
