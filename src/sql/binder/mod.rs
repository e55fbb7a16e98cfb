//! Name resolution and expression binding: AST expressions become [`BExpr`]s whose
//! columns are positions, whose functions are enums, and whose aggregates are slots.

use std::cell::Cell;
use std::sync::Arc;

use super::ast::{BinaryOp, Collation, Expr, FrameBound, FrameUnits, Select, UnaryOp, WindowSpec};
use super::plan::{
    AggCall, AggFunc, ArithOp, BExpr, CmpOp, FrameEdge, FramePlan, Func, JsonFunc, MessageRead, SelectPlan, SortExpr,
    SortKey, WindowCall, WindowFunc,
};
use crate::error::{closest, Error, ErrorKind, Result};
use crate::storage::{DataType, Value};

mod names;
mod window;

use names::{aggregate_of, AGGREGATES, SCALARS};
pub use names::{function_list, json_call, scalar_name};

/// One table visible to expressions, and where its columns start in the input row.
#[derive(Clone, Debug)]
pub struct ScopeTable {
    pub name: String,
    pub alias: Option<String>,
    pub columns: Vec<String>,
    pub offset: usize,
    /// Columns joined by USING (or NATURAL) to an earlier table's: unqualified names and
    /// `*` mean the earlier table's.
    pub hidden: Vec<String>,
    /// The column `rowid`, `oid` and `_rowid_` name: the table's integer primary key.
    pub rowid: Option<usize>,
    /// The columns' declared types, where known (else none: as if `ANY`).
    pub types: Vec<DataType>,
    /// The columns' declared collations (`name TEXT COLLATE NOCASE`), where known.
    pub collations: Vec<Option<Collation>>,
}

impl ScopeTable {
    fn answers_to(&self, qualifier: &str) -> bool {
        match &self.alias {
            Some(a) => a.eq_ignore_ascii_case(qualifier),
            None => self.name.eq_ignore_ascii_case(qualifier),
        }
    }

    pub fn label(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// The tables an expression may name.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub tables: Vec<ScopeTable>,
    /// The column that holds each row's expiry time, when the query reads one table
    /// and asks `ttl_remaining()`.
    pub expiry: Option<usize>,
}

impl Scope {
    pub fn width(&self) -> usize {
        self.tables.iter().map(|t| t.columns.len()).sum()
    }

    /// The table whose columns hold input column `i`.
    fn table_at(&self, i: usize) -> Option<&ScopeTable> {
        self.tables.iter().find(|t| t.offset <= i && i < t.offset + t.columns.len())
    }

    pub fn find_table(&self, qualifier: &str) -> Option<&ScopeTable> {
        self.tables.iter().find(|t| t.answers_to(qualifier))
    }

    pub fn resolve(&self, table: Option<&str>, name: &str) -> Result<usize> {
        let mut found = None;
        for t in &self.tables {
            if table.is_some_and(|q| !t.answers_to(q)) {
                continue;
            }
            if table.is_none() && t.hidden.iter().any(|h| h.eq_ignore_ascii_case(name)) {
                continue;
            }
            if let Some(i) = t.columns.iter().position(|c| c.eq_ignore_ascii_case(name)) {
                if found.is_some() {
                    return Err(ErrorKind::AmbiguousColumn(name.to_string()).into());
                }
                found = Some(t.offset + i);
            }
        }
        if found.is_none() && ROWID_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) {
            for t in &self.tables {
                let Some(i) = t.rowid.filter(|_| table.is_none_or(|q| t.answers_to(q))) else { continue };
                if found.is_some() {
                    return Err(ErrorKind::AmbiguousColumn(name.to_string()).into());
                }
                found = Some(t.offset + i);
            }
        }
        found.ok_or_else(|| {
            let all = self.tables.iter().flat_map(|t| t.columns.iter().map(String::as_str));
            let has = |t: &ScopeTable| t.columns.iter().any(|c| c.eq_ignore_ascii_case(name));
            let suggestion = match table {
                // A table named by its own name where the query gave it an alias:
                // `FROM emp e WHERE emp.id` → `e.id`.
                Some(q) if self.find_table(q).is_none() => self
                    .tables
                    .iter()
                    .find(|t| t.alias.is_some() && t.name.eq_ignore_ascii_case(q) && has(t))
                    .map(|t| format!("{}.{name}", t.label()))
                    .or_else(|| closest(name, all)),
                Some(q) => self
                    .find_table(q)
                    .and_then(|t| closest(name, t.columns.iter().map(String::as_str)))
                    .map(|c| format!("{q}.{c}")),
                None => closest(name, all),
            };
            ErrorKind::NoSuchColumn {
                name: match table {
                    Some(q) => format!("{q}.{name}"),
                    None => name.to_string(),
                },
                suggestion,
            }
            .into()
        })
    }
}

