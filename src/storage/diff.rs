//! Differences between two states, walking only what they do not share.
//!
//! Two states that come from one another share every unchanged subtree of their
//! persistent maps; `OrdMap::diff` skips shared nodes, and a table's pages are compared
//! a leaf of up to 64 pages at a time, shared leaves skipped whole, so a diff decodes
//! only the rows of pages that differ (a 1M-row table is about 250 leaves). The same walk gives the write set that
//! turns one state into the other (how `RESTORE SNAPSHOT` becomes an ordinary commit).

use std::sync::Arc;

use imbl::ordmap::DiffItem;

use super::rows::RowDelta;
use super::state::{Change, State, WriteOp, WriteSet};
use super::streams::{Message, MessageStore};
use super::table::{Row, RowKey, Table};

/// How one row differs.
#[derive(Clone, Debug, PartialEq)]
pub enum RowChange {
    Added(Row),
    Removed(Row),
    Changed { old: Row, new: Row },
}

/// One row that differs between two states.
#[derive(Clone, Debug, PartialEq)]
pub struct RowDiff {
    pub table: String,
    pub key: RowKey,
    pub change: RowChange,
}

fn same_schema(a: &Table, b: &Table) -> bool {
    Arc::ptr_eq(&a.schema, &b.schema) || a.schema == b.schema
}

/// Every row added, removed or changed from `old` to `new`, by table then key. A table
/// whose schema changed shows all its old rows removed and its new rows added.
pub fn diff(old: &State, new: &State) -> Vec<RowDiff> {
    let mut out = Vec::new();
    let mut names: Vec<&str> = old.tables().chain(new.tables()).map(Table::name).collect();
    names.sort_unstable_by_key(|n| n.to_ascii_lowercase());
    names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    for name in names {
        let row = |key: &RowKey, change| RowDiff { table: name.to_string(), key: key.clone(), change };
        match (old.table(name), new.table(name)) {
            (Some(a), Some(b)) if same_schema(a, b) => {
                if a.rows.ptr_eq(&b.rows) {
                    continue;
                }
                for item in a.rows.diff(&b.rows) {
                    out.push(match item {
                        RowDelta::Added(k, v) => row(&k, RowChange::Added(v)),
                        RowDelta::Removed(k, v) => row(&k, RowChange::Removed(v)),
                        RowDelta::Changed { key, old, new } => row(&key, RowChange::Changed { old, new }),
                    });
                }
            }
            (a, b) => {
                for (k, v) in a.iter().flat_map(|t| t.rows.iter()) {
                    out.push(row(&k, RowChange::Removed(v)));
                }
                for (k, v) in b.iter().flat_map(|t| t.rows.iter()) {
                    out.push(row(&k, RowChange::Added(v)));
                }
            }
        }
    }
    out
}

/// A message written (`added`) or gone between two states.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageDiff {
    pub namespace: String,
    pub message: Arc<Message>,
    pub added: bool,
}

/// The messages of `new` that `old` lacks and the other way round, per namespace.
pub fn message_diff(old: &State, new: &State) -> Vec<MessageDiff> {
    let empty = MessageStore::default();
    let mut names: Vec<&String> = old.message_stores().chain(new.message_stores()).map(|(n, _)| n).collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::new();
    for ns in names {
        let (a, b) = (old.messages(ns).unwrap_or(&empty), new.messages(ns).unwrap_or(&empty));
        let common = a.common_prefix(b);
        let entry = |m: &Arc<Message>, added| MessageDiff { namespace: ns.clone(), message: m.clone(), added };
        out.extend(a.messages().skip(common).map(|m| entry(m, false)));
        out.extend(b.messages().skip(common).map(|m| entry(m, true)));
    }
    out
}

