//! Naming archive files once their commit is durable (see `exec::archive`): ARCHIVE
//! writes the file under a pending name; the commit that records it in
//! `amber$archives` renames it when the commit can no longer be lost, and opening a
//! data directory finishes any rename a crash cut short.

use crate::exec::archive::{recorded, CATALOG};
use crate::storage::{archive, Change, Joined, State, WriteOp};

/// Renames the archives `writes` recorded. A rename that fails leaves the pending file,
/// which opening the data directory renames.
pub(crate) fn name_recorded(writes: Joined, state: &State) {
    // Most databases never archive: their commits pass by without reading their ops.
    if state.table(CATALOG).is_none() {
        return;
    }
    for op in writes.ops() {
        let WriteOp::Row { table, key, change: Change::Insert(_) | Change::Update(_) } = op else { continue };
        if **table != *CATALOG {
            continue;
        }
        if let Some((path, sum)) = state.table(CATALOG).and_then(|t| t.rows.get(key)).and_then(|r| recorded(&r)) {
            let _ = archive::publish(&path, sum);
        }
    }
}

/// Renames every recorded archive still under its pending name (a crash came between
/// its commit and the rename).
pub(crate) fn finish_pending(state: &State) {
    let Some(t) = state.table(CATALOG) else { return };
    for (_, row) in t.rows.iter() {
        if let Some((path, sum)) = recorded(&row) {
            let _ = archive::publish(&path, sum);
        }
    }
}
