//! Bound expressions: what a clause becomes once its names are column positions and its
//! functions enums, with the operators, functions and aggregates they call.

use super::*;

/// A bound expression, evaluated against one row (and the aggregates of its group).
#[derive(Clone, Debug, PartialEq)]
pub enum BExpr {
    Const(Value),
    /// A column of the input row, by position.
    Column(usize),
    /// A statement parameter, 0-based.
    Param(usize),
    /// The result of an aggregate of the current group, by position.
    Agg(usize),
    Not(Box<BExpr>),
    Neg(Box<BExpr>),
    BitNot(Box<BExpr>),
    And(Box<BExpr>, Box<BExpr>),
    Or(Box<BExpr>, Box<BExpr>),
    Compare(CmpOp, Box<BExpr>, Box<BExpr>),
    /// `IS` (`negated`: `IS NOT`): comparison in which NULL equals NULL.
    Is {
        left: Box<BExpr>,
        right: Box<BExpr>,
        negated: bool,
    },
    Arith(ArithOp, Box<BExpr>, Box<BExpr>),
    Concat(Box<BExpr>, Box<BExpr>),
    /// `IS NULL` (`negated`: `IS NOT NULL`).
    IsNull {
        expr: Box<BExpr>,
        negated: bool,
    },
    Between {
        expr: Box<BExpr>,
        low: Box<BExpr>,
        high: Box<BExpr>,
        negated: bool,
    },
    InList {
        expr: Box<BExpr>,
        list: Vec<BExpr>,
        negated: bool,
    },
    Like {
        expr: Box<BExpr>,
        pattern: Box<BExpr>,
        negated: bool,
    },
    Case {
        operand: Option<Box<BExpr>>,
        whens: Vec<(BExpr, BExpr)>,
        else_: Option<Box<BExpr>>,
    },
    Cast(Box<BExpr>, DataType),
    Func(Func, Vec<BExpr>),
    /// A column of an enclosing query's row: `depth` 1 is the query just outside.
    Outer {
        depth: usize,
        column: usize,
    },
    /// `(SELECT …)`. A subquery that reads no enclosing row is run once per statement.
    Subquery(Arc<SelectPlan>, Correlated),
    /// `ARRAY(SELECT …)`: the one column's values as an array's text, `{1,2}`.
    ArraySubquery(Arc<SelectPlan>, Correlated),
    Exists(Arc<SelectPlan>, Correlated),
    InSubquery {
        expr: Box<BExpr>,
        plan: Arc<SelectPlan>,
        correlated: Correlated,
        negated: bool,
    },
}

/// Whether a subquery reads a row of an enclosing query (and so runs once per row).
pub type Correlated = bool;

/// Pushes the expressions directly inside `$e` onto `$out`: shared or mutable borrows,
/// as `$e` is one or the other, so that both walkers list the variants once.
macro_rules! push_children {
    ($e:expr, $out:ident) => {
        match $e {
            BExpr::Const(_)
            | BExpr::Column(_)
            | BExpr::Param(_)
            | BExpr::Agg(_)
            | BExpr::Outer { .. }
            | BExpr::Subquery(..)
            | BExpr::ArraySubquery(..)
            | BExpr::Exists(..) => {}
            BExpr::InSubquery { expr: a, .. }
            | BExpr::Not(a)
            | BExpr::Neg(a)
            | BExpr::BitNot(a)
            | BExpr::IsNull { expr: a, .. }
            | BExpr::Cast(a, _) => $out.push(a),
            BExpr::And(a, b)
            | BExpr::Or(a, b)
            | BExpr::Compare(_, a, b)
            | BExpr::Is { left: a, right: b, .. }
            | BExpr::Arith(_, a, b)
            | BExpr::Concat(a, b)
            | BExpr::Like { expr: a, pattern: b, .. } => {
                $out.push(a);
                $out.push(b);
            }
            BExpr::Between { expr, low, high, .. } => {
                $out.push(expr);
                $out.push(low);
                $out.push(high);
            }
            BExpr::InList { expr, list, .. } => {
                $out.push(expr);
                for x in list {
                    $out.push(x);
                }
            }
            BExpr::Case { operand, whens, else_ } => {
                if let Some(o) = operand {
                    $out.push(o);
                }
                for (w, t) in whens {
                    $out.push(w);
                    $out.push(t);
                }
                if let Some(e) = else_ {
                    $out.push(e);
                }
            }
            BExpr::Func(_, args) => {
                for x in args {
                    $out.push(x);
                }
            }
        }
    };
}

