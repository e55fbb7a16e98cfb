//! Expression evaluation with SQLite's semantics: three-valued logic, integer
//! arithmetic that overflows into reals, division by zero giving NULL.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::cmp::Ordering;
use std::sync::atomic::AtomicBool;

pub use super::counters::Counters;
use super::functions::call;
use super::select::run_select;
use crate::error::{Error, ErrorKind, Result};
use crate::sql::plan::SelectPlan;
use crate::sql::plan::{ArithOp, BExpr};
use crate::storage::convert::{cast, to_number};
use crate::storage::{History, State, Value};
use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::sync::Arc;

/// What evaluation needs besides the row: parameters, the statement's clock reading and
/// the interrupt flag that a long query checks.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub params: &'a [Value],
    /// The statement's clock reading, taken the first time something asks for it.
    pub now: &'a OnceCell<i64>,
    /// Where that reading comes from (the database's clock); the system clock if none.
    pub clock: Option<&'a dyn Fn() -> i64>,
    pub interrupt: Option<&'a AtomicBool>,
    /// The version the statement reads (`current_version()`).
    pub version: u64,
    /// Past versions and snapshots, for `AS OF`.
    pub history: Option<&'a dyn History>,
    /// The state subqueries read, and what they need while the statement runs; set by
    /// `exec::execute`.
    pub state: Option<&'a State>,
    pub sub: Option<&'a SubState>,
    /// The triggers running, innermost first; none outside a trigger's body.
    pub firing: Option<&'a super::trigger::Firing<'a>>,
    /// The database's planned triggers, when there is a database.
    pub triggers: Option<&'a super::trigger::TriggerCache>,
    /// The longest string or blob a function or operator may build, in bytes.
    pub max_length: usize,
    /// The most rows a recursive CTE may make.
    pub max_cte_rows: usize,
    /// The session's `last_insert_rowid()`, `changes()` and `total_changes()`.
    pub counters: Option<&'a Counters>,
    /// Where `EXPLAIN ANALYZE` counts each part's rows and time.
    pub probe: Option<&'a super::probe::Probe>,
}

/// The most rows a recursive CTE may make unless a database sets otherwise.
pub const MAX_CTE_ROWS: usize = 10_000_000;

/// The longest string or blob unless a database sets less: SQLite's default.
pub const MAX_LENGTH: usize = 1_000_000_000;

impl Ctx<'_> {
    /// Refuses a string or blob of `len` bytes past the limit, before it is built.
    pub fn check_length(&self, len: usize) -> Result<()> {
        if len > self.max_length {
            return Err(ErrorKind::TooBig { limit: self.max_length }.into());
        }
        Ok(())
    }
}

impl<'a> Ctx<'a> {
    /// A context for expressions that read no row, table or parameter (a DEFAULT, a
    /// constant): the time is read once, from the system clock.
    pub fn for_constants(now: &'a OnceCell<i64>) -> Ctx<'a> {
        Ctx {
            params: &[],
            now,
            clock: None,
            interrupt: None,
            version: 0,
            history: None,
            state: None,
            sub: None,
            firing: None,
            triggers: None,
            max_length: MAX_LENGTH,
            max_cte_rows: MAX_CTE_ROWS,
            counters: None,
            probe: None,
        }
    }
}

/// Subquery bookkeeping for one statement: the rows of the queries a correlated
/// subquery is running inside (innermost last), and the results of the subqueries that
/// read no outer row, computed once.
#[derive(Default)]
pub struct SubState {
    outer: RefCell<Vec<Vec<Value>>>,
    /// Keyed by the subquery plan's address; FxHash needs no per-statement random seed.
    cache: RefCell<FxHashMap<usize, Cached>>,
    /// Messages `write_message` wrote in this statement, with their namespaces.
    messages: RefCell<Vec<(String, crate::storage::streams::Message)>>,
    /// The rows of CTEs read more than once, keyed by their plan's address.
    ctes: RefCell<FxHashMap<usize, Arc<Vec<Vec<Value>>>>>,
    /// The rows each running recursive CTE added last, by its id.
    working: RefCell<FxHashMap<usize, Arc<Vec<Vec<Value>>>>>,
}

type Rows = Arc<Vec<Vec<Value>>>;

impl SubState {
    pub fn cte(&self, key: usize) -> Option<Rows> {
        self.ctes.borrow().get(&key).cloned()
    }

