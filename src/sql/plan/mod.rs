//! Plans: what the executor runs. One `Plan` enum; names are resolved to column
//! positions, types are checked and functions are looked up, so the executor never
//! matches on strings.
//!
//! - this file — [`Plan`], the plans of selects and writes, sources and access paths
//! - `expr` — [`BExpr`], bound expressions, and the functions they call

use std::sync::Arc;

use super::ast::Control;
pub use super::ast::SetOp;
use crate::storage::rows::Mask;
use crate::storage::schema::IndexDef;
use crate::storage::{AsOf, DataType, TableSchema, Value};

mod expr;
mod types;

pub use expr::*;
pub use types::result_types;

/// Where rows come from. A join's rows are the concatenation of its inputs' rows, and
/// column positions are offsets into that concatenation.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// One row with no columns (`SELECT` without `FROM`).
    Single,
    /// Rows of a table found by `access`, kept when `filter` (over the table's own
    /// columns) holds; `as_of` reads the table as it was at a past version.
    Scan {
        table: String,
        as_of: Option<AsOf>,
        access: Access,
        filter: Option<BExpr>,
        /// Each row gets one more column: when it expires (for `ttl_remaining()`).
        expiry: bool,
        /// Each row gets one more column (after the expiry): its row key, the `rowid` of
        /// a table without an integer key of its own.
        rowid: bool,
        /// The columns the statement reads, when it names them all: only those are
        /// decoded from stored rows. `None`: every column (also when one the statement
        /// reads is past the 64th).
        reads: Option<Mask>,
    },
    Join(Box<JoinPlan>),
    /// The messages a table-valued message function returns; `args` start with the
    /// namespace.
    Messages {
        read: MessageRead,
        args: Vec<BExpr>,
        filter: Option<BExpr>,
        /// Read the messages as they were at a past version.
        as_of: Option<AsOf>,
    },
    /// The rows of `json_each` (or, `tree`, `json_tree`) for its arguments. The
    /// arguments may read the row of the tables before it in FROM (column `c` of that
    /// row): joined to them, it is worked out again for each of their rows.
    JsonTable {
        kind: TableFn,
        /// `WITH ORDINALITY`: a last column numbering the rows from 1.
        ordinality: bool,
        args: Vec<BExpr>,
        filter: Option<BExpr>,
        /// The columns the statement reads; the others are left NULL. `None`: all.
        reads: Option<Mask>,
    },
    /// The rows of `source` with their columns rearranged: column `p` of the result is
    /// column `columns[p]` of the source's row (a join done in another order than FROM's).
    Reorder {
        source: Box<Source>,
        columns: Vec<usize>,
    },
    /// The rows of a subquery in FROM (or a view), kept when `filter` holds.
    /// The plan is shared: a view nested in views is planned once and handed up, not
    /// copied at each level.
    Derived {
        plan: Arc<SelectPlan>,
        filter: Option<BExpr>,
    },
    /// The rows of a common table expression: worked out once per statement when it is
    /// read more than once.
    Cte {
        cte: Arc<CtePlan>,
        filter: Option<BExpr>,
    },
    /// The rows a recursive CTE's step reads: those the previous step added.
    Working {
        id: usize,
        width: usize,
        filter: Option<BExpr>,
    },
}

/// A common table expression.
#[derive(Clone, Debug, PartialEq)]
pub struct CtePlan {
    pub name: String,
    pub columns: Arc<[String]>,
    /// The query; for a recursive CTE, the SELECTs before the first that reads it.
    pub anchor: SelectPlan,
    pub recursion: Option<Recursion>,
    /// Read more than once in the statement: its rows are kept for the next read.
    pub shared: bool,
}

/// The recursive part of a CTE: steps run on the rows added last until none are new.
#[derive(Clone, Debug, PartialEq)]
pub struct Recursion {
    /// Names the working rows the steps read (`Source::Working`).
    pub id: usize,
    pub steps: Vec<SelectPlan>,
    /// UNION ALL keeps every row; UNION drops rows seen before.
    pub union_all: bool,
    pub limit: Option<BExpr>,
    pub offset: Option<BExpr>,
}