impl BExpr {
    /// The expressions directly inside this one.
    pub fn children(&self) -> Vec<&BExpr> {
        let mut out: Vec<&BExpr> = Vec::new();
        push_children!(self, out);
        out
    }

    /// The expressions directly inside this one, to change.
    pub fn children_mut(&mut self) -> Vec<&mut BExpr> {
        let mut out: Vec<&mut BExpr> = Vec::new();
        push_children!(self, out);
        out
    }

    /// Renumbers every column reference.
    pub fn map_columns(&mut self, f: &dyn Fn(usize) -> usize) {
        if let BExpr::Column(c) = self {
            *c = f(*c);
        }
        for child in self.children_mut() {
            child.map_columns(f);
        }
    }

    /// Whether the expression holds a subquery.
    pub fn has_subquery(&self) -> bool {
        match self {
            BExpr::Subquery(..) | BExpr::ArraySubquery(..) | BExpr::Exists(..) | BExpr::InSubquery { .. } => true,
            other => other.children().into_iter().any(BExpr::has_subquery),
        }
    }

    /// Whether evaluating the expression reads the database: a subquery, or a stream
    /// function that looks at the messages stored.
    pub fn reads_state(&self) -> bool {
        match self {
            BExpr::Subquery(..) | BExpr::ArraySubquery(..) | BExpr::Exists(..) | BExpr::InSubquery { .. } => true,
            BExpr::Func(Func::WriteMessage | Func::StreamVersion | Func::Catalog(_), _) => true,
            other => other.children().into_iter().any(BExpr::reads_state),
        }
    }

    /// The columns the expression reads, when it names them all (a subquery reads its
    /// row through outer references) and they are among the first 64.
    pub fn reads(&self) -> Option<Mask> {
        if self.has_subquery() {
            return None;
        }
        Mask::of(self.columns())
    }

    /// Every column the expression reads.
    pub fn columns(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.visit_columns(&mut |c| out.push(c));
        out
    }