    pub fn keep_cte(&self, key: usize, rows: Rows) {
        self.ctes.borrow_mut().insert(key, rows);
    }

    pub fn working(&self, id: usize) -> Option<Rows> {
        self.working.borrow().get(&id).cloned()
    }

    pub fn set_working(&self, id: usize, rows: Rows) {
        self.working.borrow_mut().insert(id, rows);
    }

    pub fn clear_working(&self, id: usize) {
        self.working.borrow_mut().remove(&id);
    }
}

impl SubState {
    /// How many messages this statement wrote to a stream so far.
    pub fn pending_in(&self, namespace: &str, stream: &str) -> usize {
        self.messages.borrow().iter().filter(|(ns, m)| ns == namespace && *m.stream_name == *stream).count()
    }

    pub fn has_pending_id(&self, id: &str) -> bool {
        self.messages.borrow().iter().any(|(_, m)| *m.id == *id)
    }

    pub fn push_message(&self, namespace: String, message: crate::storage::streams::Message) {
        self.messages.borrow_mut().push((namespace, message));
    }

    /// The messages written, in order, as write operations.
    pub fn take_messages(&self) -> Vec<crate::storage::WriteOp> {
        let messages = std::mem::take(&mut *self.messages.borrow_mut());
        if messages.is_empty() {
            return Vec::new();
        }
        messages
            .into_iter()
            .map(|(namespace, m)| crate::storage::WriteOp::Message { namespace, message: std::sync::Arc::new(m) })
            .collect()
    }
}

#[derive(Clone)]
enum Cached {
    Scalar(Value),
    Exists(bool),
    /// The values of an IN subquery, sorted, without NULLs; and whether it had NULLs.
    Set(Arc<Vec<Value>>, bool),
}

fn no_subqueries() -> Error {
    Error::invalid("a subquery cannot be evaluated here")
}

/// Runs a subquery; a correlated one sees the current row as its enclosing row.
fn run_subquery(plan: &SelectPlan, correlated: bool, env: &Env) -> Result<Vec<Vec<Value>>> {
    let ctx = env.ctx;
    let (state, sub) = ctx.state.zip(ctx.sub).ok_or_else(no_subqueries)?;
    if !correlated {
        return Ok(run_select(plan, state, ctx)?.rows);
    }
    sub.outer.borrow_mut().push(env.row.to_vec());
    let result = run_select(plan, state, ctx);
    sub.outer.borrow_mut().pop();
    Ok(result?.rows)
}

/// A subquery's result in the form `make` gives it, from the statement's cache when the
/// subquery reads no enclosing row.
fn subquery_result(
    plan: &Arc<SelectPlan>,
    correlated: bool,
    env: &Env,
    make: impl Fn(Vec<Vec<Value>>) -> Cached,
) -> Result<Cached> {
    if correlated {
        return Ok(make(run_subquery(plan, true, env)?));
    }
    let sub = env.ctx.sub.ok_or_else(no_subqueries)?;
    let key = Arc::as_ptr(plan) as usize;
    if let Some(c) = sub.cache.borrow().get(&key) {
        return Ok(c.clone());
    }
    let made = make(run_subquery(plan, false, env)?);
    sub.cache.borrow_mut().insert(key, made.clone());
    Ok(made)
}

fn first_value(rows: Vec<Vec<Value>>) -> Cached {
    Cached::Scalar(rows.into_iter().next().and_then(|r| r.into_iter().next()).unwrap_or(Value::Null))
}

fn value_set(rows: Vec<Vec<Value>>) -> Cached {
    let mut has_null = false;
    let mut values: Vec<Value> = rows
        .into_iter()
        .filter_map(|r| r.into_iter().next())
        .filter(|v| {
            has_null |= v.is_null();
            !v.is_null()
        })
        .collect();
    values.sort_by(|a, b| a.total_cmp(b));
    values.dedup_by(|a, b| a.total_cmp(b) == Ordering::Equal);
    Cached::Set(Arc::new(values), has_null)
}

impl Ctx<'_> {
    /// The statement's time: every `now()` in one statement agrees.
    pub fn now(&self) -> i64 {
        *self.now.get_or_init(|| self.clock.map_or_else(crate::storage::time::now_micros, |c| c()))
    }

