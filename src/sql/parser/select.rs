//! Queries: compound selects, FROM terms and joins, result columns, ORDER BY.

use pest::iterators::Pair;

use super::*;
use crate::error::Result;

impl Builder {
    pub(super) fn select(&self, p: Pair<Rule>) -> Result<Select> {
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
    pub(super) fn parse_from_term(&self, p: Pair<Rule>) -> Result<FromTerm> {
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

    pub(super) fn join_clause(&self, p: Pair<Rule>) -> Result<JoinClause> {
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
    pub(super) fn last_expr(&self, p: Pair<Rule>) -> Result<Expr> {
        let e = p.into_inner().filter(|i| i.as_rule() == Rule::expr).last();
        self.expr(e.expect("clause holds an expression"))
    }

    pub(super) fn select_core(&self, p: Pair<Rule>, select: &mut Select) -> Result<()> {
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

    pub(super) fn result_col(&self, p: Pair<Rule>) -> Result<SelectItem> {
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

    pub(super) fn order_item(&self, p: Pair<Rule>) -> Result<OrderItem> {
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
}

pub(super) fn table_ref(parser: &Builder, p: Pair<Rule>) -> Result<TableRef> {
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
