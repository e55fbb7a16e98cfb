//! The catalog's objects and their ids: relations (tables, their indexes, views) and
//! constraints, numbered in name order from the schema they are read from, so that a
//! catalog table and a catalog function given the same state agree on every id.

use crate::storage::schema::FkAction;
use crate::storage::{State, Table, TableSchema, ViewDef};

use super::{schema_oid, split};

/// Where the ids of tables, views, indexes and constraints start.
pub const FIRST_TABLE_OID: i64 = 16_384;
pub const FIRST_VIEW_OID: i64 = 24_576;
pub const FIRST_INDEX_OID: i64 = 32_768;
pub const FIRST_CONSTRAINT_OID: i64 = 40_960;

/// An index as the catalog shows it.
pub struct IndexInfo<'a> {
    pub oid: i64,
    pub name: String,
    pub table: &'a Table,
    pub table_oid: i64,
    pub columns: Vec<usize>,
    pub unique: bool,
    pub primary: bool,
}

/// A table, view or index with its id.
pub enum Relation<'a> {
    Table { oid: i64, schema: String, name: String, table: &'a Table },
    View { oid: i64, schema: String, name: String, view: &'a ViewDef },
    Index { schema: String, index: IndexInfo<'a> },
}

impl Relation<'_> {
    pub fn oid(&self) -> i64 {
        match self {
            Relation::Table { oid, .. } | Relation::View { oid, .. } => *oid,
            Relation::Index { index, .. } => index.oid,
        }
    }

    pub fn schema(&self) -> &str {
        match self {
            Relation::Table { schema, .. } | Relation::View { schema, .. } | Relation::Index { schema, .. } => schema,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Relation::Table { name, .. } | Relation::View { name, .. } => name,
            Relation::Index { index, .. } => &index.name,
        }
    }

    /// As PostgreSQL prints a `regclass`: the bare name when its schema is on the
    /// search path (`public`), else qualified.
    pub fn display_name(&self) -> String {
        match self.schema() {
            "public" => self.name().to_string(),
            schema => format!("{schema}.{}", self.name()),
        }
    }
}

thread_local! {
    /// Set while a view's query is planned for its columns: a view over the catalog
    /// then lists no view columns rather than planning itself again.
    static PLANNING_VIEW: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A view's column names: those it was created with, else its query's (planned for
/// them); none when the query no longer plans.
pub fn view_columns(state: &State, view: &ViewDef) -> Vec<String> {
    if !view.columns.is_empty() {
        return view.columns.clone();
    }
    if PLANNING_VIEW.with(|p| p.replace(true)) {
        return Vec::new();
    }
    struct Present;
    impl crate::storage::History for Present {
        fn state_at(&self, _: &crate::storage::AsOf) -> crate::error::Result<State> {
            Err(crate::error::Error::invalid("a view's columns are read from the present"))
        }
    }
    let columns = crate::sql::parser::parse(&view.sql)
        .and_then(|stmt| crate::sql::planner::plan(&stmt, state, &Present))
        .ok()
        .and_then(|plan| plan.columns())
        .map(|c| c.to_vec())
        .unwrap_or_default();
    PLANNING_VIEW.with(|p| p.set(false));
    columns
}

/// The indexes of `table` (whose id is `table_oid`), ids from `next`: each index it
/// keeps, and for an integer primary key (the rows' own key, no separate index) one
/// that stands for it, as PostgreSQL's `_pkey` index does.
fn indexes_of<'a>(table: &'a Table, table_oid: i64, next: &mut i64) -> Vec<IndexInfo<'a>> {
    let schema = &table.schema;
    let mut out = Vec::new();
    let mut add = |name: String, columns: Vec<usize>, unique: bool, primary: bool| {
        out.push(IndexInfo { oid: *next, name, table, table_oid, columns, unique, primary });
        *next += 1;
    };
    let covered = table.indexes.iter().any(|ix| ix.columns == schema.primary_key);
    if !schema.primary_key.is_empty() && !covered {
        let (_, bare) = split(&schema.name);
        add(format!("{bare}_pkey"), schema.primary_key.clone(), true, true);
    }
    for ix in &table.indexes {
        let created = schema.indexes.iter().any(|d| d.name == ix.name);
        let primary = !created && ix.columns == schema.primary_key;
        add(ix.name.clone(), ix.columns.clone(), ix.unique, primary);
    }
    out
}

/// Every relation with its id: tables, each followed by its indexes, then views.
pub fn relations(state: &State) -> Vec<Relation<'_>> {
    let mut out = Vec::new();
    let mut next_index = FIRST_INDEX_OID;
    for (k, table) in state.tables().enumerate() {
        let oid = FIRST_TABLE_OID + k as i64;
        let (schema, name) = split(table.name());
        for index in indexes_of(table, oid, &mut next_index) {
            out.push(Relation::Index { schema: schema.clone(), index });
        }
        out.push(Relation::Table { oid, schema, name, table });
    }
    for (k, view) in state.views().enumerate() {
        let (schema, name) = split(&view.name);
        out.push(Relation::View { oid: FIRST_VIEW_OID + k as i64, schema, name, view });
    }
    out.sort_by_key(Relation::oid);
    out
}

/// The relation with id `oid`.
pub fn relation(state: &State, oid: i64) -> Option<Relation<'_>> {
    relations(state).into_iter().find(|r| r.oid() == oid)
}

