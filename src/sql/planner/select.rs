//! SELECT: expanding `*`, binding every clause, GROUP BY and ORDER BY by ordinal or
//! alias, compound selects, and the access path of each table.

use super::*;

/// The projection after expanding `*` and `t.*`: (expression, output name, alias).
pub(super) fn expand_columns(items: &[SelectItem], scope: &Scope) -> Result<Vec<(Expr, String, Option<String>)>> {
    let mut out = Vec::new();
    let column = |t: &ScopeTable, c: &String| Expr::Column { table: Some(t.label().to_string()), name: c.clone() };
    for item in items {
        match item {
            SelectItem::Wildcard => {
                if scope.tables.is_empty() {
                    return Err(Error::invalid("SELECT * needs a FROM clause"));
                }
                for t in &scope.tables {
                    let shown = t.columns.iter().filter(|c| !t.hidden.iter().any(|h| h.eq_ignore_ascii_case(c)));
                    out.extend(shown.map(|c| (column(t, c), c.clone(), None)));
                }
            }
            SelectItem::TableWildcard(q) => {
                let t = scope.find_table(q).ok_or_else(|| ErrorKind::NoSuchTable {
                    name: q.clone(),
                    suggestion: closest(q, scope.tables.iter().map(|t| t.label())),
                })?;
                out.extend(t.columns.iter().map(|c| (column(t, c), c.clone(), None)));
            }
            SelectItem::Expr { expr, alias, text } => {
                let name = match (alias, expr) {
                    (Some(a), _) => a.clone(),
                    (None, Expr::Column { name, .. }) => name.clone(),
                    (None, _) => text.clone(),
                };
                out.push((expr.clone(), name, alias.clone()));
            }
        }
    }
    Ok(out)
}

/// Resolves a GROUP BY or ORDER BY term that is an ordinal or an output alias to the
/// position of an output column.
pub(super) fn output_ref(e: &Expr, cols: &[(Expr, String, Option<String>)], clause: &str) -> Result<Option<usize>> {
    if let Some(k) = ordinal(e) {
        if k < 1 || k as usize > cols.len() {
            return Err(Error::invalid(format!("{clause} term out of range: should be between 1 and {}", cols.len())));
        }
        return Ok(Some(k as usize - 1));
    }
    if let Expr::Column { table: None, name } = e {
        let by_alias = cols.iter().position(|(_, _, a)| a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(name)));
        return Ok(by_alias);
    }
    Ok(None)
}

/// A compound SELECT: each part planned on its own, then ORDER BY over output columns
/// and LIMIT for the whole.
pub(super) fn plan_compound(s: &Select, cx: &Cx, outer: &[OuterScope]) -> Result<SelectPlan> {
    let core =
        |sel: &Select| Select { compound: Vec::new(), order_by: Vec::new(), limit: None, offset: None, ..sel.clone() };
    let mut first = plan_select_in(&core(s), cx, outer)?;
    let mut arms = Vec::with_capacity(s.compound.len());
    for (op, arm) in &s.compound {
        let plan = plan_select_in(&core(arm), cx, outer)?;
        if plan.columns.len() != first.columns.len() {
            return Err(Error::invalid(format!(
                "SELECTs to the left and right of {op} do not have the same number of result columns"
            )));
        }
        arms.push((*op, plan));
    }
    let names = first.columns.clone();
    let mut order_by = Vec::new();
    for (n, o) in s.order_by.iter().enumerate() {
        let by_name = |name: &str| names.iter().position(|c| c.eq_ignore_ascii_case(name));
        let i = match (ordinal(&o.expr), &o.expr) {
            (Some(k), _) if k >= 1 && (k as usize) <= names.len() => Some(k as usize - 1),
            (Some(_), _) => None,
            (None, Expr::Column { name, .. }) => by_name(name),
            (None, e) => by_name(&e.to_string()),
        };
        let i = i.ok_or_else(|| {
            Error::invalid(format!("ORDER BY term {} does not match any column in the result set", n + 1))
        })?;
        order_by.push(SortKey {
            expr: SortExpr::Output(i),
            desc: o.desc,
            nulls_first: o.nulls_first.unwrap_or(!o.desc),
        });
    }
    let empty = Scope::default();
    let mut constant = Binder::new(&empty, "not allowed in LIMIT");
    first.limit = s.limit.as_ref().map(|l| constant.bind(l)).transpose()?;
    first.offset = s.offset.as_ref().map(|l| constant.bind(l)).transpose()?;
    first.order_by = order_by;
    first.ordered = false;
    first.compound = arms;
    Ok(first)
}

pub(super) fn plan_select(s: &Select, cx: &Cx) -> Result<SelectPlan> {
    plan_select_in(s, cx, &[])
}

