//! Read models and archival, in one test binary (each file is its own module):
//! incremental materialized views against their queries, projections against their
//! messages, and archives through crashes.

#[path = "read_models/archival.rs"]
mod archival;
#[path = "read_models/matviews.rs"]
mod matviews;
#[path = "read_models/projections.rs"]
mod projections;
