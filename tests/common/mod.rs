//! Helpers shared by the integration tests.

#![allow(dead_code)]

/// Runs a script on a fresh database with each statement echoed above its output
/// (errors included, in place): the same transcript `amberdb test` records.
pub fn transcript(script: &str, name: &str) -> String {
    amberdb::shell::testing::transcript(script, name, std::path::Path::new("."))
}
pub mod nats;
