//! CREATE TABLE into a checked schema (defaults, keys, constraints, foreign keys) and
//! CREATE TRIGGER.

use super::*;

/// Turns a trigger's `NEW.c` and `OLD.c` into parameters: the new row's columns are
/// the first `width`, the old row's the next `width`. A row the event lacks (`NEW` of a
/// DELETE, `OLD` of an INSERT) or a column the table lacks is an error.
pub fn bind_trigger_rows(t: &mut CreateTrigger, columns: &[String]) -> Result<()> {
    let (has_new, has_old) = match t.event {
        TriggerEvent::Insert => (true, false),
        TriggerEvent::Delete => (false, true),
        TriggerEvent::Update(_) => (true, true),
    };
    let width = columns.len();
    let mut bad: Option<Error> = None;
    let mut bind = |e: &mut Expr| {
        let Expr::Column { table: Some(q), name } = e else { return };
        let (is_new, is_old) = (q.eq_ignore_ascii_case("new"), q.eq_ignore_ascii_case("old"));
        if !is_new && !is_old {
            return;
        }
        match columns.iter().position(|c| c.eq_ignore_ascii_case(name)) {
            Some(i) if (is_new && has_new) || (is_old && has_old) => {
                *e = Expr::Param(if is_new { i + 1 } else { width + i + 1 })
            }
            _ => {
                bad.get_or_insert(ErrorKind::NoSuchColumn { name: format!("{q}.{name}"), suggestion: None }.into());
            }
        }
    };
    if let Some(w) = &mut t.when {
        w.walk_mut(&mut bind);
    }
    for step in &mut t.body {
        step.walk_exprs_mut(&mut bind);
    }
    bad.map_or(Ok(()), Err)
}

/// Checks a trigger against the catalog and keeps its text. Its body is planned where
/// it fires, so that it may name tables created after it, as in SQLite.
pub(in crate::sql) fn plan_create_trigger(t: &CreateTrigger, cx: &Cx) -> Result<Plan> {
    let state = cx.state;
    if state.trigger(&t.name).is_some() && !t.if_not_exists {
        return Err(Error::invalid(format!("trigger {} already exists", t.name)));
    }
    let on_view = state.view(&t.table).is_some();
    match (t.timing, on_view) {
        (TriggerTiming::InsteadOf, false) => {
            return Err(Error::invalid(format!("cannot create INSTEAD OF trigger on table {}", t.table)))
        }
        (TriggerTiming::Before | TriggerTiming::After, true) => {
            return Err(Error::invalid(format!("cannot create {} trigger on view {}", t.timing.sql(), t.table)))
        }
        _ => {}
    }
    let columns: Vec<String> = if on_view {
        view_columns(&t.table, cx)?
    } else {
        state.table_or_err(&t.table)?.schema.columns.iter().map(|c| c.name.clone()).collect()
    };
    if let TriggerEvent::Update(names) = &t.event {
        for c in names {
            view_column(&columns, c, &t.table)?;
        }
    }
    let returns = |step: &Statement| match step {
        Statement::Insert(i) => !i.returning.is_empty(),
        Statement::Update(u) => !u.returning.is_empty(),
        Statement::Delete(d) => !d.returning.is_empty(),
        _ => false,
    };
    if t.body.iter().any(returns) {
        return Err(Error::invalid(format!("trigger {}: RETURNING is not allowed in a trigger's body", t.name)));
    }
    bind_trigger_rows(&mut t.clone(), &columns)?;
    let stored = CreateTrigger { if_not_exists: false, table: t.table.to_ascii_lowercase(), ..t.clone() };
    let trigger = crate::storage::TriggerDef {
        name: t.name.clone(),
        table: stored.table.clone(),
        timing: t.timing,
        event: t.event.clone(),
        sql: stored.to_string(),
    };
    Ok(Plan::CreateTrigger { trigger: Arc::new(trigger), if_not_exists: t.if_not_exists })
}

