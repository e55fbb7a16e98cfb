//! Differences between two states, walking only what they do not share.
//!
//! Two states that come from one another share every unchanged subtree of their
//! persistent maps; `OrdMap::diff` skips shared nodes, so the cost of a diff grows with
//! the size of the change, not of the tables. The same walk gives the write set that
//! turns one state into the other (how `RESTORE SNAPSHOT` becomes an ordinary commit).

use std::sync::Arc;

use imbl::ordmap::DiffItem;

use super::state::{Change, State, WriteOp, WriteSet};
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
                        DiffItem::Add(k, v) => row(k, RowChange::Added(v.clone())),
                        DiffItem::Remove(k, v) => row(k, RowChange::Removed(v.clone())),
                        DiffItem::Update { old: (k, o), new: (_, n) } => {
                            row(k, RowChange::Changed { old: o.clone(), new: n.clone() })
                        }
                    });
                }
            }
            (a, b) => {
                for (k, v) in a.iter().flat_map(|t| t.rows.iter()) {
                    out.push(row(k, RowChange::Removed(v.clone())));
                }
                for (k, v) in b.iter().flat_map(|t| t.rows.iter()) {
                    out.push(row(k, RowChange::Added(v.clone())));
                }
            }
        }
    }
    out
}

/// The write set that turns `from` into `to`.
pub fn write_set_between(from: &State, to: &State) -> WriteSet {
    let mut ops = Vec::new();
    for t in from.tables() {
        match to.table(t.name()) {
            Some(u) if same_schema(t, u) => {}
            _ => ops.push(WriteOp::DropTable(t.name().to_string())),
        }
    }
    for u in to.tables() {
        let table = u.schema.name.to_ascii_lowercase();
        match from.table(u.name()) {
            Some(t) if same_schema(t, u) => {
                if t.rows.ptr_eq(&u.rows) {
                    continue;
                }
                let op = |key: &RowKey, change| WriteOp::Row { table: table.clone(), key: key.clone(), change };
                for item in t.rows.diff(&u.rows) {
                    match item {
                        DiffItem::Add(k, v) => ops.push(op(k, Change::Insert(v.clone()))),
                        DiffItem::Remove(k, _) => ops.push(op(k, Change::Delete)),
                        // A changed row is removed and added again, so that rows swapping
                        // unique values never clash half-way.
                        DiffItem::Update { new: (k, v), .. } => {
                            ops.push(op(k, Change::Delete));
                            ops.push(op(k, Change::Insert(v.clone())));
                        }
                    }
                }
            }
            _ => {
                ops.push(WriteOp::CreateTable(u.schema.clone()));
                for (k, v) in u.rows.iter() {
                    ops.push(WriteOp::Row { table: table.clone(), key: k.clone(), change: Change::Insert(v.clone()) });
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
    // Catalog changes first, then every delete before any insert.
    ops.sort_by_key(|op| match op {
        WriteOp::DropTable(_) | WriteOp::DropView(_) => 0,
        WriteOp::CreateTable(_) | WriteOp::CreateIndex { .. } | WriteOp::DropIndex { .. } | WriteOp::CreateView(_) => 1,
        WriteOp::Row { change: Change::Delete, .. } => 2,
        WriteOp::Row { .. } => 3,
    });
    WriteSet { ops }
}
