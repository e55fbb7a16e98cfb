//! Text to AST: pest parses with `grammar/amber.pest`, and this module turns its pairs
//! into the typed tree of [`super::ast`]. No pest type leaves this file. Expressions are
//! folded by precedence with pest's Pratt parser (SQLite's precedence table).

use std::cell::Cell;
use std::sync::LazyLock;

use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use pest::Parser as _;

use super::ast::*;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::{AsOf, Value};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/amber.pest"]
pub(super) struct AmberParser;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_is, Assoc::Left)
            | Op::infix(Rule::op_is_not, Assoc::Left)
            | Op::infix(Rule::op_is_distinct, Assoc::Left)
            | Op::infix(Rule::op_is_not_distinct, Assoc::Left)
            | Op::infix(Rule::op_like, Assoc::Left)
            | Op::infix(Rule::op_not_like, Assoc::Left)
            | Op::postfix(Rule::op_between)
            | Op::postfix(Rule::op_in)
            | Op::postfix(Rule::op_isnull)
            | Op::postfix(Rule::op_notnull))
        .op(Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left))
        .op(Op::infix(Rule::op_bitand, Assoc::Left)
            | Op::infix(Rule::op_bitor, Assoc::Left)
            | Op::infix(Rule::op_shl, Assoc::Left)
            | Op::infix(Rule::op_shr, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left)
            | Op::infix(Rule::op_div, Assoc::Left)
            | Op::infix(Rule::op_mod, Assoc::Left))
        .op(Op::infix(Rule::op_concat, Assoc::Left))
        .op(Op::prefix(Rule::op_neg) | Op::prefix(Rule::op_pos) | Op::prefix(Rule::op_bitnot))
});

/// Parses one statement (an optional trailing `;` is allowed).
pub fn parse(sql: &str) -> Result<Statement> {
    super::syntax::check_depth(sql)?;
    let mut pairs = AmberParser::parse(Rule::statement, sql).map_err(|e| super::syntax::syntax_error(sql, e))?;
    let statement = pairs.next().expect("the statement rule always yields one pair");
    let stmt = statement.into_inner().next().expect("a statement holds one stmt");
    Builder { next_param: Cell::new(0) }.statement(stmt)
}

/// Parses a lone expression (for tests and for CHECK constraints kept as text).
pub fn parse_expr(sql: &str) -> Result<Expr> {
    let stmt = parse(&format!("SELECT {sql}"))?;
    match stmt {
        Statement::Select(s) if s.from.is_empty() && s.columns.len() == 1 => match s.columns.into_iter().next() {
            Some(SelectItem::Expr { expr, alias: None, .. }) => Ok(expr),
            _ => Err(ErrorKind::Parse { message: "expected one expression".into(), offset: 0 }.into()),
        },
        _ => Err(ErrorKind::Parse { message: "expected one expression".into(), offset: 0 }.into()),
    }
}

struct Builder {
    /// The highest parameter number seen so far; a bare `?` takes the next one.
    next_param: Cell<usize>,
}

fn unquote_ident(s: &str) -> String {
    let b = s.as_bytes();
    match b.first() {
        Some(b'"') => s[1..s.len() - 1].replace("\"\"", "\""),
        Some(b'`') => s[1..s.len() - 1].replace("``", "`"),
        Some(b'[') => s[1..s.len() - 1].to_string(),
        _ => s.to_string(),
    }
}

pub(crate) fn unquote_string(s: &str) -> String {
    s[1..s.len() - 1].replace("''", "'")
}

/// The bytes of `x'…'`: an even number of hexadecimal digits.
fn parse_blob(text: &str, offset: usize) -> Result<Value> {
    let digits = text.get(2..text.len() - 1).unwrap_or("");
    let malformed = || -> Error {
        ErrorKind::Parse {
            message: format!("malformed blob literal {text}: expected an even number of hexadecimal digits"),
            offset,
        }
        .into()
    };
    if digits.len() % 2 != 0 {
        return Err(malformed());
    }
    let bytes = (0..digits.len())
        .step_by(2)
        .map(|i| digits.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(malformed)?;
    Ok(Value::Blob(bytes.into()))
}

/// The literal too big for an integer alone that, negated, is the smallest one (as
/// SQLite reads `-9223372036854775808`).
const MIN_DIGITS: &str = "9223372036854775808";

/// Whether a minus sign stands right before the literal [`MIN_DIGITS`].
fn negates_to_min(minus: &Pair<Rule>, operand: &Expr) -> bool {
    let after = minus.get_input()[minus.as_span().end()..].trim_start();
    matches!(operand, Expr::Literal(Value::Real(r)) if *r == 9_223_372_036_854_775_808.0)
        && after.starts_with(MIN_DIGITS)
        && !after[MIN_DIGITS.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.' || c == '_')
}

pub(crate) fn parse_number(text: &str, offset: usize) -> Result<Value> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16)
            .map(|u| Value::Integer(u as i64))
            .map_err(|_| ErrorKind::Parse { message: format!("hex literal too big: {text}"), offset }.into());
    }
    let is_int = text.bytes().all(|b| b.is_ascii_digit());
    if is_int {
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Integer(i));
        }
    }
    text.parse::<f64>()
        .map(Value::Real)
        .map_err(|_| ErrorKind::Parse { message: format!("malformed number {text}"), offset }.into())
}

