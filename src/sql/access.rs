//! Access paths: how a statement finds its rows.
//!
//! The WHERE clause is split into conjuncts; those of the form `column op value` (and
//! BETWEEN, IN lists, `LIKE 'prefix%'`) become per-column constraints. Each way in —
//! the primary key, every index, a full scan — gets a row estimate from the table's row
//! count, and the cheapest wins. The access path only narrows the candidate rows: the
//! whole WHERE clause is still checked on each row it yields, so a wider path is never
//! wrong, only slower.

use super::binder::is_constant;
use super::plan::{Access, BExpr, CmpOp, CompiledIndex, Func, Range, RangeEnd};
use crate::storage::table::Index;
use crate::storage::{DataType, Table, Value};

/// An index's compiled expressions, when it has any.
pub fn compiled(index: &Index) -> Option<&CompiledIndex> {
    index.computed.as_ref().and_then(|c| c.exprs.as_any().downcast_ref::<CompiledIndex>())
}

/// The expressions that expression indexes key on: each gets a place after the table's
/// columns in the facts, as if it were one more column.
struct Keyed<'a> {
    width: usize,
    exprs: Vec<&'a BExpr>,
}

impl<'a> Keyed<'a> {
    fn of(table: &'a Table) -> Keyed<'a> {
        let mut exprs: Vec<&BExpr> = Vec::new();
        for e in table.indexes.iter().filter_map(compiled).flat_map(|c| c.parts.iter().flatten()) {
            if !exprs.contains(&e) {
                exprs.push(e);
            }
        }
        Keyed { width: table.schema.columns.len(), exprs }
    }

    /// The place of a column, or of an expression an index keys on.
    fn place(&self, e: &BExpr) -> Option<usize> {
        match e {
            BExpr::Column(c) if *c < self.width => Some(*c),
            // Past the stored columns: a row's expiry or hidden rowid, which no index holds.
            BExpr::Column(_) => None,
            e => self.exprs.iter().position(|x| *x == e).map(|p| self.width + p),
        }
    }

    /// The places of an index's key parts; `None` for a partial index the WHERE clause
    /// does not imply (it lacks rows the statement may want).
    fn parts(&self, index: &Index, filter: &[&BExpr]) -> Option<Vec<usize>> {
        let Some(c) = compiled(index) else { return Some(index.columns.clone()) };
        if let Some(p) = &c.predicate {
            if !implies(filter, p) {
                return None;
            }
        }
        index
            .columns
            .iter()
            .enumerate()
            .map(|(i, &col)| match c.parts.get(i) {
                Some(Some(e)) => self.place(e),
                _ => Some(col),
            })
            .collect()
    }
}

/// True when every row the conjuncts of a WHERE clause let through makes `predicate`
/// true: each of its terms is one of the conjuncts, or is `x IS NOT NULL` where a
/// conjunct compares `x` (a comparison with NULL is never true).
pub fn implies(filter: &[&BExpr], predicate: &BExpr) -> bool {
    let mut terms = Vec::new();
    conjuncts(predicate, &mut terms);
    terms.iter().all(|t| {
        if filter.contains(t) {
            return true;
        }
        let x = match t {
            BExpr::IsNull { expr, negated: true } => expr,
            BExpr::Is { left, right, negated: true } if matches!(**right, BExpr::Const(Value::Null)) => left,
            BExpr::Not(inner) => match &**inner {
                BExpr::IsNull { expr, negated: false } => expr,
                _ => return false,
            },
            _ => return false,
        };
        filter.iter().any(|f| match f {
            BExpr::Compare(_, a, b) => **a == **x || **b == **x,
            BExpr::Between { expr, negated: false, .. } | BExpr::InList { expr, negated: false, .. } => **expr == **x,
            BExpr::Like { expr, negated: false, .. } => **expr == **x,
            _ => false,
        })
    })
}

/// What the WHERE clause says about one column.
#[derive(Default, Clone)]
struct ColumnFacts {
    eq: Option<BExpr>,
    lo: Option<RangeEnd>,
    hi: Option<RangeEnd>,
    list: Option<Vec<BExpr>>,
}

/// A value the statement knows before reading rows: constants and parameters.
fn is_value(e: &BExpr) -> bool {
    match e {
        // A row of an enclosing query is fixed while this one runs, and a subquery that
        // reads none runs once.
        BExpr::Param(_) | BExpr::Outer { .. } | BExpr::Subquery(_, false) => true,
        BExpr::Column(_) | BExpr::Agg(_) => false,
        e => is_constant(e) || params_only(e),
    }
}

fn params_only(e: &BExpr) -> bool {
    match e {
        BExpr::Param(_) | BExpr::Const(_) => true,
        // A function of such values gives one value for the whole statement (`now` and
        // the date functions read the statement's clock once), except those that
        // answer differently at each call or read what the statement changes.
        BExpr::Func(f, args) => {
            let varies = matches!(
                f,
                Func::Random
                    | Func::RandomBlob
                    | Func::WriteMessage
                    | Func::StreamVersion
                    | Func::TtlRemaining
                    | Func::Raise
                    | Func::LastInsertRowid
                    | Func::Changes
                    | Func::TotalChanges
            );
            !varies && args.iter().all(params_only)
        }
        BExpr::Neg(a) | BExpr::Cast(a, _) => params_only(a),
        BExpr::Arith(_, a, b) | BExpr::Concat(a, b) => params_only(a) && params_only(b),
        _ => false,
    }
}

pub fn conjuncts<'a>(e: &'a BExpr, out: &mut Vec<&'a BExpr>) {
    match e {
        BExpr::And(a, b) => {
            conjuncts(a, out);
            conjuncts(b, out);
        }
        e => out.push(e),
    }
}

