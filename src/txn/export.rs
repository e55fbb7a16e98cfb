//! `.export` / `.import` in RON, and `.dump` as SQL.
//!
//! # The export format
//!
//! A RON document, readable and editable by hand:
//!
//! ```text
//! (
//!     format: 1,
//!     version: 42,
//!     tables: [
//!         (
//!             name: "users",
//!             create: "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)",
//!             indexes: ["CREATE INDEX by_name ON users (name)"],
//!             rows: [[Integer(1), Text("ada")], [Integer(2), Null]],
//!         ),
//!     ],
//! )
//! ```
//!
//! Tables come parents first, so that foreign keys can be checked as rows arrive.
//! Importing runs the schema statements and inserts every row through the SQL engine, in
//! one transaction: every type, constraint and key is checked, and a bad file changes
//! nothing and is reported by position (`line:column`) or by table and row.

use crate::sql::matview;
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::Session;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::schema::{quote_ident, quote_stored, TableSchema};
use crate::storage::{State, Table, Value};

const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Export {
    format: u32,
    version: u64,
    tables: Vec<TableExport>,
    /// `CREATE VIEW` statements, created after the tables.
    #[serde(default)]
    views: Vec<String>,
    /// Namespaces other than `main`, created first.
    #[serde(default)]
    namespaces: Vec<String>,
    /// Every namespace's messages in global order, written again last.
    #[serde(default)]
    messages: Vec<MessageExport>,
    /// `CREATE TRIGGER` statements, created after the rows (which they do not fire for).
    #[serde(default)]
    triggers: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct MessageExport {
    namespace: String,
    id: String,
    stream_name: String,
    #[serde(rename = "type")]
    kind: String,
    position: i64,
    data: String,
    #[serde(default)]
    metadata: Option<String>,
}

fn messages_of(state: &State) -> Vec<MessageExport> {
    state
        .message_stores()
        .flat_map(|(ns, store)| {
            store.messages().map(move |m| MessageExport {
                namespace: ns.clone(),
                id: m.id.to_string(),
                stream_name: m.stream_name.to_string(),
                kind: m.kind.to_string(),
                position: m.position,
                data: m.data.to_string(),
                metadata: m.metadata.as_deref().map(str::to_string),
            })
        })
        .collect()
}

/// The statement that writes a message again at the same stream position.
fn write_sql(m: &MessageExport) -> String {
    let text = |s: &str| crate::storage::schema::literal_sql(&Value::text(s));
    let metadata = m.metadata.as_deref().map_or("NULL".to_string(), text);
    format!(
        "SELECT write_message({}, {}, {}, {}, {metadata}, {});",
        text(&m.id),
        text(&m.stream_name),
        text(&m.kind),
        text(&m.data),
        m.position - 1
    )
}

#[derive(Serialize, Deserialize)]
struct TableExport {
    name: String,
    create: String,
    #[serde(default)]
    indexes: Vec<String>,
    #[serde(default)]
    rows: Vec<Vec<Value>>,
    /// For a table whose rows can expire, one entry per row: the microseconds it had
    /// left when exported, or none for a row that never expires. Empty otherwise.
    #[serde(default)]
    ttl: Vec<Option<i64>>,
}

/// The rows of a table that are live at `now`, each with the time it has left (`None`:
/// it never expires). Rows that have expired but were not swept yet are left out.
fn live_rows(t: &Table, now: i64) -> impl Iterator<Item = (crate::storage::Row, Option<i64>)> + '_ {
    t.rows.iter().filter(move |(k, _)| t.is_live(k, now)).map(move |(k, r)| (r, t.expiry.get(&k).map(|at| at - now)))
}

/// Whether a table's rows need their expiry written out: some row expires, or rows
/// inserted into the table get a default TTL that a row without one must refuse.
fn keeps_expiry(t: &Table) -> bool {
    t.schema.ttl.is_some() || !t.expiry.is_empty()
}

/// The `WITH TTL` clause that gives a reloaded row the time it had left.
fn ttl_clause(left: Option<i64>) -> String {
    match left {
        // Whole milliseconds, rounded up, so a row does not expire before its time.
        Some(micros) => format!(" WITH TTL '{} milliseconds'", (micros + 999) / 1000),
        None => " WITH TTL NULL".to_string(),
    }
}

/// The tables of a state, each after the tables its foreign keys point to.
fn tables_in_dependency_order(state: &State) -> Vec<&Table> {
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut left: Vec<&Table> = state.tables().collect();
    let mut out = Vec::with_capacity(left.len());
    while !left.is_empty() {
        let ready = |t: &&Table| {
            t.schema
                .foreign_keys
                .iter()
                .all(|fk| fk.parent == t.name().to_ascii_lowercase() || done.contains(&fk.parent))
        };
        // A cycle (possible only through ALTER TABLE) is broken by taking the next table.
        let i = left.iter().position(ready).unwrap_or(0);
        let t = left.remove(i);
        done.insert(t.name().to_ascii_lowercase());
        out.push(t);
    }
    out
}