impl Source {
    /// Every table the source scans, with its `AS OF`.
    pub fn scans(&self) -> Vec<(&str, Option<&AsOf>)> {
        match self {
            Source::Single | Source::Messages { .. } | Source::JsonTable { .. } => Vec::new(),
            Source::Scan { table, as_of, .. } => vec![(table.as_str(), as_of.as_ref())],
            Source::Join(j) => {
                let mut out = j.left.scans();
                out.extend(j.right.scans());
                out
            }
            Source::Reorder { source, .. } => source.scans(),
            Source::Derived { plan, .. } => plan.source.scans(),
            Source::Cte { cte, .. } => {
                let mut out = cte.anchor.source.scans();
                for step in cte.recursion.iter().flat_map(|r| &r.steps) {
                    out.extend(step.source.scans());
                }
                out
            }
            Source::Working { .. } => Vec::new(),
        }
    }

    /// Marks, in each table scan, the columns a statement reads from this source's rows
    /// (`needed`, over the source's row), with what the source itself reads to make
    /// them (its filters, join conditions and keys).
    pub fn restrict_reads(&mut self, needed: &[bool]) {
        let needs = |e: &BExpr, out: &mut Vec<bool>| {
            e.visit_columns(&mut |c| {
                if c >= out.len() {
                    out.resize(c + 1, false);
                }
                out[c] = true;
            })
        };
        match self {
            // A subquery may read any column through its outer references.
            Source::Scan { filter: Some(f), .. } | Source::JsonTable { filter: Some(f), .. } if f.has_subquery() => {}
            Source::Join(j) if j.on.iter().chain(&j.after).chain(j.lateral_args()).any(BExpr::has_subquery) => {}
            Source::Scan { filter, reads, .. } | Source::JsonTable { filter, reads, .. } => {
                let mut mask = needed.to_vec();
                filter.iter().for_each(|f| needs(f, &mut mask));
                *reads = Mask::of(mask.iter().enumerate().filter(|(_, &w)| w).map(|(c, _)| c));
            }
            Source::Join(j) => {
                let mut mask = needed.to_vec();
                j.on.iter().chain(&j.after).for_each(|e| needs(e, &mut mask));
                j.keys.iter().for_each(|(l, _)| needs(l, &mut mask));
                if let Source::JsonTable { args, .. } = &j.right {
                    args.iter().for_each(|a| needs(a, &mut mask));
                }
                let mut right: Vec<bool> = mask.get(j.left_width..).unwrap_or_default().to_vec();
                j.keys.iter().for_each(|(_, r)| needs(r, &mut right));
                mask.truncate(j.left_width);
                j.left.restrict_reads(&mask);
                j.right.restrict_reads(&right);
            }
            Source::Reorder { source, columns } => {
                let mut mask = Vec::new();
                for (out, &c) in columns.iter().enumerate() {
                    if needed.get(out).copied().unwrap_or(false) {
                        if c >= mask.len() {
                            mask.resize(c + 1, false);
                        }
                        mask[c] = true;
                    }
                }
                source.restrict_reads(&mask);
            }
            Source::Single
            | Source::Derived { .. }
            | Source::Messages { .. }
            | Source::Cte { .. }
            | Source::Working { .. } => {}
        }
    }

    /// Whether the source is a table function whose arguments read the row of the
    /// tables before it (or may, through a subquery): it is called for each such row.
    pub fn reads_left_row(&self) -> bool {
        matches!(self, Source::JsonTable { args, .. } if args.iter().any(|a| a.has_subquery() || !a.columns().is_empty()))
    }

    /// Whether the source reads a past version (tables or messages `AS OF`) or an
    /// archive file: what a cached plan must not hold on to.
    pub fn reads_past(&self) -> bool {
        match self {
            Source::Single => false,
            // An archive file can change without the schema changing: read afresh.
            Source::JsonTable { kind, .. } => *kind == TableFn::Archive,
            Source::Scan { as_of, .. } | Source::Messages { as_of, .. } => as_of.is_some(),
            Source::Join(j) => j.left.reads_past() || j.right.reads_past(),
            Source::Reorder { source, .. } => source.reads_past(),
            Source::Derived { plan, .. } => plan.source.reads_past(),
            Source::Cte { cte, .. } => {
                cte.anchor.source.reads_past()
                    || cte.recursion.iter().flat_map(|r| &r.steps).any(|s| s.source.reads_past())
            }
            Source::Working { .. } => false,
        }
    }
}

