//! The abstract syntax tree. Every node prints back to SQL (`Display`), and parsing the
//! printed text gives the same tree (a property test holds us to it).

use std::fmt;

pub use crate::storage::schema::FkAction;
use crate::storage::schema::{literal_sql, quote_ident};
use crate::storage::{AsOf, Value};
pub use crate::storage::{TriggerEvent, TriggerTiming};

#[derive(Clone, Debug, PartialEq)]
pub enum Statement {
    Select(Box<Select>),
    Insert(Insert),
    Update(Update),
    Delete(Delete),
    CreateTable(CreateTable),
    DropTable {
        name: String,
        if_exists: bool,
    },
    CreateIndex {
        name: String,
        table: String,
        columns: Vec<(String, bool)>,
        unique: bool,
        if_not_exists: bool,
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
    CheckDatabase,
    CreateView {
        name: String,
        columns: Vec<String>,
        query: Box<Select>,
        if_not_exists: bool,
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
    /// `CHECKPOINT`: write the state to the data directory now.
    Checkpoint,
    /// `BACKUP TO 'dir'`: copy the database to a new data directory.
    Backup(String),
    CreateNamespace {
        name: String,
        if_not_exists: bool,
    },
    DropNamespace {
        name: String,
        if_exists: bool,
    },
    /// `USE n`: the namespace unqualified names refer to in this session.
    Use(String),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct Select {
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

impl fmt::Display for SetOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SetOp::Union => "UNION",
            SetOp::UnionAll => "UNION ALL",
            SetOp::Intersect => "INTERSECT",
            SetOp::Except => "EXCEPT",
        })
    }
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

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.subquery, &self.function) {
            (Some(q), _) => write!(f, "({q})")?,
            (None, Some(args)) => write!(f, "{}({})", quote_ident(&self.name), comma(args))?,
            (None, None) => f.write_str(&quote_ident(&self.name))?,
        }
        if let Some(at) = &self.as_of {
            write!(f, " AS OF {at}")?;
        }
        if let Some(a) = &self.alias {
            write!(f, " AS {}", quote_ident(a))?;
        }
        Ok(())
    }
}

impl fmt::Display for FromTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.table)?;
        for j in &self.joins {
            let natural = if j.natural { "NATURAL " } else { "" };
            let kind = match j.kind {
                JoinKind::Inner => "JOIN",
                JoinKind::Left => "LEFT JOIN",
                JoinKind::Cross => "CROSS JOIN",
            };
            write!(f, " {natural}{kind} {}", j.table)?;
            if let Some(on) = &j.on {
                write!(f, " ON {on}")?;
            }
            if !j.using.is_empty() {
                let names: Vec<String> = j.using.iter().map(|u| quote_ident(u)).collect();
                write!(f, " USING ({})", names.join(", "))?;
            }
        }
        Ok(())
    }
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
}

#[derive(Clone, Debug, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub desc: bool,
    /// `Some(true)` for NULLS FIRST, `Some(false)` for NULLS LAST, `None` for SQLite's
    /// default (NULLs are smallest).
    pub nulls_first: Option<bool>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum InsertSource {
    Values(Vec<Vec<Expr>>),
    Select(Box<Select>),
    DefaultValues,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Insert {
    /// `INSERT OR REPLACE` / `REPLACE`: rows whose key or unique values clash with a new
    /// row are deleted first.
    pub replace: bool,
    pub table: String,
    pub columns: Option<Vec<String>>,
    pub source: InsertSource,
    /// `WITH TTL 'interval'` (`Some(Some(_))`) or `WITH TTL NULL` (`Some(None)`).
    pub ttl: Option<Option<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    pub table: String,
    pub assignments: Vec<(String, Expr)>,
    pub filter: Option<Expr>,
    /// As for INSERT: a new expiry for the updated rows, or none.
    pub ttl: Option<Option<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Delete {
    pub table: String,
    pub filter: Option<Expr>,
}

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

impl fmt::Display for CreateTrigger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CREATE TRIGGER ")?;
        if self.if_not_exists {
            f.write_str("IF NOT EXISTS ")?;
        }
        write!(
            f,
            "{} {} {} ON {} FOR EACH ROW",
            quote_ident(&self.name),
            self.timing.sql(),
            self.event.sql(),
            quote_ident(&self.table)
        )?;
        if let Some(w) = &self.when {
            write!(f, " WHEN {w}")?;
        }
        f.write_str(" BEGIN")?;
        for step in &self.body {
            match step {
                Statement::Select(s) => write!(f, " {s};")?,
                Statement::Insert(i) => write!(f, " {i};")?,
                Statement::Update(u) => write!(f, " {u};")?,
                Statement::Delete(d) => write!(f, " {d};")?,
                _ => return Err(fmt::Error),
            }
        }
        f.write_str(" END")
    }
}

