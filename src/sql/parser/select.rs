//! Queries: compound selects, FROM terms and joins, result columns, ORDER BY.

use pest::iterators::Pair;

use super::*;
use crate::error::Result;

impl Builder {
    /// `LIMIT n [OFFSET m]` or `LIMIT m, n`: the limit and the offset.
    pub(super) fn limit(&self, p: Pair<Rule>) -> Result<(Option<Expr>, Option<Expr>)> {
        let mut inner = p.into_inner().filter(|i| i.as_rule() != Rule::K_LIMIT);
        let first = self.expr(inner.next().expect("LIMIT has an expression"))?;
        Ok(match inner.next() {
            Some(rest) if rest.as_rule() == Rule::limit_comma => (Some(self.last_expr(rest)?), Some(first)),
            Some(rest) => (Some(first), Some(self.last_expr(rest)?)),
            None => (Some(first), None),
        })
    }

    pub(super) fn select(&self, p: Pair<Rule>) -> Result<Select> {
        let mut select = Select::default();
        let mut op = None;
        let mut first = true;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::with_clause => select.with = Some(Box::new(self.with_clause(q)?)),
                Rule::select_core if first => {
                    first = false;
                    self.select_core(q, &mut select)?
                }
                Rule::select_core => {
                    let mut arm = Select::default();
                    self.select_core(q, &mut arm)?;
                    select.compound.push((op.take().unwrap_or(SetOp::Union), arm));
                }
                // VALUES is a SELECT per row, joined by UNION ALL; the first names the
                // columns column1, column2, ….
                Rule::values_core => {
                    let mut rows = Vec::new();
                    for row in q.into_inner().filter(|r| r.as_rule() == Rule::values_row) {
                        let list = row.into_inner().next().expect("a VALUES row has a list");
                        rows.push(self.expr_list(list)?);
                    }
                    for (k, row) in rows.into_iter().enumerate() {
                        let columns = row
                            .into_iter()
                            .enumerate()
                            .map(|(i, expr)| SelectItem::Expr {
                                text: expr.to_string(),
                                expr,
                                alias: Some(format!("column{}", i + 1)),
                            })
                            .collect();
                        let arm = Select { columns, ..Select::default() };
                        if first {
                            first = false;
                            let with = select.with.take();
                            select = Select { with, ..arm };
                        } else if k == 0 {
                            select.compound.push((op.take().unwrap_or(SetOp::Union), arm));
                        } else {
                            select.compound.push((SetOp::UnionAll, arm));
                        }
                    }
                }
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
                Rule::limit_clause => (select.limit, select.offset) = self.limit(q)?,
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
                Rule::window_clause => {
                    for def in q.into_inner().filter(|i| i.as_rule() == Rule::window_def) {
                        let mut inner = def.into_inner().filter(|i| i.as_rule() != Rule::K_AS);
                        let name = unquote_ident(inner.next().expect("a window has a name").as_str());
                        let spec = self.window_spec(inner.next().expect("a window has a definition"))?;
                        select.windows.push((name, spec));
                    }
                }
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

impl Builder {
    pub(super) fn with_clause(&self, p: Pair<Rule>) -> Result<With> {
        let mut with = With::default();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::recursive => with.recursive = true,
                Rule::cte => {
                    let mut cte =
                        Cte { name: String::new(), columns: Vec::new(), materialized: None, query: Box::default() };
                    for part in q.into_inner() {
                        match part.as_rule() {
                            Rule::ident => cte.name = unquote_ident(part.as_str()),
                            Rule::column_list => cte.columns = idents(part),
                            Rule::materialized => {
                                let not = part.into_inner().any(|k| k.as_rule() == Rule::not_materialized);
                                cte.materialized = Some(!not);
                            }
                            Rule::select_stmt => cte.query = Box::new(self.select(part)?),
                            _ => {}
                        }
                    }
                    with.ctes.push(cte);
                }
                _ => {}
            }
        }
        Ok(with)
    }

    pub(super) fn window_spec(&self, p: Pair<Rule>) -> Result<WindowSpec> {
        let mut spec = WindowSpec::default();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::window_base => spec.base = Some(unquote_ident(q.as_str().trim())),
                Rule::partition_by => {
                    let list = q.into_inner().find(|i| i.as_rule() == Rule::expr_list);
                    spec.partition_by = self.expr_list(list.expect("PARTITION BY list"))?;
                }
                Rule::order_by => {
                    for item in q.into_inner().filter(|i| i.as_rule() == Rule::order_item) {
                        spec.order_by.push(self.order_item(item)?);
                    }
                }
                Rule::frame_spec => spec.frame = Some(self.frame(q)?),
                _ => {}
            }
        }
        Ok(spec)
    }

    fn frame(&self, p: Pair<Rule>) -> Result<Frame> {
        let mut units = FrameUnits::Range;
        let mut bounds = Vec::new();
        let mut exclude = FrameExclude::NoOthers;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::frame_units => {
                    units = match q.into_inner().next().map(|k| k.as_rule()) {
                        Some(Rule::K_ROWS) => FrameUnits::Rows,
                        Some(Rule::K_GROUPS) => FrameUnits::Groups,
                        _ => FrameUnits::Range,
                    }
                }
                Rule::frame_bound => {
                    let mut inner = q.into_inner();
                    let first = inner.next().expect("a frame bound has a kind");
                    bounds.push(match first.as_rule() {
                        Rule::unbounded_preceding => FrameBound::UnboundedPreceding,
                        Rule::unbounded_following => FrameBound::UnboundedFollowing,
                        Rule::current_row => FrameBound::CurrentRow,
                        _ => {
                            let e = self.fold(first.into_inner())?;
                            match inner.next().map(|k| k.as_rule()) {
                                Some(Rule::preceding) => FrameBound::Preceding(e),
                                _ => FrameBound::Following(e),
                            }
                        }
                    });
                }
                Rule::frame_exclude => {
                    exclude = match q.into_inner().find(|k| k.as_rule() != Rule::K_EXCLUDE).map(|k| k.as_rule()) {
                        Some(Rule::exclude_current_row) => FrameExclude::CurrentRow,
                        Some(Rule::K_GROUP) => FrameExclude::Group,
                        Some(Rule::K_TIES) => FrameExclude::Ties,
                        _ => FrameExclude::NoOthers,
                    }
                }
                _ => {}
            }
        }
        let mut bounds = bounds.into_iter();
        let start = bounds.next().unwrap_or(FrameBound::UnboundedPreceding);
        // A frame with one bound ends at the current row.
        let end = bounds.next().unwrap_or(FrameBound::CurrentRow);
        Ok(Frame { units, start, end, exclude })
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
            let mut inner = first.into_inner().filter(|q| q.as_rule() != Rule::func_schema);
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
            Rule::ordinality => table.ordinality = true,
            Rule::including_deleted => table.including_deleted = true,
            Rule::system_time_range => table.period = Some(super::period(q)?),
            Rule::column_names => {
                table.columns =
                    q.into_inner().filter(|c| c.as_rule() == Rule::ident).map(|c| unquote_ident(c.as_str())).collect();
            }
            // Index hints only steer SQLite's planner; AmberDB's choice stands.
            Rule::index_hint => {}
            _ => table.alias = Some(alias_name(q)),
        }
    }
    Ok(table)
}
