//! The language: text to AST to plan.
//!
//! - [`split`] — cuts a script into statements and dot-commands
//! - [`parser`] — pest grammar (`grammar/amber.pest`) to [`ast`]
//! - [`syntax`] — syntax errors in words, nesting limits
//! - [`binder`] — names to column positions, functions to enums
//! - [`planner`] — AST to [`plan::Plan`]
//! - [`access`] — access paths: keys, indexes, ordered scans
//! - [`explain`] — a plan printed as a tree
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
pub mod explain;
pub mod join;
pub mod namespace;
pub mod parser;
pub mod plan;
pub mod planner;
pub mod shape;
pub mod split;
pub mod syntax;
