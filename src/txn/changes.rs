//! What the kept versions tell about the data's past: `commits()` (who committed what,
//! when), `history(t)` (each change of each row, from the differences of consecutive
//! versions), and how long versions are kept (a count, or an age).

use std::sync::atomic::Ordering;

use super::database::{Database, Head};
use crate::error::{Error, Result};
use crate::storage::convert::store_as;
use crate::storage::rows::RowDelta;
use crate::storage::table::{Row, RowKey, Table};
use crate::storage::time::{format_interval, parse_interval};
use crate::storage::{DataType, TableSchema, Value};

/// How long committed versions stay readable (`--history`, `SET history`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retention {
    /// The newest this many.
    Versions(usize),
    /// Those a reader may ask for by a time this recent (microseconds): every version
    /// committed since, and the one before them.
    Age(i64),
}

impl std::str::FromStr for Retention {
    type Err = String;

    /// `100` (versions) or a duration: `7d`, `7 days`, `90 minutes`.
    fn from_str(text: &str) -> std::result::Result<Retention, String> {
        let text = text.trim();
        if let Ok(n) = text.parse::<usize>() {
            return match n {
                0 => Err("history keeps at least 1 version".into()),
                n => Ok(Retention::Versions(n)),
            };
        }
        match parse_interval(text) {
            Some(age) if age > 0 => Ok(Retention::Age(age)),
            _ => Err(format!("history takes a number of versions or a time such as '7 days' or '12h', not {text:?}")),
        }
    }
}

impl std::fmt::Display for Retention {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Retention::Versions(n) => write!(f, "{n} versions"),
            Retention::Age(age) => f.write_str(&format_interval(*age)),
        }
    }
}

/// What `history(t)` calls the rows of its first version, when the table is older than
/// every kept version: the table as it was there, from which the changes after it follow.
pub const START: &str = "start";

impl Database {
    /// Keeps versions by `retention` from now on, letting go at once of those it no
    /// longer covers (named snapshots stay).
    pub fn set_history(&self, retention: Retention) {
        match retention {
            Retention::Versions(n) => self.set_history_limit(n),
            Retention::Age(age) => {
                self.history_age().store(age.max(1), Ordering::Relaxed);
                self.trim_history();
            }
        }
    }

    /// How versions are kept.
    pub fn history(&self) -> Retention {
        match self.history_age().load(Ordering::Relaxed) {
            0 => Retention::Versions(self.history_limit()),
            age => Retention::Age(age),
        }
    }

    /// Lets go of the versions the retention no longer covers. By age, a version goes
    /// once the one after it is older than the bound: no time inside the bound reads it.
    pub(crate) fn trim_history_of(&self, history: &mut std::collections::VecDeque<Head>) {
        match self.history() {
            Retention::Versions(n) => {
                while history.len() > n.max(1) {
                    history.pop_front();
                }
            }
            Retention::Age(age) => {
                let bound = self.now().saturating_sub(age);
                while history.get(1).is_some_and(|h| h.state.commit().is_some_and(|c| c.at <= bound)) {
                    history.pop_front();
                }
            }
        }
    }

    /// `commits()`: one row per kept version after the first, oldest first: version,
    /// time, label, the tables changed as a JSON object of rows changed, rows changed.
    pub(crate) fn commit_rows(&self) -> Vec<Vec<Value>> {
        let kept = self.kept_versions();
        kept.iter()
            .filter(|h| h.version > 0)
            .map(|h| {
                let version = Value::Integer(i64::try_from(h.version).unwrap_or(i64::MAX));
                let Some(c) = h.state.commit() else {
                    return vec![version, Value::Null, Value::Null, Value::Null, Value::Null];
                };
                let tables: serde_json::Map<String, serde_json::Value> =
                    c.tables.iter().map(|(t, n)| (t.clone(), (*n).into())).collect();
                vec![
                    version,
                    Value::Timestamp(c.at),
                    c.label.as_deref().map_or(Value::Null, Value::text),
                    Value::text(&serde_json::Value::Object(tables).to_string()),
                    Value::Integer(i64::try_from(c.rows()).unwrap_or(i64::MAX)),
                ]
            })
            .collect()
    }