fn ttl_sql(ttl: &Option<Option<String>>) -> String {
    match ttl {
        None => String::new(),
        Some(None) => " WITH TTL NULL".to_string(),
        Some(Some(t)) => format!(" WITH TTL {}", literal_sql(&Value::text(t))),
    }
}

impl fmt::Display for Insert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.replace { "INSERT OR REPLACE" } else { "INSERT" };
        write!(f, "{verb} INTO {}", quote_ident(&self.table))?;
        if let Some(cols) = &self.columns {
            let names: Vec<String> = cols.iter().map(|c| quote_ident(c)).collect();
            write!(f, " ({})", names.join(", "))?;
        }
        match &self.source {
            InsertSource::Values(rows) => {
                let rows: Vec<String> = rows.iter().map(|r| format!("({})", comma(r))).collect();
                write!(f, " VALUES {}", rows.join(", "))?;
            }
            InsertSource::Select(s) => write!(f, " {s}")?,
            InsertSource::DefaultValues => f.write_str(" DEFAULT VALUES")?,
        }
        f.write_str(&ttl_sql(&self.ttl))
    }
}

impl fmt::Display for Update {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sets: Vec<String> = self.assignments.iter().map(|(c, e)| format!("{} = {e}", quote_ident(c))).collect();
        write!(f, "UPDATE {} SET {}", quote_ident(&self.table), sets.join(", "))?;
        if let Some(w) = &self.filter {
            write!(f, " WHERE {w}")?;
        }
        f.write_str(&ttl_sql(&self.ttl))
    }
}

impl fmt::Display for Delete {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DELETE FROM {}", quote_ident(&self.table))?;
        if let Some(w) = &self.filter {
            write!(f, " WHERE {w}")?;
        }
        Ok(())
    }
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
    RenameColumn { from: String, to: String },
    RenameTable(String),
    DropColumn(String),
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
    Concat,
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
            BinaryOp::Concat => "||",
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
    Function {
        name: String,
        args: Vec<Expr>,
        distinct: bool,
        star: bool,
    },
}

fn comma<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(v) => f.write_str(&literal_sql(v)),
            Expr::Column { table: Some(t), name } => {
                write!(f, "{}.{}", quote_ident(t), quote_ident(name))
            }
            Expr::Column { table: None, name } => f.write_str(&quote_ident(name)),
            Expr::Param(n) => write!(f, "?{n}"),
            Expr::Unary { op, expr } => match op {
                UnaryOp::Not => write!(f, "(NOT {expr})"),
                UnaryOp::Neg => write!(f, "(- {expr})"),
                UnaryOp::Plus => write!(f, "(+ {expr})"),
                UnaryOp::BitNot => write!(f, "(~ {expr})"),
            },
            Expr::Binary { op, left, right } => write!(f, "({left} {} {right})", op.sql()),
            Expr::IsNull { expr, negated } => {
                write!(f, "({expr} {})", if *negated { "NOTNULL" } else { "ISNULL" })
            }
            Expr::Between { expr, low, high, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}BETWEEN {low} AND {high})")
            }
            Expr::InList { expr, list, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}IN ({}))", comma(list))
            }
            Expr::InSelect { expr, query, negated } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}IN ({query}))")
            }
            Expr::Subquery(q) => write!(f, "({q})"),
            Expr::Exists(q) => write!(f, "EXISTS ({q})"),
            Expr::Case { operand, whens, else_ } => {
                f.write_str("CASE")?;
                if let Some(o) = operand {
                    write!(f, " {o}")?;
                }
                for (w, t) in whens {
                    write!(f, " WHEN {w} THEN {t}")?;
                }
                if let Some(e) = else_ {
                    write!(f, " ELSE {e}")?;
                }
                f.write_str(" END")
            }
            Expr::Cast { expr, type_name } => write!(f, "CAST({expr} AS {type_name})"),
            // RAISE(action[, message]) prints as it is written.
            Expr::Function { name, args, .. } if raise_action(name, args).is_some() => {
                let action = raise_action(name, args).unwrap_or_default();
                match args.get(1) {
                    Some(message) => write!(f, "RAISE({action}, {message})"),
                    None => write!(f, "RAISE({action})"),
                }
            }
            Expr::Function { name, args, distinct, star } => {
                let d = if *distinct { "DISTINCT " } else { "" };
                if *star {
                    write!(f, "{}(*)", quote_ident(name))
                } else {
                    write!(f, "{}({d}{})", quote_ident(name), comma(args))
                }
            }
        }
    }
}

