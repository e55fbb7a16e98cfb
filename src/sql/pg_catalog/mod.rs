//! The schema as tables PostgreSQL's clients read: `information_schema.tables`,
//! `.columns` and `.schemata`, and the `pg_catalog` tables drivers look types and
//! tables up in (`pg_namespace`, `pg_class`, `pg_attribute`, `pg_type`, `pg_index`,
//! `pg_database`, `pg_tables`, `pg_am`). Namespaces are schemas (`main` is `public`); object ids
//! are given in name order when the statement is planned, so they hold for the schema
//! they were read from. Like `sqlite_schema`, each is worked out from the schema, and
//! a query reads it as any table.

mod functions;
mod objects;

pub use functions::{array_text, CatalogFn};

use crate::storage::{DataType, State, Value};

use super::catalog::Listing;
use objects::{ConstraintKind, Relation};

/// The schema tables live in.
const CATALOG: &str = "amberdb";
/// PostgreSQL's object ids for `pg_catalog`, `public` and `information_schema`.
const PG_CATALOG_OID: i64 = 11;
const PUBLIC_OID: i64 = 2200;
const INFORMATION_SCHEMA_OID: i64 = 13_000;
/// Where the ids of namespaces and column defaults start (tables and the rest:
/// `objects`).
const FIRST_NAMESPACE_OID: i64 = 16_000;
const FIRST_ATTRDEF_OID: i64 = 49_152;
/// The collation of text columns: `default`.
const DEFAULT_COLLATION: i64 = 100;
/// The access methods: tables are `heap`, indexes `btree`.
const HEAP_AM: i64 = 2;
const BTREE_AM: i64 = 403;

