//! INSERT, UPDATE and DELETE, their CHECK constraints and TTLs, and writes to views
//! (handed to the view's INSTEAD OF triggers).

use super::*;

/// A write's steps for each row: its generated columns worked out (in an order where
/// each follows those it reads), then its CHECK constraints.
pub(super) fn plan_checks(schema: &TableSchema, scope: &Scope) -> Result<Vec<CheckPlan>> {
    let mut steps = plan_generated(schema)?;
    for c in &schema.checks {
        let expr = crate::sql::parser::parse_expr(&c.sql)?;
        let expr = Binder::new(scope, "not allowed in CHECK").bind(&expr)?;
        steps.push(CheckPlan { name: c.name.clone(), sql: c.sql.clone(), expr, generates: None });
    }
    Ok(steps)
}

/// The expression DEFAULTs of a table's columns, bound (over no columns).
pub(super) fn plan_defaults(schema: &TableSchema) -> Result<Vec<Option<BExpr>>> {
    let empty = Scope::default();
    schema
        .columns
        .iter()
        .map(|c| match &c.default {
            Some(ColumnDefault::Expr(sql)) => {
                let expr = crate::sql::parser::parse_expr(sql)?;
                Binder::new(&empty, "not allowed in DEFAULT").bind(&expr).map(Some)
            }
            _ => Ok(None),
        })
        .collect()
}

/// The rows an INSERT's source gives, each `width` values; `None` for DEFAULT VALUES.
pub(super) fn insert_source(
    source: &InsertSource,
    width: usize,
    width_error: &dyn Fn(usize) -> Error,
    cx: &Cx,
) -> Result<Option<InsertSourcePlan>> {
    Ok(Some(match source {
        InsertSource::Values(rows) => {
            let empty = Scope::default();
            let nest = Some(Nesting { planner: cx, outer: &[] });
            let mut binder = Binder::new(&empty, "not allowed in VALUES").nested(nest);
            let mut bound = Vec::with_capacity(rows.len());
            for (n, row) in rows.iter().enumerate() {
                if row.len() != width {
                    let e = width_error(row.len());
                    return Err(if rows.len() > 1 { e.in_row(n + 1) } else { e });
                }
                bound.push(row.iter().map(|e| binder.bind(e)).collect::<Result<Vec<_>>>()?);
            }
            InsertSourcePlan::Values(bound)
        }
        InsertSource::Select(s) => {
            let plan = plan_select(s, cx)?;
            if plan.columns.len() != width {
                return Err(width_error(plan.columns.len()));
            }
            InsertSourcePlan::Select(Box::new(plan))
        }
        InsertSource::DefaultValues => return Ok(None),
    }))
}