impl Builder {
    fn statement(&self, p: Pair<Rule>) -> Result<Statement> {
        Ok(match p.as_rule() {
            Rule::select_stmt => Statement::Select(Box::new(self.select(p)?)),
            Rule::explain_stmt => {
                let inner = p.into_inner().find(|q| q.as_rule() != Rule::K_EXPLAIN);
                let inner = inner.expect("EXPLAIN holds a statement");
                match inner.as_rule() {
                    Rule::select_stmt => Statement::Explain(Box::new(self.select(inner)?)),
                    _ => Statement::ExplainWrite(Box::new(self.statement(inner)?)),
                }
            }
            Rule::insert_stmt => Statement::Insert(self.insert(p)?),
            Rule::update_stmt => Statement::Update(self.update(p)?),
            Rule::delete_stmt => Statement::Delete(self.delete(p)?),
            Rule::create_table => Statement::CreateTable(self.create_table(p)?),
            Rule::drop_table => {
                let mut if_exists = false;
                let mut name = String::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::if_exists => if_exists = true,
                        Rule::qname => name = qname(q),
                        _ => {}
                    }
                }
                Statement::DropTable { name, if_exists }
            }
            Rule::create_index => {
                let (mut names, mut columns) = (Vec::new(), Vec::new());
                let (mut unique, mut if_not_exists) = (false, false);
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::unique => unique = true,
                        Rule::if_not_exists => if_not_exists = true,
                        Rule::qname => names.push(qname(q)),
                        Rule::index_column => {
                            let mut parts = q.into_inner();
                            let col = unquote_ident(parts.next().expect("indexed column").as_str());
                            let desc = parts.next().is_some_and(|d| d.as_str().eq_ignore_ascii_case("desc"));
                            columns.push((col, desc));
                        }
                        _ => {}
                    }
                }
                let table = names.pop().expect("CREATE INDEX names a table");
                let name = names.pop().expect("CREATE INDEX names the index");
                Statement::CreateIndex { name, table, columns, unique, if_not_exists }
            }
            Rule::drop_index => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropIndex { name: last_qname(p), if_exists }
            }
            Rule::check_database => Statement::CheckDatabase,
            Rule::create_view => {
                let (mut name, mut columns, mut query, mut if_not_exists) = (String::new(), Vec::new(), None, false);
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::if_not_exists => if_not_exists = true,
                        Rule::qname => name = qname(q),
                        Rule::column_list => {
                            columns = q
                                .into_inner()
                                .filter(|i| i.as_rule() == Rule::ident)
                                .map(|i| unquote_ident(i.as_str()))
                                .collect()
                        }
                        Rule::select_stmt => query = Some(Box::new(self.select(q)?)),
                        _ => {}
                    }
                }
                let query = query.expect("CREATE VIEW has a query");
                Statement::CreateView { name, columns, query, if_not_exists }
            }
            Rule::drop_view => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropView { name: last_qname(p), if_exists }
            }
            Rule::create_trigger => Statement::CreateTrigger(Box::new(self.create_trigger(p)?)),
            Rule::drop_trigger => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropTrigger { name: last_qname(p), if_exists }
            }
            Rule::checkpoint_stmt => Statement::Checkpoint,
            Rule::reindex_stmt => Statement::Reindex(p.into_inner().find(|q| q.as_rule() == Rule::qname).map(qname)),
            Rule::create_namespace => {
                let if_not_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_not_exists);
                Statement::CreateNamespace { name: last_ident(p), if_not_exists }
            }
            Rule::drop_namespace => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropNamespace { name: last_ident(p), if_exists }
            }
            Rule::use_stmt => Statement::Use(last_ident(p)),
            Rule::backup_stmt => {
                let path = p.into_inner().find(|q| q.as_rule() == Rule::string).expect("BACKUP TO names a directory");
                Statement::Backup(unquote_string(path.as_str()))
            }
            Rule::alter_table => {
                let mut inner = p.into_inner().filter(|q| !matches!(q.as_rule(), Rule::K_ALTER | Rule::K_TABLE));
                let table = qname(inner.next().expect("ALTER TABLE names a table"));
                let action = inner.next().expect("ALTER TABLE has an action");
                let names: Vec<String> = action
                    .clone()
                    .into_inner()
                    .filter(|q| q.as_rule() == Rule::ident)
                    .map(|q| unquote_ident(q.as_str()))
                    .collect();
                let action = match action.as_rule() {
                    Rule::add_column => {
                        let def = action.into_inner().find(|q| q.as_rule() == Rule::column_def);
                        AlterAction::AddColumn(self.column_def(def.expect("ADD COLUMN defines a column"))?)
                    }
                    Rule::rename_column => AlterAction::RenameColumn { from: names[0].clone(), to: names[1].clone() },
                    Rule::rename_table => AlterAction::RenameTable(names[0].clone()),
                    _ => AlterAction::DropColumn(names[0].clone()),
                };
                Statement::AlterTable { table, action }
            }
            Rule::begin_stmt => {
                let level = p.into_inner().find(|q| q.as_rule() == Rule::isolation);
                let serializable = level.is_some_and(|l| l.as_str().eq_ignore_ascii_case("serializable"));
                Statement::Begin { serializable }
            }
            Rule::commit_stmt => Statement::Commit,
            Rule::rollback_stmt => match p.into_inner().find(|q| q.as_rule() == Rule::ident) {
                Some(name) => Statement::RollbackTo(unquote_ident(name.as_str())),
                None => Statement::Rollback,
            },
            Rule::savepoint_stmt => Statement::Savepoint(last_ident(p)),
            Rule::release_stmt => Statement::Release(last_ident(p)),
            Rule::create_snapshot => Statement::CreateSnapshot(last_ident(p)),
            Rule::restore_snapshot => Statement::RestoreSnapshot(last_ident(p)),
            Rule::drop_snapshot => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropSnapshot { name: last_ident(p), if_exists }
            }
            Rule::diff_stmt => {
                let mut refs = p.into_inner().filter(|q| q.as_rule() == Rule::version_ref).map(version_ref);
                let a = refs.next().expect("DIFF has a first side")?;
                let b = refs.next().expect("DIFF has a second side")?;
                Statement::Diff(a, b)
            }
            r => unreachable!("grammar rule {r:?} is not a statement"),
        })
    }

    fn select(&self, p: Pair<Rule>) -> Result<Select> {
        let mut select = Select::default();
        let mut op = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::select_core => match op.take() {
                    None => self.select_core(q, &mut select)?,
                    Some(op) => {
                        let mut arm = Select::default();
                        self.select_core(q, &mut arm)?;
                        select.compound.push((op, arm));
                    }
                },
                Rule::compound_op => {
                    op = Some(match q.into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::union_all) => SetOp::UnionAll,
                        Some(Rule::K_INTERSECT) => SetOp::Intersect,
                        Some(Rule::K_EXCEPT) => SetOp::Except,
                        _ => SetOp::Union,
                    })
                }
                Rule::order_by => {
                    for item in q.into_inner().filter(|i| i.as_rule() == Rule::order_item) {
                        select.order_by.push(self.order_item(item)?);
                    }
                }
                Rule::limit_clause => {
                    let mut inner = q.into_inner().filter(|i| i.as_rule() != Rule::K_LIMIT);
                    let first = self.expr(inner.next().expect("LIMIT has an expression"))?;
                    match inner.next() {
                        Some(rest) if rest.as_rule() == Rule::limit_comma => {
                            select.offset = Some(first);
                            select.limit = Some(self.last_expr(rest)?);
                        }
                        Some(rest) => {
                            select.limit = Some(first);
                            select.offset = Some(self.last_expr(rest)?);
                        }
                        None => select.limit = Some(first),
                    }
                }
                _ => {}
            }
        }
        Ok(select)
    }

    /// A FROM term; a parenthesised join is flattened into the joins around it.
    fn parse_from_term(&self, p: Pair<Rule>) -> Result<FromTerm> {
        let mut parts = p.into_inner();
        let first = parts.next().expect("a FROM term starts with a table");
        let mut term = if first.as_rule() == Rule::paren_join {
            let inner = first.into_inner().find(|q| q.as_rule() == Rule::from_term).expect("a parenthesised join");
            self.parse_from_term(inner)?
        } else {
            FromTerm { table: table_ref(self, first)?, joins: Vec::new() }
        };
        for j in parts {
            term.joins.push(self.join_clause(j)?);
        }
        Ok(term)
    }

    fn join_clause(&self, p: Pair<Rule>) -> Result<JoinClause> {
        let mut join = JoinClause {
            kind: JoinKind::Inner,
            natural: false,
            table: TableRef::default(),
            on: None,
            using: Vec::new(),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::join_op => {
                    for k in q.into_inner() {
                        match k.as_rule() {
                            Rule::natural => join.natural = true,
                            Rule::left_join => join.kind = JoinKind::Left,
                            Rule::K_CROSS => join.kind = JoinKind::Cross,
                            _ => {}
                        }
                    }
                }
                Rule::table_ref => join.table = table_ref(self, q)?,
                Rule::join_constraint => {
                    for k in q.into_inner() {
                        match k.as_rule() {
                            Rule::expr => join.on = Some(self.expr(k)?),
                            Rule::ident => join.using.push(unquote_ident(k.as_str())),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(join)
    }

    /// The last `expr` child of a pair.
    fn last_expr(&self, p: Pair<Rule>) -> Result<Expr> {
        let e = p.into_inner().filter(|i| i.as_rule() == Rule::expr).last();
        self.expr(e.expect("clause holds an expression"))
    }

    fn select_core(&self, p: Pair<Rule>, select: &mut Select) -> Result<()> {
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::distinct => select.distinct = q.as_str().eq_ignore_ascii_case("distinct"),
                Rule::result_cols => {
                    for col in q.into_inner() {
                        select.columns.push(self.result_col(col)?);
                    }
                }
                Rule::from_clause => {
                    for term in q.into_inner().filter(|i| i.as_rule() == Rule::from_term) {
                        select.from.push(self.parse_from_term(term)?);
                    }
                }
                Rule::where_clause => select.filter = Some(self.last_expr(q)?),
                Rule::group_by => {
                    let list = q.into_inner().find(|i| i.as_rule() == Rule::expr_list);
                    select.group_by = self.expr_list(list.expect("GROUP BY list"))?;
                }
                Rule::having => select.having = Some(self.last_expr(q)?),
                _ => {}
            }
        }
        Ok(())
    }

    fn result_col(&self, p: Pair<Rule>) -> Result<SelectItem> {
        let mut inner = p.into_inner();
        let first = inner.next().expect("a result column has content");
        Ok(match first.as_rule() {
            Rule::star => SelectItem::Wildcard,
            Rule::table_star => {
                let name = first.into_inner().next().expect("table name before .*");
                SelectItem::TableWildcard(unquote_ident(name.as_str()))
            }
            _ => SelectItem::Expr {
                text: first.as_str().trim().to_string(),
                expr: self.expr(first)?,
                alias: inner.next().map(alias_name),
            },
        })
    }

    fn order_item(&self, p: Pair<Rule>) -> Result<OrderItem> {
        let mut item = OrderItem { expr: Expr::Literal(Value::Null), desc: false, nulls_first: None };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::expr => item.expr = self.expr(q)?,
                Rule::order_dir => item.desc = q.as_str().eq_ignore_ascii_case("desc"),
                Rule::nulls_order => item.nulls_first = Some(q.into_inner().any(|k| k.as_rule() == Rule::K_FIRST)),
                _ => {}
            }
        }
        Ok(item)
    }

    fn create_trigger(&self, p: Pair<Rule>) -> Result<CreateTrigger> {
        let offset = p.as_span().start();
        let mut names = Vec::new();
        let mut trigger = CreateTrigger {
            name: String::new(),
            if_not_exists: false,
            timing: TriggerTiming::Before,
            event: TriggerEvent::Insert,
            table: String::new(),
            when: None,
            body: Vec::new(),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::if_not_exists => trigger.if_not_exists = true,
                Rule::qname => names.push(qname(q)),
                Rule::trigger_time => {
                    trigger.timing = match q.into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::K_AFTER) => TriggerTiming::After,
                        Some(Rule::K_INSTEAD) => TriggerTiming::InsteadOf,
                        _ => TriggerTiming::Before,
                    }
                }
                Rule::trigger_event => {
                    let mut inner = q.into_inner();
                    trigger.event = match inner.next().map(|k| k.as_rule()) {
                        Some(Rule::K_INSERT) => TriggerEvent::Insert,
                        Some(Rule::K_DELETE) => TriggerEvent::Delete,
                        _ => TriggerEvent::Update(
                            inner.filter(|i| i.as_rule() == Rule::ident).map(|i| unquote_ident(i.as_str())).collect(),
                        ),
                    }
                }
                Rule::trigger_when => trigger.when = Some(self.last_expr(q)?),
                Rule::select_stmt | Rule::insert_stmt | Rule::update_stmt | Rule::delete_stmt => {
                    trigger.body.push(self.statement(q)?)
                }
                _ => {}
            }
        }
        if self.next_param.get() > 0 {
            return Err(ErrorKind::Parse { message: "a trigger cannot take parameters".into(), offset }.into());
        }
        trigger.table = names.pop().expect("CREATE TRIGGER names a table");
        trigger.name = names.pop().expect("CREATE TRIGGER names the trigger");
        Ok(trigger)
    }

    fn insert(&self, p: Pair<Rule>) -> Result<Insert> {
        let mut table = String::new();
        let mut columns = None;
        let mut source = InsertSource::DefaultValues;
        let mut replace = false;
        let mut ttl = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::or_replace | Rule::replace => replace = true,
                Rule::qname => table = qname(q),
                Rule::with_ttl => ttl = Some(with_ttl(q)),
                Rule::column_list => columns = Some(idents(q)),
                Rule::values_clause => {
                    let mut rows = Vec::new();
                    for row in q.into_inner().filter(|r| r.as_rule() == Rule::values_row) {
                        let list = row.into_inner().next().expect("a VALUES row has a list");
                        rows.push(self.expr_list(list)?);
                    }
                    source = InsertSource::Values(rows);
                }
                Rule::select_stmt => source = InsertSource::Select(Box::new(self.select(q)?)),
                Rule::default_values => source = InsertSource::DefaultValues,
                _ => {}
            }
        }
        Ok(Insert { replace, table, columns, source, ttl })
    }

    fn update(&self, p: Pair<Rule>) -> Result<Update> {
        let mut update = Update { table: String::new(), assignments: Vec::new(), filter: None, ttl: None };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::qname => update.table = qname(q),
                Rule::with_ttl => update.ttl = Some(with_ttl(q)),
                Rule::assignment => {
                    let mut inner = q.into_inner();
                    let col = unquote_ident(inner.next().expect("assigned column").as_str());
                    let value = self.expr(inner.next().expect("assigned value"))?;
                    update.assignments.push((col, value));
                }
                Rule::where_clause => update.filter = Some(self.last_expr(q)?),
                _ => {}
            }
        }
        Ok(update)
    }

    fn delete(&self, p: Pair<Rule>) -> Result<Delete> {
        let mut delete = Delete { table: String::new(), filter: None };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::qname => delete.table = qname(q),
                Rule::where_clause => delete.filter = Some(self.last_expr(q)?),
                _ => {}
            }
        }
        Ok(delete)
    }

    fn create_table(&self, p: Pair<Rule>) -> Result<CreateTable> {
        let mut ct = CreateTable {
            name: String::new(),
            if_not_exists: false,
            columns: Vec::new(),
            constraints: Vec::new(),
            options: Vec::new(),
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::if_not_exists => ct.if_not_exists = true,
                Rule::qname => ct.name = qname(q),
                Rule::table_options => {
                    for option in q.into_inner().filter(|o| o.as_rule() == Rule::table_option) {
                        let mut parts = option.into_inner();
                        let name = unquote_ident(parts.next().expect("an option has a name").as_str());
                        let value = parts.next().expect("an option has a value");
                        let value = match value.as_rule() {
                            Rule::string => Value::text(&unquote_string(value.as_str())),
                            _ => parse_number(value.as_str().trim_start_matches('+'), value.as_span().start())?,
                        };
                        ct.options.push((name.to_ascii_lowercase(), value));
                    }
                }
                Rule::column_def => ct.columns.push(self.column_def(q)?),
                Rule::table_constraint => ct.constraints.push(self.table_constraint(q)?),
                _ => {}
            }
        }
        Ok(ct)
    }

    fn column_def(&self, p: Pair<Rule>) -> Result<ColumnDef> {
        let mut def = ColumnDef { name: String::new(), type_name: String::new(), constraints: vec![] };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::ident => def.name = unquote_ident(q.as_str()),
                Rule::type_name => def.type_name = type_name_text(q),
                Rule::primary_key => def.constraints.push(ColumnConstraint::PrimaryKey),
                Rule::not_null => def.constraints.push(ColumnConstraint::NotNull),
                Rule::null_ok => def.constraints.push(ColumnConstraint::Null),
                Rule::unique => def.constraints.push(ColumnConstraint::Unique),
                Rule::default => {
                    let value = q.into_inner().last().expect("DEFAULT has a value");
                    def.constraints.push(ColumnConstraint::Default(self.default_value(value)?));
                }
                Rule::check => def.constraints.push(ColumnConstraint::Check(self.last_expr(q)?)),
                Rule::references => def.constraints.push(ColumnConstraint::References(references(q, Vec::new()))),
                _ => {}
            }
        }
        Ok(def)
    }

    fn default_value(&self, p: Pair<Rule>) -> Result<Expr> {
        match p.as_rule() {
            Rule::signed_number => {
                let text = p.as_str();
                let (neg, digits) = match text.as_bytes()[0] {
                    b'-' => (true, &text[1..]),
                    b'+' => (false, &text[1..]),
                    _ => (false, text),
                };
                if neg && digits == MIN_DIGITS {
                    return Ok(Expr::Literal(Value::Integer(i64::MIN)));
                }
                let v = parse_number(digits, p.as_span().start())?;
                let lit = Expr::Literal(v);
                Ok(if neg { Expr::Unary { op: UnaryOp::Neg, expr: Box::new(lit) } } else { lit })
            }
            _ => self.primary(p),
        }
    }

    fn table_constraint(&self, p: Pair<Rule>) -> Result<TableConstraint> {
        let body = p.into_inner().last().expect("a table constraint has a body");
        Ok(match body.as_rule() {
            Rule::table_pk => TableConstraint::PrimaryKey(idents(body.into_inner().last().expect("columns"))),
            Rule::table_unique => TableConstraint::Unique(idents(body.into_inner().last().expect("columns"))),
            Rule::table_fk => {
                let mut parts =
                    body.into_inner().filter(|q| matches!(q.as_rule(), Rule::column_list | Rule::references));
                let columns = idents(parts.next().expect("FOREIGN KEY lists its columns"));
                TableConstraint::ForeignKey(references(parts.next().expect("FOREIGN KEY has REFERENCES"), columns))
            }
            _ => TableConstraint::Check(self.last_expr(body)?),
        })
    }

    fn expr_list(&self, p: Pair<Rule>) -> Result<Vec<Expr>> {
        p.into_inner().map(|e| self.expr(e)).collect()
    }

    fn expr(&self, p: Pair<Rule>) -> Result<Expr> {
        self.fold(p.into_inner())
    }

    fn fold(&self, pairs: Pairs<Rule>) -> Result<Expr> {
        PRATT
            .map_primary(|p| self.primary(p))
            .map_prefix(|op, rhs| {
                let rhs = rhs?;
                if op.as_rule() == Rule::op_neg && negates_to_min(&op, &rhs) {
                    return Ok(Expr::Literal(Value::Integer(i64::MIN)));
                }
                let op = match op.as_rule() {
                    Rule::op_not => UnaryOp::Not,
                    Rule::op_neg => UnaryOp::Neg,
                    Rule::op_pos => UnaryOp::Plus,
                    _ => UnaryOp::BitNot,
                };
                Ok(Expr::Unary { op, expr: Box::new(rhs) })
            })
            .map_infix(|lhs, op, rhs| {
                let op = binary_op(op.as_rule());
                Ok(Expr::Binary { op, left: Box::new(lhs?), right: Box::new(rhs?) })
            })
            .map_postfix(|lhs, op| self.postfix(lhs?, op))
            .parse(pairs)
    }

    fn postfix(&self, lhs: Expr, op: Pair<Rule>) -> Result<Expr> {
        let expr = Box::new(lhs);
        Ok(match op.as_rule() {
            Rule::op_isnull => Expr::IsNull { expr, negated: false },
            Rule::op_notnull => Expr::IsNull { expr, negated: true },
            Rule::op_between => {
                let mut negated = false;
                let mut bounds = Vec::new();
                for q in op.into_inner() {
                    match q.as_rule() {
                        Rule::negated => negated = true,
                        Rule::bound => bounds.push(self.fold(q.into_inner())?),
                        _ => {}
                    }
                }
                let high = Box::new(bounds.pop().expect("BETWEEN has a high bound"));
                let low = Box::new(bounds.pop().expect("BETWEEN has a low bound"));
                Expr::Between { expr, low, high, negated }
            }
            _ => {
                let mut negated = false;
                let mut list = Vec::new();
                let mut query = None;
                for q in op.into_inner() {
                    match q.as_rule() {
                        Rule::negated => negated = true,
                        Rule::expr_list => list = self.expr_list(q)?,
                        Rule::select_stmt => query = Some(Box::new(self.select(q)?)),
                        // `x IN t`: the values of a one-column table.
                        Rule::in_table => {
                            let name = qname(q.into_inner().next().expect("IN names a table"));
                            let table = TableRef { name, ..TableRef::default() };
                            let from = vec![FromTerm { table, joins: Vec::new() }];
                            query = Some(Box::new(Select {
                                columns: vec![SelectItem::Wildcard],
                                from,
                                ..Select::default()
                            }));
                        }
                        _ => {}
                    }
                }
                match query {
                    Some(query) => Expr::InSelect { expr, query, negated },
                    None => Expr::InList { expr, list, negated },
                }
            }
        })
    }

    fn primary(&self, p: Pair<Rule>) -> Result<Expr> {
        let offset = p.as_span().start();
        Ok(match p.as_rule() {
            Rule::literal | Rule::blob_literal | Rule::plain_literal => {
                let lit = p.into_inner().next().expect("a literal has a kind");
                Expr::Literal(match lit.as_rule() {
                    Rule::number => parse_number(lit.as_str(), offset)?,
                    Rule::string => Value::text(&unquote_string(lit.as_str())),
                    Rule::blob => parse_blob(lit.as_str(), offset)?,
                    Rule::true_lit => Value::Boolean(true),
                    Rule::false_lit => Value::Boolean(false),
                    _ => Value::Null,
                })
            }
            Rule::param => Expr::Param(self.param(p.as_str(), offset)?),
            Rule::paren_expr => self.expr(p.into_inner().next().expect("parenthesised expr"))?,
            Rule::subquery => Expr::Subquery(Box::new(self.select(p.into_inner().next().expect("a subquery"))?)),
            Rule::exists_expr => {
                let q = p.into_inner().find(|q| q.as_rule() == Rule::select_stmt).expect("EXISTS has a query");
                Expr::Exists(Box::new(self.select(q)?))
            }
            Rule::name_ref => {
                let mut inner = p.into_inner();
                let first = inner.next().expect("a name reference starts with a name");
                match inner.next() {
                    Some(call) if call.as_rule() == Rule::call_args => {
                        self.function_parts(first, call.into_inner().find(|q| q.as_rule() == Rule::func_args))?
                    }
                    Some(column) => Expr::Column {
                        table: Some(unquote_ident(first.as_str())),
                        name: unquote_ident(column.as_str()),
                    },
                    None => Expr::Column { table: None, name: unquote_ident(first.as_str()) },
                }
            }
            Rule::cast_expr => {
                let mut expr = None;
                let mut type_name = String::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::expr => expr = Some(self.expr(q)?),
                        Rule::type_name => type_name = type_name_text(q),
                        _ => {}
                    }
                }
                Expr::Cast { expr: Box::new(expr.expect("CAST has an operand")), type_name }
            }
            Rule::case_expr => self.case(p)?,
            // RAISE(…) is the function `raise` with its action as text: printed back, it
            // reads as the same call.
            Rule::raise_expr => {
                let mut args = Vec::new();
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::raise_ignore | Rule::raise_action => {
                            args.push(Expr::Literal(Value::text(&q.as_str().to_ascii_uppercase())))
                        }
                        Rule::expr => args.push(self.expr(q)?),
                        _ => {}
                    }
                }
                Expr::Function { name: "raise".to_string(), args, distinct: false, star: false }
            }
            Rule::func_call => self.function(p)?,
            r => unreachable!("grammar rule {r:?} is not a primary expression"),
        })
    }

    fn param(&self, text: &str, offset: usize) -> Result<usize> {
        let digits = text.trim_start_matches(['?', '$']);
        let n = if digits.is_empty() {
            self.next_param.get() + 1
        } else {
            match digits.parse::<usize>() {
                Ok(n) if (1..=999).contains(&n) => n,
                _ => {
                    let message = format!("parameter number must be between 1 and 999: {text}");
                    return Err(ErrorKind::Parse { message, offset }.into());
                }
            }
        };
        self.next_param.set(self.next_param.get().max(n));
        Ok(n)
    }

    fn case(&self, p: Pair<Rule>) -> Result<Expr> {
        let mut operand = None;
        let mut whens = Vec::new();
        let mut else_ = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::case_operand => operand = Some(Box::new(self.last_expr(q)?)),
                Rule::case_when => {
                    let mut parts = q.into_inner().filter(|i| i.as_rule() == Rule::expr);
                    let w = self.expr(parts.next().expect("WHEN condition"))?;
                    let t = self.expr(parts.next().expect("THEN result"))?;
                    whens.push((w, t));
                }
                Rule::case_else => else_ = Some(Box::new(self.last_expr(q)?)),
                _ => {}
            }
        }
        Ok(Expr::Case { operand, whens, else_ })
    }

    fn function(&self, p: Pair<Rule>) -> Result<Expr> {
        let mut inner = p.into_inner();
        let name = inner.next().expect("function name");
        self.function_parts(name, inner.find(|q| q.as_rule() == Rule::func_args))
    }

    /// A call from its name and its arguments (none for `f()`).
    fn function_parts(&self, name: Pair<Rule>, args: Option<Pair<Rule>>) -> Result<Expr> {
        let name = unquote_ident(name.as_str());
        let mut f = Expr::Function { name, args: vec![], distinct: false, star: false };
        if let (Some(args), Expr::Function { args: a, distinct, star, .. }) = (args, &mut f) {
            for q in args.into_inner() {
                match q.as_rule() {
                    Rule::star => *star = true,
                    Rule::distinct => *distinct = q.as_str().eq_ignore_ascii_case("distinct"),
                    Rule::expr_list => *a = self.expr_list(q)?,
                    _ => {}
                }
            }
        }
        Ok(f)
    }
}

