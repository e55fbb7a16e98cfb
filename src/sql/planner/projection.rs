//! CREATE, REBUILD and DROP PROJECTION (see `sql::projection`).

use super::*;
use crate::sql::projection::{self, Action, Def};

pub(super) fn plan_create(
    name: &str,
    if_not_exists: bool,
    category: &str,
    table: &str,
    rules: &[(String, Statement)],
    cx: &Cx,
) -> Result<Plan> {
    let state = cx.state;
    if projection::definition(state, name).is_some() {
        if if_not_exists {
            return Ok(Plan::Nothing);
        }
        return Err(Error::invalid(format!("projection {name} already exists")));
    }
    let target = state.table_or_err(table)?.schema.name.to_ascii_lowercase();
    if crate::sql::matview::definition(state, &target).is_some() || crate::sql::matview::is_internal(&target) {
        return Err(Error::invalid(format!("{target} is kept by the engine (a materialized view)")));
    }
    if category.is_empty() || category.contains('-') {
        return Err(Error::invalid(format!(
            "'{category}' is not a category (a stream name's part before the first -)"
        )));
    }
    for (kind, rule) in rules {
        let written = projection::written_table(rule).map(str::to_ascii_lowercase);
        if written.as_deref() != Some(target.as_str()) {
            return Err(Error::invalid(format!(
                "projection {name}: the rule for '{kind}' must write {target}, the table it projects into"
            )));
        }
        let mut bound = rule.clone();
        projection::bind_message(&mut bound)?;
        plan_in(&bound, cx).map_err(|e| Error::invalid(format!("projection {name}, rule for '{kind}': {e}")))?;
    }
    let def = Def {
        name: name.to_ascii_lowercase(),
        namespace: crate::storage::state::namespace_of(&name.to_ascii_lowercase()).to_string(),
        category: category.to_string(),
        table: target,
        rules: projection::rules_text(rules)?,
        position: 0,
    };
    Ok(Plan::Projection(Box::new(Action::Create(def))))
}

/// Empties the table and starts again from the first message (which the commit applies).
pub(super) fn plan_rebuild(name: &str, cx: &Cx) -> Result<Plan> {
    let def =
        projection::definition(cx.state, name).ok_or_else(|| Error::invalid(format!("no such projection: {name}")))?;
    let delete =
        crate::sql::parser::parse(&format!("DELETE FROM {}", crate::storage::schema::quote_stored(&def.table)))?;
    let steps = vec![plan_in(&delete, cx)?, Plan::Projection(Box::new(Action::Reset { name: def.name }))];
    Ok(Plan::Steps { steps, verb: Some("rebuilt") })
}

pub(super) fn plan_drop(name: &str, if_exists: bool, state: &State) -> Result<Plan> {
    match projection::definition(state, name) {
        Some(def) => Ok(Plan::Projection(Box::new(Action::Drop { name: def.name }))),
        None if if_exists => Ok(Plan::Nothing),
        None => Err(Error::invalid(format!("no such projection: {name}"))),
    }
}