/// A join of everything so far (`left`) with one more table (`right`).
#[derive(Clone, Debug, PartialEq)]
pub struct JoinPlan {
    pub left: Source,
    pub right: Source,
    /// LEFT JOIN: a left row that matches nothing is kept with NULLs on the right.
    pub left_join: bool,
    /// How many columns the left side's rows have (where the right side's start).
    pub left_width: usize,
    pub right_width: usize,
    /// Equalities that match rows through a hash table: an expression over the left row
    /// and one over the right row.
    pub keys: Vec<(BExpr, BExpr)>,
    /// The whole join condition, over the combined row.
    pub on: Option<BExpr>,
    /// WHERE terms for the joined rows, applied after unmatched rows are kept.
    pub after: Option<BExpr>,
}

impl JoinPlan {
    /// The arguments of a right side worked out again for each left row (a table
    /// function reading earlier tables' columns); empty when it is read once.
    pub fn lateral_args(&self) -> &[BExpr] {
        match &self.right {
            Source::JsonTable { args, .. } if self.right.reads_left_row() => args,
            _ => &[],
        }
    }
}

/// Bounds on one column.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Range {
    pub lo: Option<RangeEnd>,
    pub hi: Option<RangeEnd>,
}

/// One end of a [`Range`]: a value, and whether the value itself is in the range.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeEnd {
    pub value: BExpr,
    pub inclusive: bool,
}

impl Range {
    pub fn is_empty(&self) -> bool {
        self.lo.is_none() && self.hi.is_none()
    }
}

/// How a scan finds its rows (see `sql::access`).
#[derive(Clone, Debug, PartialEq)]
pub enum Access {
    /// Every row in key order, or in reverse.
    Full { reverse: bool },
    /// The rows whose whole primary key equals one of these tuples.
    Keys(Vec<Vec<BExpr>>),
    /// The rows whose primary key starts with `prefix` and whose next key column lies in
    /// `range`.
    KeyRange { prefix: Vec<BExpr>, range: Range },
    /// Rows through an index: equal to `prefix` on its first columns, then within
    /// `range` on the next; in index order, or reversed.
    Index { name: String, prefix: Vec<BExpr>, range: Range, reverse: bool },
    /// Rows through an index, one prefix lookup per tuple (IN lists).
    IndexKeys { name: String, keys: Vec<Vec<BExpr>> },
}

