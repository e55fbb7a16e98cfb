//! Table schemas: columns, their declared types and the constraints on them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::value::Value;

/// A column's type. `Any` is a column declared without a type, which stores values as
/// given (as SQLite does).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DataType {
    Integer,
    Real,
    Text,
    Boolean,
    Timestamp,
    Any,
    /// Text that is a JSON document (`JSON`, `JSONB`). Last, so that schemas written
    /// before it existed still decode.
    Json,
}

/// Column names for a table made from a query's columns: a name given twice gets a
/// number, as SQLite does (`a`, `a:1`).
pub fn numbered_names(shown: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(shown.len());
    for name in shown {
        let mut col = name.clone();
        let mut n = 0;
        while out.iter().any(|c| c.eq_ignore_ascii_case(&col)) {
            n += 1;
            col = format!("{name}:{n}");
        }
        out.push(col);
    }
    out
}

impl DataType {
    /// Maps a declared type name (`INT`, `VARCHAR(20)`, `DOUBLE PRECISION`…) to a type.
    /// Unknown names are `None` so that the caller can say which name was not understood.
    pub fn from_declared(words: &str) -> Option<DataType> {
        let upper = words.to_ascii_uppercase();
        let base = upper.split('(').next().unwrap_or("").trim();
        let ty = match base {
            "INT" | "INTEGER" | "BIGINT" | "SMALLINT" | "TINYINT" | "MEDIUMINT" | "INT2" | "INT4" | "INT8"
            | "UNSIGNED BIG INT" | "SERIAL" | "BIGSERIAL" => DataType::Integer,
            "REAL" | "FLOAT" | "DOUBLE" | "DOUBLE PRECISION" | "FLOAT4" | "FLOAT8" | "NUMERIC" | "DECIMAL" => {
                DataType::Real
            }
            "TEXT" | "VARCHAR" | "CHAR" | "CHARACTER" | "VARYING CHARACTER" | "NCHAR" | "NATIVE CHARACTER"
            | "NVARCHAR" | "CLOB" | "STRING" | "CHARACTER VARYING" | "UUID" | "NAME" | "BPCHAR" => DataType::Text,
            "BOOLEAN" | "BOOL" => DataType::Boolean,
            "TIMESTAMP"
            | "DATETIME"
            | "DATE"
            | "TIMESTAMPTZ"
            | "TIMESTAMP WITH TIME ZONE"
            | "TIMESTAMP WITHOUT TIME ZONE" => DataType::Timestamp,
            "" | "ANY" | "BLOB" | "BYTEA" => DataType::Any,
            "JSON" | "JSONB" => DataType::Json,
            _ => return None,
        };
        Some(ty)
    }

    pub fn name(self) -> &'static str {
        match self {
            DataType::Integer => "INTEGER",
            DataType::Real => "REAL",
            DataType::Text => "TEXT",
            DataType::Boolean => "BOOLEAN",
            DataType::Timestamp => "TIMESTAMP",
            DataType::Any => "ANY",
            DataType::Json => "JSON",
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// SQLite's built-in collations: how text compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Collation {
    /// Byte by byte (the default).
    Binary,
    /// ASCII letters without regard to case.
    NoCase,
    /// Trailing spaces ignored.
    RTrim,
}

impl Collation {
    pub fn by_name(name: &str) -> Option<Collation> {
        match name.to_ascii_lowercase().as_str() {
            "binary" => Some(Collation::Binary),
            "nocase" => Some(Collation::NoCase),
            "rtrim" => Some(Collation::RTrim),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Collation::Binary => "BINARY",
            Collation::NoCase => "NOCASE",
            Collation::RTrim => "RTRIM",
        }
    }
}

/// The end of the name of the unique index that makes a primary key hold under its
/// columns' collations.
const PKEY_COLLATED: &str = "_pkey_collated";

/// What a column gets when an INSERT does not name it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ColumnDefault {
    Value(Value),
    /// The statement's time (`DEFAULT now()` / `DEFAULT CURRENT_TIMESTAMP`).
    Now,
    /// An expression worked out for each row that takes it (`DEFAULT
    /// (datetime('now', '+1 day'))`, `DEFAULT (random())`), kept as SQL text and bound
    /// by the planner of each INSERT, as CHECK constraints are. (Last, so that schemas
    /// written before it existed still decode.)
    Expr(String),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Column {
    pub name: String,
    pub ty: DataType,
    pub not_null: bool,
    pub default: Option<ColumnDefault>,
    /// `GENERATED ALWAYS AS (expr)`: the value is worked out from the row's other
    /// columns whenever the row is written.
    pub generated: Option<Generated>,
    /// `COLLATE NOCASE|RTRIM|BINARY`: how the column's text compares, sorts, groups
    /// and is indexed (none: byte by byte). New in the fourth layout (exports written
    /// before it read as none).
    #[serde(default)]
    pub collation: Option<Collation>,
}

impl Column {
    /// A column with a name and a type and nothing else.
    pub fn plain(name: impl Into<String>, ty: DataType) -> Column {
        Column { name: name.into(), ty, not_null: false, default: None, generated: None, collation: None }
    }
}

/// A generated column's expression, kept as SQL text and bound by the planner of each
/// write (as CHECK constraints are). Both kinds are stored: `VIRTUAL` only changes how
/// the schema is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Generated {
    pub sql: String,
    pub stored: bool,
}