fn references(p: Pair<Rule>, columns: Vec<String>) -> ForeignKeyDef {
    let mut fk = ForeignKeyDef {
        columns,
        parent: String::new(),
        parent_columns: Vec::new(),
        on_delete: FkAction::Restrict,
        on_update: FkAction::Restrict,
    };
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::qname => fk.parent = qname(q),
            Rule::column_list => fk.parent_columns = idents(q),
            Rule::fk_action => {
                let on_delete = q.clone().into_inner().any(|k| k.as_rule() == Rule::K_DELETE);
                let effect = q.into_inner().find(|k| k.as_rule() == Rule::fk_effect).expect("an action has an effect");
                let action = match effect.into_inner().next().map(|k| k.as_rule()) {
                    Some(Rule::K_CASCADE) => FkAction::Cascade,
                    Some(Rule::K_SET) => FkAction::SetNull,
                    _ => FkAction::Restrict,
                };
                if on_delete {
                    fk.on_delete = action;
                } else {
                    fk.on_update = action;
                }
            }
            _ => {}
        }
    }
    fk
}

/// A possibly qualified name, `n.t` or `t`, as one string.
fn qname(p: Pair<Rule>) -> String {
    let parts: Vec<String> = p.into_inner().map(|i| unquote_ident(i.as_str())).collect();
    parts.join(".")
}