/// A column DEFAULT: `now()` is a marker kept in the schema, and so is an expression
/// that is not constant (worked out per row); a constant one is bound and left to the
/// executor to evaluate once, at CREATE time.
pub(super) fn default_of(e: &Expr, column: usize) -> Result<DefaultKind> {
    if let Expr::Function { name, args, .. } = e {
        let lower = name.to_ascii_lowercase();
        if args.is_empty() && (lower == "now" || lower == "current_timestamp") {
            return Ok(DefaultKind::Marker(ColumnDefault::Now));
        }
    }
    let empty = Scope::default();
    let expr = Binder::new(&empty, "not allowed in DEFAULT").bind(e)?;
    if !crate::sql::binder::is_constant(&expr) {
        // Worked out for each row (`datetime('now')`, `random()`).
        return Ok(DefaultKind::Marker(ColumnDefault::Expr(e.to_string())));
    }
    Ok(DefaultKind::Expr(DefaultPlan { column, expr }))
}

pub(super) enum DefaultKind {
    Marker(ColumnDefault),
    Expr(DefaultPlan),
}

/// The collation a column definition declares (`COLLATE NOCASE`), if any.
fn declared_collation(def: &ColumnDef) -> Option<Collation> {
    def.constraints.iter().rev().find_map(|c| match c {
        ColumnConstraint::Collate(collation) => Some(*collation),
        _ => None,
    })
}

/// Uniqueness over a column with a collation holds under that collation (`'Ann'` and
/// `'ANN'` clash in a NOCASE column): such a UNIQUE constraint becomes a unique index
/// whose collated parts are keyed folded, and a primary key with such a column gets
/// one beside it (the key itself stays as written).
fn collated_uniques(schema: &mut TableSchema) -> Result<()> {
    let folds = |schema: &TableSchema, cols: &[usize]| {
        cols.iter().any(|&c| !matches!(schema.columns[c].collation, None | Some(Collation::Binary)))
    };
    let mut lists = Vec::new();
    let uniques = std::mem::take(&mut schema.uniques);
    for u in uniques {
        if folds(schema, &u.columns) {
            lists.push((u.name, u.columns));
        } else {
            schema.uniques.push(u);
        }
    }
    if folds(schema, &schema.primary_key) {
        lists.push((schema.collated_key_name(), schema.primary_key.clone()));
    }
    for (name, columns) in lists {
        let parts: Vec<(Expr, bool)> = columns
            .iter()
            .map(|&c| (Expr::Column { table: None, name: schema.columns[c].name.clone() }, false))
            .collect();
        let index = super::derived::plan_index(&name, schema, &parts, true, None)?;
        schema.indexes.push(index);
    }
    Ok(())
}