/// The id of the relation a name (`t`, `schema.t`) means, as `'t'::regclass` reads it.
pub fn relation_oid(state: &State, name: &str) -> Option<i64> {
    let (schema, bare) = match name.split_once('.') {
        Some((s, b)) => (s.to_string(), b.to_string()),
        None => ("public".to_string(), name.to_string()),
    };
    relations(state)
        .into_iter()
        .find(|r| r.schema().eq_ignore_ascii_case(&schema) && r.name().eq_ignore_ascii_case(&bare))
        .map(|r| r.oid())
}

/// A constraint's kind and what it constrains.
pub enum ConstraintKind {
    /// `p` or `u`, with its index's id.
    Key { primary: bool, columns: Vec<usize>, index_oid: i64 },
    /// `c`, with its expression's text.
    Check(String),
    /// `f`, with the referenced table's id.
    Foreign {
        columns: Vec<usize>,
        parent_oid: i64,
        parent: String,
        parent_names: Vec<String>,
        on_delete: FkAction,
        on_update: FkAction,
    },
}

/// A constraint with its id.
pub struct Constraint<'a> {
    pub oid: i64,
    pub name: String,
    pub table_oid: i64,
    pub schema: &'a TableSchema,
    pub namespace_oid: i64,
    pub kind: ConstraintKind,
}

impl Constraint<'_> {
    /// `p`, `u`, `c` or `f`.
    pub fn code(&self) -> &'static str {
        match &self.kind {
            ConstraintKind::Key { primary: true, .. } => "p",
            ConstraintKind::Key { .. } => "u",
            ConstraintKind::Check(_) => "c",
            ConstraintKind::Foreign { .. } => "f",
        }
    }

    /// Its definition as `pg_get_constraintdef` gives it.
    pub fn definition(&self) -> String {
        let names = |cols: &[usize]| {
            cols.iter()
                .filter_map(|&c| self.schema.columns.get(c))
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.kind {
            ConstraintKind::Key { primary: true, columns, .. } => format!("PRIMARY KEY ({})", names(columns)),
            ConstraintKind::Key { columns, .. } => format!("UNIQUE ({})", names(columns)),
            ConstraintKind::Check(sql) => format!("CHECK ({sql})"),
            ConstraintKind::Foreign { columns, parent, parent_names, on_delete, on_update, .. } => {
                let (schema, bare) = split(parent);
                let parent = if schema == "public" { bare } else { format!("{schema}.{bare}") };
                let mut text =
                    format!("FOREIGN KEY ({}) REFERENCES {parent}({})", names(columns), parent_names.join(", "));
                for (when, action) in [("UPDATE", on_update), ("DELETE", on_delete)] {
                    if *action != FkAction::Restrict {
                        text.push_str(&format!(" ON {when} {}", action.sql()));
                    }
                }
                text
            }
        }
    }
}

/// Every constraint with its id: per table, its key, unique constraints, checks and
/// foreign keys.
pub fn constraints(state: &State) -> Vec<Constraint<'_>> {
    let relations = relations(state);
    let table_oid = |name: &str| {
        relations.iter().find_map(|r| match r {
            Relation::Table { oid, table, .. } if table.name().eq_ignore_ascii_case(name) => Some(*oid),
            _ => None,
        })
    };
    let mut out = Vec::new();
    let mut next = FIRST_CONSTRAINT_OID;
    for r in &relations {
        let Relation::Index { index, schema } = r else { continue };
        if !index.unique {
            continue;
        }
        let table = &index.table.schema;
        let declared = index.primary || table.uniques.iter().any(|u| u.name == index.name);
        if !declared {
            continue;
        }
        out.push(Constraint {
            oid: 0,
            name: index.name.clone(),
            table_oid: index.table_oid,
            schema: table,
            namespace_oid: schema_oid(state, schema),
            kind: ConstraintKind::Key { primary: index.primary, columns: index.columns.clone(), index_oid: index.oid },
        });
    }
    for r in &relations {
        let Relation::Table { oid, schema, name, table } = r else { continue };
        let namespace_oid = schema_oid(state, schema);
        let mut add = |name: String, kind: ConstraintKind| {
            out.push(Constraint { oid: 0, name, table_oid: *oid, schema: &table.schema, namespace_oid, kind });
        };
        for (n, check) in table.schema.checks.iter().enumerate() {
            let cname = if check.name.is_empty() { format!("{name}_check{}", n + 1) } else { check.name.clone() };
            add(cname, ConstraintKind::Check(check.sql.clone()));
        }
        for (n, fk) in table.schema.foreign_keys.iter().enumerate() {
            let cname = if fk.name.is_empty() { format!("{name}_fkey{}", n + 1) } else { fk.name.clone() };
            add(
                cname,
                ConstraintKind::Foreign {
                    columns: fk.columns.clone(),
                    parent_oid: table_oid(&fk.parent).unwrap_or(0),
                    parent: fk.parent.clone(),
                    parent_names: fk.parent_names.clone(),
                    on_delete: fk.on_delete,
                    on_update: fk.on_update,
                },
            );
        }
    }
    out.sort_by_key(|c| (c.table_oid, c.code() != "p", c.name.clone()));
    for c in &mut out {
        c.oid = next;
        next += 1;
    }
    out
}
