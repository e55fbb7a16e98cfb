//! Namespaces: every table, view and index name of a statement is rewritten to the name
//! it is stored under before planning.
//!
//! Tables of `main` are stored under their own name; those of namespace `n` under
//! `n.name`. An unqualified name means the session's namespace (`USE n`); `n.t` names
//! another one, `main.t` the default one. There is no fallback: a table of one namespace
//! is invisible from another unless qualified. A table read as `n.t` keeps `t` as its
//! name in the query (`SELECT t.x FROM n.t`). Functions that read or write streams get
//! the namespace as a first, hidden argument, so their plans need no session.

use super::ast::*;
use crate::error::{Error, Result};
use crate::storage::schema::ONE_NAME;
use crate::storage::state::MAIN;
use crate::storage::{State, Value};

/// The functions that work on a namespace's message store.
pub const STREAM_FUNCTIONS: [&str; 5] =
    ["write_message", "get_stream_messages", "get_category_messages", "get_last_stream_message", "stream_version"];

/// Message DB's `message_store.messages`: every message of the namespace.
pub const MESSAGES_TABLE: &str = "message_store.messages";

pub fn is_stream_function(name: &str) -> bool {
    STREAM_FUNCTIONS.iter().any(|f| f.eq_ignore_ascii_case(name))
}

/// The functions that get the session's namespace as a first, hidden argument: the
/// stream functions and `current_schema()`.
pub fn takes_namespace(name: &str) -> bool {
    is_stream_function(name) || name.eq_ignore_ascii_case("current_schema")
}

/// The name `bare` of namespace `ns` is stored under: `t` in `main`, `n.t` elsewhere, and
/// `main.my.table` for a dotted name of `main`, so that the first dot of a stored name
/// always ends its namespace.
fn stored_in(ns: &str, bare: &str) -> String {
    if ns.eq_ignore_ascii_case(MAIN) && !bare.contains('.') {
        bare.to_string()
    } else {
        format!("{}.{bare}", ns.to_ascii_lowercase())
    }
}

struct Resolver<'a> {
    namespace: &'a str,
    state: &'a State,
    /// CTE names in scope: a FROM item naming one is not a table.
    ctes: std::cell::RefCell<Vec<String>>,
    /// For [`rename_table`]: the stored name every reference to which becomes the
    /// other; nothing else is rewritten (the statement's names are already stored).
    renaming: Option<(&'a str, &'a str)>,
    /// Whether a reference was renamed.
    renamed: std::cell::Cell<bool>,
}

/// Rewrites every reference to table `from` (a stored name) in a statement whose names
/// are stored ones (a view's or a trigger's SQL) to `to`, as `ALTER TABLE … RENAME TO`
/// does; true when there was one. A table in FROM keeps its old name as its alias, so
/// that columns qualified by it still read it.
pub fn rename_table(stmt: &mut Statement, from: &str, to: &str, state: &State) -> Result<bool> {
    let r = Resolver { renaming: Some((from, to)), ..Resolver::new(MAIN, state) };
    r.statement(stmt)?;
    Ok(r.renamed.get())
}

/// Rewrites the names in `stmt` for a session whose namespace is `namespace`.
pub fn resolve(stmt: &mut Statement, namespace: &str, state: &State) -> Result<()> {
    Resolver::new(namespace, state).statement(stmt)
}

/// The name a table, view or index is stored under, for a session in `namespace`.
pub fn stored_name(name: &str, namespace: &str, state: &State) -> Result<String> {
    Resolver::new(namespace, state).key(name)
}

impl<'a> Resolver<'a> {
    fn new(namespace: &'a str, state: &'a State) -> Resolver<'a> {
        Resolver { namespace, state, ctes: Default::default(), renaming: None, renamed: Default::default() }
    }
}