/// A table's schema, and the DEFAULT expressions the executor fills into it.
pub(in crate::sql) fn plan_create(c: &CreateTable, state: &State) -> Result<(TableSchema, Vec<DefaultPlan>)> {
    let mut defaults = Vec::new();
    let mut schema =
        TableSchema { name: c.name.clone(), columns: Vec::new(), primary_key: Vec::new(), ..TableSchema::default() };
    let mut pk_declared = false;
    let mut foreign: Vec<ForeignKeyDef> = Vec::new();
    let mut set_pk = |schema: &mut TableSchema, cols: Vec<usize>| -> Result<()> {
        if pk_declared {
            return Err(Error::invalid(format!("table {} has more than one primary key", c.name)));
        }
        pk_declared = true;
        schema.primary_key = cols;
        Ok(())
    };
    for def in &c.columns {
        if schema.column_index(&def.name).is_some() {
            return Err(Error::invalid(format!("duplicate column name: {}", def.name)));
        }
        let ty = DataType::from_declared(&def.type_name)
            .ok_or_else(|| ErrorKind::UnknownType { column: def.name.clone(), ty: def.type_name.clone() })?;
        schema.columns.push(Column::plain(def.name.clone(), ty));
    }
    let names: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    let scope = Scope {
        tables: vec![ScopeTable {
            name: c.name.clone(),
            alias: None,
            columns: names,
            offset: 0,
            hidden: Vec::new(),
            rowid: None,
            types: Vec::new(),
            collations: c.columns.iter().map(declared_collation).collect(),
        }],
        expiry: None,
    };
    let resolve = |list: &[String]| list.iter().map(|n| scope.resolve(None, n)).collect::<Result<Vec<_>>>();
    let check = |schema: &mut TableSchema, e: &Expr| -> Result<()> {
        Binder::new(&scope, "not allowed in CHECK").bind(e)?;
        let name = format!("{}_check{}", c.name, schema.checks.len() + 1);
        schema.checks.push(CheckConstraint { name, sql: strip_outer_parens(&e.to_string()) });
        Ok(())
    };
    for (i, def) in c.columns.iter().enumerate() {
        for cons in &def.constraints {
            match cons {
                ColumnConstraint::PrimaryKey => set_pk(&mut schema, vec![i])?,
                ColumnConstraint::NotNull => schema.columns[i].not_null = true,
                ColumnConstraint::Null => {}
                ColumnConstraint::Unique => schema
                    .uniques
                    .push(UniqueConstraint { name: format!("{}_{}_unique", c.name, def.name), columns: vec![i] }),
                ColumnConstraint::Default(e) => match default_of(e, i)? {
                    DefaultKind::Marker(marker) => schema.columns[i].default = Some(marker),
                    DefaultKind::Expr(pending) => defaults.push(pending),
                },
                ColumnConstraint::Check(e) => check(&mut schema, e)?,
                ColumnConstraint::References(fk) => {
                    let fk = ForeignKeyDef { columns: vec![def.name.clone()], ..fk.clone() };
                    foreign.push(fk);
                }
                ColumnConstraint::Generated { expr, stored } => {
                    let sql = strip_outer_parens(&expr.to_string());
                    schema.columns[i].generated = Some(Generated { sql, stored: *stored });
                }
                ColumnConstraint::Collate(collation) => schema.columns[i].collation = Some(*collation),
            }
        }
    }
    for cons in &c.constraints {
        match cons {
            TableConstraint::PrimaryKey(list) => {
                let cols = resolve(list)?;
                set_pk(&mut schema, cols)?;
            }
            TableConstraint::Unique(list) => {
                let columns = resolve(list)?;
                let name = format!("{}_{}_unique", c.name, list.join("_"));
                schema.uniques.push(UniqueConstraint { name, columns });
            }
            TableConstraint::Check(e) => check(&mut schema, e)?,
            TableConstraint::ForeignKey(fk) => foreign.push(fk.clone()),
        }
    }
    if schema.columns.iter().any(|c| c.generated.is_some()) || !defaults.is_empty() {
        let expr_default = |col: usize| defaults.iter().any(|d: &DefaultPlan| d.column == col);
        if schema.columns.iter().enumerate().any(|(i, c)| c.generated.is_some() && expr_default(i)) {
            return Err(Error::invalid("cannot use DEFAULT on a generated column"));
        }
    }
    check_generated(&schema)?;
    collated_uniques(&mut schema)?;
    // Primary key columns never hold NULL (an INTEGER key inserted as NULL is assigned).
    for &k in &schema.primary_key.clone() {
        schema.columns[k].not_null = true;
    }
    for fk in &foreign {
        let columns = resolve(&fk.columns)?;
        let resolved = foreign_key(&schema, columns, fk, state)?;
        let parent = state.table(&resolved.parent);
        if parent.is_some_and(|p| p.schema.ttl.is_some() || !p.expiry.is_empty()) {
            return Err(Error::invalid(format!(
                "table {} has rows that expire (TTL), so a foreign key cannot reference it",
                resolved.parent
            )));
        }
        schema.foreign_keys.push(resolved);
    }
    for (name, value) in &c.options {
        match name.as_str() {
            "ttl" => schema.ttl = Some(duration(value, "WITH (ttl = …)")?),
            "max_rows" => match value {
                crate::storage::Value::Integer(n) if *n > 0 => schema.max_rows = Some(*n as u64),
                other => {
                    let shown = crate::storage::schema::literal_sql(other);
                    return Err(Error::invalid(format!(
                        "WITH (max_rows = …) takes a number of rows above 0, not {shown}"
                    )));
                }
            },
            // Planned with the table (see `sql::soft_delete`).
            "soft_delete" | "purge_after" | "history" => {}
            other => {
                return Err(Error::invalid(format!(
                    "unknown table option {other} (known: ttl, max_rows, soft_delete, purge_after, history)"
                )))
            }
        }
    }
    if schema.ttl.is_some() && schema.foreign_keys.iter().any(|fk| fk.parent.eq_ignore_ascii_case(&c.name)) {
        return Err(Error::invalid(format!("table {} refers to itself, so its rows cannot expire (TTL)", c.name)));
    }
    Ok((schema, defaults))
}

