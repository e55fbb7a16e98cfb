//! The AST of CREATE TABLE, CREATE TRIGGER and ALTER TABLE.

use super::{Expr, FkAction, Statement, TriggerEvent, TriggerTiming, Value};

/// `CREATE TRIGGER name timing event ON table [WHEN expr] BEGIN step; … END`.
#[derive(Clone, Debug, PartialEq)]
pub struct CreateTrigger {
    pub name: String,
    pub if_not_exists: bool,
    pub timing: TriggerTiming,
    pub event: TriggerEvent,
    pub table: String,
    pub when: Option<Expr>,
    /// INSERT, UPDATE, DELETE and SELECT statements, run in order for each row.
    pub body: Vec<Statement>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CreateTable {
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub constraints: Vec<TableConstraint>,
    /// `WITH (name = value, …)`: table options (`ttl`).
    pub options: Vec<(String, Value)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AlterAction {
    AddColumn(ColumnDef),
    RenameColumn {
        from: String,
        to: String,
    },
    RenameTable(String),
    DropColumn(String),
    /// `SET (soft_delete, purge_after = '30 days')`: table options.
    SetOptions(Vec<(String, Value)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    /// The declared type as written (`VARCHAR(20)`), empty when none.
    pub type_name: String,
    pub constraints: Vec<ColumnConstraint>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ColumnConstraint {
    PrimaryKey,
    NotNull,
    Null,
    Unique,
    Default(Expr),
    Check(Expr),
    References(ForeignKeyDef),
    /// `COLLATE NOCASE|RTRIM|BINARY`.
    Collate(super::Collation),
    /// `GENERATED ALWAYS AS (expr) [STORED]`.
    Generated {
        expr: Expr,
        stored: bool,
    },
}

/// `REFERENCES parent (columns) ON DELETE … ON UPDATE …`; `columns` is empty on a column
/// constraint (the column itself) and `parent_columns` empty for the parent's key.
#[derive(Clone, Debug, PartialEq)]
pub struct ForeignKeyDef {
    pub columns: Vec<String>,
    pub parent: String,
    pub parent_columns: Vec<String>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TableConstraint {
    PrimaryKey(Vec<String>),
    Unique(Vec<String>),
    Check(Expr),
    ForeignKey(ForeignKeyDef),
}
