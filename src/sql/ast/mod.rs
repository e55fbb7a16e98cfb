//! The abstract syntax tree. Every node prints back to SQL (`display`), and parsing the
//! printed text gives the same tree (a property test holds us to it).
//!
//! - this file — the nodes, and walks over their expressions
//! - `ddl` — CREATE TABLE, CREATE TRIGGER and ALTER TABLE
//! - `dml` — INSERT (with upsert), UPDATE and DELETE
//! - `display` — each node printed back as SQL

mod ddl;
mod display;
mod dml;

pub use ddl::*;
pub use dml::*;

pub use crate::storage::schema::FkAction;
use crate::storage::{AsOf, Value};
pub use crate::storage::{TriggerEvent, TriggerTiming};

/// The names of a table's integer key when no column has them (SQLite's rowid).
pub const ROWID_NAMES: [&str; 3] = ["rowid", "oid", "_rowid_"];

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    CreateTable(CreateTable),
    /// `CREATE TABLE name AS select`: a table of the query's columns and rows.
    CreateTableAs {
        name: String,
        if_not_exists: bool,
        query: Box<Select>,
    },
    DropTable {
        name: String,
        if_exists: bool,
    },
    CreateIndex {
        name: String,
        table: String,
        /// Each key part (a column or an expression) and whether it is DESC.
        columns: Vec<(Expr, bool)>,
        unique: bool,
        if_not_exists: bool,
        /// A partial index's WHERE.
        predicate: Option<Expr>,
    },
    DropIndex {
        name: String,
        if_exists: bool,
    },
    AlterTable {
        table: String,
        action: AlterAction,
    },
    Explain(Box<Select>),
    /// `EXPLAIN UPDATE …` / `EXPLAIN DELETE …`.
    ExplainWrite(Box<Statement>),
    /// `EXPLAIN ANALYZE stmt`: run it and show the plan with what each part did
    /// (`timing`: with times; `EXPLAIN (ANALYZE, TIMING OFF)` leaves them out).
    ExplainAnalyze {
        statement: Box<Statement>,
        timing: bool,
    },
    /// A statement the session runs itself (it passes through the planner as it is).
    Control(Control),
    CheckDatabase,
    CreateView {
        name: String,
        columns: Vec<String>,
        query: Box<Select>,
        if_not_exists: bool,
    },
    /// `CREATE MATERIALIZED VIEW name [WITH (incremental)] AS query`.
    CreateMatView {
        name: String,
        if_not_exists: bool,
        options: Vec<(String, Value)>,
        query: Box<Select>,
    },
    /// `CREATE PROJECTION name FROM CATEGORY 'c' INTO table AS ON 'Type' DO write …`.
    CreateProjection {
        name: String,
        if_not_exists: bool,
        category: String,
        table: String,
        /// Per message type, the write it makes (reading the message as `message.…`).
        rules: Vec<(String, Statement)>,
    },
    RebuildProjection {
        name: String,
    },
    DropProjection {
        name: String,
        if_exists: bool,
    },
    /// `ARCHIVE FROM table [WHERE …] TO 'file'`.
    Archive {
        table: String,
        filter: Option<Expr>,
        path: String,
    },
    /// `RESTORE FROM ARCHIVE 'file' INTO table`.
    RestoreArchive {
        path: String,
        table: String,
    },
    RefreshMatView {
        name: String,
    },
    DropMatView {
        name: String,
        if_exists: bool,
    },
    DropView {
        name: String,
        if_exists: bool,
    },
    CreateTrigger(Box<CreateTrigger>),
    DropTrigger {
        name: String,
        if_exists: bool,
    },
    /// `REINDEX [name]`: indexes never go stale here, so it checks the name and does
    /// nothing else.
    Reindex(Option<String>),
    CreateNamespace {
        name: String,
        if_not_exists: bool,
    },
    DropNamespace {
        name: String,
        if_exists: bool,
    },
}