/// A UNIQUE constraint (or the uniqueness of a non-integer primary key).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UniqueConstraint {
    pub name: String,
    pub columns: Vec<usize>,
}

/// What happens to referencing rows when the row they reference is deleted or its key
/// changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FkAction {
    /// Refuse the change while rows reference the row (also NO ACTION).
    Restrict,
    /// Delete the referencing rows, or change their columns with the key.
    Cascade,
    /// Set the referencing columns to NULL.
    SetNull,
}

impl FkAction {
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
        }
    }
}

/// A FOREIGN KEY: `columns` of this table reference `parent_columns` of `parent`, which
/// are its primary key or a unique key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ForeignKey {
    pub name: String,
    pub columns: Vec<usize>,
    /// The parent table's name, lowercase.
    pub parent: String,
    pub parent_columns: Vec<usize>,
    /// The parent's column names, for `.schema`.
    pub parent_names: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

/// A CHECK constraint, kept as SQL text and compiled by the planner of each write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckConstraint {
    pub name: String,
    pub sql: String,
}

/// A secondary index made with `CREATE [UNIQUE] INDEX`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    pub name: String,
    pub columns: Vec<usize>,
    /// Per column: declared `DESC` (kept for display; scans run either way).
    pub desc: Vec<bool>,
    pub unique: bool,
    /// Per key part, when the index has expressions: the expression's SQL text, or
    /// `None` for the plain column `columns[i]`. Empty for an index of columns only.
    /// An expression part's entry in `columns` is the first column it reads.
    pub exprs: Vec<Option<String>>,
    /// `WHERE …` of a partial index: only rows for which it is true are indexed (and,
    /// for a unique index, must be unique).
    pub predicate: Option<String>,
}

impl IndexDef {
    /// An index of plain columns, all ascending.
    pub fn of_columns(name: impl Into<String>, columns: Vec<usize>, unique: bool) -> IndexDef {
        let desc = vec![false; columns.len()];
        IndexDef { name: name.into(), columns, desc, unique, exprs: Vec::new(), predicate: None }
    }

    /// True when some key part is an expression or the index is partial: its entries
    /// need the SQL layer's expressions to be worked out.
    pub fn is_computed(&self) -> bool {
        self.exprs.iter().any(Option::is_some) || self.predicate.is_some()
    }
}

#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct TableSchema {
    pub name: String,
    pub columns: Vec<Column>,
    /// Primary key columns; empty means a hidden rowid.
    pub primary_key: Vec<usize>,
    pub uniques: Vec<UniqueConstraint>,
    pub checks: Vec<CheckConstraint>,
    pub indexes: Vec<IndexDef>,
    pub foreign_keys: Vec<ForeignKey>,
    /// `WITH (ttl = …)`: rows inserted expire this many microseconds later unless the
    /// statement says otherwise.
    pub ttl: Option<i64>,
    /// `WITH (max_rows = N)`: an insert that would make the table hold more rows is
    /// refused. (New in the third layout: older logs and checkpoints read as none.)
    #[serde(default)]
    pub max_rows: Option<u64>,
}

