//! Commits that add rows to a keyless table without conflicting: see
//! [`rekey_hidden_rows`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::storage::{Change, Joined, RowKey, State, WriteOp, WriteSet};

/// Rows a transaction added to a table with no key of its own (so keyed by a hidden
/// row id nobody can name) take row ids past the newest state's largest when another
/// commit has taken theirs since BEGIN: concurrent inserts into such a table (a
/// history, a log) do not conflict. The row's later changes in the transaction follow
/// it to its new id.
pub(super) fn rekey_hidden_rows(writes: &mut [WriteSet], base: &State, head: &State) {
    // Each table with hidden row ids, and the ids this transaction added to it.
    let mut added: BTreeMap<Arc<str>, BTreeSet<i64>> = BTreeMap::new();
    for op in Joined(writes).ops() {
        if let WriteOp::Row { table, key: RowKey::Int(k), change: Change::Insert(_) } = op {
            let hidden = |s: &State| s.table(table).is_some_and(|t| t.schema.primary_key.is_empty());
            let new_row = base.table(table).is_some_and(|t| t.rows.get_bytes(&RowKey::Int(*k)).is_none());
            if hidden(base) && hidden(head) && new_row {
                added.entry(table.clone()).or_default().insert(*k);
            }
        }
    }
    let mut moves: BTreeMap<Arc<str>, BTreeMap<i64, i64>> = BTreeMap::new();
    for (table, ids) in added {
        let Some(t) = head.table(&table) else { continue };
        if !ids.iter().any(|k| t.rows.get_bytes(&RowKey::Int(*k)).is_some()) {
            continue;
        }
        let last = match t.rows.max_key() {
            Some(RowKey::Int(k)) => k,
            _ => 0,
        };
        let Some(map) = ids.iter().enumerate().map(|(i, k)| Some((*k, last.checked_add(i as i64 + 1)?))).collect()
        else {
            continue;
        };
        moves.insert(table, map);
    }
    if moves.is_empty() {
        return;
    }
    for set in writes.iter_mut() {
        for op in &mut set.ops {
            if let WriteOp::Row { table, key: key @ RowKey::Int(_), .. }
            | WriteOp::Expire { table, key: key @ RowKey::Int(_), .. } = op
            {
                if let (Some(map), RowKey::Int(k)) = (moves.get(table), &*key) {
                    if let Some(new) = map.get(k) {
                        *key = RowKey::Int(*new);
                    }
                }
            }
        }
    }
}