impl Access {
    /// Whether the path finds at most one row by its whole primary key.
    pub fn is_point(&self) -> bool {
        matches!(self, Access::Keys(keys) if keys.len() == 1)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum SortExpr {
    /// An output column (ORDER BY ordinal or alias).
    Output(usize),
    Expr(BExpr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    pub expr: SortExpr,
    pub desc: bool,
    pub nulls_first: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelectPlan {
    pub source: Source,
    /// The source's column names, for EXPLAIN.
    pub input_columns: Vec<String>,
    /// True when the access path yields rows already in ORDER BY order.
    pub ordered: bool,
    /// True when an index access path holds every column the query reads, so rows are
    /// built from index entries without fetching them.
    pub covering: bool,
    pub filter: Option<BExpr>,
    /// The columns `filter` reads (none without one), worked out once here rather than
    /// at every run; `None` when it may read any (it holds a subquery).
    pub filter_reads: Option<Mask>,
    /// `Some` for an aggregate query: group keys (possibly none) and aggregates.
    pub aggregate: Option<Aggregate>,
    pub having: Option<BExpr>,
    pub projection: Vec<BExpr>,
    pub columns: Arc<[String]>,
    pub distinct: bool,
    pub order_by: Vec<SortKey>,
    pub limit: Option<BExpr>,
    pub offset: Option<BExpr>,
    /// Window function calls, worked out after grouping (and HAVING): call `k`'s value
    /// is column `width + k` of the row, where `width` is the source's.
    pub windows: Vec<WindowCall>,
    /// True when the access path was chosen to yield rows in the first window's
    /// partition and order (an index or the primary key), so its sort finds them in
    /// order and does no work.
    pub window_ordered: bool,
    /// SELECTs combined with this one by UNION, INTERSECT or EXCEPT, in order. Then
    /// `order_by` (output columns only), `limit` and `offset` apply to the combination.
    pub compound: Vec<(SetOp, SelectPlan)>,
    /// Bit `c` set when output column `c` holds JSON (see `ResultSet::json`).
    pub json: u64,
    /// Per output column, the collation it compares under where it is read as a
    /// table's column (a subquery in FROM, a view): a column's declared one, or an
    /// explicit `COLLATE`.
    pub collations: Vec<Option<crate::storage::schema::Collation>>,
}

impl SelectPlan {
    /// The tables whose current rows the query reads (for SERIALIZABLE validation).
    pub fn read_tables(&self) -> Vec<&str> {
        self.source.scans().into_iter().filter(|(_, at)| at.is_none()).map(|(t, _)| t).collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    pub group_by: Vec<BExpr>,
    pub calls: Vec<AggCall>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InsertSourcePlan {
    Values(Vec<Vec<BExpr>>),
    Select(Box<SelectPlan>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct InsertPlan {
    pub table: Arc<str>,
    /// The table's schema when the plan was made. A plan runs only against states of
    /// the schema version it was made for, so this is the table's schema then too, and
    /// each run borrows it instead of counting a reference to the table's.
    pub schema: Arc<crate::storage::TableSchema>,
    /// What a row that breaks a constraint does (`INSERT OR IGNORE|ROLLBACK|…`).
    pub conflict: crate::sql::ast::Conflict,
    /// For each table column, the position of its value in a source row, or `None` for
    /// its default.
    pub mapping: Vec<Option<usize>>,
    pub source: InsertSourcePlan,
    /// For each column whose DEFAULT is an expression, that expression bound.
    pub defaults: Vec<Option<BExpr>>,
    pub checks: Vec<CheckPlan>,
    /// How long the new rows live: `None` for the table's default, `Some(None)` for
    /// ever.
    pub ttl: Option<Option<i64>>,
    /// `ON CONFLICT …` clauses, in the order they are tried.
    pub upserts: Vec<UpsertPlan>,
    pub returning: Option<ReturningPlan>,
}

/// One `ON CONFLICT` clause of an INSERT.
#[derive(Clone, Debug, PartialEq)]
pub struct UpsertPlan {
    /// The constraint it answers for; `None` for any.
    pub target: Option<ConflictTarget>,
    /// `None` for DO NOTHING.
    pub update: Option<UpsertUpdatePlan>,
}

/// The PRIMARY KEY or UNIQUE constraint an `ON CONFLICT (cols)` names.
#[derive(Clone, Debug, PartialEq)]
pub enum ConflictTarget {
    Key,
    /// A UNIQUE constraint's or unique index's columns, in its own order.
    Unique(Vec<usize>),
    /// A partial unique index, by name (`ON CONFLICT (cols) WHERE …`).
    Index(String),
}

/// `DO UPDATE SET … [WHERE …]`: expressions over the stored row's columns followed by
/// the `excluded` row's.
#[derive(Clone, Debug, PartialEq)]
pub struct UpsertUpdatePlan {
    pub assignments: Vec<(usize, BExpr)>,
    pub filter: Option<BExpr>,
    /// Whether SET or WHERE reads `excluded` (or a subquery might): otherwise they are
    /// evaluated over the stored row alone.
    pub reads_excluded: bool,
}

/// `RETURNING …`: expressions over a changed row (the new one; the old one for DELETE).
#[derive(Clone, Debug, PartialEq)]
pub struct ReturningPlan {
    pub columns: Arc<[String]>,
    pub exprs: Vec<BExpr>,
}

impl InsertPlan {
    /// INSERT OR REPLACE: clashing rows are deleted first.
    pub fn replaces(&self) -> bool {
        self.conflict == crate::sql::ast::Conflict::Replace
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CheckPlan {
    pub name: String,
    /// The condition as written, for error messages.
    pub sql: String,
    pub expr: BExpr,
    /// Set for a generated column's expression: its value is stored in this column
    /// (before the row's types and constraints are checked) instead of being checked.
    pub generates: Option<usize>,
}

/// An expression or partial index's key parts (`None` for a plain column) and WHERE,
/// bound over its table's columns: what the storage layer works entries out with and
/// what the planner matches a query's expressions against.
#[derive(Debug)]
pub struct CompiledIndex {
    pub parts: Vec<Option<BExpr>>,
    pub predicate: Option<BExpr>,
    /// The columns they read.
    pub reads: Vec<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct UpdatePlan {
    pub table: Arc<str>,
    /// `UPDATE OR …`: what a row whose change breaks a constraint does.
    pub conflict: crate::sql::ast::Conflict,
    pub access: Access,
    pub assignments: Vec<(usize, BExpr)>,
    pub filter: Option<BExpr>,
    pub checks: Vec<CheckPlan>,
    /// `WITH TTL`: a new lifetime for the updated rows (`Some(None)`: no expiry).
    pub ttl: Option<Option<i64>>,
    pub returning: Option<ReturningPlan>,
    pub limit: Option<RowLimitPlan>,
    /// `UPDATE … FROM`: a query over the table joined to the others (WHERE included)
    /// giving, for each row to change, its columns followed by the assigned values.
    pub from: Option<Box<SelectPlan>>,
}

/// `[ORDER BY …] LIMIT n [OFFSET m]` of an UPDATE or DELETE: the rows that pass WHERE
/// are sorted (or taken in scan order) and only those in the window change.
#[derive(Clone, Debug, PartialEq)]
pub struct RowLimitPlan {
    pub order_by: Vec<SortKey>,
    pub limit: BExpr,
    pub offset: Option<BExpr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DeletePlan {
    pub table: Arc<str>,
    pub access: Access,
    pub filter: Option<BExpr>,
    pub returning: Option<ReturningPlan>,
    pub limit: Option<RowLimitPlan>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Plan {
    Select(SelectPlan),
    /// A SELECT that writes messages (`write_message`): run as a write.
    WritingSelect(SelectPlan),
    Explain(SelectPlan),
    /// The plan of an UPDATE or DELETE, shown instead of run.
    ExplainWrite(Box<Plan>),
    /// A plan run with its parts' counts taken, and shown with them (the session runs
    /// it: a write is undone unless a transaction is open).
    ExplainAnalyze {
        plan: Box<Plan>,
        timing: bool,
    },
    Insert(InsertPlan),
    Update(UpdatePlan),
    Delete(DeletePlan),
    /// Writes made one after the other as one statement (a soft-delete table and its
    /// companion: created, dropped or altered together; UNDELETE's insert and delete).
    /// The first step's count is the statement's, and its verb unless one is given.
    Steps {
        steps: Vec<Plan>,
        verb: Option<&'static str>,
    },
    CreateTable {
        schema: Arc<TableSchema>,
        if_not_exists: bool,
        /// DEFAULT expressions, which the executor evaluates into the schema.
        defaults: Vec<DefaultPlan>,
    },
    /// `CREATE TABLE … AS select`: each column's type is `declared` (the type of the
    /// table column it names) or, when `None`, that of the values the query gives.
    /// `ARCHIVE FROM table WHERE … TO 'file'`: `query`'s rows written to the file,
    /// then `delete` run.
    Archive {
        table: String,
        path: String,
        query: Box<SelectPlan>,
        delete: Box<Plan>,
    },
    /// CREATE PROJECTION, a rebuild's reset, DROP PROJECTION.
    Projection(Box<crate::sql::projection::Action>),
    /// CREATE, REFRESH or DROP MATERIALIZED VIEW.
    MatView(Box<crate::sql::matview::Action>),
    CreateTableAs {
        name: String,
        query: Box<SelectPlan>,
        declared: Vec<Option<DataType>>,
    },
    DropTable {
        name: String,
        if_exists: bool,
    },
    CreateIndex {
        table: String,
        index: IndexDef,
        if_not_exists: bool,
    },
    /// `table` is `None` when no index has the name (and IF EXISTS was given).
    DropIndex {
        table: Option<String>,
        name: String,
    },
    /// Transaction control and the like, which the session runs itself.
    Control(Control),
    CheckDatabase,
    /// A statement that needs no work (REINDEX).
    Nothing,
    CreateView {
        view: Arc<crate::storage::ViewDef>,
        if_not_exists: bool,
    },
    DropView {
        name: String,
        if_exists: bool,
    },
    /// INSERT, UPDATE or DELETE on a view, done by its INSTEAD OF triggers.
    ViewWrite(Box<ViewWritePlan>),
    CreateTrigger {
        trigger: Arc<crate::storage::TriggerDef>,
        if_not_exists: bool,
    },
    DropTrigger {
        name: String,
        if_exists: bool,
    },
    CreateNamespace {
        name: String,
        if_not_exists: bool,
    },
    DropNamespace {
        name: String,
        if_exists: bool,
    },
    /// The table is rebuilt under `schema`, each row passed through `rows`.
    AlterTable {
        table: String,
        schema: Arc<TableSchema>,
        rows: RowChange,
        /// DEFAULT expressions of an added column, evaluated by the executor.
        defaults: Vec<DefaultPlan>,
    },
}

/// A write to a view: the rows it names, for the view's INSTEAD OF triggers.
#[derive(Clone, Debug, PartialEq)]
pub struct ViewWritePlan {
    /// The view's stored name, in lower case.
    pub view: String,
    /// Its columns: what `NEW.c` and `OLD.c` name.
    pub columns: Vec<String>,
    pub kind: ViewWrite,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ViewWrite {
    /// The new rows: for each view column, the position of its value in a source row.
    Insert { mapping: Vec<Option<usize>>, source: InsertSourcePlan },
    /// The view's matching rows, each followed by the values of the `set` columns.
    Update { rows: SelectPlan, set: Vec<usize> },
    /// The view's matching rows.
    Delete { rows: SelectPlan },
}

/// How ALTER TABLE changes every row.
#[derive(Clone, Debug, PartialEq)]
pub enum RowChange {
    Keep,
    /// A column was added last: every row gains its default.
    AddColumn,
    Remove(usize),
    /// Columns were added last with no default: every row is padded with NULL.
    Widen,
}

/// A column's DEFAULT expression. The planner binds it and checks that it is constant;
/// the executor evaluates it once, when the table is created or the column added, and
/// stores the value in the schema (so the planner never runs an expression).
#[derive(Clone, Debug, PartialEq)]
pub struct DefaultPlan {
    pub column: usize,
    pub expr: BExpr,
}

/// The tables a select scans at the head.
impl Plan {
    /// The tables whose current rows the statement reads (for SERIALIZABLE validation).
    pub fn read_tables(&self) -> Vec<&str> {
        match self {
            Plan::Select(p) | Plan::WritingSelect(p) => p.read_tables(),
            Plan::Insert(InsertPlan { source: InsertSourcePlan::Select(p), .. }) => p.read_tables(),
            Plan::CreateTableAs { query, .. } => query.read_tables(),
            Plan::MatView(a) => match &**a {
                crate::sql::matview::Action::Create { query, .. }
                | crate::sql::matview::Action::Refresh { query, .. } => query.read_tables(),
                crate::sql::matview::Action::Drop { .. } => Vec::new(),
            },
            Plan::Update(p) => vec![&*p.table],
            Plan::Delete(p) => vec![&*p.table],
            Plan::Steps { steps, .. } => steps.iter().flat_map(Plan::read_tables).collect(),
            _ => Vec::new(),
        }
    }

    /// False for plans that read past versions: a snapshot name can be redefined, so
    /// such plans are made afresh each time.
    pub fn cacheable(&self) -> bool {
        let past = |p: &SelectPlan| p.source.reads_past();
        match self {
            Plan::Select(p) | Plan::Explain(p) | Plan::WritingSelect(p) => !past(p),
            Plan::Insert(InsertPlan { source: InsertSourcePlan::Select(p), .. }) => !past(p),
            Plan::CreateTableAs { query, .. } => !past(query),
            Plan::Steps { steps, .. } => steps.iter().all(Plan::cacheable),
            // Planned against catalog rows, which change without the schema changing.
            Plan::Projection(_) => false,
            _ => true,
        }
    }

    /// The names of the columns of the rows it returns: a query's, a write's
    /// RETURNING; `None` for a plan whose rows are not known before it runs.
    pub fn columns(&self) -> Option<Arc<[String]>> {
        match self {
            Plan::Select(p) | Plan::WritingSelect(p) => Some(p.columns.clone()),
            Plan::Insert(InsertPlan { returning, .. })
            | Plan::Update(UpdatePlan { returning, .. })
            | Plan::Delete(DeletePlan { returning, .. }) => returning.as_ref().map(|r| r.columns.clone()),
            _ => None,
        }
    }

    /// True for statements that change data or schema.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Plan::Insert(_)
                | Plan::Steps { .. }
                | Plan::WritingSelect(_)
                | Plan::Update(_)
                | Plan::Delete(_)
                | Plan::CreateTable { .. }
                | Plan::CreateTableAs { .. }
                | Plan::MatView(_)
                | Plan::Archive { .. }
                | Plan::Projection(_)
                | Plan::DropTable { .. }
                | Plan::CreateView { .. }
                | Plan::DropView { .. }
                | Plan::CreateTrigger { .. }
                | Plan::DropTrigger { .. }
                | Plan::ViewWrite(_)
                | Plan::CreateIndex { .. }
                | Plan::DropIndex { .. }
                | Plan::AlterTable { .. }
                | Plan::CreateNamespace { .. }
                | Plan::DropNamespace { .. }
        )
    }
}
