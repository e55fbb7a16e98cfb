//! The language: text to AST to plan.
//!
//! The life of a statement, in the order these modules see it:
//!
//! - [`split`] — cuts a script into statements and dot-commands
//! - [`shape`] — takes the literals out of a statement's text, so that statements that
//!   differ only in their values share one cached plan
//! - [`syntax`] — nesting limits before parsing; syntax errors in words
//! - [`parser`] — pest grammar (`grammar/amber.pest`) to [`ast`] (with `Display` back to SQL)
//! - [`namespace`] — every name rewritten to the name it is stored under
//! - [`binder`] — names to column positions, functions to enums
//! - [`planner`] — AST to [`plan::Plan`]; [`alter`] for ALTER TABLE, [`join`] for FROM lists
//! - [`matview`] — materialized views, compiled for keeping them up to date
//! - [`projection`] — projections: message streams kept as tables
//! - [`access`] — access paths: keys, indexes, ordered scans
//! - [`explain`] — a plan printed as a tree
//!
//! The executor (`exec`) runs the plan; the session (`txn`) caches it by shape.
//!
//! ```
//! use amberdb::parse;
//! let stmt = parse("SELECT 1 + 2 AS three").unwrap();
//! assert!(matches!(stmt, amberdb::ast::Statement::Select(_)));
//! ```

pub mod access;
pub mod alter;
pub mod ast;
pub mod binder;
pub mod catalog;
pub mod explain;
pub mod join;
pub mod journal;
pub mod matview;
pub mod namespace;
pub mod params;
pub mod parser;
pub mod pg_catalog;
pub mod plan;
pub mod planner;
pub mod projection;
pub mod shape;
pub mod soft_delete;
pub mod split;
pub mod syntax;
