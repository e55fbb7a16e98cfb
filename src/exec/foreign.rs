//! Foreign keys, enforced per statement as SQLite does: actions (CASCADE, SET NULL) run
//! as rows change; whether every reference points at a row is checked when the
//! statement ends, so a statement may insert a child before its parent. A row an action
//! deletes or changes fires the child table's DELETE or UPDATE triggers, as in SQLite.

use std::sync::Arc;

use super::eval::Ctx;
use super::trigger::{Event, Triggers};
use super::write::Read;
use crate::error::{Error, ErrorKind, Result};
use crate::storage::schema::{literal_sql, FkAction, ForeignKey};
use crate::storage::{Change, Row, RowKey, State, TableSchema, TriggerTiming, Value, WriteOp};

fn values(row: &[Value], cols: &[usize]) -> Option<Vec<Value>> {
    let vals: Vec<Value> = cols.iter().map(|&c| row[c].clone()).collect();
    (!vals.iter().any(Value::is_null)).then_some(vals)
}

fn shown(vals: &[Value]) -> String {
    vals.iter().map(literal_sql).collect::<Vec<_>>().join(", ")
}

/// Foreign keys with the (lower-case) names of the tables that hold them.
type Referencing = Arc<[(String, ForeignKey)]>;

/// The foreign keys (with their tables) that reference `parent`; a table's keys last
/// declared first, the order in which SQLite runs their actions.
fn referencing(state: &State, parent: &str) -> Referencing {
    state
        .tables()
        .flat_map(|t| {
            t.schema
                .foreign_keys
                .iter()
                .rev()
                .filter(|fk| fk.parent.eq_ignore_ascii_case(parent))
                .map(|fk| (t.schema.name.to_ascii_lowercase(), fk.clone()))
        })
        .collect()
}

/// A child table and the columns an action sets in it (`None`: it deletes rows).
type ActionOn = (String, Option<Vec<usize>>);

/// A parent row removed (or re-keyed) while a RESTRICT key referenced it.
struct Removed {
    parent: String,
    child: String,
    fk: ForeignKey,
    vals: Vec<Value>,
}

/// Foreign key work of one statement.
#[derive(Default)]
pub struct ForeignKeys {
    stored: Vec<(String, RowKey)>,
    removed: Vec<Removed>,
    pub reads: Vec<Read>,
    /// The keys referencing each table a row was removed from or changed in, found once
    /// per statement (no statement that changes rows changes a schema).
    referencing: Vec<(String, Referencing)>,
    /// The triggers an action fires, loaded once per statement: by child table and the
    /// columns an update sets (`None` for a delete).
    triggers: Vec<(ActionOn, Option<Arc<Triggers>>)>,
    /// How many actions are running inside one another (a row deleted by a cascade
    /// whose own children cascade, and so on).
    depth: usize,
}

/// How deeply actions may run inside one another: each level is a few frames of the
/// stack of the thread running the statement, and this many, each firing a trigger,
/// fit a 2 MiB thread stack in the dev build with room to spare. SQLite, which runs
/// actions as triggers, stops such chains too (at its trigger depth, 1,000).
pub const MAX_ACTION_DEPTH: usize = 500;

impl ForeignKeys {
    /// Notes a row stored in `table`, whose references are checked at the end.
    pub fn stored(&mut self, schema: &TableSchema, table: &str, key: &RowKey) {
        if !schema.foreign_keys.is_empty() {
            self.stored.push((table.to_string(), key.clone()));
        }
    }

    /// A row of `table` is being deleted (`new` is `None`) or changed to `new`: runs the
    /// ON DELETE / ON UPDATE actions of the keys that reference it.
    pub fn parent_changed(
        &mut self,
        working: &mut State,
        table: &str,
        old: &[Value],
        new: Option<&[Value]>,
        ops: &mut Vec<WriteOp>,
        ctx: &Ctx,
    ) -> Result<()> {
        let refs = self.referencing(working, table);
        if refs.is_empty() {
            return Ok(());
        }
        if self.depth >= MAX_ACTION_DEPTH {
            return Err(Error::invalid(format!(
                "too many levels of foreign key actions (a chain of more than {MAX_ACTION_DEPTH} rows, at table {table})"
            )));
        }
        super::ensure_stack("foreign key actions")?;
        self.depth += 1;
        let done = self.run_actions(working, table, &refs, old, new, ops, ctx);
        self.depth -= 1;
        done
    }

