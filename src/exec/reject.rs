//! Passing over stored rows that cannot satisfy WHERE before decoding them.
//!
//! A WHERE clause's comparisons of a column with an integer or a real (a constant or a
//! parameter) are gathered into clauses, each an OR of such comparisons that the WHERE
//! clause implies: `b = 7 OR b BETWEEN 20 AND 28` implies `b = 7 OR b >= 20` and
//! `b = 7 OR b <= 28`. A stored row for which every comparison of one clause is false,
//! each read from the row's bytes, cannot satisfy WHERE and is not decoded. A comparison
//! is answered only when its column holds a number of the same kind (anything else, NULL
//! included, answers nothing and leaves the row to WHERE), so it is the comparison SQL
//! would make of the two values. Dropping a clause, or leaving out what is not such a
//! comparison, only passes over fewer rows: the gathering stops where its room ends.

use arrayvec::ArrayVec;

use super::eval::{in_place, Ctx, Env};
use crate::sql::plan::{BExpr, CmpOp};
use crate::storage::rows::{self, Num};
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
        for clause in clauses(filter, ctx) {
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
        self.single.iter().any(|test| fails(bytes, test))
            || self.multi.iter().any(|clause| clause.iter().all(|test| fails(bytes, test)))
    }
}

/// Whether the comparison is false for the row (not NULL, not unknown here).
#[inline(always)]
fn fails(bytes: &[u8], &(column, op, v): &Test) -> bool {
    let order = match (rows::num_at(bytes, column), v) {
        (Some(Num::Int(x)), Num::Int(v)) => x.cmp(&v),
        // As `Value::total_cmp` orders two reals.
        (Some(Num::Real(x)), Num::Real(v)) => x.total_cmp(&v),
        _ => return false,
    };
    !op.holds(order)
}

/// Clauses `e` implies (none: it implies nothing this module can test).
fn clauses(e: &BExpr, ctx: &Ctx) -> ArrayVec<Clause, 8> {
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
    // Past the room, a clause is left out (which is always allowed).
    let mut keep = |clause: Option<Clause>| {
        if let Some(clause) = clause {
            let _ = out.try_push(clause);
        }
    };
    match e {
        BExpr::And(a, b) => {
            for clause in clauses(a, ctx).into_iter().chain(clauses(b, ctx)) {
                keep(Some(clause));
            }
        }
        // Each clause of one side OR each clause of the other.
        BExpr::Or(a, b) => {
            let right = clauses(b, ctx);
            for l in clauses(a, ctx) {
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
