//! House rules of `src/analyze`: every file opens with a `//!` paragraph, stays under
//! 600 lines, and never uses netpc's compiler stages (the evaluator is the independent
//! check on them).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn analyze_sources_are_documented_small_and_independent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = walkdir::WalkDir::new(root.join("src/analyze"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.push(root.join("src/cli/analyze.rs"));
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.display();
        assert!(
            text.starts_with("//! "),
            "{name} must open with a //! paragraph"
        );
        assert!(text.lines().count() < 600, "{name} has 600 lines or more");
        for stage in ["lower", "ir", "emit", "resolve", "syntax", "ast"] {
            for form in [
                format!("crate::{stage}"),
                format!("super::{stage}::"),
                format!("netpc::{stage}"),
            ] {
                let used = text
                    .lines()
                    .any(|l| !l.trim_start().starts_with("//") && l.contains(&form));
                assert!(
                    !used,
                    "{name} uses `{form}`: src/analyze must not depend on the compiler"
                );
            }
        }
    }
}