    /// Fails with `Interrupted` once the flag is raised (Ctrl-C in the shell).
    pub fn check_interrupt(&self) -> Result<()> {
        match self.interrupt {
            Some(flag) if flag.load(std::sync::atomic::Ordering::Relaxed) => Err(ErrorKind::Interrupted.into()),
            _ => Ok(()),
        }
    }
}

/// The row an expression sees: input columns and, after aggregation, aggregate results.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub row: &'a [Value],
    pub aggs: &'a [Value],
    pub ctx: &'a Ctx<'a>,
}

fn bool_or_null(b: Option<bool>) -> Value {
    b.map_or(Value::Null, Value::Boolean)
}

/// The truth of a condition. Comparisons and connectives, which most conditions are
/// made of, are decided here without building a value for each step.
pub fn truth(e: &BExpr, env: &Env) -> Result<Option<bool>> {
    Ok(match e {
        BExpr::Compare(op, a, b) => match (in_place(a, env), in_place(b, env)) {
            (Some(a), Some(b)) => a.sql_cmp(b).map(|o| op.holds(o)),
            _ => operand(a, env)?.sql_cmp(&*operand(b, env)?).map(|o| op.holds(o)),
        },
        BExpr::And(a, b) => match truth(a, env)? {
            Some(false) => Some(false),
            l => match (l, truth(b, env)?) {
                (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
        },
        BExpr::Or(a, b) => match truth(a, env)? {
            Some(true) => Some(true),
            l => match (l, truth(b, env)?) {
                (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
        },
        BExpr::Not(a) => truth(a, env)?.map(|b| !b),
        BExpr::Between { expr, low, high, negated } => between(expr, low, high, env)?.map(|b| b != *negated),
        BExpr::Like { expr, pattern, negated } => like_values(expr, pattern, env)?.map(|b| b != *negated),
        _ => eval(e, env)?.truth(),
    })
}

/// An operand that is a value already (a column, a constant, a bound parameter), read in
/// place. Conditions over such operands are decided without a `Result` per operand: a
/// result holding a value is built in a stack slot and read back whole, which stalls
/// (a filtered scan spent a quarter of its time there).
#[inline]
pub(super) fn in_place<'a>(e: &'a BExpr, env: &Env<'a>) -> Option<&'a Value> {
    match e {
        BExpr::Column(i) => env.row.get(*i),
        BExpr::Const(v) => Some(v),
        BExpr::Param(i) => env.ctx.params.get(*i),
        _ => None,
    }
}

/// Adds an expression's value to a list. An operand that is a value already is copied
/// straight into place: through a `Result` it would be written to a stack slot in parts
/// and read back whole (a stall on every value).
pub(super) fn push_value(e: &BExpr, env: &Env, out: &mut Vec<Value>) -> Result<()> {
    match in_place(e, env) {
        Some(v) => out.push(v.clone()),
        None => out.push(eval(e, env)?),
    }
    Ok(())
}

/// An operand as a reference where it is one already ([`in_place`]), so that comparing
/// text copies nothing and counts no reference; evaluated otherwise (which also reports
/// a parameter that was not bound).
fn operand<'a>(e: &'a BExpr, env: &Env<'a>) -> Result<Cow<'a, Value>> {
    Ok(match in_place(e, env) {
        Some(v) => Cow::Borrowed(v),
        None => Cow::Owned(eval(e, env)?),
    })
}

fn between<'a>(expr: &'a BExpr, low: &'a BExpr, high: &'a BExpr, env: &Env<'a>) -> Result<Option<bool>> {
    if let (Some(v), Some(lo), Some(hi)) = (in_place(expr, env), in_place(low, env), in_place(high, env)) {
        return Ok(between_values(v, lo, hi));
    }
    // The high bound is evaluated only when the low one does not already decide.
    let (v, lo) = (operand(expr, env)?, operand(low, env)?);
    if v.sql_cmp(&lo) == Some(Ordering::Less) {
        return Ok(Some(false));
    }
    Ok(between_values(&v, &lo, &*operand(high, env)?))
}

fn between_values(v: &Value, lo: &Value, hi: &Value) -> Option<bool> {
    let lo = v.sql_cmp(lo).map(|o| o != Ordering::Less);
    if lo == Some(false) {
        return Some(false);
    }
    let hi = v.sql_cmp(hi).map(|o| o != Ordering::Greater);
    match (lo, hi) {
        (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

fn like_values<'a>(expr: &'a BExpr, pattern: &'a BExpr, env: &Env<'a>) -> Result<Option<bool>> {
    if let (Some(v), Some(p)) = (in_place(expr, env), in_place(pattern, env)) {
        return Ok(like_of(v, p));
    }
    let (v, p) = (operand(expr, env)?, operand(pattern, env)?);
    Ok(like_of(&v, &p))
}

fn like_of(v: &Value, p: &Value) -> Option<bool> {
    match (v, p) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Text(v), Value::Text(p)) => Some(like_bytes(p.as_bytes(), v.as_bytes())),
        (v, p) => Some(like(&as_text(p), &as_text(v))),
    }
}

/// True only when the expression is true (NULL and false both filter a row out).
pub fn is_true(e: &BExpr, env: &Env) -> Result<bool> {
    Ok(truth(e, env)? == Some(true))
}

pub fn eval(e: &BExpr, env: &Env) -> Result<Value> {
    Ok(match e {
        BExpr::Const(v) => v.clone(),
        BExpr::Outer { depth, column } => {
            let sub = env.ctx.sub.ok_or_else(no_subqueries)?;
            let stack = sub.outer.borrow();
            let row = stack.len().checked_sub(*depth).and_then(|i| stack.get(i)).ok_or_else(no_subqueries)?;
            row.get(*column).cloned().unwrap_or(Value::Null)
        }
        BExpr::Subquery(plan, correlated) => match subquery_result(plan, *correlated, env, first_value)? {
            Cached::Scalar(v) => v,
            _ => Value::Null,
        },
        BExpr::ArraySubquery(plan, correlated) => {
            let array = |rows: Vec<Vec<Value>>| {
                let values: Vec<Value> = rows.into_iter().filter_map(|r| r.into_iter().next()).collect();
                Cached::Scalar(Value::text(&crate::sql::pg_catalog::array_text(&values)))
            };
            match subquery_result(plan, *correlated, env, array)? {
                Cached::Scalar(v) => v,
                _ => Value::Null,
            }
        }
        BExpr::Exists(plan, correlated) => {
            match subquery_result(plan, *correlated, env, |rows| Cached::Exists(!rows.is_empty()))? {
                Cached::Exists(b) => Value::Boolean(b),
                _ => Value::Null,
            }
        }
        BExpr::InSubquery { expr, plan, correlated, negated } => {
            let v = eval(expr, env)?;
            let Cached::Set(values, has_null) = subquery_result(plan, *correlated, env, value_set)? else {
                return Ok(Value::Null);
            };
            let found = if values.is_empty() && !has_null {
                Some(false)
            } else if v.is_null() {
                None
            } else if values.binary_search_by(|x| x.total_cmp(&v)).is_ok() {
                Some(true)
            } else if has_null {
                None
            } else {
                Some(false)
            };
            bool_or_null(found.map(|b| b != *negated))
        }
        BExpr::Column(i) => env.row[*i].clone(),
        BExpr::Param(i) => env.ctx.params.get(*i).cloned().ok_or_else(|| ErrorKind::MissingParameter(i + 1))?,
        BExpr::Agg(i) => env.aggs[*i].clone(),
        BExpr::Not(..) => bool_or_null(truth(e, env)?),
        BExpr::Neg(a) => negate(eval(a, env)?),
        BExpr::BitNot(a) => match to_number(&eval(a, env)?) {
            Value::Null => Value::Null,
            Value::Integer(i) => Value::Integer(!i),
            Value::Real(r) => Value::Integer(!(r as i64)),
            _ => Value::Null,
        },
        BExpr::And(..) | BExpr::Or(..) | BExpr::Compare(..) => bool_or_null(truth(e, env)?),
        BExpr::Is { left: a, right: b, negated } => {
            let (a, b) = (operand(a, env)?, operand(b, env)?);
            let same = match (a.is_null(), b.is_null()) {
                (true, true) => true,
                (false, false) => a.total_cmp(&b) == Ordering::Equal,
                _ => false,
            };
            Value::Boolean(same != *negated)
        }
        BExpr::Arith(op, a, b) => match (in_place(a, env), in_place(b, env)) {
            (Some(x), Some(y)) => arith(*op, x, y),
            _ => arith(*op, &*operand(a, env)?, &*operand(b, env)?),
        },
        BExpr::Concat(a, b) => match (eval(a, env)?, eval(b, env)?) {
            (Value::Null, _) | (_, Value::Null) => Value::Null,
            (a, b) => {
                let (a, b) = (a.to_string(), b.to_string());
                env.ctx.check_length(a.len() + b.len())?;
                Value::text(&(a + &b))
            }
        },
        BExpr::IsNull { expr: a, negated } => Value::Boolean(operand(a, env)?.is_null() != *negated),
        BExpr::Between { .. } | BExpr::Like { .. } => bool_or_null(truth(e, env)?),
        BExpr::InList { expr, list, negated } => {
            let v = operand(expr, env)?;
            bool_or_null(in_list(&v, list, env)?.map(|b| b != *negated))
        }
        BExpr::Case { operand, whens, else_ } => {
            let subject = operand.as_deref().map(|o| eval(o, env)).transpose()?;
            for (w, t) in whens {
                let hit = match &subject {
                    Some(s) => s.sql_cmp(&eval(w, env)?) == Some(Ordering::Equal),
                    None => is_true(w, env)?,
                };
                if hit {
                    return eval(t, env);
                }
            }
            match else_ {
                Some(e) => eval(e, env)?,
                None => Value::Null,
            }
        }
        BExpr::Cast(a, ty) => {
            let v = eval(a, env)?;
            cast(&v, *ty).ok_or_else(|| {
                Error::invalid(format!("cannot cast {} to {ty}", crate::storage::schema::literal_sql(&v)))
            })?
        }
        BExpr::Func(f, args) => {
            let mut vals = Vec::with_capacity(args.len());
            for a in args {
                push_value(a, env, &mut vals)?;
            }
            call(*f, vals, env.ctx)?
        }
    })
}

fn in_list(v: &Value, list: &[BExpr], env: &Env) -> Result<Option<bool>> {
    if list.is_empty() {
        return Ok(Some(false));
    }
    if v.is_null() {
        return Ok(None);
    }
    let mut saw_null = false;
    for item in list {
        match v.sql_cmp(&*operand(item, env)?) {
            Some(Ordering::Equal) => return Ok(Some(true)),
            None => saw_null = true,
            _ => {}
        }
    }
    Ok(if saw_null { None } else { Some(false) })
}

fn real(r: f64) -> Value {
    if r.is_nan() {
        Value::Null
    } else {
        Value::Real(r)
    }
}

pub fn negate(v: Value) -> Value {
    match to_number(&v) {
        Value::Integer(i) => i.checked_neg().map_or(Value::Real(-(i as f64)), Value::Integer),
        Value::Real(r) => Value::Real(-r),
        _ => Value::Null,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        _ => 0.0,
    }
}

fn as_i64(v: &Value) -> i64 {
    match v {
        Value::Integer(i) => *i,
        Value::Real(r) => *r as i64,
        _ => 0,
    }
}

/// Binary arithmetic on numbers (text is read as a number first, as SQLite does).
pub fn arith(op: ArithOp, a: &Value, b: &Value) -> Value {
    if a.is_null() || b.is_null() {
        return Value::Null;
    }
    let (a, b) = (to_number(a), to_number(b));
    let ints = match (&a, &b) {
        (Value::Integer(x), Value::Integer(y)) => Some((*x, *y)),
        _ => None,
    };
    let (x, y) = (as_f64(&a), as_f64(&b));
    match op {
        ArithOp::Add => ints.and_then(|(i, j)| i.checked_add(j)).map_or(real(x + y), Value::Integer),
        ArithOp::Sub => ints.and_then(|(i, j)| i.checked_sub(j)).map_or(real(x - y), Value::Integer),
        ArithOp::Mul => ints.and_then(|(i, j)| i.checked_mul(j)).map_or(real(x * y), Value::Integer),
        ArithOp::Div => match ints {
            Some((_, 0)) => Value::Null,
            Some((i, j)) => i.checked_div(j).map_or(real(x / y), Value::Integer),
            None if y == 0.0 => Value::Null,
            None => real(x / y),
        },
        ArithOp::Mod => {
            let (i, j) = (as_i64(&a), as_i64(&b));
            if j == 0 {
                return Value::Null;
            }
            let r = i.checked_rem(j).unwrap_or(0);
            if ints.is_some() {
                Value::Integer(r)
            } else {
                Value::Real(r as f64)
            }
        }
        ArithOp::BitAnd => Value::Integer(as_i64(&a) & as_i64(&b)),
        ArithOp::BitOr => Value::Integer(as_i64(&a) | as_i64(&b)),
        ArithOp::ShiftLeft => Value::Integer(shift(as_i64(&a), as_i64(&b))),
        ArithOp::ShiftRight => Value::Integer(shift(as_i64(&a), as_i64(&b).saturating_neg())),
    }
}

/// SQLite's shift: a negative amount shifts the other way; 64 or more clears (or fills
/// with the sign bit on a right shift of a negative number).
fn shift(v: i64, by: i64) -> i64 {
    match by {
        0 => v,
        b if b >= 64 => 0,
        b if b > 0 => v << b,
        b if b <= -64 => {
            if v < 0 {
                -1
            } else {
                0
            }
        }
        b => v >> (-b),
    }
}

/// A value as text, borrowed when it is text already.
fn as_text(v: &Value) -> std::borrow::Cow<'_, str> {
    match v {
        Value::Text(s) => std::borrow::Cow::Borrowed(s),
        v => std::borrow::Cow::Owned(v.to_string()),
    }
}

/// SQL LIKE: `%` matches any run, `_` one character; ASCII letters match either case.
/// It walks the UTF-8 bytes without allocating: a literal byte of the pattern matches
/// the same byte (ASCII letters either case), `_` takes a whole character, and a `%`
/// retried further on moves by whole characters.
pub fn like(pattern: &str, text: &str) -> bool {
    like_bytes(pattern.as_bytes(), text.as_bytes())
}

/// A pattern with `%` only at its ends (or none) and no `_` — `%abc%`, `abc%`, `%abc` —
/// is a search for its middle part: `None` for any other pattern. A needle that is
/// UTF-8 matches only at a character's start, so bytes can be compared.
fn like_literal(p: &[u8], t: &[u8]) -> Option<bool> {
    let lead = p.first() == Some(&b'%');
    let trail = p.len() > 1 && p.last() == Some(&b'%');
    let core = &p[lead as usize..p.len() - trail as usize];
    if core.iter().any(|&c| c == b'%' || c == b'_') {
        return None;
    }
    let n = core.len();
    Some(match (lead, trail) {
        (true, true) => contains_ignore_ascii_case(t, core),
        (true, false) => t.len() >= n && t[t.len() - n..].eq_ignore_ascii_case(core),
        (false, true) => t.len() >= n && t[..n].eq_ignore_ascii_case(core),
        (false, false) => t.eq_ignore_ascii_case(core),
    })
}

/// Whether `needle` occurs in `hay`, ASCII letters matching either case. Only places
/// whose first byte matches are compared further.
fn contains_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else { return true };
    let first = first.to_ascii_lowercase();
    let Some(last_start) = hay.len().checked_sub(needle.len()) else { return false };
    (0..=last_start)
        .any(|i| hay[i].to_ascii_lowercase() == first && hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest))
}

