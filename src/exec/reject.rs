//! Passing over stored rows that cannot satisfy WHERE before decoding them.
//!
//! A WHERE clause's comparisons of a column with an integer or a real (a constant or a
//! parameter) are gathered into clauses, each an OR of such comparisons that the WHERE
//! clause implies: `b = 7 OR b BETWEEN 20 AND 28` implies `b = 7 OR b >= 20` and
//! `b = 7 OR b <= 28`. A stored row for which every comparison of one clause is false,
//! each read from the row's bytes, cannot satisfy WHERE and is not decoded. A comparison
//! is answered only when its column holds a number (anything else, NULL included,
//! answers nothing and leaves the row to WHERE), compared with the constant as two
//! values are (`value::Num`), so it is the comparison SQL would make. Dropping a clause, or leaving out what is not such a
//! comparison, only passes over fewer rows: the gathering stops where its room ends.

use arrayvec::ArrayVec;

use super::eval::{in_place, Ctx, Env};
use crate::sql::plan::{BExpr, CmpOp};
use crate::storage::rows;
use crate::storage::value::Num;
use crate::storage::Value;

/// A column compared with a number.
type Test = (usize, CmpOp, Num);

/// Comparisons of which one at least holds for every row WHERE keeps.
type Clause = ArrayVec<Test, 4>;

/// Clauses that all hold for every row WHERE keeps: those of one comparison (the usual
/// kind: a conjunct of WHERE) apart, so that a row is tested without a loop per clause.
#[derive(Default)]
pub(super) struct Rejects {
    single: ArrayVec<Test, 8>,
    multi: ArrayVec<Clause, 8>,
}

impl Rejects {
    pub(super) fn of(filter: &BExpr, ctx: &Ctx) -> Rejects {
        let mut out = Rejects::default();
        for clause in clauses(filter, ctx, MAX_DEPTH) {
            match clause.as_slice() {
                [one] => out.single.push(*one),
                _ => out.multi.push(clause),
            }
        }
        out
    }

    pub(super) fn is_empty(&self) -> bool {
        self.single.is_empty() && self.multi.is_empty()
    }

    /// Whether the row `bytes` hold fails WHERE, by one clause's comparisons all failing.
    #[inline(always)]
    pub(super) fn reject(&self, bytes: &[u8]) -> bool {
        for test in &self.single {
            if fails(bytes, test) {
                return true;
            }
        }
        self.multi.iter().any(|clause| clause.iter().all(|test| fails(bytes, test)))
    }
}

/// Whether the comparison is false for the row (not NULL, not unknown here): the
/// column holds a number, compared with the constant as two values are.
#[inline(always)]
fn fails(bytes: &[u8], &(column, op, v): &Test) -> bool {
    rows::num_at(bytes, column).is_some_and(|x| !op.holds(x.cmp(v)))
}

/// How deep into ANDs and ORs the gathering looks. Each level holds its clauses on the
/// stack (about a kilobyte each), and WHERE may chain hundreds of ORs; below this
/// depth nothing is gathered, which is always allowed.
const MAX_DEPTH: usize = 16;

/// Clauses `e` implies (none: it implies nothing this module can test), looking at
/// most `depth` levels into it.
fn clauses(e: &BExpr, ctx: &Ctx, depth: usize) -> ArrayVec<Clause, 8> {
    let num = |e: &BExpr| match in_place(e, &Env { row: &[], aggs: &[], ctx }) {
        Some(Value::Integer(v)) => Some(Num::Int(*v)),
        Some(Value::Real(v)) => Some(Num::Real(*v)),
        _ => None,
    };
    let one = |column: usize, op: CmpOp, v: Option<Num>| -> Option<Clause> {
        let mut clause = Clause::new();
        clause.push((column, op, v?));
        Some(clause)
    };
    let mut out = ArrayVec::new();
    let Some(depth) = depth.checked_sub(1) else { return out };
    // Past the room, a clause is left out (which is always allowed).
    let mut keep = |clause: Option<Clause>| {
        if let Some(clause) = clause {
            let _ = out.try_push(clause);
        }
    };
    match e {
        BExpr::And(a, b) => {
            for clause in clauses(a, ctx, depth).into_iter().chain(clauses(b, ctx, depth)) {
                keep(Some(clause));
            }
        }
        // Each clause of one side OR each clause of the other.
        BExpr::Or(a, b) => {
            let right = clauses(b, ctx, depth);
            for l in clauses(a, ctx, depth) {
                for r in &right {
                    let mut clause = l.clone();
                    keep(clause.try_extend_from_slice(r).is_ok().then_some(clause));
                }
            }
        }
        BExpr::Compare(op, a, b) => {
            let clause = match (&**a, &**b) {
                (BExpr::Column(c), v) => one(*c, *op, num(v)),
                (v, BExpr::Column(c)) => one(*c, op.flipped(), num(v)),
                _ => None,
            };
            keep(clause);
        }
        BExpr::Between { expr, low, high, negated: false } => {
            if let BExpr::Column(c) = &**expr {
                keep(one(*c, CmpOp::GtEq, num(low)));
                keep(one(*c, CmpOp::LtEq, num(high)));
            }
        }
        // Equal to one of the list: a clause only if every item is a number. (No item
        // at all: no row is in it, and the empty clause rejects every row.)
        BExpr::InList { expr, list, negated: false } => {
            if let BExpr::Column(c) = &**expr {
                let mut clause = Clause::new();
                let all =
                    list.iter().all(|item| num(item).is_some_and(|v| clause.try_push((*c, CmpOp::Eq, v)).is_ok()));
                keep(all.then_some(clause));
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eq(column: usize, v: i64) -> BExpr {
        BExpr::Compare(CmpOp::Eq, Box::new(BExpr::Column(column)), Box::new(BExpr::Const(Value::Integer(v))))
    }

    fn row(values: &[Value]) -> Vec<u8> {
        let mut bytes = Vec::new();
        rows::encode(values, &mut bytes);
        bytes
    }

    #[test]
    fn an_or_rules_out_a_row_only_when_both_sides_do() {
        let now = std::cell::OnceCell::new();
        let ctx = Ctx::for_constants(&now);
        // a = 1 OR (a = 2 AND b = 3)
        let e = BExpr::Or(Box::new(eq(0, 1)), Box::new(BExpr::And(Box::new(eq(0, 2)), Box::new(eq(1, 3)))));
        let r = Rejects::of(&e, &ctx);
        let int = |a: i64, b: i64| row(&[Value::Integer(a), Value::Integer(b)]);
        assert!(!r.reject(&int(1, 0)));
        assert!(!r.reject(&int(2, 3)));
        assert!(r.reject(&int(2, 4)));
        assert!(r.reject(&int(5, 3)));
        // Not numbers: nothing is ruled out.
        assert!(!r.reject(&row(&[Value::Null, Value::Integer(4)])));
        assert!(!r.reject(&row(&[Value::text("2"), Value::Integer(4)])));
    }

    #[test]
    fn a_long_chain_of_ors_is_gathered_in_little_stack() {
        // WHERE a = 0 OR a = 1 OR … nests as deep as it is long.
        let mut e = eq(0, 0);
        for v in 1..2000 {
            e = BExpr::Or(Box::new(e), Box::new(eq(0, v)));
        }
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || {
                let now = std::cell::OnceCell::new();
                let r = Rejects::of(&e, &Ctx::for_constants(&now));
                // Too deep to gather: no row is ruled out, which is always correct.
                let kept = !r.reject(&row(&[Value::Integer(5000)]));
                std::mem::forget(e);
                kept
            })
            .unwrap();
        assert!(handle.join().unwrap());
    }
}
