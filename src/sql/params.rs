//! The types of a statement's parameters, worked out from where each stands, as
//! PostgreSQL infers them for a client that prepares a statement without naming them:
//! `id = $1` takes the type of `id`, `VALUES ($1, $2)` those of the columns filled,
//! `SET n = $1` that of `n`, `$1::integer` and `CAST($1 AS REAL)` the type cast to,
//! `LIMIT $1` an integer. A parameter that stands nowhere telling is `None`.

use crate::storage::{DataType, State};

use super::ast::{BinaryOp, Expr, InsertSource, Select, Statement};

/// The tables a statement names, with the name each is known by in it.
struct Tables<'a> {
    state: &'a State,
    namespace: &'a str,
    /// (name or alias as written, stored table name)
    named: Vec<(String, String)>,
}

impl Tables<'_> {
    fn add(&mut self, name: &str, alias: Option<&str>) {
        if let Ok(stored) = super::namespace::stored_name(name, self.namespace, self.state) {
            let known_as = alias.unwrap_or_else(|| name.rsplit('.').next().unwrap_or(name));
            self.named.push((known_as.to_string(), stored));
        }
    }

    fn add_select(&mut self, s: &Select) {
        for term in &s.from {
            for t in std::iter::once(&term.table).chain(term.joins.iter().map(|j| &j.table)) {
                match &t.subquery {
                    Some(q) => self.add_select(q),
                    None if t.function.is_none() => self.add(&t.name, t.alias.as_deref()),
                    None => {}
                }
            }
        }
        for (_, other) in &s.compound {
            self.add_select(other);
        }
    }

    /// The type of a column named by `table.name` or `name` in one of the tables.
    fn column(&self, table: Option<&str>, name: &str) -> Option<DataType> {
        self.named
            .iter()
            .filter(|(known_as, _)| table.is_none_or(|t| t.eq_ignore_ascii_case(known_as)))
            .filter_map(|(_, stored)| self.state.table(stored))
            .find_map(|t| t.schema.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)))
            .map(|c| c.ty)
            .filter(|ty| *ty != DataType::Any)
    }

    fn table_column(&self, table: &str, name: &str) -> Option<DataType> {
        let stored = super::namespace::stored_name(table, self.namespace, self.state).ok()?;
        let t = self.state.table(&stored)?;
        t.schema.columns.iter().find(|c| c.name.eq_ignore_ascii_case(name)).map(|c| c.ty)
    }

    /// The type an expression's values have, where the statement says it plainly.
    fn type_of(&self, e: &Expr) -> Option<DataType> {
        match e {
            Expr::Column { table, name } => self.column(table.as_deref(), name),
            Expr::Cast { type_name, .. } => DataType::from_declared(type_name).filter(|t| *t != DataType::Any),
            Expr::Literal(v) => match v {
                crate::storage::Value::Integer(_) => Some(DataType::Integer),
                crate::storage::Value::Real(_) => Some(DataType::Real),
                crate::storage::Value::Text(_) => Some(DataType::Text),
                crate::storage::Value::Boolean(_) => Some(DataType::Boolean),
                _ => None,
            },
            Expr::Collate { expr, .. } => self.type_of(expr),
            _ => None,
        }
    }
}