/// [`like`] over the UTF-8 bytes of pattern and text.
fn like_bytes(p: &[u8], t: &[u8]) -> bool {
    if let Some(found) = like_literal(p, t) {
        return found;
    }
    // The index just past the character starting at `i`.
    let next_char = |i: usize| {
        let mut j = i + 1;
        while t.get(j).is_some_and(|b| b & 0xC0 == 0x80) {
            j += 1;
        }
        j
    };
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'%') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some(b'_') => {
                pi += 1;
                ti = next_char(ti);
                continue;
            }
            Some(c) if c.eq_ignore_ascii_case(&t[ti]) => {
                pi += 1;
                ti += 1;
                continue;
            }
            _ => {}
        }
        let Some((sp, st)) = star else { return false };
        let retry = next_char(st);
        pi = sp + 1;
        ti = retry;
        star = Some((sp, retry));
    }
    p[pi.min(p.len())..].iter().all(|&c| c == b'%')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_division_and_overflow() {
        assert_eq!(arith(ArithOp::Div, &Value::Integer(7), &Value::Integer(2)), Value::Integer(3));
        assert_eq!(arith(ArithOp::Div, &Value::Integer(7), &Value::Integer(0)), Value::Null);
        assert_eq!(arith(ArithOp::Div, &Value::Real(7.0), &Value::Integer(2)), Value::Real(3.5));
        assert_eq!(arith(ArithOp::Mod, &Value::Integer(-7), &Value::Integer(3)), Value::Integer(-1));
        assert!(matches!(arith(ArithOp::Add, &Value::Integer(i64::MAX), &Value::Integer(1)), Value::Real(_)));
        assert_eq!(arith(ArithOp::Add, &Value::text("3"), &Value::Integer(4)), Value::Integer(7));
    }

    /// LIKE over characters, straightforwardly: the byte matcher must agree with it.
    fn like_by_chars(pattern: &str, text: &str) -> bool {
        fn go(p: &[char], t: &[char]) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some(('%', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
                Some((&c, rest)) => {
                    t.split_first().is_some_and(|(&d, t)| (c == '_' || c.eq_ignore_ascii_case(&d)) && go(rest, t))
                }
            }
        }
        go(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>())
    }

    proptest::proptest! {
        #[test]
        fn like_agrees_with_matching_by_characters(
            pattern in proptest::collection::vec(proptest::sample::select(vec!['a', 'B', 'é', '%', '_', '€']), 0..7),
            text in proptest::collection::vec(proptest::sample::select(vec!['a', 'b', 'A', 'é', '€', 'x']), 0..9),
        ) {
            let (pattern, text): (String, String) = (pattern.into_iter().collect(), text.into_iter().collect());
            proptest::prop_assert_eq!(like(&pattern, &text), like_by_chars(&pattern, &text), "{} LIKE {}", text, pattern);
        }
    }

    #[test]
    fn like_matches_sqlite() {
        assert!(like("a%", "ABC"));
        assert!(like("%b_", "abc"));
        assert!(!like("a_", "abc"));
        assert!(like("%", ""));
        assert!(like("%a%a%", "banana"));
        assert!(!like("%x%", "banana"));
        // `_` is one character, however many bytes it takes.
        assert!(like("_", "é") && like("a_c", "aéc") && !like("a__c", "aéc"));
        assert!(like("%é%", "caféine") && like("%_ine", "caféine") && like("%f_i%", "caféine"));
        assert!(!like("%É%", "café"), "only ASCII letters match either case");
        assert!(like("%ABC%", "xxabcxx") && like("a%c", "abbbc") && !like("a%c", "abbbd"));
    }
}
