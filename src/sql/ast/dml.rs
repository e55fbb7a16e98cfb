//! INSERT (with its upsert clauses), UPDATE and DELETE, and what they share: `OR …`
//! conflict actions, RETURNING, and `[ORDER BY] LIMIT`.

use super::{Expr, FromTerm, OrderItem, Select, SelectItem, With};

#[derive(Clone, Debug, PartialEq)]
pub enum InsertSource {
    Values(Vec<Vec<Expr>>),
    Select(Box<Select>),
    DefaultValues,
}

/// `INSERT OR …`: what happens to a row that breaks a UNIQUE, PRIMARY KEY, NOT NULL or
/// CHECK constraint (or whose value its column's type refuses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Conflict {
    /// The statement fails and changes nothing (the default).
    #[default]
    Abort,
    /// The row is skipped; the statement goes on.
    Ignore,
    /// Rows whose key or unique values clash with the new row are deleted first.
    Replace,
    /// The statement fails and the open transaction is rolled back.
    Rollback,
    /// The statement stops with the error; the rows it changed before stay changed.
    Fail,
}

impl Conflict {
    /// The words after `INSERT OR` / `UPDATE OR`.
    pub fn sql(self) -> &'static str {
        match self {
            Conflict::Abort => "ABORT",
            Conflict::Ignore => "IGNORE",
            Conflict::Replace => "REPLACE",
            Conflict::Rollback => "ROLLBACK",
            Conflict::Fail => "FAIL",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    pub with: Option<With>,
    /// `INSERT OR …` / `REPLACE`: what a row that breaks a constraint does.
    pub conflict: Conflict,
    pub table: String,
    /// `INSERT INTO t AS alias`: the name upsert clauses know the table by.
    pub alias: Option<String>,
    pub columns: Option<Vec<String>>,
    pub source: InsertSource,
    /// `ON CONFLICT …` clauses, in the order they are tried.
    pub upserts: Vec<Upsert>,
    /// `WITH TTL 'interval'` (`Some(Some(_))`) or `WITH TTL NULL` (`Some(None)`).
    pub ttl: Option<Option<String>>,
    /// `RETURNING …` (empty when there is none).
    pub returning: Vec<SelectItem>,
}

/// `ON CONFLICT [(cols) [WHERE …]] DO NOTHING | DO UPDATE SET … [WHERE …]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Upsert {
    /// The columns of the PRIMARY KEY or UNIQUE constraint it answers for; `None` for
    /// any (allowed on the last clause only).
    pub target: Option<Vec<String>>,
    /// The expressions of a UNIQUE expression index it answers for, instead of columns
    /// (`ON CONFLICT (lower(email))`); empty otherwise.
    pub target_exprs: Vec<Expr>,
    pub target_filter: Option<Expr>,
    /// `None` for DO NOTHING.
    pub update: Option<UpsertUpdate>,
}

/// `DO UPDATE SET … [WHERE …]` of an upsert: over the row already stored, with the
/// row that was to be inserted as `excluded`.
#[derive(Clone, Debug, PartialEq)]
pub struct UpsertUpdate {
    pub assignments: Vec<(String, Expr)>,
    pub filter: Option<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub with: Option<With>,
    /// `UPDATE OR …`: what a row whose change breaks a constraint does.
    pub conflict: Conflict,
    pub table: String,
    pub assignments: Vec<(String, Expr)>,
    /// `UPDATE … FROM …`: tables joined to the updated one (WHERE says how).
    pub from: Vec<FromTerm>,
    pub filter: Option<Expr>,
    /// As for INSERT: a new expiry for the updated rows, or none.
    pub ttl: Option<Option<String>>,
    pub returning: Vec<SelectItem>,
    pub limit: Option<RowLimit>,
}

/// `[ORDER BY …] LIMIT n [OFFSET m]` of an UPDATE or DELETE.
#[derive(Clone, Debug, PartialEq)]
pub struct RowLimit {
    pub order_by: Vec<OrderItem>,
    pub limit: Expr,
    pub offset: Option<Expr>,
}

/// What a DELETE-shaped statement does with the rows it matches.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DeleteMode {
    /// Removes them (from a soft-delete table: moves them among its deleted rows).
    #[default]
    Delete,
    /// `PURGE FROM t WHERE …`: removes deleted rows of a soft-delete table for good.
    Purge,
    /// `UNDELETE FROM t WHERE …`: brings deleted rows back.
    Undelete,
}

impl DeleteMode {
    pub fn keyword(self) -> &'static str {
        match self {
            DeleteMode::Delete => "DELETE",
            DeleteMode::Purge => "PURGE",
            DeleteMode::Undelete => "UNDELETE",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    pub with: Option<With>,
    /// DELETE, or for a table kept `WITH (soft_delete)`, PURGE or UNDELETE.
    pub mode: DeleteMode,
    pub table: String,
    pub filter: Option<Expr>,
    /// `RETURNING …` over each deleted row (empty when there is none).
    pub returning: Vec<SelectItem>,
    pub limit: Option<RowLimit>,
}