fn create_sql(schema: &TableSchema) -> String {
    schema.to_sql()
}

/// The RON text of a whole state as it is at `now` (microseconds since the epoch): rows
/// that expired are left out, and those that expire carry the time they have left.
pub fn export(state: &State, version: u64, now: i64) -> Result<String> {
    let tables = tables_in_dependency_order(state)
        .into_iter()
        .map(|t| {
            let (rows, ttl): (Vec<Vec<Value>>, Vec<Option<i64>>) =
                live_rows(t, now).map(|(r, left)| (r.to_vec(), left)).unzip();
            TableExport {
                name: t.name().to_string(),
                create: create_sql(&t.schema),
                indexes: t.schema.index_sql(),
                rows,
                ttl: if keeps_expiry(t) { ttl } else { Vec::new() },
            }
        })
        .collect();
    let views = state.views().map(|v| v.to_sql()).collect();
    let namespaces = state.namespaces().cloned().collect();
    let triggers = state.triggers().map(|t| t.sql.clone()).collect();
    let doc = Export { format: FORMAT, version, tables, views, namespaces, messages: messages_of(state), triggers };
    let config = ron::ser::PrettyConfig::new().depth_limit(4);
    ron::ser::to_string_pretty(&doc, config).map_err(|e| ErrorKind::Io(format!("cannot write the export: {e}")).into())
}

/// Loads an export into the session's database in one transaction; `source` names the
/// file in errors. Returns the number of rows imported.
pub fn import(session: &mut Session, text: &str, source: &str) -> Result<usize> {
    let doc: Export = ron::from_str(text).map_err(|e| ErrorKind::Io(format!("{source}:{e}")))?;
    if doc.format != FORMAT {
        return Err(ErrorKind::Io(format!(
            "{source}: export format {} is not supported (expected {FORMAT})",
            doc.format
        ))
        .into());
    }
    if session.in_transaction() {
        return Err(
            ErrorKind::Transaction("cannot import inside a transaction; COMMIT or ROLLBACK first".into()).into()
        );
    }
    session.execute("BEGIN", &[])?;
    let result = import_tables(session, &doc, source);
    match result {
        Ok(rows) => {
            session.execute("COMMIT", &[])?;
            Ok(rows)
        }
        Err(e) => {
            session.execute("ROLLBACK", &[])?;
            Err(e)
        }
    }
}

fn import_tables(session: &mut Session, doc: &Export, source: &str) -> Result<usize> {
    let mut count = 0;
    for ns in &doc.namespaces {
        session
            .execute(&format!("CREATE NAMESPACE {}", quote_ident(ns)), &[])
            .map_err(|e| ErrorKind::Io(format!("{source}: namespace {ns}: {e}")))?;
    }
    for t in &doc.tables {
        let at = |e: Error| -> Error { ErrorKind::Io(format!("{source}: table {}: {e}", t.name)).into() };
        session.execute(&t.create, &[]).map_err(at)?;
        let created = session.working_state().table_or_err(&t.name).map_err(at)?.schema.clone();
        let width = created.columns.len();
        let stored = stored_columns(&created);
        let placeholders = vec!["?"; stored.len()].join(", ");
        let insert_sql =
            format!("INSERT INTO {}{} VALUES ({placeholders})", quote_stored(&created.name), column_list(&created));
        let insert = session.prepare(&insert_sql).map_err(at)?;
        if !t.ttl.is_empty() && t.ttl.len() != t.rows.len() {
            return Err(at(Error::invalid(format!("{} TTL entries for {} rows", t.ttl.len(), t.rows.len()))));
        }
        for (n, row) in t.rows.iter().enumerate() {
            let at_row =
                |e: Error| -> Error { ErrorKind::Io(format!("{source}: table {}, row {}: {e}", t.name, n + 1)).into() };
            if row.len() != width {
                return Err(at_row(Error::invalid(format!("{} values for {width} columns", row.len()))));
            }
            // Generated columns are worked out again, not inserted.
            let kept: Vec<Value>;
            let row: &[Value] = if stored.len() == width {
                row
            } else {
                kept = stored.iter().map(|&c| row[c].clone()).collect();
                &kept
            };
            match t.ttl.get(n) {
                Some(left) => session.execute(&format!("{insert_sql}{}", ttl_clause(*left)), row).map_err(at_row)?,
                None => session.execute_prepared(&insert, row).map_err(at_row)?,
            };
            count += 1;
        }
        for sql in &t.indexes {
            session.execute(sql, &[]).map_err(at)?;
        }
    }
    for sql in &doc.views {
        session.execute(sql, &[]).map_err(|e| ErrorKind::Io(format!("{source}: view: {e}")))?;
    }
    for sql in &doc.triggers {
        session.execute(sql, &[]).map_err(|e| ErrorKind::Io(format!("{source}: trigger: {e}")))?;
    }
    let home = session.namespace().to_string();
    for (n, m) in doc.messages.iter().enumerate() {
        let at = |e: Error| -> Error { ErrorKind::Io(format!("{source}: message {}: {e}", n + 1)).into() };
        if session.namespace() != m.namespace {
            session.execute(&format!("USE {}", quote_ident(&m.namespace)), &[]).map_err(at)?;
        }
        session.execute(&write_sql(m), &[]).map_err(at)?;
    }
    session.execute(&format!("USE {}", quote_ident(&home)), &[])?;
    Ok(count)
}

