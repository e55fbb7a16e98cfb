//! The schema as tables PostgreSQL's clients read: `information_schema.tables`,
//! `.columns` and `.schemata`, and the `pg_catalog` tables drivers look types and
//! tables up in (`pg_namespace`, `pg_class`, `pg_attribute`, `pg_type`, `pg_index`,
//! `pg_database`, `pg_tables`, `pg_am`). Namespaces are schemas (`main` is `public`); object ids
//! are given in name order when the statement is planned, so they hold for the schema
//! they were read from. Like `sqlite_schema`, each is worked out from the schema, and
//! a query reads it as any table.

use crate::storage::{DataType, State, Value};

use super::catalog::Listing;

/// The schema tables live in.
const CATALOG: &str = "amberdb";
/// PostgreSQL's object ids for `pg_catalog`, `public` and `information_schema`.
const PG_CATALOG_OID: i64 = 11;
const PUBLIC_OID: i64 = 2200;
const INFORMATION_SCHEMA_OID: i64 = 13_000;
/// Where the ids of namespaces, tables, views and indexes start.
const FIRST_NAMESPACE_OID: i64 = 16_000;
const FIRST_TABLE_OID: i64 = 16_384;
const FIRST_VIEW_OID: i64 = 24_576;
const FIRST_INDEX_OID: i64 = 32_768;
/// The access methods: tables are `heap`, indexes `btree`.
const HEAP_AM: i64 = 2;
const BTREE_AM: i64 = 403;

const TABLES: [&str; 11] = [
    "information_schema.tables",
    "information_schema.columns",
    "information_schema.schemata",
    "pg_namespace",
    "pg_class",
    "pg_attribute",
    "pg_type",
    "pg_index",
    "pg_database",
    "pg_tables",
    "pg_am",
];

/// The catalog table a name means: `information_schema.x` in full, a `pg_catalog`
/// table with or without `pg_catalog.`.
fn which(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let bare = lower.strip_prefix("pg_catalog.").unwrap_or(&lower);
    TABLES.iter().copied().find(|t| *t == bare && (bare.starts_with("pg_") || lower.starts_with("information_schema.")))
}

/// Whether `name` names one of these tables.
pub fn is_system_table(name: &str) -> bool {
    which(name).is_some()
}

/// The name a system table's columns are qualified by: its last part.
pub fn short_name(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase()
}

/// PostgreSQL's type of an AmberDB column: oid, `pg_type` name, SQL name.
fn pg_type(ty: DataType) -> (i64, &'static str, &'static str) {
    match ty {
        DataType::Integer => (20, "int8", "bigint"),
        DataType::Real => (701, "float8", "double precision"),
        DataType::Text | DataType::Any => (25, "text", "text"),
        DataType::Boolean => (16, "bool", "boolean"),
        DataType::Timestamp => (1114, "timestamp", "timestamp without time zone"),
        DataType::Json => (114, "json", "json"),
    }
}

/// A stored table name's schema (`public` for `main`) and bare name.
fn split(stored: &str) -> (String, String) {
    match stored.split_once('.') {
        Some((ns, t)) => (ns.to_string(), t.to_string()),
        None => ("public".to_string(), stored.to_string()),
    }
}

/// The schemas with their ids: `pg_catalog`, `public`, `information_schema`, then each
/// namespace.
fn schemas(state: &State) -> Vec<(i64, String)> {
    let mut out = vec![
        (PG_CATALOG_OID, "pg_catalog".to_string()),
        (PUBLIC_OID, "public".to_string()),
        (INFORMATION_SCHEMA_OID, "information_schema".to_string()),
    ];
    out.extend(state.namespaces().enumerate().map(|(i, n)| (FIRST_NAMESPACE_OID + i as i64, n.clone())));
    out
}

fn schema_oid(state: &State, name: &str) -> i64 {
    schemas(state).into_iter().find(|(_, n)| n == name).map_or(PUBLIC_OID, |(oid, _)| oid)
}

fn text(s: &str) -> Value {
    Value::text(s)
}