    pub fn visit_columns(&self, f: &mut dyn FnMut(usize)) {
        if let BExpr::Column(c) = self {
            f(*c);
        }
        for child in self.children() {
            child.visit_columns(f);
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

impl CmpOp {
    /// Whether `a op b` holds when `a` compares to `b` as `o`.
    pub fn holds(self, o: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => o == Equal,
            CmpOp::NotEq => o != Equal,
            CmpOp::Lt => o == Less,
            CmpOp::LtEq => o != Greater,
            CmpOp::Gt => o == Greater,
            CmpOp::GtEq => o != Less,
        }
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            op => op,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArithOp {
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

/// Scalar functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Coalesce,
    IfNull,
    NullIf,
    Abs,
    Length,
    Hex,
    Lower,
    Upper,
    Substr,
    Trim,
    LTrim,
    RTrim,
    Round,
    Typeof,
    Min,
    Max,
    Now,
    Replace,
    Instr,
    Sign,
    Random,
    /// A random UUID (version 4), as text.
    Uuid,
    /// A UUID of version 7 (the time in milliseconds, then random bits), as text:
    /// those made later sort after those made earlier.
    Uuid7,
    /// A value as a collation compares it: text folded (`COLLATE NOCASE`, `RTRIM`).
    Collate(crate::sql::ast::Collation),
    LastInsertRowid,
    /// `pg_backend_pid()`: the session's number.
    SessionId,
    Changes,
    TotalChanges,
    CurrentVersion,
    /// `amber_stats_reset()`: forgets the database's counters and statement figures.
    StatsReset,
    /// `version()`: PostgreSQL's version the server answers as, and AmberDB's.
    Version,
    /// `current_database()`.
    CurrentDatabase,
    /// `regexp_like(text, pattern[, flags])` and the operators `~`, `~*`, `!~`, `!~*`.
    RegexpLike,
    /// `pg_get_userbyid(oid)`: the one owner, `amberdb`.
    PgUser,
    /// `pg_table_is_visible(oid)`: every table is visible.
    PgVisible,
    /// `pg_encoding_to_char(n)`: `UTF8`.
    PgEncoding,
    /// A parameter compared with an INTEGER or REAL column: numeric text as its number.
    NumericAffinity,
    /// PostgreSQL's catalog and array functions.
    Catalog(crate::sql::pg_catalog::CatalogFn),
    /// `current_schema()`: the session's namespace (`public` for `main`), which it gets
    /// as a hidden argument.
    CurrentSchema,
    /// `current_setting(name [, missing_ok])`: a setting of the session's client, else
    /// of the database.
    CurrentSetting,
    /// `write_message(ns, id, stream, type, data [, metadata [, expected_version]])`.
    WriteMessage,
    /// `stream_version(ns, stream)`.
    StreamVersion,
    StreamId,
    CardinalId,
    Category,
    IsCategory,
    Hash64,
    /// Seconds until the row expires, from its expiry column.
    TtlRemaining,
    /// `RAISE(action[, message])` in a trigger's body: its action as text.
    Raise,
    Glob,
    Like,
    Iif,
    Printf,
    Concat,
    ConcatWs,
    Quote,
    Char,
    Unicode,
    RandomBlob,
    ZeroBlob,
    Unhex,
    Likelihood,
    OctetLength,
    Math(MathFunc),
    Date(DateFunc),
    /// A JSON function; the masks mark the arguments that are JSON (see
    /// `exec::json::functions`): those that are calls of functions returning JSON, and
    /// those that are `json_extract` calls.
    Json(JsonFunc, u16, u16),
}

impl Func {
    /// True for a function whose answer depends on more than its arguments: the
    /// clock, randomness, the session's counters, the database, or what it writes.
    /// (The date functions read the clock only with no time value or with 'now'.)
    pub fn reads_outside(self) -> bool {
        matches!(
            self,
            Func::Now
                | Func::RandomBlob
                | Func::Random
                | Func::Uuid
                | Func::Uuid7
                | Func::LastInsertRowid
                | Func::SessionId
                | Func::Catalog(_)
                | Func::Changes
                | Func::TotalChanges
                | Func::CurrentVersion
                | Func::StatsReset
                | Func::CurrentSetting
                | Func::WriteMessage
                | Func::StreamVersion
                | Func::TtlRemaining
                | Func::Raise
        )
    }
}

/// SQLite's JSON functions and operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonFunc {
    Json,
    Valid,
    ErrorPosition,
    Extract,
    /// `->`: the JSON text of what a path names.
    Arrow,
    /// `->>`: its SQL value.
    Arrow2,
    Type,
    ArrayLength,
    Array,
    Object,
    Quote,
    Insert,
    Replace,
    Set,
    Remove,
    Patch,
    Pretty,
}

impl JsonFunc {
    /// True when the function's result is JSON text (SQLite's JSON subtype).
    pub fn returns_json(self) -> bool {
        matches!(
            self,
            JsonFunc::Json
                | JsonFunc::Arrow
                | JsonFunc::Array
                | JsonFunc::Object
                | JsonFunc::Quote
                | JsonFunc::Insert
                | JsonFunc::Replace
                | JsonFunc::Set
                | JsonFunc::Remove
                | JsonFunc::Patch
                | JsonFunc::Pretty
        )
    }
}

/// Math functions of one or two real arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MathFunc {
    Sqrt,
    Pow,
    Exp,
    Ln,
    Log,
    Log10,
    Log2,
    Floor,
    Ceil,
    Trunc,
    Mod,
    Pi,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Atan2,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Degrees,
    Radians,
}

/// Date and time functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DateFunc {
    Date,
    Time,
    DateTime,
    JulianDay,
    UnixEpoch,
    Strftime,
    TimeDiff,
}

/// The table-valued functions that read a namespace's messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRead {
    /// `get_stream_messages(stream [, position [, batch_size [, condition]]])`
    Stream,
    /// `get_category_messages(category [, position [, batch_size [, correlation
    /// [, consumer_group_member [, consumer_group_size [, condition]]]]]])`
    Category,
    /// `get_last_stream_message(stream [, type])`
    Last,
    /// `message_store.messages`: every message, in global order.
    All,
}

impl MessageRead {
    pub fn name(self) -> &'static str {
        match self {
            MessageRead::Stream => "get_stream_messages",
            MessageRead::Category => "get_category_messages",
            MessageRead::Last => "get_last_stream_message",
            MessageRead::All => crate::sql::namespace::MESSAGES_TABLE,
        }
    }

    /// The function of this name, with the number of arguments it takes after the
    /// namespace.
    pub fn by_name(name: &str) -> Option<(MessageRead, usize, usize)> {
        match name.to_ascii_lowercase().as_str() {
            "get_stream_messages" => Some((MessageRead::Stream, 1, 4)),
            "get_category_messages" => Some((MessageRead::Category, 1, 7)),
            "get_last_stream_message" => Some((MessageRead::Last, 1, 2)),
            crate::sql::namespace::MESSAGES_TABLE => Some((MessageRead::All, 0, 0)),
            _ => None,
        }
    }
}

/// The columns message reads return, as Message DB's functions do.
pub const MESSAGE_COLUMNS: [&str; 8] =
    ["id", "stream_name", "type", "position", "global_position", "data", "metadata", "time"];

