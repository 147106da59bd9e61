//! House rules of `src/insight` and its commands: every file opens with a `//!`
//! paragraph and stays under 600 lines, and `src/insight` never uses `lower` or `emit`
//! (it judges what lowering wrote, so it must not repeat it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn insight_sources_are_documented_small_and_independent_of_lowering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = walkdir::WalkDir::new(root.join("src/insight"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    let pure = files.len();
    assert!(pure >= 6, "{files:?}");
    for cli in ["diff.rs", "diff/side.rs", "graph.rs", "explain.rs"] {
        files.push(root.join("src/cli").join(cli));
    }
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.display();
        assert!(
            text.starts_with("//! "),
            "{name} must open with a //! paragraph"
        );
        assert!(text.lines().count() < 600, "{name} has 600 lines or more");
        if i < pure {
            for form in ["crate::lower", "crate::emit", "super::super::lower"] {
                let used = text
                    .lines()
                    .any(|l| !l.trim_start().starts_with("//") && l.contains(form));
                assert!(!used, "{name} uses `{form}`");
            }
        }
    }
}
