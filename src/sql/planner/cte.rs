//! Common table expressions: the names a WITH clause brings into scope, each planned
//! when a FROM clause first reads it. A CTE read once is planned in place, as a
//! subquery in FROM would be; one read more than once (or MATERIALIZED) is worked out
//! once per statement; a recursive one runs its steps until they add no row.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::sql::join::Derived;

/// One CTE in scope while its statement is planned.
pub(super) struct CteBinding {
    def: Cte,
    /// `WITH RECURSIVE`: the CTE may read itself.
    recursive: bool,
    /// How many FROM items of the statement name it (more than one: kept once worked out).
    reads: usize,
    planned: RefCell<Option<(Vec<String>, Derived)>>,
    /// Set while its own query is planned: a non-recursive CTE naming itself there
    /// means a table of that name.
    in_progress: Cell<bool>,
    /// While a recursive CTE's steps are planned: the id and columns of its working rows.
    working: RefCell<Option<(usize, Vec<String>)>>,
}

/// Ids for working rows, unique in the process (plans are cached and run together).
static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

impl Cx<'_> {
    /// Plans `body` with the CTEs of `with` in scope; `owner` is the query they belong
    /// to (for counting how often each is read), `None` for a write's.
    pub(super) fn with_ctes<T>(
        &self,
        with: &With,
        owner: Option<&Select>,
        body: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let mut names: Vec<&str> = Vec::new();
        for c in &with.ctes {
            if names.iter().any(|n| n.eq_ignore_ascii_case(&c.name)) {
                return Err(Error::invalid(format!("duplicate WITH table name: {}", c.name)));
            }
            names.push(&c.name);
        }
        let depth = self.ctes.borrow().len();
        for c in &with.ctes {
            let reads = match owner {
                // Reads by the others and by the query; a recursive CTE reading itself
                // is not a second reader.
                Some(q) => {
                    let others = with.ctes.iter().filter(|o| !std::ptr::eq(*o, c));
                    others.map(|o| reads_of(&o.query, &c.name)).sum::<usize>() + reads_of(q, &c.name)
                }
                None => 2,
            };
            self.ctes.borrow_mut().push(Rc::new(CteBinding {
                def: c.clone(),
                recursive: with.recursive,
                reads,
                planned: RefCell::new(None),
                in_progress: Cell::new(false),
                working: RefCell::new(None),
            }));
        }
        let out = body();
        self.ctes.borrow_mut().truncate(depth);
        out
    }

    /// The CTE a FROM item names, if one is in scope.
    pub(super) fn cte(&self, t: &TableRef) -> Option<Result<(Vec<String>, Derived)>> {
        if t.as_of.is_some() || t.function.is_some() || t.subquery.is_some() {
            return None;
        }
        let (pos, binding) = {
            let stack = self.ctes.borrow();
            let found = stack.iter().enumerate().rev().find(|(_, b)| {
                b.def.name.eq_ignore_ascii_case(&t.name) && (b.working.borrow().is_some() || !b.in_progress.get())
            });
            let (pos, b) = found?;
            (pos, Rc::clone(b))
        };
        if let Some((id, columns)) = binding.working.borrow().clone() {
            return Some(Ok((columns, Derived::Working(id))));
        }
        if let Some(done) = binding.planned.borrow().clone() {
            return Some(Ok(done));
        }
        // The query sees the CTEs before it, not those of queries nested where it is read.
        let inner = self.ctes.borrow_mut().split_off(pos + 1);
        binding.in_progress.set(true);
        let planned = self.nested(|| self.plan_cte(&binding));
        binding.in_progress.set(false);
        *binding.working.borrow_mut() = None;
        self.ctes.borrow_mut().extend(inner);
        let planned = match planned {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        *binding.planned.borrow_mut() = Some(planned.clone());
        Some(Ok(planned))
    }

    fn plan_cte(&self, b: &CteBinding) -> Result<(Vec<String>, Derived)> {
        let query = &b.def.query;
        let name = &b.def.name;
        let parts: Vec<&Select> = std::iter::once(&**query).chain(query.compound.iter().map(|(_, s)| s)).collect();
        let first_recursive = parts.iter().position(|p| reads_itself(p, name)).filter(|_| b.recursive);
        let Some(k) = first_recursive else {
            let plan = plan_select_in(query, self, &[])?;
            let columns = self.cte_columns(b, &plan)?;
            let shared = b.reads > 1 || b.def.materialized == Some(true);
            if !shared {
                return Ok((columns, Derived::Query(Arc::new(plan))));
            }
            let cte =
                CtePlan { name: name.clone(), columns: columns.clone().into(), anchor: plan, recursion: None, shared };
            return Ok((columns, Derived::Cte(Arc::new(cte))));
        };
        if k == 0 {
            return Err(Error::invalid(format!(
                "recursive CTE {name} must start with a SELECT that does not read {name} (UNION [ALL] then the \
                 recursive SELECT)"
            )));
        }
        if !query.order_by.is_empty() {
            return Err(Error::invalid(format!("ORDER BY in recursive CTE {name} is not supported")));
        }
        let core = |s: &Select| Select {
            with: None,
            compound: Vec::new(),
            order_by: Vec::new(),
            limit: None,
            offset: None,
            ..s.clone()
        };
        let mut anchor = core(query);
        anchor.compound = query.compound[..k - 1].to_vec();
        let anchor = plan_select_in(&anchor, self, &[])?;
        let columns = self.cte_columns(b, &anchor)?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        *b.working.borrow_mut() = Some((id, columns.clone()));
        let mut steps = Vec::new();
        let mut union_all = true;
        for (i, (op, arm)) in query.compound[k - 1..].iter().enumerate() {
            match op {
                SetOp::UnionAll => {}
                SetOp::Union => {
                    if i == 0 {
                        union_all = false;
                    }
                }
                _ => {
                    return Err(Error::invalid(format!(
                        "recursive CTE {name}: the recursive SELECTs must follow UNION or UNION ALL, not {op}"
                    )))
                }
            }
            let step = plan_select_in(&core(arm), self, &[])?;
            if step.columns.len() != columns.len() {
                return Err(Error::invalid(format!(
                    "SELECTs to the left and right of {op} do not have the same number of result columns"
                )));
            }
            steps.push(step);
        }
        let empty = Scope::default();
        let mut constant = Binder::new(&empty, "not allowed in LIMIT");
        let limit = query.limit.as_ref().map(|l| constant.bind(l)).transpose()?;
        let offset = query.offset.as_ref().map(|l| constant.bind(l)).transpose()?;
        let recursion = Recursion { id, steps, union_all, limit, offset };
        let cte = CtePlan {
            name: name.clone(),
            columns: columns.clone().into(),
            anchor,
            recursion: Some(recursion),
            shared: b.reads > 1 || b.def.materialized == Some(true),
        };
        Ok((columns, Derived::Cte(Arc::new(cte))))
    }

    /// The CTE's column names: those given after its name, or its query's.
    fn cte_columns(&self, b: &CteBinding, plan: &SelectPlan) -> Result<Vec<String>> {
        if b.def.columns.is_empty() {
            return Ok(plan.columns.to_vec());
        }
        if b.def.columns.len() != plan.columns.len() {
            return Err(Error::invalid(format!(
                "table {} has {} values for {} columns",
                b.def.name,
                plan.columns.len(),
                b.def.columns.len()
            )));
        }
        Ok(b.def.columns.clone())
    }
}