/// The literal part of a LIKE pattern before its first wildcard.
fn like_prefix(pattern: &BExpr) -> Option<String> {
    let BExpr::Const(Value::Text(p)) = pattern else { return None };
    let prefix: String = p.chars().take_while(|c| *c != '%' && *c != '_').collect();
    (!prefix.is_empty() && prefix.is_ascii()).then_some(prefix)
}

/// The smallest ASCII text greater than every text that starts with `prefix`.
fn successor(prefix: &str) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    while let Some(last) = bytes.pop() {
        if last < 0x7f {
            bytes.push(last + 1);
            return String::from_utf8(bytes).unwrap_or_default();
        }
    }
    char::MAX.to_string()
}

fn facts(parts: &[&BExpr], table: &Table, keyed: &Keyed) -> Vec<ColumnFacts> {
    let mut facts = vec![ColumnFacts::default(); keyed.width + keyed.exprs.len()];
    for &part in parts {
        match part {
            BExpr::Compare(op, a, b) => {
                let (col, op, v) = match (keyed.place(a), keyed.place(b)) {
                    (Some(c), _) if is_value(b) => (c, *op, &**b),
                    (_, Some(c)) if is_value(a) => (c, op.flipped(), &**a),
                    _ => continue,
                };
                let f = &mut facts[col];
                match op {
                    CmpOp::Eq => f.eq = f.eq.take().or(Some(v.clone())),
                    CmpOp::Gt | CmpOp::GtEq => {
                        f.lo = f.lo.take().or(Some(RangeEnd { value: v.clone(), inclusive: op == CmpOp::GtEq }))
                    }
                    CmpOp::Lt | CmpOp::LtEq => {
                        f.hi = f.hi.take().or(Some(RangeEnd { value: v.clone(), inclusive: op == CmpOp::LtEq }))
                    }
                    CmpOp::NotEq => {}
                }
            }
            BExpr::Between { expr, low, high, negated: false } => {
                if let Some(c) = keyed.place(expr) {
                    if is_value(low) && is_value(high) {
                        let f = &mut facts[c];
                        f.lo = f.lo.take().or(Some(RangeEnd { value: (**low).clone(), inclusive: true }));
                        f.hi = f.hi.take().or(Some(RangeEnd { value: (**high).clone(), inclusive: true }));
                    }
                }
            }
            BExpr::InList { expr, list, negated: false } => {
                if let Some(c) = keyed.place(expr) {
                    if !list.is_empty() && list.iter().all(is_value) {
                        facts[c].list = Some(list.clone());
                    }
                }
            }
            // `c GLOB 'abc*'`: the matches lie from the prefix to its successor.
            BExpr::Func(Func::Glob, args) => {
                let (Some(BExpr::Const(Value::Text(p))), Some(BExpr::Column(c))) = (args.first(), args.get(1)) else {
                    continue;
                };
                let prefix: String = p.chars().take_while(|c| !matches!(c, '*' | '?' | '[')).collect();
                if !prefix.is_empty()
                    && prefix.is_ascii()
                    && table.schema.columns[*c].ty == DataType::Text
                    && facts[*c].lo.is_none()
                {
                    let hi = successor(&prefix);
                    facts[*c].lo = Some(RangeEnd { value: BExpr::Const(Value::text(&prefix)), inclusive: true });
                    facts[*c].hi = Some(RangeEnd { value: BExpr::Const(Value::text(&hi)), inclusive: false });
                }
            }
            BExpr::Like { expr, pattern, negated: false } => {
                if let (BExpr::Column(c), Some(prefix)) = (&**expr, like_prefix(pattern)) {
                    if table.schema.columns[*c].ty == DataType::Text && facts[*c].lo.is_none() {
                        // LIKE ignores ASCII case: every match lies between the upper-case
                        // and the lower-case spelling of the prefix.
                        let lo = Value::text(&prefix.to_ascii_uppercase());
                        let hi = successor(&prefix.to_ascii_lowercase());
                        facts[*c].lo = Some(RangeEnd { value: BExpr::Const(lo), inclusive: true });
                        facts[*c].hi = Some(RangeEnd { value: BExpr::Const(Value::text(&hi)), inclusive: false });
                    }
                }
            }
            _ => {}
        }
    }
    facts
}

