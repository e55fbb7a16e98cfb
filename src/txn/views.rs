//! Incremental materialized views at commit (see `sql::matview`): each commit that
//! changes rows of a view's tables changes the view with them, under the commit lock,
//! against the state it commits onto, so the view equals its query at every version.
//! The view's changes are logged with the commit, so recovery and replicas replay them
//! as they replay any write.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::error::Result;
use crate::exec::matview::{apply_delta, recompute_into};
use crate::sql::ast::Statement;
use crate::sql::matview::{self, Def, Maint};
use crate::storage::{Joined, State, WriteOp};

/// Views compiled for maintenance, by name, with the schema id and text they were
/// compiled from.
#[derive(Default)]
pub(crate) struct ViewCache(Mutex<HashMap<String, Compiled>>);

/// A view compiled against the schemas of one schema id, from one text.
type Compiled = (u64, String, Arc<Maint>);

impl ViewCache {
    fn get(&self, def: &Def, state: &State) -> Result<Arc<Maint>> {
        let id = state.schema_id();
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((at, sql, m)) = map.get(&def.name) {
            if *at == id && *sql == def.sql {
                return Ok(m.clone());
            }
        }
        let Statement::Select(query) = crate::sql::parser::parse(&def.sql)? else {
            return Err(crate::error::Error::invalid(format!(
                "materialized view {}: its text is not a SELECT",
                def.name
            )));
        };
        let m = Arc::new(matview::compile(&def.name, &query, state)?);
        map.insert(def.name.clone(), (id, def.sql.clone(), m.clone()));
        Ok(m)
    }
}

/// The changes the commit of `writes` (which turned `before` into `after`) makes to
/// incremental views, applied to `after`.
pub(crate) fn maintain(cache: &ViewCache, before: &State, after: &mut State, writes: Joined) -> Result<Vec<WriteOp>> {
    if after.table(matview::CATALOG).is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for def in matview::all(after) {
        if !def.incremental || after.table(&def.name).is_none() {
            continue;
        }
        let m = cache.get(&def, after)?;
        let groups = m.groups();
        let mut reads_rows = false;
        let mut wrote_view = false;
        for op in writes.ops() {
            match op {
                WriteOp::Row { table, .. } if m.reads(table).is_some() => reads_rows = true,
                WriteOp::Row { table, .. } | WriteOp::Expire { table, .. } => {
                    wrote_view |= **table == *m.view || groups.as_deref() == Some(&**table)
                }
                WriteOp::CreateTable(s) => wrote_view |= s.name.eq_ignore_ascii_case(&m.view),
                _ => {}
            }
        }
        let reshaped = m.sources.iter().any(|s| match (before.table(&s.table), after.table(&s.table)) {
            (Some(a), Some(b)) => !Arc::ptr_eq(&a.schema, &b.schema) && a.schema.columns != b.schema.columns,
            _ => true,
        });
        let new = matview::definition(before, &def.name).as_ref() != Some(&def);
        if reshaped || ((new || wrote_view) && reads_rows) {
            // Its rows were written by a statement (CREATE, REFRESH, RESTORE) before
            // other changes of the same commit, or its tables changed shape: computed
            // again whole.
            out.extend(recompute_into(after, &m)?);
        } else if reads_rows && !new && !wrote_view {
            out.extend(apply_delta(before, after, writes, &m)?);
        }
    }
    Ok(out)
}