/// A write to a view: its INSTEAD OF triggers do the work, once for each row it names.
pub(super) fn plan_view_write(stmt: &Statement, view: &str, cx: &Cx) -> Result<Plan> {
    let returning = match stmt {
        Statement::Insert(i) => &i.returning,
        Statement::Update(u) => &u.returning,
        Statement::Delete(d) => &d.returning,
        _ => &Vec::new(),
    };
    if !returning.is_empty() {
        return Err(Error::invalid(format!("cannot use RETURNING to write to view {view}")));
    }
    let columns = view_columns(view, cx)?;
    let (event, kind) = match stmt {
        Statement::Insert(i) => {
            if i.conflict == Conflict::Replace || i.ttl.is_some() || !i.upserts.is_empty() {
                return Err(Error::invalid(format!(
                    "cannot use OR REPLACE, ON CONFLICT or WITH TTL to insert into view {view}"
                )));
            }
            let mut mapping = vec![None; columns.len()];
            let width = match &i.columns {
                Some(names) => {
                    for (pos, name) in names.iter().enumerate() {
                        let col = view_column(&columns, name, view)?;
                        if mapping[col].replace(pos).is_some() {
                            return Err(Error::invalid(format!("column {name} is named twice in INSERT")));
                        }
                    }
                    names.len()
                }
                None => {
                    mapping.iter_mut().enumerate().for_each(|(c, m)| *m = Some(c));
                    columns.len()
                }
            };
            let width_error = |got: usize| Error::invalid(format!("{got} values for {width} columns of view {view}"));
            let source = match insert_source(&i.source, width, &width_error, cx)? {
                Some(source) => source,
                None => {
                    mapping.iter_mut().for_each(|m| *m = None);
                    InsertSourcePlan::Values(vec![vec![]])
                }
            };
            ("INSERT", ViewWrite::Insert { mapping, source })
        }
        Statement::Update(u) => {
            if u.ttl.is_some() || u.conflict != Conflict::Abort || u.limit.is_some() || !u.from.is_empty() {
                return Err(Error::invalid(format!(
                    "cannot use UPDATE OR …, FROM, LIMIT or WITH TTL to update view {view}"
                )));
            }
            // The view's rows that match, each followed by its new values.
            let mut items = vec![SelectItem::Wildcard];
            let mut set = Vec::with_capacity(u.assignments.len());
            for (name, e) in &u.assignments {
                set.push(view_column(&columns, name, view)?);
                items.push(SelectItem::Expr { expr: e.clone(), alias: None, text: String::new() });
            }
            let query =
                Select { columns: items, from: vec![from_view(view)], filter: u.filter.clone(), ..Select::default() };
            ("UPDATE", ViewWrite::Update { rows: plan_select(&query, cx)?, set })
        }
        Statement::Delete(d) => {
            if d.limit.is_some() {
                return Err(Error::invalid(format!("cannot use LIMIT to delete from view {view}")));
            }
            let query = Select {
                columns: vec![SelectItem::Wildcard],
                from: vec![from_view(view)],
                filter: d.filter.clone(),
                ..Select::default()
            };
            ("DELETE", ViewWrite::Delete { rows: plan_select(&query, cx)? })
        }
        _ => return Err(Error::invalid(format!("cannot write to view {view}"))),
    };
    let key = view.to_ascii_lowercase();
    let set: &[usize] = match &kind {
        ViewWrite::Update { set, .. } => set,
        _ => &[],
    };
    let fires =
        cx.state.triggers().filter(|t| t.table == key && t.timing == TriggerTiming::InsteadOf).any(|t| {
            match &t.event {
                TriggerEvent::Insert => event == "INSERT",
                TriggerEvent::Delete => event == "DELETE",
                TriggerEvent::Update(cols) => {
                    event == "UPDATE"
                        && (cols.is_empty()
                            || cols.iter().any(|c| view_column(&columns, c, view).is_ok_and(|i| set.contains(&i))))
                }
            }
        });
    if !fires {
        return Err(Error::invalid(format!(
            "cannot modify {view} because it is a view (it has no INSTEAD OF {event} trigger)"
        )));
    }
    Ok(Plan::ViewWrite(Box::new(ViewWritePlan { view: key, columns, kind })))
}

/// The names of a view's columns, as `SELECT *` from it gives them.
pub(super) fn view_columns(view: &str, cx: &Cx) -> Result<Vec<String>> {
    let all = Select { columns: vec![SelectItem::Wildcard], from: vec![from_view(view)], ..Select::default() };
    Ok(plan_select(&all, cx)?.columns.to_vec())
}

pub(super) fn from_view(view: &str) -> FromTerm {
    FromTerm { table: TableRef { name: view.to_string(), ..TableRef::default() }, joins: Vec::new() }
}

pub(super) fn view_column(columns: &[String], name: &str, view: &str) -> Result<usize> {
    columns.iter().position(|c| c.eq_ignore_ascii_case(name)).ok_or_else(|| {
        ErrorKind::NoSuchColumn {
            name: format!("{view}.{name}"),
            suggestion: closest(name, columns.iter().map(String::as_str)),
        }
        .into()
    })
}