/// Transactions, savepoints, snapshots, diffs, checkpoints, backups and `USE`: what a
/// session does itself rather than run against a state.
#[derive(Clone, Debug, PartialEq)]
pub enum Control {
    Begin {
        serializable: bool,
    },
    Commit,
    Rollback,
    Savepoint(String),
    RollbackTo(String),
    Release(String),
    CreateSnapshot(String),
    DropSnapshot {
        name: String,
        if_exists: bool,
    },
    RestoreSnapshot(String),
    Diff(AsOf, AsOf),
    /// `CHECKPOINT`: write the state to the data directory now.
    Checkpoint,
    /// `BACKUP TO 'dir'`: copy the database to a new data directory.
    Backup(String),
    /// `CREATE COLLECTION name`: a table of JSON documents (see `txn::collection`).
    CreateCollection {
        name: String,
        if_not_exists: bool,
    },
    /// `USE n`: the namespace unqualified names refer to in this session.
    Use(String),
    /// `SET name = value`: a database-wide setting (`slow_query_ms`, `memory_limit`).
    Set {
        name: String,
        value: Value,
    },
    /// `SHOW name`: a setting's value.
    Show(String),
}

impl Control {
    /// Whether it begins, ends or marks a transaction (BEGIN, COMMIT, ROLLBACK,
    /// SAVEPOINT, ROLLBACK TO, RELEASE).
    pub fn is_transaction_control(&self) -> bool {
        matches!(
            self,
            Control::Begin { .. }
                | Control::Commit
                | Control::Rollback
                | Control::Savepoint(_)
                | Control::RollbackTo(_)
                | Control::Release(_)
        )
    }
}

/// `WITH [RECURSIVE] name [(columns)] AS (select), …` before a statement.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct With {
    pub recursive: bool,
    pub ctes: Vec<Cte>,
}

/// One common table expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Cte {
    pub name: String,
    /// The column names given after the name; empty for the query's own.
    pub columns: Vec<String>,
    /// `MATERIALIZED` (`Some(true)`), `NOT MATERIALIZED` (`Some(false)`) or neither.
    pub materialized: Option<bool>,
    pub query: Box<Select>,
}