fn last_qname(p: Pair<Rule>) -> String {
    qname(p.into_inner().filter(|q| q.as_rule() == Rule::qname).last().expect("the statement names something"))
}

/// `WITH TTL 'interval'` or `WITH TTL NULL`.
fn with_ttl(p: Pair<Rule>) -> Option<String> {
    p.into_inner().find(|q| q.as_rule() == Rule::string).map(|s| unquote_string(s.as_str()))
}

fn last_ident(p: Pair<Rule>) -> String {
    let name = p.into_inner().filter(|q| q.as_rule() == Rule::ident).last();
    unquote_ident(name.expect("the statement names something").as_str())
}

fn version_number(p: &Pair<Rule>) -> Result<u64> {
    p.as_str().parse().map_err(|_| {
        ErrorKind::Parse { message: format!("version number too large: {}", p.as_str()), offset: p.as_span().start() }
            .into()
    })
}

fn as_of(p: Pair<Rule>) -> Result<AsOf> {
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::version_number => return Ok(AsOf::Version(version_number(&q)?)),
            Rule::ident => return Ok(AsOf::Snapshot(unquote_ident(q.as_str()))),
            _ => {}
        }
    }
    unreachable!("AS OF names a version or a snapshot")
}

fn version_ref(p: Pair<Rule>) -> Result<AsOf> {
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::K_HEAD => return Ok(AsOf::Head),
            Rule::version_number => return Ok(AsOf::Version(version_number(&q)?)),
            Rule::ident => return Ok(AsOf::Snapshot(unquote_ident(q.as_str()))),
            _ => {}
        }
    }
    unreachable!("a version reference is HEAD, a number or a name")
}

