//! Common table expressions at run time. A CTE the statement reads more than once is
//! worked out once and its rows kept for the statement; a recursive one runs its anchor,
//! then its steps over the rows added last, until a step adds none (or its LIMIT is
//! reached). The number of rows a recursion may make is capped, so a runaway one ends
//! in an error rather than exhausting memory; Ctrl-C stops it too.

use std::collections::HashSet;
use std::sync::Arc;

use super::eval::Ctx;
use super::select::{bound, is_simple_step, run_select, simple_step};
use crate::error::{Error, Result};
use crate::sql::plan::{CtePlan, Recursion};
use crate::storage::{State, Value};

/// Calls `f` with each row of the CTE until it returns false; returns whether it never
/// did.
pub fn cte_rows(
    cte: &Arc<CtePlan>,
    state: &State,
    ctx: &Ctx,
    f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    if !cte.shared {
        return run(cte, state, ctx, f);
    }
    let key = Arc::as_ptr(cte) as usize;
    let rows = match ctx.sub.and_then(|s| s.cte(key)) {
        Some(rows) => rows,
        None => {
            let mut rows = Vec::new();
            run(cte, state, ctx, &mut |r| {
                rows.push(r.clone());
                Ok(true)
            })?;
            let rows = Arc::new(rows);
            if let Some(sub) = ctx.sub {
                sub.keep_cte(key, Arc::clone(&rows));
            }
            rows
        }
    };
    for r in rows.iter() {
        if !f(r)? {
            return Ok(false);
        }
    }
    Ok(true)
}

fn run(cte: &CtePlan, state: &State, ctx: &Ctx, f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>) -> Result<bool> {
    let anchor = crate::storage::stack::grow(|| run_select(&cte.anchor, state, ctx))?.rows;
    let Some(rec) = &cte.recursion else {
        for r in &anchor {
            if !f(r)? {
                return Ok(false);
            }
        }
        return Ok(true);
    };
    Recursive::new(cte, rec, ctx)?.run(anchor, state, ctx, f)
}

/// A recursion under way: the rows seen (for UNION), how many were made and shown.
struct Recursive<'a> {
    cte: &'a CtePlan,
    rec: &'a Recursion,
    seen: Option<HashSet<Vec<Value>>>,
    made: usize,
    max: usize,
    skip: usize,
    left: Option<usize>,
}

enum Flow {
    More,
    /// The LIMIT is reached: the recursion ends.
    Done,
    /// The reader wants no more rows.
    Stopped,
}

impl<'a> Recursive<'a> {
    fn new(cte: &'a CtePlan, rec: &'a Recursion, ctx: &Ctx) -> Result<Recursive<'a>> {
        let left = bound(rec.limit.as_ref(), ctx, "LIMIT")?.filter(|l| *l >= 0).map(|l| l as usize);
        let skip = bound(rec.offset.as_ref(), ctx, "OFFSET")?.unwrap_or(0).max(0) as usize;
        let seen = (!rec.union_all).then(HashSet::new);
        Ok(Recursive { cte, rec, seen, made: 0, max: ctx.max_cte_rows, skip, left })
    }

    fn run(
        mut self,
        anchor: Vec<Vec<Value>>,
        state: &State,
        ctx: &Ctx,
        f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
    ) -> Result<bool> {
        let Some(sub) = ctx.sub else {
            return Err(Error::invalid(format!("recursive CTE {} cannot run here", self.cte.name)));
        };
        let mut batch = Vec::new();
        if let Some(end) = self.admit_all(anchor, &mut batch, f)? {
            return Ok(end);
        }
        // Steps that only filter and project read the rows straight from the batch.
        let simple = self.rec.steps.iter().all(is_simple_step);
        while !batch.is_empty() {
            ctx.check_interrupt()?;
            let rows = Arc::new(std::mem::take(&mut batch));
            if !simple {
                sub.set_working(self.rec.id, Arc::clone(&rows));
            }
            let mut next = Vec::new();
            for step in &self.rec.steps {
                let rows = if simple {
                    simple_step(step, &rows, ctx)?
                } else {
                    crate::storage::stack::grow(|| run_select(step, state, ctx))?.rows
                };
                if let Some(end) = self.admit_all(rows, &mut next, f)? {
                    sub.clear_working(self.rec.id);
                    return Ok(end);
                }
            }
            batch = next;
        }
        sub.clear_working(self.rec.id);
        Ok(true)
    }

    /// Adds rows to the next batch and shows them; `Some(more)` when the recursion ends.
    fn admit_all(
        &mut self,
        rows: Vec<Vec<Value>>,
        batch: &mut Vec<Vec<Value>>,
        f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
    ) -> Result<Option<bool>> {
        for row in rows {
            match self.admit(row, batch, f)? {
                Flow::More => {}
                Flow::Done => return Ok(Some(true)),
                Flow::Stopped => return Ok(Some(false)),
            }
        }
        Ok(None)
    }

    fn admit(
        &mut self,
        row: Vec<Value>,
        batch: &mut Vec<Vec<Value>>,
        f: &mut dyn FnMut(&Vec<Value>) -> Result<bool>,
    ) -> Result<Flow> {
        if self.left == Some(0) {
            return Ok(Flow::Done);
        }
        if let Some(seen) = &mut self.seen {
            if !seen.insert(row.clone()) {
                return Ok(Flow::More);
            }
        }
        self.made += 1;
        if self.made > self.max {
            return Err(Error::invalid(format!(
                "recursive CTE {} made more than {} rows: is its recursion missing a stop condition? (the limit \
                 is set with --max-cte-rows)",
                self.cte.name, self.max
            )));
        }
        if self.skip > 0 {
            self.skip -= 1;
        } else {
            if let Some(left) = &mut self.left {
                *left -= 1;
            }
            if !f(&row)? {
                return Ok(Flow::Stopped);
            }
        }
        batch.push(row);
        Ok(Flow::More)
    }
}