impl TableSchema {
    /// Checks that every column number the schema holds names one of its columns, so
    /// that a schema read from a file cannot make a row be indexed out of range.
    pub fn check_consistent(&self) -> std::result::Result<(), String> {
        let n = self.columns.len();
        let lists = std::iter::once(&self.primary_key)
            .chain(self.uniques.iter().map(|u| &u.columns))
            .chain(self.indexes.iter().map(|i| &i.columns))
            .chain(self.foreign_keys.iter().map(|f| &f.columns));
        for list in lists {
            if let Some(bad) = list.iter().find(|&&c| c >= n) {
                return Err(format!("table {} refers to column {bad} but has {n} columns", self.name));
            }
        }
        if self.indexes.iter().any(|i| i.desc.len() != i.columns.len()) {
            return Err(format!("table {} has an index whose column orders do not match", self.name));
        }
        if self.indexes.iter().any(|i| !i.exprs.is_empty() && i.exprs.len() != i.columns.len()) {
            return Err(format!("table {} has an index whose column orders do not match", self.name));
        }
        if self.foreign_keys.iter().any(|f| f.parent_columns.len() != f.columns.len()) {
            return Err(format!("table {} has a foreign key with mismatched columns", self.name));
        }
        Ok(())
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name.eq_ignore_ascii_case(name))
    }

    /// True when the primary key is one INTEGER column: its value is the row key (the
    /// rowid alias of SQLite) and is assigned automatically when inserted as NULL.
    pub fn integer_key(&self) -> Option<usize> {
        match self.primary_key.as_slice() {
            [i] if self.columns[*i].ty == DataType::Integer => Some(*i),
            _ => None,
        }
    }

    pub fn column_names(&self, cols: &[usize]) -> String {
        cols.iter().map(|&i| self.columns[i].name.as_str()).collect::<Vec<_>>().join(", ")
    }

    /// The key parts of an index by name: its columns' names, or an expression's SQL.
    pub fn index_key_names(&self, index: &str, cols: &[usize]) -> String {
        match self.indexes.iter().find(|d| d.name == index && !d.exprs.is_empty()) {
            Some(def) => def
                .exprs
                .iter()
                .zip(&def.columns)
                .map(|(e, &c)| e.clone().unwrap_or_else(|| self.columns[c].name.clone()))
                .collect::<Vec<_>>()
                .join(", "),
            None => self.column_names(cols),
        }
    }

    /// The schema as a `CREATE TABLE` statement that rebuilds it.
    pub fn to_sql(&self) -> String {
        let mut parts: Vec<String> = self.columns.iter().map(column_sql).collect();
        if !self.primary_key.is_empty() {
            parts.push(format!("PRIMARY KEY ({})", self.column_names(&self.primary_key)));
        }
        for u in &self.uniques {
            parts.push(format!("UNIQUE ({})", self.column_names(&u.columns)));
        }
        for ix in self.indexes.iter().filter(|ix| self.made_by_constraint(ix)) {
            if !ix.name.ends_with(PKEY_COLLATED) {
                parts.push(format!("UNIQUE ({})", self.column_names(&ix.columns)));
            }
        }
        for c in &self.checks {
            parts.push(format!("CHECK ({})", c.sql));
        }
        for fk in &self.foreign_keys {
            let mut s =
                format!("FOREIGN KEY ({}) REFERENCES {}", self.column_names(&fk.columns), quote_stored(&fk.parent));
            if !fk.parent_names.is_empty() {
                s.push_str(&format!(" ({})", fk.parent_names.join(", ")));
            }
            for (what, action) in [("DELETE", fk.on_delete), ("UPDATE", fk.on_update)] {
                if action != FkAction::Restrict {
                    s.push_str(&format!(" ON {what} {}", action.sql()));
                }
            }
            parts.push(s);
        }
        let mut options = Vec::new();
        if let Some(micros) = self.ttl {
            options.push(format!("ttl = '{}'", super::time::format_interval(micros)));
        }
        if let Some(n) = self.max_rows {
            options.push(format!("max_rows = {n}"));
        }
        let options = if options.is_empty() { String::new() } else { format!(" WITH ({})", options.join(", ")) };
        format!("CREATE TABLE {} (\n  {}\n){options};", quote_stored(&self.name), parts.join(",\n  "))
    }

    /// Whether an index is one the table's constraints make (see
    /// `planner::ddl::collated_uniques`): its `CREATE TABLE` makes it again, so it
    /// is written as the constraint and not on its own.
    pub fn made_by_constraint(&self, ix: &IndexDef) -> bool {
        let folded =
            |c: &usize| self.columns.get(*c).is_some_and(|c| c.collation.is_some_and(|c| c != Collation::Binary));
        let pkey = self.collated_key_name();
        let unique = format!("{}_{}_unique", self.name, self.column_names(&ix.columns).replace(", ", "_"));
        ix.unique
            && ix.predicate.is_none()
            && ix.columns.iter().any(folded)
            && (ix.name == pkey || ix.name == unique)
            && ix
                .exprs
                .iter()
                .zip(&ix.columns)
                .all(|(e, &c)| e.as_deref().is_none_or(|sql| sql == quote_ident(&self.columns[c].name)))
    }

    /// The name of the unique index that makes the primary key hold under its columns'
    /// collations (a UNIQUE constraint's index keeps the constraint's name).
    pub fn collated_key_name(&self) -> String {
        format!("{}{PKEY_COLLATED}", self.name)
    }

    /// `CREATE INDEX` statements for the secondary indexes (not those the table's
    /// constraints make).
    pub fn secondary_indexes(&self) -> impl Iterator<Item = &IndexDef> {
        self.indexes.iter().filter(|ix| !self.made_by_constraint(ix))
    }

    /// `CREATE INDEX` statements for the secondary indexes (not those the table's
    /// constraints make; see [`TableSchema::secondary_indexes`]).
    pub fn index_sql(&self) -> Vec<String> {
        self.secondary_indexes()
            .map(|ix| {
                let cols: Vec<String> = ix
                    .columns
                    .iter()
                    .zip(&ix.desc)
                    .enumerate()
                    .map(|(i, (&c, &d))| {
                        let part = match ix.exprs.get(i) {
                            Some(Some(sql)) => sql.clone(),
                            _ => quote_ident(&self.columns[c].name),
                        };
                        format!("{part}{}", if d { " DESC" } else { "" })
                    })
                    .collect();
                let filter = ix.predicate.as_ref().map(|p| format!(" WHERE {p}")).unwrap_or_default();
                format!(
                    "CREATE {}INDEX {} ON {} ({}){filter};",
                    if ix.unique { "UNIQUE " } else { "" },
                    quote_stored(&ix.name),
                    quote_stored(&self.name),
                    cols.join(", ")
                )
            })
            .collect()
    }
}