/// The columns of the table functions `json_each` and `json_tree`, in SQLite's order
/// (its hidden `json` and `root` are left out).
pub const JSON_TABLE_COLUMNS: [&str; 8] = ["key", "value", "type", "atom", "id", "parent", "fullkey", "path"];

/// A table function whose arguments may read the rows before it in FROM.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableFn {
    JsonEach,
    JsonTree,
    /// `generate_series(start, stop[, step])`: the integers from start to stop.
    Series,
    /// `pg_partition_ancestors(relation)`: with no partitions, the relation itself.
    Ancestors,
    /// The database's own figures, from the database the statement runs in:
    /// `amber_stats()`, `amber_statements()`, `amber_slow_queries()`, `amber_memory()`.
    Stats,
    Statements,
    SlowQueries,
    Memory,
    /// `commits()`: the kept versions, with when, by whom and what each changed.
    Commits,
    /// `history(t)`: each change of each row of `t` over the kept versions; its columns
    /// follow the table's ([`HISTORY_COLUMNS`], then `old_c` and `new_c` for each).
    History,
    /// `archive('file')`: the rows of an archive file, in its table's columns.
    Archive,
    /// `amber_cluster()`: the nodes of the cluster this database is in.
    Cluster,
    /// `pg_settings`: the session's client settings and the database's own.
    Settings,
}

/// The first columns of `history(t)`.
pub const HISTORY_COLUMNS: [&str; 4] = ["version", "committed_at", "operation", "label"];
/// The columns of `commits()`.
pub const COMMITS_COLUMNS: [&str; 5] = ["version", "committed_at", "label", "tables", "rows"];

/// The columns of `amber_stats()`.
pub const STATS_COLUMNS: [&str; 3] = ["name", "value", "description"];
/// The columns of `amber_statements()`, as `pg_stat_statements` names them.
pub const STATEMENTS_COLUMNS: [&str; 7] = ["query", "calls", "total_ms", "mean_ms", "max_ms", "rows", "errors"];
/// The columns of `amber_slow_queries()`.
pub const SLOW_COLUMNS: [&str; 7] = ["at", "ms", "rows", "query", "params", "plan", "error"];
/// The columns of `amber_cluster()`.
pub const CLUSTER_COLUMNS: [&str; 6] =
    ["node", "this_node", "applied_version", "stream_version", "lag", "seen_seconds_ago"];
/// The columns of `pg_settings`, as PostgreSQL names them.
pub const SETTINGS_COLUMNS: [&str; 8] =
    ["name", "setting", "unit", "category", "short_desc", "context", "vartype", "source"];
/// The columns of `amber_memory()`.
pub const MEMORY_COLUMNS: [&str; 5] = ["kind", "name", "rows", "bytes", "detail"];

impl TableFn {
    pub fn by_name(name: &str) -> Option<TableFn> {
        [
            TableFn::JsonEach,
            TableFn::JsonTree,
            TableFn::Series,
            TableFn::Ancestors,
            TableFn::Stats,
            TableFn::Statements,
            TableFn::SlowQueries,
            TableFn::Memory,
            TableFn::Commits,
            TableFn::History,
            TableFn::Archive,
            TableFn::Cluster,
            TableFn::Settings,
        ]
        .into_iter()
        .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    pub fn name(self) -> &'static str {
        match self {
            TableFn::JsonEach => "json_each",
            TableFn::JsonTree => "json_tree",
            TableFn::Series => "generate_series",
            TableFn::Ancestors => "pg_partition_ancestors",
            TableFn::Stats => "amber_stats",
            TableFn::Statements => "amber_statements",
            TableFn::SlowQueries => "amber_slow_queries",
            TableFn::Memory => "amber_memory",
            TableFn::Commits => "commits",
            TableFn::History => "history",
            TableFn::Archive => "archive",
            TableFn::Cluster => "amber_cluster",
            TableFn::Settings => "pg_settings",
        }
    }

