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
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::with_clause => with = Some(self.with_clause(q)?),
                Rule::replace => conflict = Conflict::Replace,
                Rule::or_conflict => {
                    let word = q.into_inner().last().expect("OR names a conflict action");
                    conflict = match word.as_rule() {
                        Rule::K_REPLACE => Conflict::Replace,
                        Rule::K_IGNORE => Conflict::Ignore,
                        Rule::K_FAIL => {
                            let message = "INSERT OR FAIL is not supported yet: OR ABORT (the default) changes \
                                           nothing, OR IGNORE skips the rows that break a constraint"
                                .to_string();
                            return Err(ErrorKind::Parse { message, offset: word.as_span().start() }.into());
                        }
                        Rule::K_ROLLBACK => Conflict::Rollback,
                        _ => Conflict::Abort,
                    };
                }
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
        Ok(Insert { with, conflict, table, columns, source, ttl })
    }

    pub(super) fn update(&self, p: Pair<Rule>) -> Result<Update> {
        let mut update = Update { with: None, table: String::new(), assignments: Vec::new(), filter: None, ttl: None };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::with_clause => update.with = Some(self.with_clause(q)?),
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

    pub(super) fn delete(&self, p: Pair<Rule>) -> Result<Delete> {
        let mut delete = Delete { with: None, table: String::new(), filter: None };
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::with_clause => delete.with = Some(self.with_clause(q)?),
                Rule::qname => delete.table = qname(q),
                Rule::where_clause => delete.filter = Some(self.last_expr(q)?),
                _ => {}
            }
        }
        Ok(delete)
    }
}

/// `WITH TTL 'interval'` or `WITH TTL NULL`.
pub(super) fn with_ttl(p: Pair<Rule>) -> Option<String> {
    p.into_inner().find(|q| q.as_rule() == Rule::string).map(|s| unquote_string(s.as_str()))
}