    /// `history(t)`: the table as the oldest kept version holds it (operation
    /// `start`, unless the table was made after it), then every insert, update and
    /// delete of each later version in key order, each with its version, commit time,
    /// label, the row's primary key and the row before and after. Columns follow the
    /// table's newest schema (a column a version did not have is NULL there).
    ///
    /// With `key` (`history(t, k)`, or `WHERE id = k` pushed down by the planner),
    /// only that row's changes: one lookup per kept version instead of a diff.
    pub(crate) fn changes_of(&self, name: &str, key: Option<&Value>) -> Result<Vec<Vec<Value>>> {
        let head = self.state();
        let schema = head.table_or_err(name)?.schema.clone();
        let names: Vec<&str> = schema.columns.iter().map(|c| c.name.as_str()).collect();
        let keys: Vec<&str> = schema.primary_key.iter().map(|&i| schema.columns[i].name.as_str()).collect();
        let wanted = match key {
            None => None,
            Some(v) => match key_value(&schema, v)? {
                Some(v) => Some(v),
                // A key no row can have: its history is empty.
                None => return Ok(Vec::new()),
            },
        };
        // A table that keeps its own history answers from it.
        if let Some(rows) = super::journal::read(&head, name, wanted.as_ref(), self.now()) {
            return Ok(rows);
        }
        // The row's stored key: its integer key or rowid, or the one-column key's value.
        let wanted = wanted.map(|v| match v {
            Value::Integer(n) if schema.primary_key.is_empty() || schema.integer_key().is_some() => RowKey::Int(n),
            v => RowKey::Tuple(std::sync::Arc::new(vec![v])),
        });
        let kept = self.kept_versions();
        let mut out = Vec::new();
        let Some(first) = kept.first() else { return Ok(out) };
        let row = |at: &Head, table: &Table, op: &str, old: Option<&Row>, new: Option<&Row>| {
            let index = |n: &&str| table.schema.column_index(n);
            let map: Vec<Option<usize>> = names.iter().map(index).collect();
            let commit = at.state.commit();
            let mut cells = Vec::with_capacity(4 + keys.len() + 2 * map.len());
            cells.push(Value::Integer(i64::try_from(at.version).unwrap_or(i64::MAX)));
            cells.push(commit.map_or(Value::Null, |c| Value::Timestamp(c.at)));
            cells.push(Value::text(op));
            cells.push(commit.and_then(|c| c.label.as_deref()).map_or(Value::Null, Value::text));
            let either = new.or(old);
            cells.extend(keys.iter().map(|n| match (either, index(n)) {
                (Some(r), Some(i)) => r.get(i).cloned().unwrap_or(Value::Null),
                _ => Value::Null,
            }));
            for side in [old, new] {
                cells.extend(map.iter().map(|i| match (side, i) {
                    (Some(r), Some(i)) => r.get(*i).cloned().unwrap_or(Value::Null),
                    _ => Value::Null,
                }));
            }
            cells
        };
        // The rows of a table to list whole: all of them, or the wanted one.
        let each = |t: &Table| -> Vec<Row> {
            match &wanted {
                None => t.rows.iter().map(|(_, r)| r.clone()).collect(),
                Some(k) => t.rows.get(k).into_iter().collect(),
            }
        };
        if let Some(t) = first.state.table(name).filter(|_| first.version > 0) {
            out.extend(each(t).iter().map(|r| row(first, t, START, None, Some(r))));
        }
        for pair in kept.windows(2) {
            let (before, after) = (&pair[0], &pair[1]);
            match (before.state.table(name), after.state.table(name)) {
                (Some(a), Some(b)) => {
                    if a.rows.ptr_eq(&b.rows) {
                        continue;
                    }
                    if let Some(k) = &wanted {
                        match (a.rows.get(k), b.rows.get(k)) {
                            (None, Some(new)) => out.push(row(after, b, "insert", None, Some(&new))),
                            (Some(old), None) => out.push(row(after, a, "delete", Some(&old), None)),
                            (Some(old), Some(new)) if old != new => {
                                out.push(row(after, b, "update", Some(&old), Some(&new)))
                            }
                            _ => {}
                        }
                        continue;
                    }
                    for delta in a.rows.diff(&b.rows) {
                        out.push(match delta {
                            RowDelta::Added(_, new) => row(after, b, "insert", None, Some(&new)),
                            RowDelta::Removed(_, old) => row(after, a, "delete", Some(&old), None),
                            RowDelta::Changed { old, new, .. } => row(after, b, "update", Some(&old), Some(&new)),
                        });
                    }
                }
                (None, Some(b)) => out.extend(each(b).iter().map(|r| row(after, b, "insert", None, Some(r)))),
                (Some(a), None) => out.extend(each(a).iter().map(|r| row(after, a, "delete", Some(r), None))),
                (None, None) => {}
            }
        }
        Ok(out)
    }
}

/// The value of the key `v` names, as the key column stores it (an integer rowid for
/// a table without a primary key); `None` when no row can have it (NULL, or a value of
/// another type).
pub(super) fn key_value(schema: &TableSchema, v: &Value) -> Result<Option<Value>> {
    let ty = match schema.primary_key.as_slice() {
        [] => DataType::Integer,
        [i] => schema.columns[*i].ty,
        _ => {
            return Err(Error::invalid(format!(
                "history({}, key) takes the key of a one-column primary key; {} has ({}): filter with WHERE",
                schema.name,
                schema.name,
                schema.column_names(&schema.primary_key)
            )))
        }
    };
    Ok(store_as(v.clone(), ty).filter(|v| !v.is_null()))
}

impl Retention {
    /// How many versions replayed from the log opening should keep for this retention
    /// (all of them for an age: the database trims by age once open).
    pub fn replayed_versions(self) -> usize {
        match self {
            Retention::Versions(n) => n,
            Retention::Age(_) => usize::MAX,
        }
    }
}

/// Reads `SET history = …`.
pub(crate) fn parse_retention(text: &str) -> Result<Retention> {
    text.parse().map_err(Error::invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_reads_counts_and_durations() {
        assert_eq!("100".parse(), Ok(Retention::Versions(100)));
        assert_eq!("7d".parse(), Ok(Retention::Age(7 * 86_400_000_000)));
        assert_eq!("90 minutes".parse(), Ok(Retention::Age(90 * 60_000_000)));
        assert!("0".parse::<Retention>().is_err());
        assert!("soon".parse::<Retention>().is_err());
        assert_eq!(Retention::Age(7 * 86_400_000_000).to_string(), "1 week");
        assert_eq!(Retention::Age(3 * 86_400_000_000).to_string(), "3 days");
        assert_eq!(Retention::Versions(5).to_string(), "5 versions");
    }
}
