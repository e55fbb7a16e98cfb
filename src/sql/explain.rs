//! `EXPLAIN`: a select plan printed as a tree, outermost operator first.
//!
//! ```text
//! Limit 10
//! └─ Project: name, score
//!    └─ Filter: score > 3
//!       └─ Index scan: players using players_score in reverse order
//! ```

use std::fmt;

use super::plan::*;
use crate::storage::schema::literal_sql;
use crate::storage::State;

/// A bound expression shown with the names of the input columns.
struct Named<'a>(&'a BExpr, &'a [String]);

impl Named<'_> {
    fn child<'b>(&'b self, e: &'b BExpr) -> Named<'b> {
        Named(e, self.1)
    }

    fn list(&self, items: &[BExpr]) -> String {
        items.iter().map(|e| self.child(e).to_string()).collect::<Vec<_>>().join(", ")
    }
}

fn cmp_sql(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::NotEq => "<>",
        CmpOp::Lt => "<",
        CmpOp::LtEq => "<=",
        CmpOp::Gt => ">",
        CmpOp::GtEq => ">=",
    }
}

fn arith_sql(op: ArithOp) -> &'static str {
    match op {
        ArithOp::Add => "+",
        ArithOp::Sub => "-",
        ArithOp::Mul => "*",
        ArithOp::Div => "/",
        ArithOp::Mod => "%",
        ArithOp::BitAnd => "&",
        ArithOp::BitOr => "|",
        ArithOp::ShiftLeft => "<<",
        ArithOp::ShiftRight => ">>",
    }
}

impl fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |e| self.child(e);
        let not = |n: &bool| if *n { "NOT " } else { "" };
        match self.0 {
            BExpr::Const(v) => f.write_str(&literal_sql(v)),
            BExpr::Column(i) => match self.1.get(*i) {
                Some(name) => f.write_str(name),
                None => write!(f, "#{i}"),
            },
            BExpr::Param(i) => write!(f, "?{}", i + 1),
            BExpr::Agg(i) => write!(f, "agg#{i}"),
            BExpr::Not(a) => write!(f, "NOT {}", c(a)),
            BExpr::Neg(a) => write!(f, "-{}", c(a)),
            BExpr::BitNot(a) => write!(f, "~{}", c(a)),
            BExpr::And(a, b) => write!(f, "({} AND {})", c(a), c(b)),
            BExpr::Or(a, b) => write!(f, "({} OR {})", c(a), c(b)),
            BExpr::Compare(op, a, b) => write!(f, "{} {} {}", c(a), cmp_sql(*op), c(b)),
            BExpr::Is { left: a, right: b, negated: neg } => write!(f, "{} IS {}{}", c(a), not(neg), c(b)),
            BExpr::Arith(op, a, b) => write!(f, "({} {} {})", c(a), arith_sql(*op), c(b)),
            BExpr::Concat(a, b) => write!(f, "({} || {})", c(a), c(b)),
            BExpr::IsNull { expr: a, negated: neg } => write!(f, "{} IS {}NULL", c(a), not(neg)),
            BExpr::Between { expr, low, high, negated } => {
                write!(f, "{} {}BETWEEN {} AND {}", c(expr), not(negated), c(low), c(high))
            }
            BExpr::InList { expr, list, negated } => write!(f, "{} {}IN ({})", c(expr), not(negated), self.list(list)),
            BExpr::Like { expr, pattern, negated } => write!(f, "{} {}LIKE {}", c(expr), not(negated), c(pattern)),
            BExpr::Case { .. } => f.write_str("CASE … END"),
            BExpr::Outer { depth, column } => write!(f, "outer{depth}#{column}"),
            BExpr::ArraySubquery(_, correlated) => {
                f.write_str(if *correlated { "ARRAY(correlated subquery)" } else { "ARRAY(subquery)" })
            }
            BExpr::Subquery(_, correlated) => {
                f.write_str(if *correlated { "(correlated subquery)" } else { "(subquery)" })
            }
            BExpr::Exists(_, correlated) => {
                f.write_str(if *correlated { "EXISTS (correlated subquery)" } else { "EXISTS (subquery)" })
            }
            BExpr::InSubquery { expr, negated, .. } => write!(f, "{} {}IN (subquery)", c(expr), not(negated)),
            BExpr::Cast(a, ty) => write!(f, "CAST({} AS {ty})", c(a)),
            BExpr::Func(Func::Collate(c), args) => write!(f, "{} COLLATE {}", self.list(args), c.name()),
            BExpr::Func(func @ Func::Json(JsonFunc::Arrow | JsonFunc::Arrow2, ..), args) if args.len() == 2 => {
                let op = super::binder::scalar_name(func).unwrap_or("->");
                write!(f, "{} {op} {}", self.list(&args[..1]), self.list(&args[1..]))
            }
            BExpr::Func(func, args) => match super::binder::scalar_name(func) {
                Some(name) => write!(f, "{name}({})", self.list(args)),
                None => write!(f, "{}({})", format!("{func:?}").to_ascii_lowercase(), self.list(args)),
            },
        }
    }
}

