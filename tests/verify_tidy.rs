//! House rules of `src/verify`: every file opens with a `//!` paragraph and stays under
//! 600 lines, and the expectation never comes from lowering: only `verify/mod.rs`
//! (which compiles the manifests being verified) may name `lower` or `emit`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[test]
fn verify_sources_are_documented_small_and_independent_of_lowering() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = walkdir::WalkDir::new(root.join("src/verify"))
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.push(root.join("src/cli/verify.rs"));
    assert!(files.len() >= 6, "{files:?}");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.display();
        assert!(
            text.starts_with("//! "),
            "{name} must open with a //! paragraph"
        );
        assert!(text.lines().count() < 600, "{name} has 600 lines or more");
        if file.ends_with("verify/mod.rs") || file.ends_with("cli/verify.rs") {
            continue;
        }
        for stage in ["lower", "emit"] {
            for form in [format!("crate::{stage}"), format!("netpc::{stage}")] {
                assert!(!text.contains(&form), "{name} uses `{form}`");
            }
        }
    }
}