/// A way into the rows with its estimated row count.
struct Candidate {
    access: Access,
    rows: f64,
}

/// A way through ordered columns: equal values on a prefix, then a range or an IN list
/// on the next column, with the rows it is expected to yield.
struct Path {
    prefix: Vec<BExpr>,
    range: Range,
    list: Option<Vec<BExpr>>,
    rows: f64,
}

/// The best path through ordered columns (a primary key or an index).
fn through(columns: &[usize], unique: bool, facts: &[ColumnFacts], n: f64) -> Option<Path> {
    let mut prefix = Vec::new();
    for &c in columns {
        match &facts[c].eq {
            Some(v) => prefix.push(v.clone()),
            None => break,
        }
    }
    let p = prefix.len();
    if p == columns.len() {
        let rows = if unique { 1.0 } else { (n / 10f64.powi(p as i32)).max(1.0) };
        return Some(Path { prefix, range: Range::default(), list: None, rows });
    }
    let next = &facts[columns[p]];
    let per_prefix = (n / 10f64.powi(p as i32)).max(1.0);
    if let Some(list) = &next.list {
        let rows = list.len() as f64 * (per_prefix / 10.0).max(1.0);
        return Some(Path { prefix, range: Range::default(), list: Some(list.clone()), rows });
    }
    if next.lo.is_some() || next.hi.is_some() {
        let both = next.lo.is_some() && next.hi.is_some();
        let range = Range { lo: next.lo.clone(), hi: next.hi.clone() };
        return Some(Path { prefix, range, list: None, rows: per_prefix / if both { 10.0 } else { 4.0 } });
    }
    (p > 0).then_some(Path { prefix, range: Range::default(), list: None, rows: per_prefix })
}

/// Chooses how to read `table` for a statement with this WHERE clause.
pub fn choose(table: &Table, filter: Option<&BExpr>) -> Access {
    let n = table.rows.len() as f64;
    let mut parts = Vec::new();
    if let Some(f) = filter {
        conjuncts(f, &mut parts);
    }
    let keyed = Keyed::of(table);
    let facts = facts(&parts, table, &keyed);
    let mut best = Candidate { access: Access::Full { reverse: false }, rows: n };
    let mut consider = |c: Candidate| {
        if c.rows < best.rows {
            best = c;
        }
    };
    let pk = &table.schema.primary_key;
    if !pk.is_empty() {
        if let Some(Path { prefix, range, list, rows }) = through(pk, true, &facts, n) {
            let access = match list {
                Some(list) => {
                    Access::Keys(list.into_iter().map(|v| prefix.iter().cloned().chain([v]).collect()).collect())
                }
                None if prefix.len() == pk.len() => Access::Keys(vec![prefix]),
                None => Access::KeyRange { prefix, range },
            };
            consider(Candidate { access, rows });
        }
    }
    for index in &table.indexes {
        let Some(columns) = keyed.parts(index, &parts) else { continue };
        if let Some(Path { prefix, range, list, rows }) = through(&columns, index.unique, &facts, n) {
            let name = index.name.clone();
            let access = match list {
                Some(list) => Access::IndexKeys {
                    name,
                    keys: list.into_iter().map(|v| prefix.iter().cloned().chain([v]).collect()).collect(),
                },
                None => Access::Index { name, prefix, range, reverse: false },
            };
            // An index costs a second lookup per row: prefer the key when estimates tie.
            consider(Candidate { access, rows: rows * 1.5 });
        }
    }
    best.access
}

