//! `CHECK DATABASE`: verifies that every index agrees with its table, that no unique
//! key is duplicated, that every row sits under the key its values give, and that every
//! value fits its column.

use super::convert::fits;
use super::state::State;
use super::table::{IndexEntry, Slot, Table};
use super::value::Value;

/// One thing found wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub table: String,
    /// The row key concerned, as text (empty when the problem is not one row's).
    pub key: String,
    pub what: String,
}

fn problem(t: &Table, key: impl ToString, what: String) -> Problem {
    Problem { table: t.name().to_string(), key: key.to_string(), what }
}

fn check_rows(t: &Table, out: &mut Vec<Problem>) {
    for (key, row) in t.rows.iter() {
        let key = &key;
        if row.len() != t.schema.columns.len() {
            out.push(problem(t, key, format!("row has {} values for {} columns", row.len(), t.schema.columns.len())));
            continue;
        }
        if let Some(expected) = t.key_for(&row) {
            if &expected != key {
                out.push(problem(t, key, format!("row is stored under key {key} but its key columns say {expected}")));
            }
        }
        for (col, v) in t.schema.columns.iter().zip(row.iter()) {
            if col.not_null && v.is_null() {
                out.push(problem(t, key, format!("column {} is NULL but declared NOT NULL", col.name)));
            }
            if !fits(v, col.ty) {
                out.push(problem(
                    t,
                    key,
                    format!("column {} holds a {} value in a {} column", col.name, v.type_name(), col.ty),
                ));
            }
        }
    }
}

fn check_indexes(t: &Table, out: &mut Vec<Problem>) {
    for index in &t.indexes {
        for (key, row) in t.rows.iter() {
            let key = &key;
            let Some(entry) = index.entry_of(key, &row) else { continue };
            if !index.entries.contains(&entry) {
                out.push(problem(t, key, format!("index {} has no entry for this row", index.name)));
            }
        }
        let mut previous: Option<&IndexEntry> = None;
        for entry in index.entries.iter() {
            let Slot::Row(key) = &entry.slot else {
                out.push(problem(t, "", format!("index {} holds a bound marker as an entry", index.name)));
                continue;
            };
            match t.rows.get(key) {
                None => out.push(problem(t, key, format!("index {} points at a row that does not exist", index.name))),
                Some(row) if !index.covers(&row) || index.key_of(&row) != entry.key => {
                    out.push(problem(t, key, format!("index {} holds stale values for this row", index.name)))
                }
                Some(_) => {}
            }
            if let Some(p) = previous {
                let duplicate = p.key == entry.key && !entry.key.as_slice().iter().any(Value::is_null);
                if index.unique && duplicate {
                    out.push(problem(t, key, format!("unique index {} holds a duplicate key", index.name)));
                }
            }
            previous = Some(entry);
        }
    }
}

fn check_references(state: &State, t: &Table, out: &mut Vec<Problem>) {
    for fk in &t.schema.foreign_keys {
        let Some(parent) = state.table(&fk.parent) else {
            out.push(problem(t, "", format!("foreign key {} references a missing table {}", fk.name, fk.parent)));
            continue;
        };
        for (key, row) in t.rows.iter() {
            let key = &key;
            let vals: Vec<Value> = fk.columns.iter().map(|&c| row[c].clone()).collect();
            if vals.iter().any(Value::is_null) {
                continue;
            }
            if parent.keys_where(&fk.parent_columns, &vals).is_empty() {
                out.push(problem(t, key, format!("foreign key {} points at no row of {}", fk.name, parent.name())));
            }
        }
    }
}

/// Everything wrong with a state; empty when all is well.
pub fn check(state: &State) -> Vec<Problem> {
    let mut out = Vec::new();
    for t in state.tables() {
        check_rows(t, &mut out);
        check_indexes(t, &mut out);
        check_references(state, t, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Change, Column, DataType, RowKey, TableSchema, WriteOp};
    use std::sync::Arc;

    #[test]
    fn finds_an_index_out_of_step() {
        let schema = TableSchema {
            name: "t".into(),
            columns: vec![Column::plain("a", DataType::Integer)],
            uniques: vec![crate::storage::schema::UniqueConstraint { name: "t_a".into(), columns: vec![0] }],
            ..TableSchema::default()
        };
        let mut state = State::new();
        state.apply(&WriteOp::CreateTable(Arc::new(schema))).unwrap();
        let row = |v: i64| Change::Insert(Box::from([Value::Integer(v)]));
        state.apply(&WriteOp::Row { table: "t".into(), key: RowKey::Int(1), change: row(5) }).unwrap();
        assert!(check(&state).is_empty());
        // Corrupt the copy: drop the index entries behind the table's back.
        let mut broken = state.clone();
        let t = broken.table_for_repair("t").unwrap();
        t.indexes[0].entries = Default::default();
        let problems = check(&broken);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].what, "index t_a has no entry for this row");
    }
}