/// Resolves a FOREIGN KEY against its parent (which may be the table being created).
pub(super) fn foreign_key(
    schema: &TableSchema,
    columns: Vec<usize>,
    fk: &ForeignKeyDef,
    state: &State,
) -> Result<ForeignKey> {
    let parent =
        if fk.parent.eq_ignore_ascii_case(&schema.name) { schema } else { &state.table_or_err(&fk.parent)?.schema };
    let parent_columns = if fk.parent_columns.is_empty() {
        if parent.primary_key.is_empty() {
            return Err(Error::invalid(format!(
                "table {} has no primary key: name the columns the foreign key references",
                parent.name
            )));
        }
        parent.primary_key.clone()
    } else {
        fk.parent_columns
            .iter()
            .map(|n| {
                parent.column_index(n).ok_or_else(|| {
                    Error::from(ErrorKind::NoSuchColumn {
                        name: format!("{}.{n}", parent.name),
                        suggestion: closest(n, parent.columns.iter().map(|c| c.name.as_str())),
                    })
                })
            })
            .collect::<Result<Vec<_>>>()?
    };
    if parent_columns.len() != columns.len() {
        return Err(Error::invalid(format!(
            "foreign key has {} columns but references {} columns of {}",
            columns.len(),
            parent_columns.len(),
            parent.name
        )));
    }
    let keyed = parent.primary_key == parent_columns
        || parent.uniques.iter().any(|u| u.columns == parent_columns)
        || parent.indexes.iter().any(|i| i.unique && !i.is_computed() && i.columns == parent_columns);
    if !keyed {
        return Err(Error::invalid(format!(
            "foreign key must reference the primary key or a unique key of {} ({} is neither)",
            parent.name,
            parent.column_names(&parent_columns)
        )));
    }
    let names: Vec<&str> = columns.iter().map(|&c| schema.columns[c].name.as_str()).collect();
    Ok(ForeignKey {
        name: format!("{}_{}_fkey", schema.name, names.join("_")),
        columns,
        parent: parent.name.clone(),
        parent_names: parent_columns.iter().map(|&c| parent.columns[c].name.clone()).collect(),
        parent_columns,
        on_delete: fk.on_delete,
        on_update: fk.on_update,
    })
}

/// `(a > 0)` to `a > 0`, when the first parenthesis closes at the very end.
pub(in crate::sql) fn strip_outer_parens(sql: &str) -> String {
    let Some(inner) = sql.strip_prefix('(').and_then(|s| s.strip_suffix(')')) else {
        return sql.to_string();
    };
    let mut depth = 0i32;
    let mut in_quote = false;
    for c in inner.chars() {
        match c {
            '\'' => in_quote = !in_quote,
            '(' if !in_quote => depth += 1,
            ')' if !in_quote => {
                depth -= 1;
                if depth < 0 {
                    return sql.to_string();
                }
            }
            _ => {}
        }
    }
    inner.to_string()
}

/// The declared type of each column of `CREATE TABLE … AS query` that names a column
/// of a table in the query's FROM (`None` for the others, typed by their values).
pub(super) fn declared_types(query: &Select, state: &State) -> Vec<Option<DataType>> {
    // Only a plain SELECT over tables is looked into.
    let mut scope = Scope::default();
    let mut types = Vec::new();
    let tables = query.from.iter().flat_map(|t| std::iter::once(&t.table).chain(t.joins.iter().map(|j| &j.table)));
    for t in tables {
        let plain = t.subquery.is_none() && t.function.is_none() && t.as_of.is_none();
        let Some(table) = state.table(&t.name).filter(|_| plain) else {
            return Vec::new();
        };
        let Ok((mut one, _)) = table_scope(state, &t.name, t.alias.as_ref()) else { return Vec::new() };
        let mut st = one.tables.remove(0);
        st.offset = types.len();
        types.extend(table.schema.columns.iter().map(|c| c.ty));
        scope.tables.push(st);
    }
    if !query.compound.is_empty() {
        return Vec::new();
    }
    let Ok(items) = expand_columns(&query.columns, &scope) else { return Vec::new() };
    items
        .iter()
        .map(|(e, _, _)| match e {
            Expr::Column { table, name } => scope.resolve(table.as_deref(), name).ok().map(|i| types[i]),
            _ => None,
        })
        .collect()
}
