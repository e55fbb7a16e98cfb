//! The schema as tables SQLite's tools read: the `sqlite_schema` table (also called
//! `sqlite_master`) and the pragma table functions `pragma_table_info('t')`,
//! `pragma_index_list('t')`, `pragma_index_info('i')`, `pragma_foreign_key_list('t')`
//! and `pragma_table_list()`, which `PRAGMA name(arg)` reads too. Their columns are
//! SQLite's, in SQLite's order; each is worked out from the schema when the statement
//! is planned (a plan is only ever run against the schema it was made for).

use crate::error::{Error, Result};
use crate::storage::schema::{literal_sql, shown_name};
use crate::storage::{ColumnDefault, State, Table, Value};

/// Rows with named columns, to be read as a table.
pub struct Listing {
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Value>>,
}

/// The names the schema table answers to.
pub fn is_schema_table(name: &str) -> bool {
    ["sqlite_schema", "sqlite_master"].iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// Whether `name` is one of the pragma table functions.
pub fn is_pragma_function(name: &str) -> bool {
    PRAGMAS.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

/// Each pragma function, and whether it takes a table (or index) name.
const PRAGMAS: [(&str, bool); 5] = [
    ("pragma_table_info", true),
    ("pragma_index_list", true),
    ("pragma_index_info", true),
    ("pragma_foreign_key_list", true),
    ("pragma_table_list", false),
];

/// `sqlite_schema`: one row per table, index, view and trigger, with the SQL that
/// makes it. There are no pages, so `rootpage` is 0.
pub fn schema_table(state: &State) -> Listing {
    let mut rows = Vec::new();
    let row = |kind: &str, name: &str, table: &str, sql: &str| {
        let sql = sql.trim_end_matches(';');
        let (name, table) = (shown_name(name), shown_name(table));
        vec![Value::text(kind), Value::text(name), Value::text(table), Value::Integer(0), Value::text(sql)]
    };
    for t in state.tables() {
        rows.push(row("table", t.name(), t.name(), &t.schema.to_sql()));
        for (ix, sql) in t.schema.secondary_indexes().zip(t.schema.index_sql()) {
            rows.push(row("index", &ix.name, t.name(), &sql));
        }
    }
    for v in state.views() {
        rows.push(row("view", &v.name, &v.name, &v.to_sql()));
    }
    for tr in state.triggers() {
        rows.push(row("trigger", &tr.name, &tr.table, &tr.sql));
    }
    Listing { columns: &["type", "name", "tbl_name", "rootpage", "sql"], rows }
}

/// A pragma function's rows for its (constant) arguments.
pub fn pragma(name: &str, args: &[Value], state: &State) -> Result<Listing> {
    let lower = name.to_ascii_lowercase();
    let takes_name = PRAGMAS.iter().find(|(n, _)| *n == lower).is_some_and(|(_, t)| *t);
    let arg = match args {
        [] if !takes_name => None,
        [Value::Text(t)] if takes_name => Some(t.to_string()),
        _ if takes_name => return Err(Error::invalid(format!("{lower}() takes one name, as text: {lower}('t')"))),
        _ => return Err(Error::invalid(format!("{lower}() takes no arguments"))),
    };
    let table = || state.table_or_err(arg.as_deref().unwrap_or_default());
    Ok(match lower.as_str() {
        "pragma_table_info" => table_info(table()?),
        "pragma_index_list" => index_list(table()?),
        "pragma_index_info" => index_info(state, arg.as_deref().unwrap_or_default())?,
        "pragma_foreign_key_list" => foreign_key_list(table()?),
        _ => table_list(state),
    })
}

/// A column's DEFAULT as SQL.
pub fn default_sql(d: &ColumnDefault) -> String {
    match d {
        ColumnDefault::Now => "now()".to_string(),
        ColumnDefault::Expr(sql) => format!("({sql})"),
        ColumnDefault::Value(v) => literal_sql(v),
    }
}

/// One row per column: its number, name, type, NOT NULL, default (as SQL) and its
/// place in the primary key (0 when it is not in it).
fn table_info(t: &Table) -> Listing {
    let s = &t.schema;
    let rows = s
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let default = c.default.as_ref().map_or(Value::Null, |d| Value::text(&default_sql(d)));
            let pk = s.primary_key.iter().position(|&k| k == i).map_or(0, |p| p + 1);
            let ty = if c.ty == crate::storage::DataType::Any { "" } else { c.ty.name() };
            vec![
                Value::Integer(i as i64),
                Value::text(&c.name),
                Value::text(ty),
                Value::Integer(i64::from(c.not_null || pk > 0 && s.integer_key().is_none())),
                default,
                Value::Integer(pk as i64),
            ]
        })
        .collect();
    Listing { columns: &["cid", "name", "type", "notnull", "dflt_value", "pk"], rows }
}

