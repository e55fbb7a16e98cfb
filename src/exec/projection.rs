//! Projection statements' catalog changes (see `sql::projection`); the rules themselves
//! run when a commit writes messages (`txn`).

use std::sync::Arc;

use super::write::Written;
use crate::error::{Error, Result};
use crate::sql::projection::{self, Action, CATALOG};
use crate::storage::{Change, State, WriteOp, WriteSet};

pub(super) fn run(action: &Action, state: &State) -> Result<Written> {
    let mut working = state.clone();
    let mut ops = Vec::new();
    let mut apply = |op: WriteOp, working: &mut State| -> Result<()> {
        working.apply(&op)?;
        ops.push(op);
        Ok(())
    };
    match action {
        Action::Create(def) => {
            if working.table(CATALOG).is_none() {
                apply(WriteOp::CreateTable(Arc::new(projection::catalog_schema())), &mut working)?;
            }
            let change = Change::Insert(def.row().into_boxed_slice());
            apply(WriteOp::Row { table: CATALOG.into(), key: projection::key(&def.name), change }, &mut working)?;
        }
        Action::Reset { name } => {
            let mut def = projection::definition(&working, name)
                .ok_or_else(|| Error::invalid(format!("no such projection: {name}")))?;
            def.position = 0;
            let change = Change::Update(def.row().into());
            apply(WriteOp::Row { table: CATALOG.into(), key: projection::key(name), change }, &mut working)?;
        }
        Action::Drop { name } => {
            apply(
                WriteOp::Row { table: CATALOG.into(), key: projection::key(name), change: Change::Delete },
                &mut working,
            )?;
        }
    }
    Ok(Written { state: working, writes: WriteSet { ops }, count: 0, reads: Vec::new(), failed: None })
}
