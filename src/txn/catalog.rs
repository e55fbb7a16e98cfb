//! What the catalog holds, as the shell and the server show it: table names, schemas,
//! indexes, namespaces and snapshots as result sets or SQL text, and the database as a
//! dump or an export. Interfaces ask a [`Session`] for these rather than reading the
//! state's types themselves.

use super::export;
use super::Session;
use crate::error::Result;
use crate::exec::ResultSet;
use crate::storage::state::{namespace_of, MAIN};
use crate::storage::{State, Table, Value};

/// What an export wrote.
#[derive(Clone, Debug, PartialEq)]
pub struct Exported {
    /// The RON document.
    pub text: String,
    pub tables: usize,
    pub rows: usize,
}

/// The stored name of a table or view a dot-command names: a dotted name of `main`
/// (`.schema my.table`) is stored as `main.my.table`.
fn dotted(state: &State, name: &str) -> String {
    let known = |n: &str| state.table(n).is_some() || state.view(n).is_some();
    let in_main = format!("{MAIN}.{name}");
    if !known(name) && name.contains('.') && known(&in_main) {
        in_main
    } else {
        name.to_string()
    }
}

fn listing(columns: &[&str], rows: Vec<Vec<Value>>) -> ResultSet {
    ResultSet { json: 0, columns: columns.iter().map(|c| c.to_string()).collect::<Vec<_>>().into(), rows }
}

impl Session {
    /// The tables' names, sorted (`.tables`).
    pub fn table_names(&self) -> Vec<String> {
        let state = self.state();
        let here = self.namespace().to_string();
        // In a namespace other than main, its own tables and views, by their short names.
        let shown = |name: &str| -> Option<String> {
            let lower = name.to_ascii_lowercase();
            if here == MAIN {
                // main's own by their names (`main.my.table` is `my.table`), the others' qualified.
                return Some(crate::storage::schema::shown_name(name).to_string());
            }
            (namespace_of(&lower) == here).then(|| name.split_once('.').map_or(name, |(_, n)| n).to_string())
        };
        let mut names: Vec<String> = state
            .tables()
            .filter_map(|t| shown(t.name()))
            .chain(state.views().filter_map(|v| shown(&v.name)))
            .collect();
        names.sort_unstable();
        names
    }

    /// Every table and view with its columns, for the shell's completion.
    pub fn completion_names(&self) -> Vec<(String, Vec<String>)> {
        let state = self.state();
        let mut names: Vec<(String, Vec<String>)> = state
            .tables()
            .map(|t| (t.name().to_string(), t.schema.columns.iter().map(|c| c.name.clone()).collect()))
            .chain(state.views().map(|v| (v.name.clone(), v.columns.clone())))
            .collect();
        names.sort();
        names
    }

    /// A table's columns with their types, if the table exists (`.import`).
    pub fn table_columns(&self, table: &str) -> Option<Vec<(String, crate::storage::DataType)>> {
        let state = self.state();
        let stored = crate::sql::namespace::stored_name(table, self.namespace(), &state).ok()?;
        let t = state.table(&stored)?;
        Some(t.schema.columns.iter().map(|c| (c.name.clone(), c.ty)).collect())
    }

    /// Each namespace with its tables, streams and messages; `*` marks this session's.
    pub fn namespace_listing(&self) -> ResultSet {
        let state = self.state();
        let names = std::iter::once(MAIN.to_string()).chain(state.namespaces().cloned());
        let rows = names
            .map(|ns| {
                let tables = state.tables().filter(|t| namespace_of(&t.name().to_ascii_lowercase()) == ns).count();
                let store = state.messages(&ns);
                let current = if ns == self.namespace() { "*" } else { "" };
                vec![
                    Value::text(&ns),
                    Value::Integer(tables as i64),
                    Value::Integer(store.map_or(0, |s| s.stream_count()) as i64),
                    Value::Integer(store.map_or(0, |s| s.len()) as i64),
                    Value::text(current),
                ]
            })
            .collect();
        listing(&["namespace", "tables", "streams", "messages", "current"], rows)
    }

