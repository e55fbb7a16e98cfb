//! Projections: read models kept from message streams. `CREATE PROJECTION balances FROM
//! CATEGORY 'account' INTO accounts AS ON 'Deposited' DO UPDATE accounts SET … ON
//! 'Opened' DO INSERT INTO accounts …` stores, in the catalog table `amber$projections`,
//! the category, the table the projection writes, its rules (per message type, one
//! INSERT, UPDATE or DELETE of that table, reading the message as `message.data`,
//! `message.stream_name` …) and the global position of the last message it applied.
//! Each commit that writes messages of the category applies the rules to them in the
//! same commit (`txn`), so the table is never behind its stream; `REBUILD PROJECTION`
//! empties the table and applies every message again from the first.

use std::sync::Arc;

use super::ast::{Expr, Statement};
use crate::error::{Error, Result};
use crate::storage::schema::Column;
use crate::storage::streams::Message;
use crate::storage::table::RowKey;
use crate::storage::{DataType, State, TableSchema, Value};

pub const CATALOG: &str = "amber$projections";

/// What `message.…` may name in a rule, in the order the values are its parameters.
pub const FIELDS: [&str; 10] =
    ["stream_name", "stream_id", "category", "id", "type", "position", "global_position", "data", "metadata", "time"];

/// A projection as the catalog holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct Def {
    /// Its stored name (lower case, namespace and all).
    pub name: String,
    /// The namespace whose messages it reads.
    pub namespace: String,
    pub category: String,
    pub table: String,
    /// Its rules as written: `ON 'Type' DO statement` after one another.
    pub rules: String,
    /// The global position of the last message applied (0: none yet).
    pub position: i64,
}

pub fn catalog_schema() -> TableSchema {
    let text = |n: &str| Column::plain(n, DataType::Text);
    TableSchema {
        name: CATALOG.to_string(),
        columns: vec![
            text("name"),
            text("namespace"),
            text("category"),
            text("target"),
            text("rules"),
            Column::plain("position", DataType::Integer),
        ],
        primary_key: vec![0],
        ..TableSchema::default()
    }
}

pub fn key(name: &str) -> RowKey {
    RowKey::Tuple(Arc::new(vec![Value::text(&name.to_ascii_lowercase())]))
}

impl Def {
    pub fn row(&self) -> Vec<Value> {
        vec![
            Value::text(&self.name),
            Value::text(&self.namespace),
            Value::text(&self.category),
            Value::text(&self.table),
            Value::text(&self.rules),
            Value::Integer(self.position),
        ]
    }

    fn decode(row: &[Value]) -> Option<Def> {
        match row {
            [Value::Text(name), Value::Text(ns), Value::Text(cat), Value::Text(table), Value::Text(rules), Value::Integer(pos)] => {
                Some(Def {
                    name: name.to_string(),
                    namespace: ns.to_string(),
                    category: cat.to_string(),
                    table: table.to_string(),
                    rules: rules.to_string(),
                    position: *pos,
                })
            }
            _ => None,
        }
    }

    /// Its rules parsed, each write reading the message as parameters.
    pub fn parsed_rules(&self) -> Result<Vec<(String, Statement)>> {
        let text = format!("CREATE PROJECTION p FROM CATEGORY 'c' INTO t AS {}", self.rules);
        match super::parser::parse(&text)? {
            Statement::CreateProjection { mut rules, .. } => {
                for (_, stmt) in &mut rules {
                    bind_message(stmt)?;
                }
                Ok(rules)
            }
            _ => Err(Error::invalid(format!("projection {}: its rules do not parse", self.name))),
        }
    }
}

/// Every projection.
pub fn all(state: &State) -> Vec<Def> {
    let Some(t) = state.table(CATALOG) else { return Vec::new() };
    t.rows.iter().filter_map(|(_, row)| Def::decode(&row)).collect()
}

pub fn definition(state: &State, name: &str) -> Option<Def> {
    state.table(CATALOG)?.rows.get(&key(name)).and_then(|r| Def::decode(&r))
}

/// The rules as stored: `ON 'Type' DO statement`, one after another.
pub fn rules_text(rules: &[(String, Statement)]) -> Result<String> {
    let mut out = Vec::new();
    for (kind, stmt) in rules {
        let write = match stmt {
            Statement::Insert(i) => i.to_string(),
            Statement::Update(u) => u.to_string(),
            Statement::Delete(d) => d.to_string(),
            _ => return Err(Error::invalid("a projection's rule is an INSERT, UPDATE or DELETE")),
        };
        out.push(format!("ON {} DO {write}", crate::storage::schema::literal_sql(&Value::text(kind))));
    }
    Ok(out.join("\n"))
}

/// Turns each `message.field` of a rule into the parameter that carries it.
pub fn bind_message(stmt: &mut Statement) -> Result<()> {
    let mut unknown = None;
    stmt.walk_exprs_mut(&mut |e| {
        if let Expr::Column { table: Some(t), name } = e {
            if t.eq_ignore_ascii_case("message") {
                match FIELDS.iter().position(|f| f.eq_ignore_ascii_case(name)) {
                    Some(i) => *e = Expr::Param(i + 1),
                    None => unknown = Some(name.clone()),
                }
            }
        }
    });
    match unknown {
        Some(name) => Err(Error::invalid(format!("a message has no field {name} (it has {})", FIELDS.join(", ")))),
        None => Ok(()),
    }
}

/// The values a rule reads for `m`, in the order of [`FIELDS`].
pub fn message_params(m: &Message) -> Vec<Value> {
    let stream_id = crate::storage::streams::stream_id(&m.stream_name).map_or(Value::Null, Value::text);
    vec![
        Value::text(&m.stream_name),
        stream_id,
        Value::text(crate::storage::streams::category(&m.stream_name)),
        Value::text(&m.id),
        Value::text(&m.kind),
        Value::Integer(m.position),
        Value::Integer(m.global_position),
        Value::text(&m.data),
        m.metadata.as_deref().map_or(Value::Null, Value::text),
        Value::Timestamp(m.time),
    ]
}

/// The table a rule writes.
pub fn written_table(stmt: &Statement) -> Option<&str> {
    match stmt {
        Statement::Insert(i) => Some(&i.table),
        Statement::Update(u) => Some(&u.table),
        Statement::Delete(d) => Some(&d.table),
        _ => None,
    }
}

/// What a projection statement does to the catalog.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Create(Def),
    /// Back to position 0 (the statement's DELETE emptied the table first).
    Reset {
        name: String,
    },
    Drop {
        name: String,
    },
}