/// `OVER (…)` or a `WINDOW name AS (…)` definition.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct WindowSpec {
    /// The named window this one extends (`OVER w`, `OVER (w ORDER BY …)`).
    pub base: Option<String>,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<OrderItem>,
    pub frame: Option<Frame>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
    pub exclude: FrameExclude,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUnits {
    Rows,
    Range,
    Groups,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FrameBound {
    UnboundedPreceding,
    Preceding(Expr),
    CurrentRow,
    Following(Expr),
    UnboundedFollowing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameExclude {
    NoOthers,
    CurrentRow,
    Group,
    Ties,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Select {
    /// Common table expressions the query (and its subqueries) may read.
    pub with: Option<Box<With>>,
    pub distinct: bool,
    pub columns: Vec<SelectItem>,
    /// The comma-separated FROM list; empty without FROM.
    pub from: Vec<FromTerm>,
    /// `UNION [ALL]` / `INTERSECT` / `EXCEPT` and the SELECTs that follow, in order; the
    /// ORDER BY and LIMIT of this select apply to the whole.
    pub compound: Vec<(SetOp, Select)>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
    /// `WINDOW name AS (…), …`: windows the query's `OVER` clauses may name.
    pub windows: Vec<(String, WindowSpec)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum SelectItem {
    Wildcard,
    TableWildcard(String),
    /// `text` is the expression as written, which names the output column when there
    /// is no alias (as in SQLite).
    Expr {
        expr: Expr,
        alias: Option<String>,
        text: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct FromTerm {
    pub table: TableRef,
    pub joins: Vec<JoinClause>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetOp {
    Union,
    UnionAll,
    Intersect,
    Except,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinKind {
    Inner,
    Left,
    Cross,
}

#[derive(Clone, Debug, PartialEq)]
pub struct JoinClause {
    pub kind: JoinKind,
    pub natural: bool,
    pub table: TableRef,
    pub on: Option<Expr>,
    pub using: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct TableRef {
    /// `FROM (SELECT …) [AS alias]`: a derived table (then `name` is empty).
    pub subquery: Option<Box<Select>>,
    pub name: String,
    pub alias: Option<String>,
    /// `AS OF VERSION n` / `AS OF SNAPSHOT name`: read the table as it was then.
    pub as_of: Option<AsOf>,
    /// `FROM name(args)`: the rows a table-valued function returns (message reads).
    pub function: Option<Vec<Expr>>,
    /// `WITH ORDINALITY`: the function's rows numbered from 1 in a last column.
    pub ordinality: bool,
    /// `INCLUDING DELETED`: a soft-delete table's deleted rows too, with `deleted_at`.
    pub including_deleted: bool,
    /// `FOR SYSTEM_TIME BETWEEN a AND b` / `FROM a TO b`: each version of each row
    /// current at some time in the range.
    pub period: Option<Period>,
    /// `AS alias (a, b)`: names for the function's columns, first to last.
    pub columns: Vec<String>,
}

/// A range of commit times (microseconds since the epoch): `FROM from TO to` leaves
/// `to` out, `BETWEEN from AND to` (`through`) takes it in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: i64,
    pub to: i64,
    pub through: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
    /// `Some(true)` for NULLS FIRST, `Some(false)` for NULLS LAST, `None` for SQLite's
    /// default (NULLs are smallest).
    pub nulls_first: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Not,
    Neg,
    Plus,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// `IS` and `IS NOT DISTINCT FROM`: equality where NULL equals NULL.
    Is,
    /// `IS NOT` and `IS DISTINCT FROM`.
    IsNot,
    Like,
    NotLike,
    Glob,
    NotGlob,
    Concat,
    /// `->`: the JSON a path names, as JSON text.
    Arrow,
    /// `->>`: the same as an SQL value.
    Arrow2,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    ShiftLeft,
    ShiftRight,
}

impl BinaryOp {
    pub fn sql(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::NotEq => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::LtEq => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::GtEq => ">=",
            BinaryOp::Is => "IS",
            BinaryOp::IsNot => "IS NOT",
            BinaryOp::Like => "LIKE",
            BinaryOp::NotLike => "NOT LIKE",
            BinaryOp::Glob => "GLOB",
            BinaryOp::NotGlob => "NOT GLOB",
            BinaryOp::Concat => "||",
            BinaryOp::Arrow => "->",
            BinaryOp::Arrow2 => "->>",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Literal(Value),
    Column {
        table: Option<String>,
        name: String,
    },
    /// A `?`, `?N` or `$N` parameter, 1-based.
    Param(usize),
    Unary {
        op: UnaryOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `expr [NOT] IN (SELECT …)`.
    InSelect {
        expr: Box<Expr>,
        query: Box<Select>,
        negated: bool,
    },
    /// `(SELECT …)`: the first column of the first row, or NULL.
    Subquery(Box<Select>),
    /// `EXISTS (SELECT …)`.
    Exists(Box<Select>),
    Case {
        operand: Option<Box<Expr>>,
        whens: Vec<(Expr, Expr)>,
        else_: Option<Box<Expr>>,
    },
    Cast {
        expr: Box<Expr>,
        type_name: String,
    },
    /// `expr COLLATE name`: how the value compares where it is compared, sorted or
    /// grouped; its value is unchanged.
    Collate {
        expr: Box<Expr>,
        collation: Collation,
    },
    Function {
        name: String,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
        /// `FILTER (WHERE …)` on an aggregate.
        filter: Option<Box<Expr>>,
        /// `OVER (…)`: a window function.
        over: Option<Box<WindowSpec>>,
    },
}

impl Select {
    /// Whether `f` holds for some expression of this query, its subqueries included.
    pub fn any_expr(&self, f: &mut dyn FnMut(&Expr) -> bool) -> bool {
        if self.with.as_ref().is_some_and(|w| w.ctes.iter().any(|c| c.query.any_expr(f))) {
            return true;
        }
        if self.windows.iter().any(|(_, w)| w.exprs().into_iter().any(|e| e.any(f))) {
            return true;
        }
        let tables = self.from.iter().flat_map(|t| std::iter::once(&t.table).chain(t.joins.iter().map(|j| &j.table)));
        for t in tables {
            if t.subquery.as_ref().is_some_and(|q| q.any_expr(f)) {
                return true;
            }
            if t.function.iter().flatten().any(|e| e.any(f)) {
                return true;
            }
        }
        let items = self.columns.iter().filter_map(|c| match c {
            SelectItem::Expr { expr, .. } => Some(expr),
            _ => None,
        });
        let ons = self.from.iter().flat_map(|t| t.joins.iter().filter_map(|j| j.on.as_ref()));
        let clauses = [&self.filter, &self.having, &self.limit, &self.offset].into_iter().flatten();
        let mut all =
            items.chain(ons).chain(clauses).chain(&self.group_by).chain(self.order_by.iter().map(|o| &o.expr));
        all.any(|e| e.any(f)) || self.compound.iter().any(|(_, s)| s.any_expr(f))
    }

    /// Whether the query names a column `rowid`, `oid` or `_rowid_` anywhere.
    pub fn names_rowid(&self) -> bool {
        self.any_expr(
            &mut |e| matches!(e, Expr::Column { name, .. } if ROWID_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name))),
        )
    }

    /// Whether the query calls the named function anywhere.
    pub fn calls(&self, function: &str) -> bool {
        self.any_expr(&mut |e| matches!(e, Expr::Function { name, .. } if name.eq_ignore_ascii_case(function)))
    }
}

impl Select {
    /// Calls `f` on every expression of this query, its subqueries included.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        if let Some(w) = &mut self.with {
            w.ctes.iter_mut().for_each(|c| c.query.walk_mut(f));
        }
        for (_, w) in &mut self.windows {
            w.exprs_mut().into_iter().for_each(|e| e.walk_mut(f));
        }
        for term in &mut self.from {
            let tables = std::iter::once(&mut term.table).chain(term.joins.iter_mut().map(|j| &mut j.table));
            for t in tables {
                if let Some(q) = &mut t.subquery {
                    q.walk_mut(f);
                }
                for e in t.function.iter_mut().flatten() {
                    e.walk_mut(f);
                }
            }
            for e in term.joins.iter_mut().filter_map(|j| j.on.as_mut()) {
                e.walk_mut(f);
            }
        }
        for c in &mut self.columns {
            if let SelectItem::Expr { expr, .. } = c {
                expr.walk_mut(f);
            }
        }
        let clauses = [&mut self.filter, &mut self.having, &mut self.limit, &mut self.offset].into_iter().flatten();
        for e in clauses.chain(&mut self.group_by).chain(self.order_by.iter_mut().map(|o| &mut o.expr)) {
            e.walk_mut(f);
        }
        for (_, s) in &mut self.compound {
            s.walk_mut(f);
        }
    }
}

impl WindowSpec {
    /// The expressions of the window: partition keys, sort keys, frame offsets.
    pub fn exprs(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = self.partition_by.iter().chain(self.order_by.iter().map(|o| &o.expr)).collect();
        if let Some(frame) = &self.frame {
            for b in [&frame.start, &frame.end] {
                if let FrameBound::Preceding(e) | FrameBound::Following(e) = b {
                    out.push(e);
                }
            }
        }
        out
    }

    pub fn exprs_mut(&mut self) -> Vec<&mut Expr> {
        let mut out: Vec<&mut Expr> =
            self.partition_by.iter_mut().chain(self.order_by.iter_mut().map(|o| &mut o.expr)).collect();
        if let Some(frame) = &mut self.frame {
            for b in [&mut frame.start, &mut frame.end] {
                if let FrameBound::Preceding(e) | FrameBound::Following(e) = b {
                    out.push(e);
                }
            }
        }
        out
    }
}

impl Statement {
    /// The WITH clause of an INSERT, UPDATE or DELETE.
    pub fn with_mut(&mut self) -> Option<&mut With> {
        match self {
            Statement::Insert(Insert { with, .. })
            | Statement::Update(Update { with, .. })
            | Statement::Delete(Delete { with, .. }) => with.as_mut(),
            _ => None,
        }
    }

    /// Calls `f` on every expression of an INSERT, UPDATE, DELETE or SELECT, subqueries
    /// included; other statements have none it visits.
    pub fn walk_exprs_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        if let Some(w) = self.with_mut() {
            w.ctes.iter_mut().for_each(|c| c.query.walk_mut(f));
        }
        match self {
            Statement::Select(s) => s.walk_mut(f),
            Statement::Insert(i) => {
                match &mut i.source {
                    InsertSource::Values(rows) => rows.iter_mut().flatten().for_each(|e| e.walk_mut(f)),
                    InsertSource::Select(s) => s.walk_mut(f),
                    InsertSource::DefaultValues => {}
                }
                for u in &mut i.upserts {
                    u.target_filter.iter_mut().for_each(|e| e.walk_mut(f));
                    if let Some(up) = &mut u.update {
                        up.assignments.iter_mut().for_each(|(_, e)| e.walk_mut(f));
                        up.filter.iter_mut().for_each(|e| e.walk_mut(f));
                    }
                }
            }
            Statement::Update(u) => {
                for (_, e) in &mut u.assignments {
                    e.walk_mut(f);
                }
                if let Some(e) = &mut u.filter {
                    e.walk_mut(f);
                }
            }
            Statement::Delete(d) => {
                if let Some(e) = &mut d.filter {
                    e.walk_mut(f);
                }
            }
            _ => {}
        }
    }
}

impl Expr {
    /// Calls `f` on this expression, then on each one inside it (subqueries included).
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Literal(_) | Expr::Column { .. } | Expr::Param(_) => {}
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Collate { expr, .. } => expr.walk_mut(f),
            Expr::Binary { left, right, .. } => {
                left.walk_mut(f);
                right.walk_mut(f);
            }
            Expr::Between { expr, low, high, .. } => {
                expr.walk_mut(f);
                low.walk_mut(f);
                high.walk_mut(f);
            }
            Expr::InList { expr, list, .. } => {
                expr.walk_mut(f);
                list.iter_mut().for_each(|x| x.walk_mut(f));
            }
            Expr::InSelect { expr, query, .. } => {
                expr.walk_mut(f);
                query.walk_mut(f);
            }
            Expr::Subquery(q) | Expr::Exists(q) => q.walk_mut(f),
            Expr::Case { operand, whens, else_ } => {
                if let Some(o) = operand {
                    o.walk_mut(f);
                }
                for (w, t) in whens {
                    w.walk_mut(f);
                    t.walk_mut(f);
                }
                if let Some(e) = else_ {
                    e.walk_mut(f);
                }
            }
            Expr::Function { args, filter, over, .. } => {
                args.iter_mut().for_each(|a| a.walk_mut(f));
                filter.iter_mut().for_each(|e| e.walk_mut(f));
                over.iter_mut().for_each(|w| w.exprs_mut().into_iter().for_each(|e| e.walk_mut(f)));
            }
        }
    }

    /// Whether `f` holds for this expression or one inside it (subqueries included).
    pub fn any(&self, f: &mut dyn FnMut(&Expr) -> bool) -> bool {
        if f(self) {
            return true;
        }
        match self {
            Expr::Literal(_) | Expr::Column { .. } | Expr::Param(_) => false,
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Collate { expr, .. } => expr.any(f),
            Expr::Binary { left, right, .. } => left.any(f) || right.any(f),
            Expr::Between { expr, low, high, .. } => expr.any(f) || low.any(f) || high.any(f),
            Expr::InList { expr, list, .. } => expr.any(f) || list.iter().any(|x| x.any(f)),
            Expr::InSelect { expr, query, .. } => expr.any(f) || query.any_expr(f),
            Expr::Subquery(q) | Expr::Exists(q) => q.any_expr(f),
            Expr::Case { operand, whens, else_ } => {
                operand.as_ref().is_some_and(|o| o.any(f))
                    || whens.iter().any(|(w, t)| w.any(f) || t.any(f))
                    || else_.as_ref().is_some_and(|x| x.any(f))
            }
            Expr::Function { args, filter, over, .. } => {
                args.iter().any(|a| a.any(f))
                    || filter.as_ref().is_some_and(|e| e.any(f))
                    || over.as_ref().is_some_and(|w| w.exprs().into_iter().any(|e| e.any(f)))
            }
        }
    }
}

/// SQLite's built-in collations (kept with a column's schema, so defined there).
pub use crate::storage::schema::Collation;