pub(super) fn plan_insert(i: &Insert, cx: &Cx) -> Result<InsertPlan> {
    let state = cx.state;
    let (scope, key) = table_scope(state, &i.table, i.alias.as_ref())?;
    let schema = &state.table_or_err(&i.table)?.schema;
    let ncols = schema.columns.len();
    let mut mapping = vec![None; ncols];
    let width = match &i.columns {
        Some(names) => {
            for (pos, name) in names.iter().enumerate() {
                let col = scope.resolve(None, name)?;
                refuse_generated(schema, col, "INSERT into")?;
                if mapping[col].is_some() {
                    return Err(Error::invalid(format!("column {name} is named twice in INSERT")));
                }
                mapping[col] = Some(pos);
            }
            names.len()
        }
        None => {
            // Values go to the columns that are not generated, in order.
            let stored = (0..ncols).filter(|&c| schema.columns[c].generated.is_none());
            stored.clone().enumerate().for_each(|(pos, c)| mapping[c] = Some(pos));
            stored.count()
        }
    };
    let width_error = |got: usize| {
        if i.columns.is_some() {
            Error::invalid(format!("{got} values for {width} columns"))
        } else {
            Error::invalid(format!("table {} has {width} columns but {got} values were supplied", schema.name))
        }
    };
    let source = match insert_source(&i.source, width, &width_error, cx)? {
        Some(source) => source,
        None => {
            mapping.iter_mut().for_each(|m| *m = None);
            InsertSourcePlan::Values(vec![vec![]])
        }
    };
    let checks = plan_checks(schema, &scope)?;
    let ttl = plan_ttl(&i.ttl, &key, state)?;
    let defaults = plan_defaults(schema)?;
    let upserts = i.upserts.iter().map(|u| plan_upsert(u, schema, &scope, cx)).collect::<Result<_>>()?;
    let returning = plan_returning(&i.returning, &scope, cx)?;
    Ok(InsertPlan {
        table: key.into(),
        schema: schema.clone(),
        conflict: i.conflict,
        mapping,
        source,
        defaults,
        checks,
        ttl,
        upserts,
        returning,
    })
}

/// One `ON CONFLICT` clause: the constraint its columns name, and DO UPDATE's
/// expressions over the stored row followed by the `excluded` one.
fn plan_upsert(u: &Upsert, schema: &TableSchema, scope: &Scope, cx: &Cx) -> Result<UpsertPlan> {
    if !u.target_exprs.is_empty() {
        let target = expression_target(u, schema, scope, cx)?;
        return plan_upsert_update(u, Some(target), schema, scope, cx);
    }
    let target = match &u.target {
        None => None,
        Some(names) => {
            let cols = names.iter().map(|n| scope.resolve(None, n)).collect::<Result<Vec<_>>>()?;
            // Uniqueness over a column with a collation is a unique index keyed by the
            // folded column: the columns name it as expressions would.
            let folds =
                |c: &usize| schema.columns.get(*c).and_then(|c| c.collation).is_some_and(|c| c != Collation::Binary);
            if cols.iter().any(folds) {
                let target_exprs = names.iter().map(|n| Expr::Column { table: None, name: n.clone() }).collect();
                let as_exprs = Upsert { target: None, target_exprs, ..u.clone() };
                let target = expression_target(&as_exprs, schema, scope, cx)?;
                return plan_upsert_update(u, Some(target), schema, scope, cx);
            }
            let same = |c: &[usize]| c.len() == cols.len() && c.iter().all(|x| cols.contains(x));
            if let Some(w) = &u.target_filter {
                // A partial unique index of these columns whose WHERE this one implies.
                let filter = Binder::new(scope, "not allowed in ON CONFLICT WHERE").bind(w)?;
                let mut terms = Vec::new();
                access::conjuncts(&filter, &mut terms);
                let table = cx.state.table_or_err(&schema.name)?;
                let partial = table.indexes.iter().find(|ix| {
                    let compiled = access::compiled(ix);
                    ix.unique
                        && ix.is_partial()
                        && same(&ix.columns)
                        && compiled.is_some_and(|c| c.parts.iter().all(Option::is_none))
                        && compiled.and_then(|c| c.predicate.as_ref()).is_some_and(|p| access::implies(&terms, p))
                });
                if let Some(ix) = partial {
                    return plan_upsert_update(u, Some(ConflictTarget::Index(ix.name.clone())), schema, scope, cx);
                }
            }
            let uniques = schema.uniques.iter().map(|u| &u.columns);
            let unique = uniques
                .chain(schema.indexes.iter().filter(|i| i.unique && !i.is_computed()).map(|i| &i.columns))
                .find(|c| same(c));
            match unique {
                _ if !schema.primary_key.is_empty() && same(&schema.primary_key) => Some(ConflictTarget::Key),
                Some(c) => Some(ConflictTarget::Unique(c.clone())),
                None => {
                    return Err(Error::invalid(format!(
                        "ON CONFLICT ({}) does not match any PRIMARY KEY or UNIQUE constraint of table {}",
                        names.join(", "),
                        schema.name
                    )))
                }
            }
        }
    };
    plan_upsert_update(u, target, schema, scope, cx)
}