impl fmt::Display for BExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Named(self, &[]).fmt(f)
    }
}

/// `a = 1 AND b >= 2 AND b < 9` for a prefix and a range over key columns.
fn conditions(names: &[String], prefix: &[BExpr], range: &Range) -> String {
    let none: [String; 0] = [];
    let shown = |e: &BExpr| Named(e, &none).to_string();
    let mut parts: Vec<String> = prefix.iter().zip(names).map(|(v, n)| format!("{n} = {}", shown(v))).collect();
    if let Some(next) = names.get(prefix.len()) {
        if let Some(lo) = &range.lo {
            parts.push(format!("{next} {} {}", if lo.inclusive { ">=" } else { ">" }, shown(&lo.value)));
        }
        if let Some(hi) = &range.hi {
            parts.push(format!("{next} {} {}", if hi.inclusive { "<=" } else { "<" }, shown(&hi.value)));
        }
    }
    parts.join(" AND ")
}

fn lookups(names: &[String], keys: &[Vec<BExpr>]) -> String {
    let none: [String; 0] = [];
    let tuple = |k: &Vec<BExpr>| {
        let vals: Vec<String> = k.iter().map(|v| Named(v, &none).to_string()).collect();
        if vals.len() == 1 {
            vals[0].clone()
        } else {
            format!("({})", vals.join(", "))
        }
    };
    let cols = &names[..keys.first().map_or(0, Vec::len).min(names.len())];
    let col = if cols.len() == 1 { cols[0].clone() } else { format!("({})", cols.join(", ")) };
    match keys {
        [one] => format!("{col} = {}", tuple(one)),
        many => format!("{col} IN ({})", many.iter().map(tuple).collect::<Vec<_>>().join(", ")),
    }
}

/// How a scan reads its table, in words.
fn access_line(table: &str, access: &Access, state: &State) -> String {
    let t = state.table(table);
    let names = |cols: &[usize]| -> Vec<String> {
        t.map(|t| cols.iter().map(|&c| t.schema.columns[c].name.clone()).collect()).unwrap_or_default()
    };
    let pk = names(t.map(|t| t.schema.primary_key.as_slice()).unwrap_or(&[]));
    // An expression part is shown as its SQL.
    let index_cols = |name: &str| -> Vec<String> {
        let Some((t, ix)) = t.and_then(|t| t.index(name).map(|i| (t, i))) else { return Vec::new() };
        let def = t.schema.indexes.iter().find(|d| d.name == ix.name);
        (0..ix.columns.len())
            .map(|i| match def.and_then(|d| d.exprs.get(i)).and_then(Option::as_ref) {
                Some(sql) => sql.clone(),
                None => t.schema.columns[ix.columns[i]].name.clone(),
            })
            .collect()
    };
    match access {
        Access::Full { reverse: false } => format!("Scan: {table}"),
        Access::Full { reverse: true } => format!("Scan: {table} in reverse key order"),
        Access::Keys(keys) => format!("Key lookup: {table} ({})", lookups(&pk, keys)),
        Access::KeyRange { prefix, range } => format!("Key range: {table} ({})", conditions(&pk, prefix, range)),
        Access::Index { name, prefix, range, reverse } if prefix.is_empty() && range.is_empty() => {
            format!("Index scan: {table} using {name}{}", if *reverse { " in reverse order" } else { "" })
        }
        Access::Index { name, prefix, range, .. } => {
            let cols = index_cols(name);
            let what = if range.is_empty() { "Index lookup" } else { "Index range" };
            format!("{what}: {table} using {name} ({})", conditions(&cols, prefix, range))
        }
        Access::IndexKeys { name, keys } => {
            format!("Index lookup: {table} using {name} ({})", lookups(&index_cols(name), keys))
        }
    }
}