/// The write set that turns `from` into `to`.
pub fn write_set_between(from: &State, to: &State) -> WriteSet {
    let mut ops = Vec::new();
    for ns in from.namespaces() {
        if !to.has_namespace(ns) {
            ops.push(WriteOp::DropNamespace(ns.clone()));
        }
    }
    for ns in to.namespaces() {
        if !from.has_namespace(ns) {
            ops.push(WriteOp::CreateNamespace(ns.clone()));
        }
    }
    for t in from.tables() {
        match to.table(t.name()) {
            Some(u) if same_schema(t, u) => {}
            _ => ops.push(WriteOp::DropTable(t.name().to_string())),
        }
    }
    for u in to.tables() {
        let table: Arc<str> = u.schema.name.to_ascii_lowercase().into();
        match from.table(u.name()) {
            Some(t) if same_schema(t, u) => {
                if t.rows.ptr_eq(&u.rows) {
                    continue;
                }
                let op = |key: &RowKey, change| WriteOp::Row { table: table.clone(), key: key.clone(), change };
                let expire = |key: &RowKey, at| WriteOp::Expire { table: table.clone(), key: key.clone(), at };
                let mut touched = std::collections::BTreeSet::new();
                for item in t.rows.diff(&u.rows) {
                    match item {
                        RowDelta::Added(k, v) => {
                            ops.push(op(&k, Change::Insert(v[..].into())));
                            touched.insert(k);
                        }
                        RowDelta::Removed(k, _) => {
                            ops.push(op(&k, Change::Delete));
                            touched.insert(k);
                        }
                        // A changed row is removed and added again, so that rows swapping
                        // unique values never clash half-way.
                        RowDelta::Changed { key, new, .. } => {
                            ops.push(op(&key, Change::Delete));
                            ops.push(op(&key, Change::Insert(new[..].into())));
                            touched.insert(key);
                        }
                    }
                }
                // Rows stored again get their expiry back; others change only theirs.
                for k in &touched {
                    if let Some(&at) = u.expiry.get(k) {
                        ops.push(expire(k, Some(at)));
                    }
                }
                if !t.expiry.ptr_eq(&u.expiry) {
                    for item in t.expiry.diff(&u.expiry) {
                        match item {
                            DiffItem::Add(k, &at) | DiffItem::Update { new: (k, &at), .. } if !touched.contains(k) => {
                                ops.push(expire(k, Some(at)))
                            }
                            DiffItem::Remove(k, _) if !touched.contains(k) => ops.push(expire(k, None)),
                            _ => {}
                        }
                    }
                }
            }
            _ => {
                ops.push(WriteOp::CreateTable(u.schema.clone()));
                for (k, v) in u.rows.iter() {
                    ops.push(WriteOp::Row {
                        table: table.clone(),
                        key: k.clone(),
                        change: Change::Insert(v[..].into()),
                    });
                }
                for (k, &at) in u.expiry.iter() {
                    ops.push(WriteOp::Expire { table: table.clone(), key: k.clone(), at: Some(at) });
                }
            }
        }
    }
    for v in from.views() {
        if to.view(&v.name) != Some(v) {
            ops.push(WriteOp::DropView(v.name.clone()));
        }
    }
    for v in to.views() {
        if from.view(&v.name) != Some(v) {
            ops.push(WriteOp::CreateView(v.clone()));
        }
    }
    // Dropping a table or view drops its triggers; the others change where they differ.
    let dropped: Vec<String> = ops
        .iter()
        .filter_map(|op| match op {
            WriteOp::DropTable(n) | WriteOp::DropView(n) => Some(n.to_ascii_lowercase()),
            _ => None,
        })
        .collect();
    for t in from.triggers() {
        if to.trigger(&t.name) != Some(t) && !dropped.contains(&t.table) {
            ops.push(WriteOp::DropTrigger(t.name.clone()));
        }
    }
    for t in to.triggers() {
        if from.trigger(&t.name) != Some(t) || dropped.contains(&t.table) {
            ops.push(WriteOp::CreateTrigger(t.clone()));
        }
    }
    let empty = MessageStore::default();
    for (ns, _) in to.message_stores().chain(from.message_stores().filter(|(ns, _)| to.messages(ns).is_none())) {
        let a = from.messages(ns).unwrap_or(&empty);
        let b = to.messages(ns).unwrap_or(&empty);
        let common = a.common_prefix(b);
        if a.len() > common {
            ops.push(WriteOp::TruncateMessages { namespace: ns.clone(), keep: common as u64 });
        }
        for m in b.messages().skip(common) {
            ops.push(WriteOp::Message { namespace: ns.clone(), message: m.clone() });
        }
    }
    // Catalog changes first (a trigger after what it watches), then every delete before any insert, then expiry and
    // messages.
    ops.sort_by_key(|op| match op {
        WriteOp::DropTrigger(_) => 0,
        WriteOp::DropTable(_) | WriteOp::DropView(_) => 1,
        WriteOp::DropNamespace(_) => 2,
        WriteOp::CreateNamespace(_) => 3,
        WriteOp::CreateTable(_)
        | WriteOp::CreateTableV1(_)
        | WriteOp::CreateTableV2(_)
        | WriteOp::CreateTableV3(_)
        | WriteOp::CreateIndex { .. }
        | WriteOp::CreateIndexV1 { .. }
        | WriteOp::DropIndex { .. }
        | WriteOp::CreateView(_) => 4,
        WriteOp::CreateTrigger(_) => 5,
        WriteOp::Row { change: Change::Delete, .. } => 6,
        WriteOp::Row { .. } => 7,
        WriteOp::Expire { .. } => 8,
        WriteOp::TruncateMessages { .. } => 9,
        WriteOp::Message { .. } => 10,
        WriteOp::Commit(_) => 11,
    });
    WriteSet { ops }
}