use crate::sql::ast::ROWID_NAMES;

/// True when the expression calls an aggregate anywhere.
pub fn has_aggregate(e: &Expr) -> bool {
    match e {
        // A window function's aggregate is its own; its arguments and window may hold
        // the query's.
        Expr::Function { args, over: Some(over), filter, .. } => {
            args.iter().any(has_aggregate)
                || filter.as_deref().is_some_and(has_aggregate)
                || over.exprs().into_iter().any(has_aggregate)
        }
        Expr::Function { name, args, star, .. } => {
            aggregate_of(&name.to_ascii_lowercase(), args.len(), *star).is_some() || args.iter().any(has_aggregate)
        }
        Expr::Literal(_) | Expr::Column { .. } | Expr::Param(_) => false,
        Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } | Expr::Collate { expr, .. } => {
            has_aggregate(expr)
        }
        Expr::Binary { left, right, .. } => has_aggregate(left) || has_aggregate(right),
        Expr::Between { expr, low, high, .. } => has_aggregate(expr) || has_aggregate(low) || has_aggregate(high),
        Expr::InList { expr, list, .. } => has_aggregate(expr) || list.iter().any(has_aggregate),
        // A subquery's aggregates are its own.
        Expr::InSelect { expr, .. } => has_aggregate(expr),
        Expr::Subquery(_) | Expr::Exists(_) => false,
        Expr::Case { operand, whens, else_ } => {
            operand.as_deref().is_some_and(has_aggregate)
                || whens.iter().any(|(w, t)| has_aggregate(w) || has_aggregate(t))
                || else_.as_deref().is_some_and(has_aggregate)
        }
    }
}

/// Binds expressions of one clause.
pub struct Binder<'a> {
    pub scope: &'a Scope,
    /// Where aggregates go, when the clause may contain them.
    pub aggs: Option<&'a mut Vec<AggCall>>,
    /// Names the clause in errors ("in WHERE").
    pub clause: &'static str,
    /// How to plan subqueries, and the queries this one is nested in; `None` where
    /// subqueries are not allowed.
    pub sub: Option<Nesting<'a>>,
    /// Where window function calls go, when the clause may hold them, and the column
    /// of the row their values start at.
    pub windows: Option<(&'a mut Vec<WindowCall>, usize)>,
    /// The query's `WINDOW name AS (…)` definitions.
    pub named: &'a [(String, WindowSpec)],
}

/// Plans the SELECT of a subquery, nested in the given queries.
pub trait SubqueryPlanner {
    fn plan_subquery(&self, query: &Select, outer: &[OuterScope]) -> Result<SelectPlan>;
}

/// A query that encloses a subquery: its scope, and the flag that marks the subquery
/// just inside it as reading its rows.
#[derive(Clone, Copy)]
pub struct OuterScope<'a> {
    pub scope: &'a Scope,
    pub correlated: &'a Cell<bool>,
}

/// Where a binder sits: the planner for its subqueries and its enclosing queries,
/// nearest first.
#[derive(Clone, Copy)]
pub struct Nesting<'a> {
    pub planner: &'a dyn SubqueryPlanner,
    pub outer: &'a [OuterScope<'a>],
}