impl SubqueryPlanner for Cx<'_> {
    fn plan_subquery(&self, query: &Select, outer: &[OuterScope]) -> Result<SelectPlan> {
        self.nested(|| plan_select_in(query, self, outer))
    }
}

/// Plans a SELECT nested in the given queries (none for a statement's own SELECT).
pub(super) fn plan_select_in(s: &Select, cx: &Cx, outer: &[OuterScope]) -> Result<SelectPlan> {
    if let Some(with) = &s.with {
        let body = Select { with: None, ..s.clone() };
        return cx.with_ctes(with, Some(&body), || plan_select_in(&body, cx, outer));
    }
    if !s.compound.is_empty() {
        return plan_compound(s, cx, outer);
    }
    if let Some(keyed) = history_key(s, cx.state) {
        return plan_select_in(&keyed, cx, outer);
    }
    let nest = Some(Nesting { planner: cx, outer });
    let items = join::from_items(
        s,
        cx.state,
        cx.history,
        &|q: &Select| cx.nested(|| plan_select_in(q, cx, &[])),
        &|t: &TableRef| cx.cte(t),
    )?;
    let mut scope = join::scope_of(&items);
    let table = match items.as_slice() {
        [only] if only.derived.is_none() && only.function.is_none() && only.json.is_none() => Some(&only.table),
        _ => None,
    };
    // `ttl_remaining()` reads an extra column the scan adds: when each row expires.
    let expiry = table.is_some() && s.calls("ttl_remaining");
    if let (true, Some(t)) = (expiry, table) {
        scope.expiry = Some(t.schema.columns.len());
    }
    // So does `rowid` of a table without an integer key of its own: its row key.
    let rowid = table.is_some_and(|t| t.schema.primary_key.is_empty()) && s.names_rowid();
    if let (true, Some(t), Some(only)) = (rowid, table, scope.tables.first_mut()) {
        only.rowid = Some(t.schema.columns.len() + usize::from(expiry));
    }
    let cols = expand_columns(&s.columns, &scope)?;
    let filter =
        s.filter.as_ref().map(|w| Binder::new(&scope, "not allowed in WHERE").nested(nest).bind(w)).transpose()?;

    let is_aggregate = !s.group_by.is_empty()
        || cols.iter().any(|(e, ..)| has_aggregate(e))
        || s.having.as_ref().is_some_and(has_aggregate)
        || s.order_by.iter().any(|o| has_aggregate(&o.expr));
    if s.having.is_some() && !is_aggregate {
        return Err(Error::invalid("HAVING needs GROUP BY or an aggregate"));
    }

    let mut calls = Vec::new();
    let mut group_by = Vec::new();
    for g in &s.group_by {
        let term = match output_ref(g, &cols, "GROUP BY")? {
            Some(i) => &cols[i].0,
            None => g,
        };
        group_by.push(Binder::new(&scope, "not allowed in GROUP BY").nested(nest).bind_key(term)?);
    }

    let mut windows = Vec::new();
    let mut binder = if is_aggregate {
        Binder::with_aggregates(&scope, &mut calls, "not allowed here").nested(nest)
    } else {
        Binder::new(&scope, "not allowed here").nested(nest)
    };
    binder = binder.with_windows(&mut windows, scope.width(), &s.windows);
    let projection = cols.iter().map(|(e, ..)| binder.bind(e)).collect::<Result<Vec<_>>>()?;
    // Window functions are worked out after HAVING, so it cannot read them.
    let allowed = binder.windows.take();
    binder.clause = "not allowed in HAVING";
    let having = s.having.as_ref().map(|h| binder.bind(h)).transpose()?;
    binder.windows = allowed;
    binder.clause = "not allowed here";
    // Each output column's collation other than BINARY (a column's declared one, or an
    // explicit COLLATE): what ORDER BY of that column sorts under, and what a derived
    // table or view made of this query declares of its columns.
    let collations: Vec<Option<Collation>> =
        cols.iter().map(|(e, ..)| binder.collation_of(&[e]).filter(|c| *c != Collation::Binary)).collect();
    let folded = |i: usize, c: Collation| SortExpr::Expr(BExpr::Func(Func::Collate(c), vec![projection[i].clone()]));
    let mut order_by = Vec::new();
    for o in &s.order_by {
        let expr = match (output_ref(&o.expr, &cols, "ORDER BY")?, &o.expr) {
            // An output column that is a column with a collation sorts under it.
            (Some(i), _) => collations[i].map_or(SortExpr::Output(i), |c| folded(i, c)),
            // `ORDER BY alias COLLATE NOCASE`: the output column, folded.
            (None, Expr::Collate { expr, collation }) if output_ref(expr, &cols, "ORDER BY")?.is_some() => {
                let i = output_ref(expr, &cols, "ORDER BY")?.expect("just matched");
                folded(i, *collation)
            }
            (None, _) => SortExpr::Expr(binder.bind_key(&o.expr)?),
        };
        let nulls_first = o.nulls_first.unwrap_or(!o.desc);
        order_by.push(SortKey { expr, desc: o.desc, nulls_first });
    }
    let empty = Scope::default();
    let mut constant = Binder::new(&empty, "not allowed in LIMIT");
    let limit = s.limit.as_ref().map(|l| constant.bind(l)).transpose()?;
    let offset = s.offset.as_ref().map(|l| constant.bind(l)).transpose()?;

    let mut ordered = false;
    let mut window_ordered = false;
    let mut covering = false;
    let mut filter = filter;
    let source = match (items.first(), table) {
        (Some(t), Some(table)) => {
            let mut access = access::choose(table, filter.as_ref());
            // ORDER BY … LIMIT k over a key or index order reads k rows instead of sorting.
            if matches!(access, Access::Full { .. }) && limit.is_some() && !is_aggregate && !s.distinct {
                if let Some((keys, desc)) = order_exprs(&order_by, &projection) {
                    if let Some(path) = access::ordered_by(table, &keys, desc) {
                        access = path;
                        ordered = true;
                    }
                }
            }
            // A window's partition and order over a key or index order: rows arrive
            // sorted, and the window's sort only confirms it.
            if matches!(access, Access::Full { reverse: false }) && !ordered && !is_aggregate {
                if let Some((columns, desc)) = windows.first().and_then(window_columns) {
                    if let Some(path) = access::ordered(table, &columns, desc) {
                        access = path;
                        window_ordered = true;
                    }
                }
            }
            filter = access::residual(table, &access, filter.take());
            Source::Scan {
                table: table.schema.name.to_ascii_lowercase(),
                as_of: t.tref.as_of.clone(),
                access,
                filter: None,
                expiry,
                rowid,
                reads: None,
            }
        }
        (Some(_), None) => {
            let (source, rest) = join::join_source(&items, &scope, filter.take(), nest)?;
            filter = rest;
            source
        }
        _ => Source::Single,
    };
    // An index holding every column the statement reads serves rows by itself (a
    // covering scan), and stored rows are decoded only as far as the statement reads
    // them. A subquery may read any column through its outer references: then neither.
    let mut source = source;
    let exprs = || {
        let sorts = order_by.iter().filter_map(|k| match &k.expr {
            SortExpr::Expr(e) => Some(e),
            SortExpr::Output(_) => None,
        });
        let aggs = calls.iter().flat_map(|c| c.arg.iter().chain(c.separator.iter()).chain(c.filter.iter()));
        filter.iter().chain(&projection).chain(having.iter()).chain(sorts).chain(&group_by).chain(aggs).chain(
            windows.iter().flat_map(|w| {
                let agg = w.agg.iter().flat_map(|c| c.arg.iter().chain(c.separator.iter()).chain(c.filter.iter()));
                let keys = w.order_by.iter().filter_map(|k| match &k.expr {
                    SortExpr::Expr(e) => Some(e),
                    SortExpr::Output(_) => None,
                });
                w.args.iter().chain(agg).chain(&w.partition_by).chain(keys)
            }),
        )
    };
    if !exprs().any(BExpr::has_subquery) {
        let mut used = Vec::new();
        // Columns past the source's are window function values, added later.
        exprs().for_each(|e| used.extend(e.columns().into_iter().filter(|&c| c < scope.width())));
        if let (Source::Scan { access, .. }, Some(table)) = (&source, table) {
            covering = !expiry && !rowid && access::covers(table, access, &used);
        }
        let mut needed = vec![false; scope.width()];
        used.iter().for_each(|&c| needed.get_mut(c).into_iter().for_each(|n| *n = true));
        source.restrict_reads(&needed);
    }

    // Output columns of JSON: a JSON column, a JSON function's or aggregate's result.
    let json_input: Vec<bool> =
        items.iter().flat_map(|i| i.table.schema.columns.iter().map(|c| c.ty == DataType::Json)).collect();
    let json = projection.iter().enumerate().take(64).fold(0u64, |bits, (i, e)| {
        let is_json = match e {
            BExpr::Column(c) => json_input.get(*c).copied().unwrap_or(false),
            // json_pretty asked for its own layout: it is shown as written.
            BExpr::Func(Func::Json(f, ..), _) => f.returns_json() && *f != JsonFunc::Pretty,
            BExpr::Agg(a) => {
                calls.get(*a).is_some_and(|c| matches!(c.func, AggFunc::JsonGroupArray | AggFunc::JsonGroupObject))
            }
            _ => false,
        };
        bits | (u64::from(is_json) << i)
    });

    Ok(SelectPlan {
        source,
        input_columns: scope.tables.iter().flat_map(|t| t.columns.iter().cloned()).collect(),
        ordered,
        covering,
        filter_reads: filter.as_ref().map_or(Some(Mask::EMPTY), BExpr::reads),
        filter,
        aggregate: is_aggregate.then_some(Aggregate { group_by, calls }),
        having,
        projection,
        columns: cols.into_iter().map(|(_, name, _)| name).collect::<Vec<_>>().into(),
        distinct: s.distinct,
        order_by,
        limit,
        offset,
        windows,
        window_ordered,
        compound: Vec::new(),
        json,
        collations,
    })
}