fn column_sql(c: &Column) -> String {
    let mut s = quote_ident(&c.name);
    if c.ty != DataType::Any {
        s.push(' ');
        s.push_str(c.ty.name());
    }
    if let Some(collation) = c.collation {
        s.push_str(" COLLATE ");
        s.push_str(collation.name());
    }
    if c.not_null {
        s.push_str(" NOT NULL");
    }
    if let Some(g) = &c.generated {
        s.push_str(&format!(" GENERATED ALWAYS AS ({}) {}", g.sql, if g.stored { "STORED" } else { "VIRTUAL" }));
    }
    match &c.default {
        Some(ColumnDefault::Now) => s.push_str(" DEFAULT now()"),
        Some(ColumnDefault::Expr(sql)) => s.push_str(&format!(" DEFAULT ({sql})")),
        Some(ColumnDefault::Value(v)) => {
            s.push_str(" DEFAULT ");
            s.push_str(&literal_sql(v));
        }
        None => {}
    }
    s
}

/// A value written as a SQL literal.
pub fn literal_sql(v: &Value) -> String {
    match v {
        Value::Text(t) => format!("'{}'", t.replace('\'', "''")),
        Value::Timestamp(_) => format!("'{v}'"),
        Value::Blob(b) => format!("x'{}'", super::value::hex(b).to_ascii_lowercase()),
        other => other.to_string(),
    }
}

/// Quotes an identifier when it is not a plain lowercase-safe word.
/// A quoted name with a dot in it (`"my.table"`) is one name, not `namespace.name`: the
/// parser marks such a name with this prefix until the namespace resolver has turned it
/// into the name it is stored under.
pub const ONE_NAME: char = '\u{1}';

/// A stored table, view or index name as SQL that names it from any namespace: `t`,
/// `app.t`, and `main."my.table"` for a dotted name of `main` (stored as `main.my.table`,
/// so that the first dot of a stored name always ends its namespace).
pub fn quote_stored(name: &str) -> String {
    if let Some(bare) = name.strip_prefix(ONE_NAME) {
        return quote_ident(bare);
    }
    match name.split_once('.') {
        Some((ns, bare)) => format!("{}.{}", quote_ident(ns), quote_ident(bare)),
        None => quote_ident(name),
    }
}