/// A literal that reads back as exactly the same value.
fn exact_literal(v: &Value) -> String {
    match v {
        Value::Real(r) if r.is_finite() => {
            let s = format!("{r:?}");
            if s.contains(['.', 'e', 'E']) {
                s
            } else {
                format!("{s}.0")
            }
        }
        Value::Real(r) if r.is_nan() => "NULL".to_string(),
        Value::Real(r) => (if *r > 0.0 { "1e999" } else { "-1e999" }).to_string(),
        other => crate::storage::schema::literal_sql(other),
    }
}

/// The columns a row's values are inserted into: all but the generated ones.
fn stored_columns(schema: &TableSchema) -> Vec<usize> {
    (0..schema.columns.len()).filter(|&c| schema.columns[c].generated.is_none()).collect()
}

/// ` (a, b)` naming the stored columns when some are generated; empty otherwise.
fn column_list(schema: &TableSchema) -> String {
    let stored = stored_columns(schema);
    if stored.len() == schema.columns.len() {
        return String::new();
    }
    format!(" ({})", stored.iter().map(|&c| quote_ident(&schema.columns[c].name)).collect::<Vec<_>>().join(", "))
}

/// SQL that rebuilds the state as it is at `now`: schemas, live rows (those that expire
/// with the time they have left), indexes, views, triggers and messages, in one
/// transaction.
pub fn dump(state: &State, now: i64) -> String {
    let mut out = String::from("BEGIN;\n");
    for ns in state.namespaces() {
        out.push_str(&format!("CREATE NAMESPACE {};\n", quote_ident(ns)));
    }
    // Materialized views are made again by their statements, after the tables they read.
    let kept = |name: &str| matview::definition(state, name).is_some() || matview::is_internal(name);
    for t in tables_in_dependency_order(state).into_iter().filter(|t| !kept(t.name())) {
        out.push_str(&create_sql(&t.schema));
        out.push('\n');
        let name = quote_stored(t.name());
        let expiring = keeps_expiry(t);
        let stored = stored_columns(&t.schema);
        let columns = column_list(&t.schema);
        for (row, left) in live_rows(t, now) {
            let values: Vec<String> = stored.iter().map(|&c| exact_literal(&row[c])).collect();
            let ttl = if expiring { ttl_clause(left) } else { String::new() };
            out.push_str(&format!("INSERT INTO {name}{columns} VALUES ({}){ttl};\n", values.join(", ")));
        }
        for sql in t.schema.index_sql() {
            out.push_str(&sql);
            out.push('\n');
        }
    }
    for def in matview::all(state) {
        let kind = if def.incremental { " WITH (incremental)" } else { "" };
        out.push_str(&format!("CREATE MATERIALIZED VIEW {}{kind} AS {};\n", quote_stored(&def.name), def.sql));
        for sql in state.table(&def.name).map(|t| t.schema.index_sql()).unwrap_or_default() {
            out.push_str(&sql);
            out.push('\n');
        }
    }
    for v in state.views() {
        out.push_str(&v.to_sql());
        out.push('\n');
    }
    for t in state.triggers() {
        out.push_str(&t.sql);
        out.push_str(";\n");
    }
    let messages = messages_of(state);
    let mut namespace = crate::storage::state::MAIN;
    for m in &messages {
        if m.namespace != namespace {
            namespace = &m.namespace;
            out.push_str(&format!("USE {};\n", quote_ident(namespace)));
        }
        out.push_str(&write_sql(m));
        out.push('\n');
    }
    if namespace != crate::storage::state::MAIN {
        out.push_str("USE main;\n");
    }
    out.push_str("COMMIT;\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_dump_exactly() {
        for r in [0.1 + 0.2, 1.0, -2.5, 1e300, 5e-324, f64::INFINITY] {
            let text = exact_literal(&Value::Real(r));
            let back: f64 = if text.contains("999") { f64::INFINITY } else { text.parse().unwrap() };
            assert_eq!(back, r, "{text}");
        }
    }
}