impl Resolver<'_> {
    fn key(&self, name: &str) -> Result<String> {
        if let Some((from, to)) = self.renaming {
            let stored = Resolver::new(MAIN, self.state).key(name);
            if stored.is_ok_and(|s| s.eq_ignore_ascii_case(from)) {
                self.renamed.set(true);
                return Ok(to.to_string());
            }
            return Ok(name.to_string());
        }
        // `main`'s dotted names are stored as `main.my.table`, so that the first dot of
        // a stored name always ends its namespace.
        if let Some(bare) = name.strip_prefix(ONE_NAME) {
            return Ok(stored_in(self.namespace, bare));
        }
        match name.split_once('.') {
            Some((ns, rest)) if ns.eq_ignore_ascii_case(MAIN) => Ok(stored_in(MAIN, rest)),
            Some((ns, rest)) if self.state.has_namespace(ns) => Ok(format!("{}.{rest}", ns.to_ascii_lowercase())),
            Some((ns, _)) => Err(Error::invalid(format!("no such namespace: {ns}"))),
            None if self.namespace == MAIN => Ok(name.to_string()),
            None => Ok(format!("{}.{name}", self.namespace)),
        }
    }

    fn rename(&self, name: &mut String) -> Result<()> {
        *name = self.key(name)?;
        Ok(())
    }

    fn statement(&self, stmt: &mut Statement) -> Result<()> {
        let depth = self.ctes.borrow().len();
        if let Some(with) = stmt.with_mut() {
            self.with(with)?;
        }
        let out = self.statement_body(stmt);
        self.ctes.borrow_mut().truncate(depth);
        out
    }

    /// Brings a WITH clause's names into scope (a recursive CTE sees its own name).
    fn with(&self, with: &mut With) -> Result<()> {
        for c in &mut with.ctes {
            if with.recursive {
                self.ctes.borrow_mut().push(c.name.to_ascii_lowercase());
            }
            self.select(&mut c.query)?;
            if !with.recursive {
                self.ctes.borrow_mut().push(c.name.to_ascii_lowercase());
            }
        }
        Ok(())
    }

    fn statement_body(&self, stmt: &mut Statement) -> Result<()> {
        match stmt {
            Statement::Select(s) | Statement::Explain(s) => self.select(s)?,
            Statement::ExplainWrite(s) | Statement::ExplainAnalyze { statement: s, .. } => self.statement(s)?,
            Statement::Insert(i) => {
                self.rename(&mut i.table)?;
                match &mut i.source {
                    InsertSource::Values(rows) => {
                        for e in rows.iter_mut().flatten() {
                            self.expr(e)?;
                        }
                    }
                    InsertSource::Select(s) => self.select(s)?,
                    InsertSource::DefaultValues => {}
                }
                // Upsert clauses name the table as it was written.
                if let (None, Some((_, bare)), None) = (&i.alias, i.table.split_once('.'), self.renaming) {
                    i.alias = Some(bare.to_string());
                }
                for u in &mut i.upserts {
                    self.opt(&mut u.target_filter)?;
                    for e in &mut u.target_exprs {
                        self.expr(e)?;
                    }
                    if let Some(up) = &mut u.update {
                        for (_, e) in &mut up.assignments {
                            self.expr(e)?;
                        }
                        self.opt(&mut up.filter)?;
                    }
                }
                self.items(&mut i.returning)?;
            }
            Statement::Update(u) => {
                self.rename(&mut u.table)?;
                for (_, e) in &mut u.assignments {
                    self.expr(e)?;
                }
                for term in &mut u.from {
                    self.table_ref(&mut term.table)?;
                    for j in &mut term.joins {
                        self.table_ref(&mut j.table)?;
                        self.opt(&mut j.on)?;
                    }
                }
                self.opt(&mut u.filter)?;
                self.items(&mut u.returning)?;
            }
            Statement::Delete(d) => {
                self.rename(&mut d.table)?;
                self.opt(&mut d.filter)?;
                self.items(&mut d.returning)?;
            }
            Statement::CreateTableAs { name, query, .. } => {
                self.rename(name)?;
                self.select(query)?;
            }
            Statement::CreateTable(c) => {
                self.rename(&mut c.name)?;
                for col in &mut c.columns {
                    for con in &mut col.constraints {
                        if let ColumnConstraint::References(fk) = con {
                            self.rename(&mut fk.parent)?;
                        }
                    }
                }
                for con in &mut c.constraints {
                    if let TableConstraint::ForeignKey(fk) = con {
                        self.rename(&mut fk.parent)?;
                    }
                }
            }
            Statement::DropTable { name, .. }
            | Statement::DropIndex { name, .. }
            | Statement::DropView { name, .. }
            | Statement::DropTrigger { name, .. }
            | Statement::Reindex(Some(name)) => self.rename(name)?,
            Statement::CreateIndex { name, table, .. } => {
                self.rename(name)?;
                self.rename(table)?;
            }
            Statement::AlterTable { table, action } => {
                self.rename(table)?;
                if let AlterAction::RenameTable(to) = action {
                    // RENAME TO takes one name (a dot in it is part of it), in the table's namespace.
                    let bare = to.trim_start_matches(ONE_NAME);
                    *to = stored_in(table.split_once('.').map_or(MAIN, |(ns, _)| ns), bare);
                }
            }
            Statement::CreateMatView { name, query, .. } => {
                self.rename(name)?;
                self.select(query)?;
            }
            Statement::RefreshMatView { name } | Statement::DropMatView { name, .. } => self.rename(name)?,
            Statement::Archive { table, filter, .. } => {
                self.rename(table)?;
                self.opt(filter)?;
            }
            Statement::RestoreArchive { table, .. } => self.rename(table)?,
            Statement::CreateProjection { name, table, rules, .. } => {
                self.rename(name)?;
                self.rename(table)?;
                for (_, rule) in rules {
                    self.statement(rule)?;
                }
            }
            Statement::RebuildProjection { name } | Statement::DropProjection { name, .. } => self.rename(name)?,
            Statement::CreateView { name, query, .. } => {
                self.rename(name)?;
                self.select(query)?;
            }
            Statement::CreateTrigger(t) => {
                self.rename(&mut t.name)?;
                self.rename(&mut t.table)?;
                self.opt(&mut t.when)?;
                for step in &mut t.body {
                    self.statement(step)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn opt(&self, e: &mut Option<Expr>) -> Result<()> {
        match e {
            Some(e) => self.expr(e),
            None => Ok(()),
        }
    }

    fn items(&self, items: &mut [SelectItem]) -> Result<()> {
        for item in items {
            if let SelectItem::Expr { expr, .. } = item {
                self.expr(expr)?;
            }
        }
        Ok(())
    }

    fn select(&self, s: &mut Select) -> Result<()> {
        let depth = self.ctes.borrow().len();
        if let Some(with) = &mut s.with {
            self.with(with)?;
        }
        let out = self.select_body(s);
        self.ctes.borrow_mut().truncate(depth);
        out
    }

    fn select_body(&self, s: &mut Select) -> Result<()> {
        for (_, w) in &mut s.windows {
            for e in w.exprs_mut() {
                self.expr(e)?;
            }
        }
        for term in &mut s.from {
            self.table_ref(&mut term.table)?;
            for j in &mut term.joins {
                self.table_ref(&mut j.table)?;
                self.opt(&mut j.on)?;
            }
        }
        self.items(&mut s.columns)?;
        self.opt(&mut s.filter)?;
        for e in &mut s.group_by {
            self.expr(e)?;
        }
        self.opt(&mut s.having)?;
        for o in &mut s.order_by {
            self.expr(&mut o.expr)?;
        }
        self.opt(&mut s.limit)?;
        self.opt(&mut s.offset)?;
        for (_, arm) in &mut s.compound {
            self.select(arm)?;
        }
        Ok(())
    }

    fn table_ref(&self, t: &mut TableRef) -> Result<()> {
        if let Some(q) = &mut t.subquery {
            return self.select(q);
        }
        if self.renaming.is_some() {
            return self.renamed_ref(t);
        }
        if let Some(args) = &mut t.function {
            // `history(t)` names a table, as FROM does (bare or quoted).
            if t.name.eq_ignore_ascii_case("history") {
                if let [arg, rest @ ..] = args.as_mut_slice() {
                    for a in rest.iter_mut() {
                        self.expr(a)?;
                    }
                    let name = match arg {
                        Expr::Literal(Value::Text(text)) => Some(text.as_str().to_string()),
                        Expr::Column { table: None, name } => Some(name.clone()),
                        _ => None,
                    };
                    if let Some(name) = name {
                        *arg = Expr::Literal(Value::text(&self.key(&name)?));
                    }
                }
                return Ok(());
            }
            for a in args.iter_mut() {
                self.expr(a)?;
            }
            if is_stream_function(&t.name) {
                args.insert(0, Expr::Literal(Value::text(self.namespace)));
            }
            // A pragma names a table of the current namespace, as FROM does.
            let names_table =
                super::catalog::is_pragma_function(&t.name) && !t.name.eq_ignore_ascii_case("pragma_index_info");
            if let (true, [Expr::Literal(Value::Text(name))]) = (names_table, args.as_mut_slice()) {
                // `'app.t'` is t of app; a dotted name that names no namespace is one name.
                let key = self.key(name).or_else(|_| self.key(&format!("{ONE_NAME}{name}")))?;
                *name = key.as_str().into();
            }
            return Ok(());
        }
        // Message DB's table of every message, read as the message functions read.
        if t.as_of.is_none() && t.name.eq_ignore_ascii_case(MESSAGES_TABLE) && self.state.table(&t.name).is_none() {
            t.name = MESSAGES_TABLE.to_string();
            t.function = Some(vec![Expr::Literal(Value::text(self.namespace))]);
            t.alias.get_or_insert_with(|| "messages".to_string());
            return Ok(());
        }
        // `pg_settings` reads the session's settings as the statement runs: the table
        // function of that name.
        let settings = ["pg_settings", "pg_catalog.pg_settings"].iter().any(|n| n.eq_ignore_ascii_case(&t.name));
        if t.as_of.is_none() && settings && self.state.table(&t.name).is_none() {
            t.alias.get_or_insert_with(|| "pg_settings".to_string());
            t.name = "pg_settings".to_string();
            t.function = Some(Vec::new());
            return Ok(());
        }
        let system = super::catalog::is_schema_table(&t.name) || super::pg_catalog::is_system_table(&t.name);
        if t.as_of.is_none() && system && self.state.table(&t.name).is_none() {
            return Ok(());
        }
        if t.as_of.is_none()
            && self.ctes.borrow().iter().any(|c| c.eq_ignore_ascii_case(t.name.trim_start_matches(ONE_NAME)))
        {
            t.name = t.name.trim_start_matches(ONE_NAME).to_string();
            return Ok(());
        }
        let key = self.key(&t.name)?;
        if let Some((_, bare)) = key.split_once('.') {
            if t.alias.is_none() {
                t.alias = Some(bare.to_string());
            }
        }
        t.name = key;
        Ok(())
    }

    /// A FROM item under [`rename_table`]: a table named `from` is named `to`.
    fn renamed_ref(&self, t: &mut TableRef) -> Result<()> {
        if let Some(args) = &mut t.function {
            return args.iter_mut().try_for_each(|a| self.expr(a));
        }
        let cte = self.ctes.borrow().iter().any(|c| c.eq_ignore_ascii_case(t.name.trim_start_matches(ONE_NAME)));
        if cte || t.as_of.is_some() {
            return Ok(());
        }
        let before = self.renamed.replace(false);
        let key = self.key(&t.name)?;
        if self.renamed.get() && t.alias.is_none() {
            let old = self.renaming.map_or("", |(from, _)| from);
            let short = match old.strip_prefix("main.") {
                Some(dotted) => dotted,
                None => old.split_once('.').map_or(old, |(_, bare)| bare),
            };
            t.alias = Some(short.to_string());
        }
        self.renamed.set(self.renamed.get() || before);
        t.name = key;
        Ok(())
    }

    fn expr(&self, e: &mut Expr) -> Result<()> {
        match e {
            Expr::Literal(_) | Expr::Column { .. } | Expr::Param(_) => {}
            Expr::Unary { expr, .. }
            | Expr::IsNull { expr, .. }
            | Expr::Cast { expr, .. }
            | Expr::Collate { expr, .. } => self.expr(expr)?,
            Expr::Binary { left, right, .. } => {
                self.expr(left)?;
                self.expr(right)?;
            }
            Expr::Between { expr, low, high, .. } => {
                self.expr(expr)?;
                self.expr(low)?;
                self.expr(high)?;
            }
            Expr::InList { expr, list, .. } => {
                self.expr(expr)?;
                for x in list {
                    self.expr(x)?;
                }
            }
            Expr::InSelect { expr, query, .. } => {
                self.expr(expr)?;
                self.select(query)?;
            }
            Expr::Subquery(q) | Expr::Exists(q) => self.select(q)?,
            Expr::Case { operand, whens, else_ } => {
                if let Some(o) = operand {
                    self.expr(o)?;
                }
                for (w, t) in whens {
                    self.expr(w)?;
                    self.expr(t)?;
                }
                if let Some(x) = else_ {
                    self.expr(x)?;
                }
            }
            Expr::Function { name, args, filter, over, .. } => {
                for a in args.iter_mut() {
                    self.expr(a)?;
                }
                if let Some(f) = filter {
                    self.expr(f)?;
                }
                if let Some(w) = over {
                    for e in w.exprs_mut() {
                        self.expr(e)?;
                    }
                }
                if takes_namespace(name) && self.renaming.is_none() {
                    args.insert(0, Expr::Literal(Value::text(self.namespace)));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::WriteOp;

    fn state() -> State {
        let mut s = State::new();
        s.apply(&WriteOp::CreateNamespace("app".into())).unwrap();
        s
    }

    #[test]
    fn names_resolve_by_session_namespace() {
        let s = state();
        assert_eq!(stored_name("t", MAIN, &s).unwrap(), "t");
        assert_eq!(stored_name("t", "app", &s).unwrap(), "app.t");
        assert_eq!(stored_name("APP.t", MAIN, &s).unwrap(), "app.t");
        assert_eq!(stored_name("main.t", "app", &s).unwrap(), "t");
        assert!(stored_name("nope.t", MAIN, &s).unwrap_err().to_string().contains("no such namespace: nope"));
    }

    #[test]
    fn qualified_tables_keep_their_short_name() {
        let s = state();
        let mut stmt = crate::sql::parser::parse("SELECT t.a FROM app.t WHERE a IN (SELECT b FROM u)").unwrap();
        resolve(&mut stmt, "app", &s).unwrap();
        let Statement::Select(sel) = stmt else { panic!("a select") };
        assert_eq!(sel.from[0].table.name, "app.t");
        assert_eq!(sel.from[0].table.alias.as_deref(), Some("t"));
        assert!(sel.filter.unwrap().to_string().contains("FROM app.u"));
    }
}