    /// Its columns; a series' one column takes the name of the FROM item's alias
    /// when it has one, as in PostgreSQL (`FROM generate_series(1, 3) AS n`).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            TableFn::Series => &["value"],
            TableFn::Ancestors => &["relid"],
            TableFn::Stats => &STATS_COLUMNS,
            TableFn::Statements => &STATEMENTS_COLUMNS,
            TableFn::SlowQueries => &SLOW_COLUMNS,
            TableFn::Memory => &MEMORY_COLUMNS,
            TableFn::Commits => &COMMITS_COLUMNS,
            TableFn::History => &HISTORY_COLUMNS,
            TableFn::Archive => &[],
            TableFn::Cluster => &CLUSTER_COLUMNS,
            TableFn::Settings => &SETTINGS_COLUMNS,
            TableFn::JsonEach | TableFn::JsonTree => &JSON_TABLE_COLUMNS,
        }
    }

    /// `history(t)`'s columns for a table of this schema: the fixed ones, the primary
    /// key's, then `old_…` and `new_…` for each column.
    pub fn history_columns(schema: &crate::storage::TableSchema) -> Vec<String> {
        let mut columns: Vec<String> = HISTORY_COLUMNS.iter().map(|c| c.to_string()).collect();
        columns.extend(schema.primary_key.iter().map(|&i| schema.columns[i].name.clone()));
        for side in ["old", "new"] {
            columns.extend(schema.columns.iter().map(|c| format!("{side}_{}", c.name)));
        }
        columns
    }

    /// The fewest and most arguments it takes.
    pub fn arity(self) -> (usize, usize) {
        match self {
            TableFn::Series => (2, 3),
            TableFn::Ancestors => (1, 1),
            TableFn::Stats
            | TableFn::Statements
            | TableFn::SlowQueries
            | TableFn::Memory
            | TableFn::Commits
            | TableFn::Cluster
            | TableFn::Settings => (0, 0),
            TableFn::History => (1, 2),
            TableFn::Archive => (1, 1),
            TableFn::JsonEach | TableFn::JsonTree => (1, 2),
        }
    }
}

/// Aggregate functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggFunc {
    CountStar,
    Count,
    Sum,
    Total,
    Avg,
    Min,
    Max,
    GroupConcat,
    /// `json_group_array(x)`: every value (NULLs too) as a JSON array.
    JsonGroupArray,
    /// `json_group_object(label, value)`: the value is bound as `separator`.
    JsonGroupObject,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AggCall {
    pub func: AggFunc,
    pub arg: Option<BExpr>,
    /// The separator of `group_concat`; the value of `json_group_object`.
    pub separator: Option<BExpr>,
    pub distinct: bool,
    /// `FILTER (WHERE …)`: only rows for which it holds are added.
    pub filter: Option<BExpr>,
    /// The argument's collation other than BINARY (a NOCASE column, `x COLLATE
    /// NOCASE`), under which min() and max() compare and DISTINCT tells values apart.
    pub collation: Option<crate::storage::schema::Collation>,
}

/// Window functions that are not aggregates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowFunc {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
    Lag,
    Lead,
    FirstValue,
    LastValue,
    NthValue,
    /// An aggregate over the frame (its call is in [`WindowCall::agg`]).
    Aggregate,
}

impl WindowFunc {
    /// The function of this name, with its allowed argument counts.
    pub fn by_name(name: &str) -> Option<(WindowFunc, usize, usize)> {
        Some(match name {
            "row_number" => (WindowFunc::RowNumber, 0, 0),
            "rank" => (WindowFunc::Rank, 0, 0),
            "dense_rank" => (WindowFunc::DenseRank, 0, 0),
            "percent_rank" => (WindowFunc::PercentRank, 0, 0),
            "cume_dist" => (WindowFunc::CumeDist, 0, 0),
            "ntile" => (WindowFunc::Ntile, 1, 1),
            "lag" => (WindowFunc::Lag, 1, 3),
            "lead" => (WindowFunc::Lead, 1, 3),
            "first_value" => (WindowFunc::FirstValue, 1, 1),
            "last_value" => (WindowFunc::LastValue, 1, 1),
            "nth_value" => (WindowFunc::NthValue, 2, 2),
            _ => return None,
        })
    }
}

/// One window function call: what it computes, over which rows, in which order.
#[derive(Clone, Debug, PartialEq)]
pub struct WindowCall {
    pub func: WindowFunc,
    pub args: Vec<BExpr>,
    /// The aggregate, for an aggregate used as a window function.
    pub agg: Option<AggCall>,
    pub partition_by: Vec<BExpr>,
    /// Sort keys (each a `SortExpr::Expr`).
    pub order_by: Vec<super::SortKey>,
    pub frame: FramePlan,
    /// The function's name, for errors.
    pub name: String,
}

pub use super::super::ast::{FrameExclude, FrameUnits};

#[derive(Clone, Debug, PartialEq)]
pub struct FramePlan {
    pub units: FrameUnits,
    pub start: FrameEdge,
    pub end: FrameEdge,
    pub exclude: FrameExclude,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FrameEdge {
    UnboundedPreceding,
    Preceding(BExpr),
    CurrentRow,
    Following(BExpr),
    UnboundedFollowing,
}
