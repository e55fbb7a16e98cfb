//! Which statement a parse is; the statements small enough to build here.

use pest::iterators::Pair;

use super::*;

impl Builder {
    pub(super) fn statement(&self, p: Pair<Rule>) -> Result<Statement> {
        Ok(match p.as_rule() {
            Rule::select_stmt => Statement::Select(Box::new(self.select(p)?)),
            Rule::explain_stmt => {
                // EXPLAIN QUERY PLAN is EXPLAIN: both show the plan.
                let options = p.clone().into_inner().find(|q| q.as_rule() == Rule::explain_options);
                let analyze = options.is_some() || p.clone().into_inner().any(|q| q.as_rule() == Rule::K_ANALYZE);
                let timing = !options.is_some_and(|o| o.into_inner().any(|q| q.as_rule() == Rule::timing_off));
                let inner = p.into_inner().find(|q| {
                    !matches!(
                        q.as_rule(),
                        Rule::K_EXPLAIN | Rule::K_QUERY | Rule::K_PLAN | Rule::K_ANALYZE | Rule::explain_options
                    )
                });
                let inner = inner.expect("EXPLAIN holds a statement");
                if analyze {
                    return Ok(Statement::ExplainAnalyze { statement: Box::new(self.statement(inner)?), timing });
                }
                match inner.as_rule() {
                    Rule::select_stmt => Statement::Explain(Box::new(self.select(inner)?)),
                    _ => Statement::ExplainWrite(Box::new(self.statement(inner)?)),
                }
            }
            Rule::insert_stmt => Statement::Insert(self.insert(p)?),
            Rule::update_stmt => Statement::Update(self.update(p)?),
            Rule::delete_stmt => Statement::Delete(self.delete(p)?),
            Rule::create_table => Statement::CreateTable(self.create_table(p)?),
            Rule::create_table_as => {
                let (mut name, mut if_not_exists, mut query) = (String::new(), false, None);
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::qname => name = qname(q),
                        Rule::if_not_exists => if_not_exists = true,
                        Rule::select_stmt => query = Some(Box::new(self.select(q)?)),
                        _ => {}
                    }
                }
                let query = query.expect("CREATE TABLE … AS has a query");
                Statement::CreateTableAs { name, if_not_exists, query }
            }
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
                let (mut unique, mut if_not_exists, mut predicate) = (false, false, None);
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::unique => unique = true,
                        Rule::if_not_exists => if_not_exists = true,
                        Rule::qname => names.push(qname(q)),
                        Rule::index_column => {
                            let mut parts = q.into_inner();
                            let part = self.expr(parts.next().expect("an indexed column or expression"))?;
                            let desc = parts.next().is_some_and(|d| d.as_str().eq_ignore_ascii_case("desc"));
                            columns.push((part, desc));
                        }
                        Rule::index_where => predicate = Some(self.last_expr(q)?),
                        _ => {}
                    }
                }
                let table = names.pop().expect("CREATE INDEX names a table");
                let name = names.pop().expect("CREATE INDEX names the index");
                Statement::CreateIndex { name, table, columns, unique, if_not_exists, predicate }
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
            Rule::create_matview => {
                let (mut name, mut options, mut query, mut if_not_exists) = (String::new(), Vec::new(), None, false);
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::if_not_exists => if_not_exists = true,
                        Rule::qname => name = qname(q),
                        Rule::table_options => options = super::ddl::table_options(q)?,
                        Rule::select_stmt => query = Some(Box::new(self.select(q)?)),
                        _ => {}
                    }
                }
                let query = query.expect("CREATE MATERIALIZED VIEW has a query");
                Statement::CreateMatView { name, if_not_exists, options, query }
            }
            Rule::refresh_matview => Statement::RefreshMatView { name: last_qname(p) },
            Rule::drop_matview => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropMatView { name: last_qname(p), if_exists }
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
            Rule::checkpoint_stmt => Statement::Control(Control::Checkpoint),
            Rule::reindex_stmt => Statement::Reindex(p.into_inner().find(|q| q.as_rule() == Rule::qname).map(qname)),
            Rule::create_namespace => {
                let if_not_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_not_exists);
                Statement::CreateNamespace { name: last_ident(p), if_not_exists }
            }
            Rule::drop_namespace => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropNamespace { name: last_ident(p), if_exists }
            }
            Rule::use_stmt => Statement::Control(Control::Use(last_ident(p))),
            Rule::show_stmt => Statement::Control(Control::Show(last_ident(p))),
            Rule::set_stmt => {
                let mut parts = p.into_inner().filter(|q| matches!(q.as_rule(), Rule::ident | Rule::set_value));
                let name = parts.next().map(|q| unquote_ident(q.as_str())).unwrap_or_default();
                let value = match parts.next().and_then(|v| v.into_inner().next()) {
                    Some(v) if v.as_rule() == Rule::string => Value::text(&unquote_string(v.as_str())),
                    Some(v) if v.as_rule() == Rule::signed_number => parse_number(v.as_str(), v.as_span().start())?,
                    Some(v) if v.as_rule() == Rule::K_NULL => Value::Null,
                    Some(v) => Value::text(&unquote_ident(v.as_str())),
                    None => Value::Null,
                };
                Statement::Control(Control::Set { name, value })
            }
            Rule::create_collection => {
                let if_not_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_not_exists);
                Statement::Control(Control::CreateCollection { name: last_ident(p), if_not_exists })
            }
            Rule::pragma_stmt => Statement::Select(Box::new(pragma_query(p)?)),
            Rule::backup_stmt => {
                let path = p.into_inner().find(|q| q.as_rule() == Rule::string).expect("BACKUP TO names a directory");
                Statement::Control(Control::Backup(unquote_string(path.as_str())))
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
                    Rule::set_options => AlterAction::SetOptions(super::ddl::table_options(action)?),
                    _ => AlterAction::DropColumn(names[0].clone()),
                };
                Statement::AlterTable { table, action }
            }
            Rule::begin_stmt => {
                let level = p.into_inner().find(|q| q.as_rule() == Rule::isolation);
                let serializable = level.is_some_and(|l| l.as_str().eq_ignore_ascii_case("serializable"));
                Statement::Control(Control::Begin { serializable })
            }
            Rule::commit_stmt => Statement::Control(Control::Commit),
            Rule::rollback_stmt => match p.into_inner().find(|q| q.as_rule() == Rule::ident) {
                Some(name) => Statement::Control(Control::RollbackTo(unquote_ident(name.as_str()))),
                None => Statement::Control(Control::Rollback),
            },
            Rule::savepoint_stmt => Statement::Control(Control::Savepoint(last_ident(p))),
            Rule::release_stmt => Statement::Control(Control::Release(last_ident(p))),
            Rule::create_snapshot => Statement::Control(Control::CreateSnapshot(last_ident(p))),
            Rule::create_projection => {
                let (mut names, mut category, mut rules, mut if_not_exists) =
                    (Vec::new(), String::new(), Vec::new(), false);
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::if_not_exists => if_not_exists = true,
                        Rule::qname => names.push(qname(q)),
                        Rule::string => category = unquote_string(q.as_str()),
                        Rule::projection_rule => {
                            let mut parts =
                                q.into_inner().filter(|r| r.as_rule() != Rule::K_ON && r.as_rule() != Rule::K_DO);
                            let kind = parts.next().map(|t| unquote_string(t.as_str())).unwrap_or_default();
                            let Some(write) = parts.next() else { continue };
                            rules.push((kind, self.statement(write)?));
                        }
                        _ => {}
                    }
                }
                if self.next_param.get() > 0 {
                    return Err(crate::error::Error::invalid(
                        "a projection's writes read the message as message.data, message.stream_name …, not parameters",
                    ));
                }
                let table = names.pop().unwrap_or_default();
                let name = names.pop().unwrap_or_default();
                Statement::CreateProjection { name, if_not_exists, category, table, rules }
            }
            Rule::rebuild_projection => Statement::RebuildProjection { name: last_qname(p) },
            Rule::drop_projection => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::DropProjection { name: last_qname(p), if_exists }
            }
            Rule::archive_stmt => {
                let (mut table, mut filter, mut path) = (String::new(), None, String::new());
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::qname => table = qname(q),
                        Rule::where_clause => filter = Some(self.last_expr(q)?),
                        Rule::string => path = unquote_string(q.as_str()),
                        _ => {}
                    }
                }
                Statement::Archive { table, filter, path }
            }
            Rule::restore_archive => {
                let (mut table, mut path) = (String::new(), String::new());
                for q in p.into_inner() {
                    match q.as_rule() {
                        Rule::qname => table = qname(q),
                        Rule::string => path = unquote_string(q.as_str()),
                        _ => {}
                    }
                }
                Statement::RestoreArchive { path, table }
            }
            Rule::restore_snapshot => Statement::Control(Control::RestoreSnapshot(last_ident(p))),
            Rule::drop_snapshot => {
                let if_exists = p.clone().into_inner().any(|q| q.as_rule() == Rule::if_exists);
                Statement::Control(Control::DropSnapshot { name: last_ident(p), if_exists })
            }
            Rule::diff_stmt => {
                let mut refs = p.into_inner().filter(|q| q.as_rule() == Rule::version_ref).map(version_ref);
                let a = refs.next().expect("DIFF has a first side")?;
                let b = refs.next().expect("DIFF has a second side")?;
                Statement::Control(Control::Diff(a, b))
            }
            r => unreachable!("grammar rule {r:?} is not a statement"),
        })
    }
}