/// A stored table, view or index name as it is shown: `main`'s dotted names without the
/// `main.` they are stored under.
pub fn shown_name(stored: &str) -> &str {
    stored.strip_prefix("main.").unwrap_or(stored)
}

pub fn quote_ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// Schemas as logs and checkpoints written before generated columns and expression
/// indexes stored them. Postcard records fields by position, so an older schema is read
/// with its own layout and then given the newer fields, empty.
pub mod legacy {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct ColumnV1 {
        name: String,
        ty: DataType,
        not_null: bool,
        default: Option<ColumnDefault>,
    }

    #[derive(Serialize, Deserialize)]
    pub struct IndexDefV1 {
        name: String,
        columns: Vec<usize>,
        desc: Vec<bool>,
        unique: bool,
    }

    #[derive(Serialize, Deserialize)]
    pub struct TableSchemaV1 {
        name: String,
        columns: Vec<ColumnV1>,
        primary_key: Vec<usize>,
        uniques: Vec<UniqueConstraint>,
        checks: Vec<CheckConstraint>,
        pub(crate) indexes: Vec<IndexDefV1>,
        foreign_keys: Vec<ForeignKey>,
        ttl: Option<i64>,
    }

    impl From<IndexDefV1> for IndexDef {
        fn from(v: IndexDefV1) -> IndexDef {
            IndexDef {
                name: v.name,
                columns: v.columns,
                desc: v.desc,
                unique: v.unique,
                exprs: Vec::new(),
                predicate: None,
            }
        }
    }

    impl From<TableSchemaV1> for TableSchema {
        fn from(v: TableSchemaV1) -> TableSchema {
            TableSchema {
                name: v.name,
                columns: v
                    .columns
                    .into_iter()
                    .map(|c| Column {
                        name: c.name,
                        ty: c.ty,
                        not_null: c.not_null,
                        default: c.default,
                        generated: None,
                        collation: None,
                    })
                    .collect(),
                primary_key: v.primary_key,
                uniques: v.uniques,
                checks: v.checks,
                indexes: v.indexes.into_iter().map(IndexDef::from).collect(),
                foreign_keys: v.foreign_keys,
                ttl: v.ttl,
                max_rows: None,
            }
        }
    }

    /// A table's schema in the second layout (generated columns and expression indexes,
    /// before table options past `ttl`): what `AMBERCK5` checkpoints and logs before
    /// `max_rows` hold.
    #[derive(Serialize, Deserialize)]
    pub struct TableSchemaV2 {
        name: String,
        columns: Vec<ColumnV2>,
        primary_key: Vec<usize>,
        uniques: Vec<UniqueConstraint>,
        checks: Vec<CheckConstraint>,
        indexes: Vec<IndexDef>,
        foreign_keys: Vec<ForeignKey>,
        ttl: Option<i64>,
    }

    impl From<TableSchemaV2> for TableSchema {
        fn from(v: TableSchemaV2) -> TableSchema {
            TableSchema {
                name: v.name,
                columns: v.columns.into_iter().map(Column::from).collect(),
                primary_key: v.primary_key,
                uniques: v.uniques,
                checks: v.checks,
                indexes: v.indexes,
                foreign_keys: v.foreign_keys,
                ttl: v.ttl,
                max_rows: None,
            }
        }
    }

    /// A schema in the second layout (what is new is left out), for the tests that
    /// write files as older versions did.
    impl From<&TableSchema> for TableSchemaV2 {
        fn from(s: &TableSchema) -> TableSchemaV2 {
            TableSchemaV2 {
                name: s.name.clone(),
                columns: s.columns.iter().map(ColumnV2::from).collect(),
                primary_key: s.primary_key.clone(),
                uniques: s.uniques.clone(),
                checks: s.checks.clone(),
                indexes: s.indexes.clone(),
                foreign_keys: s.foreign_keys.clone(),
                ttl: s.ttl,
            }
        }
    }

    /// A column before collations (the second and third layouts).
    #[derive(Serialize, Deserialize)]
    pub struct ColumnV2 {
        name: String,
        ty: DataType,
        not_null: bool,
        default: Option<ColumnDefault>,
        generated: Option<Generated>,
    }

