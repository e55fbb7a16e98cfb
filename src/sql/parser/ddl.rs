//! CREATE TABLE (columns, defaults, constraints, foreign keys) and CREATE TRIGGER.

use pest::iterators::Pair;

use super::expr::MIN_DIGITS;
use super::*;

impl Builder {
    pub(super) fn create_trigger(&self, p: Pair<Rule>) -> Result<CreateTrigger> {
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

    pub(super) fn create_table(&self, p: Pair<Rule>) -> Result<CreateTable> {
        let mut ct = CreateTable {
            name: String::new(),
            if_not_exists: false,
            columns: Vec::new(),
            constraints: Vec::new(),
            options: Vec::new(),
        };
        let mut strict = false;
        let mut without_rowid = None;
        let mut offsets = Vec::new();
        for q in p.into_inner() {
            match q.as_rule() {
                Rule::if_not_exists => ct.if_not_exists = true,
                Rule::qname => ct.name = qname(q),
                Rule::table_flags => {
                    for f in q.into_inner().flatten() {
                        match f.as_rule() {
                            Rule::strict => strict = true,
                            Rule::K_WITHOUT => without_rowid = Some(f.as_span().start()),
                            _ => {}
                        }
                    }
                }
                Rule::table_options => ct.options = table_options(q)?,
                Rule::column_def => {
                    offsets.push(q.as_span().start());
                    ct.columns.push(self.column_def(q)?);
                }
                Rule::table_constraint => ct.constraints.push(self.table_constraint(q)?),
                _ => {}
            }
        }
        if strict {
            strict_types(&ct, &offsets)?;
        }
        let keyed = ct.columns.iter().any(|c| c.constraints.contains(&ColumnConstraint::PrimaryKey))
            || ct.constraints.iter().any(|c| matches!(c, TableConstraint::PrimaryKey(_)));
        if let (Some(offset), false) = (without_rowid, keyed) {
            let message = format!("PRIMARY KEY missing on table {}: a WITHOUT ROWID table needs one", ct.name);
            return Err(ErrorKind::Parse { message, offset }.into());
        }
        Ok(ct)
    }

    pub(super) fn column_def(&self, p: Pair<Rule>) -> Result<ColumnDef> {
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
                Rule::column_collate => {
                    let name = q.into_inner().last().expect("COLLATE names a collation");
                    let offset = name.as_span().start();
                    let name = unquote_ident(name.as_str());
                    let collation = crate::sql::ast::Collation::by_name(&name).ok_or_else(|| ErrorKind::Parse {
                        message: format!("no such collation sequence: {name} (there are BINARY, NOCASE and RTRIM)"),
                        offset,
                    })?;
                    def.constraints.push(ColumnConstraint::Collate(collation));
                }
                Rule::references => def.constraints.push(ColumnConstraint::References(references(q, Vec::new()))),
                Rule::generated => {
                    let stored = q
                        .clone()
                        .into_inner()
                        .any(|k| k.as_rule() == Rule::generated_kind && k.as_str().eq_ignore_ascii_case("stored"));
                    let expr = q.into_inner().find(|k| k.as_rule() == Rule::expr).expect("AS has an expression");
                    def.constraints.push(ColumnConstraint::Generated { expr: self.expr(expr)?, stored });
                }
                _ => {}
            }
        }
        Ok(def)
    }

    pub(super) fn default_value(&self, p: Pair<Rule>) -> Result<Expr> {
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

    pub(super) fn table_constraint(&self, p: Pair<Rule>) -> Result<TableConstraint> {
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
}

pub(super) fn references(p: Pair<Rule>, columns: Vec<String>) -> ForeignKeyDef {
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

/// A STRICT table's columns each declare one of the types STRICT allows: SQLite's
/// `INT`, `INTEGER`, `REAL`, `TEXT`, `BLOB`, `ANY`, and AmberDB's `BOOLEAN` and
/// `TIMESTAMP`. (Every AmberDB column is strict about its values already.)
fn strict_types(ct: &CreateTable, offsets: &[usize]) -> Result<()> {
    const ALLOWED: [&str; 8] = ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY", "BOOLEAN", "TIMESTAMP"];
    for (c, &offset) in ct.columns.iter().zip(offsets) {
        let problem = if c.type_name.is_empty() {
            "missing datatype"
        } else if !ALLOWED.iter().any(|t| t.eq_ignore_ascii_case(&c.type_name)) {
            "unknown datatype"
        } else {
            continue;
        };
        let message = format!(
            "{problem} for {}.{}{}: a STRICT table's columns are INT, INTEGER, REAL, TEXT, BLOB, ANY, BOOLEAN or \
             TIMESTAMP",
            ct.name,
            c.name,
            if c.type_name.is_empty() { String::new() } else { format!(" ({})", c.type_name) },
        );
        return Err(ErrorKind::Parse { message, offset }.into());
    }
    Ok(())
}

/// `WITH (ttl = '1 hour', soft_delete)` or `SET (…)`: each option's lower-case name and
/// value (a bare name, `on` or `true` is true; `off` or `false` false).
pub(super) fn table_options(p: Pair<Rule>) -> Result<Vec<(String, Value)>> {
    let mut options = Vec::new();
    for option in p.into_inner().filter(|o| o.as_rule() == Rule::table_option) {
        let mut parts = option.into_inner();
        let name = unquote_ident(parts.next().expect("an option has a name").as_str());
        let value = match parts.next() {
            None => Value::Boolean(true),
            Some(v) => match v.as_rule() {
                Rule::string => Value::text(&unquote_string(v.as_str())),
                Rule::K_ON | Rule::true_lit => Value::Boolean(true),
                Rule::false_lit | Rule::option_off => Value::Boolean(false),
                _ => parse_number(v.as_str().trim_start_matches('+'), v.as_span().start())?,
            },
        };
        options.push((name.to_ascii_lowercase(), value));
    }
    Ok(options)
}