    /// The statements that create a table (or every table): its CREATE TABLE, then its
    /// indexes' and its triggers' (`.schema`).
    pub fn schema_sql(&self, table: Option<&str>) -> Result<Vec<String>> {
        let state = self.state();
        let table = table.map(|name| dotted(&state, name));
        let table = table.as_deref();
        // A view by its name prints its CREATE VIEW.
        if let Some(view) = table.and_then(|name| state.view(name)) {
            return Ok(vec![format!("{};", view.to_sql().trim_end_matches(';'))]);
        }
        let tables: Vec<&Table> = match table {
            Some(name) => vec![state.table_or_err(name)?],
            None => state.tables().collect(),
        };
        let mut lines = Vec::new();
        for t in tables {
            lines.push(t.schema.to_sql());
            lines.extend(t.schema.index_sql());
            let name = t.name().to_ascii_lowercase();
            lines.extend(state.triggers().filter(|tr| tr.table == name).map(|tr| format!("{};", tr.sql)));
        }
        if table.is_none() {
            lines.extend(state.views().map(|v| format!("{};", v.to_sql().trim_end_matches(';'))));
        }
        Ok(lines)
    }

    /// The indexes of a table (or of every table), with what backs them (`.indexes`).
    pub fn index_listing(&self, table: Option<&str>) -> Result<ResultSet> {
        let state = self.state();
        let table = table.map(|name| dotted(&state, name));
        let table = table.as_deref();
        let tables: Vec<&Table> = match table {
            Some(name) => vec![state.table_or_err(name)?],
            None => state.tables().collect(),
        };
        let mut rows = Vec::new();
        for t in tables {
            for ix in &t.indexes {
                let kind = if t.schema.indexes.iter().any(|d| d.name == ix.name) { "index" } else { "constraint" };
                rows.push(vec![
                    Value::text(&ix.name),
                    Value::text(t.name()),
                    Value::text(&t.schema.index_key_names(&ix.name, &ix.columns)),
                    Value::Boolean(ix.unique),
                    Value::text(kind),
                    Value::Integer(ix.entries.len() as i64),
                ]);
            }
        }
        Ok(listing(&["name", "table", "columns", "unique", "kind", "entries"], rows))
    }

    /// The document collections (tables of a collection's shape), with how many
    /// documents and indexes each has (`.collections`).
    pub fn collection_listing(&self) -> ResultSet {
        let state = self.state();
        let mut rows: Vec<Vec<Value>> = state
            .tables()
            .filter(|t| super::collection::is_collection(&t.schema))
            .map(|t| {
                vec![
                    Value::text(t.name()),
                    Value::Integer(t.rows.len() as i64),
                    Value::Integer(t.schema.indexes.len() as i64),
                ]
            })
            .collect();
        rows.sort_by(|a, b| a[0].total_cmp(&b[0]));
        listing(&["collection", "documents", "indexes"], rows)
    }

    /// The projections, each with the position it has reached in its category, the
    /// category's last message and how far behind it is (`.projections`). A commit
    /// applies its messages, so at the head the lag is 0 unless a rule's type is rare.
    pub fn projection_listing(&self) -> ResultSet {
        let state = self.state();
        let rows = crate::sql::projection::all(&state)
            .into_iter()
            .map(|p| {
                let last = state
                    .messages(&p.namespace)
                    .and_then(|store| {
                        store.category_from(&p.category, p.position + 1).last().map(|m| m.global_position)
                    })
                    .unwrap_or(p.position);
                vec![
                    Value::text(&p.name),
                    Value::text(&p.category),
                    Value::text(&p.table),
                    Value::Integer(p.position),
                    Value::Integer(last),
                    Value::Integer(last - p.position),
                ]
            })
            .collect();
        listing(&["projection", "category", "table", "position", "last", "lag"], rows)
    }

    /// The named snapshots (`.snapshots`).
    pub fn snapshot_listing(&self) -> ResultSet {
        let rows = self
            .database()
            .snapshots()
            .into_iter()
            .map(|s| {
                vec![
                    Value::text(&s.name),
                    Value::Integer(s.version as i64),
                    Value::Timestamp(s.created),
                    Value::Integer(s.rows as i64),
                ]
            })
            .collect();
        listing(&["name", "version", "created", "rows"], rows)
    }

    /// The database as SQL statements that rebuild it (`.dump`).
    pub fn dump(&self) -> String {
        export::dump(&self.state(), self.database().now())
    }

    /// The database as a RON document (`.export`).
    pub fn export(&self) -> Result<Exported> {
        let state = self.state();
        let text = export::export(&state, self.database().version(), self.database().now())?;
        let rows = state.tables().map(|t| t.rows.len()).sum();
        Ok(Exported { text, tables: state.tables().count(), rows })
    }

    /// Loads a RON document made by [`Session::export`], in one transaction; the rows
    /// it inserted (`.import`). `source` names the document in errors.
    pub fn import(&mut self, text: &str, source: &str) -> Result<usize> {
        export::import(self, text, source)
    }
}