/// The WHERE clause without the equalities an index lookup on an expression already
/// guarantees: `json_extract(body, '$.id') = ?` is not worked out again for each row the
/// index found. (A NULL on the other side finds no entry: the lookup takes none.)
pub fn residual(table: &Table, access: &Access, filter: Option<BExpr>) -> Option<BExpr> {
    let Access::Index { name, prefix, .. } = access else { return filter };
    let filter = filter?;
    let Some(compiled) = table.index(name).and_then(compiled) else { return Some(filter) };
    let guaranteed: Vec<(&BExpr, &BExpr)> =
        prefix.iter().enumerate().filter_map(|(i, v)| compiled.parts.get(i)?.as_ref().map(|e| (e, v))).collect();
    if guaranteed.is_empty() {
        return Some(filter);
    }
    let mut parts = Vec::new();
    conjuncts(&filter, &mut parts);
    let implied = |p: &BExpr| match p {
        BExpr::Compare(CmpOp::Eq, a, b) => {
            guaranteed.iter().any(|(e, v)| (**a == **e && **b == **v) || (**b == **e && **a == **v))
        }
        _ => false,
    };
    parts.into_iter().filter(|p| !implied(p)).cloned().reduce(|a, b| BExpr::And(Box::new(a), Box::new(b)))
}

/// True when an index access path holds every column in `used` (index columns plus the
/// primary key, which every entry carries).
pub fn covers(table: &Table, access: &Access, used: &[usize]) -> bool {
    let name = match access {
        Access::Index { name, .. } | Access::IndexKeys { name, .. } => name,
        _ => return false,
    };
    let Some(index) = table.index(name) else { return false };
    let pk = &table.schema.primary_key;
    let plain = |c: &usize| (0..index.columns.len()).any(|i| index.plain_column(i) == Some(*c));
    used.iter().all(|c| plain(c) || pk.contains(c))
}

/// An access path that yields rows already sorted by `columns` (ascending, or all
/// descending when `desc`), replacing a full scan; `None` when there is none.
/// [`ordered`] for sort keys that may be expressions: an index whose leading parts are
/// those expressions (and columns) gives the rows in their order. An index with a WHERE
/// holds fewer rows, and is not used.
pub fn ordered_by(table: &Table, keys: &[&BExpr], desc: bool) -> Option<Access> {
    let columns: Option<Vec<usize>> =
        keys.iter().map(|k| if let BExpr::Column(c) = k { Some(*c) } else { None }).collect();
    if let Some(columns) = columns {
        return ordered(table, &columns, desc);
    }
    table
        .indexes
        .iter()
        .find(|ix| {
            let Some(c) = compiled(ix).filter(|_| !ix.is_partial()) else { return false };
            c.parts.len() >= keys.len()
                && keys.iter().zip(&c.parts).zip(&ix.columns).all(|((k, part), column)| match (part, k) {
                    (Some(e), k) => e == *k,
                    (None, BExpr::Column(c)) => c == column,
                    (None, _) => false,
                })
        })
        .map(|ix| Access::Index { name: ix.name.clone(), prefix: Vec::new(), range: Range::default(), reverse: desc })
}

pub fn ordered(table: &Table, columns: &[usize], desc: bool) -> Option<Access> {
    if columns.is_empty() {
        return None;
    }
    let pk = &table.schema.primary_key;
    if pk.len() >= columns.len() && pk[..columns.len()] == *columns {
        return Some(Access::Full { reverse: desc });
    }
    // Index entries are ordered by their columns and then by the row key, so an integer
    // primary key may follow the index columns in the ORDER BY.
    let tail: &[usize] = if table.schema.integer_key().is_some() { pk } else { &[] };
    table
        .indexes
        .iter()
        .find(|ix| {
            // An index with expressions or a WHERE orders other values or fewer rows.
            if !ix.is_plain() {
                return false;
            }
            let order = ix.columns.iter().chain(tail);
            order.clone().count() >= columns.len() && order.zip(columns).all(|(a, b)| a == b)
        })
        .map(|ix| Access::Index { name: ix.name.clone(), prefix: Vec::new(), range: Range::default(), reverse: desc })
}