/// One row per index: made by CREATE INDEX (`c`), by a UNIQUE constraint (`u`) or by
/// the primary key (`pk`), newest first as in SQLite.
fn index_list(t: &Table) -> Listing {
    let rows = t
        .indexes
        .iter()
        .rev()
        .enumerate()
        .map(|(seq, ix)| {
            let def = t.schema.indexes.iter().find(|d| d.name == ix.name);
            let origin = if def.is_some_and(|d| !t.schema.made_by_constraint(d)) {
                "c"
            } else if ix.columns == t.schema.primary_key {
                "pk"
            } else {
                "u"
            };
            vec![
                Value::Integer(seq as i64),
                Value::text(&ix.name),
                Value::Integer(i64::from(ix.unique)),
                Value::text(origin),
                Value::Integer(i64::from(ix.is_partial())),
            ]
        })
        .collect();
    Listing { columns: &["seq", "name", "unique", "origin", "partial"], rows }
}

/// The columns of an index, in index order.
fn index_info(state: &State, name: &str) -> Result<Listing> {
    let found =
        state.tables().find_map(|t| t.indexes.iter().find(|ix| ix.name.eq_ignore_ascii_case(name)).map(|ix| (t, ix)));
    let Some((t, ix)) = found else { return Err(Error::invalid(format!("no such index: {name}"))) };
    let rows = ix
        .columns
        .iter()
        .enumerate()
        .map(|(seq, &c)| match ix.plain_column(seq) {
            Some(_) => {
                vec![Value::Integer(seq as i64), Value::Integer(c as i64), Value::text(&t.schema.columns[c].name)]
            }
            // An expression, as SQLite lists one.
            None => vec![Value::Integer(seq as i64), Value::Integer(-2), Value::Null],
        })
        .collect();
    Ok(Listing { columns: &["seqno", "cid", "name"], rows })
}

/// One row per column of each foreign key: the key's number, the column's place in
/// it, the parent table, the two columns and the actions.
fn foreign_key_list(t: &Table) -> Listing {
    let mut rows = Vec::new();
    for (id, fk) in t.schema.foreign_keys.iter().enumerate() {
        for (seq, &c) in fk.columns.iter().enumerate() {
            let to = fk.parent_names.get(seq).map_or(Value::Null, |n| Value::text(n));
            rows.push(vec![
                Value::Integer(id as i64),
                Value::Integer(seq as i64),
                Value::text(&fk.parent),
                Value::text(&t.schema.columns[c].name),
                to,
                Value::text(fk.on_update.sql()),
                Value::text(fk.on_delete.sql()),
                Value::text("NONE"),
            ]);
        }
    }
    Listing { columns: &["id", "seq", "table", "from", "to", "on_update", "on_delete", "match"], rows }
}

/// One row per table and view.
fn table_list(state: &State) -> Listing {
    let mut rows = Vec::new();
    let row = |name: &str, kind: &str, ncol: usize| {
        vec![
            Value::text("main"),
            Value::text(name),
            Value::text(kind),
            Value::Integer(ncol as i64),
            Value::Integer(0),
            Value::Integer(0),
        ]
    };
    for t in state.tables() {
        rows.push(row(shown_name(t.name()), "table", t.schema.columns.len()));
    }
    for v in state.views() {
        let mut r = row(shown_name(&v.name), "view", v.columns.len());
        if v.columns.is_empty() {
            // A view named no columns: how many its query makes is known only when planned.
            r[3] = Value::Null;
        }
        rows.push(r);
    }
    Listing { columns: &["schema", "name", "type", "ncol", "wr", "strict"], rows }
}