impl<'a> Binder<'a> {
    pub fn new(scope: &'a Scope, clause: &'static str) -> Binder<'a> {
        Binder { scope, aggs: None, clause, sub: None, windows: None, named: &[] }
    }

    pub fn with_aggregates(scope: &'a Scope, aggs: &'a mut Vec<AggCall>, clause: &'static str) -> Binder<'a> {
        Binder { scope, aggs: Some(aggs), clause, sub: None, windows: None, named: &[] }
    }

    /// Allows window functions: call `k`'s value is column `base + k`.
    pub fn with_windows(
        mut self,
        windows: &'a mut Vec<WindowCall>,
        base: usize,
        named: &'a [(String, WindowSpec)],
    ) -> Binder<'a> {
        self.windows = Some((windows, base));
        self.named = named;
        self
    }

    /// Allows subqueries, nested as given.
    pub fn nested(mut self, sub: Option<Nesting<'a>>) -> Binder<'a> {
        self.sub = sub;
        self
    }

    /// A column of this query, or else of an enclosing one (marking the subqueries in
    /// between as correlated).
    fn column(&self, table: Option<&str>, name: &str) -> Result<BExpr> {
        match self.scope.resolve(table, name) {
            Ok(c) => Ok(BExpr::Column(c)),
            Err(e) if matches!(e.kind(), ErrorKind::NoSuchColumn { .. } | ErrorKind::NoSuchTable { .. }) => {
                let outer = self.sub.map(|s| s.outer).unwrap_or_default();
                for (i, o) in outer.iter().enumerate() {
                    if let Ok(c) = o.scope.resolve(table, name) {
                        outer[..=i].iter().for_each(|o| o.correlated.set(true));
                        return Ok(BExpr::Outer { depth: i + 1, column: c });
                    }
                }
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    /// Plans a subquery; `one_column` for scalar and IN subqueries, `first_row` for the
    /// ones whose value needs no more than their first row.
    fn subquery(&self, query: &Select, one_column: bool, first_row: bool) -> Result<(Arc<SelectPlan>, bool)> {
        let Some(sub) = self.sub else {
            return Err(Error::invalid(format!("subqueries are {}", self.clause)));
        };
        let flag = Cell::new(false);
        let mut outer = vec![OuterScope { scope: self.scope, correlated: &flag }];
        outer.extend_from_slice(sub.outer);
        let mut plan = sub.planner.plan_subquery(query, &outer)?;
        if first_row && plan.limit.is_none() && plan.offset.is_none() {
            plan.limit = Some(BExpr::Const(Value::Integer(1)));
        }
        if one_column && plan.columns.len() != 1 {
            return Err(Error::invalid(format!("sub-select returns {} columns - expected 1", plan.columns.len())));
        }
        Ok((Arc::new(plan), flag.get()))
    }

    fn boxed(&mut self, e: &Expr) -> Result<Box<BExpr>> {
        Ok(Box::new(self.bind(e)?))
    }

    pub fn bind(&mut self, e: &Expr) -> Result<BExpr> {
        Ok(match e {
            Expr::Literal(v) => BExpr::Const(v.clone()),
            Expr::Column { table, name } => self.column(table.as_deref(), name)?,
            Expr::Subquery(q) => {
                let (plan, correlated) = self.subquery(q, true, true)?;
                BExpr::Subquery(plan, correlated)
            }
            Expr::Exists(q) => {
                let (plan, correlated) = self.subquery(q, false, true)?;
                BExpr::Exists(plan, correlated)
            }
            Expr::InSelect { expr, query, negated } => {
                let expr = self.boxed(expr)?;
                let (plan, correlated) = self.subquery(query, true, false)?;
                BExpr::InSubquery { expr, plan, correlated, negated: *negated }
            }
            Expr::Param(n) => BExpr::Param(n - 1),
            Expr::Unary { op, expr } => {
                let inner = self.boxed(expr)?;
                match op {
                    UnaryOp::Not => BExpr::Not(inner),
                    UnaryOp::Neg => BExpr::Neg(inner),
                    UnaryOp::Plus => *inner,
                    UnaryOp::BitNot => BExpr::BitNot(inner),
                }
            }
            Expr::Binary { op, left, right } => self.binary(*op, left, right)?,
            Expr::IsNull { expr, negated } => BExpr::IsNull { expr: self.boxed(expr)?, negated: *negated },
            Expr::Between { expr, low, high, negated } => {
                let c = self.collation_of(&[expr, low, high]);
                BExpr::Between {
                    expr: Box::new(self.collated(expr, c)?),
                    low: Box::new(self.collated(low, c)?),
                    high: Box::new(self.collated(high, c)?),
                    negated: *negated,
                }
            }
            Expr::InList { expr, list, negated } => {
                let c = self.collation_of(&[expr]);
                BExpr::InList {
                    expr: Box::new(self.collated(expr, c)?),
                    list: list.iter().map(|e| self.collated(e, c)).collect::<Result<_>>()?,
                    negated: *negated,
                }
            }
            // Where no comparison reads it, a collation leaves the value as it is.
            Expr::Collate { expr, .. } => self.bind(expr)?,
            Expr::Case { operand, whens, else_ } => BExpr::Case {
                operand: operand.as_deref().map(|o| self.boxed(o)).transpose()?,
                whens: whens.iter().map(|(w, t)| Ok((self.bind(w)?, self.bind(t)?))).collect::<Result<_>>()?,
                else_: else_.as_deref().map(|e| self.boxed(e)).transpose()?,
            },
            Expr::Cast { expr, type_name } => {
                let ty = DataType::from_declared(type_name).ok_or_else(|| {
                    Error::invalid(format!(
                        "unknown type {type_name} in CAST: expected INTEGER, REAL, TEXT, BOOLEAN or TIMESTAMP"
                    ))
                })?;
                BExpr::Cast(self.boxed(expr)?, ty)
            }
            Expr::Function { name, args, distinct, star, filter, over: Some(over) } => {
                self.window(name, args, *distinct, *star, filter.as_deref(), over)?
            }
            // ARRAY(SELECT …)
            Expr::Function { name, args, over: None, .. }
                if name.eq_ignore_ascii_case("array") && matches!(args.as_slice(), [Expr::Subquery(_)]) =>
            {
                let Some(Expr::Subquery(q)) = args.first() else { unreachable!("matched above") };
                let (plan, correlated) = self.subquery(q, true, false)?;
                BExpr::ArraySubquery(plan, correlated)
            }
            Expr::Function { name, args, distinct, star, filter, over: None } => {
                self.function(name, args, *distinct, *star, filter.as_deref())?
            }
        })
    }

    /// An expression bound as a comparison reads it under collation `c`: text folded
    /// so that comparing folded values compares under the collation.
    fn collated(&mut self, e: &Expr, c: Option<Collation>) -> Result<BExpr> {
        let bound = self.bind(e)?;
        Ok(match c {
            None | Some(Collation::Binary) => bound,
            Some(c) => BExpr::Func(Func::Collate(c), vec![bound]),
        })
    }

    /// A sort or group key: `x COLLATE NOCASE` sorts and groups folded.
    pub fn bind_key(&mut self, e: &Expr) -> Result<BExpr> {
        self.collated(e, self.collation_of(&[e]))
    }

    /// The collation a comparison of these operands uses, as in SQLite: the first
    /// explicit `COLLATE` (the left operand's before the right's), else the collation
    /// of the first operand that is a column (`+col` and `CAST(col AS …)` still count
    /// as the column): the one it was declared with, or BINARY.
    pub fn collation_of(&self, operands: &[&Expr]) -> Option<Collation> {
        let explicit = operands.iter().find_map(|e| match e {
            Expr::Collate { collation, .. } => Some(*collation),
            _ => None,
        });
        explicit.or_else(|| operands.iter().find_map(|e| self.column_collation(e)))
    }

    fn column_collation(&self, e: &Expr) -> Option<Collation> {
        match e {
            Expr::Column { table, name } => {
                let i = self.scope.resolve(table.as_deref(), name).ok()?;
                let t = self.scope.table_at(i)?;
                Some(t.collations.get(i - t.offset).copied().flatten().unwrap_or(Collation::Binary))
            }
            Expr::Unary { op: UnaryOp::Plus, expr } | Expr::Cast { expr, .. } => self.column_collation(expr),
            _ => None,
        }
    }

    /// The declared type of input column `i`, where the scope knows it.
    fn column_type(&self, i: usize) -> Option<DataType> {
        let t = self.scope.table_at(i)?;
        t.types.get(i - t.offset).copied()
    }

    /// SQLite's affinity for a constant compared with a typed column: text that is a
    /// well-formed number compares as that number with an INTEGER or REAL column
    /// (`id = '5'`), as PostgreSQL's clients also expect of an untyped literal.
    /// A parameter (statements are planned with their literals as parameters) gets
    /// it when it is bound.
    fn affinity(&self, column: &BExpr, other: &mut BExpr) {
        let BExpr::Column(i) = column else { return };
        if self.aggs.is_some() || !matches!(self.column_type(*i), Some(DataType::Integer | DataType::Real)) {
            return;
        }
        match other {
            BExpr::Const(v @ Value::Text(_)) => *v = numeric_affinity(v.clone()),
            BExpr::Param(_) => *other = BExpr::Func(Func::NumericAffinity, vec![other.clone()]),
            _ => {}
        }
    }

    fn binary(&mut self, op: BinaryOp, left: &Expr, right: &Expr) -> Result<BExpr> {
        let compares = matches!(
            op,
            BinaryOp::Eq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
                | BinaryOp::Is
                | BinaryOp::IsNot
        );
        let c = if compares { self.collation_of(&[left, right]) } else { None };
        let (mut l, mut r) = (Box::new(self.collated(left, c)?), Box::new(self.collated(right, c)?));
        if compares {
            self.affinity(&l, &mut r);
            self.affinity(&r, &mut l);
        }
        let cmp = |c| BExpr::Compare(c, l.clone(), r.clone());
        let arith = |a| BExpr::Arith(a, l.clone(), r.clone());
        Ok(match op {
            BinaryOp::Or => BExpr::Or(l, r),
            BinaryOp::And => BExpr::And(l, r),
            BinaryOp::Eq => cmp(CmpOp::Eq),
            BinaryOp::NotEq => cmp(CmpOp::NotEq),
            BinaryOp::Lt => cmp(CmpOp::Lt),
            BinaryOp::LtEq => cmp(CmpOp::LtEq),
            BinaryOp::Gt => cmp(CmpOp::Gt),
            BinaryOp::GtEq => cmp(CmpOp::GtEq),
            BinaryOp::Is => BExpr::Is { left: l, right: r, negated: false },
            BinaryOp::IsNot => BExpr::Is { left: l, right: r, negated: true },
            BinaryOp::Like => BExpr::Like { expr: l, pattern: r, negated: false },
            BinaryOp::NotLike => BExpr::Like { expr: l, pattern: r, negated: true },
            // `x GLOB p` is `glob(p, x)`.
            BinaryOp::Glob => BExpr::Func(Func::Glob, vec![*r, *l]),
            BinaryOp::NotGlob => BExpr::Not(Box::new(BExpr::Func(Func::Glob, vec![*r, *l]))),
            BinaryOp::Concat => BExpr::Concat(l, r),
            BinaryOp::Arrow => json_call(JsonFunc::Arrow, vec![*l, *r]),
            BinaryOp::Arrow2 => json_call(JsonFunc::Arrow2, vec![*l, *r]),
            BinaryOp::Add => arith(ArithOp::Add),
            BinaryOp::Sub => arith(ArithOp::Sub),
            BinaryOp::Mul => arith(ArithOp::Mul),
            BinaryOp::Div => arith(ArithOp::Div),
            BinaryOp::Mod => arith(ArithOp::Mod),
            BinaryOp::BitAnd => arith(ArithOp::BitAnd),
            BinaryOp::BitOr => arith(ArithOp::BitOr),
            BinaryOp::ShiftLeft => arith(ArithOp::ShiftLeft),
            BinaryOp::ShiftRight => arith(ArithOp::ShiftRight),
        })
    }

    fn function(
        &mut self,
        name: &str,
        args: &[Expr],
        distinct: bool,
        star: bool,
        filter: Option<&Expr>,
    ) -> Result<BExpr> {
        let lower = name.to_ascii_lowercase();
        if let Some(func) = aggregate_of(&lower, args.len(), star) {
            return self.aggregate(&lower, func, args, distinct, filter);
        }
        if WindowFunc::by_name(&lower).is_some() {
            return Err(Error::invalid(format!("misuse of window function {lower}(): it needs an OVER clause")));
        }
        if filter.is_some() {
            return Err(Error::invalid(format!("FILTER may only be used with aggregate functions, not {lower}()")));
        }
        if star || distinct {
            return Err(Error::invalid(format!("{name}() is not an aggregate function")));
        }
        if lower == "ttl_remaining" {
            return match (args.is_empty(), self.scope.expiry) {
                (true, Some(c)) => Ok(BExpr::Func(Func::TtlRemaining, vec![BExpr::Column(c)])),
                (true, None) => Err(Error::invalid("ttl_remaining() works in a SELECT from one table")),
                (false, _) => Err(ErrorKind::Arity { name: lower, expected: "0 arguments".into() }.into()),
            };
        }
        if MessageRead::by_name(&lower).is_some() {
            return Err(Error::invalid(format!("{lower}() returns rows: use it in FROM (SELECT * FROM {lower}(…))")));
        }
        let Some(&(_, func, min, max)) = SCALARS.iter().find(|(n, ..)| *n == lower) else {
            let names = SCALARS.iter().map(|s| s.0).chain(AGGREGATES.iter().copied());
            return Err(ErrorKind::NoSuchFunction { name: name.to_string(), suggestion: closest(name, names) }.into());
        };
        if args.len() < min || args.len() > max {
            // Say what the caller wrote: without the hidden namespace argument.
            let (min, max) = if crate::sql::namespace::takes_namespace(&lower) {
                (min - 1, max.saturating_sub(1))
            } else {
                (min, max)
            };
            let expected = match (min, max) {
                (a, b) if a == b => format!("{a} argument{}", if a == 1 { "" } else { "s" }),
                (a, usize::MAX) => format!("at least {a} arguments"),
                (a, b) => format!("{a} to {b} arguments"),
            };
            return Err(ErrorKind::Arity { name: lower, expected }.into());
        }
        let mut args: Vec<BExpr> = args.iter().map(|a| self.bind(a)).collect::<Result<_>>()?;
        Ok(match func {
            // iif evaluates only the branch it takes, as CASE does.
            Func::Iif => {
                let else_ = args.pop().map(Box::new);
                let then = args.pop().unwrap_or(BExpr::Const(Value::Null));
                let cond = args.pop().unwrap_or(BExpr::Const(Value::Null));
                BExpr::Case { operand: None, whens: vec![(cond, then)], else_ }
            }
            Func::Likelihood if args.len() == 1 => args.pop().unwrap_or(BExpr::Const(Value::Null)),
            Func::Json(f, ..) => {
                // An argument that is json_group_array/object (an aggregate's slot) is JSON.
                let grouped: Vec<bool> = args
                    .iter()
                    .map(|a| match (a, self.aggs.as_deref()) {
                        (BExpr::Agg(slot), Some(aggs)) => aggs
                            .get(*slot)
                            .is_some_and(|c| matches!(c.func, AggFunc::JsonGroupArray | AggFunc::JsonGroupObject)),
                        _ => false,
                    })
                    .collect();
                match json_call(f, args) {
                    BExpr::Func(Func::Json(f, mut json, extracted), args) => {
                        for (i, _) in grouped.iter().enumerate().filter(|(i, g)| **g && *i < 16) {
                            json |= 1 << i;
                        }
                        BExpr::Func(Func::Json(f, json, extracted), args)
                    }
                    other => other,
                }
            }
            _ => BExpr::Func(func, args),
        })
    }

    fn aggregate(
        &mut self,
        name: &str,
        func: AggFunc,
        args: &[Expr],
        distinct: bool,
        filter: Option<&Expr>,
    ) -> Result<BExpr> {
        let scope = self.scope;
        let Some(aggs) = self.aggs.as_deref_mut() else {
            return Err(ErrorKind::AggregateMisuse(name.to_string(), self.clause).into());
        };
        let mut inner = Binder::new(scope, "not allowed inside another aggregate");
        let call = agg_call(&mut inner, name, func, args, distinct, filter)?;
        let slot = match aggs.iter().position(|c| *c == call) {
            Some(i) => i,
            None => {
                aggs.push(call);
                aggs.len() - 1
            }
        };
        Ok(BExpr::Agg(slot))
    }
}

/// Text that is a well-formed number, as that number; any other value as it is.
pub fn numeric_affinity(v: Value) -> Value {
    let Value::Text(t) = &v else { return v };
    let s = t.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Value::Integer(n);
    }
    match s.parse::<f64>() {
        Ok(r) if r.is_finite() && s.bytes().any(|b| b.is_ascii_digit()) => Value::Real(r),
        _ => v,
    }
}

/// An aggregate call, its arguments bound by `binder`.
fn agg_call(
    binder: &mut Binder,
    name: &str,
    func: AggFunc,
    args: &[Expr],
    distinct: bool,
    filter: Option<&Expr>,
) -> Result<AggCall> {
    let max_args = if matches!(func, AggFunc::GroupConcat | AggFunc::JsonGroupObject) { 2 } else { 1 };
    if args.len() > max_args || (func == AggFunc::JsonGroupObject && args.len() != 2) {
        let expected = format!("{max_args} argument{}", if max_args == 1 { "" } else { "s" });
        return Err(ErrorKind::Arity { name: name.to_string(), expected }.into());
    }
    let arg = args.first().map(|a| binder.bind(a)).transpose()?;
    if distinct && args.len() > 1 {
        return Err(Error::invalid("DISTINCT aggregates must have exactly one argument"));
    }
    let separator = args.get(1).map(|a| binder.bind(a)).transpose()?;
    let filter = filter.map(|f| binder.bind(f)).transpose()?;
    let collation = args.first().and_then(|a| binder.collation_of(&[a])).filter(|c| *c != Collation::Binary);
    Ok(AggCall { func, arg, separator, distinct, filter, collation })
}

/// Binds an expression over one row of the named columns (a message read's
/// `condition`).
pub fn bind_over_columns(columns: &[&str], expr: &Expr) -> Result<BExpr> {
    let table = ScopeTable {
        name: "messages".into(),
        alias: None,
        columns: columns.iter().map(|c| c.to_string()).collect(),
        offset: 0,
        hidden: Vec::new(),
        rowid: None,
        types: Vec::new(),
        collations: Vec::new(),
    };
    let scope = Scope { tables: vec![table], expiry: None };
    let bound = Binder::new(&scope, "not allowed in a condition").bind(expr)?;
    if matches!(bound, BExpr::Func(Func::WriteMessage, _)) {
        return Err(Error::invalid("a condition cannot write messages"));
    }
    Ok(bound)
}

/// True when the bound expression depends on nothing but constants.
pub fn is_constant(e: &BExpr) -> bool {
    match e {
        BExpr::Const(_) => true,
        BExpr::Column(_) | BExpr::Param(_) | BExpr::Agg(_) => false,
        BExpr::Outer { .. }
        | BExpr::Subquery(..)
        | BExpr::ArraySubquery(..)
        | BExpr::Exists(..)
        | BExpr::InSubquery { .. } => false,
        BExpr::Func(f, _) if f.reads_outside() || matches!(f, Func::Date(_)) => false,
        BExpr::Func(_, args) => args.iter().all(is_constant),
        BExpr::Not(a) | BExpr::Neg(a) | BExpr::BitNot(a) | BExpr::IsNull { expr: a, .. } | BExpr::Cast(a, _) => {
            is_constant(a)
        }
        BExpr::And(a, b)
        | BExpr::Or(a, b)
        | BExpr::Compare(_, a, b)
        | BExpr::Is { left: a, right: b, .. }
        | BExpr::Arith(_, a, b)
        | BExpr::Concat(a, b) => is_constant(a) && is_constant(b),
        BExpr::Like { expr, pattern, .. } => is_constant(expr) && is_constant(pattern),
        BExpr::Between { expr, low, high, .. } => is_constant(expr) && is_constant(low) && is_constant(high),
        BExpr::InList { expr, list, .. } => is_constant(expr) && list.iter().all(is_constant),
        BExpr::Case { operand, whens, else_ } => {
            operand.as_deref().is_none_or(is_constant)
                && whens.iter().all(|(w, t)| is_constant(w) && is_constant(t))
                && else_.as_deref().is_none_or(is_constant)
        }
    }
}

/// A literal integer in an ORDER BY or GROUP BY position (`ORDER BY 2`).
pub fn ordinal(e: &Expr) -> Option<i64> {
    match e {
        Expr::Literal(Value::Integer(k)) => Some(*k),
        _ => None,
    }
}
