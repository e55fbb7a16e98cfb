//! The expressions of expression and partial indexes, compiled for the storage layer,
//! which works out index entries as rows are written and as indexes are built.

use std::cell::OnceCell;
use std::sync::Arc;

use super::eval::{eval, truth, Ctx, Env};
use crate::sql::plan::{BExpr, CompiledIndex};
use crate::storage::schema::{IndexDef, TableSchema};
use crate::storage::table::{set_expr_compiler, IndexExprs};
use crate::storage::Value;

fn value(e: &BExpr, row: &[Value]) -> crate::error::Result<Value> {
    let now = OnceCell::new();
    let ctx = Ctx::for_constants(&now);
    eval(e, &Env { row, aggs: &[], ctx: &ctx })
}

impl IndexExprs for CompiledIndex {
    fn part(&self, part: usize, row: &[Value]) -> Value {
        match self.parts.get(part) {
            Some(Some(e)) => value(e, row).unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    fn covers(&self, row: &[Value]) -> bool {
        let Some(p) = &self.predicate else { return true };
        let now = OnceCell::new();
        let ctx = Ctx::for_constants(&now);
        matches!(truth(p, &Env { row, aggs: &[], ctx: &ctx }), Ok(Some(true)))
    }

    fn reads(&self) -> &[usize] {
        &self.reads
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// Compiles an index definition's expressions (the storage layer's [`ExprCompiler`]).
///
/// [`ExprCompiler`]: crate::storage::table::ExprCompiler
pub fn compile(schema: &TableSchema, def: &IndexDef) -> Result<Arc<dyn IndexExprs>, String> {
    let (parts, predicate) = crate::sql::planner::index_exprs(schema, def).map_err(|e| e.to_string())?;
    let mut reads = Vec::new();
    for e in parts.iter().flatten().chain(&predicate) {
        e.visit_columns(&mut |c| reads.push(c));
    }
    if reads.iter().any(|&c| c >= schema.columns.len()) {
        return Err("an index expression reads a column the table lacks".into());
    }
    reads.sort_unstable();
    reads.dedup();
    Ok(Arc::new(CompiledIndex { parts, predicate, reads }))
}

/// Lets the storage layer compile index expressions; called whenever a database opens.
pub fn register() {
    set_expr_compiler(compile);
}
