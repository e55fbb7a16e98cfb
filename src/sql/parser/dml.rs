//! INSERT, UPDATE and DELETE.

use pest::iterators::Pair;

use super::*;

impl Builder {
    pub(super) fn insert(&self, p: Pair<Rule>) -> Result<Insert> {
        let mut table = String::new();
        let mut columns = None;
        let mut source = InsertSource::DefaultValues;
        let mut conflict = Conflict::Abort;
        let mut ttl = None;
        let mut with = None;
        let mut upserts = Vec::new();
        let mut returning = Vec::new();
        let mut alias = None;
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::with_clause => with = Some(self.with_clause(q)?),
                Rule::replace => conflict = Conflict::Replace,
                Rule::or_conflict => conflict = or_conflict(q)?,
                Rule::qname => table = qname(q),
                Rule::insert_alias => {
                    alias = Some(unquote_ident(q.into_inner().last().expect("AS names the table").as_str()))
                }
                Rule::upsert => {
                    // Only the last clause may leave out its target.
                    if upserts.last().is_some_and(|u: &Upsert| u.target.is_none() && u.target_exprs.is_empty()) {
                        let message = "only the last ON CONFLICT clause may leave out its conflict target".to_string();
                        return Err(ErrorKind::Parse { message, offset: q.as_span().start() }.into());
                    }
                    upserts.push(self.upsert(q)?)
                }
                Rule::returning => returning = self.returning(q)?,
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
        Ok(Insert { with, conflict, table, alias, columns, source, upserts, ttl, returning })
    }

    /// `ON CONFLICT [(cols) [WHERE …]] DO NOTHING | DO UPDATE SET … [WHERE …]`.
    fn upsert(&self, p: Pair<Rule>) -> Result<Upsert> {
        let mut upsert = Upsert { target: None, target_exprs: Vec::new(), target_filter: None, update: None };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::conflict_target => {
                    for t in q.into_inner() {
                        match t.as_rule() {
                            Rule::column_list => upsert.target = Some(idents(t)),
                            Rule::conflict_exprs => {
                                for e in t.into_inner().filter(|e| e.as_rule() == Rule::expr) {
                                    upsert.target_exprs.push(self.expr(e)?);
                                }
                            }
                            Rule::where_clause => upsert.target_filter = Some(self.last_expr(t)?),
                            _ => {}
                        }
                    }
                }
                Rule::upsert_update => {
                    let mut update = UpsertUpdate { assignments: Vec::new(), filter: None };
                    for t in q.into_inner() {
                        match t.as_rule() {
                            Rule::assignment => update.assignments.push(self.assignment(t)?),
                            Rule::where_clause => update.filter = Some(self.last_expr(t)?),
                            _ => {}
                        }
                    }
                    upsert.update = Some(update);
                }
                _ => {}
            }
        }
        Ok(upsert)
    }

    fn assignment(&self, p: Pair<Rule>) -> Result<(String, Expr)> {
        let mut inner = p.into_inner();
        let col = unquote_ident(inner.next().expect("assigned column").as_str());
        let value = self.expr(inner.next().expect("assigned value"))?;
        Ok((col, value))
    }

    /// `[ORDER BY …] LIMIT n [OFFSET m]` of an UPDATE or DELETE.
    fn row_limit(&self, p: Pair<Rule>) -> Result<RowLimit> {
        let mut order_by = Vec::new();
        let mut limit = (None, None);
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::order_by => {
                    for item in q.into_inner().filter(|i| i.as_rule() == Rule::order_item) {
                        order_by.push(self.order_item(item)?);
                    }
                }
                Rule::limit_clause => limit = self.limit(q)?,
                _ => {}
            }
        }
        let (Some(limit), offset) = limit else { unreachable!("row_limit has a LIMIT") };
        Ok(RowLimit { order_by, limit, offset })
    }

    /// `RETURNING item, …`.
    fn returning(&self, p: Pair<Rule>) -> Result<Vec<SelectItem>> {
        let cols = p.into_inner().find(|q| q.as_rule() == Rule::result_cols).expect("RETURNING has columns");
        cols.into_inner().map(|c| self.result_col(c)).collect()
    }

    pub(super) fn update(&self, p: Pair<Rule>) -> Result<Update> {
        let mut update = Update {
            with: None,
            conflict: Conflict::Abort,
            from: Vec::new(),
            table: String::new(),
            assignments: Vec::new(),
            filter: None,
            ttl: None,
            returning: Vec::new(),
            limit: None,
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::with_clause => update.with = Some(self.with_clause(q)?),
                Rule::or_conflict => update.conflict = or_conflict(q)?,
                Rule::qname => update.table = qname(q),
                Rule::with_ttl => update.ttl = Some(with_ttl(q)),
                Rule::assignment => update.assignments.push(self.assignment(q)?),
                Rule::where_clause => update.filter = Some(self.last_expr(q)?),
                Rule::returning => update.returning = self.returning(q)?,
                Rule::row_limit => update.limit = Some(self.row_limit(q)?),
                Rule::from_clause => {
                    for term in q.into_inner().filter(|i| i.as_rule() == Rule::from_term) {
                        update.from.push(self.parse_from_term(term)?);
                    }
                }
                _ => {}
            }
        }
        Ok(update)
    }

    pub(super) fn delete(&self, p: Pair<Rule>) -> Result<Delete> {
        let mut delete = Delete {
            with: None,
            mode: DeleteMode::Delete,
            table: String::new(),
            filter: None,
            returning: Vec::new(),
            limit: None,
        };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::K_PURGE => delete.mode = DeleteMode::Purge,
                Rule::K_UNDELETE => delete.mode = DeleteMode::Undelete,
                Rule::with_clause => delete.with = Some(self.with_clause(q)?),
                Rule::qname => delete.table = qname(q),
                Rule::where_clause => delete.filter = Some(self.last_expr(q)?),
                Rule::returning => delete.returning = self.returning(q)?,
                Rule::row_limit => delete.limit = Some(self.row_limit(q)?),
                _ => {}
            }
        }
        Ok(delete)
    }
}

/// `OR REPLACE | IGNORE | ABORT | ROLLBACK` after INSERT or UPDATE.
fn or_conflict(p: Pair<Rule>) -> Result<Conflict> {
    let word = p.into_inner().last().expect("OR names a conflict action");
    Ok(match word.as_rule() {
        Rule::K_REPLACE => Conflict::Replace,
        Rule::K_IGNORE => Conflict::Ignore,
        Rule::K_ROLLBACK => Conflict::Rollback,
        Rule::K_FAIL => Conflict::Fail,
        _ => Conflict::Abort,
    })
}

/// `WITH TTL 'interval'` or `WITH TTL NULL`.
pub(super) fn with_ttl(p: Pair<Rule>) -> Option<String> {
    p.into_inner().find(|q| q.as_rule() == Rule::string).map(|s| unquote_string(s.as_str()))
}