/// What each parameter (`params[0]` is `$1`) is compared with, assigned to or cast to.
pub fn param_types(statement: &Statement, state: &State, namespace: &str) -> Vec<Option<DataType>> {
    let mut tables = Tables { state, namespace, named: Vec::new() };
    let mut types: Vec<Option<DataType>> = Vec::new();
    let mut set = |n: usize, ty: Option<DataType>| {
        if n == 0 {
            return;
        }
        if types.len() < n {
            types.resize(n, None);
        }
        if types[n - 1].is_none() {
            types[n - 1] = ty;
        }
    };
    match statement {
        Statement::Select(s) => tables.add_select(s),
        Statement::Insert(i) => {
            tables.add(&i.table, i.alias.as_deref());
            let columns: Vec<String> = match &i.columns {
                Some(c) => c.clone(),
                None => super::namespace::stored_name(&i.table, namespace, state)
                    .ok()
                    .and_then(|t| state.table(&t))
                    .map(|t| t.schema.columns.iter().map(|c| c.name.clone()).collect())
                    .unwrap_or_default(),
            };
            match &i.source {
                InsertSource::Values(rows) => {
                    for row in rows {
                        for (e, c) in row.iter().zip(&columns) {
                            if let Expr::Param(n) = e {
                                set(*n, tables.table_column(&i.table, c).filter(|t| *t != DataType::Any));
                            }
                        }
                    }
                }
                InsertSource::Select(s) => tables.add_select(s),
                InsertSource::DefaultValues => {}
            }
            for u in &i.upserts {
                for (c, e) in u.update.iter().flat_map(|up| &up.assignments) {
                    if let Expr::Param(n) = e {
                        set(*n, tables.table_column(&i.table, c).filter(|t| *t != DataType::Any));
                    }
                }
            }
        }
        Statement::Update(u) => {
            tables.add(&u.table, None);
            for term in &u.from {
                for t in std::iter::once(&term.table).chain(term.joins.iter().map(|j| &j.table)) {
                    tables.add(&t.name, t.alias.as_deref());
                }
            }
            for (c, e) in &u.assignments {
                if let Expr::Param(n) = e {
                    set(*n, tables.table_column(&u.table, c).filter(|t| *t != DataType::Any));
                }
            }
        }
        Statement::Delete(d) => tables.add(&d.table, None),
        _ => {}
    }
    let mut statement = statement.clone();
    statement.walk_exprs_mut(&mut |e| {
        let mut pair = |a: &Expr, b: &Expr| {
            if let Expr::Param(n) = a {
                set(*n, tables.type_of(b));
            }
        };
        match e {
            Expr::Binary { op, left, right } if compares_or_computes(*op) => {
                pair(left, right);
                pair(right, left);
            }
            Expr::Between { expr, low, high, .. } => {
                pair(low, expr);
                pair(high, expr);
                pair(expr, low);
            }
            Expr::InList { expr, list, .. } => list.iter().for_each(|x| pair(x, expr)),
            Expr::Cast { expr, type_name } => {
                if let Expr::Param(n) = &**expr {
                    set(*n, DataType::from_declared(type_name).filter(|t| *t != DataType::Any));
                }
            }
            Expr::Function { name, args, .. } => {
                for (a, ty) in args.iter().zip(signature(name)) {
                    if let Expr::Param(n) = a {
                        set(*n, *ty);
                    }
                }
            }
            Expr::Param(n) => set(*n, None),
            _ => {}
        }
    });
    // The table functions' arguments (Message DB's reads).
    if let Statement::Select(s) = &statement {
        for term in &s.from {
            for t in std::iter::once(&term.table).chain(term.joins.iter().map(|j| &j.table)) {
                for (a, ty) in t.function.iter().flatten().zip(signature(&t.name)) {
                    if let Expr::Param(n) = a {
                        set(*n, *ty);
                    }
                }
            }
        }
    }
    if let Statement::Select(s) = &statement {
        for e in [&s.limit, &s.offset].into_iter().flatten() {
            if let Expr::Param(n) = e {
                set(*n, Some(DataType::Integer));
            }
        }
    }
    types
}

/// The parameter types of the message store's functions, as Message DB declares them
/// (its clients send `$1` untyped and bind by these).
fn signature(name: &str) -> &'static [Option<DataType>] {
    const T: Option<DataType> = Some(DataType::Text);
    const I: Option<DataType> = Some(DataType::Integer);
    match name.to_ascii_lowercase().as_str() {
        "write_message" => &[T, T, T, T, T, I],
        "stream_version" => &[T],
        "get_stream_messages" => &[T, I, I, T],
        "get_category_messages" => &[T, I, I, T, I, I, T],
        "get_last_stream_message" => &[T, T],
        _ => &[],
    }
}

fn compares_or_computes(op: BinaryOp) -> bool {
    !matches!(op, BinaryOp::And | BinaryOp::Or | BinaryOp::Concat)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_take_the_types_of_what_they_meet() {
        let db = crate::Database::open_in_memory();
        let mut s = db.session();
        s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, ok BOOLEAN)", &[]).unwrap();
        let state = db.state();
        let types = |sql: &str| param_types(&crate::sql::parser::parse(sql).unwrap(), &state, "main");
        use DataType::*;
        assert_eq!(types("SELECT * FROM t WHERE id = $1 AND name LIKE $2"), [Some(Integer), Some(Text)]);
        assert_eq!(types("INSERT INTO t (name, score) VALUES ($1, $2)"), [Some(Text), Some(Real)]);
        assert_eq!(types("INSERT INTO t VALUES (?, ?, ?, ?)"), [Some(Integer), Some(Text), Some(Real), Some(Boolean)]);
        assert_eq!(types("UPDATE t SET score = $2 WHERE x.id = $1"), [None, Some(Real)]);
        assert_eq!(types("UPDATE t SET score = $2 WHERE id = $1"), [Some(Integer), Some(Real)]);
        assert_eq!(types("SELECT $1, CAST($2 AS INTEGER) FROM t LIMIT $3"), [None, Some(Integer), Some(Integer)]);
        assert_eq!(types("SELECT * FROM t AS a WHERE a.score BETWEEN $1 AND $2"), [Some(Real), Some(Real)]);
        assert_eq!(types("DELETE FROM t WHERE id IN ($1, $2)"), [Some(Integer), Some(Integer)]);
        assert_eq!(types("SELECT stream_version($1)"), [Some(Text)]);
        assert_eq!(types("SELECT * FROM get_stream_messages($1, $2)"), [Some(Text), Some(Integer)]);
    }
}