    impl From<ColumnV2> for Column {
        fn from(c: ColumnV2) -> Column {
            Column {
                name: c.name,
                ty: c.ty,
                not_null: c.not_null,
                default: c.default,
                generated: c.generated,
                collation: None,
            }
        }
    }

    impl From<&Column> for ColumnV2 {
        fn from(c: &Column) -> ColumnV2 {
            ColumnV2 {
                name: c.name.clone(),
                ty: c.ty,
                not_null: c.not_null,
                default: c.default.clone(),
                generated: c.generated.clone(),
            }
        }
    }

    /// A table's schema in the third layout (table options up to `max_rows`, before
    /// column collations): what `AMBERCK6`/`AMBERCK7` checkpoints and logs before them
    /// hold. Postcard writes a struct's fields one after another with nothing around
    /// them, so this is the second layout followed by `max_rows`.
    #[derive(Serialize, Deserialize)]
    pub struct TableSchemaV3 {
        second: TableSchemaV2,
        max_rows: Option<u64>,
    }

    impl From<TableSchemaV3> for TableSchema {
        fn from(v: TableSchemaV3) -> TableSchema {
            TableSchema { max_rows: v.max_rows, ..v.second.into() }
        }
    }

    /// A schema in the third layout (collations left out), for the tests that write
    /// files as older versions did.
    impl From<&TableSchema> for TableSchemaV3 {
        fn from(s: &TableSchema) -> TableSchemaV3 {
            TableSchemaV3 { second: s.into(), max_rows: s.max_rows }
        }
    }

    /// Reads a schema in the third layout (for `#[serde(deserialize_with)]`).
    pub fn schema_v3<'de, D: serde::Deserializer<'de>>(d: D) -> Result<std::sync::Arc<TableSchema>, D::Error> {
        TableSchemaV3::deserialize(d).map(|v| std::sync::Arc::new(v.into()))
    }

    /// Reads a schema in the second layout (for `#[serde(deserialize_with)]`).
    pub fn schema_v2<'de, D: serde::Deserializer<'de>>(d: D) -> Result<std::sync::Arc<TableSchema>, D::Error> {
        TableSchemaV2::deserialize(d).map(|v| std::sync::Arc::new(v.into()))
    }

    /// A schema in the first layout (what is new is left out), for the tests that write
    /// files as older versions did.
    impl From<&TableSchema> for TableSchemaV1 {
        fn from(s: &TableSchema) -> TableSchemaV1 {
            TableSchemaV1 {
                name: s.name.clone(),
                columns: s
                    .columns
                    .iter()
                    .map(|c| ColumnV1 {
                        name: c.name.clone(),
                        ty: c.ty,
                        not_null: c.not_null,
                        default: c.default.clone(),
                    })
                    .collect(),
                primary_key: s.primary_key.clone(),
                uniques: s.uniques.clone(),
                checks: s.checks.clone(),
                indexes: s
                    .indexes
                    .iter()
                    .map(|i| IndexDefV1 {
                        name: i.name.clone(),
                        columns: i.columns.clone(),
                        desc: i.desc.clone(),
                        unique: i.unique,
                    })
                    .collect(),
                foreign_keys: s.foreign_keys.clone(),
                ttl: s.ttl,
            }
        }
    }

    /// Reads a schema in the first layout (for `#[serde(deserialize_with)]`).
    pub fn schema_v1<'de, D: serde::Deserializer<'de>>(d: D) -> Result<std::sync::Arc<TableSchema>, D::Error> {
        TableSchemaV1::deserialize(d).map(|v| std::sync::Arc::new(v.into()))
    }

    /// Reads an index definition in the first layout.
    pub fn index_v1<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Box<IndexDef>, D::Error> {
        IndexDefV1::deserialize(d).map(|v| Box::new(v.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_common_type_spellings() {
        assert_eq!(DataType::from_declared("VARCHAR(20)"), Some(DataType::Text));
        assert_eq!(DataType::from_declared("bigint"), Some(DataType::Integer));
        assert_eq!(DataType::from_declared("DOUBLE PRECISION"), Some(DataType::Real));
        assert_eq!(DataType::from_declared("datetime"), Some(DataType::Timestamp));
        assert_eq!(DataType::from_declared("WIBBLE"), None);
    }
}