/// `ON CONFLICT (expr, …)`: the UNIQUE index whose key is those expressions (and
/// columns), in any order, whose WHERE (for a partial one) the clause's WHERE implies.
fn expression_target(u: &Upsert, schema: &TableSchema, scope: &Scope, cx: &Cx) -> Result<ConflictTarget> {
    let mut binder = Binder::new(scope, "not allowed in an ON CONFLICT target");
    let wanted = u.target_exprs.iter().map(|e| binder.bind_key(e)).collect::<Result<Vec<_>>>()?;
    let mut terms = Vec::new();
    let filter = u.target_filter.as_ref().map(|w| Binder::new(scope, "not allowed in ON CONFLICT WHERE").bind(w));
    let filter = filter.transpose()?;
    if let Some(f) = &filter {
        access::conjuncts(f, &mut terms);
    }
    let table = cx.state.table_or_err(&schema.name)?;
    let found = table.indexes.iter().find(|ix| {
        let Some(c) = access::compiled(ix) else { return false };
        let parts: Vec<BExpr> = ix
            .columns
            .iter()
            .enumerate()
            .map(|(i, &col)| c.parts.get(i).cloned().flatten().unwrap_or(BExpr::Column(col)))
            .collect();
        ix.unique
            && parts.len() == wanted.len()
            && parts.iter().all(|p| wanted.contains(p))
            && c.predicate.as_ref().is_none_or(|p| access::implies(&terms, p))
    });
    match found {
        Some(ix) => Ok(ConflictTarget::Index(ix.name.clone())),
        None => {
            let shown: Vec<String> = u.target_exprs.iter().map(|e| e.to_string()).collect();
            Err(Error::invalid(format!(
                "ON CONFLICT ({}) does not match any UNIQUE index of table {}",
                shown.join(", "),
                schema.name
            )))
        }
    }
}

/// An upsert's DO NOTHING or DO UPDATE for a conflict on `target`.
fn plan_upsert_update(
    u: &Upsert,
    target: Option<ConflictTarget>,
    schema: &TableSchema,
    scope: &Scope,
    cx: &Cx,
) -> Result<UpsertPlan> {
    let Some(update) = &u.update else {
        return Ok(UpsertPlan { target, update: None });
    };
    // `excluded.col` names the row that was to be inserted; a bare name, the stored one.
    let mut both = scope.clone();
    let columns: Vec<String> = schema.columns.iter().map(|c| c.name.clone()).collect();
    both.tables.push(ScopeTable {
        name: "excluded".into(),
        alias: None,
        hidden: columns.clone(),
        columns,
        offset: schema.columns.len(),
        rowid: schema.integer_key(),
        types: schema.columns.iter().map(|c| c.ty).collect(),
        collations: schema.columns.iter().map(|c| c.collation).collect(),
    });
    let nest = Some(Nesting { planner: cx, outer: &[] });
    let mut binder = Binder::new(&both, "not allowed in ON CONFLICT DO UPDATE").nested(nest);
    let mut assignments = Vec::with_capacity(update.assignments.len());
    for (name, e) in &update.assignments {
        let col = scope.resolve(None, name)?;
        refuse_generated(schema, col, "UPDATE")?;
        assignments.push((col, binder.bind(e)?));
    }
    let filter = update.filter.as_ref().map(|w| binder.bind(w)).transpose()?;
    let width = schema.columns.len();
    let reads_excluded = assignments.iter().map(|(_, e)| e).chain(&filter).any(|e| {
        let mut outside = e.has_subquery();
        e.visit_columns(&mut |c| outside |= c >= width);
        outside
    });
    Ok(UpsertPlan { target, update: Some(UpsertUpdatePlan { assignments, filter, reads_excluded }) })
}

