//! The executor: runs plans against a `State`.
//!
//! Reads return rows; writes return a new `State` and the `WriteSet` that made it,
//! leaving the input state untouched. Nothing here knows about sessions or
//! transactions: that is the layer above.
//!
//! - [`eval`] — expressions
//! - [`functions`] — scalar functions
//! - [`aggregate`] — aggregate accumulators
//! - [`select`] — the select pipeline
//! - [`write`] — INSERT, UPDATE, DELETE, CREATE, DROP

pub mod aggregate;
pub mod eval;
pub mod functions;
pub mod select;
pub mod write;

pub use eval::Ctx;
pub use write::{store_value, Written};

use crate::error::Result;
use crate::sql::plan::{BExpr, Plan};
use crate::storage::{State, Value, WriteOp};

/// Rows with named columns.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultSet {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// Evaluates an expression that reads no row (a DEFAULT, a constant).
pub fn eval_constant(e: &BExpr) -> Result<Value> {
    let ctx = Ctx {
        params: &[],
        now: crate::storage::time::now_micros(),
        interrupt: None,
        version: 0,
        history: None,
    };
    eval::eval(
        e,
        &eval::Env {
            row: &[],
            aggs: &[],
            ctx: &ctx,
        },
    )
}

/// What a statement produced.
pub enum Output {
    Rows(ResultSet),
    Written(Written, &'static str),
    /// The statement changed nothing (`CREATE TABLE IF NOT EXISTS` on an existing table).
    Nothing,
}

/// Runs a data plan (not a transaction-control one) against a state.
pub fn execute(plan: &Plan, state: &State, ctx: &Ctx) -> Result<Output> {
    Ok(match plan {
        Plan::Select(p) => Output::Rows(select::run_select(p, state, ctx)?),
        Plan::Explain(p) => {
            let lines = crate::sql::explain::explain(p);
            let rows = lines.into_iter().map(|l| vec![Value::text(&l)]).collect();
            Output::Rows(ResultSet {
                columns: vec!["plan".into()],
                rows,
            })
        }
        Plan::Insert(p) => Output::Written(write::run_insert(p, state, ctx)?, "inserted"),
        Plan::Update(p) => Output::Written(write::run_update(p, state, ctx)?, "updated"),
        Plan::Delete(p) => Output::Written(write::run_delete(p, state, ctx)?, "deleted"),
        Plan::CreateTable {
            schema,
            if_not_exists,
        } => {
            if *if_not_exists && state.table(&schema.name).is_some() {
                Output::Nothing
            } else {
                Output::Written(
                    write::run_ddl(WriteOp::CreateTable(schema.clone()), state)?,
                    "created",
                )
            }
        }
        Plan::DropTable { name, if_exists } => {
            if *if_exists && state.table(name).is_none() {
                Output::Nothing
            } else {
                Output::Written(
                    write::run_ddl(WriteOp::DropTable(name.clone()), state)?,
                    "dropped",
                )
            }
        }
        _ => {
            return Err(crate::error::Error::Transaction(
                "transaction control needs a session".to_string(),
            ))
        }
    })
}
