//! `EXPLAIN ANALYZE`: runs a statement with each part of its plan counted, and shows
//! the plan with the counts beside the planner's estimates. A write runs on a private
//! copy and is thrown away, unless a transaction is open: then it is part of the
//! transaction, as any statement is, kept or undone with it.

use std::cell::OnceCell;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{Failed, Session};
use crate::error::Result;
use crate::exec::probe::Probe;
use crate::exec::{self, Output, ResultSet};
use crate::sql::explain::{explain_noted, explain_write};
use crate::sql::plan::Plan;
use crate::storage::Value;
use crate::txn::stream::context;
use crate::txn::Outcome;

impl Session {
    pub(super) fn explain_analyze(
        &mut self,
        plan: &Plan,
        timing: bool,
        version: u64,
        params: &[Value],
    ) -> Result<Outcome> {
        self.interrupt.store(false, Ordering::Relaxed);
        let probe = Probe::default();
        let now = OnceCell::new();
        let db = self.db.clone();
        let clock = || db.now();
        let mut ctx = context(&self.db, &self.interrupt, &self.counters, params, &now, &clock, version);
        ctx.probe = Some(&probe);
        let state = self.working_state();
        let started = Instant::now();
        let (rows, what) = match plan {
            Plan::Select(select) => (exec::query(select, &state, ctx)?.rows.len(), "rows"),
            _ if !plan.is_write() => {
                return Err(crate::error::Error::invalid(
                    "EXPLAIN ANALYZE runs SELECT, INSERT, UPDATE and DELETE statements",
                ));
            }
            _ => {
                let out = match &mut self.txn {
                    Some(txn) => match txn.run(plan, &ctx) {
                        Ok(out) => out,
                        Err(Failed::Statement(e)) => return Err(e),
                        Err(Failed::Transaction(e)) => {
                            self.txn = None;
                            return Err(e);
                        }
                    },
                    // Outside a transaction the write runs on a copy no one else sees,
                    // which is dropped: nothing is committed.
                    None => exec::execute(plan, state.clone(), &ctx)?.0,
                };
                let count = match out {
                    Output::Written(w, _) | Output::RowsWritten(_, w) => w.count,
                    Output::Rows(r) => r.rows.len(),
                    Output::Nothing => 0,
                };
                let kept = if self.txn.is_some() { "kept in the transaction" } else { "rolled back" };
                (count, kept)
            }
        };
        let elapsed = started.elapsed();
        let note = |key: (usize, u8)| -> String {
            let Some(c) = probe.get(key) else { return String::new() };
            let time = if c.time.is_zero() || !timing {
                String::new()
            } else {
                format!(" time={:.3} ms", c.time.as_secs_f64() * 1e3)
            };
            format!("  (actual rows={} loops={}{time})", c.rows, c.loops)
        };
        let mut lines = match plan {
            Plan::Select(select) => explain_noted(select, &state, &note),
            _ => explain_write(plan, &state),
        };
        let took = if timing { format!(" in {:.3} ms", elapsed.as_secs_f64() * 1e3) } else { String::new() };
        let summary = match what {
            "rows" => format!("Execution: {rows} rows{took}"),
            kept => format!("Execution: {rows} rows changed{took} ({kept})"),
        };
        lines.push(summary);
        let rows = lines.into_iter().map(|l| vec![Value::text(&l)]).collect();
        Ok(Outcome::Rows(ResultSet { json: 0, columns: vec!["plan".to_string()].into(), rows }))
    }
}
