//! Applying projections at commit (see `sql::projection`): a commit that writes messages
//! of a projection's category, or that creates or rebuilds one, runs its rules on every
//! message past the position it had reached, under the commit lock and in the commit, and
//! records the new position. A rule that fails fails the commit: the messages are not
//! written without their read model.

use std::cell::OnceCell;
use std::sync::Arc;

use super::database::Database;
use crate::error::{Error, Result};
use crate::exec::{self, eval::Ctx, Output};
use crate::sql::planner;
use crate::sql::projection::{self, CATALOG};
use crate::storage::{Change, Joined, State, WriteOp};

pub(crate) fn apply(db: &Database, after: &mut State, writes: Joined) -> Result<Vec<WriteOp>> {
    if after.table(CATALOG).is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for mut def in projection::all(after) {
        let key = projection::key(&def.name);
        let touched = writes.ops().any(|op| match op {
            WriteOp::Message { namespace, .. } => namespace.eq_ignore_ascii_case(&def.namespace),
            WriteOp::Row { table, key: k, .. } => **table == *CATALOG && *k == key,
            _ => false,
        });
        if !touched {
            continue;
        }
        let messages: Vec<Arc<_>> = match after.messages(&def.namespace) {
            Some(store) => store.category_from(&def.category, def.position + 1).cloned().collect(),
            None => Vec::new(),
        };
        if messages.is_empty() {
            continue;
        }
        let rules = def.parsed_rules()?;
        let mut plans = Vec::with_capacity(rules.len());
        for (kind, stmt) in &rules {
            plans.push((kind.as_str(), planner::plan(stmt, after, db)?));
        }
        for m in &messages {
            if let Some((_, plan)) = plans.iter().find(|(k, _)| **k == *m.kind) {
                let params = projection::message_params(m);
                let now = OnceCell::new();
                let ctx = Ctx { params: &params, triggers: Some(db.trigger_cache()), ..Ctx::for_constants(&now) };
                let failed = |e: Error| {
                    Error::invalid(format!(
                        "projection {} could not apply message {} ({} at global position {}): {e}",
                        def.name, m.id, m.kind, m.global_position
                    ))
                };
                let state = std::mem::take(after);
                match exec::execute(plan, state, &ctx).map_err(failed)? {
                    (Output::Written(mut w, _), _) | (Output::RowsWritten(_, mut w), _) => {
                        if let Some(e) = w.failed.take() {
                            return Err(failed(e));
                        }
                        *after = w.state;
                        out.extend(w.writes.ops);
                    }
                    (_, Some(state)) => *after = state,
                    (_, None) => return Err(failed(Error::invalid("the rule gave back no state"))),
                }
            }
            def.position = m.global_position;
        }
        let op = WriteOp::Row { table: CATALOG.into(), key, change: Change::Update(def.row().into()) };
        after.apply(&op)?;
        out.push(op);
    }
    Ok(out)
}