/// `[ORDER BY …] LIMIT n [OFFSET m]` of an UPDATE or DELETE.
fn plan_limit(limit: &Option<RowLimit>, scope: &Scope, cx: &Cx) -> Result<Option<RowLimitPlan>> {
    let Some(l) = limit else { return Ok(None) };
    let nest = Some(Nesting { planner: cx, outer: &[] });
    let mut binder = Binder::new(scope, "not allowed in ORDER BY").nested(nest);
    let mut order_by = Vec::with_capacity(l.order_by.len());
    for o in &l.order_by {
        let expr = SortExpr::Expr(binder.bind_key(&o.expr)?);
        order_by.push(SortKey { expr, desc: o.desc, nulls_first: o.nulls_first.unwrap_or(!o.desc) });
    }
    let empty = Scope::default();
    let mut constant = Binder::new(&empty, "not allowed in LIMIT");
    let offset = l.offset.as_ref().map(|o| constant.bind(o)).transpose()?;
    Ok(Some(RowLimitPlan { order_by, limit: constant.bind(&l.limit)?, offset }))
}

/// `RETURNING …`, bound over the table's columns (`*` is every one).
fn plan_returning(items: &[SelectItem], scope: &Scope, cx: &Cx) -> Result<Option<ReturningPlan>> {
    if items.is_empty() {
        return Ok(None);
    }
    let nest = Some(Nesting { planner: cx, outer: &[] });
    let mut binder = Binder::new(scope, "not allowed in RETURNING").nested(nest);
    let mut names = Vec::new();
    let mut exprs = Vec::new();
    for (e, name, _) in expand_columns(items, scope)? {
        exprs.push(binder.bind(&e)?);
        names.push(name);
    }
    Ok(Some(ReturningPlan { columns: names.into(), exprs }))
}

pub(super) fn plan_update(u: &Update, cx: &Cx) -> Result<UpdatePlan> {
    let state = cx.state;
    let (scope, key) = table_scope(state, &u.table, None)?;
    let schema = &state.table_or_err(&u.table)?.schema;
    let nest = Some(Nesting { planner: cx, outer: &[] });
    let mut binder = Binder::new(&scope, "not allowed in UPDATE").nested(nest);
    let mut assignments = Vec::new();
    for (n, (name, e)) in u.assignments.iter().enumerate() {
        let col = scope.resolve(None, name)?;
        refuse_generated(schema, col, "UPDATE")?;
        // With FROM, the joined query works the values out: each comes after the row.
        let bound = if u.from.is_empty() { binder.bind(e)? } else { BExpr::Column(schema.columns.len() + n) };
        assignments.push((col, bound));
    }
    let keyed = with_rowid(&scope, schema);
    let (filter, from) = match u.from.is_empty() {
        true => (
            u.filter.as_ref().map(|w| Binder::new(&keyed, "not allowed in WHERE").nested(nest).bind(w)).transpose()?,
            None,
        ),
        false => (None, Some(Box::new(plan_update_from(u, schema, cx)?))),
    };
    let checks = plan_checks(schema, &scope)?;
    let access = access::choose(state.table_or_err(&u.table)?, filter.as_ref());
    let ttl = plan_ttl(&u.ttl, &key, state)?;
    let returning = plan_returning(&u.returning, &scope, cx)?;
    let limit = plan_limit(&u.limit, &scope, cx)?;
    let conflict = u.conflict;
    Ok(UpdatePlan { table: key.into(), conflict, access, assignments, filter, checks, ttl, returning, limit, from })
}