fn table_ref(parser: &Builder, p: Pair<Rule>) -> Result<TableRef> {
    let mut parts = p.into_inner();
    let first = parts.next().expect("a table reference starts with a name or a subquery");
    let mut table = TableRef::default();
    match first.as_rule() {
        Rule::derived => {
            let q = first.into_inner().find(|q| q.as_rule() == Rule::select_stmt).expect("a derived table has a query");
            table.subquery = Some(Box::new(parser.select(q)?));
        }
        Rule::table_func => {
            let mut inner = first.into_inner();
            table.name = unquote_ident(inner.next().expect("a table function has a name").as_str());
            let args = match inner.next() {
                Some(list) if list.as_rule() == Rule::expr_list => parser.expr_list(list)?,
                _ => Vec::new(),
            };
            table.function = Some(args);
        }
        _ => table.name = qname(first),
    }
    for q in parts {
        match q.as_rule() {
            Rule::as_of => table.as_of = Some(as_of(q)?),
            // Index hints only steer SQLite's planner; AmberDB's choice stands.
            Rule::index_hint => {}
            _ => table.alias = Some(alias_name(q)),
        }
    }
    Ok(table)
}

fn alias_name(p: Pair<Rule>) -> String {
    let inner = p.into_inner().filter(|i| i.as_rule() != Rule::K_AS).last();
    let text = inner.as_ref().map(|i| i.as_str()).unwrap_or("");
    match inner.map(|i| i.as_rule()) {
        Some(Rule::string) => unquote_string(text),
        _ => unquote_ident(text),
    }
}

