//! Golden scripts: every `tests/queries/*.q` runs through the same runner as the shell,
//! with each statement echoed above its output, and the transcript is an insta snapshot.
//! A failing diff shows exactly which behaviour changed.

mod common;

#[test]
fn golden_scripts() {
    insta::glob!("queries/*.q", |path| {
        let text = std::fs::read_to_string(path).expect("golden script is readable");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("script.q");
        insta::assert_snapshot!(common::transcript(&text, name));
    });
}