/// `UPDATE t SET … FROM others WHERE …` as the query `SELECT t.*, <SET values> FROM t,
/// others WHERE …`, which the planner joins as it would any other.
fn plan_update_from(u: &Update, schema: &TableSchema, cx: &Cx) -> Result<SelectPlan> {
    // A table of a namespace goes by its own name, as in FROM.
    let label = u.table.split_once('.').map_or(u.table.as_str(), |(_, bare)| bare).to_string();
    let column = |name: &str| Expr::Column { table: Some(label.clone()), name: name.to_string() };
    let item = |expr: Expr| SelectItem::Expr { expr, alias: None, text: String::new() };
    let mut columns: Vec<SelectItem> = schema.columns.iter().map(|c| item(column(&c.name))).collect();
    columns.extend(u.assignments.iter().map(|(_, e)| item(e.clone())));
    let target =
        TableRef { name: u.table.clone(), alias: (label != u.table).then(|| label.clone()), ..TableRef::default() };
    let mut from = vec![FromTerm { table: target, joins: Vec::new() }];
    from.extend(u.from.iter().cloned());
    let query = Select { columns, from, filter: u.filter.clone(), ..Select::default() };
    plan_select(&query, cx)
}

/// A duration given as an interval text or a number of seconds.
pub(super) fn duration(v: &crate::storage::Value, what: &str) -> Result<i64> {
    let micros = match v {
        crate::storage::Value::Text(t) => crate::storage::time::parse_interval(t),
        crate::storage::Value::Integer(i) if *i >= 0 => i.checked_mul(1_000_000),
        crate::storage::Value::Real(r) if *r >= 0.0 && *r < 9.2e12 => Some((r * 1e6).round() as i64),
        _ => None,
    };
    micros.ok_or_else(|| {
        let shown = crate::storage::schema::literal_sql(v);
        Error::invalid(format!("{what}: {shown} is not a duration (try '30 seconds', '10 minutes' or '1 hour')"))
    })
}

/// A table (if any) whose foreign key refers to `table`; with `itself`, the table's own
/// foreign keys count too.
pub(super) fn referrer(state: &State, table: &str, itself: bool) -> Option<String> {
    state
        .tables()
        .filter(|t| itself || !t.name().eq_ignore_ascii_case(table))
        .find(|t| t.schema.foreign_keys.iter().any(|fk| fk.parent.eq_ignore_ascii_case(table)))
        .map(|t| t.name().to_string())
}

/// `WITH TTL …` of an INSERT or UPDATE.
pub(super) fn plan_ttl(spec: &Option<Option<String>>, table: &str, state: &State) -> Result<Option<Option<i64>>> {
    let Some(spec) = spec else { return Ok(None) };
    let Some(text) = spec else { return Ok(Some(None)) };
    let micros = duration(&crate::storage::Value::text(text), "WITH TTL")?;
    // Rows that expire are removed without foreign key actions, so a referenced table
    // (even by itself) cannot have them.
    if let Some(child) = referrer(state, table, true) {
        return Err(Error::invalid(format!(
            "rows of {table} cannot expire: table {child} has a foreign key that references it"
        )));
    }
    Ok(Some(Some(micros)))
}

/// The scope of an UPDATE's or DELETE's WHERE: for a table without an integer key of its
/// own, `rowid` is its row key, which the rows it matches get after their columns
/// (`exec::write::matching`).
fn with_rowid(scope: &Scope, schema: &TableSchema) -> Scope {
    let mut keyed = scope.clone();
    if let (true, Some(t)) = (schema.primary_key.is_empty(), keyed.tables.first_mut()) {
        t.rowid = Some(schema.columns.len());
    }
    keyed
}

pub(super) fn plan_delete(d: &Delete, cx: &Cx) -> Result<DeletePlan> {
    let state = cx.state;
    let (scope, key) = table_scope(state, &d.table, None)?;
    let nest = Some(Nesting { planner: cx, outer: &[] });
    let keyed = with_rowid(&scope, &state.table_or_err(&d.table)?.schema);
    let filter =
        d.filter.as_ref().map(|w| Binder::new(&keyed, "not allowed in WHERE").nested(nest).bind(w)).transpose()?;
    let access = access::choose(state.table_or_err(&d.table)?, filter.as_ref());
    let returning = plan_returning(&d.returning, &scope, cx)?;
    let limit = plan_limit(&d.limit, &scope, cx)?;
    Ok(DeletePlan { table: key.into(), access, filter, returning, limit })
}
