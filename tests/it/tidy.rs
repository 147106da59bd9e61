//! Tidy checks on the source tree (as rust-analyzer's `tidy` test): every module says
//! what it owns in a `//!` paragraph at its top, no file grows past one room (600
//! lines), no stub (`todo!()`, `unimplemented!()`) is left behind, and the trees that
//! check the compiler (`analyze`, `verify`'s expectation, `insight`) do not use it,
//! and `lower` does not use `emit`.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_module_is_documented_small_and_complete() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    assert!(files.len() > 30);
    let mut problems = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        if !text.lines().take(5).any(|l| l.starts_with("//!")) {
            problems.push(format!("{}: no `//!` paragraph at the top", file.display()));
        }
        let lines = text.lines().count();
        if lines > 600 {
            problems.push(format!(
                "{}: {lines} lines (split it: more than one room)",
                file.display()
            ));
        }
        for stub in ["todo!(", "unimplemented!("] {
            if text.contains(stub) {
                problems.push(format!("{}: contains `{stub})`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Module trees that must not depend on parts of the compiler: the evaluator is the
/// check on the compiler, and the expected side of `verify` and the pure parts of
/// `insight` must not repeat what lowering does. (tree, files exempt, forbidden modules)
const INDEPENDENCE: &[(&str, &[&str], &[&str])] = &[
    (
        "src/analyze",
        &[],
        &["lower", "ir", "emit", "resolve", "syntax", "ast"],
    ),
    ("src/verify", &["mod.rs"], &["lower", "emit"]),
    ("src/insight", &[], &["lower", "emit"]),
    // Lowering decides what is allowed; how it is written (YAML, quoting) is emit's.
    ("src/lower", &[], &["emit"]),
];

#[test]
fn independent_trees_do_not_use_the_compiler() {
    let mut problems = Vec::new();
    for (tree, exempt, forbidden) in INDEPENDENCE {
        let mut files = Vec::new();
        rust_files(Path::new(tree), &mut files);
        assert!(files.len() >= 5, "{tree}: {files:?}");
        for file in files {
            if exempt.iter().any(|e| file.ends_with(e)) {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            for stage in *forbidden {
                let forms = [
                    format!("crate::{stage}"),
                    format!("super::{stage}::"),
                    format!("netpc::{stage}"),
                ];
                for form in &forms {
                    if text
                        .lines()
                        .any(|l| !l.trim_start().starts_with("//") && l.contains(form.as_str()))
                    {
                        problems.push(format!("{} uses `{form}`", file.display()));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The library is pure: only the binary (`src/main.rs` and `src/cli/`) touches the file
/// system, the process environment or the terminal.
#[test]
fn the_library_does_no_io() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut problems = Vec::new();
    for file in files {
        if file.starts_with("src/cli") || file.ends_with("main.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for form in [
            "std::fs",
            "std::env",
            "std::process",
            "File::open",
            "stdin()",
            "stdout()",
            "stderr()",
        ] {
            if text.contains(form) {
                problems.push(format!("{}: uses `{form}`", file.display()));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let lib = std::fs::read_to_string("src/lib.rs").unwrap();
    assert!(
        !lib.contains("mod cli"),
        "src/lib.rs must not declare the cli"
    );
}