    #[allow(clippy::too_many_arguments)]
    fn run_actions(
        &mut self,
        working: &mut State,
        table: &str,
        refs: &Referencing,
        old: &[Value],
        new: Option<&[Value]>,
        ops: &mut Vec<WriteOp>,
        ctx: &Ctx,
    ) -> Result<()> {
        for (child, fk) in refs.iter().cloned() {
            let Some(old_vals) = values(old, &fk.parent_columns) else { continue };
            let new_vals = new.map(|n| fk.parent_columns.iter().map(|&c| n[c].clone()).collect::<Vec<_>>());
            if new_vals.as_ref() == Some(&old_vals) {
                continue;
            }
            self.reads.push(Read::Table(child.clone()));
            let keys = working.table_or_err(&child)?.keys_where(&fk.columns, &old_vals);
            if keys.is_empty() {
                continue;
            }
            let action = if new.is_some() { fk.on_update } else { fk.on_delete };
            match (action, &new_vals) {
                (FkAction::Restrict, _) => {
                    self.removed.push(Removed { parent: table.to_string(), child, fk, vals: old_vals })
                }
                (FkAction::Cascade, None) => {
                    for key in keys {
                        self.cascade_delete(working, &child, &key, ops, ctx)?;
                    }
                }
                (FkAction::Cascade, Some(vals)) => self.set_columns(working, &child, &fk, &keys, vals, ops, ctx)?,
                (FkAction::SetNull, _) => {
                    let nulls = vec![Value::Null; fk.columns.len()];
                    self.set_columns(working, &child, &fk, &keys, &nulls, ops, ctx)?
                }
            }
        }
        Ok(())
    }

    fn referencing(&mut self, state: &State, parent: &str) -> Referencing {
        if let Some((_, refs)) = self.referencing.iter().find(|(t, _)| t == parent) {
            return refs.clone();
        }
        let refs = referencing(state, parent);
        self.referencing.push((parent.to_string(), refs.clone()));
        refs
    }

    /// Whether a foreign key refers to `table` (whose deletes then have actions to run).
    pub fn is_referenced(&mut self, state: &State, table: &str) -> bool {
        !self.referencing(state, table).is_empty()
    }

    /// Deletes a row and runs the actions of the keys that reference it.
    fn delete(
        &mut self,
        working: &mut State,
        table: &str,
        key: &RowKey,
        ops: &mut Vec<WriteOp>,
        ctx: &Ctx,
    ) -> Result<()> {
        let op = || WriteOp::Row { table: table.into(), key: key.clone(), change: Change::Delete };
        // A row no foreign key refers to is removed without being decoded.
        if self.referencing(working, table).is_empty() {
            if working.discard_row(table, key)? {
                ops.push(op());
            }
            return Ok(()); // (or it was already deleted by a cascade)
        }
        let Some(old) = working.remove_row(table, key)? else {
            return Ok(()); // already deleted by a cascade
        };
        ops.push(op());
        self.parent_changed(working, table, &old, None, ops, ctx)
    }

    /// The triggers an action on `table` fires (`set`: the columns an update sets).
    fn triggers(
        &mut self,
        state: &State,
        table: &str,
        set: Option<&[usize]>,
        ctx: &Ctx,
    ) -> Result<Option<Arc<Triggers>>> {
        if !state.has_triggers_on(table) {
            return Ok(None);
        }
        let key = (table.to_string(), set.map(<[usize]>::to_vec));
        if let Some((_, t)) = self.triggers.iter().find(|(k, _)| *k == key) {
            return Ok(t.clone());
        }
        let event = match set {
            Some(cols) => Event::Update(cols),
            None => Event::Delete,
        };
        let loaded = Triggers::load(state, table, event, ctx)?.map(Arc::new);
        self.triggers.push((key, loaded.clone()));
        Ok(loaded)
    }

    /// ON DELETE CASCADE: deletes a child row, firing its table's DELETE triggers.
    fn cascade_delete(
        &mut self,
        working: &mut State,
        table: &str,
        key: &RowKey,
        ops: &mut Vec<WriteOp>,
        ctx: &Ctx,
    ) -> Result<()> {
        let triggers = self.triggers(working, table, None, ctx)?;
        self.delete_firing(working, table, key, triggers.as_deref(), ops, ctx).map(|_| ())
    }

    /// Deletes a row between its table's BEFORE and AFTER DELETE triggers. False when
    /// there was no row to delete (an earlier trigger or action removed it) or a
    /// trigger's RAISE(IGNORE) kept it; without triggers, the row is deleted if present.
    pub fn delete_firing(
        &mut self,
        working: &mut State,
        table: &str,
        key: &RowKey,
        triggers: Option<&Triggers>,
        ops: &mut Vec<WriteOp>,
        ctx: &Ctx,
    ) -> Result<bool> {
        let Some(t) = triggers else {
            self.delete(working, table, key, ops, ctx)?;
            return Ok(true);
        };
        let Some(old) = working.table_or_err(table)?.rows.get(key) else { return Ok(false) };
        if !t.fire(TriggerTiming::Before, Some(&old), None, working, ops, &mut self.reads, ctx)? {
            return Ok(false);
        }
        self.delete(working, table, key, ops, ctx)?;
        t.fire(TriggerTiming::After, Some(&old), None, working, ops, &mut self.reads, ctx)?;
        Ok(true)
    }