/// The rows of the system table `name`, or `None` when it is not one.
pub fn system_table(name: &str, state: &State) -> Option<Listing> {
    Some(match which(name)? {
        "information_schema.tables" => {
            let mut rows: Vec<Vec<Value>> = state
                .tables()
                .map(|t| {
                    let (schema, name) = split(t.name());
                    vec![text(CATALOG), text(&schema), text(&name), text("BASE TABLE")]
                })
                .collect();
            rows.extend(state.views().map(|v| {
                let (schema, name) = split(&v.name);
                vec![text(CATALOG), text(&schema), text(&name), text("VIEW")]
            }));
            Listing { columns: &["table_catalog", "table_schema", "table_name", "table_type"], rows }
        }
        "information_schema.columns" => {
            let mut rows = Vec::new();
            for t in state.tables() {
                let (schema, table) = split(t.name());
                for (i, c) in t.schema.columns.iter().enumerate() {
                    let (_, udt, sql) = pg_type(c.ty);
                    let in_key = t.schema.primary_key.contains(&i);
                    rows.push(vec![
                        text(CATALOG),
                        text(&schema),
                        text(&table),
                        text(&c.name),
                        Value::Integer(i as i64 + 1),
                        c.default.as_ref().map_or(Value::Null, |d| text(&super::catalog::default_sql(d))),
                        text(if c.not_null || in_key { "NO" } else { "YES" }),
                        text(sql),
                        text(udt),
                    ]);
                }
            }
            Listing {
                columns: &[
                    "table_catalog",
                    "table_schema",
                    "table_name",
                    "column_name",
                    "ordinal_position",
                    "column_default",
                    "is_nullable",
                    "data_type",
                    "udt_name",
                ],
                rows,
            }
        }
        "information_schema.schemata" => Listing {
            columns: &["catalog_name", "schema_name", "schema_owner"],
            rows: schemas(state).into_iter().map(|(_, n)| vec![text(CATALOG), text(&n), text("amberdb")]).collect(),
        },
        "pg_namespace" => Listing {
            columns: &["oid", "nspname", "nspowner"],
            rows: schemas(state)
                .into_iter()
                .map(|(oid, n)| vec![Value::Integer(oid), text(&n), Value::Integer(10)])
                .collect(),
        },
        "pg_class" => {
            let mut rows = Vec::new();
            let mut index = FIRST_INDEX_OID;
            for (k, t) in state.tables().enumerate() {
                let (schema, name) = split(t.name());
                let ns = schema_oid(state, &schema);
                let has_index = !t.indexes.is_empty();
                let row = |oid: i64, name: &str, kind: &str, tuples: f64, natts: usize| {
                    vec![
                        Value::Integer(oid),
                        text(name),
                        Value::Integer(ns),
                        text(kind),
                        Value::Integer(if kind == "i" { BTREE_AM } else { HEAP_AM }),
                        Value::Integer(10),
                        Value::Real(tuples),
                        Value::Boolean(has_index && kind == "r"),
                        text("p"),
                        Value::Integer(natts as i64),
                    ]
                };
                rows.push(row(FIRST_TABLE_OID + k as i64, &name, "r", t.rows.len() as f64, t.schema.columns.len()));
                for ix in t.indexes.iter() {
                    rows.push(row(index, &ix.name, "i", t.rows.len() as f64, 0));
                    index += 1;
                }
            }
            for (k, v) in state.views().enumerate() {
                let (schema, name) = split(&v.name);
                rows.push(vec![
                    Value::Integer(FIRST_VIEW_OID + k as i64),
                    text(&name),
                    Value::Integer(schema_oid(state, &schema)),
                    text("v"),
                    Value::Integer(0),
                    Value::Integer(10),
                    Value::Real(0.0),
                    Value::Boolean(false),
                    text("p"),
                    Value::Integer(0),
                ]);
            }
            Listing {
                columns: &[
                    "oid",
                    "relname",
                    "relnamespace",
                    "relkind",
                    "relam",
                    "relowner",
                    "reltuples",
                    "relhasindex",
                    "relpersistence",
                    "relnatts",
                ],
                rows,
            }
        }
        "pg_attribute" => {
            let mut rows = Vec::new();
            for (k, t) in state.tables().enumerate() {
                for (i, c) in t.schema.columns.iter().enumerate() {
                    let (oid, _, _) = pg_type(c.ty);
                    let len = match c.ty {
                        DataType::Integer | DataType::Real | DataType::Timestamp => 8,
                        DataType::Boolean => 1,
                        _ => -1,
                    };
                    rows.push(vec![
                        Value::Integer(FIRST_TABLE_OID + k as i64),
                        text(&c.name),
                        Value::Integer(oid),
                        Value::Integer(i as i64 + 1),
                        Value::Boolean(c.not_null || t.schema.primary_key.contains(&i)),
                        Value::Boolean(c.default.is_some()),
                        Value::Boolean(false),
                        Value::Integer(len),
                        Value::Integer(-1),
                    ]);
                }
            }
            Listing {
                columns: &[
                    "attrelid",
                    "attname",
                    "atttypid",
                    "attnum",
                    "attnotnull",
                    "atthasdef",
                    "attisdropped",
                    "attlen",
                    "atttypmod",
                ],
                rows,
            }
        }
        "pg_type" => {
            // oid, name, length, category, array type
            const TYPES: [(i64, &str, i64, &str, i64); 18] = [
                (16, "bool", 1, "B", 1000),
                (17, "bytea", -1, "U", 1001),
                (19, "name", 64, "S", 1003),
                (20, "int8", 8, "N", 1016),
                (21, "int2", 2, "N", 1005),
                (23, "int4", 4, "N", 1007),
                (25, "text", -1, "S", 1009),
                (26, "oid", 4, "N", 1028),
                (114, "json", -1, "U", 199),
                (700, "float4", 4, "N", 1021),
                (701, "float8", 8, "N", 1022),
                (1043, "varchar", -1, "S", 1015),
                (1082, "date", 4, "D", 1182),
                (1114, "timestamp", 8, "D", 1115),
                (1184, "timestamptz", 8, "D", 1185),
                (1700, "numeric", -1, "N", 1231),
                (2950, "uuid", 16, "U", 2951),
                (3802, "jsonb", -1, "U", 3807),
            ];
            let rows = TYPES
                .iter()
                .map(|&(oid, name, len, category, array)| {
                    vec![
                        Value::Integer(oid),
                        text(name),
                        Value::Integer(PG_CATALOG_OID),
                        Value::Integer(len),
                        text("b"),
                        text(category),
                        Value::Integer(0),
                        Value::Integer(array),
                        Value::Integer(0),
                        Value::Integer(0),
                    ]
                })
                .collect();
            Listing {
                columns: &[
                    "oid",
                    "typname",
                    "typnamespace",
                    "typlen",
                    "typtype",
                    "typcategory",
                    "typelem",
                    "typarray",
                    "typbasetype",
                    "typrelid",
                ],
                rows,
            }
        }
        "pg_index" => {
            let mut rows = Vec::new();
            let mut index = FIRST_INDEX_OID;
            for (k, t) in state.tables().enumerate() {
                for ix in t.indexes.iter() {
                    let key: Vec<String> = ix.columns.iter().map(|c| (c + 1).to_string()).collect();
                    let created = t.schema.indexes.iter().any(|d| d.name == ix.name);
                    let primary = !created && ix.columns == t.schema.primary_key;
                    rows.push(vec![
                        Value::Integer(index),
                        Value::Integer(FIRST_TABLE_OID + k as i64),
                        Value::Integer(ix.columns.len() as i64),
                        Value::Boolean(ix.unique),
                        Value::Boolean(primary),
                        text(&key.join(" ")),
                    ]);
                    index += 1;
                }
            }
            Listing { columns: &["indexrelid", "indrelid", "indnatts", "indisunique", "indisprimary", "indkey"], rows }
        }
        "pg_am" => Listing {
            columns: &["oid", "amname", "amtype"],
            rows: vec![
                vec![Value::Integer(HEAP_AM), text("heap"), text("t")],
                vec![Value::Integer(BTREE_AM), text("btree"), text("i")],
            ],
        },
        "pg_database" => Listing {
            columns: &["oid", "datname", "datdba", "encoding", "datcollate", "datctype", "datallowconn"],
            rows: vec![vec![
                Value::Integer(5),
                text(CATALOG),
                Value::Integer(10),
                Value::Integer(6),
                text("C"),
                text("C"),
                Value::Boolean(true),
            ]],
        },
        _ => Listing {
            columns: &["schemaname", "tablename", "tableowner", "hasindexes"],
            rows: state
                .tables()
                .map(|t| {
                    let (schema, name) = split(t.name());
                    vec![text(&schema), text(&name), text("amberdb"), Value::Boolean(!t.indexes.is_empty())]
                })
                .collect(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_found_with_and_without_their_schema() {
        assert!(is_system_table("pg_catalog.pg_class"));
        assert!(is_system_table("PG_CLASS"));
        assert!(is_system_table("information_schema.tables"));
        assert!(!is_system_table("tables"));
        assert!(!is_system_table("pg_catalog.tables"));
        assert_eq!(short_name("information_schema.columns"), "columns");
    }
}