/// The plain columns a window sorts its rows by (partition, then order) when an index
/// order can serve them: every order key a column in one direction, and partitions
/// (which the window sorts ascending) only under an ascending order.
fn window_columns(w: &WindowCall) -> Option<(Vec<usize>, bool)> {
    let desc = w.order_by.first().is_some_and(|k| k.desc);
    if desc && !w.partition_by.is_empty() {
        return None;
    }
    let partition = w.partition_by.iter().map(|e| SortKey { expr: SortExpr::Expr(e.clone()), desc, nulls_first: true });
    let keys: Vec<SortKey> = partition.chain(w.order_by.iter().cloned()).collect();
    order_columns(&keys, &[])
}

/// The plain columns an ORDER BY sorts by, when every key is a column in the same
/// direction with NULLs where the index order puts them.
/// The expressions an ORDER BY sorts on, when every key sorts one way (with NULLs
/// where that way puts them).
fn order_exprs<'a>(keys: &'a [SortKey], projection: &'a [BExpr]) -> Option<(Vec<&'a BExpr>, bool)> {
    let desc = keys.first()?.desc;
    let mut exprs = Vec::new();
    for k in keys {
        if k.desc != desc || k.nulls_first == desc {
            return None;
        }
        exprs.push(match &k.expr {
            SortExpr::Output(i) => &projection[*i],
            SortExpr::Expr(e) => e,
        });
    }
    Some((exprs, desc))
}

