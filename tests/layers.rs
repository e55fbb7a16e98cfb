//! The layer rule, checked: every `crate::…` path in `src/` must point to a layer its
//! file may use (the table in `src/lib.rs`). A path to something `lib.rs` re-exports
//! (`crate::Value`) is the public API, which only the interfaces above `txn` use.

use std::path::Path;

/// The top-level modules a layer may name.
fn allowed(layer: &str) -> Option<&'static [&'static str]> {
    Some(match layer {
        "shell" | "server" => &["txn", "error", "shell", "server"],
        "txn" => &["txn", "exec", "sql", "durability", "storage", "error"],
        "durability" => &["durability", "storage", "error"],
        "exec" => &["exec", "sql", "storage", "error"],
        "sql" => &["sql", "storage", "error"],
        "storage" => &["storage", "error"],
        "error" => &["error", "storage"],
        "alloc" => &["alloc"],
        _ => return None,
    })
}

const MODULES: &[&str] = &["alloc", "durability", "error", "exec", "shell", "server", "sql", "storage", "txn"];

/// The layer a source file belongs to: its folder under `src/`, or its own name for a
/// file at the top (`error.rs`); `None` for `lib.rs`, `main.rs` and `bin/`, which may
/// name anything.
fn layer_of(relative: &str) -> Option<String> {
    let first = relative.split('/').next()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    match name {
        "lib" | "main" | "bin" => None,
        other => Some(other.to_string()),
    }
}

/// The first segment of each path that follows `crate::` in `text` (comments left out);
/// a group `crate::{a::x, b}` yields `a` and `b`. A file's unit tests (from
/// `#[cfg(test)]` on) are left out: they may build what they test through the public
/// API (a `Database` to fill a state), which is not a dependency of the layer.
fn crate_paths(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        if line.trim() == "#[cfg(test)]" && lines.peek().is_some_and(|(_, l)| l.trim_start().starts_with("mod tests")) {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = &rest[..at];
            rest = &rest[at + "crate::".len()..];
            // `$crate::` in a macro and `my_crate::` are other paths.
            if before.ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '$') {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let body = group.split('}').next().unwrap_or("");
                for item in body.split(',') {
                    let head: String = item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    if !head.is_empty() {
                        found.push((n + 1, head));
                    }
                }
            } else {
                let head: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                found.push((n + 1, head));
            }
        }
    }
    found
}

/// Every path in one file that breaks the rule, as `file:line: message`.
fn violations(relative: &str, text: &str) -> Vec<String> {
    // A module's unit tests in a file of their own (`checkpoint/tests.rs`, declared
    // `#[cfg(test)] mod tests;`) are left out as those inside a file are.
    if relative.ends_with("/tests.rs") {
        return Vec::new();
    }
    let Some(layer) = layer_of(relative) else { return Vec::new() };
    let Some(ok) = allowed(&layer) else {
        return vec![format!(
            "{relative}: layer {layer} is not in the rule (add it to src/lib.rs and tests/layers.rs)"
        )];
    };
    let interface = matches!(layer.as_str(), "shell" | "server");
    let mut out = Vec::new();
    for (line, head) in crate_paths(text) {
        let module = MODULES.contains(&head.as_str());
        let fine = if module { ok.contains(&head.as_str()) } else { interface };
        if !fine {
            let what = if module { format!("module {head}") } else { format!("the public re-export {head}") };
            out.push(format!("{relative}:{line}: layer {layer} may not use {what} (allowed: {})", ok.join(", ")));
        }
    }
    out
}

fn sources(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, root, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path.strip_prefix(root).expect("under src/").to_string_lossy().replace('\\', "/");
            out.push((relative, std::fs::read_to_string(&path).expect("a source file is text")));
        }
    }
}

#[test]
fn every_source_file_keeps_the_layer_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &root, &mut files);
    assert!(files.len() > 50, "found only {} source files", files.len());
    let broken: Vec<String> = files.iter().flat_map(|(p, t)| violations(p, t)).collect();
    assert!(broken.is_empty(), "imports against the layer rule:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_fails_on_an_upward_import() {
    let text = "use crate::storage::Value;\nuse crate::exec::eval_constant;\n";
    let found = violations("sql/planner.rs", text);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("sql/planner.rs:2: layer sql may not use module exec"), "{}", found[0]);
}

#[test]
fn the_checker_reads_groups_and_inline_paths_and_skips_comments() {
    let text = "use crate::{error::Result, txn::Session};\n// crate::shell::x is only a comment\nlet s = crate::shell::render(x);\n";
    let found = violations("durability/export.rs", text);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains(":1: layer durability may not use module txn"));
    assert!(found[1].contains(":3: layer durability may not use module shell"));
}

#[test]
fn unit_tests_are_left_out() {
    let text = "use crate::storage::Value;\n#[cfg(test)]\nmod tests {\n    use crate::Database;\n}\n";
    assert!(violations("durability/wal.rs", text).is_empty());
    assert_eq!(violations("durability/wal.rs", &text.replace("mod tests", "mod helpers")).len(), 1);
    assert!(violations("durability/checkpoint/tests.rs", "use crate::Database;").is_empty());
}

#[test]
fn only_interfaces_use_the_public_api_and_they_reach_only_txn() {
    assert!(violations("shell/render.rs", "use crate::{ResultSet, Value};").is_empty());
    assert_eq!(violations("exec/eval.rs", "use crate::Value;").len(), 1);
    assert_eq!(violations("shell/runner.rs", "use crate::storage::State;").len(), 1);
    assert_eq!(violations("server/pg.rs", "use crate::durability::Log;").len(), 1);
    assert!(violations("lib.rs", "pub use crate::sql::ast;").is_empty());
}