/// Nodes, outermost first, drawn as a tree.
fn tree(nodes: Vec<String>) -> Vec<String> {
    nodes
        .into_iter()
        .enumerate()
        .map(|(depth, n)| if depth == 0 { n } else { format!("{}└─ {n}", "   ".repeat(depth - 1)) })
        .collect()
}

/// The plan of an UPDATE or DELETE as lines of a tree.
pub fn explain_write(plan: &Plan, state: &State) -> Vec<String> {
    let (table, access, filter, head) = match plan {
        Plan::Update(u) => {
            let names = state
                .table(&u.table)
                .map(|t| t.schema.column_names(&u.assignments.iter().map(|a| a.0).collect::<Vec<_>>()));
            (&u.table, &u.access, &u.filter, format!("Update: {} set {}", u.table, names.unwrap_or_default()))
        }
        Plan::Delete(d) => (&d.table, &d.access, &d.filter, format!("Delete: {}", d.table)),
        // A view's rows, each handed to its INSTEAD OF triggers.
        Plan::ViewWrite(v) => {
            let (verb, rows) = match &v.kind {
                ViewWrite::Update { rows, .. } => ("Update", rows),
                ViewWrite::Delete { rows } => ("Delete", rows),
                ViewWrite::Insert { .. } => return vec![format!("Insert: view {} (INSTEAD OF triggers)", v.view)],
            };
            let mut lines = vec![format!("{verb}: view {} (INSTEAD OF triggers)", v.view)];
            lines.extend(explain(rows, state).into_iter().map(|l| format!("   {l}")));
            return lines;
        }
        _ => return vec!["(only SELECT, UPDATE and DELETE can be explained)".to_string()],
    };
    let names: Vec<String> =
        state.table(table).map(|t| t.schema.columns.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
    let mut nodes = vec![head];
    if let Some(f) = filter {
        nodes.push(format!("Filter: {}", Named(f, &names)));
    }
    nodes.push(access_line(table, access, state));
    tree(nodes)
}

/// Any statement's plan as lines of a tree: a query's or an UPDATE's or DELETE's
/// tree; for other statements, what they write to.
pub fn explain_any(plan: &Plan, state: &State) -> Vec<String> {
    match plan {
        Plan::Select(p) | Plan::WritingSelect(p) | Plan::Explain(p) => explain(p, state),
        Plan::ExplainAnalyze { plan, .. } => explain_any(plan, state),
        Plan::Update(_) | Plan::Delete(_) | Plan::ViewWrite(_) => explain_write(plan, state),
        Plan::ExplainWrite(p) => explain_write(p, state),
        Plan::Insert(i) => vec![format!("Insert: {}", i.table)],
        _ => Vec::new(),
    }
}

/// The plan as lines of a tree; `state` names the columns of keys and indexes.
pub fn explain(plan: &SelectPlan, state: &State) -> Vec<String> {
    explain_noted(plan, state, &|_| String::new())
}

/// What `EXPLAIN ANALYZE` writes after a part of the plan, found by the part's key: the
/// address of its plan node and a tag (see `exec::probe`).
pub type Note<'a> = &'a dyn Fn((usize, u8)) -> String;

/// The key of a plan node for a [`Note`].
fn key<T>(node: &T, tag: u8) -> (usize, u8) {
    (node as *const T as usize, tag)
}

/// The tags of a SELECT's own parts, as `exec::probe` counts them.
pub const SOURCE: u8 = 0;
pub const FILTER: u8 = 1;
pub const GROUPS: u8 = 2;
pub const OUTPUT: u8 = 3;

/// [`explain`], each part followed by its note.
pub fn explain_noted(plan: &SelectPlan, state: &State, note: Note) -> Vec<String> {
    let names = &plan.input_columns;
    let show = |e: &BExpr| Named(e, names).to_string();
    let mut nodes = Vec::new();
    if plan.limit.is_some() || plan.offset.is_some() {
        let mut s = String::from("Limit");
        if let Some(l) = &plan.limit {
            s.push_str(&format!(" {}", show(l)));
        }
        if let Some(o) = &plan.offset {
            s.push_str(&format!(" offset {}", show(o)));
        }
        nodes.push(s);
    }
    if !plan.order_by.is_empty() && !plan.ordered {
        let keys: Vec<String> = plan
            .order_by
            .iter()
            .map(|k| {
                let e = match &k.expr {
                    SortExpr::Output(i) => plan.columns[*i].clone(),
                    SortExpr::Expr(e) => show(e),
                };
                if k.desc {
                    format!("{e} DESC")
                } else {
                    e
                }
            })
            .collect();
        let top_k = plan.limit.is_some() && !plan.distinct && plan.aggregate.is_none();
        nodes.push(format!("{}: {}", if top_k { "Top-k sort" } else { "Sort" }, keys.join(", ")));
    }
    if plan.distinct {
        nodes.push("Distinct".into());
    }
    nodes.push(format!("Project: {}", plan.columns.join(", ")));
    if !plan.windows.is_empty() {
        let calls: Vec<String> = plan.windows.iter().map(|w| window_sql(w, &show)).collect();
        let order = if plan.window_ordered { " (rows arrive in window order: no sort)" } else { "" };
        nodes.push(format!("Window: {}{order}", calls.join(", ")));
    }
    if let Some(h) = &plan.having {
        nodes.push(format!("Filter: {}", show(h)));
    }
    if let Some(agg) = &plan.aggregate {
        let groups: Vec<String> = agg.group_by.iter().map(show).collect();
        let calls: Vec<String> = agg
            .calls
            .iter()
            .map(|c| {
                let arg = c.arg.as_ref().map_or("*".to_string(), show);
                let name = format!("{:?}", c.func).to_ascii_lowercase().replace("countstar", "count");
                format!("{name}({}{arg})", if c.distinct { "DISTINCT " } else { "" })
            })
            .collect();
        let by = if groups.is_empty() { String::new() } else { format!(" by {}", groups.join(", ")) };
        nodes.push(format!("Aggregate: {}{by}{}", calls.join(", "), note(key(plan, GROUPS))));
    }
    if let Some(w) = &plan.filter {
        nodes.push(format!("Filter: {}{}", show(w), note(key(plan, FILTER))));
    }
    if let Some(first) = nodes.first_mut() {
        first.push_str(&note(key(plan, OUTPUT)));
    }
    source_lines(&plan.source, plan.covering, state, names, &mut nodes, note);
    tree(nodes)
}

/// A window call in words: `rank() over (partition by k order by v DESC)`.
fn window_sql(w: &WindowCall, show: &dyn Fn(&BExpr) -> String) -> String {
    let args: Vec<String> = match &w.agg {
        Some(c) => c.arg.iter().map(show).collect(),
        None => w.args.iter().map(show).collect(),
    };
    let mut over = Vec::new();
    if !w.partition_by.is_empty() {
        over.push(format!("partition by {}", w.partition_by.iter().map(show).collect::<Vec<_>>().join(", ")));
    }
    if !w.order_by.is_empty() {
        let keys: Vec<String> = w
            .order_by
            .iter()
            .map(|k| match &k.expr {
                SortExpr::Expr(e) if k.desc => format!("{} DESC", show(e)),
                SortExpr::Expr(e) => show(e),
                SortExpr::Output(i) => format!("#{i}"),
            })
            .collect();
        over.push(format!("order by {}", keys.join(", ")));
    }
    format!("{}({}) over ({})", w.name, args.join(", "), over.join(" "))
}

/// The lines of a source: a scan is one line; a join is its own line, then the right
/// table's scan, then the left side.
fn source_lines(source: &Source, covering: bool, state: &State, names: &[String], nodes: &mut Vec<String>, note: Note) {
    let show = |e: &BExpr| Named(e, names).to_string();
    let at = nodes.len();
    source_line(source, covering, state, names, nodes, note, &show);
    let noted = note(key(source, SOURCE));
    if let (Some(line), false) = (nodes.get_mut(at), noted.is_empty()) {
        line.push_str(&noted);
        if let Some(rows) = estimate(source, state) {
            line.push_str(&format!(" (estimate rows={rows})"));
        }
    }
}

/// The rows the planner expects of a scan, where its access path says: every row of a
/// full scan, one per key of a lookup by primary key or by a unique index.
fn estimate(source: &Source, state: &State) -> Option<usize> {
    let Source::Scan { table, access, as_of: None, .. } = source else { return None };
    let t = state.table(table)?;
    match access {
        Access::Full { .. } => Some(t.rows.len()),
        Access::Keys(keys) => Some(keys.len()),
        Access::IndexKeys { name, keys } if t.indexes.iter().any(|i| &i.name == name && i.unique) => Some(keys.len()),
        _ => None,
    }
}

fn source_line(
    source: &Source,
    covering: bool,
    state: &State,
    names: &[String],
    nodes: &mut Vec<String>,
    note: Note,
    show: &dyn Fn(&BExpr) -> String,
) {
    match source {
        Source::Single => nodes.push("Values: one row".to_string()),
        Source::Scan { table, as_of, access, filter, .. } => {
            let mut line = access_line(table, access, state);
            if covering {
                line.push_str(", covering");
            }
            if let Some(at) = as_of {
                line.push_str(&format!(" as of {at}"));
            }
            if let Some(f) = filter {
                let own: Vec<String> = state
                    .table(table)
                    .map(|t| t.schema.columns.iter().map(|c| c.name.clone()).collect())
                    .unwrap_or_default();
                line.push_str(&format!(", filter {}", Named(f, &own)));
            }
            nodes.push(line);
        }
        Source::Derived { plan, .. } => {
            nodes.push(format!("Subquery: {}", plan.columns.join(", ")));
        }
        Source::Cte { cte, .. } => {
            let kind = match (&cte.recursion, cte.shared) {
                (Some(r), _) => format!("recursive, UNION{}", if r.union_all { " ALL" } else { "" }),
                (None, true) => "worked out once".to_string(),
                (None, false) => "in place".to_string(),
            };
            nodes.push(format!("CTE: {} ({}) [{kind}]", cte.name, cte.columns.join(", ")));
        }
        Source::Working { .. } => nodes.push("Recursive CTE: the rows added last".to_string()),
        Source::Messages { read, filter, .. } => {
            let mut line = format!("Messages: {}", read.name());
            if let Some(f) = filter {
                let own: Vec<String> = crate::sql::plan::MESSAGE_COLUMNS.iter().map(|c| c.to_string()).collect();
                line.push_str(&format!(", filter {}", Named(f, &own)));
            }
            nodes.push(line);
        }
        Source::JsonTable { kind, filter, args, .. } => {
            let name = kind.name();
            let per_row = source.reads_left_row();
            let mut line =
                format!("Table function: {name}{}", if per_row { ", called for each joined row" } else { "" });
            let mut own: Vec<String> = kind.columns().iter().map(|c| c.to_string()).collect();
            if let (crate::sql::plan::TableFn::History, [name, rest @ ..]) = (kind, args.as_slice()) {
                if let Some(t) = match name {
                    BExpr::Const(crate::storage::Value::Text(n)) => state.table(n),
                    _ => None,
                } {
                    own = crate::sql::plan::TableFn::history_columns(&t.schema);
                }
                if let [key] = rest {
                    line.push_str(&format!(", one row's changes (key {})", Named(key, &[])));
                }
            }
            if let Some(f) = filter {
                line.push_str(&format!(", filter {}", Named(f, &own)));
            }
            nodes.push(line);
        }
        Source::Reorder { source, columns } => {
            nodes.push("Join order chosen by the planner; columns put back in FROM order".to_string());
            // Below this node columns sit in join order: name them from where they go.
            let mut inner = vec![String::new(); columns.len()];
            for (p, &q) in columns.iter().enumerate() {
                if let (Some(slot), Some(name)) = (inner.get_mut(q), names.get(p)) {
                    *slot = name.clone();
                }
            }
            source_lines(source, false, state, &inner, nodes, note);
        }
        Source::Join(j) => {
            let kind = if j.left_join { "Left join" } else { "Join" };
            let how = if j.keys.is_empty() { "nested loop" } else { "hash" };
            let mut line = format!("{kind} ({how})");
            if let Some(on) = &j.on {
                line.push_str(&format!(" on {}", show(on)));
            }
            if let Some(after) = &j.after {
                line.push_str(&format!(", then filter {}", show(after)));
            }
            nodes.push(line);
            source_lines(&j.right, false, state, names, nodes, note);
            source_lines(&j.left, false, state, names, nodes, note);
        }
    }
}
