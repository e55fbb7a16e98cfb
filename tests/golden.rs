//! Golden scripts: every `tests/queries/*.q` runs through the same runner as the shell,
//! with each statement echoed above its output, and the transcript is an insta snapshot.
//! A failing diff shows exactly which behaviour changed.

mod common;

#[test]
fn golden_scripts() {
    insta::glob!("queries/*.q", |path| {
        let text = std::fs::read_to_string(path).expect("golden script is readable");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("script.q");
        // Scripts that write files (archives) run in a folder of their own, so that
        // every run starts with none there. (This binary's one test is the only thread
        // that reads the working folder.)
        let here = std::env::current_dir().expect("a working folder");
        let scratch = tempfile::tempdir().expect("a temporary folder");
        if text.contains("ARCHIVE") {
            std::env::set_current_dir(scratch.path()).expect("the temporary folder can be entered");
        }
        let out = common::transcript(&text, name);
        std::env::set_current_dir(&here).expect("the working folder can be entered again");
        insta::assert_snapshot!(out);
    });
}