const TABLES: [&str; 25] = [
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
    "pg_attrdef",
    "pg_collation",
    "pg_constraint",
    "pg_roles",
    "pg_policy",
    "pg_statistic_ext",
    "pg_publication",
    "pg_publication_namespace",
    "pg_publication_rel",
    "pg_inherits",
    "pg_trigger",
    "information_schema.table_constraints",
    "information_schema.key_column_usage",
    "information_schema.views",
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

/// PostgreSQL's types that AmberDB's values map to: oid, name, length, category,
/// array type.
const PG_TYPES: [(i64, &str, i64, &str, i64); 18] = [
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

/// A stored table name's schema (`public` for `main`) and bare name.
fn split(stored: &str) -> (String, String) {
    match stored.split_once('.') {
        Some((ns, t)) if ns != crate::storage::state::MAIN => (ns.to_string(), t.to_string()),
        Some((_, t)) => ("public".to_string(), t.to_string()),
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

/// Column numbers (from 1) as an array's text, `{1,2}`.
fn array(columns: &[usize]) -> Value {
    let numbers: Vec<String> = columns.iter().map(|c| (c + 1).to_string()).collect();
    text(&format!("{{{}}}", numbers.join(",")))
}

/// A table with no rows.
fn empty(columns: &'static [&'static str]) -> Listing {
    Listing { columns, rows: Vec::new() }
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
            let relations = objects::relations(state);
            // Worked out once for all rows: the tables with an index, and those a
            // foreign key references.
            let indexed: std::collections::HashSet<i64> = relations
                .iter()
                .filter_map(|r| match r {
                    Relation::Index { index, .. } => Some(index.table_oid),
                    _ => None,
                })
                .collect();
            let referenced: std::collections::HashSet<String> = state
                .tables()
                .flat_map(|t| t.schema.foreign_keys.iter().map(|fk| fk.parent.to_ascii_lowercase()))
                .collect();
            let rows = relations
                .iter()
                .map(|r| {
                    let ns = schema_oid(state, r.schema());
                    // PostgreSQL keeps foreign keys as triggers: psql looks for them
                    // only where a table has some (`has_triggers`).
                    let (kind, am, tuples, natts, has_index, nchecks, has_triggers) = match r {
                        Relation::Table { table, oid, .. } => (
                            "r",
                            HEAP_AM,
                            table.rows.len() as f64,
                            table.schema.columns.len(),
                            indexed.contains(oid),
                            table.schema.checks.len() as i64,
                            !table.schema.foreign_keys.is_empty()
                                || referenced.contains(&table.name().to_ascii_lowercase()),
                        ),
                        Relation::View { view, .. } => ("v", 0, 0.0, view.columns.len(), false, 0, false),
                        Relation::Index { index, .. } => {
                            ("i", BTREE_AM, index.table.rows.len() as f64, index.columns.len(), false, 0, false)
                        }
                    };
                    vec![
                        Value::Integer(r.oid()),
                        text(r.name()),
                        Value::Integer(ns),
                        text(kind),
                        Value::Integer(am),
                        Value::Integer(10),
                        Value::Real(tuples),
                        Value::Boolean(has_index),
                        text("p"),
                        Value::Integer(natts as i64),
                        Value::Integer(nchecks),
                        Value::Boolean(false),
                        Value::Boolean(has_triggers),
                        Value::Boolean(false),
                        Value::Boolean(false),
                        Value::Boolean(false),
                        Value::Integer(0),
                        Value::Integer(0),
                        text("d"),
                        Value::Integer(0),
                        Value::Null,
                        Value::Null,
                        Value::Integer(0),
                    ]
                })
                .collect();
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
                    "relchecks",
                    "relhasrules",
                    "relhastriggers",
                    "relrowsecurity",
                    "relforcerowsecurity",
                    "relispartition",
                    "reltablespace",
                    "reloftype",
                    "relreplident",
                    "reltoastrelid",
                    "relpartbound",
                    "reloptions",
                    "relfilenode",
                ],
                rows,
            }
        }
        "pg_attribute" => {
            let mut rows = Vec::new();
            // An index's and a view's columns: names and types, nothing more to say.
            let plain = |rel: i64, name: &str, num: usize, ty: DataType| {
                let (oid, _, _) = pg_type(ty);
                let collation = if matches!(ty, DataType::Text | DataType::Any) { DEFAULT_COLLATION } else { 0 };
                vec![
                    Value::Integer(rel),
                    text(name),
                    Value::Integer(oid),
                    Value::Integer(num as i64 + 1),
                    Value::Boolean(false),
                    Value::Boolean(false),
                    Value::Boolean(false),
                    Value::Integer(-1),
                    Value::Integer(-1),
                    Value::Integer(collation),
                    text(""),
                    text(""),
                ]
            };
            for r in objects::relations(state) {
                match &r {
                    Relation::View { oid, view, .. } => {
                        for (i, c) in objects::view_columns(state, view).iter().enumerate() {
                            rows.push(plain(*oid, c, i, DataType::Any));
                        }
                    }
                    Relation::Index { index, .. } => {
                        let table = &index.table.schema;
                        let def = table.indexes.iter().find(|d| d.name == index.name);
                        for (i, &c) in index.columns.iter().enumerate() {
                            let computed = def.is_some_and(|d| d.exprs.get(i).is_some_and(Option::is_some));
                            let column = table.columns.get(c);
                            let (name, ty) = match column {
                                Some(col) if !computed => (col.name.as_str(), col.ty),
                                _ => ("expr", DataType::Any),
                            };
                            rows.push(plain(index.oid, name, i, ty));
                        }
                    }
                    Relation::Table { .. } => {}
                }
                let Relation::Table { oid: table_oid, table: t, .. } = r else { continue };
                for (i, c) in t.schema.columns.iter().enumerate() {
                    let (oid, _, _) = pg_type(c.ty);
                    let len = match c.ty {
                        DataType::Integer | DataType::Real | DataType::Timestamp => 8,
                        DataType::Boolean => 1,
                        _ => -1,
                    };
                    let collation = if matches!(c.ty, DataType::Text | DataType::Any) { DEFAULT_COLLATION } else { 0 };
                    let generated = match &c.generated {
                        Some(g) if g.stored => "s",
                        Some(_) => "v",
                        None => "",
                    };
                    rows.push(vec![
                        Value::Integer(table_oid),
                        text(&c.name),
                        Value::Integer(oid),
                        Value::Integer(i as i64 + 1),
                        Value::Boolean(c.not_null || t.schema.primary_key.contains(&i)),
                        Value::Boolean(c.default.is_some() || c.generated.is_some()),
                        Value::Boolean(false),
                        Value::Integer(len),
                        Value::Integer(-1),
                        Value::Integer(collation),
                        text(""),
                        text(generated),
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
                    "attcollation",
                    "attidentity",
                    "attgenerated",
                ],
                rows,
            }
        }
        "pg_attrdef" => {
            let mut rows = Vec::new();
            let mut oid = FIRST_ATTRDEF_OID;
            for r in objects::relations(state) {
                let Relation::Table { oid: table_oid, table: t, .. } = r else { continue };
                for (i, c) in t.schema.columns.iter().enumerate() {
                    let expr = match (&c.generated, &c.default) {
                        (Some(g), _) => g.sql.clone(),
                        (None, Some(d)) => super::catalog::default_sql(d),
                        (None, None) => continue,
                    };
                    rows.push(vec![
                        Value::Integer(oid),
                        Value::Integer(table_oid),
                        Value::Integer(i as i64 + 1),
                        text(&expr),
                    ]);
                    oid += 1;
                }
            }
            Listing { columns: &["oid", "adrelid", "adnum", "adbin"], rows }
        }
        "pg_collation" => Listing {
            columns: &["oid", "collname", "collnamespace", "collprovider"],
            rows: [(DEFAULT_COLLATION, "default", "d"), (950, "C", "c"), (951, "POSIX", "c")]
                .iter()
                .map(|&(oid, name, provider)| {
                    vec![Value::Integer(oid), text(name), Value::Integer(PG_CATALOG_OID), text(provider)]
                })
                .collect(),
        },
        "pg_constraint" => Listing {
            columns: &[
                "oid",
                "conname",
                "connamespace",
                "contype",
                "condeferrable",
                "condeferred",
                "convalidated",
                "conrelid",
                "conindid",
                "conparentid",
                "confrelid",
                "conkey",
                "confkey",
            ],
            rows: objects::constraints(state)
                .iter()
                .map(|c| {
                    let (index, parent, key, fkey) = match &c.kind {
                        ConstraintKind::Key { columns, index_oid, .. } => (*index_oid, 0, array(columns), Value::Null),
                        ConstraintKind::Check(_) => (0, 0, Value::Null, Value::Null),
                        ConstraintKind::Foreign { columns, parent_oid, .. } => {
                            (0, *parent_oid, array(columns), Value::Null)
                        }
                    };
                    vec![
                        Value::Integer(c.oid),
                        text(&c.name),
                        Value::Integer(c.namespace_oid),
                        text(c.code()),
                        Value::Boolean(false),
                        Value::Boolean(false),
                        Value::Boolean(true),
                        Value::Integer(c.table_oid),
                        Value::Integer(index),
                        Value::Integer(0),
                        Value::Integer(parent),
                        key,
                        fkey,
                    ]
                })
                .collect(),
        },
        "pg_type" => {
            let rows = PG_TYPES
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
                        Value::Integer(if category == "S" { DEFAULT_COLLATION } else { 0 }),
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
                    "typcollation",
                ],
                rows,
            }
        }
        "pg_index" => {
            let rows = objects::relations(state)
                .iter()
                .filter_map(|r| match r {
                    Relation::Index { index, .. } => Some(index),
                    _ => None,
                })
                .map(|ix| {
                    let key: Vec<String> = ix.columns.iter().map(|c| (c + 1).to_string()).collect();
                    let predicate =
                        ix.table.schema.indexes.iter().find(|d| d.name == ix.name).and_then(|d| d.predicate.clone());
                    vec![
                        Value::Integer(ix.oid),
                        Value::Integer(ix.table_oid),
                        Value::Integer(ix.columns.len() as i64),
                        Value::Boolean(ix.unique),
                        Value::Boolean(ix.primary),
                        text(&key.join(" ")),
                        Value::Boolean(false),
                        Value::Boolean(true),
                        Value::Boolean(true),
                        Value::Boolean(false),
                        Value::Integer(ix.columns.len() as i64),
                        Value::Boolean(true),
                        Value::Boolean(false),
                        predicate.map_or(Value::Null, |p| text(&p)),
                        Value::Null,
                    ]
                })
                .collect();
            Listing {
                columns: &[
                    "indexrelid",
                    "indrelid",
                    "indnatts",
                    "indisunique",
                    "indisprimary",
                    "indkey",
                    "indisclustered",
                    "indisvalid",
                    "indisready",
                    "indisreplident",
                    "indnkeyatts",
                    "indimmediate",
                    "indnullsnotdistinct",
                    "indpred",
                    "indexprs",
                ],
                rows,
            }
        }
        "pg_am" => Listing {
            columns: &["oid", "amname", "amtype"],
            rows: vec![
                vec![Value::Integer(HEAP_AM), text("heap"), text("t")],
                vec![Value::Integer(BTREE_AM), text("btree"), text("i")],
            ],
        },
        "pg_database" => Listing {
            columns: &[
                "oid",
                "datname",
                "datdba",
                "encoding",
                "datcollate",
                "datctype",
                "datallowconn",
                "datistemplate",
                "daticulocale",
                "datlocprovider",
                "datacl",
            ],
            rows: vec![vec![
                Value::Integer(5),
                text(CATALOG),
                Value::Integer(10),
                Value::Integer(6),
                text("C"),
                text("C"),
                Value::Boolean(true),
                Value::Boolean(false),
                Value::Null,
                text("c"),
                Value::Null,
            ]],
        },
        "information_schema.table_constraints" => Listing {
            columns: &[
                "constraint_catalog",
                "constraint_schema",
                "constraint_name",
                "table_catalog",
                "table_schema",
                "table_name",
                "constraint_type",
            ],
            rows: objects::constraints(state)
                .iter()
                .map(|c| {
                    let (schema, table) = split(&c.schema.name);
                    let kind = match c.code() {
                        "p" => "PRIMARY KEY",
                        "u" => "UNIQUE",
                        "c" => "CHECK",
                        _ => "FOREIGN KEY",
                    };
                    vec![
                        text(CATALOG),
                        text(&schema),
                        text(&c.name),
                        text(CATALOG),
                        text(&schema),
                        text(&table),
                        text(kind),
                    ]
                })
                .collect(),
        },
        "information_schema.key_column_usage" => {
            let mut rows = Vec::new();
            for c in objects::constraints(state) {
                let columns = match &c.kind {
                    ConstraintKind::Key { columns, .. } | ConstraintKind::Foreign { columns, .. } => columns,
                    ConstraintKind::Check(_) => continue,
                };
                let (schema, table) = split(&c.schema.name);
                for (n, &col) in columns.iter().enumerate() {
                    let Some(column) = c.schema.columns.get(col) else { continue };
                    rows.push(vec![
                        text(CATALOG),
                        text(&schema),
                        text(&c.name),
                        text(CATALOG),
                        text(&schema),
                        text(&table),
                        text(&column.name),
                        Value::Integer(n as i64 + 1),
                    ]);
                }
            }
            Listing {
                columns: &[
                    "constraint_catalog",
                    "constraint_schema",
                    "constraint_name",
                    "table_catalog",
                    "table_schema",
                    "table_name",
                    "column_name",
                    "ordinal_position",
                ],
                rows,
            }
        }
        "information_schema.views" => Listing {
            columns: &["table_catalog", "table_schema", "table_name", "view_definition"],
            rows: state
                .views()
                .map(|v| {
                    let (schema, name) = split(&v.name);
                    vec![text(CATALOG), text(&schema), text(&name), text(&v.sql)]
                })
                .collect(),
        },
        "pg_roles" => Listing {
            columns: &["oid", "rolname", "rolsuper", "rolinherit", "rolcreaterole", "rolcreatedb", "rolcanlogin"],
            rows: vec![vec![
                Value::Integer(10),
                text(CATALOG),
                Value::Boolean(true),
                Value::Boolean(true),
                Value::Boolean(true),
                Value::Boolean(true),
                Value::Boolean(true),
            ]],
        },
        // What AmberDB has none of: row security policies, extended statistics,
        // publications, inheritance. Empty, so that the clients that ask learn so.
        "pg_policy" => {
            empty(&["oid", "polname", "polrelid", "polcmd", "polpermissive", "polroles", "polqual", "polwithcheck"])
        }
        "pg_statistic_ext" => {
            empty(&["oid", "stxrelid", "stxname", "stxnamespace", "stxowner", "stxkeys", "stxkind", "stxstattarget"])
        }
        "pg_publication" => {
            empty(&["oid", "pubname", "pubowner", "puballtables", "pubinsert", "pubupdate", "pubdelete"])
        }
        "pg_publication_namespace" => empty(&["oid", "pnpubid", "pnnspid"]),
        "pg_publication_rel" => empty(&["oid", "prpubid", "prrelid", "prqual", "prattrs"]),
        "pg_inherits" => empty(&["inhrelid", "inhparent", "inhseqno", "inhdetachpending"]),
        "pg_trigger" => empty(&["oid", "tgrelid", "tgparentid", "tgname", "tgenabled", "tgisinternal"]),
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