/// Whether a SELECT (one part of a compound) names `name` in its own FROM list.
fn reads_itself(s: &Select, name: &str) -> bool {
    s.from.iter().any(|t| std::iter::once(&t.table).chain(t.joins.iter().map(|j| &j.table)).any(|r| names(r, name)))
}

fn names(t: &TableRef, name: &str) -> bool {
    t.subquery.is_none() && t.function.is_none() && t.as_of.is_none() && t.name.eq_ignore_ascii_case(name)
}

/// How many FROM items in `s` (its subqueries and CTEs included) name `name`.
fn reads_of(s: &Select, name: &str) -> usize {
    let mut n = 0;
    for t in &s.from {
        for r in std::iter::once(&t.table).chain(t.joins.iter().map(|j| &j.table)) {
            match &r.subquery {
                Some(q) => n += reads_of(q, name),
                None => n += usize::from(names(r, name)),
            }
        }
    }
    for (_, arm) in &s.compound {
        n += reads_of(arm, name);
    }
    if let Some(w) = &s.with {
        n += w.ctes.iter().map(|c| reads_of(&c.query, name)).sum::<usize>();
    }
    let mut nested = 0;
    s.any_expr(&mut |e| {
        if let Expr::Subquery(q) | Expr::Exists(q) | Expr::InSelect { query: q, .. } = e {
            nested += reads_of(q, name);
        }
        false
    });
    n + nested
}