fn idents(p: Pair<Rule>) -> Vec<String> {
    p.into_inner().filter(|i| i.as_rule() == Rule::ident).map(|i| unquote_ident(i.as_str())).collect()
}

/// A declared type with its words joined by single spaces: `VARCHAR(20)`, `DOUBLE PRECISION`.
fn type_name_text(p: Pair<Rule>) -> String {
    let mut words = Vec::new();
    let mut args = Vec::new();
    for q in p.into_inner() {
        match q.as_rule() {
            Rule::type_word => words.push(q.as_str().to_ascii_uppercase()),
            Rule::signed_number => args.push(q.as_str().to_string()),
            _ => {}
        }
    }
    let mut s = words.join(" ");
    if !args.is_empty() {
        s.push_str(&format!("({})", args.join(",")));
    }
    s
}

fn binary_op(rule: Rule) -> BinaryOp {
    match rule {
        Rule::op_or => BinaryOp::Or,
        Rule::op_and => BinaryOp::And,
        Rule::op_eq => BinaryOp::Eq,
        Rule::op_ne => BinaryOp::NotEq,
        Rule::op_lt => BinaryOp::Lt,
        Rule::op_le => BinaryOp::LtEq,
        Rule::op_gt => BinaryOp::Gt,
        Rule::op_ge => BinaryOp::GtEq,
        Rule::op_is | Rule::op_is_not_distinct => BinaryOp::Is,
        Rule::op_is_not | Rule::op_is_distinct => BinaryOp::IsNot,
        Rule::op_like => BinaryOp::Like,
        Rule::op_not_like => BinaryOp::NotLike,
        Rule::op_concat => BinaryOp::Concat,
        Rule::op_add => BinaryOp::Add,
        Rule::op_sub => BinaryOp::Sub,
        Rule::op_mul => BinaryOp::Mul,
        Rule::op_div => BinaryOp::Div,
        Rule::op_mod => BinaryOp::Mod,
        Rule::op_bitand => BinaryOp::BitAnd,
        Rule::op_bitor => BinaryOp::BitOr,
        Rule::op_shl => BinaryOp::ShiftLeft,
        Rule::op_shr => BinaryOp::ShiftRight,
        r => unreachable!("grammar rule {r:?} is not a binary operator"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> String {
        parse_expr(s).unwrap().to_string()
    }

    #[test]
    fn precedence_follows_sqlite() {
        assert_eq!(e("1 + 2 * 3"), "(1 + (2 * 3))");
        assert_eq!(e("a OR b AND NOT c = 1"), "(a OR (b AND (NOT (c = 1))))");
        assert_eq!(e("x BETWEEN 1 AND 2 AND y"), "((x BETWEEN 1 AND 2) AND y)");
        assert_eq!(e("-a || b"), "((- a) || b)");
        assert_eq!(e("a NOT IN (1, 2)"), "(a NOT IN (1, 2))");
        assert_eq!(e("a IS NOT DISTINCT FROM b"), "(a IS b)");
        assert_eq!(e("a NOT NULL"), "(a NOTNULL)");
        assert_eq!(e("a < b = c"), "((a < b) = c)");
        assert_eq!(e("'it''s'"), "'it''s'");
    }

    #[test]
    fn errors_after_multibyte_words_name_them() {
        let err = parse("SELECT ✓é FROM").unwrap_err();
        assert!(err.to_string().contains("found"), "{err}");
        let err = parse("SELECT 1 -- ü\nFROM WHERE").unwrap_err();
        assert!(err.to_string().contains("after `FROM`"), "{err}");
        let err = parse("SELECT xü ü").unwrap_err();
        assert!(err.to_string().ends_with("after `x`, found `ü`"), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let deep = format!("SELECT {}1{}", "(".repeat(5000), ")".repeat(5000));
        assert!(parse(&deep).unwrap_err().to_string().contains("nested too deeply"));
        let long = format!("SELECT {}", vec!["1"; 20_000].join(" + "));
        assert!(parse(&long).unwrap_err().to_string().contains("expression too long"));
        let minus = format!("SELECT {}1", "- ".repeat(20_000));
        assert!(parse(&minus).is_err());
        let many_rows = format!("INSERT INTO t VALUES {}", vec!["(-1, -2, 'a-b')"; 10_000].join(", "));
        assert!(parse(&many_rows).is_ok());
    }

    #[test]
    fn parameters_number_in_order() {
        assert_eq!(e("? + ?3 + ? + $1"), "(((?1 + ?3) + ?4) + ?1)");
    }

    #[test]
    fn syntax_errors_say_what_was_expected() {
        let err = parse("SELECT * FROM t WHERE").unwrap_err();
        assert_eq!(err.to_string(), "expected an expression after `WHERE`, found the end of the statement");
        let err = parse("SELEC 1").unwrap_err();
        assert!(err.to_string().starts_with("expected a statement"), "{err}");
    }

    #[test]
    fn statements_parse() {
        for sql in [
            "CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name VARCHAR(20) NOT NULL DEFAULT 'x', score REAL CHECK (score >= 0), UNIQUE (name))",
            "INSERT INTO t (a, b) VALUES (1, 'x'), (2, NULL)",
            "INSERT INTO t SELECT * FROM u",
            "UPDATE t SET a = a + 1, b = 'y' WHERE a > 3",
            "DELETE FROM t WHERE a IS NULL",
            "SELECT DISTINCT a AS x, count(*) FROM t GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC LIMIT 5 OFFSET 1",
            "DROP TABLE IF EXISTS t",
            "select t.*, \"weird name\" from t as tt",
        ] {
            parse(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}