/// `PRAGMA name[(arg)]` as the query it stands for: `SELECT * FROM pragma_name('arg')`.
/// Only the pragmas that read the schema exist; setting one is not supported.
fn pragma_query(p: Pair<Rule>) -> Result<Select> {
    let offset = p.as_span().start();
    let mut inner = p.into_inner().filter(|q| q.as_rule() != Rule::K_PRAGMA);
    let name = super::unquote_ident(inner.next().expect("PRAGMA names a pragma").as_str());
    let function = format!("pragma_{}", name.to_ascii_lowercase());
    if !crate::sql::catalog::is_pragma_function(&function) {
        let message = format!(
            "unknown pragma {name}: the pragmas are table_info, index_list, index_info, foreign_key_list and table_list"
        );
        return Err(ErrorKind::Parse { message, offset }.into());
    }
    let args = inner
        .next()
        .map(|a| {
            let text =
                if a.as_rule() == Rule::string { unquote_string(a.as_str()) } else { super::unquote_ident(a.as_str()) };
            Expr::Literal(Value::text(&text))
        })
        .into_iter()
        .collect();
    let table = TableRef { name: function, function: Some(args), ..TableRef::default() };
    Ok(Select {
        columns: vec![SelectItem::Wildcard],
        from: vec![FromTerm { table, joins: Vec::new() }],
        ..Select::default()
    })
}