    /// Sets a foreign key's columns in referencing rows (ON UPDATE CASCADE, SET NULL),
    /// firing the child table's UPDATE triggers.
    #[allow(clippy::too_many_arguments)]
    fn set_columns(
        &mut self,
        working: &mut State,
        table: &str,
        fk: &ForeignKey,
        keys: &[RowKey],
        vals: &[Value],
        ops: &mut Vec<WriteOp>,
        ctx: &Ctx,
    ) -> Result<()> {
        let triggers = self.triggers(working, table, Some(&fk.columns), ctx)?;
        for key in keys {
            let t = working.table_or_err(table)?;
            let Some(old) = t.rows.get(key) else { continue };
            let mut new = old.to_vec();
            for (&c, v) in fk.columns.iter().zip(vals) {
                if v.is_null() && t.schema.columns[c].not_null {
                    return Err(ErrorKind::Constraint {
                        kind: "NOT NULL",
                        table: t.schema.name.clone(),
                        columns: t.schema.columns[c].name.clone(),
                        detail: format!("set by ON DELETE/UPDATE SET NULL of {}", fk.name),
                    }
                    .into());
                }
                new[c] = v.clone();
            }
            let new_key = t.key_for(&new).unwrap_or_else(|| key.clone());
            let new: Row = new.into();
            if let Some(t) = &triggers {
                if !t.fire(TriggerTiming::Before, Some(&old), Some(&new), working, ops, &mut self.reads, ctx)? {
                    continue;
                }
            }
            let name: Arc<str> = table.into();
            let change = |k: &RowKey, change| WriteOp::Row { table: name.clone(), key: k.clone(), change };
            let step = if &new_key == key {
                vec![change(key, Change::Update(new.clone()))]
            } else {
                vec![change(key, Change::Delete), change(&new_key, Change::Insert(new[..].into()))]
            };
            for op in step {
                working.apply(&op)?;
                ops.push(op);
            }
            let schema = working.table_or_err(table)?.schema.clone();
            self.stored(&schema, table, &new_key);
            self.parent_changed(working, table, &old, Some(&new[..]), ops, ctx)?;
            if let Some(t) = &triggers {
                t.fire(TriggerTiming::After, Some(&old), Some(&new), working, ops, &mut self.reads, ctx)?;
            }
        }
        Ok(())
    }

    /// At the end of the statement: every stored row's references point at rows, and no
    /// row still references a parent that RESTRICT protected.
    pub fn finish(&mut self, working: &State) -> Result<()> {
        for (table, key) in &self.stored {
            let t = working.table_or_err(table)?;
            let Some(row) = t.rows.get(key) else { continue };
            for fk in &t.schema.foreign_keys {
                let Some(vals) = values(&row, &fk.columns) else { continue };
                let parent = working.table_or_err(&fk.parent)?;
                match parent.keys_where(&fk.parent_columns, &vals).first() {
                    Some(k) => self.reads.push(Read::Key(parent.schema.name.to_ascii_lowercase(), k.clone())),
                    None => {
                        return Err(ErrorKind::Constraint {
                            kind: "FOREIGN KEY",
                            table: t.schema.name.clone(),
                            columns: t.schema.column_names(&fk.columns),
                            detail: format!(
                                "no row of {} has {} = {}",
                                parent.schema.name,
                                parent.schema.column_names(&fk.parent_columns),
                                shown(&vals)
                            ),
                        }
                        .into())
                    }
                }
            }
        }
        for r in &self.removed {
            let parent = working.table_or_err(&r.parent)?;
            if !parent.keys_where(&r.fk.parent_columns, &r.vals).is_empty() {
                continue;
            }
            let child = working.table_or_err(&r.child)?;
            if let Some(k) = child.keys_where(&r.fk.columns, &r.vals).first() {
                return Err(ErrorKind::Constraint {
                    kind: "FOREIGN KEY",
                    table: child.schema.name.clone(),
                    columns: child.schema.column_names(&r.fk.columns),
                    detail: format!(
                        "row {k} still references {} {} = {}",
                        parent.schema.name,
                        parent.schema.column_names(&r.fk.parent_columns),
                        shown(&r.vals)
                    ),
                }
                .into());
            }
        }
        Ok(())
    }
}