/// The action of a `RAISE(…)` call, as the parser builds it.
fn raise_action<'a>(name: &str, args: &'a [Expr]) -> Option<&'a str> {
    let Some(Expr::Literal(Value::Text(action))) = args.first() else { return None };
    let action = action.as_str();
    let known = ["IGNORE", "ROLLBACK", "ABORT", "FAIL"].contains(&action);
    let arity = if action == "IGNORE" { 1 } else { 2 };
    (name.eq_ignore_ascii_case("raise") && known && args.len() == arity).then_some(action)
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Wildcard => f.write_str("*"),
            SelectItem::TableWildcard(t) => write!(f, "{}.*", quote_ident(t)),
            SelectItem::Expr { expr, alias: Some(a), .. } => write!(f, "{expr} AS {}", quote_ident(a)),
            SelectItem::Expr { expr, alias: None, .. } => write!(f, "{expr}"),
        }
    }
}

impl fmt::Display for OrderItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        if self.desc {
            f.write_str(" DESC")?;
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        f.write_str(&comma(&self.columns))?;
        if !self.from.is_empty() {
            write!(f, " FROM {}", comma(&self.from))?;
        }
        if let Some(w) = &self.filter {
            write!(f, " WHERE {w}")?;
        }
        if !self.group_by.is_empty() {
            write!(f, " GROUP BY {}", comma(&self.group_by))?;
        }
        if let Some(h) = &self.having {
            write!(f, " HAVING {h}")?;
        }
        for (op, s) in &self.compound {
            write!(f, " {op} {s}")?;
        }
        if !self.order_by.is_empty() {
            write!(f, " ORDER BY {}", comma(&self.order_by))?;
        }
        if let Some(l) = &self.limit {
            write!(f, " LIMIT {l}")?;
        }
        if let Some(o) = &self.offset {
            write!(f, " OFFSET {o}")?;
        }
        Ok(())
    }
}

impl Select {
    /// Whether `f` holds for some expression of this query, its subqueries included.
    pub fn any_expr(&self, f: &mut dyn FnMut(&Expr) -> bool) -> bool {
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

    /// Whether the query calls the named function anywhere.
    pub fn calls(&self, function: &str) -> bool {
        self.any_expr(&mut |e| matches!(e, Expr::Function { name, .. } if name.eq_ignore_ascii_case(function)))
    }
}

impl Select {
    /// Calls `f` on every expression of this query, its subqueries included.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
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

impl Statement {
    /// Calls `f` on every expression of an INSERT, UPDATE, DELETE or SELECT, subqueries
    /// included; other statements have none it visits.
    pub fn walk_exprs_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match self {
            Statement::Select(s) => s.walk_mut(f),
            Statement::Insert(i) => match &mut i.source {
                InsertSource::Values(rows) => rows.iter_mut().flatten().for_each(|e| e.walk_mut(f)),
                InsertSource::Select(s) => s.walk_mut(f),
                InsertSource::DefaultValues => {}
            },
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
            Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => expr.walk_mut(f),
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
            Expr::Function { args, .. } => args.iter_mut().for_each(|a| a.walk_mut(f)),
        }
    }

    /// Whether `f` holds for this expression or one inside it (subqueries included).
    pub fn any(&self, f: &mut dyn FnMut(&Expr) -> bool) -> bool {
        if f(self) {
            return true;
        }
        match self {
            Expr::Literal(_) | Expr::Column { .. } | Expr::Param(_) => false,
            Expr::Unary { expr, .. } | Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } => expr.any(f),
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
            Expr::Function { args, .. } => args.iter().any(|a| a.any(f)),
        }
    }
}