pub(super) fn order_columns(keys: &[SortKey], projection: &[BExpr]) -> Option<(Vec<usize>, bool)> {
    let desc = keys.first()?.desc;
    let mut columns = Vec::new();
    for k in keys {
        let expr = match &k.expr {
            SortExpr::Output(i) => &projection[*i],
            SortExpr::Expr(e) => e,
        };
        match expr {
            BExpr::Column(c) if k.desc == desc && k.nulls_first != desc => columns.push(*c),
            _ => return None,
        }
    }
    Some((columns, desc))
}

/// `SELECT … FROM history(t) WHERE id = k`, where `id` is t's one-column primary key:
/// the same query over `history(t, k)`, which looks the row up in each kept version
/// instead of diffing whole versions. The WHERE stays as it was.
fn history_key(s: &Select, state: &State) -> Option<Select> {
    let [only] = s.from.as_slice() else { return None };
    let t = &only.table;
    let args = t.function.as_deref()?;
    let ([Expr::Literal(crate::storage::Value::Text(name))], true) =
        (args, only.joins.is_empty() && t.name.eq_ignore_ascii_case("history"))
    else {
        return None;
    };
    let schema = &state.table(name)?.schema;
    let [k] = schema.primary_key.as_slice() else { return None };
    let key = &schema.columns[*k].name;
    let label = t.alias.as_deref().unwrap_or("history");
    let names_key = |e: &Expr| match e {
        Expr::Column { table, name } => {
            name.eq_ignore_ascii_case(key) && table.as_deref().is_none_or(|q| q.eq_ignore_ascii_case(label))
        }
        _ => false,
    };
    let mut conjuncts = vec![s.filter.as_ref()?];
    while let Some(e) = conjuncts.pop() {
        let Expr::Binary { op, left, right } = e else { continue };
        match op {
            BinaryOp::And => conjuncts.extend([&**left, &**right]),
            BinaryOp::Eq => {
                let value = match (&**left, &**right) {
                    (c, v @ (Expr::Literal(_) | Expr::Param(_))) | (v @ (Expr::Literal(_) | Expr::Param(_)), c)
                        if names_key(c) =>
                    {
                        v
                    }
                    _ => continue,
                };
                let mut keyed = s.clone();
                keyed.from[0].table.function = Some(vec![args[0].clone(), value.clone()]);
                return Some(keyed);
            }
            _ => {}
        }
    }
    None
}
